//! HTTP checks over HTTP/2. 2.6 installs its h2 multiplexer on a check
//! connection when `check-proto h2` says so, when the server is `proto h2`,
//! or when the check's TLS handshake negotiates `h2` by ALPN; an HTTP/1
//! request sent to such a server would read as a broken connection preface
//! and mark it down. Each request of an `http-check` sequence is a stream
//! of the same connection (a `connect` step opens a new one).
//!
//! The request is the HTTP/1 one of [`super::http::build_request`], carried
//! over as `http2::back` carries traffic (`connection` dropped, the Host
//! header as `:authority`); the response is judged by the same
//! [`super::http::evaluate`], with the empty reason 2.6's h2 gives it.

use super::http::{self as chk, Response};
use crate::config::model::HttpCheck;
use crate::h1::{self, ParseOptions};
use crate::stream::Stream;
use bytes::Bytes;
use h2::client::SendRequest;

/// Responses past this are judged on what arrived, as for HTTP/1 checks.
const MAX_READ: usize = 16384;

/// An h2 connection of a check: its sender, and the task driving it,
/// stopped when the check drops it.
pub struct Conn {
    send: SendRequest<Bytes>,
    driver: tokio::task::JoinHandle<()>,
    tls: bool,
}

impl Drop for Conn {
    fn drop(&mut self) {
        self.driver.abort();
    }
}

/// Why an h2 exchange produced no response to judge.
#[derive(Debug)]
pub enum Failed {
    /// The connection broke (GOAWAY, reset, I/O error): 2.6 reports a
    /// socket error with this text.
    Conn(String),
    /// The request could not be expressed in h2 (a URI or header h2 refuses).
    Request,
}

impl Conn {
    /// The client preface and settings exchange over an established stream.
    pub async fn handshake(stream: Stream) -> Result<Conn, Failed> {
        let tls = matches!(stream, Stream::Tls(_));
        let (send, conn) = h2::client::Builder::new()
            .enable_push(false)
            .handshake::<_, Bytes>(stream)
            .await
            .map_err(|e| Failed::Conn(text(&e)))?;
        let driver = tokio::spawn(async move {
            let _ = conn.await;
        });
        Ok(Conn { send, driver, tls })
    }

    /// Sends the check request as one stream and reads its response: the
    /// head, and the body as far as `c`'s expectations need it.
    pub async fn exchange(
        &mut self,
        c: &HttpCheck,
        state: Option<&str>,
    ) -> Result<Response, Failed> {
        let req_bytes = chk::build_request(c, state);
        let opts = ParseOptions {
            max_head: req_bytes.len() + 1,
            max_headers: 1000,
            accept_invalid: true,
            accept_payload_with_any_method: true,
        };
        let head = match h1::parse_request(&req_bytes, &opts) {
            Ok(Some(h)) => h,
            _ => return Err(Failed::Request),
        };
        let req =
            crate::http2::back::request(&head, &req_bytes, self.tls).ok_or(Failed::Request)?;
        let body = Bytes::copy_from_slice(&req_bytes[head.head_len..]);
        let mut send = self
            .send
            .clone()
            .ready()
            .await
            .map_err(|e| Failed::Conn(text(&e)))?;
        let (resp, mut out) = send
            .send_request(req, body.is_empty())
            .map_err(|e| Failed::Conn(text(&e)))?;
        if !body.is_empty() {
            // A check body is small: the initial window takes it.
            out.send_data(body, true)
                .map_err(|e| Failed::Conn(text(&e)))?;
        }
        let resp = resp.await.map_err(|e| Failed::Conn(text(&e)))?;
        let (parts, mut recv) = resp.into_parts();
        let mut r = Response {
            code: parts.status.as_u16(),
            reason: String::new(),
            headers: parts
                .headers
                .iter()
                .map(|(n, v)| {
                    (
                        n.as_str().to_string(),
                        String::from_utf8_lossy(v.as_bytes()).into_owned(),
                    )
                })
                .collect(),
            body: Vec::new(),
        };
        // The body as far as the expectations need it: to its end, or the
        // read limit.
        while chk::wants_more(c, &r) && r.body.len() < MAX_READ {
            match recv.data().await {
                Some(Ok(d)) => {
                    let _ = recv.flow_control().release_capacity(d.len());
                    let room = MAX_READ - r.body.len();
                    r.body.extend_from_slice(&d[..d.len().min(room)]);
                }
                Some(Err(e)) => return Err(Failed::Conn(text(&e))),
                None => break,
            }
        }
        Ok(r)
    }
}

fn text(e: &h2::Error) -> String {
    match e.get_io() {
        Some(io) => super::errno_text(io),
        None => e.to_string(),
    }
}
