//! mode http: the HTTP/1.1 session of one client connection, with the named
//! stages of DESIGN.md section 2: read request -> http-request rules ->
//! backend -> server (pooled connection) -> forward request -> response ->
//! forward response -> next request or close.
//!
//! Framing and header rewriting are the sans-IO `h1` module's job; this
//! module does the I/O and the decisions around it.

pub mod auth;
mod buf;
pub mod ctx;
mod pool;
mod respond;
pub mod rewrite;
pub mod rules;
mod session;

pub use pool::{PeerKey, Pool};
pub(crate) use respond::return_bytes;
pub use session::{serve, MuxConn, StreamSession};

use std::sync::LazyLock;

/// How a frontend parses client request heads (h1, and the heads the h2/h3
/// bridges write): the head must fit `tune.bufsize` less the 1024 bytes
/// HAProxy reserves for rewrites (`tune.maxrewrite`).
pub fn parse_options(fe: &crate::runtime::Frontend) -> crate::h1::ParseOptions {
    let bufsize = fe.global.tune_bufsize.max(4096);
    crate::h1::ParseOptions {
        max_head: bufsize - 1024,
        max_headers: fe.global.tune_http_maxhdr,
        accept_invalid: fe.conf.options.accept_invalid_http_request,
        accept_payload_with_any_method: fe.global.h1_accept_payload_with_any_method,
    }
}

/// The process-wide upstream pool, shared across threads and reloads.
pub static POOL: LazyLock<Pool> = LazyLock::new(Pool::default);
