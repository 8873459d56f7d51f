//! From a profile and an appliance config to the actions that make the kernel match, and
//! back to a readable diff. Planning reads the kernel and changes nothing; `execute` runs
//! the actions in dependency order (renames, links, ports, MTU/up, addresses, routes).
//! An action already satisfied is not planned, so a second apply is empty.

use std::collections::BTreeMap;
use std::fmt;
use std::net::IpAddr;

use crate::appliance::{BondMode, Cidr, NetworkConfig, RouteDest};
use crate::change::Change;
use crate::error::NetcfgError;
use crate::links::{route_text, LinkState, RouteState};
use crate::profile::Profile;
use crate::sysfs::SysRoot;
use crate::vip::NetHandle;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkKind {
    /// A NIC (or any existing link) netcfg configures but does not create.
    Existing,
    Vlan {
        parent: String,
        id: u16,
    },
    Bond {
        mode: BondMode,
        miimon: u32,
        members: Vec<String>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DesiredLink {
    pub name: String,
    pub kind: LinkKind,
    pub mtu: Option<u32>,
    pub up: bool,
    pub addrs: Vec<(Cidr, Option<String>)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DesiredRoute {
    pub dst: Option<Cidr>,
    pub via: Option<IpAddr>,
    pub dev: Option<String>,
    pub metric: Option<u32>,
}

/// The network state a profile + config asks for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Desired {
    /// (current kernel name, profile name) for NICs found by role.
    pub renames: Vec<(String, String)>,
    pub links: Vec<DesiredLink>,
    pub routes: Vec<DesiredRoute>,
    /// (profile name, combined queue count) for NICs found by role.
    pub channels: Vec<(String, u32)>,
}

impl Desired {
    /// Builds the desired state. `renames` come from matching the profile's NIC roles
    /// against the machine ([`crate::detect::resolve`]).
    pub fn build(
        profile: Option<&Profile>,
        cfg: &NetworkConfig,
        renames: Vec<(String, String)>,
    ) -> Desired {
        let mut links: Vec<DesiredLink> = Vec::new();
        let profile_mtu = |name: &str| {
            profile.and_then(|p| p.nics.iter().find(|n| n.name == name).and_then(|n| n.mtu))
        };
        let addrs = |v: &[crate::appliance::AddrEntry]| -> Vec<(Cidr, Option<String>)> {
            v.iter()
                .map(|a| (a.cidr(), a.label().map(str::to_string)))
                .collect()
        };
        let mut routes = Vec::new();
        if let Some(m) = &cfg.management {
            links.push(DesiredLink {
                name: m.interface.clone(),
                kind: LinkKind::Existing,
                mtu: m.mtu.or(profile_mtu(&m.interface)),
                up: true,
                // With DHCP the lease owns the address; netcfg only brings the link up.
                addrs: m.address.iter().map(|a| (*a, None)).collect(),
            });
            if let Some(g) = m.gateway {
                routes.push(DesiredRoute {
                    dst: None,
                    via: Some(g),
                    dev: Some(m.interface.clone()),
                    metric: None,
                });
            }
        }
        for b in &cfg.bonds {
            links.push(DesiredLink {
                name: b.name.clone(),
                kind: LinkKind::Bond {
                    mode: b.mode,
                    miimon: b.miimon,
                    members: b.members.clone(),
                },
                mtu: b.mtu,
                up: true,
                addrs: addrs(&b.addresses),
            });
        }
        for i in &cfg.interfaces {
            links.push(DesiredLink {
                name: i.name.clone(),
                kind: LinkKind::Existing,
                mtu: i.mtu.or(profile_mtu(&i.name)),
                up: i.up,
                addrs: addrs(&i.addresses),
            });
        }
        for v in &cfg.vlans {
            links.push(DesiredLink {
                name: v.name.clone(),
                kind: LinkKind::Vlan {
                    parent: v.parent.clone(),
                    id: v.id,
                },
                mtu: v.mtu,
                up: true,
                addrs: addrs(&v.addresses),
            });
        }
        for r in &cfg.routes {
            routes.push(DesiredRoute {
                dst: match r.to {
                    RouteDest::Default => None,
                    RouteDest::Net(c) => Some(c),
                },
                via: r.via,
                dev: r.dev.clone(),
                metric: r.metric,
            });
        }
        let channels = profile
            .map(|p| {
                p.nics
                    .iter()
                    .filter(|n| renames.iter().any(|(_, to)| *to == n.name))
                    .filter_map(|n| n.queues.map(|q| (n.name.clone(), q)))
                    .collect()
            })
            .unwrap_or_default();
        Desired {
            renames,
            links,
            routes,
            channels,
        }
    }
}

/// One step towards the desired state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    Rename {
        from: String,
        to: String,
    },
    DeleteLink {
        name: String,
        why: String,
    },
    CreateVlan {
        name: String,
        parent: String,
        id: u16,
    },
    CreateBond {
        name: String,
        mode: BondMode,
        miimon: u32,
    },
    Enslave {
        member: String,
        bond: String,
    },
    SetChannels {
        name: String,
        from: u32,
        to: u32,
    },
    SetMtu {
        name: String,
        from: Option<u32>,
        to: u32,
    },
    SetUp {
        name: String,
    },
    AddAddr {
        dev: String,
        cidr: Cidr,
        label: Option<String>,
    },
    DelAddr {
        dev: String,
        cidr: Cidr,
    },
    AddRoute {
        route: DesiredRoute,
    },
    DelRoute {
        route: RouteState,
    },
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.change())
    }
}

