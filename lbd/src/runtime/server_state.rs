//! Server state changes at run time: a health transition is applied to a
//! `ServerRt` (up flag, effective weight), the balancer is rebuilt, and an
//! observer hears about it in HAProxy's words.
//!
//! DRAIN and NOLB (disable-on-404) mean "kept for persistence, no new balanced
//! traffic"; until persistence exists both simply give the balancer weight 0.
//! The health state sits behind a mutex that is only held for the few
//! arithmetic steps of a transition, never across an await.

use super::{Backend, ServerRt};
use crate::check::state::{Health, OpState, ServerHealth, Transition};
use crate::config::model::Server;
use std::sync::atomic::Ordering;
use std::sync::Mutex;

/// The administrative state an operator sets on a server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AdminState {
    Ready,
    Drain,
    Maint,
}

/// The health state machine of one server.
#[derive(Debug)]
pub struct HealthState(Mutex<ServerHealth>);

impl HealthState {
    pub fn new(s: &Server) -> Self {
        let check = s
            .check
            .enabled
            .then(|| Health::starting(s.check.rise, s.check.fall));
        // 2.6's agent defaults: rise 1, fall 1.
        let agent = s.agent.enabled.then(|| Health::starting(1, 1));
        HealthState(Mutex::new(ServerHealth::new(check, agent, s.weight)))
    }

    /// A copy of the current state, for stats and the send-state header.
    pub fn snapshot(&self) -> ServerHealth {
        match self.0.lock() {
            Ok(g) => g.clone(),
            Err(p) => p.into_inner().clone(),
        }
    }

    fn update<R>(&self, f: impl FnOnce(&mut ServerHealth) -> R) -> R {
        match self.0.lock() {
            Ok(mut g) => f(&mut g),
            Err(p) => f(&mut p.into_inner()),
        }
    }
}

/// Severity of an observer line, as HAProxy's stderr prefixes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Warning,
    Alert,
}

/// One change, with the backend's counts after it.
#[derive(Debug)]
pub struct ServerEvent<'a> {
    pub backend: &'a Backend,
    pub server: &'a ServerRt,
    pub transition: &'a Transition,
    /// Usable active and backup servers after the change.
    pub active: usize,
    pub backup: usize,
    /// The backend had a usable server before and has none now.
    pub backend_lost_last: bool,
}

impl ServerEvent<'_> {
    /// The lines HAProxy 2.6 prints for this change (none for a weight change).
    pub fn lines(&self) -> Vec<(Level, String)> {
        let who = format!(
            "{}Server {}/{}",
            if self.server.conf.backup {
                "Backup "
            } else {
                ""
            },
            self.backend.name,
            self.server.name
        );
        let on_backup = if self.backup > 0 && self.active == 0 {
            " Running on backup."
        } else {
            ""
        };
        let cur = self.server.cur.load(Ordering::Relaxed);
        let left = format!(
            ". {} active and {} backup servers left.{on_backup} {cur} sessions active, 0 requeued, 0 remaining in queue.",
            self.active, self.backup
        );
        let online = format!(
            ". {} active and {} backup servers online.{on_backup} 0 sessions requeued, 0 total in queue.",
            self.active, self.backup
        );
        let line = match self.transition {
            Transition::Down(r) => format!("{who} is DOWN{}{left}", r.reason_suffix()),
            Transition::Up(r) => format!("{who} is UP{}{online}", r.reason_suffix()),
            Transition::Stopping(r) => format!("{who} is stopping{}{online}", r.reason_suffix()),
            Transition::EnterDrain => format!("{who} enters drain state{online}"),
            Transition::StillDrain => format!("{who} remains in forced drain mode."),
            Transition::LeaveDrain => {
                let st = if self.server.up.load(Ordering::Relaxed) {
                    "UP"
                } else {
                    "DOWN"
                };
                format!("{who} is {st} (leaving forced drain).")
            }
            Transition::EnterMaint => format!("{who} is going DOWN for maintenance{left}"),
            Transition::LeaveMaint => format!("{who} is UP (leaving forced maintenance)."),
            Transition::Weight(_) => String::new(),
        };
        let mut out = Vec::new();
        if !line.is_empty() {
            out.push((Level::Warning, line));
        }
        if self.backend_lost_last {
            let kind = if self.backend.conf.cap.frontend {
                "listen"
            } else {
                "backend"
            };
            out.push((
                Level::Alert,
                format!("{kind} '{}' has no server available!", self.backend.name),
            ));
        }
        out
    }
}

