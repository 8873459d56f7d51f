//! The upstream connection pool: idle server connections shared by all
//! worker threads, keyed by the whole peer identity (address, and for TLS
//! every setting and the SNI sent), so a connection is only ever reused
//! toward an identical peer. Connections that carried a PROXY header are
//! private to their client and never pooled (http/session.rs).

use crate::config::model::Server;
use crate::runtime::ServerAddrRt;
use crate::stream::Stream;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hash, Hasher};
use std::io;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Who an idle connection talks to, and how the server line wants its
/// idle connections kept (`pool-max-conn`, `pool-purge-delay`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PeerKey {
    pub peer: Peer,
    /// Idle connections kept (None: up to [`MAX_IDLE_PER_PEER`]).
    max_idle: Option<u32>,
    /// How long one stays reusable.
    purge_delay: Duration,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Peer {
    Tcp(SocketAddr),
    Unix(PathBuf),
    Abstract(String),
    /// TLS over TCP. Like 2.6's idle-connection hash, a digest of the TLS
    /// settings and of the SNI the handshake sent: two requests whose `sni`
    /// differ never share a connection.
    Tls(SocketAddr, u64),
}

impl PeerKey {
    /// The key of a connection to `addr` (for a client whose destination
    /// port was `dst_port`) for `server`, `sni` being the name this
    /// request's handshake sends.
    pub fn new(addr: &ServerAddrRt, dst_port: u16, server: &Server, sni: Option<&str>) -> PeerKey {
        let ssl = &server.ssl;
        let peer = match addr {
            ServerAddrRt::Unix(p) => Peer::Unix(p.clone()),
            ServerAddrRt::Abstract(n) => Peer::Abstract(n.clone()),
            ServerAddrRt::Ip { .. } => match addr.socket_addr(dst_port) {
                Some(sa) if ssl.enabled => {
                    let mut h = std::collections::hash_map::DefaultHasher::new();
                    ssl.hash(&mut h);
                    sni.hash(&mut h);
                    Peer::Tls(sa, h.finish())
                }
                Some(sa) => Peer::Tcp(sa),
                None => Peer::Abstract(String::new()),
            },
        };
        PeerKey {
            peer,
            max_idle: server.pool_max_conn,
            purge_delay: server.idle_lifetime(),
        }
    }
}

#[derive(Debug)]
pub struct IdleConn {
    pub stream: Stream,
    /// The connection already carried more than one request: it has shown
    /// that the server keeps connections alive (`http-reuse aggressive`).
    pub proven: bool,
    since: Instant,
}

/// Idle connections kept per peer without `pool-max-conn`; beyond this,
/// released connections close.
const MAX_IDLE_PER_PEER: usize = 256;

/// rustc's FxHash: peer keys come from the configuration, never from
/// clients, so there is no flooding to guard against, and SipHash over the
/// key on every take and put was ~2% of an h2 request's instructions.
#[derive(Default)]
struct FxHasher {
    hash: u64,
}

impl FxHasher {
    fn add(&mut self, word: u64) {
        self.hash = (self.hash.rotate_left(5) ^ word).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

impl Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.add(u64::from_le_bytes(word));
        }
    }

    fn write_u8(&mut self, n: u8) {
        self.add(u64::from(n));
    }

    fn write_u16(&mut self, n: u16) {
        self.add(u64::from(n));
    }

    fn write_u32(&mut self, n: u32) {
        self.add(u64::from(n));
    }

    fn write_u64(&mut self, n: u64) {
        self.add(n);
    }

    fn write_usize(&mut self, n: usize) {
        self.add(n as u64);
    }

    fn finish(&self) -> u64 {
        self.hash
    }
}

#[derive(Debug, Default)]
pub struct Pool {
    idle: Mutex<HashMap<PeerKey, Vec<IdleConn>, BuildHasherDefault<FxHasher>>>,
}

/// A pooled connection is alive when reading would block: EOF or stray bytes
/// mean the server closed it or broke the protocol.
fn still_alive(s: &Stream) -> bool {
    let mut probe = [0u8; 1];
    matches!(s.try_read(&mut probe), Err(e) if e.kind() == io::ErrorKind::WouldBlock)
}

