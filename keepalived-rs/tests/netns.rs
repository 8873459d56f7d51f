//! keepalived-rs nodes alone in network namespaces (spec §6.4 S1, S2, S13, FAULT):
//! election, link down → FAULT → VIPs removed, crash leftovers cleaned, reload.

mod lab;

use std::time::Duration;

use lab::{conf, epoch, Capture, Lab};
use nix::sys::signal::Signal;

const VIP: &str = "10.99.0.100";

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

#[test]
fn two_rs_nodes_elect_one_and_link_down_means_fault() {
    if !lab::available(false) {
        return;
    }
    let lab = Lab::new(2);
    let a = lab.start_rs(0, &conf(3, 150, "0.1", ""));
    let b = lab.start_rs(1, &conf(3, 100, "0.1", ""));
    a.wait_ready();
    b.wait_ready();
    assert!(lab
        .wait(ms(3000), || lab.has_vip(0, VIP) && !lab.has_vip(1, VIP))
        .is_some());
    assert!(lab.holds(ms(1500), || lab.has_vip(0, VIP) && !lab.has_vip(1, VIP)));
    // Link down on the master: FAULT, VIP removed; the backup takes over.
    lab.link(0, false);
    assert!(
        lab.wait(ms(2000), || !lab.has_vip(0, VIP)).is_some(),
        "VIP removed in FAULT"
    );
    assert!(
        lab.wait(ms(2000), || lab.has_vip(1, VIP)).is_some(),
        "backup takes over"
    );
    assert!(
        a.log_text().contains("(VI_1) Entering FAULT STATE"),
        "{}",
        a.log_text()
    );
    // Link back: BACKUP, then it preempts again.
    lab.link(0, true);
    assert!(lab
        .wait(ms(3000), || lab.has_vip(0, VIP) && !lab.has_vip(1, VIP))
        .is_some());
}

#[test]
fn crash_leftover_vips_are_removed_at_start() {
    if !lab::available(false) {
        return;
    }
    let lab = Lab::new(2);
    let mut a = lab.start_rs(0, &conf(2, 150, "1", ""));
    a.wait_ready();
    assert!(lab.wait(ms(5000), || lab.has_vip(0, VIP)).is_some());
    a.crash();
    assert!(lab.has_vip(0, VIP), "SIGKILL leaves the VIP behind");
    // A higher-priority master now runs elsewhere; our restart must not keep the VIP.
    let b = lab.start_rs(1, &conf(2, 200, "1", ""));
    b.wait_ready();
    assert!(lab.wait(ms(5000), || lab.has_vip(1, VIP)).is_some());
    let a = lab.start_rs(0, &conf(2, 150, "1", ""));
    a.wait_ready();
    assert!(
        lab.wait(ms(2000), || !lab.has_vip(0, VIP)).is_some(),
        "leftover removed at start"
    );
    assert!(lab.holds(ms(4500), || !lab.has_vip(0, VIP) && lab.has_vip(1, VIP)));
}

#[test]
fn sighup_reload_keeps_master_state() {
    if !lab::available(false) {
        return;
    }
    let lab = Lab::new(1);
    let a = lab.start_rs(0, &conf(2, 150, "1", ""));
    a.wait_ready();
    assert!(lab.wait(ms(5000), || lab.has_vip(0, VIP)).is_some());
    // Same instance, new priority: state is kept (no BACKUP detour, VIP stays).
    lab.write("rs0.conf", &conf(2, 120, "1", ""));
    a.signal(Signal::SIGHUP);
    assert!(
        lab.holds(ms(2000), || lab.has_vip(0, VIP)),
        "VIP kept across reload"
    );
    let log = a.log_text();
    assert!(log.contains("Reloading"), "{log}");
    assert_eq!(log.matches("Entering MASTER STATE").count(), 1, "{log}");
}

