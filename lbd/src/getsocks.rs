//! Listening-socket hand-over between processes: HAProxy 2.6's `_getsocks`
//! on a stats socket declared with `expose-fd listeners`, both sides, so
//! that a new lbd (`-x <socket>`) takes the sockets of a running lbd or
//! HAProxy, and a new HAProxy takes them from lbd.
//!
//! Wire format (src/cli.c `_getsocks`, src/sock.c `sock_get_old_sockets`):
//! the client sends `_getsocks\n`; the server answers a native-endian `int`
//! with the number of descriptors (nothing at all when it has none), then
//! batches of at most 253 descriptors as SCM_RIGHTS, each with a payload of
//! `u8 ns_len, ns, u8 if_len, if, 4 zero bytes` per descriptor. The client
//! acks every batch with a 4-byte `int`; the server waits for that ack only
//! after a full batch. The session then ends.

use std::io::{IoSlice, IoSliceMut};
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::sync::Mutex;
use std::time::Duration;

use nix::sys::socket::{recvmsg, sendmsg, ControlMessage, ControlMessageOwned, MsgFlags};

/// At most this many descriptors per message, as HAProxy's MAX_SEND_FD.
const MAX_SEND_FD: usize = 253;
/// The request line.
pub const REQUEST: &[u8] = b"_getsocks\n";

