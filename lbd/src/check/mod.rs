//! Health checks and agent checks: one task per checked server and per agent,
//! started spread over the interval so that a thousand servers are not probed
//! in the same millisecond. The tasks only connect, talk and feed results to
//! the pure state machine in [`state`]; the runtime applies the transitions
//! (runtime/server_state.rs). They never touch client traffic.

mod h2;
pub mod http;
pub mod state;
pub mod transport;

use crate::config::model::{HttpCheck, ServerPort, Timeouts};
use crate::runtime::{Backend, Runtime, ServerAddrRt, ServerObserver};
use crate::stream::Stream;
use crate::tls::connector::Connector;
use state::{parse_agent_line, CheckReport, CheckStatus, Intervals, Probe};
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::watch;
use transport::{CheckMux, CheckTransport};

/// The running checks; dropping it stops them.
#[derive(Debug)]
pub struct CheckSet {
    stop: watch::Sender<bool>,
    pub tasks: usize,
}

impl CheckSet {
    pub fn stop(&self) {
        let _ = self.stop.send(true);
    }
}

impl Drop for CheckSet {
    fn drop(&mut self) {
        self.stop();
    }
}

/// What one task probes.
struct Probed {
    be: Arc<Backend>,
    idx: usize,
    probe: Probe,
    target: SocketAddr,
    iv: Intervals,
    timeouts: Timeouts,
    http: Option<HttpCheck>,
    agent_send: Option<String>,
    node: String,
    /// PROXY header and TLS of the first connection (health checks only).
    transport: CheckTransport,
}

/// Starts every configured check on the current Tokio runtime.
pub fn start(rt: &Runtime, obs: Arc<dyn ServerObserver>) -> CheckSet {
    let (tx, rx) = watch::channel(false);
    let node = rt.global.node.clone().unwrap_or_else(|| {
        nix::unistd::gethostname()
            .ok()
            .and_then(|h| h.into_string().ok())
            .unwrap_or_default()
    });
    let mut probes = Vec::new();
    for be in &rt.backends {
        for (idx, s) in be.servers.iter().enumerate() {
            let c = &s.conf.check;
            // Most servers of a big config have no check: skip the name and
            // http-check copies for them (a reload starts these on the
            // serving thread).
            if !c.enabled && !s.conf.agent.enabled {
                continue;
            }
            let addr = s.addr.load();
            let ip = match &**addr {
                ServerAddrRt::Ip { ip, .. } => Some(*ip),
                _ => None,
            };
            let srv_port = match &**addr {
                ServerAddrRt::Ip {
                    port: ServerPort::Fixed(p),
                    ..
                } => Some(*p),
                _ => None,
            };
            let who = format!("{}/{}", be.name, s.name);
            let http = be.conf.http_check.clone();
            if c.enabled {
                let port = c
                    .port
                    .or(http.as_ref().and_then(|h| h.connect_port))
                    .or(srv_port);
                let addr = c.addr.or(http.as_ref().and_then(|h| h.connect_addr)).or(ip);
                let moved = http
                    .as_ref()
                    .is_some_and(|h| h.connect_port.is_some() || h.connect_addr.is_some());
                let transport = CheckTransport::resolve(
                    &s.conf,
                    &s.conf.check_transport,
                    http.is_some(),
                    moved,
                );
                match target(addr, port, &who, "health check") {
                    Some(t) => probes.push(Probed {
                        be: be.clone(),
                        idx,
                        probe: Probe::Health,
                        target: t,
                        iv: Intervals {
                            inter: c.inter,
                            fastinter: c.fastinter,
                            downinter: c.downinter,
                        },
                        timeouts: be.conf.timeouts,
                        http,
                        agent_send: None,
                        node: node.clone(),
                        transport,
                    }),
                    None => continue,
                }
            }
            let a = &s.conf.agent;
            if a.enabled {
                let addr = a.addr.or(c.addr).or(ip);
                if let Some(t) = target(addr, a.port, &who, "agent check") {
                    let inter = a.inter.unwrap_or(c.inter);
                    probes.push(Probed {
                        be: be.clone(),
                        idx,
                        probe: Probe::Agent,
                        target: t,
                        iv: Intervals {
                            inter,
                            fastinter: None,
                            downinter: None,
                        },
                        timeouts: be.conf.timeouts,
                        http: None,
                        agent_send: a.send.clone(),
                        node: node.clone(),
                        transport: CheckTransport::default(),
                    });
                }
            }
        }
    }
    // 2.6 starts check number `pos` at min_inter * pos / count.
    let n = probes.len() as u64;
    let min_inter = probes.iter().map(|p| p.iv.inter).min().unwrap_or(0);
    for (pos, p) in probes.into_iter().enumerate() {
        let first = Duration::from_millis(min_inter * pos as u64 / n.max(1));
        tokio::spawn(run(p, first, obs.clone(), rx.clone()));
    }
    CheckSet {
        stop: tx,
        tasks: n as usize,
    }
}

