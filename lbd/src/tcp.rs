//! mode tcp: one client connection forwarded to one server connection, and
//! its `option tcplog` line.

use crate::balance::key;
use crate::balance::KeyNeed;
use crate::connect::{pick_and_connect, ConnectReport};
use crate::forward::{forward, End, Idle};
use crate::log::{TermCause, TermPhase, Termination, TxnLog};
use crate::runtime::Frontend;
use crate::session::{ms_between, ClientInfo, LogCtx};
use crate::stats::sess::SessEntry;
use crate::stream::Stream;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

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
    let Some(be) = fe
        .use_backend
        .clone()
        .or_else(|| fe.default_backend.clone())
    else {
        // No backend: HAProxy closes the connection.
        return Termination::new(TermCause::ServerClosed, TermPhase::Connect);
    };
    rec.backend = Some(be.name.as_str().into());
    be.total.fetch_add(1, Ordering::Relaxed);
    let key_bytes = match (be.key_need().get(), info.src) {
        (KeyNeed::SourceIp, Some(src)) => Some(key::source_ip_bytes(src.ip()).as_bytes().to_vec()),
        _ => None,
    };
    let dst_port = info.dst.map(|d| d.port()).unwrap_or(0);
    let (server, lease) = match pick_and_connect(&be, key_bytes.as_deref(), dst_port, report).await
    {
        Ok(x) => x,
        Err(e) => return e.log_termination(),
    };
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
            return Termination::new(TermCause::Down, TermPhase::Data);
        }
    };
    drop(lease);
    rec.bytes_out = totals.down;
    rec.bytes_in = totals.up;
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
