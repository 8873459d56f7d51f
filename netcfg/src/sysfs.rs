//! Reading and writing the kernel's procfs/sysfs under a root directory (`/` on the box,
//! a generated tree in tests): CPUs, interrupts, NICs with their queues and IRQs, DMI and
//! PCI ids, CPU flags. Every write is read back, because the kernel may refuse silently
//! (xps_cpus on a single-queue device, spec 1.7).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::cpuset::CpuSet;
use crate::error::NetcfgError;
use crate::profile::PciId;

/// The directory that holds `proc/` and `sys/`.
#[derive(Debug, Clone)]
pub struct SysRoot {
    root: PathBuf,
}

/// One line of /proc/interrupts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Irq {
    pub number: u32,
    /// The action name(s), e.g. `virtio2-input.0`, `i40e-tr0-TxRx-3`.
    pub name: String,
}

/// A network interface backed by a device, as sysfs describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NicInfo {
    pub ifname: String,
    pub driver: Option<String>,
    /// PCI function address (`0000:00:03.0`), found through virtio parents too.
    pub pci_path: Option<String>,
    pub pci_id: Option<PciId>,
    pub mac: Option<String>,
    pub rx_queues: usize,
    pub tx_queues: usize,
    /// MSI(-X) interrupts of the NIC's PCI function.
    pub irqs: Vec<u32>,
}

impl SysRoot {
    pub fn new(root: impl Into<PathBuf>) -> SysRoot {
        SysRoot { root: root.into() }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// `rel` ("proc/interrupts") under the root.
    pub fn path(&self, rel: &str) -> PathBuf {
        self.root.join(rel.trim_start_matches('/'))
    }

    pub fn read(&self, rel: &str) -> Result<String, NetcfgError> {
        let p = self.path(rel);
        std::fs::read_to_string(&p).map_err(|e| NetcfgError::file(p, e))
    }

    fn read_opt(&self, rel: &str) -> Option<String> {
        std::fs::read_to_string(self.path(rel))
            .ok()
            .map(|s| s.trim().to_string())
    }

    /// Writes `value` and reads it back through `same`, so a silently ignored write is an
    /// error naming the file.
    pub fn write_checked(
        &self,
        rel: &str,
        value: &str,
        same: impl Fn(&str) -> bool,
    ) -> Result<(), NetcfgError> {
        let p = self.path(rel);
        std::fs::write(&p, value).map_err(|e| NetcfgError::file(&p, e))?;
        let back = std::fs::read_to_string(&p).map_err(|e| NetcfgError::file(&p, e))?;
        if same(back.trim()) {
            Ok(())
        } else {
            Err(NetcfgError::Parse {
                path: p,
                reason: format!("wrote {value:?} but the kernel kept {:?}", back.trim()),
            })
        }
    }

    pub fn online_cpus(&self) -> Result<CpuSet, NetcfgError> {
        let rel = "sys/devices/system/cpu/online";
        let s = self.read(rel)?;
        CpuSet::parse_list(&s).map_err(|reason| NetcfgError::Parse {
            path: self.path(rel),
            reason,
        })
    }

    /// Parses /proc/interrupts: numbered lines only (NMI, LOC... are skipped).
    pub fn interrupts(&self) -> Result<Vec<Irq>, NetcfgError> {
        let text = self.read("proc/interrupts")?;
        let mut lines = text.lines();
        let ncpu = lines.next().map_or(0, |h| h.split_whitespace().count());
        Ok(lines.filter_map(|l| parse_irq_line(l, ncpu)).collect())
    }

    /// Interfaces with a backing device (no lo, veth, bridges), sorted by PCI path then name.
    pub fn nics(&self) -> Result<Vec<NicInfo>, NetcfgError> {
        let dir = self.path("sys/class/net");
        let rd = std::fs::read_dir(&dir).map_err(|e| NetcfgError::file(&dir, e))?;
        let mut out = Vec::new();
        for ent in rd.flatten() {
            let ifname = ent.file_name().to_string_lossy().into_owned();
            let base = format!("sys/class/net/{ifname}");
            let dev = self.path(&format!("{base}/device"));
            let Ok(dev) = dev.canonicalize() else {
                continue;
            };
            let driver = std::fs::read_link(dev.join("driver"))
                .ok()
                .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()));
            let pci_dir = dev.ancestors().find(|a| {
                a.file_name()
                    .is_some_and(|n| is_pci_addr(&n.to_string_lossy()))
            });
            let pci_path = pci_dir
                .and_then(|d| d.file_name())
                .map(|n| n.to_string_lossy().into_owned());
            let pci_id = pci_dir.and_then(|d| {
                let id = |f: &str| {
                    let s = std::fs::read_to_string(d.join(f)).ok()?;
                    u16::from_str_radix(s.trim().trim_start_matches("0x"), 16).ok()
                };
                Some(PciId {
                    vendor: id("vendor")?,
                    device: id("device")?,
                })
            });
            let mut irqs: Vec<u32> = pci_dir
                .and_then(|d| std::fs::read_dir(d.join("msi_irqs")).ok())
                .map(|rd| {
                    rd.flatten()
                        .filter_map(|e| e.file_name().to_string_lossy().parse().ok())
                        .collect()
                })
                .unwrap_or_default();
            irqs.sort_unstable();
            let (mut rx, mut tx) = (0, 0);
            if let Ok(q) = std::fs::read_dir(self.path(&format!("{base}/queues"))) {
                for e in q.flatten() {
                    let n = e.file_name().to_string_lossy().into_owned();
                    if n.starts_with("rx-") {
                        rx += 1;
                    } else if n.starts_with("tx-") {
                        tx += 1;
                    }
                }
            }
            out.push(NicInfo {
                mac: self.read_opt(&format!("{base}/address")),
                ifname,
                driver,
                pci_path,
                pci_id,
                rx_queues: rx,
                tx_queues: tx,
                irqs,
            });
        }
        out.sort_by(|a, b| (&a.pci_path, &a.ifname).cmp(&(&b.pci_path, &b.ifname)));
        Ok(out)
    }

    /// `vendor:device` of every PCI function.
    pub fn pci_ids(&self) -> Vec<(String, PciId)> {
        let Ok(rd) = std::fs::read_dir(self.path("sys/bus/pci/devices")) else {
            return Vec::new();
        };
        let mut out: Vec<(String, PciId)> = rd
            .flatten()
            .filter_map(|e| {
                let addr = e.file_name().to_string_lossy().into_owned();
                let base = format!("sys/bus/pci/devices/{addr}");
                let id = |f: &str| {
                    u16::from_str_radix(
                        self.read_opt(&format!("{base}/{f}"))?
                            .trim_start_matches("0x"),
                        16,
                    )
                    .ok()
                };
                Some((
                    addr.clone(),
                    PciId {
                        vendor: id("vendor")?,
                        device: id("device")?,
                    },
                ))
            })
            .collect();
        out.sort();
        out
    }

    /// DMI (`sys_vendor`, `product_name`), absent on VMs without SMBIOS.
    pub fn dmi(&self) -> (Option<String>, Option<String>) {
        (
            self.read_opt("sys/class/dmi/id/sys_vendor"),
            self.read_opt("sys/class/dmi/id/product_name"),
        )
    }

    /// The flags of the first CPU in /proc/cpuinfo.
    pub fn cpu_flags(&self) -> Vec<String> {
        let Some(text) = self.read_opt("proc/cpuinfo") else {
            return Vec::new();
        };
        text.lines()
            .find_map(|l| {
                let (k, v) = l.split_once(':')?;
                (k.trim() == "flags").then(|| v.split_whitespace().map(str::to_string).collect())
            })
            .unwrap_or_default()
    }

    /// Current value of every file of a kind (used by `show`).
    pub fn affinities(&self, irqs: &[u32]) -> BTreeMap<u32, String> {
        irqs.iter()
            .filter_map(|n| {
                Some((
                    *n,
                    self.read_opt(&format!("proc/irq/{n}/smp_affinity_list"))?,
                ))
            })
            .collect()
    }
}

