//! Running a configuration: bind every listener, drop privileges, accept on
//! one task per socket (one SO_REUSEPORT socket per worker thread), dispatch
//! each connection to the TCP or HTTP session code, and stop on signals.
//!
//! Signals follow HAProxy: SIGTERM/SIGINT stop at once; SIGUSR1 is a soft
//! stop (close the listeners, let sessions finish, bounded by
//! `hard-stop-after`).

use crate::config::model::{BindAddr, Config, Mode, MuxProto};
use crate::listener::{bind_all, BoundSocket};
use crate::log::Logger;
use crate::runtime::{ConnLimit, Frontend, Runtime};
use crate::session::{ClientInfo, LogCtx};
use crate::stats::sess::ListenerCounters;
use crate::stream::Stream;
use crate::tls::acceptor::Acceptor;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{watch, Notify};

/// Counts live sessions so a soft stop knows when everything has finished.
#[derive(Debug, Default)]
pub struct Jobs {
    live: AtomicUsize,
    idle: Notify,
}

pub struct JobGuard(Arc<Jobs>);

impl Jobs {
    pub fn start(self: &Arc<Self>) -> JobGuard {
        self.live.fetch_add(1, Ordering::Relaxed);
        JobGuard(self.clone())
    }
    pub fn live(&self) -> usize {
        self.live.load(Ordering::Relaxed)
    }
    async fn wait_idle(&self) {
        loop {
            let notified = self.idle.notified();
            if self.live() == 0 {
                return;
            }
            notified.await;
        }
    }
}

impl Drop for JobGuard {
    fn drop(&mut self) {
        if self.0.live.fetch_sub(1, Ordering::Relaxed) == 1 {
            self.0.idle.notify_waiters();
        }
    }
}

/// Where the process is in its life: serving, soft-stopping (listeners
/// closed, sessions finishing), or hard-stopping (`hard-stop-after` expired:
/// sessions end now).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Stop {
    Running,
    Soft,
    Hard,
}

/// Process-wide settings that come from the command line rather than the file.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// `-N`: overrides global maxconn.
    pub maxconn: Option<u32>,
}

/// Writes an HAProxy-style runtime message to stderr.
pub fn say(tag: &str, msg: &str) {
    eprintln!("{:<10} ({}) : {}", tag, std::process::id(), msg);
}

struct Listening {
    fe: Arc<Frontend>,
    bind_limit: Option<ConnLimit>,
    /// This bind address's counters, with `option socket-stats`.
    listener: Option<Arc<ListenerCounters>>,
    /// TLS termination, on an `ssl` bind.
    tls: Option<Arc<Acceptor>>,
    /// `proto h2` / `proto h1` on the bind.
    proto: Option<MuxProto>,
    /// The bind's `name`, else its listener number, for connection errors.
    bind_name: Arc<str>,
    sock: BoundSocket,
}

