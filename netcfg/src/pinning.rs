//! IRQ affinity and RPS/XPS masks: which CPU serves which queue (pure planning over plain
//! values), then making the procfs/sysfs files say so (idempotent, each write checked).

use std::collections::BTreeMap;
use std::sync::OnceLock;

use regex::Regex;

use crate::change::Change;
use crate::cpuset::CpuSet;
use crate::error::NetcfgError;
use crate::profile::{IrqPolicy, IrqStrategy, Profile, Role, RpsMode, XpsMode};
use crate::sysfs::{Irq, NicInfo, SysRoot};

/// A NIC as pinning sees it: its role, its queues and its interrupts by queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PinNic {
    pub ifname: String,
    pub role: Role,
    pub rx_queues: usize,
    pub tx_queues: usize,
    /// (irq, queue index) for per-queue interrupts.
    pub queue_irqs: Vec<(u32, usize)>,
    /// Config/async/misc interrupts of the device.
    pub misc_irqs: Vec<u32>,
}

/// The masks a profile's strategy asks for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PinPlan {
    pub irq: BTreeMap<u32, CpuSet>,
    pub rps: BTreeMap<(String, usize), CpuSet>,
    pub xps: BTreeMap<(String, usize), CpuSet>,
}

/// The queue number in an interrupt name (`virtio2-input.3`, `i40e-tr0-TxRx-3`,
/// `mlx5_comp3@pci:...`, `eth0-rx-3`); `None` for config/async/misc vectors.
pub fn queue_of(irq_name: &str, ifname: &str) -> Option<usize> {
    static RE: OnceLock<Option<Regex>> = OnceLock::new();
    let re = RE
        .get_or_init(|| {
            Regex::new(r"(?i)(?:txrx|input|output|rx|tx|comp|fp|queue)[-_.]?(\d+)").ok()
        })
        .as_ref()?;
    if irq_name == ifname {
        // A single legacy interrupt named after the interface (e1000): it is queue 0.
        return Some(0);
    }
    re.captures(irq_name)?.get(1)?.as_str().parse().ok()
}

/// Cores that carry traffic: all online CPUs minus housekeeping, unless the machine is
/// too small to give any up.
pub fn proxy_cores(online: &CpuSet, policy: &IrqPolicy) -> CpuSet {
    if (online.len() as u32) < policy.reserve_from_cpus {
        return online.clone();
    }
    let rest = CpuSet::from_cpus(
        online
            .iter()
            .filter(|c| !policy.housekeeping.iter().any(|h| h == *c)),
    );
    if rest.is_empty() {
        online.clone()
    } else {
        rest
    }
}

/// Housekeeping cores that are actually online (falls back to the first online CPU).
fn housekeeping(online: &CpuSet, policy: &IrqPolicy) -> CpuSet {
    let hk = CpuSet::from_cpus(
        policy
            .housekeeping
            .iter()
            .filter(|c| online.iter().any(|o| o == *c)),
    );
    if hk.is_empty() {
        CpuSet::from_cpus(online.iter().take(1))
    } else {
        hk
    }
}

