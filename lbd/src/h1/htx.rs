//! How many bytes HAProxy 2.6 counts for a message: not the bytes on the
//! wire but the size of its internal HTX form, which is what `%U`, `%B`
//! and the byte counters report. Measured on 2.6.12 with `log-format
//! "%U %B"` (requests and responses, proxied and generated): a start line
//! is a 20-byte descriptor plus its three words without separators, each
//! header its name plus its value (no `: `, no CRLF), the end of the head
//! one byte, a body its payload bytes only (no chunk sizes or CRLFs), and a
//! chunked message's end one byte plus its trailers' names and values. The
//! `connection` header is not kept in HTX, so it counts nothing. Bodies are
//! counted by [`super::BodyDecoder::htx_bytes`].

use super::{HeaderField, HeaderKind, RequestHead, ResponseHead};

/// 2.6's `struct htx_sl` before its strings.
const START_LINE: u64 = 20;
/// The end-of-headers (and end-of-trailers) block.
const END: u64 = 1;

fn fields(headers: &[HeaderField]) -> u64 {
    headers
        .iter()
        .filter(|f| !f.dropped && f.kind != HeaderKind::Connection)
        .map(|f| (f.name.len() + f.value.len()) as u64)
        .sum()
}

/// A request head's size, as parsed from the client (before any rule).
pub fn request_head(head: &RequestHead) -> u64 {
    START_LINE
        + (head.method_raw.len() + head.target.len()) as u64
        + head.version.as_bytes().len() as u64
        + fields(&head.headers)
        + END
}

/// A response head's size, as received from the server or generated.
pub fn response_head(head: &ResponseHead) -> u64 {
    // The status is three digits.
    START_LINE
        + head.version.as_bytes().len() as u64
        + 3
        + head.reason.len() as u64
        + fields(&head.headers)
        + END
}

/// A whole response lbd generated (`return`, `deny`, a canned error, a
/// redirect): its head by [`response_head`], its body bytes as they are.
/// Bytes that do not parse count as they are.
pub fn generated_response(bytes: &[u8]) -> u64 {
    let opts = super::ParseOptions {
        max_head: bytes.len() + 1,
        max_headers: 1000,
        accept_invalid: true,
        accept_payload_with_any_method: true,
    };
    match super::parse_response(bytes, super::Method::Get, &opts) {
        Ok(Some(h)) => response_head(&h) + (bytes.len() - h.head_len) as u64,
        _ => bytes.len() as u64,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::h1::{
        parse_request, parse_response, BodyDecoder, BodyFraming, Method, ParseOptions,
    };

    fn opts() -> ParseOptions {
        ParseOptions {
            max_head: 16384,
            max_headers: 100,
            accept_invalid: false,
            accept_payload_with_any_method: false,
        }
    }

    fn req(raw: &[u8]) -> u64 {
        match parse_request(raw, &opts()) {
            Ok(Some(h)) => request_head(&h),
            other => panic!("{other:?}"),
        }
    }

    /// Each figure is what HAProxy 2.6.12 logged as `%U` for these bytes
    /// (minus the body, counted apart).
    #[test]
    fn request_sizes_match_haproxy() {
        assert_eq!(req(b"GET /a HTTP/1.1\r\nhost: h\r\n\r\n"), 39);
        assert_eq!(
            req(b"GET /a HTTP/1.1\r\nhost: h\r\nconnection: close\r\n\r\n"),
            39
        );
        assert_eq!(req(b"GET /a HTTP/1.0\r\nhost: h\r\n\r\n"), 39);
        assert_eq!(
            req(b"GET /a HTTP/1.1\r\nhost: h\r\nproxy-connection: close\r\n\r\n"),
            60
        );
        assert_eq!(req(b"GET /a HTTP/1.1\r\nhost: h\r\nx: \r\n\r\n"), 40);
        assert_eq!(
            req(b"POST /a HTTP/1.1\r\nhost: h\r\ncontent-length: 5\r\n\r\n") + 5,
            60
        );
        let chunked = req(b"POST /a HTTP/1.1\r\nhost: h\r\ntransfer-encoding: chunked\r\n\r\n");
        let body = |wire: &[u8]| {
            let mut d = BodyDecoder::new(BodyFraming::Chunked);
            match d.advance(wire) {
                Ok(p) if p.done && p.consumed == wire.len() => d.htx_bytes(),
                other => panic!("{other:?}"),
            }
        };
        assert_eq!(chunked + body(b"0\r\n\r\n"), 65);
        assert_eq!(chunked + body(b"1\r\nx\r\n2\r\nyy\r\n0\r\n\r\n"), 68);
        assert_eq!(chunked + body(b"1\r\nx\r\n0\r\nt: v\r\n\r\n"), 68);
    }

    #[test]
    fn response_sizes_match_haproxy() {
        let raw = b"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 64\r\nconnection: keep-alive\r\n\r\n";
        match parse_response(raw, Method::Get, &opts()) {
            // 136 with its 64-byte body.
            Ok(Some(h)) => assert_eq!(response_head(&h) + 64, 136),
            other => panic!("{other:?}"),
        }
        // `http-request return status 200 content-type text/plain string ok`: 73
        // (lbd adds `connection: close` on the wire, which HTX has not).
        let raw = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\ncontent-type: text/plain\r\nconnection: close\r\n\r\nok";
        assert_eq!(generated_response(raw), 73);
        // `return status 404` (no body): 56; 2.6's 503 page: 217.
        assert_eq!(
            generated_response(b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n"),
            56
        );
        let page = crate::h1::error_response(503, crate::h1::ErrorLayer::Http);
        assert_eq!(generated_response(&page), 217);
    }
}
