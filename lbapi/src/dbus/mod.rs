//! The appliance's D-Bus interfaces, defined once for servers and clients.
//!
//! Each interface is a zbus `#[proxy]` trait (clients call it; the daemon
//! implements the same method names with `#[zbus::interface]`) plus the
//! serde types it carries. Names, paths and signatures here are the
//! contract: change them only with both sides.

pub mod lbd;
pub mod supervisor;
pub mod vrrp;

pub use lbd::{ConfigError, Lbd1Proxy, StatEntry, Version, LBD_BUS_NAME, LBD_INTERFACE, LBD_PATH};
pub use supervisor::{
    LogLine, ServiceState, ServiceStatus, Supervisor1Proxy, SUPERVISOR_BUS_NAME,
    SUPERVISOR_INTERFACE, SUPERVISOR_PATH,
};
pub use vrrp::{
    InstanceStatus, SyncGroupStatus, Vrrp1Proxy, VrrpCounters, VRRP_BUS_NAME, VRRP_INTERFACE,
    VRRP_PATH,
};
