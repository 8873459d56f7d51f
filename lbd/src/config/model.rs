//! The typed, validated configuration model: what a parsed `haproxy.cfg` means.
//!
//! This is the contract between the parser (which builds it from tokens and
//! reports errors with file:line) and the runtime (which compiles it into
//! listeners, backends and balancers). It holds values only: no sockets, no
//! handles. It is serde-serialisable so D-Bus and the web UI can show it.
//!
//! Times are milliseconds (`u64`); sizes are bytes.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;

mod rules;
pub use crate::stick::{StickRule, StickTableDef};
pub use rules::*;

/// Where a statement came from, for messages and stats.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Location {
    pub file: String,
    pub line: usize,
}

/// A whole configuration: every file given with `-f`, merged.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Config {
    pub global: Global,
    /// Frontends, backends and listens in declaration order. A `listen` is one
    /// entry with both capabilities. Shared with the runtime built from it
    /// (each proxy is 1.7 kB: a copy per backend and reload adds up).
    pub proxies: Vec<std::sync::Arc<Proxy>>,
    pub userlists: Vec<Userlist>,
    /// Named `http-errors` sections: status -> raw response bytes.
    pub http_errors: BTreeMap<String, BTreeMap<u16, ErrorFile>>,
}

impl Config {
    /// The proxy named `name` that can act as a backend.
    pub fn backend(&self, name: &str) -> Option<&Proxy> {
        self.proxies
            .iter()
            .find(|p| p.cap.backend && p.name == name)
            .map(|p| &**p)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Global {
    pub daemon: bool,
    pub master_worker: bool,
    pub pidfile: Option<String>,
    /// `nbthread`; None means one per CPU, as HAProxy 2.6.
    pub nbthread: Option<u32>,
    /// Global `maxconn`; None means derived from `ulimit-n` (we use 4096 then).
    pub maxconn: Option<u32>,
    pub ulimit_n: Option<u64>,
    pub user: Option<String>,
    pub group: Option<String>,
    pub uid: Option<u32>,
    pub gid: Option<u32>,
    pub chroot: Option<String>,
    pub logs: Vec<LogTarget>,
    pub log_tag: Option<String>,
    pub log_send_hostname: Option<String>,
    pub stats_sockets: Vec<StatsSocket>,
    /// `stats timeout`, default 10 s.
    pub stats_timeout: u64,
    pub stats_maxconn: Option<u32>,
    pub hard_stop_after: Option<u64>,
    /// `server-state-file` and `server-state-base`.
    #[serde(default)]
    pub server_state_file: Option<String>,
    #[serde(default)]
    pub server_state_base: Option<String>,
    pub grace: Option<u64>,
    pub node: Option<String>,
    pub description: Option<String>,
    pub zero_warning: bool,
    pub strict_limits: bool,
    pub ca_base: Option<String>,
    pub crt_base: Option<String>,
    pub spread_checks: Option<u32>,
    pub h1_accept_payload_with_any_method: bool,
    /// `tune.bufsize`, default 16384.
    pub tune_bufsize: usize,
    /// `tune.http.maxhdr`, default 101.
    pub tune_http_maxhdr: usize,
    /// `tune.h2.*`: the HTTP/2 settings lbd advertises and enforces.
    pub tune_h2: H2Tune,
    /// `tune.quic.frontend.*`, for `quic4@`/`quic6@` binds.
    #[serde(default)]
    pub tune_quic: QuicTune,
    pub noreuseport: bool,
    pub nosplice: bool,
    /// `ssl-default-*` and `ssl-server-verify`.
    pub ssl: crate::tls::conf::SslDefaults,
}

impl Default for Global {
    fn default() -> Self {
        Global {
            daemon: false,
            master_worker: false,
            pidfile: None,
            nbthread: None,
            maxconn: None,
            ulimit_n: None,
            user: None,
            group: None,
            uid: None,
            gid: None,
            chroot: None,
            logs: Vec::new(),
            log_tag: None,
            log_send_hostname: None,
            stats_sockets: Vec::new(),
            stats_timeout: 10_000,
            stats_maxconn: None,
            hard_stop_after: None,
            server_state_file: None,
            server_state_base: None,
            grace: None,
            node: None,
            description: None,
            zero_warning: false,
            strict_limits: false,
            ca_base: None,
            crt_base: None,
            spread_checks: None,
            h1_accept_payload_with_any_method: false,
            tune_bufsize: 16384,
            tune_http_maxhdr: 101,
            tune_h2: H2Tune::default(),
            tune_quic: QuicTune::default(),
            noreuseport: false,
            nosplice: false,
            ssl: Default::default(),
        }
    }
}

/// `tune.quic.frontend.max-streams-bidi` (requests a client may have open
/// at once) and `tune.quic.frontend.max-idle-timeout` (ms; without it,
/// `timeout client`, else HAProxy 2.6's 30 s).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuicTune {
    pub max_streams_bidi: u32,
    pub max_idle_timeout: Option<u64>,
}

impl Default for QuicTune {
    fn default() -> Self {
        QuicTune {
            max_streams_bidi: 100,
            max_idle_timeout: None,
        }
    }
}

/// `tune.h2.header-table-size`, `-initial-window-size`,
/// `-max-concurrent-streams`, `-max-frame-size` (HAProxy 2.6's defaults).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct H2Tune {
    pub header_table_size: u32,
    pub initial_window_size: u32,
    pub max_concurrent_streams: u32,
    pub max_frame_size: u32,
}

