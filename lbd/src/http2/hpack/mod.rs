//! HPACK (RFC 7541), as lbd's HTTP/2 frontend needs it: a decoder with its
//! dynamic table for request headers, and an encoder for responses.
//!
//! The decoder hands each field to a callback as borrowed slices (of the
//! header block, of its table, or of a scratch buffer for Huffman-coded
//! strings): nothing is allocated per field, and the caller writes fields
//! straight into the HTTP/1 head it builds. The caller bounds what it
//! keeps; the decoder itself always decodes a whole block, since a block
//! left half-decoded would leave the dynamic table out of step with the
//! client's.
//!
//! Encoding is stateless, as HAProxy's is: names from the static table
//! where it has them, every field a literal "without indexing", and no
//! Huffman coding. Response fields differ per response more often than
//! not; indexing would cost the table's upkeep on every field for the
//! bytes saved on a few.

mod huffman;

use std::collections::VecDeque;

/// Why a header block could not be decoded: all are connection errors
/// (COMPRESSION_ERROR, RFC 9113 section 4.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HpackError {
    /// The block ends inside a representation.
    Truncated,
    /// An integer beyond any sane size.
    Integer,
    /// Index 0, or past the end of the tables.
    Index,
    /// A Huffman-coded string with bad padding or EOS.
    Huffman,
    /// A size update above the limit we announced, or after a field.
    TableSize,
}

impl std::fmt::Display for HpackError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            HpackError::Truncated => "truncated header block",
            HpackError::Integer => "integer overflow in header block",
            HpackError::Index => "invalid header table index",
            HpackError::Huffman => "invalid Huffman-coded string",
            HpackError::TableSize => "invalid dynamic table size update",
        })
    }
}

/// The static table (RFC 7541, Appendix A); index 1 is `STATIC[0]`.
const STATIC: [(&[u8], &[u8]); 61] = [
    (b":authority", b""),
    (b":method", b"GET"),
    (b":method", b"POST"),
    (b":path", b"/"),
    (b":path", b"/index.html"),
    (b":scheme", b"http"),
    (b":scheme", b"https"),
    (b":status", b"200"),
    (b":status", b"204"),
    (b":status", b"206"),
    (b":status", b"304"),
    (b":status", b"400"),
    (b":status", b"404"),
    (b":status", b"500"),
    (b"accept-charset", b""),
    (b"accept-encoding", b"gzip, deflate"),
    (b"accept-language", b""),
    (b"accept-ranges", b""),
    (b"accept", b""),
    (b"access-control-allow-origin", b""),
    (b"age", b""),
    (b"allow", b""),
    (b"authorization", b""),
    (b"cache-control", b""),
    (b"content-disposition", b""),
    (b"content-encoding", b""),
    (b"content-language", b""),
    (b"content-length", b""),
    (b"content-location", b""),
    (b"content-range", b""),
    (b"content-type", b""),
    (b"cookie", b""),
    (b"date", b""),
    (b"etag", b""),
    (b"expect", b""),
    (b"expires", b""),
    (b"from", b""),
    (b"host", b""),
    (b"if-match", b""),
    (b"if-modified-since", b""),
    (b"if-none-match", b""),
    (b"if-range", b""),
    (b"if-unmodified-since", b""),
    (b"last-modified", b""),
    (b"link", b""),
    (b"location", b""),
    (b"max-forwards", b""),
    (b"proxy-authenticate", b""),
    (b"proxy-authorization", b""),
    (b"range", b""),
    (b"referer", b""),
    (b"refresh", b""),
    (b"retry-after", b""),
    (b"server", b""),
    (b"set-cookie", b""),
    (b"strict-transport-security", b""),
    (b"transfer-encoding", b""),
    (b"user-agent", b""),
    (b"vary", b""),
    (b"via", b""),
    (b"www-authenticate", b""),
];

/// What an entry adds to a table's size besides its bytes (section 4.1).
const ENTRY_OVERHEAD: usize = 32;

/// One dynamic table entry: name and value in one allocation.
struct Entry {
    bytes: Box<[u8]>,
    name_len: usize,
}

