//! Per-server run-time parts that most servers of a big configuration never
//! use in a generation's life: the session kill signal and a changeable
//! address. Each costs nothing until its first use, because every reload of
//! 10,000 servers creates and later frees one of each per server: the kill
//! signal is a counter and a `Notify` (no allocation), and the address an
//! `ArcSwap` only once changed (its drop settles every thread's pending
//! reads).
//!
//! What they do once used is what the eager versions did.

use super::ServerAddrRt;
use arc_swap::ArcSwap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use tokio::sync::Notify;

/// The signal that ends every session on a server (`on-marked-down
/// shutdown-sessions`, `shutdown sessions server`, and a generation's hard
/// stop): a generation number, and the waiters to wake when it changes.
///
/// Not a watch channel: an exchange waits on it for every response, and a
/// watch receiver costs a shared-count update on subscribe and drop, and a
/// read lock per look. Here a look is one atomic load, and a wait registers
/// one waiter. A `Notify` is made and freed without any allocation.
#[derive(Debug, Default)]
pub struct KillSwitch {
    generation: AtomicU64,
    waiters: Notify,
}

impl KillSwitch {
    /// The current generation number.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Changes the number and wakes every waiter.
    pub fn send_modify(&self, f: impl Fn(u64) -> u64) {
        let _ = self
            .generation
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |g| Some(f(g)));
        self.waiters.notify_waiters();
    }

    /// Resolves with the generation number once it is no longer `seen`.
    pub async fn changed_from(&self, seen: u64) -> u64 {
        loop {
            let g = self.generation();
            if g != seen {
                return g;
            }
            let notified = self.waiters.notified();
            let mut notified = std::pin::pin!(notified);
            // Registered before the second look: a change between the two
            // wakes it (`notify_waiters` wakes only registered waiters).
            notified.as_mut().enable();
            let g = self.generation();
            if g != seen {
                return g;
            }
            notified.await;
        }
    }
}

/// A server's address: the configured one, until `set server ... addr`
/// stores another (from then on an `ArcSwap`, so that the connect path
/// still loads it without a lock).
#[derive(Debug)]
pub struct AddrCell {
    configured: Arc<ServerAddrRt>,
    changed: OnceLock<ArcSwap<ServerAddrRt>>,
}

/// A loaded address (see [`AddrCell::load`]).
pub enum AddrGuard<'a> {
    Configured(&'a Arc<ServerAddrRt>),
    Changed(arc_swap::Guard<Arc<ServerAddrRt>>),
}

impl std::ops::Deref for AddrGuard<'_> {
    type Target = Arc<ServerAddrRt>;

    fn deref(&self) -> &Arc<ServerAddrRt> {
        match self {
            AddrGuard::Configured(a) => a,
            AddrGuard::Changed(g) => g,
        }
    }
}

impl AddrCell {
    pub fn new(addr: ServerAddrRt) -> AddrCell {
        AddrCell {
            configured: Arc::new(addr),
            changed: OnceLock::new(),
        }
    }

    /// The address in force, borrowed.
    pub fn load(&self) -> AddrGuard<'_> {
        match self.changed.get() {
            Some(c) => AddrGuard::Changed(c.load()),
            None => AddrGuard::Configured(&self.configured),
        }
    }

    /// The address in force, owned.
    pub fn load_full(&self) -> Arc<ServerAddrRt> {
        match self.changed.get() {
            Some(c) => c.load_full(),
            None => self.configured.clone(),
        }
    }

    /// Replaces the address for every later load.
    pub fn store(&self, addr: Arc<ServerAddrRt>) {
        let mut addr = Some(addr);
        let cell = self.changed.get_or_init(|| {
            // The first change is the cell's initial value, so no load can
            // see the configured address after `store` returned.
            ArcSwap::new(addr.take().unwrap_or_else(|| self.configured.clone()))
        });
        if let Some(a) = addr {
            cell.store(a);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::model::ServerPort;

    fn ip(last: u8) -> ServerAddrRt {
        ServerAddrRt::Ip {
            ip: std::net::IpAddr::from([127, 0, 0, last]),
            port: ServerPort::Fixed(80),
        }
    }

    #[test]
    fn the_configured_address_stands_until_one_is_stored() {
        let c = AddrCell::new(ip(1));
        assert_eq!(**c.load(), ip(1));
        c.store(Arc::new(ip(2)));
        assert_eq!(**c.load(), ip(2));
        assert_eq!(*c.load_full(), ip(2));
        c.store(Arc::new(ip(3)));
        assert_eq!(**c.load(), ip(3));
    }

    #[tokio::test]
    async fn a_kill_wakes_a_waiter_registered_before_it() {
        let k = Arc::new(KillSwitch::default());
        assert_eq!(k.generation(), 0);
        let waiter = tokio::spawn({
            let k = k.clone();
            async move { k.changed_from(0).await }
        });
        // The waiter may or may not have registered yet: either way the
        // change reaches it.
        tokio::task::yield_now().await;
        k.send_modify(|g| g + 4);
        let got = tokio::time::timeout(std::time::Duration::from_secs(5), waiter).await;
        assert!(matches!(got, Ok(Ok(4))));
        // A generation already past `seen` resolves at once.
        assert_eq!(k.changed_from(0).await, 4);
    }
}