impl Action {
    pub fn change(&self) -> Change {
        match self {
            Action::Rename { from, to } => Change::set("link name", from, to),
            Action::DeleteLink { name, why } => Change::remove(format!("link {name} ({why})")),
            Action::CreateVlan { name, parent, id } => {
                Change::add(format!("link {name} type vlan id {id} link {parent}"))
            }
            Action::CreateBond { name, mode, miimon } => Change::add(format!(
                "link {name} type bond mode {mode:?} miimon {miimon}"
            )),
            Action::Enslave { member, bond } => Change::add(format!("link {member} master {bond}")),
            Action::SetMtu { name, from, to } => Change::set(
                format!("link {name} mtu"),
                from.map_or("-".to_string(), |m| m.to_string()),
                to.to_string(),
            ),
            Action::SetChannels { name, from, to } => Change::set(
                format!("link {name} combined channels"),
                from.to_string(),
                to.to_string(),
            ),
            Action::SetUp { name } => Change::set(format!("link {name} state"), "down", "up"),
            Action::AddAddr { dev, cidr, label } => Change::add(match label {
                Some(l) => format!("addr {cidr} dev {dev} label {l}"),
                None => format!("addr {cidr} dev {dev}"),
            }),
            Action::DelAddr { dev, cidr } => Change::remove(format!("addr {cidr} dev {dev}")),
            Action::AddRoute { route } => Change::add(format!("route {}", desired_text(route))),
            Action::DelRoute { route } => Change::remove(format!("route {}", route_text(route))),
        }
    }
}

/// The metric the kernel gives a route added without one: 0 for IPv4, 1024 for IPv6.
fn default_metric(r: &DesiredRoute) -> u32 {
    let v6 = r
        .dst
        .map(|c| c.addr.is_ipv6())
        .or(r.via.map(|v| v.is_ipv6()))
        .unwrap_or(false);
    if v6 {
        1024
    } else {
        0
    }
}

fn desired_text(r: &DesiredRoute) -> String {
    let mut s = route_text(&RouteState {
        dst: r.dst,
        via: r.via,
        oif: None,
        metric: r.metric,
        ours: true,
    });
    if let Some(d) = &r.dev {
        s.push_str(&format!(" dev {d}"));
    }
    s
}

