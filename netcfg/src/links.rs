//! Links, addresses and routes through rtnetlink: the primitive, idempotent operations
//! `plan`/`apply` compose. Addresses and routes netcfg creates carry protocol number
//! [`RAMPART_PROTO`], so a later apply removes only what netcfg itself put there and never
//! a VIP added by keepalived-rs, a DHCP lease or a kernel route.

use std::net::IpAddr;

use futures_util::TryStreamExt;
use nix::errno::Errno;
use rtnetlink::packet_route::address::{AddressAttribute, AddressMessage, AddressProtocol};
use rtnetlink::packet_route::link::{
    BondMode as NlBondMode, InfoData, InfoVlan, LinkAttribute, LinkFlags, LinkInfo, LinkMessage,
};
use rtnetlink::packet_route::route::{
    RouteAddress, RouteAttribute, RouteMessage, RouteProtocol, RouteType,
};
use rtnetlink::packet_route::AddressFamily;
use rtnetlink::{LinkBond, LinkUnspec, LinkVlan, RouteMessageBuilder};

use crate::appliance::{BondMode, Cidr};
use crate::error::{errno, NetcfgError};
use crate::vip::{addr_of, NetHandle};

/// IFA_PROTO / RTM protocol value marking addresses and routes owned by netcfg
/// (`ip` shows it as `proto 82`).
pub const RAMPART_PROTO: u8 = 82;

const RT_TABLE_MAIN: u8 = 254;

/// A link as the kernel reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkState {
    pub index: u32,
    pub name: String,
    /// `vlan`, `bond`, `veth`, ... (`None` for plain hardware).
    pub kind: Option<String>,
    pub mtu: u32,
    /// Administratively up (IFF_UP).
    pub up: bool,
    /// Has carrier / operationally up (IFF_RUNNING).
    pub running: bool,
    /// Index of the bond (or bridge) this link is a member of.
    pub controller: Option<u32>,
    /// (parent index, VLAN id) for VLAN links.
    pub vlan: Option<(u32, u16)>,
    pub mac: Option<String>,
}

/// An address on a link, with its label and whether netcfg owns it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddrState {
    pub cidr: Cidr,
    pub label: Option<String>,
    pub ours: bool,
}

/// A route in the main table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteState {
    /// `None` for the default route.
    pub dst: Option<Cidr>,
    pub via: Option<IpAddr>,
    pub oif: Option<u32>,
    pub metric: Option<u32>,
    pub ours: bool,
}

