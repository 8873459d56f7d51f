//! What the data plane knows about an accepted connection, and where its
//! log lines go.

use crate::log::{Logger, ProxyLogConf};
use crate::runtime::ConnLimit;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Instant, SystemTime};

#[derive(Debug, Clone)]
pub struct ClientInfo {
    /// The client's address (None on unix sockets).
    pub src: Option<SocketAddr>,
    /// The address the client connected to (None on unix sockets).
    pub dst: Option<SocketAddr>,
    /// When the connection was accepted (`%t`), and the same instant on the
    /// monotonic clock for the timers.
    pub accepted: SystemTime,
    pub accepted_at: Instant,
    /// What the TLS handshake negotiated, on an `ssl` bind (the `ssl_fc*`
    /// and `ssl_c*` fetches read it).
    pub tls: Option<Arc<crate::tls::TlsInfo>>,
    /// The PROXY protocol header received on an `accept-proxy` bind, with
    /// its v2 TLVs (authority, unique id, SSL); `src` and `dst` already
    /// hold the addresses it announced.
    pub proxy: Option<Arc<crate::proxyproto::Header>>,
    /// This session is one stream of a multiplexed (h2/h3) client
    /// connection. HAProxy 2.6 marks every such stream "not first"
    /// (`SE_FL_NOT_FIRST`): `http-reuse safe` may hand it an idle server
    /// connection, and `http_first_req` is false.
    pub mux_stream: bool,
}

impl ClientInfo {
    pub fn new(src: Option<SocketAddr>, dst: Option<SocketAddr>) -> Self {
        ClientInfo {
            src,
            dst,
            accepted: SystemTime::now(),
            accepted_at: Instant::now(),
            tls: None,
            proxy: None,
            mux_stream: false,
        }
    }

    /// Takes the addresses a PROXY header announced (when it announced
    /// TCP over IPv4/IPv6; otherwise the socket's own stay, as in HAProxy).
    pub fn set_proxy(&mut self, header: Box<crate::proxyproto::Header>) {
        if let Some((src, dst)) = header.addrs {
            self.src = Some(src);
            self.dst = Some(dst);
        }
        self.proxy = Some(Arc::from(header));
    }
}

/// The wall-clock date of `at`, from the connection's accept date plus the
/// monotonic time since: a stream of a multiplexed connection gets its log
/// date without a second clock read.
pub fn date_at(conn: &ClientInfo, at: Instant) -> SystemTime {
    conn.accepted
        .checked_add(at.saturating_duration_since(conn.accepted_at))
        .unwrap_or(conn.accepted)
}

/// Logging for the sessions of one frontend.
#[derive(Clone)]
pub struct LogCtx {
    pub logger: Arc<Logger>,
    /// The frontend's log settings; None when it logs nothing.
    pub conf: Option<Arc<ProxyLogConf>>,
    /// Process-wide connections (`%ac`).
    pub actconn: ConnLimit,
    /// The frontend's connections (`%fc`).
    pub feconn: Option<ConnLimit>,
}

impl LogCtx {
    /// Whether transactions of this frontend are logged at all (so the
    /// session can skip building records).
    pub fn active(&self) -> Option<&Arc<ProxyLogConf>> {
        self.conf
            .as_ref()
            .filter(|c| c.enabled() && c.format.is_some())
    }
}

/// Milliseconds from `a` to `b`, or -1 when either never happened.
pub fn ms_between(a: Option<Instant>, b: Option<Instant>) -> i64 {
    match (a, b) {
        (Some(a), Some(b)) => b.saturating_duration_since(a).as_millis() as i64,
        _ => -1,
    }
}
