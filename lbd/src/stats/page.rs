//! The HTTP stats page (`stats enable`, `stats uri`): which requests it
//! answers, Basic authentication, the URI modifiers (`;csv`, `;json`,
//! `;typed`, `;up`, `;no-maint`, `;norefresh`) and the responses, built
//! from the same rows as `show stat`. The HTML is our own layout with 2.6's
//! table; the CSV is `show stat`'s, with `addr` and `algo` emptied unless
//! `stats show-legends`, as 2.6 does on the HTTP page.
//!
//! This module owns no socket: the HTTP session asks [`respond`] for the
//! bytes and sends them. POSTs of the admin form are [`admin`]'s.

pub mod admin;

use super::fields::{f, Val};
use super::stat::{collect, render, Kind, Row, StatFormat, StatRequest};
use crate::config::model::StatsPage;
use crate::runtime::Runtime;
use std::fmt::Write;

/// The body format a stats URI asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageFormat {
    Html,
    Csv,
    Json,
    Typed,
}

/// What the modifiers after the stats URI prefix ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Modifiers {
    pub format: PageFormat,
    pub up: bool,
    pub no_maint: bool,
    pub norefresh: bool,
    /// `;st=<code>`: the outcome of the admin form just posted.
    pub status: Option<admin::PostStatus>,
}

impl Modifiers {
    /// 2.6 looks for each modifier anywhere after the prefix, in any order
    /// (`/stats;csv;norefresh` and `/stats;norefresh;csv` are the same).
    pub fn parse(rest: &str) -> Modifiers {
        let format = if rest.contains(";csv") {
            PageFormat::Csv
        } else if rest.contains(";typed") {
            PageFormat::Typed
        } else if rest.contains(";json") {
            PageFormat::Json
        } else {
            PageFormat::Html
        };
        Modifiers {
            format,
            up: rest.contains(";up"),
            no_maint: rest.contains(";no-maint"),
            norefresh: rest.contains(";norefresh"),
            status: admin::PostStatus::from_uri(rest),
        }
    }
}

/// The part of `target` after the stats prefix, when the page answers it.
pub fn matches<'a>(page: &StatsPage, target: &'a [u8]) -> Option<&'a [u8]> {
    target.strip_prefix(page.uri.as_bytes())
}

/// `stats realm`, or 2.6's default.
pub fn realm(page: &StatsPage) -> &str {
    page.realm.as_deref().unwrap_or("HAProxy Statistics")
}

/// Whether an `Authorization` header value grants access. Without any
/// `stats auth`, everyone is allowed.
pub fn authorized(page: &StatsPage, authorization: Option<&[u8]>) -> bool {
    if page.auth.is_empty() {
        return true;
    }
    let Some(v) = authorization else {
        return false;
    };
    let v = trim(v);
    let Some(sp) = v.iter().position(|&b| b == b' ') else {
        return false;
    };
    if !v[..sp].eq_ignore_ascii_case(b"basic") {
        return false;
    }
    let Some(decoded) = base64_decode(trim(&v[sp + 1..])) else {
        return false;
    };
    let Some(colon) = decoded.iter().position(|&b| b == b':') else {
        return false;
    };
    let (user, pass) = (&decoded[..colon], &decoded[colon + 1..]);
    page.auth
        .iter()
        .any(|(u, p)| u.as_bytes() == user && p.as_bytes() == pass)
}

fn trim(v: &[u8]) -> &[u8] {
    let start = v
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(v.len());
    let end = v
        .iter()
        .rposition(|b| !b.is_ascii_whitespace())
        .map_or(start, |e| e + 1);
    &v[start..end.max(start)]
}

