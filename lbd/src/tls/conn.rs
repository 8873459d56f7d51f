//! A TLS connection over a TCP socket, usable through a shared reference.
//!
//! The TCP socket stays outside rustls so that readiness, socket options and
//! the descriptor remain reachable without a lock; the rustls state sits in a
//! mutex held only inside a poll, never across an await. Both directions can
//! then run at once through `&TlsConn` (the read and write halves of a split
//! stream), as the plain TCP stream allows.
//!
//! Writes report success only once the encrypted bytes reached the socket:
//! the session code never flushes (a TCP stream needs no flush), so nothing
//! may sit in rustls' buffer after `write_all` returns.

use super::TlsInfo;
use std::io::{self, BufRead, Read, Write};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};
use tokio::io::ReadBuf;
use tokio::net::TcpStream;

/// Largest plaintext slice accepted per write: one full TLS record.
const MAX_WRITE: usize = 16 * 1024;

#[derive(Debug)]
struct State {
    conn: rustls::Connection,
    /// Plaintext accepted into rustls whose records are not all on the wire
    /// yet; reported to the writer once they are.
    unacked: usize,
    /// The peer closed the TCP stream.
    eof: bool,
}

#[derive(Debug)]
pub struct TlsConn {
    pub(crate) tcp: TcpStream,
    state: Mutex<State>,
    /// What the handshake negotiated (the client side of a bind).
    pub info: Option<Arc<TlsInfo>>,
}

/// `io::Read`/`io::Write` over the non-blocking socket, for rustls.
struct Sock<'a>(&'a TcpStream);

impl Read for Sock<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.0.try_read(buf)
    }
}

impl Write for Sock<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.try_write(buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

fn tls_err(e: rustls::Error) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, e)
}

impl TlsConn {
    pub fn new(tcp: TcpStream, conn: rustls::Connection, info: Option<Arc<TlsInfo>>) -> Self {
        TlsConn {
            tcp,
            state: Mutex::new(State {
                conn,
                unacked: 0,
                eof: false,
            }),
            info,
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock leaves rustls' state as it was
        // between two calls: still consistent, so keep using it.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Writes pending records; WouldBlock when the socket is full.
    fn flush_records(&self, st: &mut State) -> io::Result<()> {
        while st.conn.wants_write() {
            st.conn.write_tls(&mut Sock(&self.tcp))?;
        }
        Ok(())
    }

    /// Non-blocking read of plaintext. WouldBlock only when the socket
    /// itself would block (so tokio's readiness is cleared and a later
    /// `poll_read_ready` waits for real data).
    pub fn try_read(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.read_plaintext(|r| r.read(buf))
    }

    /// [`try_read`](Self::try_read) into a tokio `ReadBuf`, copying from
    /// rustls's own buffer into the unfilled part. Not through a slice: a
    /// slice of a `ReadBuf` must be zeroed first, and an h2 connection's
    /// read buffer zeroed its whole spare room (kilobytes) on every read
    /// (`memset` was 0.8% of lbd's CPU under h2load over TLS).
    pub fn try_read_buf(&self, buf: &mut ReadBuf<'_>) -> io::Result<usize> {
        self.read_plaintext(|r| {
            let mut n = 0;
            while buf.remaining() > 0 {
                let chunk = match r.fill_buf() {
                    Ok(c) => c,
                    // What was copied goes first; the error comes again.
                    Err(_) if n > 0 => break,
                    Err(e) => return Err(e),
                };
                if chunk.is_empty() {
                    break;
                }
                let k = chunk.len().min(buf.remaining());
                buf.put_slice(&chunk[..k]);
                r.consume(k);
                n += k;
            }
            Ok(n)
        })
    }

    /// Plaintext taken by `take` from rustls, reading and decrypting
    /// records from the socket until there is some, or the end.
    fn read_plaintext(
        &self,
        mut take: impl FnMut(&mut rustls::Reader<'_>) -> io::Result<usize>,
    ) -> io::Result<usize> {
        let mut st = self.lock();
        loop {
            match take(&mut st.conn.reader()) {
                Ok(n) => return Ok(n),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                // The peer closed without close_notify: an end of stream
                // like a TCP close, as HAProxy treats it.
                Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(0),
                Err(e) => return Err(e),
            }
            if st.eof {
                return Ok(0);
            }
            match st.conn.read_tls(&mut Sock(&self.tcp)) {
                Ok(0) => st.eof = true,
                Ok(_) => {}
                Err(e) => return Err(e),
            }
            if let Err(e) = st.conn.process_new_packets() {
                // Tell the peer why before giving up.
                let _ = self.flush_records(&mut st);
                return Err(tls_err(e));
            }
            // Post-handshake messages (tickets, key updates) may want out.
            let _ = self.flush_records(&mut st);
        }
    }

    /// Non-blocking write of plaintext; see the module comment for why a
    /// write is only acknowledged once its records are sent.
    pub fn try_write(&self, buf: &[u8]) -> io::Result<usize> {
        let mut st = self.lock();
        self.flush_records(&mut st)?;
        if st.unacked > 0 {
            // The caller retries with the same bytes after a WouldBlock.
            let n = std::mem::take(&mut st.unacked);
            return Ok(n.min(buf.len()));
        }
        let n = st.conn.writer().write(&buf[..buf.len().min(MAX_WRITE)])?;
        match self.flush_records(&mut st) {
            Ok(()) => Ok(n),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                st.unacked = n;
                Err(e)
            }
            Err(e) => Err(e),
        }
    }

    pub fn poll_read(&self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        loop {
            match self.try_read(buf) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    std::task::ready!(self.tcp.poll_read_ready(cx))?;
                }
                r => return Poll::Ready(r),
            }
        }
    }

