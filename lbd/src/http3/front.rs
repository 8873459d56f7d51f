//! The HTTP/3 frontend: the QUIC handshake of an accepted connection, one
//! h3 server connection on it, and for each request stream a bridge into
//! lbd's HTTP/1.1 session (`crate::http::serve`) over an in-memory pipe,
//! as `crate::http2` does for h2 streams. This module only translates;
//! it must not decide anything the H1 session decides.
//!
//! Bounded per connection: concurrent request streams (the QUIC stream
//! limit, see `config`), header section size (the H1 head limit), idle
//! time (`timeout client` as the QUIC idle timeout).

use super::convert::{self, Piece, RequestFraming};
use crate::h1::{BodyFraming, Method, ParseOptions};
use crate::runtime::Frontend;
use crate::server::Stop;
use crate::session::{ClientInfo, LogCtx};
use crate::stats::sess::SessEntry;
use crate::stream::mem::{self, MemStream};
use crate::stream::Stream;
use crate::tls::TlsInfo;
use bytes::{Buf, Bytes, BytesMut};
use h3::error::Code;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::AsyncWriteExt;
use tokio::sync::watch;

type Resolver = h3::server::RequestResolver<h3_quinn::Connection, Bytes>;
type SendHalf = h3::server::RequestStream<h3_quinn::SendStream<Bytes>, Bytes>;
type RecvHalf = h3::server::RequestStream<h3_quinn::RecvStream, Bytes>;

/// Completes the QUIC (TLS) handshake of an incoming connection, bounded
/// by `timeout client` as TCP handshakes are. The error is HAProxy's
/// connection-error text for the log.
pub async fn handshake(
    fe: &Frontend,
    incoming: quinn::Incoming,
    mut info: ClientInfo,
) -> Result<(quinn::Connection, ClientInfo), &'static str> {
    let connecting = incoming
        .accept()
        .map_err(|_| "Connection error during SSL handshake")?;
    let why = |e: quinn::ConnectionError| match e {
        quinn::ConnectionError::TimedOut => "Timeout during SSL handshake",
        quinn::ConnectionError::TransportError(_) => "SSL handshake failure",
        _ => "Connection closed during SSL handshake",
    };
    let conn = match fe.conf.timeouts.client {
        Some(ms) => tokio::time::timeout(Duration::from_millis(ms), connecting)
            .await
            .map_err(|_| "Timeout during SSL handshake")?
            .map_err(why)?,
        None => connecting.await.map_err(why)?,
    };
    info.tls = Some(Arc::new(tls_info(&conn)));
    Ok((conn, info))
}

/// What the handshake negotiated, for the `ssl_fc*`/`ssl_c*` fetches.
/// quinn does not expose the cipher suite, so `ssl_fc_cipher` is empty.
fn tls_info(conn: &quinn::Connection) -> TlsInfo {
    let mut info = TlsInfo {
        protocol: "TLSv1.3",
        ..TlsInfo::default()
    };
    if let Some(hd) = conn
        .handshake_data()
        .and_then(|d| d.downcast::<quinn::crypto::rustls::HandshakeData>().ok())
    {
        info.sni = hd.server_name.clone();
        info.alpn = hd
            .protocol
            .as_ref()
            .map(|p| String::from_utf8_lossy(p).into_owned());
    }
    let certs = conn.peer_identity().and_then(|p| {
        p.downcast::<Vec<rustls::pki_types::CertificateDer<'static>>>()
            .ok()
    });
    if let Some(leaf) = certs.as_ref().and_then(|c| c.first()) {
        info.client_cert_used = true;
        if let Ok((_, cert)) = x509_parser::parse_x509_certificate(leaf.as_ref()) {
            info.subject_dn = Some(crate::tls::acceptor::oneline_dn(cert.subject()));
            info.issuer_dn = Some(crate::tls::acceptor::oneline_dn(cert.issuer()));
            info.serial = Some(cert.raw_serial().to_vec());
        }
    }
    info
}