/// Standard base64 with padding; None on anything malformed.
pub fn base64_decode(s: &[u8]) -> Option<Vec<u8>> {
    fn val(c: u8) -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        } as u32)
    }
    if !s.len().is_multiple_of(4) {
        return None;
    }
    let mut out = Vec::with_capacity(s.len() / 4 * 3);
    for (i, q) in s.chunks(4).enumerate() {
        let last = i == s.len() / 4 - 1;
        let pad = q.iter().rev().take_while(|&&c| c == b'=').count();
        if pad > 2 || (pad > 0 && !last) {
            return None;
        }
        let mut n = 0u32;
        for &c in &q[..4 - pad] {
            n = n << 6 | val(c)?;
        }
        n <<= 6 * pad as u32;
        let bytes = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
        out.extend_from_slice(&bytes[..3 - pad]);
    }
    Some(out)
}

/// The 401 2.6 sends when credentials are missing or wrong (captured).
pub fn unauthorized(page: &StatsPage) -> Vec<u8> {
    let body = "<html><body><h1>401 Unauthorized</h1>\nYou need a valid user and password to access this content.\n</body></html>\n";
    format!(
        "HTTP/1.1 401 Unauthorized\r\ncontent-length: {}\r\ncache-control: no-cache\r\ncontent-type: text/html\r\nwww-authenticate: Basic realm=\"{}\"\r\n\r\n{body}",
        body.len(),
        realm(page)
    )
    .into_bytes()
}

/// Everything the page shows besides the counters.
pub struct PageCtx<'a> {
    pub page: &'a StatsPage,
    /// The proxy serving the page (`stats scope .`).
    pub proxy: &'a str,
}

/// The complete response (head and chunked body) for a stats request
/// whose URI continued with `rest` after the prefix.
pub fn respond(rt: &Runtime, ctx: &PageCtx<'_>, rest: &str) -> Vec<u8> {
    let m = Modifiers::parse(rest);
    let req = StatRequest {
        up_only: m.up,
        no_maint: m.no_maint,
        ..StatRequest::default()
    };
    let mut rows = collect(rt, &req).unwrap_or_default();
    rows.retain(|r| in_scope(ctx, r));
    if !ctx.page.show_legends {
        for r in &mut rows {
            r.fields[f::ADDR] = Val::Empty;
            r.fields[f::ALGO] = Val::Empty;
        }
    }
    let mut body = String::new();
    let ctype = match m.format {
        PageFormat::Html => {
            html(rt, ctx, &rows, m, &mut body);
            "text/html"
        }
        PageFormat::Csv => {
            render(&rows, StatFormat::Csv, &mut body);
            "text/plain"
        }
        PageFormat::Typed => {
            render(&rows, StatFormat::Typed, &mut body);
            "text/plain"
        }
        PageFormat::Json => {
            render(&rows, StatFormat::Json, &mut body);
            "application/json"
        }
    };
    let mut out = String::with_capacity(body.len() + 160);
    out.push_str("HTTP/1.1 200 OK\r\ncache-control: no-cache\r\ncontent-type: ");
    out.push_str(ctype);
    out.push_str("\r\n");
    if let (Some(r), false) = (ctx.page.refresh, m.norefresh) {
        let _ = write!(out, "refresh: {r}\r\n");
    }
    out.push_str("transfer-encoding: chunked\r\n\r\n");
    chunked(&mut out, &body);
    out.into_bytes()
}

/// The body as one chunk and the last chunk, as a response the client can
/// keep its connection after.
pub fn chunked(out: &mut String, body: &str) {
    if !body.is_empty() {
        let _ = write!(out, "{:x}\r\n", body.len());
        out.push_str(body);
        out.push_str("\r\n");
    }
    out.push_str("0\r\n\r\n");
}

fn in_scope(ctx: &PageCtx<'_>, row: &Row) -> bool {
    let scope = &ctx.page.scope;
    if scope.is_empty() {
        return true;
    }
    let name = match &row.fields[f::PXNAME] {
        Val::Str(s) => s.as_ref(),
        _ => "",
    };
    scope
        .iter()
        .any(|s| s == name || (s == "." && name == ctx.proxy))
}

/// Text safe inside HTML elements and attribute values.
pub fn escape(s: &str, out: &mut String) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
}