impl Default for H2Tune {
    fn default() -> Self {
        H2Tune {
            header_table_size: 4096,
            initial_window_size: 65535,
            max_concurrent_streams: 100,
            max_frame_size: 16384,
        }
    }
}

/// `proto <mux>` on a bind or a server: which HTTP multiplexer is forced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum MuxProto {
    H1,
    H2,
}

impl MuxProto {
    pub fn parse(s: &str) -> Option<MuxProto> {
        match s {
            "h1" => Some(MuxProto::H1),
            "h2" => Some(MuxProto::H2),
            _ => None,
        }
    }
}

/// A `log` line (global or proxy). Served by the logging issue; parsed now.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LogTarget {
    /// `stdout`, `stderr`, `/dev/log`, `127.0.0.1:514`, `udp@...`, `ring@...`; as written.
    pub target: String,
    pub len: Option<usize>,
    pub format: Option<String>,
    pub facility: String,
    pub level: Option<String>,
    pub min_level: Option<String>,
    pub location: Location,
}

/// A `stats socket` line. Served by the runtime API issue; parsed now.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StatsSocket {
    pub addr: BindAddr,
    pub level: CliLevel,
    pub mode: Option<u32>,
    pub user: Option<String>,
    pub group: Option<String>,
    /// `uid` / `gid`: numeric owner of the socket file.
    pub uid: Option<u32>,
    pub gid: Option<u32>,
    pub expose_fd_listeners: bool,
    pub location: Location,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum CliLevel {
    User,
    Operator,
    Admin,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ProxyCap {
    pub frontend: bool,
    pub backend: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Mode {
    #[default]
    Tcp,
    Http,
}

/// `load-server-state-from-file`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum LoadServerState {
    #[default]
    None,
    /// The global `server-state-file`.
    Global,
    /// The backend's own `server-state-file-name` (or its name).
    Local,
}

/// A frontend, backend or listen section, with its defaults already applied.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Proxy {
    pub name: String,
    pub cap: ProxyCap,
    pub location: Location,
    /// `id`; None means automatic (assigned by the runtime in declaration order).
    pub id: Option<u32>,
    pub mode: Mode,
    pub disabled: bool,
    pub maxconn: Option<u32>,
    pub backlog: Option<u32>,
    pub fullconn: Option<u32>,
    pub binds: Vec<Bind>,
    pub timeouts: Timeouts,
    pub options: ProxyOptions,
    /// `retries`, default 3.
    pub retries: u32,
    /// `retry-on`: which failures are retried (default: conn-failure).
    pub retry_on: RetryOn,
    /// `load-server-state-from-file`: where server state is read at start.
    #[serde(default)]
    pub load_server_state: LoadServerState,
    /// `server-state-file-name`; None: the backend's name.
    #[serde(default)]
    pub server_state_file_name: Option<String>,
    pub balance: Balance,
    pub hash_type: HashType,
    pub default_backend: Option<String>,
    /// `use_backend` rules in order; the first whose condition holds wins.
    pub use_backends: Vec<UseBackend>,
    pub servers: Vec<std::sync::Arc<Server>>,
    pub http_request: Vec<HttpRequestRule>,
    pub http_response: Vec<HttpResponseRule>,
    pub http_after_response: Vec<HttpResponseRule>,
    /// Standalone `redirect` rules, run after the `http-request` rules.
    pub redirects: Vec<RedirectRule>,
    pub tcp_request: Vec<TcpRequestRule>,
    /// `tcp-request inspect-delay`, in ms.
    pub tcp_inspect_delay: Option<u64>,
    /// `tcp-response content` rules (backends), all in the content phase.
    pub tcp_response: Vec<TcpRequestRule>,
    /// `tcp-response inspect-delay`, in ms.
    pub tcp_response_inspect_delay: Option<u64>,
    pub use_servers: Vec<UseServer>,
    pub force_persist: Vec<PersistRule>,
    pub ignore_persist: Vec<PersistRule>,
    /// `acl` lines in order, as written; `acl::AclSet::from_decls` compiles them.
    pub acls: Vec<AclDecl>,
    /// `errorfile <code> <file>`: the file's raw bytes, sent as is.
    pub errorfiles: BTreeMap<u16, ErrorFile>,
    /// `errorfiles <http-errors section>` names, resolved into `errorfiles` by the parser.
    pub monitor_uri: Option<String>,
    pub logs: Vec<LogTarget>,
    /// `log global` was given.
    pub log_global: bool,
    pub log_format: Option<String>,
    pub description: Option<String>,
    /// `option httpchk` and its `http-check` rules; None means TCP connect checks.
    pub http_check: Option<HttpCheck>,
    /// `log-tag` of this proxy (overrides the global one).
    pub log_tag: Option<String>,
    /// `log-format-sd`: structured data for rfc5424 targets.
    pub log_format_sd: Option<String>,
    /// `unique-id-format`: the request's unique id (the `unique-id`
    /// fetch, `%ID`, the PROXY v2 unique-id TLV), a log-format string.
    pub unique_id_format: Option<String>,
    /// `unique-id-header`: the request header that carries the unique id
    /// to the server.
    pub unique_id_header: Option<String>,
    /// `capture request|response header <name> len <n>`, in order.
    pub captures: Vec<CaptureSpec>,
    /// `stats enable|uri|auth|...`: the HTTP stats page; None without any
    /// `stats` keyword.
    pub stats: Option<StatsPage>,
    /// `stick-table`: this proxy's table, named after it.
    pub stick_table: Option<StickTableDef>,
    /// `stick on|match|store-request|store-response`, in order.
    pub stick_rules: Vec<StickRule>,
    /// `cookie <name> ...`: cookie-based persistence.
    pub cookie: Option<CookieConf>,
    /// `dynamic-cookie-key`: the secret behind `cookie ... dynamic`.
    pub dynamic_cookie_key: Option<String>,
    /// `capture cookie <prefix> len <n>` (`%CC`/`%CS`).
    pub capture_cookie: Option<CookieCapture>,
}

