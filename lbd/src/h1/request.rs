//! Request head parsing and HAProxy 2.6's request-side checks (spec 11).

use super::error::H1Error;
use super::scan::{line_at, merge_content_length, scan_headers, TransferCoding};
use super::types::{
    is_tchar, tokens, BodyFraming, ConnTokens, HeaderField, HeaderKind, Method, ParseOptions, Span,
    Version,
};

/// A parsed request head. Spans index the buffer given to the parser, which
/// the caller must keep until the head is written out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestHead {
    /// Bytes consumed by the head (leading empty lines included).
    pub head_len: usize,
    pub method: Method,
    pub method_raw: Span,
    pub target: Span,
    /// `:80` / `:443` in an absolute-form target with the scheme's default
    /// port: HAProxy 2.6.12 drops it when forwarding (captured).
    pub target_default_port: Option<Span>,
    pub version: Version,
    pub headers: Vec<HeaderField>,
    pub framing: BodyFraming,
    pub conn: ConnTokens,
    /// The client wants the connection kept after this exchange (HTTP/1.1
    /// without `close`, or HTTP/1.0 with `keep-alive`).
    pub keep_alive: bool,
    /// HAProxy closes the client connection after the response whatever the
    /// mode: Content-Length beside Transfer-Encoding, or TE on HTTP/1.0.
    pub close_after_response: bool,
    /// Value of the (first) Host header.
    pub host: Option<Span>,
    pub expect_continue: bool,
    /// `Connection: upgrade` with `Upgrade: websocket` (and a valid key).
    pub websocket: bool,
}

impl RequestHead {
    fn empty() -> Self {
        RequestHead {
            head_len: 0,
            method: Method::Other,
            method_raw: Span::default(),
            target: Span::default(),
            target_default_port: None,
            version: Version::Http11,
            headers: Vec::new(),
            framing: BodyFraming::None,
            conn: ConnTokens::default(),
            keep_alive: true,
            close_after_response: false,
            host: None,
            expect_continue: false,
            websocket: false,
        }
    }

    pub fn has_host(&self) -> bool {
        self.host.is_some()
    }

    /// True when the client connection must close once the response is sent.
    pub fn wants_close(&self) -> bool {
        !self.keep_alive || self.close_after_response
    }
}

impl Default for RequestHead {
    fn default() -> Self {
        Self::empty()
    }
}

fn bad(reason: &'static str) -> H1Error {
    H1Error::BadRequest(reason)
}

/// Parse a request head from the start of `buf`. Ok(None) means incomplete.
pub fn parse_request(buf: &[u8], opts: &ParseOptions) -> Result<Option<RequestHead>, H1Error> {
    let mut head = RequestHead::empty();
    Ok(parse_request_into(buf, opts, &mut head)?.then_some(head))
}

/// As [`parse_request`], reusing `head` (and its header Vec) across requests
/// on a connection. Returns Ok(false) when the head is incomplete.
pub fn parse_request_into(
    buf: &[u8],
    opts: &ParseOptions,
    head: &mut RequestHead,
) -> Result<bool, H1Error> {
    let mut headers = std::mem::take(&mut head.headers);
    headers.clear();
    // Room for a typical head at once, instead of growing 4 -> 8 -> 16.
    headers.reserve(16);
    *head = RequestHead::empty();
    let r = parse_inner(buf, opts, head, &mut headers);
    head.headers = headers;
    r
}

fn parse_inner(
    buf: &[u8],
    opts: &ParseOptions,
    head: &mut RequestHead,
    headers: &mut Vec<HeaderField>,
) -> Result<bool, H1Error> {
    // Empty lines before the request line are skipped (captured).
    let mut pos = 0;
    let line = loop {
        match line_at(buf, pos) {
            None => {
                if buf.len() >= opts.max_head {
                    return Err(H1Error::HeadTooLarge);
                }
                return Ok(false);
            }
            Some(l) if l.start == l.end => pos = l.next,
            Some(l) => break l,
        }
    };
    parse_request_line(buf, line.start, line.end, opts, head)?;
    let Some(end) = scan_headers(buf, line.next, opts, headers, bad, H1Error::HeadTooLarge)? else {
        return Ok(false);
    };
    head.head_len = end;
    analyse_headers(buf, opts, head, headers)?;
    Ok(true)
}

