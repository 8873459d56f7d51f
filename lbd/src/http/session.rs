//! One client connection in mode http: a loop of transactions.
//!
//! Stages per transaction (named as in DESIGN.md section 2, so logs and
//! timers line up with HAProxy's `%TR/%Tw/%Tc/%Tr/%Ta` later):
//! `read_request` -> `local_response` (monitor-uri, http-request rules)
//! -> `choose_server` -> `connect` -> `exchange` (request body up while the
//! response head comes down) -> `forward_response` -> keep-alive decision.

mod after_response;
mod out_pool;
mod request_rules;
mod response_rules;
mod tcp_content;
mod until_signal;

use self::request_rules::{complete_body, Verdict};
use self::tcp_content::ContentStage;
use self::until_signal::until_signal;
use super::buf::Buf;
use super::pool::{IdleConn, PeerKey};
use super::respond::{error_bytes, with_connection};
use super::POOL;
use crate::balance::{key, KeyNeed};
use crate::config::model::{HttpConnMode, HttpReuse, Proxy};
use crate::connect::{connect_http, retry_pause, should_redispatch, ConnFor, Forced, RequestSni};
use crate::error::{Cause, ProxyError, Stage};
use crate::h1::{
    self, BodyDecoder, BodyFraming, ErrorLayer, H1Error, HeaderEdits, HeaderField, HttpMode,
    Method, ParseOptions,
};
use crate::log::{TermCause, TermPhase, Termination, TxnLog};
use crate::persist::Persistence;
use crate::runtime::ServerLease;
use crate::runtime::{Backend, Frontend, ServerRt};
use crate::server::Stop;
use crate::session::{ms_between, ClientInfo, LogCtx};
use crate::stats::sess::SessEntry;
use crate::stream::Stream;
use std::pin::pin;
use std::sync::Arc;
use std::task::Poll;
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};
use tokio::sync::watch;

/// A server connection attached to this client session (HAProxy keeps the
/// last server connection with the session, and reuses it when the next
/// request goes to the same server).
struct Upstream {
    stream: Stream,
    peer: PeerKey,
    server_id: u32,
    backend_id: u32,
    /// Requests already carried.
    uses: u32,
    reused: bool,
    /// Carries a PROXY header naming this client (`send-proxy`): HAProxy
    /// 2.6 keys such connections by that header, so no other client ever
    /// gets it; it stays with the session and is never pooled.
    private: bool,
}

struct Session {
    fe: Arc<Frontend>,
    client: Stream,
    info: ClientInfo,
    cbuf: Buf,
    sbuf: Buf,
    out: Vec<u8>,
    upstream: Option<Upstream>,
    requests: u64,
    opts: ParseOptions,
    log: LogCtx,
    /// The transaction's log record, filled as it goes.
    rec: TxnLog,
    times: TxnTimes,
    /// The transaction is not logged (monitor-uri, idle keep-alive close).
    unlogged: bool,
    /// `set-log-level silent` ran for this transaction.
    silent: bool,
    /// Variables and tracked entries left by rules.
    state: crate::http::ctx::State,
    /// The backend chosen for the transaction in progress.
    cur_be: Option<Arc<Backend>>,
    /// `cur_be`'s rules, as the frontend's book has them: looked up once
    /// per transaction (each lookup hashes the name with SipHash; the
    /// response side asked three times).
    cur_be_rules: Option<Arc<crate::http::rules::ProxyRules>>,
    /// The server's kill generation when the session took it: a `shutdown
    /// sessions server` sent after that (the session is already listed on
    /// the server) must reach it even before it subscribes.
    kill_seen: u64,
    /// A request is in flight: read, not yet answered and logged. The
    /// session entry's flag is shared by an h2 connection's streams; a
    /// killed stream goes by its own.
    in_txn: bool,
    /// This session in the `show sess` registry (and its listener).
    sess: Arc<SessEntry>,
    /// A stream's request head as its bridge built it, for the first
    /// [`read_request`](Self::read_request): kept here, in the session's
    /// box, rather than handed down through four futures (each kept a copy).
    built: Option<Result<h1::RequestHead, H1Error>>,
}

impl Drop for Session {
    fn drop(&mut self) {
        out_pool::give_back(std::mem::take(&mut self.out));
    }
}

/// When each stage of a transaction was reached, for the log's timers.
#[derive(Debug, Clone, Copy)]
struct TxnTimes {
    start: Instant,
    first_byte: Option<Instant>,
    head_done: Option<Instant>,
    leased: Option<Instant>,
    connected: Option<Instant>,
    resp_head: Option<Instant>,
    /// The exchange with the server ended (its body forwarded).
    done: Option<Instant>,
}

impl TxnTimes {
    fn new(start: Instant) -> Self {
        TxnTimes {
            start,
            first_byte: None,
            head_done: None,
            leased: None,
            connected: None,
            resp_head: None,
            done: None,
        }
    }
}

/// The status of a response we generated, read from its status line.
fn status_of(bytes: &[u8]) -> Option<u16> {
    std::str::from_utf8(bytes.get(9..12)?).ok()?.parse().ok()
}

fn ms(v: Option<u64>) -> Option<Duration> {
    v.map(Duration::from_millis)
}

/// Runs `fut` under an optional timeout; None means it expired.
///
/// The timer starts when `fut` first has to wait: most reads and writes
/// find their bytes or room at once, and setting a timer for them cost a
/// clock read each (several per request).
fn within<F: std::future::Future>(
    t: Option<Duration>,
    fut: F,
) -> impl std::future::Future<Output = Option<F::Output>> {
    within_from(t, None, fut)
}

/// [`within`], counting the time from `since` when given: an instant the
/// caller has already read, which spares the timer its own clock read.
async fn within_from<F: std::future::Future>(
    t: Option<Duration>,
    since: Option<Instant>,
    fut: F,
) -> Option<F::Output> {
    let mut fut = std::pin::pin!(fut);
    let Some(t) = t else {
        return Some(fut.await);
    };
    let first = std::future::poll_fn(|cx| Poll::Ready(fut.as_mut().poll(cx))).await;
    if let Poll::Ready(v) = first {
        return Some(v);
    }
    // Past the far end of the clock: no deadline at all.
    let Some(deadline) = since.unwrap_or_else(Instant::now).checked_add(t) else {
        return Some(fut.await);
    };
    tokio::time::timeout_at(deadline.into(), fut).await.ok()
}

/// Serves one HTTP/1 client connection; `state` is what its `tcp-request
/// connection` rules left at accept.
pub async fn serve(
    fe: Arc<Frontend>,
    client: Stream,
    info: ClientInfo,
    state: crate::http::ctx::State,
    stop: watch::Receiver<Stop>,
    log: LogCtx,
    sess: Arc<SessEntry>,
) {
    // The session is boxed (see `Session::new`) and `live` borrows it:
    // inline, it kept a place in this future and another in `live`'s.
    if let Some(mut s) = Session::open(fe, client, info, log, sess, state) {
        s.live(stop).await;
    }
}

/// What the streams of one multiplexed client connection (h2, h3) take
/// from it: each stream's session is opened from this.
#[derive(Clone)]
pub struct MuxConn {
    pub fe: Arc<Frontend>,
    /// The connection's client, which each stream's own is made from.
    pub info: ClientInfo,
    pub stop: watch::Receiver<Stop>,
    pub log: LogCtx,
    pub sess: Arc<SessEntry>,
    pub opts: ParseOptions,
    /// What the connection's `tcp-request` rules left (tracked entries,
    /// released when the last stream and the connection let go of them).
    pub conn_state: Arc<crate::http::ctx::State>,
}

/// The session of one stream of an HTTP/2 or HTTP/3 connection, built
/// before the future that serves it ([`StreamSession::serve`]): what it
/// starts from goes straight into its box, rather than riding in the
/// stream's future as arguments (copied there and kept for its life).
pub struct StreamSession(Box<Session>);

impl MuxConn {
    /// Opens the session of one stream, whose connection's `tcp-request`
    /// rules already ran (once for the connection, as 2.6 runs them).
    /// `head`: the request head as the bridge built it (see
    /// [`h1::HeadBuilder`]), whose bytes it put first in the pipe;
    /// `arrived`: when the stream came (its transaction's timers start
    /// there).
    pub fn open_stream(
        &self,
        client: Stream,
        head: Result<h1::RequestHead, H1Error>,
        arrived: Instant,
    ) -> StreamSession {
        let mut info = self.info.clone();
        info.accepted = crate::session::date_at(&self.info, arrived);
        info.accepted_at = arrived;
        info.mux_stream = true;
        let mut s = Session::new(
            self.fe.clone(),
            client,
            info,
            self.log.clone(),
            self.sess.clone(),
        );
        s.state = self.conn_state.for_stream();
        s.built = Some(head);
        StreamSession(s)
    }
}

