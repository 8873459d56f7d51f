//! The upstream connection pool: idle server connections shared by all
//! worker threads, keyed by the whole peer identity (server address now;
//! TLS, SNI and PROXY-protocol parameters join the key as they land), so a
//! connection is only ever reused toward an identical peer.

use crate::stream::Stream;
use std::collections::HashMap;
use std::io;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::{Duration, Instant};

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PeerKey {
    Tcp(SocketAddr),
    Unix(PathBuf),
    Abstract(String),
}

#[derive(Debug)]
pub struct IdleConn {
    pub stream: Stream,
    /// The connection already carried more than one request: it has shown
    /// that the server keeps connections alive (`http-reuse aggressive`).
    pub proven: bool,
    since: Instant,
}

/// Idle connections kept per peer; beyond this, released connections close.
const MAX_IDLE_PER_PEER: usize = 256;
/// Idle connections older than this are closed rather than reused (HAProxy's
/// `pool-purge-delay` defaults to 5 s).
const MAX_IDLE_AGE: Duration = Duration::from_secs(5);

#[derive(Debug, Default)]
pub struct Pool {
    idle: Mutex<HashMap<PeerKey, Vec<IdleConn>>>,
}

/// A pooled connection is alive when reading would block: EOF or stray bytes
/// mean the server closed it or broke the protocol.
fn still_alive(s: &Stream) -> bool {
    let mut probe = [0u8; 1];
    matches!(s.try_read(&mut probe), Err(e) if e.kind() == io::ErrorKind::WouldBlock)
}

impl Pool {
    /// Takes an idle connection toward `key`; `proven_only` restricts the
    /// choice to connections that were already reused.
    pub fn take(&self, key: &PeerKey, proven_only: bool) -> Option<IdleConn> {
        let mut candidates = Vec::new();
        {
            let Ok(mut map) = self.idle.lock() else {
                return None;
            };
            let list = map.get_mut(key)?;
            // Most recently released first: it is the least likely to have
            // been closed by the server's keep-alive timeout.
            while let Some(c) = list.pop() {
                if proven_only && !c.proven {
                    candidates.push(c);
                    continue;
                }
                if c.since.elapsed() < MAX_IDLE_AGE && still_alive(&c.stream) {
                    list.append(&mut candidates);
                    return Some(c);
                }
            }
            list.append(&mut candidates);
        }
        None
    }

    pub fn put(&self, key: PeerKey, stream: Stream, proven: bool) {
        let Ok(mut map) = self.idle.lock() else {
            return;
        };
        let list = map.entry(key).or_default();
        list.retain(|c| c.since.elapsed() < MAX_IDLE_AGE);
        if list.len() < MAX_IDLE_PER_PEER {
            list.push(IdleConn {
                stream,
                proven,
                since: Instant::now(),
            });
        }
    }

    pub fn idle_count(&self) -> usize {
        self.idle
            .lock()
            .map(|m| m.values().map(Vec::len).sum())
            .unwrap_or(0)
    }
}
