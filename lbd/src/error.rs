//! The data plane's one error type: where a failure came from and at which
//! stage, which drives both behaviour (retry, redispatch, 502 vs 504) and the
//! two-letter termination state of the logs (spec section 9.4).

use std::fmt;

/// Who caused the session to end (first letter of `%ts`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cause {
    /// `C`: the client aborted or timed out.
    Client,
    /// `S`: the server aborted, refused or sent garbage.
    Server,
    /// `P`: the proxy itself (rules, parsing, deny, no server).
    Proxy,
    /// `I`: an internal error.
    Internal,
    /// `c`: client-side timeout.
    ClientTimeout,
    /// `s`: server-side timeout.
    ServerTimeout,
    /// `K`: ended by the runtime API (`shutdown session(s)`).
    Killed,
    /// `D`: the server went down (`on-marked-down shutdown-sessions`).
    Down,
}

/// The stage the session was in (second letter of `%ts`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// `R`: waiting for the client's request.
    Request,
    /// `Q`: queued, waiting for a server slot.
    Queue,
    /// `C`: connecting to the server.
    Connect,
    /// `H`: waiting for the server's response headers.
    Headers,
    /// `D`: transferring data.
    Data,
    /// `L`: the proxy was sending its last data (tarpit/return).
    Last,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProxyError {
    pub cause: Cause,
    pub stage: Stage,
    /// A new attempt (possibly on another server) may be made.
    pub retryable: bool,
    pub detail: String,
}

impl ProxyError {
    pub fn new(cause: Cause, stage: Stage, detail: impl Into<String>) -> Self {
        ProxyError {
            cause,
            stage,
            retryable: false,
            detail: detail.into(),
        }
    }

    pub fn retryable(mut self) -> Self {
        self.retryable = true;
        self
    }

    /// The two characters HAProxy logs as `%ts`.
    pub fn termination(&self) -> [char; 2] {
        let c = match self.cause {
            Cause::Client => 'C',
            Cause::Server => 'S',
            Cause::Proxy => 'P',
            Cause::Internal => 'I',
            Cause::Killed => 'K',
            Cause::Down => 'D',
            Cause::ClientTimeout => 'c',
            Cause::ServerTimeout => 's',
        };
        let s = match self.stage {
            Stage::Request => 'R',
            Stage::Queue => 'Q',
            Stage::Connect => 'C',
            Stage::Headers => 'H',
            Stage::Data => 'D',
            Stage::Last => 'L',
        };
        [c, s]
    }
}

impl ProxyError {
    /// The log's termination state for this error.
    pub fn log_termination(&self) -> crate::log::Termination {
        use crate::log::{TermCause, TermPhase, Termination};
        let cause = match self.cause {
            Cause::Client => TermCause::ClientClosed,
            Cause::Server => TermCause::ServerClosed,
            Cause::Proxy => TermCause::Proxy,
            Cause::Internal => TermCause::Internal,
            Cause::Killed => TermCause::Killed,
            Cause::Down => TermCause::Down,
            Cause::ClientTimeout => TermCause::ClientTimeout,
            Cause::ServerTimeout => TermCause::ServerTimeout,
        };
        let phase = match self.stage {
            Stage::Request => TermPhase::Request,
            Stage::Queue => TermPhase::Queue,
            Stage::Connect => TermPhase::Connect,
            Stage::Headers => TermPhase::Headers,
            Stage::Data => TermPhase::Data,
            Stage::Last => TermPhase::Last,
        };
        Termination::new(cause, phase)
    }
}

impl fmt::Display for ProxyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [a, b] = self.termination();
        write!(f, "{a}{b}: {}", self.detail)
    }
}

impl std::error::Error for ProxyError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn termination_codes_match_haproxy_letters() {
        let e = ProxyError::new(Cause::ServerTimeout, Stage::Headers, "timeout server");
        assert_eq!(e.termination(), ['s', 'H']);
        let e = ProxyError::new(Cause::Client, Stage::Request, "closed");
        assert_eq!(e.termination(), ['C', 'R']);
    }
}