impl StreamSession {
    /// Serves the stream's one transaction.
    pub async fn serve(mut self, stop: watch::Receiver<Stop>) {
        self.0.live_stream(stop).await;
    }
}

/// After a soft stop, how long a connection idle between requests still
/// waits for one: a keep-alive client may have sent its next request just
/// as the stop came, and closing under it would reset that request.
const STOP_IDLE_GRACE: Duration = Duration::from_millis(200);

/// How a transaction ended, for the keep-alive decision.
enum Next {
    KeepAlive,
    Close,
}

impl Session {
    /// A session for a client connection; None when its `tcp-request
    /// session` rules closed it. `state`: what the connection's `tcp-request
    /// connection` rules left at accept.
    fn open(
        fe: Arc<Frontend>,
        client: Stream,
        info: ClientInfo,
        log: LogCtx,
        sess: Arc<SessEntry>,
        state: crate::http::ctx::State,
    ) -> Option<Box<Session>> {
        let mut s = Session::new(fe, client, info, log, sess);
        match crate::tcp::start_session(&s.fe, &s.info, state) {
            Ok(state) => s.state = state,
            Err(r) => {
                if r.reset {
                    s.client.set_nolinger();
                }
                return None;
            }
        }
        Some(s)
    }

    /// A session with no rules run and no state yet.
    fn new(
        fe: Arc<Frontend>,
        client: Stream,
        info: ClientInfo,
        log: LogCtx,
        sess: Arc<SessEntry>,
    ) -> Box<Session> {
        let bufsize = fe.global.tune_bufsize.max(4096);
        let opts = crate::http::parse_options(&fe);
        let start = info.accepted_at;
        // On the heap, written where it lives: inline, the session (1.4
        // KiB) sat twice in a stream's future (the returned value and the
        // binding) and was copied between the two and the callers' frames;
        // the stream futures' size is what kept them out of the cache.
        let slot = Box::new_uninit();
        Box::write(
            slot,
            Session {
                fe,
                client,
                info,
                cbuf: Buf::with_capacity(bufsize),
                sbuf: Buf::with_capacity(bufsize),
                out: out_pool::take(),
                upstream: None,
                requests: 0,
                opts,
                log,
                rec: TxnLog::default(),
                times: TxnTimes::new(start),
                unlogged: false,
                silent: false,
                state: crate::http::ctx::State::default(),
                cur_be: None,
                cur_be_rules: None,
                kill_seen: 0,
                in_txn: false,
                sess,
                built: None,
            },
        )
    }

    /// Runs transactions until the client leaves, or `shutdown session`
    /// ends the session wherever it is (a transaction in flight is then
    /// logged and counted with a `K` termination, as 2.6 does).
    async fn live(&mut self, stop: watch::Receiver<Stop>) {
        let sess = self.sess.clone();
        let killed = {
            let run = std::pin::pin!(self.run(stop));
            let kill = std::pin::pin!(sess.killed());
            until_signal(run, kill).await.is_err()
        };
        self.close(killed);
    }

    /// [`live`](Self::live) for a stream of a multiplexed connection: its
    /// one transaction runs inline rather than boxed, one large allocation
    /// and copy fewer per stream (the box keeps an idle keep-alive
    /// session small, and a stream's session is never idle).
    async fn live_stream(&mut self, mut stop: watch::Receiver<Stop>) {
        let sess = self.sess.clone();
        let killed = {
            let run = std::pin::pin!(async {
                if let Some(head) = self.next_request(&mut stop).await {
                    self.transaction(head, &stop).await;
                    self.end_request();
                }
            });
            let kill = std::pin::pin!(sess.killed());
            until_signal(run, kill).await.is_err()
        };
        self.close(killed);
    }

    /// The session is over: its client left, or `shutdown session`
    /// (`killed`) ended it.
    fn close(&mut self, killed: bool) {
        if killed && self.in_txn {
            self.killed_in_flight();
        }
        // As 2.6, the idle server connection of a client that left goes to
        // the pool for the next clients (unless the session was killed, or
        // the connection is private to it): a client making one request per
        // connection must not cost a server connection each.
        if self.upstream.is_some() {
            self.release_upstream(!killed, Instant::now());
        }
        self.state.end_session();
    }

    /// Waits for the next request and counts it; None when the connection
    /// ends instead.
    async fn next_request(&mut self, stop: &mut watch::Receiver<Stop>) -> Option<h1::RequestHead> {
        self.begin_txn();
        let Some(head) = self.read_request(stop).await else {
            // A silent close (idle keep-alive, probe, soft stop) is no bad
            // request: 2.6 counts nothing for it.
            if !self.unlogged {
                crate::stats::feed::http_bad_request(&self.fe, self.rec.status, self.rec.bytes_out);
                self.sess
                    .listener_txn(0, self.rec.bytes_out, self.rec.status.is_some());
            }
            self.finish_txn(None);
            return None;
        };
        self.requests += 1;
        self.in_txn = true;
        self.sess.set_in_stream(true);
        let parsed_at = self.times.head_done.unwrap_or_else(Instant::now);
        crate::stats::feed::http_request(&self.fe, parsed_at);
        Some(head)
    }

    /// Counts and logs the transaction that just ended.
    fn end_request(&mut self) {
        self.in_txn = false;
        self.sess.set_in_stream(false);
        self.count_tracked();
        self.count_and_log_txn();
    }

    /// The frontend's and listener's counters take the transaction, and
    /// the log its line.
    fn count_and_log_txn(&mut self) {
        crate::stats::feed::http_txn_end(
            &self.fe,
            self.rec.status,
            self.rec.bytes_in,
            self.rec.bytes_out,
            self.times.done.unwrap_or_else(Instant::now),
        );
        self.sess
            .listener_txn(self.rec.bytes_in, self.rec.bytes_out, false);
        self.finish_txn(None);
    }

    async fn run(&mut self, mut stop: watch::Receiver<Stop>) {
        loop {
            let Some(head) = self.next_request(&mut stop).await else {
                return;
            };
            // Boxed: inline, the transaction's state (several KiB) would be
            // part of every session future, idle connections included.
            let next = Box::pin(self.transaction(head, &stop)).await;
            self.end_request();
            match next {
                // A mux stream carries one transaction: its session ends
                // with it, rather than waiting for its bridge to close the
                // pipe (that wait counted and logged nothing, but cost a
                // second transaction's set-up per stream).
                _ if self.info.mux_stream => return,
                // A response that promised keep-alive is honoured even if a
                // soft stop came meanwhile: the client may already have
                // sent its next request, which `read_request` still takes
                // (and answers with `Connection: close`) within
                // [`STOP_IDLE_GRACE`]. Closing here would reset it.
                Next::KeepAlive if *stop.borrow() != Stop::Hard => continue,
                _ => return,
            }
        }
    }

    /// The transaction in flight was ended by `shutdown session`: its
    /// phase is the last stage it reached.
    fn killed_in_flight(&mut self) {
        let t = self.times;
        let phase = if t.resp_head.is_some() {
            TermPhase::Data
        } else if t.connected.is_some() {
            TermPhase::Headers
        } else if t.leased.is_some() {
            TermPhase::Connect
        } else if t.head_done.is_some() {
            TermPhase::Queue
        } else {
            TermPhase::Request
        };
        self.rec.termination = Termination::new(TermCause::Killed, phase);
        self.count_and_log_txn();
        self.sess.set_in_stream(false);
    }

    /// A transaction's status and bytes go to the stick-table entries it
    /// tracks.
    fn count_tracked(&self) {
        // The clock is read only when something is tracked: most configs
        // track nothing, and this runs after every transaction.
        let mut now = None;
        let (status, bin, bout) = (self.rec.status, self.rec.bytes_in, self.rec.bytes_out);
        self.state.each_tracked(|e| {
            let now = *now.get_or_insert_with(crate::stick::clock::now_ms);
            if status.is_some_and(|s| (400..500).contains(&s)) {
                e.on_http_err(now);
            }
            e.on_bytes_in(bin, now);
            e.on_bytes_out(bout, now);
        });
    }

    /// A new transaction starts: on accept, then after each response.
    fn begin_txn(&mut self) {
        let (start, date) = if self.requests == 0 {
            (self.info.accepted_at, self.info.accepted)
        } else {
            (Instant::now(), std::time::SystemTime::now())
        };
        self.times = TxnTimes::new(start);
        self.unlogged = false;
        self.silent = false;
        self.state.end_txn();
        self.cur_be = None;
        self.cur_be_rules = None;
        self.rec.backend = None;
        // The stats read these even when nothing is logged.
        self.rec.status = None;
        self.rec.bytes_in = 0;
        self.rec.bytes_out = 0;
        let unique_id = self
            .log
            .conf
            .as_ref()
            .is_some_and(|c| c.unique_id.is_some());
        if self.log.active().is_none() && !unique_id {
            return;
        }
        self.rec = TxnLog {
            client: self.info.src,
            frontend_addr: self.info.dst,
            accept_date: date,
            frontend: self.fe.name.as_str().into(),
            http: true,
            t_handshake: 0,
            ..TxnLog::default()
        };
        self.rec.set_tls(self.info.tls.as_deref());
    }

