//! The kill switch: a signal that ends sessions (a server's `on-marked-down
//! shutdown-sessions` and `shutdown sessions server`, the generation's hard
//! stop, a session's `shutdown session`).
//!
//! Every exchange waits on its server's switch while the server has yet to
//! answer, so waiting must be cheap: a look is one atomic load, a wait puts
//! one waker in a slot (one lock), and a waiting future polled again by the
//! same task does not lock at all. A `Notify` takes its lock on every poll
//! of a waiting future, and a watch receiver adds shared-count updates and
//! a read lock; both showed per request in callgrind.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};

/// A generation number, and the wakers of the futures waiting for it to
/// change.
#[derive(Debug, Default)]
pub struct KillSwitch {
    generation: AtomicU64,
    waiters: Mutex<Waiters>,
}

/// Slots for wakers; a slot belongs to one waiting future until it drops.
#[derive(Debug, Default)]
struct Waiters {
    slots: Vec<Option<Waker>>,
    free: Vec<usize>,
}

impl Waiters {
    fn insert(&mut self, w: Waker) -> usize {
        match self.free.pop() {
            Some(i) => {
                self.slots[i] = Some(w);
                i
            }
            None => {
                self.slots.push(Some(w));
                self.slots.len() - 1
            }
        }
    }

    fn remove(&mut self, i: usize) {
        if let Some(s) = self.slots.get_mut(i) {
            *s = None;
            self.free.push(i);
        }
    }
}

impl KillSwitch {
    /// The current generation number.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    fn lock(&self) -> MutexGuard<'_, Waiters> {
        self.waiters.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Changes the number and wakes every waiting future.
    pub fn send_modify(&self, f: impl Fn(u64) -> u64) {
        let _ = self
            .generation
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |g| Some(f(g)));
        // Taken under the lock, woken after it: a woken task may run on
        // another thread and drop its future (which locks) at once.
        let woken: Vec<Waker> = self
            .lock()
            .slots
            .iter_mut()
            .filter_map(Option::take)
            .collect();
        for w in woken {
            w.wake();
        }
    }

    /// Resolves with the generation number once it is no longer `seen`.
    pub fn changed_from(&self, seen: u64) -> Changed<'_> {
        Changed {
            switch: self,
            seen,
            slot: None,
            waker: None,
        }
    }
}

/// The future of [`KillSwitch::changed_from`].
#[derive(Debug)]
pub struct Changed<'a> {
    switch: &'a KillSwitch,
    seen: u64,
    slot: Option<usize>,
    /// The waker in the slot, to tell a poll by the same task (no lock).
    waker: Option<Waker>,
}

impl Future for Changed<'_> {
    type Output = u64;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<u64> {
        let this = self.get_mut();
        let g = this.switch.generation();
        if g != this.seen {
            return Poll::Ready(g);
        }
        if this.waker.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
            return Poll::Pending;
        }
        let w = cx.waker().clone();
        {
            let mut list = this.switch.lock();
            match this.slot {
                Some(i) => {
                    if let Some(s) = list.slots.get_mut(i) {
                        *s = Some(w.clone());
                    }
                }
                None => this.slot = Some(list.insert(w.clone())),
            }
        }
        this.waker = Some(w);
        // A second look, the waker in place: a change made meanwhile either
        // took this waker (and woke it) or is visible now.
        let g = this.switch.generation();
        if g != this.seen {
            Poll::Ready(g)
        } else {
            Poll::Pending
        }
    }
}

impl Drop for Changed<'_> {
    fn drop(&mut self) {
        if let Some(i) = self.slot.take() {
            self.switch.lock().remove(i);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::time::Duration;

    #[tokio::test]
    async fn a_change_wakes_every_waiter() {
        let k = Arc::new(KillSwitch::default());
        assert_eq!(k.generation(), 0);
        let waiters: Vec<_> = (0..3)
            .map(|_| {
                let k = k.clone();
                tokio::spawn(async move { k.changed_from(0).await })
            })
            .collect();
        // Registered or not yet: either way the change reaches them.
        tokio::task::yield_now().await;
        k.send_modify(|g| g + 4);
        for w in waiters {
            let got = tokio::time::timeout(Duration::from_secs(5), w).await;
            assert!(matches!(got, Ok(Ok(4))));
        }
        // Past `seen` already: at once.
        assert_eq!(k.changed_from(0).await, 4);
    }

    #[tokio::test]
    async fn slots_are_reused_after_their_futures_drop() {
        let k = KillSwitch::default();
        for _ in 0..10 {
            let f = k.changed_from(0);
            let r = tokio::time::timeout(Duration::from_millis(1), f).await;
            assert!(r.is_err());
        }
        assert_eq!(k.lock().slots.len(), 1);
        assert!(k.lock().slots.iter().all(Option::is_none));
    }

    #[tokio::test]
    async fn a_waiter_polled_again_keeps_its_slot() {
        let k = Arc::new(KillSwitch::default());
        let mut f = Box::pin(k.changed_from(0));
        // Polled twice by the same task before the change.
        for _ in 0..2 {
            let r = futures_poll_once(f.as_mut()).await;
            assert!(r.is_none());
        }
        assert_eq!(k.lock().slots.len(), 1);
        k.send_modify(|g| g + 1);
        assert_eq!(f.await, 1);
        assert!(k.lock().free.len() == 1);
    }

    async fn futures_poll_once<F: Future + Unpin>(mut f: F) -> Option<F::Output> {
        std::future::poll_fn(|cx| match Pin::new(&mut f).poll(cx) {
            Poll::Ready(v) => Poll::Ready(Some(v)),
            Poll::Pending => Poll::Ready(None),
        })
        .await
    }
}