/// Computes the masks for `nics` on a machine with `online` CPUs.
pub fn plan(
    profile: &Profile,
    online: &CpuSet,
    nics: &[PinNic],
    irq_names: &BTreeMap<u32, String>,
) -> PinPlan {
    let policy = &profile.irq;
    let proxy: Vec<u32> = proxy_cores(online, policy).iter().collect();
    let hk = housekeeping(online, policy);
    let mut out = PinPlan::default();
    for nic in nics {
        let traffic = nic.role == Role::Traffic;
        match policy.strategy {
            IrqStrategy::None => {}
            IrqStrategy::Explicit => {
                for (irq, _) in &nic.queue_irqs {
                    if let Some(c) = irq_names.get(irq).and_then(|n| policy.explicit.get(n)) {
                        out.irq.insert(*irq, c.clone());
                    }
                }
                for irq in &nic.misc_irqs {
                    if let Some(c) = irq_names.get(irq).and_then(|n| policy.explicit.get(n)) {
                        out.irq.insert(*irq, c.clone());
                    }
                }
            }
            IrqStrategy::Spread => {
                // Queue i of every traffic NIC lands on the same core, so the client and
                // server sides of a proxied connection are served by one core.
                for (irq, q) in &nic.queue_irqs {
                    let cpus = if traffic {
                        CpuSet::from_cpus([proxy[q % proxy.len()]])
                    } else {
                        hk.clone()
                    };
                    out.irq.insert(*irq, cpus);
                }
                for irq in &nic.misc_irqs {
                    out.irq.insert(*irq, hk.clone());
                }
            }
        }
        if !traffic {
            continue;
        }
        for q in 0..nic.rx_queues {
            let cpus = match profile.steering.rps {
                RpsMode::Off => CpuSet::new(),
                RpsMode::ProxyCores => CpuSet::from_cpus(proxy.iter().copied()),
            };
            out.rps.insert((nic.ifname.clone(), q), cpus);
        }
        if profile.steering.xps == XpsMode::PerQueue && nic.tx_queues > 0 {
            for q in 0..nic.tx_queues {
                // Every proxy core sends on exactly one queue: the one its index maps to.
                let mut cpus: CpuSet = CpuSet::from_cpus(
                    proxy
                        .iter()
                        .enumerate()
                        .filter(|(j, _)| j % nic.tx_queues == q)
                        .map(|(_, c)| *c),
                );
                if cpus.is_empty() {
                    cpus.insert(proxy[q % proxy.len()]);
                }
                out.xps.insert((nic.ifname.clone(), q), cpus);
            }
        }
    }
    out
}

/// Builds the pinning view of a NIC from sysfs facts and /proc/interrupts.
pub fn pin_nic(nic: &NicInfo, role: Role, irqs: &[Irq]) -> PinNic {
    let mut queue_irqs = Vec::new();
    let mut misc_irqs = Vec::new();
    let mine: Vec<&Irq> = if nic.irqs.is_empty() {
        // No MSI directory (legacy INTx): the interrupt carries the interface name.
        irqs.iter()
            .filter(|i| i.name.split([',', ' ']).any(|n| n == nic.ifname))
            .collect()
    } else {
        irqs.iter()
            .filter(|i| nic.irqs.contains(&i.number))
            .collect()
    };
    for i in mine {
        match queue_of(&i.name, &nic.ifname) {
            Some(q) => queue_irqs.push((i.number, q)),
            None => misc_irqs.push(i.number),
        }
    }
    PinNic {
        ifname: nic.ifname.clone(),
        role,
        rx_queues: nic.rx_queues,
        tx_queues: nic.tx_queues,
        queue_irqs,
        misc_irqs,
    }
}

/// The NICs of this machine that the profile assigns a role (all device-backed NICs count
/// as traffic when the profile names none, as `generic-x86` does).
pub fn pin_nics(profile: &Profile, nics: &[NicInfo], irqs: &[Irq]) -> Vec<PinNic> {
    if profile.nics.is_empty() {
        return nics
            .iter()
            .map(|n| pin_nic(n, Role::Traffic, irqs))
            .collect();
    }
    profile
        .nics
        .iter()
        .filter_map(|r| crate::detect::resolve(r, nics).map(|n| pin_nic(n, r.role, irqs)))
        .collect()
}

/// Everything `apply` needs, read from the machine: the plan, the CPU count for mask
/// width, and IRQ names for the report.
pub struct Pinning {
    pub plan: PinPlan,
    pub ncpus: u32,
    pub irq_names: BTreeMap<u32, String>,
}

impl Pinning {
    pub fn read(sys: &SysRoot, profile: &Profile) -> Result<Pinning, NetcfgError> {
        let online = sys.online_cpus()?;
        let irqs = sys.interrupts()?;
        let nics = sys.nics()?;
        let irq_names: BTreeMap<u32, String> =
            irqs.iter().map(|i| (i.number, i.name.clone())).collect();
        let pins = pin_nics(profile, &nics, &irqs);
        let ncpus = online.highest().map_or(1, |m| m + 1);
        Ok(Pinning {
            plan: plan(profile, &online, &pins, &irq_names),
            ncpus,
            irq_names,
        })
    }