    /// Completes the record with timers and counters and logs it.
    fn finish_txn(&mut self, be: Option<&Backend>) {
        let Some(conf) = self.log.active().cloned() else {
            return;
        };
        if self.unlogged || self.silent {
            return;
        }
        let t = self.times;
        let r = &mut self.rec;
        r.t_idle = ms_between(Some(t.start), t.first_byte);
        r.t_request = ms_between(t.first_byte, t.head_done);
        r.t_queue = ms_between(t.head_done, t.leased);
        r.t_connect = ms_between(t.leased, t.connected);
        r.t_response = ms_between(t.connected, t.resp_head);
        r.t_total = ms_between(Some(t.start), Some(Instant::now()));
        r.actconn = self.log.actconn.current();
        r.feconn = self.log.feconn.as_ref().map(|l| l.current()).unwrap_or(0);
        if let Some(be) = be {
            r.beconn = be.cur.load(std::sync::atomic::Ordering::Relaxed);
        }
        // A backend with a cookie logs its letters even when nothing read
        // or set a cookie (2.6's `NN` on a `return`).
        if r.cookie_letters.is_none()
            && self
                .cur_be
                .as_ref()
                .is_some_and(|b| b.conf.cookie.is_some())
        {
            r.cookie_letters = Some(*b"NN");
        }
        r.request_counter = self.requests;
        self.log.logger.log_txn(&conf, r);
        self.unlogged = true;
    }

    /// Fills the cookie fields of the log for a request `deny` or `tarpit`
    /// refused, as 2.6 reads its cookies then; a listen section is its own
    /// backend from the start.
    fn log_refused_cookies(&mut self, head: &h1::RequestHead) {
        if self.log.active().is_none() {
            return;
        }
        let be = match &self.cur_be {
            Some(be) => Some(be.clone()),
            None if self.fe.conf.cap.backend => self
                .fe
                .book
                .backend(self.fe.name.as_bytes())
                .map(|(b, _)| b.clone()),
            None => None,
        };
        let capture = self.fe.conf.capture_cookie.as_ref();
        let buf = self.cbuf.bytes();
        Persistence::log_refused(be.as_deref(), capture, buf, head, &mut self.rec);
    }

    /// Records what the log needs from a request head before it is consumed.
    fn note_request(&mut self, head: &h1::RequestHead) {
        let Some(conf) = self.log.active().cloned() else {
            return;
        };
        let buf = self.cbuf.bytes();
        let line_end = memchr::memchr(b'\n', buf).unwrap_or(0);
        let line = buf[..line_end]
            .strip_suffix(b"\r")
            .unwrap_or(&buf[..line_end]);
        // tune.http.logurilen
        self.rec.request_line = Some(line[..line.len().min(1024)].to_vec());
        self.rec.captured_request = conf
            .capture_request
            .iter()
            .map(|c| find_header(&head.headers, buf, &c.name).map(|v| c.take(v)))
            .collect();
    }

    /// Waits for a complete request head. Answers 400/408 itself (H1-layer
    /// layout) and returns None when the connection must end. A stream's
    /// first head comes already parsed (`self.built`).
    async fn read_request(&mut self, stop: &mut watch::Receiver<Stop>) -> Option<h1::RequestHead> {
        let t = &self.fe.conf.timeouts;
        let http_request = ms(t.http_request);
        let keep_alive = ms(t.http_keep_alive.or(t.http_request).or(t.client));
        let client = ms(t.client);
        // `timeout http-request` covers the whole head from its first byte;
        // without it, `timeout client` applies to each read.
        let mut deadline: Option<Instant> = None;
        // Set once a soft stop is seen while idle between requests.
        let mut stop_grace: Option<Instant> = None;
        if *stop.borrow() != Stop::Running && self.requests > 0 {
            stop_grace = Some(Instant::now() + STOP_IDLE_GRACE);
        }
        // A stream's head came with the stream: its bytes arrived when the
        // stream did (the transaction's start), no clock read needed.
        let mut arrived = (self.requests == 0 && self.built.is_some()).then_some(self.times.start);
        loop {
            if !self.cbuf.is_empty() {
                // One clock read for the bytes that just came: a head that
                // arrives whole (every h2 stream's) starts and ends here.
                let now = arrived.take().unwrap_or_else(Instant::now);
                if self.times.first_byte.is_none() {
                    self.times.first_byte = Some(now);
                }
                let parsed = match self.built.take() {
                    Some(Ok(h)) if self.cbuf.len() < h.head_len => {
                        // Not all in yet (never seen: the bridge writes the
                        // head before the session first reads).
                        self.built = Some(Ok(h));
                        Ok(None)
                    }
                    Some(r) => r.map(Some),
                    None => h1::parse_request(self.cbuf.bytes(), &self.opts),
                };
                match parsed {
                    Ok(Some(h)) => {
                        self.times.head_done = Some(now);
                        return Some(h);
                    }
                    Ok(None) => {}
                    Err(e) => {
                        self.reject(&e).await;
                        return None;
                    }
                }
                if self.cbuf.is_full() {
                    self.reject(&H1Error::HeadTooLarge).await;
                    return None;
                }
                if deadline.is_none() {
                    deadline = http_request.map(|d| now + d);
                }
            }
            let idle = self.cbuf.is_empty();
            let mut wait = match (idle, deadline) {
                (_, Some(d)) => Some(d.saturating_duration_since(Instant::now())),
                (true, None) if self.requests > 0 => keep_alive,
                (true, None) => http_request.or(client),
                (false, None) => client,
            };
            if let (true, Some(g)) = (idle, stop_grace) {
                let left = g.saturating_duration_since(Instant::now());
                wait = Some(wait.map_or(left, |w| w.min(left)));
            }
            let read = async {
                // Biased: a request already in the socket is read before a
                // stop that arrives at the same moment closes the session.
                // Only a connection idle *between* requests closes on a soft
                // stop (2.6's H1C_F_WAIT_NEXT_REQ): a fresh one may have
                // been accepted a moment before the listeners closed, and
                // its first request is still on its way.
                tokio::select! {
                    biased;
                    r = self.cbuf.fill(&mut self.client) => Some(r),
                    _ = stop.changed(), if idle && self.requests > 0 && stop_grace.is_none() => None,
                }
            };
            match within(wait, read).await {
                // Stop while idle between requests: a hard stop closes now; a
                // soft one waits a moment for a request already on its way
                // (the timeout branch below then closes silently).
                Some(None) => {
                    if *stop.borrow() == Stop::Hard {
                        self.unlogged = true;
                        return None;
                    }
                    stop_grace = Some(Instant::now() + STOP_IDLE_GRACE);
                }
                Some(Some(Ok(0))) | Some(Some(Err(_))) => {
                    // The client left: logged as `CR` unless it was an idle
                    // keep-alive connection closing between requests.
                    self.unlogged = self.cbuf.is_empty() && self.requests > 0;
                    self.rec.status = Some(400);
                    self.rec.termination =
                        Termination::new(TermCause::ClientClosed, TermPhase::Request);
                    return None;
                }
                Some(Some(Ok(_))) => {}
                None => {
                    // Nothing at all on a fresh connection: a probe (browsers
                    // pre-connect). Keep-alive idle: close silently.
                    let silent = self.cbuf.is_empty()
                        && (self.requests > 0 || self.fe.conf.options.http_ignore_probes);
                    self.unlogged = silent;
                    if !silent {
                        let bytes = error_bytes(408, ErrorLayer::H1, &[&self.fe.conf]);
                        let _ = within(client, self.client.write_all(&bytes)).await;
                        self.rec.status = Some(408);
                        self.rec.termination =
                            Termination::new(TermCause::ClientTimeout, TermPhase::Request);
                    }
                    return None;
                }
            }
        }
    }

    async fn reject(&mut self, e: &H1Error) {
        self.rec.status = Some(e.status());
        self.rec.termination = Termination::new(TermCause::Proxy, TermPhase::Request);
        let bytes = error_bytes(e.status(), ErrorLayer::H1, &[&self.fe.conf]);
        let _ = within(
            ms(self.fe.conf.timeouts.client),
            self.client.write_all(&bytes),
        )
        .await;
    }

