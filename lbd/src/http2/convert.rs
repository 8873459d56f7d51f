//! HTTP/2 <-> HTTP/1.1 message translation for the h2 bridge, sans-IO:
//! an h2 request becomes the HTTP/1.1 head lbd's H1 session reads, an
//! HTTP/1.1 response head becomes h2 response headers, and a chunked H1
//! body is cut back into data and trailers.

use crate::h1::{self, HeaderField};
use bytes::{Buf, BufMut, Bytes, BytesMut};
use http::header::{HeaderMap, HeaderName, HeaderValue};

/// How the request body is written into the H1 session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestFraming {
    /// END_STREAM came with the headers.
    Empty,
    /// The client announced `content-length` (h2 checks DATA against it).
    Length,
    /// Unknown length: re-chunked, and trailers become chunked trailers.
    Chunked,
    /// An extended CONNECT (RFC 8441): no body, then the stream's DATA is
    /// the tunnel's bytes once the server switched protocols.
    Tunnel,
}

/// The version token of synthesized request lines. lbd's H1 parser takes
/// any `HTTP/d.d` above 1.1 as 1.1 and sends `HTTP/1.1` to the server, while
/// the log's `%r`, copied from the request line, shows `HTTP/2.0` as
/// HAProxy's does.
pub const H2_VERSION: &[u8] = b"HTTP/2.0";

/// Writes the HTTP/1.1 head for an h2 (or h3) request into `out`, the
/// buffer the session reads its head from, and returns the head as the
/// session's parser would make of those bytes (`opts`: its limits), so it
/// need not parse them again.
///
/// `:authority` becomes `host` (a `host` header is dropped then, as RFC 9113
/// says they must agree), several `cookie` headers are joined with `; `, and
/// a body of unknown length is announced as chunked. `version`: the
/// request line's (`HTTP/2.0`, `HTTP/3.0`: what `%r` shows).
pub fn request(
    parts: &http::request::Parts,
    end_stream: bool,
    absolute: bool,
    version: &[u8],
    opts: &h1::ParseOptions,
    out: &mut BytesMut,
) -> (RequestFraming, Result<h1::RequestHead, h1::H1Error>) {
    let connect = parts.method == http::Method::CONNECT;
    // `absolute`: the target is `scheme://authority/path`, as 2.6 carries
    // an h2 request (what `url` and `%r` show); the H1 session writes its
    // path alone to HTTP/1 servers (h1::HeaderEdits::origin_form).
    let mut prefix: [&[u8]; 3] = [b"", b"", b""];
    if absolute && !connect {
        if let (Some(s), Some(a)) = (parts.uri.scheme_str(), parts.uri.authority()) {
            prefix = [s.as_bytes(), b"://", a.as_str().as_bytes()];
        }
    }
    let target = if connect {
        parts.uri.authority().map(|a| a.as_str()).unwrap_or("/")
    } else {
        parts
            .uri
            .path_and_query()
            .map(|p| p.as_str())
            .filter(|p| !p.is_empty())
            .unwrap_or("/")
    };
    let mut b = h1::HeadBuilder::new(
        out,
        opts,
        parts.method.as_str().as_bytes(),
        &[prefix[0], prefix[1], prefix[2], target.as_bytes()],
        version,
    );
    let authority = parts.uri.authority();
    if let Some(a) = authority {
        b.header(b"host", &[a.as_str().as_bytes()]);
    }
    let mut cookie_done = false;
    let mut has_length = false;
    for (name, value) in &parts.headers {
        if *name == http::header::HOST && authority.is_some() {
            continue;
        }
        if *name == http::header::COOKIE {
            if cookie_done {
                continue;
            }
            cookie_done = true;
            let all = parts.headers.get_all(http::header::COOKIE);
            let n = all.iter().count();
            if n == 1 {
                b.header(b"cookie", &[value.as_bytes()]);
            } else {
                // Rare: joined with `; ` into one value.
                let mut joined = Vec::new();
                for (i, v) in all.iter().enumerate() {
                    if i > 0 {
                        joined.extend_from_slice(b"; ");
                    }
                    joined.extend_from_slice(v.as_bytes());
                }
                b.header(b"cookie", &[&joined]);
            }
            continue;
        }
        if *name == http::header::CONTENT_LENGTH {
            has_length = true;
        }
        b.header(name.as_str().as_bytes(), &[value.as_bytes()]);
    }
    let framing = if end_stream {
        RequestFraming::Empty
    } else if has_length {
        RequestFraming::Length
    } else {
        b.header(b"transfer-encoding", &[b"chunked"]);
        RequestFraming::Chunked
    };
    (framing, b.finish())
}