/// Serves one HTTP/3 connection until the client leaves, the idle timeout
/// closes it, or a stop has let its streams finish (GOAWAY first).
pub async fn serve(
    fe: Arc<Frontend>,
    conn: quinn::Connection,
    info: ClientInfo,
    stop: watch::Receiver<Stop>,
    log: LogCtx,
    sess: Arc<SessEntry>,
) {
    let opts = crate::http::parse_options(&fe);
    // `tcp-request session` rules, once for the connection, as 2.6 runs
    // them for QUIC (its QUIC accept has no `tcp-request connection` step).
    let conn_state = match crate::tcp::start_session(&fe, &info, Default::default()) {
        Ok(state) => Arc::new(state),
        Err(_) => {
            conn.close(quinn::VarInt::from_u32(0x102), b"");
            return;
        }
    };
    let idle = super::config::idle_timeout(&fe);
    let mut builder = h3::server::builder();
    builder.max_field_section_size(opts.max_head as u64);
    let built = builder.build::<_, Bytes>(h3_quinn::Connection::new(conn.clone()));
    let Ok(Ok(mut h3c)) = tokio::time::timeout(idle, built).await else {
        conn.close(quinn::VarInt::from_u32(0x102), b"");
        return;
    };
    let ctx = crate::http::MuxConn {
        fe,
        info,
        stop: stop.clone(),
        log,
        sess: sess.clone(),
        opts,
        conn_state,
    };
    let mut stop = stop;
    let mut streams = tokio::task::JoinSet::new();
    let mut closing = false;
    loop {
        tokio::select! {
            r = h3c.accept() => match r {
                Ok(Some(resolver)) => {
                    streams.spawn(request(ctx.clone(), resolver));
                }
                // The client said GOAWAY and its requests are done, or the
                // connection closed (client, idle timeout, protocol error).
                Ok(None) | Err(_) => break,
            },
            Some(_) = streams.join_next(), if !streams.is_empty() => {
                if closing && streams.is_empty() {
                    break;
                }
            }
            r = stop.changed(), if !closing => {
                closing = true;
                if r.is_err() || *stop.borrow() == Stop::Hard {
                    break;
                }
                // GOAWAY: no new request; those accepted finish first.
                if h3c.shutdown(0).await.is_err() || streams.is_empty() {
                    break;
                }
            }
            _ = sess.killed() => break,
        }
    }
    // Dropping the h3 connection closes QUIC with H3_NO_ERROR; the stream
    // tasks still running (hard stop, kill, closed connection) end with it.
    streams.abort_all();
    drop(h3c);
}

/// One request stream: its headers, then the bridge.
async fn request(ctx: crate::http::MuxConn, resolver: Resolver) {
    // A stream whose headers do not decode was answered by h3 already.
    let Ok((req, stream)) = resolver.resolve_request().await else {
        return;
    };
    let (parts, ()) = req.into_parts();
    let (mut send, recv) = stream.split();
    match bridge(&ctx, parts, &mut send, recv).await {
        Ok(()) | Err(Flow::ClientReset) => {}
        Err(Flow::Session) => send.stop_stream(Code::H3_INTERNAL_ERROR),
        Err(Flow::Malformed) => send.stop_stream(Code::H3_MESSAGE_ERROR),
    }
}

/// Why a stream ended early.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Flow {
    /// The client reset the stream or left.
    ClientReset,
    /// The request body disagreed with its `content-length` (RFC 9114,
    /// 4.1.2): passing it on would let the surplus read as a second
    /// request on the H1 side.
    Malformed,
    /// The H1 session ended without a complete response.
    Session,
}

/// The announced body length, when it is one clean number (anything else
/// is the H1 session's to refuse with a 400).
fn content_length(headers: &http::HeaderMap) -> Option<u64> {
    let mut values = headers.get_all(http::header::CONTENT_LENGTH).iter();
    let first = values.next()?.to_str().ok()?.trim().parse().ok()?;
    values.next().is_none().then_some(first)
}