impl Pool {
    /// Takes an idle connection toward `key`; `proven_only` restricts the
    /// choice to connections that were already reused. `now`: the caller's
    /// clock read (a lease has just been taken).
    pub fn take(&self, key: &PeerKey, proven_only: bool, now: Instant) -> Option<IdleConn> {
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
                if now.saturating_duration_since(c.since) < key.purge_delay
                    && still_alive(&c.stream)
                {
                    // Back in their order: the list stays oldest first.
                    candidates.reverse();
                    list.append(&mut candidates);
                    return Some(c);
                }
            }
            candidates.reverse();
            list.append(&mut candidates);
        }
        None
    }

    /// Gives a connection back; `now`: the caller's clock read (the
    /// exchange has just ended).
    pub fn put(&self, key: PeerKey, stream: Stream, proven: bool, now: Instant) {
        let Ok(mut map) = self.idle.lock() else {
            return;
        };
        let max = key
            .max_idle
            .map_or(MAX_IDLE_PER_PEER, |m| m as usize)
            .min(MAX_IDLE_PER_PEER);
        let age = key.purge_delay;
        let list = map.entry(key).or_default();
        // The list is oldest first: the purge walks it only when its oldest
        // connection expired (with a hundred idle connections, a walk per
        // release was ~5% of an h2 request's instructions).
        let expired = |c: &IdleConn| now.saturating_duration_since(c.since) >= age;
        if list.first().is_some_and(expired) {
            list.retain(|c| !expired(c));
        }
        if list.len() < max {
            list.push(IdleConn {
                stream,
                proven,
                since: now,
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::model::ServerPort;

    #[test]
    fn tls_peers_differ_by_sni_and_settings() {
        let addr = ServerAddrRt::Ip {
            ip: std::net::Ipv4Addr::LOCALHOST.into(),
            port: ServerPort::Fixed(443),
        };
        let clear = crate::config::parser::server::template();
        assert!(matches!(
            PeerKey::new(&addr, 80, &clear, Some("a.test")).peer,
            Peer::Tcp(_)
        ));
        let mut ssl = clear.clone();
        ssl.ssl.enabled = true;
        let a = PeerKey::new(&addr, 80, &ssl, Some("a.test"));
        assert_eq!(a, PeerKey::new(&addr, 80, &ssl, Some("a.test")));
        assert_ne!(a, PeerKey::new(&addr, 80, &ssl, Some("b.test")));
        assert_ne!(a, PeerKey::new(&addr, 80, &ssl, None));
        let mut h2 = ssl.clone();
        h2.ssl.alpn = vec!["h2".into()];
        assert_ne!(a, PeerKey::new(&addr, 80, &h2, Some("a.test")));
        // A pooled connection is found only under its own key.
        let pool = Pool::default();
        let (s, _peer) = match std::os::unix::net::UnixStream::pair() {
            Ok(p) => p,
            Err(e) => panic!("{e}"),
        };
        let _ = s.set_nonblocking(true);
        let rt = match tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        {
            Ok(rt) => rt,
            Err(e) => panic!("{e}"),
        };
        let stream = match rt.block_on(async { tokio::net::UnixStream::from_std(s) }) {
            Ok(s) => Stream::Unix(s),
            Err(e) => panic!("{e}"),
        };
        pool.put(a.clone(), stream, false, Instant::now());
        let _guard = rt.enter();
        assert!(pool
            .take(
                &PeerKey::new(&addr, 80, &ssl, Some("b.test")),
                false,
                Instant::now()
            )
            .is_none());
        assert!(pool.take(&a, false, Instant::now()).is_some());
    }

    /// A connected, idle unix stream (its peer kept open) on `rt`.
    fn idle_stream(rt: &tokio::runtime::Runtime) -> (Stream, std::os::unix::net::UnixStream) {
        let (s, peer) = match std::os::unix::net::UnixStream::pair() {
            Ok(p) => p,
            Err(e) => panic!("{e}"),
        };
        let _ = s.set_nonblocking(true);
        match rt.block_on(async { tokio::net::UnixStream::from_std(s) }) {
            Ok(s) => (Stream::Unix(s), peer),
            Err(e) => panic!("{e}"),
        }
    }

    #[test]
    fn pool_max_conn_and_purge_delay_bound_idle_connections() {
        let rt = match tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        {
            Ok(rt) => rt,
            Err(e) => panic!("{e}"),
        };
        let _guard = rt.enter();
        let addr = ServerAddrRt::Unix("/nonexistent".into());
        let mut srv = crate::config::parser::server::template();
        let pool = Pool::default();
        // Default: kept and reused.
        let key = PeerKey::new(&addr, 0, &srv, None);
        let (s, _p1) = idle_stream(&rt);
        pool.put(key.clone(), s, false, Instant::now());
        assert!(pool.take(&key, false, Instant::now()).is_some());
        // `pool-max-conn 0`: never kept; 1: one kept.
        srv.pool_max_conn = Some(0);
        let key = PeerKey::new(&addr, 0, &srv, None);
        let (s, _p2) = idle_stream(&rt);
        pool.put(key.clone(), s, false, Instant::now());
        assert!(pool.take(&key, false, Instant::now()).is_none());
        srv.pool_max_conn = Some(1);
        let key = PeerKey::new(&addr, 0, &srv, None);
        let (a, _p3) = idle_stream(&rt);
        let (b, _p4) = idle_stream(&rt);
        pool.put(key.clone(), a, false, Instant::now());
        pool.put(key.clone(), b, false, Instant::now());
        assert!(pool.take(&key, false, Instant::now()).is_some());
        assert!(pool.take(&key, false, Instant::now()).is_none());
        // `pool-purge-delay`: not reused once idle that long.
        srv.pool_max_conn = None;
        srv.pool_purge_delay = Some(1);
        let key = PeerKey::new(&addr, 0, &srv, None);
        let (s, _p5) = idle_stream(&rt);
        pool.put(key.clone(), s, false, Instant::now());
        std::thread::sleep(Duration::from_millis(5));
        assert!(pool.take(&key, false, Instant::now()).is_none());
    }
}
