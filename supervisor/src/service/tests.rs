use super::*;
use crate::config::{ServicesFile, Vars};
use std::path::Path;

fn svc(extra: &str, now: Instant) -> Service {
    let text = format!("[[service]]\nname = \"s\"\ncommand = [\"x\"]\n{extra}\n");
    let f = ServicesFile::parse(&text, Path::new("t.toml"), &Vars::default()).unwrap();
    Service::new("s", Policy::from(&f.services[0]), now)
}

fn notify(f: impl FnOnce(&mut NotifyMessage)) -> Input {
    let mut m = NotifyMessage::default();
    f(&mut m);
    Input::Notify(m)
}

fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

#[test]
fn notify_service_is_ready_only_on_ready_1() {
    let t = Instant::now();
    let mut s = svc("ready = \"notify\"", t);
    assert_eq!(s.handle(t, Input::Start), [Action::Spawn]);
    assert!(s.handle(t, Input::Spawned { pid: 7 }).is_empty());
    assert_eq!(s.state(), ServiceState::Starting);
    s.handle(t, notify(|m| m.status = Some("loading".into())));
    assert_eq!(s.status(t).status_text, "loading");
    assert_eq!(
        s.handle(t, notify(|m| m.ready = true)),
        [Action::BecameReady]
    );
    assert_eq!(s.state(), ServiceState::Ready);
    // A reload takes it through Reloading and back without a second BecameReady.
    s.handle(t, notify(|m| m.reloading = true));
    assert_eq!(s.state(), ServiceState::Reloading);
    assert!(s.is_ready());
    assert!(s.handle(t, notify(|m| m.ready = true)).is_empty());
    assert_eq!(s.state(), ServiceState::Ready);
    s.handle(t, notify(|m| m.main_pid = Some(99)));
    assert_eq!(s.pid(), 99);
}

#[test]
fn not_ready_in_time_is_killed_and_counted_as_a_crash() {
    let t = Instant::now();
    let mut s = svc("ready = \"notify\"\nready_timeout = \"5s\"", t);
    s.handle(t, Input::Start);
    s.handle(t, Input::Spawned { pid: 7 });
    assert_eq!(s.next_deadline(), Some(t + secs(5)));
    assert!(s.on_time(t + secs(4)).is_empty());
    let a = s.on_time(t + secs(5));
    assert!(a.contains(&Action::Signal(Signal::Kill)));
    s.handle(t + secs(5), Input::Exited(ExitKind::Signal(9)));
    assert_eq!(s.state(), ServiceState::Backoff);
    assert_eq!(s.last_exit(), "killed by SIGKILL (not ready in time)");
}

#[test]
fn tcp_readiness_probes_until_ok() {
    let t = Instant::now();
    let mut s = svc("ready = \"tcp:8080\"", t);
    s.handle(t, Input::Start);
    s.handle(t, Input::Spawned { pid: 7 });
    assert_eq!(s.on_time(t), [Action::Probe]);
    assert_eq!(s.next_deadline(), Some(t + PROBE_INTERVAL));
    assert_eq!(s.on_time(t + PROBE_INTERVAL), [Action::Probe]);
    assert_eq!(s.handle(t, Input::ProbeOk), [Action::BecameReady]);
    assert!(s.on_time(t + secs(1)).is_empty());
}

#[test]
fn watchdog_kills_a_silent_service_and_restarts_it() {
    let t = Instant::now();
    let mut s = svc("ready = \"notify\"\nwatchdog = \"2s\"", t);
    s.handle(t, Input::Start);
    s.handle(t, Input::Spawned { pid: 7 });
    s.handle(t, notify(|m| m.ready = true));
    // Pings push the deadline.
    s.handle(t + secs(1), notify(|m| m.watchdog = true));
    assert!(s.on_time(t + secs(2)).is_empty());
    let a = s.on_time(t + secs(3));
    assert!(a.contains(&Action::Signal(Signal::Kill)), "{a:?}");
    s.handle(t + secs(3), Input::Exited(ExitKind::Signal(9)));
    assert_eq!(s.last_exit(), "killed by SIGKILL (watchdog timeout)");
    assert_eq!(s.state(), ServiceState::Backoff);
    assert_eq!(s.on_time(t + secs(4)), [Action::Spawn]);
    assert_eq!(s.restarts(), 1);
}

