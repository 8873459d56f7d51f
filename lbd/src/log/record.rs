//! The per-transaction log record the data plane fills (spec 9.3, 9.4).
//!
//! A plain value: the session code sets fields as the transaction goes and
//! hands it to the logger at the end. It knows nothing about formats; every
//! "not reached" or "unknown" value has the representation HAProxy prints
//! (`-1` timers, `<NOSRV>`, `<BADREQ>`, `-`), applied by the renderer.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::SystemTime;

/// First character of `%ts`: what ended the session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TermCause {
    /// `-`: normal end.
    #[default]
    None,
    /// `L`: handled locally (stats, redirect, return).
    Local,
    /// `c`: client-side timeout.
    ClientTimeout,
    /// `C`: client aborted or closed.
    ClientClosed,
    /// `s`: server-side timeout.
    ServerTimeout,
    /// `S`: server aborted or refused, or no server.
    ServerClosed,
    /// `P`: the proxy cut it (deny, limits, invalid message).
    Proxy,
    /// `R`: out of a resource.
    Resource,
    /// `I`: internal error.
    Internal,
    /// `D`: killed because the server went down.
    Down,
    /// `K`: killed by an admin.
    Killed,
    /// `U`: killed on a backup after an active server came back.
    Up,
}

impl TermCause {
    pub fn as_char(self) -> u8 {
        match self {
            TermCause::None => b'-',
            TermCause::Local => b'L',
            TermCause::ClientTimeout => b'c',
            TermCause::ClientClosed => b'C',
            TermCause::ServerTimeout => b's',
            TermCause::ServerClosed => b'S',
            TermCause::Proxy => b'P',
            TermCause::Resource => b'R',
            TermCause::Internal => b'I',
            TermCause::Down => b'D',
            TermCause::Killed => b'K',
            TermCause::Up => b'U',
        }
    }
}

/// Second character of `%ts`: the phase the session was in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TermPhase {
    /// `-`: completed normally.
    #[default]
    None,
    /// `R`: waiting for the full request.
    Request,
    /// `Q`: in a queue.
    Queue,
    /// `C`: connecting to the server.
    Connect,
    /// `H`: waiting for the response headers.
    Headers,
    /// `D`: data transfer.
    Data,
    /// `L`: sending the last data.
    Last,
    /// `T`: tarpitted.
    Tarpit,
}

impl TermPhase {
    pub fn as_char(self) -> u8 {
        match self {
            TermPhase::None => b'-',
            TermPhase::Request => b'R',
            TermPhase::Queue => b'Q',
            TermPhase::Connect => b'C',
            TermPhase::Headers => b'H',
            TermPhase::Data => b'D',
            TermPhase::Last => b'L',
            TermPhase::Tarpit => b'T',
        }
    }
}

/// `%ts` / `%tsc`. The cookie characters are `-` here; a backend with a
/// `cookie` puts its letters in [`TxnLog::cookie_letters`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Termination {
    pub cause: TermCause,
    pub phase: TermPhase,
    pub client_cookie: u8,
    pub server_cookie: u8,
}

impl Default for Termination {
    fn default() -> Self {
        Termination {
            cause: TermCause::None,
            phase: TermPhase::None,
            client_cookie: b'-',
            server_cookie: b'-',
        }
    }
}

impl Termination {
    pub fn new(cause: TermCause, phase: TermPhase) -> Self {
        Termination {
            cause,
            phase,
            ..Termination::default()
        }
    }

    pub fn chars(&self) -> [u8; 4] {
        [
            self.cause.as_char(),
            self.phase.as_char(),
            self.client_cookie,
            self.server_cookie,
        ]
    }
}

