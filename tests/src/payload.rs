//! Large test payloads and HTTP chunked framing, for tests that move bodies of
//! megabytes and compare them byte for byte.

/// `len` bytes of a pattern that does not repeat on any power-of-two stride, so a
/// dropped, duplicated or reordered block changes the bytes.
pub fn pattern(len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| (i % 251) as u8 ^ (i / 4093) as u8)
        .collect()
}

/// `body` framed as chunks of at most `chunk` bytes, with the final empty chunk.
pub fn chunked(body: &[u8], chunk: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len() + body.len() / chunk.max(1) * 8 + 8);
    for part in body.chunks(chunk.max(1)) {
        out.extend_from_slice(format!("{:x}\r\n", part.len()).as_bytes());
        out.extend_from_slice(part);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"0\r\n\r\n");
    out
}

/// The payload of a complete chunked body (extensions ignored, no trailers), or None
/// if the framing is broken or incomplete. A proxy may re-chunk, so tests compare
/// payloads, never framing.
pub fn dechunk(framed: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let mut pos = 0;
    loop {
        let line_end = framed[pos..].windows(2).position(|w| w == b"\r\n")? + pos;
        let size_text = std::str::from_utf8(&framed[pos..line_end]).ok()?;
        let size_text = size_text.split(';').next().unwrap_or("").trim();
        let size = usize::from_str_radix(size_text, 16).ok()?;
        pos = line_end + 2;
        if size == 0 {
            return (framed.get(pos..pos + 2)? == b"\r\n").then_some(out);
        }
        out.extend_from_slice(framed.get(pos..pos + size)?);
        pos += size;
        if framed.get(pos..pos + 2)? != b"\r\n" {
            return None;
        }
        pos += 2;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunking_round_trips() {
        let body = pattern(10_000);
        assert_eq!(dechunk(&chunked(&body, 999)), Some(body));
        assert_eq!(dechunk(b"5\r\nhello\r\n0\r\n"), None);
        assert_eq!(dechunk(b"5\r\nhelloXX0\r\n\r\n"), None);
    }
}