impl Entry {
    fn new(name: &[u8], value: &[u8]) -> Entry {
        let mut bytes = Vec::with_capacity(name.len() + value.len());
        bytes.extend_from_slice(name);
        bytes.extend_from_slice(value);
        Entry {
            bytes: bytes.into_boxed_slice(),
            name_len: name.len(),
        }
    }

    fn name(&self) -> &[u8] {
        &self.bytes[..self.name_len]
    }

    fn value(&self) -> &[u8] {
        &self.bytes[self.name_len..]
    }

    fn size(&self) -> usize {
        self.bytes.len() + ENTRY_OVERHEAD
    }
}

/// The decoder's dynamic table: newest entry first.
struct Table {
    entries: VecDeque<Entry>,
    size: usize,
    max: usize,
}

impl Table {
    fn evict_to(&mut self, max: usize) {
        while self.size > max {
            match self.entries.pop_back() {
                Some(e) => self.size -= e.size(),
                None => {
                    self.size = 0;
                    break;
                }
            }
        }
    }

    fn insert(&mut self, e: Entry) {
        let size = e.size();
        if size > self.max {
            // Not an error (section 4.4): the table just empties.
            self.evict_to(0);
            return;
        }
        self.evict_to(self.max - size);
        self.size += size;
        self.entries.push_front(e);
    }

    /// Name and value at a (1-based, static first) index.
    fn get(&self, index: usize) -> Result<(&[u8], &[u8]), HpackError> {
        if index == 0 {
            return Err(HpackError::Index);
        }
        if let Some(&(n, v)) = STATIC.get(index - 1) {
            return Ok((n, v));
        }
        let e = self
            .entries
            .get(index - 1 - STATIC.len())
            .ok_or(HpackError::Index)?;
        Ok((e.name(), e.value()))
    }
}

/// Decodes header blocks of one connection, in order.
pub struct Decoder {
    table: Table,
    /// The SETTINGS_HEADER_TABLE_SIZE we announced: the ceiling of the
    /// client's size updates.
    limit: usize,
    name_buf: Vec<u8>,
    value_buf: Vec<u8>,
}

/// Reads an integer with an `n`-bit prefix at `*at` (section 5.1).
fn integer(block: &[u8], at: &mut usize, n: u32) -> Result<usize, HpackError> {
    let mask = (1u32 << n) - 1;
    let first = *block.get(*at).ok_or(HpackError::Truncated)? as u32 & mask;
    *at += 1;
    if first < mask {
        return Ok(first as usize);
    }
    let mut v = first as u64;
    let mut shift = 0;
    loop {
        let b = *block.get(*at).ok_or(HpackError::Truncated)?;
        *at += 1;
        v += ((b & 0x7f) as u64) << shift;
        if b & 0x80 == 0 {
            break;
        }
        shift += 7;
        // Four continuation bytes already say more than 2^28.
        if shift > 28 {
            return Err(HpackError::Integer);
        }
    }
    usize::try_from(v)
        .ok()
        .filter(|&v| v <= u32::MAX as usize)
        .ok_or(HpackError::Integer)
}

/// Reads a string literal at `*at` (section 5.2): the raw bytes in the
/// block, or the decoded ones in `buf`.
fn string<'a>(
    block: &'a [u8],
    at: &mut usize,
    buf: &'a mut Vec<u8>,
) -> Result<&'a [u8], HpackError> {
    let huffman = *block.get(*at).ok_or(HpackError::Truncated)? & 0x80 != 0;
    let len = integer(block, at, 7)?;
    let raw = block
        .get(*at..)
        .and_then(|rest| rest.get(..len))
        .ok_or(HpackError::Truncated)?;
    *at += len;
    if huffman {
        buf.clear();
        huffman::decode(raw, buf)?;
        Ok(buf)
    } else {
        Ok(raw)
    }
}