/// Told about every server state change: stats, logs, D-Bus signals and VRRP
/// tracking hang off this.
pub trait ServerObserver: Send + Sync {
    fn on_change(&self, ev: &ServerEvent<'_>);
}

/// Prints HAProxy's lines on stderr, as 2.6 does in the foreground.
#[derive(Debug, Default)]
pub struct StderrObserver;

impl ServerObserver for StderrObserver {
    fn on_change(&self, ev: &ServerEvent<'_>) {
        for (level, line) in ev.lines() {
            let tag = match level {
                Level::Warning => "[WARNING]",
                Level::Alert => "[ALERT]",
            };
            crate::server::say(tag, &line);
        }
    }
}

/// What a `-W` reload carries over of a health state (with the forced
/// maintenance, which [`Backend::set_admin`] watches): a change of any of
/// these marks the backend [`carried_dirty`](Backend::carried_dirty).
fn carried(h: &ServerHealth) -> (bool, bool, u32, u32) {
    (h.maint, h.drain, h.uweight, h.iweight)
}

impl Backend {
    /// Usable active and backup servers, as 2.6's srv_act/srv_bck.
    pub fn usable_counts(&self) -> (usize, usize) {
        let mut counts = (0, 0);
        for s in &self.servers {
            if s.is_usable() && s.weight.load(Ordering::Relaxed) > 0 {
                if s.conf.backup {
                    counts.1 += 1;
                } else {
                    counts.0 += 1;
                }
            }
        }
        counts
    }

    /// 2.6's srv_adm_set_ready/drain/maint (`set server … state`, the stats
    /// page's admin form): forced maintenance and forced drain exclude each
    /// other, and `ready` clears both.
    pub fn set_admin(&self, idx: usize, to: AdminState, obs: &dyn ServerObserver) {
        let Some(srv) = self.servers.get(idx) else {
            return;
        };
        let to_maint = to == AdminState::Maint;
        let was_maint = srv.admin_maint.swap(to_maint, Ordering::Relaxed);
        if was_maint != to_maint {
            self.carried_dirty.store(true, Ordering::Relaxed);
        }
        self.apply_health(idx, obs, |h| {
            let mut t = Vec::new();
            let drain = to == AdminState::Drain;
            if h.drain != drain {
                h.drain = drain;
                if drain {
                    t.push(Transition::EnterDrain);
                } else if to == AdminState::Ready {
                    t.push(Transition::LeaveDrain);
                }
            }
            match (was_maint, to_maint) {
                (false, true) => {
                    h.enter_admin_maint();
                    t.push(Transition::EnterMaint);
                }
                (true, false) => {
                    h.leave_admin_maint(srv.check_enabled.load(Ordering::Relaxed));
                    t.push(Transition::LeaveMaint);
                }
                _ => {}
            }
            t
        });
    }

    /// Runs `f` on server `idx`'s health state, applies the outcome to the
    /// data plane and tells `obs` about each transition.
    pub fn apply_health(
        &self,
        idx: usize,
        obs: &dyn ServerObserver,
        f: impl FnOnce(&mut ServerHealth) -> Vec<Transition>,
    ) {
        let Some(srv) = self.servers.get(idx) else {
            return;
        };
        let before = self.usable_counts();
        let (transitions, up, weight, maint) = srv.health.update(|h| {
            let before = carried(h);
            let t = f(h);
            if carried(h) != before {
                self.carried_dirty.store(true, Ordering::Relaxed);
            }
            (t, h.op != OpState::Stopped, h.effective_weight(), h.maint)
        });
        if transitions.is_empty() {
            return;
        }
        self.apply_flags(srv, up, weight, maint);
        self.refresh_balancer();
        let (active, backup) = self.usable_counts();
        let lost = before.0 + before.1 > 0 && active + backup == 0;
        for (i, t) in transitions.iter().enumerate() {
            obs.on_change(&ServerEvent {
                backend: self,
                server: srv,
                transition: t,
                active,
                backup,
                backend_lost_last: lost && i + 1 == transitions.len(),
            });
        }
    }

