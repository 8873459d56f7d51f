//! Log configuration compiled from the model: where lines go (targets) and,
//! per frontend, what they say (format, captures, filters).
//!
//! Built once per configuration generation; the data path reads it without
//! locks (`should_log` is a few field tests).

use super::format::{self, LogFormat};
use super::frame::SyslogFormat;
use super::record::TxnLog;
use super::{facility, Level};
use crate::config::model::{self, LogFormatKind, LogTarget, Mode};
use std::net::{SocketAddr, ToSocketAddrs};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// Where a target's lines are written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Transport {
    Udp(SocketAddr),
    /// A unix datagram socket such as `/dev/log`.
    UnixDgram(PathBuf),
    Stdout,
    Stderr,
}

/// One `log` line, compiled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub transport: Transport,
    pub format: SyslogFormat,
    /// `len`: header plus message, without the trailing newline.
    pub maxlen: usize,
    pub facility: u8,
    /// Lines less severe than this are not sent.
    pub max_level: Level,
    /// Lines more severe than this are sent at this level.
    pub min_level: Level,
}

impl Target {
    /// The level a line of `level` goes out with, or None when filtered.
    pub fn level_for(&self, level: Level) -> Option<Level> {
        (level <= self.max_level).then_some(level.max(self.min_level))
    }
}

/// Compiles a `log` target. The error is the alert text.
pub fn compile_target(t: &LogTarget) -> Result<Target, String> {
    let transport = parse_transport(&t.target)?;
    let format = match &t.format {
        None => SyslogFormat::Default,
        Some(f) => SyslogFormat::parse(f).ok_or_else(|| format!("unknown log format '{f}'"))?,
    };
    let level = |l: &Option<String>, d: Level| l.as_deref().and_then(Level::parse).unwrap_or(d);
    Ok(Target {
        transport,
        format,
        maxlen: t.len.unwrap_or(1024),
        facility: facility(&t.facility)
            .ok_or_else(|| format!("unknown log facility '{}'", t.facility))?,
        max_level: level(&t.level, Level::Debug),
        min_level: level(&t.min_level, Level::Emerg),
    })
}

/// `ip[:port]`, `udp@`/`udp4@`/`udp6@`/`ipv4@`/`ipv6@`, `/path`, `unix@path`,
/// `stdout`, `stderr`, `fd@1`, `fd@2`.
pub fn parse_transport(s: &str) -> Result<Transport, String> {
    match s {
        "stdout" | "fd@1" => return Ok(Transport::Stdout),
        "stderr" | "fd@2" => return Ok(Transport::Stderr),
        _ => {}
    }
    if let Some(p) = s.strip_prefix("unix@") {
        return Ok(Transport::UnixDgram(PathBuf::from(p)));
    }
    if s.starts_with('/') {
        return Ok(Transport::UnixDgram(PathBuf::from(s)));
    }
    for refused in ["ring@", "tcp@", "tcp4@", "tcp6@"] {
        if s.starts_with(refused) {
            return Err(format!(
                "log target '{s}': '{refused}' targets are not supported yet by lbd (they need 'ring' sections); use a UDP or unix datagram target."
            ));
        }
    }
    if s.starts_with("fd@") {
        return Err(format!(
            "log target '{s}': only fd@1 and fd@2 are supported by lbd."
        ));
    }
    let (addr, v6) = match s.split_once('@') {
        Some(("udp" | "udp4" | "ipv4", a)) => (a, false),
        Some(("udp6" | "ipv6", a)) => (a, true),
        Some((p, _)) => {
            return Err(format!(
                "log target '{s}': unsupported address family '{p}@'."
            ))
        }
        None => (s, false),
    };
    let with_port = |host: &str, port: Option<&str>| -> Result<SocketAddr, String> {
        let port = match port {
            None | Some("") => 514,
            Some(p) => p
                .parse::<u16>()
                .ok()
                .filter(|p| *p > 0)
                .ok_or_else(|| format!("invalid port in log target '{s}'"))?,
        };
        (host, port)
            .to_socket_addrs()
            .map_err(|e| format!("cannot resolve log target '{s}': {e}"))?
            .find(|a| a.is_ipv6() == v6 || !v6)
            .ok_or_else(|| format!("cannot resolve log target '{s}'"))
    };
    let sa = if let Some(rest) = addr.strip_prefix('[') {
        let (host, tail) = rest
            .split_once(']')
            .ok_or_else(|| format!("invalid address in log target '{s}'"))?;
        with_port(host, tail.strip_prefix(':'))?
    } else if addr.matches(':').count() > 1 {
        // A bare IPv6 address: HAProxy reads the last colon as the port.
        match addr.parse::<std::net::Ipv6Addr>() {
            Ok(ip) => SocketAddr::from((ip, 514)),
            Err(_) => {
                let (h, p) = addr.rsplit_once(':').unwrap_or((addr, ""));
                with_port(h, Some(p))?
            }
        }
    } else {
        match addr.split_once(':') {
            Some((h, p)) => with_port(h, Some(p))?,
            None => with_port(addr, None)?,
        }
    };
    Ok(Transport::Udp(sa))
}

