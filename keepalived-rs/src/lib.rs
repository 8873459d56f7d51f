//! keepalived-rs: a VRRPv2/v3 daemon that reads keepalived.conf and runs in the same
//! virtual router as stock keepalived.
//!
//! Module map:
//! - [`wire`]: advert encode/decode and checksums, IPv4 header, GARP frames (pure).
//! - [`fsm`]: the per-instance state machine, sans-IO (time and events in, actions out).
//! - [`config`]: keepalived.conf subset: lexer with includes, parser into a model.
//! - [`io`]: sockets, address operations, notify scripts, trackers, the daemon loop.
// One audited unsafe block (the sockaddr_ll of the GARP socket); everything else is safe.
#![deny(unsafe_code)]

pub mod config;
pub mod fsm;
pub mod io;
pub mod wire;
