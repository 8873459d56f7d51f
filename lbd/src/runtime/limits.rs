//! Connection limits (`maxconn` global, per frontend, per bind) enforced at
//! accept time: a listener waits for a slot before accepting, so excess
//! clients stay in the kernel's backlog instead of being dropped.

use std::sync::Arc;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

#[derive(Debug, Clone)]
pub struct ConnLimit {
    sem: Arc<Semaphore>,
    max: u32,
}

impl ConnLimit {
    pub fn new(max: u32) -> Self {
        // A zero limit would block forever; HAProxy rejects maxconn 0 at parse
        // time, so treat it as one here rather than deadlock.
        let max = max.max(1);
        ConnLimit {
            sem: Arc::new(Semaphore::new(max as usize)),
            max,
        }
    }

    /// Waits for a free slot; the slot is released when the permit drops.
    pub async fn acquire(&self) -> OwnedSemaphorePermit {
        loop {
            // The semaphore is never closed, so an error cannot happen; loop
            // rather than unwrap to keep the accept path panic-free.
            if let Ok(p) = self.sem.clone().acquire_owned().await {
                return p;
            }
        }
    }

    pub fn max(&self) -> u32 {
        self.max
    }

    pub fn current(&self) -> u32 {
        self.max - self.sem.available_permits() as u32
    }
}