const STYLE: &str = "body{font-family:sans-serif;font-size:13px;margin:1em;color:#222}\
h1{font-size:20px;margin:0 0 .3em}\
.info{margin-bottom:1em;color:#555}\
table{border-collapse:collapse;margin-bottom:1.5em;width:100%}\
caption{text-align:left;font-weight:bold;font-size:15px;padding:.3em 0}\
th,td{border:1px solid #bbb;padding:2px 5px;text-align:right;white-space:nowrap}\
th{background:#e4e4ec}\
td.n{text-align:left;font-weight:bold}\
tr.fe td,tr.be td{background:#eef}\
tr.up td{background:#dfd}tr.down td{background:#fcc}\
tr.maint td{background:#ccf}tr.drain td{background:#fcf}\
tr.nolb td,tr.trans td{background:#ffc}tr.nocheck td{background:#f4f4f4}";

/// Column groups and their columns: (group, [(title, field)]).
const COLUMNS: &[(&str, &[(&str, usize)])] = &[
    (
        "Queue",
        &[("Cur", f::QCUR), ("Max", f::QMAX), ("Limit", f::QLIMIT)],
    ),
    (
        "Session rate",
        &[
            ("Cur", f::RATE),
            ("Max", f::RATE_MAX),
            ("Limit", f::RATE_LIM),
        ],
    ),
    (
        "Sessions",
        &[
            ("Cur", f::SCUR),
            ("Max", f::SMAX),
            ("Limit", f::SLIM),
            ("Total", f::STOT),
            ("LbTot", f::LBTOT),
            ("Last", f::LASTSESS),
        ],
    ),
    ("Bytes", &[("In", f::BIN), ("Out", f::BOUT)]),
    ("Denied", &[("Req", f::DREQ), ("Resp", f::DRESP)]),
    (
        "Errors",
        &[("Req", f::EREQ), ("Conn", f::ECON), ("Resp", f::ERESP)],
    ),
    ("Warnings", &[("Retr", f::WRETR), ("Redis", f::WREDIS)]),
    (
        "Server",
        &[
            ("Status", f::STATUS),
            ("LastChk", f::CHECK_STATUS),
            ("Wght", f::WEIGHT),
            ("Act", f::ACT),
            ("Bck", f::BCK),
            ("Chk", f::CHKFAIL),
            ("Dwn", f::CHKDOWN),
            ("Dwntme", f::DOWNTIME),
            ("Thrtle", f::THROTTLE),
        ],
    ),
];

