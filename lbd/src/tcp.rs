//! mode tcp: one client connection forwarded to one server connection, and
//! its `option tcplog` line; `tcp-request` rules and `use_backend` run
//! first, over the bytes the client sent (`inspect-delay`).

use crate::balance::key;
use crate::balance::KeyNeed;
use crate::config::model::{TcpAction, TcpPhase, TrackAction, VarAction};
use crate::connect::{pick_and_connect, ConnectReport, RequestSni};
use crate::forward::{forward, End, Idle};
use crate::http::ctx::{stick_key, RuleCtx, State};
use crate::http::rules::{Piece, ProxyRules, Rule};
use crate::log::{TermCause, TermPhase, Termination, TxnLog};
use crate::persist::Persistence;
use crate::runtime::{Backend, Frontend};
use crate::sample::{Sample, VarScope};
use crate::session::{ms_between, ClientInfo, LogCtx};
use crate::stats::sess::SessEntry;
use crate::stream::Stream;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::AsyncWriteExt;

/// Serves one accepted TCP-mode connection to its end.
pub async fn serve(
    fe: Arc<Frontend>,
    client: Stream,
    info: ClientInfo,
    state: State,
    use_splice: bool,
    log: LogCtx,
    sess: &SessEntry,
) {
    let mut rec = TxnLog {
        client: info.src,
        frontend_addr: info.dst,
        accept_date: info.accepted,
        frontend: fe.name.as_str().into(),
        t_handshake: 0,
        t_idle: 0,
        ..TxnLog::default()
    };
    rec.set_tls(info.tls.as_deref());
    // `unique-id-format` in TCP mode: for the PROXY v2 TLV and `%ID`.
    if let Some(conf) = log.conf.as_ref().filter(|c| c.unique_id.is_some()) {
        log.logger.unique_id(conf, &mut rec);
    }
    let mut report = ConnectReport::default();
    // `shutdown session` ends the session wherever it is.
    let end = tokio::select! {
        e = run(&fe, &client, info.clone(), state, use_splice, &mut rec, &mut report, sess) => e,
        _ = sess.killed() => Termination::new(TermCause::Killed, TermPhase::Data),
    };
    sess.listener_txn(rec.bytes_in, rec.bytes_out, false);
    rec.termination = end;
    crate::stats::feed::tcp_done(
        &fe,
        report.backend.as_deref(),
        report.server.as_deref(),
        rec.bytes_in,
        rec.bytes_out,
        report.retries,
        report.redispatched,
        &crate::stats::feed::Phases {
            start: info.accepted_at,
            ready: Some(info.accepted_at),
            leased: report.leased,
            connected: report.connected,
            response: None,
            end: std::time::Instant::now(),
        },
        end,
    );
    if let Some(conf) = log.active() {
        rec.t_queue = ms_between(Some(info.accepted_at), report.leased);
        rec.t_connect = ms_between(report.leased, report.connected);
        rec.t_total = ms_between(Some(info.accepted_at), Some(Instant::now()));
        rec.retries = report.retries;
        rec.redispatched = report.redispatched;
        if let Some(s) = &report.server {
            rec.server = Some(s.name.as_str().into());
            rec.srv_conn = s.cur.load(Ordering::Relaxed);
        }
        rec.actconn = log.actconn.current();
        rec.feconn = log.feconn.as_ref().map(|l| l.current()).unwrap_or(0);
        log.logger.log_txn(conf, &rec);
    }
}

#[allow(clippy::too_many_arguments)]
async fn run(
    fe: &Frontend,
    client: &Stream,
    info: ClientInfo,
    mut state: State,
    use_splice: bool,
    rec: &mut TxnLog,
    report: &mut ConnectReport,
    sess: &SessEntry,
) -> Termination {
    let mut payload = Vec::new();
    let verdict = tcp_rules(fe, client, info.clone(), &mut state, &mut payload, sess).await;
    let end = match verdict {
        Some(end) => {
            rec.bytes_in = payload.len() as u64;
            end
        }
        None => {
            connect_and_forward(
                fe,
                client,
                info,
                use_splice,
                rec,
                report,
                sess,
                &mut state,
                &mut payload,
            )
            .await
        }
    };
    state.end_session();
    end
}

