//! systemd's readiness protocol for `-Ws` (`Type=notify` units, and the
//! Rampart supervisor, which speaks the same protocol): READY=1 once every
//! listener is bound and accepting, RELOADING=1 with MONOTONIC_USEC while a
//! reload runs and READY=1 after it, STOPPING=1 on the way out, STATUS=
//! lines saying which generation serves, and WATCHDOG=1 at half the
//! `WATCHDOG_USEC` period when the manager asks for it.
//!
//! Sends nothing when `NOTIFY_SOCKET` is unset. Failures to send are
//! ignored: the proxy keeps serving whatever its manager thinks.

use sd_notify::NotifyState;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// The `-Ws` notifier.
#[derive(Debug, Default)]
pub struct Notifier {
    generation: AtomicU64,
}

impl Notifier {
    pub fn new() -> Notifier {
        Notifier::default()
    }

    /// Starts the watchdog pings, if the manager asked for them, on the
    /// current Tokio runtime.
    pub fn start_watchdog() {
        let Some(period) = sd_notify::watchdog_enabled() else {
            return;
        };
        let every = (period / 2).max(Duration::from_millis(10));
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            loop {
                tick.tick().await;
                let _ = sd_notify::notify(&[NotifyState::Watchdog]);
            }
        });
    }
}

/// READY=1 with our pid as MAINPID and `status`: sent by the `-Ws` master
/// once a worker serves, and after each reload, failed or not.
pub fn ready(status: &str) {
    let _ = sd_notify::notify(&[
        NotifyState::Ready,
        NotifyState::MainPid(std::process::id()),
        NotifyState::Status(status),
    ]);
}

/// RELOADING=1 with MONOTONIC_USEC, as systemd's `Type=notify-reload` wants.
pub fn reloading() {
    let mut states = vec![NotifyState::Reloading, NotifyState::Status("Reloading.")];
    if let Ok(now) = NotifyState::monotonic_usec_now() {
        states.push(now);
    }
    let _ = sd_notify::notify(&states);
}

/// STOPPING=1 on the way out.
pub fn stopping() {
    let _ = sd_notify::notify(&[NotifyState::Stopping, NotifyState::Status("Stopping.")]);
}

impl crate::reload::Events for Notifier {
    fn ready(&self) {
        let g = self.generation.fetch_add(1, Ordering::Relaxed) + 1;
        ready(&format!("Ready (configuration generation {g})."));
    }

    fn reloading(&self) {
        reloading();
    }

    fn stopping(&self) {
        stopping();
    }
}