/// [`request`] for a request lbd's own h2 connection decoded
/// (`super::mux::Request`): the same head, from its flat fields.
pub fn mux_request(
    req: &super::mux::Request,
    absolute: bool,
    version: &[u8],
    opts: &h1::ParseOptions,
    out: &mut BytesMut,
) -> (RequestFraming, Result<h1::RequestHead, h1::H1Error>) {
    const LINE_AND_FRAMING: usize =
        b" HTTP/2.0\r\n".len() + b"transfer-encoding: chunked\r\n\r\n".len() + 16;
    out.reserve(
        req.fields_len() + 4 * 16 + LINE_AND_FRAMING + req.authority().map_or(0, |a| 2 * a.len()),
    );
    // An extended CONNECT goes to HTTP/1 servers as the upgrade it stands
    // for: `GET path` with `connection: upgrade` and `upgrade: <protocol>`
    // (RFC 8441 section 5), as 2.6 converts it.
    let protocol = req.protocol();
    let method = if protocol.is_some() {
        &b"GET"[..]
    } else {
        req.method()
    };
    let connect = method == b"CONNECT";
    let authority = req.authority();
    let mut prefix: [&[u8]; 3] = [b"", b"", b""];
    if absolute && !connect {
        if let (Some(s), Some(a)) = (req.scheme(), authority) {
            prefix = [s, b"://", a];
        }
    }
    let target = if connect {
        authority.unwrap_or(b"/")
    } else {
        req.path().filter(|p| !p.is_empty()).unwrap_or(b"/")
    };
    let mut b = h1::HeadBuilder::new(
        out,
        opts,
        method,
        &[prefix[0], prefix[1], prefix[2], target],
        version,
    );
    if let Some(a) = authority {
        b.header(b"host", &[a]);
    }
    let cookies = req.fields().filter(|(n, _)| *n == b"cookie").count();
    let mut cookie_done = false;
    for (name, value) in req.fields() {
        match name {
            b"host" if authority.is_some() => continue,
            b"cookie" if cookies > 1 => {
                if cookie_done {
                    continue;
                }
                cookie_done = true;
                // Rare: joined with `; ` into one value.
                let mut joined = Vec::new();
                for (i, (_, v)) in req.fields().filter(|(n, _)| *n == b"cookie").enumerate() {
                    if i > 0 {
                        joined.extend_from_slice(b"; ");
                    }
                    joined.extend_from_slice(v);
                }
                b.header(b"cookie", &[&joined]);
                continue;
            }
            _ => {}
        }
        b.header(name, &[value]);
    }
    if let Some(p) = protocol {
        b.header(b"connection", &[b"upgrade"]);
        b.header(b"upgrade", &[p]);
        // An h2 client sends no key (RFC 8441 section 5): an HTTP/1
        // WebSocket server needs one.
        let keyed = req.fields().any(|(n, _)| n == b"sec-websocket-key");
        if p.eq_ignore_ascii_case(b"websocket") && !keyed {
            let nonce = fastrand::u128(..).to_be_bytes();
            let key = crate::sample::conv_more::b64_encode(&nonce, false);
            b.header(b"sec-websocket-key", &[&key]);
        }
    }
    let framing = if req.end_stream {
        RequestFraming::Empty
    } else if protocol.is_some() {
        RequestFraming::Tunnel
    } else if req.content_length.is_some() {
        RequestFraming::Length
    } else {
        b.header(b"transfer-encoding", &[b"chunked"]);
        RequestFraming::Chunked
    };
    let head = b.finish();
    if req.too_large {
        return (framing, Err(h1::H1Error::HeadTooLarge));
    }
    (framing, head)
}

/// The HPACK block of header fields (trailers, or a response's fields).
pub fn hpack_fields(fields: &HeaderMap, out: &mut Vec<u8>) {
    for (name, value) in fields {
        super::hpack::encode_field(out, name.as_str().as_bytes(), value.as_bytes());
    }
}

/// Bytes [`request`] writes for `parts`, or a little more: the room
/// to reserve so the head is written without growing its buffer.
pub fn request_head_len(parts: &http::request::Parts) -> usize {
    const LINE_AND_FRAMING: usize =
        b" HTTP/2.0\r\n".len() + b"transfer-encoding: chunked\r\n\r\n".len();
    let authority = parts.uri.authority().map_or(0, |a| a.as_str().len());
    // CONNECT's target is the authority; `host: ` and CRLF are 8 bytes.
    let target = authority
        + parts.uri.scheme_str().map_or(0, |s| s.len() + 3)
        + parts.uri.path_and_query().map_or(1, |p| p.as_str().len());
    let host = authority + 8;
    let fields: usize = parts
        .headers
        .iter()
        .map(|(n, v)| n.as_str().len() + v.len() + 4)
        .sum();
    parts.method.as_str().len() + target + host + fields + LINE_AND_FRAMING
}

