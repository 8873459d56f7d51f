//! The header-block scanner shared by requests and responses.
//!
//! Hand-written rather than httparse because HAProxy differs from it where it
//! matters: obs-fold continuation lines are unfolded (httparse rejects them
//! in requests), a space before the colon is a distinct 400 that
//! `accept-invalid-http-request` lifts, control bytes and NUL in values are
//! forwarded, and LF-only line ends are accepted. Lines are found with
//! memchr; headers are recorded as spans, so nothing is allocated per header.

use super::error::H1Error;
use super::types::{is_tchar, HeaderField, HeaderKind, ParseOptions, Span};

/// One line: `end` excludes the line ending (CRLF or bare LF), `next` is the
/// offset after the LF.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Line {
    pub start: usize,
    pub end: usize,
    pub next: usize,
}

/// The line starting at `pos`, or None when its LF has not arrived.
pub(crate) fn line_at(buf: &[u8], pos: usize) -> Option<Line> {
    let rest = buf.get(pos..)?;
    let lf = memchr::memchr(b'\n', rest)? + pos;
    let end = if lf > pos && buf[lf - 1] == b'\r' {
        lf - 1
    } else {
        lf
    };
    Some(Line {
        start: pos,
        end,
        next: lf + 1,
    })
}

/// Offset just past the empty line ending the head that starts at 0, looking
/// for it from `from` (pass the previous buffer length minus 3 to rescan only
/// new bytes). Empty lines before the start line are skipped, as the
/// parsers do.
pub fn head_end(buf: &[u8], from: usize) -> Option<usize> {
    let lead = buf
        .iter()
        .take_while(|&&b| b == b'\r' || b == b'\n')
        .count();
    let mut pos = from.max(lead).min(buf.len());
    while let Some(i) = memchr::memchr(b'\n', &buf[pos..]) {
        let lf = pos + i;
        // An empty line is "\n\n" or "\n\r\n" ending at this LF.
        let prev_is_lf = lf >= 1 && buf[lf - 1] == b'\n';
        let prev_is_crlf = lf >= 2 && buf[lf - 1] == b'\r' && buf[lf - 2] == b'\n';
        if (prev_is_lf && lf > lead) || (prev_is_crlf && lf > lead + 1) {
            return Some(lf + 1);
        }
        pos = lf + 1;
    }
    None
}

fn trim(buf: &[u8], mut s: usize, mut e: usize) -> (usize, usize) {
    while s < e && matches!(buf[s], b' ' | b'\t') {
        s += 1;
    }
    while e > s && matches!(buf[e - 1], b' ' | b'\t') {
        e -= 1;
    }
    (s, e)
}

