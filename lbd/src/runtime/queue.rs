//! Server slots and queues: per-server `maxconn` (with `minconn`/`fullconn`
//! dynamic limits), the per-server and per-backend queues, `maxqueue` and
//! `timeout queue`.
//!
//! A request holds a [`ServerLease`] while it uses a server. When a lease is
//! released, the slot goes straight to the oldest request waiting for that
//! server or for any server of the backend, as HAProxy's `process_srv_queue`
//! does, so queued requests are served in order and a slot is never idle
//! while someone waits.

use super::{Backend, ServerRt};
use crate::balance::LoadView;
use crate::error::{Cause, ProxyError, Stage};
use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::oneshot;

/// A request waiting for a server slot. The slot arrives as an already
/// counted server index.
#[derive(Debug)]
struct Waiter {
    seq: u64,
    tx: oneshot::Sender<usize>,
}

/// A FIFO of waiting requests.
#[derive(Debug, Default)]
pub struct Queue {
    waiters: Mutex<VecDeque<Waiter>>,
    /// Highest length seen (`qmax`).
    pub max: std::sync::atomic::AtomicU32,
}

/// Orders waiters across all queues, so the oldest request wins a slot.
static NEXT_SEQ: AtomicU64 = AtomicU64::new(0);

impl Queue {
    fn push(&self) -> oneshot::Receiver<usize> {
        let (tx, rx) = oneshot::channel();
        let seq = NEXT_SEQ.fetch_add(1, Ordering::Relaxed);
        if let Ok(mut q) = self.waiters.lock() {
            q.push_back(Waiter { seq, tx });
            self.max.fetch_max(q.len() as u32, Ordering::Relaxed);
        }
        rx
    }

    /// Sequence number of the oldest waiter still waiting (dropping the
    /// ones that gave up).
    fn head_seq(&self) -> Option<u64> {
        let mut q = self.waiters.lock().ok()?;
        while let Some(w) = q.front() {
            if w.tx.is_closed() {
                q.pop_front();
            } else {
                return Some(w.seq);
            }
        }
        None
    }

    fn pop(&self) -> Option<Waiter> {
        self.waiters.lock().ok()?.pop_front()
    }

