//! PID 1 duties in a PID namespace (`unshare --pid --fork --mount-proc`):
//! orphans are reaped and SIGTERM stops everything in order. Needs root (or
//! user namespaces); skipped with a message when `unshare` cannot run.

mod common;

use common::*;
use nix::sys::signal::Signal;
use std::time::{Duration, Instant};

fn unshare_works() -> bool {
    std::process::Command::new("unshare")
        .args(["--pid", "--fork", "--mount-proc", "true"])
        .status()
        .is_ok_and(|s| s.success())
}

#[test]
fn as_pid1_in_a_namespace_reaps_orphans_and_stops_in_order_on_sigterm() {
    if !unshare_works() {
        eprintln!("skipped: unshare --pid is not permitted here");
        return;
    }
    let dir = tempdir("pid1");
    let mut s = Stack::start_in(
        dir,
        r#"
        [[service]]
        name = "orphaner"
        command = ["CHILD", "orphan=DIR/worker.pid", "crash=0"]
        restart = "never"
        ENV(orphaner)
        [[service]]
        name = "lbd"
        command = ["CHILD", "notify"]
        ready = "notify"
        ENV(lbd)
        [[service]]
        name = "webui"
        command = ["CHILD"]
        after = ["lbd"]
        ENV(webui)
        "#,
        &["--pid1", "--no-mounts", "--no-reboot"],
        Some(&["unshare", "--pid", "--fork", "--mount-proc"]),
    );
    // The supervisor is the only child of unshare; inside it is PID 1.
    let deadline = Instant::now() + Duration::from_secs(10);
    let sup = loop {
        if let Some((pid, _, _)) = children_of(s.child.id()).into_iter().next() {
            break pid;
        }
        assert!(Instant::now() < deadline, "no supervisor under unshare");
        std::thread::sleep(Duration::from_millis(20));
    };
    s.wait_event("start webui", 10);
    s.wait_output("orphaner: exited 0", 10);
    // The orphaned worker was reparented to PID 1 (our supervisor) and is
    // reaped when it exits: wait for it to appear and then to vanish entirely.
    let worker = || {
        children_of(sup).into_iter().find_map(|(p, _, _)| {
            let cmd = std::fs::read(format!("/proc/{p}/cmdline")).unwrap_or_default();
            cmd.ends_with(b"worker\0").then_some(p)
        })
    };
    s.wait_for("the worker under PID 1", 10, |_| worker().is_some());
    let Some(w) = worker() else { unreachable!() };
    s.wait_for("the orphan to be reaped", 10, |_| {
        !std::path::Path::new(&format!("/proc/{w}")).exists()
    });
    s.signal(sup, Signal::SIGTERM);
    assert_eq!(s.wait_exit(10), 0);
    s.wait_output("lbd: exited 0", 5);
    let ev = s.events();
    assert!(
        index_of(&ev, "term webui") < index_of(&ev, "term lbd"),
        "{ev:?}"
    );
    assert!(s
        .output()
        .iter()
        .any(|l| l.contains("stopping all services (Reboot)")));
}
