//! HTTP/2 (mode http): the client side bridges each h2 stream into the
//! HTTP/1.1 session (`front`), the server side bridges each request of the
//! session onto a stream of a shared h2 connection (`back`, `pool`), with
//! the message translation in `convert`.
//!
//! How a connection becomes h2, as in HAProxy 2.6: ALPN `h2` on an `ssl`
//! bind, `proto h2` on the bind, or the h2 connection preface sent on a
//! clear-text bind (prior knowledge; there is no `Upgrade: h2c`).

pub mod back;
pub(crate) mod convert;
mod front;
pub mod hpack;
pub mod mux;
pub mod pool;

pub use front::serve;

use std::time::Duration;
use tokio::net::TcpStream;

/// The client connection preface (RFC 9113, 3.4).
pub const PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

/// How long a clear-text connection may take to show its first bytes
/// before it is served as HTTP/1 without looking further: h2 clients with
/// prior knowledge send the preface at once, and an HTTP/1 client that is
/// slower loses nothing (its bytes are still read by the H1 session).
const SNIFF_WAIT: Duration = Duration::from_millis(100);

/// Whether a clear-text client opens with the h2 preface. Peeks only: the
/// bytes stay in the socket for whichever session reads them.
pub async fn sniff_preface(tcp: &TcpStream) -> bool {
    let look = async {
        let mut buf = [0u8; 24];
        loop {
            let n = match tcp.peek(&mut buf).await {
                Ok(0) | Err(_) => return false,
                Ok(n) => n,
            };
            if buf[..n] != PREFACE[..n] {
                return false;
            }
            if n == PREFACE.len() {
                return true;
            }
            // A partial preface: peek returns at once while the rest is on
            // its way, so wait a little instead of spinning.
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    };
    tokio::time::timeout(SNIFF_WAIT, look)
        .await
        .unwrap_or(false)
}
