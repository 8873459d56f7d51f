//! The quick start as a newcomer runs it: `rampart-supervisor --host
//! --config-dir examples` brings up dbus and lbd, lbd serves the demo on
//! HTTP within 10 s, lbctl reaches both through the run directory, and
//! SIGTERM stops everything cleanly. As root, keepalived-rs joins in a
//! network namespace (as scripts/run sets it up) and `lbctl vrrp` shows it
//! win the election. The only changes from the shipped files: the test's
//! own ports, run directory and namespace name, so runs never collide.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::{Duration, Instant};

use common::*;

#[test]
fn quick_start_serves_within_10s_and_stops_cleanly() {
    let Some(()) = need(&["rampart-supervisor", "lbd"]) else {
        return;
    };
    let dir = tempdir("quickstart");
    let (cfg_dir, [www, _, _, tcp]) = private_examples(&dir);
    let started = Instant::now();
    let mut s = Stack::start(&cfg_dir, &dir.join("run"));

    // Demo traffic within 10 s of the command.
    let body = loop {
        if let Some(b) = curl(www) {
            break b;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "no answer on :{www} after 10 s:\n{}",
            s.output()
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(body.starts_with("hello from app"), "{body}");
    let through_tcp = curl(tcp).unwrap_or_default();
    assert!(through_tcp.starts_with("hello from app"), "{through_tcp}");

    // lbctl finds the stack by its run directory: lbd ready by sd_notify.
    let status = s.wait_state("lbd", "ready", Duration::from_secs(10));
    assert!(
        status
            .lines()
            .any(|l| l.split_whitespace().take(2).eq(["dbus", "ready"])),
        "{status}"
    );
    assert!(status.lines().all(|l| l.len() <= 80), "{status}");
    // Under the services: lbd's proxies (through the run dir's socket).
    let status = text(&s.lbctl(&["status"]));
    assert!(
        status.contains("lbd:   4 frontends, 2 backends (0 down), servers 3 up 0 down 0 maint"),
        "{status}"
    );
    assert!(
        status.contains("vrrp:  keepalived-rs not running"),
        "{status}"
    );
    let o = s.lbctl(&["--json", "status"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let pids: Vec<u32> = v["services"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["pid"].as_u64().unwrap() as u32)
        .collect();
    assert_eq!(pids.len(), 2, "{v}");
    assert!(pids.iter().all(|p| *p != 0 && alive(*p)), "{v}");

    let o = s.lbctl(&["stats"]);
    assert!(o.status.success(), "{}{}", stderr(&o), s.output());
    let stats = text(&o);
    for (px, sv) in [("www", "FRONTEND"), ("apps", "app1"), ("apps", "app2")] {
        assert!(
            stats
                .lines()
                .any(|l| l.split_whitespace().take(2).eq([px, sv])),
            "no {px}/{sv} in:\n{stats}"
        );
    }

    // SIGTERM: an orderly stop, exit 0, nothing left behind.
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(s.sup.id() as i32),
        nix::sys::signal::Signal::SIGTERM,
    )
    .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    let st = loop {
        if let Some(st) = s.sup.try_wait().unwrap() {
            break st;
        }
        assert!(Instant::now() < deadline, "still running:\n{}", s.output());
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(st.code(), Some(0), "{}", s.output());
    for p in pids {
        assert!(!alive(p), "pid {p} left behind:\n{}", s.output());
    }
    let left = processes_mentioning(&dir.to_string_lossy());
    assert!(left.is_empty(), "left behind: {left:?}");
    assert!(curl(www).is_none(), "still serving after the stop");
    let _ = std::fs::remove_dir_all(&dir);
}

/// The demo's network namespace, set up as scripts/run does it as root,
/// and removed when dropped.
struct DemoNetns(String);

impl DemoNetns {
    fn create() -> Option<DemoNetns> {
        let ns = DemoNetns(demo_netns());
        let ip = |args: &[&str]| {
            std::process::Command::new("ip")
                .args(args)
                .status()
                .is_ok_and(|s| s.success())
        };
        let n = ns.0.as_str();
        // A leftover of a killed run; usually there is none.
        let _ = std::process::Command::new("ip")
            .args(["netns", "del", n])
            .stderr(std::process::Stdio::null())
            .status();
        let ok = ip(&["netns", "add", n])
            && ip(&[
                "-n", n, "link", "add", "vrrp0", "type", "veth", "peer", "name", "vrrp1",
            ])
            && ip(&["-n", n, "addr", "add", "10.99.1.1/24", "dev", "vrrp0"])
            && ip(&["-n", n, "addr", "add", "10.99.1.2/24", "dev", "vrrp1"])
            && ["lo", "vrrp0", "vrrp1"]
                .iter()
                .all(|l| ip(&["-n", n, "link", "set", l, "up"]));
        ok.then_some(ns)
    }

    fn has_vip(&self) -> bool {
        std::process::Command::new("ip")
            .args(["-n", &self.0, "-4", "addr", "show", "dev", "vrrp0"])
            .output()
            .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains("10.99.1.100/24"))
    }
}

impl Drop for DemoNetns {
    fn drop(&mut self) {
        let _ = std::process::Command::new("ip")
            .args(["netns", "del", &self.0])
            .status();
    }
}

#[test]
fn quick_start_as_root_runs_keepalived_rs_in_a_namespace() {
    let Some(()) = need(&["rampart-supervisor", "lbd", "keepalived-rs"]) else {
        return;
    };
    if !nix::unistd::geteuid().is_root() {
        eprintln!("skipped: VRRP in the quick start needs root");
        return;
    }
    let Some(ns) = DemoNetns::create() else {
        eprintln!("skipped: cannot create a network namespace with ip");
        return;
    };
    let dir = tempdir("quickstart-vrrp");
    let (cfg_dir, _) = private_examples(&dir);
    let run = dir.join("run");
    std::fs::create_dir_all(&run).unwrap();
    std::fs::write(run.join("vrrp-netns"), format!("{}\n", ns.0)).unwrap();
    let mut s = Stack::start(&cfg_dir, &run);

    // keepalived-rs starts after lbd, wins the election alone (3 adverts
    // of 1 s plus skew) and says so on the bus.
    s.wait_state("keepalived", "ready", Duration::from_secs(15));
    let deadline = Instant::now() + Duration::from_secs(15);
    let table = loop {
        let o = s.lbctl(&["vrrp"]);
        let t = text(&o);
        let master = t
            .lines()
            .any(|l| l.split_whitespace().nth(3) == Some("MASTER"));
        if o.status.success() && master {
            break t;
        }
        assert!(
            Instant::now() < deadline,
            "no MASTER: {t}{}\n{}",
            stderr(&o),
            s.output()
        );
        std::thread::sleep(Duration::from_millis(200));
    };
    let row: Vec<&str> = table
        .lines()
        .find(|l| l.starts_with("VI_1"))
        .unwrap_or_default()
        .split_whitespace()
        .collect();
    assert_eq!(row[..4], ["VI_1", "vrrp0", "51", "MASTER"], "{table}");
    assert_eq!(row.last(), Some(&"10.99.1.100/24"), "{table}");
    assert!(ns.has_vip(), "VIP not on vrrp0 in the namespace");
    let status = text(&s.lbctl(&["status"]));
    assert!(status.contains("vrrp:  VI_1 MASTER"), "{status}");

    // The orderly stop: keepalived-rs first, and it gives the VIP back.
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(s.sup.id() as i32),
        nix::sys::signal::Signal::SIGTERM,
    )
    .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    let st = loop {
        if let Some(st) = s.sup.try_wait().unwrap() {
            break st;
        }
        assert!(Instant::now() < deadline, "still running:\n{}", s.output());
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(st.code(), Some(0), "{}", s.output());
    assert!(!ns.has_vip(), "VIP left behind after the stop");
    let out = s.output();
    let k = out
        .find("keepalived: exited")
        .or_else(|| out.find("keepalived: killed"))
        .unwrap_or(usize::MAX);
    let l = out.find("lbd: exited").unwrap_or(0);
    assert!(k < l, "keepalived-rs must stop before lbd:\n{out}");
    drop(ns);
    let _ = std::fs::remove_dir_all(&dir);
}
