//! Platform detection: the right profile for fake qemu and appliance trees, roles resolved
//! to interfaces, and on this very machine the CPU crypto flags reported truthfully.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::faketree::{i40e_irqs, virtio_irqs, FakeNic, FakeTree};
use netcfg::detect::{self, Facts};
use netcfg::SysRoot;

fn profiles_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../hw-profiles")
}

fn detect_out(root: &Path) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_netcfg"))
        .arg("--root")
        .arg(root)
        .arg("--profiles")
        .arg(profiles_dir())
        .arg("detect")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn qemu_virtio_guest() {
    let mut t = FakeTree::new(2, "fpu sse2 pclmulqdq aes");
    t.dmi("QEMU", "Standard PC (Q35 + ICH9, 2009)");
    for (i, (pci, virtio)) in [("0000:00:02.0", "virtio0"), ("0000:00:03.0", "virtio1")]
        .into_iter()
        .enumerate()
    {
        t.nic(FakeNic {
            ifname: if i == 0 { "eth0" } else { "eth1" },
            driver: "virtio_net",
            pci,
            id: ("1af4", "1000"),
            virtio: Some(virtio),
            queues: 1,
            irqs: virtio_irqs(24 + 3 * i as u32, pci, virtio, 1),
        });
    }
    let out = detect_out(t.root());
    assert!(out.contains("profile: qemu-virtio\n"), "{out}");
    assert!(out.contains("aes=yes vaes=no"), "{out}");
    assert!(out.contains("qat: absent"), "{out}");
    assert!(out.contains("role management mgmt0 <- eth0"), "{out}");
    assert!(out.contains("role traffic tr0 <- eth1"), "{out}");
    assert!(
        out.contains("eth1 driver=virtio_net pci=0000:00:03.0 id=1af4:1000"),
        "{out}"
    );
}

#[test]
fn intel_appliance_with_qat() {
    let mut t = FakeTree::new(16, "aes vaes avx2");
    t.dmi("Some Vendor", "LB-1000");
    t.nic(FakeNic {
        ifname: "eno1",
        driver: "igb",
        pci: "0000:02:00.0",
        id: ("8086", "1521"),
        virtio: None,
        queues: 4,
        irqs: vec![],
    });
    t.nic(FakeNic {
        ifname: "ens1f0",
        driver: "i40e",
        pci: "0000:3b:00.0",
        id: ("8086", "1572"),
        virtio: None,
        queues: 16,
        irqs: i40e_irqs(100, "0000:3b:00.0", "ens1f0", 16),
    });
    t.pci_only("0000:3d:00.0", ("8086", "37c8"));
    let sys = SysRoot::new(t.root());
    let facts = Facts::gather(&sys);
    let all = netcfg::profile::load_dir(&profiles_dir()).unwrap();
    assert_eq!(detect::best(&all, &facts).unwrap().name, "intel-i350-x710");
    let out = detect_out(t.root());
    assert!(out.contains("qat: 0000:3d:00.0 (8086:37c8)"), "{out}");
    assert!(out.contains("role traffic tr0 <- ens1f0"), "{out}");
    assert!(
        out.contains("role ha-sync sync0 <- (not found)"),
        "only one igb port: {out}"
    );
}

#[test]
fn unknown_machine_falls_back_to_generic() {
    let t = FakeTree::new(4, "fpu");
    t.pci_only("0000:00:1f.0", ("1234", "5678"));
    let out = detect_out(t.root());
    assert!(out.contains("profile: generic-x86"), "{out}");
    assert!(out.contains("aes=no"), "{out}");
}

/// On this machine: the crypto flags `detect` prints are exactly /proc/cpuinfo's, and no
/// QAT device is claimed unless one is on the PCI bus.
#[test]
fn this_machine_is_reported_truthfully() {
    let out = detect_out(Path::new("/"));
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap();
    let flags: Vec<&str> = cpuinfo
        .lines()
        .find(|l| l.starts_with("flags"))
        .map(|l| l.split_whitespace().collect())
        .unwrap_or_default();
    for f in ["aes", "vaes"] {
        let yes = if flags.contains(&f) { "yes" } else { "no" };
        assert!(out.contains(&format!(" {f}={yes}")), "{f}: {out}");
    }
    let qat_on_bus = Facts::gather(&SysRoot::new("/")).pci.iter().any(|(_, id)| {
        id.vendor == 0x8086 && [0x0435, 0x19e2, 0x37c8, 0x4940].contains(&id.device)
    });
    assert_eq!(out.contains("qat: absent"), !qat_on_bus, "{out}");
}
