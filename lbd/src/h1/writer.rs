//! Head writers: re-emit a parsed head the way HAProxy 2.6's H1 mux does.
//!
//! Names are lower-cased and order kept; in `Connection` only the `close`
//! and `keep-alive` tokens are consumed (others, `upgrade` included, stay);
//! a `connection: close|keep-alive` line is added last per connection mode;
//! `te` is reduced to `trailers` or dropped. Output is appended to a
//! caller-owned Vec so one buffer serves a whole connection.

use std::net::IpAddr;

use super::request::RequestHead;
use super::response::ResponseHead;
use super::types::{BodyFraming, HeaderField, HeaderKind, HttpMode, Span, Version};

/// Header edits from `http-request`/`http-response` rules and options.
#[derive(Debug, Clone, Copy, Default)]
pub struct HeaderEdits<'a> {
    /// Names (case-insensitive) whose every occurrence is removed (del-header,
    /// and the first half of set-header).
    pub delete: &'a [&'a str],
    /// Lines appended after the kept headers, in order (set-header's value,
    /// add-header, then `option forwardfor`'s `x-forwarded-for`).
    pub append: &'a [(&'a str, &'a [u8])],
    /// Write an absolute-form target in origin form: an h2/h3 request
    /// carries its URI as `scheme://authority/path` (what `url` and the log
    /// show, as in 2.6), and 2.6 sends an HTTP/1 server only the path.
    pub origin_form: bool,
}

/// `option forwardfor`'s value: the bare address, IPv6 without brackets.
pub fn forwardfor_value(ip: IpAddr) -> String {
    ip.to_string()
}

/// The `connection` value HAProxy adds to a request sent to a server
/// (h1_set_srv_conn_mode / h1_update_req_conn_value).
pub fn request_connection_value(mode: HttpMode, req: &RequestHead) -> Option<&'static str> {
    if req.conn.upgrade {
        return None;
    }
    let te_http10 = req.framing == BodyFraming::Chunked && req.version == Version::Http10;
    let close = mode != HttpMode::KeepAlive || te_http10;
    match (close, req.version) {
        (false, Version::Http10) => Some("keep-alive"),
        (true, Version::Http11) => Some("close"),
        _ => None,
    }
}

/// Whether the client connection closes after this response
/// (h1_set_cli_conn_mode, both passes).
pub fn client_close_after(mode: HttpMode, req: &RequestHead, resp: &ResponseHead) -> bool {
    req.wants_close()
        || mode == HttpMode::Close
        || resp.framing == BodyFraming::UntilClose
        || (resp.framing == BodyFraming::Chunked && resp.version == Version::Http10)
}

/// The `connection` value HAProxy adds to a response sent to the client.
/// None for 1xx, 101/tunnels and responses carrying an `upgrade` token.
pub fn response_connection_value(
    client_close: bool,
    req: &RequestHead,
    resp: &ResponseHead,
) -> Option<&'static str> {
    if resp.status < 200 || resp.framing == BodyFraming::Tunnel || resp.conn.upgrade {
        return None;
    }
    if !client_close {
        if resp.version != Version::Http11 || req.version != Version::Http11 {
            return Some("keep-alive");
        }
        None
    } else if resp.version == Version::Http11 {
        Some("close")
    } else {
        None
    }
}

/// Append the request head for the server side to `out`.
pub fn write_request_head(
    out: &mut Vec<u8>,
    buf: &[u8],
    req: &RequestHead,
    mode: HttpMode,
    edits: &HeaderEdits<'_>,
) {
    out.extend_from_slice(req.method_raw.get(buf));
    out.push(b' ');
    let target = req.target.get(buf);
    if let Some(path) = edits.origin_form.then(|| origin_form(target)).flatten() {
        out.extend_from_slice(path);
        out.push(b' ');
        out.extend_from_slice(req.version.as_bytes());
        out.extend_from_slice(b"\r\n");
        write_fields(out, buf, &req.headers, edits);
        finish(out, edits, request_connection_value(mode, req));
        return;
    }
    match req.target_default_port {
        Some(p) => {
            out.extend_from_slice(Span::new(req.target.start, p.start).get(buf));
            out.extend_from_slice(Span::new(p.end, req.target.end).get(buf));
        }
        None => out.extend_from_slice(req.target.get(buf)),
    }
    out.push(b' ');
    out.extend_from_slice(req.version.as_bytes());
    out.extend_from_slice(b"\r\n");
    write_fields(out, buf, &req.headers, edits);
    finish(out, edits, request_connection_value(mode, req));
}