#[test]
fn notify_scripts_get_keepalived_arguments() {
    if !lab::available(false) {
        return;
    }
    let lab = Lab::new(1);
    let out = lab.dir.join("notify.out");
    let script = lab.write(
        "notify.sh",
        &format!("#!/bin/sh\necho \"$@\" >> {}\n", out.display()),
    );
    let _ = std::process::Command::new("chmod")
        .arg("+x")
        .arg(&script)
        .status();
    let extra = format!(
        "  notify {}\n  notify_master \"{} only-master\"",
        script.display(),
        script.display()
    );
    let fifo = lab.dir.join("notify.fifo");
    let fifo_conf = format!("global_defs {{\n  notify_fifo {}\n}}\n", fifo.display());
    let a = lab.start_rs(0, &format!("{fifo_conf}{}", conf(2, 150, "1", &extra)));
    a.wait_ready();
    let read = || std::fs::read_to_string(&out).unwrap_or_default();
    assert!(
        lab.wait(ms(6000), || read().lines().count() >= 3).is_some(),
        "{}",
        read()
    );
    let text = read();
    assert!(text.contains("INSTANCE VI_1 BACKUP 150"), "{text}");
    assert!(text.contains("INSTANCE VI_1 MASTER 150"), "{text}");
    assert!(text.contains("only-master"), "{text}");
    // The FIFO keeps order (scripts may overlap); lines wait in the pipe for a reader.
    use std::io::Read;
    use std::os::unix::fs::OpenOptionsExt;
    let mut r = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(&fifo)
        .expect("fifo created by the daemon");
    let mut buf = [0u8; 512];
    let n = r.read(&mut buf).unwrap_or(0);
    assert_eq!(
        String::from_utf8_lossy(&buf[..n]),
        "INSTANCE \"VI_1\" BACKUP 150\nINSTANCE \"VI_1\" MASTER 150\n"
    );
}

/// S1: lone start → first advert at 3.609 s, 5 GARPs right after it, 5 more 5 s later.
#[test]
fn lone_start_first_advert_and_garp_bursts_on_the_wire() {
    if !lab::available(false) {
        return;
    }
    let lab = Lab::new(1);
    let Some(cap) = Capture::start(&lab) else {
        return;
    };
    let t0 = epoch();
    let a = lab.start_rs(0, &conf(2, 100, "1", ""));
    a.wait_ready();
    assert!(lab.wait(ms(5000), || lab.has_vip(0, VIP)).is_some());
    std::thread::sleep(ms(5600));
    let frames = cap.frames();
    let advert = frames
        .iter()
        .find(|f| f.text.contains("VRRPv2, Advertisement, vrid 51, prio 100"))
        .expect("an advert");
    let first = advert.t - t0;
    println!("first advert {first:.3} s after spawn");
    assert!((3.55..3.80).contains(&first), "{first}");
    let garps: Vec<f64> = frames
        .iter()
        .filter(|f| {
            f.text
                .contains("Request who-has 10.99.0.100 (ff:ff:ff:ff:ff:ff) tell 10.99.0.100")
        })
        .map(|f| f.t - advert.t)
        .collect();
    println!("GARPs after first advert: {garps:?}");
    assert_eq!(garps.len(), 10, "{frames:?}");
    assert!(
        garps[..5].iter().all(|&d| (0.0..0.010).contains(&d)),
        "first burst within 10 ms: {garps:?}"
    );
    assert!(
        garps[5..].iter().all(|&d| (4.95..5.10).contains(&d)),
        "second burst at +5 s: {garps:?}"
    );
}

/// track_interface: a tracked link going down is FAULT (no weight) and gives up the VIP.
#[test]
fn track_interface_down_is_fault() {
    if !lab::available(false) {
        return;
    }
    let lab = Lab::new(2);
    let ns = lab.node(0).ns;
    let ip = |args: &[&str]| {
        let st = std::process::Command::new("ip")
            .arg("-n")
            .arg(&ns)
            .args(args)
            .status();
        assert!(st.is_ok_and(|s| s.success()), "ip {args:?}");
    };
    ip(&[
        "link", "add", "trk0", "type", "veth", "peer", "name", "trk1",
    ]);
    ip(&["link", "set", "trk0", "up"]);
    ip(&["link", "set", "trk1", "up"]);
    let a = lab.start_rs(
        0,
        &conf(3, 150, "0.1", "  track_interface {\n    trk0\n  }"),
    );
    let b = lab.start_rs(1, &conf(3, 100, "0.1", ""));
    a.wait_ready();
    b.wait_ready();
    let only = |k: usize| lab.has_vip(k, VIP) && !lab.has_vip(1 - k, VIP);
    assert!(lab.wait(ms(3000), || only(0)).is_some(), "{}", a.log_text());
    ip(&["link", "set", "trk0", "down"]);
    assert!(
        lab.wait(ms(2000), || only(1)).is_some(),
        "tracked link down: FAULT, VIP moves"
    );
    assert!(a.log_text().contains("Entering FAULT STATE"));
    ip(&["link", "set", "trk0", "up"]);
    assert!(
        lab.wait(ms(3000), || only(0)).is_some(),
        "back up: preempts again"
    );
}

