//! The hash functions of HAProxy's `hash-type` (src/hash.c) and Bob Jenkins'
//! integer avalanche (`full_hash`), bit-exact so that keys land where an
//! HAProxy 2.6 would put them on a map of the same shape.

use crate::config::model::HashFunction;

/// `sdbm`, HAProxy's default hash function.
pub fn sdbm(key: &[u8]) -> u32 {
    key.iter().fold(0u32, |h, &c| {
        u32::from(c)
            .wrapping_add(h << 6)
            .wrapping_add(h << 16)
            .wrapping_sub(h)
    })
}

/// `djb2` (Bernstein's times-33).
pub fn djb2(key: &[u8]) -> u32 {
    key.iter().fold(5381u32, |h, &c| {
        (h << 5).wrapping_add(h).wrapping_add(u32::from(c))
    })
}

/// `wt6`, Willy Tarreau's 6-operation hash with data-dependent rotations.
pub fn wt6(key: &[u8]) -> u32 {
    let mut h0: u32 = 0xa53c_965a;
    let mut h1: u32 = 0x5ca6_953a;
    let mut step0: u32 = 6;
    let mut step1: u32 = 18;
    for &c in key {
        let t = u32::from(c);
        h0 = !(h0 ^ t);
        h1 = !(h1.wrapping_add(t));
        let rot = h1.rotate_left(step0);
        h1 = h0.rotate_left(step1);
        h0 = rot;
        let t = ((h0 >> 16) ^ h1) & 0xffff;
        step0 = t & 0x1f;
        step1 = t >> 11;
    }
    h0 ^ h1
}

/// `crc32`, the IEEE 802.3 polynomial (reflected), bitwise: hashing keys is
/// never the bottleneck and a table would only cost cache.
pub fn crc32(key: &[u8]) -> u32 {
    let mut h = !0u32;
    for &c in key {
        h ^= u32::from(c);
        for _ in 0..8 {
            h = (h >> 1) ^ if h & 1 != 0 { 0xedb8_8320 } else { 0 };
        }
    }
    !h
}

/// Bob Jenkins' full-avalanche integer hash, then a multiply by a prime near
/// 3/4 of the 32-bit space, as HAProxy's `full_hash()`: the `avalanche`
/// modifier and the placement of consistent-hash ring points.
pub fn full_hash(a: u32) -> u32 {
    let mut a = a;
    a = a.wrapping_add(0x7ed5_5d16).wrapping_add(a << 12);
    a = (a ^ 0xc761_c23c) ^ (a >> 19);
    a = a.wrapping_add(0x1656_67b1).wrapping_add(a << 5);
    a = a.wrapping_add(0xd3a2_646c) ^ (a << 9);
    a = a.wrapping_add(0xfd70_46c5).wrapping_add(a << 3);
    a = (a ^ 0xb55a_4f09) ^ (a >> 16);
    a.wrapping_mul(3_221_225_473)
}

/// Hashes `key` with the configured function, then avalanches when asked.
pub fn hash_key(function: HashFunction, avalanche: bool, key: &[u8]) -> u32 {
    let h = match function {
        HashFunction::Sdbm => sdbm(key),
        HashFunction::Djb2 => djb2(key),
        HashFunction::Wt6 => wt6(key),
        HashFunction::Crc32 => crc32(key),
    };
    if avalanche {
        full_hash(h)
    } else {
        h
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Captured from HAProxy 2.6.12's converters of the same names, e.g.
    // `%[str(hello),sdbm]`; `sdbm(1)` is the avalanched form.
    #[test]
    fn vectors_match_haproxy() {
        assert_eq!(sdbm(b"hello"), 684_824_882);
        assert_eq!(djb2(b"hello"), 261_238_937);
        assert_eq!(wt6(b"hello"), 3_538_347_703);
        assert_eq!(crc32(b"hello"), 907_060_870);
        assert_eq!(full_hash(sdbm(b"hello")), 2_061_535_398);
        assert_eq!(sdbm(b""), 0);
        assert_eq!(djb2(b""), 5381);
        assert_eq!(wt6(b""), 4_187_620_192);
        assert_eq!(crc32(b""), 0);
        assert_eq!(crc32(b"123456789"), 0xcbf4_3926);
        let url = b"www.example.com/index.html";
        assert_eq!(wt6(url), 73_662_108);
        assert_eq!(djb2(url), 2_877_322_363);
        assert_eq!(full_hash(sdbm(url)), 413_203_971);
        assert_eq!(full_hash(wt6(url)), 3_248_018_831);
    }

    #[test]
    fn hash_key_dispatches_and_avalanches() {
        assert_eq!(hash_key(HashFunction::Djb2, false, b"hello"), 261_238_937);
        assert_eq!(hash_key(HashFunction::Sdbm, true, b"hello"), 2_061_535_398);
        assert_eq!(
            hash_key(HashFunction::Crc32, false, b"123456789"),
            0xcbf4_3926
        );
    }
}
