//! The listening sockets a process holds across configuration generations.
//!
//! Every socket is kept here under a key made of its address and the bind
//! options that shape the socket itself. A new generation takes the socket
//! of an unchanged key (a duplicate descriptor of it: the same kernel
//! socket, so its backlog and its port never go away), binds the keys it
//! does not find, and the keys nobody takes any more are closed when the
//! old set is dropped. Sockets inherited from another process (`-x`) wait
//! in an [`Inherited`] pool and are matched by address alone, as HAProxy
//! matches them by `getsockname()`.
//!
//! QUIC binds hold their UDP socket with its endpoint
//! ([`crate::http3::QuicSocket`]), shared as a whole by the generations
//! that bind the same address. They are not handed to another process
//! (`-x`): a QUIC endpoint cannot be split between two processes, so the
//! new process binds the port afresh (SO_REUSEPORT).
//!
//! This module does not accept: it hands out [`BoundSocket`]s.

use crate::config::model::{Bind, BindAddr, Global, Mode};
use crate::http3::QuicSocket;
use crate::listener::{bind_all, BoundSocket};
use crate::runtime::{ConnLimit, Frontend, Runtime};
use crate::server::{ListenSocket, Listening};
use std::collections::HashMap;
use std::os::fd::{AsFd, OwnedFd};
use std::sync::Arc;

/// The sockets of one generation, by key.
#[derive(Debug, Default)]
pub struct Sockets {
    held: HashMap<String, BoundSocket>,
    /// QUIC binds, keyed by address alone (see [`quic_key`]).
    quic: HashMap<String, Arc<QuicSocket>>,
    /// The proxy sockets SIGTTOU pauses, in configuration order (the stats
    /// sockets are not among them: 2.6 pauses proxies only).
    proxy_sockets: Vec<ProxySocket>,
}

/// What pausing and resuming a proxy's socket needs to know.
#[derive(Debug)]
struct ProxySocket {
    key: String,
    /// `frontend fe` / `proxy fe`, as 2.6's "Paused frontend fe." says it.
    proxy: String,
    backlog: i32,
}

/// A pause or resume that did not take on every socket.
#[derive(Debug, thiserror::Error)]
#[error("{proxy}: {source}")]
pub struct PauseError {
    pub proxy: String,
    #[source]
    pub source: std::io::Error,
}

/// Listening descriptors received from another process, not yet claimed by
/// a `bind` line.
#[derive(Debug, Default)]
pub struct Inherited {
    fds: Vec<OwnedFd>,
}

impl Inherited {
    pub fn new(fds: Vec<OwnedFd>) -> Inherited {
        Inherited { fds }
    }

    pub fn len(&self) -> usize {
        self.fds.len()
    }

    pub fn is_empty(&self) -> bool {
        self.fds.is_empty()
    }

    /// Takes the first inherited socket listening on `addr`.
    fn take(&mut self, addr: &BindAddr) -> Option<BoundSocket> {
        let pos = self.fds.iter().position(|fd| matches_addr(fd, addr))?;
        let fd = self.fds.swap_remove(pos);
        let sock = socket2::Socket::from(fd);
        let _ = sock.set_nonblocking(true);
        Some(if sock.local_addr().is_ok_and(|a| a.is_unix()) {
            BoundSocket::Unix(std::os::unix::net::UnixListener::from(OwnedFd::from(sock)))
        } else {
            BoundSocket::Tcp(sock.into())
        })
    }
}

/// Whether descriptor `fd` is a listening stream socket bound to `addr`.
fn matches_addr(fd: &OwnedFd, addr: &BindAddr) -> bool {
    let Ok(local) = socket2::SockRef::from(fd).local_addr() else {
        return false;
    };
    match addr {
        BindAddr::Tcp(sa) => local.as_socket() == Some(*sa),
        BindAddr::Unix(path) => local.as_pathname() == Some(path.as_path()),
        BindAddr::Abstract(name) => local.as_abstract_namespace() == Some(name.as_bytes()),
        BindAddr::Fd(_) => false,
    }
}

/// What identifies a socket across generations: the address and every bind
/// option, less those that do not touch the socket (name, id, maxconn, the
/// line it was written on).
fn bind_key(bind: &Bind, addr: &BindAddr, copy: usize, reuseport: bool) -> String {
    let opts = Bind {
        addrs: Vec::new(),
        name: None,
        id: None,
        maxconn: None,
        location: Default::default(),
        ..bind.clone()
    };
    format!("{addr:?}|{opts:?}|reuseport={reuseport}|#{copy}")
}

