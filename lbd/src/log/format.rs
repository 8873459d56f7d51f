//! The log-format language (spec 9.2, 9.3): a format string is parsed once
//! into a list of nodes, then rendered for each record.
//!
//! Parsing follows HAProxy 2.6's `parse_logformat_string` (same errors, same
//! `%o` and `%{+Q,-E}` flag handling, spaces merged into separators); the
//! renderer follows `sess_build_logline`, including its space rule: a
//! separator is written only when the element before it wrote something.
//! It owns no I/O and knows nothing of syslog framing.

use super::dates;
use super::record::TxnLog;
use chrono::FixedOffset;
use std::net::SocketAddr;

/// `option tcplog`.
pub const TCPLOG: &str = "%ci:%cp [%t] %ft %b/%s %Tw/%Tc/%Tt %B %ts %ac/%fc/%bc/%sc/%rc %sq/%bq";
/// `option httplog`.
pub const HTTPLOG: &str = "%ci:%cp [%tr] %ft %b/%s %TR/%Tw/%Tc/%Tr/%Ta %ST %B %CC %CS %tsc %ac/%fc/%bc/%sc/%rc %sq/%bq %hr %hs %{+Q}r";
/// `option httplog clf`.
/// `option httpslog` (2.6's `default_https_log_format`).
pub const HTTPSLOG: &str = "%ci:%cp [%tr] %ft %b/%s %TR/%Tw/%Tc/%Tr/%Ta %ST %B %CC %CS %tsc %ac/%fc/%bc/%sc/%rc %sq/%bq %hr %hs %{+Q}r %[fc_err]/%[ssl_fc_err,hex]/%[ssl_c_err]/%[ssl_c_ca_err]/%[ssl_fc_is_resumed] %[ssl_fc_sni]/%sslv/%sslc";
pub const HTTPLOG_CLF: &str = "%{+Q}o %{-Q}ci - - [%trg] %r %ST %B \"\" \"\" %cp %ms %ft %b %s %TR %Tw %Tc %Tr %Ta %tsc %ac %fc %bc %sc %rc %sq %bq %CC %CS %hrl %hsl";
/// The default `log-format-sd` for rfc5424 targets.
pub const DEFAULT_SD: &str = "- ";

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Opts {
    quote: bool,
    esc: bool,
    hexa: bool,
    /// Empty values print `-`.
    mandatory: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Var {
    ClientIp,
    ClientPort,
    FrontendIp,
    FrontendPort,
    BackendIp,
    BackendPort,
    ServerIp,
    ServerPort,
    Frontend,
    FrontendXprt,
    Backend,
    Server,
    Date,
    DateGmt,
    DateLocal,
    Timestamp,
    Ms,
    ReqDate,
    ReqDateGmt,
    ReqDateLocal,
    Th,
    Ti,
    TR,
    Tq,
    Tw,
    Tc,
    Tr,
    Ta,
    Td,
    Tt,
    Tu,
    Status,
    Bytes,
    BytesUp,
    ClientCookie,
    ServerCookie,
    HdrReq,
    HdrReqList,
    HdrRes,
    HdrResList,
    TermState,
    TermStateCookie,
    ActConn,
    FeConn,
    BeConn,
    SrvConn,
    Retries,
    SrvQueue,
    BeQueue,
    Counter,
    LogCount,
    Pid,
    Hostname,
    UniqueId,
    Method,
    Uri,
    Path,
    PathOnly,
    Query,
    Version,
    Request,
    SslCipher,
    SslVersion,
}

/// (name, variable, HTTP mode only), as 2.6's `logformat_keywords`.
const VARS: &[(&str, Var, bool)] = &[
    ("B", Var::Bytes, false),
    ("CC", Var::ClientCookie, true),
    ("CS", Var::ServerCookie, true),
    ("H", Var::Hostname, false),
    ("ID", Var::UniqueId, false),
    ("ST", Var::Status, false),
    ("T", Var::DateGmt, false),
    ("Ta", Var::Ta, true),
    ("Tc", Var::Tc, false),
    ("Th", Var::Th, false),
    ("Ti", Var::Ti, true),
    ("Tl", Var::DateLocal, false),
    ("Tq", Var::Tq, true),
    ("Tr", Var::Tr, true),
    ("TR", Var::TR, true),
    ("Td", Var::Td, false),
    ("Ts", Var::Timestamp, false),
    ("Tt", Var::Tt, false),
    ("Tu", Var::Tu, false),
    ("Tw", Var::Tw, false),
    ("U", Var::BytesUp, false),
    ("ac", Var::ActConn, false),
    ("b", Var::Backend, false),
    ("bc", Var::BeConn, false),
    ("bi", Var::BackendIp, false),
    ("bp", Var::BackendPort, false),
    ("bq", Var::BeQueue, false),
    ("ci", Var::ClientIp, false),
    ("cp", Var::ClientPort, false),
    ("f", Var::Frontend, false),
    ("fc", Var::FeConn, false),
    ("fi", Var::FrontendIp, false),
    ("fp", Var::FrontendPort, false),
    ("ft", Var::FrontendXprt, false),
    ("hr", Var::HdrReq, false),
    ("hrl", Var::HdrReqList, false),
    ("hs", Var::HdrRes, false),
    ("hsl", Var::HdrResList, false),
    ("HM", Var::Method, true),
    ("HP", Var::Path, true),
    ("HPO", Var::PathOnly, true),
    ("HQ", Var::Query, true),
    ("HU", Var::Uri, true),
    ("HV", Var::Version, true),
    ("lc", Var::LogCount, false),
    ("ms", Var::Ms, false),
    ("pid", Var::Pid, false),
    ("r", Var::Request, true),
    ("rc", Var::Retries, false),
    ("rt", Var::Counter, false),
    ("s", Var::Server, false),
    ("sc", Var::SrvConn, false),
    ("si", Var::ServerIp, false),
    ("sp", Var::ServerPort, false),
    ("sq", Var::SrvQueue, false),
    ("sslc", Var::SslCipher, false),
    ("sslv", Var::SslVersion, false),
    ("t", Var::Date, false),
    ("tr", Var::ReqDate, true),
    ("trg", Var::ReqDateGmt, true),
    ("trl", Var::ReqDateLocal, true),
    ("ts", Var::TermState, false),
    ("tsc", Var::TermStateCookie, false),
];

/// The `%[...]` fetches a log line can evaluate from its record.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Fetch {
    Src,
    Dst,
    Method,
    Path,
    Url,
    Query,
    UrlParam(String),
    /// `fc_err`: a logged session's connection had no error.
    FcErr,
    /// `ssl_fc_err` (`,hex`: 16 hex digits): no TLS error either.
    SslFcErr {
        hex: bool,
    },
    /// `ssl_c_err`, `ssl_c_ca_err`: a client certificate that failed
    /// verification ends the handshake, so a logged session has 0.
    SslCErr,
    SslFcIsResumed,
    SslFcSni,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Node {
    Sep,
    Text(Box<[u8]>),
    Var(Var, Opts),
    Fetch(Fetch, Opts),
}

/// A compiled log-format string.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LogFormat {
    nodes: Vec<Node>,
}

