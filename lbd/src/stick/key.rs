//! Table keys: their normalised form per key type, the sample-to-key casts
//! 2.6 applies (`smp_to_stkey` over `sample_casts`), the CLI's key parsing
//! and the `key=` text `show table` prints.

use super::def::KeyType;
use std::net::{Ipv4Addr, Ipv6Addr};

/// A key as stored: already converted to its table's type, truncated or
/// padded to the table's key size.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub enum StickKey {
    Ip(Ipv4Addr),
    Ipv6(Ipv6Addr),
    /// 2.6 stores integer keys on 32 unsigned bits; this is that value.
    Int(u32),
    /// At most `key_size - 1` bytes, without NUL.
    Str(Vec<u8>),
    /// Exactly `key_size` bytes, zero-padded.
    Bin(Vec<u8>),
}

/// A sample value on its way to becoming a key (the types a fetch yields).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyInput<'a> {
    Bool(bool),
    Int(i64),
    Ipv4(Ipv4Addr),
    Ipv6(Ipv6Addr),
    Str(&'a [u8]),
    Bin(&'a [u8]),
}

/// 2.6's `read_int64`: an optional sign then digits, stopping at the first
/// other byte.
fn read_int64(s: &[u8]) -> i64 {
    let (neg, digits) = match s.first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let mut v: i64 = 0;
    for &c in digits.iter().take_while(|c| c.is_ascii_digit()) {
        v = v.wrapping_mul(10).wrapping_add(i64::from(c - b'0'));
    }
    if neg {
        v.wrapping_neg()
    } else {
        v
    }
}

fn parse_v4(s: &[u8]) -> Option<Ipv4Addr> {
    std::str::from_utf8(s).ok()?.parse().ok()
}

fn parse_v6(s: &[u8]) -> Option<Ipv6Addr> {
    std::str::from_utf8(s).ok()?.parse().ok()
}

fn v4_of_v6(a: Ipv6Addr) -> Option<Ipv4Addr> {
    a.to_ipv4_mapped()
}

/// A `str` sample stops at its first NUL when it becomes a key.
fn until_nul(s: &[u8]) -> &[u8] {
    match memchr::memchr(0, s) {
        Some(i) => &s[..i],
        None => s,
    }
}

impl StickKey {
    /// Converts a sample to a key of type `ty`, as 2.6's casts do; None when
    /// no cast exists (the rule then does nothing, as in 2.6).
    pub fn from_input(input: KeyInput<'_>, ty: KeyType, key_size: usize) -> Option<StickKey> {
        let int = |i: i64| StickKey::Int(i as u32);
        let input = match input {
            KeyInput::Bool(b) => KeyInput::Int(i64::from(b)),
            other => other,
        };
        let key = match (ty, input) {
            (KeyType::Ip, KeyInput::Ipv4(a)) => StickKey::Ip(a),
            (KeyType::Ip, KeyInput::Ipv6(a)) => StickKey::Ip(v4_of_v6(a)?),
            (KeyType::Ip, KeyInput::Int(i)) => StickKey::Ip(Ipv4Addr::from(i as u32)),
            (KeyType::Ip, KeyInput::Str(s)) => StickKey::Ip(parse_v4(s)?),
            (KeyType::Ipv6, KeyInput::Ipv4(a)) => StickKey::Ipv6(a.to_ipv6_mapped()),
            (KeyType::Ipv6, KeyInput::Ipv6(a)) => StickKey::Ipv6(a),
            (KeyType::Ipv6, KeyInput::Int(i)) => {
                StickKey::Ipv6(Ipv4Addr::from(i as u32).to_ipv6_mapped())
            }
            (KeyType::Ipv6, KeyInput::Str(s)) => StickKey::Ipv6(parse_v6(s)?),
            (KeyType::Integer, KeyInput::Int(i)) => int(i),
            (KeyType::Integer, KeyInput::Ipv4(a)) => int(i64::from(u32::from(a))),
            (KeyType::Integer, KeyInput::Str(s)) if !s.is_empty() => int(read_int64(s)),
            (KeyType::String, KeyInput::Int(i)) => Self::string(i.to_string().as_bytes(), key_size),
            (KeyType::String, KeyInput::Ipv4(a)) => {
                Self::string(a.to_string().as_bytes(), key_size)
            }
            (KeyType::String, KeyInput::Ipv6(a)) => {
                Self::string(a.to_string().as_bytes(), key_size)
            }
            (KeyType::String, KeyInput::Str(s) | KeyInput::Bin(s)) => Self::string(s, key_size),
            (KeyType::Binary, KeyInput::Str(s) | KeyInput::Bin(s)) => Self::binary(s, key_size),
            (KeyType::Binary, KeyInput::Ipv4(a)) => Self::binary(&a.octets(), key_size),
            (KeyType::Binary, KeyInput::Ipv6(a)) => Self::binary(&a.octets(), key_size),
            (KeyType::Binary, KeyInput::Int(i)) => Self::binary(&i.to_be_bytes(), key_size),
            _ => return None,
        };
        Some(key)
    }

    fn string(s: &[u8], key_size: usize) -> StickKey {
        let s = until_nul(s);
        let max = key_size.saturating_sub(1);
        StickKey::Str(s[..s.len().min(max)].to_vec())
    }

    fn binary(s: &[u8], key_size: usize) -> StickKey {
        let mut v = s[..s.len().min(key_size)].to_vec();
        v.resize(key_size, 0);
        StickKey::Bin(v)
    }

    /// Parses the `<key>` of `show|set|clear table <t> key <key>` as 2.6
    /// does. Err is the CLI message (binary tables are refused by the
    /// caller before this).
    pub fn parse_cli(text: &str, ty: KeyType, key_size: usize) -> Result<StickKey, &'static str> {
        match ty {
            // 2.6 uses inet_addr(): an unparsable address is 255.255.255.255.
            KeyType::Ip => Ok(StickKey::Ip(text.parse().unwrap_or(Ipv4Addr::BROADCAST))),
            KeyType::Ipv6 => text
                .parse()
                .map(StickKey::Ipv6)
                .map_err(|_| "Invalid key\n"),
            KeyType::Integer => {
                let t = text.trim_start();
                let digits = t.strip_prefix('+').unwrap_or(t);
                match digits.parse::<u64>() {
                    Ok(v) if v <= 0xffff_ffff => Ok(StickKey::Int(v as u32)),
                    _ => Err("Invalid key\n"),
                }
            }
            KeyType::String => Ok(Self::string(text.as_bytes(), key_size)),
            KeyType::Binary => Err("Invalid key\n"),
        }
    }

    /// The bytes 2.6's key tree orders entries by (`show table` order):
    /// network order for addresses, host (little-endian) order for integers.
    pub fn sort_bytes(&self) -> Vec<u8> {
        match self {
            StickKey::Ip(a) => a.octets().to_vec(),
            StickKey::Ipv6(a) => a.octets().to_vec(),
            StickKey::Int(i) => i.to_le_bytes().to_vec(),
            StickKey::Str(s) | StickKey::Bin(s) => s.clone(),
        }
    }

    /// The text after `key=` in `show table`.
    pub fn display(&self) -> String {
        match self {
            StickKey::Ip(a) => a.to_string(),
            StickKey::Ipv6(a) => a.to_string(),
            StickKey::Int(i) => i.to_string(),
            StickKey::Str(s) => dump_text(s),
            StickKey::Bin(b) => b.iter().map(|c| format!("{c:02X}")).collect(),
        }
    }
}

