//! The L4 load generator: K connections push data through the proxy into the sink for a
//! fixed time, then half-close and collect the sink's byte count. Runs as a hidden
//! subcommand (its own process) and prints one JSON line; the harness parses it.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// What one push round measured.
#[derive(Debug, Serialize, Deserialize)]
pub struct PushResult {
    /// Bytes the sink says it received, summed over connections.
    pub bytes: u64,
    /// From first connect to last count received.
    pub elapsed_us: u64,
}

/// How long connections get to drain and report after the push time is over.
const DRAIN_LIMIT: Duration = Duration::from_secs(10);

pub fn push(addr: SocketAddr, conns: usize, duration: Duration) -> Result<PushResult> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("building tokio runtime")?;
    rt.block_on(async move {
        let start = Instant::now();
        let stop = start + duration;
        let mut tasks = Vec::with_capacity(conns);
        for _ in 0..conns {
            tasks.push(tokio::spawn(push_one(addr, stop.into())));
        }
        let mut bytes = 0;
        for t in tasks {
            let received = tokio::time::timeout(duration + DRAIN_LIMIT, t)
                .await
                .context("a connection did not report within the drain limit")???;
            bytes += received;
        }
        Ok(PushResult {
            bytes,
            elapsed_us: start.elapsed().as_micros() as u64,
        })
    })
}

async fn push_one(addr: SocketAddr, stop: tokio::time::Instant) -> Result<u64> {
    let mut sock = TcpStream::connect(addr)
        .await
        .with_context(|| format!("connecting to {addr}"))?;
    let chunk = vec![0x5au8; 64 * 1024];
    let mut sent: u64 = 0;
    while tokio::time::Instant::now() < stop {
        // A write that blocks past the stop time must not extend the round indefinitely.
        match tokio::time::timeout_at(stop, sock.write_all(&chunk)).await {
            Ok(r) => r.context("writing to the proxy")?,
            Err(_) => break,
        }
        sent += chunk.len() as u64;
    }
    sock.shutdown().await.context("half-closing")?;
    let mut count = [0u8; 8];
    sock.read_exact(&mut count)
        .await
        .context("reading the sink's byte count (does the proxy forward half-close?)")?;
    let received = u64::from_be_bytes(count);
    if received == 0 && sent > 0 {
        bail!("sink received nothing of {sent} bytes sent");
    }
    Ok(received)
}