/// A QUIC socket's key: its address and family options only. Its TLS
/// settings change with the generation (each installs its own server
/// configuration on the shared endpoint), while a second socket on the
/// same port would split one connection's packets between two endpoints.
fn quic_key(bind: &Bind, addr: &std::net::SocketAddr) -> String {
    format!("quic|{addr}|v6only={}", bind.v6only)
}

/// A second descriptor for the same kernel socket: the generation's accept
/// task owns it, and closing it leaves the socket listening.
fn dup(sock: &BoundSocket) -> std::io::Result<BoundSocket> {
    Ok(match sock {
        BoundSocket::Tcp(l) => BoundSocket::Tcp(l.try_clone()?),
        BoundSocket::Unix(l) => BoundSocket::Unix(l.try_clone()?),
    })
}

fn raw_fd(sock: &BoundSocket) -> std::os::fd::BorrowedFd<'_> {
    match sock {
        BoundSocket::Tcp(l) => l.as_fd(),
        BoundSocket::Unix(l) => l.as_fd(),
    }
}

impl Sockets {
    /// Duplicates of every held socket, for handing them to another
    /// process (`_getsocks`).
    pub fn dup_all(&self) -> Vec<OwnedFd> {
        let mut keys: Vec<&String> = self.held.keys().collect();
        keys.sort();
        keys.into_iter()
            .filter_map(|k| raw_fd(&self.held[k]).try_clone_to_owned().ok())
            .collect()
    }

    /// Opens the listeners of `runtime`: a socket held in `old` under the
    /// same key is shared, an inherited one on the same address is
    /// adopted, anything else is bound now. `old` is left untouched, so a
    /// failure changes nothing. The error is HAProxy's alert text.
    pub fn open(
        runtime: &Runtime,
        global: &Global,
        old: &Sockets,
        inherited: &mut Inherited,
    ) -> Result<(Sockets, Vec<Listening>), String> {
        let reuseport = !global.noreuseport;
        let mut held = HashMap::new();
        let mut quic = HashMap::new();
        let mut proxy_sockets = Vec::new();
        let mut listening = Vec::new();
        for fe in &runtime.frontends {
            let fallback = fe.conf.backlog.or(fe.conf.maxconn);
            // Listener index: bind addresses in declaration order, as the
            // listener rows of `show stat` count them.
            let mut first_addr = 0usize;
            for bind in &fe.conf.binds {
                let bind_limit = bind.maxconn.map(ConnLimit::new);
                if bind.quic {
                    let at = (first_addr, reuseport);
                    open_quic(fe, bind, at, old, &mut quic, &mut listening)?;
                    first_addr += bind.addrs.len();
                    continue;
                }
                let tls = crate::server::tls_acceptor(fe, bind)?;
                let copies = match reuseport {
                    true => runtime.threads.max(1),
                    false => 1,
                };
                for (pos, addr) in bind.addrs.iter().enumerate() {
                    let n = match addr {
                        BindAddr::Tcp(_) => copies,
                        _ => 1,
                    };
                    let mut fresh: Vec<BoundSocket> = Vec::new();
                    for copy in 0..n {
                        let key = bind_key(bind, addr, copy, reuseport);
                        let sock = match old.held.get(&key) {
                            Some(s) => dup(s).map_err(|e| alert(fe, addr, e))?,
                            None => match inherited.take(addr) {
                                Some(s) => s,
                                None => {
                                    if fresh.is_empty() {
                                        fresh = bind_one(bind, addr, n, fallback, reuseport)
                                            .map_err(|e| {
                                                format!(
                                                    "Starting {} {}: {e}",
                                                    proxy_kind(fe),
                                                    fe.name
                                                )
                                            })?;
                                        fresh.reverse();
                                    }
                                    fresh.pop().ok_or_else(|| {
                                        format!(
                                            "Starting {} {}: no socket bound for {}",
                                            proxy_kind(fe),
                                            fe.name,
                                            crate::server::describe(addr)
                                        )
                                    })?
                                }
                            },
                        };
                        let accept_side = dup(&sock).map_err(|e| alert(fe, addr, e))?;
                        if matches!(sock, BoundSocket::Tcp(_)) {
                            proxy_sockets.push(ProxySocket {
                                key: key.clone(),
                                proxy: format!("{} {}", proxy_kind(fe), fe.name),
                                backlog: backlog(bind, fallback),
                            });
                        }
                        held.insert(key, sock);
                        let listener = fe
                            .conf
                            .options
                            .socket_stats
                            .then(|| fe.stats.listener(first_addr + pos));
                        listening.push(Listening {
                            fe: fe.clone(),
                            bind_limit: bind_limit.clone(),
                            listener,
                            tls: tls.clone(),
                            bind_name: crate::server::bind_log_name(bind, first_addr + pos),
                            proto: bind.proto,
                            accept_proxy: bind.accept_proxy,
                            sock: ListenSocket::Stream(accept_side),
                        });
                    }
                }
                first_addr += bind.addrs.len();
            }
        }
        Ok((
            Sockets {
                held,
                quic,
                proxy_sockets,
            },
            listening,
        ))
    }