/// Binds everything and serves until a stop signal. Returns the exit code.
pub fn run(cfg: &Config, opts: &RunOptions) -> anyhow::Result<i32> {
    let mut cfg = cfg.clone();
    if let Some(m) = opts.maxconn {
        cfg.global.maxconn = Some(m);
    }
    match raise_nofile(&cfg.global) {
        Ok(soft) => {
            // As HAProxy: without `maxconn`, derive it from the descriptor
            // limit (each proxied connection needs two descriptors).
            if cfg.global.maxconn.is_none() {
                let derived = (soft.saturating_sub(100) / 2).clamp(100, 1_000_000);
                cfg.global.maxconn = Some(derived as u32);
            }
        }
        Err(e) => {
            let msg = format!("[{}] : cannot raise FD limit: {e}", "lbd");
            if cfg.global.strict_limits {
                say("[ALERT]", &msg);
                return Ok(1);
            }
            say("[WARNING]", &msg);
        }
    }
    let runtime = match Runtime::build(&cfg) {
        Ok(r) => Arc::new(r),
        Err(e) => {
            say("[ALERT]", &format!("config : {e}"));
            return Ok(1);
        }
    };
    let reuseport = !cfg.global.noreuseport;
    let mut listening = Vec::new();
    for fe in &runtime.frontends {
        let fallback = fe.conf.backlog.or(fe.conf.maxconn);
        // Listener index: bind addresses in declaration order, as the
        // listener rows of `show stat` count them.
        let mut first_addr = 0usize;
        for bind in &fe.conf.binds {
            let socks = match bind_all(bind, runtime.threads, fallback, reuseport) {
                Ok(s) => s,
                Err(e) => {
                    say(
                        "[ALERT]",
                        &format!("Starting {} {}: {e}", proxy_kind(fe), fe.name),
                    );
                    return Ok(1);
                }
            };
            let bind_limit = bind.maxconn.map(ConnLimit::new);
            let tls = match tls_acceptor(fe, bind) {
                Ok(t) => t,
                Err(()) => return Ok(1),
            };
            for (addr, sock) in socks {
                let pos = bind.addrs.iter().position(|a| *a == addr).unwrap_or(0);
                let listener = fe
                    .conf
                    .options
                    .socket_stats
                    .then(|| fe.stats.listener(first_addr + pos));
                listening.push(Listening {
                    fe: fe.clone(),
                    bind_limit: bind_limit.clone(),
                    listener,
                    tls: tls.clone(),
                    proto: bind.proto,
                    bind_name: match (&bind.name, bind.id) {
                        (Some(n), _) => n.as_str().into(),
                        (None, Some(id)) => id.to_string().into(),
                        (None, None) => (first_addr + pos + 1).to_string().into(),
                    },
                    sock,
                });
            }
            first_addr += bind.addrs.len();
        }
    }
    // Runtime API (stats sockets): bound here, before chroot and setuid,
    // so their files get the configured owner and mode.
    let stats_listeners = match crate::api::bind(&cfg.global) {
        Ok(l) => l,
        Err(e) => {
            say("[ALERT]", &format!("Starting proxy GLOBAL: {e}"));
            return Ok(1);
        }
    };
    // Log sockets (e.g. /dev/log) are opened before chroot and setuid.
    let (logger, log_sender) = match Logger::new(&cfg, std::process::id()) {
        Ok(x) => x,
        Err(e) => {
            say("[ALERT]", &format!("config : {e}"));
            return Ok(1);
        }
    };
    if let Err(e) = crate::privileges::drop_privileges(&cfg.global) {
        say("[ALERT]", &format!("{e}"));
        return Ok(1);
    }

    // One thread: a current-thread runtime runs everything on the main
    // thread, without the cross-thread wake-ups of the multi-thread
    // scheduler (measured: lower CPU per request at nbthread 1).
    let rt = if runtime.threads == 1 {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?
    } else {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(runtime.threads)
            .thread_name("lbd-worker")
            .enable_all()
            .build()?
    };
    let code = rt.block_on(async {
        tokio::spawn(log_sender.run());
        serve(
            runtime,
            listening,
            stats_listeners,
            cfg.global.hard_stop_after,
            logger,
        )
        .await
    });
    // Sessions still running after a hard stop are abandoned here.
    rt.shutdown_timeout(Duration::from_millis(100));
    Ok(code)
}

/// Builds a bind's TLS acceptor (None without `ssl`), saying why not as
/// HAProxy would at start-up.
fn tls_acceptor(
    fe: &Frontend,
    bind: &crate::config::model::Bind,
) -> Result<Option<Arc<Acceptor>>, ()> {
    if !bind.ssl.enabled {
        return Ok(None);
    }
    match Acceptor::build(&bind.ssl, fe.mode == Mode::Http) {
        Ok((acc, notes)) => {
            for w in notes.warnings {
                say(
                    "[WARNING]",
                    &format!(
                        "Proxy '{}': bind at [{}:{}] : {w}",
                        fe.name, bind.location.file, bind.location.line
                    ),
                );
            }
            Ok(Some(Arc::new(acc)))
        }
        Err(e) => {
            say(
                "[ALERT]",
                &format!(
                    "Proxy '{}': bind at [{}:{}] : {e}",
                    fe.name, bind.location.file, bind.location.line
                ),
            );
            Err(())
        }
    }
}