    /// Runs `f` on server `idx`'s health state and applies the outcome to
    /// the data plane, like [`apply_health`](Self::apply_health), except
    /// that the balancer is not rebuilt and no observer hears of it, so the
    /// caller rebuilds the balancer once when it is done (a reload's
    /// carry-over of 10,000 servers would otherwise rebuild a balancer and
    /// format log lines 10,000 times). Returns whether what the balancer
    /// sees (up, weight, maintenance) changed.
    pub fn apply_health_quietly(&self, idx: usize, f: impl FnOnce(&mut ServerHealth)) -> bool {
        let Some(srv) = self.servers.get(idx) else {
            return false;
        };
        let (up, weight, maint) = srv.health.update(|h| {
            let before = carried(h);
            f(h);
            if carried(h) != before {
                self.carried_dirty.store(true, Ordering::Relaxed);
            }
            (h.op != OpState::Stopped, h.effective_weight(), h.maint)
        });
        let before = (
            srv.up.load(Ordering::Relaxed),
            srv.weight.load(Ordering::Relaxed),
            srv.maint.load(Ordering::Relaxed),
        );
        self.apply_flags(srv, up, weight, maint);
        before
            != (
                srv.up.load(Ordering::Relaxed),
                srv.weight.load(Ordering::Relaxed),
                srv.maint.load(Ordering::Relaxed),
            )
    }

    /// The data-plane flags of `srv` after a health change: up, weight,
    /// maintenance, and the sessions an `on-marked-*` option ends.
    /// `health_maint` is the health state's maintenance (the agent's).
    fn apply_flags(&self, srv: &ServerRt, up: bool, weight: u32, health_maint: bool) {
        let was_up = srv.up.swap(up, Ordering::Relaxed);
        if up && !was_up {
            srv.start_ramp();
        }
        if !up && was_up && srv.conf.on_marked_down_shutdown {
            // on-marked-down shutdown-sessions: end every session on it.
            srv.kill_sessions(false);
        }
        if up && !was_up && !srv.conf.backup && srv.conf.on_marked_up_shutdown_backup {
            // on-marked-up shutdown-backup-sessions: the active is back, so
            // the sessions still on backups end.
            for b in self.servers.iter().filter(|b| b.conf.backup) {
                b.kill_sessions(false);
            }
        }
        srv.weight.store(weight, Ordering::Relaxed);
        // Agent maint is administrative, like `disabled` and the runtime
        // API's forced maintenance.
        srv.maint.store(
            health_maint || srv.admin_maint.load(Ordering::Relaxed),
            Ordering::Relaxed,
        );
    }

    /// The `x-haproxy-server-state` state word: `UP`, `UP 1/3` while going
    /// down, `DOWN`, `DOWN 1/2` while coming back, `NOLB`.
    pub fn send_state_word(&self, idx: usize) -> String {
        let Some(srv) = self.servers.get(idx) else {
            return "UP".into();
        };
        let h = srv.health.snapshot();
        let word = match h.op {
            OpState::Running => "UP",
            OpState::Stopping => "NOLB",
            OpState::Stopped => "DOWN",
        };
        match h.check {
            Some(c) if h.op != OpState::Stopped && c.value < c.max() => {
                format!("{word} {}/{}", (c.value + 1).saturating_sub(c.rise), c.fall)
            }
            Some(c) if h.op == OpState::Stopped && c.value > 0 => {
                format!("{word} {}/{}", c.value, c.rise)
            }
            _ => word.into(),
        }
    }
}