/// The h2 response for the session's response head `head`, read from
/// `buf` (the server's head as the rules left it): the fields the session
/// would write as HTTP/1, less those h2 cannot carry. Each value is its
/// own copy: sharing one copy of the head (as [`response`] shares the
/// pipe's buffer) measured 280 Ir per request more with a few headers (an
/// allocation for the copy, another when `Bytes` is first shared, and a
/// reference count per value).
pub fn response_fields(head: &h1::ResponseHead, buf: &[u8]) -> http::Response<()> {
    let mut resp = http::Response::new(());
    *resp.status_mut() =
        http::StatusCode::from_u16(head.status).unwrap_or(http::StatusCode::BAD_GATEWAY);
    let headers = resp.headers_mut();
    *headers = HeaderMap::with_capacity(head.headers.len());
    for f in head.headers.iter().filter(|f| !f.dropped) {
        let name = f.name.get(buf);
        if hop_by_hop(name) {
            continue;
        }
        let value = f.value.get(buf);
        let value = match f.kind {
            // Only `trailers` survives in TE, as the H1 writer has it.
            h1::HeaderKind::Te if has_trailers(value) => HeaderValue::from_static("trailers"),
            h1::HeaderKind::Te => continue,
            // obs-fold: the H1 writer turns its CR and LF into spaces.
            _ if f.folded => {
                let v: Vec<u8> = value
                    .iter()
                    .map(|&b| if b == b'\r' || b == b'\n' { b' ' } else { b })
                    .collect();
                match HeaderValue::from_bytes(&v) {
                    Ok(v) => v,
                    Err(_) => continue,
                }
            }
            _ => match HeaderValue::from_bytes(value) {
                Ok(v) => v,
                Err(_) => continue,
            },
        };
        let Some(name) = header_name(name, f.kind) else {
            continue;
        };
        headers.append(name, value);
    }
    resp
}

/// The h2 name of a response header. The common names are matched first:
/// `HeaderName::from_bytes` lower-cases and then looks the name up among all
/// of the standard headers, ~270 instructions for each name of a response.
fn header_name(name: &[u8], kind: h1::HeaderKind) -> Option<HeaderName> {
    use http::header as h;
    if kind == h1::HeaderKind::ContentLength {
        return Some(h::CONTENT_LENGTH);
    }
    let is = |s: &str| name.eq_ignore_ascii_case(s.as_bytes());
    let common = match name.len() {
        3 if is("age") => Some(h::AGE),
        4 if is("date") => Some(h::DATE),
        4 if is("etag") => Some(h::ETAG),
        4 if is("vary") => Some(h::VARY),
        6 if is("server") => Some(h::SERVER),
        7 if is("expires") => Some(h::EXPIRES),
        8 if is("location") => Some(h::LOCATION),
        10 if is("set-cookie") => Some(h::SET_COOKIE),
        12 if is("content-type") => Some(h::CONTENT_TYPE),
        13 if is("cache-control") => Some(h::CACHE_CONTROL),
        13 if is("last-modified") => Some(h::LAST_MODIFIED),
        13 if is("accept-ranges") => Some(h::ACCEPT_RANGES),
        16 if is("content-encoding") => Some(h::CONTENT_ENCODING),
        _ => None,
    };
    match common {
        Some(n) => Some(n),
        None => HeaderName::from_bytes(name).ok(),
    }
}

/// HAProxy's `istist(v, "trailers")` followed by "end or comma".
fn has_trailers(v: &[u8]) -> bool {
    memchr::memmem::find(v, b"trailers").is_some_and(|i| v.len() == i + 8 || v[i + 8] == b',')
}

fn header_line(out: &mut impl BufMut, name: &[u8], value: &[u8]) {
    out.put_slice(name);
    out.put_slice(b": ");
    out.put_slice(value);
    out.put_slice(b"\r\n");
}

/// Writes the chunked trailer section ending a re-chunked request body.
pub fn chunked_trailers(trailers: Option<&HeaderMap>, out: &mut impl BufMut) {
    out.put_slice(b"0\r\n");
    for (name, value) in trailers.into_iter().flatten() {
        header_line(out, name.as_str().as_bytes(), value.as_bytes());
    }
    out.put_slice(b"\r\n");
}

