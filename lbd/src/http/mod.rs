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
pub use session::{serve, serve_stream};

use std::sync::LazyLock;

/// The process-wide upstream pool, shared across threads and reloads.
pub static POOL: LazyLock<Pool> = LazyLock::new(Pool::default);
