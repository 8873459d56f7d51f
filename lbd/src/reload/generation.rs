//! One configuration generation at run time: its runtime, its accept tasks,
//! checks, runtime API and logger, and its own stop watch. A generation
//! starts in full, then is retired by a reload (soft stop: in-flight work
//! finishes on it; hard stop after `hard-stop-after`), independently of the
//! generation that replaced it.

use crate::api::StatsListener;
use crate::log::{LogSender, Logger};
use crate::runtime::{Runtime, ServerObserver};
use crate::server::{Jobs, Listening, Stop};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// A running generation.
pub struct Generation {
    pub id: u64,
    pub runtime: Arc<Runtime>,
    pub logger: Arc<Logger>,
    pub observer: Arc<dyn ServerObserver>,
    pub jobs: Arc<Jobs>,
    /// The sessions' stop.
    stop: watch::Sender<Stop>,
    /// The runtime API's accept loops stop on this one, at once.
    api_stop: watch::Sender<Stop>,
    checks: crate::check::CheckSet,
    tasks: Vec<tokio::task::JoinHandle<()>>,
    accept_tasks: Vec<tokio::task::JoinHandle<()>>,
}

/// On a reload, between closing a generation's accept tasks and telling its
/// sessions to stop: a connection accepted just before the swap whose
/// request is still on its way would otherwise look idle and be closed
/// unanswered. A process soft stop (SIGUSR1) uses a shorter one.
pub const RELOAD_GRACE: Duration = Duration::from_millis(500);

impl Generation {
    /// Starts everything of `runtime` on the current Tokio runtime.
    pub fn start(
        id: u64,
        runtime: Arc<Runtime>,
        listening: Vec<Listening>,
        stats_listeners: Vec<StatsListener>,
        logger: Arc<Logger>,
        log_sender: LogSender,
    ) -> Generation {
        let jobs = Arc::new(Jobs::default());
        tokio::spawn(log_sender.run());
        let observer =
            crate::dbus::hook::observer(Arc::new(crate::server::LogObserver::new(logger.clone())));
        let checks = crate::check::start(&runtime, observer.clone());
        let mut tasks = slowstart_tasks(&runtime);
        tasks.extend(purge_task(&runtime));
        let (stop, stop_rx) = watch::channel(Stop::Running);
        let (api_stop, api_stop_rx) = watch::channel(Stop::Running);
        // The HTTP stats page and the exporter read the runtime from here.
        crate::stats::publish(&runtime);
        let api = Arc::new(crate::api::Api::new(
            runtime.clone(),
            Arc::new(crate::stats::RuntimeStats {
                runtime: runtime.clone(),
            }),
            observer.clone(),
        ));
        crate::dbus::hook::generation_started(id, &api);
        crate::api::start(api, stats_listeners, &runtime.global, api_stop_rx);
        let accept_tasks =
            crate::server::spawn_listeners(listening, &runtime, &logger, &jobs, &stop_rx);
        Generation {
            id,
            runtime,
            logger,
            observer,
            jobs,
            stop,
            api_stop,
            checks,
            tasks,
            accept_tasks,
        }
    }

    /// SIGTTOU: the accept tasks end, sessions carry on. The tasks must go
    /// before their sockets stop listening: Tokio keeps a hung-up listener
    /// readable for good, and an accept task on it would spin.
    pub fn pause_accepting(&mut self) {
        for t in self.accept_tasks.drain(..) {
            t.abort();
        }
    }

    /// SIGTTIN: accept tasks again, on fresh descriptors of the sockets.
    pub fn resume_accepting(&mut self, listening: Vec<Listening>) {
        for t in self.accept_tasks.drain(..) {
            t.abort();
        }
        self.accept_tasks = crate::server::spawn_listeners(
            listening,
            &self.runtime,
            &self.logger,
            &self.jobs,
            &self.stop.subscribe(),
        );
    }

    /// Sessions still running on this generation.
    pub fn live(&self) -> usize {
        self.jobs.live()
    }

    /// Stops accepting: the accept tasks end (their descriptors close; a
    /// socket another generation shares stays open), the runtime API stops
    /// taking clients, and checks stop (the next generation runs its own).
    pub fn stop_accepting(&self) {
        for t in &self.accept_tasks {
            t.abort();
        }
        let _ = self.api_stop.send(Stop::Soft);
        self.checks.stop();
        for t in &self.tasks {
            t.abort();
        }
    }

    /// Lets the sessions finish; idle keep-alive connections close at their
    /// next request boundary.
    pub fn soft_stop(&self) {
        let _ = self.stop.send(Stop::Soft);
    }

    /// Ends the sessions still running (a request waiting for its response
    /// gets a 502, as HAProxy's hard-stop-after does).
    pub fn hard_stop(&self) {
        let _ = self.stop.send(Stop::Hard);
        // Requests waiting on a server hear it through the server's kill
        // signal, which they watch anyway (one waiter per exchange, not two).
        for be in &self.runtime.backends {
            for s in &be.servers {
                s.hard_stop_sessions();
            }
        }
    }

