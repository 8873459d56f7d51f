//! Bidirectional byte forwarding between two streams (mode tcp, and HTTP
//! tunnels after an Upgrade), with half-close and inactivity timeouts.
//!
//! Two engines: `splice(2)` through a kernel pipe when both ends are sockets
//! (zero copy), and a userspace copy through a buffer. Both propagate a FIN
//! from one side to the other (`shutdown(SHUT_WR)`) and keep the opposite
//! direction running, which is what half-closing clients rely on.

use crate::stream::Stream;
use std::io;
use std::os::fd::{AsFd, OwnedFd};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio::io::Interest;

/// Inactivity limits for one forwarding session. As in HAProxy (without
/// `option independent-streams`), any traffic on a socket, read or write,
/// refreshes that socket's timeout; the session ends when either side's
/// timeout expires.
#[derive(Debug, Clone, Copy)]
pub struct Idle {
    /// Client-side inactivity limit (`timeout client`, or `timeout tunnel`).
    pub client: Option<Duration>,
    /// Server-side inactivity limit (`timeout server`, or `timeout tunnel`).
    pub server: Option<Duration>,
    /// Once the client has closed its side: `timeout client-fin`.
    pub client_fin: Option<Duration>,
    /// Once the server has closed its side: `timeout server-fin`.
    pub server_fin: Option<Duration>,
}

#[derive(Debug, Default)]
pub struct Totals {
    /// Bytes from client to server.
    pub up: u64,
    /// Bytes from server to client.
    pub down: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    /// Both directions ended with a FIN.
    Closed,
    /// The session idled out; true when the client side was the one waited on.
    Timeout { client: bool },
    /// A read or write failed (reset); true when the client side failed.
    Error { client: bool },
}

/// Which socket of the session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    Client,
    Server,
}

/// One socket's inactivity clock and limit (shortened to a `*-fin` timeout
/// once that side has half-closed).
struct Clock {
    last_ms: AtomicU64,
    limit_ms: AtomicU64,
}

const NO_LIMIT: u64 = u64::MAX;

impl Clock {
    fn new(limit: Option<Duration>) -> Self {
        Clock {
            last_ms: AtomicU64::new(0),
            limit_ms: AtomicU64::new(limit.map(|d| d.as_millis() as u64).unwrap_or(NO_LIMIT)),
        }
    }
}

/// The activity clocks of both sockets of a session.
struct Activity {
    start: Instant,
    client: Clock,
    server: Clock,
}

impl Activity {
    fn new(idle: &Idle) -> Self {
        Activity {
            start: Instant::now(),
            client: Clock::new(idle.client),
            server: Clock::new(idle.server),
        }
    }

    fn clock(&self, side: Side) -> &Clock {
        match side {
            Side::Client => &self.client,
            Side::Server => &self.server,
        }
    }

    fn touch(&self, side: Side) {
        let ms = self.start.elapsed().as_millis() as u64;
        self.clock(side).last_ms.store(ms, Ordering::Relaxed);
    }

    /// After a half-close, that side lives under its fin timeout.
    fn half_closed(&self, side: Side, fin: Option<Duration>) {
        if let Some(f) = fin {
            self.clock(side)
                .limit_ms
                .fetch_min(f.as_millis() as u64, Ordering::Relaxed);
        }
    }

    /// Time left before either side's limit passes; None when unlimited.
    fn remaining(&self) -> Option<Duration> {
        let now = self.start.elapsed();
        [&self.client, &self.server]
            .iter()
            .filter_map(|c| {
                let limit = c.limit_ms.load(Ordering::Relaxed);
                if limit == NO_LIMIT {
                    return None;
                }
                let last = Duration::from_millis(c.last_ms.load(Ordering::Relaxed));
                Some(Duration::from_millis(limit).saturating_sub(now.saturating_sub(last)))
            })
            .min()
    }
}

/// Waits for readiness on `s`, bounded by the inactivity of both sockets.
async fn ready(s: &Stream, write: bool, act: &Activity) -> Result<(), Option<io::Error>> {
    loop {
        let fut = async {
            if write {
                s.writable().await
            } else {
                s.readable().await
            }
        };
        match act.remaining() {
            None => return fut.await.map_err(Some),
            Some(rem) if rem.is_zero() => return Err(None),
            Some(rem) => match tokio::time::timeout(rem, fut).await {
                Ok(r) => return r.map_err(Some),
                // Either socket may have been active meanwhile, or a limit
                // changed: re-check before giving up.
                Err(_) => continue,
            },
        }
    }
}

enum DirEnd {
    Eof,
    Timeout,
    ReadErr,
    WriteErr,
}

struct Dir<'a> {
    from: &'a Stream,
    to: &'a Stream,
    from_side: Side,
    to_side: Side,
    act: &'a Activity,
}

