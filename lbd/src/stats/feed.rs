//! What the data path calls to count: one call per event (accept, request,
//! lease, response, end of transaction), each a handful of per-thread adds,
//! so the sessions stay free of stats logic.

use super::counters::{ms_at, now_ms, Ctr, ProcessStats, ProxyCounters, ServerCounters};
use crate::log::{TermCause, TermPhase, Termination};
use crate::runtime::{Backend, Frontend, ServerRt};
use std::sync::atomic::Ordering::Relaxed;
use std::time::Instant;

/// A connection was accepted by `fe`; `global_cur` is the process's
/// current connection count.
#[inline]
pub fn accepted(fe: &Frontend, global_cur: u32) {
    let now = now_ms();
    let c = &fe.stats;
    c.session(now, fe.maxconn.as_ref().map(|m| m.current()).unwrap_or(0));
    c.conn_rate.add(now);
    c.totals.inc(Ctr::ConnTot);
    if fe.mode == crate::config::model::Mode::Http {
        c.totals.inc(Ctr::H1Conns);
    }
    ProcessStats::global().connection(now, global_cur);
}

/// An HTTP request head was parsed on `fe`, `at` this instant.
#[inline]
pub fn http_request(fe: &Frontend, at: Instant) {
    let c = &fe.stats;
    c.totals.inc(Ctr::ReqTot);
    c.totals.inc(Ctr::H1Streams);
    c.req_rate.add(ms_at(at));
    ProcessStats::global().totals.inc(Ctr::ReqTot);
}

/// An HTTP transaction ended on `fe`, `at` this instant, with this status
/// (server's or ours) and these byte counts.
#[inline]
pub fn http_txn_end(fe: &Frontend, status: Option<u16>, bin: u64, bout: u64, at: Instant) {
    let c = &fe.stats;
    if let Some(s) = status {
        c.status(s);
    }
    c.bytes(bin, bout);
    ProcessStats::global().bytes_out_at(bout, ms_at(at));
}

/// The request could not be read (400, 408): `ereq`, and the reply.
#[inline]
pub fn http_bad_request(fe: &Frontend, status: Option<u16>, bout: u64) {
    if status.is_some() {
        fe.stats.totals.inc(Ctr::Ereq);
    }
    http_txn_end(fe, status, 0, bout, Instant::now());
}

/// A request took a slot on `srv` (the balancer chose it, or the queue
/// handed it over) `at` this instant.
#[inline]
pub fn leased(be: &Backend, srv: &ServerRt, at: Instant) {
    let now = ms_at(at);
    for (c, cur) in [
        (&srv.stats, srv.cur.load(Relaxed)),
        (&be.stats, be.cur.load(Relaxed)),
    ] {
        c.session(now, cur);
        c.totals.inc(Ctr::Lbtot);
        // lastsess is shown in seconds: refresh the shared word at most
        // twice a second rather than on every request.
        let last = c.last_sess_ms.load(Relaxed);
        if last == 0 || now.saturating_sub(last) >= 500 {
            c.last_sess_ms.store(now, Relaxed);
        }
    }
}

fn both(be: &Backend, srv: &ServerRt, f: impl Fn(&ProxyCounters)) {
    f(&be.stats);
    f(&srv.stats);
}

/// A new connection to `srv` (`connect`) or a reused one (`reuse`).
#[inline]
pub fn server_conn(be: &Backend, srv: &ServerRt, reused: bool) {
    let c = if reused { Ctr::Reuse } else { Ctr::Connect };
    both(be, srv, |p| p.totals.inc(c));
}

/// A connection attempt to `srv` failed and will be retried (on another
/// server when `redispatch`).
#[inline]
pub fn retry(be: &Backend, srv: &ServerRt, redispatch: bool) {
    both(be, srv, |p| {
        p.totals.inc(Ctr::Wretr);
        if redispatch {
            p.totals.inc(Ctr::Wredis);
        }
    });
}

/// Every attempt to connect to `srv` failed: `econ`.
#[inline]
pub fn connect_failed(be: &Backend, srv: &ServerRt) {
    both(be, srv, |p| p.totals.inc(Ctr::Econ));
}

/// When each phase of a transaction was reached, for the `*time` averages.
#[derive(Debug, Clone, Copy)]
pub struct Phases {
    pub start: Instant,
    /// The request was ready to be sent (queueing starts).
    pub ready: Option<Instant>,
    pub leased: Option<Instant>,
    pub connected: Option<Instant>,
    pub response: Option<Instant>,
    /// The exchange ended.
    pub end: Instant,
}

