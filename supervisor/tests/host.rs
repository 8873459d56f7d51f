//! The supervisor in host mode with real child processes.

mod common;

use common::*;
use nix::sys::signal::Signal;

#[test]
fn start_order_waits_for_readiness_and_stop_is_reversed() {
    let mut s = Stack::start(
        "order",
        r#"
        [[service]]
        name = "c"
        command = ["CHILD", "ignore-term"]
        after = ["b"]
        stop_timeout = "500ms"
        ENV(c)
        [[service]]
        name = "a"
        command = ["CHILD", "notify", "ready-after=400"]
        ready = "notify"
        ENV(a)
        [[service]]
        name = "b"
        command = ["CHILD", "notify"]
        ready = "notify"
        after = ["a"]
        ENV(b)
        "#,
        &["--host"],
    );
    s.wait_event("start c", 10);
    let ev = s.events();
    assert!(
        index_of(&ev, "ready a") < index_of(&ev, "start b"),
        "{ev:?}"
    );
    assert!(
        index_of(&ev, "ready b") < index_of(&ev, "start c"),
        "{ev:?}"
    );
    s.signal(s.child.id(), Signal::SIGTERM);
    assert_eq!(s.wait_exit(10), 0);
    s.wait_output("a: exited 0", 5);
    let ev = s.events();
    // c ignores SIGTERM and is killed at its stop timeout; only then b stops, then a.
    assert!(index_of(&ev, "term b") < index_of(&ev, "term a"), "{ev:?}");
    let out = s.output();
    let killed = out
        .iter()
        .position(|l| l.contains("c: killed by SIGKILL (did not stop in time)"));
    let b_exit = out.iter().position(|l| l.contains("b: exited 0"));
    assert!(killed.is_some() && killed < b_exit, "{out:#?}");
    // Output was captured with the service's prefix.
    assert!(
        out.iter().any(|l| l.starts_with("a| started pid=")),
        "{out:#?}"
    );
}

#[test]
fn watchdog_kills_a_hung_service_and_restarts_it() {
    let s = Stack::start(
        "watchdog",
        r#"
        [[service]]
        name = "w"
        command = ["CHILD", "notify", "no-ping"]
        ready = "notify"
        watchdog = "300ms"
        backoff_initial = "100ms"
        ENV(w)
        [[service]]
        name = "pinger"
        command = ["CHILD", "notify"]
        ready = "notify"
        watchdog = "300ms"
        ENV(pinger)
        "#,
        &["--host"],
    );
    s.wait_output("w: killed by SIGKILL (watchdog timeout)", 10);
    s.wait_for("a second start of w", 10, |s| {
        s.events().iter().filter(|e| *e == "start w").count() >= 2
    });
    // The service that pings is left alone.
    assert!(!s.output().iter().any(|l| l.contains("pinger: killed")));
}

#[test]
fn crashes_back_off_exponentially_then_fail() {
    let s = Stack::start(
        "crash",
        r#"
        [[service]]
        name = "k"
        command = ["CHILD", "crash=3"]
        backoff_initial = "100ms"
        backoff_max = "400ms"
        crash_limit = 3
        ENV(k)
        "#,
        &["--host"],
    );
    s.wait_output("k: 4 crashes within", 10);
    let out = s.output();
    let delays: Vec<&str> = out
        .iter()
        .filter_map(|l| l.strip_prefix("supervisor: k: restarting in "))
        .collect();
    assert_eq!(delays, ["100ms", "200ms", "400ms"]);
    assert!(out.iter().any(|l| l == "supervisor: k: exited 3"));
    assert_eq!(s.events().iter().filter(|e| *e == "start k").count(), 4);
}

#[test]
fn orphans_are_reparented_and_reaped() {
    let s = Stack::start(
        "orphan",
        r#"
        [[service]]
        name = "o"
        command = ["CHILD", "orphan=DIR/worker.pid", "crash=0"]
        restart = "never"
        ENV(o)
        "#,
        &["--host"],
    );
    let sup = s.child.id();
    s.wait_output("o: exited 0", 10);
    let worker: u32 = std::fs::read_to_string(s.dir.join("worker.pid"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    // The worker outlives its parent and becomes the supervisor's child...
    assert!(
        children_of(sup).iter().any(|(p, _, _)| *p == worker),
        "worker {worker} not reparented to {sup}: {:?}",
        children_of(sup)
    );
    // ...which reaps it when it exits: no zombie is left.
    s.wait_for("the orphan to be reaped", 10, |_| {
        !std::path::Path::new(&format!("/proc/{worker}")).exists()
    });
}

#[test]
fn a_bad_services_file_is_reported_and_exits_1() {
    let mut s = Stack::start(
        "bad",
        "[[service]]\nname = \"x\"\ncommand = [\"CHILD\"]\nafter = [\"x\"]\n",
        &["--host"],
    );
    assert_eq!(s.wait_exit(10), 1);
    s.wait_output("services.toml: dependency cycle: x -> x", 5);
}

#[test]
fn bless_file_is_written_once_the_bless_service_is_ready() {
    let dir = tempdir("bless");
    let flag = dir.join("blessed");
    let s = Stack::start_in(
        dir.clone(),
        r#"
        [[service]]
        name = "lbd"
        command = ["CHILD", "notify", "ready-after=300"]
        ready = "notify"
        bless = true
        ENV(lbd)
        "#,
        &["--host", "--bless-file", &flag.to_string_lossy()],
        None,
    );
    s.wait_output("boot blessed (file)", 10);
    assert_eq!(std::fs::read_to_string(&flag).unwrap(), "blessed\n");
    assert!(s.events().contains(&"ready lbd".to_string()));
}

#[test]
fn missing_program_falls_back_and_unmet_condition_leaves_a_service_out() {
    let mut s = Stack::start(
        "fallback",
        r#"
        [[service]]
        name = "bus"
        command = ["/nonexistent/dbus-daemon", "--nofork"]
        fallback_command = ["CHILD", "notify"]
        ready = "notify"
        ENV(bus)
        [[service]]
        name = "vrrp"
        command = ["CHILD"]
        condition_path = "DIR/vrrp-netns"
        after = ["bus"]
        ENV(vrrp)
        [[service]]
        name = "webui"
        command = ["CHILD"]
        after = ["vrrp", "bus"]
        ENV(webui)
        "#,
        &["--host"],
    );
    // webui does not wait for the service that was left out.
    s.wait_event("start webui", 10);
    let ev = s.events();
    assert!(index_of(&ev, "ready bus") < index_of(&ev, "start webui"));
    assert!(!ev.iter().any(|e| e.ends_with(" vrrp")), "{ev:?}");
    let out = s.output();
    for line in [
        "supervisor: bus: /nonexistent/dbus-daemon is not installed; running ",
        "supervisor: vrrp: left out (",
    ] {
        assert!(out.iter().any(|l| l.starts_with(line)), "{line}: {out:#?}");
    }
    s.signal(s.child.id(), Signal::SIGTERM);
    assert_eq!(s.wait_exit(10), 0);
}
