//! Per-server run-time parts that most servers of a big configuration never
//! use in a generation's life: a changeable address. It costs nothing until
//! its first use, because every reload of 10,000 servers creates and later
//! frees one per server: an `ArcSwap` only once changed (its drop settles
//! every thread's pending reads). The kill signal (`crate::kill`) allocates
//! nothing until a session waits on it.
//!
//! What they do once used is what the eager versions did.

use super::ServerAddrRt;
use arc_swap::ArcSwap;
use std::sync::{Arc, OnceLock};

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
}