/// What a rule set decided, when a final action matched.
enum Final {
    Accept,
    Reject,
    /// `tcp-response content close`.
    Close,
}

/// Where rules run: the proxy whose rules they are (its name is the
/// default table of `track-scN`) and the backend once one is chosen.
#[derive(Clone, Copy)]
struct Stage<'a> {
    fe: &'a Frontend,
    be: Option<&'a Backend>,
    owner: &'a str,
}

impl<'a> Stage<'a> {
    fn frontend(fe: &'a Frontend) -> Self {
        Stage {
            fe,
            be: None,
            owner: &fe.name,
        }
    }
}

/// What the rules read: the request bytes held back so far and, for
/// `tcp-response`, the response bytes.
#[derive(Clone, Copy, Default)]
struct Bytes<'a> {
    req: Option<&'a [u8]>,
    res: Option<&'a [u8]>,
}

/// Runs `rules` in order; Some when a final action matched.
fn run_rules<'r>(
    st: Stage<'_>,
    info: &ClientInfo,
    state: &mut State,
    bytes: Bytes<'_>,
    rules: impl Iterator<Item = &'r Rule<TcpAction>>,
) -> Option<Final> {
    for rule in rules {
        let mut cx = RuleCtx::new(info, st.fe, state);
        cx.payload = bytes.req;
        cx.res_payload = bytes.res;
        cx.be = st.be;
        if let Some(c) = &rule.cond {
            if !c.holds(&mut cx) {
                continue;
            }
        }
        match &rule.action {
            TcpAction::Accept => return Some(Final::Accept),
            TcpAction::Reject => return Some(Final::Reject),
            TcpAction::Close => return Some(Final::Close),
            TcpAction::Track(t) => {
                let key = rule.c.expr.as_ref().and_then(|e| e.eval(&mut cx));
                track(st, state, t, key);
            }
            TcpAction::Var(v) => {
                let val = match v {
                    VarAction::Set { .. } => rule.c.expr.as_ref().and_then(|e| e.eval(&mut cx)),
                    _ => None,
                };
                match v {
                    VarAction::Set { var, .. } => {
                        if let (Some((sc, n)), Some(val)) = (VarScope::split(var), val) {
                            state.set_var(sc, n, val);
                        }
                    }
                    VarAction::Unset { var } => {
                        if let Some((sc, n)) = VarScope::split(var) {
                            state.unset_var(sc, n);
                        }
                    }
                    VarAction::SetFmt { .. } => {}
                }
            }
            // `tcp-request connection expect-proxy layer4`: the PROXY
            // header is read once the connection rules are done; later
            // rules still run, as in 2.6.
            TcpAction::ExpectProxy => state.expect_proxy = true,
            TcpAction::Capture { .. } => {}
        }
    }
    None
}

/// Runs one phase of the frontend's `tcp-request` rules.
fn run_phase(
    fe: &Frontend,
    info: &ClientInfo,
    state: &mut State,
    payload: Option<&[u8]>,
    phase: TcpPhase,
) -> Option<Final> {
    let rules = fe.rules.clone();
    let bytes = Bytes {
        req: payload,
        res: None,
    };
    let phase_rules = rules
        .tcp_request
        .iter()
        .filter(|(p, _)| *p == phase)
        .map(|(_, r)| r);
    run_rules(Stage::frontend(fe), info, state, bytes, phase_rules)
}

/// `track-scN` from a `tcp-request` rule: the entry is the connection's,
/// counted as a connection (and a session) at once.
fn track(st: Stage<'_>, state: &mut State, t: &TrackAction, key: Option<Sample>) {
    let now = crate::stick::clock::now_ms();
    match t {
        TrackAction::Track { slot, table, .. } => {
            let n = usize::from(*slot).min(2);
            if state.tracked(*slot).is_some() {
                return;
            }
            let Some(tbl) = st
                .fe
                .book
                .tables
                .get(table.as_deref().unwrap_or(st.owner))
                .cloned()
            else {
                return;
            };
            let Some(k) = key.and_then(|k| stick_key(&tbl, &k)) else {
                return;
            };
            if let Some(e) = tbl.track(&k, now) {
                // 2.6's stream_start_counters; sessions are counted once
                // the session rules let the connection through.
                e.on_conn(now);
                state.sess_track[n] = Some(e);
            }
        }
        TrackAction::IncGpc { gpc, slot } => {
            if let Some(e) = state.tracked(*slot) {
                if *gpc == 0 {
                    e.inc_gpc0(now);
                } else {
                    e.inc_gpc1(now);
                }
            }
        }
    }
}

