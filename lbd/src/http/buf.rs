//! A reusable read buffer: bytes arrive at the end, are consumed from the
//! front, and the space is reclaimed by compaction rather than reallocation.
//!
//! As HAProxy does with its buffer pools, an empty buffer holds no memory:
//! the space is taken from a per-thread pool for a read and handed back as
//! soon as the buffer is empty again, or when a read finds nothing to read.
//! A connection waiting for its next request (thousands of idle TLS or
//! keep-alive clients) then costs no buffer, and the pool's buffers are
//! reused without zeroing or a trip through malloc.

use std::cell::RefCell;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, ReadBuf};

/// Bytes of free buffers a thread keeps for reuse; beyond that a released
/// buffer goes back to the allocator. A fixed cost per thread, not per
/// connection.
const POOL_BYTES: usize = 1 << 20;

thread_local! {
    static POOL: RefCell<Vec<Vec<u8>>> = const { RefCell::new(Vec::new()) };
}

/// A buffer of `cap` bytes: from the pool, else newly allocated. Its content
/// is whatever a previous user left: `Buf` only ever exposes bytes it wrote.
fn take(cap: usize) -> Vec<u8> {
    let reused = POOL.with(|p| {
        let mut p = p.borrow_mut();
        // Buffers of another size (tune.bufsize changed by a reload) are
        // left for the allocator.
        while let Some(v) = p.pop() {
            if v.len() == cap {
                return Some(v);
            }
        }
        None
    });
    reused.unwrap_or_else(|| vec![0; cap])
}

fn give_back(v: Vec<u8>) {
    if v.is_empty() {
        return;
    }
    // `try_with`: a buffer dropped while the thread's locals are being torn
    // down simply goes back to the allocator.
    let _ = POOL.try_with(|p| {
        let mut p = p.borrow_mut();
        if (p.len() + 1) * v.len() <= POOL_BYTES {
            p.push(v);
        }
    });
}

#[derive(Debug)]
pub struct Buf {
    /// Empty while the buffer holds no bytes, else `cap` bytes.
    data: Vec<u8>,
    cap: usize,
    start: usize,
    end: usize,
}

impl Drop for Buf {
    fn drop(&mut self) {
        give_back(std::mem::take(&mut self.data));
    }
}

impl Buf {
    pub fn with_capacity(cap: usize) -> Self {
        Buf {
            data: Vec::new(),
            cap,
            start: 0,
            end: 0,
        }
    }

    fn allocate(&mut self) {
        if self.data.is_empty() {
            self.data = take(self.cap);
        }
    }

    /// Hands the space back while there is nothing in it.
    fn release_if_empty(&mut self) {
        if self.start == self.end {
            self.start = 0;
            self.end = 0;
            give_back(std::mem::take(&mut self.data));
        }
    }

    pub fn bytes(&self) -> &[u8] {
        &self.data[self.start..self.end]
    }

    pub fn len(&self) -> usize {
        self.end - self.start
    }

    pub fn is_empty(&self) -> bool {
        self.start == self.end
    }

    pub fn is_full(&self) -> bool {
        self.start == 0 && self.end == self.cap
    }

    pub fn consume(&mut self, n: usize) {
        self.start = (self.start + n).min(self.end);
        self.release_if_empty();
    }

    /// Replaces the first `old` bytes (a head) with `new`, keeping what
    /// follows (body bytes). False, and nothing changed, when it does not fit.
    pub fn replace_front(&mut self, old: usize, new: &[u8]) -> bool {
        let old = old.min(self.len());
        let rest = self.len() - old;
        if new.len() + rest > self.cap {
            return false;
        }
        self.allocate();
        self.data.copy_within(self.start + old..self.end, new.len());
        self.data[..new.len()].copy_from_slice(new);
        self.start = 0;
        self.end = new.len() + rest;
        self.release_if_empty();
        true
    }

    /// Reads once from `s` into the free space; Ok(0) means EOF.
    pub async fn fill<R: AsyncRead + Unpin>(&mut self, s: &mut R) -> io::Result<usize> {
        std::future::poll_fn(|cx| self.poll_fill(cx, s)).await
    }

