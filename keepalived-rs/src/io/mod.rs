//! The I/O layer around the sans-IO core: raw sockets, GARP, address operations,
//! notify scripts, trackers and the daemon loop that ties them to the state machines.

pub mod addr;
pub mod bus;
pub mod daemon;
pub mod garp;
pub mod log;
pub mod netcfg_ops;
pub mod notify;
mod rx;
pub mod socket;
pub mod track;
mod vips;

pub use log::Logger;
