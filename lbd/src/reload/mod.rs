//! Hitless in-process reload (DESIGN.md section 3, spec section 10).
//!
//! A reload re-reads the `-f` files, validates them, builds the new
//! runtime, carries server state over, opens the listeners (sharing every
//! socket whose address and options did not change, binding new ones), and
//! starts the new [`Generation`] before retiring the old one, so there is
//! always an accept task on every kept socket and the kernel backlog never
//! goes away: no SYN is refused. A configuration that fails is reported
//! with HAProxy's alerts and the running generation carries on.
//!
//! Entry points: SIGUSR2, the master CLI's `reload`, and [`request`] (for
//! the D-Bus layer). This module also owns the process's signal loop.

mod carry;
mod generation;
mod sockets;
pub mod timing;

pub use carry::server_state as carry_server_state;
pub use generation::Generation;
pub use sockets::{Inherited, Sockets};

use crate::config::{self, model::Config, ProcessEnv};
use crate::log::{LogSender, Logger};
use crate::runtime::Runtime;
use crate::server::{say, Listening, RunOptions};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, oneshot};

/// Why a reload did not happen. The running configuration keeps serving.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum ReloadError {
    /// No serving process in this address space (check mode, tests).
    #[error("lbd is not serving")]
    NotRunning,
    /// The files did not load: the alert lines, as `-c` prints them.
    #[error("configuration rejected:\n{}", .0.join("\n"))]
    Config(Vec<String>),
    /// The configuration loaded but could not be started (bind, resolve).
    #[error("{0}")]
    Start(String),
}

/// A reload that took effect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reloaded {
    /// The new generation's number (the first configuration is 1).
    pub generation: u64,
    /// From the request to the new generation accepting.
    pub took: Duration,
    /// Warnings the new configuration raised, as `-c` prints them.
    pub warnings: Vec<String>,
}

/// Reloads asked for, and those that failed, since start (`show proc`).
static RELOADS: AtomicU64 = AtomicU64::new(0);
static FAILED: AtomicU64 = AtomicU64::new(0);

/// Reloads so far and how many of them failed.
pub fn counts() -> (u64, u64) {
    (
        RELOADS.load(Ordering::Relaxed),
        FAILED.load(Ordering::Relaxed),
    )
}

type Reply = oneshot::Sender<Result<Reloaded, ReloadError>>;

static REQUESTS: OnceLock<mpsc::UnboundedSender<Reply>> = OnceLock::new();

/// Asks the serving process to reload its configuration files, and waits
/// for the outcome. This is what the D-Bus `Reload` (and `Apply`, after
/// writing the file) calls.
pub async fn request() -> Result<Reloaded, ReloadError> {
    let tx = REQUESTS.get().ok_or(ReloadError::NotRunning)?;
    let (reply, rx) = oneshot::channel();
    tx.send(reply).map_err(|_| ReloadError::NotRunning)?;
    rx.await.map_err(|_| ReloadError::NotRunning)?
}

/// What the serving process needs to load a configuration again.
#[derive(Debug, Clone)]
pub struct Source {
    pub files: Vec<PathBuf>,
    pub opts: RunOptions,
}

/// A configuration ready to start: runtime built, sockets open.
pub struct Prepared {
    pub cfg: Config,
    pub runtime: Arc<Runtime>,
    pub sockets: Sockets,
    pub listening: Vec<Listening>,
    pub stats_sockets: Sockets,
    pub stats_listeners: Vec<crate::api::StatsListener>,
    pub logger: Arc<Logger>,
    pub log_sender: LogSender,
}

/// Builds and opens everything for `cfg`, sharing the sockets of `old`.
/// Nothing of `old` is changed, so a failure leaves it serving. The error
/// is the alert text.
pub fn prepare(
    cfg: Config,
    threads: Option<usize>,
    old: (&Sockets, &Sockets),
    inherited: &mut Inherited,
) -> Result<Prepared, String> {
    prepare_carrying(cfg, threads, old, inherited, None)
}

/// Like [`prepare`], carrying over the stick tables of `old_tables` that
/// the new configuration defines the same way (2.6 hands them over to the
/// new process through peers; here they stay in memory).
pub fn prepare_carrying(
    cfg: Config,
    threads: Option<usize>,
    old: (&Sockets, &Sockets),
    inherited: &mut Inherited,
    old_tables: Option<&crate::stick::TableRegistry>,
) -> Result<Prepared, String> {
    let mut laps = timing::Laps::start();
    let runtime = build_runtime(&cfg, threads, old_tables, &mut laps)?;
    laps.report("start-up build");
    open_runtime(cfg, runtime, old, inherited)
}