#[test]
fn backoff_doubles_up_to_its_cap_then_crash_loop_fails() {
    let t = Instant::now();
    let mut s = svc(
        "backoff_initial = \"1s\"\nbackoff_max = \"4s\"\ncrash_limit = 4\ncrash_window = \"1m\"",
        t,
    );
    s.handle(t, Input::Start);
    let mut now = t;
    let mut delays = Vec::new();
    for _ in 0..4 {
        s.handle(now, Input::Spawned { pid: 7 });
        s.handle(now, Input::Exited(ExitKind::Code(1)));
        assert_eq!(s.state(), ServiceState::Backoff);
        let due = s.next_deadline().unwrap();
        delays.push(due - now);
        now = due;
        assert_eq!(s.on_time(now), [Action::Spawn]);
    }
    assert_eq!(delays, [secs(1), secs(2), secs(4), secs(4)]);
    s.handle(now, Input::Spawned { pid: 7 });
    let a = s.handle(now, Input::Exited(ExitKind::Code(1)));
    assert_eq!(s.state(), ServiceState::Failed);
    assert!(a.contains(&Action::Down));
    assert!(s.next_deadline().is_none());
    assert_eq!(s.restarts(), 4);
    // An operator's start clears the history.
    assert_eq!(s.handle(now, Input::Start), [Action::Spawn]);
    assert_eq!(s.backoff(), secs(1));
}

#[test]
fn long_uptime_resets_the_backoff() {
    let t = Instant::now();
    let mut s = svc("backoff_initial = \"1s\"\ncrash_window = \"10s\"", t);
    s.handle(t, Input::Start);
    s.handle(t, Input::Spawned { pid: 7 });
    s.handle(t, Input::Exited(ExitKind::Code(1)));
    s.on_time(t + secs(1));
    s.handle(t + secs(1), Input::Spawned { pid: 8 });
    assert_eq!(s.backoff(), secs(2));
    s.handle(t + secs(30), Input::Exited(ExitKind::Code(1)));
    assert_eq!(s.next_deadline(), Some(t + secs(31)));
}

#[test]
fn restart_policies() {
    let t = Instant::now();
    let mut s = svc("restart = \"on-failure\"", t);
    s.handle(t, Input::Start);
    s.handle(t, Input::Spawned { pid: 7 });
    s.handle(t, Input::Exited(ExitKind::Code(0)));
    assert_eq!(s.state(), ServiceState::Exited);
    let mut s = svc("restart = \"never\"", t);
    s.handle(t, Input::Start);
    s.handle(t, Input::Spawned { pid: 7 });
    s.handle(t, Input::Exited(ExitKind::Signal(11)));
    assert_eq!(s.state(), ServiceState::Exited);
    assert_eq!(s.last_exit(), "killed by SIGSEGV");
}

#[test]
fn stop_then_kill_at_timeout_and_restart_request() {
    let t = Instant::now();
    let mut s = svc("stop_timeout = \"3s\"", t);
    s.handle(t, Input::Start);
    s.handle(t, Input::Spawned { pid: 7 });
    assert_eq!(s.handle(t, Input::Stop), [Action::Signal(Signal::Term)]);
    assert_eq!(s.state(), ServiceState::Stopping);
    assert!(s
        .on_time(t + secs(3))
        .contains(&Action::Signal(Signal::Kill)));
    s.handle(t + secs(3), Input::Exited(ExitKind::Signal(9)));
    assert_eq!(s.state(), ServiceState::Exited);
    // Stopped services are not restarted by timers.
    assert!(s.next_deadline().is_none());
    // Restart of a running service: stop, then spawn on exit.
    s.handle(t, Input::Start);
    s.handle(t, Input::Spawned { pid: 8 });
    assert_eq!(s.handle(t, Input::Restart), [Action::Signal(Signal::Term)]);
    let a = s.handle(t, Input::Exited(ExitKind::Code(0)));
    assert!(a.contains(&Action::Spawn));
    assert_eq!(s.state(), ServiceState::Starting);
}
