//! An in-memory byte pipe standing in for a unix socket pair between a
//! protocol bridge (an h2 or h3 client stream, an h2 server stream) and the
//! HTTP/1.1 session: no descriptors, no syscalls, no epoll registration per
//! request, only a bounded buffer per direction behind a lock held for a
//! copy.
//!
//! It keeps what the bridges relied on from the socket pair: a half-close
//! reads as EOF on the other side; data left unread when a side goes away
//! shows as a reset to the peer once the peer has read what was sent to it
//! (as a unix socket closed with unread input does); a write toward a side
//! that is gone fails with a broken pipe. Readiness (`readable`, `writable`,
//! `try_read`, `try_write`) works on a shared reference like a socket's, so
//! the tunnel forwarder drives it unchanged.
//!
//! A bridge that builds its protocol's response from fields (the h2
//! frontend) opens the pipe with [`pair_with_heads`]: the session then hands
//! it each forwarded response head as a [`Head`] message, in line with the
//! bytes (after any interim responses, before the body), instead of writing
//! it as HTTP/1 for the bridge to parse again. The h2 frontend, which
//! encodes its own HPACK, opens it with [`pair_with_hpack`] and gets the
//! head already encoded.

use bytes::{Buf, BytesMut};
use std::fs::File;
use std::io;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::task::{Context, Poll, Waker};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// Bytes one direction holds before its writer waits: a few of the
/// session's 16 KiB buffers, as a socket pair's send buffer would.
const CAPACITY: usize = 64 * 1024;

/// One direction of the pipe: what one side wrote and the other has not
/// read yet.
#[derive(Default)]
struct Dir {
    buf: BytesMut,
    /// The writer shut down or went away: EOF once `buf` is drained.
    eof: bool,
    /// The writer went away with input unread: one reset after `buf`.
    reset: bool,
    /// The reader went away: writes fail.
    reader_gone: bool,
    read_waker: Option<Waker>,
    write_waker: Option<Waker>,
    /// A head message sent after `buf`'s bytes, with what was written
    /// after it: the reader gets `buf`, then the head, then these bytes.
    head: Option<(Head, BytesMut)>,
}

impl Dir {
    /// Where written bytes go: after a pending head, if there is one.
    fn tail(&mut self) -> &mut BytesMut {
        match &mut self.head {
            Some((_, after)) => after,
            None => &mut self.buf,
        }
    }

    fn queued(&self) -> usize {
        self.buf.len() + self.head.as_ref().map_or(0, |(_, a)| a.len())
    }
}

/// A response head handed over as fields: the h2 response as the bridge
/// sends it, and how the bytes that follow in the pipe delimit its body.
#[derive(Debug)]
pub struct Head {
    pub response: HeadFields,
    pub framing: crate::h1::BodyFraming,
}

/// A handed-over response head, in the form its bridge sends it.
#[derive(Debug)]
pub enum HeadFields {
    /// Status and fields (the h3 frontend). Boxed: inline, its header map
    /// made every pipe's two directions (and each head moved through them)
    /// several times larger, h2 streams' included.
    Fields(Box<http::Response<()>>),
    /// An HPACK header block (the h2 frontend's own connection).
    Hpack(Vec<u8>),
}

/// How the bridge end of a pipe takes response heads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeadKind {
    /// As HTTP/1 bytes.
    Bytes,
    Fields,
    Hpack,
}

/// What a head-aware read found.
#[derive(Debug)]
pub enum Incoming {
    /// This many bytes were added to the caller's buffer (0: EOF).
    Bytes(usize),
    /// Inline, not boxed: a move of its fields costs less than an
    /// allocation per response.
    Head(Head),
}

/// Both directions; `dirs[s]` carries what side `s` writes.
struct Shared {
    dirs: [Mutex<Dir>; 2],
    /// How side 0 (the bridge) reads response heads.
    heads: HeadKind,
}

/// One end of an in-memory pipe.
pub struct MemStream {
    shared: Arc<Shared>,
    side: usize,
    /// What [`AsFd`] answers: a pipe end has no descriptor of its own.
    placeholder: BorrowedFd<'static>,
}