/// Headers that mean something only on one HTTP/1 hop: never sent on h2.
fn hop_by_hop(name: &[u8]) -> bool {
    const HOP: &[&[u8]] = &[
        b"connection",
        b"keep-alive",
        b"proxy-connection",
        b"transfer-encoding",
        b"upgrade",
    ];
    HOP.iter().any(|h| name.eq_ignore_ascii_case(h))
}

/// A response head and its body framing, as the h2/h3 bridges send it.
pub(crate) type BridgedHead = (http::Response<()>, h1::BodyFraming);

/// The response head at the front of `buf` when the session wrote one as
/// HTTP/1 bytes (a response lbd generated: an error page, a redirect, a
/// deny), taken out of `buf`; interim 1xx heads are dropped. Ok(None): not
/// all of it yet. Err: the session wrote something unparsable.
pub(crate) fn buffered_response_head(
    buf: &mut BytesMut,
    method: h1::Method,
    opts: &h1::ParseOptions,
) -> Result<Option<BridgedHead>, ()> {
    buffered_head(buf, method, opts, |h, buf| {
        response(h, &buf.split_to(h.head_len).freeze())
    })
}

/// [`buffered_response_head`] as an HPACK block (the h2 frontend).
pub(crate) fn buffered_response_hpack(
    buf: &mut BytesMut,
    method: h1::Method,
    opts: &h1::ParseOptions,
) -> Result<Option<(Vec<u8>, h1::BodyFraming)>, ()> {
    buffered_head(buf, method, opts, |h, buf| {
        let block = hpack_head(h, &buf[..h.head_len]);
        buf.advance(h.head_len);
        block
    })
}

fn buffered_head<T>(
    buf: &mut BytesMut,
    method: h1::Method,
    opts: &h1::ParseOptions,
    take: impl FnOnce(&h1::ResponseHead, &mut BytesMut) -> T,
) -> Result<Option<(T, h1::BodyFraming)>, ()> {
    while !buf.is_empty() {
        match h1::parse_response(buf, method, opts) {
            Ok(Some(h)) if h.is_interim() => {
                buf.advance(h.head_len);
            }
            Ok(Some(h)) => {
                let framing = h.framing;
                return Ok(Some((take(&h, buf), framing)));
            }
            Ok(None) => return Ok(None),
            Err(_) => return Err(()),
        }
    }
    Ok(None)
}

/// What one read of the session's pipe means while a response head is
/// awaited: a forwarded response's head as fields, or more bytes (Ok(None)).
/// Err: the session ended, or sent fields in the middle of an HTTP/1 head.
pub(crate) fn piped_response_head(
    got: crate::stream::mem::Incoming,
    buf: &BytesMut,
) -> Result<Option<BridgedHead>, ()> {
    use crate::stream::mem::HeadFields;
    match piped_head(got, buf)? {
        Some((HeadFields::Fields(r), framing)) => Ok(Some((*r, framing))),
        Some(_) => Err(()),
        None => Ok(None),
    }
}

/// [`piped_response_head`] for a pipe whose heads are HPACK blocks.
pub(crate) fn piped_response_hpack(
    got: crate::stream::mem::Incoming,
    buf: &BytesMut,
) -> Result<Option<(Vec<u8>, h1::BodyFraming)>, ()> {
    use crate::stream::mem::HeadFields;
    match piped_head(got, buf)? {
        Some((HeadFields::Hpack(b), framing)) => Ok(Some((b, framing))),
        Some(_) => Err(()),
        None => Ok(None),
    }
}

fn piped_head(
    got: crate::stream::mem::Incoming,
    buf: &BytesMut,
) -> Result<Option<(crate::stream::mem::HeadFields, h1::BodyFraming)>, ()> {
    use crate::stream::mem::{Head, Incoming};
    match got {
        Incoming::Bytes(0) => Err(()),
        Incoming::Bytes(_) => Ok(None),
        Incoming::Head(_) if !buf.is_empty() => Err(()),
        Incoming::Head(Head { response, framing }) => Ok(Some((response, framing))),
    }
}

