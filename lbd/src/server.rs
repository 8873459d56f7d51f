//! Running a configuration: bind every listener, drop privileges, accept on
//! one task per socket (one SO_REUSEPORT socket per worker thread), dispatch
//! each connection to the TCP or HTTP session code, and stop on signals.
//!
//! Signals follow HAProxy: SIGTERM/SIGINT stop at once; SIGUSR1 is a soft
//! stop (close the listeners, let sessions finish, bounded by
//! `hard-stop-after`).

use crate::config::model::{BindAddr, Config, Mode, MuxProto};
use crate::listener::BoundSocket;
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
    pub(crate) async fn wait_idle(&self) {
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
    /// The `-f` paths, read again on reload.
    pub files: Vec<std::path::PathBuf>,
}

/// Writes an HAProxy-style runtime message to stderr.
pub fn say(tag: &str, msg: &str) {
    eprintln!("{:<10} ({}) : {}", tag, std::process::id(), msg);
}

/// One listening socket, ready for its accept task.
pub struct Listening {
    pub fe: Arc<Frontend>,
    pub bind_limit: Option<ConnLimit>,
    /// This bind address's counters, with `option socket-stats`.
    pub listener: Option<Arc<ListenerCounters>>,
    /// TLS termination, on an `ssl` bind.
    pub tls: Option<Arc<Acceptor>>,
    /// The bind's name in connection-error logs ([`bind_log_name`]).
    pub bind_name: Arc<str>,
    /// `proto h2` / `proto h1` on the bind.
    pub proto: Option<MuxProto>,
    /// `accept-proxy`: a PROXY protocol header precedes everything else.
    pub accept_proxy: bool,
    pub sock: ListenSocket,
}

/// What a listener accepts from: a stream socket, or the QUIC endpoint of
/// a `quic4@`/`quic6@` bind with the configuration this generation serves.
pub enum ListenSocket {
    Stream(BoundSocket),
    Quic {
        sock: Arc<crate::http3::QuicSocket>,
        config: quinn::ServerConfig,
    },
}

/// Applies `-N` and the descriptor limit to `cfg`: without `maxconn`, it
/// is derived from the limit, as HAProxy does. The error is an alert text
/// (`strict-limits`).
pub(crate) fn apply_limits(cfg: &mut Config, opts: &RunOptions) -> Result<(), String> {
    if let Some(m) = opts.maxconn {
        cfg.global.maxconn = Some(m);
    }
    match raise_nofile(&cfg.global) {
        Ok(soft) => {
            // Each proxied connection needs two descriptors.
            if cfg.global.maxconn.is_none() {
                let derived = (soft.saturating_sub(100) / 2).clamp(100, 1_000_000);
                cfg.global.maxconn = Some(derived as u32);
            }
        }
        Err(e) => {
            let msg = format!("[{}] : cannot raise FD limit: {e}", "lbd");
            if cfg.global.strict_limits {
                return Err(msg);
            }
            say("[WARNING]", &msg);
        }
    }
    Ok(())
}

/// Binds everything and serves until a stop signal. Returns the exit code.
/// `inherited` holds listening sockets received from another process
/// (`-x`); the configuration's binds adopt them by address.
pub fn run(
    cfg: Config,
    opts: &RunOptions,
    inherited: crate::reload::Inherited,
    hooks: crate::process::Hooks,
) -> anyhow::Result<i32> {
    let mut cfg = cfg;
    if let Err(msg) = apply_limits(&mut cfg, opts) {
        say("[ALERT]", &msg);
        return Ok(1);
    }
    let mut inherited = inherited;
    let none = crate::reload::Sockets::default();
    // Listeners, runtime API sockets and log sockets (e.g. /dev/log) are
    // all opened here, before chroot and setuid.
    let prepared = match crate::reload::prepare(cfg, None, (&none, &none), &mut inherited) {
        Ok(p) => p,
        Err(msg) => {
            say("[ALERT]", &msg);
            return Ok(1);
        }
    };
    crate::reload::timing::startup_mark("runtime built");
    // Sockets handed over that no bind wants are closed now.
    drop(inherited);
    if let Err(e) = crate::privileges::drop_privileges(&prepared.cfg.global) {
        say("[ALERT]", &format!("{e}"));
        return Ok(1);
    }

    // One thread: a current-thread runtime runs everything on the main
    // thread, without the cross-thread wake-ups of the multi-thread
    // scheduler (measured: lower CPU per request at nbthread 1).
    let threads = prepared.runtime.threads;
    let rt = if threads == 1 {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?
    } else {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(threads)
            .thread_name("lbd-worker")
            .enable_all()
            .build()?
    };
    let source = crate::reload::Source {
        files: opts.files.clone(),
        opts: opts.clone(),
    };
    let code = rt.block_on(serve(source, prepared, hooks));
    // Sessions still running after a hard stop are abandoned here.
    rt.shutdown_timeout(Duration::from_millis(100));
    Ok(code)
}