/// A reload that drops VIPs from a master deletes them; `virtual_ipaddress_excluded`
/// is installed with the advertised VIPs (and kept while it stays configured).
#[test]
fn reload_shrinking_the_vips_deletes_the_dropped_ones() {
    if !lab::available(false) {
        return;
    }
    let lab = Lab::new(1);
    let vips = |list: &str| {
        format!(
            "vrrp_instance VI_1 {{\n  interface eth0\n  virtual_router_id 51\n  priority 150\n  advert_int 1\n  virtual_ipaddress {{\n{list}  }}\n  virtual_ipaddress_excluded {{\n    10.99.0.150/24\n  }}\n}}\n"
        )
    };
    let a = lab.start_rs(0, &vips("    10.99.0.100/24\n    10.99.0.101/24\n"));
    a.wait_ready();
    assert!(lab
        .wait(ms(5000), || lab.has_vip(0, VIP)
            && lab.has_vip(0, "10.99.0.101")
            && lab.has_vip(0, "10.99.0.150"))
        .is_some());
    lab.write("rs0.conf", &vips("    10.99.0.100/24\n"));
    a.signal(Signal::SIGHUP);
    assert!(
        lab.wait(ms(2000), || !lab.has_vip(0, "10.99.0.101"))
            .is_some(),
        "dropped VIP deleted on reload"
    );
    assert!(lab.holds(ms(500), || lab.has_vip(0, VIP)
        && lab.has_vip(0, "10.99.0.150")));
}

/// Node `k`'s link-local address on eth0, once DAD is done.
fn link_local(lab: &Lab, k: usize) -> String {
    let ns = lab.node(k).ns;
    let mut found = String::new();
    lab.wait(ms(5000), || {
        let out = std::process::Command::new("ip")
            .args([
                "-n", &ns, "-6", "-o", "addr", "show", "dev", "eth0", "scope", "link",
            ])
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
            .unwrap_or_default();
        if out.contains("tentative") {
            return false;
        }
        let addr = out
            .split_whitespace()
            .skip_while(|w| *w != "inet6")
            .nth(1)
            .and_then(|a| a.split('/').next())
            .map(str::to_string);
        found = addr.unwrap_or_default();
        !found.is_empty()
    });
    assert!(!found.is_empty(), "no link-local address in node {k}");
    found
}

/// VRRPv3 over IPv6 with unicast peers (link-local): one master, and the backup takes
/// over when it dies.
#[test]
fn ipv6_unicast_elects_and_fails_over() {
    if !lab::available(false) {
        return;
    }
    let lab = Lab::new(2);
    let (ll0, ll1) = (link_local(&lab, 0), link_local(&lab, 1));
    let peer = |p: &str| format!("  unicast_peer {{\n    {p}\n  }}");
    let vip6 = "fd99::100";
    let only = |k: usize| lab.has_vip(k, vip6) && !lab.has_vip(1 - k, vip6);
    let mut a = lab.start_rs(0, &lab::conf6(150, "0.1", &peer(&ll1)));
    let b = lab.start_rs(1, &lab::conf6(100, "0.1", &peer(&ll0)));
    a.wait_ready();
    b.wait_ready();
    assert!(
        lab.wait(ms(4000), || only(0)).is_some(),
        "{}\n{}",
        a.log_text(),
        b.log_text()
    );
    assert!(lab.holds(ms(1000), || only(0)), "{}", b.log_text());
    a.crash();
    assert!(
        lab.wait(ms(2000), || lab.has_vip(1, vip6)).is_some(),
        "{}",
        b.log_text()
    );
}