/// Raises RLIMIT_NOFILE to what `ulimit-n` or `maxconn` needs (or to the
/// hard limit), and returns the soft limit in force afterwards.
fn raise_nofile(g: &crate::config::model::Global) -> nix::Result<u64> {
    use nix::sys::resource::{getrlimit, setrlimit, Resource};
    let (soft, hard) = getrlimit(Resource::RLIMIT_NOFILE)?;
    let want = match (g.ulimit_n, g.maxconn) {
        (Some(n), _) => n,
        (None, Some(m)) => 2 * u64::from(m) + 200,
        (None, None) => hard,
    };
    if want <= soft {
        return Ok(soft);
    }
    // Only root may raise the hard limit; otherwise stop at it.
    let new_hard = if nix::unistd::geteuid().is_root() {
        hard.max(want)
    } else {
        hard
    };
    let new_soft = want.min(new_hard);
    setrlimit(Resource::RLIMIT_NOFILE, new_soft, new_hard)?;
    if new_soft < want {
        return Err(nix::Error::EPERM);
    }
    Ok(new_soft)
}

fn proxy_kind(fe: &Frontend) -> &'static str {
    if fe.conf.cap.backend {
        "proxy"
    } else {
        "frontend"
    }
}

async fn serve(
    runtime: Arc<Runtime>,
    listening: Vec<Listening>,
    stats_listeners: Vec<crate::api::StatsListener>,
    hard_stop_after: Option<u64>,
    logger: Arc<Logger>,
) -> i32 {
    let jobs = Arc::new(Jobs::default());
    let observer: Arc<dyn crate::runtime::ServerObserver> = Arc::new(LogObserver {
        logger: logger.clone(),
    });
    // Health and agent checks (lbd/src/check): they run until `_checks` is
    // dropped when serve() returns, on every stop path.
    let _checks = crate::check::start(&runtime, observer.clone());
    // slowstart: while a server's weight ramps up, rebuild its backend's
    // balancer regularly so the ramp is followed.
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
        tokio::spawn(async move {
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
        });
    }
    let (stop_tx, stop_rx) = watch::channel(Stop::Running);
    // The HTTP stats page and the exporter read the runtime from here.
    crate::stats::publish(&runtime);
    // --- Runtime API (stats sockets): the CLI sessions act on `runtime`,
    // and the stats dumps come from lbd::stats.
    crate::api::start(
        Arc::new(crate::api::Api::new(
            runtime.clone(),
            Arc::new(crate::stats::RuntimeStats {
                runtime: runtime.clone(),
            }),
            observer.clone(),
        )),
        stats_listeners,
        &runtime.global,
        stop_rx.clone(),
    );
    // --- end of runtime API start-up.
    let use_splice = !runtime.global.nosplice;
    for l in listening {
        let log = LogCtx {
            logger: logger.clone(),
            conf: logger.proxy(&l.fe.name),
            actconn: runtime.maxconn.clone(),
            feconn: l.fe.maxconn.clone(),
        };
        let ctx = AcceptCtx {
            log,
            fe: l.fe,
            global: runtime.maxconn.clone(),
            bind_limit: l.bind_limit,
            listener: l.listener,
            tls: l.tls,
            proto: l.proto,
            bind_name: l.bind_name,
            jobs: jobs.clone(),
            stop: stop_rx.clone(),
            use_splice,
        };
        match l.sock {
            BoundSocket::Tcp(std_l) => match tokio::net::TcpListener::from_std(std_l) {
                Ok(tl) => {
                    tokio::spawn(accept_tcp(ctx, tl));
                }
                Err(e) => say("[ALERT]", &format!("cannot register listener: {e}")),
            },
            BoundSocket::Unix(std_l) => match tokio::net::UnixListener::from_std(std_l) {
                Ok(ul) => {
                    tokio::spawn(accept_unix(ctx, ul));
                }
                Err(e) => say("[ALERT]", &format!("cannot register listener: {e}")),
            },
        }
    }

    use tokio::signal::unix::{signal, SignalKind};
    let (Ok(mut term), Ok(mut int), Ok(mut usr1)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
        signal(SignalKind::user_defined1()),
    ) else {
        say("[ALERT]", "cannot install signal handlers");
        return 1;
    };
    tokio::select! {
        _ = term.recv() => return 0,
        _ = int.recv() => return 0,
        _ = usr1.recv() => {}
    }
    // Soft stop: stop accepting (listeners close as their tasks end), then
    // wait for the sessions, bounded by hard-stop-after.
    let _ = stop_tx.send(Stop::Soft);
    // HAProxy's soft-stop messages, on stderr and to each proxy's logs.
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
        say("[WARNING]", &msg);
        if let Some(conf) = logger.proxy(&fe.name) {
            logger.log_proxy_event(&conf, crate::log::Level::Warning, &msg);
        }
    }
    for be in runtime.backends.iter().filter(|b| !b.conf.cap.frontend) {
        say(
            "[WARNING]",
            &format!(
                "Proxy {} stopped (cumulated conns: FE: 0, BE: {}).",
                be.name,
                be.total.load(Ordering::Relaxed)
            ),
        );
    }
    let drain = jobs.wait_idle();
    let hard_stop = async {
        match hard_stop_after {
            Some(ms) => tokio::time::sleep(Duration::from_millis(ms)).await,
            None => std::future::pending().await,
        }
    };
    tokio::select! {
        _ = drain => return 0,
        _ = term.recv() => return 0,
        _ = hard_stop => {}
    }
    // hard-stop-after: tell the sessions still running to end now (a request
    // waiting for its response gets a 502, as HAProxy does) and give them a
    // moment to say so.
    let _ = stop_tx.send(Stop::Hard);
    let _ = tokio::time::timeout(Duration::from_millis(500), jobs.wait_idle()).await;
    0
}