/// The path (and query) of an absolute-form target, `/` when it has none;
/// None for any other form.
fn origin_form(target: &[u8]) -> Option<&[u8]> {
    let scheme_end = memchr::memmem::find(target, b"://")?;
    if !target[..scheme_end].iter().all(u8::is_ascii_alphanumeric) {
        return None;
    }
    let rest = &target[scheme_end + 3..];
    Some(match memchr::memchr2(b'/', b'?', rest) {
        Some(i) if rest[i] == b'/' => &rest[i..],
        _ => b"/",
    })
}

/// Append the response head for the client side to `out`. `conn` is
/// [`response_connection_value`] (None for interim responses).
pub fn write_response_head(
    out: &mut Vec<u8>,
    buf: &[u8],
    resp: &ResponseHead,
    conn: Option<&str>,
    edits: &HeaderEdits<'_>,
) {
    out.extend_from_slice(resp.version.as_bytes());
    out.push(b' ');
    let s = resp.status;
    out.extend_from_slice(&[
        b'0' + (s / 100 % 10) as u8,
        b'0' + (s / 10 % 10) as u8,
        b'0' + (s % 10) as u8,
        b' ',
    ]);
    out.extend_from_slice(resp.reason.get(buf));
    out.extend_from_slice(b"\r\n");
    write_fields(out, buf, &resp.headers, edits);
    finish(out, edits, conn);
}

fn finish(out: &mut Vec<u8>, edits: &HeaderEdits<'_>, conn: Option<&str>) {
    for (name, value) in edits.append {
        push_lower(out, name.as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(value);
        out.extend_from_slice(b"\r\n");
    }
    if let Some(v) = conn {
        out.extend_from_slice(b"connection: ");
        out.extend_from_slice(v.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"\r\n");
}

fn write_fields(out: &mut Vec<u8>, buf: &[u8], fields: &[HeaderField], edits: &HeaderEdits<'_>) {
    for h in fields.iter().filter(|h| !h.dropped) {
        let name = h.name.get(buf);
        if edits
            .delete
            .iter()
            .any(|d| d.as_bytes().eq_ignore_ascii_case(name))
        {
            continue;
        }
        let value = h.value.get(buf);
        match h.kind {
            HeaderKind::Connection => {
                write_connection(out, value);
                continue;
            }
            // Only `trailers` survives in TE (mux_h1 output).
            HeaderKind::Te => {
                if has_trailers(value) {
                    out.extend_from_slice(b"te: trailers\r\n");
                }
                continue;
            }
            _ => {}
        }
        push_lower(out, name);
        out.extend_from_slice(b": ");
        if h.folded {
            out.extend(
                value
                    .iter()
                    .map(|&b| if b == b'\r' || b == b'\n' { b' ' } else { b }),
            );
        } else {
            out.extend_from_slice(value);
        }
        out.extend_from_slice(b"\r\n");
    }
}

/// HAProxy's `istist(v, "trailers")` followed by "end or comma".
fn has_trailers(v: &[u8]) -> bool {
    memchr::memmem::find(v, b"trailers").is_some_and(|i| v.len() == i + 8 || v[i + 8] == b',')
}

/// Write a Connection line without its close/keep-alive tokens, or nothing
/// if none remain. Like h1_parse_connection_header with CLEAN_CONN_HDR: the
/// raw text is kept while no token has been removed before a kept one, and
/// later kept tokens are appended with a bare ','.
fn write_connection(out: &mut Vec<u8>, v: &[u8]) {
    let line_start = out.len();
    out.extend_from_slice(b"connection: ");
    let value_start = out.len();
    let mut raw_end: Option<usize> = Some(0);
    let mut removed = false;
    for (s, e) in super::types::tokens(v) {
        let t = &v[s..e];
        if t.eq_ignore_ascii_case(b"close") || t.eq_ignore_ascii_case(b"keep-alive") {
            removed = true;
            continue;
        }
        match raw_end {
            Some(_) if !removed => raw_end = Some(e),
            Some(r) => {
                out.extend_from_slice(&v[..r]);
                raw_end = None;
                if out.len() > value_start {
                    out.push(b',');
                }
                out.extend_from_slice(t);
            }
            None => {
                out.push(b',');
                out.extend_from_slice(t);
            }
        }
    }
    if let Some(r) = raw_end {
        out.extend_from_slice(&v[..r]);
    }
    if out.len() == value_start {
        out.truncate(line_start);
    } else {
        out.extend_from_slice(b"\r\n");
    }
}

fn push_lower(out: &mut Vec<u8>, name: &[u8]) {
    out.extend(name.iter().map(u8::to_ascii_lowercase));
}