/// The HPACK block (see `super::hpack`) of the response head `head` read
/// from `buf`: the same fields as [`response_fields`] gives, encoded
/// straight from the head rather than through a `HeaderMap`.
pub fn hpack_head(head: &h1::ResponseHead, buf: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(16 + head.headers.len() * 32);
    // An upgrade the server accepted is an extended CONNECT's 200 (RFC
    // 8441 section 5); its accept key answers the key lbd made up.
    let switched = head.status == 101;
    let status = if switched {
        200
    } else if (100..=999).contains(&head.status) {
        head.status
    } else {
        502
    };
    super::hpack::encode_status(&mut out, status);
    // Names are lower-cased here, on the stack: HTTP/1 servers mostly
    // capitalise them.
    let mut lower = [0u8; 64];
    let mut long = Vec::new();
    for f in head.headers.iter().filter(|f| !f.dropped) {
        let name = f.name.get(buf);
        if hop_by_hop(name) || (switched && name.eq_ignore_ascii_case(b"sec-websocket-accept")) {
            continue;
        }
        let value = f.value.get(buf);
        let mut unfolded = Vec::new();
        let value: &[u8] = match f.kind {
            // Only `trailers` survives in TE, as the H1 writer has it.
            h1::HeaderKind::Te if has_trailers(value) => b"trailers",
            h1::HeaderKind::Te => continue,
            // obs-fold: the H1 writer turns its CR and LF into spaces.
            _ if f.folded => {
                unfolded.extend(
                    value
                        .iter()
                        .map(|&b| if b == b'\r' || b == b'\n' { b' ' } else { b }),
                );
                &unfolded
            }
            _ => value,
        };
        // What `HeaderValue` refuses, h2 cannot carry either.
        if value.iter().any(|&b| (b < 0x20 && b != b'\t') || b == 0x7f) {
            continue;
        }
        let name: &[u8] = if f.kind == h1::HeaderKind::ContentLength {
            b"content-length"
        } else {
            let dst: &mut [u8] = if name.len() <= lower.len() {
                &mut lower[..name.len()]
            } else {
                long.clear();
                long.resize(name.len(), 0);
                &mut long
            };
            // Lower-cased and checked in one pass: 0 marks a byte no field
            // name may hold.
            let mut ok = !name.is_empty();
            for (d, &b) in dst.iter_mut().zip(name) {
                *d = NAME_BYTE[b as usize];
                ok &= *d != 0;
            }
            if !ok {
                continue;
            }
            dst
        };
        super::hpack::encode_field(&mut out, name, value);
    }
    out
}

/// A field name byte lower-cased, or 0 when it is not a token character
/// (RFC 9110, section 5.6.2).
static NAME_BYTE: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut i = 0;
    while i < 256 {
        let b = (i as u8).to_ascii_lowercase();
        if matches!(b, b'a'..=b'z' | b'0'..=b'9' | b'!' | b'#' | b'$' | b'%' | b'&' | b'\''
            | b'*' | b'+' | b'-' | b'.' | b'^' | b'_' | b'`' | b'|' | b'~')
        {
            t[i] = b;
        }
        i += 1;
    }
    t
};

/// The h2 response for an HTTP/1.1 response head read from `buf`. Header
/// names are lower-cased as h2 requires (`HeaderName::from_bytes`
/// normalises); values share `buf` rather than being copied one by one; a
/// field h2 cannot carry is dropped rather than failing the whole response.
pub fn response(head: &h1::ResponseHead, buf: &Bytes) -> http::Response<()> {
    let mut resp = http::Response::new(());
    *resp.status_mut() =
        http::StatusCode::from_u16(head.status).unwrap_or(http::StatusCode::BAD_GATEWAY);
    // Sized once: grown field by field, the map reallocated per response.
    let headers = resp.headers_mut();
    *headers = HeaderMap::with_capacity(head.headers.len());
    for f in head.headers.iter().filter(|f| !f.dropped) {
        add_field(headers, f, buf);
    }
    resp
}

fn add_field(headers: &mut HeaderMap, f: &HeaderField, buf: &Bytes) {
    let name = f.name.get(buf);
    if hop_by_hop(name) {
        return;
    }
    let Ok(name) = HeaderName::from_bytes(name) else {
        return;
    };
    if f.value.start > f.value.end || f.value.end > buf.len() {
        return;
    }
    if let Ok(value) = HeaderValue::from_maybe_shared(buf.slice(f.value.start..f.value.end)) {
        headers.append(name, value);
    }
}

/// A piece of a chunked body.
#[derive(Debug, PartialEq, Eq)]
pub enum Piece {
    Data(Bytes),
    /// The last chunk was read, with its trailers (empty when none).
    End(HeaderMap),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Size,
    Data(u64),
    DataEnd,
    Trailers,
    Done,
}

/// Cuts a chunked body back into payload and trailers. Chunk extensions
/// are dropped, as h2 has no place for them.
#[derive(Debug)]
pub struct Dechunker {
    state: State,
}

/// A chunked body that does not parse.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("invalid chunked body")]
pub struct BadChunk;

/// Longest size or trailer line accepted before the body is refused.
const MAX_LINE: usize = 16 * 1024;