/// One transaction (HTTP request) or one TCP session, as the log sees it.
///
/// Timers are the durations of each phase in milliseconds, as `%Th`, `%Ti`,
/// `%TR`, `%Tw`, `%Tc`, `%Tr` and `%Tt` print them; `-1` means the phase was
/// never reached. The derived timers (`%Tq`, `%Ta`, `%Td`, `%Tu`) are computed
/// from these as HAProxy does.
#[derive(Debug, Clone)]
pub struct TxnLog {
    /// `%ci %cp` (and `Connect from`). None renders `-`.
    pub client: Option<SocketAddr>,
    /// `%fi %fp`: the accepting address.
    pub frontend_addr: Option<SocketAddr>,
    /// `%bi %bp`: the source address of the server connection.
    pub backend_src: Option<SocketAddr>,
    /// `%si %sp`: the server's address.
    pub server_addr: Option<SocketAddr>,
    /// `%t %T %Tl %Ts %ms`; the request date (`%tr %trg %trl`) is this plus
    /// `t_handshake + t_idle`.
    pub accept_date: SystemTime,
    /// `%f %ft`.
    pub frontend: Arc<str>,
    /// The frontend's bind line is TLS: `%ft` gets a `~`.
    pub ssl: bool,
    /// `bind ... name`, for the connection-error line.
    pub bind_name: Option<Arc<str>>,
    /// `%b`; None (no backend chosen) prints the frontend's name, as HAProxy.
    pub backend: Option<Arc<str>>,
    /// `%s`; None prints `<NOSRV>`. Applets put `<STATS>`, `<PROMEX>`, `<CACHE>`.
    pub server: Option<Arc<str>>,
    /// The session is HTTP (the frontend's mode): `%Td` and `%ST` depend on it.
    pub http: bool,
    /// `%Th`: TLS or PROXY handshake.
    pub t_handshake: i64,
    /// `%Ti`: idle time before the first byte of the request.
    pub t_idle: i64,
    /// `%TR`: time to receive the full request headers.
    pub t_request: i64,
    /// `%Tw`: time in queues.
    pub t_queue: i64,
    /// `%Tc`: time to connect to the server.
    pub t_connect: i64,
    /// `%Tr`: server response time (headers).
    pub t_response: i64,
    /// `%Tt`: total time from accept to close.
    pub t_total: i64,
    /// `%ST`. None prints `-1` in HTTP (no response) and `0` in TCP.
    pub status: Option<u16>,
    /// `%B`: bytes sent to the client.
    pub bytes_out: u64,
    /// `%U`: bytes received from the client. `option dontlognull` skips
    /// records where this is 0.
    pub bytes_in: u64,
    /// `%ts %tsc`.
    pub termination: Termination,
    /// `%tsc`'s cookie letters when the backend has a `cookie` (they
    /// survive the termination being set anew on an error path).
    pub cookie_letters: Option<[u8; 2]>,
    /// `%ac`: process-wide concurrent connections.
    pub actconn: u32,
    /// `%fc`: the frontend's concurrent connections.
    pub feconn: u32,
    /// `%bc`: the backend's concurrent connections.
    pub beconn: u32,
    /// `%sc`: the server's concurrent connections (0 without a server).
    pub srv_conn: u32,
    /// `%rc`: connection retries.
    pub retries: u32,
    /// `%rc` gets a `+` after a redispatch.
    pub redispatched: bool,
    /// `%sq`: position in the server queue.
    pub srv_queue: u32,
    /// `%bq`: position in the backend queue.
    pub be_queue: u32,
    /// `%rt`: the request counter (HAProxy's unique request id).
    pub request_counter: u64,
    /// The request line as received, without CRLF (`%r %HM %HU %HP %HPO
    /// %HQ %HV`). None prints `<BADREQ>`. The session truncates it at
    /// `tune.http.logurilen` (1024).
    pub request_line: Option<Vec<u8>>,
    /// `%hr %hrl`: one slot per `capture request header`, in declaration
    /// order, already truncated to its `len`. Empty when none is configured.
    pub captured_request: Vec<Option<Vec<u8>>>,
    /// `%hs %hsl`: the same for `capture response header`.
    pub captured_response: Vec<Option<Vec<u8>>>,
    /// `%CC %CS`: captured cookies (None prints `-`).
    pub client_cookie: Option<Vec<u8>>,
    pub server_cookie: Option<Vec<u8>>,
    /// `%ID`.
    pub unique_id: Option<String>,
    /// `%sslc %sslv`.
    pub ssl_cipher: Option<Arc<str>>,
    pub ssl_version: Option<Arc<str>>,
    /// `ssl_fc_sni`, `ssl_fc_is_resumed` (`option httpslog`).
    pub ssl_sni: Option<Arc<str>>,
    pub ssl_resumed: bool,
}

