//! The logger: formats lines on the caller's thread and hands them to one
//! sender task through a bounded queue, so the data path never blocks on a
//! socket. When the queue is full the line is dropped and counted, as a
//! syslog server that cannot keep up must not slow the proxy.

use super::conf::{compile_target, ProxyLogConf, Target, Transport};
use super::format::{LogFormat, RenderCtx};
use super::frame::{self, Header};
use super::record::TxnLog;
use super::{dates, Level};
use crate::config::model::Config;
use std::collections::HashMap;
use std::io::Write;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use tokio::sync::mpsc;

/// Lines waiting for the sender; beyond this they are dropped.
const QUEUE: usize = 4096;

/// One framed line for one target.
#[derive(Debug)]
struct Datagram {
    transport: Transport,
    bytes: Vec<u8>,
}

/// The logging front door shared by every session (cheap to call).
#[derive(Debug)]
pub struct Logger {
    tx: mpsc::Sender<Datagram>,
    dropped: AtomicU64,
    global: Vec<Arc<Target>>,
    proxies: HashMap<String, Arc<ProxyLogConf>>,
    pid: u32,
    /// `log-send-hostname`: the name to send, when set.
    send_hostname: Option<String>,
    /// `%H`: the machine's hostname.
    hostname: String,
    global_tag: Arc<str>,
}

/// The I/O half: run it on the Tokio runtime (`tokio::spawn(sender.run())`).
#[derive(Debug)]
pub struct LogSender {
    rx: mpsc::Receiver<Datagram>,
}

fn system_hostname() -> String {
    nix::unistd::gethostname()
        .ok()
        .and_then(|h| h.into_string().ok())
        .unwrap_or_else(|| "localhost".into())
}

impl Logger {
    /// Builds the logger for `cfg` (frontends only) and its sender.
    /// The error is the alert text; `config::load` has already reported it.
    pub fn new(cfg: &Config, pid: u32) -> Result<(Arc<Logger>, LogSender), String> {
        let (tx, rx) = mpsc::channel(QUEUE);
        // HAProxy's default tag is its program name; lbd says "haproxy" too
        // so that syslog filters and parsers written for HAProxy (rsyslog
        // `:programname, isequal, "haproxy"`, fail2ban) keep matching.
        let global_tag: Arc<str> = Arc::from(cfg.global.log_tag.as_deref().unwrap_or("haproxy"));
        let global = cfg
            .global
            .logs
            .iter()
            .map(|t| compile_target(t).map(Arc::new))
            .collect::<Result<Vec<_>, _>>()?;
        let mut proxies = HashMap::new();
        for p in cfg.proxies.iter().filter(|p| p.cap.frontend) {
            let c = ProxyLogConf::compile(p, &global, &global_tag)?;
            proxies.insert(p.name.clone(), Arc::new(c));
        }
        let hostname = system_hostname();
        let send_hostname = cfg.global.log_send_hostname.as_ref().map(|h| {
            if h.is_empty() {
                hostname.clone()
            } else {
                h.clone()
            }
        });
        let logger = Logger {
            tx,
            dropped: AtomicU64::new(0),
            global,
            proxies,
            pid,
            send_hostname,
            hostname,
            global_tag,
        };
        Ok((Arc::new(logger), LogSender { rx }))
    }

    /// A frontend's compiled logging (None for a backend-only proxy).
    pub fn proxy(&self, name: &str) -> Option<Arc<ProxyLogConf>> {
        self.proxies.get(name).cloned()
    }

    /// Lines dropped because the queue was full.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }

