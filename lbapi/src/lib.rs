//! lbapi: the contract between Rampart's daemons and their clients.
//!
//! Shared types live here so that lbctl and the web UI never link a daemon.
//! It holds the server and proxy states every client shows, and the typed
//! runtime-socket client ([`RuntimeClient`]) with its `show info` and
//! `show stat` parsers, and the D-Bus interfaces ([`dbus`]).
#![forbid(unsafe_code)]

pub mod client;
pub mod dbus;
pub mod stats;

pub use client::{escape, AdminState, ApiError, Endpoint, RuntimeClient};
pub use stats::{parse_info, parse_stat_csv, InfoMap, RowType, StatRow};

use serde::{Deserialize, Serialize};

/// Operational state of a server, as `show stat` prints it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ServerState {
    Up,
    Down,
    Maint,
    Drain,
    NoLb,
}

impl ServerState {
    /// The word HAProxy's stats use for this state.
    pub fn as_stat_str(self) -> &'static str {
        match self {
            ServerState::Up => "UP",
            ServerState::Down => "DOWN",
            ServerState::Maint => "MAINT",
            ServerState::Drain => "DRAIN",
            ServerState::NoLb => "NOLB",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_words_match_haproxy() {
        assert_eq!(ServerState::Maint.as_stat_str(), "MAINT");
        assert_eq!(ServerState::Up.as_stat_str(), "UP");
    }
}
