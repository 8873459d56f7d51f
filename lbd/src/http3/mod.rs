//! HTTP/3 (mode http) on `quic4@`/`quic6@` binds: QUIC through quinn, the
//! request layer through h3, and each request stream bridged into the
//! HTTP/1.1 session exactly as the HTTP/2 frontend does, so rules,
//! backends, logs and counters are the H1 session's.
//!
//! `socket` owns the UDP socket and its QUIC endpoint (kept across
//! reloads), `config` builds the TLS and transport settings of a bind, and
//! `front` serves connections and streams. Connection migration and 0-RTT
//! are off.

pub mod config;
mod front;
pub mod socket;

// The h2 <-> h1 message translation serves h3 unchanged (both carry
// `http` crate messages).
use crate::http2::convert;

pub use config::{server_config, QuicSetupError};
pub use front::{handshake, serve};
pub use socket::QuicSocket;

/// The version token of the request lines the bridge writes: the H1 parser
/// serves them as HTTP/1.1 while `%HV` and `%r` show `HTTP/3.0`, as
/// HAProxy logs HTTP/3 requests.
pub const H3_VERSION: &[u8] = b"HTTP/3.0";
