//! lbd: Rampart's HAProxy-compatible proxy daemon.
//!
//! Layout follows the request path (DESIGN.md section 2): `config` turns text
//! into a typed model, `runtime` compiles it into shared objects, `listener`
//! binds, `server` accepts and dispatches, `tcp` and `http` run sessions,
//! `connect` picks servers and connects, `forward` moves bytes. `balance` and
//! `h1` are sans-IO decision and protocol logic.

pub mod acl;
pub mod api;
pub mod balance;
pub mod check;
pub mod cli;
pub mod config;
pub mod connect;
pub mod daemon;
pub mod dbus;
pub mod error;
pub mod forward;
pub mod getsocks;
pub mod h1;
pub mod http;
pub mod http2;
pub mod http3;
pub mod kill;
pub mod listener;
pub mod log;
pub mod master;
pub mod notify;
pub mod pattern;
pub mod persist;
pub mod privileges;
pub mod process;
pub mod proxyproto;
pub mod reload;
pub mod runtime;
pub mod sample;
pub mod server;
pub mod session;
pub mod stats;
pub mod stick;
pub mod stream;
pub mod tcp;
pub mod tls;