/// How the `tcp-request connection|session` rules refused a connection.
pub struct Refused {
    pub end: Termination,
    /// A connection rule refused it: 2.6 closes with a reset (no linger),
    /// before the connection costs anything more.
    pub reset: bool,
}

/// A session starts: its `tcp-request session` rules run on what the
/// `connection` rules left at accept (they ran before the PROXY header and
/// the TLS handshake, as 2.6 runs them). The state the session starts with,
/// or why it ends (what it tracked is released then).
pub fn start_session(fe: &Frontend, info: &ClientInfo, mut state: State) -> Result<State, Refused> {
    match session_rules(fe, info, &mut state) {
        Some(r) => {
            state.end_session();
            Err(r)
        }
        None => Ok(state),
    }
}

/// `tcp-request connection` rules of a just accepted connection, in any
/// mode: Some when one rejects it. 2.6 runs them before anything else
/// (PROXY header, TLS handshake), on the connection's own addresses, so a
/// rejected client costs no handshake. An `accept` ends the phase; an
/// `expect-proxy layer4` that matched sets `state.expect_proxy`.
pub fn connection_rules(fe: &Frontend, info: &ClientInfo, state: &mut State) -> Option<Refused> {
    if fe.rules.tcp_request.is_empty() {
        return None;
    }
    if let Some(Final::Reject) = run_phase(fe, info, state, None, TcpPhase::Connection) {
        fe.stats.totals.inc(crate::stats::Ctr::Dcon);
        return Some(Refused {
            end: Termination::new(TermCause::Proxy, TermPhase::Request),
            reset: true,
        });
    }
    None
}

/// `tcp-request session` rules, once the handshakes are done (they see the
/// PROXY header's addresses and the TLS fetches): Some when one rejects the
/// session. The entries tracked so far count the new session, as 2.6's
/// `session_count_new` does.
pub fn session_rules(fe: &Frontend, info: &ClientInfo, state: &mut State) -> Option<Refused> {
    if !fe.rules.tcp_request.is_empty() {
        if let Some(Final::Reject) = run_phase(fe, info, state, None, TcpPhase::Session) {
            fe.stats.totals.inc(crate::stats::Ctr::Dses);
            return Some(Refused {
                end: Termination::new(TermCause::Proxy, TermPhase::Request),
                reset: false,
            });
        }
    }
    let now = crate::stick::clock::now_ms();
    for e in state.sess_track.iter().flatten() {
        e.on_sess(now);
    }
    None
}

/// `tcp-request session`, then `content` rules (the `connection` rules ran
/// at accept); the content rules see the bytes read so far and wait up to
/// `inspect-delay` for more.
async fn tcp_rules(
    fe: &Frontend,
    client: &Stream,
    info: ClientInfo,
    state: &mut State,
    payload: &mut Vec<u8>,
    sess: &SessEntry,
) -> Option<Termination> {
    if let Some(r) = session_rules(fe, &info, state) {
        if r.reset {
            client.set_nolinger();
        }
        return Some(r.end);
    }
    let rules = fe.rules.clone();
    let content = content_of(&rules);
    inspect_request(
        Stage::frontend(fe),
        &content,
        fe.conf.tcp_inspect_delay,
        client,
        &info,
        state,
        payload,
        sess,
    )
    .await
}

/// The `tcp-request content` rules of a rule set.
fn content_of(rules: &ProxyRules) -> Vec<&Rule<TcpAction>> {
    rules
        .tcp_request
        .iter()
        .filter(|(p, _)| *p == TcpPhase::Content)
        .map(|(_, r)| r)
        .collect()
}

