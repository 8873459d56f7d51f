//! A fake procfs/sysfs tree in a tempdir, shaped like the real files: /proc/interrupts
//! lines as the kernel prints them for virtio-net, i40e and mlx5, per-IRQ
//! smp_affinity_list, per-queue rps_cpus/xps_cpus, PCI functions with msi_irqs and driver
//! links, and /sys/class/net entries pointing at them.

use std::fs;
use std::path::{Path, PathBuf};

pub struct FakeTree {
    pub dir: tempfile::TempDir,
    ncpu: u32,
    irq_lines: Vec<String>,
}

pub struct FakeNic<'a> {
    pub ifname: &'a str,
    pub driver: &'a str,
    pub pci: &'a str,
    pub id: (&'a str, &'a str),
    /// The virtio child device (`virtio2`) between the PCI function and the netdev.
    pub virtio: Option<&'a str>,
    pub queues: usize,
    /// (irq number, chip column, action name)
    pub irqs: Vec<(u32, String, String)>,
}

impl FakeTree {
    pub fn new(ncpu: u32, cpu_flags: &str) -> FakeTree {
        let t = FakeTree {
            dir: tempfile::tempdir().expect("tempdir"),
            ncpu,
            irq_lines: Vec::new(),
        };
        t.write(
            "sys/devices/system/cpu/online",
            &format!("0-{}\n", ncpu - 1),
        );
        t.write(
            "proc/cpuinfo",
            &format!("processor\t: 0\nvendor_id\t: GenuineIntel\nflags\t\t: {cpu_flags}\n\n"),
        );
        t
    }

    pub fn root(&self) -> &Path {
        self.dir.path()
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    pub fn write(&self, rel: &str, text: &str) {
        let p = self.path(rel);
        fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        fs::write(p, text).expect("write");
    }

    pub fn read(&self, rel: &str) -> String {
        fs::read_to_string(self.path(rel))
            .expect("read")
            .trim()
            .to_string()
    }

    pub fn dmi(&self, vendor: &str, product: &str) {
        self.write("sys/class/dmi/id/sys_vendor", &format!("{vendor}\n"));
        self.write("sys/class/dmi/id/product_name", &format!("{product}\n"));
    }

    pub fn pci_only(&self, pci: &str, id: (&str, &str)) {
        let dev = format!("sys/devices/pci0000:00/{pci}");
        self.write(&format!("{dev}/vendor"), &format!("0x{}\n", id.0));
        self.write(&format!("{dev}/device"), &format!("0x{}\n", id.1));
        let link = self.path(&format!("sys/bus/pci/devices/{pci}"));
        fs::create_dir_all(link.parent().expect("parent")).expect("mkdir");
        let _ = std::os::unix::fs::symlink(self.path(&dev), link);
    }

    pub fn nic(&mut self, n: FakeNic<'_>) {
        self.pci_only(n.pci, n.id);
        let pci_dev = format!("sys/devices/pci0000:00/{}", n.pci);
        let drivers = self.path("sys/bus/drivers");
        fs::create_dir_all(drivers.join(n.driver)).expect("mkdir");
        let netdev_parent = match n.virtio {
            Some(v) => {
                fs::create_dir_all(drivers.join("virtio-pci")).expect("mkdir");
                let _ = std::os::unix::fs::symlink(
                    drivers.join("virtio-pci"),
                    self.path(&pci_dev).join("driver"),
                );
                format!("{pci_dev}/{v}")
            }
            None => pci_dev.clone(),
        };
        fs::create_dir_all(self.path(&netdev_parent)).expect("mkdir");
        std::os::unix::fs::symlink(
            drivers.join(n.driver),
            self.path(&netdev_parent).join("driver"),
        )
        .expect("driver link");
        let class = format!("sys/class/net/{}", n.ifname);
        fs::create_dir_all(self.path(&class)).expect("mkdir");
        std::os::unix::fs::symlink(self.path(&netdev_parent), self.path(&class).join("device"))
            .expect("device link");
        self.write(&format!("{class}/address"), "52:54:00:12:34:56\n");
        let zero = "0".repeat(((self.ncpu - 1) % 32 / 4 + 1) as usize);
        let zero = if self.ncpu > 32 {
            format!(
                "{zero}{}",
                ",00000000".repeat(((self.ncpu - 1) / 32) as usize)
            )
        } else {
            zero
        };
        for q in 0..n.queues {
            self.write(
                &format!("{class}/queues/rx-{q}/rps_cpus"),
                &format!("{zero}\n"),
            );
            self.write(
                &format!("{class}/queues/tx-{q}/xps_cpus"),
                &format!("{zero}\n"),
            );
        }
        for (num, chip, name) in &n.irqs {
            self.write(&format!("{pci_dev}/msi_irqs/{num}"), "msix\n");
            self.write(
                &format!("proc/irq/{num}/smp_affinity_list"),
                &format!("0-{}\n", self.ncpu - 1),
            );
            let counts: String = (0..self.ncpu).map(|_| "         0 ").collect();
            self.irq_lines
                .push(format!("{num:>4}: {counts} {chip}  {name}"));
        }
        self.flush_interrupts();
    }

    fn flush_interrupts(&self) {
        let header: String = (0..self.ncpu)
            .map(|c| format!("{:>11}", format!("CPU{c}")))
            .collect();
        let mut text = format!("    {header}\n");
        for l in &self.irq_lines {
            text.push_str(l);
            text.push('\n');
        }
        text.push_str(" NMI:          0          0   Non-maskable interrupts\n");
        self.write("proc/interrupts", &text);
    }
}

/// A virtio-net NIC with `queues` queue pairs, named as a 6.x kernel names them.
pub fn virtio_irqs(
    first: u32,
    pci: &str,
    virtio: &str,
    queues: usize,
) -> Vec<(u32, String, String)> {
    let chip = |i: u32| format!("PCI-MSIX-{pci} {i}-edge");
    let mut v = vec![(first, chip(0), format!("{virtio}-config"))];
    for q in 0..queues as u32 {
        v.push((
            first + 1 + 2 * q,
            chip(1 + 2 * q),
            format!("{virtio}-input.{q}"),
        ));
        v.push((
            first + 2 + 2 * q,
            chip(2 + 2 * q),
            format!("{virtio}-output.{q}"),
        ));
    }
    v
}

/// An i40e port: one misc vector then `queues` TxRx vectors.
pub fn i40e_irqs(first: u32, pci: &str, ifname: &str, queues: usize) -> Vec<(u32, String, String)> {
    let mut v = vec![(
        first,
        "IR-PCI-MSI 1572864-edge".to_string(),
        format!("i40e-{pci}:misc"),
    )];
    for q in 0..queues as u32 {
        v.push((
            first + 1 + q,
            format!("IR-PCI-MSI {}-edge", 1572865 + q),
            format!("i40e-{ifname}-TxRx-{q}"),
        ));
    }
    v
}

/// An mlx5 port: async vector then `queues` completion vectors.
pub fn mlx5_irqs(first: u32, pci: &str, queues: usize) -> Vec<(u32, String, String)> {
    let mut v = vec![(
        first,
        "IR-PCI-MSIX-0000:3b:00.0 0-edge".to_string(),
        format!("mlx5_async0@pci:{pci}"),
    )];
    for q in 0..queues as u32 {
        v.push((
            first + 1 + q,
            format!("IR-PCI-MSIX-{pci} {}-edge", q + 1),
            format!("mlx5_comp{q}@pci:{pci}"),
        ));
    }
    v
}
