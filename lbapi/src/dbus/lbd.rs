//! `org.rampart.Lbd1`: lbd's configuration (read, validate, apply with
//! confirm-or-rollback, history), its servers (state, weight, address),
//! its statistics, and reloads.
//!
//! lbd serves it only when started with `--dbus system|session|<address>`
//! (or `LBD_DBUS_ADDRESS`); the configuration it edits is the `-f` file.
//! Mutating methods are for root and the `rampart-admin` group (see
//! `/etc/dbus-1/system.d/org.rampart.Lbd.conf`); the read-only ones
//! (`ConfigText`, `ConfigModel`, `Validate`, `History`, `Stats`) are for
//! everyone.
//!
//! Errors: a rejected configuration, an unknown backend/server or version
//! fail with `org.freedesktop.DBus.Error.InvalidArgs`; a reload that fails
//! for another reason with `org.freedesktop.DBus.Error.Failed`. The text
//! says what, as the runtime API would.

use serde::{Deserialize, Serialize};
use zbus::zvariant::Type;

/// The well-known bus name lbd owns.
pub const LBD_BUS_NAME: &str = "org.rampart.Lbd";
/// The object path of lbd's single object.
pub const LBD_PATH: &str = "/org/rampart/Lbd";
/// The interface name.
pub const LBD_INTERFACE: &str = "org.rampart.Lbd1";

/// One diagnostic from validating a configuration text, as `lbd -c`
/// reports it. `line` is 1-based; 0 means the message is about the whole
/// text (e.g. "no frontend"). `keyword` is empty when not known.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
pub struct ConfigError {
    pub line: u32,
    pub keyword: String,
    /// "alert" (the configuration is refused) or "warning".
    pub severity: String,
    pub message: String,
}

impl ConfigError {
    /// True when this diagnostic makes the configuration unusable.
    pub fn is_alert(&self) -> bool {
        self.severity == "alert"
    }
}

/// One saved configuration. Versions count up from 1 and are never
/// reused; the highest one is the text in use (after a rollback, the
/// restored text is saved again as a new version).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
pub struct Version {
    pub id: u32,
    /// Seconds since the Unix epoch when it was written.
    pub timestamp: u64,
    /// Bytes.
    pub size: u64,
    /// Why it exists: "applied", "rolled back from 7 (not confirmed)",
    /// "rollback to 3", "initial". Empty when unknown.
    pub comment: String,
}

/// One `show stat` row, with the columns a client shows. Counters that
/// do not apply (a frontend's `weight`, a server's `req_tot` in TCP) are 0.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
pub struct StatEntry {
    /// The proxy's name (`pxname`).
    pub proxy: String,
    /// `FRONTEND`, `BACKEND`, or the server's name (`svname`).
    pub name: String,
    /// "frontend", "backend", "server" or "listener".
    pub kind: String,
    /// As `show stat` prints it: `UP`, `DOWN`, `MAINT`, `OPEN`, `no check`...
    pub status: String,
    /// Current sessions.
    pub scur: u64,
    /// Total sessions.
    pub stot: u64,
    pub bin: u64,
    pub bout: u64,
    pub weight: u64,
    /// Queued requests.
    pub qcur: u64,
    /// HTTP responses by class: six counts, 1xx..5xx then other (all 0
    /// for TCP).
    pub hrsp: Vec<u64>,
    /// The server's address `ip:port`; empty for other rows.
    pub addr: String,
}

/// lbd's interface.
#[zbus::proxy(
    interface = "org.rampart.Lbd1",
    default_service = "org.rampart.Lbd",
    default_path = "/org/rampart/Lbd"
)]
pub trait Lbd1 {
    /// The configuration file's text as it is on disk now.
    fn config_text(&self) -> zbus::Result<String>;
    /// The configuration file's typed model (as lbd parses it) as JSON;
    /// fails with the alerts when the file does not load.
    fn config_model(&self) -> zbus::Result<String>;
    /// Checks a configuration text without applying it. Empty means valid;
    /// warnings alone do not make it invalid.
    fn validate(&self, text: &str) -> zbus::Result<Vec<ConfigError>>;
    /// Validates `text`, saves the current file in the history, writes
    /// `text` atomically and reloads. Returns the new version. With
    /// `confirm_seconds` > 0, lbd goes back to the previous version by
    /// itself unless `Confirm` comes within that time.
    fn apply(&self, text: &str, confirm_seconds: u32) -> zbus::Result<u32>;
    /// Keeps the pending applied version (fails when none is pending).
    fn confirm(&self) -> zbus::Result<()>;
    /// Writes a saved version back as the configuration and reloads.
    /// Returns the new version the restored text is saved as.
    fn rollback(&self, version: u32) -> zbus::Result<u32>;
    /// Saved versions, oldest first.
    fn history(&self) -> zbus::Result<Vec<Version>>;
    /// `ready`, `drain` or `maint`, as `set server <be>/<srv> state`.
    fn set_server_state(&self, backend: &str, server: &str, state: &str) -> zbus::Result<()>;
    /// As `set server <be>/<srv> weight <weight>`.
    fn set_server_weight(&self, backend: &str, server: &str, weight: u32) -> zbus::Result<()>;
    /// As `set server <be>/<srv> addr <addr> port <port>` (port 0 keeps it).
    fn set_server_addr(
        &self,
        backend: &str,
        server: &str,
        addr: &str,
        port: u16,
    ) -> zbus::Result<()>;
    /// Every `show stat` row.
    fn stats(&self) -> zbus::Result<Vec<StatEntry>>;
    /// Reloads the configuration file as it is on disk; returns the new
    /// generation.
    fn reload(&self) -> zbus::Result<u64>;
    /// A server's state changed (admin action or health check): `state`
    /// is the `show stat` word (`UP`, `DOWN`, `MAINT`, `DRAIN`, `NOLB`).
    #[zbus(signal)]
    fn server_state_changed(&self, backend: &str, server: &str, state: &str) -> zbus::Result<()>;
    /// A reload took effect; `generation` counts from 1.
    #[zbus(signal)]
    fn reloaded(&self, generation: u64) -> zbus::Result<()>;
    /// A version was written and reloaded (by Apply, Rollback or an
    /// automatic rollback).
    #[zbus(signal)]
    fn config_applied(&self, version: u32) -> zbus::Result<()>;
    /// The version pending confirmation; 0 when none.
    #[zbus(property(emits_changed_signal = "false"))]
    fn pending_version(&self) -> zbus::Result<u32>;
    /// The version in use (the highest in the history); 0 before any.
    #[zbus(property(emits_changed_signal = "false"))]
    fn current_version(&self) -> zbus::Result<u32>;
}
