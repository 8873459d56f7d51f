//! Response head parsing: status line, framing per request method and
//! status, Connection tokens, 1xx interim and 101 tunnel responses.

use super::error::H1Error;
use super::request::parse_version;
use super::scan::{line_at, merge_content_length, scan_headers, TransferCoding};
use super::types::{
    BodyFraming, ConnTokens, HeaderField, HeaderKind, Method, ParseOptions, Span, Version,
};

/// A parsed response head, indexed into the parser's buffer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResponseHead {
    pub head_len: usize,
    pub version: Version,
    pub status: u16,
    /// Possibly empty (`HTTP/1.1 200\r\n` is forwarded as `HTTP/1.1 200 \r\n`).
    pub reason: Span,
    pub headers: Vec<HeaderField>,
    pub framing: BodyFraming,
    pub conn: ConnTokens,
    /// The server keeps its side open after this response.
    pub server_keep_alive: bool,
}

impl ResponseHead {
    fn empty() -> Self {
        ResponseHead {
            head_len: 0,
            version: Version::Http11,
            status: 0,
            reason: Span::default(),
            headers: Vec::new(),
            framing: BodyFraming::None,
            conn: ConnTokens::default(),
            server_keep_alive: true,
        }
    }

    /// 1xx other than 101: forwarded, then the real response follows.
    pub fn is_interim(&self) -> bool {
        (100..200).contains(&self.status) && self.status != 101
    }
}

impl Default for ResponseHead {
    fn default() -> Self {
        Self::empty()
    }
}

fn bad(reason: &'static str) -> H1Error {
    H1Error::BadResponse(reason)
}

/// Parse a response head; `request_method` decides HEAD and CONNECT framing.
/// For a 1xx interim response, forward `head_len` bytes and parse again.
pub fn parse_response(
    buf: &[u8],
    request_method: Method,
    opts: &ParseOptions,
) -> Result<Option<ResponseHead>, H1Error> {
    let mut head = ResponseHead::empty();
    Ok(parse_response_into(buf, request_method, opts, &mut head)?.then_some(head))
}

/// As [`parse_response`], reusing `head`'s header Vec.
pub fn parse_response_into(
    buf: &[u8],
    request_method: Method,
    opts: &ParseOptions,
    head: &mut ResponseHead,
) -> Result<bool, H1Error> {
    let mut headers = std::mem::take(&mut head.headers);
    headers.clear();
    // Room for a typical head at once, instead of growing 4 -> 8 -> 16.
    headers.reserve(16);
    *head = ResponseHead::empty();
    let r = parse_inner(buf, request_method, opts, head, &mut headers);
    head.headers = headers;
    r
}

fn parse_inner(
    buf: &[u8],
    method: Method,
    opts: &ParseOptions,
    head: &mut ResponseHead,
    headers: &mut Vec<HeaderField>,
) -> Result<bool, H1Error> {
    let mut pos = 0;
    let line = loop {
        match line_at(buf, pos) {
            None if buf.len() >= opts.max_head => return Err(bad("response head too large")),
            None => return Ok(false),
            Some(l) if l.start == l.end => pos = l.next,
            Some(l) => break l,
        }
    };
    let l = &buf[line.start..line.end];
    // "HTTP/1.1 200 OK": version, one space, three digits, then an optional reason.
    if l.len() < 12 || l[8] != b' ' {
        return Err(bad("invalid status line"));
    }
    head.version = parse_version(&l[..8]).ok_or(bad("invalid version"))?;
    let code = &l[9..12];
    if !code.iter().all(u8::is_ascii_digit) || code[0] == b'0' || (l.len() > 12 && l[12] != b' ') {
        return Err(bad("invalid status code"));
    }
    head.status = code.iter().fold(0u16, |n, &d| n * 10 + u16::from(d - b'0'));
    let reason_start = (line.start + 13).min(line.end);
    head.reason = Span::new(reason_start, line.end);

    let too_large = bad("response head too large");
    let Some(end) = scan_headers(buf, line.next, opts, headers, bad, too_large)? else {
        return Ok(false);
    };
    head.head_len = end;

    let mut te = TransferCoding::default();
    let mut cl: Option<u64> = None;
    for h in headers.iter_mut() {
        let v = h.value.get(buf);
        match h.kind {
            HeaderKind::ContentLength => merge_content_length(&mut cl, buf, h, bad)?,
            HeaderKind::TransferEncoding => {
                te.add(v, false)
                    .map_err(|()| bad("invalid transfer-encoding"))?;
            }
            HeaderKind::Connection => head.conn.add(v),
            _ => {}
        }
    }
    // HAProxy refuses any response coding but chunked (502, captured).
    if te.other {
        return Err(bad("unknown transfer-encoding"));
    }
    if te.present {
        for h in headers
            .iter_mut()
            .filter(|h| h.kind == HeaderKind::ContentLength)
        {
            h.dropped = true;
        }
    }
    let status = head.status;
    let bodyless = status < 200 || status == 204 || status == 304 || method == Method::Head;
    if status < 200 || status == 204 {
        // Never forwarded on such statuses (mux_h1 output skips them).
        for h in headers.iter_mut().filter(|h| {
            matches!(
                h.kind,
                HeaderKind::ContentLength | HeaderKind::TransferEncoding
            )
        }) {
            h.dropped = true;
        }
    }
    head.framing = if status == 101 || (method == Method::Connect && (200..300).contains(&status)) {
        BodyFraming::Tunnel
    } else if bodyless {
        BodyFraming::None
    } else if te.present {
        BodyFraming::Chunked
    } else if let Some(n) = cl {
        BodyFraming::ContentLength(n)
    } else {
        BodyFraming::UntilClose
    };
    head.server_keep_alive = head.framing != BodyFraming::UntilClose
        && !head.conn.close
        && (head.version == Version::Http11 || head.conn.keep_alive);
    Ok(true)
}