/// How the persistence cookie is carried (2.6's `PR_CK_RW|INS|PFX`; none
/// of them is the passive mode, where the server sets the cookie itself).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum CookieMode {
    #[default]
    Passive,
    Rewrite,
    Insert,
    Prefix,
}

/// A backend's `cookie` line.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CookieConf {
    pub name: String,
    pub mode: CookieMode,
    pub indirect: bool,
    pub nocache: bool,
    pub postonly: bool,
    pub preserve: bool,
    pub httponly: bool,
    pub secure: bool,
    pub dynamic: bool,
    /// `domain` values in order; each gives one `; domain=` attribute.
    pub domains: Vec<String>,
    /// `maxidle` and `maxlife` in seconds; 0 = unset.
    pub maxidle: u32,
    pub maxlife: u32,
    /// `attr` values in order, appended as `; <v>`.
    pub attrs: Vec<String>,
}

/// `capture cookie <prefix> len <n>`: the first request and response cookie
/// whose name starts with `prefix`, as `name=value` cut at `len` bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CookieCapture {
    pub prefix: String,
    pub len: usize,
}

/// The stats page of a proxy (`stats` keywords, HAProxy's `uri_auth`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatsPage {
    /// URI prefix; default `/haproxy?stats`.
    pub uri: String,
    /// `stats realm`; default `HAProxy Statistics`.
    pub realm: Option<String>,
    /// `stats auth user:password` accounts, in order. Empty: no auth.
    pub auth: Vec<(String, String)>,
    /// `stats refresh`, in seconds.
    pub refresh: Option<u64>,
    pub hide_version: bool,
    pub show_legends: bool,
    /// `stats show-node [name]`: Some("") means the global node name.
    pub show_node: Option<String>,
    /// `stats show-desc [text]`: Some("") means the global description.
    pub show_desc: Option<String>,
    /// `stats scope`: the proxies shown (`.` is this proxy). Empty: all.
    pub scope: Vec<String>,
    /// `stats admin if|unless <cond>`: any that holds grants the admin form.
    #[serde(default)]
    pub admin: Vec<RuleCond>,
}