/// Builds a bind's TLS acceptor (None without `ssl`), saying why not as
/// HAProxy would at start-up.
pub(crate) fn tls_acceptor(
    fe: &Frontend,
    bind: &crate::config::model::Bind,
) -> Result<Option<Arc<Acceptor>>, String> {
    if !bind.ssl.enabled {
        return Ok(None);
    }
    let at = format!(
        "Proxy '{}': bind at [{}:{}] :",
        fe.name, bind.location.file, bind.location.line
    );
    let (acc, notes) =
        Acceptor::build(&bind.ssl, fe.mode == Mode::Http).map_err(|e| format!("{at} {e}"))?;
    for w in notes.warnings {
        say("[WARNING]", &format!("{at} {w}"));
    }
    Ok(Some(Arc::new(acc)))
}

/// The name a bind goes by in connection-error logs: its `name`, else its
/// `id`, else its listener number in the proxy (1-based), as HAProxy.
pub(crate) fn bind_log_name(bind: &crate::config::model::Bind, listener_index: usize) -> Arc<str> {
    match (&bind.name, bind.id) {
        (Some(n), _) => n.as_str().into(),
        (None, Some(id)) => id.to_string().into(),
        (None, None) => (listener_index + 1).to_string().into(),
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

async fn serve(
    source: crate::reload::Source,
    prepared: crate::reload::Prepared,
    hooks: crate::process::Hooks,
) -> i32 {
    if let Some(opts) = &hooks.dbus {
        if let Err(e) = crate::dbus::start(opts, &source.files).await {
            say("[ALERT]", &e.to_string());
            return 1;
        }
    }
    let driver = crate::reload::Driver::start(source, prepared);
    crate::process::serve(driver, hooks).await
}

/// Starts one accept task per socket of a generation. Each task owns its
/// descriptor and stops on the generation's `stop`, or when aborted
/// through the returned handles (a task parked in accept() loses nothing).
pub(crate) fn spawn_listeners(
    listening: Vec<Listening>,
    runtime: &Arc<Runtime>,
    logger: &Arc<Logger>,
    jobs: &Arc<Jobs>,
    stop_rx: &watch::Receiver<Stop>,
) -> Vec<tokio::task::JoinHandle<()>> {
    let mut tasks = Vec::new();
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
            bind: Arc::new(BindConf {
                tls: l.tls,
                name: l.bind_name,
                proto: l.proto,
                accept_proxy: l.accept_proxy,
            }),
            jobs: jobs.clone(),
            stop: stop_rx.clone(),
            use_splice,
        };
        match l.sock {
            ListenSocket::Stream(BoundSocket::Tcp(std_l)) => {
                match tokio::net::TcpListener::from_std(std_l) {
                    Ok(tl) => tasks.push(tokio::spawn(accept_tcp(ctx, tl))),
                    Err(e) => say("[ALERT]", &format!("cannot register listener: {e}")),
                }
            }
            ListenSocket::Stream(BoundSocket::Unix(std_l)) => {
                match tokio::net::UnixListener::from_std(std_l) {
                    Ok(ul) => tasks.push(tokio::spawn(accept_unix(ctx, ul))),
                    Err(e) => say("[ALERT]", &format!("cannot register listener: {e}")),
                }
            }
            ListenSocket::Quic { sock, config } => match sock.endpoint(config) {
                Ok(ep) => tasks.push(tokio::spawn(accept_quic(ctx, ep, sock.addr()))),
                Err(e) => say("[ALERT]", &format!("cannot register QUIC listener: {e}")),
            },
        }
    }
    tasks
}

