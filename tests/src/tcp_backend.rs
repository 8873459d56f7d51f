//! An in-process TCP backend for `mode tcp`: an echo server, or a sink that answers
//! only after the peer half-closes.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::{JoinHandle, JoinSet};

use crate::backend::runtime;

/// How the TCP backend treats a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TcpMode {
    /// Echo every byte back; close when the peer closes.
    Echo,
    /// Read until EOF, then reply `got <n> bytes: <data>` on the still-open write side,
    /// then close. Proves a half-close travels through the proxy both ways.
    ReplyAfterEof,
}

#[derive(Debug, Default)]
struct Stats {
    connections: AtomicUsize,
    bytes: AtomicUsize,
    eofs: AtomicUsize,
}

/// A running TCP backend; stops when dropped.
#[derive(Debug)]
pub struct TcpBackend {
    addr: SocketAddr,
    stats: Arc<Stats>,
    task: JoinHandle<()>,
}

impl TcpBackend {
    pub fn start(mode: TcpMode) -> TcpBackend {
        let std_listener = match std::net::TcpListener::bind("127.0.0.1:0") {
            Ok(l) => l,
            Err(e) => panic!("cannot bind a TCP backend: {e}"),
        };
        let addr = match std_listener.local_addr() {
            Ok(a) => a,
            Err(e) => panic!("cannot read TCP backend address: {e}"),
        };
        if let Err(e) = std_listener.set_nonblocking(true) {
            panic!("cannot make TCP backend non-blocking: {e}");
        }
        let stats = Arc::new(Stats::default());
        let task = {
            let stats = stats.clone();
            runtime().spawn(async move {
                let listener = match TcpListener::from_std(std_listener) {
                    Ok(l) => l,
                    Err(e) => panic!("cannot register TCP backend: {e}"),
                };
                let mut conns = JoinSet::new();
                loop {
                    while conns.try_join_next().is_some() {}
                    let Ok((stream, _)) = listener.accept().await else {
                        continue;
                    };
                    stats.connections.fetch_add(1, Ordering::SeqCst);
                    conns.spawn(serve(stream, mode, stats.clone()));
                }
            })
        };
        TcpBackend { addr, stats, task }
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    pub fn connections(&self) -> usize {
        self.stats.connections.load(Ordering::SeqCst)
    }

    pub fn bytes_received(&self) -> usize {
        self.stats.bytes.load(Ordering::SeqCst)
    }

    /// Connections on which the backend has read EOF from the proxy.
    pub fn eofs_seen(&self) -> usize {
        self.stats.eofs.load(Ordering::SeqCst)
    }
}

impl Drop for TcpBackend {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn serve(mut stream: TcpStream, mode: TcpMode, stats: Arc<Stats>) {
    let mut received = Vec::new();
    let mut chunk = [0u8; 16384];
    loop {
        match stream.read(&mut chunk).await {
            Ok(0) => {
                stats.eofs.fetch_add(1, Ordering::SeqCst);
                break;
            }
            Ok(n) => {
                stats.bytes.fetch_add(n, Ordering::SeqCst);
                match mode {
                    TcpMode::Echo => {
                        if stream.write_all(&chunk[..n]).await.is_err() {
                            return;
                        }
                    }
                    TcpMode::ReplyAfterEof => received.extend_from_slice(&chunk[..n]),
                }
            }
            Err(_) => return,
        }
    }
    if mode == TcpMode::ReplyAfterEof {
        let mut reply = format!("got {} bytes: ", received.len()).into_bytes();
        reply.extend_from_slice(&received);
        let _ = stream.write_all(&reply).await;
    }
    let _ = stream.shutdown().await;
}