/// One h3 request through an H1 session.
async fn bridge(
    ctx: &crate::http::MuxConn,
    parts: http::request::Parts,
    send: &mut SendHalf,
    mut recv: RecvHalf,
) -> Result<(), Flow> {
    // Without a length, whether a body follows shows only in the stream
    // itself: the first DATA frame, or the end of the stream.
    let length = content_length(&parts.headers);
    let announced = parts.headers.contains_key(http::header::CONTENT_LENGTH);
    let mut first = None;
    let end = match announced {
        true => length == Some(0),
        false => match recv.recv_data().await {
            Ok(None) => true,
            Ok(Some(mut b)) => {
                first = Some(b.copy_to_bytes(b.remaining()));
                false
            }
            Err(_) => return Err(Flow::ClientReset),
        },
    };
    let method = Method::from_bytes(parts.method.as_str().as_bytes());
    let (ours, theirs) = mem::pair_with_heads().map_err(|_| Flow::Session)?;
    // The head is built right where the session reads it, and handed to
    // it already parsed.
    let (framing, head) = ours.preload(|out| {
        out.reserve(convert::request_head_len(&parts));
        convert::request(&parts, end, false, super::H3_VERSION, &ctx.opts, out)
    });
    let session = ctx.open_stream(Stream::Mem(theirs), head, Instant::now());
    tokio::spawn(Box::pin(session.serve(ctx.stop.clone())));
    let (rd, mut wr) = (&ours, &ours);
    let mut body = Body {
        recv,
        first,
        framing,
        length,
        finished: end && !announced,
    };
    let outcome = {
        let up = request_up(&mut wr, &mut body);
        tokio::pin!(up);
        let mut up_done = false;
        let down = response_down(rd, send, method, &ctx.opts);
        tokio::pin!(down);
        let r = loop {
            tokio::select! {
                r = &mut up, if !up_done => {
                    up_done = true;
                    if let Err(e @ (Flow::ClientReset | Flow::Malformed)) = r {
                        break Err(e);
                    }
                }
                r = &mut down => break r,
            }
        };
        // A response complete before the request (a deny, an early
        // answer): the client may still be sending what nobody needs now;
        // let it finish for a moment rather than cutting its stream.
        if r.is_ok() && !up_done {
            let _ = tokio::time::timeout(REQUEST_TAIL, &mut up).await;
        }
        r
    };
    if !body.finished {
        // RFC 9114, 4.1: a complete response lets the server stop reading
        // the request, with H3_NO_ERROR so the client does not fail.
        body.recv.stop_sending(Code::H3_NO_ERROR);
    }
    // The session's input stays open until now: a half-close would read
    // as the client leaving before its response.
    drop(ours);
    outcome
}

/// How long the rest of a request may keep coming after its response was
/// sent, before its stream is stopped.
const REQUEST_TAIL: Duration = Duration::from_secs(1);

/// The request body as it arrives on the stream.
struct Body {
    recv: RecvHalf,
    /// The DATA read early to learn whether a body follows.
    first: Option<Bytes>,
    framing: RequestFraming,
    /// `content-length`, checked against what the client sends.
    length: Option<u64>,
    /// The client's end of stream was read.
    finished: bool,
}

/// Writes the request body into the H1 session (the head is already in
/// the pipe), and reads the request stream to its end.
async fn request_up(wr: &mut &MemStream, body: &mut Body) -> Result<(), Flow> {
    if body.finished {
        return Ok(());
    }
    let chunked = body.framing == RequestFraming::Chunked;
    let mut sent = 0u64;
    let mut pending = body.first.take();
    loop {
        let data = match pending.take() {
            Some(d) => d,
            None => match body.recv.recv_data().await {
                Ok(Some(mut b)) => b.copy_to_bytes(b.remaining()),
                Ok(None) => break,
                Err(_) => return Err(Flow::ClientReset),
            },
        };
        sent += data.len() as u64;
        if body.length.is_some_and(|l| sent > l) {
            return Err(Flow::Malformed);
        }
        if chunked && !data.is_empty() {
            let size = format!("{:x}\r\n", data.len());
            wr.write_all(size.as_bytes())
                .await
                .map_err(|_| Flow::Session)?;
            wr.write_all(&data).await.map_err(|_| Flow::Session)?;
            wr.write_all(b"\r\n").await.map_err(|_| Flow::Session)?;
        } else {
            wr.write_all(&data).await.map_err(|_| Flow::Session)?;
        }
    }
    if body.length.is_some_and(|l| sent != l) {
        return Err(Flow::Malformed);
    }
    let trailers = body
        .recv
        .recv_trailers()
        .await
        .map_err(|_| Flow::ClientReset)?;
    body.finished = true;
    if chunked {
        let mut out = Vec::with_capacity(32);
        convert::chunked_trailers(trailers.as_ref(), &mut out);
        wr.write_all(&out).await.map_err(|_| Flow::Session)?;
    }
    Ok(())
}