fn target(ip: Option<IpAddr>, port: Option<u16>, who: &str, what: &str) -> Option<SocketAddr> {
    match (ip, port) {
        (Some(ip), Some(port)) => Some(SocketAddr::new(ip, port)),
        _ => {
            crate::server::say(
                "[ALERT]",
                &format!(
                    "config : server {who} : no address and port for the {what}; it is not run."
                ),
            );
            None
        }
    }
}

async fn run(
    p: Probed,
    first: Duration,
    obs: Arc<dyn ServerObserver>,
    mut stop: watch::Receiver<bool>,
) {
    let mut wait = first;
    loop {
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = stop.changed() => return,
        }
        let Some(srv) = p.be.servers.get(p.idx) else {
            return;
        };
        // Forced maintenance pauses checks, as in 2.6, and so do the
        // runtime API's `disable health` / `disable agent`.
        let enabled = match p.probe {
            Probe::Health => srv.check_enabled.load(std::sync::atomic::Ordering::Relaxed),
            Probe::Agent => srv.agent_enabled.load(std::sync::atomic::Ordering::Relaxed),
        };
        if enabled && !srv.admin_maint.load(std::sync::atomic::Ordering::Relaxed) {
            match p.probe {
                Probe::Health => {
                    let report = tokio::select! {
                        r = health_check(&p) => r,
                        _ = stop.changed() => return,
                    };
                    let was_up = srv.is_usable();
                    let failed = report.status.result() == crate::check::state::CheckResult::Failed;
                    p.be.apply_health(p.idx, obs.as_ref(), |h| h.on_check(report));
                    crate::stats::feed::check_applied(&p.be, p.idx, was_up, failed);
                }
                Probe::Agent => {
                    let (reply, ms) = tokio::select! {
                        r = agent_check(&p) => r,
                        _ = stop.changed() => return,
                    };
                    let was_up = srv.is_usable();
                    p.be.apply_health(p.idx, obs.as_ref(), |h| h.on_agent(reply, ms));
                    crate::stats::feed::check_applied(&p.be, p.idx, was_up, false);
                }
            }
        }
        let next = srv.health.snapshot().next_interval(p.probe, p.iv);
        wait = Duration::from_millis(next.max(1));
    }
}

fn ms_since(t: Instant) -> u64 {
    t.elapsed().as_millis() as u64
}

fn errno_text(e: &std::io::Error) -> String {
    match e.raw_os_error() {
        Some(n) => nix::errno::Errno::from_raw(n).desc().to_string(),
        None => e.to_string(),
    }
}

