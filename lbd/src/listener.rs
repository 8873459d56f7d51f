//! Listening sockets: turn `bind` addresses into bound, listening sockets.
//!
//! HAProxy binds with SO_REUSEPORT by default, and so do we: each worker
//! thread gets its own socket per TCP address so the kernel spreads incoming
//! connections over the threads (one accept path per thread), and a second
//! process can bind the same port during a reload. Unix sockets cannot be
//! shared that way, so they get a single socket. This module only creates
//! sockets; accepting belongs to the proxy modules.

use crate::config::model::{Bind, BindAddr};
use socket2::{Domain, Protocol, SockAddr, Socket, Type};
use std::io;
use std::net::SocketAddr;
use std::os::fd::{FromRawFd, OwnedFd};
use std::path::Path;

/// HAProxy's default listen backlog when neither `backlog` nor `maxconn` says otherwise.
const DEFAULT_BACKLOG: i32 = 1024;

/// One bound and listening socket of a `bind` line.
#[derive(Debug)]
pub enum BoundSocket {
    Tcp(std::net::TcpListener),
    Unix(std::os::unix::net::UnixListener),
}

#[derive(Debug, thiserror::Error)]
pub enum BindError {
    #[error("cannot bind socket ({reason}) [{addr}]")]
    Bind { addr: String, reason: String },
    #[error("cannot use inherited fd {fd}: {reason}")]
    Fd { fd: i32, reason: String },
}

/// Binds every address of `bind`, `copies` sockets per TCP address (one per
/// worker thread). The backlog is the bind's `backlog`, else its `maxconn`,
/// else the frontend's `backlog`/`maxconn` passed in `fallback_backlog`.
pub fn bind_all(
    bind: &Bind,
    copies: usize,
    fallback_backlog: Option<u32>,
    reuseport: bool,
) -> Result<Vec<(BindAddr, BoundSocket)>, BindError> {
    let backlog = bind
        .backlog
        .or(bind.maxconn)
        .or(fallback_backlog)
        .map(|b| i32::try_from(b).unwrap_or(i32::MAX))
        .unwrap_or(DEFAULT_BACKLOG);
    let mut out = Vec::new();
    for addr in &bind.addrs {
        match addr {
            BindAddr::Tcp(sa) => {
                let n = if reuseport { copies.max(1) } else { 1 };
                for _ in 0..n {
                    let l = bind_tcp(*sa, bind, backlog, reuseport)?;
                    out.push((addr.clone(), BoundSocket::Tcp(l)));
                }
            }
            BindAddr::Unix(path) => {
                let l = bind_unix(path, bind, backlog)?;
                out.push((addr.clone(), BoundSocket::Unix(l)));
            }
            BindAddr::Abstract(name) => {
                let l = bind_abstract(name, backlog)?;
                out.push((addr.clone(), BoundSocket::Unix(l)));
            }
            BindAddr::Fd(fd) => out.push((addr.clone(), inherit_fd(*fd)?)),
        }
    }
    Ok(out)
}

fn bind_err(addr: impl std::fmt::Display, e: io::Error) -> BindError {
    BindError::Bind {
        addr: addr.to_string(),
        reason: e.to_string(),
    }
}

fn bind_tcp(
    sa: SocketAddr,
    bind: &Bind,
    backlog: i32,
    reuseport: bool,
) -> Result<std::net::TcpListener, BindError> {
    let sock = Socket::new(Domain::for_address(sa), Type::STREAM, Some(Protocol::TCP))
        .map_err(|e| bind_err(sa, e))?;
    sock.set_reuse_address(true).map_err(|e| bind_err(sa, e))?;
    if reuseport {
        sock.set_reuse_port(true).map_err(|e| bind_err(sa, e))?;
    }
    if sa.is_ipv6() {
        // HAProxy leaves the system default unless told: `v4v6` forces
        // dual-stack, `v6only` forces IPv6 only.
        if bind.v6only {
            sock.set_only_v6(true).map_err(|e| bind_err(sa, e))?;
        } else if bind.v4v6 {
            sock.set_only_v6(false).map_err(|e| bind_err(sa, e))?;
        }
    }
    sock.set_tcp_nodelay(true).map_err(|e| bind_err(sa, e))?;
    sock.set_nonblocking(true).map_err(|e| bind_err(sa, e))?;
    sock.bind(&SockAddr::from(sa))
        .map_err(|e| bind_err(sa, e))?;
    sock.listen(backlog).map_err(|e| bind_err(sa, e))?;
    Ok(sock.into())
}