fn parse_request_line(
    buf: &[u8],
    start: usize,
    end: usize,
    opts: &ParseOptions,
    head: &mut RequestHead,
) -> Result<(), H1Error> {
    let l = &buf[start..end];
    let m_end = memchr::memchr(b' ', l).ok_or(bad("request line without target"))?;
    if m_end == 0 || !l[..m_end].iter().all(|&b| is_tchar(b)) {
        return Err(bad("invalid method"));
    }
    // Extra spaces between the parts are tolerated and collapsed (captured).
    let mut t_start = m_end;
    while t_start < l.len() && l[t_start] == b' ' {
        t_start += 1;
    }
    let t_end = memchr::memchr(b' ', &l[t_start..]).ok_or(bad("HTTP/0.9 request"))? + t_start;
    if t_end == t_start {
        return Err(bad("empty target"));
    }
    check_target(&l[t_start..t_end], opts)?;
    let mut v_start = t_end;
    while v_start < l.len() && l[v_start] == b' ' {
        v_start += 1;
    }
    head.version = parse_version(&l[v_start..]).ok_or(bad("invalid version"))?;
    head.method_raw = Span::new(start, start + m_end);
    head.method = Method::from_bytes(&l[..m_end]);
    head.target = Span::new(start + t_start, start + t_end);
    Ok(())
}

fn check_target(t: &[u8], opts: &ParseOptions) -> Result<(), H1Error> {
    // Printable ASCII throughout, the usual case, in one pass the compiler
    // can widen.
    if t.iter().all(|&b| (0x21..0x7f).contains(&b)) {
        return Ok(());
    }
    for &b in t {
        if b <= 0x20 || b == 0x7f || (b >= 0x80 && !opts.accept_invalid) {
            return Err(bad("invalid character in target"));
        }
    }
    Ok(())
}

/// Writes a request head from fields another protocol already parsed (an
/// h2 request), recording where each part lands, so the head comes out as
/// [`parse_request`] of the written bytes would give it without scanning
/// them again. The checks that follow the scan (framing, Host, authority)
/// are the parser's own.
pub struct HeadBuilder<'a> {
    out: &'a mut bytes::BytesMut,
    base: usize,
    head: RequestHead,
    opts: &'a ParseOptions,
    /// The first error, as the parser would meet it.
    error: Option<H1Error>,
}

impl<'a> HeadBuilder<'a> {
    /// Starts with the request line `method target version`; `target` is
    /// written as its parts in order (`scheme`, `://`, ...) in one span.
    pub fn new(
        out: &'a mut bytes::BytesMut,
        opts: &'a ParseOptions,
        method: &[u8],
        target: &[&[u8]],
        version: &[u8],
    ) -> Self {
        let base = out.len();
        let mut head = RequestHead::empty();
        head.headers.reserve(16);
        let mut error = None;
        out.extend_from_slice(method);
        head.method_raw = Span::new(0, method.len());
        head.method = Method::from_bytes(method);
        if method.is_empty() || !method.iter().all(|&b| is_tchar(b)) {
            error = Some(bad("invalid method"));
        }
        out.extend_from_slice(b" ");
        let t_start = out.len() - base;
        for part in target {
            out.extend_from_slice(part);
        }
        let t_end = out.len() - base;
        head.target = Span::new(t_start, t_end);
        if error.is_none() {
            let t = &out[base + t_start..base + t_end];
            if t.is_empty() {
                error = Some(bad("empty target"));
            } else if let Err(e) = check_target(t, opts) {
                error = Some(e);
            }
        }
        out.extend_from_slice(b" ");
        out.extend_from_slice(version);
        out.extend_from_slice(b"\r\n");
        match parse_version(version) {
            Some(v) => head.version = v,
            None => {
                error.get_or_insert(bad("invalid version"));
            }
        }
        HeadBuilder {
            out,
            base,
            head,
            opts,
            error,
        }
    }

