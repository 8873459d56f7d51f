//! HTTP/2 toward servers (`proto h2`, or ALPN `h2` on an `ssl` server):
//! each request becomes a stream on a multiplexed connection shared by
//! every session going to the same peer (see [`super::pool`]).
//!
//! The H1 session stays the single place where rules, retries, logs and
//! counters live: it gets, as its "server connection", one end of an
//! in-memory pipe (`crate::stream::mem`), and [`bridge`] on the other end reads the HTTP/1.1 request,
//! sends it as an h2 stream and writes the h2 response back as HTTP/1.1
//! (chunked when it has no length, so trailers survive). One request per
//! bridge: the response says `connection: close`, and the session's next
//! request opens a new stream on the same shared h2 connection. A stream
//! reset or a connection lost before the response head closes the pair
//! without a byte, which the session logs and answers like any server that
//! closed without answering (502, `SH`).

use super::convert::{self, Piece};
use super::pool::Slot;
use crate::h1::{self, BodyFraming, ParseOptions};
use crate::stream::mem::{self, MemStream};
use crate::stream::Stream;
use bytes::{Bytes, BytesMut};
use h2::{RecvStream, SendStream};
use http::header::{HeaderMap, HeaderName, HeaderValue};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Request heads the session writes fit its buffer; this bounds the bridge
/// against anything larger all the same.
const MAX_HEAD: usize = 64 * 1024;

/// Starts a bridge for one request over `sender` and returns the session's
/// end of it.
pub fn open(slot: Slot, tls: bool) -> std::io::Result<Stream> {
    let (ours, theirs) = mem::pair()?;
    tokio::spawn(bridge(theirs, slot, tls));
    Ok(Stream::Mem(ours))
}

