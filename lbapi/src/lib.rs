//! lbapi: the contract between Rampart's daemons and their clients.
//!
//! Shared types live here so that lbctl and the web UI never link a daemon.
//! It grows with the runtime API (typed runtime-socket client) and the D-Bus
//! interfaces; for now it holds the server and proxy states every client shows.
#![forbid(unsafe_code)]

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
