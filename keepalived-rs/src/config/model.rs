//! The typed configuration model: what the interpreter produces from keepalived.conf
//! and what the daemon runs.

use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use super::Loc;
use crate::fsm::{GarpParams, Params};
use crate::wire::Version;

/// A diagnostic with its location.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diag {
    pub loc: Loc,
    pub msg: String,
}

impl std::fmt::Display for Diag {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.loc, self.msg)
    }
}

/// `global_defs`.
#[derive(Debug, Clone, PartialEq)]
pub struct Global {
    pub router_id: Option<String>,
    pub vrrp_version: Version,
    pub script_user: Option<String>,
    /// `notify_fifo` / `vrrp_notify_fifo`: ordered state lines for a reader.
    pub notify_fifo: Option<String>,
    pub enable_script_security: bool,
    pub garp: GarpParams,
    pub lower_prio_no_advert: bool,
    pub higher_prio_send_advert: bool,
    pub check_unicast_src: bool,
    pub skip_check_adv_addr: bool,
    pub v3_checksum_as_v2: bool,
    pub mcast_group4: Ipv4Addr,
    pub startup_delay: Duration,
    /// `vrrp_garp_interval`: pause between two gratuitous ARPs (0 = back to back).
    pub garp_interval: Duration,
    /// `vrrp_gna_interval`: pause between two unsolicited NAs.
    pub gna_interval: Duration,
}

impl Default for Global {
    fn default() -> Self {
        Global {
            router_id: None,
            vrrp_version: Version::V2,
            script_user: None,
            notify_fifo: None,
            enable_script_security: false,
            garp: GarpParams::default(),
            lower_prio_no_advert: false,
            higher_prio_send_advert: false,
            check_unicast_src: false,
            skip_check_adv_addr: false,
            v3_checksum_as_v2: false,
            mcast_group4: crate::wire::MCAST_V4,
            startup_delay: Duration::ZERO,
            garp_interval: Duration::ZERO,
            gna_interval: Duration::ZERO,
        }
    }
}

/// `vrrp_script NAME { }`.
#[derive(Debug, Clone, PartialEq)]
pub struct VrrpScript {
    pub name: String,
    pub script: String,
    pub interval: Duration,
    pub timeout: Duration,
    pub weight: i32,
    pub reverse: bool,
    pub rise: u32,
    pub fall: u32,
    pub user: Option<String>,
    pub init_fail: bool,
    /// keepalived-rs extension (`vrrp_track_lbd`): instead of running `script`, ask lbd's
    /// runtime socket whether the backend has a server up.
    pub lbd: Option<LbdCheck>,
    pub loc: Loc,
}

/// A backend of a running lbd, watched through its runtime (`stats socket`) API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LbdCheck {
    /// `unix:/path`, `/path` or `host:port`, as lbapi's `Endpoint`.
    pub socket: String,
    pub backend: String,
}

/// One `virtual_ipaddress` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VipConf {
    pub addr: IpAddr,
    pub prefix_len: u8,
    pub dev: Option<String>,
    pub label: Option<String>,
    pub brd: Option<IpAddr>,
    pub scope: Option<String>,
    pub no_track: bool,
}

/// A `track_interface` / `track_script` entry with its optional weight override.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackRef {
    pub name: String,
    pub weight: Option<i32>,
    pub reverse: bool,
}

/// A notify directive: the command line (split like shell words, no shell) and user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotifyCmd {
    pub cmd: String,
    pub user: Option<String>,
}

/// Notify scripts of an instance or sync group.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Notifies {
    pub master: Option<NotifyCmd>,
    pub backup: Option<NotifyCmd>,
    pub fault: Option<NotifyCmd>,
    pub stop: Option<NotifyCmd>,
    pub any: Option<NotifyCmd>,
    pub master_rx_lower_pri: Option<NotifyCmd>,
}

/// `vrrp_instance NAME { }`, resolved against `global_defs`.
#[derive(Debug, Clone, PartialEq)]
pub struct InstanceConf {
    pub name: String,
    pub interface: Option<String>,
    pub mcast_src_ip: Option<IpAddr>,
    pub unicast_src_ip: Option<IpAddr>,
    /// `unicast_ttl`: TTL / hop limit of unicast adverts (IPv4 default 255 as
    /// keepalived's own header; IPv6 the kernel default).
    pub unicast_ttl: Option<u8>,
    pub vips: Vec<VipConf>,
    pub vips_excluded: Vec<VipConf>,
    pub track_interfaces: Vec<TrackRef>,
    pub track_scripts: Vec<TrackRef>,
    pub notify: Notifies,
    pub dont_track_primary: bool,
    /// Protocol parameters for the state machine.
    pub params: Params,
    pub loc: Loc,
}

/// `vrrp_sync_group NAME { }`.
#[derive(Debug, Clone, PartialEq)]
pub struct SyncGroup {
    pub name: String,
    pub members: Vec<String>,
    pub notify: Notifies,
    pub track_interfaces: Vec<TrackRef>,
    pub track_scripts: Vec<TrackRef>,
    pub tracking_weight: bool,
}

/// The whole configuration.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Config {
    pub global: Global,
    pub scripts: Vec<VrrpScript>,
    pub instances: Vec<InstanceConf>,
    pub sync_groups: Vec<SyncGroup>,
}

/// A parse result: the model plus diagnostics. `errors` non-empty means `-t` fails and
/// the daemon refuses the file.
#[derive(Debug, Clone, Default)]
pub struct Parsed {
    pub config: Config,
    pub warnings: Vec<Diag>,
    pub errors: Vec<Diag>,
}