/// Runs `tcp-request content` rules over the client's bytes, reading more
/// until a rule decides, the data settles or `delay_ms` passes; Some with
/// how the connection ends on a reject.
#[allow(clippy::too_many_arguments)]
async fn inspect_request(
    st: Stage<'_>,
    rules: &[&Rule<TcpAction>],
    delay_ms: Option<u64>,
    client: &Stream,
    info: &ClientInfo,
    state: &mut State,
    payload: &mut Vec<u8>,
    sess: &SessEntry,
) -> Option<Termination> {
    if rules.is_empty() {
        return None;
    }
    let delay = Duration::from_millis(delay_ms.unwrap_or(0));
    let deadline = Instant::now() + delay;
    let cap = st.fe.global.tune_bufsize.max(4096);
    let mut eof = false;
    loop {
        let bytes = Bytes {
            req: Some(payload),
            res: None,
        };
        match run_rules(st, info, state, bytes, rules.iter().copied()) {
            Some(Final::Reject) => {
                sess.denied_request();
                return Some(Termination::new(TermCause::Proxy, TermPhase::Request));
            }
            Some(Final::Accept | Final::Close) => return None,
            None => {}
        }
        // With data in hand and no rule deciding, the rules have had their
        // say: go on, as the fetches over complete data are final in 2.6.
        // A TLS hello still arriving is not complete data: its fetches may
        // yet change (HAProxy's SMP_F_MAY_CHANGE), so wait for the rest.
        let settled = !payload.is_empty() && !crate::sample::tls_hello::incomplete(payload);
        if settled || eof || payload.len() >= cap || Instant::now() >= deadline {
            return None;
        }
        eof = read_more(client, deadline, payload).await;
    }
}