    /// Sends a response lbd produced itself (only its head on HEAD), and
    /// decides whether the client connection can go on: only if the request
    /// carried no unread body.
    async fn local_response(&mut self, head: &h1::RequestHead, bytes: &[u8]) -> Next {
        // A body that already arrived whole is skipped, so the connection
        // can go on as HAProxy's does; one still arriving means closing.
        let mut body = BodyDecoder::new(head.framing);
        let rest = &self.cbuf.bytes()[head.head_len..];
        let body_len = match body.advance(rest) {
            Ok(p) if p.done => Some(p.consumed),
            _ => None,
        };
        let next = self.send_local_with(head, bytes, body_len.is_none()).await;
        if matches!(next, Next::KeepAlive) {
            self.cbuf.consume(head.head_len + body_len.unwrap_or(0));
        }
        next
    }

    /// Sends a generated response for a request whose head has already been
    /// consumed from the buffer.
    async fn send_local(&mut self, head: &h1::RequestHead, bytes: &[u8]) -> Next {
        let unread_body = head.framing != BodyFraming::None;
        self.send_local_with(head, bytes, unread_body).await
    }

    async fn send_local_with(
        &mut self,
        head: &h1::RequestHead,
        bytes: &[u8],
        unread_body: bool,
    ) -> Next {
        let after = self.after_response(bytes);
        let bytes = after.as_deref().unwrap_or(bytes);
        self.rec.status = status_of(bytes);
        let bytes = if head.method == Method::Head {
            match memchr::memmem::find(bytes, b"\r\n\r\n") {
                Some(i) => &bytes[..i + 4],
                None => bytes,
            }
        } else {
            bytes
        };
        let close = unread_body || !head.keep_alive;
        let bytes = with_connection(bytes, close, head.version == h1::Version::Http10);
        self.rec.bytes_out = h1::htx::generated_response(&bytes);
        self.rec.bytes_in = h1::htx::request_head(head);
        let ok = within(
            ms(self.fe.conf.timeouts.client),
            self.client.write_all(&bytes),
        )
        .await
        .map(|r| r.is_ok())
        .unwrap_or(false);
        if !ok || close {
            return Next::Close;
        }
        Next::KeepAlive
    }

    /// `option http-buffer-request`: wait for the whole body (or a full
    /// buffer) before going on, answering `Expect: 100-continue` ourselves as
    /// HAProxy does. Returns false when the client failed or timed out (the
    /// 408 has been sent).
    async fn buffer_body(&mut self, head: &h1::RequestHead, edits: &mut RequestEdits) -> bool {
        if head.framing == BodyFraming::None {
            return true;
        }
        let t = &self.fe.conf.timeouts;
        let limit = ms(t.http_request.or(t.client));
        let deadline = limit.map(|d| Instant::now() + d);
        if head.expect_continue && head.version == h1::Version::Http11 {
            edits.delete.push("expect".into());
            if self.cbuf.len() == head.head_len {
                let ok = within(
                    limit,
                    self.client.write_all(b"HTTP/1.1 100 Continue\r\n\r\n"),
                )
                .await;
                if !matches!(ok, Some(Ok(()))) {
                    return false;
                }
            }
        }
        loop {
            let mut probe = BodyDecoder::new(head.framing);
            let body = &self.cbuf.bytes()[head.head_len..];
            match probe.advance(body) {
                Ok(p) if p.done => return true,
                Ok(_) => {}
                // Let the forwarding path report the framing error.
                Err(_) => return true,
            }
            if self.cbuf.is_full() {
                return true;
            }
            let wait = deadline.map(|d| d.saturating_duration_since(Instant::now()));
            match within(wait, self.cbuf.fill(&mut self.client)).await {
                Some(Ok(n)) if n > 0 => {}
                Some(_) => return false,
                None => {
                    let bytes = error_bytes(408, ErrorLayer::H1, &[&self.fe.conf]);
                    let _ = within(ms(t.client), self.client.write_all(&bytes)).await;
                    return false;
                }
            }
        }
    }

    /// The stats page of `proxy`, when it has one and the URI is its own.
    async fn stats_page(&mut self, head: &h1::RequestHead, proxy: &Proxy) -> Option<Next> {
        use crate::stats::page;
        let conf = proxy.stats.as_ref()?;
        // 2.6 serves GET, HEAD and POST; other methods go to the backend.
        if !matches!(head.method, Method::Get | Method::Head | Method::Post) {
            return None;
        }
        let buf = self.cbuf.bytes();
        let rest = page::matches(conf, head.target.get(buf))?;
        let rest = String::from_utf8_lossy(rest).into_owned();
        let rt = crate::stats::current()?;
        let allowed = page::authorized(conf, find_header(&head.headers, buf, "authorization"));
        self.applet_log(proxy, "<STATS>");
        let bytes = if allowed && head.method == Method::Post {
            let admin = self.stats_admin(proxy, head);
            let body = complete_body(head, self.cbuf.bytes());
            page::admin::post(&rt, conf, admin, body, &rest)
        } else if allowed {
            let ctx = page::PageCtx {
                page: conf,
                proxy: &proxy.name,
            };
            page::respond(&rt, &ctx, &rest)
        } else {
            page::unauthorized(conf)
        };
        Some(self.local_response(head, &bytes).await)
    }

    /// A request answered by a built-in applet (stats page, exporter): logged
    /// as `<proxy>/<APPLET>` with `LR`, and counted as intercepted.
    fn applet_log(&mut self, proxy: &Proxy, applet: &str) {
        self.rec.termination = Termination::new(TermCause::Local, TermPhase::Request);
        self.rec.backend = Some(proxy.name.as_str().into());
        self.rec.server = Some(applet.into());
        self.fe.stats.totals.inc(crate::stats::Ctr::Intercepted);
    }

    async fn transaction(
        &mut self,
        mut head: h1::RequestHead,
        stop: &watch::Receiver<Stop>,
    ) -> Next {
        let fe = self.fe.clone();
        let conf: &Proxy = &fe.conf;
        let mut edits = RequestEdits::default();
        self.note_request(&head);
        // unique-id-format: generated before the rules, which may read it
        // (`unique-id`); 2.6 generates it at first use, which gives the
        // same id for formats made of connection and request data.
        let with_id = self.log.conf.as_ref().filter(|c| c.unique_id.is_some());
        if let Some(conf) = with_id.cloned() {
            self.rec.request_counter = self.requests;
            let id = self.log.logger.unique_id(&conf, &mut self.rec);
            self.state.unique_id = id.map(|i| Box::from(i.as_bytes()));
        }
        let fe_rules = fe.rules.clone();
        if let Verdict::Done(next) =
            self.content_rules(&head, &fe_rules, conf, ContentStage::Frontend)
        {
            return next;
        }

        if conf.options.http_buffer_request && !self.buffer_body(&head, &mut edits).await {
            return Next::Close;
        }

        if let Some(uri) = &conf.monitor_uri {
            // A monitor-uri starting with '/' matches the path (absolute
            // URIs included), anything else the whole URI, as HAProxy 2.6.
            let target = head.target.get(self.cbuf.bytes());
            let hit = target == uri.as_bytes()
                || (uri.starts_with('/') && crate::sample::uri_path(target) == uri.as_bytes());
            if hit {
                // Monitor requests are never logged, as in HAProxy.
                self.unlogged = true;
                let bytes = error_bytes(200, ErrorLayer::Http, &[conf]);
                return self.local_response(&head, &bytes).await;
            }
        }

        if let Verdict::Done(next) = self
            .request_rules(&mut head, &fe_rules, conf, &mut edits)
            .await
        {
            return next;
        }
        if let Some(next) = self.stats_page(&head, conf).await {
            return next;
        }

        let Some((be, found)) = self.pick_backend(&head) else {
            self.rec.termination = Termination::new(TermCause::ServerClosed, TermPhase::Connect);
            let bytes = error_bytes(503, ErrorLayer::Http, &[conf]);
            return self.local_response(&head, &bytes).await;
        };
        let be_rules = found.clone().unwrap_or_default();
        self.cur_be = Some(be.clone());
        self.cur_be_rules = found;
        // From here the log names the backend, whatever answers.
        self.rec.backend = Some(be.name.as_str().into());
        // The backend's own rules run after the switch (a listen section is
        // both, and its rules ran above).
        if !(be.conf.cap.frontend && be.name == fe.name) {
            if let Verdict::Done(next) =
                self.content_rules(&head, &be_rules, &be.conf, ContentStage::Backend)
            {
                return next;
            }
            if let Verdict::Done(next) = self
                .request_rules(&mut head, &be_rules, &be.conf, &mut edits)
                .await
            {
                return next;
            }
            if let Some(next) = self.stats_page(&head, &be.conf).await {
                return next;
            }
        }

        // unique-id-header: sent before X-Forwarded-For, as 2.6's
        // http_process_request does.
        let with_id = self.log.conf.as_ref().filter(|c| c.unique_id.is_some());
        if let Some(conf) = with_id.cloned() {
            let id = self.log.logger.unique_id(&conf, &mut self.rec);
            if let (Some(id), Some(h)) = (id, &conf.unique_id_header) {
                edits.add.push((h.clone(), id.to_string()));
            }
        }

        // option forwardfor: the backend's setting, else the frontend's.
        let ff = be
            .conf
            .options
            .forwardfor
            .as_ref()
            .or(conf.options.forwardfor.as_ref());
        if let (Some(ff), Some(src)) = (ff, self.info.src) {
            let ip = src.ip();
            let excepted = ff.except.map(|n| n.contains(ip)).unwrap_or(false);
            let present =
                ff.if_none && find_header(&head.headers, self.cbuf.bytes(), &ff.header).is_some();
            if !excepted && !present {
                edits
                    .add
                    .push((ff.header.clone(), h1::forwardfor_value(ip)));
            }
        }

        let mode = effective_conn_mode(conf, &be.conf);
        // By reference: moved in, the head (144 bytes) and edits sat in the
        // exchange's future twice more, and were copied there per request.
        self.exchange(&mut head, &edits, be, mode, stop).await
    }