/// What a line needs beside its record.
#[derive(Debug, Clone, Default)]
pub struct RenderCtx<'a> {
    /// `option logasap`: `%Ta %Tt %Tu %B` get a `+`.
    pub logasap: bool,
    /// `%H`.
    pub hostname: &'a str,
    /// `%pid`.
    pub pid: u32,
    /// `%lc`: the frontend's log counter.
    pub log_count: u64,
    /// The zone for local dates; None means the system's.
    pub tz: Option<FixedOffset>,
}

impl LogFormat {
    /// Parses `fmt` for a proxy in HTTP mode (`http`) or not. The error is
    /// HAProxy's text, to be wrapped in `failed to parse log-format : ...`.
    pub fn parse(fmt: &str, http: bool) -> Result<LogFormat, String> {
        let s = fmt.as_bytes();
        let mut nodes = Vec::new();
        let mut text: Vec<u8> = Vec::new();
        let mut defopts = Opts {
            mandatory: true,
            ..Opts::default()
        };
        let flush = |text: &mut Vec<u8>, nodes: &mut Vec<Node>| {
            if !text.is_empty() {
                nodes.push(Node::Text(std::mem::take(text).into_boxed_slice()));
            }
        };
        let mut i = 0;
        while i < s.len() {
            let c = s[i];
            if c == b' ' {
                flush(&mut text, &mut nodes);
                if nodes.last() != Some(&Node::Sep) {
                    nodes.push(Node::Sep);
                }
                i += 1;
                continue;
            }
            if c != b'%' {
                text.push(c);
                i += 1;
                continue;
            }
            i += 1;
            let Some(&c2) = s.get(i) else {
                return Err("truncated line after '%'".into());
            };
            if c2 == b'%' {
                text.push(b'%');
                i += 1;
                continue;
            }
            if c2.is_ascii_digit() || c2 == b' ' || c2 == b'\t' {
                return Err(format!(
                    "unexpected variable name near '{}' at position {} line : '{fmt}'. Maybe you want to write a single '%', use the syntax '%%'",
                    c2 as char, i
                ));
            }
            let mut arg: Option<&str> = None;
            if c2 == b'{' {
                let Some(end) = fmt[i + 1..].find('}') else {
                    return Err(format!("truncated line after '{}'", &fmt[i + 1..]));
                };
                let a = &fmt[i + 1..i + 1 + end];
                i += end + 2;
                match s.get(i) {
                    Some(b'[') => {}
                    Some(c) if c.is_ascii_alphanumeric() => {}
                    _ => {
                        return Err(format!(
                            "parse argument modifier without variable name near '%{{{a}}}'"
                        ))
                    }
                }
                arg = Some(a);
            } else if c2 != b'[' && !c2.is_ascii_alphabetic() {
                // HAProxy drops a '%' followed by another literal.
                continue;
            }
            flush(&mut text, &mut nodes);
            let mut opts = defopts;
            if let Some(a) = arg {
                apply_args(&mut opts, a);
            }
            if s[i] == b'[' {
                let body = &fmt[i + 1..];
                let Some(end) = body.find(']') else {
                    return Err(format!("missing ']' after '{body}'"));
                };
                let expr = &body[..end];
                let f = parse_fetch(expr)
                    .map_err(|e| format!("failed to parse sample expression <{expr}> : {e}"))?;
                nodes.push(Node::Fetch(f, opts));
                i += end + 2;
                continue;
            }
            let start = i;
            while i < s.len() && s[i].is_ascii_alphanumeric() {
                i += 1;
            }
            let name = &fmt[start..i];
            if name == "o" {
                defopts = opts;
                continue;
            }
            let Some(&(_, var, http_only)) = VARS.iter().find(|(n, _, _)| *n == name) else {
                return Err(format!(
                    "no such format variable '{name}'. If you wanted to emit the '%' character verbatim, you need to use '%%'"
                ));
            };
            if http_only && !http {
                return Err(format!(
                    "format variable '{name}' is reserved for HTTP mode"
                ));
            }
            nodes.push(Node::Var(var, opts));
        }
        flush(&mut text, &mut nodes);
        Ok(LogFormat { nodes })
    }