impl std::fmt::Debug for MemStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "MemStream({})", self.side)
    }
}

/// A descriptor that is no socket (`/dev/null`, or a pipe end inside a
/// chroot without it), for the `AsFd` of a memory pipe: socket options on it
/// fail harmlessly with ENOTSOCK. Callers that mean the socket (splice,
/// lingering close) check the stream kind first.
fn placeholder_fd() -> io::Result<BorrowedFd<'static>> {
    static FD: OnceLock<OwnedFd> = OnceLock::new();
    if let Some(fd) = FD.get() {
        return Ok(fd.as_fd());
    }
    let fd = match File::open("/dev/null") {
        Ok(f) => OwnedFd::from(f),
        Err(_) => nix::unistd::pipe()?.0,
    };
    // Another thread may have won the race: its descriptor is kept.
    let _ = FD.set(fd);
    FD.get()
        .map(|f| f.as_fd())
        .ok_or_else(|| io::Error::other("no placeholder descriptor"))
}

/// A connected pair of memory pipe ends.
pub fn pair() -> io::Result<(MemStream, MemStream)> {
    pair_of(HeadKind::Bytes)
}

/// A pair whose first end (the bridge's) takes response heads as [`Head`]
/// messages from the second (the session's): see [`MemStream::send_head`].
pub fn pair_with_heads() -> io::Result<(MemStream, MemStream)> {
    pair_of(HeadKind::Fields)
}

/// [`pair_with_heads`], the heads as HPACK blocks ([`HeadFields::Hpack`]).
pub fn pair_with_hpack() -> io::Result<(MemStream, MemStream)> {
    pair_of(HeadKind::Hpack)
}

fn pair_of(heads: HeadKind) -> io::Result<(MemStream, MemStream)> {
    let placeholder = placeholder_fd()?;
    let shared = Arc::new(Shared {
        dirs: [Mutex::default(), Mutex::default()],
        heads,
    });
    let a = MemStream {
        shared: shared.clone(),
        side: 0,
        placeholder,
    };
    let b = MemStream {
        shared,
        side: 1,
        placeholder,
    };
    Ok((a, b))
}

fn lock(m: &Mutex<Dir>) -> MutexGuard<'_, Dir> {
    // A panic while holding the lock leaves a consistent buffer (every
    // update is a copy and flag writes): keep going with it.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Keeps the waker of the one task waiting on this role.
/// Keeps the waker to wake in `slot`, cloning only when it changed.
pub(crate) fn register(slot: &mut Option<Waker>, cx: &Context<'_>) {
    match slot {
        Some(w) if w.will_wake(cx.waker()) => {}
        _ => *slot = Some(cx.waker().clone()),
    }
}

fn broken() -> io::Error {
    io::Error::from(io::ErrorKind::BrokenPipe)
}

