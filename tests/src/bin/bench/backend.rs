//! The servers behind the proxies, run as hidden subcommands of the bench binary so each is
//! its own process (its CPU is never counted as the proxy's).
//!
//! `http_backend`: HTTP/1.1 keep-alive, one fixed 64-byte response per request. It does the
//! least work an HTTP server can (count request-header terminators, write canned bytes), so
//! per request it costs well under half a proxy, which parses, routes and talks to both
//! sides: the proxy stays the bottleneck. It only serves bodiless requests (what wrk sends).
//!
//! `tcp_sink`: reads and discards everything; when the client half-closes, it answers with
//! the byte count it received (8 bytes, big endian), so throughput is what crossed the
//! proxy, not what sat in socket buffers.

use std::net::SocketAddr;

use anyhow::{Context, Result};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

pub const BODY_LEN: usize = 64;

/// The response; its body's first byte is `tag` so that the failover client can tell which
/// of two servers answered without changing the response's size.
fn canned_response(tag: u8) -> Vec<u8> {
    let mut r = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {BODY_LEN}\r\n\r\n"
    )
    .into_bytes();
    r.push(tag);
    r.extend(std::iter::repeat_n(b'x', BODY_LEN - 2));
    r.push(b'\n');
    r
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("building tokio runtime")
}

pub fn http_backend(addr: SocketAddr, tag: u8) -> Result<()> {
    runtime()?.block_on(async move {
        let listener = TcpListener::bind(addr).await?;
        let response: &'static [u8] = canned_response(tag).leak();
        loop {
            let (sock, _) = listener.accept().await?;
            let _ = sock.set_nodelay(true);
            tokio::spawn(async move {
                let _ = serve_http(sock, response).await;
            });
        }
    })
}

async fn serve_http(mut sock: TcpStream, response: &[u8]) -> std::io::Result<()> {
    let mut buf = vec![0u8; 16 * 1024];
    let mut out = Vec::with_capacity(response.len() * 8);
    // Bytes of a header terminator seen at the end of the previous read (split requests).
    let mut carry = 0usize;
    loop {
        let n = sock.read(&mut buf).await?;
        if n == 0 {
            return Ok(());
        }
        let requests = count_terminators(&buf[..n], &mut carry);
        out.clear();
        for _ in 0..requests {
            out.extend_from_slice(response);
        }
        if !out.is_empty() {
            sock.write_all(&out).await?;
        }
    }
}

/// Counts "\r\n\r\n" in a stream fed chunk by chunk; `state` is how much of the pattern
/// the previous chunk ended with.
fn count_terminators(chunk: &[u8], state: &mut usize) -> usize {
    const PAT: &[u8] = b"\r\n\r\n";
    let mut count = 0;
    for &b in chunk {
        *state = if b == PAT[*state] {
            *state + 1
        } else if b == b'\r' {
            1
        } else {
            0
        };
        if *state == PAT.len() {
            count += 1;
            *state = 0;
        }
    }
    count
}

pub fn tcp_sink(addr: SocketAddr) -> Result<()> {
    runtime()?.block_on(async move {
        let listener = TcpListener::bind(addr).await?;
        loop {
            let (sock, _) = listener.accept().await?;
            tokio::spawn(async move {
                let _ = sink(sock).await;
            });
        }
    })
}

async fn sink(mut sock: TcpStream) -> std::io::Result<()> {
    let mut buf = vec![0u8; 256 * 1024];
    let mut total: u64 = 0;
    loop {
        let n = sock.read(&mut buf).await?;
        if n == 0 {
            break;
        }
        total += n as u64;
    }
    sock.write_all(&total.to_be_bytes()).await?;
    sock.shutdown().await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_requests_split_across_reads() {
        let stream = b"GET / HTTP/1.1\r\nHost: a\r\n\r\nGET / HTTP/1.1\r\n\r\n";
        for split in 0..stream.len() {
            let mut state = 0;
            let n = count_terminators(&stream[..split], &mut state)
                + count_terminators(&stream[split..], &mut state);
            assert_eq!(n, 2, "split at {split}");
        }
    }

    #[test]
    fn response_body_has_the_advertised_length() {
        let r = canned_response(b'1');
        let head_end = r.windows(4).position(|w| w == b"\r\n\r\n").unwrap_or(0) + 4;
        assert_eq!(r.len() - head_end, BODY_LEN);
        assert_eq!(r[head_end], b'1');
    }
}
