//! netcfg: Rampart's owner of kernel network state.
//!
//! Links, addresses, floating VIPs and routes go through rtnetlink ([`NetHandle`]); IRQ,
//! RPS/XPS pinning and sysctls go through procfs/sysfs under a root directory given by the
//! caller ([`SysRoot`]), so tests run against a fake tree. Hardware profiles
//! (`hw-profiles/*.toml`) and the network part of `appliance.toml` are parsed and
//! validated here.
#![forbid(unsafe_code)]

pub mod appliance;
pub mod change;
pub mod channels;
pub mod cpuset;
pub mod detect;
pub mod diag;
pub mod error;
pub mod links;
pub mod pinning;
pub mod plan;
pub mod profile;
pub mod sysctl;
pub mod sysfs;
pub mod vip;

pub use change::Change;
pub use cpuset::CpuSet;
pub use diag::ConfigError;
pub use error::NetcfgError;
pub use profile::Profile;
pub use sysfs::SysRoot;
pub use vip::{NetEvent, NetHandle, Vip};