    /// Whether the format prints nothing at all (`log-format ""`).
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// Appends the rendered line to `out`.
    pub fn render(&self, rec: &TxnLog, ctx: &RenderCtx<'_>, out: &mut Vec<u8>) {
        let mut last_space = true;
        for n in &self.nodes {
            match n {
                Node::Sep => {
                    if !last_space {
                        out.push(b' ');
                        last_space = true;
                    }
                }
                Node::Text(t) => {
                    out.extend_from_slice(t);
                    last_space = false;
                }
                Node::Fetch(f, o) => {
                    let v = eval_fetch(f, rec);
                    text(out, v.as_deref(), *o);
                    last_space = false;
                }
                Node::Var(v, o) => {
                    if render_var(*v, *o, rec, ctx, out) {
                        last_space = false;
                    }
                }
            }
        }
    }
}

fn apply_args(o: &mut Opts, args: &str) {
    for a in args.split(',') {
        let (on, name) = match a.as_bytes().first() {
            Some(b'+') => (true, &a[1..]),
            Some(b'-') => (false, &a[1..]),
            _ => continue,
        };
        match name {
            "M" => o.mandatory = on,
            "Q" => o.quote = on,
            "X" => o.hexa = on,
            "E" => o.esc = on,
            _ => {}
        }
    }
}