struct AcceptCtx {
    log: LogCtx,
    fe: Arc<Frontend>,
    global: ConnLimit,
    bind_limit: Option<ConnLimit>,
    listener: Option<Arc<ListenerCounters>>,
    tls: Option<Arc<Acceptor>>,
    proto: Option<MuxProto>,
    bind_name: Arc<str>,
    jobs: Arc<Jobs>,
    stop: watch::Receiver<Stop>,
    use_splice: bool,
}

impl AcceptCtx {
    /// Takes a slot in every applicable limit before accepting, so that excess
    /// clients wait in the backlog rather than being accepted and dropped.
    async fn permits(&self) -> Vec<tokio::sync::OwnedSemaphorePermit> {
        let mut v = Vec::with_capacity(3);
        v.push(self.global.acquire().await);
        if let Some(l) = &self.fe.maxconn {
            v.push(l.acquire().await);
        }
        if let Some(l) = &self.bind_limit {
            v.push(l.acquire().await);
        }
        v
    }

    fn dispatch(
        &self,
        stream: Stream,
        info: ClientInfo,
        permits: Vec<tokio::sync::OwnedSemaphorePermit>,
    ) {
        let fe = self.fe.clone();
        let job = self.jobs.start();
        let use_splice = self.use_splice;
        let stop = self.stop.clone();
        let log = self.log.clone();
        fe.total.fetch_add(1, Ordering::Relaxed);
        crate::stats::feed::accepted(&fe, self.global.current());
        if let Some(conf) = &log.conf {
            log.logger.log_connect(conf, info.src, info.dst);
        }
        let sess = crate::stats::sess::register(fe.clone(), info.src, self.listener.clone());
        let tls = self.tls.clone();
        let proto = self.proto;
        let bind_name = self.bind_name.clone();
        tokio::spawn(async move {
            let (stream, info) = match (tls, stream) {
                (Some(acc), Stream::Tcp(tcp)) => {
                    match handshake(&fe, &acc, tcp, info.clone()).await {
                        Ok(x) => x,
                        Err(msg) => {
                            if let Some(conf) = &log.conf {
                                let rec = crate::log::TxnLog {
                                    client: info.src,
                                    frontend_addr: info.dst,
                                    accept_date: info.accepted,
                                    frontend: fe.name.as_str().into(),
                                    bind_name: Some(bind_name),
                                    ..crate::log::TxnLog::default()
                                };
                                log.logger.log_conn_error(conf, &rec, msg);
                            }
                            return;
                        }
                    }
                }
                // An ssl bind never serves clear text (start-up refuses ssl
                // on unix sockets; an inherited fd could still be one).
                (Some(_), _) => return,
                (None, stream) => (stream, info),
            };
            match fe.mode {
                Mode::Tcp => crate::tcp::serve(fe, stream, info, use_splice, log, &sess).await,
                Mode::Http if speaks_h2(proto, &stream, &info).await => {
                    crate::http2::serve(fe, stream, info, stop, log, sess.entry()).await
                }
                Mode::Http => crate::http::serve(fe, stream, info, stop, log, sess.entry()).await,
            }
            drop(sess);
            drop(permits);
            drop(job);
        });
    }
}