#[derive(Debug, thiserror::Error)]
pub enum GetsocksError {
    #[error("Failed to connect to the old process socket '{path}': {source}")]
    Connect {
        path: String,
        source: std::io::Error,
    },
    #[error("Failed to get the number of sockets to be transferred !")]
    Count,
    #[error("We didn't get the expected number of sockets (expecting {expected} got {got})")]
    Short { expected: usize, got: usize },
    #[error("Failed to transfer sockets: {0}")]
    Io(#[from] std::io::Error),
}

impl From<nix::Error> for GetsocksError {
    fn from(e: nix::Error) -> Self {
        GetsocksError::Io(std::io::Error::from(e))
    }
}

/// The sockets this process exposes: duplicates of the current
/// generation's listeners, replaced on every reload, emptied on stop (so
/// that a stopped listener really closes).
static EXPORTED: Mutex<Vec<OwnedFd>> = Mutex::new(Vec::new());

/// Sets the listeners `_getsocks` hands out.
pub fn publish(fds: Vec<OwnedFd>) {
    *EXPORTED.lock().unwrap_or_else(|p| p.into_inner()) = fds;
}

/// Client side: connects to `path`, asks for the listening sockets and
/// returns them. An old process with nothing to hand over is an error, as
/// for HAProxy.
pub fn fetch(path: &Path) -> Result<Vec<OwnedFd>, GetsocksError> {
    let s = UnixStream::connect(path).map_err(|source| GetsocksError::Connect {
        path: path.display().to_string(),
        source,
    })?;
    fetch_over(s)
}

/// Client side over a connected stream: a stats socket, or a CLI
/// connection over a worker's socketpair (2.6's `-x sockpair@<fd>`).
pub fn fetch_over(s: UnixStream) -> Result<Vec<OwnedFd>, GetsocksError> {
    s.set_read_timeout(Some(Duration::from_secs(1)))?;
    s.set_write_timeout(Some(Duration::from_secs(1)))?;
    std::io::Write::write_all(&mut &s, REQUEST)?;
    let mut count = [0u8; 4];
    read_exact_nofds(&s, &mut count).map_err(|_| GetsocksError::Count)?;
    let expected = usize::try_from(i32::from_ne_bytes(count)).map_err(|_| GetsocksError::Count)?;
    let mut fds = Vec::with_capacity(expected);
    let mut payload = vec![0u8; MAX_SEND_FD * (1 + 255 + 1 + 16 + 4)];
    while fds.len() < expected {
        let mut cmsg = nix::cmsg_space!([RawFd; MAX_SEND_FD]);
        let mut iov = [IoSliceMut::new(&mut payload)];
        let msg = recvmsg::<()>(
            s.as_raw_fd(),
            &mut iov,
            Some(&mut cmsg),
            MsgFlags::MSG_CMSG_CLOEXEC,
        )?;
        if msg.bytes == 0 {
            break;
        }
        for c in msg.cmsgs()? {
            if let ControlMessageOwned::ScmRights(raw) = c {
                for fd in raw {
                    // SAFETY: SCM_RIGHTS just installed `fd` in this process
                    // as a new descriptor; nothing else knows its number,
                    // so this is its one and only owner.
                    fds.push(unsafe { OwnedFd::from_raw_fd(fd) });
                }
            }
        }
        let ack = i32::try_from(fds.len()).unwrap_or(i32::MAX).to_ne_bytes();
        let acked = std::io::Write::write_all(&mut &s, &ack);
        // The last ack may meet a sender that has already closed (2.6 waits
        // for acks only between full batches): with every socket in hand,
        // that is not a failure.
        if fds.len() < expected {
            acked?;
        }
    }
    if fds.len() != expected {
        return Err(GetsocksError::Short {
            expected,
            got: fds.len(),
        });
    }
    Ok(fds)
}

fn read_exact_nofds(s: &UnixStream, buf: &mut [u8]) -> std::io::Result<()> {
    std::io::Read::read_exact(&mut &*s, buf)
}

/// Server side, on a blocking stream whose `_getsocks\n` has been read:
/// sends every exposed listener.
pub fn serve(s: &UnixStream) -> Result<(), GetsocksError> {
    let fds: Vec<OwnedFd> = {
        let g = EXPORTED.lock().unwrap_or_else(|p| p.into_inner());
        g.iter().filter_map(|f| f.try_clone().ok()).collect()
    };
    let borrowed: Vec<BorrowedFd<'_>> = fds.iter().map(std::os::fd::AsFd::as_fd).collect();
    send_fds(s, &borrowed)
}

/// Sends `fds` in HAProxy's framing.
pub fn send_fds(s: &UnixStream, fds: &[BorrowedFd<'_>]) -> Result<(), GetsocksError> {
    s.set_read_timeout(Some(Duration::from_secs(1)))?;
    s.set_write_timeout(Some(Duration::from_secs(1)))?;
    if fds.is_empty() {
        return Ok(());
    }
    let total = i32::try_from(fds.len()).unwrap_or(i32::MAX).to_ne_bytes();
    std::io::Write::write_all(&mut &*s, &total)?;
    let chunks: Vec<&[BorrowedFd<'_>]> = fds.chunks(MAX_SEND_FD).collect();
    for (i, chunk) in chunks.iter().enumerate() {
        let raw: Vec<RawFd> = chunk.iter().map(|f| f.as_raw_fd()).collect();
        // No namespace, no interface, then the 4 bytes that used to be the
        // listener options.
        let payload = vec![0u8; raw.len() * 6];
        let iov = [IoSlice::new(&payload)];
        let cmsg = [ControlMessage::ScmRights(&raw)];
        let sent = sendmsg::<()>(s.as_raw_fd(), &iov, &cmsg, MsgFlags::empty(), None)?;
        if sent != payload.len() {
            return Err(GetsocksError::Io(std::io::Error::new(
                std::io::ErrorKind::WriteZero,
                "short sendmsg",
            )));
        }
        let mut ack = [0u8; 4];
        if chunk.len() == MAX_SEND_FD && i + 1 < chunks.len() {
            std::io::Read::read_exact(&mut &*s, &mut ack)?;
        } else if i + 1 == chunks.len() {
            // Stay open for the receiver's last ack (bounded by the read
            // timeout), so that its write does not meet a closed socket.
            let _ = std::io::Read::read_exact(&mut &*s, &mut ack);
        }
    }
    Ok(())
}

/// On an `expose-fd listeners` stats socket: if the client's first request
/// is `_getsocks`, answers it and returns None; otherwise hands the stream
/// back, unread, for the ordinary CLI.
pub async fn intercept(s: tokio::net::UnixStream) -> Option<tokio::net::UnixStream> {
    let mut buf = [0u8; REQUEST.len()];
    let deadline = tokio::time::Instant::now() + Duration::from_secs(1);
    loop {
        let ready = tokio::time::timeout_at(deadline, s.readable()).await;
        if !matches!(ready, Ok(Ok(()))) {
            return Some(s);
        }
        let peeked = s.try_io(tokio::io::Interest::READABLE, || {
            nix::sys::socket::recv(s.as_raw_fd(), &mut buf, MsgFlags::MSG_PEEK)
                .map_err(std::io::Error::from)
        });
        match peeked {
            Ok(0) => return Some(s),
            Ok(n) if buf[..n] != REQUEST[..n] => return Some(s),
            Ok(n) if n == REQUEST.len() => break,
            // A prefix so far: wait for the rest, briefly.
            Ok(_) => tokio::time::sleep(Duration::from_millis(5)).await,
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(_) => return Some(s),
        }
    }
    let std_s = s.into_std().ok()?;
    let _ = tokio::task::spawn_blocking(move || {
        let mut req = [0u8; REQUEST.len()];
        if std_s.set_nonblocking(false).is_err()
            || std::io::Read::read_exact(&mut &std_s, &mut req).is_err()
        {
            return;
        }
        if let Err(e) = serve(&std_s) {
            crate::server::say("[WARNING]", &format!("{e}"));
        }
    })
    .await;
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sockets_cross_a_socketpair_in_haproxy_framing() {
        let (a, b) = UnixStream::pair().unwrap();
        let l1 = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let l2 = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addrs = [l1.local_addr().unwrap(), l2.local_addr().unwrap()];
        let t = std::thread::spawn(move || {
            let mut req = [0u8; REQUEST.len()];
            std::io::Read::read_exact(&mut &a, &mut req).unwrap();
            assert_eq!(&req, REQUEST);
            send_fds(
                &a,
                &[std::os::fd::AsFd::as_fd(&l1), std::os::fd::AsFd::as_fd(&l2)],
            )
            .unwrap();
        });
        // fetch() connects by path; drive the client half by hand here.
        std::io::Write::write_all(&mut &b, REQUEST).unwrap();
        let mut count = [0u8; 4];
        std::io::Read::read_exact(&mut &b, &mut count).unwrap();
        assert_eq!(i32::from_ne_bytes(count), 2);
        let mut payload = [0u8; 64];
        let mut cmsg = nix::cmsg_space!([RawFd; 4]);
        let mut iov = [IoSliceMut::new(&mut payload)];
        let msg =
            recvmsg::<()>(b.as_raw_fd(), &mut iov, Some(&mut cmsg), MsgFlags::empty()).unwrap();
        assert_eq!(msg.bytes, 12);
        let mut got = Vec::new();
        for c in msg.cmsgs().unwrap() {
            if let ControlMessageOwned::ScmRights(fds) = c {
                for fd in fds {
                    // SAFETY: received just now, owned by nobody else.
                    let owned = unsafe { OwnedFd::from_raw_fd(fd) };
                    got.push(std::net::TcpListener::from(owned).local_addr().unwrap());
                }
            }
        }
        t.join().unwrap();
        assert_eq!(got, addrs);
    }
}
