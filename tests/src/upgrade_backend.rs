//! A backend that accepts an HTTP/1.1 `Upgrade` (as a WebSocket server would): it
//! reads one request head, answers `101 Switching Protocols`, then echoes raw bytes
//! until the peer closes.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::{JoinHandle, JoinSet};

use crate::backend::runtime;

/// The exact 101 the backend sends; the accept key answers the RFC 6455 sample key
/// `dGhlIHNhbXBsZSBub25jZQ==` that clients here send.
pub const SWITCHING: &str = "HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\nconnection: upgrade\r\nsec-websocket-accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n";

#[derive(Debug, Default)]
struct Stats {
    connections: AtomicUsize,
    echoed: AtomicUsize,
    heads: Mutex<Vec<String>>,
}

/// A running upgrade-and-echo backend; stops when dropped.
#[derive(Debug)]
pub struct UpgradeBackend {
    addr: SocketAddr,
    stats: Arc<Stats>,
    task: JoinHandle<()>,
}

impl UpgradeBackend {
    pub fn start() -> UpgradeBackend {
        let std_listener = match std::net::TcpListener::bind("127.0.0.1:0") {
            Ok(l) => l,
            Err(e) => panic!("cannot bind an upgrade backend: {e}"),
        };
        let addr = match std_listener.local_addr() {
            Ok(a) => a,
            Err(e) => panic!("cannot read upgrade backend address: {e}"),
        };
        if let Err(e) = std_listener.set_nonblocking(true) {
            panic!("cannot make upgrade backend non-blocking: {e}");
        }
        let stats = Arc::new(Stats::default());
        let task = {
            let stats = stats.clone();
            runtime().spawn(async move {
                let listener = match TcpListener::from_std(std_listener) {
                    Ok(l) => l,
                    Err(e) => panic!("cannot register upgrade backend: {e}"),
                };
                let mut conns = JoinSet::new();
                loop {
                    while conns.try_join_next().is_some() {}
                    let Ok((stream, _)) = listener.accept().await else {
                        continue;
                    };
                    stats.connections.fetch_add(1, Ordering::SeqCst);
                    conns.spawn(serve(stream, stats.clone()));
                }
            })
        };
        UpgradeBackend { addr, stats, task }
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn connections(&self) -> usize {
        self.stats.connections.load(Ordering::SeqCst)
    }

    /// Raw bytes echoed after the 101, over all connections.
    pub fn echoed(&self) -> usize {
        self.stats.echoed.load(Ordering::SeqCst)
    }

    /// The request heads received, as text.
    pub fn heads(&self) -> Vec<String> {
        self.stats
            .heads
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }
}

impl Drop for UpgradeBackend {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn serve(mut stream: TcpStream, stats: Arc<Stats>) {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 16384];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    };
    stats
        .heads
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .push(String::from_utf8_lossy(&buf[..head_end]).into_owned());
    if stream.write_all(SWITCHING.as_bytes()).await.is_err() {
        return;
    }
    // Bytes that arrived with the head already belong to the new protocol.
    let early = buf[head_end..].to_vec();
    if !early.is_empty() {
        if stream.write_all(&early).await.is_err() {
            return;
        }
        stats.echoed.fetch_add(early.len(), Ordering::SeqCst);
    }
    loop {
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                if stream.write_all(&chunk[..n]).await.is_err() {
                    return;
                }
                stats.echoed.fetch_add(n, Ordering::SeqCst);
            }
        }
    }
    let _ = stream.shutdown().await;
}