fn parse_fetch(expr: &str) -> Result<Fetch, String> {
    use crate::sample::SimpleFetch as S;
    // The connection's TLS details, as `option httpslog` prints them.
    let conn = match expr.trim() {
        "fc_err" => Some(Fetch::FcErr),
        "ssl_fc_err" => Some(Fetch::SslFcErr { hex: false }),
        "ssl_fc_err,hex" => Some(Fetch::SslFcErr { hex: true }),
        "ssl_c_err" | "ssl_c_ca_err" => Some(Fetch::SslCErr),
        "ssl_fc_is_resumed" => Some(Fetch::SslFcIsResumed),
        "ssl_fc_sni" => Some(Fetch::SslFcSni),
        _ => None,
    };
    if let Some(f) = conn {
        return Ok(f);
    }
    match crate::sample::parse(expr)? {
        S::Src => Ok(Fetch::Src),
        S::Dst => Ok(Fetch::Dst),
        S::Method => Ok(Fetch::Method),
        S::Path => Ok(Fetch::Path),
        S::Url => Ok(Fetch::Url),
        S::Query => Ok(Fetch::Query),
        S::UrlParam(p) => Ok(Fetch::UrlParam(p)),
        S::Hdr(_) | S::Cookie(_) | S::Base => Err(format!(
            "fetch '{expr}' is not supported in log-format yet by lbd (supported: src, dst, method, path, url, query, url_param())"
        )),
    }
}

/// The request line's three words (method, target, version).
fn words(line: &[u8]) -> (&[u8], Option<&[u8]>, Option<&[u8]>) {
    let mut it = line
        .split(|&c| c == b' ' || c == b'\t')
        .filter(|w| !w.is_empty());
    let m = it.next().unwrap_or(b"");
    (m, it.next(), it.next())
}

fn eval_fetch(f: &Fetch, rec: &TxnLog) -> Option<Vec<u8>> {
    let target = || rec.request_line.as_deref().and_then(|l| words(l).1);
    match f {
        Fetch::Src => rec.client.map(|a| a.ip().to_string().into_bytes()),
        Fetch::Dst => rec.frontend_addr.map(|a| a.ip().to_string().into_bytes()),
        Fetch::Method => rec.request_line.as_deref().map(|l| words(l).0.to_vec()),
        Fetch::Url => target().map(<[u8]>::to_vec),
        Fetch::Path => target().map(|t| {
            let p = crate::sample::uri_path(t);
            p[..memchr::memchr(b'?', p).unwrap_or(p.len())].to_vec()
        }),
        Fetch::Query => target().and_then(|t| memchr::memchr(b'?', t).map(|q| t[q + 1..].to_vec())),
        Fetch::UrlParam(n) => {
            target().and_then(|t| crate::balance::key::url_param_value(t, n).map(<[u8]>::to_vec))
        }
        Fetch::FcErr => Some(b"0".to_vec()),
        // The TLS fetches have no value on a clear-text connection.
        Fetch::SslFcErr { hex: true } => rec.ssl.then(|| b"0000000000000000".to_vec()),
        Fetch::SslFcErr { hex: false } | Fetch::SslCErr => rec.ssl.then(|| b"0".to_vec()),
        Fetch::SslFcIsResumed => Some(if rec.ssl_resumed { b"1" } else { b"0" }.to_vec()),
        Fetch::SslFcSni => rec.ssl_sni.as_deref().map(|s| s.as_bytes().to_vec()),
    }
}

