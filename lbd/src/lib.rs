//! lbd: Rampart's HAProxy-compatible proxy daemon.
//!
//! Layout follows the request path (DESIGN.md section 2): `config` turns text
//! into a typed model, `balance` and `h1` are sans-IO decision and protocol
//! logic, and the I/O modules around them accept, proxy and log.

pub mod balance;
pub mod config;
pub mod h1;