/// Whether an HTTP client connection is served as HTTP/2: forced by
/// `proto`, else ALPN `h2` after TLS, else the h2 preface on clear TCP.
async fn speaks_h2(proto: Option<MuxProto>, stream: &Stream, info: &ClientInfo) -> bool {
    match (proto, stream) {
        (Some(p), _) => p == MuxProto::H2,
        (None, Stream::Tls(_)) => info.tls.as_ref().and_then(|t| t.alpn.as_deref()) == Some("h2"),
        (None, Stream::Tcp(tcp)) => crate::http2::sniff_preface(tcp).await,
        (None, Stream::Unix(_)) => false,
    }
}

/// The TLS handshake of an accepted connection, bounded by `timeout
/// client` (HAProxy 2.6 has no separate handshake timeout). A failed
/// handshake closes the connection and the session never starts; the error
/// is HAProxy's connection-error text for the log.
async fn handshake(
    fe: &Frontend,
    acc: &Acceptor,
    tcp: tokio::net::TcpStream,
    mut info: ClientInfo,
) -> Result<(Stream, ClientInfo), &'static str> {
    let why = |e: std::io::Error| match e.kind() {
        std::io::ErrorKind::UnexpectedEof => "Connection closed during SSL handshake",
        std::io::ErrorKind::InvalidData => "SSL handshake failure",
        _ => "Connection error during SSL handshake",
    };
    let hs = acc.accept(tcp);
    let conn = match fe.conf.timeouts.client {
        Some(ms) => tokio::time::timeout(Duration::from_millis(ms), hs)
            .await
            .map_err(|_| "Timeout during SSL handshake")?
            .map_err(why)?,
        None => hs.await.map_err(why)?,
    };
    info.tls = conn.info.clone();
    Ok((Stream::Tls(Box::new(conn)), info))
}

/// Server state changes go to stderr (as HAProxy prints them) and to the
/// global log targets.
struct LogObserver {
    logger: Arc<Logger>,
}

impl crate::runtime::ServerObserver for LogObserver {
    fn on_change(&self, ev: &crate::runtime::ServerEvent<'_>) {
        crate::runtime::StderrObserver.on_change(ev);
        for (level, line) in ev.lines() {
            let level = match level {
                crate::runtime::Level::Warning => crate::log::Level::Warning,
                crate::runtime::Level::Alert => crate::log::Level::Alert,
            };
            self.logger.log_event(level, &line);
        }
    }
}

/// Transient accept errors (EMFILE, ENOBUFS...) pause the listener briefly,
/// as HAProxy does, instead of spinning.
async fn accept_pause() {
    tokio::time::sleep(Duration::from_millis(100)).await;
}

async fn accept_tcp(ctx: AcceptCtx, l: tokio::net::TcpListener) {
    let mut stop = ctx.stop.clone();
    loop {
        // Accept first, then wait for a slot: with one socket per thread, a
        // loop that took its slot before accepting would sit on it while its
        // socket stays idle, and a client queued on another socket would
        // wait for nothing. Holding one accepted connection per socket while
        // waiting is what the kernel backlog does anyway.
        let accepted = tokio::select! {
            r = l.accept() => r,
            _ = stop.changed() => return,
        };
        match accepted {
            Ok((s, peer)) => {
                let permits = tokio::select! {
                    p = ctx.permits() => p,
                    _ = stop.changed() => return,
                };
                let _ = s.set_nodelay(true);
                let dst = s.local_addr().ok();
                let info = ClientInfo::new(Some(peer), dst);
                ctx.dispatch(Stream::Tcp(s), info, permits);
            }
            Err(_) => accept_pause().await,
        }
    }
}

async fn accept_unix(ctx: AcceptCtx, l: tokio::net::UnixListener) {
    let mut stop = ctx.stop.clone();
    loop {
        let accepted = tokio::select! {
            r = l.accept() => r,
            _ = stop.changed() => return,
        };
        match accepted {
            Ok((s, _)) => {
                let permits = tokio::select! {
                    p = ctx.permits() => p,
                    _ = stop.changed() => return,
                };
                ctx.dispatch(Stream::Unix(s), ClientInfo::new(None, None), permits);
            }
            Err(_) => accept_pause().await,
        }
    }
}

/// Unused binding kinds are matched here so new ones get handled explicitly.
pub fn describe(addr: &BindAddr) -> String {
    match addr {
        BindAddr::Tcp(sa) => sa.to_string(),
        BindAddr::Unix(p) => p.display().to_string(),
        BindAddr::Abstract(n) => format!("abns@{n}"),
        BindAddr::Fd(fd) => format!("fd@{fd}"),
    }
}
