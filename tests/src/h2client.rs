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
pub fn rapid_reset(port: u16, count: usize, within: Duration) -> FloodOutcome {
    crate::backend::runtime().block_on(async move {
        let mut out = FloodOutcome {
            streams: 0,
            closed_by_server: false,
            goaway: None,
        };
        let Ok(tcp) = tokio::net::TcpStream::connect(("127.0.0.1", port)).await else {
            return out;
        };
        let Ok((mut client, conn)) = h2::client::handshake(tcp).await else {
            return out;
        };
        let driver = tokio::spawn(conn);
        let deadline = tokio::time::Instant::now() + within;
        while out.streams < count && tokio::time::Instant::now() < deadline {
            let ready = tokio::time::timeout_at(deadline, client.clone().ready()).await;
            let mut c = match ready {
                Ok(Ok(c)) => c,
                Ok(Err(e)) => {
                    out.closed_by_server = true;
                    out.goaway = e.reason().map(u32::from);
                    break;
                }
                Err(_) => break,
            };
            let req = match http::Request::get(format!("http://127.0.0.1:{port}/flood")).body(()) {
                Ok(r) => r,
                Err(_) => break,
            };
            match c.send_request(req, false) {
                Ok((_, mut send)) => send.send_reset(h2::Reason::CANCEL),
                Err(e) => {
                    out.closed_by_server = true;
                    out.goaway = e.reason().map(u32::from);
                    break;
                }
            }
            client = c;
            out.streams += 1;
        }
        drop(client);
        if let Ok(Ok(Err(e))) = tokio::time::timeout(Duration::from_secs(5), driver).await {
            if out.goaway.is_none() {
                out.goaway = e.reason().map(u32::from);
            }
        }
        out
    })
}
