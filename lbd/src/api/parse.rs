//! The CLI's input framing and word splitting, without I/O, as HAProxy 2.6's
//! `cli_io_handler` and `cli_parse_request` do it.
//!
//! A request ends at an LF or at a `;` that is not escaped with `\` (a
//! backslash also protects an LF). A trailing CR is dropped. A request whose
//! text ends in `<<` starts a payload: the following raw lines, up to an
//! empty one, belong to it. Words are separated by spaces and tabs; `\x`
//! stands for `x` (so `\ ` and `\;` are literal), `\\` for `\`.

/// How long a single request may grow without a delimiter. 2.6 stops reading
/// when its 16 kB buffer is full and waits for the idle timeout; lbd closes at
/// once instead, which frees the slot sooner and answers the same (nothing).
pub const MAX_LINE: usize = 16383;

/// At most this many words are taken from a request, as 2.6's MAX_CLI_ARGS.
pub const MAX_ARGS: usize = 64;

/// One framed request, taken off the front of the input buffer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Framed {
    /// The request's bytes, without the delimiter and trailing CR.
    pub line: Vec<u8>,
    /// Bytes to remove from the input buffer.
    pub consumed: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrameError {
    /// No delimiter within [`MAX_LINE`] bytes.
    TooLong,
}

/// Takes the next request off `buf`. In payload mode only LF ends a line and
/// nothing is escaped. Ok(None) means more input is needed.
pub fn next_request(buf: &[u8], payload: bool) -> Result<Option<Framed>, FrameError> {
    let mut i = 0;
    let limit = buf.len().min(MAX_LINE);
    let end = loop {
        if i >= limit {
            if buf.len() >= MAX_LINE {
                return Err(FrameError::TooLong);
            }
            return Ok(None);
        }
        match buf[i] {
            b'\\' if !payload => i += 2,
            b'\n' => break i,
            b';' if !payload => break i,
            _ => i += 1,
        }
    };
    let mut line = &buf[..end];
    if let [rest @ .., b'\r'] = line {
        line = rest;
    }
    Ok(Some(Framed {
        line: line.to_vec(),
        consumed: end + 1,
    }))
}

/// Whether a request line starts a payload (its text ends in `<<`).
pub fn starts_payload(line: &[u8]) -> bool {
    line.ends_with(b"<<")
}

/// Splits a request into words. The flag says whether the word `<<` ended
/// them (the command takes the payload gathered after it).
pub fn split_words(req: &[u8]) -> (Vec<String>, bool) {
    let mut words = Vec::new();
    let mut i = 0;
    while words.len() < MAX_ARGS && i < req.len() {
        while i < req.len() && (req[i] == b' ' || req[i] == b'\t') {
            i += 1;
        }
        if i >= req.len() {
            break;
        }
        if &req[i..] == b"<<" {
            return (words, true);
        }
        let mut word = Vec::new();
        while i < req.len() && req[i] != b' ' && req[i] != b'\t' {
            if req[i] == b'\\' {
                i += 1;
                if i >= req.len() {
                    break;
                }
            }
            word.push(req[i]);
            i += 1;
        }
        words.push(String::from_utf8_lossy(&word).into_owned());
    }
    (words, false)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(buf: &[u8]) -> Option<(String, usize)> {
        next_request(buf, false)
            .ok()
            .flatten()
            .map(|f| (String::from_utf8_lossy(&f.line).into_owned(), f.consumed))
    }

    #[test]
    fn lines_end_at_lf_or_unescaped_semicolon() {
        assert_eq!(
            frame(b"show version\r\n"),
            Some(("show version".into(), 14))
        );
        assert_eq!(frame(b"a;b\n"), Some(("a".into(), 2)));
        assert_eq!(frame(b"a\\;b\n"), Some(("a\\;b".into(), 5)));
        assert_eq!(frame(b"a\\\nb\n"), Some(("a\\\nb".into(), 5)));
        assert_eq!(frame(b"show version"), None);
        assert_eq!(frame(b";"), Some(("".into(), 1)));
    }

    #[test]
    fn payload_lines_take_no_escapes() {
        let f = next_request(b"k1 v\\;1;x\n", true).ok().flatten();
        assert_eq!(f.map(|f| f.line), Some(b"k1 v\\;1;x".to_vec()));
    }

    #[test]
    fn overlong_line_is_refused() {
        let buf = vec![b'x'; MAX_LINE];
        assert_eq!(next_request(&buf, false), Err(FrameError::TooLong));
        let mut ok = vec![b'x'; MAX_LINE - 1];
        assert_eq!(next_request(&ok, false), Ok(None));
        ok.push(b'\n');
        assert!(matches!(next_request(&ok, false), Ok(Some(_))));
    }

    #[test]
    fn words_and_escapes() {
        let (w, p) = split_words(b"  set server be/s1\tweight 10  ");
        assert_eq!(w, ["set", "server", "be/s1", "weight", "10"]);
        assert!(!p);
        let (w, _) = split_words(b"show\\ version a\\\\b \\;x");
        assert_eq!(w, ["show version", "a\\b", ";x"]);
    }

    #[test]
    fn payload_marker() {
        assert!(starts_payload(b"add map f <<"));
        assert!(starts_payload(b"add map f<<"));
        let (w, p) = split_words(b"add map f <<");
        assert_eq!(w, ["add", "map", "f"]);
        assert!(p);
        // Glued to a word, `<<` is not the marker.
        let (w, p) = split_words(b"add map f<<");
        assert_eq!(w, ["add", "map", "f<<"]);
        assert!(!p);
    }
}