impl Default for Dechunker {
    fn default() -> Self {
        Dechunker { state: State::Size }
    }
}

impl Dechunker {
    #[cfg(test)]
    fn is_done(&self) -> bool {
        self.state == State::Done
    }

    /// Takes the next piece from the front of `buf`; None when more bytes
    /// are needed.
    pub fn next(&mut self, buf: &mut BytesMut) -> Result<Option<Piece>, BadChunk> {
        loop {
            match self.state {
                State::Done => return Ok(None),
                State::Size => {
                    let Some(eol) = memchr::memchr(b'\n', buf) else {
                        return if buf.len() > MAX_LINE {
                            Err(BadChunk)
                        } else {
                            Ok(None)
                        };
                    };
                    let line = &buf[..eol];
                    let digits = line.iter().take_while(|b| b.is_ascii_hexdigit()).count();
                    if digits == 0 || digits > 15 {
                        return Err(BadChunk);
                    }
                    let hex = std::str::from_utf8(&line[..digits]).map_err(|_| BadChunk)?;
                    let size = u64::from_str_radix(hex, 16).map_err(|_| BadChunk)?;
                    buf.advance(eol + 1);
                    self.state = if size == 0 {
                        State::Trailers
                    } else {
                        State::Data(size)
                    };
                }
                State::Data(remaining) => {
                    if buf.is_empty() {
                        return Ok(None);
                    }
                    let n = (buf.len() as u64).min(remaining) as usize;
                    let data = buf.split_to(n).freeze();
                    self.state = if remaining == n as u64 {
                        State::DataEnd
                    } else {
                        State::Data(remaining - n as u64)
                    };
                    return Ok(Some(Piece::Data(data)));
                }
                State::DataEnd => {
                    let Some(eol) = memchr::memchr(b'\n', buf) else {
                        return if buf.len() > 1 {
                            Err(BadChunk)
                        } else {
                            Ok(None)
                        };
                    };
                    if &buf[..eol] != b"\r" && eol != 0 {
                        return Err(BadChunk);
                    }
                    buf.advance(eol + 1);
                    self.state = State::Size;
                }
                State::Trailers => {
                    let Some(end) = trailer_end(buf) else {
                        return if buf.len() > MAX_LINE {
                            Err(BadChunk)
                        } else {
                            Ok(None)
                        };
                    };
                    let section = buf.split_to(end);
                    let mut trailers = HeaderMap::new();
                    for line in section[..].split(|&b| b == b'\n') {
                        let line = line.strip_suffix(b"\r").unwrap_or(line);
                        let Some(colon) = memchr::memchr(b':', line) else {
                            continue;
                        };
                        let name = line[..colon].to_ascii_lowercase();
                        let value = line[colon + 1..].trim_ascii();
                        if let (Ok(n), Ok(v)) = (
                            HeaderName::from_bytes(&name),
                            HeaderValue::from_bytes(value),
                        ) {
                            if !hop_by_hop(n.as_str().as_bytes()) {
                                trailers.append(n, v);
                            }
                        }
                    }
                    self.state = State::Done;
                    return Ok(Some(Piece::End(trailers)));
                }
            }
        }
    }
}

