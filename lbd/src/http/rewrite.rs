//! Head rewriting for `http-request`/`http-response` actions, sans-IO: a
//! parsed head plus one edit gives the bytes of a new head, which the
//! session puts back in its buffer and parses again, so every later rule,
//! fetch and the forwarding path see the rewritten message.
//!
//! Requests without rewrite rules never come here and cost nothing.

use crate::h1::{HeaderField, HeaderKind, RequestHead, ResponseHead, Span};
use regex::bytes::{Captures, Regex};

/// One header edit. Values are already rendered (log-format evaluated).
#[derive(Debug, Clone, Copy)]
pub enum HeaderEdit<'a> {
    /// Removes every occurrence, then appends one line.
    Set(&'a str, &'a [u8]),
    /// Appends one line.
    Add(&'a str, &'a [u8]),
    Del(&'a str),
    /// Each occurrence whose whole value matches is replaced by the
    /// replacement with `\N` back-references expanded.
    Replace(&'a str, &'a Regex, &'a [u8]),
    /// The same on each comma-separated value.
    ReplaceValue(&'a str, &'a Regex, &'a [u8]),
}

/// Expands HAProxy's `\1`..`\9` back-references (HAProxy's `exp_replace`).
pub fn expand_backrefs(repl: &[u8], caps: &Captures<'_>, out: &mut Vec<u8>) {
    let mut i = 0;
    while i < repl.len() {
        let c = repl[i];
        if c == b'\\' && i + 1 < repl.len() && repl[i + 1].is_ascii_digit() {
            let n = usize::from(repl[i + 1] - b'0');
            if let Some(m) = caps.get(n) {
                out.extend_from_slice(m.as_bytes());
            }
            i += 2;
            continue;
        }
        out.push(c);
        i += 1;
    }
}

/// `replace-*` on one value: the whole value is replaced when it matches.
pub fn replace_whole(re: &Regex, repl: &[u8], value: &[u8]) -> Option<Vec<u8>> {
    let caps = re.captures(value)?;
    let mut out = Vec::with_capacity(repl.len() + value.len());
    expand_backrefs(repl, &caps, &mut out);
    Some(out)
}

fn push_field(out: &mut Vec<u8>, name: &[u8], value: &[u8]) {
    out.extend_from_slice(name);
    out.extend_from_slice(b": ");
    out.extend_from_slice(value);
    out.extend_from_slice(b"\r\n");
}

/// Writes the header lines of `fields` with `edit` applied, then the CRLF
/// that ends the head.
fn write_fields(
    out: &mut Vec<u8>,
    buf: &[u8],
    fields: &[HeaderField],
    edit: Option<HeaderEdit<'_>>,
) {
    let target = |n: &[u8], name: &str| n.eq_ignore_ascii_case(name.as_bytes());
    for h in fields.iter().filter(|h| !h.dropped) {
        let (n, v) = (h.name.get(buf), h.value.get(buf));
        match edit {
            Some(HeaderEdit::Set(name, _) | HeaderEdit::Del(name)) if target(n, name) => {}
            Some(HeaderEdit::Replace(name, re, repl)) if target(n, name) => {
                match replace_whole(re, repl, v) {
                    Some(nv) => push_field(out, n, &nv),
                    None => push_field(out, n, v),
                }
            }
            Some(HeaderEdit::ReplaceValue(name, re, repl)) if target(n, name) => {
                let mut nv = Vec::with_capacity(v.len());
                for (k, part) in v.split(|&c| c == b',').enumerate() {
                    if k > 0 {
                        nv.push(b',');
                    }
                    let lead = part.len() - part.trim_ascii_start().len();
                    let trail = part.len() - part.trim_ascii_end().len();
                    let trimmed = part.trim_ascii();
                    nv.extend_from_slice(&part[..lead]);
                    match replace_whole(re, repl, trimmed) {
                        Some(r) => nv.extend_from_slice(&r),
                        None => nv.extend_from_slice(trimmed),
                    }
                    if trimmed.len() + lead < part.len() {
                        nv.extend_from_slice(&part[part.len() - trail..]);
                    }
                }
                push_field(out, n, &nv);
            }
            _ => push_field(out, n, v),
        }
    }
    if let Some(HeaderEdit::Set(name, v) | HeaderEdit::Add(name, v)) = edit {
        push_field(out, name.as_bytes(), v);
    }
    out.extend_from_slice(b"\r\n");
}

/// Whether a forwarded field of `fields` is named `name`: an edit of a
/// header the message lacks (`del-header`, `replace-header`...) changes
/// nothing and needs no rewrite.
pub fn has_field(buf: &[u8], fields: &[HeaderField], name: &str) -> bool {
    fields
        .iter()
        .any(|h| !h.dropped && h.name.get(buf).eq_ignore_ascii_case(name.as_bytes()))
}

/// Writes to `out` the head of `buf` (its first `head_len` bytes) with the
/// line `name: value` appended, and returns the field to push for it, when
/// appending cannot
/// change how the head parses: a header the parser does not interpret
/// (not Host, Content-Length, Connection...), a token name, a value without
/// control characters, a head that ends in CRLF CRLF and stays under
/// `max_headers` lines. Every span of the other fields stays valid, so the
/// caller skips parsing the head again. None, and `out` untouched, when
/// the full rewrite is due.
pub fn append_field(
    out: &mut Vec<u8>,
    buf: &[u8],
    head_len: usize,
    fields: &[HeaderField],
    max_headers: usize,
    name: &str,
    value: &[u8],
) -> Option<HeaderField> {
    let n = name.as_bytes();
    let plain = HeaderKind::classify(n) == HeaderKind::Other
        && !n.is_empty()
        && n.iter()
            .all(|&c| c.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&c))
        && value
            .iter()
            .all(|&c| c == b'\t' || (c >= 0x20 && c != 0x7f));
    // The parser keeps one slot of `maxhdr` for the end of the head.
    if !plain || fields.len() + 2 > max_headers || !buf.get(..head_len)?.ends_with(b"\r\n\r\n") {
        return None;
    }
    let at = head_len - 2;
    out.reserve(head_len + n.len() + value.len() + 4);
    out.extend_from_slice(&buf[..at]);
    push_field(out, n, value);
    out.extend_from_slice(b"\r\n");
    let vs = at + n.len() + 2;
    let lead = value
        .iter()
        .take_while(|&&c| c == b' ' || c == b'\t')
        .count();
    let trail = value[lead..]
        .iter()
        .rev()
        .take_while(|&&c| c == b' ' || c == b'\t')
        .count();
    let field = HeaderField {
        name: Span::new(at, at + n.len()),
        value: Span::new(vs + lead, vs + value.len() - trail),
        kind: HeaderKind::Other,
        folded: false,
        dropped: false,
    };
    Some(field)
}

/// A new request head: `method`/`target` replace the request line's when
/// given, `edit` changes the headers.
pub fn request_head(
    out: &mut Vec<u8>,
    buf: &[u8],
    head: &RequestHead,
    method: Option<&[u8]>,
    target: Option<&[u8]>,
    edit: Option<HeaderEdit<'_>>,
) {
    out.extend_from_slice(method.unwrap_or(head.method_raw.get(buf)));
    out.push(b' ');
    out.extend_from_slice(target.unwrap_or(head.target.get(buf)));
    out.push(b' ');
    out.extend_from_slice(head.version.as_bytes());
    out.extend_from_slice(b"\r\n");
    write_fields(out, buf, &head.headers, edit);
}

/// A new response head with `status`/`reason` and `edit` applied.
pub fn response_head(
    out: &mut Vec<u8>,
    buf: &[u8],
    head: &ResponseHead,
    status: Option<(u16, &[u8])>,
    edit: Option<HeaderEdit<'_>>,
) {
    out.extend_from_slice(head.version.as_bytes());
    out.push(b' ');
    match status {
        Some((s, reason)) => {
            out.extend_from_slice(s.to_string().as_bytes());
            out.push(b' ');
            out.extend_from_slice(reason);
        }
        None => {
            out.extend_from_slice(head.status.to_string().as_bytes());
            out.push(b' ');
            out.extend_from_slice(head.reason.get(buf));
        }
    }
    out.extend_from_slice(b"\r\n");
    write_fields(out, buf, &head.headers, edit);
}

/// The parts of a request target: (scheme://authority, path, `?query`).
pub fn split_target(t: &[u8]) -> (&[u8], &[u8], &[u8]) {
    let auth_end = if t.first() == Some(&b'/') {
        0
    } else {
        match memchr::memmem::find(t, b"://") {
            Some(i) => {
                let rest = i + 3;
                memchr::memchr(b'/', &t[rest..]).map_or(t.len(), |j| rest + j)
            }
            None => 0,
        }
    };
    let q = memchr::memchr(b'?', &t[auth_end..]).map_or(t.len(), |j| auth_end + j);
    (&t[..auth_end], &t[auth_end..q], &t[q..])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(raw: &[u8]) -> RequestHead {
        crate::h1::parse_request(raw, &crate::h1::ParseOptions::default())
            .unwrap()
            .unwrap()
    }

    #[test]
    fn header_edits() {
        let raw = b"GET /a?b HTTP/1.1\r\nHost: h\r\nX-A: 1\r\nx-a: 2\r\nAccept: a, bb ,c\r\n\r\n";
        let head = parse(raw);
        let mut out = Vec::new();
        request_head(
            &mut out,
            raw,
            &head,
            None,
            None,
            Some(HeaderEdit::Set("X-A", b"3")),
        );
        assert_eq!(
            out,
            b"GET /a?b HTTP/1.1\r\nHost: h\r\nAccept: a, bb ,c\r\nX-A: 3\r\n\r\n"
        );
        out.clear();
        let re = Regex::new("^b(.*)$").unwrap();
        request_head(
            &mut out,
            raw,
            &head,
            None,
            None,
            Some(HeaderEdit::ReplaceValue("accept", &re, b"X\\1")),
        );
        assert!(memchr::memmem::find(&out, b"Accept: a, Xb ,c\r\n").is_some());
        out.clear();
        request_head(
            &mut out,
            raw,
            &head,
            Some(b"POST"),
            Some(b"/z"),
            Some(HeaderEdit::Del("x-a")),
        );
        assert_eq!(
            out,
            b"POST /z HTTP/1.1\r\nHost: h\r\nAccept: a, bb ,c\r\n\r\n"
        );
    }

    #[test]
    fn appended_field_parses_as_written() {
        let raw = b"\r\nGET /a HTTP/1.1\r\nHost: h\r\nX-A:  1 \r\n\r\nbody";
        let head = parse(raw);
        let mut new = Vec::new();
        let field = append_field(
            &mut new,
            raw,
            head.head_len,
            &head.headers,
            101,
            "X-Site",
            b" be 1\t",
        )
        .unwrap();
        let mut fields = head.headers.clone();
        fields.push(field);
        let again = parse(&new);
        assert_eq!(again.head_len, new.len());
        assert_eq!(again.headers.len(), fields.len());
        for (a, b) in again.headers.iter().zip(&fields) {
            assert_eq!(a.name.get(&new), b.name.get(&new));
            assert_eq!(a.value.get(&new), b.value.get(&new));
            assert_eq!(a.kind, b.kind);
        }
        assert_eq!(field.value.get(&new), b"be 1");
        assert!(has_field(&new, &fields, "x-site"));
        assert!(!has_field(&new, &fields, "x-debug"));
        // Headers the parser interprets, bad names or values, and a full
        // header table take the full rewrite.
        let len = head.head_len;
        let mut out = Vec::new();
        assert!(append_field(
            &mut out,
            raw,
            len,
            &head.headers,
            101,
            "Content-Length",
            b"1"
        )
        .is_none());
        assert!(append_field(&mut out, raw, len, &head.headers, 101, "X B", b"1").is_none());
        assert!(
            append_field(&mut out, raw, len, &head.headers, 101, "X-B", b"a\r\nb: c").is_none()
        );
        assert!(append_field(&mut out, raw, len, &head.headers, 3, "X-B", b"1").is_none());
        assert!(out.is_empty());
    }

    #[test]
    fn targets_split() {
        assert_eq!(
            split_target(b"http://h:1/p/q?x=1"),
            (&b"http://h:1"[..], &b"/p/q"[..], &b"?x=1"[..])
        );
        assert_eq!(split_target(b"/p"), (&b""[..], &b"/p"[..], &b""[..]));
        assert_eq!(
            split_target(b"http://h"),
            (&b"http://h"[..], &b""[..], &b""[..])
        );
    }
}