/// 2.6's `dump_text`: printable ASCII as is, a few escapes, `\xHH` otherwise.
fn dump_text(s: &[u8]) -> String {
    let mut out = String::with_capacity(s.len());
    for &c in s {
        match c {
            b' ' | b'\\' | b'=' => {
                out.push('\\');
                out.push(c as char);
            }
            b'\t' => out.push_str("\\t"),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            0x1b => out.push_str("\\e"),
            0x21..=0x7e => out.push(c as char),
            _ => out.push_str(&format!("\\x{c:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv4_samples_become_mapped_ipv6_keys() {
        let k = StickKey::from_input(
            KeyInput::Ipv4(Ipv4Addr::new(10, 0, 0, 1)),
            KeyType::Ipv6,
            16,
        );
        assert_eq!(k.map(|k| k.display()).as_deref(), Some("::ffff:10.0.0.1"));
    }

    #[test]
    fn only_mapped_ipv6_fits_an_ip_table() {
        let mapped: Ipv6Addr = "::ffff:1.2.3.4".parse().unwrap_or(Ipv6Addr::UNSPECIFIED);
        let k = StickKey::from_input(KeyInput::Ipv6(mapped), KeyType::Ip, 4);
        assert_eq!(k, Some(StickKey::Ip(Ipv4Addr::new(1, 2, 3, 4))));
        let k = StickKey::from_input(KeyInput::Ipv6(Ipv6Addr::LOCALHOST), KeyType::Ip, 4);
        assert_eq!(k, None);
    }

    #[test]
    fn integers_are_32_bit_and_strings_parse_leading_digits() {
        let k = StickKey::from_input(KeyInput::Int(-1), KeyType::Integer, 4);
        assert_eq!(k, Some(StickKey::Int(u32::MAX)));
        let k = StickKey::from_input(KeyInput::Str(b"42abc"), KeyType::Integer, 4);
        assert_eq!(k, Some(StickKey::Int(42)));
        let k = StickKey::from_input(
            KeyInput::Ipv4(Ipv4Addr::new(0, 0, 1, 1)),
            KeyType::Integer,
            4,
        );
        assert_eq!(k, Some(StickKey::Int(257)));
    }

    #[test]
    fn strings_truncate_to_key_size_minus_one_and_escape_on_display() {
        let k = StickKey::from_input(KeyInput::Str(b"abcdef"), KeyType::String, 4);
        assert_eq!(k, Some(StickKey::Str(b"abc".to_vec())));
        let k = StickKey::Str(b"a b=c\\\x01".to_vec());
        assert_eq!(k.display(), "a\\ b\\=c\\\\\\x01");
    }

    #[test]
    fn binary_keys_pad_with_zeros_and_print_upper_hex() {
        let k = StickKey::from_input(KeyInput::Str(b"AB"), KeyType::Binary, 4);
        assert_eq!(
            k.as_ref().map(StickKey::display).as_deref(),
            Some("41420000")
        );
        let k = StickKey::from_input(KeyInput::Int(1), KeyType::Binary, 8);
        assert_eq!(k.map(|k| k.display()).as_deref(), Some("0000000000000001"));
    }

    #[test]
    fn cli_keys_follow_haproxy_parsing() {
        assert_eq!(
            StickKey::parse_cli("4294967296", KeyType::Integer, 4),
            Err("Invalid key\n")
        );
        assert_eq!(
            StickKey::parse_cli("12", KeyType::Integer, 4),
            Ok(StickKey::Int(12))
        );
        assert_eq!(
            StickKey::parse_cli("zz", KeyType::Ipv6, 16),
            Err("Invalid key\n")
        );
    }
}
