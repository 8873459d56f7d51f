//! Running work until it ends or a rare signal comes first (`shutdown
//! session`, a server's kill, a hard stop).
//!
//! The work is polled first, and the signal only while the work waits: a
//! response body already in the buffer never registers the signal. The
//! signals are [`crate::kill::Changed`] futures, which a task polls again
//! without a lock (a `Notify` locked on every poll of a waiting future; the
//! session wakes several times per request, and that showed in perf).

use std::future::Future;
use std::pin::Pin;
use std::task::Poll;

/// Runs `work` to its end (Ok), unless `signal` resolves first (Err).
/// When both are ready in the same poll, `work`'s end wins. Both are pinned
/// by the caller: a session's futures are large, and passed by value they
/// were copied at each move.
pub(super) async fn until_signal<W: Future, S: Future>(
    mut work: Pin<&mut W>,
    mut signal: Pin<&mut S>,
) -> Result<W::Output, S::Output> {
    std::future::poll_fn(|cx| {
        if let Poll::Ready(v) = work.as_mut().poll(cx) {
            return Poll::Ready(Ok(v));
        }
        if let Poll::Ready(v) = signal.as_mut().poll(cx) {
            return Poll::Ready(Err(v));
        }
        Poll::Pending
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::pin::pin;
    use std::sync::Arc;
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