fn bind_unix(
    path: &Path,
    bind: &Bind,
    backlog: i32,
) -> Result<std::os::unix::net::UnixListener, BindError> {
    let shown = path.display();
    // Like HAProxy, replace a stale socket file; never a regular file.
    if let Ok(meta) = std::fs::symlink_metadata(path) {
        use std::os::unix::fs::FileTypeExt;
        if meta.file_type().is_socket() {
            let _ = std::fs::remove_file(path);
        }
    }
    let sock = Socket::new(Domain::UNIX, Type::STREAM, None).map_err(|e| bind_err(&shown, e))?;
    let addr = SockAddr::unix(path).map_err(|e| bind_err(&shown, e))?;
    sock.bind(&addr).map_err(|e| bind_err(&shown, e))?;
    sock.listen(backlog).map_err(|e| bind_err(&shown, e))?;
    sock.set_nonblocking(true)
        .map_err(|e| bind_err(&shown, e))?;
    apply_unix_perms(path, bind).map_err(|e| bind_err(&shown, e))?;
    Ok(std::os::unix::net::UnixListener::from(OwnedFd::from(sock)))
}

/// `mode`, `user`/`uid`, `group`/`gid` on a unix bind.
fn apply_unix_perms(path: &Path, bind: &Bind) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    if let Some(mode) = bind.mode {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))?;
    }
    let uid = match (&bind.uid, &bind.user) {
        (Some(u), _) => Some(*u),
        (None, Some(name)) => Some(lookup_user(name)?),
        _ => None,
    };
    let gid = match (&bind.gid, &bind.group) {
        (Some(g), _) => Some(*g),
        (None, Some(name)) => Some(lookup_group(name)?),
        _ => None,
    };
    if uid.is_some() || gid.is_some() {
        std::os::unix::fs::chown(path, uid, gid)?;
    }
    Ok(())
}

pub fn lookup_user(name: &str) -> io::Result<u32> {
    match nix::unistd::User::from_name(name) {
        Ok(Some(u)) => Ok(u.uid.as_raw()),
        Ok(None) => Err(io::Error::new(
            io::ErrorKind::NotFound,
            format!("unknown user '{name}'"),
        )),
        Err(e) => Err(io::Error::from(e)),
    }
}

pub fn lookup_group(name: &str) -> io::Result<u32> {
    match nix::unistd::Group::from_name(name) {
        Ok(Some(g)) => Ok(g.gid.as_raw()),
        Ok(None) => Err(io::Error::new(
            io::ErrorKind::NotFound,
            format!("unknown group '{name}'"),
        )),
        Err(e) => Err(io::Error::from(e)),
    }
}

fn bind_abstract(name: &str, backlog: i32) -> Result<std::os::unix::net::UnixListener, BindError> {
    use std::os::linux::net::SocketAddrExt;
    let shown = format!("abns@{name}");
    let addr = std::os::unix::net::SocketAddr::from_abstract_name(name.as_bytes())
        .map_err(|e| bind_err(&shown, e))?;
    let l = std::os::unix::net::UnixListener::bind_addr(&addr).map_err(|e| bind_err(&shown, e))?;
    // std listens with its own backlog (128); re-listen to apply ours.
    let sock = Socket::from(OwnedFd::from(l));
    sock.listen(backlog).map_err(|e| bind_err(&shown, e))?;
    sock.set_nonblocking(true)
        .map_err(|e| bind_err(&shown, e))?;
    Ok(std::os::unix::net::UnixListener::from(OwnedFd::from(sock)))
}

/// `fd@N`: a descriptor inherited from our parent, already bound and listening.
fn inherit_fd(fd: i32) -> Result<BoundSocket, BindError> {
    let err = |reason: String| BindError::Fd { fd, reason };
    if fd < 0 {
        return Err(err("negative descriptor".into()));
    }
    // SAFETY: the configuration names this descriptor as ours (`fd@N`,
    // handed down by the parent process) and nothing else in this process
    // owns it, so taking ownership exactly once is sound; F_GETFD below
    // proves it is open before anything else uses it.
    let owned = unsafe { OwnedFd::from_raw_fd(fd) };
    if let Err(e) = nix::fcntl::fcntl(&owned, nix::fcntl::FcntlArg::F_GETFD) {
        // Not ours after all: do not close a number we never owned.
        std::mem::forget(owned);
        return Err(err(e.to_string()));
    }
    let sock = Socket::from(owned);
    sock.set_nonblocking(true).map_err(|e| err(e.to_string()))?;
    let local = sock.local_addr().map_err(|e| err(e.to_string()))?;
    if local.is_unix() {
        Ok(BoundSocket::Unix(std::os::unix::net::UnixListener::from(
            OwnedFd::from(sock),
        )))
    } else {
        Ok(BoundSocket::Tcp(sock.into()))
    }
}
