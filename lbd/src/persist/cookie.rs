//! Cookie-based persistence (`cookie <name> ...` in a backend), as 2.6's
//! `http_manage_client_side_cookies`, `http_manage_server_side_cookies` and
//! the `Set-Cookie` insertion of `http_process_res_common` do it.
//!
//! The request side reads every `Cookie` header: it finds the server the
//! persistence cookie names, checks the `maxidle`/`maxlife` dates, and
//! rewrites the header (`indirect` removal, `prefix` stripping, spaces
//! around `=` dropped). The response side edits the server's own
//! `Set-Cookie` for our name and decides whether to insert one. Both also
//! take the `capture cookie` values, and record the `%tsc` cookie letters.
//!
//! No I/O and no clock: the session passes the time in and applies the
//! header changes returned here.

use crate::config::model::{CookieCapture, CookieConf, CookieMode};
use crate::h1::{HeaderField, RequestHead, ResponseHead};

/// The client's cookie, third letter of `%tsc` (2.6's `TX_CK_*`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ClientCookie {
    #[default]
    None,
    Invalid,
    Down,
    Valid,
    Expired,
    Old,
    Unused,
}

impl ClientCookie {
    pub fn letter(self) -> u8 {
        b"NIDVEOU"[self as usize]
    }
}

/// What happened to the server-side cookie, fourth letter of `%tsc`
/// (2.6's `TX_SCK_*`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ServerCookie {
    #[default]
    None,
    /// The server set our cookie and it was left alone.
    Found,
    Deleted,
    Inserted,
    Replaced,
    /// Re-inserted for the same server, to refresh its dates.
    Updated,
}

impl ServerCookie {
    pub fn letter(self) -> u8 {
        b"NPDIRU"[self as usize]
    }
}

/// The servers a cookie may name, in declaration order.
pub trait CookieServers {
    fn count(&self) -> usize;
    /// The server's `cookie` value, if it has one.
    fn cookie(&self, i: usize) -> Option<&str>;
    /// Not stopped: up, or draining (2.6's `cur_state != SRV_ST_STOPPED`).
    fn running(&self, i: usize) -> bool;
}

impl CookieServers for [(Option<&str>, bool)] {
    fn count(&self) -> usize {
        self.len()
    }
    fn cookie(&self, i: usize) -> Option<&str> {
        self.get(i).and_then(|s| s.0)
    }
    fn running(&self, i: usize) -> bool {
        self.get(i).is_some_and(|s| s.1)
    }
}

/// `cookie ... dynamic`: a server without a `cookie` gets the first 16
/// hex digits of XXH64(key, IP address, port as 4 big-endian bytes), as
/// 2.6's `srv_set_dyncookie`, so every load balancer sharing the key agrees.
pub fn dynamic_cookie(key: &str, ip: std::net::IpAddr, port: u32) -> String {
    let mut buf = key.as_bytes().to_vec();
    match ip {
        std::net::IpAddr::V4(a) => buf.extend_from_slice(&a.octets()),
        std::net::IpAddr::V6(a) => buf.extend_from_slice(&a.octets()),
    }
    buf.extend_from_slice(&port.to_be_bytes());
    format!("{:016x}", xxhash_rust::xxh64::xxh64(&buf, 0))
}

/// What to do with one header line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HeaderChange {
    Keep,
    Replace(Vec<u8>),
    Remove,
}

/// Which persistence flags apply to the request (`ignore-persist`,
/// `force-persist`, `option persist`).
#[derive(Debug, Clone, Copy, Default)]
pub struct PersistFlags {
    pub ignore: bool,
    pub force: bool,
    pub option_persist: bool,
}

/// What the response side knows of the exchange.
#[derive(Debug, Clone, Copy, Default)]
pub struct Exchange<'a> {
    /// The `cookie` of the server that answered.
    pub server_cookie: Option<&'a str>,
    /// The cookie chose that server and no redispatch moved the request
    /// (2.6's `SF_DIRECT`).
    pub direct: bool,
    pub is_post: bool,
    pub flags: PersistFlags,
    /// [`cacheable`]'s answer (only asked with `nocache`).
    pub cacheable: bool,
    /// Wall-clock seconds.
    pub now: u32,
}

