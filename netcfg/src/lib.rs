//! netcfg: Rampart's owner of kernel network state.
//!
//! Links, addresses, floating VIPs and routes go through rtnetlink ([`NetHandle`]); IRQ,
//! RPS/XPS pinning and sysctls go through procfs/sysfs under a root directory given by the
//! caller, so tests run against a fake tree. Hardware profiles (`hw-profiles/*.toml`) and
//! the network part of `appliance.toml` are parsed and validated here.
#![forbid(unsafe_code)]

pub mod error;
pub mod vip;

pub use error::NetcfgError;
pub use vip::{NetEvent, NetHandle, Vip};
