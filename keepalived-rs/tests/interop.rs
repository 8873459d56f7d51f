//! keepalived-rs against the real keepalived 2.2.7 in network namespaces (spec §6.4
//! S2-S4, S6, S10): one master, failover both ways within the measured timings,
//! preemption, v2 and v3, multicast and unicast, no checksum or version complaints.

mod lab;

use std::time::Duration;

use lab::{conf, conf6, Capture, Lab};
use nix::sys::signal::Signal;

const VIP: &str = "10.99.0.100";
const OURS: usize = 0;
const KA: usize = 1;

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn assert_clean_keepalived_log(text: &str) {
    for bad in [
        "checksum",
        "wrong version",
        "invalid TTL",
        "expecting",
        "password",
        "unexpected ip number count",
        "not present in MASTER",
    ] {
        assert!(
            !text.contains(bad),
            "keepalived complained ({bad}):\n{text}"
        );
    }
}

/// Exactly one node holds the VIP, and it is `k`.
fn only(lab: &Lab, k: usize) -> bool {
    lab.has_vip(k, VIP) && !lab.has_vip(1 - k, VIP)
}

#[test]
fn v2_multicast_ours_higher_priority_fails_over_both_ways() {
    if !lab::available(true) {
        return;
    }
    let lab = Lab::new(2);
    let ka = lab.start_ka(KA, &conf(2, 100, "1", ""));
    ka.wait_ready();
    assert!(
        lab.wait(ms(5000), || lab.has_vip(KA, VIP)).is_some(),
        "keepalived alone becomes master"
    );
    let mut ours = lab.start_rs(OURS, &conf(2, 150, "1", ""));
    ours.wait_ready();
    // Preemption by priority: 3 A + skew(150) = 3.414 s after start (observed 3.45 s).
    let took = lab
        .wait(ms(5000), || only(&lab, OURS))
        .expect("we preempt keepalived");
    println!("v2 preempt after start: {took:?}");
    assert!(took >= ms(3000) && took <= ms(3414 + 500), "{took:?}");
    assert!(
        lab.holds(ms(3000), || only(&lab, OURS)),
        "stable single master"
    );
    // Crash: the backup takes over within Master_Down (3.609 s) of our last advert.
    ours.crash();
    let took = lab
        .wait(ms(5000), || lab.has_vip(KA, VIP))
        .expect("keepalived takes over");
    println!("v2 crash failover to keepalived: {took:?}");
    assert!(took <= ms(3609 + 500), "{took:?}");
    // Restart: stale VIPs are cleaned at start, then we preempt again.
    let mut ours = lab.start_rs(OURS, &conf(2, 150, "1", ""));
    ours.wait_ready();
    let took = lab
        .wait(ms(5000), || only(&lab, OURS))
        .expect("we preempt again");
    println!("v2 preempt after restart: {took:?}");
    // Graceful stop: one priority-0 advert, keepalived takes over after its skew (0.609 s).
    ours.stop();
    let took = lab
        .wait(ms(3000), || lab.has_vip(KA, VIP))
        .expect("keepalived takes over after prio 0");
    println!("v2 graceful handover to keepalived: {took:?}");
    assert!(took <= ms(609 + 500), "{took:?}");
    assert!(!lab.has_vip(OURS, VIP), "VIPs removed on stop");
    let ours_log = ours.log_text();
    assert!(
        ours_log
            .contains("(VI_1) received lower priority (100) advert from 10.99.0.12 - discarding"),
        "{ours_log}"
    );
    assert_clean_keepalived_log(&ka.log_text());
}

#[test]
fn v2_keepalived_master_resigns_to_us_within_skew() {
    if !lab::available(true) {
        return;
    }
    let lab = Lab::new(2);
    let mut ka = lab.start_ka(KA, &conf(2, 150, "1", ""));
    ka.wait_ready();
    let ours = lab.start_rs(OURS, &conf(2, 100, "1", ""));
    ours.wait_ready();
    assert!(
        lab.wait(ms(6000), || only(&lab, KA)).is_some(),
        "keepalived (150) is master"
    );
    assert!(
        lab.holds(ms(4500), || only(&lab, KA)),
        "we stay backup behind a higher master"
    );
    ka.signal(Signal::SIGTERM);
    let took = lab
        .wait(ms(3000), || lab.has_vip(OURS, VIP))
        .expect("we take over");
    println!("v2 graceful handover to keepalived-rs: {took:?}");
    assert!(
        took <= ms(609 + 500),
        "skew time for prio 100 is 0.609 s: {took:?}"
    );
    ka.stop();
    assert!(lab.holds(ms(1500), || only(&lab, OURS)));
}