    /// Adds a header line whose value is `value`'s parts joined; the name
    /// must be a valid token and the value free of CR, LF and NUL (as h2
    /// and h3 field names and values are).
    pub fn header(&mut self, name: &[u8], value: &[&[u8]]) {
        let n_start = self.out.len() - self.base;
        self.out.extend_from_slice(name);
        self.out.extend_from_slice(b": ");
        let v_start = self.out.len() - self.base;
        for part in value {
            self.out.extend_from_slice(part);
        }
        let v_end = self.out.len() - self.base;
        self.out.extend_from_slice(b"\r\n");
        if self.error.is_some() {
            return;
        }
        if name.is_empty() || (!self.opts.accept_invalid && !name.iter().all(|&b| is_tchar(b))) {
            self.error = Some(bad("invalid character in header name"));
            return;
        }
        // HAProxy keeps one slot of tune.http.maxhdr for the end of headers.
        if self.head.headers.len() >= self.opts.max_headers.saturating_sub(1) {
            self.error = Some(H1Error::HeadTooLarge);
            return;
        }
        let buf = &self.out[self.base..];
        let (mut s, mut e) = (v_start, v_end);
        while s < e && matches!(buf[s], b' ' | b'\t') {
            s += 1;
        }
        while e > s && matches!(buf[e - 1], b' ' | b'\t') {
            e -= 1;
        }
        self.head.headers.push(HeaderField {
            name: Span::new(n_start, n_start + name.len()),
            value: Span::new(s, e),
            kind: HeaderKind::classify(name),
            folded: false,
            dropped: false,
        });
    }

    /// Ends the head and runs the parser's checks over it: the head, as
    /// [`parse_request`] would return it, or the error it would give.
    pub fn finish(self) -> Result<RequestHead, H1Error> {
        let HeadBuilder {
            out,
            base,
            mut head,
            opts,
            error,
        } = self;
        out.extend_from_slice(b"\r\n");
        if let Some(e) = error {
            return Err(e);
        }
        head.head_len = out.len() - base;
        if head.head_len > opts.max_head {
            return Err(H1Error::HeadTooLarge);
        }
        let mut headers = std::mem::take(&mut head.headers);
        analyse_headers(&out[base..], opts, &mut head, &mut headers)?;
        head.headers = headers;
        Ok(head)
    }
}

/// `HTTP/d.d`, upper-case, nothing after it (a trailing space is a 400).
pub(crate) fn parse_version(v: &[u8]) -> Option<Version> {
    match v {
        [b'H', b'T', b'T', b'P', b'/', maj, b'.', min]
            if maj.is_ascii_digit() && min.is_ascii_digit() =>
        {
            if *maj > b'1' || (*maj == b'1' && *min >= b'1') {
                Some(Version::Http11)
            } else {
                Some(Version::Http10)
            }
        }
        _ => None,
    }
}