/// Reads the H1 response out of the session and sends it on the stream,
/// trailers included.
async fn response_down(
    rd: &MemStream,
    send: &mut SendHalf,
    method: Method,
    opts: &ParseOptions,
) -> Result<(), Flow> {
    let mut buf = BytesMut::new();
    // A forwarded response comes as fields; one lbd generated (an error
    // page, a redirect, a deny) as HTTP/1 bytes, parsed here.
    let (resp, framing) = loop {
        let parsed = convert::buffered_response_head(&mut buf, method, opts);
        if let Some(h) = parsed.map_err(|_| Flow::Session)? {
            break h;
        }
        let got = read_head(rd, &mut buf).await?;
        if let Some(h) = convert::piped_response_head(got, &buf).map_err(|_| Flow::Session)? {
            break h;
        }
    };
    send.send_response(resp)
        .await
        .map_err(|_| Flow::ClientReset)?;
    match framing {
        BodyFraming::None | BodyFraming::ContentLength(0) => {}
        BodyFraming::ContentLength(mut left) => loop {
            if !buf.is_empty() {
                let n = (buf.len() as u64).min(left) as usize;
                left -= n as u64;
                send_data(send, buf.split_to(n).freeze()).await?;
                if left == 0 {
                    break;
                }
            }
            if read_more(rd, &mut buf).await? == 0 {
                return Err(Flow::Session);
            }
        },
        BodyFraming::Chunked => {
            let mut dechunk = convert::Dechunker::default();
            'body: loop {
                while let Some(p) = dechunk.next(&mut buf).map_err(|_| Flow::Session)? {
                    match p {
                        Piece::Data(d) => send_data(send, d).await?,
                        Piece::End(t) if t.is_empty() => break 'body,
                        Piece::End(t) => {
                            send.send_trailers(t).await.map_err(|_| Flow::ClientReset)?;
                            break 'body;
                        }
                    }
                }
                if read_more(rd, &mut buf).await? == 0 {
                    return Err(Flow::Session);
                }
            }
        }
        // HTTP/3 has no tunnel outside CONNECT: both read until close.
        BodyFraming::UntilClose | BodyFraming::Tunnel => loop {
            if !buf.is_empty() {
                send_data(send, buf.split().freeze()).await?;
            }
            if read_more(rd, &mut buf).await? == 0 {
                break;
            }
        },
    }
    send.finish().await.map_err(|_| Flow::ClientReset)
}

async fn read_head(rd: &MemStream, buf: &mut BytesMut) -> Result<mem::Incoming, Flow> {
    std::future::poll_fn(|cx| rd.poll_read_head(cx, buf))
        .await
        .map_err(|_| Flow::Session)
}

/// Body bytes: a second head there is the session's mistake.
async fn read_more(rd: &MemStream, buf: &mut BytesMut) -> Result<usize, Flow> {
    match read_head(rd, buf).await? {
        mem::Incoming::Bytes(n) => Ok(n),
        mem::Incoming::Head(_) => Err(Flow::Session),
    }
}

async fn send_data(send: &mut SendHalf, data: Bytes) -> Result<(), Flow> {
    if data.is_empty() {
        return Ok(());
    }
    send.send_data(data).await.map_err(|_| Flow::ClientReset)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_line_says_http_3() {
        let req = http::Request::builder()
            .method("GET")
            .uri("https://example.test/a?b")
            .body(())
            .unwrap_or_else(|e| panic!("{e}"));
        let (parts, ()) = req.into_parts();
        let mut head = BytesMut::new();
        let opts = ParseOptions::default();
        let (framing, built) = convert::request(
            &parts,
            true,
            false,
            crate::http3::H3_VERSION,
            &opts,
            &mut head,
        );
        assert!(built.is_ok());
        assert_eq!(framing, RequestFraming::Empty);
        assert_eq!(
            String::from_utf8_lossy(&head),
            "GET /a?b HTTP/3.0\r\nhost: example.test\r\n\r\n"
        );
    }

    #[test]
    fn content_length_must_be_one_number() {
        let mut h = http::HeaderMap::new();
        assert_eq!(content_length(&h), None);
        h.insert(
            http::header::CONTENT_LENGTH,
            http::HeaderValue::from_static("12"),
        );
        assert_eq!(content_length(&h), Some(12));
        h.append(
            http::header::CONTENT_LENGTH,
            http::HeaderValue::from_static("12"),
        );
        assert_eq!(content_length(&h), None);
        h.insert(
            http::header::CONTENT_LENGTH,
            http::HeaderValue::from_static("x"),
        );
        assert_eq!(content_length(&h), None);
    }
}
