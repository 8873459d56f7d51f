//! An in-process clear-text HTTP/2 server (prior knowledge only, so a
//! proxy that reaches it has spoken h2), for `server ... proto h2` tests.
//!
//! Paths choose the answer:
//! - `/reset`: the stream is reset (RST_STREAM INTERNAL_ERROR) unanswered;
//! - `/refuse`: the same with REFUSED_STREAM;
//! - `/big/<n>`: 200 with `n` bytes of a known pattern ([`pattern`]);
//! - anything else: 200 echoing the request body; `?trailers` adds the
//!   response trailer `x-resp-trailer: done`.
//!
//! Every 200 says `x-served-by: <name>`, `x-req-bytes: <body length>`,
//! and `x-req-trailer: <value>` when the request had an `x-trailer`
//! trailer. It stops when its handle is dropped.

use crate::backend::runtime;
use bytes::{Bytes, BytesMut};
use h2::server::SendResponse;
use h2::RecvStream;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// The byte at offset `i` of a `/big/<n>` body.
pub fn pattern(i: usize) -> u8 {
    b'a' + (i % 26) as u8
}

/// A running h2 server.
pub struct H2Backend {
    addr: SocketAddr,
    conns: Arc<AtomicUsize>,
    task: JoinHandle<()>,
}

impl H2Backend {
    pub fn start(name: &str) -> H2Backend {
        let rt = runtime();
        let listener = match rt.block_on(TcpListener::bind("127.0.0.1:0")) {
            Ok(l) => l,
            Err(e) => panic!("h2 backend cannot bind: {e}"),
        };
        let addr = match listener.local_addr() {
            Ok(a) => a,
            Err(e) => panic!("h2 backend has no address: {e}"),
        };
        let conns = Arc::new(AtomicUsize::new(0));
        let (name, count) = (Arc::<str>::from(name), conns.clone());
        let task = rt.spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                count.fetch_add(1, Ordering::Relaxed);
                tokio::spawn(serve(tcp, name.clone()));
            }
        });
        H2Backend { addr, conns, task }
    }

    /// `127.0.0.1:<port>`, for a `server` line.
    pub fn addr(&self) -> String {
        self.addr.to_string()
    }

    /// Connections accepted so far.
    pub fn connections(&self) -> usize {
        self.conns.load(Ordering::Relaxed)
    }
}

impl Drop for H2Backend {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn serve(tcp: tokio::net::TcpStream, name: Arc<str>) {
    let Ok(mut conn) = h2::server::handshake(tcp).await else {
        return;
    };
    while let Some(Ok((req, respond))) = conn.accept().await {
        tokio::spawn(answer(req, respond, name.clone()));
    }
}

async fn answer(req: http::Request<RecvStream>, mut respond: SendResponse<Bytes>, name: Arc<str>) {
    let (parts, mut body) = req.into_parts();
    let path = parts.uri.path().to_string();
    if path == "/reset" || path == "/refuse" {
        respond.send_reset(match path.as_str() {
            "/refuse" => h2::Reason::REFUSED_STREAM,
            _ => h2::Reason::INTERNAL_ERROR,
        });
        return;
    }
    let mut received = BytesMut::new();
    while let Some(Ok(d)) = body.data().await {
        let _ = body.flow_control().release_capacity(d.len());
        received.extend_from_slice(&d);
    }
    let trailer = match body.trailers().await {
        Ok(Some(t)) => t
            .get("x-trailer")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string),
        _ => None,
    };
    let out: Bytes = match path.strip_prefix("/big/").and_then(|n| n.parse().ok()) {
        Some(n) => (0..n).map(pattern).collect::<Vec<u8>>().into(),
        None => received.clone().freeze(),
    };
    let mut resp = http::Response::builder()
        .status(200)
        .header("x-served-by", &*name)
        .header("x-req-bytes", received.len().to_string());
    if let Some(t) = &trailer {
        resp = resp.header("x-req-trailer", t.as_str());
    }
    let Ok(resp) = resp.body(()) else {
        return;
    };
    let with_trailers = parts.uri.query() == Some("trailers");
    let Ok(mut send) = respond.send_response(resp, false) else {
        return;
    };
    let mut data = out;
    while !data.is_empty() {
        send.reserve_capacity(data.len());
        let cap = match std::future::poll_fn(|cx| send.poll_capacity(cx)).await {
            Some(Ok(c)) => c,
            _ => return,
        };
        let chunk = data.split_to(cap.min(data.len()));
        if send.send_data(chunk, false).is_err() {
            return;
        }
    }
    if with_trailers {
        let mut t = http::HeaderMap::new();
        t.insert("x-resp-trailer", http::HeaderValue::from_static("done"));
        let _ = send.send_trailers(t);
    } else {
        let _ = send.send_data(Bytes::new(), true);
    }
}
