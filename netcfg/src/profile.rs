//! Hardware profiles (`hw-profiles/<name>.toml`): how a platform is recognised, what it
//! needs loaded, how its NICs are named by role, how interrupts and packet steering are
//! spread, and which sysctls a proxy wants. Parsing and validation only; applying is
//! `pinning`, `sysctl` and `plan`.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::cpuset::CpuSet;
use crate::diag::{line_in_table, parse_toml, ConfigError};

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    pub name: String,
    pub description: String,
    /// Where the facts in this file come from (datasheet, measured guest, ...).
    pub source: String,
    /// Statements in this file that are assumptions rather than sourced facts.
    #[serde(default)]
    pub assumptions: Vec<String>,
    #[serde(rename = "match")]
    pub match_rules: MatchRules,
    #[serde(default)]
    pub modules: Modules,
    /// CPU facts known for a fixed platform; `count` bounds explicit masks.
    #[serde(default)]
    pub cpu: CpuInfo,
    #[serde(default, rename = "nic")]
    pub nics: Vec<NicRole>,
    #[serde(default)]
    pub irq: IrqPolicy,
    #[serde(default)]
    pub steering: Steering,
    /// sysctl name (dotted) -> value, written under /proc/sys.
    #[serde(default)]
    pub sysctl: BTreeMap<String, String>,
    #[serde(default)]
    pub system: System,
    #[serde(default)]
    pub crypto: Crypto,
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct MatchRules {
    /// Any of these DMI `sys_vendor` values (exact, case-insensitive).
    #[serde(default)]
    pub dmi_vendor: Vec<String>,
    /// Any of these DMI `product_name` prefixes (case-insensitive).
    #[serde(default)]
    pub dmi_product: Vec<String>,
    /// `vendor:device` PCI ids, lower-case hex; at least one must be present.
    #[serde(default)]
    pub pci_ids: Vec<PciId>,
    /// Matches any machine (the `generic-x86` fallback); loses to every specific match.
    #[serde(default)]
    pub fallback: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PciId {
    pub vendor: u16,
    pub device: u16,
}

impl std::fmt::Display for PciId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04x}:{:04x}", self.vendor, self.device)
    }
}

impl std::str::FromStr for PciId {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let bad = || format!("bad PCI id {s:?}: want vendor:device in hex, e.g. 8086:1572");
        let (v, d) = s.split_once(':').ok_or_else(bad)?;
        let hex = |x: &str| u16::from_str_radix(x.trim_start_matches("0x"), 16).map_err(|_| bad());
        Ok(PciId {
            vendor: hex(v)?,
            device: hex(d)?,
        })
    }
}

impl<'de> Deserialize<'de> for PciId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Modules {
    /// Kernel modules in load order (dependencies first).
    #[serde(default)]
    pub load: Vec<String>,
    /// Firmware files under /lib/firmware the image must ship.
    #[serde(default)]
    pub firmware: Vec<String>,
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct CpuInfo {
    pub count: Option<u32>,
    pub model: Option<String>,
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    Management,
    Traffic,
    HaSync,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Management => "management",
            Role::Traffic => "traffic",
            Role::HaSync => "ha-sync",
        }
    }
}

/// A NIC found by PCI path, MAC or driver and given a predictable name for its role.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct NicRole {
    pub role: Role,
    /// The name netcfg gives the interface (`mgmt0`, `tr0`, ...).
    pub name: String,
    #[serde(rename = "match")]
    pub matcher: NicMatch,
    /// Combined channels wanted (ethtool -L); `None` leaves the driver default.
    pub queues: Option<u32>,
    pub mtu: Option<u32>,
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct NicMatch {
    /// PCI address of the function, e.g. `0000:03:00.0`.
    pub pci_path: Option<String>,
    pub mac: Option<String>,
    /// Kernel driver name (`virtio_net`, `i40e`, `mlx5_core`).
    pub driver: Option<String>,
    /// Among the interfaces the other keys match, sorted by PCI path, take this one.
    #[serde(default)]
    pub nth: usize,
}