/// One transaction's cookie state, from the request to the log line.
#[derive(Debug, Default)]
pub struct CookieTxn {
    pub client: ClientCookie,
    pub server: ServerCookie,
    /// The server the cookie chose (2.6's `SF_DIRECT|SF_ASSIGNED`).
    pub direct: Option<usize>,
    /// Dates read from the cookie, in seconds since the epoch (0: none).
    first_date: u32,
    last_date: u32,
    /// `capture cookie`: `%CC` and `%CS`.
    pub captured_request: Option<Vec<u8>>,
    pub captured_response: Option<Vec<u8>>,
}

fn is_spht(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

/// The end of a cookie value from `s`: the first `,` or `;` outside quotes.
fn value_end(h: &[u8], mut s: usize) -> usize {
    let (mut quoted, mut pair) = (false, false);
    while s < h.len() {
        let c = h[s];
        if pair {
            pair = false;
        } else if quoted {
            if c == b'\\' {
                pair = true;
            } else if c == b'"' {
                quoted = false;
            }
        } else if c == b'"' {
            quoted = true;
        } else if c == b',' || c == b';' {
            return s;
        }
        s += 1;
    }
    s
}

/// Removes the cookie between delimiter `*from` (or the start) and
/// delimiter `next` (or the end), keeping one space after the delimiter
/// that stays, as 2.6's `http_del_hdr_value`. Returns the length change.
fn del_value(h: &mut Vec<u8>, from: &mut usize, next: usize) -> isize {
    let end = h.len();
    let (mut prev, mut next) = (*from, next);
    if prev == 0 {
        if next < end {
            next += 1;
        }
        while next < end && is_spht(h[next]) {
            next += 1;
        }
    } else {
        while prev > 0 && is_spht(h[prev - 1]) {
            prev -= 1;
        }
        *from = prev;
        if next < end {
            h[prev] = h[next];
            prev += 1;
            next += 1;
            if prev + 1 < next {
                h[prev] = b' ';
                prev += 1;
            }
            while next < end && is_spht(h[next]) {
                next += 1;
            }
        }
    }
    h.drain(prev..next);
    prev as isize - next as isize
}

fn shift(v: usize, d: isize) -> usize {
    v.saturating_add_signed(d)
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// 2.6's `s30tob64`: 30 bits as 5 unpadded base64 characters.
pub fn s30_to_b64(v: u32, out: &mut Vec<u8>) {
    for i in 0..5 {
        out.push(B64[((v >> (24 - 6 * i)) & 0x3f) as usize]);
    }
}

/// 2.6's `b64tos30`; None for a character outside the alphabet.
pub fn b64_to_s30(s: &[u8]) -> Option<u32> {
    let mut out = 0u32;
    for &c in s.get(..5)? {
        let v = B64.iter().position(|&b| b == c)? as u32;
        out = (out << 6) | v;
    }
    Some(out)
}

/// Whether a date read from a cookie is past `max` seconds, or more than a
/// day in the future (a clock fix must not expire everyone).
fn too_old(now: u32, date: u32, max: u32) -> bool {
    (now.wrapping_sub(date) as i32) > max as i32 || (date.wrapping_sub(now) as i32) > 86400
}

impl CookieTxn {
    /// Reads one `Cookie` header value; returns how the header changes.
    /// `conf` is the backend's cookie (None: capture only).
    pub fn request_header(
        &mut self,
        value: &[u8],
        conf: Option<&CookieConf>,
        capture: Option<&CookieCapture>,
        servers: &(impl CookieServers + ?Sized),
        flags: PersistFlags,
        now: u32,
    ) -> HeaderChange {
        let mut h = value.to_vec();
        let mut del_from: Option<usize> = None;
        let mut preserve = false;
        let mut first = true;
        let mut prev = 0usize;
        while prev < h.len() {
            let mut att_beg = if first { prev } else { prev + 1 };
            first = false;
            while att_beg < h.len() && is_spht(h[att_beg]) {
                att_beg += 1;
            }
            let (mut equal, mut att_end) = (att_beg, att_beg);
            while equal < h.len() {
                let c = h[equal];
                if c == b'=' || c == b',' || c == b';' {
                    break;
                }
                equal += 1;
                if !is_spht(c) {
                    att_end = equal;
                }
            }
            let (mut val_beg, mut val_end, mut next);
            if equal < h.len() && h[equal] == b'=' {
                val_beg = equal + 1;
                while val_beg < h.len() && is_spht(h[val_beg]) {
                    val_beg += 1;
                }
                next = value_end(&h, val_beg);
                val_end = next;
                while val_end > val_beg && is_spht(h[val_end - 1]) {
                    val_end -= 1;
                }
            } else {
                (val_beg, val_end, next) = (equal, equal, equal);
            }
            // `$Path` and friends belong to the cookie before them.
            if h.get(att_beg) == Some(&b'$') {
                prev = next;
                continue;
            }
            if equal == next {
                // No '=': not ours, so the header stays; a cookie marked for
                // deletion before it goes alone.
                preserve = true;
                if let Some(mut df) = del_from.take() {
                    let d = del_value(&mut h, &mut df, prev);
                    next = shift(next, d);
                }
                prev = next;
                continue;
            }
            // Spaces around '=' are dropped, for captures and rewrites.
            next -= squeeze_equal(&mut h, att_end, &mut equal, &mut val_beg, &mut val_end);
            capture_cookie(&mut self.captured_request, capture, &h, att_beg, val_end);
            let ours = conf.filter(|c| h[att_beg..att_end] == *c.name.as_bytes());
            let Some(conf) = ours else {
                preserve = true;
                if let Some(mut df) = del_from.take() {
                    let d = del_value(&mut h, &mut df, prev);
                    next = shift(next, d);
                }
                prev = next;
                continue;
            };
            let mut delim = val_end;
            if conf.mode == CookieMode::Prefix {
                delim = h[val_beg..val_end]
                    .iter()
                    .position(|&b| b == b'~')
                    .map_or(val_end, |p| val_beg + p);
            } else if let Some(p) = h[val_beg..val_end].iter().position(|&b| b == b'|') {
                // SRV|<last seen>|<first seen>, dates in 4 s units.
                delim = val_beg + p;
                let v1 = delim + 1;
                if val_end - v1 >= 5 {
                    if let Some(v) = b64_to_s30(&h[v1..]).filter(|v| *v > 0) {
                        self.last_date = v << 2;
                    }
                }
                if let Some(q) = h[v1..val_end].iter().position(|&b| b == b'|') {
                    let v2 = v1 + q;
                    if val_end - v2 > 5 {
                        if let Some(v) = b64_to_s30(&h[v2 + 1..]).filter(|v| *v > 0) {
                            self.first_date = v << 2;
                        }
                    }
                }
            }
            if self.first_date != 0
                && conf.maxlife != 0
                && too_old(now, self.first_date, conf.maxlife)
            {
                self.client = ClientCookie::Old;
                delim = val_beg;
                (self.first_date, self.last_date) = (0, 0);
            } else if self.last_date != 0
                && conf.maxidle != 0
                && too_old(now, self.last_date, conf.maxidle)
            {
                self.client = ClientCookie::Expired;
                delim = val_beg;
                (self.first_date, self.last_date) = (0, 0);
            }
            let mut found = false;
            // An empty server part never matches: a client that learned the
            // empty cookie of a cookie-less server must not stick to it.
            if delim != val_beg && !flags.ignore && self.direct.is_none() {
                let want = &h[val_beg..delim];
                for i in 0..servers.count() {
                    if servers.cookie(i).map(str::as_bytes) != Some(want) {
                        continue;
                    }
                    let running = servers.running(i);
                    if running || flags.option_persist || flags.force {
                        self.client = if running {
                            ClientCookie::Valid
                        } else {
                            ClientCookie::Down
                        };
                        self.direct = Some(i);
                        found = true;
                        break;
                    }
                    // Down: another server may share the cookie.
                    self.client = ClientCookie::Down;
                }
            }
            if !found
                && !matches!(
                    self.client,
                    ClientCookie::Down | ClientCookie::Expired | ClientCookie::Old
                )
            {
                self.client = if flags.ignore || self.direct.is_some() {
                    ClientCookie::Unused
                } else {
                    ClientCookie::Invalid
                };
            }
            if conf.mode == CookieMode::Prefix && delim != val_end {
                // Only the application's own value goes to the server.
                let d = delim + 1 - val_beg;
                h.drain(val_beg..delim + 1);
                next -= d;
                del_from = None;
                preserve = true;
            } else if del_from.is_none() && conf.mode == CookieMode::Insert && conf.indirect {
                del_from = Some(prev);
            }
            prev = next;
        }
        if let Some(df) = del_from {
            h.truncate(if preserve { df } else { 0 });
        }
        if h.len() == value.len() {
            HeaderChange::Keep
        } else if h.is_empty() {
            HeaderChange::Remove
        } else {
            HeaderChange::Replace(h)
        }
    }

    /// The `Set-Cookie` value to add to the response, if any, and whether
    /// `Cache-Control: private` goes with it (`nocache` on a cacheable
    /// response).
    pub fn insert(&mut self, conf: &CookieConf, ex: &Exchange<'_>) -> Option<(Vec<u8>, bool)> {
        let (server_cookie, direct, now) = (ex.server_cookie, ex.direct, ex.now);
        let refresh = (conf.maxidle != 0 || self.last_date != 0)
            && (self.last_date == 0 || i64::from(self.last_date) < i64::from(now));
        let wanted = conf.mode == CookieMode::Insert
            && !(self.server == ServerCookie::Found && conf.preserve)
            && (!direct
                || refresh
                || (conf.maxlife != 0 && self.first_date == 0)
                || (conf.maxlife == 0 && self.first_date != 0))
            && (!conf.postonly || ex.is_post)
            && !ex.flags.ignore;
        if !wanted {
            return None;
        }
        let mut v = Vec::with_capacity(64);
        v.extend_from_slice(conf.name.as_bytes());
        match server_cookie {
            // A server without a cookie asks the client to forget it.
            None => v.extend_from_slice(b"=; Expires=Thu, 01-Jan-1970 00:00:01 GMT; path=/"),
            Some(ck) => {
                v.push(b'=');
                v.extend_from_slice(ck.as_bytes());
                if conf.maxidle != 0 || conf.maxlife != 0 {
                    let stamp = now.wrapping_add(3) >> 2;
                    v.push(b'|');
                    s30_to_b64(stamp, &mut v);
                    if conf.maxlife != 0 {
                        v.push(b'|');
                        let first = if self.first_date != 0 {
                            self.first_date >> 2
                        } else {
                            stamp
                        };
                        s30_to_b64(first, &mut v);
                    }
                }
                v.extend_from_slice(b"; path=/");
            }
        }
        for d in &conf.domains {
            v.extend_from_slice(b"; domain=");
            v.extend_from_slice(d.as_bytes());
        }
        if conf.httponly {
            v.extend_from_slice(b"; HttpOnly");
        }
        if conf.secure {
            v.extend_from_slice(b"; Secure");
        }
        for a in &conf.attrs {
            v.extend_from_slice(b"; ");
            v.extend_from_slice(a.as_bytes());
        }
        self.server = if server_cookie.is_some() && direct {
            ServerCookie::Updated
        } else {
            ServerCookie::Inserted
        };
        Some((v, conf.nocache && ex.cacheable))
    }

    /// `%tsc`'s third and fourth letters.
    pub fn letters(&self) -> [u8; 2] {
        [self.client.letter(), self.server.letter()]
    }
}

/// Whether a response may be cached by a shared cache, as 2.6.12 judges it
/// (`TX_CACHEABLE` without `TX_CACHE_IGNORE`): a safe method, a status
/// cacheable by default, no `Pragma: no-cache`, the `Cache-Control`
/// values, and some freshness (`max-age`, `Expires`) or validator (`ETag`,
/// `Last-Modified`). Captured: a bare 200 gets no `Cache-Control: private`.
pub fn cacheable(req_safe: bool, resp: &ResponseHead, buf: &[u8]) -> bool {
    let by_status = matches!(
        resp.status,
        200 | 203 | 204 | 206 | 300 | 301 | 404 | 405 | 410 | 414 | 501
    );
    let mut ok = req_safe && by_status;
    if resp.status < 200 {
        return false;
    }
    let named = |h: &HeaderField, n: &[u8]| !h.dropped && h.name.get(buf).eq_ignore_ascii_case(n);
    let has = |n: &[u8]| resp.headers.iter().any(|h| named(h, n));
    if let Some(p) = resp.headers.iter().find(|h| named(h, b"pragma")) {
        if p.value.get(buf).eq_ignore_ascii_case(b"no-cache") {
            return false;
        }
    }
    let mut fresh = false;
    for h in resp.headers.iter().filter(|h| named(h, b"cache-control")) {
        for v in h.value.get(buf).split(|&b| b == b',') {
            let v = v.trim_ascii();
            let starts = |p: &[u8]| v.len() >= p.len() && v[..p.len()].eq_ignore_ascii_case(p);
            if v.eq_ignore_ascii_case(b"public") {
                ok = true;
            } else if [
                &b"private"[..],
                b"no-cache",
                b"no-store",
                b"max-age=0",
                b"s-maxage=0",
            ]
            .iter()
            .any(|x| v.eq_ignore_ascii_case(x))
            {
                ok = false;
            } else if !starts(b"no-cache=\"set-cookie")
                && (starts(b"s-maxage") || starts(b"max-age"))
            {
                fresh = true;
            }
        }
    }
    ok && (fresh || has(b"expires") || has(b"etag") || has(b"last-modified"))
}

fn push_field(out: &mut Vec<u8>, name: &[u8], value: &[u8]) {
    out.extend_from_slice(name);
    out.extend_from_slice(b": ");
    out.extend_from_slice(value);
    out.extend_from_slice(b"\r\n");
}

/// Header lines of `fields` with `changes` (by index) applied, then
/// `append`, then the blank line.
fn write_fields(
    out: &mut Vec<u8>,
    buf: &[u8],
    fields: &[HeaderField],
    changes: &[(usize, HeaderChange)],
    append: &[(&str, &[u8])],
) {
    for (i, h) in fields.iter().enumerate().filter(|(_, h)| !h.dropped) {
        match changes.iter().find(|(j, _)| *j == i).map(|(_, c)| c) {
            Some(HeaderChange::Remove) => {}
            Some(HeaderChange::Replace(v)) => push_field(out, h.name.get(buf), v),
            _ => push_field(out, h.name.get(buf), h.value.get(buf)),
        }
    }
    for (n, v) in append {
        push_field(out, n.as_bytes(), v);
    }
    out.extend_from_slice(b"\r\n");
}

/// A request head with the `Cookie` header changes applied.
pub fn request_head(buf: &[u8], head: &RequestHead, changes: &[(usize, HeaderChange)]) -> Vec<u8> {
    let mut out = Vec::with_capacity(head.head_len);
    out.extend_from_slice(head.method_raw.get(buf));
    out.push(b' ');
    out.extend_from_slice(head.target.get(buf));
    out.push(b' ');
    out.extend_from_slice(head.version.as_bytes());
    out.extend_from_slice(b"\r\n");
    write_fields(&mut out, buf, &head.headers, changes, &[]);
    out
}

/// A response head with the `Set-Cookie` changes and added lines.
pub fn response_head(
    buf: &[u8],
    head: &ResponseHead,
    changes: &[(usize, HeaderChange)],
    append: &[(&str, &[u8])],
) -> Vec<u8> {
    let mut out = Vec::with_capacity(head.head_len + 96);
    out.extend_from_slice(head.version.as_bytes());
    out.push(b' ');
    out.extend_from_slice(head.status.to_string().as_bytes());
    out.push(b' ');
    out.extend_from_slice(head.reason.get(buf));
    out.extend_from_slice(b"\r\n");
    write_fields(&mut out, buf, &head.headers, changes, append);
    out
}

#[path = "set_cookie.rs"]
mod set_cookie;

#[cfg(test)]
#[path = "cookie_tests.rs"]
mod tests;

/// Drops the spaces around a cookie's '=' in `h` (2.6 forwards `a = b` as
/// `a=b`), moving `equal` and the value's bounds; returns how many bytes
/// went, for the caller's later offsets.
pub(super) fn squeeze_equal(
    h: &mut Vec<u8>,
    att_end: usize,
    equal: &mut usize,
    val_beg: &mut usize,
    val_end: &mut usize,
) -> usize {
    if att_end == *equal && *val_beg <= *equal + 1 {
        return 0;
    }
    let before = *equal - att_end;
    h.drain(att_end..*equal);
    *equal = att_end;
    *val_beg -= before;
    let after = *val_beg - (*equal + 1);
    h.drain(*equal + 1..*val_beg);
    *val_beg = *equal + 1;
    *val_end -= before + after;
    before + after
}

/// `capture cookie`: the first cookie whose `name=value` starts with the
/// configured prefix, cut at the configured length.
pub(super) fn capture_cookie(
    slot: &mut Option<Vec<u8>>,
    capture: Option<&CookieCapture>,
    h: &[u8],
    att_beg: usize,
    val_end: usize,
) {
    let Some(c) = capture else { return };
    let p = c.prefix.as_bytes();
    if slot.is_none() && val_end - att_beg >= p.len() && h[att_beg..].starts_with(p) {
        let n = (val_end - att_beg).min(c.len);
        *slot = Some(h[att_beg..att_beg + n].to_vec());
    }
}