/// Connects within the check's connect budget: `inter`, or
/// min(`timeout connect`, `inter`) when `timeout check` is set (2.6); then
/// sends the PROXY header and runs the TLS handshake the transport asks
/// for, within the read deadline.
async fn connect(p: &Probed, start: Instant) -> Result<Stream, CheckReport> {
    let tcp = connect_to(p, p.target, start).await?;
    let conn = tcp.local_addr().ok().zip(tcp.peer_addr().ok());
    let mut stream = Stream::Tcp(tcp);
    if let Some(h) = p.transport.proxy_header(conn) {
        if let Err(e) = crate::proxyproto::io::write_header(&mut stream, &h).await {
            return Err(CheckReport::new(
                CheckStatus::SockErr,
                errno_text(&e),
                ms_since(start),
            ));
        }
    }
    match &p.transport.tls {
        Some(ssl) => handshake(p, stream, ssl, start).await,
        None => Ok(stream),
    }
}

/// The client side of a check's TLS handshake. Failures are layer 6, with
/// HAProxy's info texts.
async fn handshake(
    p: &Probed,
    stream: Stream,
    ssl: &crate::tls::conf::ServerSsl,
    start: Instant,
) -> Result<Stream, CheckReport> {
    let l6 = |info: &str| CheckReport::new(CheckStatus::L6Rsp, info, ms_since(start));
    let Stream::Tcp(tcp) = stream else {
        return Err(l6("SSL handshake failure"));
    };
    let connector = Connector::for_server(ssl).map_err(|e| l6(&e.to_string()))?;
    let hs = connector.connect(tcp, p.target.ip());
    match tokio::time::timeout_at(read_deadline(p, start), hs).await {
        Ok(Ok(conn)) => Ok(Stream::Tls(Box::new(conn))),
        Ok(Err(e)) => Err(l6(handshake_info(&e))),
        Err(_) => Err(CheckReport::new(CheckStatus::L6Tout, "", ms_since(start))),
    }
}

fn handshake_info(e: &std::io::Error) -> &'static str {
    use rustls::CertificateError::{NotValidForName, NotValidForNameContext};
    match e.get_ref().and_then(|i| i.downcast_ref::<rustls::Error>()) {
        Some(rustls::Error::InvalidCertificate(
            NotValidForName | NotValidForNameContext { .. },
        )) => "Server presented an SSL certificate different from the expected one",
        _ => "SSL handshake failure",
    }
}

async fn connect_to(
    p: &Probed,
    target: SocketAddr,
    start: Instant,
) -> Result<TcpStream, CheckReport> {
    let budget = match (p.timeouts.check, p.timeouts.connect) {
        (Some(_), Some(c)) => c.min(p.iv.inter),
        _ => p.iv.inter,
    };
    match tokio::time::timeout(Duration::from_millis(budget), TcpStream::connect(target)).await {
        Ok(Ok(s)) => Ok(s),
        Ok(Err(e)) => Err(CheckReport::new(
            CheckStatus::L4Con,
            errno_text(&e),
            ms_since(start),
        )),
        Err(_) => Err(CheckReport::new(CheckStatus::L4Tout, "", ms_since(start))),
    }
}

/// The read deadline once connected: `timeout check` from now when set,
/// else what is left of `inter` since the start.
fn read_deadline(p: &Probed, start: Instant) -> tokio::time::Instant {
    let d = match p.timeouts.check {
        Some(t) => Instant::now() + Duration::from_millis(t),
        None => start + Duration::from_millis(p.iv.inter),
    };
    tokio::time::Instant::from_std(d)
}