fn analyse_headers(
    buf: &[u8],
    opts: &ParseOptions,
    head: &mut RequestHead,
    headers: &mut [HeaderField],
) -> Result<(), H1Error> {
    let mut te = TransferCoding::default();
    let mut cl: Option<u64> = None;
    let mut conn_upgrade_ws = false;
    let mut ws_key = false;
    for field in headers.iter_mut() {
        let h = *field;
        let v = h.value.get(buf);
        match h.kind {
            HeaderKind::Host => match head.host {
                None => head.host = Some(h.value),
                Some(first) if first.get(buf) == v => field.dropped = true,
                Some(_) => return Err(bad("two different Host headers")),
            },
            HeaderKind::ContentLength => merge_content_length(&mut cl, buf, field, bad)?,
            HeaderKind::TransferEncoding => {
                te.add(v, true)
                    .map_err(|()| bad("invalid transfer-encoding"))?;
            }
            HeaderKind::Connection => head.conn.add(v),
            HeaderKind::Upgrade => {
                // As h1_parse_upgrade_header: the last Upgrade header decides.
                conn_upgrade_ws =
                    tokens(v).any(|(s, e)| v[s..e].eq_ignore_ascii_case(b"websocket"));
            }
            HeaderKind::SecWebSocketKey => ws_key |= v.len() == 24,
            HeaderKind::Expect => {
                head.expect_continue |= v.eq_ignore_ascii_case(b"100-continue");
            }
            HeaderKind::Te | HeaderKind::Other => {}
        }
    }

    if te.present {
        // A request must end with chunked; any other coding alone is a 400,
        // one before chunked a 422 (mux_h1.c h1_handle_headers).
        if !te.chunked_last {
            return Err(bad("transfer-encoding without final chunked"));
        }
        if te.other {
            return Err(H1Error::UnknownTransferEncoding);
        }
        head.framing = BodyFraming::Chunked;
        if cl.is_some() {
            // Smuggling defence: CL dropped, body chunked, client closed after.
            for h in headers
                .iter_mut()
                .filter(|h| h.kind == HeaderKind::ContentLength)
            {
                h.dropped = true;
            }
            head.close_after_response = true;
        }
        if head.version == Version::Http10 {
            head.close_after_response = true;
        }
    } else if let Some(n) = cl {
        head.framing = BodyFraming::ContentLength(n);
    }

    let has_payload = match head.framing {
        BodyFraming::ContentLength(n) => n > 0,
        BodyFraming::Chunked => true,
        _ => false,
    };
    if has_payload
        && head.version == Version::Http10
        && !opts.accept_payload_with_any_method
        && matches!(head.method, Method::Get | Method::Head | Method::Delete)
    {
        return Err(H1Error::PayloadForbidden);
    }

    if head.conn.upgrade && conn_upgrade_ws {
        if !ws_key {
            return Err(bad("websocket upgrade without a valid key"));
        }
        head.websocket = true;
    }

    head.keep_alive = !head.conn.close && (head.version == Version::Http11 || head.conn.keep_alive);
    check_authority(buf, head)?;
    Ok(())
}

/// An absolute-form target's authority must match Host (case-insensitively,
/// default ports ignored); the default port is dropped when forwarding.
fn check_authority(buf: &[u8], head: &mut RequestHead) -> Result<(), H1Error> {
    if head.method == Method::Connect {
        return Ok(());
    }
    let t = head.target.get(buf);
    let (scheme_len, default_port): (usize, &[u8]) = if starts_with_ci(t, b"http://") {
        (7, b":80")
    } else if starts_with_ci(t, b"https://") {
        (8, b":443")
    } else {
        return Ok(());
    };
    let rest = &t[scheme_len..];
    let auth_len = rest
        .iter()
        .position(|&b| matches!(b, b'/' | b'?' | b'#'))
        .unwrap_or(rest.len());
    let mut authority = &rest[..auth_len];
    if authority.ends_with(default_port) {
        let a_end = head.target.start + scheme_len + auth_len;
        head.target_default_port = Some(Span::new(a_end - default_port.len(), a_end));
        authority = &authority[..authority.len() - default_port.len()];
    }
    if let Some(h) = head.host {
        let mut host = h.get(buf);
        if host.ends_with(default_port) {
            host = &host[..host.len() - default_port.len()];
        }
        if !authority.is_empty() && !authority.eq_ignore_ascii_case(host) {
            return Err(bad("absolute URI authority differs from Host"));
        }
    }
    Ok(())
}

fn starts_with_ci(s: &[u8], p: &[u8]) -> bool {
    s.len() >= p.len() && s[..p.len()].eq_ignore_ascii_case(p)
}