impl Decoder {
    /// A decoder whose table may grow to `limit` bytes, the
    /// SETTINGS_HEADER_TABLE_SIZE announced to the client.
    pub fn new(limit: usize) -> Decoder {
        Decoder {
            table: Table {
                entries: VecDeque::new(),
                size: 0,
                max: limit,
            },
            limit,
            name_buf: Vec::new(),
            value_buf: Vec::new(),
        }
    }

    /// Decodes one whole header block (HEADERS and its CONTINUATIONs),
    /// handing each field to `field` in order.
    pub fn decode(
        &mut self,
        block: &[u8],
        mut field: impl FnMut(&[u8], &[u8]),
    ) -> Result<(), HpackError> {
        let Decoder {
            table,
            limit,
            name_buf,
            value_buf,
        } = self;
        let mut at = 0;
        let mut fields = false;
        while let Some(&b) = block.get(at) {
            if b & 0x80 != 0 {
                // Indexed field (6.1).
                let index = integer(block, &mut at, 7)?;
                let (n, v) = table.get(index)?;
                field(n, v);
                fields = true;
            } else if b & 0x40 != 0 {
                // Literal with incremental indexing (6.2.1).
                let index = integer(block, &mut at, 6)?;
                let entry = {
                    let name = match index {
                        0 => string(block, &mut at, name_buf)?,
                        i => table.get(i)?.0,
                    };
                    let value = string(block, &mut at, value_buf)?;
                    field(name, value);
                    // Copied before the insert evicts what `name` may point at.
                    Entry::new(name, value)
                };
                table.insert(entry);
                fields = true;
            } else if b & 0x20 != 0 {
                // Dynamic table size update (6.3): only before the fields.
                if fields {
                    return Err(HpackError::TableSize);
                }
                let max = integer(block, &mut at, 5)?;
                if max > *limit {
                    return Err(HpackError::TableSize);
                }
                table.max = max;
                table.evict_to(max);
            } else {
                // Literal without indexing (0000) or never indexed (0001).
                let index = integer(block, &mut at, 4)?;
                let name = match index {
                    0 => string(block, &mut at, name_buf)?,
                    i => table.get(i)?.0,
                };
                let value = string(block, &mut at, value_buf)?;
                field(name, value);
                fields = true;
            }
        }
        Ok(())
    }

    /// Bytes the dynamic table holds (RFC 7541's measure).
    pub fn table_size(&self) -> usize {
        self.table.size
    }
}

/// The static index of a response header's name, for the names responses
/// carry most.
fn static_name(name: &[u8]) -> Option<u8> {
    Some(match name {
        b"accept-ranges" => 18,
        b"access-control-allow-origin" => 20,
        b"age" => 21,
        b"allow" => 22,
        b"cache-control" => 24,
        b"content-disposition" => 25,
        b"content-encoding" => 26,
        b"content-language" => 27,
        b"content-length" => 28,
        b"content-location" => 29,
        b"content-range" => 30,
        b"content-type" => 31,
        b"date" => 33,
        b"etag" => 34,
        b"expires" => 36,
        b"last-modified" => 44,
        b"link" => 45,
        b"location" => 46,
        b"proxy-authenticate" => 48,
        b"retry-after" => 53,
        b"server" => 54,
        b"set-cookie" => 55,
        b"strict-transport-security" => 56,
        b"vary" => 59,
        b"via" => 60,
        b"www-authenticate" => 61,
        _ => return None,
    })
}