#[test]
fn v3_fast_interval_crash_failover_and_preempt_back() {
    if !lab::available(true) {
        return;
    }
    let lab = Lab::new(2);
    let ka_conf = conf(3, 150, "0.1", "");
    let mut ka = lab.start_ka(KA, &ka_conf);
    ka.wait_ready();
    let ours = lab.start_rs(OURS, &conf(3, 100, "0.1", ""));
    ours.wait_ready();
    assert!(
        lab.wait(ms(3000), || only(&lab, KA)).is_some(),
        "keepalived (150) is master"
    );
    assert!(
        lab.holds(ms(2000), || only(&lab, KA)),
        "no false failover at 100 ms"
    );
    // v3, A = 100 ms, prio 100: Master_Down = 300 + 60.9 ms.
    ka.crash();
    let took = lab
        .wait(ms(2000), || lab.has_vip(OURS, VIP))
        .expect("we take over");
    println!("v3 100 ms crash failover to keepalived-rs: {took:?}");
    assert!(took <= ms(361 + 250), "{took:?}");
    let ka2 = lab.start_ka(KA, &ka_conf);
    ka2.wait_ready();
    let took = lab
        .wait(ms(3000), || only(&lab, KA))
        .expect("keepalived preempts back");
    println!("v3 keepalived preempt after start: {took:?}");
    assert!(lab.holds(ms(1000), || only(&lab, KA)));
    let text = ours.log_text();
    assert!(
        !text.contains("checksum form"),
        "keepalived uses our checksum form:\n{text}"
    );
    assert_clean_keepalived_log(&ka2.log_text());
}

#[test]
fn v3_unicast_with_keepalived() {
    if !lab::available(true) {
        return;
    }
    let lab = Lab::new(2);
    let peer = |me: &str, other: &str| {
        format!("  unicast_src_ip {me}\n  unicast_peer {{\n    {other}\n  }}")
    };
    let ka = lab.start_ka(KA, &conf(3, 100, "1", &peer("10.99.0.12", "10.99.0.11")));
    ka.wait_ready();
    let mut ours = lab.start_rs(OURS, &conf(3, 150, "1", &peer("10.99.0.11", "10.99.0.12")));
    ours.wait_ready();
    assert!(
        lab.wait(ms(6000), || only(&lab, OURS)).is_some(),
        "we (150) are master over unicast"
    );
    assert!(lab.holds(ms(2500), || only(&lab, OURS)));
    ours.crash();
    let took = lab
        .wait(ms(5000), || lab.has_vip(KA, VIP))
        .expect("keepalived takes over");
    println!("v3 unicast crash failover to keepalived: {took:?}");
    assert!(took <= ms(3609 + 500), "{took:?}");
    assert_clean_keepalived_log(&ka.log_text());
}

#[test]
fn v2_password_auth_interop() {
    if !lab::available(true) {
        return;
    }
    let lab = Lab::new(2);
    let auth = "  authentication {\n    auth_type PASS\n    auth_pass s3cr3tpass\n  }";
    let ka = lab.start_ka(KA, &conf(2, 100, "1", auth));
    ka.wait_ready();
    let ours = lab.start_rs(OURS, &conf(2, 150, "1", auth));
    ours.wait_ready();
    assert!(lab.wait(ms(6000), || only(&lab, OURS)).is_some());
    assert!(
        lab.holds(ms(2500), || only(&lab, OURS)),
        "keepalived accepts our PASS adverts"
    );
    assert_clean_keepalived_log(&ka.log_text());
}

#[test]
fn nopreempt_waits_for_keepalived_to_resign() {
    if !lab::available(true) {
        return;
    }
    let lab = Lab::new(2);
    let ka = lab.start_ka(KA, &conf(2, 100, "1", ""));
    ka.wait_ready();
    assert!(lab.wait(ms(5000), || lab.has_vip(KA, VIP)).is_some());
    let ours = lab.start_rs(OURS, &conf(2, 150, "1", "  nopreempt"));
    ours.wait_ready();
    assert!(
        lab.holds(ms(5000), || only(&lab, KA)),
        "nopreempt: the lower master keeps the VIP"
    );
    ka.signal(Signal::SIGTERM);
    let took = lab
        .wait(ms(3000), || lab.has_vip(OURS, VIP))
        .expect("we take over on prio 0");
    println!("nopreempt takeover after prio 0: {took:?}");
    assert!(
        took <= ms(414 + 500),
        "skew for 150 is 0.414 s (observed 0.419 s): {took:?}"
    );
}