impl Default for StatsPage {
    fn default() -> Self {
        StatsPage {
            uri: "/haproxy?stats".into(),
            realm: None,
            auth: Vec::new(),
            refresh: None,
            hide_version: false,
            show_legends: false,
            show_node: None,
            show_desc: None,
            scope: Vec::new(),
            admin: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum CaptureDir {
    Request,
    Response,
}

/// A header capture slot, shown by `%hr`/`%hs`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaptureSpec {
    pub dir: CaptureDir,
    pub name: String,
    pub len: usize,
}

/// The eleven timeouts, in ms. None = unset (HAProxy's infinite, with the
/// documented fallbacks applied by the runtime).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Timeouts {
    pub connect: Option<u64>,
    pub client: Option<u64>,
    pub server: Option<u64>,
    pub http_request: Option<u64>,
    pub http_keep_alive: Option<u64>,
    pub queue: Option<u64>,
    pub tarpit: Option<u64>,
    pub tunnel: Option<u64>,
    pub client_fin: Option<u64>,
    pub server_fin: Option<u64>,
    pub check: Option<u64>,
}

/// `retry-on`. Besides connection failures, the layer-7 conditions need the
/// whole request to still be in the buffer, and a non-idempotent request
/// whose body was sent is never retried.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetryOn {
    pub conn_failure: bool,
    pub empty_response: bool,
    pub junk_response: bool,
    pub response_timeout: bool,
    pub zero_rtt_rejected: bool,
    /// Response statuses that trigger a retry (401 403 404 408 425 500 501
    /// 502 503 504 are the ones HAProxy accepts).
    pub statuses: Vec<u16>,
}

impl Default for RetryOn {
    fn default() -> Self {
        RetryOn {
            conn_failure: true,
            empty_response: false,
            junk_response: false,
            response_timeout: false,
            zero_rtt_rejected: false,
            statuses: Vec::new(),
        }
    }
}

impl RetryOn {
    /// `retry-on` words as HAProxy 2.6 accepts them.
    pub fn parse(words: &[String]) -> Result<RetryOn, String> {
        if words.is_empty() {
            return Err(
                "'retry-on' needs at least one keyword to specify when to retry".to_string(),
            );
        }
        let mut r = RetryOn {
            conn_failure: false,
            ..RetryOn::default()
        };
        for w in words {
            match w.as_str() {
                "none" => {
                    if words.len() > 1 {
                        return Err("'retry-on' : 'none' may only be used alone".to_string());
                    }
                }
                "conn-failure" => r.conn_failure = true,
                "empty-response" => r.empty_response = true,
                "junk-response" => r.junk_response = true,
                "response-timeout" => r.response_timeout = true,
                "0rtt-rejected" => r.zero_rtt_rejected = true,
                "all-retryable-errors" => {
                    r.conn_failure = true;
                    r.empty_response = true;
                    r.junk_response = true;
                    r.response_timeout = true;
                    r.zero_rtt_rejected = true;
                    for s in [500, 502, 503, 504] {
                        if !r.statuses.contains(&s) {
                            r.statuses.push(s);
                        }
                    }
                }
                code @ ("401" | "403" | "404" | "408" | "425" | "500" | "501" | "502" | "503"
                | "504") => {
                    if let Ok(c) = code.parse() {
                        if !r.statuses.contains(&c) {
                            r.statuses.push(c);
                        }
                    }
                }
                other => return Err(format!("'retry-on': unknown keyword '{other}'")),
            }
        }
        Ok(r)
    }

