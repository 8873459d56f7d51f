//! Responses lbd produces itself: canned errors (or their `errorfile`
//! replacements), `http-request return`, and `monitor-uri`.

use crate::config::model::{Proxy, ReturnBody, ReturnSpec};
use crate::h1::{self, ErrorLayer};
use std::borrow::Cow;

/// The bytes of an error response for `status` as seen by `proxies` (the
/// backend first, then the frontend: the first errorfile found wins).
pub fn error_bytes(status: u16, layer: ErrorLayer, proxies: &[&Proxy]) -> Cow<'static, [u8]> {
    for p in proxies {
        if let Some(f) = p.errorfiles.get(&status) {
            return Cow::Owned(normalize_errorfile(&f.contents));
        }
    }
    h1::error_response(status, layer)
}

/// HAProxy 2.6 does not send an errorfile raw: it parses it as a response
/// and emits it again like any other (names lower-cased, `Connection`
/// consumed), so the client connection can stay open. A file that does not
/// parse is sent as is.
pub fn normalize_errorfile(raw: &[u8]) -> Vec<u8> {
    let opts = h1::ParseOptions {
        max_head: raw.len().max(1024),
        max_headers: 101,
        accept_invalid: true,
        accept_payload_with_any_method: true,
    };
    match h1::parse_response(raw, h1::Method::Get, &opts) {
        Ok(Some(head)) => {
            let mut out = Vec::with_capacity(raw.len());
            h1::write_response_head(&mut out, raw, &head, None, &h1::HeaderEdits::default());
            out.extend_from_slice(&raw[head.head_len..]);
            out
        }
        _ => raw.to_vec(),
    }
}

/// Adds the `connection` header HAProxy's H1 mux puts on a generated
/// response: `close` when the connection ends after it (HTTP/1.1 clients),
/// `keep-alive` for an HTTP/1.0 client kept alive. Responses that already
/// carry a connection header (the H1-layer 400/408) are left alone.
pub fn with_connection(bytes: &[u8], close: bool, http10: bool) -> Cow<'_, [u8]> {
    let value: &[u8] = match (close, http10) {
        (true, false) => b"close",
        (false, true) => b"keep-alive",
        _ => return Cow::Borrowed(bytes),
    };
    let Some(end) = memchr::memmem::find(bytes, b"\r\n\r\n") else {
        return Cow::Borrowed(bytes);
    };
    let head = &bytes[..end];
    let has_conn = head
        .split(|&b| b == b'\n')
        .any(|l| l.len() > 11 && l[..11].eq_ignore_ascii_case(b"connection:"));
    if has_conn {
        return Cow::Borrowed(bytes);
    }
    let mut out = Vec::with_capacity(bytes.len() + 24);
    out.extend_from_slice(&bytes[..end + 2]);
    out.extend_from_slice(b"connection: ");
    out.extend_from_slice(value);
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(&bytes[end + 2..]);
    Cow::Owned(out)
}

/// The reason phrase HAProxy uses for a status in generated responses.
pub fn reason(status: u16) -> &'static str {
    match status {
        100 => "Continue",
        101 => "Switching Protocols",
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        204 => "No Content",
        206 => "Partial Content",
        301 => "Moved Permanently",
        302 => "Found",
        303 => "See Other",
        304 => "Not Modified",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        407 => "Proxy Authentication Required",
        408 => "Request Timeout",
        409 => "Conflict",
        410 => "Gone",
        413 => "Payload Too Large",
        414 => "URI Too Long",
        421 => "Misdirected Request",
        425 => "Too Early",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Other",
    }
}

/// `http-request return`, byte-compatible with HAProxy 2.6: status line, the
/// `hdr` lines, then content-length and content-type.
pub fn return_bytes(spec: &ReturnSpec, proxies: &[&Proxy]) -> Vec<u8> {
    let body: Cow<'_, [u8]> = match &spec.body {
        ReturnBody::RawResponse(raw) => return normalize_errorfile(raw),
        ReturnBody::DefaultErrorfile => {
            return error_bytes(spec.status, ErrorLayer::Http, proxies).into_owned()
        }
        ReturnBody::Empty => Cow::Borrowed(&[]),
        ReturnBody::Bytes(b) => Cow::Borrowed(b.as_slice()),
        // Rendered by the caller; unrendered it is the format's text.
        ReturnBody::Format(f) => Cow::Borrowed(f.as_bytes()),
    };
    let mut out = Vec::with_capacity(128 + body.len());
    out.extend_from_slice(b"HTTP/1.1 ");
    out.extend_from_slice(spec.status.to_string().as_bytes());
    out.push(b' ');
    out.extend_from_slice(reason(spec.status).as_bytes());
    out.extend_from_slice(b"\r\n");
    for (n, v) in &spec.headers {
        out.extend_from_slice(n.to_ascii_lowercase().as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(v.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"content-length: ");
    out.extend_from_slice(body.len().to_string().as_bytes());
    out.extend_from_slice(b"\r\n");
    if let Some(ct) = &spec.content_type {
        if !body.is_empty() {
            out.extend_from_slice(b"content-type: ");
            out.extend_from_slice(ct.as_bytes());
            out.extend_from_slice(b"\r\n");
        }
    }
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(&body);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connection_header_is_added_only_where_haproxy_adds_it() {
        let r = b"HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\n\r\n";
        assert_eq!(
            &*with_connection(r, true, false),
            b"HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
        );
        assert_eq!(&*with_connection(r, false, false), r);
        assert_eq!(&*with_connection(r, true, true), r);
        let canned = b"HTTP/1.1 400 Bad request\r\nConnection: close\r\n\r\n";
        assert_eq!(&*with_connection(canned, true, false), canned);
    }

    #[test]
    fn return_matches_haproxy_capture() {
        // Captured from HAProxy 2.6.12: `http-request return status 200
        // content-type text/plain string "hello" hdr x-a b`.
        let spec = ReturnSpec {
            status: 200,
            content_type: Some("text/plain".into()),
            body: ReturnBody::Bytes(b"hello".to_vec()),
            headers: vec![("x-a".into(), "b".into())],
        };
        assert_eq!(
            return_bytes(&spec, &[]),
            b"HTTP/1.1 200 OK\r\nx-a: b\r\ncontent-length: 5\r\ncontent-type: text/plain\r\n\r\nhello"
        );
        let empty = ReturnSpec {
            status: 404,
            content_type: None,
            body: ReturnBody::Empty,
            headers: vec![],
        };
        assert_eq!(
            return_bytes(&empty, &[]),
            b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n"
        );
    }
}