    /// One read attempt. The space is held only for the attempt when the
    /// buffer is empty: a read that would wait gives it back.
    fn poll_fill<R: AsyncRead + Unpin>(
        &mut self,
        cx: &mut Context<'_>,
        s: &mut R,
    ) -> Poll<io::Result<usize>> {
        self.allocate();
        if self.end == self.data.len() {
            if self.start == 0 {
                return Poll::Ready(Err(io::Error::other("buffer full")));
            }
            self.data.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        let mut rb = ReadBuf::new(&mut self.data[self.end..]);
        let r = Pin::new(s).poll_read(cx, &mut rb);
        let n = rb.filled().len();
        match r {
            Poll::Ready(Ok(())) => {
                self.end += n;
                self.release_if_empty();
                Poll::Ready(Ok(n))
            }
            Poll::Ready(Err(e)) => {
                self.release_if_empty();
                Poll::Ready(Err(e))
            }
            Poll::Pending => {
                self.release_if_empty();
                Poll::Pending
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncWriteExt;

    fn pooled() -> usize {
        POOL.with(|p| p.borrow().len())
    }

    #[tokio::test]
    async fn an_empty_buffer_holds_no_memory() {
        let (mut a, mut b) = tokio::io::duplex(64);
        let mut buf = Buf::with_capacity(4096);
        // Nothing to read: the attempt gives the space back.
        let waited =
            tokio::time::timeout(std::time::Duration::from_millis(20), buf.fill(&mut b)).await;
        assert!(waited.is_err());
        assert!(buf.data.is_empty());
        assert_eq!(pooled(), 1);
        a.write_all(b"GET / HTTP/1.1\r\n").await.ok();
        assert_eq!(buf.fill(&mut b).await.ok(), Some(16));
        assert_eq!(buf.bytes(), b"GET / HTTP/1.1\r\n");
        // The read took the pooled space back.
        assert_eq!(pooled(), 0);
        buf.consume(4);
        assert_eq!(buf.bytes(), b"/ HTTP/1.1\r\n");
        buf.consume(100);
        assert!(buf.data.is_empty() && buf.bytes().is_empty());
        // EOF on an empty buffer keeps nothing either.
        drop(a);
        assert_eq!(buf.fill(&mut b).await.ok(), Some(0));
        assert!(buf.data.is_empty());
    }

    #[tokio::test]
    async fn reused_space_never_shows_old_bytes() {
        let (mut a, mut b) = tokio::io::duplex(64);
        let mut first = Buf::with_capacity(4096);
        a.write_all(b"secret").await.ok();
        assert_eq!(first.fill(&mut b).await.ok(), Some(6));
        drop(first);
        let mut second = Buf::with_capacity(4096);
        assert!(second.bytes().is_empty());
        a.write_all(b"ab").await.ok();
        assert_eq!(second.fill(&mut b).await.ok(), Some(2));
        assert_eq!(second.bytes(), b"ab");
        assert!(second.replace_front(2, b"xyz"));
        assert_eq!(second.bytes(), b"xyz");
    }

    #[test]
    fn the_pool_keeps_a_bounded_amount() {
        // Thousands of sessions closing at once leave at most POOL_BYTES
        // behind, not one buffer each.
        for _ in 0..(2 * POOL_BYTES / 16384) {
            give_back(vec![0; 16384]);
        }
        assert_eq!(pooled(), POOL_BYTES / 16384);
        // A buffer of another size (bufsize changed by a reload) is not
        // handed out for this one.
        let v = take(4096);
        assert_eq!(v.len(), 4096);
        assert_eq!(pooled(), 0);
    }

    #[tokio::test]
    async fn a_full_buffer_compacts_then_refuses() {
        let (mut a, mut b) = tokio::io::duplex(64);
        let mut buf = Buf::with_capacity(8);
        a.write_all(b"12345678").await.ok();
        assert_eq!(buf.fill(&mut b).await.ok(), Some(8));
        assert!(buf.is_full());
        assert!(buf.fill(&mut b).await.is_err());
        buf.consume(6);
        a.write_all(b"abc").await.ok();
        assert_eq!(buf.fill(&mut b).await.ok(), Some(3));
        assert_eq!(buf.bytes(), b"78abc");
    }
}