    /// Waits until every session of this generation has ended.
    pub async fn drained(&self) {
        self.jobs.wait_idle().await;
    }

    /// Stops accepting, soft-stops the sessions after `grace`, then waits
    /// for the drain bounded by `hard-stop-after`, then hard-stops. Returns once the generation is gone.
    pub async fn retire(self, hard_stop_after: Option<u64>, grace: Duration, release: Release) {
        self.wind_down(hard_stop_after, grace).await;
        let runtime = self.runtime.clone();
        drop(self);
        match release {
            // Freeing a runtime of 10,000 servers takes milliseconds: not on
            // a serving thread. This is the last reference unless a runtime
            // API client or the stats page still holds one, which then
            // frees it.
            Release::Free => drop(tokio::task::spawn_blocking(move || drop(runtime))),
            // The process exits next: freeing would cost a new thread (and
            // its allocator arena) and a walk of every server, for nothing.
            Release::Leak => std::mem::forget(runtime),
        }
    }

    async fn wind_down(&self, hard_stop_after: Option<u64>, grace: Duration) {
        self.stop_accepting();
        if !grace.is_zero() {
            tokio::time::sleep(grace).await;
        }
        self.soft_stop();
        let hard = async {
            match hard_stop_after {
                Some(ms) => tokio::time::sleep(Duration::from_millis(ms)).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            _ = self.drained() => return,
            _ = hard => {}
        }
        self.hard_stop();
        let _ = tokio::time::timeout(Duration::from_millis(500), self.drained()).await;
    }

    /// HAProxy's soft-stop messages, on stderr and to each proxy's logs.
    pub fn announce_stopped(&self) {
        let runtime = &self.runtime;
        // One write for all the lines: a thousand backends are a thousand
        // unbuffered stderr writes otherwise, on every reload.
        let pid = std::process::id();
        let mut text = String::new();
        let mut line = |msg: &str| {
            use std::fmt::Write;
            let _ = writeln!(text, "{:<10} ({pid}) : {msg}", "[WARNING]");
        };
        for fe in &runtime.frontends {
            let be_total = if fe.conf.cap.backend {
                runtime
                    .backends
                    .iter()
                    .find(|b| b.name == fe.name)
                    .map(|b| b.total.load(Ordering::Relaxed))
                    .unwrap_or(0)
            } else {
                0
            };
            let msg = format!(
                "Proxy {} stopped (cumulated conns: FE: {}, BE: {}).",
                fe.name,
                fe.total.load(Ordering::Relaxed),
                be_total
            );
            line(&msg);
            if let Some(conf) = self.logger.proxy(&fe.name) {
                self.logger
                    .log_proxy_event(&conf, crate::log::Level::Warning, &msg);
            }
        }
        for be in runtime.backends.iter().filter(|b| !b.conf.cap.frontend) {
            line(&format!(
                "Proxy {} stopped (cumulated conns: FE: 0, BE: {}).",
                be.name,
                be.total.load(Ordering::Relaxed)
            ));
        }
        eprint!("{text}");
    }
}

impl Drop for Generation {
    fn drop(&mut self) {
        self.stop_accepting();
    }
}

/// What becomes of a retired generation's runtime once it has drained.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Release {
    /// Freed on a blocking thread, off the serving ones (a reload).
    Free,
    /// Left for the process's exit, which follows (a soft stop).
    Leak,
}

/// slowstart: while a server's weight ramps up, rebuild its backend's
/// balancer regularly so the ramp is followed.
fn slowstart_tasks(runtime: &Runtime) -> Vec<tokio::task::JoinHandle<()>> {
    let mut tasks = Vec::new();
    for be in &runtime.backends {
        let Some(shortest) = be
            .servers
            .iter()
            .filter_map(|s| s.conf.slowstart)
            .filter(|&d| d > 0)
            .min()
        else {
            continue;
        };
        let tick = Duration::from_millis((shortest / 20).clamp(50, 1000));
        let be = be.clone();
        tasks.push(tokio::spawn(async move {
            let mut was_ramping = false;
            loop {
                tokio::time::sleep(tick).await;
                // One more rebuild after a ramp ends applies the full weight.
                let ramping = be.servers.iter().any(|s| s.ramping());
                if ramping || was_ramping {
                    be.refresh_balancer();
                }
                was_ramping = ramping;
            }
        }));
    }
    tasks
}

/// Drops expired stick-table entries once a second, so an idle table does
/// not keep what nobody will look up again (2.6's expiry task).
fn purge_task(runtime: &Runtime) -> Option<tokio::task::JoinHandle<()>> {
    if runtime.tables.is_empty() {
        return None;
    }
    let tables = runtime.tables.clone();
    Some(tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            tables.purge_expired(crate::stick::clock::now_ms());
        }
    }))
}
