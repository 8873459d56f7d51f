//! One service's life cycle as a state machine with no I/O: inputs (spawned,
//! notify messages, exits, requests) and the current time come in, actions
//! (spawn, signal, probe) go out, and [`Service::next_deadline`] says when to
//! call [`Service::on_time`] next.
//!
//! Starting → Ready → Stopping → Exited, with Backoff between a crash and
//! the next start, and Failed once crashes exceed the crash-loop limit.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use lbapi::dbus::{ServiceState, ServiceStatus};

use crate::config::{Readiness, RestartPolicy, ServiceSpec};
use crate::notify::NotifyMessage;

/// How often a tcp/unix readiness probe is retried.
pub const PROBE_INTERVAL: Duration = Duration::from_millis(100);

/// What the runtime must do for this service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    Spawn,
    /// Send this signal to the main process.
    Signal(Signal),
    /// Try the readiness probe; answer with [`Input::ProbeOk`] on success.
    Probe,
    /// The service became ready (start its dependents; bless if asked).
    BecameReady,
    /// The service is down for good until started again.
    Down,
    /// A line for the console: what happened and why.
    Say(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    Term,
    Kill,
}

/// How a process ended, as waitpid reported it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitKind {
    Code(i32),
    Signal(i32),
}

impl ExitKind {
    fn describe(self) -> String {
        match self {
            ExitKind::Code(c) => format!("exited {c}"),
            ExitKind::Signal(s) => {
                let name = nix::sys::signal::Signal::try_from(s)
                    .map(|s| s.as_str().to_string())
                    .unwrap_or_else(|_| format!("signal {s}"));
                format!("killed by {name}")
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    /// Start (deps are ready); also resets the crash history.
    Start,
    Stop,
    Restart,
    Spawned {
        pid: u32,
    },
    SpawnFailed(String),
    Notify(NotifyMessage),
    ProbeOk,
    /// The main process exited.
    Exited(ExitKind),
}

/// Settings the machine needs from the spec.
#[derive(Debug, Clone)]
pub struct Policy {
    pub ready: Readiness,
    pub ready_timeout: Duration,
    pub watchdog: Option<Duration>,
    pub stop_timeout: Duration,
    pub restart: RestartPolicy,
    pub backoff_initial: Duration,
    pub backoff_max: Duration,
    pub crash_limit: u32,
    pub crash_window: Duration,
}

impl From<&ServiceSpec> for Policy {
    fn from(s: &ServiceSpec) -> Self {
        Policy {
            ready: s.ready.clone(),
            ready_timeout: s.ready_timeout,
            watchdog: s.watchdog,
            stop_timeout: s.stop_timeout,
            restart: s.restart,
            backoff_initial: s.backoff_initial,
            backoff_max: s.backoff_max,
            crash_limit: s.crash_limit,
            crash_window: s.crash_window,
        }
    }
}

#[derive(Debug)]
pub struct Service {
    pub name: String,
    policy: Policy,
    state: ServiceState,
    since: Instant,
    pid: u32,
    restarts: u32,
    last_exit: String,
    status_text: String,
    /// The operator (or shutdown) wants it stopped: an exit is not a crash.
    stop_requested: bool,
    /// Start again once the current run has exited (Restart).
    restart_after_stop: bool,
    /// Why we are killing it, to name in `last_exit`.
    kill_reason: Option<&'static str>,
    crashes: VecDeque<Instant>,
    backoff: Duration,
    ready_since: Option<Instant>,
    /// The state timer: ready timeout, watchdog, stop timeout or backoff end.
    timer: Option<Instant>,
    probe_at: Option<Instant>,
}

impl Service {
    pub fn new(name: &str, policy: Policy, now: Instant) -> Service {
        Service {
            name: name.to_string(),
            backoff: policy.backoff_initial,
            policy,
            state: ServiceState::Waiting,
            since: now,
            pid: 0,
            restarts: 0,
            last_exit: String::new(),
            status_text: String::new(),
            stop_requested: false,
            restart_after_stop: false,
            kill_reason: None,
            crashes: VecDeque::new(),
            ready_since: None,
            timer: None,
            probe_at: None,
        }
    }

    pub fn state(&self) -> ServiceState {
        self.state
    }
    pub fn pid(&self) -> u32 {
        self.pid
    }
    pub fn restarts(&self) -> u32 {
        self.restarts
    }
    pub fn last_exit(&self) -> &str {
        &self.last_exit
    }
    /// True while a process of this service may be alive.
    pub fn is_running(&self) -> bool {
        matches!(
            self.state,
            ServiceState::Starting
                | ServiceState::Ready
                | ServiceState::Reloading
                | ServiceState::Stopping
        )
    }
    /// True when ready for its dependents (a reload does not take it away).
    pub fn is_ready(&self) -> bool {
        matches!(self.state, ServiceState::Ready | ServiceState::Reloading)
    }
    /// The current backoff delay (the next one after a crash).
    pub fn backoff(&self) -> Duration {
        self.backoff
    }

    pub fn status(&self, now: Instant) -> ServiceStatus {
        ServiceStatus {
            name: self.name.clone(),
            state: self.state,
            pid: self.pid,
            restarts: self.restarts,
            last_exit: self.last_exit.clone(),
            status_text: self.status_text.clone(),
            since_secs: now.saturating_duration_since(self.since).as_secs(),
        }
    }

    pub fn next_deadline(&self) -> Option<Instant> {
        match (self.timer, self.probe_at) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    fn enter(&mut self, state: ServiceState, now: Instant) {
        self.state = state;
        self.since = now;
        self.timer = None;
        self.probe_at = None;
    }

    fn spawn(&mut self, now: Instant, out: &mut Vec<Action>) {
        self.enter(ServiceState::Starting, now);
        self.pid = 0;
        self.kill_reason = None;
        self.status_text.clear();
        self.ready_since = None;
        self.timer = Some(now + self.policy.ready_timeout);
        out.push(Action::Spawn);
    }

    fn become_ready(&mut self, now: Instant, out: &mut Vec<Action>) {
        let was_starting = self.state == ServiceState::Starting;
        self.enter(ServiceState::Ready, now);
        self.timer = self.policy.watchdog.map(|w| now + w);
        if was_starting {
            self.ready_since = Some(now);
            out.push(Action::BecameReady);
        }
    }

    fn kill(&mut self, reason: &'static str, out: &mut Vec<Action>) {
        self.kill_reason = Some(reason);
        out.push(Action::Say(format!(
            "{}: {reason}, sending SIGKILL",
            self.name
        )));
        out.push(Action::Signal(Signal::Kill));
    }

    pub fn handle(&mut self, now: Instant, input: Input) -> Vec<Action> {
        let mut out = Vec::new();
        match input {
            Input::Start => {
                self.stop_requested = false;
                self.crashes.clear();
                self.backoff = self.policy.backoff_initial;
                if self.state == ServiceState::Stopping {
                    self.restart_after_stop = true;
                } else if !self.is_running() {
                    self.spawn(now, &mut out);
                }
            }
            Input::Restart => {
                self.crashes.clear();
                self.backoff = self.policy.backoff_initial;
                if self.is_running() {
                    self.restart_after_stop = true;
                    self.request_stop(now, &mut out);
                } else {
                    self.stop_requested = false;
                    self.spawn(now, &mut out);
                }
            }
            Input::Stop => {
                self.restart_after_stop = false;
                if self.is_running() {
                    self.request_stop(now, &mut out);
                } else {
                    self.stop_requested = true;
                    if self.state != ServiceState::Exited {
                        self.enter(ServiceState::Exited, now);
                        out.push(Action::Down);
                    }
                }
            }
            Input::Spawned { pid } => {
                if self.state != ServiceState::Starting {
                    return out;
                }
                self.pid = pid;
                match self.policy.ready {
                    Readiness::Started => self.become_ready(now, &mut out),
                    Readiness::Notify => {}
                    Readiness::Tcp(_) | Readiness::Unix(_) => self.probe_at = Some(now),
                }
            }
            Input::SpawnFailed(msg) => {
                out.push(Action::Say(format!("{}: cannot start: {msg}", self.name)));
                self.last_exit = format!("spawn failed: {msg}");
                self.after_crash(now, &mut out);
            }
            Input::ProbeOk => {
                if self.state == ServiceState::Starting && self.pid != 0 {
                    self.become_ready(now, &mut out);
                }
            }
            Input::Notify(msg) => self.on_notify(now, msg, &mut out),
            Input::Exited(kind) => self.on_exit(now, kind, &mut out),
        }
        out
    }

    fn request_stop(&mut self, now: Instant, out: &mut Vec<Action>) {
        self.stop_requested = true;
        if self.state == ServiceState::Stopping && self.timer.is_some() {
            return;
        }
        self.enter(ServiceState::Stopping, now);
        self.timer = Some(now + self.policy.stop_timeout);
        if self.pid != 0 {
            out.push(Action::Signal(Signal::Term));
        }
    }

    fn on_notify(&mut self, now: Instant, msg: NotifyMessage, out: &mut Vec<Action>) {
        if let Some(pid) = msg.main_pid {
            self.pid = pid;
        }
        if let Some(s) = msg.status {
            self.status_text = s;
        }
        if msg.watchdog_trigger && self.is_running() {
            self.kill("watchdog triggered by the service", out);
            return;
        }
        if msg.stopping && self.is_running() && self.state != ServiceState::Stopping {
            // The service is on its way out by itself; its exit is judged by
            // the restart policy as usual, so no stop timer here.
            self.enter(ServiceState::Stopping, now);
            return;
        }
        if msg.reloading && self.state == ServiceState::Ready {
            self.enter(ServiceState::Reloading, now);
            self.timer = Some(now + self.policy.ready_timeout);
        }
        if msg.ready && matches!(self.state, ServiceState::Starting | ServiceState::Reloading) {
            self.become_ready(now, out);
        }
        if msg.watchdog && self.state == ServiceState::Ready {
            if let Some(w) = self.policy.watchdog {
                self.timer = Some(now + w);
            }
        }
    }

    fn on_exit(&mut self, now: Instant, kind: ExitKind, out: &mut Vec<Action>) {
        if !self.is_running() {
            return;
        }
        let mut desc = kind.describe();
        if let Some(r) = self.kill_reason.take() {
            desc = format!("{desc} ({r})");
        }
        out.push(Action::Say(format!("{}: {desc}", self.name)));
        self.last_exit = desc;
        self.pid = 0;
        if self.restart_after_stop {
            self.restart_after_stop = false;
            self.stop_requested = false;
            self.spawn(now, out);
            return;
        }
        if self.stop_requested {
            self.enter(ServiceState::Exited, now);
            out.push(Action::Down);
            return;
        }
        let clean = kind == ExitKind::Code(0);
        match self.policy.restart {
            RestartPolicy::Never => {}
            RestartPolicy::OnFailure if clean => {}
            _ => return self.after_crash(now, out),
        }
        self.enter(ServiceState::Exited, now);
        out.push(Action::Down);
    }

    /// An unexpected end: back off and restart, or give up.
    fn after_crash(&mut self, now: Instant, out: &mut Vec<Action>) {
        // A service that stayed up for a whole crash window starts its
        // backoff afresh.
        if self
            .ready_since
            .is_some_and(|r| now.saturating_duration_since(r) >= self.policy.crash_window)
        {
            self.backoff = self.policy.backoff_initial;
        }
        self.pid = 0;
        self.crashes.push_back(now);
        while self
            .crashes
            .front()
            .is_some_and(|t| now.saturating_duration_since(*t) > self.policy.crash_window)
        {
            self.crashes.pop_front();
        }
        if self.crashes.len() as u32 > self.policy.crash_limit {
            out.push(Action::Say(format!(
                "{}: {} crashes within {:?}, giving up",
                self.name,
                self.crashes.len(),
                self.policy.crash_window
            )));
            self.enter(ServiceState::Failed, now);
            out.push(Action::Down);
            return;
        }
        let delay = self.backoff;
        self.backoff = (self.backoff * 2).min(self.policy.backoff_max);
        out.push(Action::Say(format!(
            "{}: restarting in {delay:?}",
            self.name
        )));
        self.enter(ServiceState::Backoff, now);
        self.timer = Some(now + delay);
    }

    /// Acts on whichever timers have expired by `now`.
    pub fn on_time(&mut self, now: Instant) -> Vec<Action> {
        let mut out = Vec::new();
        if self.probe_at.is_some_and(|t| t <= now) {
            self.probe_at = Some(now + PROBE_INTERVAL);
            out.push(Action::Probe);
        }
        if self.timer.is_none_or(|t| t > now) {
            return out;
        }
        self.timer = None;
        match self.state {
            ServiceState::Starting => self.kill("not ready in time", &mut out),
            ServiceState::Reloading => self.kill("reload not finished in time", &mut out),
            ServiceState::Ready => self.kill("watchdog timeout", &mut out),
            ServiceState::Stopping => self.kill("did not stop in time", &mut out),
            ServiceState::Backoff => {
                self.restarts += 1;
                self.spawn(now, &mut out);
            }
            _ => {}
        }
        out
    }
}

#[cfg(test)]
mod tests;