async fn health_check(p: &Probed) -> CheckReport {
    let start = Instant::now();
    let s = match connect(p, start).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let Some(c) = &p.http else {
        let ok = match s {
            Stream::Tls(_) => CheckStatus::L6Ok,
            _ => CheckStatus::L4Ok,
        };
        return CheckReport::new(ok, "", ms_since(start));
    };
    let state = c.send_state.then(|| send_state(p));
    let deadline = read_deadline(p, start);
    let speaks_h2 = match p.transport.mux {
        CheckMux::H2 => true,
        CheckMux::H1 => false,
        CheckMux::ByAlpn => matches!(&s, Stream::Tls(t) if t.alpn().as_deref() == Some(b"h2")),
    };
    let mut conn = if speaks_h2 {
        match tokio::time::timeout_at(deadline, h2::Conn::handshake(s)).await {
            Ok(Ok(c)) => Conn::H2(c),
            Ok(Err(f)) => return h2_failure(f, start),
            Err(_) => return CheckReport::new(http::timeout_status(c), "", ms_since(start)),
        }
    } else {
        Conn::H1(s)
    };
    let drain = !c.more_steps.is_empty();
    let mut report = step(&mut conn, c, state.as_deref(), deadline, start, drain).await;
    // An `http-check` sequence: each further request runs only if the
    // previous one passed, on the same connection unless a `connect` rule
    // came before it (a new clear-text HTTP/1 connection).
    for (i, st) in c.more_steps.iter().enumerate() {
        let drain = i + 1 < c.more_steps.len();
        if !matches!(report.status, CheckStatus::L7Ok | CheckStatus::L7OkC) {
            return report;
        }
        if st.reconnect {
            let ip = st.connect_addr.unwrap_or(p.target.ip());
            let port = st.connect_port.unwrap_or(p.target.port());
            conn = match connect_to(p, SocketAddr::new(ip, port), start).await {
                Ok(s) => Conn::H1(Stream::Tcp(s)),
                Err(r) => return r,
            };
        }
        let sc = HttpCheck {
            method: st.method.clone(),
            uri: st.uri.clone(),
            version: st.version.clone(),
            headers: st.headers.clone(),
            body: st.body.clone(),
            expects: st.expects.clone(),
            more_steps: Vec::new(),
            ..c.clone()
        };
        report = step(&mut conn, &sc, state.as_deref(), deadline, start, drain).await;
    }
    report
}

/// The connection an HTTP check talks over.
enum Conn {
    H1(Stream),
    H2(h2::Conn),
}

/// One request and its verdict, over either HTTP version.
async fn step(
    conn: &mut Conn,
    c: &HttpCheck,
    state: Option<&str>,
    deadline: tokio::time::Instant,
    start: Instant,
    drain: bool,
) -> CheckReport {
    match conn {
        Conn::H1(s) => http_step(s, c, state, deadline, start, drain).await,
        Conn::H2(h) => match tokio::time::timeout_at(deadline, h.exchange(c, state)).await {
            Ok(Ok(resp)) => http::evaluate(c, &resp, ms_since(start)),
            Ok(Err(f)) => h2_failure(f, start),
            Err(_) => CheckReport::new(http::timeout_status(c), "", ms_since(start)),
        },
    }
}

/// A broken h2 connection is a socket error, as on HTTP/1; a request h2
/// cannot carry gets no valid response.
fn h2_failure(f: h2::Failed, start: Instant) -> CheckReport {
    match f {
        h2::Failed::Conn(text) => CheckReport::new(CheckStatus::SockErr, text, ms_since(start)),
        h2::Failed::Request => CheckReport::new(CheckStatus::L7Rsp, "", ms_since(start)),
    }
}

