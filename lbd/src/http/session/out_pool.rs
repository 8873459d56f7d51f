//! A per-thread stock of the sessions' output buffers (the rewritten head
//! and the body bytes on their way to the other side). Each h2/h3 stream
//! is a session of its own: without the stock, every stream allocated its
//! output buffer and grew it twice (request head, response head and body).
//! Only the capacity is reused; a taken buffer is always empty.

use std::cell::RefCell;

/// Buffers a thread keeps; a session holds one, so this bounds the stock
/// by the sessions that ended together, not by traffic. A session with
/// retries holds two (the request kept for a retry): at 64, a hundred h2
/// streams in flight (h2load -c10 -m10) emptied the stock and each new
/// stream grew fresh buffers.
const KEEP: usize = 256;

/// A buffer grown past this (a large head, a burst of body) goes back to
/// the allocator rather than sit in the stock.
const MAX_CAPACITY: usize = 32 * 1024;

thread_local! {
    static STOCK: RefCell<Vec<Vec<u8>>> = const { RefCell::new(Vec::new()) };
}

/// An empty buffer, with the capacity a previous session grew when there is one.
pub(super) fn take() -> Vec<u8> {
    STOCK
        .try_with(|s| s.borrow_mut().pop())
        .ok()
        .flatten()
        .unwrap_or_default()
}

/// Hands a session's buffer back for the next one.
pub(super) fn give_back(mut v: Vec<u8>) {
    if v.capacity() == 0 || v.capacity() > MAX_CAPACITY {
        return;
    }
    v.clear();
    // `try_with`: a session dropped while the thread's locals are being torn
    // down lets its buffer go to the allocator.
    let _ = STOCK.try_with(|s| {
        let mut s = s.borrow_mut();
        if s.len() < KEEP {
            s.push(v);
        }
    });
}

/// A buffer from the stock that goes back to it when dropped (the copy of a
/// request kept for retries, which an exchange drops on any of its exits).
pub(super) struct Pooled(pub(super) Vec<u8>);

impl Drop for Pooled {
    fn drop(&mut self) {
        give_back(std::mem::take(&mut self.0));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_buffer_comes_back_empty_with_its_capacity() {
        let mut v = take();
        v.extend_from_slice(&[1u8; 3000]);
        let cap = v.capacity();
        give_back(v);
        let again = take();
        assert!(again.is_empty());
        assert_eq!(again.capacity(), cap);
        let mut big = Vec::with_capacity(MAX_CAPACITY + 1);
        big.push(1u8);
        give_back(big);
        assert!(take().capacity() <= MAX_CAPACITY);
    }
}