fn link_state(m: &LinkMessage) -> LinkState {
    let mut s = LinkState {
        index: m.header.index,
        name: String::new(),
        kind: None,
        mtu: 0,
        up: m.header.flags.contains(LinkFlags::Up),
        running: m.header.flags.contains(LinkFlags::Running),
        controller: None,
        vlan: None,
        mac: None,
    };
    let mut parent = None;
    let mut vid = None;
    for a in &m.attributes {
        match a {
            LinkAttribute::IfName(n) => s.name = n.clone(),
            LinkAttribute::Mtu(v) => s.mtu = *v,
            LinkAttribute::Controller(c) => s.controller = Some(*c),
            LinkAttribute::Link(l) => parent = Some(*l),
            LinkAttribute::Address(mac) if mac.len() == 6 => {
                s.mac = Some(
                    mac.iter()
                        .map(|b| format!("{b:02x}"))
                        .collect::<Vec<_>>()
                        .join(":"),
                )
            }
            LinkAttribute::LinkInfo(infos) => {
                for i in infos {
                    match i {
                        LinkInfo::Kind(k) => s.kind = Some(k.to_string()),
                        LinkInfo::Data(InfoData::Vlan(v)) => {
                            vid = v.iter().find_map(|x| match x {
                                InfoVlan::Id(id) => Some(*id),
                                _ => None,
                            })
                        }
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }
    if s.kind.as_deref() == Some("vlan") {
        if let (Some(p), Some(v)) = (parent, vid) {
            s.vlan = Some((p, v));
        }
    }
    s
}

fn nl_mode(m: BondMode) -> NlBondMode {
    match m {
        BondMode::BalanceRr => NlBondMode::BalanceRr,
        BondMode::ActiveBackup => NlBondMode::ActiveBackup,
        BondMode::BalanceXor => NlBondMode::BalanceXor,
        BondMode::Broadcast => NlBondMode::Broadcast,
        BondMode::Lacp => NlBondMode::Ieee8023Ad,
        BondMode::BalanceTlb => NlBondMode::BalanceTlb,
        BondMode::BalanceAlb => NlBondMode::BalanceAlb,
    }
}

impl NetHandle {
    pub async fn links(&self) -> Result<Vec<LinkState>, NetcfgError> {
        let msgs: Vec<LinkMessage> = self
            .handle
            .link()
            .get()
            .execute()
            .try_collect()
            .await
            .map_err(|e| NetcfgError::netlink("list links", e))?;
        Ok(msgs.iter().map(link_state).collect())
    }

    pub async fn link(&self, ifname: &str) -> Result<LinkState, NetcfgError> {
        Ok(link_state(&self.link_msg(ifname).await?))
    }

    async fn set(&self, what: String, msg: LinkMessage) -> Result<(), NetcfgError> {
        self.handle
            .link()
            .set(msg)
            .execute()
            .await
            .map_err(|e| NetcfgError::netlink(what, e))
    }

    pub async fn set_up(&self, ifname: &str, up: bool) -> Result<(), NetcfgError> {
        let index = self.link_index(ifname).await?;
        let b = LinkUnspec::new_with_index(index);
        let b = if up { b.up() } else { b.down() };
        self.set(
            format!("set {ifname} {}", if up { "up" } else { "down" }),
            b.build(),
        )
        .await
    }

    pub async fn set_mtu(&self, ifname: &str, mtu: u32) -> Result<(), NetcfgError> {
        let index = self.link_index(ifname).await?;
        self.set(
            format!("set {ifname} mtu {mtu}"),
            LinkUnspec::new_with_index(index).mtu(mtu).build(),
        )
        .await
    }

    /// Renames a link. The kernel only renames links that are down, so an up link is taken
    /// down for the rename and brought back up.
    pub async fn rename_link(&self, from: &str, to: &str) -> Result<(), NetcfgError> {
        let l = self.link(from).await?;
        if l.up {
            self.set_up(from, false).await?;
        }
        self.set(
            format!("rename {from} to {to}"),
            LinkUnspec::new_with_index(l.index)
                .name(to.to_string())
                .build(),
        )
        .await?;
        if l.up {
            self.set_up(to, true).await?;
        }
        Ok(())
    }

    pub async fn add_vlan(&self, name: &str, parent: &str, id: u16) -> Result<(), NetcfgError> {
        let p = self.link_index(parent).await?;
        self.handle
            .link()
            .add(LinkVlan::new(name, p, id).build())
            .execute()
            .await
            .map_err(|e| NetcfgError::netlink(format!("add vlan {name} (id {id} on {parent})"), e))
    }

    pub async fn add_bond(
        &self,
        name: &str,
        mode: BondMode,
        miimon: u32,
    ) -> Result<(), NetcfgError> {
        self.handle
            .link()
            .add(
                LinkBond::new(name)
                    .mode(nl_mode(mode))
                    .miimon(miimon)
                    .build(),
            )
            .execute()
            .await
            .map_err(|e| NetcfgError::netlink(format!("add bond {name}"), e))
    }

    /// Makes `member` a port of `bond`. The kernel wants ports down while enslaving.
    pub async fn enslave(&self, member: &str, bond: &str) -> Result<(), NetcfgError> {
        let b = self.link_index(bond).await?;
        let m = self.link(member).await?;
        if m.up {
            self.set_up(member, false).await?;
        }
        self.set(
            format!("set {member} master {bond}"),
            LinkUnspec::new_with_index(m.index).controller(b).build(),
        )
        .await?;
        self.set_up(member, true).await
    }

    pub async fn delete_link(&self, ifname: &str) -> Result<(), NetcfgError> {
        let index = self.link_index(ifname).await?;
        self.handle
            .link()
            .del(index)
            .execute()
            .await
            .map_err(|e| NetcfgError::netlink(format!("delete {ifname}"), e))
    }

    pub async fn address_states(&self, ifname: &str) -> Result<Vec<AddrState>, NetcfgError> {
        let msgs = self.address_msgs(ifname).await?;
        Ok(msgs
            .iter()
            .filter_map(|m| {
                let (addr, prefix_len) = addr_of(m)?;
                Some(AddrState {
                    cidr: Cidr { addr, prefix_len },
                    label: label_of(m).map(str::to_string),
                    ours: is_ours(m),
                })
            })
            .collect())
    }

    /// Adds an address owned by netcfg. `Ok(false)` if it was already there.
    pub async fn add_address(
        &self,
        ifname: &str,
        cidr: Cidr,
        label: Option<&str>,
    ) -> Result<bool, NetcfgError> {
        let cur = self.address_states(ifname).await?;
        if cur.iter().any(|a| a.cidr == cidr) {
            return Ok(false);
        }
        let index = self.link_index(ifname).await?;
        let mut req = self.handle.address().add(index, cidr.addr, cidr.prefix_len);
        let msg = req.message_mut();
        msg.attributes
            .push(AddressAttribute::Protocol(AddressProtocol::Other(
                RAMPART_PROTO,
            )));
        if let (Some(l), true) = (label, cidr.addr.is_ipv4()) {
            msg.attributes.push(AddressAttribute::Label(l.to_string()));
        }
        match req.execute().await {
            Ok(()) => Ok(true),
            Err(e) if errno(&e) == Some(Errno::EEXIST as i32) => Ok(false),
            Err(e) => Err(NetcfgError::netlink(format!("add {cidr} dev {ifname}"), e)),
        }
    }

    /// Removes an address. `Ok(false)` if it was not there.
    pub async fn remove_address(&self, ifname: &str, cidr: Cidr) -> Result<bool, NetcfgError> {
        let msgs = self.address_msgs(ifname).await?;
        let Some(m) = msgs
            .into_iter()
            .find(|m| addr_of(m) == Some((cidr.addr, cidr.prefix_len)))
        else {
            return Ok(false);
        };
        match self.handle.address().del(m).execute().await {
            Ok(()) => Ok(true),
            Err(e) if errno(&e) == Some(Errno::EADDRNOTAVAIL as i32) => Ok(false),
            Err(e) => Err(NetcfgError::netlink(
                format!("remove {cidr} dev {ifname}"),
                e,
            )),
        }
    }

    /// Unicast routes of the main table, IPv4 and IPv6.
    pub async fn routes(&self) -> Result<Vec<RouteState>, NetcfgError> {
        let mut out = Vec::new();
        for q in [
            RouteMessageBuilder::<std::net::Ipv4Addr>::new().build(),
            RouteMessageBuilder::<std::net::Ipv6Addr>::new().build(),
        ] {
            let msgs: Vec<RouteMessage> = self
                .handle
                .route()
                .get(q)
                .execute()
                .try_collect()
                .await
                .map_err(|e| NetcfgError::netlink("list routes", e))?;
            out.extend(msgs.iter().filter_map(route_state));
        }
        Ok(out)
    }

    fn route_msg(&self, r: &RouteState) -> Result<RouteMessage, NetcfgError> {
        let bad = |e: String| NetcfgError::InvalidRoute(format!("{}: {e}", route_text(r)));
        let family_addr = r
            .dst
            .map(|c| c.addr)
            .or(r.via)
            .unwrap_or(IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED));
        let (dst, plen) = match r.dst {
            Some(c) => (c.addr, c.prefix_len),
            None if family_addr.is_ipv4() => (IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED), 0),
            None => (IpAddr::V6(std::net::Ipv6Addr::UNSPECIFIED), 0),
        };
        let mut b = RouteMessageBuilder::<IpAddr>::new()
            .destination_prefix(dst, plen)
            .map_err(|e| bad(e.to_string()))?
            .protocol(RouteProtocol::Other(RAMPART_PROTO));
        if let Some(v) = r.via {
            b = b.gateway(v).map_err(|e| bad(e.to_string()))?;
        }
        if let Some(o) = r.oif {
            b = b.output_interface(o);
        }
        if let Some(m) = r.metric {
            b = b.priority(m);
        }
        Ok(b.build())
    }

    pub async fn add_route(&self, r: &RouteState) -> Result<bool, NetcfgError> {
        let msg = self.route_msg(r)?;
        match self.handle.route().add(msg).execute().await {
            Ok(()) => Ok(true),
            Err(e) if errno(&e) == Some(Errno::EEXIST as i32) => Ok(false),
            Err(e) => Err(NetcfgError::netlink(
                format!("add route {}", route_text(r)),
                e,
            )),
        }
    }

    pub async fn remove_route(&self, r: &RouteState) -> Result<bool, NetcfgError> {
        let msg = self.route_msg(r)?;
        match self.handle.route().del(msg).execute().await {
            Ok(()) => Ok(true),
            Err(e) if errno(&e) == Some(Errno::ESRCH as i32) => Ok(false),
            Err(e) => Err(NetcfgError::netlink(
                format!("remove route {}", route_text(r)),
                e,
            )),
        }
    }
}

/// `default via 192.0.2.1` / `10.0.0.0/8 via 192.0.2.1 metric 10`, as `ip route` says it.
pub fn route_text(r: &RouteState) -> String {
    let mut s = match r.dst {
        Some(c) => c.to_string(),
        None => "default".to_string(),
    };
    if let Some(v) = r.via {
        s.push_str(&format!(" via {v}"));
    }
    if let Some(m) = r.metric {
        s.push_str(&format!(" metric {m}"));
    }
    s
}

fn is_ours(m: &AddressMessage) -> bool {
    m.attributes
        .iter()
        .any(|a| matches!(a, AddressAttribute::Protocol(AddressProtocol::Other(p)) if *p == RAMPART_PROTO))
}

fn label_of(m: &AddressMessage) -> Option<&str> {
    m.attributes.iter().find_map(|a| match a {
        AddressAttribute::Label(l) => Some(l.as_str()),
        _ => None,
    })
}

fn route_state(m: &RouteMessage) -> Option<RouteState> {
    let h = &m.header;
    if h.kind != RouteType::Unicast || h.table != RT_TABLE_MAIN {
        return None;
    }
    let mut r = RouteState {
        dst: None,
        via: None,
        oif: None,
        metric: None,
        ours: h.protocol == RouteProtocol::Other(RAMPART_PROTO),
    };
    for a in &m.attributes {
        match a {
            RouteAttribute::Destination(d) => {
                r.dst = ip_of(d).map(|addr| Cidr {
                    addr,
                    prefix_len: h.destination_prefix_length,
                })
            }
            RouteAttribute::Gateway(g) => r.via = ip_of(g),
            RouteAttribute::Oif(o) => r.oif = Some(*o),
            RouteAttribute::Priority(p) => r.metric = Some(*p),
            _ => {}
        }
    }
    if r.dst.is_none() && h.destination_prefix_length != 0 {
        return None;
    }
    // A default route has no RTA_DST; keep the family through the gateway.
    if r.dst.is_none() && r.via.is_none() && h.address_family != AddressFamily::Inet {
        return None;
    }
    Some(r)
}

fn ip_of(a: &RouteAddress) -> Option<IpAddr> {
    match a {
        RouteAddress::Inet(v) => Some(IpAddr::V4(*v)),
        RouteAddress::Inet6(v) => Some(IpAddr::V6(*v)),
        _ => None,
    }
}