impl MemStream {
    fn incoming(&self) -> MutexGuard<'_, Dir> {
        lock(&self.shared.dirs[1 - self.side])
    }

    fn outgoing(&self) -> MutexGuard<'_, Dir> {
        lock(&self.shared.dirs[self.side])
    }

    /// Hands what is there to `take`, which removes from the buffer what
    /// it takes and says how much; `None` when the reader must wait.
    fn read_now(
        &self,
        take: impl FnOnce(&mut BytesMut) -> usize,
        cx: Option<&Context<'_>>,
    ) -> Option<io::Result<usize>> {
        let mut d = self.incoming();
        if !d.buf.is_empty() {
            let n = take(&mut d.buf);
            let waker = d.write_waker.take();
            drop(d);
            if let Some(w) = waker {
                w.wake();
            }
            return Some(Ok(n));
        }
        if d.head.is_some() {
            // Only a head-aware reader ([`MemStream::poll_read_head`]) gets
            // heads, and only from a pipe opened for them.
            return Some(Err(io::ErrorKind::InvalidData.into()));
        }
        if d.reset {
            d.reset = false;
            return Some(Err(io::ErrorKind::ConnectionReset.into()));
        }
        if d.eof {
            return Some(Ok(0));
        }
        if let Some(cx) = cx {
            register(&mut d.read_waker, cx);
        }
        None
    }

    /// Writes what fits; `None` when the writer must wait.
    fn write_now<'b>(
        &self,
        bufs: impl Iterator<Item = &'b [u8]> + Clone,
        cx: Option<&Context<'_>>,
    ) -> Option<io::Result<usize>> {
        let mut d = self.outgoing();
        if d.reader_gone || d.eof {
            return Some(Err(broken()));
        }
        let total: usize = bufs.clone().map(<[u8]>::len).sum();
        if total == 0 {
            return Some(Ok(0));
        }
        let room = CAPACITY.saturating_sub(d.queued());
        if room == 0 {
            if let Some(cx) = cx {
                register(&mut d.write_waker, cx);
            }
            return None;
        }
        let mut n = 0;
        for b in bufs {
            let take = b.len().min(room - n);
            d.tail().extend_from_slice(&b[..take]);
            n += take;
            if n == room {
                break;
            }
        }
        let waker = d.read_waker.take();
        drop(d);
        if let Some(w) = waker {
            w.wake();
        }
        Some(Ok(n))
    }

    pub fn try_read(&self, dst: &mut [u8]) -> io::Result<usize> {
        let copy = |src: &mut BytesMut| {
            let n = src.len().min(dst.len());
            dst[..n].copy_from_slice(&src[..n]);
            src.advance(n);
            n
        };
        self.read_now(copy, None)
            .unwrap_or_else(|| Err(io::ErrorKind::WouldBlock.into()))
    }

    pub fn try_write(&self, src: &[u8]) -> io::Result<usize> {
        self.write_now(std::iter::once(src), None)
            .unwrap_or_else(|| Err(io::ErrorKind::WouldBlock.into()))
    }

    /// Copies into the unfilled part of `buf` as is: initialising it first
    /// (a 16 KiB memset per read into a fresh `BytesMut`) showed in perf.
    pub fn poll_read(&self, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let copy = |src: &mut BytesMut| {
            let n = src.len().min(buf.remaining());
            buf.put_slice(&src[..n]);
            src.advance(n);
            n
        };
        match self.read_now(copy, Some(cx)) {
            Some(r) => Poll::Ready(r.map(|_| ())),
            None => Poll::Pending,
        }
    }

    /// Reads into `dst` without a copy when it is empty: the pipe's buffer
    /// is handed over whole and `dst`'s (emptied) allocation is left for the
    /// writer's next bytes, so a bridge reading whole messages allocates
    /// nothing per read. Ready with 0 at EOF.
    pub fn poll_read_bytes(
        &self,
        cx: &mut Context<'_>,
        dst: &mut BytesMut,
    ) -> Poll<io::Result<usize>> {
        let take = |src: &mut BytesMut| {
            let n = src.len();
            if dst.is_empty() {
                dst.clear();
                std::mem::swap(dst, src);
            } else {
                dst.extend_from_slice(src);
                src.clear();
            }
            n
        };
        self.read_now(take, Some(cx))
            .map_or(Poll::Pending, Poll::Ready)
    }

    /// As [`poll_read_bytes`](Self::poll_read_bytes), and a [`Head`] once
    /// the bytes written before it are read.
    pub fn poll_read_head(
        &self,
        cx: &mut Context<'_>,
        dst: &mut BytesMut,
    ) -> Poll<io::Result<Incoming>> {
        {
            let mut d = self.incoming();
            if d.buf.is_empty() {
                if let Some((head, after)) = d.head.take() {
                    d.buf = after;
                    return Poll::Ready(Ok(Incoming::Head(head)));
                }
            }
        }
        self.poll_read_bytes(cx, dst).map_ok(Incoming::Bytes)
    }

    /// How the peer reads response heads ([`HeadKind::Bytes`] unless this
    /// is the session's end of a pipe with heads).
    pub fn peer_takes_heads(&self) -> HeadKind {
        if self.side == 1 {
            self.shared.heads
        } else {
            HeadKind::Bytes
        }
    }

    /// Sends a response head to a peer that takes heads, after the bytes
    /// already written (interim responses) and before those written next.
    /// Not bounded by the capacity, as a head is bounded by its buffer.
    pub fn send_head(&self, head: Head) -> io::Result<()> {
        let mut d = self.outgoing();
        if d.reader_gone || d.eof {
            return Err(broken());
        }
        if d.head.is_some() {
            return Err(io::ErrorKind::InvalidInput.into());
        }
        d.head = Some((head, BytesMut::new()));
        let waker = d.read_waker.take();
        drop(d);
        if let Some(w) = waker {
            w.wake();
        }
        Ok(())
    }

    pub fn poll_write(&self, cx: &mut Context<'_>, src: &[u8]) -> Poll<io::Result<usize>> {
        self.write_now(std::iter::once(src), Some(cx))
            .map_or(Poll::Pending, Poll::Ready)
    }

    pub fn poll_write_vectored(
        &self,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.write_now(bufs.iter().map(|b| &b[..]), Some(cx))
            .map_or(Poll::Pending, Poll::Ready)
    }

    /// Writes into this side's outgoing buffer in place, before the peer
    /// reads anything: a bridge builds the request head right where the
    /// session will read it (no buffer of its own, no copy). Not bounded by
    /// the capacity: the caller bounds what it writes (a head that fits the
    /// session's buffer).
    pub fn preload<R>(&self, fill: impl FnOnce(&mut BytesMut) -> R) -> R {
        let mut d = self.outgoing();
        let r = fill(&mut d.buf);
        let waker = d.read_waker.take();
        drop(d);
        if let Some(w) = waker {
            w.wake();
        }
        r
    }

    /// Ready when a read would not wait (data, EOF or a reset).
    pub fn poll_read_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let mut d = self.incoming();
        if !d.buf.is_empty() || d.eof || d.reset || d.head.is_some() {
            return Poll::Ready(Ok(()));
        }
        register(&mut d.read_waker, cx);
        Poll::Pending
    }

    /// Ready when a write would not wait (room, or an error to report).
    pub fn poll_write_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let mut d = self.outgoing();
        if d.queued() < CAPACITY || d.reader_gone || d.eof {
            return Poll::Ready(Ok(()));
        }
        register(&mut d.write_waker, cx);
        Poll::Pending
    }

    pub async fn readable(&self) -> io::Result<()> {
        std::future::poll_fn(|cx| self.poll_read_ready(cx)).await
    }

    pub async fn writable(&self) -> io::Result<()> {
        std::future::poll_fn(|cx| self.poll_write_ready(cx)).await
    }

    /// Ends this side's output: the peer reads EOF after what was written.
    pub fn shutdown_write(&self) {
        let mut d = self.outgoing();
        d.eof = true;
        let waker = d.read_waker.take();
        drop(d);
        if let Some(w) = waker {
            w.wake();
        }
    }
}

