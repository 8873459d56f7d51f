//! Connection limits (`maxconn` global, per frontend, per bind) enforced at
//! accept time: a listener waits for a slot before accepting, so excess
//! clients stay in the kernel's backlog instead of being dropped.
//!
//! A limit can be resized at run time (`set maxconn global|frontend`).
//! Growing adds permits at once; shrinking removes the free ones and records
//! the rest as a debt that permits pay off as they are next acquired, so no
//! live connection is cut.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

#[derive(Debug, Clone)]
pub struct ConnLimit(Arc<Inner>);

#[derive(Debug)]
struct Inner {
    sem: Arc<Semaphore>,
    max: AtomicU32,
    /// Permits still to withdraw after a shrink.
    debt: AtomicU32,
}

impl ConnLimit {
    pub fn new(max: u32) -> Self {
        // A zero limit would block forever; HAProxy rejects maxconn 0 at parse
        // time, so treat it as one here rather than deadlock.
        let max = max.max(1);
        ConnLimit(Arc::new(Inner {
            sem: Arc::new(Semaphore::new(max as usize)),
            max: AtomicU32::new(max),
            debt: AtomicU32::new(0),
        }))
    }

    /// Waits for a free slot; the slot is released when the permit drops.
    pub async fn acquire(&self) -> OwnedSemaphorePermit {
        loop {
            // The semaphore is never closed, so an error cannot happen; loop
            // rather than unwrap to keep the accept path panic-free.
            let Ok(p) = self.0.sem.clone().acquire_owned().await else {
                continue;
            };
            if self.take_debt() {
                p.forget();
                continue;
            }
            return p;
        }
    }

    fn take_debt(&self) -> bool {
        self.0
            .debt
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |d| d.checked_sub(1))
            .is_ok()
    }

    /// Changes the limit (at least 1). Connections above a lowered limit
    /// finish normally; new ones wait until the count is under it.
    pub fn resize(&self, new_max: u32) {
        let new_max = new_max.max(1);
        let old = self.0.max.swap(new_max, Ordering::AcqRel);
        if new_max > old {
            let mut grow = new_max - old;
            // Cancel outstanding debt before adding permits.
            while grow > 0 && self.take_debt() {
                grow -= 1;
            }
            self.0.sem.add_permits(grow as usize);
        } else if new_max < old {
            let shrink = old - new_max;
            let removed = self.0.sem.forget_permits(shrink as usize) as u32;
            self.0.debt.fetch_add(shrink - removed, Ordering::AcqRel);
        }
    }

    pub fn max(&self) -> u32 {
        self.0.max.load(Ordering::Acquire)
    }

    pub fn current(&self) -> u32 {
        let physical = self.max() + self.0.debt.load(Ordering::Acquire);
        physical.saturating_sub(self.0.sem.available_permits() as u32)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn shrink_waits_for_live_connections_then_grow_frees() {
        let l = ConnLimit::new(3);
        let a = l.acquire().await;
        let b = l.acquire().await;
        l.resize(1);
        assert_eq!(l.current(), 2);
        drop(a);
        // One connection is still live and the limit is 1: no slot.
        let waited = tokio::time::timeout(std::time::Duration::from_millis(50), l.acquire()).await;
        assert!(waited.is_err());
        drop(b);
        let c = l.acquire().await;
        assert_eq!(l.current(), 1);
        l.resize(2);
        let _d = l.acquire().await;
        assert_eq!(l.current(), 2);
        drop(c);
        assert_eq!(l.current(), 1);
    }
}