/// Compares the kernel with `d` and lists the actions that would make them equal.
pub async fn plan(net: &NetHandle, d: &Desired) -> Result<Vec<Action>, NetcfgError> {
    let mut cur: BTreeMap<String, LinkState> = net
        .links()
        .await?
        .into_iter()
        .map(|l| (l.name.clone(), l))
        .collect();
    let mut actions = Vec::new();
    for (from, to) in &d.renames {
        if from != to && !cur.contains_key(to) {
            if let Some(mut l) = cur.remove(from) {
                actions.push(Action::Rename {
                    from: from.clone(),
                    to: to.clone(),
                });
                l.name = to.clone();
                cur.insert(to.clone(), l);
            }
        }
    }
    let index_of = |cur: &BTreeMap<String, LinkState>, n: &str| cur.get(n).map(|l| l.index);
    for l in &d.links {
        let existing = cur.get(&l.name);
        match &l.kind {
            LinkKind::Existing => {
                if existing.is_none() {
                    return Err(NetcfgError::NoSuchLink(l.name.clone()));
                }
            }
            LinkKind::Vlan { parent, id } => {
                let want_parent = index_of(&cur, parent);
                let ok = existing.is_some_and(|e| {
                    e.vlan
                        .is_some_and(|(p, v)| v == *id && Some(p) == want_parent)
                });
                if existing.is_some() && !ok {
                    actions.push(Action::DeleteLink {
                        name: l.name.clone(),
                        why: format!("not vlan {id} on {parent}"),
                    });
                }
                if !ok {
                    if want_parent.is_none() && !d.links.iter().any(|x| &x.name == parent) {
                        return Err(NetcfgError::NoSuchLink(parent.clone()));
                    }
                    actions.push(Action::CreateVlan {
                        name: l.name.clone(),
                        parent: parent.clone(),
                        id: *id,
                    });
                }
            }
            LinkKind::Bond {
                mode,
                miimon,
                members,
            } => {
                let bond_idx = existing
                    .filter(|e| e.kind.as_deref() == Some("bond"))
                    .map(|e| e.index);
                if existing.is_some() && bond_idx.is_none() {
                    actions.push(Action::DeleteLink {
                        name: l.name.clone(),
                        why: "not a bond".into(),
                    });
                }
                if bond_idx.is_none() {
                    actions.push(Action::CreateBond {
                        name: l.name.clone(),
                        mode: *mode,
                        miimon: *miimon,
                    });
                }
                for m in members {
                    let Some(ml) = cur.get(m) else {
                        return Err(NetcfgError::NoSuchLink(m.clone()));
                    };
                    if bond_idx.is_none() || ml.controller != bond_idx {
                        actions.push(Action::Enslave {
                            member: m.clone(),
                            bond: l.name.clone(),
                        });
                    }
                }
            }
        }
        let fresh = !matches!(l.kind, LinkKind::Existing)
            && actions.iter().any(|a| matches!(a, Action::CreateVlan { name, .. } | Action::CreateBond { name, .. } if *name == l.name));
        let state = if fresh { None } else { cur.get(&l.name) };
        if let Some(mtu) = l.mtu {
            if state.map(|s| s.mtu) != Some(mtu) {
                actions.push(Action::SetMtu {
                    name: l.name.clone(),
                    from: state.map(|s| s.mtu),
                    to: mtu,
                });
            }
        }
        if l.up && !state.is_some_and(|s| s.up) {
            actions.push(Action::SetUp {
                name: l.name.clone(),
            });
        }
        let have = match state {
            Some(_)
                if !actions
                    .iter()
                    .any(|a| matches!(a, Action::Rename { to, .. } if *to == l.name)) =>
            {
                net.address_states(&l.name).await?
            }
            // Renamed links are read under their current name.
            Some(_) => {
                let from = d
                    .renames
                    .iter()
                    .find(|(_, to)| *to == l.name)
                    .map(|(f, _)| f.clone());
                match from {
                    Some(f) => net.address_states(&f).await?,
                    None => Vec::new(),
                }
            }
            None => Vec::new(),
        };
        for (cidr, label) in &l.addrs {
            let present = have.iter().find(|a| a.cidr == *cidr);
            let label_ok = |a: &crate::links::AddrState| {
                !cidr.addr.is_ipv4() || label.is_none() || a.label == *label
            };
            match present {
                Some(a) if label_ok(a) => {}
                Some(_) => {
                    actions.push(Action::DelAddr {
                        dev: l.name.clone(),
                        cidr: *cidr,
                    });
                    actions.push(Action::AddAddr {
                        dev: l.name.clone(),
                        cidr: *cidr,
                        label: label.clone(),
                    });
                }
                None => actions.push(Action::AddAddr {
                    dev: l.name.clone(),
                    cidr: *cidr,
                    label: label.clone(),
                }),
            }
        }
        for a in have.iter().filter(|a| a.ours) {
            if !l.addrs.iter().any(|(c, _)| *c == a.cidr) {
                actions.push(Action::DelAddr {
                    dev: l.name.clone(),
                    cidr: a.cidr,
                });
            }
        }
    }
    for (name, want) in &d.channels {
        // Before a planned rename runs, the NIC still has its kernel name.
        let now = actions
            .iter()
            .find_map(|a| match a {
                Action::Rename { from, to } if to == name => Some(from),
                _ => None,
            })
            .unwrap_or(name);
        if let Some(c) = crate::channels::get(now).await? {
            if c.combined_max > 0 && *want > c.combined_max {
                return Err(NetcfgError::Ethtool {
                    op: format!("plan {name} channels"),
                    reason: format!(
                        "profile asks {want} combined queues, the NIC has at most {}",
                        c.combined_max
                    ),
                });
            }
            if c.combined != *want {
                actions.push(Action::SetChannels {
                    name: name.clone(),
                    from: c.combined,
                    to: *want,
                });
            }
        }
    }
    let routes = net.routes().await?;
    let matches = |want: &DesiredRoute, have: &RouteState| {
        want.dst == have.dst
            && want.via == have.via
            && want.metric.unwrap_or(default_metric(want)) == have.metric.unwrap_or(0)
            && want
                .dev
                .as_ref()
                .is_none_or(|dev| index_of(&cur, dev).is_some_and(|i| have.oif == Some(i)))
            && want
                .dst
                .map_or(want.via.map(|v| v.is_ipv4()), |c| Some(c.addr.is_ipv4()))
                == have
                    .dst
                    .map_or(have.via.map(|v| v.is_ipv4()), |c| Some(c.addr.is_ipv4()))
    };
    for want in &d.routes {
        if !routes.iter().any(|h| matches(want, h)) {
            actions.push(Action::AddRoute {
                route: want.clone(),
            });
        }
    }
    for have in routes.iter().filter(|r| r.ours) {
        if !d.routes.iter().any(|w| matches(w, have)) {
            actions.push(Action::DelRoute {
                route: have.clone(),
            });
        }
    }
    // Dependency order: links exist and are up before addresses; addresses before routes.
    actions.sort_by_key(|a| match a {
        Action::Rename { .. } => 0,
        Action::DeleteLink { .. } => 1,
        Action::CreateBond { .. } => 2,
        Action::CreateVlan { .. } => 3,
        Action::Enslave { .. } => 4,
        Action::SetMtu { .. } => 5,
        Action::SetChannels { .. } => 5,
        Action::SetUp { .. } => 6,
        Action::DelRoute { .. } => 7,
        Action::DelAddr { .. } => 8,
        Action::AddAddr { .. } => 9,
        Action::AddRoute { .. } => 10,
    });
    Ok(actions)
}

