//! IRQ affinity and RPS/XPS masks against fake procfs/sysfs trees shaped like real
//! machines: the files end up holding what the profile's strategy asks for, and a second
//! apply changes nothing.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use common::faketree::{i40e_irqs, mlx5_irqs, virtio_irqs, FakeNic, FakeTree};
use netcfg::pinning::{self, PinNic, Pinning};
use netcfg::profile::{Profile, Role};
use netcfg::{CpuSet, SysRoot};

fn profile(name: &str) -> Profile {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../hw-profiles");
    netcfg::profile::load_named(&dir, name).unwrap()
}

fn apply_twice(tree: &FakeTree, p: &Profile) -> usize {
    let sys = SysRoot::new(tree.root());
    let pin = Pinning::read(&sys, p).unwrap();
    let (changes, errors) = pin.apply(&sys, false);
    assert!(errors.is_empty(), "{errors:?}");
    let again = Pinning::read(&sys, p).unwrap();
    let (second, errors) = again.apply(&sys, false);
    assert!(errors.is_empty(), "{errors:?}");
    assert!(
        second.is_empty(),
        "second apply must change nothing: {second:?}"
    );
    changes.len()
}

#[test]
fn qemu_virtio_8_queues_on_4_cpus() {
    let mut t = FakeTree::new(4, "fpu sse2 aes avx2");
    t.nic(FakeNic {
        ifname: "mgmt0",
        driver: "virtio_net",
        pci: "0000:00:02.0",
        id: ("1af4", "1041"),
        virtio: Some("virtio1"),
        queues: 1,
        irqs: virtio_irqs(24, "0000:00:02.0", "virtio1", 1),
    });
    t.nic(FakeNic {
        ifname: "tr0",
        driver: "virtio_net",
        pci: "0000:00:03.0",
        id: ("1af4", "1041"),
        virtio: Some("virtio2"),
        queues: 8,
        irqs: virtio_irqs(30, "0000:00:03.0", "virtio2", 8),
    });
    let p = profile("qemu-virtio");
    let n = apply_twice(&t, &p);
    assert!(n > 0);
    // Management NIC and every config vector on core 0.
    for irq in [24, 25, 26, 30] {
        assert_eq!(
            t.read(&format!("proc/irq/{irq}/smp_affinity_list")),
            "0",
            "irq {irq}"
        );
    }
    // Queue q (input and output vector) on proxy core 1 + q % 3.
    for q in 0..8u32 {
        let want = (1 + q % 3).to_string();
        assert_eq!(
            t.read(&format!("proc/irq/{}/smp_affinity_list", 31 + 2 * q)),
            want,
            "input.{q}"
        );
        assert_eq!(
            t.read(&format!("proc/irq/{}/smp_affinity_list", 32 + 2 * q)),
            want,
            "output.{q}"
        );
        // rps = proxy-cores: CPUs 1-3 = mask e.
        assert_eq!(
            t.read(&format!("sys/class/net/tr0/queues/rx-{q}/rps_cpus")),
            "e"
        );
    }
    // xps per-queue: 3 proxy cores over 8 tx queues; each core sends on one queue.
    assert_eq!(t.read("sys/class/net/tr0/queues/tx-0/xps_cpus"), "2");
    assert_eq!(t.read("sys/class/net/tr0/queues/tx-1/xps_cpus"), "4");
    assert_eq!(t.read("sys/class/net/tr0/queues/tx-2/xps_cpus"), "8");
    // Management NIC's steering is left alone.
    assert_eq!(t.read("sys/class/net/mgmt0/queues/rx-0/rps_cpus"), "0");
}

#[test]
fn i40e_16_queues_on_16_cpus() {
    let mut t = FakeTree::new(16, "fpu aes avx2");
    t.pci_only("0000:00:1f.0", ("8086", "1521"));
    t.nic(FakeNic {
        ifname: "tr0",
        driver: "i40e",
        pci: "0000:3b:00.0",
        id: ("8086", "1572"),
        virtio: None,
        queues: 16,
        irqs: i40e_irqs(100, "0000:3b:00.0", "tr0", 16),
    });
    let p = profile("intel-i350-x710");
    apply_twice(&t, &p);
    assert_eq!(
        t.read("proc/irq/100/smp_affinity_list"),
        "0",
        "misc vector on housekeeping"
    );
    for q in 0..16u32 {
        let want = (1 + q % 15).to_string();
        assert_eq!(
            t.read(&format!("proc/irq/{}/smp_affinity_list", 101 + q)),
            want,
            "TxRx-{q}"
        );
        assert_eq!(
            t.read(&format!("sys/class/net/tr0/queues/rx-{q}/rps_cpus")),
            "0000",
            "rps off"
        );
    }
    assert_eq!(t.read("sys/class/net/tr0/queues/tx-0/xps_cpus"), "0002");
    assert_eq!(t.read("sys/class/net/tr0/queues/tx-14/xps_cpus"), "8000");
}

