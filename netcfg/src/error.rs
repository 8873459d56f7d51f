//! The one error type of the netcfg library: what failed, on which object, and why.

use std::path::PathBuf;

/// Everything the netcfg library can fail with.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum NetcfgError {
    /// No link of that name exists in the current network namespace.
    #[error("no such interface: {0}")]
    NoSuchLink(String),
    /// The kernel refused a netlink request.
    #[error("netlink {op} failed: {source}")]
    Netlink {
        op: String,
        #[source]
        source: rtnetlink::Error,
    },
    /// The netlink socket could not be opened (no permission, no runtime, ...).
    #[error("cannot open netlink socket: {0}")]
    Socket(#[source] std::io::Error),
    /// `watch` or `new` was called outside a tokio runtime.
    #[error("netcfg needs a tokio runtime: {0}")]
    NoRuntime(String),
    /// An address label the kernel would reject or silently mangle.
    #[error("invalid label {label:?} for {ifname}: {reason}")]
    InvalidLabel {
        ifname: String,
        label: String,
        reason: &'static str,
    },
    /// The address exists on the link with another prefix length.
    #[error("{addr} already exists on {ifname} with another prefix length")]
    AddressConflict {
        ifname: String,
        addr: std::net::IpAddr,
    },
    /// An ethtool netlink request failed.
    #[error("ethtool {op} failed: {reason}")]
    Ethtool { op: String, reason: String },
    /// A route the kernel's message format cannot express (mixed address families).
    #[error("invalid route {0}")]
    InvalidRoute(String),
    /// A procfs/sysfs file could not be read or written.
    #[error("{}: {source}", path.display())]
    File {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A procfs/sysfs file held something we cannot parse.
    #[error("{}: {reason}", path.display())]
    Parse { path: PathBuf, reason: String },
    /// A hardware profile or appliance config is invalid (names file, line, key, reason).
    #[error(transparent)]
    Config(#[from] crate::diag::ConfigError),
}

impl NetcfgError {
    pub(crate) fn netlink(op: impl Into<String>, source: rtnetlink::Error) -> Self {
        NetcfgError::Netlink {
            op: op.into(),
            source,
        }
    }

    pub(crate) fn file(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        NetcfgError::File {
            path: path.into(),
            source,
        }
    }
}

/// The positive errno carried by a kernel NACK, if that is what `e` is.
pub(crate) fn errno(e: &rtnetlink::Error) -> Option<i32> {
    match e {
        rtnetlink::Error::NetlinkError(m) => m.code.map(|c| -c.get()),
        _ => None,
    }
}