fn html(rt: &Runtime, ctx: &PageCtx<'_>, rows: &[Row], m: Modifiers, out: &mut String) {
    out.push_str("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">");
    out.push_str("<title>Statistics Report for HAProxy");
    if let Some(node) = node_name(rt, ctx.page) {
        out.push_str(" on ");
        escape(&node, out);
    }
    out.push_str("</title>\n<style>");
    out.push_str(STYLE);
    out.push_str("</style></head><body>\n<h1>Statistics Report");
    if !ctx.page.hide_version {
        out.push_str(" for lbd ");
        escape(&super::version(), out);
    }
    out.push_str("</h1>\n<div class=\"info\">");
    if let Some(node) = node_name(rt, ctx.page) {
        out.push_str("Node: ");
        escape(&node, out);
        out.push_str(" &middot; ");
    }
    if let Some(d) = ctx.page.show_desc.as_ref() {
        let d = if d.is_empty() {
            rt.global.description.clone().unwrap_or_default()
        } else {
            d.clone()
        };
        out.push_str("Description: ");
        escape(&d, out);
        out.push_str(" &middot; ");
    }
    let up = rt.process.start_instant.elapsed().as_secs();
    let _ = write!(
        out,
        "pid = {} &middot; uptime = {} &middot; current conns = {} &middot; maxconn = {}",
        std::process::id(),
        super::uptime(up),
        rt.maxconn.current(),
        rt.maxconn.max()
    );
    if m.norefresh || ctx.page.refresh.is_none() {
        out.push_str("</div>\n");
    } else {
        out.push_str(" &middot; refreshing</div>\n");
    }
    if let Some(st) = m.status {
        let (class, text) = st.banner();
        let _ = write!(out, "<p><div class={class}><a class=lfsb href=\"");
        escape(&ctx.page.uri, out);
        let _ = writeln!(
            out,
            "{}{}\" title=\"Remove this message\">[X]</a> {text}</div>",
            if m.up { ";up" } else { "" },
            if m.norefresh { ";norefresh" } else { "" },
        );
    }
    let mut i = 0;
    while i < rows.len() {
        let iid = rows[i].iid;
        let end = rows[i..]
            .iter()
            .position(|r| r.iid != iid)
            .map_or(rows.len(), |p| i + p);
        proxy_table(&rows[i..end], out);
        i = end;
    }
    out.push_str("</body></html>\n");
}

fn node_name(rt: &Runtime, page: &StatsPage) -> Option<String> {
    let n = page.show_node.as_ref()?;
    if !n.is_empty() {
        return Some(n.clone());
    }
    rt.global.node.clone().or_else(|| {
        std::fs::read_to_string("/proc/sys/kernel/hostname")
            .ok()
            .map(|s| s.trim().to_string())
    })
}

fn proxy_table(rows: &[Row], out: &mut String) {
    let name = match &rows[0].fields[f::PXNAME] {
        Val::Str(s) => s.to_string(),
        _ => String::new(),
    };
    out.push_str("<table>\n<caption>");
    escape(&name, out);
    out.push_str("</caption>\n<tr><th rowspan=\"2\"></th>");
    for (group, cols) in COLUMNS {
        let _ = write!(out, "<th colspan=\"{}\">{group}</th>", cols.len());
    }
    out.push_str("</tr>\n<tr>");
    for (_, cols) in COLUMNS {
        for (title, _) in *cols {
            let _ = write!(out, "<th>{title}</th>");
        }
    }
    out.push_str("</tr>\n");
    for r in rows {
        let class = match r.kind {
            Kind::Frontend | Kind::Listener => "fe".to_string(),
            Kind::Backend => "be".to_string(),
            Kind::Server => server_class(r.status()).to_string(),
        };
        let _ = write!(out, "<tr class=\"{class}\"><td class=\"n\">");
        let svname = match &r.fields[f::SVNAME] {
            Val::Str(s) => s.to_string(),
            _ => String::new(),
        };
        match r.kind {
            Kind::Frontend => out.push_str("Frontend"),
            Kind::Backend => out.push_str("Backend"),
            _ => escape(&svname, out),
        }
        out.push_str("</td>");
        for (_, cols) in COLUMNS {
            for &(_, pos) in *cols {
                out.push_str("<td>");
                cell(r, pos, out);
                out.push_str("</td>");
            }
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</table>\n");
}

fn cell(r: &Row, pos: usize, out: &mut String) {
    let v = &r.fields[pos];
    match (pos, v) {
        (f::LASTSESS, Val::S(-1)) => {}
        (f::LASTSESS | f::DOWNTIME, Val::S(s)) => escape(&super::uptime(*s as u64), out),
        (f::DOWNTIME, Val::U(s)) => escape(&super::uptime(*s), out),
        (f::CHECK_STATUS, Val::Str(s)) => {
            escape(s, out);
            if let Val::U(code) = &r.fields[f::CHECK_CODE] {
                let _ = write!(out, "/{code}");
            }
            if let Val::U(ms) = &r.fields[f::CHECK_DURATION] {
                let _ = write!(out, " in {ms}ms");
            }
        }
        (f::THROTTLE, Val::U(p)) => {
            let _ = write!(out, "{p} %");
        }
        (_, Val::Str(s)) => escape(s, out),
        (_, other) => {
            let mut s = String::new();
            other.csv(&mut s);
            escape(&s, out);
        }
    }
}

fn server_class(status: &str) -> &'static str {
    let word = status.split(' ').next().unwrap_or("");
    let transitional = status.contains('/');
    match word {
        _ if transitional => "trans",
        "UP" => "up",
        "DOWN" => "down",
        "MAINT" => "maint",
        "DRAIN" => "drain",
        "NOLB" => "nolb",
        _ => "nocheck",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page_with_auth() -> StatsPage {
        StatsPage {
            auth: vec![("admin".into(), "pw".into()), ("u2".into(), "p:2".into())],
            realm: Some("My Realm".into()),
            ..StatsPage::default()
        }
    }

    #[test]
    fn modifiers_are_found_anywhere_after_the_prefix() {
        let m = Modifiers::parse(";norefresh;csv");
        assert_eq!(m.format, PageFormat::Csv);
        assert!(m.norefresh && !m.up);
        assert_eq!(Modifiers::parse(";up").format, PageFormat::Html);
        assert!(Modifiers::parse(";up").up);
        assert_eq!(Modifiers::parse(";json").format, PageFormat::Json);
        assert_eq!(Modifiers::parse(";typed").format, PageFormat::Typed);
        assert_eq!(Modifiers::parse("?x").format, PageFormat::Html);
    }

    #[test]
    fn prefix_match_is_a_plain_prefix() {
        let p = StatsPage::default();
        assert_eq!(matches(&p, b"/haproxy?stats;csv"), Some(&b";csv"[..]));
        assert_eq!(matches(&p, b"/haproxy?stats"), Some(&b""[..]));
        assert_eq!(matches(&p, b"/haproxy"), None);
        assert_eq!(matches(&p, b"/other"), None);
    }

    #[test]
    fn basic_auth_accepts_each_account_and_nothing_else() {
        let p = page_with_auth();
        assert!(authorized(&p, Some(b"Basic YWRtaW46cHc=")));
        // "u2:p:2": the password may hold a colon.
        assert!(authorized(&p, Some(b"basic  dTI6cDoy ")));
        assert!(!authorized(&p, Some(b"Basic YWRtaW46YmFk")));
        assert!(!authorized(&p, Some(b"Bearer YWRtaW46cHc=")));
        assert!(!authorized(&p, Some(b"Basic !!!!")));
        assert!(!authorized(&p, None));
        assert!(authorized(&StatsPage::default(), None));
    }

    #[test]
    fn base64_rejects_malformed_input() {
        assert_eq!(base64_decode(b"YQ==").as_deref(), Some(&b"a"[..]));
        assert_eq!(base64_decode(b"YWI=").as_deref(), Some(&b"ab"[..]));
        assert_eq!(base64_decode(b"YWJj").as_deref(), Some(&b"abc"[..]));
        assert_eq!(base64_decode(b"YQ"), None);
        assert_eq!(base64_decode(b"Y==="), None);
        assert_eq!(base64_decode(b"YQ==YWJj"), None);
    }

    #[test]
    fn unauthorized_matches_haproxy_bytes() {
        // Captured from 2.6.12 with `stats realm My\ Realm`.
        let want = "HTTP/1.1 401 Unauthorized\r\ncontent-length: 112\r\ncache-control: no-cache\r\ncontent-type: text/html\r\nwww-authenticate: Basic realm=\"My Realm\"\r\n\r\n<html><body><h1>401 Unauthorized</h1>\nYou need a valid user and password to access this content.\n</body></html>\n";
        assert_eq!(
            String::from_utf8_lossy(&unauthorized(&page_with_auth())),
            want
        );
    }

    #[test]
    fn escape_neutralises_markup() {
        let mut s = String::new();
        escape("<script>\"a\"&'b'</script>", &mut s);
        assert_eq!(
            s,
            "&lt;script&gt;&quot;a&quot;&amp;&#39;b&#39;&lt;/script&gt;"
        );
    }

    #[test]
    fn chunked_body_ends_with_last_chunk() {
        let mut s = String::new();
        chunked(&mut s, "hello");
        assert_eq!(s, "5\r\nhello\r\n0\r\n\r\n");
        let mut e = String::new();
        chunked(&mut e, "");
        assert_eq!(e, "0\r\n\r\n");
    }
}