#[test]
fn mlx5_two_ports_on_8_cpus() {
    let mut t = FakeTree::new(8, "fpu aes");
    for (port, (ifname, pci)) in [("tr0", "0000:3b:00.0"), ("tr1", "0000:3b:00.1")]
        .into_iter()
        .enumerate()
    {
        t.nic(FakeNic {
            ifname,
            driver: "mlx5_core",
            pci,
            id: ("15b3", "1017"),
            virtio: None,
            queues: 7,
            irqs: mlx5_irqs(200 + 10 * port as u32, pci, 7),
        });
    }
    let p = profile("mellanox-connectx5");
    apply_twice(&t, &p);
    for base in [200, 210] {
        assert_eq!(
            t.read(&format!("proc/irq/{base}/smp_affinity_list")),
            "0",
            "async vector"
        );
        for q in 0..7u32 {
            assert_eq!(
                t.read(&format!("proc/irq/{}/smp_affinity_list", base + 1 + q)),
                (1 + q).to_string(),
                "comp{q}: queue q of both ports on the same core"
            );
        }
    }
    assert_eq!(t.read("sys/class/net/tr1/queues/tx-6/xps_cpus"), "80");
}

#[test]
fn a_refused_write_is_reported_per_file_and_others_still_apply() {
    let mut t = FakeTree::new(4, "aes");
    t.nic(FakeNic {
        ifname: "tr0",
        driver: "virtio_net",
        pci: "0000:00:03.0",
        id: ("1af4", "1041"),
        virtio: Some("virtio2"),
        queues: 2,
        irqs: virtio_irqs(30, "0000:00:03.0", "virtio2", 2),
    });
    // Like xps_cpus on a single-queue device: the file is not there.
    std::fs::remove_file(t.path("sys/class/net/tr0/queues/tx-1/xps_cpus")).unwrap();
    let p = profile("generic-x86");
    let sys = SysRoot::new(t.root());
    let (changes, errors) = Pinning::read(&sys, &p).unwrap().apply(&sys, false);
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0].to_string().contains("tx-1/xps_cpus"),
        "{}",
        errors[0]
    );
    assert!(!changes.is_empty());
    assert_eq!(t.read("proc/irq/31/smp_affinity_list"), "1");
}

#[test]
fn dry_run_reports_without_writing() {
    let mut t = FakeTree::new(2, "aes");
    t.nic(FakeNic {
        ifname: "tr0",
        driver: "virtio_net",
        pci: "0000:00:03.0",
        id: ("1af4", "1041"),
        virtio: Some("virtio2"),
        queues: 1,
        irqs: virtio_irqs(30, "0000:00:03.0", "virtio2", 1),
    });
    let sys = SysRoot::new(t.root());
    let (changes, _) = Pinning::read(&sys, &profile("generic-x86"))
        .unwrap()
        .apply(&sys, true);
    let text: Vec<String> = changes.iter().map(|c| c.to_string()).collect();
    assert!(
        text.contains(&"~ irq 30 (virtio2-config) smp_affinity_list: 0-1 -> 0".to_string()),
        "{text:?}"
    );
    assert_eq!(
        t.read("proc/irq/30/smp_affinity_list"),
        "0-1",
        "dry run writes nothing"
    );
}

/// The spread strategy for an 8-queue traffic NIC and a management NIC, by core count.
#[test]
fn spread_strategy_table() {
    let p = profile("qemu-virtio");
    let traffic = PinNic {
        ifname: "tr0".into(),
        role: Role::Traffic,
        rx_queues: 8,
        tx_queues: 8,
        queue_irqs: (0..8).map(|q| (100 + q as u32, q)).collect(),
        misc_irqs: vec![99],
    };
    let mgmt = PinNic {
        ifname: "mgmt0".into(),
        role: Role::Management,
        rx_queues: 1,
        tx_queues: 1,
        queue_irqs: vec![(50, 0)],
        misc_irqs: vec![],
    };
    // (cores, proxy cores, CPU of queues 0..8, rps mask of rx-0, xps mask of tx-0)
    let table: [(u32, &str, [u32; 8], &str, &str); 4] = [
        (2, "0-1", [0, 1, 0, 1, 0, 1, 0, 1], "3", "1"),
        (4, "1-3", [1, 2, 3, 1, 2, 3, 1, 2], "e", "2"),
        (16, "1-15", [1, 2, 3, 4, 5, 6, 7, 8], "fffe", "0202"),
        (
            64,
            "1-63",
            [1, 2, 3, 4, 5, 6, 7, 8],
            "ffffffff,fffffffe",
            "02020202,02020202",
        ),
    ];
    for (cores, proxy, cpus, rps, xps) in table {
        let online = CpuSet::parse_list(&format!("0-{}", cores - 1)).unwrap();
        assert_eq!(
            pinning::proxy_cores(&online, &p.irq).to_list(),
            proxy,
            "{cores} cores"
        );
        let plan = pinning::plan(
            &p,
            &online,
            &[traffic.clone(), mgmt.clone()],
            &BTreeMap::new(),
        );
        for (q, cpu) in cpus.iter().enumerate() {
            assert_eq!(
                plan.irq[&(100 + q as u32)],
                CpuSet::from_cpus([*cpu]),
                "{cores} cores, queue {q}"
            );
        }
        assert_eq!(
            plan.irq[&99],
            CpuSet::from_cpus([0]),
            "{cores} cores: misc on core 0"
        );
        assert_eq!(
            plan.irq[&50],
            CpuSet::from_cpus([0]),
            "{cores} cores: management on core 0"
        );
        assert_eq!(
            plan.rps[&("tr0".to_string(), 0)].to_mask(cores),
            rps,
            "{cores} cores rps"
        );
        assert_eq!(
            plan.xps[&("tr0".to_string(), 0)].to_mask(cores),
            xps,
            "{cores} cores xps"
        );
        assert!(!plan.rps.contains_key(&("mgmt0".to_string(), 0)));
    }
}