#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum IrqStrategy {
    /// Traffic queues round-robin over the proxy's cores; management NIC and every
    /// non-queue interrupt on the housekeeping cores.
    #[default]
    Spread,
    /// `irq.explicit` maps IRQ names (as in /proc/interrupts) to CPU lists.
    Explicit,
    /// Leave affinity to the kernel / irqbalance.
    None,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct IrqPolicy {
    #[serde(default)]
    pub strategy: IrqStrategy,
    /// Cores for the management NIC, non-queue interrupts and the supervisor.
    #[serde(default = "default_housekeeping", deserialize_with = "de_cpulist")]
    pub housekeeping: CpuSet,
    /// Reserve the housekeeping cores from traffic only from this many CPUs up: on a
    /// 2-core box every core must carry traffic.
    #[serde(default = "default_reserve_from")]
    pub reserve_from_cpus: u32,
    /// IRQ name -> CPU list, for `strategy = "explicit"`.
    #[serde(default, deserialize_with = "de_cpulist_map")]
    pub explicit: BTreeMap<String, CpuSet>,
}

impl Default for IrqPolicy {
    fn default() -> Self {
        IrqPolicy {
            strategy: IrqStrategy::Spread,
            housekeeping: default_housekeeping(),
            reserve_from_cpus: default_reserve_from(),
            explicit: BTreeMap::new(),
        }
    }
}

fn default_housekeeping() -> CpuSet {
    CpuSet::from_cpus([0])
}

fn default_reserve_from() -> u32 {
    4
}

#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum RpsMode {
    /// rps_cpus = 0: the NIC's own queues steer (enough hardware queues).
    #[default]
    Off,
    /// Each rx queue steers to all proxy cores (few hardware queues, many cores).
    ProxyCores,
}

