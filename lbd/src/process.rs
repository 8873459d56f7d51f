//! The process model around a serving [`Driver`]: `-Ws` readiness
//! notifications, the master CLI (`-S`), and the hand-over to and from
//! other processes (`-sf`/`-st` told to stop once this one serves).
//!
//! lbd's master-worker mode is one process: reloads are in-process
//! generations, so the master and the worker are the same pid, and the
//! master CLI talks to the runtime directly instead of over a socketpair.

use crate::reload::Driver;
use std::path::PathBuf;
use std::sync::Arc;

/// What the command line asked of the process model.
#[derive(Debug, Clone, Default)]
pub struct Hooks {
    /// `-W`/`-Ws` (or `master-worker` in global).
    pub master_worker: bool,
    /// `-Ws`: speak sd_notify.
    pub notify: bool,
    /// `-S <path>`: the master CLI.
    pub master_cli: Option<PathBuf>,
    /// `-sf <pid>...`: soft-stopped (SIGUSR1) once we serve.
    pub soft_stop_pids: Vec<i32>,
    /// `-st <pid>...`: hard-stopped (SIGTERM) once we serve.
    pub hard_stop_pids: Vec<i32>,
    /// `--dbus`: serve `org.rampart.Lbd1`.
    pub dbus: Option<crate::dbus::Options>,
}

/// Runs `driver` until the process stops, with the hooks in place. Every
/// listener is bound and accepting when this starts, so this is where the
/// old processes are told to go and readiness is announced.
pub async fn serve(mut driver: Driver, hooks: Hooks) -> i32 {
    if hooks.notify {
        driver.events = Some(Arc::new(crate::notify::Notifier::new()));
        crate::notify::Notifier::start_watchdog();
    }
    if let Some(path) = &hooks.master_cli {
        if let Err(e) = crate::master::start(path) {
            crate::server::say(
                "[ALERT]",
                &format!("Cannot bind the master CLI socket {}: {e}", path.display()),
            );
            return 1;
        }
    }
    tell_old_processes(&hooks);
    let code = driver.run().await;
    if let Some(path) = &hooks.master_cli {
        let _ = std::fs::remove_file(path);
    }
    code
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