    /// `use_backend` rules in order, then `default_backend`, with the
    /// backend's rules when the book has them. A dynamic name naming no
    /// backend ends the search on the default, as 2.6 does.
    fn pick_backend(
        &mut self,
        head: &h1::RequestHead,
    ) -> Option<(Arc<Backend>, Option<Arc<crate::http::rules::ProxyRules>>)> {
        let fe = self.fe.clone();
        for rule in &fe.rules.use_backends {
            if !self.cond_holds(rule.cond.as_ref(), head) {
                continue;
            }
            let found = match &rule.c.fmt {
                Some(f) => {
                    let mut name = Vec::new();
                    self.render(f, head, &mut name);
                    fe.book.backend(&name)
                }
                None => fe.book.backend(rule.action.as_bytes()),
            };
            match found {
                Some((be, r)) => return Some((be.clone(), Some(r.clone()))),
                None => break,
            }
        }
        let be = fe.default_backend.clone()?;
        Some((be, fe.default_rules.clone()))
    }

    /// The rules of backend `be` in the frontend's book: the transaction's
    /// own without a lookup.
    fn rules_of(&self, be: &Arc<Backend>) -> Option<Arc<crate::http::rules::ProxyRules>> {
        match &self.cur_be {
            Some(cur) if Arc::ptr_eq(cur, be) => self.cur_be_rules.clone(),
            _ => self.fe.book.backends.get(&be.name).map(|(_, r)| r.clone()),
        }
    }

    /// The hash key for the backend's balance algorithm, if it needs one.
    fn balance_key(&self, be: &Backend, head: &h1::RequestHead) -> Option<Vec<u8>> {
        let buf = self.cbuf.bytes();
        let need = be.key_need();
        match need.get() {
            KeyNeed::None => None,
            KeyNeed::Expr(_) => {
                let fetch = be.hash_fetch.as_ref()?;
                let view = crate::sample::RequestView {
                    buf,
                    method: head.method_raw.get(buf),
                    target: head.target.get(buf),
                    headers: &head.headers,
                    src: self.info.src,
                    dst: self.info.dst,
                };
                crate::sample::eval(fetch, &view)
            }
            KeyNeed::SourceIp => self
                .info
                .src
                .map(|s| key::source_ip_bytes(s.ip()).as_bytes().to_vec()),
            KeyNeed::Uri {
                whole,
                len,
                depth,
                path_only,
            } => {
                Some(key::uri_key(head.target.get(buf), *whole, *len, *depth, *path_only).to_vec())
            }
            KeyNeed::UrlParam { name, .. } => {
                key::url_param_value(head.target.get(buf), name).map(|v| v.to_vec())
            }
            KeyNeed::Hdr {
                name,
                use_domain_only,
            } => find_header(&head.headers, buf, name)
                .map(|v| key::hdr_key(v, *use_domain_only).to_vec()),
        }
    }

    /// Returns the attached server connection to the shared pool (or closes
    /// it), so another session can use it.
    /// Whether the transaction is its client connection's first (a stream
    /// of an h2/h3 connection never is, as in HAProxy 2.6).
    pub(super) fn first_request(&self) -> bool {
        self.requests <= 1 && !self.info.mux_stream
    }

    fn release_upstream(&mut self, share: bool, now: Instant) {
        if let Some(up) = self.upstream.take() {
            if share && !up.private {
                POOL.put(up.peer, up.stream, up.uses > 1 || up.reused, now);
            }
        }
    }

    /// Gets a connection to a server of `be`: the session's own if it points
    /// at the chosen server, else a pooled one as `http-reuse` allows, else a
    /// new one (with retries and redispatch).
    async fn connect(
        &mut self,
        be: &Arc<Backend>,
        key: Option<&[u8]>,
        exclude: Option<usize>,
        forced: Option<Forced>,
        snis: &RequestSni,
    ) -> Result<(Upstream, ServerLease), ProxyError> {
        let reuse = be.conf.options.http_reuse;
        let timeout = ms(be.conf.timeouts.connect);
        let dst_port = self.info.dst.map(|d| d.port()).unwrap_or(0);
        let mut attempt = 0u32;
        // Retries go to the same server; only a redispatch picks again.
        let mut lease = match forced {
            Some(f) if exclude.is_none() => be.acquire_at(f.index).await?,
            _ => be.acquire(key, exclude).await?,
        };
        let pinned = forced.is_some_and(|f| f.force_persist);
        loop {
            // A connection already open is "connected" at the same instant.
            // The lease's own clock read serves the first attempt.
            let leased = if attempt == 0 {
                lease.at
            } else {
                Instant::now()
            };
            self.times.leased = Some(leased);
            let server = lease.server.clone();
            self.kill_seen = server.kill.generation();
            self.sess.set_target(&be.name, &server.name);
            self.rec.server = Some(server.name.as_str().into());
            let addr = server.addr.load_full();
            // Keyed by TLS settings and SNI too: connections made for
            // another name must never be reused for this one.
            let sni = snis.for_server(&server);
            let peer = PeerKey::new(&addr, dst_port, &server.conf, sni.as_deref());
            // 1. The session's own connection to this very server.
            if let Some(up) = self.upstream.take() {
                if up.server_id == server.id && up.backend_id == be.id && up.peer == peer {
                    crate::stats::feed::server_conn(be, &server, true);
                    self.times.connected = Some(leased);
                    return Ok((up, lease));
                }
                self.upstream = Some(up);
                self.release_upstream(reuse != HttpReuse::Never, leased);
            }
            // 2. An idle connection from the pool, as http-reuse allows.
            let first = self.first_request();
            // `http-reuse never` keeps a connection to its session, as a
            // PROXY header naming the client does.
            let private = server.conf.send_proxy.is_some() || reuse == HttpReuse::Never;
            let pooled = match (reuse, first) {
                _ if private => None,
                (HttpReuse::Never, _) => None,
                (HttpReuse::Safe, true) => None,
                (HttpReuse::Aggressive, true) => POOL.take(&peer, true, leased),
                _ => POOL.take(&peer, false, leased),
            };
            if let Some(IdleConn { stream, .. }) = pooled {
                let up = Upstream {
                    stream,
                    peer,
                    server_id: server.id,
                    backend_id: be.id,
                    uses: 0,
                    reused: true,
                    private,
                };
                crate::stats::feed::server_conn(be, &server, true);
                self.times.connected = Some(leased);
                return Ok((up, lease));
            }
            // 3. A new connection. Boxed: a TLS handshake's state is
            // large, and inline it would be copied with every
            // transaction's future, reused connections and all.
            let fresh = Box::pin(connect_http(
                &server,
                &addr,
                dst_port,
                timeout,
                &self.info,
                ConnFor {
                    sni: sni.as_deref(),
                    unique_id: self.rec.unique_id.as_deref(),
                },
            ));
            match fresh.await {
                Ok((stream, shared)) => {
                    let up = Upstream {
                        stream,
                        peer,
                        server_id: server.id,
                        backend_id: be.id,
                        uses: 0,
                        reused: false,
                        private,
                    };
                    crate::stats::feed::server_conn(be, &server, shared);
                    self.times.connected = Some(Instant::now());
                    return Ok((up, lease));
                }
                Err(e)
                    if e.retryable
                        && be.conf.retry_on.conn_failure
                        && attempt < be.conf.retries =>
                {
                    attempt += 1;
                    self.rec.retries += 1;
                    let redispatch = !pinned
                        && should_redispatch(be.conf.options.redispatch, attempt, be.conf.retries);
                    crate::stats::feed::retry(be, &server, redispatch);
                    if redispatch {
                        let previous = lease.index;
                        drop(lease);
                        self.rec.redispatched = true;
                        lease = be.acquire(key, Some(previous)).await?;
                        if lease.index == previous {
                            retry_pause(timeout).await;
                        }
                    } else {
                        retry_pause(timeout).await;
                    }
                }
                Err(e) => {
                    crate::stats::feed::connect_failed(be, &server);
                    return Err(e);
                }
            }
        }
    }