/// What an accepted connection needs to know of its bind, shared by all
/// of them.
struct BindConf {
    tls: Option<Arc<Acceptor>>,
    /// The bind's name in connection-error logs ([`bind_log_name`]).
    name: Arc<str>,
    proto: Option<MuxProto>,
    accept_proxy: bool,
}

struct AcceptCtx {
    log: LogCtx,
    fe: Arc<Frontend>,
    global: ConnLimit,
    bind_limit: Option<ConnLimit>,
    listener: Option<Arc<ListenerCounters>>,
    bind: Arc<BindConf>,
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

    /// The bookkeeping of every accepted connection: counters, the
    /// connect log, the session entry (`show sess`).
    fn accounted(&self, info: &ClientInfo) -> crate::stats::sess::SessHandle {
        self.fe.total.fetch_add(1, Ordering::Relaxed);
        crate::stats::feed::accepted(&self.fe, self.global.current());
        if let Some(conf) = &self.log.conf {
            self.log.logger.log_connect(conf, info.src, info.dst);
        }
        crate::stats::sess::register(self.fe.clone(), info.src, self.listener.clone())
    }

    /// Serves a QUIC connection: handshake, then HTTP/3.
    fn dispatch_quic(
        &self,
        incoming: quinn::Incoming,
        info: ClientInfo,
        permits: Vec<tokio::sync::OwnedSemaphorePermit>,
    ) {
        let fe = self.fe.clone();
        let job = self.jobs.start();
        let stop = self.stop.clone();
        let log = self.log.clone();
        let sess = self.accounted(&info);
        let bind = self.bind.clone();
        tokio::spawn(async move {
            match crate::http3::handshake(&fe, incoming, info.clone()).await {
                Ok((conn, info)) => {
                    crate::http3::serve(fe, conn, info, stop, log, sess.entry()).await
                }
                Err(msg) => log_conn_error(&log, &fe, &bind.name, &info, msg),
            }
            drop(sess);
            drop(permits);
            drop(job);
        });
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
        let sess = self.accounted(&info);
        let bind = self.bind.clone();
        tokio::spawn(async move {
            // `tcp-request connection` rules first, as 2.6 runs them: a
            // rejected client costs no PROXY header wait and no handshake.
            //
            // The stages before the session and each session kind run in
            // their own boxed futures: inline, the task would stay as large
            // as the largest of them (the TLS handshake with rustls' state,
            // the h2 sniffing timers, the h2 session's 8 KiB linger buffer)
            // for the whole connection, idle ones included.
            let mut state = crate::http::ctx::State::default();
            if let Some(r) = crate::tcp::connection_rules(&fe, &info, &mut state) {
                if r.reset {
                    stream.set_nolinger();
                }
                state.end_session();
            } else if let Some((stream, info, h2)) =
                Box::pin(open(&fe, &log, &bind, stream, info, state.expect_proxy)).await
            {
                match fe.mode {
                    Mode::Tcp => {
                        Box::pin(crate::tcp::serve(
                            fe, stream, info, state, use_splice, log, &sess,
                        ))
                        .await
                    }
                    Mode::Http if h2 => {
                        Box::pin(crate::http2::serve(
                            fe,
                            stream,
                            info,
                            state,
                            stop,
                            log,
                            sess.entry(),
                        ))
                        .await
                    }
                    Mode::Http => {
                        Box::pin(crate::http::serve(
                            fe,
                            stream,
                            info,
                            state,
                            stop,
                            log,
                            sess.entry(),
                        ))
                        .await
                    }
                }
            } else {
                state.end_session();
            }
            drop(sess);
            drop(permits);
            drop(job);
        });
    }
}