/// Sends one check request and judges its response.
async fn http_step(
    s: &mut Stream,
    c: &HttpCheck,
    state: Option<&str>,
    deadline: tokio::time::Instant,
    start: Instant,
    drain: bool,
) -> CheckReport {
    let req = http::build_request(c, state);
    let tout = || CheckReport::new(http::timeout_status(c), "", ms_since(start));
    match tokio::time::timeout_at(deadline, s.write_all(&req)).await {
        Ok(Ok(())) => {}
        // 2.6 reports an error on an established connection as a socket
        // error with the errno text (`chk_report_conn_err()`).
        Ok(Err(e)) => {
            return CheckReport::new(CheckStatus::SockErr, errno_text(&e), ms_since(start))
        }
        Err(_) => return tout(),
    }
    // Responses past one buffer are judged on what fits, as 2.6 does.
    let mut buf = Vec::with_capacity(4096);
    let mut chunk = [0u8; 4096];
    loop {
        let n = match tokio::time::timeout_at(deadline, s.read(&mut chunk)).await {
            Ok(Ok(n)) => n,
            Ok(Err(e)) => {
                return CheckReport::new(CheckStatus::SockErr, errno_text(&e), ms_since(start))
            }
            Err(_) => return tout(),
        };
        buf.extend_from_slice(&chunk[..n]);
        let full = n == 0 || buf.len() >= 16384;
        match http::parse_response(&buf) {
            // With more steps to run on this connection, the whole body is
            // read first so the next response starts clean.
            Ok(Some(resp))
                if full || !(http::wants_more(c, &resp) || (drain && body_pending(&resp))) =>
            {
                return http::evaluate(c, &resp, ms_since(start))
            }
            Ok(_) if n == 0 => {
                return CheckReport::new(CheckStatus::L7Rsp, "", ms_since(start));
            }
            Err(_) => return CheckReport::new(CheckStatus::L7Rsp, "", ms_since(start)),
            Ok(_) => {}
        }
    }
}

/// A content-length body not fully read yet.
fn body_pending(resp: &http::Response) -> bool {
    resp.headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .and_then(|(_, v)| v.trim().parse::<usize>().ok())
        .is_some_and(|cl| resp.body.len() < cl)
}

fn send_state(p: &Probed) -> String {
    let word = p.be.send_state_word(p.idx);
    let (cur, w, name) = match p.be.servers.get(p.idx) {
        Some(s) => (
            s.cur.load(std::sync::atomic::Ordering::Relaxed),
            s.weight.load(std::sync::atomic::Ordering::Relaxed),
            format!("{}/{}", p.be.name, s.name),
        ),
        None => (0, 0, String::new()),
    };
    let total_w: u32 =
        p.be.servers
            .iter()
            .filter(|s| s.is_usable() && s.conf.backup == p.be.servers[p.idx].conf.backup)
            .map(|s| s.weight.load(std::sync::atomic::Ordering::Relaxed))
            .sum();
    let be_cur = p.be.cur.load(std::sync::atomic::Ordering::Relaxed);
    http::server_state_header(
        &word,
        &p.target.ip().to_string(),
        p.target.port(),
        &name,
        &p.node,
        (w, total_w),
        (cur, be_cur),
    )
}

/// Connects to the agent, sends `agent-send`, reads one line. A failure to
/// talk to the agent is Err: it never takes the server down.
async fn agent_check(p: &Probed) -> (Result<state::AgentReply, CheckReport>, u64) {
    let start = Instant::now();
    let mut s = match connect(p, start).await {
        Ok(s) => s,
        Err(r) => return (Err(r), ms_since(start)),
    };
    let deadline = read_deadline(p, start);
    if let Some(data) = &p.agent_send {
        if tokio::time::timeout_at(deadline, s.write_all(data.as_bytes()))
            .await
            .is_err()
        {
            return (
                Err(CheckReport::new(CheckStatus::L7Tout, "", ms_since(start))),
                ms_since(start),
            );
        }
    }
    let mut buf = Vec::new();
    let mut chunk = [0u8; 1024];
    loop {
        let n = match tokio::time::timeout_at(deadline, s.read(&mut chunk)).await {
            Ok(Ok(n)) => n,
            Ok(Err(e)) => {
                let r = CheckReport::new(CheckStatus::L7Rsp, errno_text(&e), ms_since(start));
                return (Err(r), ms_since(start));
            }
            Err(_) => {
                let r = CheckReport::new(CheckStatus::L7Tout, "", ms_since(start));
                return (Err(r), ms_since(start));
            }
        };
        buf.extend_from_slice(&chunk[..n]);
        if let Some(r) = parse_agent_line(&buf) {
            return (Ok(r), ms_since(start));
        }
        if n == 0 || buf.len() > 16384 {
            // 2.6: "Ignoring incomplete line from agent": no status change.
            return (Ok(state::AgentReply::default()), ms_since(start));
        }
    }
}
