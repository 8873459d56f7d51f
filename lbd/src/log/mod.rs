//! Logging (spec section 9): HAProxy-compatible traffic and event logs.
//!
//! `record` is the value the data plane fills per transaction; `format`
//! compiles and renders log-format strings; `frame` adds the syslog header;
//! `conf` compiles the configuration into per-proxy settings and targets;
//! `sender` owns the sockets and the bounded queue between the data path and
//! them. Everything except `sender` is sans-IO.

pub mod conf;
pub mod dates;
pub mod format;
pub mod frame;
pub mod record;
pub mod sender;

pub use conf::{Capture, ProxyLogConf, Target, Transport};
pub use format::{LogFormat, RenderCtx};
pub use frame::SyslogFormat;
pub use record::{TermCause, TermPhase, Termination, TxnLog};
pub use sender::{LogSender, Logger};

/// Syslog severities, most severe first (their numeric value is the code).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    Emerg = 0,
    Alert = 1,
    Crit = 2,
    Err = 3,
    Warning = 4,
    Notice = 5,
    Info = 6,
    Debug = 7,
}

impl Level {
    pub const NAMES: [&'static str; 8] = [
        "emerg", "alert", "crit", "err", "warning", "notice", "info", "debug",
    ];

    pub fn parse(s: &str) -> Option<Level> {
        const ALL: [Level; 8] = [
            Level::Emerg,
            Level::Alert,
            Level::Crit,
            Level::Err,
            Level::Warning,
            Level::Notice,
            Level::Info,
            Level::Debug,
        ];
        Self::NAMES.iter().position(|n| *n == s).map(|i| ALL[i])
    }
}

/// The 24 syslog facilities, in code order.
pub const FACILITIES: [&str; 24] = [
    "kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news", "uucp", "cron", "auth2",
    "ftp", "ntp", "audit", "alert", "cron2", "local0", "local1", "local2", "local3", "local4",
    "local5", "local6", "local7",
];

/// The facility code of `name`.
pub fn facility(name: &str) -> Option<u8> {
    FACILITIES.iter().position(|f| *f == name).map(|i| i as u8)
}
#[cfg(test)]
mod format_tests;
