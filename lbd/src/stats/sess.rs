//! Live proxied sessions and per-listener counters.
//!
//! Every accepted connection registers one [`SessEntry`] (one insert on
//! accept, one remove when its [`SessHandle`] drops; never per request), in
//! one of a few mutex-protected shards, so `show sess` can list them and
//! `shutdown session` can end one. The entry also carries the counters of
//! the `bind` listener that accepted it (`option socket-stats` rows).

use super::counters::{now_ms, Ctr, ProxyCounters};
use crate::runtime::Frontend;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, LazyLock, Mutex, MutexGuard};
use std::time::Instant;

/// Counters of one `bind` address (a listener row of `show stat`).
#[derive(Debug, Default)]
pub struct ListenerCounters {
    /// Sessions open on this listener now (`scur`).
    pub cur: AtomicU32,
    /// stot, bin, bout, dreq, dresp, ereq and smax.
    pub c: ProxyCounters,
}

impl ListenerCounters {
    fn opened(&self) {
        let cur = self.cur.fetch_add(1, Relaxed) + 1;
        self.c.session(now_ms(), cur);
    }
}

impl ProxyCounters {
    /// The counters of this frontend's listener number `idx` (declaration
    /// order of the bind addresses, from 0), created on first use.
    pub fn listener(&self, idx: usize) -> Arc<ListenerCounters> {
        let mut v = self.listeners.lock().unwrap_or_else(|p| p.into_inner());
        while v.len() <= idx {
            v.push(Arc::default());
        }
        v[idx].clone()
    }

    /// The listener counters created so far, by index.
    pub fn listener_list(&self) -> Vec<Arc<ListenerCounters>> {
        self.listeners
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }
}

/// What `show sess` knows of one live proxied session.
#[derive(Debug)]
pub struct SessEntry {
    /// Printed as a pointer-like `0x...`, as 2.6 prints the stream address.
    pub id: u64,
    /// `tcpv4`, `tcpv6` or `unix_stream`.
    pub proto: &'static str,
    pub src: Option<SocketAddr>,
    pub fe: Arc<Frontend>,
    pub started: Instant,
    /// Backend and server names once a server was chosen.
    target: Mutex<Option<(Arc<str>, Arc<str>)>>,
    /// `shutdown session`: the session (and an h2 connection's streams)
    /// wait on this; any generation past 0 means killed.
    kill: crate::kill::KillSwitch,
    pub listener: Option<Arc<ListenerCounters>>,
    /// A stream exists: always for TCP, only while a request is in flight
    /// for HTTP (2.6's H1 mux creates the stream when a request arrives, so
    /// idle keep-alive connections are not in `show sess`).
    in_stream: std::sync::atomic::AtomicBool,
}

impl SessEntry {
    /// The session now talks to `srv` of `be` (set when a server connection
    /// is made, not per request).
    pub fn set_target(&self, be: &str, srv: &str) {
        let mut t = self.target.lock().unwrap_or_else(|p| p.into_inner());
        if t.as_ref().is_some_and(|(b, s)| &**b == be && &**s == srv) {
            return;
        }
        *t = Some((be.into(), srv.into()));
    }

    pub fn target(&self) -> Option<(Arc<str>, Arc<str>)> {
        self.target
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// An HTTP request starts (true) or has been answered (false).
    pub fn set_in_stream(&self, on: bool) {
        self.in_stream.store(on, Relaxed);
    }

    /// Listed by `show sess` and reachable by `shutdown session`.
    pub fn in_stream(&self) -> bool {
        self.in_stream.load(Relaxed)
    }

    /// Resolves when an admin ends the session (at once if one did).
    pub fn killed(&self) -> crate::kill::Changed<'_> {
        self.kill.changed_from(0)
    }

    /// A request was denied by a rule (`dreq` on the frontend and listener).
    pub fn denied_request(&self) {
        self.fe.stats.totals.inc(Ctr::Dreq);
        if let Some(l) = &self.listener {
            l.c.totals.inc(Ctr::Dreq);
        }
    }

