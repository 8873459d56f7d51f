//! The kernel handle (`NetHandle`) and the floating-address API keepalived-rs drives.
//!
//! `NetHandle` is the one owner of a rtnetlink connection; every query asks the kernel
//! (no cache), so an address removed behind our back is seen at the next call and, through
//! [`NetHandle::watch`], as a [`NetEvent`] at once. This module must not decide policy
//! (when to add a VIP): that belongs to the VRRP state machine.

use std::collections::HashMap;
use std::fmt;
use std::net::IpAddr;

use futures_util::{StreamExt, TryStreamExt};
use nix::errno::Errno;
use rtnetlink::packet_core::NetlinkPayload;
use rtnetlink::packet_route::address::{
    AddressAttribute, AddressFlags, AddressHeaderFlags, AddressMessage,
};
use rtnetlink::packet_route::link::{LinkAttribute, LinkFlags, LinkMessage};
use rtnetlink::packet_route::RouteNetlinkMessage;
use rtnetlink::MulticastGroup;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::error::{errno, NetcfgError};

/// Linux limits interface names and IPv4 address labels to IFNAMSIZ-1 bytes.
const IFNAMSIZ_MAX: usize = 15;

/// Events queued per watcher before the forwarding task waits for the consumer.
const WATCH_QUEUE: usize = 256;

/// A floating address: which address, on which interface, under which label.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Vip {
    pub addr: IpAddr,
    pub prefix_len: u8,
    pub ifname: String,
    /// IPv4 only (the kernel has no IPv6 labels; it is ignored for IPv6). Must start with
    /// `ifname`, as iproute2 and keepalived require, and fit in 15 bytes.
    pub label: Option<String>,
}

impl fmt::Display for Vip {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{} dev {}", self.addr, self.prefix_len, self.ifname)?;
        if let Some(l) = &self.label {
            write!(f, " label {l}")?;
        }
        Ok(())
    }
}

/// What changed in the kernel, as seen on the rtnetlink multicast groups.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NetEvent {
    LinkUp {
        ifname: String,
        index: u32,
    },
    LinkDown {
        ifname: String,
        index: u32,
    },
    AddrAdded {
        index: u32,
        addr: IpAddr,
        prefix_len: u8,
    },
    AddrRemoved {
        index: u32,
        addr: IpAddr,
        prefix_len: u8,
    },
}

/// A rtnetlink connection and the task that drives it; dropping it stops the task.
pub struct NetHandle {
    pub(crate) handle: rtnetlink::Handle,
    conn: JoinHandle<()>,
    runtime: tokio::runtime::Handle,
}

impl Drop for NetHandle {
    fn drop(&mut self) {
        self.conn.abort();
    }
}

impl NetHandle {
    /// Opens a rtnetlink socket in the caller's network namespace and spawns its
    /// connection task on the current tokio runtime.
    pub async fn new() -> Result<NetHandle, NetcfgError> {
        let runtime = tokio::runtime::Handle::try_current()
            .map_err(|e| NetcfgError::NoRuntime(e.to_string()))?;
        let (conn, handle, _unsolicited) =
            rtnetlink::new_connection().map_err(NetcfgError::Socket)?;
        let conn = runtime.spawn(conn);
        Ok(NetHandle {
            handle,
            conn,
            runtime,
        })
    }

    /// The kernel's link message for `ifname`.
    pub(crate) async fn link_msg(&self, ifname: &str) -> Result<LinkMessage, NetcfgError> {
        let mut s = self
            .handle
            .link()
            .get()
            .match_name(ifname.to_string())
            .execute();
        match s.try_next().await {
            Ok(Some(m)) => Ok(m),
            Ok(None) => Err(NetcfgError::NoSuchLink(ifname.to_string())),
            Err(e) if errno(&e) == Some(Errno::ENODEV as i32) => {
                Err(NetcfgError::NoSuchLink(ifname.to_string()))
            }
            Err(e) => Err(NetcfgError::netlink(format!("get link {ifname}"), e)),
        }
    }

    pub async fn link_index(&self, ifname: &str) -> Result<u32, NetcfgError> {
        Ok(self.link_msg(ifname).await?.header.index)
    }

