//! HPACK's Huffman code (RFC 7541, section 5.2 and Appendix B).
//!
//! Decoding walks a table of 4-bit steps built once from the code: a
//! state is an inner node of the code's tree, and each nibble moves to
//! another inner node, emitting at most one symbol on the way (the shortest
//! code is 5 bits long).

use super::HpackError;
use std::sync::OnceLock;

/// Bytes `src` takes Huffman-coded.
#[cfg(test)]
pub fn encoded_len(src: &[u8]) -> usize {
    let bits: usize = src.iter().map(|&b| CODES[b as usize].1 as usize).sum();
    bits.div_ceil(8)
}

/// Appends `src` Huffman-coded, padded with the most significant bits of
/// EOS (ones), to `out`.
#[cfg(test)]
pub fn encode(src: &[u8], out: &mut Vec<u8>) {
    let mut acc: u64 = 0;
    let mut n: u32 = 0;
    for &b in src {
        let (code, len) = CODES[b as usize];
        acc = (acc << len) | code as u64;
        n += len as u32;
        while n >= 8 {
            n -= 8;
            out.push((acc >> n) as u8);
        }
    }
    if n > 0 {
        out.push(((acc << (8 - n)) | (0xff >> n)) as u8);
    }
}

/// One step of the decoder: where a nibble leads from a state.
#[derive(Clone, Copy, Default)]
struct Step {
    next: u8,
    /// [`EMIT`], [`FAIL`].
    flags: u8,
    sym: u8,
}

const EMIT: u8 = 1;
/// The nibble completes EOS, which a string must not contain.
const FAIL: u8 = 2;

struct Table {
    steps: Vec<[Step; 16]>,
    /// States a string may end in: at most 7 bits into the all-ones path
    /// (padding is a prefix of EOS, shorter than a byte).
    accepting: Vec<bool>,
}

fn table() -> &'static Table {
    static TABLE: OnceLock<Table> = OnceLock::new();
    TABLE.get_or_init(build)
}

/// Builds the step table from [`CODES`].
fn build() -> Table {
    // The tree: inner nodes, each child an inner node (>= 0) or a leaf
    // (-1 - symbol). Node 0 is the root.
    let mut nodes: Vec<[i32; 2]> = vec![[i32::MIN; 2]];
    for (sym, &(code, len)) in CODES.iter().enumerate() {
        let mut at = 0usize;
        for i in (0..len).rev() {
            let bit = ((code >> i) & 1) as usize;
            if i == 0 {
                nodes[at][bit] = -1 - sym as i32;
            } else {
                if nodes[at][bit] == i32::MIN {
                    nodes.push([i32::MIN; 2]);
                    nodes[at][bit] = (nodes.len() - 1) as i32;
                }
                at = nodes[at][bit] as usize;
            }
        }
    }
    // 257 leaves make 256 inner nodes: a state fits a byte.
    debug_assert_eq!(nodes.len(), 256);
    let mut accepting = vec![false; nodes.len()];
    let mut at = 0usize;
    accepting[0] = true;
    for _ in 0..7 {
        match nodes[at][1] {
            n if n >= 0 => {
                at = n as usize;
                accepting[at] = true;
            }
            _ => break,
        }
    }
    let steps = (0..nodes.len())
        .map(|state| {
            let mut row = [Step::default(); 16];
            for (nibble, step) in row.iter_mut().enumerate() {
                let mut at = state;
                for i in (0..4).rev() {
                    let child = nodes[at][(nibble >> i) & 1];
                    if child >= 0 {
                        at = child as usize;
                    } else {
                        let sym = -1 - child;
                        if sym == 256 {
                            step.flags |= FAIL;
                        } else {
                            step.flags |= EMIT;
                            step.sym = sym as u8;
                        }
                        at = 0;
                    }
                }
                step.next = at as u8;
            }
            row
        })
        .collect();
    Table { steps, accepting }
}

/// Appends the Huffman-coded string `src`, decoded, to `out`.
pub fn decode(src: &[u8], out: &mut Vec<u8>) -> Result<(), HpackError> {
    let t = table();
    let mut state = 0u8;
    out.reserve(src.len() * 8 / 5);
    for &b in src {
        for nibble in [b >> 4, b & 0xf] {
            let step = t.steps[state as usize][nibble as usize];
            if step.flags & FAIL != 0 {
                return Err(HpackError::Huffman);
            }
            if step.flags & EMIT != 0 {
                out.push(step.sym);
            }
            state = step.next;
        }
    }
    if t.accepting[state as usize] {
        Ok(())
    } else {
        Err(HpackError::Huffman)
    }
}

