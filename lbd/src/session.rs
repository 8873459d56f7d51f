//! What the data plane knows about an accepted connection.

use std::net::SocketAddr;

#[derive(Debug, Clone, Copy, Default)]
pub struct ClientInfo {
    /// The client's address (None on unix sockets).
    pub src: Option<SocketAddr>,
    /// The address the client connected to (None on unix sockets).
    pub dst: Option<SocketAddr>,
}
