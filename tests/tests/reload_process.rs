//! The process model around reloads (spec section 10): `-Ws` speaks the
//! sd_notify protocol, and a binary upgrade with `-x <stats socket> -sf
//! <old pid>` takes the listening sockets over without refusing anyone.

use std::os::unix::net::UnixDatagram;
use std::time::{Duration, Instant};

use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use tests::stats_socket::{cli, wait_socket, with_stats_socket};
use tests::*;

/// Reads notifications until one contains `want`; returns everything read.
fn wait_for(sock: &UnixDatagram, want: &str, lbd: &LbdProcess) -> String {
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut seen = String::new();
    let mut buf = [0u8; 4096];
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        assert!(
            !left.is_zero(),
            "no {want} in {seen:?}{}",
            lbd.output_hint()
        );
        let _ = sock.set_read_timeout(Some(left));
        if let Ok(n) = sock.recv(&mut buf) {
            let msg = String::from_utf8_lossy(&buf[..n]).into_owned();
            seen.push_str(&msg);
            seen.push('|');
            if msg.lines().any(|l| l == want) {
                return seen;
            }
        }
    }
}

#[test]
fn ws_notifies_ready_after_binding_and_brackets_a_reload() {
    let a = HttpBackend::start("A");
    let port = free_port();
    let dir = TempDir::new();
    let path = dir.join("notify.sock");
    let sock = UnixDatagram::bind(&path).unwrap_or_else(|e| panic!("bind: {e}"));
    let cfg = http_config(port, "", &server_lines(&[&a], ""));
    let path_s = path.display().to_string();
    let lbd = LbdProcess::start_with(dir, &cfg, &["-Ws"], &[("NOTIFY_SOCKET", &path_s)]);
    wait_for(&sock, "READY=1", &lbd);
    // Ready means serving.
    let out = curl(&[
        "-s",
        "-o",
        "/dev/null",
        "-w",
        "%{http_code}",
        &format!("http://127.0.0.1:{port}/"),
    ]);
    assert_eq!(out.stdout_str(), "200");
    kill(Pid::from_raw(lbd.pid() as i32), Signal::SIGUSR2).unwrap_or_else(|e| panic!("{e}"));
    let seen = wait_for(&sock, "RELOADING=1", &lbd);
    assert!(!seen.contains("READY=1|"), "READY before RELOADING: {seen}");
    wait_for(&sock, "READY=1", &lbd);
}

#[test]
fn x_and_sf_hand_the_sockets_over_without_refusing_anyone() {
    let a = HttpBackend::start("A");
    let port = free_port();
    let old_dir = TempDir::new();
    let admin = old_dir.join("admin.sock");
    let cfg = with_stats_socket(
        &http_config(port, "", &server_lines(&[&a], "")),
        &admin,
        "level admin expose-fd listeners",
    );
    let mut old = LbdProcess::start_with(old_dir, &cfg, &[], &[]);
    wait_socket(&admin);
    let hammer = Hammer::start(port, 4);
    std::thread::sleep(Duration::from_millis(200));
    let old_pid = old.pid().to_string();
    let admin_s = admin.display().to_string();
    let new = LbdProcess::start_with(
        TempDir::new(),
        &cfg,
        &["-x", &admin_s, "-sf", &old_pid],
        &[],
    );
    let exited = old.wait_exit(Duration::from_secs(10));
    assert!(
        exited.is_some(),
        "old process still running{}",
        old.output_hint()
    );
    std::thread::sleep(Duration::from_millis(200));
    let counts = hammer.finish();
    eprintln!("upgrade under load: {counts:?}");
    // A failed handover would still serve (bound afresh with SO_REUSEPORT),
    // but the old sockets' queues would be reset when they close.
    let hint = new.output_hint();
    assert!(!hint.contains("Failed to get the sockets"), "{hint}");
    assert!(counts.ok > 50, "too little traffic: {counts:?}");
    assert_eq!(
        counts.failures(),
        0,
        "{counts:?}{}{}",
        old.output_hint(),
        new.output_hint()
    );
    let out = curl(&[
        "-s",
        "-o",
        "/dev/null",
        "-w",
        "%{http_code}",
        &format!("http://127.0.0.1:{port}/"),
    ]);
    assert_eq!(out.stdout_str(), "200", "{}", new.output_hint());
}