impl Drop for MemStream {
    fn drop(&mut self) {
        let mut d = self.incoming();
        d.reader_gone = true;
        let unread = d.queued() > 0;
        d.buf = BytesMut::new();
        d.head = None;
        let waker = d.write_waker.take();
        drop(d);
        if let Some(w) = waker {
            w.wake();
        }
        let mut d = self.outgoing();
        d.eof = true;
        d.reset = unread;
        let waker = d.read_waker.take();
        drop(d);
        if let Some(w) = waker {
            w.wake();
        }
    }
}

impl AsFd for MemStream {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.placeholder
    }
}

impl AsyncRead for &MemStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        MemStream::poll_read(self.get_mut(), cx, buf)
    }
}

impl AsyncWrite for &MemStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        MemStream::poll_write(self.get_mut(), cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        MemStream::poll_write_vectored(self.get_mut(), cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        true
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.shutdown_write();
        Poll::Ready(Ok(()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// A head comes after the bytes written before it and before those
    /// written after, however the reads fall.
    #[tokio::test]
    async fn a_head_arrives_in_line_with_the_bytes() {
        let (bridge, session) = pair_with_heads().unwrap();
        assert_eq!(session.peer_takes_heads(), HeadKind::Fields);
        assert_eq!(bridge.peer_takes_heads(), HeadKind::Bytes);
        (&session)
            .write_all(b"HTTP/1.1 100 Continue\r\n\r\n")
            .await
            .unwrap();
        let head = Head {
            response: HeadFields::Fields(Box::new(http::Response::new(()))),
            framing: crate::h1::BodyFraming::ContentLength(4),
        };
        session.send_head(head).unwrap();
        (&session).write_all(b"body").await.unwrap();
        drop(session);
        let mut buf = BytesMut::new();
        macro_rules! read {
            () => {
                std::future::poll_fn(|cx| bridge.poll_read_head(cx, &mut buf))
                    .await
                    .unwrap()
            };
        }
        assert!(matches!(read!(), Incoming::Bytes(25)));
        assert!(matches!(
            read!(),
            Incoming::Head(h) if h.framing == crate::h1::BodyFraming::ContentLength(4)
        ));
        buf.clear();
        assert!(matches!(read!(), Incoming::Bytes(4)));
        assert_eq!(&buf[..], b"body");
        assert!(matches!(read!(), Incoming::Bytes(0)));
    }

    #[tokio::test]
    async fn bytes_flow_both_ways_and_half_close_reads_as_eof() {
        let (a, b) = pair().unwrap();
        (&a).write_all(b"ping").await.unwrap();
        a.shutdown_write();
        let mut got = Vec::new();
        (&b).read_to_end(&mut got).await.unwrap();
        assert_eq!(got, b"ping");
        (&b).write_all(b"pong").await.unwrap();
        let mut buf = [0u8; 8];
        let n = (&a).read(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"pong");
    }

    #[tokio::test]
    async fn a_full_pipe_waits_for_the_reader() {
        let (a, b) = pair().unwrap();
        let big = vec![7u8; CAPACITY * 3 + 5];
        let writer = async { (&a).write_all(&big).await.map(|_| drop(a)) };
        let reader = async {
            let mut got = Vec::new();
            (&b).read_to_end(&mut got).await.map(|_| got)
        };
        let (w, r) = tokio::join!(writer, reader);
        w.unwrap();
        assert_eq!(r.unwrap(), big);
    }

    #[tokio::test]
    async fn closing_with_unread_input_resets_the_peer_after_its_data() {
        let (a, b) = pair().unwrap();
        (&a).write_all(b"request").await.unwrap();
        (&b).write_all(b"answer").await.unwrap();
        drop(b);
        let mut buf = [0u8; 16];
        let n = a.try_read(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"answer");
        let e = a.try_read(&mut buf).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::ConnectionReset);
        assert_eq!(
            a.try_write(b"more").unwrap_err().kind(),
            io::ErrorKind::BrokenPipe
        );
    }

    #[tokio::test]
    async fn whole_buffer_reads_keep_every_byte() {
        let (a, b) = pair().unwrap();
        let mut got = BytesMut::new();
        (&a).write_all(b"head").await.unwrap();
        let n = std::future::poll_fn(|cx| b.poll_read_bytes(cx, &mut got))
            .await
            .unwrap();
        assert_eq!(n, 4);
        (&a).write_all(b" body").await.unwrap();
        drop(a);
        while std::future::poll_fn(|cx| b.poll_read_bytes(cx, &mut got))
            .await
            .unwrap()
            > 0
        {}
        assert_eq!(&got[..], b"head body");
    }

    #[test]
    fn empty_pipe_would_block() {
        let (a, _b) = pair().unwrap();
        let mut buf = [0u8; 4];
        assert_eq!(
            a.try_read(&mut buf).unwrap_err().kind(),
            io::ErrorKind::WouldBlock
        );
    }
}