    /// The runtime API sockets (`stats socket`), kept across generations the
    /// same way. Returns the sockets for `api::start`.
    pub fn open_stats(
        global: &Global,
        old: &Sockets,
    ) -> Result<(Sockets, Vec<crate::api::StatsListener>), String> {
        let mut held = HashMap::new();
        let mut out = Vec::new();
        for s in &global.stats_sockets {
            let key = format!(
                "stats|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}",
                s.addr, s.mode, s.user, s.group, s.uid, s.gid, s.level, s.expose_fd_listeners
            );
            let sock = match old.held.get(&key) {
                Some(sock) => dup(sock).map_err(|e| format!("Starting proxy GLOBAL: {e}"))?,
                None => {
                    let one = crate::config::model::Global {
                        stats_sockets: vec![s.clone()],
                        ..global.clone()
                    };
                    let mut bound = crate::api::bind(&one)
                        .map_err(|e| format!("Starting proxy GLOBAL: {e}"))?;
                    match bound.pop() {
                        Some(l) => l.sock,
                        None => continue,
                    }
                }
            };
            let accept_side = dup(&sock).map_err(|e| format!("Starting proxy GLOBAL: {e}"))?;
            held.insert(key, sock);
            out.push(crate::api::StatsListener {
                sock: accept_side,
                level: s.level,
                expose_fd: s.expose_fd_listeners,
            });
        }
        Ok((
            Sockets {
                held,
                quic: HashMap::new(),
                proxy_sockets: Vec::new(),
            },
            out,
        ))
    }
}

/// The listeners of a QUIC bind: its sockets (shared with `old` when
/// already open) and the server configuration of this generation. `at` is
/// the listener index of the bind's first address, and whether sockets
/// get SO_REUSEPORT.
fn open_quic(
    fe: &Arc<Frontend>,
    bind: &Bind,
    (first_addr, reuseport): (usize, bool),
    old: &Sockets,
    quic: &mut HashMap<String, Arc<QuicSocket>>,
    listening: &mut Vec<Listening>,
) -> Result<(), String> {
    let spec: Vec<String> = bind
        .addrs
        .iter()
        .map(|a| match a {
            BindAddr::Tcp(sa) if sa.is_ipv6() => format!("quic6@{sa}"),
            other => format!("quic4@{}", crate::server::describe(other)),
        })
        .collect();
    let at = format!(
        "'bind {}' at [{}:{}]",
        spec.join(","),
        bind.location.file,
        bind.location.line
    );
    if fe.mode != Mode::Http {
        return Err(format!(
            "{} '{}' : MUX protocol 'quic' is not usable for {at}.",
            proxy_kind(fe),
            fe.name
        ));
    }
    let (config, notes) = crate::http3::server_config(fe, bind).map_err(|e| {
        format!(
            "Proxy '{}': bind at [{}:{}] : {e}",
            fe.name, bind.location.file, bind.location.line
        )
    })?;
    for w in notes.warnings {
        crate::server::say("[WARNING]", &format!("Proxy '{}': {at} : {w}", fe.name));
    }
    for (pos, addr) in bind.addrs.iter().enumerate() {
        let BindAddr::Tcp(sa) = addr else {
            continue;
        };
        let key = quic_key(bind, sa);
        let sock = match old.quic.get(&key) {
            Some(s) => s.clone(),
            None => Arc::new(QuicSocket::bind(*sa, bind.v6only, reuseport).map_err(|e| {
                format!(
                    "Starting {} {}: cannot bind QUIC socket (UDP) [{sa}]: {e}",
                    proxy_kind(fe),
                    fe.name
                )
            })?),
        };
        quic.insert(key, sock.clone());
        let listener = fe
            .conf
            .options
            .socket_stats
            .then(|| fe.stats.listener(first_addr + pos));
        listening.push(Listening {
            fe: fe.clone(),
            bind_limit: bind.maxconn.map(ConnLimit::new),
            listener,
            tls: None,
            bind_name: crate::server::bind_log_name(bind, first_addr + pos),
            proto: None,
            accept_proxy: false,
            sock: ListenSocket::Quic {
                sock,
                config: config.clone(),
            },
        });
    }
    Ok(())
}

