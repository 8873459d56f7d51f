//! The quick start as a newcomer runs it: `rampart-supervisor --host
//! --config-dir examples` brings up dbus and lbd, lbd serves the demo on
//! HTTP within 10 s, lbctl reaches both through the run directory, and
//! SIGTERM stops everything cleanly. The only changes from the shipped
//! files: the test's own ports and run directory, so runs never collide.
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