/// HAProxy's `lf_text`: optional quotes, `+E` escaping, `-` when empty.
fn text(out: &mut Vec<u8>, v: Option<&[u8]>, o: Opts) {
    if o.quote {
        out.push(b'"');
    }
    match v {
        Some(v) if !v.is_empty() => {
            if o.esc {
                for &c in v {
                    if matches!(c, b'"' | b'\\' | b']') {
                        out.push(b'\\');
                    }
                    out.push(c);
                }
            } else {
                out.extend_from_slice(v);
            }
        }
        _ => {
            if o.mandatory && !o.quote {
                out.push(b'-');
            }
        }
    }
    if o.quote {
        out.push(b'"');
    }
}

/// Bytes the request line escapes as `#XX`.
fn url_map(c: u8) -> bool {
    !(32..127).contains(&c) || c == b'"' || c == b'#'
}

/// Bytes header captures escape as `#XX`.
fn hdr_map(c: u8) -> bool {
    url_map(c) || matches!(c, b'{' | b'|' | b'}')
}

/// HAProxy's `lf_encode_string`.
fn encode(out: &mut Vec<u8>, v: &[u8], map: fn(u8) -> bool, o: Opts) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for &c in v {
        if map(c) {
            out.extend_from_slice(&[b'#', HEX[usize::from(c >> 4)], HEX[usize::from(c & 15)]]);
        } else {
            if o.esc && matches!(c, b'"' | b'\\' | b']') {
                out.push(b'\\');
            }
            out.push(c);
        }
    }
}

fn quoted(out: &mut Vec<u8>, o: Opts, f: impl FnOnce(&mut Vec<u8>)) {
    if o.quote {
        out.push(b'"');
    }
    f(out);
    if o.quote {
        out.push(b'"');
    }
}

fn num(out: &mut Vec<u8>, n: impl std::fmt::Display) {
    use std::io::Write;
    let _ = write!(out, "{n}");
}

fn ip(out: &mut Vec<u8>, a: Option<SocketAddr>, o: Opts) {
    match a {
        Some(a) if o.hexa => match a.ip() {
            std::net::IpAddr::V4(v) => v.octets().iter().for_each(|b| hex2(out, *b)),
            std::net::IpAddr::V6(v) => v.octets().iter().for_each(|b| hex2(out, *b)),
        },
        Some(a) => text(out, Some(a.ip().to_string().as_bytes()), o),
        None => text(out, None, o),
    }
}

fn port(out: &mut Vec<u8>, a: Option<SocketAddr>, o: Opts) {
    match a {
        Some(a) if o.hexa => {
            let p = a.port().to_be_bytes();
            hex2(out, p[0]);
            hex2(out, p[1]);
        }
        Some(a) => num(out, a.port()),
        None => text(out, None, o),
    }
}

fn hex2(out: &mut Vec<u8>, b: u8) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    out.extend_from_slice(&[HEX[usize::from(b >> 4)], HEX[usize::from(b & 15)]]);
}

fn request_date(rec: &TxnLog) -> std::time::SystemTime {
    let add = if rec.t_idle >= 0 {
        rec.t_idle + rec.t_handshake.max(0)
    } else {
        0
    };
    rec.accept_date + std::time::Duration::from_millis(add.max(0) as u64)
}

fn local(t: std::time::SystemTime, ctx: &RenderCtx<'_>) -> chrono::DateTime<FixedOffset> {
    match ctx.tz {
        Some(z) => dates::utc(t).with_timezone(&z),
        None => dates::local(t),
    }
}

