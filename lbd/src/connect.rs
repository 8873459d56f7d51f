//! Picking a server and connecting to it, with `retries` and `option
//! redispatch`: the "pick upstream" and "connect" stages of a session.

use crate::config::model::ProxyProtoVersion;
use crate::error::{Cause, ProxyError, Stage};
use crate::http2::pool as h2pool;
use crate::proxyproto;
use crate::runtime::{Backend, ServerAddrRt, ServerLease, ServerRt};
use crate::sample::{Expr, SampleCtx};
use crate::session::ClientInfo;
use crate::stream::Stream;
use crate::tls::connector::Connector;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::net::{TcpStream, UnixStream};

/// Opens a connection to one server.
pub async fn connect_server(
    addr: &ServerAddrRt,
    dst_port: u16,
    timeout: Option<Duration>,
) -> Result<Stream, ProxyError> {
    let fut = async {
        match addr {
            ServerAddrRt::Ip { .. } => {
                let sa = addr.socket_addr(dst_port).ok_or_else(|| {
                    ProxyError::new(Cause::Internal, Stage::Connect, "server port out of range")
                })?;
                let s = TcpStream::connect(sa).await.map_err(|e| {
                    ProxyError::new(Cause::Server, Stage::Connect, format!("connect {sa}: {e}"))
                        .retryable()
                })?;
                let _ = s.set_nodelay(true);
                Ok(Stream::Tcp(s))
            }
            ServerAddrRt::Unix(path) => {
                UnixStream::connect(path)
                    .await
                    .map(Stream::Unix)
                    .map_err(|e| {
                        ProxyError::new(
                            Cause::Server,
                            Stage::Connect,
                            format!("connect {}: {e}", path.display()),
                        )
                        .retryable()
                    })
            }
            ServerAddrRt::Abstract(name) => {
                use std::os::linux::net::SocketAddrExt;
                let sa = std::os::unix::net::SocketAddr::from_abstract_name(name.as_bytes())
                    .map_err(|e| ProxyError::new(Cause::Internal, Stage::Connect, e.to_string()))?;
                let s = std::os::unix::net::UnixStream::connect_addr(&sa)
                    .and_then(|s| {
                        s.set_nonblocking(true)?;
                        UnixStream::from_std(s)
                    })
                    .map_err(|e| {
                        ProxyError::new(Cause::Server, Stage::Connect, e.to_string()).retryable()
                    })?;
                Ok(Stream::Unix(s))
            }
        }
    };
    match timeout {
        Some(t) => tokio::time::timeout(t, fut).await.unwrap_or_else(|_| {
            Err(
                ProxyError::new(Cause::ServerTimeout, Stage::Connect, "timeout connect")
                    .retryable(),
            )
        }),
        None => fut.await,
    }
}

/// What one request brings to its server connections beside the client:
/// the SNI to send and the request's unique id (`unique-id-format`).
#[derive(Debug, Clone, Copy, Default)]
pub struct ConnFor<'a> {
    pub sni: Option<&'a str>,
    pub unique_id: Option<&'a str>,
}

/// The PROXY protocol header `server` wants for `client` (`send-proxy`,
/// `send-proxy-v2`, with the TLVs of `send-proxy-v2-ssl[-cn]` and
/// `proxy-v2-options`), or None. `unique_id` is the request's.
pub fn proxy_header(
    server: &ServerRt,
    client: &ClientInfo,
    unique_id: Option<&str>,
) -> Option<Vec<u8>> {
    let addrs = client.src.zip(client.dst);
    let opts = server.conf.proxy_v2_options;
    let (ssl, cn) = match server.conf.send_proxy? {
        ProxyProtoVersion::V1 => return Some(proxyproto::encode_v1(addrs)),
        ProxyProtoVersion::V2 => (opts.ssl, opts.cert_cn),
        ProxyProtoVersion::V2Ssl { cn } => (true, cn || opts.cert_cn),
    };
    let tls = client.tls.as_deref();
    let received = client.proxy.as_ref().map(|h| &h.tlvs);
    let tlvs = proxyproto::Tlvs {
        // HAProxy always passes the client's ALPN on.
        alpn: tls.and_then(|t| t.alpn.clone()).map(String::into_bytes),
        // The authority a PROXY header brought wins over the client's SNI,
        // as in 2.6.
        authority: opts
            .authority
            .then(|| {
                received
                    .and_then(|r| r.authority.clone())
                    .or_else(|| tls.and_then(|t| t.sni.clone()))
            })
            .flatten(),
        // Without `unique-id-format` 2.6 still sends the TLV, empty.
        unique_id: opts
            .unique_id
            .then(|| unique_id.unwrap_or_default().as_bytes().to_vec()),
        ssl: ssl.then(|| ssl_tlv(client, cn, opts.ssl_cipher)),
    };
    Some(if opts.crc32c {
        proxyproto::encode_v2_crc32c(addrs, &tlvs)
    } else {
        proxyproto::encode_v2(addrs, &tlvs)
    })
}