    /// Conditions that look at the response and so need a replayable request.
    pub fn layer7(&self) -> bool {
        self.empty_response
            || self.junk_response
            || self.response_timeout
            || !self.statuses.is_empty()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum HttpConnMode {
    /// `option http-keep-alive` (the 2.6 default).
    #[default]
    KeepAlive,
    /// `option http-server-close`.
    ServerClose,
    /// `option httpclose`.
    Close,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum HttpReuse {
    Never,
    #[default]
    Safe,
    Aggressive,
    Always,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ForwardFor {
    /// Sources for which the header is not added.
    pub except: Option<IpNet>,
    /// Header name, default `x-forwarded-for`.
    pub header: String,
    pub if_none: bool,
}

/// An address with a prefix length, e.g. `127.0.0.0/8`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct IpNet {
    pub addr: IpAddr,
    pub prefix: u8,
}

impl IpNet {
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr, ip) {
            (IpAddr::V4(n), IpAddr::V4(a)) => {
                let p = u32::from(self.prefix.min(32));
                let mask = if p == 0 { 0 } else { u32::MAX << (32 - p) };
                u32::from(n) & mask == u32::from(a) & mask
            }
            (IpAddr::V6(n), IpAddr::V6(a)) => {
                let p = u32::from(self.prefix.min(128));
                let mask = if p == 0 { 0 } else { u128::MAX << (128 - p) };
                u128::from(n) & mask == u128::from(a) & mask
            }
            (IpAddr::V4(_), IpAddr::V6(a)) => match a.to_ipv4_mapped() {
                Some(v4) => self.contains(IpAddr::V4(v4)),
                None => false,
            },
            _ => false,
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProxyOptions {
    pub forwardfor: Option<ForwardFor>,
    pub http_conn_mode: HttpConnMode,
    pub http_reuse: HttpReuse,
    /// `option redispatch [interval]`: Some(interval); a bare `option redispatch`
    /// is Some(-1) (redispatch on the last retry, HAProxy's default), 0 disables.
    pub redispatch: Option<i32>,
    pub abortonclose: bool,
    /// `option persist`: persistence may send requests to a down server.
    pub persist: bool,
    pub prefer_last_server: bool,
    pub allbackups: bool,
    pub http_buffer_request: bool,
    pub http_ignore_probes: bool,
    pub dontlognull: bool,
    pub log_format: LogFormatKind,
    pub accept_invalid_http_request: bool,
    pub accept_invalid_http_response: bool,
    pub tcpka: bool,
    pub clitcpka: bool,
    pub srvtcpka: bool,
    pub nolinger: bool,
    pub socket_stats: bool,
    pub logasap: bool,
    pub log_separate_errors: bool,
    pub dontlog_normal: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum LogFormatKind {
    /// No option: one line per connection.
    #[default]
    Default,
    Tcplog,
    Httplog,
    HttplogClf,
    Httpslog,
}

/// A `bind` line: one or more addresses sharing options.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Bind {
    pub addrs: Vec<BindAddr>,
    pub name: Option<String>,
    pub id: Option<u32>,
    pub maxconn: Option<u32>,
    pub backlog: Option<u32>,
    pub v4v6: bool,
    pub v6only: bool,
    /// For unix sockets: permissions and owner.
    pub mode: Option<u32>,
    pub user: Option<String>,
    pub group: Option<String>,
    pub uid: Option<u32>,
    pub gid: Option<u32>,
    pub accept_proxy: bool,
    /// `proto h2` (or `h1`): the multiplexer used whatever the client sends.
    pub proto: Option<MuxProto>,
    /// `ssl`, `crt` and the other TLS options.
    pub ssl: crate::tls::conf::BindSsl,
    /// `quic4@`/`quic6@`: HTTP/3 over QUIC. The addresses stay
    /// `BindAddr::Tcp` (IP and port are all a QUIC bind has); this flag
    /// makes the socket a UDP one served by `crate::http3`.
    #[serde(default)]
    pub quic: bool,
    pub location: Location,
}

/// One listening address. A port range expands into one entry per port.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum BindAddr {
    Tcp(SocketAddr),
    Unix(PathBuf),
    /// Linux abstract namespace socket (`abns@name`).
    Abstract(String),
    /// `fd@N`: an inherited, already listening descriptor.
    Fd(i32),
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Balance {
    #[default]
    RoundRobin,
    StaticRr,
    LeastConn,
    First,
    Source,
    Uri {
        whole: bool,
        len: Option<u32>,
        depth: Option<u32>,
        path_only: bool,
    },
    UrlParam {
        name: String,
        check_post: bool,
    },
    Hdr {
        name: String,
        use_domain_only: bool,
    },
    /// `random[(draws)]`, default 2 draws.
    Random {
        draws: u32,
    },
    /// `hash <expr>`: the sample expression as written.
    Hash {
        expr: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum HashMethod {
    #[default]
    MapBased,
    Consistent,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum HashFunction {
    #[default]
    Sdbm,
    Djb2,
    Wt6,
    Crc32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct HashType {
    pub method: HashMethod,
    pub function: HashFunction,
    pub avalanche: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UseBackend {
    /// A backend name, or a log-format expression (`%[...]`) when `dynamic`.
    pub backend: String,
    pub dynamic: bool,
    pub cond: Option<RuleCond>,
    pub location: Location,
}

/// A `server` line with `default-server` already applied.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Server {
    pub name: String,
    pub location: Location,
    pub addr: ServerAddr,
    pub id: Option<u32>,
    pub weight: u32,
    pub backup: bool,
    pub disabled: bool,
    pub maxconn: Option<u32>,
    pub maxqueue: Option<u32>,
    pub minconn: Option<u32>,
    pub cookie: Option<String>,
    pub slowstart: Option<u64>,
    pub check: CheckParams,
    pub send_proxy: Option<ProxyProtoVersion>,
    /// `proxy-v2-options`: TLVs added when the header sent is v2.
    pub proxy_v2_options: crate::proxyproto::V2Options,
    pub agent: AgentParams,
    /// `on-marked-down shutdown-sessions`.
    pub on_marked_down_shutdown: bool,
    /// `on-marked-up shutdown-backup-sessions`.
    pub on_marked_up_shutdown_backup: bool,
    /// `ssl` and the other TLS parameters toward the server.
    pub ssl: crate::tls::conf::ServerSsl,
    /// `check-ssl`, `check-sni`, `check-alpn`, `check-send-proxy` and
    /// their `no-` forms: how checks differ from traffic.
    pub check_transport: crate::check::transport::CheckOverrides,
    /// `proto h2` (or `h1`): the multiplexer spoken to the server whatever
    /// ALPN says; without it, h2 only when `alpn` negotiates it.
    pub proto: Option<MuxProto>,
    /// `pool-max-conn`: idle connections kept toward the server (None:
    /// unlimited, HAProxy's -1; 0: none, each closes once idle).
    pub pool_max_conn: Option<u32>,
    /// `pool-purge-delay` (ms): how long an idle connection is kept
    /// (HAProxy's default 5 s when None).
    pub pool_purge_delay: Option<u64>,
    /// `pool-low-conn`: accepted for compatibility. It keeps 2.6's
    /// threads from stealing each other's idle connections; lbd's pool is
    /// shared by all threads, so there is nothing to steal.
    pub pool_low_conn: Option<u32>,
}

impl Server {
    /// How long an idle connection to the server stays reusable:
    /// `pool-purge-delay`, else HAProxy's 5 s.
    pub fn idle_lifetime(&self) -> std::time::Duration {
        std::time::Duration::from_millis(self.pool_purge_delay.unwrap_or(5000))
    }
}

/// `agent-check` and its settings (spec 4.3).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentParams {
    pub enabled: bool,
    pub port: Option<u16>,
    pub addr: Option<IpAddr>,
    /// `agent-inter`; None means the server's `inter`.
    pub inter: Option<u64>,
    /// `agent-send`: bytes written to the agent before reading its line.
    pub send: Option<String>,
}

/// An HTTP health check: `option httpchk` plus `http-check` lines (spec 4.5).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HttpCheck {
    pub method: String,
    pub uri: String,
    /// `HTTP/1.0` unless set.
    pub version: String,
    /// Headers in order, names lower-cased (the legacy version trick included).
    pub headers: Vec<(String, String)>,
    pub body: Option<String>,
    /// Every rule must hold; none means 2xx and 3xx pass.
    pub expects: Vec<HttpExpect>,
    pub disable_on_404: bool,
    pub send_state: bool,
    /// `http-check connect port P` / `addr A`.
    pub connect_port: Option<u16>,
    pub connect_addr: Option<IpAddr>,
    /// Further `send`/`expect` steps of an `http-check` sequence, run in
    /// order after the first one (which is the fields above).
    pub more_steps: Vec<HttpCheckStep>,
}

/// One more request of an `http-check` sequence: on the same connection,
/// or on a new one when an `http-check connect` came before it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HttpCheckStep {
    pub reconnect: bool,
    pub connect_port: Option<u16>,
    pub connect_addr: Option<IpAddr>,
    pub method: String,
    pub uri: String,
    pub version: String,
    pub headers: Vec<(String, String)>,
    pub body: Option<String>,
    pub expects: Vec<HttpExpect>,
}

impl Default for HttpCheck {
    fn default() -> Self {
        HttpCheck {
            method: "OPTIONS".into(),
            uri: "/".into(),
            version: "HTTP/1.0".into(),
            headers: Vec::new(),
            body: None,
            expects: Vec::new(),
            disable_on_404: false,
            send_state: false,
            connect_port: None,
            connect_addr: None,
            more_steps: Vec::new(),
        }
    }
}

/// One `http-check expect` rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HttpExpect {
    pub negate: bool,
    pub matcher: ExpectMatch,
    /// `min-recv`: bytes to wait for before matching (body matches).
    pub min_recv: Option<usize>,
    /// `ok-status` / `error-status` / `tout-status`: the check status names
    /// reported instead of the defaults.
    pub ok_status: Option<String>,
    pub error_status: Option<String>,
    pub tout_status: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ExpectMatch {
    /// `status <code|lo-hi>[,...]`
    Status(Vec<(u16, u16)>),
    /// `string <s>`: the body contains it.
    String(String),
    /// `rstatus <regex>`: the status code, as text, matches.
    RStatus(String),
    /// `rstring <regex>`: the body matches.
    RString(String),
    /// `hdr name <n> [value <v>]` (`fhdr`: the value is the full line, not
    /// split on commas).
    Header {
        name: String,
        value: Option<String>,
        full: bool,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ProxyProtoVersion {
    V1,
    V2,
    /// `send-proxy-v2-ssl`: v2 with the SSL TLV (and its CN sub-TLV with
    /// `send-proxy-v2-ssl-cn`).
    V2Ssl {
        cn: bool,
    },
}

/// Where a server lives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ServerAddr {
    Ip {
        ip: IpAddr,
        port: ServerPort,
    },
    /// A hostname, resolved at start-up (`init-addr last,libc,none`).
    Host {
        host: String,
        port: ServerPort,
    },
    Unix(PathBuf),
    Abstract(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ServerPort {
    Fixed(u16),
    /// No port: the client's destination port, shifted by the offset (`+N`/`-N`).
    FromClient(i32),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckParams {
    pub enabled: bool,
    pub inter: u64,
    pub fastinter: Option<u64>,
    pub downinter: Option<u64>,
    pub rise: u32,
    pub fall: u32,
    pub port: Option<u16>,
    pub addr: Option<IpAddr>,
}

impl Default for CheckParams {
    fn default() -> Self {
        CheckParams {
            enabled: false,
            inter: 2000,
            fastinter: None,
            downinter: None,
            rise: 2,
            fall: 3,
            port: None,
            addr: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorFile {
    pub path: String,
    /// The raw HTTP response in the file.
    pub contents: Vec<u8>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Userlist {
    pub name: String,
    pub groups: Vec<(String, Vec<String>)>,
    pub users: Vec<User>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct User {
    pub name: String,
    /// crypt(3) hash, or the clear text with `insecure`.
    pub password: String,
    pub insecure: bool,
    pub groups: Vec<String>,
}

/// One `acl <name> <expr> [flags] [values...]` line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AclDecl {
    pub name: String,
    /// The words after the name.
    pub args: Vec<String>,
    pub location: Location,
}
