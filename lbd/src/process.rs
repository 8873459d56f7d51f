//! The process model around a serving [`Driver`]: readiness
//! notifications, and the hand-over to and from other processes
//! (`-sf`/`-st` told to stop once this one serves).
//!
//! In master-worker mode this runs in the worker: it tells the master over
//! its socketpair when it serves, and answers the CLI connections the
//! master opens there (see [`crate::master`]).

use crate::reload::Driver;
use std::sync::Arc;

/// What the command line asked of the process model.
#[derive(Debug, Clone, Default)]
pub struct Hooks {
    /// `-Ws`: speak sd_notify.
    pub notify: bool,
    /// `-sf <pid>...`: soft-stopped (SIGUSR1) once we serve.
    pub soft_stop_pids: Vec<i32>,
    /// `-st <pid>...`: hard-stopped (SIGTERM) once we serve.
    pub hard_stop_pids: Vec<i32>,
    /// `--dbus`: serve `org.rampart.Lbd1`.
    pub dbus: Option<crate::dbus::Options>,
    /// Started by a `-W` master: the link back to it (taken once; shared
    /// so that the hooks stay `Clone`).
    pub worker: Option<Arc<std::sync::Mutex<Option<crate::master::worker::Link>>>>,
    /// What the process this one replaces handed over (`-W` reload, `-x`).
    pub carried: Option<Arc<crate::master::state::Carried>>,
}

/// Runs `driver` until the process stops, with the hooks in place. Every
/// listener is bound and accepting when this starts, so this is where the
/// old processes are told to go and readiness is announced.
pub async fn serve(mut driver: Driver, hooks: Hooks) -> i32 {
    if hooks.notify {
        driver.events = Some(Arc::new(crate::notify::Notifier::new()));
        crate::notify::Notifier::start_watchdog();
    }
    // 2.6 reads the state files at start-up. What the previous process
    // hands over is fresher than any file (a row the operator changed back
    // after dumping would otherwise come back), so with it the files are
    // not read.
    let handed_over = hooks.carried.as_ref().is_some_and(|c| c.servers.is_some());
    if !handed_over {
        for w in crate::master::state::apply_state_files(&driver.current().runtime) {
            eprintln!("[WARNING]  ({}) : {w}", std::process::id());
        }
    }
    if let Some(c) = &hooks.carried {
        c.apply(&driver.current().runtime);
    }
    let link = hooks
        .worker
        .as_ref()
        .and_then(|l| l.lock().unwrap_or_else(|p| p.into_inner()).take());
    if let Some(link) = link {
        driver.events = link.events();
        link.serve();
    }
    tell_old_processes(&hooks);
    driver.run().await
}

/// `-sf` pids get SIGUSR1 (finish and exit), `-st` pids SIGTERM.
fn tell_old_processes(hooks: &Hooks) {
    use nix::sys::signal::{kill, Signal};
    use nix::unistd::Pid;
    for (pids, sig) in [
        (&hooks.soft_stop_pids, Signal::SIGUSR1),
        (&hooks.hard_stop_pids, Signal::SIGTERM),
    ] {
        for &pid in pids {
            if pid > 0 && pid != std::process::id() as i32 {
                let _ = kill(Pid::from_raw(pid), sig);
            }
        }
    }
}