impl Dir<'_> {
    async fn copy(&self, buf: &mut [u8], count: &mut u64) -> DirEnd {
        loop {
            if let Err(e) = ready(self.from, false, self.act).await {
                return if e.is_some() {
                    DirEnd::ReadErr
                } else {
                    DirEnd::Timeout
                };
            }
            let n = match self.from.try_read(buf) {
                Ok(0) => return DirEnd::Eof,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(_) => return DirEnd::ReadErr,
            };
            self.act.touch(self.from_side);
            let mut off = 0;
            while off < n {
                if let Err(e) = ready(self.to, true, self.act).await {
                    return if e.is_some() {
                        DirEnd::WriteErr
                    } else {
                        DirEnd::Timeout
                    };
                }
                // try_write encrypts on a TLS stream.
                match self.to.try_write(&buf[off..n]) {
                    Ok(w) => {
                        off += w;
                        *count += w as u64;
                        self.act.touch(self.to_side);
                    }
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(_) => return DirEnd::WriteErr,
                }
            }
        }
    }

    async fn splice(&self, count: &mut u64) -> DirEnd {
        use nix::fcntl::{splice, OFlag, SpliceFFlags};
        let (pr, pw): (OwnedFd, OwnedFd) =
            match nix::unistd::pipe2(OFlag::O_NONBLOCK | OFlag::O_CLOEXEC) {
                Ok(p) => p,
                Err(_) => {
                    // Out of descriptors for a pipe: fall back to copying.
                    let mut buf = vec![0u8; 16 * 1024];
                    return self.copy(&mut buf, count).await;
                }
            };
        let flags = SpliceFFlags::SPLICE_F_MOVE | SpliceFFlags::SPLICE_F_NONBLOCK;
        const CHUNK: usize = 64 * 1024;
        let mut in_pipe = 0usize;
        loop {
            if in_pipe == 0 {
                if let Err(e) = ready(self.from, false, self.act).await {
                    return if e.is_some() {
                        DirEnd::ReadErr
                    } else {
                        DirEnd::Timeout
                    };
                }
                match self.from.try_io(Interest::READABLE, || {
                    splice(self.from.as_fd(), None, pw.as_fd(), None, CHUNK, flags)
                        .map_err(io::Error::from)
                }) {
                    Ok(0) => return DirEnd::Eof,
                    Ok(n) => {
                        in_pipe = n;
                        self.act.touch(self.from_side);
                    }
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(_) => return DirEnd::ReadErr,
                }
            }
            while in_pipe > 0 {
                if let Err(e) = ready(self.to, true, self.act).await {
                    return if e.is_some() {
                        DirEnd::WriteErr
                    } else {
                        DirEnd::Timeout
                    };
                }
                match self.to.try_io(Interest::WRITABLE, || {
                    splice(pr.as_fd(), None, self.to.as_fd(), None, in_pipe, flags)
                        .map_err(io::Error::from)
                }) {
                    Ok(n) => {
                        in_pipe -= n;
                        *count += n as u64;
                        self.act.touch(self.to_side);
                    }
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(_) => return DirEnd::WriteErr,
                }
            }
        }
    }
}

/// Forwards both directions until both have ended. `use_splice` picks the
/// zero-copy engine (ignored unless both ends are TCP sockets).
pub async fn forward(
    client: &Stream,
    server: &Stream,
    idle: Idle,
    use_splice: bool,
) -> (End, Totals) {
    let act = Activity::new(&idle);
    let splice_ok = use_splice && client.is_tcp() && server.is_tcp();
    let run = |from, to, from_side, to_side| {
        let act = &act;
        async move {
            let d = Dir {
                from,
                to,
                from_side,
                to_side,
                act,
            };
            let mut n = 0u64;
            let end = if splice_ok {
                d.splice(&mut n).await
            } else {
                let mut buf = vec![0u8; 16 * 1024];
                d.copy(&mut buf, &mut n).await
            };
            (end, n)
        }
    };
    let up = run(client, server, Side::Client, Side::Server);
    let down = run(server, client, Side::Server, Side::Client);
    tokio::pin!(up);
    tokio::pin!(down);
    // When one direction ends with a FIN, pass it on and let the other go on
    // under the fin timeout; an error or timeout ends the whole session.
    let (mut up_res, mut down_res) = (None, None);
    while up_res.is_none() || down_res.is_none() {
        tokio::select! {
            r = &mut up, if up_res.is_none() => {
                let eof = matches!(r.0, DirEnd::Eof);
                up_res = Some(r);
                if !eof { break; }
                let _ = server.shutdown_write();
                act.half_closed(Side::Client, idle.client_fin);
            }
            r = &mut down, if down_res.is_none() => {
                let eof = matches!(r.0, DirEnd::Eof);
                down_res = Some(r);
                if !eof { break; }
                let _ = client.shutdown_write();
                act.half_closed(Side::Server, idle.server_fin);
            }
        }
    }
    let totals = Totals {
        up: up_res.as_ref().map(|r| r.1).unwrap_or(0),
        down: down_res.as_ref().map(|r| r.1).unwrap_or(0),
    };
    let end = match (up_res.map(|r| r.0), down_res.map(|r| r.0)) {
        (Some(DirEnd::Eof), Some(DirEnd::Eof)) => End::Closed,
        (Some(DirEnd::Timeout), _) => End::Timeout { client: true },
        (_, Some(DirEnd::Timeout)) => End::Timeout { client: false },
        (Some(DirEnd::ReadErr), _) | (_, Some(DirEnd::WriteErr)) => End::Error { client: true },
        _ => End::Error { client: false },
    };
    (end, totals)
}