#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum XpsMode {
    #[default]
    Off,
    /// Each proxy core transmits on the queue whose interrupt it serves.
    PerQueue,
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Steering {
    #[serde(default)]
    pub rps: RpsMode,
    #[serde(default)]
    pub xps: XpsMode,
    /// net.core.rps_sock_flow_entries / per-queue rps_flow_cnt for RFS; 0 = off.
    #[serde(default)]
    pub rfs_flow_entries: u32,
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct System {
    /// Watchdog device node and the module that provides it.
    pub watchdog_device: Option<String>,
    pub watchdog_module: Option<String>,
    /// Kernel console, as on the command line (`ttyS0,115200n8`).
    pub console: Option<String>,
}

#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum Expect {
    Required,
    #[default]
    Expected,
    Optional,
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Crypto {
    #[serde(default)]
    pub aes_ni: Expect,
    #[serde(default)]
    pub qat: Option<Qat>,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Qat {
    pub pci_ids: Vec<PciId>,
    pub driver: String,
    #[serde(default)]
    pub firmware: Vec<String>,
}

fn de_cpulist<'de, D: serde::Deserializer<'de>>(d: D) -> Result<CpuSet, D::Error> {
    let s = String::deserialize(d)?;
    CpuSet::parse_list(&s).map_err(serde::de::Error::custom)
}

fn de_cpulist_map<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<BTreeMap<String, CpuSet>, D::Error> {
    let m = BTreeMap::<String, String>::deserialize(d)?;
    m.into_iter()
        .map(|(k, v)| {
            CpuSet::parse_list(&v)
                .map(|c| (k.clone(), c))
                .map_err(|e| serde::de::Error::custom(format!("{k}: {e}")))
        })
        .collect()
}

impl Profile {
    /// Reads and validates a profile file.
    pub fn load(path: &Path) -> Result<Profile, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError {
            file: path.to_path_buf(),
            line: None,
            key: String::new(),
            reason: e.to_string(),
        })?;
        Profile::parse(path, &text)
    }

    /// Parses and validates profile text; `path` is only used in errors.
    pub fn parse(path: &Path, text: &str) -> Result<Profile, ConfigError> {
        let p: Profile = parse_toml(path, text)?;
        p.validate(path, text)?;
        Ok(p)
    }

    fn validate(&self, path: &Path, text: &str) -> Result<(), ConfigError> {
        let err = |line: Option<usize>, key: String, reason: String| ConfigError {
            file: path.to_path_buf(),
            line,
            key,
            reason,
        };
        let m = &self.match_rules;
        if !m.fallback
            && m.dmi_vendor.is_empty()
            && m.dmi_product.is_empty()
            && m.pci_ids.is_empty()
        {
            return Err(err(
                line_in_table(text, "[match]", 0, ""),
                "match".into(),
                "no rule: give dmi_vendor, dmi_product or pci_ids, or fallback = true".into(),
            ));
        }
        let mut names = HashSet::new();
        let mut single_roles = HashSet::new();
        for (i, n) in self.nics.iter().enumerate() {
            let line = |needle| line_in_table(text, "[[nic]]", i, needle);
            if !valid_ifname(&n.name) {
                return Err(err(
                    line("name"),
                    format!("nic[{i}].name"),
                    format!(
                        "{:?} is not a valid interface name (1-15 chars, no '/', ':' or spaces)",
                        n.name
                    ),
                ));
            }
            if !names.insert(n.name.as_str()) {
                return Err(err(
                    line("name"),
                    format!("nic[{i}].name"),
                    format!("duplicate NIC name {:?}", n.name),
                ));
            }
            // Several traffic ports are normal; two management or HA-sync ports would make
            // "the" management address ambiguous.
            if n.role != Role::Traffic && !single_roles.insert(n.role) {
                return Err(err(
                    line("role"),
                    format!("nic[{i}].role"),
                    format!(
                        "duplicate role {:?}: only one NIC may have it",
                        n.role.as_str()
                    ),
                ));
            }
            let mt = &n.matcher;
            if mt.pci_path.is_none() && mt.mac.is_none() && mt.driver.is_none() {
                return Err(err(
                    line("match"),
                    format!("nic[{i}].match"),
                    "give at least one of pci_path, mac, driver".into(),
                ));
            }
            if n.queues == Some(0) {
                return Err(err(
                    line("queues"),
                    format!("nic[{i}].queues"),
                    "must be at least 1".into(),
                ));
            }
        }
        let irq = &self.irq;
        if irq.housekeeping.is_empty() {
            return Err(err(
                line_in_table(text, "[irq]", 0, "housekeeping"),
                "irq.housekeeping".into(),
                "impossible mask: no CPU".into(),
            ));
        }
        if irq.strategy == IrqStrategy::Explicit && irq.explicit.is_empty() {
            return Err(err(
                line_in_table(text, "[irq]", 0, "strategy"),
                "irq.explicit".into(),
                "strategy \"explicit\" needs an [irq.explicit] map".into(),
            ));
        }
        for (name, cpus) in &irq.explicit {
            if cpus.is_empty() {
                return Err(err(
                    line_in_table(text, "[irq.explicit]", 0, name),
                    format!("irq.explicit.{name}"),
                    "impossible mask: no CPU".into(),
                ));
            }
        }
        if let Some(count) = self.cpu.count {
            let over = |s: &CpuSet| s.highest().is_some_and(|m| m >= count);
            if over(&irq.housekeeping) {
                return Err(err(
                    line_in_table(text, "[irq]", 0, "housekeeping"),
                    "irq.housekeeping".into(),
                    format!(
                        "impossible mask {}: platform has {count} CPUs",
                        irq.housekeeping
                    ),
                ));
            }
            for (name, cpus) in &irq.explicit {
                if over(cpus) {
                    return Err(err(
                        line_in_table(text, "[irq.explicit]", 0, name),
                        format!("irq.explicit.{name}"),
                        format!("impossible mask {cpus}: platform has {count} CPUs"),
                    ));
                }
            }
        }
        for key in self.sysctl.keys() {
            if key.is_empty() || key.contains("..") || key.contains('/') || key.starts_with('.') {
                return Err(err(
                    line_in_table(text, "[sysctl]", 0, &format!("\"{key}\"")),
                    format!("sysctl.{key}"),
                    "not a sysctl name".into(),
                ));
            }
        }
        Ok(())
    }
}

/// Linux interface-name rules (dev_valid_name).
pub fn valid_ifname(n: &str) -> bool {
    !n.is_empty()
        && n.len() <= 15
        && n != "."
        && n != ".."
        && !n.chars().any(|c| c == '/' || c == ':' || c.is_whitespace())
}

/// All profiles in a directory, sorted by name; the first invalid one is an error.
pub fn load_dir(dir: &Path) -> Result<Vec<Profile>, ConfigError> {
    let rd = std::fs::read_dir(dir).map_err(|e| ConfigError {
        file: dir.to_path_buf(),
        line: None,
        key: String::new(),
        reason: e.to_string(),
    })?;
    let mut paths: Vec<PathBuf> = rd
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    paths.sort();
    paths.iter().map(|p| Profile::load(p)).collect()
}

/// Finds `<dir>/<name>.toml`.
pub fn load_named(dir: &Path, name: &str) -> Result<Profile, ConfigError> {
    if !valid_ifname(name) && name.contains('/') {
        return Err(ConfigError {
            file: dir.to_path_buf(),
            line: None,
            key: "profile".into(),
            reason: format!("bad profile name {name:?}"),
        });
    }
    Profile::load(&dir.join(format!("{name}.toml")))
}