/// Writes all of `buf` to a shared stream.
async fn write_all(peer: &Stream, mut buf: &[u8]) -> std::io::Result<()> {
    while !buf.is_empty() {
        peer.writable().await?;
        match peer.try_write(buf) {
            Ok(0) => return Err(std::io::ErrorKind::WriteZero.into()),
            Ok(n) => buf = &buf[n..],
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Waits until `deadline` for bytes from `peer` and appends them; true
/// at end of stream.
async fn read_more(peer: &Stream, deadline: Instant, buf: &mut Vec<u8>) -> bool {
    let wait = deadline.saturating_duration_since(Instant::now());
    match tokio::time::timeout(wait, peer.readable()).await {
        Ok(Ok(())) => {
            let mut chunk = [0u8; 4096];
            match peer.try_read(&mut chunk) {
                Ok(0) => true,
                Ok(n) => {
                    buf.extend_from_slice(&chunk[..n]);
                    false
                }
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => false,
                Err(_) => true,
            }
        }
        Ok(Err(_)) => true,
        Err(_) => false,
    }
}

/// Runs `tcp-response content` rules over what the server sent, reading
/// more until a rule decides, the data settles or the backend's
/// `tcp-response inspect-delay` passes. The client's bytes (and its
/// half-close) keep flowing to the server meanwhile, as the server may
/// wait for them before it answers; their count is added to `up`.
#[allow(clippy::too_many_arguments)]
async fn inspect_response(
    st: Stage<'_>,
    rules: &ProxyRules,
    conf: &crate::config::model::Proxy,
    client: &Stream,
    server: &Stream,
    info: &ClientInfo,
    state: &mut State,
    resp: &mut Vec<u8>,
    up: &mut u64,
) -> Option<Final> {
    let delay = Duration::from_millis(conf.tcp_response_inspect_delay.unwrap_or(0));
    let deadline = Instant::now() + delay;
    let cap = st.fe.global.tune_bufsize.max(4096);
    let mut eof = false;
    let mut client_done = false;
    loop {
        let bytes = Bytes {
            req: None,
            res: Some(resp),
        };
        if let Some(f) = run_rules(st, info, state, bytes, rules.tcp_response.iter()) {
            return Some(f);
        }
        // As on the request side: once data is in and no rule decided, the
        // rules are done.
        if !resp.is_empty() || eof || resp.len() >= cap || Instant::now() >= deadline {
            return None;
        }
        if client_done {
            eof = read_more(server, deadline, resp).await;
            continue;
        }
        let wait = deadline.saturating_duration_since(Instant::now());
        tokio::select! {
            r = read_more(server, deadline, resp) => eof = r,
            r = tokio::time::timeout(wait, client.readable()) => {
                if !matches!(r, Ok(Ok(()))) {
                    continue;
                }
                let mut chunk = [0u8; 4096];
                match client.try_read(&mut chunk) {
                    Ok(0) => {
                        client_done = true;
                        let _ = server.shutdown_write();
                    }
                    Ok(n) => {
                        *up += n as u64;
                        if write_all(server, &chunk[..n]).await.is_err() {
                            return None;
                        }
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                    // The relay that follows sees and reports the error.
                    Err(_) => client_done = true,
                }
            }
        }
    }
}

/// `use_backend` rules over the payload, then `default_backend`.
fn pick_backend(
    fe: &Frontend,
    info: ClientInfo,
    state: &mut State,
    payload: &[u8],
) -> Option<Arc<Backend>> {
    for rule in &fe.rules.use_backends {
        let mut cx = RuleCtx::new(&info, fe, state);
        cx.payload = Some(payload);
        if let Some(c) = &rule.cond {
            if !c.holds(&mut cx) {
                continue;
            }
        }
        let name = match &rule.c.fmt {
            Some(f) => {
                let mut v = Vec::new();
                for p in &f.pieces {
                    match p {
                        Piece::Text(t) => v.extend_from_slice(t),
                        Piece::Expr(e) => {
                            if let Some(s) = e.eval(&mut cx) {
                                v.extend_from_slice(&s.to_text());
                            }
                        }
                        Piece::Var(_) => {}
                    }
                }
                v
            }
            None => rule.action.as_bytes().to_vec(),
        };
        match fe.book.backend(&name) {
            Some((be, _)) => return Some(be.clone()),
            None => break,
        }
    }
    fe.default_backend.clone()
}

#[allow(clippy::too_many_arguments)]
async fn connect_and_forward(
    fe: &Frontend,
    client: &Stream,
    info: ClientInfo,
    use_splice: bool,
    rec: &mut TxnLog,
    report: &mut ConnectReport,
    sess: &SessEntry,
    state: &mut State,
    payload: &mut Vec<u8>,
) -> Termination {
    let Some(be) = pick_backend(fe, info.clone(), state, payload) else {
        // No backend: HAProxy closes the connection.
        return Termination::new(TermCause::ServerClosed, TermPhase::Connect);
    };
    rec.backend = Some(be.name.as_str().into());
    report.backend = Some(be.clone());
    be.total.fetch_add(1, Ordering::Relaxed);
    let be_rules = fe
        .book
        .backends
        .get(&be.name)
        .map(|(_, r)| r.clone())
        .unwrap_or_default();
    // The backend's content rules, when it is not the frontend itself
    // (2.6 does not run a listen section's rules twice).
    if !(be.conf.cap.frontend && be.name == fe.name) {
        let st = Stage {
            fe,
            be: Some(&be),
            owner: &be.name,
        };
        let content = content_of(&be_rules);
        let delay = be.conf.tcp_inspect_delay;
        if let Some(end) =
            inspect_request(st, &content, delay, client, &info, state, payload, sess).await
        {
            // What was read for the rules counts as received, as in 2.6.
            rec.bytes_in = payload.len() as u64;
            return end;
        }
    }
    let payload: &[u8] = payload;
    let key_bytes = match (be.key_need().get(), info.src) {
        (KeyNeed::SourceIp, Some(src)) => Some(key::source_ip_bytes(src.ip()).as_bytes().to_vec()),
        _ => None,
    };
    let mut persist = match fe.book.backends.get(&be.name) {
        Some((_, rules)) => {
            let mut cx = RuleCtx::new(&info, fe, state);
            cx.payload = Some(payload);
            cx.be = Some(&be);
            Persistence::on_request(&be, rules, &fe.book.tables, &mut cx)
        }
        None => Persistence::default(),
    };
    // `sni <expr>` applies in TCP mode too (`sni ssl_fc_sni` re-encrypts
    // with the client's name).
    let snis = {
        let mut cx = RuleCtx::new(&info, fe, state);
        cx.payload = Some(payload);
        cx.be = Some(&be);
        RequestSni::evaluate(&be, &mut cx)
    };
    let dst_port = info.dst.map(|d| d.port()).unwrap_or(0);
    let (mut server, lease) = match pick_and_connect(
        &be,
        key_bytes.as_deref(),
        persist.forced,
        dst_port,
        &info,
        &snis,
        rec.unique_id.as_deref(),
        report,
    )
    .await
    {
        Ok(x) => x,
        Err(e) => return e.log_termination(),
    };
    persist.store(&lease.server);
    // What the content rules read goes first.
    if !payload.is_empty() && server.write_all(payload).await.is_err() {
        return Termination::new(TermCause::ServerClosed, TermPhase::Data);
    }
    rec.server_addr = server.peer_addr();
    sess.set_target(&be.name, &lease.server.name);
    // on-marked-down shutdown-sessions and `shutdown sessions server` end
    // the session once it is listed on the server: subscribe now, so a kill
    // sent while the response rules wait is not missed.
    let kill_seen = lease.server.kill.generation();
    // `tcp-response content` rules over the server's first bytes.
    let mut early = Vec::new();
    let mut early_up = 0u64;
    if !be_rules.tcp_response.is_empty() {
        let st = Stage {
            fe,
            be: Some(&be),
            owner: &be.name,
        };
        let verdict = inspect_response(
            st,
            &be_rules,
            &be.conf,
            client,
            &server,
            &info,
            state,
            &mut early,
            &mut early_up,
        );
        let early_end = match verdict.await {
            Some(Final::Reject) => {
                // Nothing reaches the client; what was read still counts.
                for t in [
                    &fe.stats.totals,
                    &be.stats.totals,
                    &lease.server.stats.totals,
                ] {
                    t.inc(crate::stats::Ctr::Dresp);
                }
                Some(Termination::new(TermCause::Proxy, TermPhase::Data))
            }
            Some(Final::Close) => {
                // The server side ends at once; what it sent still goes out.
                let _ = write_all(client, &early).await;
                Some(Termination::default())
            }
            _ => None,
        };
        if let Some(end) = early_end {
            drop(lease);
            rec.bytes_in = payload.len() as u64 + early_up;
            rec.bytes_out = early.len() as u64;
            rec.beconn = be.cur.load(Ordering::Relaxed);
            return end;
        }
        if !early.is_empty() && write_all(client, &early).await.is_err() {
            return Termination::new(TermCause::ClientClosed, TermPhase::Data);
        }
    }
    let fc = &fe.conf.timeouts;
    let bc = &be.conf.timeouts;
    // `timeout tunnel`, when set, replaces both sides' timeouts once the
    // server is connected, as in HAProxy.
    let idle = Idle {
        client: bc.tunnel.or(fc.client).map(Duration::from_millis),
        server: bc.tunnel.or(bc.server).map(Duration::from_millis),
        client_fin: fc.client_fin.map(Duration::from_millis),
        server_fin: bc.server_fin.map(Duration::from_millis),
    };
    let (end, totals) = tokio::select! {
        r = forward(client, &server, idle, use_splice) => r,
        g = lease.server.kill.changed_from(kill_seen) => {
            drop(lease);
            let cause = crate::runtime::ServerRt::kill_cause(g);
            return Termination::new(cause, TermPhase::Data);
        }
    };
    drop(lease);
    rec.bytes_out = totals.down + early.len() as u64;
    rec.bytes_in = totals.up + payload.len() as u64 + early_up;
    let now = crate::stick::clock::now_ms();
    state.each_tracked(|e| {
        e.on_bytes_in(rec.bytes_in, now);
        e.on_bytes_out(rec.bytes_out, now);
    });
    rec.beconn = be.cur.load(Ordering::Relaxed);
    match end {
        End::Closed => Termination::default(),
        End::Timeout { client: true } => {
            Termination::new(TermCause::ClientTimeout, TermPhase::Data)
        }
        End::Timeout { client: false } => {
            Termination::new(TermCause::ServerTimeout, TermPhase::Data)
        }
        End::Error { client: true } => Termination::new(TermCause::ClientClosed, TermPhase::Data),
        End::Error { client: false } => Termination::new(TermCause::ServerClosed, TermPhase::Data),
    }
}