#[test]
fn a_binary_upgrade_with_x_carries_stick_tables_and_server_state() {
    if is_haproxy() {
        // 2.6 needs a `peers` section and a `server-state-file` for these.
        return;
    }
    let (a1, a2) = (HttpBackend::start("s1"), HttpBackend::start("s2"));
    let port = free_port();
    let old_dir = TempDir::new();
    let admin = old_dir.join("admin.sock");
    let cfg = http_config(
        port,
        "    stick-table type ip size 1k expire 60s store gpc0,http_req_cnt\n    http-request track-sc0 src",
        &server_lines(&[&a1, &a2], ""),
    );
    let cfg = with_stats_socket(&cfg, &admin, "level admin expose-fd listeners");
    let mut old = LbdProcess::start_with(old_dir, &cfg, &[], &[]);
    wait_socket(&admin);
    assert_eq!(cli(&admin, "set table fe key 10.1.2.3 data.gpc0 5"), "\n");
    assert_eq!(cli(&admin, "set server be/s1 state maint"), "\n");
    let old_pid = old.pid().to_string();
    let admin_s = admin.display().to_string();
    let new = LbdProcess::start_with(
        TempDir::new(),
        &cfg,
        &["-x", &admin_s, "-sf", &old_pid],
        &[],
    );
    assert!(
        old.wait_exit(Duration::from_secs(10)).is_some(),
        "old process still running{}",
        old.output_hint()
    );
    let table = cli(&admin, "show table fe");
    assert!(
        table.contains("key=10.1.2.3") && table.contains("gpc0=5"),
        "table not carried:\n{table}{}",
        new.output_hint()
    );
    let state = cli(&admin, "show servers state be");
    assert!(
        state
            .lines()
            .any(|l| l.contains(" s1 ") && l.split_whitespace().nth(6) == Some("1")),
        "s1 not in maintenance after the upgrade:\n{state}"
    );
    let counts = tests::count_served(port, 4);
    assert_eq!(
        counts.get("s2"),
        Some(&4),
        "{counts:?}{}",
        new.output_hint()
    );
}

/// The operator's flow around a restart with 2.6: dump `show servers
/// state` to the `server-state-file`, restart, and the backends with
/// `load-server-state-from-file` start from it.
#[test]
fn load_server_state_from_file_restores_maintenance_after_a_restart() {
    let (a1, a2) = (HttpBackend::start("s1"), HttpBackend::start("s2"));
    let port = free_port();
    // Outlives both processes (each owns its own directory).
    let keep = TempDir::new();
    let admin = keep.join("admin.sock");
    let cfg = http_config(port, "", &server_lines(&[&a1, &a2], ""))
        .replace(
            "global\n",
            &format!(
                "global\n    stats socket {} level admin\n    server-state-base {}\n    server-state-file servers.state\n",
                admin.display(),
                keep.path().display()
            ),
        )
        .replace("defaults\n", "defaults\n    load-server-state-from-file global\n");
    let first = LbdProcess::start_in(TempDir::new(), &cfg);
    wait_socket(&admin);
    assert_eq!(cli(&admin, "set server be/s1 state maint"), "\n");
    let dump = cli(&admin, "show servers state");
    std::fs::write(keep.join("servers.state"), &dump).unwrap_or_else(|e| panic!("{e}"));
    drop(first);
    let _ = std::fs::remove_file(&admin);
    let second = LbdProcess::start_in(TempDir::new(), &cfg);
    wait_socket(&admin);
    let counts = tests::count_served(port, 4);
    assert_eq!(
        counts.get("s2"),
        Some(&4),
        "{counts:?}\nstate file:\n{dump}{}",
        second.output_hint()
    );
}
