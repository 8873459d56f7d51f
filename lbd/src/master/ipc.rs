//! The socketpair between the master and each worker, as 2.6's
//! `sockpair@`: the master (or a new worker taking the listeners over)
//! opens a connection to a worker's CLI by sending one end of a fresh
//! socketpair over it with SCM_RIGHTS; the worker serves that end as a CLI
//! client (admin level, `_getsocks` included). In the other direction the
//! worker writes `READY\n` once its listeners are accepting.

use nix::sys::socket::{recvmsg, sendmsg, ControlMessage, ControlMessageOwned, MsgFlags};
use std::io::{IoSlice, IoSliceMut};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::net::UnixStream;
use std::time::{Duration, Instant};

/// What a worker writes once it serves.
pub const READY: &[u8] = b"READY\n";

/// The environment variable naming the worker's end of its socketpair.
pub const ENV_IPC: &str = "LBD_MWORKER_IPC";
/// The environment variable naming the previous worker's socketpair, to
/// take the listeners from (2.6's `-x sockpair@<fd>`).
pub const ENV_TAKEOVER: &str = "LBD_MWORKER_TAKEOVER";

/// Opens a CLI connection to the worker at the other end of `ipc`.
pub fn connect(ipc: RawFd) -> std::io::Result<UnixStream> {
    let (ours, theirs) = UnixStream::pair()?;
    let fds = [theirs.as_raw_fd()];
    let cmsg = [ControlMessage::ScmRights(&fds)];
    let deadline = Instant::now() + Duration::from_secs(1);
    // The master's end is non-blocking: a full buffer is worth a short wait.
    loop {
        match sendmsg::<()>(ipc, &[IoSlice::new(b"c")], &cmsg, MsgFlags::empty(), None) {
            Ok(_) => return Ok(ours),
            Err(nix::errno::Errno::EAGAIN) if Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(1))
            }
            Err(e) => return Err(e.into()),
        }
    }
}

/// Receives the connections sent with [`connect`], on a non-blocking
/// socket: Ok(None) when the master has gone, WouldBlock when there is
/// nothing yet.
pub fn accept(ipc: RawFd) -> std::io::Result<Option<Vec<OwnedFd>>> {
    let mut buf = [0u8; 64];
    let mut cmsg = nix::cmsg_space!([RawFd; 16]);
    let mut iov = [IoSliceMut::new(&mut buf)];
    let msg = recvmsg::<()>(ipc, &mut iov, Some(&mut cmsg), MsgFlags::MSG_CMSG_CLOEXEC)?;
    if msg.bytes == 0 {
        return Ok(None);
    }
    let mut fds = Vec::new();
    for c in msg.cmsgs()? {
        if let ControlMessageOwned::ScmRights(raw) = c {
            for fd in raw {
                // SAFETY: SCM_RIGHTS just installed `fd` in this process;
                // nothing else knows its number.
                fds.push(unsafe { OwnedFd::from_raw_fd(fd) });
            }
        }
    }
    Ok(Some(fds))
}

/// Marks `fd` to be inherited (or not) across exec.
pub fn set_inherit(fd: RawFd, inherit: bool) -> std::io::Result<()> {
    // SAFETY: F_GETFD/F_SETFD only touch the descriptor flags of `fd`.
    let flags = unsafe { libc::fcntl(fd, libc::F_GETFD) };
    if flags < 0 {
        return Err(std::io::Error::last_os_error());
    }
    let flags = if inherit {
        flags & !libc::FD_CLOEXEC
    } else {
        flags | libc::FD_CLOEXEC
    };
    // SAFETY: as above.
    if unsafe { libc::fcntl(fd, libc::F_SETFD, flags) } < 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(())
}

/// A descriptor number read from the environment, if it is open.
pub fn fd_from_env(name: &str) -> Option<RawFd> {
    fd_from_env_value(std::env::var(name).ok()?.parse().ok()?)
}

/// `fd`, if it is open and not stdio.
pub fn fd_from_env_value(fd: RawFd) -> Option<RawFd> {
    // SAFETY: F_GETFD only asks whether `fd` is open.
    (fd > 2 && unsafe { libc::fcntl(fd, libc::F_GETFD) } >= 0).then_some(fd)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};

    #[test]
    fn a_connection_crosses_the_socketpair() {
        let (master, worker) = UnixStream::pair().unwrap();
        let mut client = connect(master.as_raw_fd()).unwrap();
        let fds = accept(worker.as_raw_fd()).unwrap().unwrap();
        assert_eq!(fds.len(), 1);
        let mut served = UnixStream::from(fds.into_iter().next().unwrap());
        client.write_all(b"show info\n").unwrap();
        let mut got = [0u8; 10];
        served.read_exact(&mut got).unwrap();
        assert_eq!(&got, b"show info\n");
        drop(master);
        assert!(accept(worker.as_raw_fd()).unwrap().is_none());
    }
}
