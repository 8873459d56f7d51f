//! A client for lbd's (and HAProxy's) runtime socket.
//!
//! Blocking on purpose: one command is one short exchange (connect, write a
//! line, read to EOF), so a CLI tool calls it directly and an async server
//! runs it under `spawn_blocking`; the contract crate stays free of an async
//! runtime. Every exchange is bounded by the client's timeout.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::time::Duration;

use crate::stats::{parse_info, parse_stat_csv, InfoMap, StatRow};

/// Where the runtime socket lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Endpoint {
    Unix(PathBuf),
    Tcp(String),
}

impl std::str::FromStr for Endpoint {
    type Err = ApiError;
    /// `unix:/path`, `/path`, `tcp://host:port` or `host:port`.
    fn from_str(s: &str) -> Result<Self, ApiError> {
        if let Some(p) = s.strip_prefix("unix:") {
            return Ok(Endpoint::Unix(PathBuf::from(p)));
        }
        if s.starts_with('/') {
            return Ok(Endpoint::Unix(PathBuf::from(s)));
        }
        let hp = s.strip_prefix("tcp://").unwrap_or(s);
        if hp
            .rsplit_once(':')
            .is_some_and(|(h, p)| !h.is_empty() && p.parse::<u16>().is_ok())
        {
            return Ok(Endpoint::Tcp(hp.to_string()));
        }
        Err(ApiError::BadEndpoint(s.to_string()))
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("'{0}' is neither a unix socket path nor host:port")]
    BadEndpoint(String),
    #[error("cannot connect to {endpoint}: {source}")]
    Connect {
        endpoint: String,
        source: std::io::Error,
    },
    #[error("runtime socket I/O: {0}")]
    Io(#[from] std::io::Error),
    #[error("a command may not contain a line feed")]
    Newline,
    #[error("the command was refused: {0}")]
    Refused(String),
    #[error("unexpected output: {0}")]
    Parse(String),
}

/// A runtime-socket client; each call opens its own connection, as the
/// socket closes after one non-interactive command.
#[derive(Debug, Clone)]
pub struct RuntimeClient {
    endpoint: Endpoint,
    timeout: Duration,
}

impl RuntimeClient {
    pub fn new(endpoint: Endpoint) -> Self {
        RuntimeClient {
            endpoint,
            timeout: Duration::from_secs(5),
        }
    }

    /// The connect, write and read deadline of each exchange (5 s by default).
    pub fn with_timeout(mut self, t: Duration) -> Self {
        self.timeout = t;
        self
    }

    /// Sends one command line (`;` may join several) and returns the raw
    /// output up to EOF, terminating empty lines included.
    pub fn raw(&self, command: &str) -> Result<String, ApiError> {
        if command.contains('\n') {
            return Err(ApiError::Newline);
        }
        let line = format!("{command}\n");
        let mut out = Vec::new();
        match &self.endpoint {
            Endpoint::Unix(p) => {
                let mut s = UnixStream::connect(p).map_err(|e| ApiError::Connect {
                    endpoint: p.display().to_string(),
                    source: e,
                })?;
                s.set_read_timeout(Some(self.timeout))?;
                s.set_write_timeout(Some(self.timeout))?;
                s.write_all(line.as_bytes())?;
                s.read_to_end(&mut out)?;
            }
            Endpoint::Tcp(hp) => {
                let connect_err = |e| ApiError::Connect {
                    endpoint: hp.clone(),
                    source: e,
                };
                let addrs: Vec<SocketAddr> = hp.to_socket_addrs().map_err(connect_err)?.collect();
                let mut last = None;
                let mut stream = None;
                for a in addrs {
                    match TcpStream::connect_timeout(&a, self.timeout) {
                        Ok(s) => {
                            stream = Some(s);
                            break;
                        }
                        Err(e) => last = Some(e),
                    }
                }
                let mut s = stream.ok_or_else(|| {
                    connect_err(last.unwrap_or_else(|| {
                        std::io::Error::new(std::io::ErrorKind::NotFound, "no address")
                    }))
                })?;
                s.set_read_timeout(Some(self.timeout))?;
                s.set_write_timeout(Some(self.timeout))?;
                s.write_all(line.as_bytes())?;
                s.read_to_end(&mut out)?;
            }
        }
        Ok(String::from_utf8_lossy(&out).into_owned())
    }

