//! Log sink as keepalived has it: syslog (facility daemon, or local0-7 with `-S`) under
//! the ident `Keepalived_vrrp[pid]`, and the console too with `-l`.
//!
//! Syslog is written straight to `/dev/log` (RFC 3164 framing, what glibc's syslog(3)
//! sends), so no unsafe FFI is needed; without a syslog daemon the lines are dropped,
//! as syslog(3) drops them.

use std::os::unix::net::UnixDatagram;
use std::path::PathBuf;
use std::sync::Arc;

/// syslog's LOG_DAEMON.
pub const FACILITY_DAEMON: u8 = 3;
/// syslog's LOG_LOCAL0; `-S N` is LOG_LOCAL0 + N.
pub const FACILITY_LOCAL0: u8 = 16;
const SEVERITY_INFO: u8 = 6;
const IDENT: &str = "Keepalived_vrrp";

/// Where log lines go.
#[derive(Debug, Clone)]
pub struct Logger {
    pub detailed: bool,
    /// Also to stderr (`-l`).
    pub console: bool,
    syslog: Option<Arc<Syslog>>,
}

#[derive(Debug)]
struct Syslog {
    sock: UnixDatagram,
    path: PathBuf,
    facility: u8,
}

impl Logger {
    /// Console only (tests and `-t`).
    pub fn console(detailed: bool) -> Logger {
        Logger {
            detailed,
            console: true,
            syslog: None,
        }
    }

    /// Console with `console`, and syslog at `path` (normally `/dev/log`) with `facility`.
    pub fn new(detailed: bool, console: bool, facility: Option<(u8, PathBuf)>) -> Logger {
        let syslog = facility.and_then(|(facility, path)| {
            let sock = UnixDatagram::unbound().ok()?;
            Some(Arc::new(Syslog {
                sock,
                path,
                facility,
            }))
        });
        Logger {
            detailed,
            console,
            syslog,
        }
    }

    pub fn info(&self, msg: &str) {
        if self.console {
            let ts = chrono::Local::now().format("%a %b %e %H:%M:%S%.3f %Y");
            eprintln!("{ts}: {msg}");
        }
        if let Some(s) = &self.syslog {
            let line = syslog_line(s.facility, chrono::Local::now(), std::process::id(), msg);
            // A missing or full syslog socket must never stop the daemon.
            let _ = s.sock.send_to(line.as_bytes(), &s.path);
        }
    }

    /// Only with `-D`.
    pub fn detail(&self, msg: &str) {
        if self.detailed {
            self.info(msg);
        }
    }
}

/// One RFC 3164 datagram: `<PRI>Mmm dd hh:mm:ss Keepalived_vrrp[pid]: msg`.
pub fn syslog_line<Tz: chrono::TimeZone>(
    facility: u8,
    at: chrono::DateTime<Tz>,
    pid: u32,
    msg: &str,
) -> String
where
    Tz::Offset: std::fmt::Display,
{
    let pri = u16::from(facility) * 8 + u16::from(SEVERITY_INFO);
    format!(
        "<{pri}>{} {IDENT}[{pid}]: {msg}",
        at.format("%b %e %H:%M:%S")
    )
}

/// The facility of `-S N` (0..7 → local0..local7).
pub fn facility_of_flag(v: &str) -> Option<u8> {
    match v.parse::<u8>() {
        Ok(n) if n <= 7 => Some(FACILITY_LOCAL0 + n),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn rfc3164_framing_like_glibc() {
        let at = chrono::Utc.with_ymd_and_hms(2024, 3, 5, 7, 8, 9).unwrap();
        assert_eq!(
            syslog_line(FACILITY_DAEMON, at, 42, "(VI_1) Entering MASTER STATE"),
            "<30>Mar  5 07:08:09 Keepalived_vrrp[42]: (VI_1) Entering MASTER STATE"
        );
        assert_eq!(facility_of_flag("7"), Some(23));
        assert_eq!(facility_of_flag("8"), None);
    }

    #[test]
    fn lines_reach_the_syslog_socket() {
        let dir = std::env::temp_dir().join(format!("krs-log-{}", std::process::id()));
        let _ = std::fs::create_dir_all(&dir);
        let path = dir.join("log");
        let _ = std::fs::remove_file(&path);
        let server = UnixDatagram::bind(&path).unwrap();
        let log = Logger::new(false, false, Some((FACILITY_LOCAL0 + 2, path.clone())));
        log.info("(VI_1) Entering BACKUP STATE");
        let mut buf = [0u8; 512];
        let n = server.recv(&mut buf).unwrap();
        let got = String::from_utf8_lossy(&buf[..n]).to_string();
        assert!(got.starts_with("<150>"), "{got}");
        assert!(got.ends_with("]: (VI_1) Entering BACKUP STATE"), "{got}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