/// The costly half of [`prepare_carrying`] (a big configuration takes
/// hundreds of milliseconds), which touches no socket: a reload runs it
/// off the serving threads.
fn build_runtime(
    cfg: &Config,
    threads: Option<usize>,
    old_tables: Option<&crate::stick::TableRegistry>,
    laps: &mut timing::Laps,
) -> Result<Runtime, String> {
    let mut runtime = Runtime::build_timed(cfg, old_tables, &mut |name, d| laps.add(name, d))
        .map_err(|e| format!("config : {e}"))?;
    if let Some(t) = threads {
        // The worker threads exist already; a new `nbthread` needs a restart.
        runtime.threads = t;
    }
    Ok(runtime)
}

/// The other half: sockets and logger for a built runtime.
fn open_runtime(
    cfg: Config,
    runtime: Runtime,
    old: (&Sockets, &Sockets),
    inherited: &mut Inherited,
) -> Result<Prepared, String> {
    let (sockets, listening) = Sockets::open(&runtime, &cfg.global, old.0, inherited)?;
    let (stats_sockets, stats_listeners) = Sockets::open_stats(&cfg.global, old.1)?;
    let (logger, log_sender) =
        Logger::new(&cfg, std::process::id()).map_err(|e| format!("config : {e}"))?;
    Ok(Prepared {
        cfg,
        runtime: Arc::new(runtime),
        sockets,
        listening,
        stats_sockets,
        stats_listeners,
        logger,
        log_sender,
    })
}

/// A configuration loaded and built, not started: what a reload computes
/// off the serving threads.
struct Built {
    cfg: Config,
    runtime: Runtime,
    warnings: Vec<String>,
    laps: timing::Laps,
}

/// Loads the files and builds their runtime. Blocking; the error is why
/// the reload is refused.
fn load_and_build(
    source: &Source,
    threads: usize,
    old_tables: &crate::stick::TableRegistry,
    mut laps: timing::Laps,
) -> Result<Built, ReloadError> {
    let pid = std::process::id();
    laps.lap("to the loader");
    let outcome = config::load_timed(&source.files, &ProcessEnv, &mut |name, d| laps.add(name, d));
    let mut alerts = Vec::new();
    let mut warnings = Vec::new();
    for d in &outcome.diags {
        let text = d.render(pid);
        eprint!("{text}");
        match d.severity {
            config::diag::Severity::Warning => warnings.push(text.trim_end().to_string()),
            _ => alerts.push(text.trim_end().to_string()),
        }
    }
    let Some(mut cfg) = outcome.config else {
        return Err(ReloadError::Config(alerts));
    };
    if let Err(msg) = crate::server::apply_limits(&mut cfg, &source.opts) {
        return Err(ReloadError::Start(msg));
    }
    if cfg
        .global
        .nbthread
        .is_some_and(|n| n.max(1) as usize != threads)
    {
        say(
            "[WARNING]",
            "config : 'nbthread' changed: keeping the running thread count until a restart.",
        );
    }
    laps.lap("diagnostics");
    let runtime = build_runtime(&cfg, Some(threads), Some(old_tables), &mut laps)
        .map_err(ReloadError::Start)?;
    Ok(Built {
        cfg,
        runtime,
        warnings,
        laps,
    })
}

/// How the serving loop ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Exit {
    Hard,
    Soft,
}

/// The serving process: the current generation, the retiring ones, and the
/// sockets they share.
pub struct Driver {
    source: Source,
    threads: usize,
    sockets: Sockets,
    stats_sockets: Sockets,
    current: Generation,
    hard_stop_after: Option<u64>,
    next_id: u64,
    retiring: tokio::task::JoinSet<()>,
    /// Between SIGTTOU and SIGTTIN.
    paused: bool,
    /// Told about start-up, reloads and stops (sd_notify, master CLI).
    pub events: Option<Arc<dyn Events>>,
}

/// What the process model hears from the driver.
pub trait Events: Send + Sync {
    fn ready(&self);
    fn reloading(&self);
    fn stopping(&self);
}

