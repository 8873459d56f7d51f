//! `lbctl net`: links and addresses as the kernel has them now, read on
//! the box itself (sysfs for links, getifaddrs(3) for addresses). lbctl
//! asks no daemon for this on purpose: the serial console needs it most
//! when the supervisor or the network setup has gone wrong.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::path::Path;

use serde::Serialize;

use crate::{Cli, Failure};

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Link {
    pub name: String,
    /// `up`, `down`, `unknown`, ... as /sys/class/net/*/operstate says.
    pub state: String,
    pub carrier: Option<bool>,
    pub mtu: Option<u32>,
    pub mac: String,
    /// `ADDRESS/PREFIX`.
    pub addresses: Vec<String>,
}

fn sys(dir: &Path, name: &str) -> Option<String> {
    std::fs::read_to_string(dir.join(name))
        .ok()
        .map(|s| s.trim().to_string())
}

fn prefix_len(mask: IpAddr) -> u32 {
    match mask {
        IpAddr::V4(m) => u32::from(m).count_ones(),
        IpAddr::V6(m) => u128::from(m).count_ones(),
    }
}

fn ip_of(a: &nix::sys::socket::SockaddrStorage) -> Option<IpAddr> {
    if let Some(v4) = a.as_sockaddr_in() {
        return Some(IpAddr::V4(v4.ip()));
    }
    a.as_sockaddr_in6().map(|v6| IpAddr::V6(v6.ip()))
}

pub fn links(sysfs: &Path) -> Result<Vec<Link>, Failure> {
    let mut by_name: BTreeMap<String, Link> = BTreeMap::new();
    let entries =
        std::fs::read_dir(sysfs).map_err(|e| Failure(1, format!("{}: {e}", sysfs.display())))?;
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let dir = e.path();
        by_name.insert(
            name.clone(),
            Link {
                state: sys(&dir, "operstate").unwrap_or_else(|| "?".into()),
                carrier: sys(&dir, "carrier").map(|c| c == "1"),
                mtu: sys(&dir, "mtu").and_then(|m| m.parse().ok()),
                mac: sys(&dir, "address").unwrap_or_default(),
                addresses: Vec::new(),
                name,
            },
        );
    }
    let addrs = nix::ifaddrs::getifaddrs()
        .map_err(|e| Failure(1, format!("cannot list addresses: {e}")))?;
    for a in addrs {
        let (Some(ip), Some(mask)) = (
            a.address.as_ref().and_then(ip_of),
            a.netmask.as_ref().and_then(ip_of),
        ) else {
            continue;
        };
        if let Some(l) = by_name.get_mut(&a.interface_name) {
            l.addresses.push(format!("{ip}/{}", prefix_len(mask)));
        }
    }
    Ok(by_name.into_values().collect())
}

pub fn table(links: &[Link]) -> String {
    let mut out = format!(
        "{:<12} {:<8} {:>5} {:<17}  {}\n",
        "LINK", "STATE", "MTU", "MAC", "ADDRESSES"
    );
    for l in links {
        let state = match (l.state.as_str(), l.carrier) {
            ("down", _) | (_, None) => l.state.clone(),
            (s, Some(false)) => format!("{s},nc"),
            (s, Some(true)) => s.to_string(),
        };
        let mtu = l.mtu.map(|m| m.to_string()).unwrap_or_default();
        let first = format!("{:<12} {:<8} {:>5} {:<17}  ", l.name, state, mtu, l.mac);
        // One address per line under the column, so IPv6 fits 80 columns.
        let pad = " ".repeat(first.len());
        let mut lines = l.addresses.iter();
        out += &first;
        out += lines.next().map(String::as_str).unwrap_or("-");
        out.push('\n');
        for a in lines {
            out += &pad;
            out += a;
            out.push('\n');
        }
    }
    out
}

pub fn run(cli: &Cli) -> Result<(), Failure> {
    let list = links(Path::new("/sys/class/net"))?;
    if cli.json {
        println!("{}", serde_json::json!({ "links": list }));
    } else {
        print!("{}", table(&list));
    }
    Ok(())
}