/// Runs `actions` in order; stops at the first failure (later steps depend on earlier).
pub async fn execute(net: &NetHandle, actions: &[Action]) -> Result<Vec<Change>, NetcfgError> {
    let mut done = Vec::new();
    for a in actions {
        match a {
            Action::Rename { from, to } => net.rename_link(from, to).await?,
            Action::DeleteLink { name, .. } => net.delete_link(name).await?,
            Action::CreateVlan { name, parent, id } => net.add_vlan(name, parent, *id).await?,
            Action::CreateBond { name, mode, miimon } => net.add_bond(name, *mode, *miimon).await?,
            Action::Enslave { member, bond } => net.enslave(member, bond).await?,
            Action::SetMtu { name, to, .. } => net.set_mtu(name, *to).await?,
            Action::SetChannels { name, to, .. } => {
                crate::channels::set_combined(name, *to).await?
            }
            Action::SetUp { name } => net.set_up(name, true).await?,
            Action::AddAddr { dev, cidr, label } => {
                net.add_address(dev, *cidr, label.as_deref()).await?;
            }
            Action::DelAddr { dev, cidr } => {
                net.remove_address(dev, *cidr).await?;
            }
            Action::AddRoute { route } => {
                let oif = match &route.dev {
                    Some(d) => Some(net.link_index(d).await?),
                    None => None,
                };
                net.add_route(&RouteState {
                    dst: route.dst,
                    via: route.via,
                    oif,
                    metric: route.metric,
                    ours: true,
                })
                .await?;
            }
            Action::DelRoute { route } => {
                net.remove_route(route).await?;
            }
        }
        done.push(a.change());
    }
    Ok(done)
}