    /// The request's unique id (`unique-id-format` of `p`): rendered from
    /// `rec` the first time and kept in it (`rec.unique_id`), as 2.6
    /// generates it once per stream. None without a format.
    pub fn unique_id<'r>(&self, p: &ProxyLogConf, rec: &'r mut TxnLog) -> Option<&'r str> {
        if rec.unique_id.is_none() {
            let fmt = p.unique_id.as_ref()?;
            rec.unique_id = Some(self.render_unique_id(fmt, rec));
        }
        rec.unique_id.as_deref()
    }

    fn render_unique_id(&self, fmt: &LogFormat, rec: &TxnLog) -> String {
        let ctx = RenderCtx {
            logasap: false,
            hostname: &self.hostname,
            pid: self.pid,
            log_count: 0,
            tz: None,
        };
        let mut id = Vec::with_capacity(64);
        fmt.render(rec, &ctx, &mut id);
        // 2.6 builds it in a UNIQUEID_LEN (128) buffer, NUL included.
        id.truncate(127);
        String::from_utf8_lossy(&id).into_owned()
    }

    /// Logs a finished transaction when the frontend's settings want it.
    pub fn log_txn(&self, p: &ProxyLogConf, rec: &TxnLog) {
        if !p.should_log(rec) {
            return;
        }
        // A request that never reached a server still gets its id, at log
        // time, as 2.6's strm_log does.
        let generated;
        let rec = match &p.unique_id {
            Some(fmt) if rec.unique_id.is_none() => {
                generated = TxnLog {
                    unique_id: Some(self.render_unique_id(fmt, rec)),
                    ..rec.clone()
                };
                &generated
            }
            _ => rec,
        };
        let Some(fmt) = &p.format else { return };
        let ctx = RenderCtx {
            logasap: p.logasap,
            hostname: &self.hostname,
            pid: self.pid,
            log_count: p.next_log_count(),
            tz: None,
        };
        let mut line = Vec::with_capacity(256);
        fmt.render(rec, &ctx, &mut line);
        let sd = p.format_sd.as_ref().map(|f| {
            let mut sd = Vec::new();
            f.render(rec, &ctx, &mut sd);
            sd
        });
        self.emit(&p.targets, &p.tag, p.level_for(rec), &line, sd.as_deref());
    }

    /// The `Connect from` line of a frontend without a log format; the
    /// session calls it once per accepted connection when
    /// `p.logs_connections()`.
    pub fn log_connect(
        &self,
        p: &ProxyLogConf,
        client: Option<SocketAddr>,
        local: Option<SocketAddr>,
    ) {
        if !p.logs_connections() {
            return;
        }
        let mode = if p.http { "HTTP" } else { "TCP" };
        let msg = match (client, local) {
            (Some(c), Some(l)) => format!(
                "Connect from {}:{} to {}:{} ({}/{mode})",
                c.ip(),
                c.port(),
                l.ip(),
                l.port(),
                p.name
            ),
            (Some(c), None) => format!(
                "Connect from {}:{} to undetermined address:0 ({}/{mode})",
                c.ip(),
                c.port(),
                p.name
            ),
            _ => format!("Connect from unknown source ({}/{mode})", p.name),
        };
        self.emit(&p.targets, &p.tag, Level::Info, msg.as_bytes(), None);
    }

    /// A connection-level error without a stream (bad PROXY header, TLS
    /// handshake): `<ip>:<port> [<accept date>] <frontend>/<bind>: <msg>`.
    pub fn log_conn_error(&self, p: &ProxyLogConf, rec: &TxnLog, msg: &str) {
        if !p.enabled() {
            return;
        }
        let mut line = Vec::with_capacity(128);
        match rec.client {
            Some(c) => {
                let _ = write!(line, "{}:{} [", c.ip(), c.port());
            }
            None => line.extend_from_slice(b"-:- ["),
        }
        dates::log_date(&mut line, &dates::local(rec.accept_date));
        let bind = rec.bind_name.as_deref().unwrap_or("-");
        let _ = write!(line, "] {}/{bind}: {msg}", p.name);
        let level = if p.separate_errors {
            Level::Err
        } else {
            Level::Info
        };
        self.emit(&p.targets, &p.tag, level, &line, None);
    }

    /// A process message (start, stop, server state) to the global targets.
    pub fn log_event(&self, level: Level, msg: &str) {
        let tag = self.global_tag.clone();
        self.emit(&self.global, &tag, level, msg.as_bytes(), None);
    }

    /// A proxy message (`Proxy fe stopped (...)`) to that proxy's targets,
    /// as HAProxy sends them.
    pub fn log_proxy_event(&self, p: &ProxyLogConf, level: Level, msg: &str) {
        self.emit(&p.targets, &p.tag, level, msg.as_bytes(), None);
    }

    fn emit(
        &self,
        targets: &[Arc<Target>],
        tag: &str,
        level: Level,
        msg: &[u8],
        sd: Option<&[u8]>,
    ) {
        if targets.is_empty() {
            return;
        }
        let now = dates::local(std::time::SystemTime::now());
        for t in targets {
            let Some(level) = t.level_for(level) else {
                continue;
            };
            let h = Header {
                facility: t.facility,
                level,
                tag,
                pid: self.pid,
                hostname: self.send_hostname.as_deref(),
                sd: sd.map(|s| s.strip_suffix(b" ").unwrap_or(s)),
                now,
            };
            let mut bytes = Vec::with_capacity(msg.len() + 64);
            frame::frame(&mut bytes, t.format, &h, msg, t.maxlen);
            let d = Datagram {
                transport: t.transport.clone(),
                bytes,
            };
            if self.tx.try_send(d).is_err() {
                self.dropped.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
}

impl LogSender {
    /// Writes queued lines until every `Logger` is gone. Send errors are
    /// ignored, as HAProxy does: a missing syslog server must not matter.
    pub async fn run(mut self) {
        let mut socks = Sockets::default();
        while let Some(d) = self.rx.recv().await {
            socks.deliver(&d).await;
            // Send what queued up meanwhile, then pause a moment: lines that
            // arrive during the pause wait in the queue without waking this
            // task once each (one wake per millisecond at most under load).
            while let Ok(d) = self.rx.try_recv() {
                socks.deliver(&d).await;
            }
            tokio::time::sleep(std::time::Duration::from_millis(1)).await;
        }
    }
}

/// The sender's sockets, opened on first use.
#[derive(Default)]
struct Sockets {
    udp4: Option<tokio::net::UdpSocket>,
    udp6: Option<tokio::net::UdpSocket>,
    unix: Option<tokio::net::UnixDatagram>,
}

impl Sockets {
    async fn deliver(&mut self, d: &Datagram) {
        match &d.transport {
            Transport::Udp(a) => {
                let slot = if a.is_ipv6() {
                    &mut self.udp6
                } else {
                    &mut self.udp4
                };
                if slot.is_none() {
                    let bind = if a.is_ipv6() { "[::]:0" } else { "0.0.0.0:0" };
                    *slot = tokio::net::UdpSocket::bind(bind).await.ok();
                }
                if let Some(s) = slot {
                    let _ = s.send_to(&d.bytes, a).await;
                }
            }
            Transport::UnixDgram(path) => {
                if self.unix.is_none() {
                    self.unix = tokio::net::UnixDatagram::unbound().ok();
                }
                if let Some(s) = &self.unix {
                    let _ = s.send_to(&d.bytes, path).await;
                }
            }
            // Blocking writes, as HAProxy's writev to fd@ targets.
            Transport::Stdout => {
                let _ = std::io::stdout().lock().write_all(&d.bytes);
            }
            Transport::Stderr => {
                let _ = std::io::stderr().lock().write_all(&d.bytes);
            }
        }
    }
}
