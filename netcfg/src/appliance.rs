//! The network part of `/config/appliance.toml`: hostname, management address (static or
//! DHCP), traffic interfaces and their addresses, VLANs, bonds, routes, DNS. Other
//! top-level sections belong to other components and are ignored here; inside `[network]`
//! every key is checked.

use std::collections::HashSet;
use std::fmt;
use std::net::IpAddr;
use std::path::Path;
use std::str::FromStr;

use serde::Deserialize;

use crate::diag::{line_in_table, parse_toml, ConfigError};
use crate::profile::valid_ifname;

/// An address with its prefix length, `192.0.2.10/24` or `2001:db8::1/64`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Cidr {
    pub addr: IpAddr,
    pub prefix_len: u8,
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix_len)
    }
}

impl FromStr for Cidr {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let bad = |why: &str| format!("bad CIDR {s:?}: {why}");
        let (a, p) = s
            .split_once('/')
            .ok_or_else(|| bad("want address/prefix"))?;
        let addr: IpAddr = a.parse().map_err(|_| bad("not an IP address"))?;
        let prefix_len: u8 = p.parse().map_err(|_| bad("prefix is not a number"))?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        if prefix_len > max {
            return Err(bad(&format!("prefix longer than {max}")));
        }
        Ok(Cidr { addr, prefix_len })
    }
}

impl<'de> Deserialize<'de> for Cidr {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d)?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}

/// Only what netcfg reads; the rest of appliance.toml is other components' business.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
pub struct ApplianceFile {
    pub hostname: Option<String>,
    #[serde(default)]
    pub network: NetworkConfig,
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct NetworkConfig {
    pub management: Option<Management>,
    #[serde(default, rename = "interface")]
    pub interfaces: Vec<Interface>,
    #[serde(default, rename = "vlan")]
    pub vlans: Vec<Vlan>,
    #[serde(default, rename = "bond")]
    pub bonds: Vec<Bond>,
    #[serde(default, rename = "route")]
    pub routes: Vec<Route>,
    #[serde(default)]
    pub dns: Dns,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Management {
    pub interface: String,
    /// Run DHCP on the management interface (busybox udhcpc, started by the supervisor).
    #[serde(default)]
    pub dhcp: bool,
    pub address: Option<Cidr>,
    pub gateway: Option<IpAddr>,
    pub mtu: Option<u32>,
}

/// An address, bare (`"192.0.2.1/24"`) or with a label
/// (`{ address = "192.0.2.2/24", label = "tr0:web" }`).
#[derive(Debug, Clone, PartialEq)]
pub enum AddrEntry {
    Plain(Cidr),
    Labelled { address: Cidr, label: String },
}

impl<'de> Deserialize<'de> for AddrEntry {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        // Parse the shape first and the CIDR second, so a bad CIDR says so instead of
        // "did not match any variant".
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Plain(String),
            Labelled { address: String, label: String },
        }
        let cidr = |s: &str| s.parse::<Cidr>().map_err(serde::de::Error::custom);
        match Raw::deserialize(d)? {
            Raw::Plain(s) => Ok(AddrEntry::Plain(cidr(&s)?)),
            Raw::Labelled { address, label } => Ok(AddrEntry::Labelled {
                address: cidr(&address)?,
                label,
            }),
        }
    }
}

impl AddrEntry {
    pub fn cidr(&self) -> Cidr {
        match self {
            AddrEntry::Plain(c) => *c,
            AddrEntry::Labelled { address, .. } => *address,
        }
    }