/// Renders one variable; returns whether it printed anything for the space
/// rule (only the capture lists can print nothing).
fn render_var(v: Var, o: Opts, rec: &TxnLog, ctx: &RenderCtx<'_>, out: &mut Vec<u8>) -> bool {
    let plus = |out: &mut Vec<u8>| {
        if ctx.logasap {
            out.push(b'+');
        }
    };
    let line = rec.request_line.as_deref();
    match v {
        Var::ClientIp => ip(out, rec.client, o),
        Var::ClientPort => port(out, rec.client, o),
        Var::FrontendIp => ip(out, rec.frontend_addr, o),
        Var::FrontendPort => port(out, rec.frontend_addr, o),
        Var::BackendIp => ip(out, rec.backend_src, o),
        Var::BackendPort => port(out, rec.backend_src, o),
        Var::ServerIp => ip(out, rec.server_addr, o),
        Var::ServerPort => port(out, rec.server_addr, o),
        Var::Frontend => text(out, Some(rec.frontend.as_bytes()), o),
        Var::FrontendXprt => quoted(out, o, |out| {
            out.extend_from_slice(rec.frontend.as_bytes());
            if rec.ssl {
                out.push(b'~');
            }
        }),
        Var::Backend => {
            let b = rec.backend.as_deref().unwrap_or(&rec.frontend);
            text(out, Some(b.as_bytes()), o)
        }
        Var::Server => {
            let s = rec.server.as_deref().unwrap_or("<NOSRV>");
            text(out, Some(s.as_bytes()), o)
        }
        Var::Date => dates::log_date(out, &local(rec.accept_date, ctx)),
        Var::DateGmt => dates::log_date_zone(out, &dates::utc(rec.accept_date)),
        Var::DateLocal => dates::log_date_zone(out, &local(rec.accept_date, ctx)),
        Var::ReqDate => dates::log_date(out, &local(request_date(rec), ctx)),
        Var::ReqDateGmt => dates::log_date_zone(out, &dates::utc(request_date(rec))),
        Var::ReqDateLocal => dates::log_date_zone(out, &local(request_date(rec), ctx)),
        Var::Timestamp => {
            let secs = dates::utc(rec.accept_date).timestamp();
            if o.hexa {
                use std::io::Write;
                let _ = write!(out, "{:04X}", secs as u32);
            } else {
                num(out, secs)
            }
        }
        Var::Ms => {
            let ms = dates::utc(rec.accept_date).timestamp_subsec_millis();
            use std::io::Write;
            let _ = if o.hexa {
                write!(out, "{ms:02X}")
            } else {
                write!(out, "{ms:03}")
            };
        }
        Var::Th => num(out, rec.t_handshake),
        Var::Ti => num(out, rec.t_idle),
        Var::TR => num(out, rec.t_request),
        Var::Tq => num(out, rec.t_request_total()),
        Var::Tw => num(out, rec.t_queue),
        Var::Tc => num(out, rec.t_connect),
        Var::Tr => num(out, rec.t_response),
        Var::Td => num(out, rec.t_data()),
        Var::Ta => {
            plus(out);
            num(out, rec.t_active())
        }
        Var::Tt => {
            plus(out);
            num(out, rec.t_total)
        }
        Var::Tu => {
            plus(out);
            num(out, rec.t_user())
        }
        Var::Status => match rec.status {
            Some(s) => num(out, s),
            None if rec.http => out.extend_from_slice(b"-1"),
            None => out.push(b'0'),
        },
        Var::Bytes => {
            plus(out);
            num(out, rec.bytes_out)
        }
        Var::BytesUp => num(out, rec.bytes_in),
        Var::ClientCookie => text(out, rec.client_cookie.as_deref(), o),
        Var::ServerCookie => text(out, rec.server_cookie.as_deref(), o),
        Var::HdrReq | Var::HdrRes => {
            let caps = if v == Var::HdrReq {
                &rec.captured_request
            } else {
                &rec.captured_response
            };
            if caps.is_empty() {
                return false;
            }
            quoted(out, o, |out| {
                out.push(b'{');
                for (k, c) in caps.iter().enumerate() {
                    if k > 0 {
                        out.push(b'|');
                    }
                    if let Some(c) = c {
                        encode(out, c, hdr_map, o);
                    }
                }
                out.push(b'}');
            });
        }
        Var::HdrReqList | Var::HdrResList => {
            let caps = if v == Var::HdrReqList {
                &rec.captured_request
            } else {
                &rec.captured_response
            };
            if caps.is_empty() {
                return false;
            }
            for (k, c) in caps.iter().enumerate() {
                if k > 0 {
                    out.push(b' ');
                }
                quoted(out, o, |out| match c {
                    Some(c) => encode(out, c, hdr_map, o),
                    None if !o.quote => out.push(b'-'),
                    None => {}
                });
            }
        }
        Var::TermState => out.extend_from_slice(&rec.termination.chars()[..2]),
        Var::TermStateCookie => {
            let mut c = rec.termination.chars();
            if let Some([a, b]) = rec.cookie_letters {
                (c[2], c[3]) = (a, b);
            }
            out.extend_from_slice(&c);
        }
        Var::ActConn => num(out, rec.actconn),
        Var::FeConn => num(out, rec.feconn),
        Var::BeConn => num(out, rec.beconn),
        Var::SrvConn => num(out, rec.srv_conn),
        Var::Retries => {
            if rec.redispatched {
                out.push(b'+');
            }
            num(out, rec.retries)
        }
        Var::SrvQueue => num(out, rec.srv_queue),
        Var::BeQueue => num(out, rec.be_queue),
        Var::Counter | Var::LogCount | Var::Pid => {
            let n = match v {
                Var::Counter => rec.request_counter,
                Var::LogCount => ctx.log_count,
                _ => u64::from(ctx.pid),
            };
            use std::io::Write;
            let _ = if o.hexa {
                write!(out, "{n:04X}")
            } else {
                write!(out, "{n}")
            };
        }
        Var::Hostname => text(out, Some(ctx.hostname.as_bytes()), o),
        Var::UniqueId => text(out, rec.unique_id.as_deref().map(str::as_bytes), o),
        Var::SslCipher => text(out, rec.ssl_cipher.as_deref().map(str::as_bytes), o),
        Var::SslVersion => text(out, rec.ssl_version.as_deref().map(str::as_bytes), o),
        Var::Request => quoted(out, o, |out| {
            encode(out, line.unwrap_or(b"<BADREQ>"), url_map, o)
        }),
        Var::Method | Var::Uri | Var::Path | Var::PathOnly | Var::Query | Var::Version => {
            let piece: &[u8] = match line {
                None => b"<BADREQ>",
                Some(l) => {
                    let (m, t, ver) = words(l);
                    match (v, t) {
                        (Var::Method, Some(_)) => m,
                        (Var::Query, _) => match memchr::memchr(b'?', l) {
                            Some(q) => {
                                let rest = &l[q..];
                                let end = rest
                                    .iter()
                                    .position(|&c| c == b' ' || c == b'\t')
                                    .unwrap_or(rest.len());
                                &rest[..end]
                            }
                            None => b"",
                        },
                        (_, None) => b"<BADREQ>",
                        (Var::Uri, Some(t)) => t,
                        (Var::Path, Some(t)) => &t[..memchr::memchr(b'?', t).unwrap_or(t.len())],
                        (Var::PathOnly, Some(t)) => {
                            let p = crate::sample::uri_path(t);
                            &p[..memchr::memchr(b'?', p).unwrap_or(p.len())]
                        }
                        _ => ver.unwrap_or(b"HTTP/0.9"),
                    }
                }
            };
            quoted(out, o, |out| encode(out, piece, url_map, o));
        }
    }
    true
}