impl Driver {
    /// Starts the first generation from `p` on the current Tokio runtime.
    pub fn start(source: Source, p: Prepared) -> Driver {
        let threads = p.runtime.threads;
        let hard_stop_after = p.cfg.global.hard_stop_after;
        let current = Generation::start(
            1,
            p.runtime,
            p.listening,
            p.stats_listeners,
            p.logger,
            p.log_sender,
        );
        Driver {
            source,
            threads,
            sockets: p.sockets,
            stats_sockets: p.stats_sockets,
            current,
            hard_stop_after,
            next_id: 2,
            retiring: tokio::task::JoinSet::new(),
            paused: false,
            events: None,
        }
    }

    /// The generation serving new connections.
    pub fn current(&self) -> &Generation {
        &self.current
    }

    /// The listening sockets, for handing over to another process.
    pub fn sockets(&self) -> &Sockets {
        &self.sockets
    }

    /// Loads the files again and, if they are good, swaps generations.
    pub async fn reload(&mut self) -> Result<Reloaded, ReloadError> {
        let started = Instant::now();
        say("[NOTICE]", "Reloading HAProxy");
        if let Some(ev) = &self.events {
            ev.reloading();
        }
        let r = self.try_reload(started).await;
        RELOADS.fetch_add(1, Ordering::Relaxed);
        match &r {
            Ok(_) => {
                crate::getsocks::publish(self.sockets.dup_all());
                say("[NOTICE]", "Loading success.");
            }
            Err(e) => {
                FAILED.fetch_add(1, Ordering::Relaxed);
                if let ReloadError::Start(msg) = e {
                    say("[ALERT]", msg);
                }
                say("[WARNING]", "Loading failure!");
            }
        }
        if let Some(ev) = &self.events {
            ev.ready();
        }
        r
    }

    async fn try_reload(&mut self, started: Instant) -> Result<Reloaded, ReloadError> {
        // Parsing and building a big configuration takes long enough to
        // stall every connection if it ran here, on a serving thread.
        let source = self.source.clone();
        let threads = self.threads;
        let old_tables = self.current.runtime.tables.clone();
        let laps = timing::Laps::start();
        let built = tokio::task::spawn_blocking(move || {
            load_and_build(&source, threads, &old_tables, laps)
        })
        .await
        .map_err(|e| ReloadError::Start(format!("reload task failed: {e}")))??;
        let warnings = built.warnings;
        let mut laps = built.laps;
        laps.lap("back on the serving thread");
        let p = open_runtime(
            built.cfg,
            built.runtime,
            (&self.sockets, &self.stats_sockets),
            &mut Inherited::default(),
        )
        .map_err(ReloadError::Start)?;
        laps.lap("sockets+logger");
        let old_rt = self.current.runtime.clone();
        carry::server_state(&old_rt, &p.runtime);
        laps.lap("carry-over");
        let id = self.next_id;
        self.next_id += 1;
        let next = Generation::start(
            id,
            p.runtime,
            p.listening,
            p.stats_listeners,
            p.logger,
            p.log_sender,
        );
        laps.lap("start generation");
        // The new generation accepts on every kept socket already: only now
        // may the old one stop accepting, and the sockets it alone used close.
        let old = std::mem::replace(&mut self.current, next);
        self.sockets = p.sockets;
        self.stats_sockets = p.stats_sockets;
        let hard = self.hard_stop_after;
        self.hard_stop_after = p.cfg.global.hard_stop_after;
        self.retiring.spawn(async move {
            // A line per proxy: with 1,000 backends, printing them here
            // would hold the new generation's first accept back.
            old.announce_stopped();
            old.retire(hard, generation::RELOAD_GRACE, generation::Release::Free)
                .await
        });
        laps.lap("swap");
        laps.report("reload");
        Ok(Reloaded {
            generation: id,
            took: started.elapsed(),
            warnings,
        })
    }

    /// SIGTTOU: the listeners stop listening (see [`Sockets::pause`]).
    /// False when some refused, and 2.6 then soft-stops.
    fn pause(&mut self) -> bool {
        self.paused = true;
        self.current.pause_accepting();
        match self.sockets.pause() {
            Ok(paused) => {
                for p in paused {
                    say("[WARNING]", &format!("Paused {p}."));
                }
                true
            }
            Err(e) => {
                say("[WARNING]", &format!("{e}"));
                say(
                    "[WARNING]",
                    "Some proxies refused to pause, performing soft stop now.",
                );
                false
            }
        }
    }

