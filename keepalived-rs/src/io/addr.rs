//! The address and link operations the daemon needs from the kernel, as a trait so the
//! protocol code does not care who talks rtnetlink (`netcfg` in production, `ip(8)` as
//! a fallback), plus link facts read from sysfs.

use std::future::Future;
use std::net::IpAddr;

use tokio::sync::mpsc;

/// A virtual address to install: the same shape as `netcfg::Vip`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VipSpec {
    pub addr: IpAddr,
    pub prefix_len: u8,
    pub ifname: String,
    pub label: Option<String>,
}

/// Link and address changes the daemon reacts to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkEvent {
    LinkUp {
        ifname: String,
        index: u32,
    },
    LinkDown {
        ifname: String,
        index: u32,
    },
    AddrAdded {
        index: u32,
        addr: IpAddr,
        prefix_len: u8,
    },
    AddrRemoved {
        index: u32,
        addr: IpAddr,
        prefix_len: u8,
    },
}

#[derive(Debug, thiserror::Error)]
pub enum AddrError {
    #[error("interface {0} not found")]
    NoSuchInterface(String),
    #[error("address operation failed: {0}")]
    Failed(String),
}

/// What the I/O layer asks of the kernel's address configuration.
pub trait AddrOps: Send + Sync + 'static {
    fn link_index(&self, ifname: &str) -> impl Future<Output = Result<u32, AddrError>> + Send;
    fn link_is_up(&self, ifname: &str) -> impl Future<Output = Result<bool, AddrError>> + Send;
    fn addresses(
        &self,
        ifname: &str,
    ) -> impl Future<Output = Result<Vec<(IpAddr, u8)>, AddrError>> + Send;
    /// Installs the VIP; Ok(false) when it was already present.
    fn add_vip(&self, v: &VipSpec) -> impl Future<Output = Result<bool, AddrError>> + Send;
    /// Removes the VIP; Ok(false) when it was not present.
    fn remove_vip(&self, v: &VipSpec) -> impl Future<Output = Result<bool, AddrError>> + Send;
    /// A stream of link and address changes for every interface.
    fn watch(&self) -> Result<mpsc::Receiver<LinkEvent>, AddrError>;
}

/// The interface's MAC address, for GARP frames (sysfs; no netlink needed).
pub fn link_mac(ifname: &str) -> Option<[u8; 6]> {
    let text = std::fs::read_to_string(format!("/sys/class/net/{ifname}/address")).ok()?;
    let mut mac = [0u8; 6];
    let mut parts = text.trim().split(':');
    for b in mac.iter_mut() {
        *b = u8::from_str_radix(parts.next()?, 16).ok()?;
    }
    Some(mac)
}