    /// [`poll_read`](Self::poll_read) into a tokio `ReadBuf` (see
    /// [`try_read_buf`](Self::try_read_buf)).
    pub fn poll_read_buf(
        &self,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        loop {
            match self.try_read_buf(buf) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    std::task::ready!(self.tcp.poll_read_ready(cx))?;
                }
                r => return Poll::Ready(r.map(|_| ())),
            }
        }
    }

    pub fn poll_write(&self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        loop {
            match self.try_write(buf) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    std::task::ready!(self.tcp.poll_write_ready(cx))?;
                }
                r => return Poll::Ready(r),
            }
        }
    }

    pub fn poll_flush(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        loop {
            let mut st = self.lock();
            match self.flush_records(&mut st) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    drop(st);
                    std::task::ready!(self.tcp.poll_write_ready(cx))?;
                }
                r => return Poll::Ready(r),
            }
        }
    }

    /// Sends close_notify (best effort) and shuts the socket's write side.
    pub fn shutdown_write(&self) -> io::Result<()> {
        {
            let mut st = self.lock();
            st.conn.send_close_notify();
            let _ = self.flush_records(&mut st);
        }
        socket2::SockRef::from(&self.tcp).shutdown(std::net::Shutdown::Write)
    }

    pub fn poll_shutdown(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        {
            let mut st = self.lock();
            if !st.conn.wants_write() {
                st.conn.send_close_notify();
            }
        }
        std::task::ready!(self.poll_flush(cx))?;
        Poll::Ready(socket2::SockRef::from(&self.tcp).shutdown(std::net::Shutdown::Write))
    }

    /// The protocol the handshake agreed on by ALPN, if any.
    pub fn alpn(&self) -> Option<Vec<u8>> {
        self.lock().conn.alpn_protocol().map(<[u8]>::to_vec)
    }

    /// Plaintext is already decrypted and waiting (or an error is): no
    /// need to wait for the socket before reading.
    pub fn has_buffered(&self) -> bool {
        let mut st = self.lock();
        st.conn
            .process_new_packets()
            .map(|s| s.plaintext_bytes_to_read() > 0)
            .unwrap_or(true)
    }
}
