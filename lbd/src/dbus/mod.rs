//! lbd on D-Bus: `org.rampart.Lbd1` at `/org/rampart/Lbd`, name
//! `org.rampart.Lbd` (the contract is `lbapi::dbus::lbd`). On only with
//! `--dbus system|session|<address>` (or `LBD_DBUS_ADDRESS`): the HAProxy
//! configuration stays HAProxy's. The file it edits is the `-f` file; its
//! saved versions go to `--config-history DIR` (default `.lbd-history`
//! next to it).
//!
//! [`hook`] is how the serving code reports to this module; [`service`]
//! is the interface; [`history`] the files; [`validate`] the diagnostics.

pub mod history;
pub mod hook;
pub mod service;
pub mod validate;

use lbapi::dbus::{LBD_BUS_NAME, LBD_PATH};
use std::path::PathBuf;
use zbus::object_server::SignalEmitter;

/// What the command line asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// `system`, `session`, or a D-Bus address (`unix:path=...`).
    pub bus: String,
    /// `--config-history DIR`.
    pub history: Option<PathBuf>,
}

#[derive(Debug, thiserror::Error)]
pub enum DbusError {
    #[error("--dbus needs one -f configuration file to edit, not a directory")]
    NoConfigFile,
    #[error("D-Bus: {0}")]
    Bus(#[from] zbus::Error),
}

/// Connects, takes the name and serves the interface for the rest of the
/// process's life. Call before the first generation starts, so that its
/// server state changes reach the signals.
///
/// The newest lbd on the bus owns the name: zbus asks for it with
/// `AllowReplacement | ReplaceExisting | DoNotQueue`, so each one lets a
/// successor replace it and replaces its predecessor. A `-W` master's new
/// worker, or a binary upgraded with `-x`/`-sf`, thus answers D-Bus from
/// its start while the old process drains its connections (tested in
/// tests/tests/dbus_lbd.rs). The old one does not queue for the name: if
/// the new one died, the name would stay free until the next start.
pub async fn start(opts: &Options, files: &[PathBuf]) -> Result<(), DbusError> {
    let config = match files {
        [f] if !f.is_dir() => f.clone(),
        _ => return Err(DbusError::NoConfigFile),
    };
    let store = history::Store::new(config, opts.history.clone());
    let builder = match opts.bus.as_str() {
        "system" => zbus::connection::Builder::system()?,
        "session" => zbus::connection::Builder::session()?,
        addr => zbus::connection::Builder::address(addr)?,
    };
    let iface = service::LbdIface::new(store);
    let conn = builder
        .name(LBD_BUS_NAME)?
        .serve_at(LBD_PATH, iface.clone())?
        .build()
        .await?;
    iface.resume_pending(&conn).await;
    if let Some(events) = hook::enable() {
        tokio::spawn(signals(conn, events));
    }
    Ok(())
}

/// Turns hook events into signals. Holds the connection: it lives as long
/// as the process.
async fn signals(
    conn: zbus::Connection,
    mut events: tokio::sync::mpsc::UnboundedReceiver<hook::Event>,
) {
    let Ok(emitter) = SignalEmitter::new(&conn, LBD_PATH) else {
        return;
    };
    while let Some(ev) = events.recv().await {
        // A signal nobody can receive (bus gone) is not lbd's problem.
        let _ = match ev {
            hook::Event::ServerState {
                backend,
                server,
                state,
            } => service::LbdIface::server_state_changed(&emitter, &backend, &server, state).await,
            hook::Event::Reloaded(g) => service::LbdIface::reloaded(&emitter, g).await,
        };
    }
}