/// The HPACK Huffman code (RFC 7541, Appendix B): for each symbol, 0-255
/// and EOS (256), its code right-aligned and its length in bits.
#[rustfmt::skip]
pub(super) const CODES: [(u32, u8); 257] = [
    (0x1ff8, 13), (0x7fffd8, 23), (0xfffffe2, 28), (0xfffffe3, 28), (0xfffffe4, 28),
    (0xfffffe5, 28), (0xfffffe6, 28), (0xfffffe7, 28), (0xfffffe8, 28), (0xffffea, 24),
    (0x3ffffffc, 30), (0xfffffe9, 28), (0xfffffea, 28), (0x3ffffffd, 30), (0xfffffeb, 28),
    (0xfffffec, 28), (0xfffffed, 28), (0xfffffee, 28), (0xfffffef, 28), (0xffffff0, 28),
    (0xffffff1, 28), (0xffffff2, 28), (0x3ffffffe, 30), (0xffffff3, 28), (0xffffff4, 28),
    (0xffffff5, 28), (0xffffff6, 28), (0xffffff7, 28), (0xffffff8, 28), (0xffffff9, 28),
    (0xffffffa, 28), (0xffffffb, 28), (0x14, 6), (0x3f8, 10), (0x3f9, 10), (0xffa, 12),
    (0x1ff9, 13), (0x15, 6), (0xf8, 8), (0x7fa, 11), (0x3fa, 10), (0x3fb, 10), (0xf9, 8),
    (0x7fb, 11), (0xfa, 8), (0x16, 6), (0x17, 6), (0x18, 6), (0x0, 5), (0x1, 5), (0x2, 5),
    (0x19, 6), (0x1a, 6), (0x1b, 6), (0x1c, 6), (0x1d, 6), (0x1e, 6), (0x1f, 6), (0x5c, 7),
    (0xfb, 8), (0x7ffc, 15), (0x20, 6), (0xffb, 12), (0x3fc, 10), (0x1ffa, 13), (0x21, 6),
    (0x5d, 7), (0x5e, 7), (0x5f, 7), (0x60, 7), (0x61, 7), (0x62, 7), (0x63, 7), (0x64, 7),
    (0x65, 7), (0x66, 7), (0x67, 7), (0x68, 7), (0x69, 7), (0x6a, 7), (0x6b, 7), (0x6c, 7),
    (0x6d, 7), (0x6e, 7), (0x6f, 7), (0x70, 7), (0x71, 7), (0x72, 7), (0xfc, 8), (0x73, 7),
    (0xfd, 8), (0x1ffb, 13), (0x7fff0, 19), (0x1ffc, 13), (0x3ffc, 14), (0x22, 6), (0x7ffd, 15),
    (0x3, 5), (0x23, 6), (0x4, 5), (0x24, 6), (0x5, 5), (0x25, 6), (0x26, 6), (0x27, 6),
    (0x6, 5), (0x74, 7), (0x75, 7), (0x28, 6), (0x29, 6), (0x2a, 6), (0x7, 5), (0x2b, 6),
    (0x76, 7), (0x2c, 6), (0x8, 5), (0x9, 5), (0x2d, 6), (0x77, 7), (0x78, 7), (0x79, 7),
    (0x7a, 7), (0x7b, 7), (0x7ffe, 15), (0x7fc, 11), (0x3ffd, 14), (0x1ffd, 13),
    (0xffffffc, 28), (0xfffe6, 20), (0x3fffd2, 22), (0xfffe7, 20), (0xfffe8, 20),
    (0x3fffd3, 22), (0x3fffd4, 22), (0x3fffd5, 22), (0x7fffd9, 23), (0x3fffd6, 22),
    (0x7fffda, 23), (0x7fffdb, 23), (0x7fffdc, 23), (0x7fffdd, 23), (0x7fffde, 23),
    (0xffffeb, 24), (0x7fffdf, 23), (0xffffec, 24), (0xffffed, 24), (0x3fffd7, 22),
    (0x7fffe0, 23), (0xffffee, 24), (0x7fffe1, 23), (0x7fffe2, 23), (0x7fffe3, 23),
    (0x7fffe4, 23), (0x1fffdc, 21), (0x3fffd8, 22), (0x7fffe5, 23), (0x3fffd9, 22),
    (0x7fffe6, 23), (0x7fffe7, 23), (0xffffef, 24), (0x3fffda, 22), (0x1fffdd, 21),
    (0xfffe9, 20), (0x3fffdb, 22), (0x3fffdc, 22), (0x7fffe8, 23), (0x7fffe9, 23),
    (0x1fffde, 21), (0x7fffea, 23), (0x3fffdd, 22), (0x3fffde, 22), (0xfffff0, 24),
    (0x1fffdf, 21), (0x3fffdf, 22), (0x7fffeb, 23), (0x7fffec, 23), (0x1fffe0, 21),
    (0x1fffe1, 21), (0x3fffe0, 22), (0x1fffe2, 21), (0x7fffed, 23), (0x3fffe1, 22),
    (0x7fffee, 23), (0x7fffef, 23), (0xfffea, 20), (0x3fffe2, 22), (0x3fffe3, 22),
    (0x3fffe4, 22), (0x7ffff0, 23), (0x3fffe5, 22), (0x3fffe6, 22), (0x7ffff1, 23),
    (0x3ffffe0, 26), (0x3ffffe1, 26), (0xfffeb, 20), (0x7fff1, 19), (0x3fffe7, 22),
    (0x7ffff2, 23), (0x3fffe8, 22), (0x1ffffec, 25), (0x3ffffe2, 26), (0x3ffffe3, 26),
    (0x3ffffe4, 26), (0x7ffffde, 27), (0x7ffffdf, 27), (0x3ffffe5, 26), (0xfffff1, 24),
    (0x1ffffed, 25), (0x7fff2, 19), (0x1fffe3, 21), (0x3ffffe6, 26), (0x7ffffe0, 27),
    (0x7ffffe1, 27), (0x3ffffe7, 26), (0x7ffffe2, 27), (0xfffff2, 24), (0x1fffe4, 21),
    (0x1fffe5, 21), (0x3ffffe8, 26), (0x3ffffe9, 26), (0xffffffd, 28), (0x7ffffe3, 27),
    (0x7ffffe4, 27), (0x7ffffe5, 27), (0xfffec, 20), (0xfffff3, 24), (0xfffed, 20),
    (0x1fffe6, 21), (0x3fffe9, 22), (0x1fffe7, 21), (0x1fffe8, 21), (0x7ffff3, 23),
    (0x3fffea, 22), (0x3fffeb, 22), (0x1ffffee, 25), (0x1ffffef, 25), (0xfffff4, 24),
    (0xfffff5, 24), (0x3ffffea, 26), (0x7ffff4, 23), (0x3ffffeb, 26), (0x7ffffe6, 27),
    (0x3ffffec, 26), (0x3ffffed, 26), (0x7ffffe7, 27), (0x7ffffe8, 27), (0x7ffffe9, 27),
    (0x7ffffea, 27), (0x7ffffeb, 27), (0xffffffe, 28), (0x7ffffec, 27), (0x7ffffed, 27),
    (0x7ffffee, 27), (0x7ffffef, 27), (0x7fffff0, 27), (0x3ffffee, 26), (0x3fffffff, 30),
];