impl Default for TxnLog {
    fn default() -> Self {
        TxnLog {
            client: None,
            frontend_addr: None,
            backend_src: None,
            server_addr: None,
            accept_date: SystemTime::UNIX_EPOCH,
            frontend: Arc::from(""),
            ssl: false,
            bind_name: None,
            backend: None,
            server: None,
            http: false,
            t_handshake: 0,
            t_idle: -1,
            t_request: -1,
            t_queue: -1,
            t_connect: -1,
            t_response: -1,
            t_total: 0,
            status: None,
            bytes_out: 0,
            bytes_in: 0,
            termination: Termination::default(),
            cookie_letters: None,
            actconn: 0,
            feconn: 0,
            beconn: 0,
            srv_conn: 0,
            retries: 0,
            redispatched: false,
            srv_queue: 0,
            be_queue: 0,
            request_counter: 0,
            request_line: None,
            captured_request: Vec::new(),
            captured_response: Vec::new(),
            client_cookie: None,
            server_cookie: None,
            unique_id: None,
            ssl_cipher: None,
            ssl_version: None,
            ssl_sni: None,
            ssl_resumed: false,
        }
    }
}

impl TxnLog {
    /// What the log says of the client's TLS session: `%ft`'s `~`, `%sslv`
    /// and `%sslc` (`option httpslog`).
    pub fn set_tls(&mut self, tls: Option<&crate::tls::TlsInfo>) {
        self.ssl = tls.is_some();
        self.ssl_resumed = tls.is_some_and(|t| t.resumed);
        self.ssl_sni = tls.and_then(|t| t.sni.as_deref()).map(Arc::from);
        self.ssl_version = tls.map(|t| Arc::from(t.protocol));
        self.ssl_cipher = tls.map(|t| Arc::from(t.cipher.as_str()));
    }

    /// HAProxy's criterion for an "error" log (sent at `err` with
    /// `option log-separate-errors`, kept by `option dontlog-normal`).
    pub fn is_error(&self) -> bool {
        !matches!(self.termination.cause, TermCause::None | TermCause::Local)
            || self.redispatched
            || (self.termination.cause == TermCause::None && self.retries != 0)
            || (self.http && self.status.is_some_and(|s| s >= 500))
    }

    /// `%Tq` = Th + Ti + TR, or -1 when the request never completed.
    pub fn t_request_total(&self) -> i64 {
        if self.t_request < 0 {
            -1
        } else {
            self.t_request + self.t_idle.max(0) + self.t_handshake.max(0)
        }
    }

    /// `%Ta`: total minus idle and handshake.
    pub fn t_active(&self) -> i64 {
        if self.t_idle >= 0 {
            self.t_total - self.t_idle - self.t_handshake.max(0)
        } else {
            self.t_total
        }
    }

    /// `%Td`: data transfer time.
    pub fn t_data(&self) -> i64 {
        let cum = |parts: &[i64]| -> Option<i64> {
            parts
                .iter()
                .try_fold(0i64, |acc, &v| (v >= 0).then_some(acc + v))
        };
        let tq = self.t_request_total();
        let upto = if self.http {
            cum(&[tq, self.t_queue, self.t_connect, self.t_response])
        } else {
            cum(&[tq.max(0), self.t_queue, self.t_connect])
        };
        upto.map_or(-1, |u| self.t_total - u)
    }

    /// `%Tu`: total minus idle.
    pub fn t_user(&self) -> i64 {
        self.t_total - self.t_idle.max(0)
    }
}
