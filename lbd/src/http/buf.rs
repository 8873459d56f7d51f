//! A reusable read buffer: bytes arrive at the end, are consumed from the
//! front, and the space is reclaimed by compaction rather than reallocation.
//! The space is allocated at the first read, as HAProxy allocates buffers
//! only when data comes: a connection that never sends (thousands of idle
//! TLS clients) costs no buffer.

use std::io;
use tokio::io::{AsyncRead, AsyncReadExt};

#[derive(Debug)]
pub struct Buf {
    /// Empty until the first write into the buffer, then `cap` bytes.
    data: Vec<u8>,
    cap: usize,
    start: usize,
    end: usize,
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
            self.data = vec![0; self.cap];
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
        if self.start == self.end {
            self.start = 0;
            self.end = 0;
        }
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
        true
    }

    /// Reads once from `s` into the free space; Ok(0) means EOF.
    pub async fn fill<R: AsyncRead + Unpin>(&mut self, s: &mut R) -> io::Result<usize> {
        self.allocate();
        if self.end == self.data.len() {
            if self.start == 0 {
                return Err(io::Error::other("buffer full"));
            }
            self.data.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        let n = s.read(&mut self.data[self.end..]).await?;
        self.end += n;
        Ok(n)
    }
}