/// The SSL TLV of `send-proxy-v2-ssl[-cn]` and `proxy-v2-options ssl,...`:
/// whether the client spoke TLS, its version, with `cn` the client
/// certificate's common name and with `cipher` the cipher suite.
fn ssl_tlv(client: &ClientInfo, cn: bool, cipher: bool) -> proxyproto::SslTlv {
    let Some(t) = &client.tls else {
        return proxyproto::SslTlv::default();
    };
    let mut tlv = proxyproto::SslTlv {
        client: proxyproto::SslTlv::CLIENT_SSL,
        version: Some(t.protocol.to_string()),
        cipher: cipher.then(|| t.cipher.clone()),
        ..proxyproto::SslTlv::default()
    };
    if t.client_cert_used {
        tlv.client |= proxyproto::SslTlv::CLIENT_CERT_CONN | proxyproto::SslTlv::CLIENT_CERT_SESS;
        tlv.verify = u32::try_from(t.verify_result).unwrap_or(u32::MAX);
        if cn {
            tlv.cn = t
                .subject_dn
                .as_deref()
                .and_then(|dn| dn.split('/').find_map(|p| p.strip_prefix("CN=")))
                .map(str::to_string);
        }
    }
    tlv
}

/// The values the `sni` expressions of a backend's servers take for one
/// request, worked out while the request is still readable (before its
/// head leaves the buffer), for whichever server is then picked.
#[derive(Debug, Default)]
pub struct RequestSni {
    /// Expression text and value, one per distinct expression (servers
    /// usually share one, through `default-server`).
    values: Vec<(String, Option<String>)>,
}

impl RequestSni {
    /// Evaluates every distinct `sni` expression of `be`'s servers in `cx`
    /// (nothing at all for a backend without one).
    pub fn evaluate(be: &Backend, cx: &mut dyn SampleCtx) -> RequestSni {
        let mut values: Vec<(String, Option<String>)> = Vec::new();
        if !be.has_sni_exprs {
            return RequestSni { values };
        }
        for expr in be.servers.iter().filter_map(|s| s.sni_expr.as_ref()) {
            if values.iter().all(|(t, _)| t != expr.text()) {
                values.push((expr.text().to_string(), eval_sni(expr, cx)));
            }
        }
        RequestSni { values }
    }

    /// The SNI of a connection to `server` for this request: its constant
    /// `sni`, or its expression's value. None (no SNI) when the expression
    /// finds nothing, as in HAProxy 2.6.
    pub fn for_server(&self, server: &ServerRt) -> Option<String> {
        let ssl = &server.conf.ssl;
        if !ssl.enabled {
            return None;
        }
        match &server.sni_expr {
            None => ssl.sni.clone(),
            Some(expr) => self
                .values
                .iter()
                .find(|(t, _)| t == expr.text())
                .and_then(|(_, v)| v.clone()),
        }
    }
}

/// The value of an `sni` expression in `cx`, as a name.
fn eval_sni(expr: &Expr, cx: &mut dyn SampleCtx) -> Option<String> {
    let name = String::from_utf8(expr.eval(cx)?.to_text()).ok()?;
    (!name.is_empty()).then_some(name)
}