fn ms(a: Option<Instant>, b: Option<Instant>) -> i64 {
    match (a, b) {
        (Some(a), Some(b)) => b.saturating_duration_since(a).as_millis() as i64,
        _ => 0,
    }
}

/// `srv` answered an HTTP request and the exchange ended, possibly with
/// an error while forwarding the body (`abort`: the failing side).
pub fn http_server_done(
    be: &Backend,
    srv: &ServerRt,
    status: u16,
    bin: u64,
    bout: u64,
    t: &Phases,
    abort: Option<crate::error::Cause>,
) {
    use crate::error::Cause;
    let q = ms(t.ready, t.leased);
    let c = ms(t.leased, t.connected);
    let r = ms(t.connected, t.response);
    let total = ms(Some(t.start), Some(t.end));
    for p in [&be.stats, &srv.stats] {
        p.status(status);
        p.totals.inc(Ctr::ReqTot);
        p.bytes(bin, bout);
        p.timings(q, c, Some(r), total);
        match abort {
            Some(Cause::Client | Cause::ClientTimeout) => p.totals.inc(Ctr::CliAbrt),
            Some(_) => p.totals.inc(Ctr::SrvAbrt),
            None => {}
        }
    }
}

/// The server failed to answer (we sent 502 or 504), or the client left
/// while the request was being sent (`client`).
pub fn http_server_failed(be: &Backend, srv: &ServerRt, client: bool, status: Option<u16>) {
    for p in [&be.stats, &srv.stats] {
        if client {
            p.totals.inc(Ctr::CliAbrt);
        } else {
            p.totals.inc(Ctr::Eresp);
            if let Some(s) = status {
                p.status(s);
            }
        }
    }
}

/// A TCP session on `fe` ended. `server` is the last server tried,
/// `connected` whether a connection was made.
#[allow(clippy::too_many_arguments)]
pub fn tcp_done(
    fe: &Frontend,
    backend: Option<&Backend>,
    server: Option<&ServerRt>,
    bin: u64,
    bout: u64,
    retries: u32,
    redispatched: bool,
    t: &Phases,
    end: Termination,
) {
    fe.stats.bytes(bin, bout);
    ProcessStats::global().bytes_out(bout);
    // The backend the session chose (use_backend rules may have conditions).
    let Some(be) = backend else {
        return;
    };
    let Some(srv) = server else {
        return;
    };
    for p in [&be.stats, &srv.stats] {
        p.totals.add(Ctr::Wretr, u64::from(retries));
        if redispatched {
            p.totals.inc(Ctr::Wredis);
        }
        if t.connected.is_none() {
            p.totals.inc(Ctr::Econ);
            continue;
        }
        p.totals.inc(Ctr::Connect);
        p.bytes(bin, bout);
        p.timings(
            ms(Some(t.start), t.leased),
            ms(t.leased, t.connected),
            None,
            ms(Some(t.start), Some(t.end)),
        );
        if end.phase == TermPhase::Data {
            match end.cause {
                TermCause::ClientClosed | TermCause::ClientTimeout => p.totals.inc(Ctr::CliAbrt),
                TermCause::ServerClosed | TermCause::ServerTimeout => p.totals.inc(Ctr::SrvAbrt),
                _ => {}
            }
        }
    }
}

/// A health check (or agent exchange) of server `idx` was applied; `was_up`
/// is whether it was up before, `failed` whether the check failed.
pub fn check_applied(be: &Backend, idx: usize, was_up: bool, failed: bool) {
    let Some(srv) = be.servers.get(idx) else {
        return;
    };
    if failed {
        srv.stats.totals.inc(Ctr::Chkfail);
    }
    state_seen(be, srv, was_up);
}

/// Call after any change that may have moved `srv` up or down (checks,
/// CLI `set server`/`enable`/`disable`): updates `chkdown`, `lastchg` and
/// `downtime` of the server and its backend.
pub fn state_seen(be: &Backend, srv: &ServerRt, was_up: bool) {
    let up = srv.is_usable();
    if up == was_up {
        return;
    }
    srv.stats.state_changed(!up);
    if !up {
        srv.stats.totals.inc(Ctr::Chkdown);
    }
    let be_up = be.servers.iter().any(|s| s.is_usable());
    let be_was_down = be.stats.down_since_ms.load(Relaxed) != 0;
    if be_up == be_was_down {
        be.stats.state_changed(!be_up);
        if !be_up {
            be.stats.totals.inc(Ctr::Chkdown);
        }
    }
}

impl ServerCounters {
    /// Whether this object is counted as down right now.
    pub fn is_down(&self) -> bool {
        self.down_since_ms.load(Relaxed) != 0
    }
}
