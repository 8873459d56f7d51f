//! PID 1 duties in a PID namespace (`unshare --pid --fork --mount-proc`):
//! orphans are reaped, SIGTERM stops everything in order, and the real
//! reboot/power-off path ends in reboot(2), which the kernel confines to the
//! namespace. Needs root (or user namespaces); skipped with a message when
//! `unshare` cannot run.
#![allow(clippy::unwrap_used)]

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
        Some(&["unshare", "--pid", "--fork", "--mount-proc", "--kill-child"]),
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

/// How a test asks the supervisor to go down.
enum Ask {
    Signal(Signal),
    /// `dbus-send` calls this method of org.rampart.Supervisor1.
    Bus(&'static str),
}

/// The real reboot path: the supervisor as PID 1 of a fresh PID namespace,
/// without `--no-reboot`, stops its services in reverse order and calls
/// reboot(2). The kernel confines that to the namespace (checked with a
/// throw-away PID-1 program before this test was written): init is killed
/// with SIGHUP for RB_AUTOBOOT and SIGINT for RB_POWER_OFF, and `unshare`
/// passes that signal on as its own death.
fn reboot_path(tag: &str, ask: Ask, want: Signal, verb: &str) {
    use std::os::unix::process::ExitStatusExt;
    if !unshare_works() {
        eprintln!("skipped: unshare --pid is not permitted here");
        return;
    }
    let bus = matches!(ask, Ask::Bus(_));
    if bus && !has_dbus_tools() {
        eprintln!("skipped: dbus-daemon/dbus-send are not installed");
        return;
    }
    let dir = tempdir(tag);
    let bus_addr = format!("unix:path={}/bus", dir.display());
    let header = if bus {
        format!(
            r#"
            [supervisor]
            bus = "{bus_addr}"
            bus_service = "dbus"
            [[service]]
            name = "dbus"
            command = ["dbus-daemon", "--session", "--nofork", "--nopidfile", "--address={bus_addr}"]
            ready = "unix:DIR/bus"
            "#
        )
    } else {
        String::new()
    };
    let dep = if bus { r#"after = ["dbus"]"# } else { "" };
    let services = format!(
        r#"{header}
        [[service]]
        name = "lbd"
        command = ["CHILD", "notify"]
        ready = "notify"
        {dep}
        ENV(lbd)
        [[service]]
        name = "webui"
        command = ["CHILD", "notify"]
        ready = "notify"
        after = ["lbd"]
        ENV(webui)
        "#
    );
    let mut s = Stack::start_in(
        dir,
        &services,
        &["--pid1", "--no-mounts"],
        Some(&["unshare", "--pid", "--fork", "--mount-proc", "--kill-child"]),
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    let sup = loop {
        if let Some((pid, _, _)) = children_of(s.child.id()).into_iter().next() {
            break pid;
        }
        assert!(Instant::now() < deadline, "no supervisor under unshare");
        std::thread::sleep(Duration::from_millis(20));
    };
    s.wait_event("ready webui", 10);
    // Never let a supervisor that could reach the machine's reboot(2) be
    // asked to reboot: it must be PID 1 of a namespace that is not ours.
    let ns = |pid: &str| std::fs::read_link(format!("/proc/{pid}/ns/pid")).unwrap();
    assert_ne!(
        ns(&sup.to_string()),
        ns("self"),
        "not in a new PID namespace"
    );
    let status = std::fs::read_to_string(format!("/proc/{sup}/status")).unwrap();
    let nspid = status.lines().find(|l| l.starts_with("NSpid:")).unwrap();
    assert!(
        nspid.trim_end().ends_with("\t1"),
        "not PID 1 inside: {nspid}"
    );
    match ask {
        Ask::Signal(sig) => s.signal(sup, sig),
        Ask::Bus(method) => {
            s.wait_output("serving org.rampart.Supervisor1", 10);
            let o = std::process::Command::new("dbus-send")
                .arg(format!("--bus={bus_addr}"))
                .args([
                    "--print-reply",
                    "--dest=org.rampart.Supervisor",
                    "/org/rampart/Supervisor",
                ])
                .arg(format!("org.rampart.Supervisor1.{method}"))
                .output()
                .unwrap();
            assert!(o.status.success(), "{o:?}");
        }
    }
    let st = s.wait_status(20);
    let out = s.output();
    if out.iter().any(|l| l.contains("reboot(2) failed")) {
        eprintln!("skipped: reboot(2) refused here (no CAP_SYS_BOOT?): {out:#?}");
        return;
    }
    assert_eq!(st.signal(), Some(want as i32), "{st:?}\n{out:#?}");
    // The orderly stop came first: reverse order, everything down, then
    // the reboot(2) call.
    let ev = s.events();
    assert!(
        index_of(&ev, "term webui") < index_of(&ev, "term lbd"),
        "{ev:?}"
    );
    let at = |needle: &str| {
        out.iter()
            .position(|l| l.contains(needle))
            .unwrap_or_else(|| panic!("no {needle:?} in {out:#?}"))
    };
    let stopped = at("all services stopped");
    assert!(at("lbd: exited 0") < stopped, "{out:#?}");
    assert!(stopped < at(verb), "{out:#?}");
    if bus {
        let bus_down = out
            .iter()
            .position(|l| l.contains("dbus: exited") || l.contains("dbus: killed"));
        assert!(bus_down.is_some_and(|i| i < stopped), "{out:#?}");
    }
}

fn has_dbus_tools() -> bool {
    ["dbus-daemon", "dbus-send"]
        .iter()
        .all(|b| std::process::Command::new(b).arg("--help").output().is_ok())
}

#[test]
fn sigterm_as_pid1_stops_in_order_then_reboots() {
    reboot_path(
        "reboot-term",
        Ask::Signal(Signal::SIGTERM),
        Signal::SIGHUP,
        "rebooting",
    );
}

#[test]
fn sigusr1_as_pid1_stops_in_order_then_powers_off() {
    reboot_path(
        "poweroff-usr1",
        Ask::Signal(Signal::SIGUSR1),
        Signal::SIGINT,
        "powering off",
    );
}

#[test]
fn dbus_reboot_as_pid1_stops_in_order_then_reboots() {
    reboot_path(
        "reboot-bus",
        Ask::Bus("Reboot"),
        Signal::SIGHUP,
        "rebooting",
    );
}

#[test]
fn dbus_poweroff_as_pid1_stops_in_order_then_powers_off() {
    reboot_path(
        "poweroff-bus",
        Ask::Bus("PowerOff"),
        Signal::SIGINT,
        "powering off",
    );
}
