//! What machine is this: which profile matches (DMI, PCI ids), which NIC plays which role,
//! and which CPU crypto features and accelerators are present.

use crate::profile::{NicRole, PciId, Profile};
use crate::sysfs::{NicInfo, SysRoot};

/// The facts `netcfg detect` reports and profile matching uses.
#[derive(Debug, Clone, Default)]
pub struct Facts {
    pub dmi_vendor: Option<String>,
    pub dmi_product: Option<String>,
    pub pci: Vec<(String, PciId)>,
    pub nics: Vec<NicInfo>,
    pub cpu_flags: Vec<String>,
    pub online_cpus: u32,
}

impl Facts {
    pub fn gather(sys: &SysRoot) -> Facts {
        let (dmi_vendor, dmi_product) = sys.dmi();
        Facts {
            dmi_vendor,
            dmi_product,
            pci: sys.pci_ids(),
            nics: sys.nics().unwrap_or_default(),
            cpu_flags: sys.cpu_flags(),
            online_cpus: sys.online_cpus().map_or(0, |c| c.len() as u32),
        }
    }

    pub fn has_flag(&self, f: &str) -> bool {
        self.cpu_flags.iter().any(|x| x == f)
    }

    fn has_pci(&self, id: &PciId) -> bool {
        self.pci.iter().any(|(_, p)| p == id)
    }
}

/// How well `p` matches: `None` if it does not; higher wins. A profile's PCI ids must all
/// be present (an appliance is recognised by its set of controllers); DMI rules, when
/// given, must match too.
pub fn score(p: &Profile, f: &Facts) -> Option<u32> {
    let m = &p.match_rules;
    if m.fallback {
        return Some(0);
    }
    let mut score = 0;
    if !m.dmi_vendor.is_empty() {
        let v = f.dmi_vendor.as_deref()?;
        if !m.dmi_vendor.iter().any(|x| x.eq_ignore_ascii_case(v)) {
            return None;
        }
        score += 1;
    }
    if !m.dmi_product.is_empty() {
        let v = f.dmi_product.as_deref()?.to_ascii_lowercase();
        if !m
            .dmi_product
            .iter()
            .any(|x| v.starts_with(&x.to_ascii_lowercase()))
        {
            return None;
        }
        score += 2;
    }
    if !m.pci_ids.is_empty() {
        // qemu profiles list alternatives (legacy or modern virtio): any one suffices when
        // DMI already said "QEMU"; appliance profiles without DMI rules need all of them.
        let any = !m.dmi_vendor.is_empty();
        let hit = if any {
            m.pci_ids.iter().any(|id| f.has_pci(id))
        } else {
            m.pci_ids.iter().all(|id| f.has_pci(id))
        };
        if !hit {
            return None;
        }
        score += 2 * m.pci_ids.len() as u32;
    }
    Some(score)
}

/// The best-matching profile, if any.
pub fn best<'a>(profiles: &'a [Profile], f: &Facts) -> Option<&'a Profile> {
    profiles
        .iter()
        .filter_map(|p| score(p, f).map(|s| (s, p)))
        .max_by_key(|(s, _)| *s)
        .map(|(_, p)| p)
}

/// The NIC a role entry designates, among `nics` (sorted by PCI path).
pub fn resolve<'a>(role: &NicRole, nics: &'a [NicInfo]) -> Option<&'a NicInfo> {
    let m = &role.matcher;
    nics.iter()
        .filter(|n| {
            m.pci_path
                .as_ref()
                .is_none_or(|p| n.pci_path.as_ref() == Some(p))
        })
        .filter(|n| {
            m.mac
                .as_ref()
                .is_none_or(|mac| n.mac.as_ref().is_some_and(|x| x.eq_ignore_ascii_case(mac)))
        })
        .filter(|n| {
            m.driver
                .as_ref()
                .is_none_or(|d| n.driver.as_ref() == Some(d))
        })
        .nth(m.nth)
}

/// QAT functions present, by the profile's ids or the well-known ones.
pub fn qat_present(f: &Facts, p: Option<&Profile>) -> Vec<String> {
    // DH895xCC, C3xxx, C62x, 4xxx physical functions (Linux drivers/crypto/intel/qat).
    const KNOWN: [(u16, u16); 4] = [
        (0x8086, 0x0435),
        (0x8086, 0x19e2),
        (0x8086, 0x37c8),
        (0x8086, 0x4940),
    ];
    let mut ids: Vec<PciId> = KNOWN
        .iter()
        .map(|(v, d)| PciId {
            vendor: *v,
            device: *d,
        })
        .collect();
    if let Some(q) = p.and_then(|p| p.crypto.qat.as_ref()) {
        ids.extend(q.pci_ids.iter().copied());
    }
    f.pci
        .iter()
        .filter(|(_, id)| ids.contains(id))
        .map(|(addr, id)| format!("{addr} ({id})"))
        .collect()
}