/// Appends an integer with an `n`-bit prefix, `flags` in the bits above it.
fn put_integer(out: &mut Vec<u8>, flags: u8, n: u32, v: usize) {
    let mask = (1usize << n) - 1;
    if v < mask {
        out.push(flags | v as u8);
        return;
    }
    out.push(flags | mask as u8);
    let mut v = v - mask;
    while v >= 0x80 {
        out.push((v as u8 & 0x7f) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// Appends a raw (not Huffman-coded) string literal.
fn put_string(out: &mut Vec<u8>, s: &[u8]) {
    put_integer(out, 0, 7, s.len());
    out.extend_from_slice(s);
}

/// Starts a response's header block with its `:status` (see the module's
/// notes on encoding). A dynamic table size update, when one is due, is
/// the connection's to put in front.
pub fn encode_status(out: &mut Vec<u8>, status: u16) {
    let indexed = match status {
        200 => 8,
        204 => 9,
        206 => 10,
        304 => 11,
        400 => 12,
        404 => 13,
        500 => 14,
        _ => 0,
    };
    if indexed != 0 {
        out.push(0x80 | indexed);
        return;
    }
    // Literal without indexing, name `:status` (index 8).
    out.push(0x08);
    let digits = [
        b'0' + (status / 100 % 10) as u8,
        b'0' + (status / 10 % 10) as u8,
        b'0' + (status % 10) as u8,
    ];
    put_string(out, &digits);
}

/// Appends a field as a literal without indexing; `name` must be lower
/// case already.
pub fn encode_field(out: &mut Vec<u8>, name: &[u8], value: &[u8]) {
    match static_name(name) {
        Some(i) => put_integer(out, 0, 4, i as usize),
        None => {
            out.push(0);
            put_string(out, name);
        }
    }
    put_string(out, value);
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Bytes from hex digits, whitespace ignored (the RFC's examples).
    pub(super) fn hex(s: &str) -> Vec<u8> {
        let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
            .collect()
    }

    fn decode_all(d: &mut Decoder, block: &[u8]) -> Result<Vec<(String, String)>, HpackError> {
        let mut out = Vec::new();
        d.decode(block, |n, v| {
            out.push((
                String::from_utf8_lossy(n).into_owned(),
                String::from_utf8_lossy(v).into_owned(),
            ))
        })?;
        Ok(out)
    }

    fn fields(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn integers_of_rfc7541_c1() {
        let mut out = Vec::new();
        put_integer(&mut out, 0, 5, 10);
        assert_eq!(out, [0x0a]);
        out.clear();
        put_integer(&mut out, 0, 5, 1337);
        assert_eq!(out, [0x1f, 0x9a, 0x0a]);
        let mut at = 0;
        assert_eq!(integer(&out, &mut at, 5), Ok(1337));
        assert_eq!(at, 3);
        let mut at = 0;
        assert_eq!(integer(&[0x2a], &mut at, 8), Ok(42));
        // Overlong and unterminated integers.
        let mut at = 0;
        assert_eq!(
            integer(&[0x1f, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01], &mut at, 5),
            Err(HpackError::Integer)
        );
        let mut at = 0;
        assert_eq!(
            integer(&[0x1f, 0xff], &mut at, 5),
            Err(HpackError::Truncated)
        );
    }

    #[test]
    fn requests_of_rfc7541_c3_and_c4() {
        // C.3: without Huffman; C.4: the same requests with it.
        for blocks in [
            [
                "8286 8441 0f77 7777 2e65 7861 6d70 6c65 2e63 6f6d",
                "8286 84be 5808 6e6f 2d63 6163 6865",
                "8287 85bf 400a 6375 7374 6f6d 2d6b 6579 0c63 7573 746f 6d2d 7661 6c75 65",
            ],
            [
                "8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff",
                "8286 84be 5886 a8eb 1064 9cbf",
                "8287 85bf 4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf",
            ],
        ] {
            let mut d = Decoder::new(4096);
            let first = decode_all(&mut d, &hex(blocks[0])).expect("C.x.1");
            assert_eq!(
                first,
                fields(&[
                    (":method", "GET"),
                    (":scheme", "http"),
                    (":path", "/"),
                    (":authority", "www.example.com"),
                ])
            );
            assert_eq!(d.table_size(), 57);
            let second = decode_all(&mut d, &hex(blocks[1])).expect("C.x.2");
            assert_eq!(second.len(), 5);
            assert_eq!(second[4], ("cache-control".into(), "no-cache".into()));
            assert_eq!(d.table_size(), 110);
            let third = decode_all(&mut d, &hex(blocks[2])).expect("C.x.3");
            assert_eq!(
                third,
                fields(&[
                    (":method", "GET"),
                    (":scheme", "https"),
                    (":path", "/index.html"),
                    (":authority", "www.example.com"),
                    ("custom-key", "custom-value"),
                ])
            );
            assert_eq!(d.table_size(), 164);
        }
    }

    #[test]
    fn eviction_keeps_the_table_within_its_size() {
        // A table of 100 bytes holds one ~60-byte entry at a time.
        let mut d = Decoder::new(100);
        let mut block = Vec::new();
        for v in ["first-value-xxxxxxxxx", "second-value-yyyyyyyy"] {
            block.clear();
            block.push(0x40);
            put_string(&mut block, b"x-name");
            put_string(&mut block, v.as_bytes());
            // ...and refer to it at once, as index 62.
            block.push(0x80 | 62);
            let got = decode_all(&mut d, &block).expect("decodes");
            assert_eq!(got[1].1, v);
            assert!(d.table_size() <= 100);
        }
        // Index 63 was evicted.
        assert_eq!(decode_all(&mut d, &[0x80 | 63]), Err(HpackError::Index));
        // An entry larger than the table empties it (not an error).
        block.clear();
        block.push(0x40);
        put_string(&mut block, b"x-name");
        put_string(&mut block, &[b'z'; 200]);
        decode_all(&mut d, &block).expect("decodes");
        assert_eq!(d.table_size(), 0);
    }

    #[test]
    fn a_new_entry_may_name_the_one_it_evicts() {
        let mut d = Decoder::new(64);
        decode_all(&mut d, &hex("4001 6101 62")).expect("a: b");
        // Name from index 62 (a), which the insert evicts.
        let got = decode_all(&mut d, &hex("7e01 63")).expect("a: c");
        assert_eq!(got, fields(&[("a", "c")]));
        assert_eq!(
            decode_all(&mut d, &[0xbe]).expect("62"),
            fields(&[("a", "c")])
        );
    }

    #[test]
    fn size_updates() {
        let mut d = Decoder::new(4096);
        decode_all(&mut d, &hex("4001 6101 62")).expect("a: b");
        // To 0 evicts everything; back to 4096 is allowed.
        decode_all(&mut d, &hex("20 3fe1 1f 82")).expect("updates");
        assert_eq!(d.table_size(), 0);
        // Above our limit, or after a field: refused.
        assert_eq!(
            decode_all(&mut d, &hex("3fe2 1f")),
            Err(HpackError::TableSize)
        );
        assert_eq!(
            decode_all(&mut d, &hex("82 20")),
            Err(HpackError::TableSize)
        );
    }

    #[test]
    fn malformed_blocks_are_errors_not_panics() {
        let mut d = Decoder::new(4096);
        for bad in ["80", "ff00", "bf", "4005 6161", "0003 6161", "00ff"] {
            assert!(decode_all(&mut d, &hex(bad)).is_err(), "{bad}");
        }
        // Every prefix and every byte value after a good start.
        let good = hex("8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff");
        for len in 0..good.len() {
            let _ = decode_all(&mut Decoder::new(4096), &good[..len]);
        }
        for b in 0..=255u8 {
            for tail in [&[][..], &[0x00], &[0xff, 0xff], &[0x81, 0x82, 0x83]] {
                let mut block = vec![b];
                block.extend_from_slice(tail);
                let _ = decode_all(&mut Decoder::new(4096), &block);
            }
        }
    }

    #[test]
    fn encoded_responses_decode_back() {
        let mut out = Vec::new();
        encode_status(&mut out, 200);
        encode_field(&mut out, b"content-type", b"text/plain");
        encode_field(&mut out, b"x-custom", b"v");
        let mut d = Decoder::new(4096);
        assert_eq!(
            decode_all(&mut d, &out).expect("decodes"),
            fields(&[
                (":status", "200"),
                ("content-type", "text/plain"),
                ("x-custom", "v")
            ])
        );
        out.clear();
        encode_status(&mut out, 302);
        encode_field(&mut out, b"location", &[b'l'; 300]);
        let got = decode_all(&mut d, &out).expect("decodes");
        assert_eq!(got[0], (":status".into(), "302".into()));
        assert_eq!(got[1].1.len(), 300);
        assert_eq!(d.table_size(), 0);
    }
}
