//! Shared HTTP/2 connections to servers: one multiplexed connection serves
//! the streams of every session going to the same peer, a new one opens
//! when all are at the server's SETTINGS_MAX_CONCURRENT_STREAMS, and a
//! connection without streams for `pool-purge-delay` (5 s, HAProxy's
//! default; at once with `pool-max-conn 0`) is closed.
//!
//! The key is the whole peer identity: address, TLS settings, SNI and the PROXY
//! header (a `send-proxy` connection names one client, so it is only shared
//! by streams from that same client address).

use crate::config::model::MuxProto;
use crate::runtime::ServerRt;
use crate::stream::Stream;
use crate::tls::conf::ServerSsl;
use bytes::Bytes;
use h2::client::SendRequest;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, LazyLock, Mutex};
use std::time::{Duration, Instant};

/// Who a connection talks to; connections are shared only between equal keys.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PeerId {
    /// The socket address (or unix path) as connected.
    pub addr: String,
    pub ssl: Option<ServerSsl>,
    pub proxy_header: Option<Vec<u8>>,
    /// The SNI the handshake sent: a connection made for one name is never
    /// shared with a request for another.
    pub sni: Option<String>,
}

/// What a connection's users and its driver share.
#[derive(Debug, Default)]
struct Shared {
    /// Set by the driver when the connection ended.
    dead: AtomicBool,
    /// Requests in flight (the h2 crate counts streams only with its
    /// `unstable` feature).
    streams: AtomicUsize,
}

/// One live h2 connection.
struct Conn {
    sender: SendRequest<Bytes>,
    shared: Arc<Shared>,
}

impl Conn {
    fn slot(&self) -> Slot {
        self.shared.streams.fetch_add(1, Ordering::Relaxed);
        Slot {
            sender: self.sender.clone(),
            shared: self.shared.clone(),
        }
    }
}

/// The right to open one stream on a shared connection; the connection
/// counts it as in use until this is dropped.
#[derive(Debug)]
pub struct Slot {
    pub sender: SendRequest<Bytes>,
    shared: Arc<Shared>,
}

impl Slot {
    /// Whether the connection still takes new streams: false once the
    /// server sent GOAWAY or the connection is gone (then the caller
    /// connects afresh rather than fail the request).
    pub async fn usable(&self) -> bool {
        !self.shared.dead.load(Ordering::Relaxed) && self.sender.clone().ready().await.is_ok()
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.shared.streams.fetch_sub(1, Ordering::Relaxed);
    }
}

static CONNS: LazyLock<Mutex<HashMap<PeerId, Vec<Conn>>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));

/// How often an idle connection looks at its clock.
const IDLE_TICK: Duration = Duration::from_millis(500);

/// What the last handshake with a server that lets ALPN decide chose
/// (true: h2), so later requests go the right way at once, and reuse
/// that kind of connection, without a handshake wasted to find out.
static CHOSEN: LazyLock<Mutex<HashMap<u64, bool>>> = LazyLock::new(|| Mutex::new(HashMap::new()));

/// Whether requests to `server` go out as h2: `proto h2`, an `ssl` server
/// whose only ALPN offer is `h2`, or one offering h2 among others whose
/// last handshake chose h2.
pub fn speaks_h2(server: &ServerRt) -> bool {
    match server.conf.proto {
        Some(MuxProto::H2) => true,
        Some(MuxProto::H1) => false,
        None if !server.conf.ssl.enabled => false,
        None if server.conf.ssl.alpn == ["h2"] => true,
        None => {
            negotiates(server)
                && CHOSEN
                    .lock()
                    .map(|m| m.get(&alpn_key(server)) == Some(&true))
                    .unwrap_or(false)
        }
    }
}

/// Whether the server's ALPN offer leaves the choice between h2 and
/// another protocol to the server (`ssl alpn h2,http/1.1`).
pub fn negotiates(server: &ServerRt) -> bool {
    let ssl = &server.conf.ssl;
    server.conf.proto.is_none()
        && ssl.enabled
        && ssl.alpn.len() > 1
        && ssl.alpn.iter().any(|a| a == "h2")
}

/// Records what a handshake with `server` chose (see [`negotiates`]).
pub fn remember_alpn(server: &ServerRt, h2: bool) {
    if let Ok(mut m) = CHOSEN.lock() {
        m.insert(alpn_key(server), h2);
    }
}

/// The server's identity for [`CHOSEN`], hashed so that a lookup per
/// request allocates nothing.
fn alpn_key(server: &ServerRt) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    (&server.name, server.id, &server.conf.ssl).hash(&mut h);
    h.finish()
}

/// A stream on a connection to `peer` with room for it, if one is open.
pub fn take(peer: &PeerId) -> Option<Slot> {
    let mut map = CONNS.lock().ok()?;
    let list = map.get_mut(peer)?;
    list.retain(|c| !c.shared.dead.load(Ordering::Relaxed));
    list.iter()
        .find(|c| c.shared.streams.load(Ordering::Relaxed) < c.sender.current_max_send_streams())
        .map(Conn::slot)
}

/// Runs the h2 handshake on a fresh server connection to `server`, shares
/// it under `peer`, and returns its request handle. Once without streams
/// it lives `pool-purge-delay`, or not at all with `pool-max-conn 0`.
pub async fn handshake(server: &ServerRt, peer: PeerId, io: Stream) -> Result<Slot, h2::Error> {
    let idle_for = match server.conf.pool_max_conn {
        Some(0) => Duration::ZERO,
        _ => server.conf.idle_lifetime(),
    };
    let (sender, conn) = h2::client::Builder::new()
        // Pushes are refused, as HAProxy does toward servers.
        .enable_push(false)
        .handshake::<_, Bytes>(io)
        .await?;
    let shared = Arc::new(Shared::default());
    tokio::spawn(drive(conn, shared.clone(), idle_for));
    let conn = Conn { sender, shared };
    let slot = conn.slot();
    if let Ok(mut map) = CONNS.lock() {
        map.entry(peer).or_default().push(conn);
    }
    Ok(slot)
}

/// Drives one connection until the server closes it, or it stayed without
/// streams for `idle_for`.
async fn drive(
    conn: h2::client::Connection<Stream, Bytes>,
    shared: Arc<Shared>,
    idle_for: Duration,
) {
    tokio::pin!(conn);
    let mut idle_since = Instant::now();
    let mut tick = tokio::time::interval(IDLE_TICK.min(idle_for.max(Duration::from_millis(10))));
    loop {
        tokio::select! {
            _ = &mut conn => break,
            _ = tick.tick() => {
                if shared.streams.load(Ordering::Relaxed) > 0 {
                    idle_since = Instant::now();
                } else if idle_since.elapsed() >= idle_for {
                    break;
                }
            }
        }
    }
    shared.dead.store(true, Ordering::Relaxed);
}

/// Open connections toward `peer` (for tests and `show` commands).
pub fn count(peer: &PeerId) -> usize {
    CONNS
        .lock()
        .map(|m| {
            m.get(peer)
                .map(|l| {
                    l.iter()
                        .filter(|c| !c.shared.dead.load(Ordering::Relaxed))
                        .count()
                })
                .unwrap_or(0)
        })
        .unwrap_or(0)
}
