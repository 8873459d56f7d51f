//! One byte stream type for both listener families (TCP and unix sockets),
//! for TLS over TCP, and for the in-memory pipe between a multiplexed
//! stream's bridge and its HTTP/1.1 session ([`mem`]), so the proxy code is
//! written once. TLS and memory streams are never spliced: `is_tcp()` is
//! false for them; TLS reads and writes go through rustls
//! (`crate::tls::conn`).

pub mod mem;

use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::pin::Pin;
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, AsyncWrite, Interest, ReadBuf};
use tokio::net::{TcpStream, UnixStream};

use crate::tls::conn::TlsConn;
use crate::tls::TlsInfo;

#[derive(Debug)]
pub enum Stream {
    Tcp(TcpStream),
    Unix(UnixStream),
    Tls(Box<TlsConn>),
    Mem(mem::MemStream),
}

impl Stream {
    pub async fn readable(&self) -> io::Result<()> {
        match self {
            Stream::Tcp(s) => s.readable().await,
            Stream::Unix(s) => s.readable().await,
            Stream::Tls(t) if t.has_buffered() => Ok(()),
            Stream::Tls(t) => t.tcp.readable().await,
            Stream::Mem(m) => m.readable().await,
        }
    }

    pub async fn writable(&self) -> io::Result<()> {
        match self {
            Stream::Tcp(s) => s.writable().await,
            Stream::Unix(s) => s.writable().await,
            Stream::Tls(t) => t.tcp.writable().await,
            Stream::Mem(m) => m.writable().await,
        }
    }

    /// Runs a non-blocking syscall on the socket, clearing readiness on
    /// WouldBlock. On a TLS stream the syscall would bypass the encryption,
    /// and a memory pipe has no socket: callers use `try_read`/`try_write`
    /// there.
    pub fn try_io<R>(
        &self,
        interest: Interest,
        f: impl FnOnce() -> io::Result<R>,
    ) -> io::Result<R> {
        match self {
            Stream::Tcp(s) => s.try_io(interest, f),
            Stream::Unix(s) => s.try_io(interest, f),
            Stream::Tls(_) | Stream::Mem(_) => Err(io::Error::new(
                io::ErrorKind::Unsupported,
                "raw socket I/O on a TLS or memory stream",
            )),
        }
    }

    pub fn try_read(&self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Stream::Tcp(s) => s.try_read(buf),
            Stream::Unix(s) => s.try_read(buf),
            Stream::Tls(t) => t.try_read(buf),
            Stream::Mem(m) => m.try_read(buf),
        }
    }

    /// Non-blocking write (of plaintext, on a TLS stream).
    pub fn try_write(&self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Stream::Tcp(s) => s.try_write(buf),
            Stream::Unix(s) => s.try_write(buf),
            Stream::Tls(t) => t.try_write(buf),
            Stream::Mem(m) => m.try_write(buf),
        }
    }

    /// Shuts down the write side (sends FIN, after a TLS close_notify),
    /// keeping the read side open.
    pub fn shutdown_write(&self) -> io::Result<()> {
        match self {
            Stream::Tls(t) => return t.shutdown_write(),
            Stream::Mem(m) => {
                m.shutdown_write();
                return Ok(());
            }
            _ => {}
        }
        let sock = socket2::SockRef::from(self);
        sock.shutdown(std::net::Shutdown::Write)
    }

    /// What the TLS handshake negotiated, on a TLS client connection.
    pub fn tls_info(&self) -> Option<&std::sync::Arc<TlsInfo>> {
        match self {
            Stream::Tls(t) => t.info.as_ref(),
            _ => None,
        }
    }

    /// The peer's address for TCP streams (`%si:%sp` for a server).
    pub fn peer_addr(&self) -> Option<std::net::SocketAddr> {
        match self {
            Stream::Tcp(s) => s.peer_addr().ok(),
            Stream::Tls(t) => t.tcp.peer_addr().ok(),
            Stream::Unix(_) | Stream::Mem(_) => None,
        }
    }

    pub fn is_tcp(&self) -> bool {
        matches!(self, Stream::Tcp(_))
    }

    /// Disables lingering so that close() sends a RST (`option nolinger`, and
    /// aborts that must be visible to the peer). A memory pipe, like the
    /// unix socket pair it replaces, has no linger.
    pub fn set_nolinger(&self) {
        if let Stream::Mem(_) = self {
            return;
        }
        let sock = socket2::SockRef::from(self);
        let _ = sock.set_linger(Some(std::time::Duration::ZERO));
    }
}

/// A memory pipe answers a placeholder that is no socket (see
/// [`mem::MemStream`]).
impl AsFd for Stream {
    fn as_fd(&self) -> BorrowedFd<'_> {
        match self {
            Stream::Tcp(s) => s.as_fd(),
            Stream::Unix(s) => s.as_fd(),
            Stream::Tls(t) => t.tcp.as_fd(),
            Stream::Mem(m) => m.as_fd(),
        }
    }
}

