//! VIP installation and GARP/NA bursts of one instance, in order (add, then announce),
//! in a task of its own so netlink round trips never delay an advert.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;

use super::addr::{AddrOps, VipSpec};
use super::garp::GarpSocket;
use super::socket::NaSocket;
use super::Logger;
use crate::config::InstanceConf;

/// What the daemon asks of an instance's VIP worker.
pub(super) enum VipCmd {
    Add,
    Del,
    Garp(u32),
    SetVips(Vec<VipSpec>),
}

pub(super) fn vip_specs(conf: &InstanceConf, ifname: &str) -> Vec<VipSpec> {
    conf.vips
        .iter()
        .chain(&conf.vips_excluded)
        .map(|v| VipSpec {
            addr: v.addr,
            prefix_len: v.prefix_len,
            ifname: v.dev.clone().unwrap_or_else(|| ifname.to_string()),
            label: v.label.clone(),
        })
        .collect()
}

/// Sends the GARPs (IPv4 VIPs) or unsolicited NAs (IPv6 VIPs) of one instance.
pub(super) struct Announcer {
    pub(super) garp: Option<GarpSocket>,
    pub(super) na: Option<NaSocket>,
    pub(super) ifname: String,
}

impl Announcer {
    fn announce(&self, vip: IpAddr) -> std::io::Result<()> {
        match (vip, &self.garp, &self.na) {
            (IpAddr::V4(a), Some(g), _) => g.send(a),
            (IpAddr::V6(a), _, Some(n)) => {
                // keepalived sets the Router flag when the interface forwards IPv6.
                let fwd = std::fs::read_to_string(format!(
                    "/proc/sys/net/ipv6/conf/{}/forwarding",
                    self.ifname
                ));
                n.send(a, fwd.is_ok_and(|f| f.trim() == "1"))
            }
            _ => Ok(()),
        }
    }
}

/// Applies VIP changes and GARP/NA bursts in order, off the protocol loop.
pub(super) async fn vip_worker<A: AddrOps>(
    addr: Arc<A>,
    mut rx: mpsc::UnboundedReceiver<VipCmd>,
    mut vips: Vec<VipSpec>,
    announcer: Announcer,
    (garp_gap, gna_gap): (Duration, Duration),
    log: Logger,
) {
    // Whether the VIPs are ours now (after Add, until Del): a reload that drops some
    // must then delete them, as keepalived does.
    let mut installed = false;
    while let Some(cmd) = rx.recv().await {
        match cmd {
            VipCmd::Add => {
                installed = true;
                for v in &vips {
                    if let Err(e) = addr.add_vip(v).await {
                        log.info(&format!(
                            "cannot add {}/{} on {}: {e}",
                            v.addr, v.prefix_len, v.ifname
                        ));
                    }
                }
            }
            VipCmd::Del => {
                installed = false;
                for v in &vips {
                    if let Err(e) = addr.remove_vip(v).await {
                        log.info(&format!(
                            "cannot remove {}/{} on {}: {e}",
                            v.addr, v.prefix_len, v.ifname
                        ));
                    }
                }
            }
            VipCmd::Garp(n) => {
                let mut first = true;
                for _ in 0..n {
                    for v in &vips {
                        // vrrp_garp_interval / vrrp_gna_interval space the packets out.
                        let gap = if v.addr.is_ipv6() { gna_gap } else { garp_gap };
                        if !first && !gap.is_zero() {
                            tokio::time::sleep(gap).await;
                        }
                        first = false;
                        if let Err(e) = announcer.announce(v.addr) {
                            log.detail(&format!("GARP/NA for {} not sent: {e}", v.addr));
                        }
                    }
                }
            }
            VipCmd::SetVips(new) => {
                if installed {
                    for v in vips.iter().filter(|v| !new.contains(v)) {
                        if let Err(e) = addr.remove_vip(v).await {
                            log.info(&format!(
                                "cannot remove {}/{} on {}: {e}",
                                v.addr, v.prefix_len, v.ifname
                            ));
                        }
                    }
                }
                vips = new;
            }
        }
    }
}
