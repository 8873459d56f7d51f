//! Running work until it ends or a rare signal comes first (`shutdown
//! session`, a server's kill, a hard stop), without polling the signal on
//! every wake-up.
//!
//! A `select!` over the work and the signal polls both on every wake-up of
//! the task, and each poll of a waiting `Notified` or watch takes its lock:
//! a session wakes several times per request, and that showed in perf
//! (~2% of an h2 request for the session's kill alone). Here the signal is
//! polled once to register, then only after its own waker fired.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};

/// The waker the signal holds: it notes that it fired, then wakes the
/// task.
struct SignalWaker {
    fired: AtomicBool,
    task: Mutex<Option<Waker>>,
}

impl Wake for SignalWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.fired.store(true, Ordering::Release);
        let task = self.task.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(w) = task.as_ref() {
            w.wake_by_ref();
        }
    }
}

/// Runs `work` to its end (Ok), unless `signal` resolves first (Err).
/// When both are ready in the same poll, `work`'s end wins. Both are pinned
/// by the caller: a session's futures are large, and passed by value they
/// were copied at each move.
pub(super) async fn until_signal<W: Future, S: Future>(
    mut work: Pin<&mut W>,
    mut signal: Pin<&mut S>,
) -> Result<W::Output, S::Output> {
    // Made when the work first waits: work that ends on its first poll (a
    // response body already in the buffer) costs no allocation, and its
    // signal is never registered.
    let mut armed: Option<(Arc<SignalWaker>, Waker)> = None;
    let mut task: Option<Waker> = None;
    std::future::poll_fn(|cx| {
        if let Poll::Ready(v) = work.as_mut().poll(cx) {
            return Poll::Ready(Ok(v));
        }
        // Fired from the start: the first poll registers the signal.
        let (flag, signal_waker) = armed.get_or_insert_with(|| {
            let flag = Arc::new(SignalWaker {
                fired: AtomicBool::new(true),
                task: Mutex::new(None),
            });
            let waker = Waker::from(flag.clone());
            (flag, waker)
        });
        // A task's waker rarely changes: the lock only when it did.
        if !task.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
            task = Some(cx.waker().clone());
            *flag.task.lock().unwrap_or_else(|e| e.into_inner()) = task.clone();
        }
        // A plain load first: the swap is a locked instruction, and the
        // signal almost never fired.
        if flag.fired.load(Ordering::Acquire) && flag.fired.swap(false, Ordering::AcqRel) {
            let mut cx = Context::from_waker(signal_waker);
            if let Poll::Ready(v) = signal.as_mut().poll(&mut cx) {
                return Poll::Ready(Err(v));
            }
        }
        Poll::Pending
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::pin::pin;
    use std::time::Duration;
    use tokio::sync::Notify;

    #[tokio::test]
    async fn work_that_ends_wins() {
        let kill = Notify::new();
        let r = until_signal(pin!(async {}), pin!(kill.notified())).await;
        assert!(r.is_ok());
    }

    #[tokio::test]
    async fn a_signal_ends_work_that_waits() {
        let kill = Arc::new(Notify::new());
        let k = kill.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(20)).await;
            k.notify_one();
        });
        let work = async {
            // Wakes itself often, as a busy session does.
            loop {
                tokio::task::yield_now().await;
            }
        };
        let killed = tokio::time::timeout(
            Duration::from_secs(5),
            until_signal(pin!(work), pin!(kill.notified())),
        )
        .await;
        assert!(matches!(killed, Ok(Err(()))));
    }
}