    /// Administratively up and with carrier. IFF_RUNNING is the kernel's "operationally
    /// up" (oper state UP, or UNKNOWN for drivers without carrier reporting such as
    /// dummy), which is what keepalived tracks too.
    pub async fn link_is_up(&self, ifname: &str) -> Result<bool, NetcfgError> {
        Ok(link_up(&self.link_msg(ifname).await?))
    }

    /// Every address on `ifname` (IPv4 and IPv6, including link-local), in kernel order.
    pub async fn addresses(&self, ifname: &str) -> Result<Vec<(IpAddr, u8)>, NetcfgError> {
        let msgs = self.address_msgs(ifname).await?;
        Ok(msgs.iter().filter_map(addr_of).collect())
    }

    pub(crate) async fn address_msgs(
        &self,
        ifname: &str,
    ) -> Result<Vec<AddressMessage>, NetcfgError> {
        let index = self.link_index(ifname).await?;
        self.handle
            .address()
            .get()
            .set_link_index_filter(index)
            .execute()
            .try_collect()
            .await
            .map_err(|e| NetcfgError::netlink(format!("list addresses of {ifname}"), e))
    }

    async fn find_vip(&self, v: &Vip) -> Result<Option<AddressMessage>, NetcfgError> {
        let msgs = self.address_msgs(&v.ifname).await?;
        Ok(msgs
            .into_iter()
            .find(|m| addr_of(m) == Some((v.addr, v.prefix_len))))
    }

    pub async fn has_vip(&self, v: &Vip) -> Result<bool, NetcfgError> {
        Ok(self.find_vip(v).await?.is_some())
    }

    /// Adds the VIP unless it is already there. `Ok(true)` if this call added it.
    pub async fn add_vip(&self, v: &Vip) -> Result<bool, NetcfgError> {
        check_label(v)?;
        if self.has_vip(v).await? {
            return Ok(false);
        }
        let index = self.link_index(&v.ifname).await?;
        let mut req = self.handle.address().add(index, v.addr, v.prefix_len);
        let msg = req.message_mut();
        match v.addr {
            IpAddr::V4(_) => {
                if let Some(l) = &v.label {
                    msg.attributes.push(AddressAttribute::Label(l.clone()));
                }
            }
            // A VIP moves between peers; duplicate address detection would hold it
            // "tentative" for a second after every failover, so skip it as keepalived does.
            IpAddr::V6(_) => {
                msg.header.flags |= AddressHeaderFlags::Nodad;
                msg.attributes
                    .push(AddressAttribute::Flags(AddressFlags::Nodad));
            }
        }
        match req.execute().await {
            Ok(()) => Ok(true),
            Err(e) if errno(&e) == Some(Errno::EEXIST as i32) => {
                // Lost a race with another writer, or the address is there with another
                // prefix (IPv6 allows one prefix per address).
                if self.has_vip(v).await? {
                    Ok(false)
                } else {
                    Err(NetcfgError::AddressConflict {
                        ifname: v.ifname.clone(),
                        addr: v.addr,
                    })
                }
            }
            Err(e) => Err(NetcfgError::netlink(format!("add {v}"), e)),
        }
    }

    /// Removes the VIP if present. `Ok(true)` if this call removed it.
    pub async fn remove_vip(&self, v: &Vip) -> Result<bool, NetcfgError> {
        let Some(msg) = self.find_vip(v).await? else {
            return Ok(false);
        };
        match self.handle.address().del(msg).execute().await {
            Ok(()) => Ok(true),
            Err(e) if errno(&e) == Some(Errno::EADDRNOTAVAIL as i32) => Ok(false),
            Err(e) => Err(NetcfgError::netlink(format!("remove {v}"), e)),
        }
    }