    pub fn apply(&self, sys: &SysRoot, dry_run: bool) -> (Vec<Change>, Vec<NetcfgError>) {
        apply(sys, &self.plan, self.ncpus, &self.irq_names, dry_run)
    }
}

/// Makes the files match `plan`. With `dry_run`, only reports. Errors are per file and
/// do not stop the other files.
pub fn apply(
    sys: &SysRoot,
    plan: &PinPlan,
    ncpus: u32,
    irq_names: &BTreeMap<u32, String>,
    dry_run: bool,
) -> (Vec<Change>, Vec<NetcfgError>) {
    let mut changes = Vec::new();
    let mut errors = Vec::new();
    for (irq, cpus) in &plan.irq {
        let rel = format!("proc/irq/{irq}/smp_affinity_list");
        let name = irq_names.get(irq).map(String::as_str).unwrap_or("?");
        let what = format!("irq {irq} ({name}) smp_affinity_list");
        sync_file(
            sys,
            &rel,
            &what,
            cpus,
            CpuSet::parse_list,
            &cpus.to_list(),
            dry_run,
            &mut changes,
            &mut errors,
        );
    }
    for (kind, map) in [("rps_cpus", &plan.rps), ("xps_cpus", &plan.xps)] {
        let dir = if kind == "rps_cpus" { "rx" } else { "tx" };
        for ((ifname, q), cpus) in map {
            let rel = format!("sys/class/net/{ifname}/queues/{dir}-{q}/{kind}");
            let what = format!("{ifname} {dir}-{q} {kind}");
            sync_file(
                sys,
                &rel,
                &what,
                cpus,
                CpuSet::parse_mask,
                &cpus.to_mask(ncpus),
                dry_run,
                &mut changes,
                &mut errors,
            );
        }
    }
    (changes, errors)
}

#[allow(clippy::too_many_arguments)]
fn sync_file(
    sys: &SysRoot,
    rel: &str,
    what: &str,
    want: &CpuSet,
    parse: fn(&str) -> Result<CpuSet, String>,
    text: &str,
    dry_run: bool,
    changes: &mut Vec<Change>,
    errors: &mut Vec<NetcfgError>,
) {
    let cur = match sys.read(rel) {
        Ok(s) => s,
        Err(e) => {
            errors.push(e);
            return;
        }
    };
    let cur_set = parse(cur.trim()).ok();
    if cur_set.as_ref() == Some(want) {
        return;
    }
    let list = |c: &CpuSet| {
        if c.is_empty() {
            "none".to_string()
        } else {
            c.to_list()
        }
    };
    let from = cur_set.map_or_else(|| cur.trim().to_string(), |c| list(&c));
    changes.push(Change::set(what, from, list(want)));
    if !dry_run {
        if let Err(e) = sys.write_checked(rel, text, |back| parse(back).ok().as_ref() == Some(want))
        {
            errors.push(e);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queue_numbers_from_driver_names() {
        assert_eq!(queue_of("virtio2-input.3", "eth0"), Some(3));
        assert_eq!(queue_of("virtio2-output.3", "eth0"), Some(3));
        assert_eq!(queue_of("virtio2-config", "eth0"), None);
        assert_eq!(queue_of("i40e-tr0-TxRx-12", "tr0"), Some(12));
        assert_eq!(queue_of("i40e-0000:3b:00.0:misc", "tr0"), None);
        assert_eq!(queue_of("mlx5_comp5@pci:0000:3b:00.1", "tr1"), Some(5));
        assert_eq!(queue_of("mlx5_async0@pci:0000:3b:00.1", "tr1"), None);
        assert_eq!(queue_of("eth0", "eth0"), Some(0));
    }
}