/// Opens a connection to `server` at `addr` for `client`: the PROXY header
/// first when the server line asks for one, then TLS when it says `ssl`,
/// sending `req.sni` (see [`RequestSni`]).
/// The handshake shares the connect timeout: a server that accepts but
/// never answers the handshake is as unreachable as one that never
/// accepts, and is retried the same way.
pub async fn connect_to(
    server: &ServerRt,
    addr: &ServerAddrRt,
    dst_port: u16,
    timeout: Option<Duration>,
    client: &ClientInfo,
    req: ConnFor<'_>,
) -> Result<Stream, ProxyError> {
    let sni = req.sni;
    let mut stream = connect_server(addr, dst_port, timeout).await?;
    if let Some(h) = proxy_header(server, client, req.unique_id) {
        proxyproto::io::write_header(&mut stream, &h)
            .await
            .map_err(|e| {
                ProxyError::new(Cause::Server, Stage::Connect, format!("send-proxy: {e}"))
                    .retryable()
            })?;
    }
    let ssl = &server.conf.ssl;
    if !ssl.enabled {
        return Ok(stream);
    }
    let Stream::Tcp(tcp) = stream else {
        return Err(ProxyError::new(
            Cause::Internal,
            Stage::Connect,
            "ssl toward a unix socket server is not supported",
        ));
    };
    let connector = Connector::for_server(ssl)
        .map_err(|e| ProxyError::new(Cause::Internal, Stage::Connect, e.to_string()))?;
    let ip = tcp
        .peer_addr()
        .map(|a| a.ip())
        .unwrap_or(std::net::Ipv4Addr::UNSPECIFIED.into());
    let hs = connector.connect_as(tcp, ip, sni);
    let res = match timeout {
        Some(t) => tokio::time::timeout(t, hs).await.map_err(|_| {
            ProxyError::new(
                Cause::ServerTimeout,
                Stage::Connect,
                "SSL handshake timeout",
            )
            .retryable()
        })?,
        None => hs.await,
    };
    let conn = res.map_err(|e| {
        let err = ProxyError::new(
            Cause::Server,
            Stage::Connect,
            format!("SSL handshake failure: {e}"),
        );
        // A certificate for another name than the SNI sent is not retried,
        // as 2.6 does: retrying hammers the server, and the name may come
        // from the client, who must not be able to provoke retries.
        if ssl.verifyhost.is_none() && is_name_mismatch(&e) {
            err
        } else {
            err.retryable()
        }
    })?;
    Ok(Stream::Tls(Box::new(conn)))
}

/// Whether a handshake failed on a certificate valid, but not for the name
/// checked.
fn is_name_mismatch(e: &std::io::Error) -> bool {
    matches!(
        e.get_ref().and_then(|i| i.downcast_ref::<rustls::Error>()),
        Some(rustls::Error::InvalidCertificate(
            rustls::CertificateError::NotValidForName
                | rustls::CertificateError::NotValidForNameContext { .. }
        ))
    )
}

/// Opens the way to `server` for one HTTP request: [`connect_to`] for an
/// HTTP/1.1 server; for an h2 one (`proto h2`, ALPN `h2`), a stream on a
/// shared h2 connection, new or pooled, behind an HTTP/1.1 bridge
/// (`crate::http2::back`), so that the session speaks HTTP/1.1 either way.
/// A server offering h2 among other protocols gets whatever its handshake
/// chose, and the choice is remembered for the next request. The flag says
/// whether the stream rides an h2 connection already open: the stats count
/// that as a reuse, not a connect, as 2.6 does.
pub async fn connect_http(
    server: &ServerRt,
    addr: &ServerAddrRt,
    dst_port: u16,
    timeout: Option<Duration>,
    client: &ClientInfo,
    req: ConnFor<'_>,
) -> Result<(Stream, bool), ProxyError> {
    let negotiates = h2pool::negotiates(server);
    let h2 = h2pool::speaks_h2(server);
    if !h2 && !negotiates {
        return Ok((
            connect_to(server, addr, dst_port, timeout, client, req).await?,
            false,
        ));
    }
    let peer = h2pool::PeerId {
        addr: match addr.socket_addr(dst_port) {
            Some(sa) => sa.to_string(),
            None => format!("{addr:?}"),
        },
        ssl: server.conf.ssl.enabled.then(|| server.conf.ssl.clone()),
        proxy_header: proxy_header(server, client, req.unique_id),
        sni: req.sni.map(str::to_string),
    };
    let tls = peer.ssl.is_some();
    let pooled = match h2.then(|| h2pool::take(&peer)).flatten() {
        Some(s) if s.usable().await => Some(s),
        _ => None,
    };
    let shared = pooled.is_some();
    let slot = match pooled {
        Some(s) => s,
        None => {
            let io = connect_to(server, addr, dst_port, timeout, client, req).await?;
            if negotiates {
                let chose_h2 = matches!(&io, Stream::Tls(t) if t.alpn().as_deref() == Some(b"h2"));
                h2pool::remember_alpn(server, chose_h2);
                if !chose_h2 {
                    return Ok((io, false));
                }
            }
            let hs = h2pool::handshake(server, peer, io);
            let res = match timeout {
                Some(t) => tokio::time::timeout(t, hs).await.map_err(|_| {
                    ProxyError::new(Cause::ServerTimeout, Stage::Connect, "h2 handshake timeout")
                        .retryable()
                })?,
                None => hs.await,
            };
            res.map_err(|e| {
                ProxyError::new(Cause::Server, Stage::Connect, format!("h2 handshake: {e}"))
                    .retryable()
            })?
        }
    };
    crate::http2::back::open(slot, tls)
        .map(|s| (s, shared))
        .map_err(|e| ProxyError::new(Cause::Internal, Stage::Connect, e.to_string()))
}