#[cfg(test)]
mod tests {
    use super::super::tests::hex;
    use super::*;

    #[test]
    fn rfc7541_strings() {
        // Appendix C.4.1 and C.6.1.
        for (plain, coded) in [
            (&b"www.example.com"[..], "f1e3 c2e5 f23a 6ba0 ab90 f4ff"),
            (b"no-cache", "a8eb 1064 9cbf"),
            (b"custom-key", "25a8 49e9 5ba9 7d7f"),
            (b"custom-value", "25a8 49e9 5bb8 e8b4 bf"),
            (b"302", "6402"),
            (b"private", "aec3 771a 4b"),
        ] {
            let mut out = Vec::new();
            encode(plain, &mut out);
            assert_eq!(out, hex(coded), "{}", String::from_utf8_lossy(plain));
            assert_eq!(encoded_len(plain), out.len());
            let mut back = Vec::new();
            decode(&out, &mut back).expect("decodes");
            assert_eq!(back, plain);
        }
    }

    #[test]
    fn every_byte_round_trips() {
        let all: Vec<u8> = (0..=255u8).chain((0..=255u8).rev()).collect();
        for len in [0, 1, 2, 3, 7, 100, all.len()] {
            let mut out = Vec::new();
            encode(&all[..len], &mut out);
            let mut back = Vec::new();
            decode(&out, &mut back).expect("decodes");
            assert_eq!(back, &all[..len]);
        }
    }

    #[test]
    fn bad_padding_and_eos_are_refused() {
        // 'a' is 00011 (5 bits): padding 000 is not EOS's prefix.
        assert!(decode(&[0b0001_1000], &mut Vec::new()).is_err());
        // ...and 111 is.
        assert!(decode(&[0b0001_1111], &mut Vec::new()).is_ok());
        // A whole byte of padding is too long.
        assert!(decode(&[0b0001_1111, 0xff], &mut Vec::new()).is_err());
        // EOS itself (30 ones) inside a string.
        assert!(decode(&[0xff, 0xff, 0xff, 0xff], &mut Vec::new()).is_err());
    }
}
