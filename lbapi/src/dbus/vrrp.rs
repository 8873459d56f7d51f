//! `org.rampart.Vrrp1`: keepalived-rs's VRRP instances and sync groups, and a
//! signal on every state transition.

use serde::{Deserialize, Serialize};
use zbus::zvariant::Type;

/// The well-known bus name keepalived-rs owns when started with `--dbus`.
pub const VRRP_BUS_NAME: &str = "org.rampart.Vrrp";
/// The object path of the daemon's single object.
pub const VRRP_PATH: &str = "/org/rampart/Vrrp";
/// The interface name.
pub const VRRP_INTERFACE: &str = "org.rampart.Vrrp1";

/// Per-reason receive counters of one instance (keepalived's checks, spec §1.7).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, Type)]
pub struct VrrpCounters {
    /// Adverts that passed every check.
    pub accepted: u64,
    /// Multicast adverts with TTL / hop limit other than 255.
    pub bad_ttl: u64,
    pub wrong_version: u64,
    pub bad_auth: u64,
    /// v2 adverts whose interval differs from ours.
    pub interval_mismatch: u64,
    /// Multicast advert on a unicast instance or the reverse.
    pub transport_mismatch: u64,
    /// Unicast adverts from an address not in `unicast_peer`.
    pub unknown_source: u64,
    /// Adverts whose address list differs from ours.
    pub addr_mismatch: u64,
    /// v3/IPv4 adverts accepted with the other checksum form.
    pub checksum_other_form: u64,
    /// Our own adverts looped back.
    pub own_address: u64,
    /// Adverts we sent.
    pub sent: u64,
    /// Times this instance became MASTER.
    pub became_master: u64,
}

/// One VRRP instance, as `lbctl vrrp` shows it. An empty string means "none"
/// for `master_addr` and `sync_group` (D-Bus has no null).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
pub struct InstanceStatus {
    /// The `vrrp_instance` name ("VI_1").
    pub name: String,
    pub interface: String,
    pub vrid: u8,
    /// 2 or 3.
    pub version: u8,
    /// "IPv4" or "IPv6".
    pub family: String,
    /// keepalived's word: "INIT", "BACKUP", "MASTER", "FAULT".
    pub state: String,
    /// The configured priority.
    pub priority: u8,
    /// After trackers' weights (what the adverts carry).
    pub effective_priority: u8,
    /// The current master's address: ours when MASTER, the last accepted
    /// advert's source when BACKUP, "" when unknown.
    pub master_addr: String,
    /// `virtual_ipaddress` entries as written ("10.0.0.100/24").
    pub vips: Vec<String>,
    /// `virtual_ipaddress_excluded` entries.
    pub excluded_vips: Vec<String>,
    /// Seconds since the last state change (or since start).
    pub last_transition_secs: u64,
    /// The `vrrp_sync_group` this instance belongs to, "" if none.
    pub sync_group: String,
    pub counters: VrrpCounters,
}

/// One `vrrp_sync_group`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
pub struct SyncGroupStatus {
    pub name: String,
    /// The group's state word ("MASTER", "BACKUP", "FAULT", "INIT").
    pub state: String,
    /// Member instance names, in config order.
    pub instances: Vec<String>,
}

/// keepalived-rs's interface.
#[zbus::proxy(
    interface = "org.rampart.Vrrp1",
    default_service = "org.rampart.Vrrp",
    default_path = "/org/rampart/Vrrp"
)]
pub trait Vrrp1 {
    /// Every instance, in config order.
    fn instances(&self) -> zbus::Result<Vec<InstanceStatus>>;
    /// Every sync group, in config order.
    fn sync_groups(&self) -> zbus::Result<Vec<SyncGroupStatus>>;
    /// An instance changed state. `reason` is a short phrase such as
    /// "master down timer", "higher priority advert", "preempt",
    /// "interface down", "tracker", "sync group", "shutdown", "start".
    #[zbus(signal)]
    fn transition(&self, instance: &str, from: &str, to: &str, reason: &str) -> zbus::Result<()>;
}