    async fn exchange(
        &mut self,
        head: &mut h1::RequestHead,
        edits: &RequestEdits,
        be: Arc<Backend>,
        mode: HttpConnMode,
        stop: &watch::Receiver<Stop>,
    ) -> Next {
        let key = self.balance_key(&be, head);
        // Persistence reads the request as the client sent it (rewritten by
        // the rules), before the head leaves the buffer.
        let book = self.fe.book.clone();
        let be_rules = self.rules_of(&be);
        let mut persist = match &be_rules {
            Some(rules) => self.with_ctx(head, |cx| {
                Persistence::on_request(&be, rules, &book.tables, cx)
            }),
            None => Persistence::default(),
        };
        // `sni` expressions too, for whichever server gets picked.
        let snis = match be.has_sni_exprs {
            true => self.with_ctx(head, |cx| RequestSni::evaluate(&be, cx)),
            false => RequestSni::default(),
        };
        // Cookie persistence rewrote the `Cookie` headers (indirect, prefix).
        if let Some(new) = persist.take_cookie_head() {
            if new.len() <= self.opts.max_head && self.cbuf.replace_front(head.head_len, &new) {
                if let Ok(Some(h)) = h1::parse_request(self.cbuf.bytes(), &self.opts) {
                    *head = h;
                }
            }
        }
        persist.log_cookie(&be, &mut self.rec);
        // Named already by the transaction (each naming allocates).
        if self.rec.backend.as_deref() != Some(be.name.as_str()) {
            self.rec.backend = Some(be.name.as_str().into());
        }
        be.total.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let hmode = match mode {
            HttpConnMode::KeepAlive => HttpMode::KeepAlive,
            HttpConnMode::ServerClose => HttpMode::ServerClose,
            HttpConnMode::Close => HttpMode::Close,
        };

        // Request head (rewritten) plus whatever body bytes already arrived.
        self.out.clear();
        {
            let delete: Vec<&str> = edits.delete.iter().map(String::as_str).collect();
            let append: Vec<(&str, &[u8])> = edits
                .add
                .iter()
                .map(|(n, v)| (n.as_str(), v.as_bytes()))
                .collect();
            let he = HeaderEdits {
                delete: &delete,
                append: &append,
                origin_form: self.info.mux_stream,
            };
            h1::write_request_head(&mut self.out, self.cbuf.bytes(), head, hmode, &he);
        }
        self.cbuf.consume(head.head_len);
        let mut req_body = BodyDecoder::new(head.framing);

        // A request entirely in the buffer can be sent again on another
        // connection: after an empty answer on a reused connection (the
        // server closed it as we reused it) and for the `retry-on`
        // conditions. Never a non-idempotent request with a body.
        let idempotent = matches!(
            head.method,
            Method::Get
                | Method::Head
                | Method::Put
                | Method::Delete
                | Method::Options
                | Method::Trace
        );
        let body_len = match head.framing {
            BodyFraming::None => Some(0u64),
            BodyFraming::ContentLength(n) => Some(n),
            _ => None,
        };
        let mut replay_body = 0u64;
        let replay: Option<out_pool::Pooled> = match body_len {
            Some(n)
                if be.conf.retries > 0 && (n == 0 || idempotent) && self.cbuf.len() as u64 >= n =>
            {
                replay_body = n;
                let n = n as usize;
                // `out` takes another buffer from the stock: this one
                // keeps the whole request until the exchange is over.
                let mut bytes =
                    out_pool::Pooled(std::mem::replace(&mut self.out, out_pool::take()));
                bytes.0.extend_from_slice(&self.cbuf.bytes()[..n]);
                self.cbuf.consume(n);
                req_body = BodyDecoder::new(BodyFraming::None);
                Some(bytes)
            }
            _ => None,
        };

        let ct = ms(self.fe.conf.timeouts.client);
        let st = ms(be.conf.timeouts.server);
        let opts = self.opts;
        let fe = self.fe.clone();
        let retry_on = &be.conf.retry_on;
        let mut retries_left = be.conf.retries;
        let mut exclude = None;

        let (mut up, lease, resp, sent) = loop {
            let connected = self
                .connect(&be, key.as_deref(), exclude, persist.forced, &snis)
                .await;
            let (mut up, lease) = match connected {
                Ok(x) => x,
                Err(e) => {
                    // No server, all attempts refused, or the queue timed
                    // out: 503, and the request was sent nowhere.
                    self.rec.termination = e.log_termination();
                    let bytes = error_bytes(503, ErrorLayer::Http, &[&be.conf, &fe.conf]);
                    return self.send_local(head, &bytes).await;
                }
            };
            if let Some(r) = &replay {
                self.out.clear();
                self.out.extend_from_slice(&r.0);
            }
            let reused = up.reused || up.uses > 0;
            // The request goes out now: `timeout server` counts from the
            // connection's instant, read already.
            let sent_at = self.times.connected;

            let (resp, sent) = {
                let (mut cr, mut cw) = self.client.split();
                let (mut sr, mut sw) = up.stream.split();
                let cbuf = &mut self.cbuf;
                let sbuf = &mut self.sbuf;
                let out = &mut self.out;

                // Request going up and response head coming down run
                // concurrently: a server may answer (or send 100-continue)
                // before the body is sent.
                let mut sent: Option<Result<(), ProxyError>> = None;
                // Futures are pinned where they are built: a local moved
                // into `pin!` or `select!` keeps a slot of its own in the
                // transaction's (boxed, copied) future.
                let mut send = pin!(forward_body(
                    &mut req_body,
                    cbuf,
                    &mut cr,
                    &mut sw,
                    out,
                    ct,
                    st,
                    false
                ));
                // `shutdown sessions server`, on-marked-down or the hard
                // stop while the server has yet to answer: 2.6 answers 502
                // (logged K/D H). All three come by the server's kill signal.
                let kill_seen = self.kill_seen;
                let signalled = {
                    let work = pin!(async {
                        loop {
                            tokio::select! {
                                // In order (no random draw per poll): the
                                // upload while it lasts, then the answer.
                                biased;
                                r = send.as_mut(), if sent.is_none() => {
                                    let failed = r.is_err();
                                    sent = Some(r);
                                    if failed { break Err(None); }
                                }
                                r = recv_response(sbuf, &mut sr, &mut cw, head.method, st, sent_at, &opts) => {
                                    break r.map_err(Some)
                                }
                            }
                        }
                    });
                    let signals = pin!(async {
                        // A hard stop that came before the lease still
                        // holds: the generation is ending.
                        let g = match ServerRt::killed_by_hard_stop(kill_seen) {
                            true => kill_seen,
                            false => lease.server.kill.changed_from(kill_seen).await,
                        };
                        if ServerRt::killed_by_hard_stop(g) {
                            return ProxyError::new(
                                Cause::Proxy,
                                Stage::Headers,
                                "hard-stop-after",
                            );
                        }
                        let cause = match ServerRt::kill_cause(g) {
                            TermCause::Killed => Cause::Killed,
                            _ => Cause::Down,
                        };
                        ProxyError::new(cause, Stage::Headers, "killed")
                    });
                    until_signal(work, signals).await
                };
                let resp = match signalled {
                    Ok(r) => r,
                    Err(e) => Err(Some(e)),
                };
                // The body may have finished in the same instant as the head.
                if sent.is_none() {
                    tokio::select! {
                        biased;
                        r = &mut send => sent = Some(r),
                        _ = std::future::ready(()) => {}
                    }
                }
                (resp, sent)
            };
            let request_done = matches!(sent, Some(Ok(())));

            let retry = replay.is_some()
                && request_done
                && retries_left > 0
                && match &resp {
                    Ok(r) => retry_on.statuses.contains(&r.status),
                    Err(Some(e)) if e.stage == Stage::Headers => match (e.cause, e.detail.as_str())
                    {
                        (Cause::Server, EMPTY_RESPONSE) => retry_on.empty_response || reused,
                        (Cause::Server, _) => false,
                        (Cause::Proxy, d) if d != "hard-stop-after" => retry_on.junk_response,
                        (Cause::ServerTimeout, _) => retry_on.response_timeout,
                        _ => false,
                    },
                    _ => false,
                };
            if retry {
                retries_left -= 1;
                // Whatever the server sent is discarded with its connection.
                let n = self.sbuf.len();
                self.sbuf.consume(n);
                if should_redispatch(
                    be.conf.options.redispatch,
                    be.conf.retries - retries_left,
                    be.conf.retries,
                ) {
                    exclude = Some(lease.index);
                }
                continue;
            }
            break (up, lease, resp, sent);
        };
        let resp = match resp {
            Ok(mut r) => {
                if let Some(rep) = self.response_rules(&mut r, &be, head.method) {
                    // The server's response is not sent: its connection goes.
                    drop((up, lease));
                    let done = matches!(sent, Some(Ok(())));
                    return self.send_replacement(head, rep, done).await;
                }
                if let Some(rules) = &be_rules {
                    self.with_res_ctx(&r, &be, |cx| {
                        persist.on_response(&be, rules, &book.tables, cx)
                    });
                }
                let redisp = self.rec.redispatched;
                let (sb, m) = (self.sbuf.bytes(), head.method);
                if let Some(new) = persist.cookie_response(&be, lease.index, redisp, m, &r, sb) {
                    if new.len() <= self.opts.max_head && self.sbuf.replace_front(r.head_len, &new)
                    {
                        if let Ok(Some(h)) = h1::parse_response(self.sbuf.bytes(), m, &self.opts) {
                            r = h;
                        }
                    }
                }
                persist.log_cookie(&be, &mut self.rec);
                persist.store(&lease.server);
                self.after_forwarded(&mut r, head.method);
                Ok(r)
            }
            Err(e) => Err(e),
        };
        let request_done = matches!(sent, Some(Ok(())));
        // An h2 server may answer before the request ends (gRPC streams):
        // the request body keeps flowing beside the response (full duplex).
        let duplex = sent.is_none() && crate::http2::pool::speaks_h2(&lease.server);
        let error_proxies: [&Proxy; 2] = [&be.conf, &fe.conf];
        // http-after-response also runs on the 502/504 sent in the
        // server's place; the rules need the session, not yet split.
        let after_err = match &resp {
            Err(e) => {
                let timeout = matches!(e, Some(e) if e.cause == Cause::ServerTimeout);
                let status = if timeout { 504 } else { 502 };
                self.after_response(&error_bytes(status, ErrorLayer::Http, &error_proxies))
            }
            Ok(_) => None,
        };
        let (mut cr, mut cw) = self.client.split();
        let (mut sr, mut sw) = up.stream.split();
        let cbuf = &mut self.cbuf;
        let sbuf = &mut self.sbuf;
        let out = &mut self.out;
        // Request bytes read but not yet sent when the head came.
        let mut up_pending = if duplex {
            std::mem::take(out)
        } else {
            Vec::new()
        };

        let resp = match resp {
            Ok(r) => {
                self.times.resp_head = Some(Instant::now());
                self.rec.status = Some(r.status);
                r
            }
            Err(err) => {
                crate::stats::feed::http_server_failed(
                    &be,
                    &lease.server,
                    matches!(&sent, Some(Err(e)) if matches!(e.cause, Cause::Client | Cause::ClientTimeout)),
                    Some(match &err {
                        Some(e) if e.cause == Cause::ServerTimeout => 504,
                        _ => 502,
                    }),
                );
                drop(lease);
                self.rec.termination = match (&sent, &err) {
                    (Some(Err(e)), _) => e.log_termination(),
                    (_, Some(e)) => e.log_termination(),
                    _ => Termination::new(TermCause::Internal, TermPhase::Headers),
                };
                let client_failed = matches!(&sent, Some(Err(e)) if matches!(e.cause, Cause::Client | Cause::ClientTimeout));
                if client_failed {
                    // A bad chunk from the client is a 400; a client that
                    // left gets nothing.
                    if let Some(Err(e)) = &sent {
                        if e.stage == Stage::Data && e.detail.starts_with("bad") {
                            let bytes = h1::error_response(400, ErrorLayer::H1);
                            let _ = within(ct, cw.write_all(&bytes)).await;
                        }
                    }
                    return Next::Close;
                }
                // The server failed to answer: 502, or 504 on timeout. The
                // client connection survives if its request was complete.
                let status = match err {
                    Some(e) if e.cause == Cause::ServerTimeout => 504,
                    _ => 502,
                };
                let keep = request_done && head.keep_alive && *stop.borrow() == Stop::Running;
                let bytes = match after_err {
                    Some(b) => std::borrow::Cow::Owned(b),
                    None => error_bytes(status, ErrorLayer::Http, &error_proxies),
                };
                let http10 = head.version == h1::Version::Http10;
                let bytes = with_connection(&bytes, !keep, http10);
                self.rec.status = status_of(&bytes);
                self.rec.bytes_out = h1::htx::generated_response(&bytes);
                let ok = matches!(within(ct, cw.write_all(&bytes)).await, Some(Ok(())));
                return if ok && keep {
                    Next::KeepAlive
                } else {
                    Next::Close
                };
            }
        };

        // Keep-alive decisions, known before writing the response head.
        let tunnel = resp.framing == BodyFraming::Tunnel;
        // A soft stop that began while this request was in flight closes the
        // connection after it, and says so (`connection: close`).
        let client_close = h1::client_close_after(hmode, head, &resp)
            || !request_done
            || *stop.borrow() != Stop::Running;
        let server_keep = resp.server_keep_alive
            && hmode == HttpMode::KeepAlive
            && request_done
            && !tunnel
            && resp.framing != BodyFraming::UntilClose;
        out.clear();
        let mut head_lost = false;
        match &cw {
            // A bridge that builds its response from fields gets them as
            // such, not as HTTP/1 to parse again.
            crate::stream::WriteHalf::Mem(m)
                if m.peer_takes_heads() != crate::stream::mem::HeadKind::Bytes =>
            {
                use crate::stream::mem::{HeadFields, HeadKind};
                let response = if m.peer_takes_heads() == HeadKind::Hpack {
                    HeadFields::Hpack(crate::http2::convert::hpack_head(&resp, sbuf.bytes()))
                } else {
                    HeadFields::Fields(Box::new(crate::http2::convert::response_fields(
                        &resp,
                        sbuf.bytes(),
                    )))
                };
                let head = crate::stream::mem::Head {
                    response,
                    framing: resp.framing,
                };
                // Failing, as writing the head would: the client is gone.
                head_lost = m.send_head(head).is_err();
            }
            _ => {
                let conn = h1::response_connection_value(client_close, head, &resp);
                h1::write_response_head(out, sbuf.bytes(), &resp, conn, &HeaderEdits::default());
            }
        }
        if let Some(conf) = self.log.active() {
            let buf = sbuf.bytes();
            self.rec.captured_response = conf
                .capture_response
                .iter()
                .map(|c| find_header(&resp.headers, buf, &c.name).map(|v| c.take(v)))
                .collect();
            response_rules::fill_captures(&mut self.state, &mut self.rec, conf);
        }
        // What 2.6 counts for the head (its HTX size), not what is written.
        let head_out = h1::htx::response_head(&resp);
        sbuf.consume(resp.head_len);

        if tunnel {
            // 101 Switching Protocols: from now on, raw bytes both ways.
            out.extend_from_slice(sbuf.bytes());
            let n = sbuf.len();
            sbuf.consume(n);
            let ok = matches!(within(ct, cw.write_all(out)).await, Some(Ok(())));
            let early: Vec<u8> = cbuf.bytes().to_vec();
            cbuf.consume(early.len());
            let early_ok =
                early.is_empty() || matches!(within(st, sw.write_all(&early)).await, Some(Ok(())));
            if ok && early_ok {
                let t = &fe.conf.timeouts;
                let tunnel = be.conf.timeouts.tunnel;
                let idle = crate::forward::Idle {
                    client: ms(tunnel.or(t.client)),
                    server: ms(tunnel.or(be.conf.timeouts.server)),
                    client_fin: ms(t.client_fin),
                    server_fin: ms(be.conf.timeouts.server_fin),
                };
                // Boxed: a rare path, whose state would otherwise widen
                // every transaction's future (an h2 stream's box holds it).
                let fwd = Box::pin(crate::forward::forward(
                    &self.client,
                    &up.stream,
                    idle,
                    false,
                ));
                tokio::select! {
                    biased;
                    _ = fwd => {}
                    g = lease.server.kill.changed_from(self.kill_seen) => {
                        let cause = ServerRt::kill_cause(g);
                        self.rec.termination = Termination::new(cause, TermPhase::Data);
                    }
                }
            }
            drop(lease);
            return Next::Close;
        }

        let mut resp_body = BodyDecoder::new(resp.framing);
        let kill_seen = self.kill_seen;
        if head_lost {
            resp_body = BodyDecoder::new(BodyFraming::None);
        }
        let fwd = {
            let work = pin!(async {
                tokio::select! {
                    biased;
                    r = forward_body(&mut resp_body, sbuf, &mut sr, &mut cw, out, st, ct, true) => r,
                    // Never: the upload stays pending once done.
                    _ = async {
                        if duplex {
                            // The client closes after this response anyway (the
                            // request was not done when it began); a failed
                            // upload shows up as the server's answer.
                            let _ = forward_body(
                                &mut req_body,
                                cbuf,
                                &mut cr,
                                &mut sw,
                                &mut up_pending,
                                ct,
                                st,
                                false,
                            )
                            .await;
                        }
                        std::future::pending::<()>().await;
                    } => Err(ProxyError::new(Cause::Internal, Stage::Data, "upload ended")),
                }
            });
            // on-marked-down shutdown-sessions. Subscribed only if the body
            // has to wait (see `until_signal`): most responses are whole in
            // the buffer by now.
            let kill = pin!(async {
                ServerRt::kill_cause(lease.server.kill.changed_from(kill_seen).await)
            });
            let r = noting_wait(pin!(until_signal(work, kill))).await;
            r
        };
        let (fwd, body_waited) = fwd;
        let (fwd, killed) = match fwd {
            Ok(r) => (r, None),
            Err(cause) => {
                let e = ProxyError::new(Cause::Internal, Stage::Data, "server down");
                (Err(e), Some(cause))
            }
        };
        let (fwd, killed) = match head_lost {
            true => (
                Err(ProxyError::new(Cause::Client, Stage::Data, "broken pipe")),
                None,
            ),
            false => (fwd, killed),
        };
        let bytes_in = h1::htx::request_head(head) + req_body.htx_bytes() + replay_body;
        // One clock read for the end of the exchange: the stats' total time
        // and the pooled connection's idle start. A body that was whole in
        // the buffer ended at the head's instant (no wait between them).
        let done = match (body_waited, self.times.resp_head) {
            (false, Some(at)) => at,
            _ => Instant::now(),
        };
        self.times.done = Some(done);
        crate::stats::feed::http_server_done(
            &be,
            &lease.server,
            resp.status,
            bytes_in,
            head_out + resp_body.htx_bytes(),
            &crate::stats::feed::Phases {
                start: self.times.start,
                ready: self.times.head_done,
                leased: self.times.leased,
                connected: self.times.connected,
                response: self.times.resp_head,
                end: done,
            },
            fwd.as_ref().err().map(|e| e.cause),
        );
        drop(lease);
        up.uses += 1;
        self.rec.bytes_out = head_out + resp_body.htx_bytes();
        self.rec.bytes_in = bytes_in;
        if let Err(e) = fwd {
            self.rec.termination = if let Some(cause) = killed {
                Termination::new(cause, TermPhase::Data)
            } else {
                e.log_termination()
            };
            return Next::Close;
        }
        if server_keep && self.sbuf.is_empty() {
            self.upstream = Some(up);
            // A mux stream carries a single request: its server connection
            // goes back to the pool now, for the connection's next streams.
            if self.info.mux_stream {
                self.release_upstream(be.conf.options.http_reuse != HttpReuse::Never, done);
            }
        }
        if client_close {
            Next::Close
        } else {
            Next::KeepAlive
        }
    }
}

