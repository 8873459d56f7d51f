//! The lines under `lbctl status`'s services table: lbd's proxies and
//! servers, VRRP states and the box's addresses. Each part is best effort:
//! a daemon that is down shows as such instead of failing the command.

use serde::Serialize;

use lbapi::dbus::Vrrp1Proxy;
use lbapi::RowType;

use crate::Cli;

#[derive(Debug, Default, Serialize, PartialEq)]
pub struct LbdSummary {
    pub frontends: u32,
    pub backends: u32,
    pub backends_down: u32,
    pub servers: u32,
    pub servers_up: u32,
    pub servers_down: u32,
    pub servers_maint: u32,
}

#[derive(Debug, Default, Serialize)]
pub struct Summary {
    /// None: lbd's runtime socket did not answer.
    pub lbd: Option<LbdSummary>,
    /// `(instance, state)`; None: keepalived-rs is not on the bus.
    pub vrrp: Option<Vec<(String, String)>>,
    /// `(link, ADDRESS/PREFIX)`, loopback left out.
    pub addresses: Vec<(String, String)>,
}

/// Counts `show stat` rows by what an operator asks first: is anything down?
pub fn count(rows: &[lbapi::StatRow]) -> LbdSummary {
    let mut s = LbdSummary::default();
    for r in rows {
        let st = r.status();
        match r.row_type() {
            Some(RowType::Frontend) => s.frontends += 1,
            Some(RowType::Backend) => {
                s.backends += 1;
                if st.starts_with("DOWN") {
                    s.backends_down += 1;
                }
            }
            Some(RowType::Server) => {
                s.servers += 1;
                if st.starts_with("MAINT") {
                    s.servers_maint += 1;
                } else if st.starts_with("DOWN") {
                    s.servers_down += 1;
                } else {
                    s.servers_up += 1;
                }
            }
            _ => {}
        }
    }
    s
}

pub async fn gather(cli: &Cli) -> Summary {
    let lbd = crate::runtime::client(cli)
        .ok()
        .and_then(|c| c.show_stat().ok())
        .map(|rows| count(&rows));
    let vrrp = vrrp_states(cli).await;
    let addresses = crate::net::links(std::path::Path::new("/sys/class/net"))
        .map(|links| {
            links
                .into_iter()
                .filter(|l| l.name != "lo")
                .flat_map(|l| {
                    let name = l.name.clone();
                    l.addresses.into_iter().map(move |a| (name.clone(), a))
                })
                .collect()
        })
        .unwrap_or_default();
    Summary {
        lbd,
        vrrp,
        addresses,
    }
}

async fn vrrp_states(cli: &Cli) -> Option<Vec<(String, String)>> {
    let conn = zbus::connection::Builder::address(cli.bus().as_str())
        .ok()?
        .build()
        .await
        .ok()?;
    let p = Vrrp1Proxy::new(&conn).await.ok()?;
    let list = p.instances().await.ok()?;
    Some(list.into_iter().map(|i| (i.name, i.state)).collect())
}

fn fit(mut line: String) -> String {
    if line.len() > 79 {
        let mut cut = 76;
        while !line.is_char_boundary(cut) {
            cut -= 1;
        }
        line.truncate(cut);
        line += "...";
    }
    line + "\n"
}

impl Summary {
    pub fn text(&self) -> String {
        let mut out = String::from("\n");
        out += &fit(match &self.lbd {
            Some(l) => format!(
                "lbd:   {} frontends, {} backends ({} down), servers {} up {} down {} maint",
                l.frontends,
                l.backends,
                l.backends_down,
                l.servers_up,
                l.servers_down,
                l.servers_maint
            ),
            None => "lbd:   runtime socket not answering".into(),
        });
        out += &fit(match &self.vrrp {
            Some(v) if v.is_empty() => "vrrp:  no instances".into(),
            Some(v) => format!(
                "vrrp:  {}",
                v.iter()
                    .map(|(n, s)| format!("{n} {s}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            None => "vrrp:  keepalived-rs not running".into(),
        });
        let addrs: Vec<String> = self
            .addresses
            .iter()
            .map(|(l, a)| format!("{l} {a}"))
            .collect();
        out += &fit(format!(
            "addr:  {}",
            if addrs.is_empty() {
                "none".to_string()
            } else {
                addrs.join(", ")
            }
        ));
        out
    }
}