/// S7 + equal priorities: partition makes two masters; on heal the higher address
/// (keepalived, .12) keeps MASTER and we yield, logging keepalived's tie-break line.
#[test]
fn split_brain_heals_to_the_higher_address() {
    if !lab::available(true) {
        return;
    }
    let lab = Lab::new(2);
    let ka = lab.start_ka(KA, &conf(3, 100, "0.2", ""));
    ka.wait_ready();
    assert!(lab.wait(ms(3000), || lab.has_vip(KA, VIP)).is_some());
    let ours = lab.start_rs(OURS, &conf(3, 100, "0.2", ""));
    ours.wait_ready();
    assert!(
        lab.holds(ms(2000), || only(&lab, KA)),
        "equal priority: no preemption of a running master"
    );
    lab.partition(OURS, true);
    assert!(
        lab.wait(ms(3000), || lab.has_vip(OURS, VIP) && lab.has_vip(KA, VIP))
            .is_some(),
        "split brain"
    );
    lab.partition(OURS, false);
    let took = lab
        .wait(ms(3000), || only(&lab, KA))
        .expect("one master after heal");
    println!("split brain resolved {took:?} after heal");
    assert!(
        took <= ms(200 + 500),
        "within one advert interval (+ margin): {took:?}"
    );
    assert!(lab.holds(ms(1500), || only(&lab, KA)));
    let log = ours.log_text();
    assert!(
        log.contains("(VI_1) Master received advert from 10.99.0.12 with same priority 100 but higher IP address than ours"),
        "{log}"
    );
}

/// S11: a v2 and a v3 node with the same VRID ignore each other and both become
/// MASTER (the documented hazard); our log names the cause.
#[test]
fn version_mismatch_is_a_named_split_brain() {
    if !lab::available(true) {
        return;
    }
    let lab = Lab::new(2);
    let ka = lab.start_ka(KA, &conf(3, 100, "1", ""));
    let ours = lab.start_rs(OURS, &conf(2, 150, "1", ""));
    ka.wait_ready();
    ours.wait_ready();
    assert!(
        lab.wait(ms(6000), || lab.has_vip(OURS, VIP) && lab.has_vip(KA, VIP))
            .is_some(),
        "both MASTER"
    );
    let log = ours.log_text();
    assert!(
        log.contains("(VI_1) wrong version. Received 3 and expect 2"),
        "{log}"
    );
    assert!(
        ka.log_text()
            .contains("wrong version. Received 2 and expect 3"),
        "{}",
        ka.log_text()
    );
}

/// VRRPv3 over IPv6 (spec §1.3, §1.5): keepalived accepts our adverts (IPv6
/// pseudo-header checksum, link-local source); failover both ways; an unsolicited NA
/// for the VIP is on the wire when we become master.
#[test]
fn v3_ipv6_with_keepalived() {
    if !lab::available(true) {
        return;
    }
    let vip6 = "fd99::100";
    let lab = Lab::new(2);
    let cap = Capture::start(&lab);
    let only6 = |k: usize| lab.has_vip(k, vip6) && !lab.has_vip(1 - k, vip6);
    let ka = lab.start_ka(KA, &conf6(100, "0.1", ""));
    ka.wait_ready();
    let mut ours = lab.start_rs(OURS, &conf6(150, "0.1", ""));
    ours.wait_ready();
    assert!(
        lab.wait(ms(4000), || only6(OURS)).is_some(),
        "we (150) are master:\n{}",
        ours.log_text()
    );
    assert!(
        lab.holds(ms(1500), || only6(OURS)),
        "keepalived accepts our IPv6 adverts"
    );
    ours.crash();
    let took = lab
        .wait(ms(2000), || lab.has_vip(KA, vip6))
        .expect("keepalived takes over");
    println!("v3 IPv6 100 ms crash failover to keepalived: {took:?}");
    // Keepalived's timer, not ours: it must act on the 100 ms interval
    // (Master_Down 361 ms, against 3.6 s at the 1 s default). Its own
    // scheduling and the IPv6 address add took 635 ms once on a loaded CI
    // machine, so the bound only separates the two intervals.
    assert!(took <= ms(361 + 1000), "{took:?}");
    let ours = lab.start_rs(OURS, &conf6(150, "0.1", ""));
    ours.wait_ready();
    assert!(
        lab.wait(ms(3000), || only6(OURS)).is_some(),
        "we preempt back over IPv6"
    );
    assert_clean_keepalived_log(&ka.log_text());
    if let Some(cap) = cap {
        std::thread::sleep(ms(100));
        let frames = cap.frames();
        assert!(
            frames.iter().any(|f| f.text.contains("fd99::100 > ff02::1")
                && f.text.contains("neighbor advertisement")),
            "unsolicited NA on the wire: {frames:?}"
        );
    }
}