/// Scan header lines from `pos` up to and including the empty line. Returns
/// the offset after the head, or None if incomplete. `bad` builds the error
/// for the message direction (400 for requests, 502 for responses).
pub(crate) fn scan_headers(
    buf: &[u8],
    mut pos: usize,
    opts: &ParseOptions,
    out: &mut Vec<HeaderField>,
    bad: fn(&'static str) -> H1Error,
    too_large: H1Error,
) -> Result<Option<usize>, H1Error> {
    // HAProxy keeps one slot of tune.http.maxhdr for the end of headers.
    let max_headers = opts.max_headers.saturating_sub(1);
    loop {
        let Some(line) = line_at(buf, pos) else {
            if buf.len() >= opts.max_head {
                return Err(too_large);
            }
            return Ok(None);
        };
        if line.next > opts.max_head {
            return Err(too_large);
        }
        pos = line.next;
        if line.start == line.end {
            return Ok(Some(line.next));
        }
        let content = &buf[line.start..line.end];
        // The common line in one pass: a name of token characters up to the
        // colon, and no CR in the value. It passes every check of the other
        // branch the same way; any other line takes them in order, for
        // their errors. Both end in the same record below.
        let name_len = content
            .iter()
            .position(|&b| !is_tchar(b))
            .unwrap_or(content.len());
        let colon = if name_len > 0
            && content.get(name_len) == Some(&b':')
            && memchr::memchr(b'\r', &content[name_len + 1..]).is_none()
        {
            name_len
        } else {
            if memchr::memchr(b'\r', content).is_some() {
                return Err(bad("bare CR in header line"));
            }
            if matches!(content[0], b' ' | b'\t') {
                // obs-fold: extend the previous value over this line; the
                // writer turns the CR/LF in between into spaces as HAProxy
                // does.
                let Some(prev) = out.last_mut() else {
                    return Err(bad("continuation line before any header"));
                };
                let (s, e) = trim(buf, line.start, line.end);
                if s == e {
                    continue;
                }
                if prev.value.is_empty() {
                    prev.value = Span::new(s, e);
                } else {
                    prev.value.end = e;
                    prev.folded = true;
                }
                continue;
            }
            let Some(colon) = memchr::memchr(b':', content) else {
                return Err(bad("header line without colon"));
            };
            if colon == 0 {
                return Err(bad("empty header name"));
            }
            if !opts.accept_invalid && !content[..colon].iter().all(|&b| is_tchar(b)) {
                return Err(bad("invalid character in header name"));
            }
            colon
        };
        if out.len() >= max_headers {
            return Err(too_large);
        }
        let (vs, ve) = trim(buf, line.start + colon + 1, line.end);
        out.push(HeaderField {
            name: Span::new(line.start, line.start + colon),
            value: Span::new(vs, ve),
            kind: HeaderKind::classify(&content[..colon]),
            folded: false,
            dropped: false,
        });
    }
}

/// Folds one Content-Length header into the message's length: the first
/// one is kept (reduced to its first element), identical repeats are
/// dropped, and a different value is an error (request smuggling defence).
pub(crate) fn merge_content_length(
    cl: &mut Option<u64>,
    buf: &[u8],
    field: &mut HeaderField,
    bad: fn(&'static str) -> H1Error,
) -> Result<(), H1Error> {
    let (n, first) = parse_content_length(buf, field.value).ok_or(bad("invalid content-length"))?;
    match *cl {
        None => {
            *cl = Some(n);
            field.value = first;
        }
        Some(prev) if prev != n => return Err(bad("different content-lengths")),
        Some(_) => field.dropped = true,
    }
    Ok(())
}

/// Parse a Content-Length value list (`3`, `3, 3`): every element must be
/// digits only and all equal. Returns the value and the span of the first
/// element, which is what gets forwarded.
pub(crate) fn parse_content_length(buf: &[u8], v: Span) -> Option<(u64, Span)> {
    let bytes = v.get(buf);
    let mut first: Option<(u64, Span)> = None;
    let mut seen = 0usize;
    for (s, e) in super::types::tokens(bytes) {
        seen += 1;
        let n = parse_decimal(&bytes[s..e])?;
        match first {
            None => first = Some((n, Span::new(v.start + s, v.start + e))),
            Some((f, _)) if f != n => return None,
            Some(_) => {}
        }
    }
    // An empty element (`3,` or `,3`) is as invalid as an empty value.
    let commas = memchr::memchr_iter(b',', bytes).count();
    if seen == 0 || commas + 1 != seen {
        return None;
    }
    first
}

fn parse_decimal(d: &[u8]) -> Option<u64> {
    if d.is_empty() {
        return None;
    }
    let mut n: u64 = 0;
    for &b in d {
        if !b.is_ascii_digit() {
            return None;
        }
        n = n.checked_mul(10)?.checked_add(u64::from(b - b'0'))?;
    }
    Some(n)
}

/// Facts gathered from Transfer-Encoding headers (h1_parse_xfer_enc_header).
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct TransferCoding {
    pub present: bool,
    pub chunked: bool,
    /// `chunked` is the last coding.
    pub chunked_last: bool,
    pub other: bool,
}

impl TransferCoding {
    /// Fold in one header value. Err when `chunked` appears twice, or (in a
    /// request) a coding follows `chunked`.
    pub(crate) fn add(&mut self, v: &[u8], is_request: bool) -> Result<(), ()> {
        self.present = true;
        for (s, e) in super::types::tokens(v) {
            let word = &v[s..e];
            if word.eq_ignore_ascii_case(b"chunked") {
                if self.chunked {
                    return Err(());
                }
                self.chunked = true;
                self.chunked_last = true;
            } else {
                if is_request && self.chunked {
                    return Err(());
                }
                self.chunked_last = false;
                self.other = true;
            }
        }
        Ok(())
    }
}