fn parse_irq_line(l: &str, ncpu: usize) -> Option<Irq> {
    let (num, rest) = l.trim_start().split_once(':')?;
    let number = num.trim().parse().ok()?;
    // After the per-CPU counts: chip name, hwirq/trigger, then the action names.
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let tail = fields.get(ncpu..)?;
    let name = if tail.len() >= 3 {
        tail[2..].join(" ")
    } else {
        tail.last()?.to_string()
    };
    Some(Irq { number, name })
}

fn is_pci_addr(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 12
        && b[4] == b':'
        && b[7] == b':'
        && b[10] == b'.'
        && s.chars()
            .enumerate()
            .all(|(i, c)| matches!(i, 4 | 7 | 10) || c.is_ascii_hexdigit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_interrupt_lines_of_several_shapes() {
        let l = " 38:          0       7084 PCI-MSIX-0000:00:03.0   1-edge      virtio2-input.0";
        assert_eq!(
            parse_irq_line(l, 2),
            Some(Irq {
                number: 38,
                name: "virtio2-input.0".into()
            })
        );
        let l = " 130:  1  2  3  4  IR-PCI-MSI 1572865-edge      i40e-tr0-TxRx-0";
        assert_eq!(parse_irq_line(l, 4).unwrap().name, "i40e-tr0-TxRx-0");
        assert!(parse_irq_line("NMI:  0 0  Non-maskable interrupts", 2).is_none());
    }

    #[test]
    fn pci_addresses() {
        assert!(is_pci_addr("0000:00:03.0"));
        assert!(!is_pci_addr("virtio2"));
        assert!(!is_pci_addr("pci0000:00"));
    }
}
