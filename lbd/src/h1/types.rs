//! Plain values shared by the H1 parsers and writers.

/// A byte range into the buffer a head was parsed from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Self {
        Span { start, end }
    }
    /// The bytes of this span in `buf` (empty if out of range, never panics).
    pub fn get<'a>(&self, buf: &'a [u8]) -> &'a [u8] {
        buf.get(self.start..self.end).unwrap_or(&[])
    }
    pub fn len(&self) -> usize {
        self.end.saturating_sub(self.start)
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// HTTP/1 version. Anything `HTTP/d.d` at or above 1.1 counts as 1.1 and is
/// forwarded as `HTTP/1.1` (captured: `HTTP/2.0`, `HTTP/1.9`); below, 1.0.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    Http10,
    Http11,
}

impl Version {
    pub fn as_bytes(self) -> &'static [u8] {
        match self {
            Version::Http10 => b"HTTP/1.0",
            Version::Http11 => b"HTTP/1.1",
        }
    }
}

/// Request methods HAProxy knows by name; anything else is `Other` and kept raw.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Head,
    Post,
    Put,
    Delete,
    Options,
    Trace,
    Connect,
    Other,
}

impl Method {
    /// Case-sensitive, as HAProxy's `find_http_meth` (`get` is a custom method).
    pub fn from_bytes(m: &[u8]) -> Method {
        match m {
            b"GET" => Method::Get,
            b"HEAD" => Method::Head,
            b"POST" => Method::Post,
            b"PUT" => Method::Put,
            b"DELETE" => Method::Delete,
            b"OPTIONS" => Method::Options,
            b"TRACE" => Method::Trace,
            b"CONNECT" => Method::Connect,
            _ => Method::Other,
        }
    }
}

/// How the body of a message is delimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyFraming {
    /// No body (no CL/TE on a request; HEAD, 1xx, 204, 304 responses).
    None,
    ContentLength(u64),
    Chunked,
    /// A response without length: the body ends when the server closes.
    UntilClose,
    /// 101 Switching Protocols or a 2xx answer to CONNECT: raw bytes both ways.
    Tunnel,
}

/// Tokens found in all `Connection` headers of a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ConnTokens {
    pub close: bool,
    pub keep_alive: bool,
    pub upgrade: bool,
    /// Any other token (a header name to be treated as hop-by-hop by the peer).
    pub others: bool,
}

impl ConnTokens {
    /// Records the tokens of one `Connection` header value.
    pub(crate) fn add(&mut self, v: &[u8]) {
        for (s, e) in tokens(v) {
            let t = &v[s..e];
            if t.eq_ignore_ascii_case(b"close") {
                self.close = true;
            } else if t.eq_ignore_ascii_case(b"keep-alive") {
                self.keep_alive = true;
            } else if t.eq_ignore_ascii_case(b"upgrade") {
                self.upgrade = true;
            } else {
                self.others = true;
            }
        }
    }
}

/// Header names the codec acts on; everything else is `Other`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeaderKind {
    Host,
    ContentLength,
    TransferEncoding,
    Connection,
    Upgrade,
    Expect,
    Te,
    SecWebSocketKey,
    Other,
}

impl HeaderKind {
    pub(crate) fn classify(name: &[u8]) -> HeaderKind {
        // Dispatch on length first: one comparison for most names.
        let is = |s: &str| name.eq_ignore_ascii_case(s.as_bytes());
        match name.len() {
            2 if is("te") => HeaderKind::Te,
            4 if is("host") => HeaderKind::Host,
            6 if is("expect") => HeaderKind::Expect,
            7 if is("upgrade") => HeaderKind::Upgrade,
            10 if is("connection") => HeaderKind::Connection,
            14 if is("content-length") => HeaderKind::ContentLength,
            17 if is("transfer-encoding") => HeaderKind::TransferEncoding,
            17 if is("sec-websocket-key") => HeaderKind::SecWebSocketKey,
            _ => HeaderKind::Other,
        }
    }
}

/// One header line, indexed into the parsed buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HeaderField {
    pub name: Span,
    /// Trimmed value. For `content-length` it is narrowed to the first value
    /// of a merged list (`3, 3` is forwarded as `3`).
    pub value: Span,
    pub kind: HeaderKind,
    /// The value spans obs-fold continuation lines: CR and LF inside it must
    /// be written as spaces (HAProxy unfolds `a\r\n  b` to `a    b`).
    pub folded: bool,
    /// Not forwarded (a CL beside TE, a duplicate identical CL or Host).
    pub dropped: bool,
}

/// Parser limits and tolerances, from the proxy and global configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParseOptions {
    /// `tune.bufsize - tune.maxrewrite`: 16384 - 1024 by default. A head that
    /// is not complete within this many bytes is refused with 400 (captured:
    /// 15000 bytes pass, 15400 get 400).
    pub max_head: usize,
    /// `tune.http.maxhdr` (101): HAProxy accepts `maxhdr - 1` header lines
    /// (captured: 100 pass, 101 get 400).
    pub max_headers: usize,
    /// `option accept-invalid-http-request` / `-response`.
    pub accept_invalid: bool,
    /// Global `h1-accept-payload-with-any-method`.
    pub accept_payload_with_any_method: bool,
}

impl Default for ParseOptions {
    fn default() -> Self {
        ParseOptions {
            max_head: 16384 - 1024,
            max_headers: 101,
            accept_invalid: false,
            accept_payload_with_any_method: false,
        }
    }
}

/// The proxy's HTTP connection mode (spec 4.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum HttpMode {
    /// `option http-keep-alive` (the default).
    #[default]
    KeepAlive,
    /// `option http-server-close`: close the server side after each response.
    ServerClose,
    /// `option httpclose`: close both sides.
    Close,
}

/// RFC 7230 `tchar`.
#[inline]
pub(crate) fn is_tchar(b: u8) -> bool {
    TCHAR[b as usize]
}

/// RFC 9110 token characters, by byte: one load per byte where the
/// `matches!` was a chain of range tests (header names run through it).
static TCHAR: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0usize;
    while b < 256 {
        t[b] = matches!(b as u8,
            b'!' | b'#' | b'$' | b'%' | b'&' | b'\'' | b'*' | b'+' | b'-' | b'.' | b'^' | b'_'
            | b'`' | b'|' | b'~' | b'0'..=b'9' | b'a'..=b'z' | b'A'..=b'Z');
        b += 1;
    }
    t
};

/// Split a comma-separated header value into trimmed, non-empty tokens,
/// yielding (token start, token end) offsets relative to `v`.
pub(crate) fn tokens(v: &[u8]) -> impl Iterator<Item = (usize, usize)> + '_ {
    let mut pos = 0;
    std::iter::from_fn(move || {
        while pos < v.len() {
            let seg_end = memchr::memchr(b',', &v[pos..]).map_or(v.len(), |i| pos + i);
            let (mut s, mut e) = (pos, seg_end);
            pos = seg_end + 1;
            while s < e && matches!(v[s], b' ' | b'\t') {
                s += 1;
            }
            while e > s && matches!(v[e - 1], b' ' | b'\t') {
                e -= 1;
            }
            if s < e {
                return Some((s, e));
            }
        }
        None
    })
}
