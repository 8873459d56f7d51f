//! `lbctl config` against the quick-start stack: lbd serving
//! `org.rampart.Lbd1` on the supervisor's private dbus-daemon. Checks,
//! diffs, applies with and without confirmation (an unconfirmed apply rolls
//! back by itself), rolls back, and the exit codes of each refusal.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::{Duration, Instant};

use common::*;

/// Waits until the demo answers `want` on both apps in turn.
fn wait_body(port: u16, want: &str, s: &Stack) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let a = curl(port).unwrap_or_default();
        let b = curl(port).unwrap_or_default();
        if a.contains(want) || b.contains(want) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "never {want:?} (got {a:?} {b:?}):\n{}",
            s.output()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn check_diff_apply_confirm_rollback_history() {
    let Some(()) = need(&["rampart-supervisor", "lbd"]) else {
        return;
    };
    let dir = tempdir("config");
    let (cfg_dir, [www, ..]) = private_examples(&dir);
    let s = Stack::start(&cfg_dir, &dir.join("run"));
    s.wait_state("lbd", "ready", Duration::from_secs(10));
    wait_body(www, "hello from app", &s);

    let running = std::fs::read_to_string(cfg_dir.join("quickstart.cfg")).unwrap();
    let o = s.lbctl(&["config", "show"]);
    assert!(o.status.success(), "{}{}", stderr(&o), s.output());
    assert_eq!(text(&o), running);

    // check: a good file is valid (0); a bad one names file:line (1).
    let good = dir.join("good.cfg");
    std::fs::write(&good, running.replace("hello from app1", "bonjour app1")).unwrap();
    let o = s.lbctl(&["config", "check", good.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(text(&o).contains("good.cfg: valid"), "{}", text(&o));
    let bad = dir.join("bad.cfg");
    std::fs::write(
        &bad,
        running.replace("balance roundrobin", "balance nosuchalgo"),
    )
    .unwrap();
    let o = s.lbctl(&["config", "check", bad.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let line = running
        .lines()
        .position(|l| l.contains("balance roundrobin"))
        .unwrap()
        + 1;
    assert!(
        text(&o).contains(&format!("bad.cfg:{line}: alert:")),
        "{}",
        text(&o)
    );

    // diff shows the one line.
    let o = s.lbctl(&["config", "diff", good.to_str().unwrap()]);
    assert!(o.status.success());
    let d = text(&o);
    assert!(
        d.contains(
            "-    http-request return status 200 content-type text/plain string \"hello from app1"
        ),
        "{d}"
    );
    assert!(
        d.contains(
            "+    http-request return status 200 content-type text/plain string \"bonjour app1"
        ),
        "{d}"
    );

    // A refused apply changes nothing (1).
    let o = s.lbctl(&["config", "apply", bad.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("not applied"), "{}", stderr(&o));

    // apply --confirm without confirm: served, then rolled back by itself.
    let o = s.lbctl(&["config", "apply", good.to_str().unwrap(), "--confirm", "2s"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        text(&o).contains("lbctl config confirm` within 2 s"),
        "{}",
        text(&o)
    );
    wait_body(www, "bonjour app1", &s);
    let h = text(&s.lbctl(&["config", "history"]));
    assert!(h.lines().any(|l| l.starts_with("?       2")), "{h}");
    wait_body(www, "hello from app1", &s);
    let o = s.lbctl(&["--json", "config", "history"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["pending"], 0, "{v}");
    assert_eq!(v["current"], 3, "{v}");
    assert_eq!(
        v["versions"][2]["comment"], "rolled back from 2 (not confirmed)",
        "{v}"
    );

    // apply --confirm then confirm: it stays.
    let o = s.lbctl(&[
        "--json",
        "config",
        "apply",
        good.to_str().unwrap(),
        "--confirm",
        "60s",
    ]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["version"], 4, "{v}");
    let o = s.lbctl(&["config", "confirm"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(text(&o), "Version 4 confirmed.\n");
    // Nothing pending any more: confirm is refused (1).
    assert_eq!(s.lbctl(&["config", "confirm"]).status.code(), Some(1));
    wait_body(www, "bonjour app1", &s);

    // rollback with no version: the one before; then to an unknown one (1).
    let o = s.lbctl(&["config", "rollback"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(text(&o), "Version 3 restored (saved as version 5).\n");
    wait_body(www, "hello from app1", &s);
    assert_eq!(
        std::fs::read_to_string(cfg_dir.join("quickstart.cfg")).unwrap(),
        running
    );
    assert_eq!(
        s.lbctl(&["config", "rollback", "99"]).status.code(),
        Some(1)
    );
    let h = text(&s.lbctl(&["config", "history"]));
    assert!(h.lines().all(|l| l.len() <= 80), "{h}");
    assert!(h.lines().any(|l| l.starts_with("*       5")), "{h}");
    drop(s);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn check_runs_lbd_locally_without_a_bus() {
    let Some(()) = need(&["lbd"]) else { return };
    let dir = tempdir("check-local");
    let bad = dir.join("bad.cfg");
    std::fs::write(
        &bad,
        "frontend f\n    bind 127.0.0.1:1\n    nosuchkeyword\n",
    )
    .unwrap();
    let o = std::process::Command::new(LBCTL)
        .env("RAMPART_RUN_DIR", dir.join("nothing-here"))
        .args(["config", "check"])
        .arg(&bad)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("parsing [") && stderr(&o).contains("bad.cfg:3]"),
        "{}",
        stderr(&o)
    );
    let o = std::process::Command::new(LBCTL)
        .env("RAMPART_RUN_DIR", dir.join("nothing-here"))
        .args(["config", "check"])
        .arg(examples_dir().join("quickstart.cfg"))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    // Nothing to check with at all: 3.
    let o = std::process::Command::new(LBCTL)
        .env("RAMPART_RUN_DIR", dir.join("nothing-here"))
        .args(["config", "check", "--lbd", "/nonexistent/lbd"])
        .arg(&bad)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(3));
    // Other config commands need lbd on the bus: 3.
    let o = std::process::Command::new(LBCTL)
        .env("RAMPART_RUN_DIR", dir.join("nothing-here"))
        .args(["config", "history"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(3));
    let _ = std::fs::remove_dir_all(&dir);
}