/// The procfs/sysfs/etc side: sysctls (profile + hostname), IRQ/RPS/XPS pinning,
/// resolv.conf. Errors are per file; the rest still applies.
pub fn system_changes(
    sys: &SysRoot,
    profile: Option<&Profile>,
    hostname: Option<&str>,
    cfg: &NetworkConfig,
    dry_run: bool,
) -> (Vec<Change>, Vec<NetcfgError>) {
    let mut sysctls = profile.map(|p| p.sysctl.clone()).unwrap_or_default();
    if let Some(p) = profile.filter(|p| p.steering.rfs_flow_entries > 0) {
        // RFS's global flow table; per-queue rps_flow_cnt is left at the driver default.
        sysctls
            .entry("net.core.rps_sock_flow_entries".into())
            .or_insert_with(|| p.steering.rfs_flow_entries.to_string());
    }
    if let Some(h) = hostname {
        sysctls.insert("kernel.hostname".into(), h.to_string());
    }
    let (mut changes, mut errors) = crate::sysctl::apply(sys, &sysctls, dry_run);
    if let Some(p) = profile {
        match crate::pinning::Pinning::read(sys, p) {
            Ok(pin) => {
                let (c, e) = pin.apply(sys, dry_run);
                changes.extend(c);
                errors.extend(e);
            }
            Err(e) => errors.push(e),
        }
    }
    if !cfg.dns.servers.is_empty() {
        let mut text = String::from("# written by netcfg from appliance.toml\n");
        for s in &cfg.dns.servers {
            text.push_str(&format!("nameserver {s}\n"));
        }
        if !cfg.dns.search.is_empty() {
            text.push_str(&format!("search {}\n", cfg.dns.search.join(" ")));
        }
        let rel = "etc/resolv.conf";
        let cur = sys.read(rel).unwrap_or_default();
        if cur != text {
            changes.push(Change::set(
                "etc/resolv.conf",
                format!("{} lines", cur.lines().count()),
                format!(
                    "nameservers {}",
                    cfg.dns
                        .servers
                        .iter()
                        .map(|s| s.to_string())
                        .collect::<Vec<_>>()
                        .join(" ")
                ),
            ));
            if !dry_run {
                if let Err(e) = write_atomic(&sys.path(rel), &text) {
                    errors.push(e);
                }
            }
        }
    }
    (changes, errors)
}

/// write-temp, fsync, rename: a power cut leaves the old file or the new one.
fn write_atomic(path: &std::path::Path, text: &str) -> Result<(), NetcfgError> {
    use std::io::Write;
    let tmp = path.with_extension("netcfg-tmp");
    let mut f = std::fs::File::create(&tmp).map_err(|e| NetcfgError::file(&tmp, e))?;
    f.write_all(text.as_bytes())
        .map_err(|e| NetcfgError::file(&tmp, e))?;
    f.sync_all().map_err(|e| NetcfgError::file(&tmp, e))?;
    std::fs::rename(&tmp, path).map_err(|e| NetcfgError::file(path, e))
}

/// (current name, profile name) for every profile NIC role found on this machine.
pub fn renames_for(profile: &Profile, sys: &SysRoot) -> Vec<(String, String)> {
    let nics = sys.nics().unwrap_or_default();
    profile
        .nics
        .iter()
        .filter_map(|r| {
            crate::detect::resolve(r, &nics).map(|n| (n.ifname.clone(), r.name.clone()))
        })
        .collect()
}