/// Runs `fut`, and says whether it ever had to wait (returned `Pending`).
async fn noting_wait<F: std::future::Future>(mut fut: std::pin::Pin<&mut F>) -> (F::Output, bool) {
    let mut waited = false;
    std::future::poll_fn(|cx| match fut.as_mut().poll(cx) {
        Poll::Ready(v) => Poll::Ready((v, waited)),
        Poll::Pending => {
            waited = true;
            Poll::Pending
        }
    })
    .await
}

/// The server closed the connection without sending a byte of response.
const EMPTY_RESPONSE: &str = "empty response";

/// Header rewrites collected from http-request rules and options, applied
/// by the h1 writer (deletions first, then the appended lines in order).
#[derive(Debug, Default)]
struct RequestEdits {
    delete: Vec<String>,
    add: Vec<(String, String)>,
}

/// The first value of header `name` (case-insensitive).
fn find_header<'a>(headers: &[HeaderField], buf: &'a [u8], name: &str) -> Option<&'a [u8]> {
    headers
        .iter()
        .find(|h| !h.dropped && h.name.get(buf).eq_ignore_ascii_case(name.as_bytes()))
        .map(|h| h.value.get(buf))
}

fn effective_conn_mode(fe: &Proxy, be: &Proxy) -> HttpConnMode {
    // The stricter of the two wins, as in HAProxy.
    use HttpConnMode::*;
    match (fe.options.http_conn_mode, be.options.http_conn_mode) {
        (Close, _) | (_, Close) => Close,
        (ServerClose, _) | (_, ServerClose) => ServerClose,
        _ => KeepAlive,
    }
}