/// `capture request|response header <name> len <n>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Capture {
    /// Lower-cased header name.
    pub name: String,
    pub len: usize,
}

impl Capture {
    /// The value to store for one header occurrence: HAProxy keeps the first
    /// `len` bytes of the first occurrence.
    pub fn take(&self, value: &[u8]) -> Vec<u8> {
        value[..value.len().min(self.len)].to_vec()
    }
}

/// A frontend's compiled logging.
#[derive(Debug)]
pub struct ProxyLogConf {
    pub name: Arc<str>,
    pub http: bool,
    /// Own targets, plus the global ones with `log global`. Empty: no logs.
    pub targets: Vec<Arc<Target>>,
    /// None: no log format at all, one `Connect from` line per connection.
    pub format: Option<LogFormat>,
    /// `log-format-sd`, for rfc5424 targets.
    pub format_sd: Option<LogFormat>,
    /// `log-tag` of the proxy, else the global one.
    pub tag: Arc<str>,
    pub dontlognull: bool,
    pub dontlog_normal: bool,
    pub separate_errors: bool,
    pub logasap: bool,
    pub capture_request: Vec<Capture>,
    pub capture_response: Vec<Capture>,
    /// `%lc`.
    pub(crate) log_count: AtomicU64,
    /// `unique-id-format`, rendered once per request (`%ID`, the
    /// `unique-id` fetch, the PROXY v2 TLV).
    pub unique_id: Option<LogFormat>,
    /// `unique-id-header`: sent to the server with the id.
    pub unique_id_header: Option<String>,
}

impl ProxyLogConf {
    /// Compiles a proxy's logging; `global_targets` are the global `log` lines.
    pub fn compile(
        p: &model::Proxy,
        global_targets: &[Arc<Target>],
        global_tag: &Arc<str>,
    ) -> Result<ProxyLogConf, String> {
        let http = p.mode == Mode::Http;
        let mut targets = Vec::new();
        for t in &p.logs {
            targets.push(Arc::new(compile_target(t)?));
        }
        if p.log_global {
            targets.extend(global_targets.iter().cloned());
        }
        let format = match (&p.log_format, effective_kind(p)) {
            (Some(f), _) => Some(
                LogFormat::parse(f, http)
                    .map_err(|e| format!("failed to parse log-format : {e}."))?,
            ),
            (None, LogFormatKind::Default) => None,
            (None, k) => {
                let s = match k {
                    LogFormatKind::Tcplog => format::TCPLOG,
                    LogFormatKind::HttplogClf => format::HTTPLOG_CLF,
                    LogFormatKind::Httpslog => format::HTTPSLOG,
                    _ => format::HTTPLOG,
                };
                Some(LogFormat::parse(s, http).map_err(|e| format!("internal log format: {e}"))?)
            }
        };
        let format_sd = match &p.log_format_sd {
            Some(f) => Some(
                LogFormat::parse(f, http)
                    .map_err(|e| format!("failed to parse log-format-sd : {e}."))?,
            ),
            None => None,
        };
        let caps = |dir: model::CaptureDir| {
            p.captures
                .iter()
                .filter(|c| c.dir == dir)
                .map(|c| Capture {
                    name: c.name.to_ascii_lowercase(),
                    len: c.len,
                })
                .collect::<Vec<_>>()
        };
        Ok(ProxyLogConf {
            name: Arc::from(p.name.as_str()),
            http,
            targets,
            format,
            format_sd,
            tag: p
                .log_tag
                .as_deref()
                .map(Arc::from)
                .unwrap_or_else(|| global_tag.clone()),
            dontlognull: p.options.dontlognull,
            dontlog_normal: p.options.dontlog_normal,
            separate_errors: p.options.log_separate_errors,
            logasap: p.options.logasap,
            capture_request: caps(model::CaptureDir::Request),
            capture_response: caps(model::CaptureDir::Response),
            log_count: AtomicU64::new(0),
            // 2.6 parses it as an HTTP format whatever the mode.
            unique_id: match &p.unique_id_format {
                Some(f) => Some(
                    LogFormat::parse(f, true)
                        .map_err(|e| format!("failed to parse unique-id : {e}."))?,
                ),
                None => None,
            },
            unique_id_header: p.unique_id_header.clone(),
        })
    }