    /// Bytes, and `ereq` when `bad`, counted on the listener.
    pub fn listener_txn(&self, bin: u64, bout: u64, bad: bool) {
        if let Some(l) = &self.listener {
            l.c.bytes(bin, bout);
            if bad {
                l.c.totals.inc(Ctr::Ereq);
            }
        }
    }
}

const SHARDS: usize = 16;
type Shard = Mutex<HashMap<u64, Arc<SessEntry>>>;

static REGISTRY: LazyLock<[Shard; SHARDS]> =
    LazyLock::new(|| std::array::from_fn(|_| Shard::default()));
/// Ids look like 2.6's heap addresses: a high base, a stream-sized stride.
static NEXT_ID: AtomicU64 = AtomicU64::new(0);
const ID_BASE: u64 = 0x7f02_8000_0000;
const ID_STRIDE: u64 = 0x4f0;

fn shard(id: u64) -> MutexGuard<'static, HashMap<u64, Arc<SessEntry>>> {
    REGISTRY[((id / ID_STRIDE) as usize) % SHARDS]
        .lock()
        .unwrap_or_else(|p| p.into_inner())
}

/// Keeps a session registered; removes it and releases its listener slot
/// when dropped.
#[derive(Debug)]
pub struct SessHandle(Arc<SessEntry>);

impl SessHandle {
    pub fn entry(&self) -> Arc<SessEntry> {
        self.0.clone()
    }
}

impl std::ops::Deref for SessHandle {
    type Target = SessEntry;
    fn deref(&self) -> &SessEntry {
        &self.0
    }
}

/// Registers a session accepted by `fe` through `listener`.
pub fn register(
    fe: Arc<Frontend>,
    src: Option<SocketAddr>,
    listener: Option<Arc<ListenerCounters>>,
) -> SessHandle {
    let n = NEXT_ID.fetch_add(1, Relaxed);
    let id = ID_BASE + n * ID_STRIDE;
    if let Some(l) = &listener {
        l.opened();
    }
    let proto = match src {
        Some(SocketAddr::V4(_)) => "tcpv4",
        Some(SocketAddr::V6(_)) => "tcpv6",
        None => "unix_stream",
    };
    let e = Arc::new(SessEntry {
        id,
        proto,
        src,
        fe: fe.clone(),
        started: Instant::now(),
        target: Mutex::new(None),
        kill: Default::default(),
        listener,
        in_stream: std::sync::atomic::AtomicBool::new(fe.mode == crate::config::model::Mode::Tcp),
    });
    shard(id).insert(id, e.clone());
    SessHandle(e)
}

impl Drop for SessHandle {
    fn drop(&mut self) {
        shard(self.0.id).remove(&self.0.id);
        if let Some(l) = &self.0.listener {
            l.cur.fetch_sub(1, Relaxed);
        }
    }
}

/// Every live session, oldest first.
pub fn list() -> Vec<Arc<SessEntry>> {
    let mut v: Vec<Arc<SessEntry>> = REGISTRY
        .iter()
        .flat_map(|s| {
            s.lock()
                .unwrap_or_else(|p| p.into_inner())
                .values()
                .cloned()
                .collect::<Vec<_>>()
        })
        .collect();
    v.sort_by_key(|e| e.id);
    v
}

pub fn find(id: u64) -> Option<Arc<SessEntry>> {
    shard(id).get(&id).cloned()
}

/// `shutdown session`: false when no such session lives.
pub fn kill(id: u64) -> bool {
    match find(id).filter(|e| e.in_stream()) {
        Some(e) => {
            // A generation, not a permit: a session between two awaits still
            // sees it, and so does every stream of an h2 connection.
            e.kill.send_modify(|g| g + 1);
            true
        }
        None => false,
    }
}