    /// SIGTTIN: the paused listeners listen again, and the current
    /// generation accepts on them.
    fn resume(&mut self) {
        if !std::mem::replace(&mut self.paused, false) {
            return;
        }
        let outcome = self.sockets.resume();
        // Fresh descriptors of the same sockets, so that the accept tasks get
        // a fresh readiness state (see `Generation::pause_accepting`).
        let rt = self.current.runtime.clone();
        match Sockets::open(&rt, &rt.global, &self.sockets, &mut Inherited::default()) {
            Ok((sockets, listening)) => {
                self.sockets = sockets;
                self.current.resume_accepting(listening);
            }
            Err(e) => say("[ALERT]", &e),
        }
        match outcome {
            Ok(resumed) => {
                for p in resumed {
                    say("[WARNING]", &format!("Resumed {p}."));
                }
            }
            Err(e) => {
                say("[WARNING]", &format!("{e}"));
                say(
                    "[WARNING]",
                    "Some proxies refused to resume, probably due to a conflict on a listening port. \
                     You may want to try again after the conflicting application is stopped, otherwise \
                     a restart might be needed to resume safe operations.",
                );
            }
        }
    }

    /// Serves until a stop signal: SIGTERM/SIGINT stop at once, SIGUSR1
    /// soft-stops, SIGUSR2 and [`request`] reload, SIGTTOU/SIGTTIN pause and
    /// resume the listeners. Returns the exit code.
    pub async fn run(mut self) -> i32 {
        use tokio::signal::unix::{signal, SignalKind};
        let ttou = SignalKind::from_raw(nix::sys::signal::Signal::SIGTTOU as i32);
        let ttin = SignalKind::from_raw(nix::sys::signal::Signal::SIGTTIN as i32);
        let (Ok(mut term), Ok(mut int), Ok(mut usr1), Ok(mut usr2), Ok(mut pause), Ok(mut resume)) = (
            signal(SignalKind::terminate()),
            signal(SignalKind::interrupt()),
            signal(SignalKind::user_defined1()),
            signal(SignalKind::user_defined2()),
            signal(ttou),
            signal(ttin),
        ) else {
            say("[ALERT]", "cannot install signal handlers");
            return 1;
        };
        let (tx, mut requests) = mpsc::unbounded_channel::<Reply>();
        // One serving driver per process; a second one (tests) simply has
        // no D-Bus entry point.
        let _ = REQUESTS.set(tx);
        crate::getsocks::publish(self.sockets.dup_all());
        timing::startup_mark("ready");
        if let Some(ev) = &self.events {
            ev.ready();
        }
        let exit = loop {
            tokio::select! {
                _ = term.recv() => break Exit::Hard,
                _ = int.recv() => break Exit::Hard,
                _ = usr1.recv() => break Exit::Soft,
                _ = usr2.recv() => {
                    let _ = self.reload().await;
                    if self.paused && !self.pause() {
                        break Exit::Soft;
                    }
                }
                Some(reply) = requests.recv() => {
                    let _ = reply.send(self.reload().await);
                    if self.paused && !self.pause() {
                        break Exit::Soft;
                    }
                }
                _ = pause.recv() => {
                    if !self.pause() {
                        break Exit::Soft;
                    }
                }
                _ = resume.recv() => self.resume(),
                Some(_) = self.retiring.join_next(), if !self.retiring.is_empty() => {}
            }
        };
        if let Some(ev) = &self.events {
            ev.stopping();
        }
        if exit == Exit::Hard {
            return 0;
        }
        // Soft stop: stop accepting (listeners close as their tasks end and
        // the sockets are dropped), then wait for every generation's
        // sessions, bounded by hard-stop-after.
        self.current.stop_accepting();
        self.current.announce_stopped();
        self.sockets = Sockets::default();
        self.stats_sockets = Sockets::default();
        crate::getsocks::publish(Vec::new());
        let current = self.current;
        let hard = self.hard_stop_after;
        let mut retiring = self.retiring;
        // A short grace, as on reload: with `-sf` the new process already
        // accepts on the same sockets.
        retiring.spawn(current.retire(hard, Duration::from_millis(100), generation::Release::Leak));
        let all = async { while retiring.join_next().await.is_some() {} };
        tokio::select! {
            _ = all => {}
            _ = term.recv() => {}
        }
        0
    }
}