/// Forwards a body as raw bytes while `body` validates its framing. `pending`
/// holds bytes to send first (the head); small bodies go in the same write.
#[allow(clippy::too_many_arguments)]
async fn forward_body<R, W>(
    body: &mut BodyDecoder,
    src_buf: &mut Buf,
    src: &mut R,
    dst: &mut W,
    pending: &mut Vec<u8>,
    src_timeout: Option<Duration>,
    dst_timeout: Option<Duration>,
    src_is_server: bool,
) -> Result<(), ProxyError>
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let (src_cause, src_to, dst_cause, dst_to) = if src_is_server {
        (
            Cause::Server,
            Cause::ServerTimeout,
            Cause::Client,
            Cause::ClientTimeout,
        )
    } else {
        (
            Cause::Client,
            Cause::ClientTimeout,
            Cause::Server,
            Cause::ServerTimeout,
        )
    };
    loop {
        if !src_buf.is_empty() && !body.is_done() {
            let p = body
                .advance(src_buf.bytes())
                .map_err(|e| ProxyError::new(src_cause, Stage::Data, format!("bad body: {e}")))?;
            pending.extend_from_slice(&src_buf.bytes()[..p.consumed]);
            src_buf.consume(p.consumed);
        }
        if !pending.is_empty() && (body.is_done() || pending.len() >= 8192 || src_buf.is_empty()) {
            match within(dst_timeout, dst.write_all(pending)).await {
                Some(Ok(())) => pending.clear(),
                Some(Err(e)) => return Err(ProxyError::new(dst_cause, Stage::Data, e.to_string())),
                None => return Err(ProxyError::new(dst_to, Stage::Data, "write timeout")),
            }
        }
        if body.is_done() {
            return Ok(());
        }
        match within(src_timeout, src_buf.fill(src)).await {
            Some(Ok(0)) => {
                if body.finish_eof().is_ok() {
                    if !pending.is_empty() {
                        match within(dst_timeout, dst.write_all(pending)).await {
                            Some(Ok(())) => pending.clear(),
                            _ => {
                                return Err(ProxyError::new(dst_cause, Stage::Data, "write failed"))
                            }
                        }
                    }
                    return Ok(());
                }
                return Err(ProxyError::new(
                    src_cause,
                    Stage::Data,
                    "connection closed mid-body",
                ));
            }
            Some(Ok(_)) => {}
            Some(Err(e)) => return Err(ProxyError::new(src_cause, Stage::Data, e.to_string())),
            None => return Err(ProxyError::new(src_to, Stage::Data, "read timeout")),
        }
    }
}

/// Reads the final response head from the server, passing 1xx interim
/// responses (100 Continue) straight to the client.
async fn recv_response<R, W>(
    sbuf: &mut Buf,
    sr: &mut R,
    cw: &mut W,
    method: Method,
    st: Option<Duration>,
    mut sent_at: Option<Instant>,
    opts: &ParseOptions,
) -> Result<h1::ResponseHead, ProxyError>
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    loop {
        if !sbuf.is_empty() {
            match h1::parse_response(sbuf.bytes(), method, opts) {
                Ok(Some(r)) if r.is_interim() => {
                    let n = r.head_len;
                    let _ = cw.write_all(&sbuf.bytes()[..n]).await;
                    sbuf.consume(n);
                    continue;
                }
                Ok(Some(r)) => return Ok(r),
                Ok(None) if sbuf.is_full() => {
                    return Err(ProxyError::new(
                        Cause::Proxy,
                        Stage::Headers,
                        "response head too large",
                    ))
                }
                Ok(None) => {}
                Err(e) => return Err(ProxyError::new(Cause::Proxy, Stage::Headers, e.to_string())),
            }
        }
        // The first wait counts from when the request went out (the
        // caller's clock read); each later one from its own start.
        match within_from(st, sent_at.take(), sbuf.fill(sr)).await {
            Some(Ok(0)) => {
                let what = if sbuf.is_empty() {
                    EMPTY_RESPONSE
                } else {
                    "truncated response"
                };
                return Err(ProxyError::new(Cause::Server, Stage::Headers, what));
            }
            Some(Ok(_)) => {}
            Some(Err(e)) => {
                return Err(ProxyError::new(
                    Cause::Server,
                    Stage::Headers,
                    e.to_string(),
                ))
            }
            None => {
                return Err(ProxyError::new(
                    Cause::ServerTimeout,
                    Stage::Headers,
                    "timeout server",
                ))
            }
        }
    }
}