/// Carries one HTTP/1.1 exchange from the session onto an h2 stream.
async fn bridge(sock: MemStream, slot: Slot, tls: bool) {
    let (mut rd, mut wr) = (&sock, &sock);
    let mut buf = BytesMut::with_capacity(16384);
    let opts = ParseOptions {
        max_head: MAX_HEAD,
        max_headers: 1000,
        accept_invalid: true,
        accept_payload_with_any_method: true,
    };
    let head = loop {
        match h1::parse_request(&buf, &opts) {
            Ok(Some(h)) => break h,
            Ok(None) if buf.len() < MAX_HEAD => {}
            _ => return,
        }
        match rd.read_buf(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
    };
    let head_bytes = buf.split_to(head.head_len).freeze();
    let Some(req) = request(&head, &head_bytes, tls) else {
        return;
    };
    let empty = matches!(
        head.framing,
        BodyFraming::None | BodyFraming::ContentLength(0)
    );
    let is_head = req.method() == http::Method::HEAD;
    let Ok(mut sender) = slot.sender.clone().ready().await else {
        return;
    };
    let Ok((response, send)) = sender.send_request(req, empty) else {
        return;
    };
    // The request body goes up while the response comes down: gRPC
    // bidirectional streams need both at once.
    let up = async {
        let mut send = send;
        if !empty
            && request_body(&mut rd, buf, head.framing, &mut send)
                .await
                .is_err()
        {
            // The session left or sent a broken body: the server must not
            // wait for the rest.
            send.send_reset(h2::Reason::CANCEL);
            return;
        }
        std::future::pending::<()>().await;
    };
    let down = async {
        let Ok(resp) = response.await else {
            // RST_STREAM, GOAWAY or a lost connection before the head:
            // closing without a byte reads as a server that did not answer.
            return;
        };
        let _ = response_back(&mut wr, resp, is_head).await;
        let _ = wr.shutdown().await;
    };
    tokio::select! {
        _ = up => {}
        _ = down => {}
    }
}

/// Headers that belong to one HTTP/1 hop, which h2 forbids (RFC 9113,
/// 8.2.2); `host` becomes `:authority`.
fn connection_specific(name: &[u8]) -> bool {
    const DROP: &[&[u8]] = &[
        b"connection",
        b"keep-alive",
        b"proxy-connection",
        b"transfer-encoding",
        b"upgrade",
        b"host",
    ];
    DROP.iter().any(|h| name.eq_ignore_ascii_case(h))
}

/// The h2 request for an HTTP/1.1 head: `:authority` from the target's
/// authority or `Host`, `:scheme` from the server's transport, hop-by-hop
/// headers dropped (`te` kept only as `trailers`, which gRPC needs).
pub fn request(head: &h1::RequestHead, buf: &[u8], tls: bool) -> Option<http::Request<()>> {
    let method = http::Method::from_bytes(head.method_raw.get(buf)).ok()?;
    let target = head.target.get(buf);
    let scheme = if tls { "https" } else { "http" };
    let uri = if target.starts_with(b"/") || target == b"*" {
        let host = head
            .host
            .map(|h| h.get(buf))
            .filter(|h| !h.is_empty())
            .unwrap_or(b"localhost");
        let mut s = Vec::with_capacity(scheme.len() + 3 + host.len() + target.len());
        s.extend_from_slice(scheme.as_bytes());
        s.extend_from_slice(b"://");
        s.extend_from_slice(host);
        if target != b"*" {
            s.extend_from_slice(target);
        }
        http::Uri::try_from(s).ok()?
    } else {
        http::Uri::try_from(target).ok()?
    };
    let mut req = http::Request::new(());
    *req.method_mut() = method;
    *req.uri_mut() = uri;
    let headers = req.headers_mut();
    for f in head.headers.iter().filter(|f| !f.dropped) {
        let name = f.name.get(buf);
        if connection_specific(name) {
            continue;
        }
        let value = f.value.get(buf);
        if name.eq_ignore_ascii_case(b"te") && !value.eq_ignore_ascii_case(b"trailers") {
            continue;
        }
        let (Ok(n), Ok(v)) = (
            HeaderName::from_bytes(&name.to_ascii_lowercase()),
            HeaderValue::from_bytes(value),
        ) else {
            continue;
        };
        headers.append(n, v);
    }
    Some(req)
}

/// Why moving a body stopped.
#[derive(Debug)]
struct Broken;

/// Reads the request body from the session (`buf` holds what came with
/// the head) and sends it on the stream, with chunked trailers as h2
/// trailers.
async fn request_body(
    rd: &mut &MemStream,
    mut buf: BytesMut,
    framing: BodyFraming,
    send: &mut SendStream<Bytes>,
) -> Result<(), Broken> {
    match framing {
        BodyFraming::ContentLength(mut left) => {
            while left > 0 {
                if buf.is_empty() && rd.read_buf(&mut buf).await.map_err(|_| Broken)? == 0 {
                    return Err(Broken);
                }
                let n = (buf.len() as u64).min(left) as usize;
                left -= n as u64;
                send_all(send, buf.split_to(n).freeze(), left == 0).await?;
            }
            Ok(())
        }
        BodyFraming::Chunked => {
            let mut dechunk = convert::Dechunker::default();
            loop {
                while let Some(p) = dechunk.next(&mut buf).map_err(|_| Broken)? {
                    match p {
                        Piece::Data(d) => send_all(send, d, false).await?,
                        Piece::End(t) if t.is_empty() => {
                            return send_all(send, Bytes::new(), true).await;
                        }
                        Piece::End(t) => return send.send_trailers(t).map_err(|_| Broken),
                    }
                }
                if rd.read_buf(&mut buf).await.map_err(|_| Broken)? == 0 {
                    return Err(Broken);
                }
            }
        }
        // The session never writes a request that lasts until close.
        _ => send_all(send, Bytes::new(), true).await,
    }
}

/// Sends `data` as the peer's flow-control windows allow.
async fn send_all(send: &mut SendStream<Bytes>, mut data: Bytes, eos: bool) -> Result<(), Broken> {
    if data.is_empty() {
        return send.send_data(data, eos).map_err(|_| Broken);
    }
    while !data.is_empty() {
        send.reserve_capacity(data.len());
        let cap = match std::future::poll_fn(|cx| send.poll_capacity(cx)).await {
            Some(Ok(c)) => c,
            _ => return Err(Broken),
        };
        if cap == 0 {
            continue;
        }
        let chunk = data.split_to(cap.min(data.len()));
        let last = eos && data.is_empty();
        send.send_data(chunk, last).map_err(|_| Broken)?;
    }
    Ok(())
}

/// Writes the h2 response to the session as HTTP/1.1: its length when the
/// server gave one, else chunked so that trailers (gRPC's `grpc-status`)
/// pass.
async fn response_back(
    wr: &mut &MemStream,
    resp: http::Response<RecvStream>,
    is_head: bool,
) -> Result<(), Broken> {
    let (parts, mut body) = resp.into_parts();
    let status = parts.status.as_u16();
    let bodiless = is_head || status == 204 || status == 304;
    let sized = parts.headers.contains_key(http::header::CONTENT_LENGTH);
    let chunked = !bodiless && !sized;
    let mut out = Vec::with_capacity(1024);
    response_head(&parts, chunked, &mut out);
    wr.write_all(&out).await.map_err(|_| Broken)?;
    if bodiless {
        return Ok(());
    }
    while let Some(data) = body.data().await {
        let data = data.map_err(|_| Broken)?;
        let n = data.len();
        if n == 0 {
            continue;
        }
        if chunked {
            out.clear();
            out.extend_from_slice(format!("{n:x}\r\n").as_bytes());
            wr.write_all(&out).await.map_err(|_| Broken)?;
            wr.write_all(&data).await.map_err(|_| Broken)?;
            wr.write_all(b"\r\n").await.map_err(|_| Broken)?;
        } else {
            wr.write_all(&data).await.map_err(|_| Broken)?;
        }
        // The server may send more once the session took it.
        let _ = body.flow_control().release_capacity(n);
    }
    let trailers = body.trailers().await.map_err(|_| Broken)?;
    if chunked {
        out.clear();
        convert::chunked_trailers(trailers.as_ref(), &mut out);
        wr.write_all(&out).await.map_err(|_| Broken)?;
    }
    Ok(())
}

/// The HTTP/1.1 head for an h2 response.
pub fn response_head(parts: &http::response::Parts, chunked: bool, out: &mut Vec<u8>) {
    let status = parts.status;
    out.extend_from_slice(b"HTTP/1.1 ");
    out.extend_from_slice(status.as_str().as_bytes());
    out.push(b' ');
    out.extend_from_slice(status.canonical_reason().unwrap_or("").as_bytes());
    out.extend_from_slice(b"\r\n");
    write_headers(&parts.headers, out);
    if chunked {
        out.extend_from_slice(b"transfer-encoding: chunked\r\n");
    }
    // One exchange per bridge (see the module comment).
    out.extend_from_slice(b"connection: close\r\n\r\n");
}

fn write_headers(headers: &HeaderMap, out: &mut Vec<u8>) {
    for (name, value) in headers {
        if connection_specific(name.as_str().as_bytes()) {
            continue;
        }
        out.extend_from_slice(name.as_str().as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(value.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head(raw: &[u8]) -> h1::RequestHead {
        let opts = ParseOptions {
            max_head: MAX_HEAD,
            max_headers: 100,
            accept_invalid: false,
            accept_payload_with_any_method: true,
        };
        h1::parse_request(raw, &opts)
            .ok()
            .flatten()
            .unwrap_or_else(|| panic!("head"))
    }

    #[test]
    fn request_drops_connection_headers_and_takes_authority_from_host() {
        let raw = b"POST /svc/M?x=1 HTTP/1.1\r\nhost: api.test:8080\r\nconnection: keep-alive\r\nte: trailers\r\ntransfer-encoding: chunked\r\ncontent-type: application/grpc\r\n\r\n";
        let h = head(raw);
        let req = request(&h, raw, false).unwrap_or_else(|| panic!("request"));
        assert_eq!(req.uri().to_string(), "http://api.test:8080/svc/M?x=1");
        assert_eq!(
            req.headers().get("te").map(|v| v.as_bytes()),
            Some(&b"trailers"[..])
        );
        assert!(req.headers().get("connection").is_none());
        assert!(req.headers().get("transfer-encoding").is_none());
        assert!(req.headers().get("host").is_none());
        assert_eq!(req.headers().len(), 2);
    }

    #[test]
    fn te_other_than_trailers_is_dropped() {
        let raw = b"GET / HTTP/1.1\r\nhost: a\r\nte: gzip\r\n\r\n";
        let h = head(raw);
        let req = request(&h, raw, true).unwrap_or_else(|| panic!("request"));
        assert_eq!(req.uri().to_string(), "https://a/");
        assert!(req.headers().is_empty());
    }

    #[test]
    fn response_head_is_chunked_without_length() {
        let (parts, _) = http::Response::builder()
            .status(200)
            .header("content-type", "application/grpc")
            .body(())
            .unwrap_or_else(|_| panic!("response"))
            .into_parts();
        let mut out = Vec::new();
        response_head(&parts, true, &mut out);
        assert_eq!(
            out,
            b"HTTP/1.1 200 OK\r\ncontent-type: application/grpc\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n"
        );
    }
}
