//! The UDP socket of a QUIC bind and the quinn endpoint that reads it.
//!
//! A reload keeps the whole endpoint, not just the socket: QUIC
//! connections are told apart by connection IDs inside one endpoint, so a
//! second endpoint on the same socket would take (and reset) the packets
//! of connections the first still serves. Each generation installs its
//! own server configuration and accepts from the shared endpoint; the
//! connections of an older generation finish on it undisturbed.

use std::io;
use std::net::{SocketAddr, UdpSocket};
use std::sync::{Mutex, OnceLock};

/// A bound QUIC socket, shared by the generations that bind its address.
#[derive(Debug)]
pub struct QuicSocket {
    addr: SocketAddr,
    /// The socket until the endpoint takes it (the endpoint needs a Tokio
    /// runtime, which does not exist yet when listeners are opened).
    sock: Mutex<Option<UdpSocket>>,
    endpoint: OnceLock<quinn::Endpoint>,
}

impl QuicSocket {
    /// Binds the UDP socket of a `quic4@`/`quic6@` address. One process
    /// binds an address once (generations share it); `reuseport` (unless
    /// `noreuseport`) lets the process that takes over in a binary upgrade
    /// (`-x ... -sf`) bind the port while this one still holds it, since a
    /// QUIC endpoint cannot be handed over like a listening socket.
    pub fn bind(addr: SocketAddr, v6only: bool, reuseport: bool) -> io::Result<QuicSocket> {
        use socket2::{Domain, Protocol, Socket, Type};
        let sock = Socket::new(Domain::for_address(addr), Type::DGRAM, Some(Protocol::UDP))?;
        if addr.is_ipv6() {
            sock.set_only_v6(v6only)?;
        }
        if reuseport {
            sock.set_reuse_port(true)?;
        }
        sock.set_nonblocking(true)?;
        sock.bind(&addr.into())?;
        Ok(QuicSocket {
            addr,
            sock: Mutex::new(Some(sock.into())),
            endpoint: OnceLock::new(),
        })
    }

    /// The address the bind line asked for.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The endpoint on this socket, started on first use (from within the
    /// Tokio runtime that will drive it), with `config` installed for the
    /// connections accepted from now on.
    pub fn endpoint(&self, config: quinn::ServerConfig) -> io::Result<quinn::Endpoint> {
        if let Some(ep) = self.endpoint.get() {
            ep.set_server_config(Some(config));
            return Ok(ep.clone());
        }
        let sock = self
            .sock
            .lock()
            .map_err(|_| io::Error::other("QUIC socket lock poisoned"))?
            .take()
            .ok_or_else(|| io::Error::other("QUIC socket already taken"))?;
        let runtime = quinn::default_runtime()
            .ok_or_else(|| io::Error::other("no async runtime for the QUIC endpoint"))?;
        let ep = quinn::Endpoint::new(
            quinn::EndpointConfig::default(),
            Some(config),
            sock,
            runtime,
        )?;
        Ok(self.endpoint.get_or_init(|| ep).clone())
    }
}

impl Drop for QuicSocket {
    /// No generation binds this address any more: refuse new connections,
    /// and let the endpoint close with its last connection.
    fn drop(&mut self) {
        if let Some(ep) = self.endpoint.get() {
            ep.set_server_config(None);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binds_udp_on_the_given_address() {
        let q = QuicSocket::bind(
            "127.0.0.1:0".parse().unwrap_or_else(|e| panic!("{e}")),
            false,
            false,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let guard = q.sock.lock().unwrap_or_else(|e| panic!("{e}"));
        let local = guard
            .as_ref()
            .and_then(|s| s.local_addr().ok())
            .unwrap_or_else(|| panic!("no socket"));
        assert!(local.ip().is_loopback());
        assert_ne!(local.port(), 0);
    }
}