    pub fn label(&self) -> Option<&str> {
        match self {
            AddrEntry::Plain(_) => None,
            AddrEntry::Labelled { label, .. } => Some(label),
        }
    }
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Interface {
    pub name: String,
    pub mtu: Option<u32>,
    #[serde(default = "yes")]
    pub up: bool,
    #[serde(default)]
    pub addresses: Vec<AddrEntry>,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Vlan {
    pub name: String,
    pub parent: String,
    pub id: u16,
    pub mtu: Option<u32>,
    #[serde(default)]
    pub addresses: Vec<AddrEntry>,
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum BondMode {
    BalanceRr,
    ActiveBackup,
    BalanceXor,
    Broadcast,
    #[serde(rename = "802.3ad")]
    Lacp,
    BalanceTlb,
    BalanceAlb,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Bond {
    pub name: String,
    pub mode: BondMode,
    pub members: Vec<String>,
    #[serde(default = "default_miimon")]
    pub miimon: u32,
    pub mtu: Option<u32>,
    #[serde(default)]
    pub addresses: Vec<AddrEntry>,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Route {
    /// `"default"` or a CIDR.
    pub to: RouteDest,
    pub via: Option<IpAddr>,
    pub dev: Option<String>,
    pub metric: Option<u32>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RouteDest {
    Default,
    Net(Cidr),
}

impl<'de> Deserialize<'de> for RouteDest {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        if s == "default" {
            Ok(RouteDest::Default)
        } else {
            s.parse()
                .map(RouteDest::Net)
                .map_err(serde::de::Error::custom)
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Dns {
    #[serde(default)]
    pub servers: Vec<IpAddr>,
    #[serde(default)]
    pub search: Vec<String>,
}

fn yes() -> bool {
    true
}

fn default_miimon() -> u32 {
    100
}

impl ApplianceFile {
    pub fn load(path: &Path) -> Result<ApplianceFile, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError {
            file: path.to_path_buf(),
            line: None,
            key: String::new(),
            reason: e.to_string(),
        })?;
        ApplianceFile::parse(path, &text)
    }

    pub fn parse(path: &Path, text: &str) -> Result<ApplianceFile, ConfigError> {
        let f: ApplianceFile = parse_toml(path, text)?;
        f.validate(path, text)?;
        Ok(f)
    }

    fn validate(&self, path: &Path, text: &str) -> Result<(), ConfigError> {
        let err = |line, key: String, reason: String| ConfigError {
            file: path.to_path_buf(),
            line,
            key,
            reason,
        };
        if let Some(h) = &self.hostname {
            let ok = !h.is_empty()
                && h.len() <= 253
                && h.split('.').all(|l| {
                    !l.is_empty()
                        && l.len() <= 63
                        && !l.starts_with('-')
                        && !l.ends_with('-')
                        && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                });
            if !ok {
                return Err(err(
                    find_line(text, "hostname"),
                    "hostname".into(),
                    format!("{h:?} is not a valid host name"),
                ));
            }
        }
        let n = &self.network;
        let mut names: HashSet<String> = HashSet::new();
        let mut check_name = |table: &str, i: usize, name: &str| -> Result<(), ConfigError> {
            let line = line_in_table(text, table, i, "name");
            let key = format!("{}[{i}].name", table.trim_matches(|c| c == '[' || c == ']'));
            if !valid_ifname(name) {
                return Err(err(
                    line,
                    key,
                    format!("{name:?} is not a valid interface name"),
                ));
            }
            if !names.insert(name.to_string()) {
                return Err(err(
                    line,
                    key,
                    format!("interface {name:?} is configured twice"),
                ));
            }
            Ok(())
        };
        for (i, x) in n.interfaces.iter().enumerate() {
            check_name("[[network.interface]]", i, &x.name)?;
        }
        for (i, x) in n.vlans.iter().enumerate() {
            check_name("[[network.vlan]]", i, &x.name)?;
            if !(1..=4094).contains(&x.id) {
                return Err(err(
                    line_in_table(text, "[[network.vlan]]", i, "id"),
                    format!("network.vlan[{i}].id"),
                    format!("VLAN id {} out of range 1-4094", x.id),
                ));
            }
        }
        for (i, x) in n.bonds.iter().enumerate() {
            check_name("[[network.bond]]", i, &x.name)?;
            if x.members.is_empty() {
                return Err(err(
                    line_in_table(text, "[[network.bond]]", i, "members"),
                    format!("network.bond[{i}].members"),
                    "a bond needs at least one member".into(),
                ));
            }
        }
        if let Some(m) = &n.management {
            let line = |k| line_in_table(text, "[network.management]", 0, k);
            if m.dhcp && m.address.is_some() {
                return Err(err(
                    line("address"),
                    "network.management.address".into(),
                    "give either dhcp = true or a static address, not both".into(),
                ));
            }
            if !m.dhcp && m.address.is_none() {
                return Err(err(
                    line(""),
                    "network.management".into(),
                    "needs dhcp = true or an address".into(),
                ));
            }
            if let (Some(a), Some(g)) = (m.address, m.gateway) {
                if a.addr.is_ipv4() != g.is_ipv4() {
                    return Err(err(
                        line("gateway"),
                        "network.management.gateway".into(),
                        format!("gateway {g} is not of the address family of {a}"),
                    ));
                }
            }
        }
        for (i, r) in n.routes.iter().enumerate() {
            let line = |k| line_in_table(text, "[[network.route]]", i, k);
            if r.via.is_none() && r.dev.is_none() {
                return Err(err(
                    line("to"),
                    format!("network.route[{i}]"),
                    "needs via or dev".into(),
                ));
            }
            if let (RouteDest::Net(c), Some(v)) = (r.to, r.via) {
                if c.addr.is_ipv4() != v.is_ipv4() {
                    return Err(err(
                        line("via"),
                        format!("network.route[{i}].via"),
                        format!("{v} is not of the address family of {c}"),
                    ));
                }
            }
        }
        Ok(())
    }
}

fn find_line(text: &str, key: &str) -> Option<usize> {
    text.lines()
        .position(|l| l.trim_start().starts_with(key))
        .map(|i| i + 1)
}
