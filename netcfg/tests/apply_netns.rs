//! `netcfg apply` end to end inside a private network namespace: iproute2 shows exactly
//! the configured state, a second apply changes nothing, an address removed behind our
//! back is put back, and addresses netcfg does not own (a VIP) are left alone.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns

mod common;

use std::path::Path;
use std::process::Command;

use common::Netns;

struct Run {
    ok: bool,
    stdout: String,
    stderr: String,
}

fn netcfg(ns: &Netns, root: &Path, args: &[&str]) -> Run {
    let profiles = Path::new(env!("CARGO_MANIFEST_DIR")).join("../hw-profiles");
    let out = Command::new("ip")
        .args(["netns", "exec", &ns.name, env!("CARGO_BIN_EXE_netcfg")])
        .arg("--root")
        .arg(root)
        .arg("--profiles")
        .arg(profiles)
        .args(args)
        .output()
        .unwrap();
    Run {
        ok: out.status.success(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Global-scope addresses of `dev` as `ip -o addr` prints them (`198.51.100.10/24`).
fn global_addrs(ns: &Netns, dev: &str) -> Vec<String> {
    let mut v: Vec<String> = ns
        .ip(&["-o", "addr", "show", "dev", dev, "scope", "global"])
        .lines()
        .filter_map(|l| l.split_whitespace().nth(3).map(str::to_string))
        .collect();
    v.sort();
    v
}

#[test]
fn apply_is_exact_idempotent_and_repairs() {
    let ns = Netns::new();
    ns.veth("m0", "m0p");
    ns.veth("t0", "t0p");
    let vlan =
        ns.supports("vlan", &["link", "t0"]) || ns.supports("vlan", &["link", "t0", "id", "7"]);
    let bond = ns.supports("bond", &[]);
    let mut extra = String::new();
    if vlan {
        extra.push_str(
            "[[network.vlan]]\nname = \"t0.100\"\nparent = \"t0\"\nid = 100\naddresses = [\"10.100.0.1/24\"]\n",
        );
    } else {
        eprintln!("note: this kernel has no 802.1Q support; VLAN part skipped");
    }
    if bond {
        ns.veth("b0", "b0p");
        ns.veth("b1", "b1p");
        extra.push_str(
            "[[network.bond]]\nname = \"bond0\"\nmode = \"active-backup\"\nmembers = [\"b0\", \"b1\"]\naddresses = [\"10.200.0.1/24\"]\n",
        );
    } else {
        eprintln!("note: this kernel has no bonding support; bond part skipped");
    }
    let tree = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(tree.path().join("proc/sys/kernel")).unwrap();
    std::fs::write(tree.path().join("proc/sys/kernel/hostname"), "localhost\n").unwrap();
    std::fs::create_dir_all(tree.path().join("etc")).unwrap();
    let cfg = tree.path().join("appliance.toml");
    std::fs::write(
        &cfg,
        format!(
            r#"hostname = "lb-test"

[webui]
# another component's section: netcfg ignores it
port = 8443

[network.management]
interface = "m0"
address = "192.0.2.10/24"
gateway = "192.0.2.1"

[[network.interface]]
name = "t0"
mtu = 1400
addresses = ["198.51.100.10/24", {{ address = "198.51.100.11/24", label = "t0:web" }}, "2001:db8:1::10/64"]

[[network.route]]
to = "203.0.113.0/24"
via = "198.51.100.1"

[[network.route]]
to = "2001:db8:2::/64"
via = "2001:db8:1::1"

[network.dns]
servers = ["192.0.2.53"]
search = ["example.net"]

{extra}"#
        ),
    )
    .unwrap();
    let cfg = cfg.to_str().unwrap();
    let root = tree.path();

    let plan = netcfg(&ns, root, &["plan", "--profile", "none", "--config", cfg]);
    assert!(plan.ok, "{}{}", plan.stdout, plan.stderr);
    assert!(
        plan.stdout.contains("+ addr 198.51.100.10/24 dev t0"),
        "{}",
        plan.stdout
    );
    assert!(
        plan.stdout.contains("~ link t0 mtu: 1500 -> 1400"),
        "{}",
        plan.stdout
    );
    assert!(
        plan.stdout.contains("+ route default via 192.0.2.1 dev m0"),
        "{}",
        plan.stdout
    );
    assert!(global_addrs(&ns, "t0").is_empty(), "plan changes nothing");

    let first = netcfg(&ns, root, &["apply", "--profile", "none", "--config", cfg]);
    assert!(first.ok, "{}{}", first.stdout, first.stderr);
    assert!(first.stdout.contains("applied"), "{}", first.stdout);

    // iproute2 shows exactly the configuration.
    assert_eq!(global_addrs(&ns, "m0"), ["192.0.2.10/24"]);
    assert_eq!(
        global_addrs(&ns, "t0"),
        ["198.51.100.10/24", "198.51.100.11/24", "2001:db8:1::10/64"]
    );
    let v4 = ns.ip(&["-o", "-4", "addr", "show", "dev", "t0"]);
    let web = v4.lines().find(|l| l.contains("198.51.100.11/24")).unwrap();
    assert!(web.contains("t0:web"), "label: {web}");
    assert!(ns.ip(&["link", "show", "t0"]).contains("mtu 1400"));
    let routes = ns.ip(&["route", "show"]);
    assert!(
        routes.contains("default via 192.0.2.1 dev m0 proto 82"),
        "{routes}"
    );
    assert!(
        routes.contains("203.0.113.0/24 via 198.51.100.1 dev t0 proto 82"),
        "{routes}"
    );
    let routes6 = ns.ip(&["-6", "route", "show"]);
    assert!(
        routes6.contains("2001:db8:2::/64 via 2001:db8:1::1 dev t0 proto 82"),
        "{routes6}"
    );
    assert_eq!(
        std::fs::read_to_string(root.join("proc/sys/kernel/hostname")).unwrap(),
        "lb-test"
    );
    let resolv = std::fs::read_to_string(root.join("etc/resolv.conf")).unwrap();
    assert!(
        resolv.contains("nameserver 192.0.2.53\nsearch example.net\n"),
        "{resolv}"
    );
    if vlan {
        assert!(ns
            .ip(&["-d", "link", "show", "t0.100"])
            .contains("vlan protocol 802.1Q id 100"));
        assert_eq!(global_addrs(&ns, "t0.100"), ["10.100.0.1/24"]);
    }
    if bond {
        for m in ["b0", "b1"] {
            assert!(ns.ip(&["link", "show", m]).contains("master bond0"), "{m}");
        }
        assert!(ns
            .ip(&["-d", "link", "show", "bond0"])
            .contains("mode active-backup"));
        assert_eq!(global_addrs(&ns, "bond0"), ["10.200.0.1/24"]);
    }

    let second = netcfg(&ns, root, &["apply", "--profile", "none", "--config", cfg]);
    assert!(second.ok, "{}{}", second.stdout, second.stderr);
    assert!(
        second.stdout.contains("no changes"),
        "second apply: {}",
        second.stdout
    );

    // Removed behind our back: plan names exactly that, apply puts it back. An address
    // netcfg does not own (a VIP) stays.
    ns.ip(&["addr", "del", "198.51.100.11/24", "dev", "t0"]);
    ns.ip(&["addr", "add", "198.51.100.99/24", "dev", "t0"]);
    let plan = netcfg(&ns, root, &["plan", "--profile", "none", "--config", cfg]);
    let lines: Vec<&str> = plan
        .stdout
        .lines()
        .filter(|l| !l.starts_with("profile:"))
        .collect();
    assert_eq!(
        lines,
        ["+ addr 198.51.100.11/24 dev t0 label t0:web"],
        "{}",
        plan.stdout
    );
    let fix = netcfg(&ns, root, &["apply", "--profile", "none", "--config", cfg]);
    assert!(fix.ok, "{}{}", fix.stdout, fix.stderr);
    assert_eq!(
        global_addrs(&ns, "t0"),
        [
            "198.51.100.10/24",
            "198.51.100.11/24",
            "198.51.100.99/24",
            "2001:db8:1::10/64"
        ]
    );
    let again = netcfg(&ns, root, &["apply", "--profile", "none", "--config", cfg]);
    assert!(again.stdout.contains("no changes"), "{}", again.stdout);

    // Deleting the primary address makes the kernel drop the subnet's secondaries and the
    // route through it; one apply brings all of netcfg's state back.
    ns.ip(&["addr", "del", "198.51.100.10/24", "dev", "t0"]);
    let fix = netcfg(&ns, root, &["apply", "--profile", "none", "--config", cfg]);
    assert!(fix.ok, "{}{}", fix.stdout, fix.stderr);
    assert!(
        fix.stdout
            .contains("+ route 203.0.113.0/24 via 198.51.100.1"),
        "{}",
        fix.stdout
    );
    assert_eq!(
        global_addrs(&ns, "t0"),
        ["198.51.100.10/24", "198.51.100.11/24", "2001:db8:1::10/64"]
    );
    assert!(ns
        .ip(&["route", "show"])
        .contains("203.0.113.0/24 via 198.51.100.1 dev t0 proto 82"));
    let again = netcfg(&ns, root, &["apply", "--profile", "none", "--config", cfg]);
    assert!(again.stdout.contains("no changes"), "{}", again.stdout);

    // Dropping an address and a route from the config removes what netcfg had added.
    let text = std::fs::read_to_string(cfg).unwrap();
    let text = text.replace(", \"2001:db8:1::10/64\"", "").replace(
        "[[network.route]]\nto = \"2001:db8:2::/64\"\nvia = \"2001:db8:1::1\"\n",
        "",
    );
    std::fs::write(cfg, text).unwrap();
    let shrink = netcfg(&ns, root, &["apply", "--profile", "none", "--config", cfg]);
    assert!(shrink.ok, "{}{}", shrink.stdout, shrink.stderr);
    assert!(
        shrink.stdout.contains("- addr 2001:db8:1::10/64 dev t0"),
        "{}",
        shrink.stdout
    );
    assert!(
        shrink
            .stdout
            .contains("- route 2001:db8:2::/64 via 2001:db8:1::1"),
        "{}",
        shrink.stdout
    );
    assert!(!ns.ip(&["-6", "route", "show"]).contains("2001:db8:2::"));
}

#[test]
fn rename_by_profile_role_is_not_possible_without_devices_so_show_works() {
    // veths have no backing device, so no profile role resolves; show still lists them.
    let ns = Netns::new();
    ns.veth("v0", "v1");
    let tree = tempfile::tempdir().unwrap();
    let r = netcfg(&ns, tree.path(), &["show"]);
    assert!(r.ok, "{}", r.stderr);
    assert!(
        r.stdout.contains(": v0 kind veth mtu 1500 UP"),
        "{}",
        r.stdout
    );
}

#[test]
fn profile_plan_and_apply_on_a_fake_qemu_tree() {
    use common::faketree::{virtio_irqs, FakeNic, FakeTree};
    let ns = Netns::new();
    let mut t = FakeTree::new(4, "aes");
    t.dmi("QEMU", "Standard PC");
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
        queues: 4,
        irqs: virtio_irqs(30, "0000:00:03.0", "virtio2", 4),
    });
    let p = netcfg::profile::load_named(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("../hw-profiles"),
        "qemu-virtio",
    )
    .unwrap();
    for k in p.sysctl.keys() {
        t.write(&format!("proc/sys/{}", k.replace('.', "/")), "0\n");
    }
    t.write("proc/sys/net/core/rps_sock_flow_entries", "0\n");
    // Auto-detection picks qemu-virtio from DMI + PCI ids.
    let plan = netcfg(&ns, t.root(), &["plan"]);
    assert!(plan.ok, "{}{}", plan.stdout, plan.stderr);
    assert!(
        plan.stdout.starts_with("profile: qemu-virtio\n"),
        "{}",
        plan.stdout
    );
    assert!(
        plan.stdout
            .contains("~ irq 31 (virtio2-input.0) smp_affinity_list: 0-3 -> 1"),
        "{}",
        plan.stdout
    );
    assert!(
        plan.stdout
            .contains("~ sysctl net.core.somaxconn: 0 -> 65535"),
        "{}",
        plan.stdout
    );
    assert!(
        plan.stdout.contains("~ tr0 rx-0 rps_cpus: none -> 1-3"),
        "{}",
        plan.stdout
    );
    assert_eq!(
        t.read("proc/irq/31/smp_affinity_list"),
        "0-3",
        "plan writes nothing"
    );
    let first = netcfg(&ns, t.root(), &["apply"]);
    assert!(first.ok, "{}{}", first.stdout, first.stderr);
    assert_eq!(t.read("proc/irq/31/smp_affinity_list"), "1");
    assert_eq!(t.read("sys/class/net/tr0/queues/rx-0/rps_cpus"), "e");
    assert_eq!(
        t.read("proc/sys/net/ipv4/ip_local_port_range"),
        "1024 65535"
    );
    let second = netcfg(&ns, t.root(), &["apply"]);
    assert!(
        second.ok && second.stdout.contains("no changes"),
        "{}{}",
        second.stdout,
        second.stderr
    );
}
