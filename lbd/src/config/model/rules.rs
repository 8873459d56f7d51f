//! Rule types of the model: `http-request`, `http-response`,
//! `http-after-response`, `tcp-request`, `redirect`, `use-server`,
//! `force-persist` and `ignore-persist` (spec 4.7-4.9).
//!
//! Rules keep their arguments as written (log-format strings, sample
//! expressions, condition words); the runtime compiles them with the
//! proxy's ACLs. Parsing has already checked that they compile.

use super::Location;
use serde::{Deserialize, Serialize};

/// `if|unless <cond>` as written: the words after the keyword.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleCond {
    pub unless: bool,
    pub words: Vec<String>,
}

/// A service `http-request use-service` hands the request to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Service {
    PrometheusExporter,
}

/// An `http-request` rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HttpRequestRule {
    pub action: HttpRequestAction,
    pub cond: Option<RuleCond>,
    pub location: Location,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum HttpRequestAction {
    /// Stops this rule set.
    Allow,
    /// `deny [deny_status N] [payload options]`: a `return` whose body is
    /// the proxy's error page unless given.
    Deny(ReturnSpec),
    /// `tarpit`: hold for `timeout tarpit`, then answer like `deny` (500).
    Tarpit(ReturnSpec),
    /// Close without a response.
    Reject,
    /// `auth [realm R]`: 401 with `WWW-Authenticate`.
    Auth {
        realm: Option<String>,
    },
    Redirect(Redirect),
    /// `http-request return [status N] [content-type T] [payload] [hdr N V]...`
    Return(ReturnSpec),
    Header(HeaderAction),
    /// `set-path`, `set-pathq`, `set-query`, `set-uri`, `set-method`: a
    /// log-format value replaces that part of the request line.
    SetLine {
        part: LinePart,
        fmt: String,
    },
    /// `replace-path`, `replace-pathq`, `replace-uri <regex> <fmt>`.
    ReplaceLine {
        part: LinePart,
        regex: String,
        fmt: String,
    },
    Var(VarAction),
    /// `set-log-level <level|silent>`.
    SetLogLevel(String),
    /// `capture <expr> len <n>`: a new slot shown by `%hr`.
    Capture {
        expr: String,
        len: usize,
    },
    /// `capture <expr> id <n>`: fills request slot `n` (declared by
    /// `capture request header` or `declare capture request`).
    CaptureId {
        expr: String,
        id: usize,
    },
    Track(TrackAction),
    /// `use-service <service>`: terminal, answered locally.
    UseService(Service),
}

/// Which part of the request line a `set-*`/`replace-*` action rewrites.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum LinePart {
    Method,
    /// The path alone (the query is kept).
    Path,
    /// The path and its query string.
    PathQuery,
    /// The query string, without `?`.
    Query,
    /// The whole target.
    Uri,
}

/// Header rewrites shared by requests and responses. Values are log-format
/// strings; regexes are PCRE-style as written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum HeaderAction {
    Set {
        name: String,
        fmt: String,
    },
    Add {
        name: String,
        fmt: String,
    },
    Del {
        name: String,
    },
    /// `replace-header`: on the whole value of each occurrence.
    Replace {
        name: String,
        regex: String,
        fmt: String,
    },
    /// `replace-value`: on each comma-separated value.
    ReplaceValue {
        name: String,
        regex: String,
        fmt: String,
    },
}

/// `set-var(scope.name) <expr>`, `set-var-fmt(scope.name) <fmt>`,
/// `unset-var(scope.name)`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum VarAction {
    Set { var: String, expr: String },
    SetFmt { var: String, fmt: String },
    Unset { var: String },
}

/// Stick-counter actions: `track-scN <key> [table t]`, `sc-inc-gpc0(N)`,
/// `sc-inc-gpc1(N)`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum TrackAction {
    Track {
        slot: u8,
        key: String,
        table: Option<String>,
    },
    IncGpc {
        gpc: u8,
        slot: u8,
    },
}

/// `redirect` (standalone or as an action).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Redirect {
    pub kind: RedirectKind,
    /// The location, prefix or scheme: a log-format string, except for the
    /// standalone `redirect` keyword (`literal`).
    pub target: String,
    pub literal: bool,
    pub code: u16,
    pub drop_query: bool,
    pub append_slash: bool,
    pub ignore_empty: bool,
    /// The whole `Set-Cookie` value (`set-cookie N=V` gives `N=V; path=/;`).
    pub cookie: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum RedirectKind {
    Location,
    Prefix,
    Scheme,
}

/// A standalone `redirect` rule, evaluated after the `http-request` rules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RedirectRule {
    pub redirect: Redirect,
    pub cond: Option<RuleCond>,
    pub location: Location,
}

/// An `http-response` or `http-after-response` rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HttpResponseRule {
    pub action: HttpResponseAction,
    pub cond: Option<RuleCond>,
    pub location: Location,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum HttpResponseAction {
    Allow,
    /// The response is replaced by a 502 (or the given status/payload).
    Deny(ReturnSpec),
    /// `return [status N] [content-type T] [payload] [hdr N V]...`: the
    /// server's response is replaced by this one.
    Return(ReturnSpec),
    /// `redirect location <fmt> [code C] ...` (location only).
    Redirect(Redirect),
    Header(HeaderAction),
    /// `set-status <code> [reason <text>]`.
    SetStatus {
        status: u16,
        reason: Option<String>,
    },
    Var(VarAction),
    SetLogLevel(String),
    /// `capture <expr> id <n>` (response slots are declared).
    Capture {
        expr: String,
        id: usize,
    },
    Track(TrackAction),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum TcpPhase {
    Connection,
    Session,
    Content,
}

/// A `tcp-request connection|session|content` rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TcpRequestRule {
    pub phase: TcpPhase,
    pub action: TcpAction,
    pub cond: Option<RuleCond>,
    pub location: Location,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum TcpAction {
    Accept,
    Reject,
    Track(TrackAction),
    Var(VarAction),
    /// `capture <expr> len <n>` (content rules).
    Capture {
        expr: String,
        len: usize,
    },
    /// `expect-proxy layer4` (connection rules): a PROXY protocol header
    /// precedes the data, as with `accept-proxy` on the bind.
    ExpectProxy,
    /// `close` (`tcp-response content`): end the server connection, the
    /// data read so far still reaching the client.
    Close,
}

/// `use-server <server> if|unless <cond>`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UseServer {
    pub server: String,
    pub cond: Option<RuleCond>,
    pub location: Location,
}

/// `force-persist` / `ignore-persist` rules (their condition is mandatory).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersistRule {
    pub cond: RuleCond,
    pub location: Location,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReturnSpec {
    pub status: u16,
    pub content_type: Option<String>,
    pub body: ReturnBody,
    pub headers: Vec<(String, String)>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ReturnBody {
    /// No payload option: HAProxy sends an empty body.
    Empty,
    /// `string` / `file` contents.
    Bytes(Vec<u8>),
    /// `lf-string` / `lf-file`: a log-format evaluated per response.
    Format(String),
    /// `errorfile <file>`: the whole raw response, sent as is.
    RawResponse(Vec<u8>),
    /// `default-errorfiles` (and `deny`/`tarpit` without a payload): the
    /// proxy's error message for `status`.
    DefaultErrorfile,
}