/// Picks a server (queueing for a slot if needed) and connects, retrying
/// as `retries` and `option redispatch` say: HAProxy retries the same
/// server, and redispatches to another one on the retries the option names.
#[allow(clippy::too_many_arguments)]
pub async fn pick_and_connect(
    backend: &Arc<Backend>,
    key: Option<&[u8]>,
    forced: Option<Forced>,
    dst_port: u16,
    client: &ClientInfo,
    snis: &RequestSni,
    unique_id: Option<&str>,
    report: &mut ConnectReport,
) -> Result<(Stream, ServerLease), ProxyError> {
    let conf = &backend.conf;
    let timeout = conf.timeouts.connect.map(Duration::from_millis);
    let retries = conf.retries;
    let mut lease = match forced {
        Some(f) => backend.acquire_at(f.index).await?,
        None => backend.acquire(key, None).await?,
    };
    let pinned = forced.is_some_and(|f| f.force_persist);
    report.leased = Some(Instant::now());
    report.server = Some(lease.server.clone());
    let mut attempt = 0u32;
    loop {
        let sni = snis.for_server(&lease.server);
        match connect_to(
            &lease.server,
            &lease.server.addr.load(),
            dst_port,
            timeout,
            client,
            ConnFor {
                sni: sni.as_deref(),
                unique_id,
            },
        )
        .await
        {
            Ok(s) => {
                report.connected = Some(Instant::now());
                return Ok((s, lease));
            }
            Err(e) if e.retryable && conf.retry_on.conn_failure && attempt < retries => {
                attempt += 1;
                report.retries = attempt;
                if !pinned && should_redispatch(conf.options.redispatch, attempt, retries) {
                    let previous = lease.index;
                    drop(lease);
                    report.redispatched = true;
                    lease = backend.acquire(key, Some(previous)).await?;
                    report.server = Some(lease.server.clone());
                    if lease.index == previous {
                        retry_pause(timeout).await;
                    }
                } else {
                    retry_pause(timeout).await;
                }
            }
            Err(mut e) => {
                // All attempts failed: 503 with `SC` as HAProxy does.
                e.retryable = false;
                return Err(e);
            }
        }
    }
}

/// A server chosen by persistence (`use-server`, a `stick` match, a
/// cookie) rather than by the balance algorithm.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Forced {
    /// The server's index in its backend.
    pub index: usize,
    /// `force-persist` matched: never redispatch away from it (2.6 keeps
    /// `SF_FORCE_PRST` streams on their server).
    pub force_persist: bool,
}

/// What happened while getting a server connection, for the logs.
#[derive(Debug, Default)]
pub struct ConnectReport {
    /// When a server slot was obtained (end of the queue wait).
    pub leased: Option<Instant>,
    /// When the connection was established.
    pub connected: Option<Instant>,
    /// The backend the session was switched to.
    pub backend: Option<Arc<Backend>>,
    pub server: Option<Arc<crate::runtime::ServerRt>>,
    pub retries: u32,
    pub redispatched: bool,
}

/// HAProxy waits min(`timeout connect`, 1 s) between attempts to the same
/// server (its turn-around timer), so a dead server is not hammered.
pub async fn retry_pause(connect_timeout: Option<Duration>) {
    let pause = connect_timeout
        .unwrap_or(Duration::from_secs(1))
        .min(Duration::from_secs(1));
    tokio::time::sleep(pause).await;
}

/// `option redispatch [interval]`: a positive interval redispatches every
/// `interval` retries, a negative one counts back from the last retry (the
/// bare option is -1: the last retry only), 0 or absent never.
pub fn should_redispatch(redispatch: Option<i32>, attempt: u32, retries: u32) -> bool {
    match redispatch {
        None | Some(0) => false,
        Some(n) if n > 0 => attempt.is_multiple_of(n as u32),
        Some(n) => {
            let from_end = retries.saturating_sub(attempt) + 1;
            from_end <= n.unsigned_abs()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::should_redispatch;

    #[test]
    fn redispatch_intervals() {
        assert!(!should_redispatch(None, 1, 3));
        assert!(should_redispatch(Some(1), 1, 3));
        assert!(should_redispatch(Some(2), 2, 3));
        assert!(!should_redispatch(Some(2), 1, 3));
        // -1: only on the last retry.
        assert!(!should_redispatch(Some(-1), 1, 3));
        assert!(should_redispatch(Some(-1), 3, 3));
    }
}