/// Where the trailer section ends (just past its empty line).
fn trailer_end(buf: &[u8]) -> Option<usize> {
    let mut start = 0;
    while let Some(eol) = memchr::memchr(b'\n', &buf[start..]) {
        let line = &buf[start..start + eol];
        if line.is_empty() || line == b"\r" {
            return Some(start + eol + 1);
        }
        start += eol + 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(req: http::Request<()>) -> http::request::Parts {
        req.into_parts().0
    }

    fn request_head(
        parts: &http::request::Parts,
        end: bool,
        absolute: bool,
        out: &mut Vec<u8>,
    ) -> RequestFraming {
        let mut bytes = BytesMut::new();
        let opts = h1::ParseOptions::default();
        let (framing, _) = request(parts, end, absolute, H2_VERSION, &opts, &mut bytes);
        out.extend_from_slice(&bytes);
        framing
    }

    /// The HPACK head carries what the `HeaderMap` path carries, field for
    /// field, in order.
    #[test]
    fn hpack_head_matches_the_fields_path() {
        let raw = b"HTTP/1.1 201 Created\r\nContent-Type: text/plain\r\nConnection: keep-alive\r\n\
            X-Mixed-Case: One\r\nTE: trailers, deflate\r\nKeep-Alive: timeout=5\r\n\
            Set-Cookie: a=1\r\nSet-Cookie: b=2\r\nContent-Length: 4\r\n\r\n";
        let opts = h1::ParseOptions::default();
        let head = h1::parse_response(raw, h1::Method::Get, &opts)
            .expect("parses")
            .expect("whole");
        let block = hpack_head(&head, raw);
        let mut decoded = Vec::new();
        super::super::hpack::Decoder::new(4096)
            .decode(&block, |n, v| decoded.push((n.to_vec(), v.to_vec())))
            .expect("decodes");
        let fields = response_fields(&head, raw);
        let mut want = vec![(b":status".to_vec(), b"201".to_vec())];
        for (n, v) in fields.headers() {
            want.push((n.as_str().as_bytes().to_vec(), v.as_bytes().to_vec()));
        }
        assert_eq!(decoded, want);
        assert!(decoded
            .iter()
            .any(|(n, v)| n == b"x-mixed-case" && v == b"One"));
        assert!(decoded.iter().any(|(n, v)| n == b"te" && v == b"trailers"));
        assert!(!decoded
            .iter()
            .any(|(n, _)| n == b"connection" || n == b"keep-alive"));
    }

    #[test]
    fn common_response_names_match_the_general_lookup() {
        for name in [
            "Age",
            "DATE",
            "etag",
            "Vary",
            "Server",
            "Expires",
            "Location",
            "Set-Cookie",
            "Content-Type",
            "Cache-Control",
            "Last-Modified",
            "Accept-Ranges",
            "Content-Encoding",
            "Content-Length",
            "X-Custom",
            "x-ages",
            "dat",
        ] {
            let kind = h1::HeaderKind::classify(name.as_bytes());
            let fast = header_name(name.as_bytes(), kind);
            let general = HeaderName::from_bytes(name.as_bytes()).ok();
            assert_eq!(fast, general, "{name}");
        }
        assert_eq!(header_name(b"bad name", h1::HeaderKind::Other), None);
    }

    #[test]
    fn request_line_says_http2_and_authority_becomes_host() {
        let req = http::Request::get("https://example.com:8443/a?b=1")
            .header("host", "ignored")
            .header("cookie", "a=1")
            .header("accept", "*/*")
            .header("cookie", "b=2")
            .body(())
            .unwrap_or_default();
        let mut out = Vec::new();
        let parts = parts(req);
        let framing = request_head(&parts, true, false, &mut out);
        assert_eq!(framing, RequestFraming::Empty);
        assert!(out.len() <= request_head_len(&parts));
        assert_eq!(
            String::from_utf8_lossy(&out),
            "GET /a?b=1 HTTP/2.0\r\nhost: example.com:8443\r\ncookie: a=1; b=2\r\naccept: */*\r\n\r\n"
        );
        // The h2 frontend's form: the whole URI, as 2.6 shows it.
        let mut out = Vec::new();
        request_head(&parts, true, true, &mut out);
        assert!(out.len() <= request_head_len(&parts));
        assert!(
            out.starts_with(
                b"GET https://example.com:8443/a?b=1 HTTP/2.0\r\nhost: example.com:8443\r\n"
            ),
            "{}",
            String::from_utf8_lossy(&out)
        );
    }

    /// The head built from fields is the one the session's parser makes of
    /// the same bytes, errors included.
    #[test]
    fn built_head_is_the_parsed_head() {
        let opts = h1::ParseOptions::default();
        let few = h1::ParseOptions {
            max_headers: 3,
            ..h1::ParseOptions::default()
        };
        let cases: Vec<(http::Request<()>, bool, &h1::ParseOptions)> = vec![
            (
                http::Request::get("https://example.com:8443/a?b=1")
                    .header("cookie", "a=1")
                    .header("accept", "*/*")
                    .header("cookie", "b=2")
                    .header("x-pad", " spaced\tvalue ")
                    .body(())
                    .unwrap_or_default(),
                true,
                &opts,
            ),
            (
                http::Request::post("http://h/up")
                    .header("content-length", "12")
                    .header("expect", "100-continue")
                    .body(())
                    .unwrap_or_default(),
                false,
                &opts,
            ),
            (
                http::Request::post("http://h/up")
                    .header("content-length", "12")
                    .header("content-length", "13")
                    .body(())
                    .unwrap_or_default(),
                false,
                &opts,
            ),
            (
                http::Request::post("http://h/chunked")
                    .header("content-length", "x")
                    .body(())
                    .unwrap_or_default(),
                false,
                &opts,
            ),
            (
                http::Request::put("http://h/u")
                    .header("a", "1")
                    .header("b", "2")
                    .header("c", "3")
                    .body(())
                    .unwrap_or_default(),
                false,
                &few,
            ),
            (
                http::Request::get("http://h/caf%C3%A9?q")
                    .header("host", "h")
                    .body(())
                    .unwrap_or_default(),
                true,
                &opts,
            ),
            (
                http::Request::connect("h:443").body(()).unwrap_or_default(),
                false,
                &opts,
            ),
        ];
        for (req, end, opts) in cases {
            let parts = parts(req);
            for absolute in [false, true] {
                let mut out = BytesMut::new();
                let (_, built) = request(&parts, end, absolute, H2_VERSION, opts, &mut out);
                let parsed = h1::parse_request(&out, opts);
                assert_eq!(built.map(Some), parsed, "{}", String::from_utf8_lossy(&out));
            }
        }
    }

    #[test]
    fn unknown_length_body_is_chunked() {
        let req = http::Request::post("http://h/up")
            .body(())
            .unwrap_or_default();
        let mut out = Vec::new();
        let parts = parts(req);
        assert_eq!(
            request_head(&parts, false, false, &mut out),
            RequestFraming::Chunked
        );
        assert!(out.len() <= request_head_len(&parts));
        assert!(String::from_utf8_lossy(&out).ends_with("transfer-encoding: chunked\r\n\r\n"));
        let mut t = HeaderMap::new();
        t.insert("grpc-status", HeaderValue::from_static("0"));
        let mut end = Vec::new();
        chunked_trailers(Some(&t), &mut end);
        assert_eq!(end, b"0\r\ngrpc-status: 0\r\n\r\n");
    }

    /// Fields handed over by the session are what the bridge made of the
    /// head the session wrote.
    #[test]
    fn response_fields_match_the_written_head() {
        let raw = b"HTTP/1.1 200 OK\r\nConnection: keep-alive\r\nX-A:  one \r\nTE: trailers, x\r\nX-Fold: a\r\n b\r\nSet-Cookie: s=1\r\nSet-Cookie: t=2\r\nContent-Length: 2\r\n\r\nok";
        let opts = h1::ParseOptions::default();
        let Ok(Some(head)) = h1::parse_response(raw, h1::Method::Get, &opts) else {
            panic!("response did not parse");
        };
        let native = response_fields(&head, raw);
        let mut written = Vec::new();
        h1::write_response_head(&mut written, raw, &head, None, &Default::default());
        let Ok(Some(again)) = h1::parse_response(&written, h1::Method::Get, &opts) else {
            panic!("written head did not parse");
        };
        let bridged = response(&again, &Bytes::from(written.clone()));
        assert_eq!(native.status(), bridged.status());
        assert_eq!(native.headers(), bridged.headers());
    }

    #[test]
    fn response_drops_hop_by_hop_headers() {
        let raw = b"HTTP/1.1 200 OK\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5\r\nX-Srv: a\r\nContent-Length: 2\r\n\r\nok";
        let head = h1::parse_response(raw, h1::Method::Get, &h1::ParseOptions::default());
        let Ok(Some(head)) = head else {
            panic!("response did not parse");
        };
        let resp = response(&head, &Bytes::from_static(raw));
        assert_eq!(resp.status(), 200);
        let names: Vec<_> = resp.headers().keys().map(|k| k.as_str()).collect();
        assert_eq!(names, ["x-srv", "content-length"]);
    }

    #[test]
    fn dechunker_splits_data_and_trailers_across_reads() {
        let wire =
            b"5;ext=1\r\nhello\r\n3\r\nabc\r\n0\r\ngrpc-status: 0\r\nGrpc-Message: ok\r\n\r\n";
        for split in 1..wire.len() {
            let mut d = Dechunker::default();
            let mut buf = BytesMut::new();
            let mut data = Vec::new();
            let mut trailers = None;
            for part in [&wire[..split], &wire[split..]] {
                buf.extend_from_slice(part);
                while let Some(p) = d.next(&mut buf).unwrap_or_else(|e| panic!("{e}")) {
                    match p {
                        Piece::Data(b) => data.extend_from_slice(&b),
                        Piece::End(t) => trailers = Some(t),
                    }
                }
            }
            assert_eq!(data, b"helloabc", "split at {split}");
            let t = trailers.unwrap_or_default();
            assert_eq!(t.get("grpc-status").map(|v| v.as_bytes()), Some(&b"0"[..]));
            assert_eq!(
                t.get("grpc-message").map(|v| v.as_bytes()),
                Some(&b"ok"[..])
            );
            assert!(d.is_done());
        }
    }

    #[test]
    fn dechunker_refuses_garbage() {
        let mut d = Dechunker::default();
        let mut buf = BytesMut::from(&b"zz\r\n"[..]);
        assert_eq!(d.next(&mut buf), Err(BadChunk));
    }
}
