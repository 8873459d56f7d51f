//! The server side of cookie persistence: each `Set-Cookie` and
//! `Set-Cookie2` header of a response, read and edited as 2.6's
//! `http_manage_server_side_cookies` does (capture, then remove, rewrite
//! or prefix our cookie). The insertion of our own is in the parent.

use super::*;

impl CookieTxn {
    /// Reads one `Set-Cookie` header from the server, which answered as
    /// described by `ex`.
    pub fn response_header(
        &mut self,
        value: &[u8],
        conf: Option<&CookieConf>,
        capture: Option<&CookieCapture>,
        ex: &Exchange<'_>,
    ) -> HeaderChange {
        let (server_cookie, direct, flags) = (ex.server_cookie, ex.direct, ex.flags);
        let mut h = value.to_vec();
        let mut att_beg = 0;
        while att_beg < h.len() && is_spht(h[att_beg]) {
            att_beg += 1;
        }
        let (mut equal, mut att_end) = (att_beg, att_beg);
        while equal < h.len() {
            let c = h[equal];
            if c == b'=' || c == b';' {
                break;
            }
            equal += 1;
            if !is_spht(c) {
                att_end = equal;
            }
        }
        if equal >= h.len() || h[equal] != b'=' {
            return HeaderChange::Keep;
        }
        let mut val_beg = equal + 1;
        while val_beg < h.len() && is_spht(h[val_beg]) {
            val_beg += 1;
        }
        let mut val_end = value_end(&h, val_beg);
        while val_end > val_beg && is_spht(h[val_end - 1]) {
            val_end -= 1;
        }
        squeeze_equal(&mut h, att_end, &mut equal, &mut val_beg, &mut val_end);
        capture_cookie(&mut self.captured_response, capture, &h, att_beg, val_end);
        let changed = |h: Vec<u8>| {
            if h.len() == value.len() {
                HeaderChange::Keep
            } else {
                HeaderChange::Replace(h)
            }
        };
        let Some(conf) =
            conf.filter(|c| !flags.ignore && h[att_beg..att_end] == *c.name.as_bytes())
        else {
            return changed(h);
        };
        self.server = ServerCookie::Found;
        if conf.preserve {
            return changed(h);
        }
        if conf.mode == CookieMode::Insert || (direct && conf.indirect) {
            // Ours to set (insert), or the client already holds it.
            self.server = ServerCookie::Deleted;
            return HeaderChange::Remove;
        }
        let Some(ck) = server_cookie else {
            return changed(h);
        };
        match conf.mode {
            CookieMode::Rewrite => {
                h.splice(val_beg..val_end, ck.bytes());
            }
            CookieMode::Prefix => {
                let mut p = ck.as_bytes().to_vec();
                p.push(b'~');
                h.splice(val_beg..val_beg, p);
            }
            _ => return changed(h),
        }
        self.server = ServerCookie::Replaced;
        HeaderChange::Replace(h)
    }

    /// Reads one `Set-Cookie2` header: like `Set-Cookie`, but it may carry
    /// several comma-separated cookies, each with its attributes, and ours
    /// is removed from the list alone unless it is all the header holds.
    ///
    /// 2.6 edits the header in place and, removing one cookie of several,
    /// moves the rest left without shortening the header: the bytes past
    /// the new end stay and reach the client. `end` is where 2.6 believes
    /// the value ends, `h` what the client gets; the bytes between are
    /// kept the same way, so the client sees what 2.6 sends.
    pub fn response_header2(
        &mut self,
        value: &[u8],
        conf: Option<&CookieConf>,
        capture: Option<&CookieCapture>,
        ex: &Exchange<'_>,
    ) -> HeaderChange {
        let (server_cookie, direct, flags) = (ex.server_cookie, ex.direct, ex.flags);
        let mut h = value.to_vec();
        let mut end = h.len();
        let (mut prev, mut first) = (0, true);
        while prev < end {
            // As 2.6, the delimiter before a cookie is skipped, even when a
            // removed first cookie left none.
            let mut att_beg = if first { prev } else { prev + 1 };
            first = false;
            while att_beg < end && is_spht(h[att_beg]) {
                att_beg += 1;
            }
            let (mut equal, mut att_end) = (att_beg, att_beg);
            while equal < end {
                let c = h[equal];
                if c == b'=' || c == b';' || c == b',' {
                    break;
                }
                equal += 1;
                if !is_spht(c) {
                    att_end = equal;
                }
            }
            let (mut val_beg, mut val_end, mut next);
            if equal < end && h[equal] == b'=' {
                val_beg = equal + 1;
                while val_beg < end && is_spht(h[val_beg]) {
                    val_beg += 1;
                }
                next = value_end(&h[..end], val_beg);
                val_end = next;
                while val_end > val_beg && is_spht(h[val_end - 1]) {
                    val_end -= 1;
                }
            } else {
                (val_beg, val_end, next) = (equal, equal, equal);
            }
            if next < end {
                next = hdr_value_end(&h[..end], next);
            }
            if equal == val_end {
                prev = next;
                continue;
            }
            // Spaces around '=' go, and the header is cut at its end.
            let gone = squeeze_equal(&mut h, att_end, &mut equal, &mut val_beg, &mut val_end);
            if gone > 0 {
                next -= gone;
                end -= gone;
                h.truncate(end);
            }
            capture_cookie(&mut self.captured_response, capture, &h, att_beg, val_end);
            let ours = conf.filter(|c| !flags.ignore && h[att_beg..att_end] == *c.name.as_bytes());
            let Some(conf) = ours else {
                prev = next;
                continue;
            };
            self.server = ServerCookie::Found;
            if conf.preserve {
                prev = next;
                continue;
            }
            if conf.mode == CookieMode::Insert || (direct && conf.indirect) {
                self.server = ServerCookie::Deleted;
                if prev == 0 && next == end {
                    return HeaderChange::Remove;
                }
                let tail = h.split_off(end);
                let before = h.clone();
                let removed = del_value(&mut h, &mut prev, next).unsigned_abs();
                h.extend_from_slice(&before[end - removed..]);
                h.extend_from_slice(&tail);
                end -= removed;
                next = prev;
            } else if let Some(ck) = server_cookie {
                let new: Vec<u8> = match conf.mode {
                    CookieMode::Rewrite => ck.bytes().collect(),
                    CookieMode::Prefix => {
                        val_end = val_beg;
                        ck.bytes().chain([b'~']).collect()
                    }
                    _ => {
                        prev = next;
                        continue;
                    }
                };
                let old = val_end - val_beg;
                h.splice(val_beg..val_end, new.iter().copied());
                next = next + new.len() - old;
                end = end + new.len() - old;
                self.server = ServerCookie::Replaced;
            }
            prev = next;
        }
        if h == value {
            HeaderChange::Keep
        } else {
            HeaderChange::Replace(h)
        }
    }
}

/// The next unquoted `,` from `s` (2.6's `http_find_hdr_value_end`).
fn hdr_value_end(h: &[u8], mut s: usize) -> usize {
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
        } else if c == b',' {
            return s;
        }
        s += 1;
    }
    s
}