    /// Whether anything is logged for this frontend at all.
    pub fn enabled(&self) -> bool {
        !self.targets.is_empty()
    }

    /// Whether this frontend logs one `Connect from` line per accepted
    /// connection (no `option tcplog|httplog` and no `log-format`).
    pub fn logs_connections(&self) -> bool {
        self.enabled() && self.format.is_none()
    }

    /// Whether a finished transaction is to be logged.
    pub fn should_log(&self, rec: &TxnLog) -> bool {
        if !self.enabled() || self.format.as_ref().is_none_or(LogFormat::is_empty) {
            return false;
        }
        if self.dontlognull && rec.bytes_in == 0 {
            return false;
        }
        !self.dontlog_normal || rec.is_error()
    }

    /// `info`, or `err` for errors with `option log-separate-errors`.
    pub fn level_for(&self, rec: &TxnLog) -> Level {
        if self.separate_errors && rec.is_error() {
            Level::Err
        } else {
            Level::Info
        }
    }

    pub(crate) fn next_log_count(&self) -> u64 {
        self.log_count.fetch_add(1, Ordering::Relaxed) + 1
    }
}

/// `option httplog` in a TCP proxy falls back to `tcplog`, as 2.6 does.
fn effective_kind(p: &model::Proxy) -> LogFormatKind {
    match p.options.log_format {
        LogFormatKind::Httplog | LogFormatKind::HttplogClf | LogFormatKind::Httpslog
            if p.mode != Mode::Http =>
        {
            LogFormatKind::Tcplog
        }
        k => k,
    }
}

/// Configuration-time checks: the warnings and alerts of 2.6 for logging.
/// Returns the diagnostics and whether one of them is fatal.
pub fn check(cfg: &model::Config) -> (Vec<crate::config::Diagnostic>, bool) {
    use crate::config::Diagnostic;
    let mut out = Vec::new();
    let mut fatal = false;
    let tag: Arc<str> = Arc::from("haproxy");
    let mut globals = Vec::new();
    for t in &cfg.global.logs {
        match compile_target(t) {
            Ok(t) => globals.push(Arc::new(t)),
            Err(e) => {
                out.push(Diagnostic::alert(format!(
                    "parsing [{}:{}] : {e}",
                    t.location.file, t.location.line
                )));
                fatal = true;
            }
        }
    }
    for p in cfg.proxies.iter().filter(|p| p.cap.frontend && !p.disabled) {
        let kind = p.options.log_format;
        if p.mode != Mode::Http && p.log_format.is_none() {
            let name = match kind {
                LogFormatKind::Httplog | LogFormatKind::HttplogClf => Some("httplog"),
                LogFormatKind::Httpslog => Some("httpslog"),
                _ => None,
            };
            if let Some(n) = name {
                out.push(Diagnostic::warning(format!(
                    "parsing [{}:{}] : 'option {n}' not usable with {} '{}' (needs 'mode http'). Falling back to 'option tcplog'.",
                    p.location.file,
                    p.location.line,
                    if p.cap.backend { "proxy" } else { "frontend" },
                    p.name
                )));
            }
        }
        if let Err(e) = ProxyLogConf::compile(p, &globals, &tag) {
            out.push(Diagnostic::alert(format!(
                "Parsing [{}:{}]: {e}",
                p.location.file, p.location.line
            )));
            fatal = true;
        }
    }
    (out, fatal)
}