    /// Subscribes to link and IPv4/IPv6 address notifications. Subscribe before reading
    /// the state you want to follow, so nothing falls between the read and the first event.
    /// Link events are reported on change of up/down state (and once for the first
    /// message seen about a link); a deleted link is reported down. The stream ends when
    /// the receiver is dropped.
    pub fn watch(&self) -> Result<mpsc::Receiver<NetEvent>, NetcfgError> {
        let groups = [
            MulticastGroup::Link,
            MulticastGroup::Ipv4Ifaddr,
            MulticastGroup::Ipv6Ifaddr,
        ];
        let (conn, _handle, mut messages) =
            rtnetlink::new_multicast_connection(&groups).map_err(NetcfgError::Socket)?;
        let conn = self.runtime.spawn(conn);
        let (tx, rx) = mpsc::channel(WATCH_QUEUE);
        self.runtime.spawn(async move {
            let mut last_up: HashMap<u32, bool> = HashMap::new();
            while let Some((msg, _)) = messages.next().await {
                let NetlinkPayload::InnerMessage(m) = msg.payload else {
                    continue;
                };
                let Some(ev) = to_event(m, &mut last_up) else {
                    continue;
                };
                if tx.send(ev).await.is_err() {
                    break;
                }
            }
            conn.abort();
        });
        Ok(rx)
    }
}

fn link_up(m: &LinkMessage) -> bool {
    m.header.flags.contains(LinkFlags::Up) && m.header.flags.contains(LinkFlags::Running)
}

fn link_name(m: &LinkMessage) -> String {
    m.attributes
        .iter()
        .find_map(|a| match a {
            LinkAttribute::IfName(n) => Some(n.clone()),
            _ => None,
        })
        .unwrap_or_default()
}

/// The interface's own address: IFA_LOCAL for IPv4 (IFA_ADDRESS is the peer on
/// point-to-point links), IFA_ADDRESS otherwise.
pub(crate) fn addr_of(m: &AddressMessage) -> Option<(IpAddr, u8)> {
    let local = m.attributes.iter().find_map(|a| match a {
        AddressAttribute::Local(a) => Some(*a),
        _ => None,
    });
    let address = m.attributes.iter().find_map(|a| match a {
        AddressAttribute::Address(a) => Some(*a),
        _ => None,
    });
    local.or(address).map(|a| (a, m.header.prefix_len))
}

fn check_label(v: &Vip) -> Result<(), NetcfgError> {
    let Some(label) = &v.label else {
        return Ok(());
    };
    let bad = |reason| NetcfgError::InvalidLabel {
        ifname: v.ifname.clone(),
        label: label.clone(),
        reason,
    };
    if label.len() > IFNAMSIZ_MAX {
        return Err(bad("longer than 15 bytes"));
    }
    if !label.starts_with(v.ifname.as_str()) {
        return Err(bad("must start with the interface name"));
    }
    Ok(())
}

fn to_event(m: RouteNetlinkMessage, last_up: &mut HashMap<u32, bool>) -> Option<NetEvent> {
    match m {
        RouteNetlinkMessage::NewLink(l) => {
            let index = l.header.index;
            let up = link_up(&l);
            if last_up.insert(index, up) == Some(up) {
                return None;
            }
            let ifname = link_name(&l);
            Some(if up {
                NetEvent::LinkUp { ifname, index }
            } else {
                NetEvent::LinkDown { ifname, index }
            })
        }
        RouteNetlinkMessage::DelLink(l) => {
            let index = l.header.index;
            last_up.remove(&index);
            Some(NetEvent::LinkDown {
                ifname: link_name(&l),
                index,
            })
        }
        RouteNetlinkMessage::NewAddress(a) => {
            let (addr, prefix_len) = addr_of(&a)?;
            Some(NetEvent::AddrAdded {
                index: a.header.index,
                addr,
                prefix_len,
            })
        }
        RouteNetlinkMessage::DelAddress(a) => {
            let (addr, prefix_len) = addr_of(&a)?;
            Some(NetEvent::AddrRemoved {
                index: a.header.index,
                addr,
                prefix_len,
            })
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vip(label: Option<&str>) -> Vip {
        Vip {
            addr: "10.0.0.1".parse().unwrap(),
            prefix_len: 24,
            ifname: "eth0".into(),
            label: label.map(str::to_string),
        }
    }

    #[test]
    fn labels_follow_iproute2_rules() {
        assert!(check_label(&vip(None)).is_ok());
        assert!(check_label(&vip(Some("eth0:vip1"))).is_ok());
        assert!(check_label(&vip(Some("vip1"))).is_err());
        assert!(check_label(&vip(Some("eth0:0123456789ab"))).is_err());
    }

    #[test]
    fn vip_displays_like_ip_addr() {
        assert_eq!(
            vip(Some("eth0:v")).to_string(),
            "10.0.0.1/24 dev eth0 label eth0:v"
        );
    }
}