    /// Requests currently waiting (including ones about to give up).
    pub fn len(&self) -> usize {
        self.waiters.lock().map(|q| q.len()).unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A server slot held by a request: counted in the server's current
/// connections (leastconn, maxconn) until dropped, when it passes to the
/// next waiter.
#[derive(Debug)]
pub struct ServerLease {
    pub backend: Arc<Backend>,
    pub server: Arc<ServerRt>,
    pub index: usize,
    /// When the slot was taken: the one clock read of the lease, which the
    /// stats and the session's timers (`Tw`) share.
    pub at: std::time::Instant,
}

impl Drop for ServerLease {
    fn drop(&mut self) {
        self.server.cur.fetch_sub(1, Ordering::Relaxed);
        self.backend.backend_cur_dec();
        self.backend.dequeue(self.index);
    }
}

impl Backend {
    /// The server's connection limit right now: `maxconn`, lowered towards
    /// `minconn` while the backend is below `fullconn` (HAProxy's dynamic
    /// limit `max(minconn, maxconn * be_conn / fullconn)`). None = unlimited.
    pub fn server_limit(&self, s: &ServerRt) -> Option<u32> {
        let max = Some(s.maxconn.load(Ordering::Relaxed)).filter(|&m| m > 0)?;
        let min = s.minconn.load(Ordering::Relaxed);
        let Some(min) = Some(min).filter(|&m| m > 0 && m < max) else {
            return Some(max);
        };
        let full = u64::from(self.fullconn.load(Ordering::Relaxed).max(1));
        let be = u64::from(self.cur.load(Ordering::Relaxed));
        let dynamic = (u64::from(max) * be / full).min(u64::from(max)) as u32;
        Some(dynamic.max(min))
    }

    /// Takes a slot on server `idx` if it has one free.
    fn try_take(self: &Arc<Self>, idx: usize) -> Option<ServerLease> {
        let server = self.servers.get(idx)?.clone();
        let limit = self.server_limit(&server);
        let mut cur = server.cur.load(Ordering::Relaxed);
        loop {
            if limit.is_some_and(|l| cur >= l) {
                return None;
            }
            match server.cur.compare_exchange_weak(
                cur,
                cur + 1,
                Ordering::AcqRel,
                Ordering::Relaxed,
            ) {
                Ok(_) => break,
                Err(now) => cur = now,
            }
        }
        Some(self.lease_taken(idx, server))
    }

    /// Wraps a slot already counted in `server.cur`.
    fn lease_taken(self: &Arc<Self>, idx: usize, server: Arc<ServerRt>) -> ServerLease {
        server.total.fetch_add(1, Ordering::Relaxed);
        self.cur.fetch_add(1, Ordering::Relaxed);
        let at = std::time::Instant::now();
        crate::stats::feed::leased(self, &server, at);
        ServerLease {
            backend: self.clone(),
            server,
            index: idx,
            at,
        }
    }

    fn backend_cur_dec(&self) {
        self.cur.fetch_sub(1, Ordering::Relaxed);
    }

    /// Hands free slots of server `idx` to the oldest waiters: those queued
    /// on this server, or on the backend (any server will do).
    pub fn dequeue(&self, idx: usize) {
        let Some(server) = self.servers.get(idx) else {
            return;
        };
        loop {
            if !server.is_usable() {
                return;
            }
            let srv_head = server.queue.head_seq();
            let be_head = self.queue.head_seq();
            let from_server = match (srv_head, be_head) {
                (None, None) => return,
                (Some(_), None) => true,
                (None, Some(_)) => false,
                (Some(a), Some(b)) => a < b,
            };
            // Reserve the slot before popping, so a racing new request
            // cannot take it from under the waiter.
            let limit = self.server_limit(server);
            let cur = server.cur.load(Ordering::Relaxed);
            if limit.is_some_and(|l| cur >= l) {
                return;
            }
            if server
                .cur
                .compare_exchange(cur, cur + 1, Ordering::AcqRel, Ordering::Relaxed)
                .is_err()
            {
                continue;
            }
            let waiter = if from_server {
                server.queue.pop()
            } else {
                self.queue.pop()
            };
            let delivered = match waiter {
                Some(w) => w.tx.send(idx).is_ok(),
                None => false,
            };
            if !delivered {
                // The waiter gave up meanwhile: give the slot back and look
                // at the next one.
                server.cur.fetch_sub(1, Ordering::Relaxed);
            }
        }
    }

    /// Offers free slots on every server to the waiters (after a server came
    /// up or its weight changed).
    pub fn kick_queues(&self) {
        for idx in 0..self.servers.len() {
            self.dequeue(idx);
        }
    }

    /// Requests waiting in the backend queue and in all server queues.
    pub fn queued(&self) -> usize {
        self.queue.len() + self.servers.iter().map(|s| s.queue.len()).sum::<usize>()
    }

    /// Gets a slot on a server for a request: balance, then take a free slot,
    /// else wait in a queue (the server's when the algorithm chose it
    /// definitively, e.g. by hash; the backend's when every server is full),
    /// bounded by `timeout queue` (default `timeout connect`) and `maxqueue`.
    pub async fn acquire(
        self: &Arc<Self>,
        key: Option<&[u8]>,
        exclude: Option<usize>,
    ) -> Result<ServerLease, ProxyError> {
        let pick = self.pick(key, exclude);
        self.acquire_picked(pick).await
    }

    /// Gets a slot on server `idx`, whatever its state (persistence chose
    /// it): a free slot, else a place in that server's queue, as 2.6 queues
    /// a request with `SF_DIRECT` on its server.
    pub async fn acquire_at(self: &Arc<Self>, idx: usize) -> Result<ServerLease, ProxyError> {
        if idx >= self.servers.len() {
            return Err(ProxyError::new(
                Cause::Internal,
                Stage::Connect,
                "forced server out of range",
            ));
        }
        self.acquire_picked(Some(idx)).await
    }

    async fn acquire_picked(
        self: &Arc<Self>,
        pick: Option<usize>,
    ) -> Result<ServerLease, ProxyError> {
        let no_server = || ProxyError::new(Cause::Server, Stage::Connect, "no server available");
        let queue_timeout = self
            .conf
            .timeouts
            .queue
            .or(self.conf.timeouts.connect)
            .map(Duration::from_millis);
        let rx = match pick {
            Some(idx) => {
                if let Some(lease) = self.try_take(idx) {
                    return Ok(lease);
                }
                // Chosen but full (hash, first...): wait for this server,
                // unless its queue is at maxqueue; then any server will do.
                let server = self.servers.get(idx).ok_or_else(no_server)?;
                let full_queue = server
                    .conf
                    .maxqueue
                    .is_some_and(|m| m > 0 && server.queue.len() >= m as usize);
                if full_queue {
                    self.queue.push()
                } else {
                    server.queue.push()
                }
            }
            None if self.has_servers() => self.queue.push(),
            None => return Err(no_server()),
        };
        // A slot may have been freed between the pick and the push.
        self.kick_queues();
        let mut rx = rx;
        let expired = async {
            match queue_timeout {
                Some(t) => tokio::time::sleep(t).await,
                None => std::future::pending().await,
            }
        };
        let got = tokio::select! {
            r = &mut rx => r.ok(),
            _ = expired => {
                // A slot may have been sent just as the timer fired: close
                // the channel and take it if so, or it would leak.
                rx.close();
                rx.try_recv().ok()
            }
        };
        match got {
            Some(idx) => {
                let server = self.servers.get(idx).ok_or_else(no_server)?.clone();
                Ok(self.lease_taken(idx, server))
            }
            // The queue timed out: 503 with `sQ`.
            None => Err(ProxyError::new(
                Cause::ServerTimeout,
                Stage::Queue,
                "timeout queue",
            )),
        }
    }
}

impl LoadView for Backend {
    fn load(&self, idx: usize) -> u32 {
        self.servers
            .get(idx)
            .map(|s| s.cur.load(Ordering::Relaxed) + s.queue.len() as u32)
            .unwrap_or(u32::MAX)
    }

    fn saturated(&self, idx: usize) -> bool {
        match self.servers.get(idx) {
            Some(s) => self
                .server_limit(s)
                .is_some_and(|l| s.cur.load(Ordering::Relaxed) >= l),
            None => true,
        }
    }
}