impl Sockets {
    /// SIGTTOU: stops the proxies' TCP sockets listening without closing
    /// them, as 2.6's `pause_proxies` does: the kernel drops the backlog and
    /// refuses new connections, and another process may bind the port (with
    /// SO_REUSEADDR) while this one still holds it. Connections already
    /// accepted carry on. Returns the proxies paused, each once, in
    /// configuration order; the error names the first socket that refused.
    pub fn pause(&self) -> Result<Vec<String>, PauseError> {
        self.each_proxy_socket(|sock, _| match sock.shutdown(std::net::Shutdown::Read) {
            // Already paused: the socket is not listening any more.
            Err(e) if e.raw_os_error() == Some(libc::ENOTCONN) => Ok(()),
            r => r,
        })
    }

    /// SIGTTIN: listens again on every paused socket (a no-op on one that
    /// listens). Fails when another process took the port meanwhile.
    pub fn resume(&self) -> Result<Vec<String>, PauseError> {
        self.each_proxy_socket(|sock, backlog| sock.listen(backlog))
    }

    fn each_proxy_socket(
        &self,
        op: impl Fn(socket2::SockRef<'_>, i32) -> std::io::Result<()>,
    ) -> Result<Vec<String>, PauseError> {
        let mut done: Vec<String> = Vec::new();
        let mut first_err = None;
        for ps in &self.proxy_sockets {
            let Some(BoundSocket::Tcp(l)) = self.held.get(&ps.key) else {
                continue;
            };
            match op(socket2::SockRef::from(l), ps.backlog) {
                Ok(()) => {
                    if !done.contains(&ps.proxy) {
                        done.push(ps.proxy.clone());
                    }
                }
                Err(source) => {
                    first_err.get_or_insert(PauseError {
                        proxy: ps.proxy.clone(),
                        source,
                    });
                }
            }
        }
        match first_err {
            Some(e) => Err(e),
            None => Ok(done),
        }
    }
}

/// The listen backlog of `bind`, as `listener::bind_all` computes it (its
/// default, 1024, is HAProxy's), so a resumed socket gets the one it had.
fn backlog(bind: &Bind, fallback: Option<u32>) -> i32 {
    bind.backlog
        .or(bind.maxconn)
        .or(fallback)
        .map(|b| i32::try_from(b).unwrap_or(i32::MAX))
        .unwrap_or(1024)
}

fn bind_one(
    bind: &Bind,
    addr: &BindAddr,
    copies: usize,
    fallback: Option<u32>,
    reuseport: bool,
) -> Result<Vec<BoundSocket>, crate::listener::BindError> {
    let one = Bind {
        addrs: vec![addr.clone()],
        ..bind.clone()
    };
    Ok(bind_all(&one, copies, fallback, reuseport)?
        .into_iter()
        .map(|(_, s)| s)
        .collect())
}

fn alert(fe: &Arc<Frontend>, addr: &BindAddr, e: std::io::Error) -> String {
    format!(
        "Starting {} {}: cannot share socket [{}]: {e}",
        proxy_kind(fe),
        fe.name,
        crate::server::describe(addr)
    )
}

pub(crate) fn proxy_kind(fe: &Frontend) -> &'static str {
    if fe.conf.cap.backend {
        "proxy"
    } else {
        "frontend"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_ignores_what_does_not_shape_the_socket() {
        let a: std::net::SocketAddr = "127.0.0.1:80".parse().unwrap();
        let addr = BindAddr::Tcp(a);
        let b1 = Bind {
            addrs: vec![addr.clone()],
            name: Some("x".into()),
            maxconn: Some(10),
            ..Bind::default()
        };
        let b2 = Bind {
            addrs: vec![addr.clone()],
            ..Bind::default()
        };
        assert_eq!(bind_key(&b1, &addr, 0, true), bind_key(&b2, &addr, 0, true));
        assert_ne!(bind_key(&b1, &addr, 0, true), bind_key(&b1, &addr, 1, true));
        let b3 = Bind {
            v6only: true,
            ..b2.clone()
        };
        assert_ne!(bind_key(&b2, &addr, 0, true), bind_key(&b3, &addr, 0, true));
    }

    #[test]
    fn inherited_sockets_are_matched_by_address() {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let a = l.local_addr().unwrap();
        let mut pool = Inherited::new(vec![OwnedFd::from(l)]);
        let other: std::net::SocketAddr = "127.0.0.1:1".parse().unwrap();
        assert!(pool.take(&BindAddr::Tcp(other)).is_none());
        assert!(pool.take(&BindAddr::Tcp(a)).is_some());
        assert!(pool.is_empty());
    }
}