/// What comes before the session on an accepted connection: the PROXY
/// header, the TLS handshake, and whether an HTTP client speaks h2. None
/// when the connection ended there (the error is logged).
async fn open(
    fe: &Frontend,
    log: &LogCtx,
    bind: &BindConf,
    stream: Stream,
    mut info: ClientInfo,
    expect_proxy: bool,
) -> Option<(Stream, ClientInfo, bool)> {
    let conn_error = |info: &ClientInfo, msg: &str| log_conn_error(log, fe, &bind.name, info, msg);
    if bind.accept_proxy || expect_proxy {
        let wait = fe.conf.timeouts.client.map(Duration::from_millis);
        match crate::proxyproto::io::read_header(&stream, wait).await {
            Ok(h) => info.set_proxy(h),
            Err(e) => {
                conn_error(&info, &e.to_string());
                return None;
            }
        }
    }
    let (stream, info) = match (&bind.tls, stream) {
        (Some(acc), Stream::Tcp(tcp)) => match handshake(fe, acc, tcp, info.clone()).await {
            Ok(x) => x,
            Err(msg) => {
                conn_error(&info, msg);
                return None;
            }
        },
        // An ssl bind never serves clear text (start-up refuses ssl on
        // unix sockets; an inherited fd could still be one).
        (Some(_), _) => return None,
        (None, stream) => (stream, info),
    };
    let h2 = fe.mode == Mode::Http && speaks_h2(bind.proto, &stream, &info).await;
    Some((stream, info, h2))
}

/// Logs a connection that failed before its session started (PROXY
/// header, TLS or QUIC handshake), with HAProxy's error text.
fn log_conn_error(log: &LogCtx, fe: &Frontend, bind_name: &Arc<str>, info: &ClientInfo, msg: &str) {
    if let Some(conf) = &log.conf {
        let rec = crate::log::TxnLog {
            client: info.src,
            frontend_addr: info.dst,
            accept_date: info.accepted,
            frontend: fe.name.as_str().into(),
            bind_name: Some(bind_name.clone()),
            ..crate::log::TxnLog::default()
        };
        log.logger.log_conn_error(conf, &rec, msg);
    }
}

/// Whether an HTTP client connection is served as HTTP/2: forced by
/// `proto`, else ALPN `h2` after TLS, else the h2 preface on clear TCP.
async fn speaks_h2(proto: Option<MuxProto>, stream: &Stream, info: &ClientInfo) -> bool {
    match (proto, stream) {
        (Some(p), _) => p == MuxProto::H2,
        (None, Stream::Tls(_)) => info.tls.as_ref().and_then(|t| t.alpn.as_deref()) == Some("h2"),
        (None, Stream::Tcp(tcp)) => crate::http2::sniff_preface(tcp).await,
        (None, Stream::Unix(_) | Stream::Mem(_)) => false,
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
pub(crate) struct LogObserver {
    logger: Arc<Logger>,
}

impl LogObserver {
    pub(crate) fn new(logger: Arc<Logger>) -> LogObserver {
        LogObserver { logger }
    }
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

/// Accepts QUIC connections from a bind's endpoint until the generation
/// stops. A maxconn slot is taken per QUIC connection, as HAProxy counts
/// them.
async fn accept_quic(ctx: AcceptCtx, ep: quinn::Endpoint, bind: std::net::SocketAddr) {
    let mut stop = ctx.stop.clone();
    loop {
        let incoming = tokio::select! {
            r = ep.accept() => r,
            _ = stop.changed() => return,
        };
        // None: the endpoint was closed.
        let Some(incoming) = incoming else {
            return;
        };
        let permits = tokio::select! {
            p = ctx.permits() => p,
            _ = stop.changed() => return,
        };
        let dst = std::net::SocketAddr::new(incoming.local_ip().unwrap_or(bind.ip()), bind.port());
        let info = ClientInfo::new(Some(incoming.remote_address()), Some(dst));
        ctx.dispatch_quic(incoming, info, permits);
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