impl AsRawFd for Stream {
    fn as_raw_fd(&self) -> RawFd {
        self.as_fd().as_raw_fd()
    }
}

impl AsyncRead for Stream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Tcp(s) => Pin::new(s).poll_read(cx, buf),
            Stream::Unix(s) => Pin::new(s).poll_read(cx, buf),
            Stream::Tls(t) => tls_read(t, cx, buf),
            Stream::Mem(m) => m.poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Stream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Stream::Tcp(s) => Pin::new(s).poll_write(cx, buf),
            Stream::Unix(s) => Pin::new(s).poll_write(cx, buf),
            Stream::Tls(t) => t.poll_write(cx, buf),
            Stream::Mem(m) => m.poll_write(cx, buf),
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Stream::Tcp(s) => Pin::new(s).poll_write_vectored(cx, bufs),
            Stream::Unix(s) => Pin::new(s).poll_write_vectored(cx, bufs),
            Stream::Tls(t) => {
                let first = bufs.iter().find(|b| !b.is_empty());
                t.poll_write(cx, first.map(|b| &b[..]).unwrap_or(&[]))
            }
            Stream::Mem(m) => m.poll_write_vectored(cx, bufs),
        }
    }

    fn is_write_vectored(&self) -> bool {
        !matches!(self, Stream::Tls(_))
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Tcp(s) => Pin::new(s).poll_flush(cx),
            Stream::Unix(s) => Pin::new(s).poll_flush(cx),
            Stream::Tls(t) => t.poll_flush(cx),
            Stream::Mem(_) => Poll::Ready(Ok(())),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Tcp(s) => Pin::new(s).poll_shutdown(cx),
            Stream::Unix(s) => Pin::new(s).poll_shutdown(cx),
            Stream::Tls(t) => t.poll_shutdown(cx),
            Stream::Mem(m) => {
                m.shutdown_write();
                Poll::Ready(Ok(()))
            }
        }
    }
}

/// The read half of a split [`Stream`] (borrowed, no locking).
pub enum ReadHalf<'a> {
    Tcp(tokio::net::tcp::ReadHalf<'a>),
    Unix(tokio::net::unix::ReadHalf<'a>),
    Tls(&'a TlsConn),
    Mem(&'a mem::MemStream),
}

/// The write half of a split [`Stream`].
pub enum WriteHalf<'a> {
    Tcp(tokio::net::tcp::WriteHalf<'a>),
    Unix(tokio::net::unix::WriteHalf<'a>),
    Tls(&'a TlsConn),
    Mem(&'a mem::MemStream),
}

impl Stream {
    /// Splits into halves that can be used concurrently (request body going
    /// up while the response comes down).
    pub fn split(&mut self) -> (ReadHalf<'_>, WriteHalf<'_>) {
        match self {
            Stream::Tcp(s) => {
                let (r, w) = s.split();
                (ReadHalf::Tcp(r), WriteHalf::Tcp(w))
            }
            Stream::Unix(s) => {
                let (r, w) = s.split();
                (ReadHalf::Unix(r), WriteHalf::Unix(w))
            }
            Stream::Tls(t) => (ReadHalf::Tls(t), WriteHalf::Tls(t)),
            Stream::Mem(m) => (ReadHalf::Mem(m), WriteHalf::Mem(m)),
        }
    }
}

impl AsyncRead for ReadHalf<'_> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            ReadHalf::Tcp(s) => Pin::new(s).poll_read(cx, buf),
            ReadHalf::Unix(s) => Pin::new(s).poll_read(cx, buf),
            ReadHalf::Tls(t) => tls_read(t, cx, buf),
            ReadHalf::Mem(m) => m.poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for WriteHalf<'_> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            WriteHalf::Tcp(s) => Pin::new(s).poll_write(cx, buf),
            WriteHalf::Unix(s) => Pin::new(s).poll_write(cx, buf),
            WriteHalf::Tls(t) => t.poll_write(cx, buf),
            WriteHalf::Mem(m) => m.poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            WriteHalf::Tcp(s) => Pin::new(s).poll_flush(cx),
            WriteHalf::Unix(s) => Pin::new(s).poll_flush(cx),
            WriteHalf::Tls(t) => t.poll_flush(cx),
            WriteHalf::Mem(_) => Poll::Ready(Ok(())),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            WriteHalf::Tcp(s) => Pin::new(s).poll_shutdown(cx),
            WriteHalf::Unix(s) => Pin::new(s).poll_shutdown(cx),
            WriteHalf::Tls(t) => t.poll_shutdown(cx),
            WriteHalf::Mem(m) => {
                m.shutdown_write();
                Poll::Ready(Ok(()))
            }
        }
    }
}

/// Reads decrypted bytes into a tokio `ReadBuf`.
fn tls_read(t: &TlsConn, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
    t.poll_read_buf(cx, buf)
}