/// S6 preempt_delay (spec §2.4): with D = 4 s the higher node accepts the lower master
/// for 4 s after its first advert, then takes over one Master_Down later (6.56 s
/// after start in the lab).
#[test]
fn preempt_delay_matches_keepalived_timing() {
    if !lab::available(true) {
        return;
    }
    let lab = Lab::new(2);
    let ka = lab.start_ka(KA, &conf(2, 100, "1", ""));
    ka.wait_ready();
    assert!(lab.wait(ms(5000), || lab.has_vip(KA, VIP)).is_some());
    let t0 = std::time::Instant::now();
    let ours = lab.start_rs(OURS, &conf(2, 150, "1", "  preempt_delay 4"));
    ours.wait_ready();
    let took = lab
        .wait(ms(9000), || only(&lab, OURS))
        .map(|_| t0.elapsed())
        .expect("we take over");
    println!("preempt_delay 4: takeover {took:?} after start");
    // First accepted advert within 1 s of start, 4 s of acceptance (the advert landing
    // on the boundary may fall either side), then Master_Down 3.414 s: lab 6.56 s.
    assert!(
        took >= ms(6400) && took <= ms(8414 + 300),
        "expected first advert + 4 s + 3.414 s: {took:?}"
    );
    assert!(
        ours.log_text()
            .contains("(VI_1) start preempt delay (4.000000)"),
        "{}",
        ours.log_text()
    );
}

/// vrrp_sync_group (spec §3.5): an unweighted tracker failing on one member puts the
/// whole group in FAULT, so both VIPs move to keepalived together.
#[test]
fn sync_group_members_fail_over_together() {
    if !lab::available(true) {
        return;
    }
    let lab = Lab::new(2);
    let flag = lab.dir.join("lb.ok");
    assert!(std::fs::write(&flag, "").is_ok());
    let inst = |name: &str, vrid: u8, prio: u8, vip: &str, extra: &str| {
        format!(
            "vrrp_instance {name} {{\n  interface eth0\n  virtual_router_id {vrid}\n  priority {prio}\n  advert_int 1\n{extra}\n  virtual_ipaddress {{\n    {vip}/24\n  }}\n}}\n"
        )
    };
    let ka_conf = format!(
        "{}{}",
        inst("VI_1", 51, 100, VIP, ""),
        inst("VI_2", 52, 100, "10.99.0.200", "")
    );
    let ka = lab.start_ka(KA, &ka_conf);
    ka.wait_ready();
    let ours_conf = format!(
        "vrrp_script chk {{\n  script \"/usr/bin/test -f {}\"\n  interval 0.2\n}}\n{}{}\
         vrrp_sync_group G1 {{\n  group {{\n    VI_1\n    VI_2\n  }}\n}}\n",
        flag.display(),
        inst("VI_1", 51, 150, VIP, "  track_script {\n    chk\n  }"),
        inst("VI_2", 52, 150, "10.99.0.200", ""),
    );
    let ours = lab.start_rs(OURS, &ours_conf);
    ours.wait_ready();
    let both = |k: usize| lab.has_vip(k, VIP) && lab.has_vip(k, "10.99.0.200");
    let none = |k: usize| !lab.has_vip(k, VIP) && !lab.has_vip(k, "10.99.0.200");
    assert!(
        lab.wait(ms(8000), || both(OURS) && none(KA)).is_some(),
        "{}",
        ours.log_text()
    );
    assert!(std::fs::remove_file(&flag).is_ok());
    let took = lab
        .wait(ms(4000), || both(KA) && none(OURS))
        .expect("the group moves together");
    println!("sync group fault → both VIPs on keepalived after {took:?}");
    let log = ours.log_text();
    assert_eq!(log.matches("Entering FAULT STATE").count(), 2, "{log}");
}
