//! mode tcp: one client connection forwarded to one server connection, and
//! its `option tcplog` line; `tcp-request` rules and `use_backend` run
//! first, over the bytes the client sent (`inspect-delay`).

use crate::balance::key;
use crate::balance::KeyNeed;
use crate::config::model::{TcpAction, TcpPhase, TrackAction, VarAction};
use crate::connect::{pick_and_connect, ConnectReport, RequestSni};
use crate::forward::{forward, End, Idle};
use crate::http::ctx::{stick_key, RuleCtx, State};
use crate::http::rules::Piece;
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
    // `unique-id-format` in TCP mode: for the PROXY v2 TLV and `%ID`.
    if let Some(conf) = log.conf.as_ref().filter(|c| c.unique_id.is_some()) {
        log.logger.unique_id(conf, &mut rec);
    }
    let mut report = ConnectReport::default();
    // `shutdown session` ends the session wherever it is.
    let end = tokio::select! {
        e = run(&fe, &client, info.clone(), use_splice, &mut rec, &mut report, sess) => e,
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

async fn run(
    fe: &Frontend,
    client: &Stream,
    info: ClientInfo,
    use_splice: bool,
    rec: &mut TxnLog,
    report: &mut ConnectReport,
    sess: &SessEntry,
) -> Termination {
    let mut state = State::default();
    let mut payload = Vec::new();
    let verdict = tcp_rules(fe, client, info.clone(), &mut state, &mut payload).await;
    let end = match verdict {
        Some(end) => end,
        None => {
            connect_and_forward(
                fe, client, info, use_splice, rec, report, sess, &mut state, &payload,
            )
            .await
        }
    };
    state.end_session();
    end
}

/// What the `tcp-request` rules decided: None to go on, or how the
/// connection ended.
enum Final {
    Accept,
    Reject,
}

/// Runs one phase's rules; Some when a final action matched.
fn run_phase(
    fe: &Frontend,
    info: ClientInfo,
    state: &mut State,
    payload: Option<&[u8]>,
    phase: TcpPhase,
) -> Option<Final> {
    let rules = fe.rules.clone();
    for (p, rule) in &rules.tcp_request {
        if *p != phase {
            continue;
        }
        let mut cx = RuleCtx::new(&info, fe, state);
        cx.payload = payload;
        if let Some(c) = &rule.cond {
            if !c.holds(&mut cx) {
                continue;
            }
        }
        match &rule.action {
            TcpAction::Accept => return Some(Final::Accept),
            TcpAction::Reject => return Some(Final::Reject),
            TcpAction::Track(t) => {
                let key = rule.c.expr.as_ref().and_then(|e| e.eval(&mut cx));
                track(fe, state, t, key);
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
            // Acted on at accept, before any rule runs ([`expects_proxy`]).
            TcpAction::Capture { .. } | TcpAction::ExpectProxy => {}
        }
    }
    None
}

/// Whether a `tcp-request connection expect-proxy layer4` rule applies to
/// this fresh connection: the first matching rule that is `accept`,
/// `reject` or `expect-proxy` decides, as rules stop at a final action.
pub fn expects_proxy(fe: &Frontend, info: &ClientInfo) -> bool {
    let rules = fe.rules.clone();
    let mut state = State::default();
    for (p, rule) in &rules.tcp_request {
        if *p != TcpPhase::Connection
            || !matches!(
                rule.action,
                TcpAction::ExpectProxy | TcpAction::Accept | TcpAction::Reject
            )
        {
            continue;
        }
        let mut cx = RuleCtx::new(info, fe, &mut state);
        if rule.cond.as_ref().is_none_or(|c| c.holds(&mut cx)) {
            return matches!(rule.action, TcpAction::ExpectProxy);
        }
    }
    false
}

/// `track-scN` from a `tcp-request` rule: the entry is the connection's,
/// counted as a connection (and a session) at once.
fn track(fe: &Frontend, state: &mut State, t: &TrackAction, key: Option<Sample>) {
    let now = crate::stick::clock::now_ms();
    match t {
        TrackAction::Track { slot, table, .. } => {
            let n = usize::from(*slot).min(2);
            if state.tracked(*slot).is_some() {
                return;
            }
            let Some(tbl) = fe
                .book
                .tables
                .get(table.as_deref().unwrap_or(&fe.name))
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

/// `tcp-request connection`, then `session` rules of a fresh connection,
/// in any mode: Some with how the connection ends when one rejects it.
/// An `accept` ends its own phase only. The entries tracked so far count
/// the new session, as 2.6's `session_count_new` does.
pub fn accept_rules(fe: &Frontend, info: &ClientInfo, state: &mut State) -> Option<Termination> {
    if fe.rules.tcp_request.is_empty() {
        return None;
    }
    for phase in [TcpPhase::Connection, TcpPhase::Session] {
        if let Some(Final::Reject) = run_phase(fe, info.clone(), state, None, phase) {
            let ctr = match phase {
                TcpPhase::Connection => crate::stats::Ctr::Dcon,
                _ => crate::stats::Ctr::Dses,
            };
            fe.stats.totals.inc(ctr);
            return Some(Termination::new(TermCause::Proxy, TermPhase::Request));
        }
    }
    let now = crate::stick::clock::now_ms();
    for e in state.sess_track.iter().flatten() {
        e.on_sess(now);
    }
    None
}

/// `tcp-request connection`, `session`, then `content` rules; the content
/// rules see the bytes read so far and wait up to `inspect-delay` for more.
async fn tcp_rules(
    fe: &Frontend,
    client: &Stream,
    info: ClientInfo,
    state: &mut State,
    payload: &mut Vec<u8>,
) -> Option<Termination> {
    if let Some(end) = accept_rules(fe, &info, state) {
        return Some(end);
    }
    if !fe
        .rules
        .tcp_request
        .iter()
        .any(|(p, _)| *p == TcpPhase::Content)
    {
        return None;
    }
    let delay = Duration::from_millis(fe.conf.tcp_inspect_delay.unwrap_or(0));
    let deadline = Instant::now() + delay;
    let cap = fe.global.tune_bufsize.max(4096);
    let mut eof = false;
    loop {
        match run_phase(fe, info.clone(), state, Some(payload), TcpPhase::Content) {
            Some(Final::Reject) => {
                return Some(Termination::new(TermCause::Proxy, TermPhase::Request))
            }
            Some(Final::Accept) => return None,
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
        let wait = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(wait, client.readable()).await {
            Ok(Ok(())) => {
                let mut chunk = [0u8; 4096];
                match client.try_read(&mut chunk) {
                    Ok(0) => eof = true,
                    Ok(n) => payload.extend_from_slice(&chunk[..n]),
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                    Err(_) => eof = true,
                }
            }
            Ok(Err(_)) => eof = true,
            Err(_) => {}
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
    payload: &[u8],
) -> Termination {
    let Some(be) = pick_backend(fe, info.clone(), state, payload) else {
        // No backend: HAProxy closes the connection.
        return Termination::new(TermCause::ServerClosed, TermPhase::Connect);
    };
    rec.backend = Some(be.name.as_str().into());
    report.backend = Some(be.clone());
    be.total.fetch_add(1, Ordering::Relaxed);
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
    // on-marked-down shutdown-sessions ends the session when the server
    // goes down.
    let mut kill = lease.server.kill.subscribe();
    let (end, totals) = tokio::select! {
        r = forward(client, &server, idle, use_splice) => r,
        _ = kill.changed() => {
            drop(lease);
            let cause = crate::runtime::ServerRt::kill_cause(*kill.borrow());
            return Termination::new(cause, TermPhase::Data);
        }
    };
    drop(lease);
    rec.bytes_out = totals.down;
    rec.bytes_in = totals.up + payload.len() as u64;
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