    /// Sends one command and returns its output without the terminating
    /// empty line. Known refusals (`Permission denied`, unknown command)
    /// become [`ApiError::Refused`].
    pub fn command(&self, command: &str) -> Result<String, ApiError> {
        let raw = self.raw(command)?;
        let body = raw.strip_suffix('\n').unwrap_or(&raw).to_string();
        let first = body.lines().next().unwrap_or("");
        if first == "Permission denied" || first.starts_with("Unknown command") {
            return Err(ApiError::Refused(first.to_string()));
        }
        Ok(body)
    }

    /// Runs a state-changing command that prints nothing on success; any
    /// output is the error message.
    pub fn action(&self, command: &str) -> Result<(), ApiError> {
        let out = self.command(command)?;
        let msg = out.trim_end();
        if msg.is_empty() {
            Ok(())
        } else {
            Err(ApiError::Refused(msg.to_string()))
        }
    }

    /// `show info`.
    pub fn show_info(&self) -> Result<InfoMap, ApiError> {
        Ok(parse_info(&self.command("show info")?))
    }

    /// `show stat`.
    pub fn show_stat(&self) -> Result<Vec<StatRow>, ApiError> {
        parse_stat_csv(&self.command("show stat")?)
    }

    /// `get weight <be>/<srv>`: (current, initial).
    pub fn get_weight(&self, backend: &str, server: &str) -> Result<(u32, u32), ApiError> {
        let out = self.command(&format!("get weight {backend}/{server}"))?;
        let line = out.trim();
        let parsed = line.split_once(" (initial ").and_then(|(cur, rest)| {
            let init = rest.strip_suffix(')')?;
            Some((cur.parse().ok()?, init.parse().ok()?))
        });
        parsed.ok_or_else(|| ApiError::Refused(line.to_string()))
    }

    /// `set server <be>/<srv> state ready|drain|maint`.
    pub fn set_server_state(
        &self,
        backend: &str,
        server: &str,
        state: AdminState,
    ) -> Result<(), ApiError> {
        self.action(&format!(
            "set server {}/{} state {}",
            escape(backend),
            escape(server),
            state.word()
        ))
    }

    /// `set server <be>/<srv> weight <w>`.
    pub fn set_server_weight(&self, backend: &str, server: &str, w: u32) -> Result<(), ApiError> {
        self.action(&format!(
            "set server {}/{} weight {w}",
            escape(backend),
            escape(server)
        ))
    }
}

/// The administrative states `set server ... state` accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum AdminState {
    Ready,
    Drain,
    Maint,
}

impl AdminState {
    pub fn word(self) -> &'static str {
        match self {
            AdminState::Ready => "ready",
            AdminState::Drain => "drain",
            AdminState::Maint => "maint",
        }
    }
}

/// Escapes a word for the CLI: `\`, `;`, space and tab get a backslash.
pub fn escape(word: &str) -> String {
    let mut out = String::with_capacity(word.len());
    for c in word.chars() {
        if matches!(c, '\\' | ';' | ' ' | '\t') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints() {
        assert_eq!(
            "unix:/run/a.sock".parse::<Endpoint>().ok(),
            Some(Endpoint::Unix("/run/a.sock".into()))
        );
        assert_eq!(
            "tcp://127.0.0.1:9999".parse::<Endpoint>().ok(),
            Some(Endpoint::Tcp("127.0.0.1:9999".into()))
        );
        assert!("nonsense".parse::<Endpoint>().is_err());
    }

    #[test]
    fn escaping() {
        assert_eq!(escape("a b;c\\"), "a\\ b\\;c\\\\");
    }
}
