//! Converters beyond the basic set (spec 5.5): cryptographic digests and
//! HMACs, xxHash, URL-safe base64, date formatting and stick-table lookups.
//! Kept apart from `conv` so each file stays one readable room.

use super::{Sample, SampleCtx, SampleType, StickCounter, StickSource, VarScope};
use chrono::format::{Item, StrftimeItems};
use hmac::{Hmac, Mac};
use sha1::Sha1;
use sha2::{Digest, Sha224, Sha256, Sha384, Sha512};

/// A digest algorithm, as `digest()` and `hmac()` name them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Alg {
    Sha1,
    Sha224,
    Sha256,
    Sha384,
    Sha512,
}

impl Alg {
    fn parse(s: &str) -> Option<Alg> {
        Some(match s.to_ascii_lowercase().as_str() {
            "sha1" => Alg::Sha1,
            "sha224" => Alg::Sha224,
            "sha256" => Alg::Sha256,
            "sha384" => Alg::Sha384,
            "sha512" => Alg::Sha512,
            _ => return None,
        })
    }

    fn digest(self, b: &[u8]) -> Vec<u8> {
        match self {
            Alg::Sha1 => Sha1::digest(b).to_vec(),
            Alg::Sha224 => Sha224::digest(b).to_vec(),
            Alg::Sha256 => Sha256::digest(b).to_vec(),
            Alg::Sha384 => Sha384::digest(b).to_vec(),
            Alg::Sha512 => Sha512::digest(b).to_vec(),
        }
    }

    fn hmac(self, key: &[u8], b: &[u8]) -> Option<Vec<u8>> {
        fn run<M: Mac + hmac::digest::KeyInit>(key: &[u8], b: &[u8]) -> Option<Vec<u8>> {
            let mut m = <M as Mac>::new_from_slice(key).ok()?;
            m.update(b);
            Some(m.finalize().into_bytes().to_vec())
        }
        match self {
            Alg::Sha1 => run::<Hmac<Sha1>>(key, b),
            Alg::Sha224 => run::<Hmac<Sha224>>(key, b),
            Alg::Sha256 => run::<Hmac<Sha256>>(key, b),
            Alg::Sha384 => run::<Hmac<Sha384>>(key, b),
            Alg::Sha512 => run::<Hmac<Sha512>>(key, b),
        }
    }
}

/// The key of `hmac()`: a variable, or base64 text.
#[derive(Debug, Clone)]
pub enum Key {
    Var(VarScope, String),
    Bytes(Vec<u8>),
}

/// A compiled converter of this module.
#[derive(Debug, Clone)]
pub enum Extra {
    Digest(Alg),
    Hmac(Alg, Key),
    Xxh32(u32),
    Xxh64(u64),
    Xxh3(u64),
    Ub64Enc,
    Ub64Dec,
    /// Offset, and the input's unit as a divisor (1, 1000, 1000000).
    HttpDate(i64, i64),
    /// strftime items, offset, UTC (`utime`) or local (`ltime`).
    Time(Vec<Item<'static>>, i64, bool),
    Table(String, StickCounter),
}

/// Parses `name(args)` when it is one of this module's converters.
pub fn parse(name: &str, a: &[String]) -> Option<Result<Extra, String>> {
    if !is_ours(name) {
        return None;
    }
    let int = |i: usize| -> Result<i64, String> {
        match a.get(i).filter(|v| !v.is_empty()) {
            None => Ok(0),
            Some(v) => v
                .parse()
                .map_err(|_| format!("converter '{name}' : '{v}' is not an integer")),
        }
    };
    let r = (|| -> Result<Extra, String> {
        Ok(match name {
            "sha1" => Extra::Digest(Alg::Sha1),
            "sha2" => Extra::Digest(match int(0)? {
                0 | 256 => Alg::Sha256,
                224 => Alg::Sha224,
                384 => Alg::Sha384,
                512 => Alg::Sha512,
                b => return Err(format!("Unsupported number of bits: '{b}'.")),
            }),
            "digest" => {
                let n = a.first().cloned().unwrap_or_default();
                Extra::Digest(
                    Alg::parse(&n).ok_or_else(|| {
                        format!("algorithm must be a valid digest name, got '{n}'")
                    })?,
                )
            }
            "hmac" => {
                let n = a.first().cloned().unwrap_or_default();
                let alg = Alg::parse(&n)
                    .ok_or_else(|| format!("algorithm must be a valid digest name, got '{n}'"))?;
                let k = a
                    .get(1)
                    .filter(|k| !k.is_empty())
                    .ok_or_else(|| format!("missing args for converter '{name}'"))?;
                let key = match VarScope::split(k) {
                    Some((s, v)) => Key::Var(s, v.to_string()),
                    None => Key::Bytes(
                        b64_decode(k.as_bytes(), false)
                            .ok_or_else(|| format!("failed to decode base64 key '{k}'"))?,
                    ),
                };
                Extra::Hmac(alg, key)
            }
            "xxh32" => Extra::Xxh32(int(0)? as u32),
            "xxh64" => Extra::Xxh64(int(0)? as u64),
            "xxh3" => Extra::Xxh3(int(0)? as u64),
            "ub64enc" => Extra::Ub64Enc,
            "ub64dec" => Extra::Ub64Dec,
            "http_date" => {
                let unit = match a.get(1).map(String::as_str) {
                    None | Some("") | Some("s") => 1,
                    Some("ms") => 1000,
                    Some("us") => 1_000_000,
                    Some(u) => {
                        return Err(format!(
                            "Invalid unit '{u}' for converter 'http_date'. Valid units are 's', 'ms' and 'us'."
                        ))
                    }
                };
                Extra::HttpDate(int(0)?, unit)
            }
            "ltime" | "utime" => {
                let fmt = a
                    .first()
                    .ok_or_else(|| format!("missing args for converter '{name}'"))?;
                let items: Vec<Item<'static>> =
                    StrftimeItems::new(fmt).map(|i| i.to_owned()).collect();
                if items.iter().any(|i| matches!(i, Item::Error)) {
                    return Err(format!("converter '{name}' : invalid date format '{fmt}'"));
                }
                Extra::Time(items, int(1)?, name == "utime")
            }
            _ => {
                let suffix = name.strip_prefix("table_").unwrap_or(name);
                let what = StickCounter::from_suffix(suffix)
                    .or_else(|| StickCounter::from_suffix(&format!("get_{suffix}")))
                    .ok_or_else(|| format!("unknown converter '{name}'"))?;
                let t = a
                    .first()
                    .filter(|t| !t.is_empty())
                    .ok_or_else(|| format!("missing args for converter '{name}'"))?;
                Extra::Table(t.clone(), what)
            }
        })
    })();
    Some(r)
}

fn is_ours(name: &str) -> bool {
    matches!(
        name,
        "sha1"
            | "sha2"
            | "digest"
            | "hmac"
            | "xxh32"
            | "xxh64"
            | "xxh3"
            | "ub64enc"
            | "ub64dec"
            | "http_date"
            | "ltime"
            | "utime"
    ) || name.starts_with("table_")
}

impl Extra {
    pub fn out_type(&self) -> SampleType {
        match self {
            Extra::Digest(_) | Extra::Hmac(..) | Extra::Ub64Dec => SampleType::Bin,
            Extra::Xxh32(_) | Extra::Xxh64(_) | Extra::Xxh3(_) | Extra::Table(..) => {
                SampleType::Sint
            }
            Extra::Ub64Enc | Extra::HttpDate(..) | Extra::Time(..) => SampleType::Str,
        }
    }

    pub fn apply(&self, cx: &mut dyn SampleCtx, s: Sample) -> Option<Sample> {
        let bin = |s: Sample| match s.cast(SampleType::Bin)? {
            Sample::Bin(b) => Some(b),
            _ => None,
        };
        Some(match self {
            Extra::Digest(alg) => Sample::Bin(alg.digest(&bin(s)?)),
            Extra::Hmac(alg, key) => {
                let k = match key {
                    Key::Bytes(b) => b.clone(),
                    Key::Var(sc, n) => b64_decode(&cx.var(*sc, n)?.to_text(), false)?,
                };
                Sample::Bin(alg.hmac(&k, &bin(s)?)?)
            }
            Extra::Xxh32(seed) => {
                Sample::Sint(i64::from(xxhash_rust::xxh32::xxh32(&bin(s)?, *seed)))
            }
            Extra::Xxh64(seed) => Sample::Sint(xxhash_rust::xxh64::xxh64(&bin(s)?, *seed) as i64),
            Extra::Xxh3(seed) => {
                Sample::Sint(xxhash_rust::xxh3::xxh3_64_with_seed(&bin(s)?, *seed) as i64)
            }
            Extra::Ub64Enc => Sample::Str(b64_encode(&bin(s)?, true)),
            Extra::Ub64Dec => Sample::Bin(b64_decode(&s.to_text(), true)?),
            Extra::HttpDate(off, unit) => {
                let v = s.to_int()?.wrapping_add(*off);
                let (secs, frac) = (v / unit, v % unit);
                let t = secs & 0x007f_ffff_ffff_ffff;
                let d = chrono::DateTime::from_timestamp(t, 0)?;
                let mut out = d.format("%a, %d %b %Y %H:%M:%S").to_string();
                if *unit != 1 {
                    out.push_str(&format!(".{frac}"));
                }
                out.push_str(" GMT");
                Sample::Str(out.into_bytes())
            }
            Extra::Time(items, off, utc) => {
                // 2.6 masks to 55 bits so a huge value cannot go negative.
                let t = (s.to_int()? & 0x007f_ffff_ffff_ffff).wrapping_add(*off);
                let d = chrono::DateTime::from_timestamp(t, 0)?;
                let text = if *utc {
                    d.format_with_items(items.iter()).to_string()
                } else {
                    d.with_timezone(&chrono::Local)
                        .format_with_items(items.iter())
                        .to_string()
                };
                Sample::Str(text.into_bytes())
            }
            Extra::Table(t, what) => {
                let src = StickSource::Key {
                    table: Some(t.clone()),
                    key: s,
                };
                Sample::Sint(cx.stick(src, *what)?)
            }
        })
    }
}

const STD: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const URL: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// Base64 (`url`: the URL-safe alphabet without padding, as `ub64enc`).
pub fn b64_encode(b: &[u8], url: bool) -> Vec<u8> {
    let tab = if url { URL } else { STD };
    let mut out = Vec::with_capacity(b.len().div_ceil(3) * 4);
    for ch in b.chunks(3) {
        let n = (u32::from(ch[0]) << 16)
            | (u32::from(*ch.get(1).unwrap_or(&0)) << 8)
            | u32::from(*ch.get(2).unwrap_or(&0));
        for k in 0..4 {
            if k <= ch.len() {
                out.push(tab[((n >> (18 - 6 * k)) & 63) as usize]);
            } else if !url {
                out.push(b'=');
            }
        }
    }
    out
}

/// Decodes base64; None on a character outside the alphabet or a length no
/// encoder produces.
pub fn b64_decode(t: &[u8], url: bool) -> Option<Vec<u8>> {
    let tab = if url { URL } else { STD };
    let body: &[u8] = if url {
        t
    } else {
        let end = t.iter().rposition(|c| *c != b'=').map_or(0, |e| e + 1);
        &t[..end]
    };
    if body.len() % 4 == 1 {
        return None;
    }
    let mut out = Vec::with_capacity(body.len() / 4 * 3 + 2);
    let (mut acc, mut bits) = (0u32, 0);
    for &c in body {
        let v = tab.iter().position(|x| *x == c)? as u32;
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    Some(out)
}

/// HAProxy's `hash_wt6` (src/hash.c): two 32-bit lanes with data-dependent
/// rotations.
pub fn wt6(b: &[u8]) -> u32 {
    let (mut h0, mut h1): (u32, u32) = (0xa53c_965a, 0x5ca6_953a);
    let (mut step0, mut step1): (u32, u32) = (6, 18);
    for &c in b {
        let t = u32::from(c);
        h0 = !(h0 ^ t);
        h1 = !(h1.wrapping_add(t));
        let t = h1.rotate_left(step0);
        h1 = h0.rotate_left(step1);
        h0 = t;
        let t = ((h0 >> 16) ^ h1) & 0xffff;
        step0 = t & 0x1f;
        step1 = t >> 11;
    }
    h0 ^ h1
}

/// The host and port of an absolute `http://host[:port]/...` URI, as
/// `url_ip`/`url_port` read them; None for an origin-form URI.
pub fn url_authority(uri: &[u8]) -> Option<(&[u8], Option<&[u8]>)> {
    let scheme_end = uri.windows(3).position(|w| w == b"://")?;
    let rest = &uri[scheme_end + 3..];
    let end = rest
        .iter()
        .position(|c| matches!(c, b'/' | b'?' | b'#'))
        .unwrap_or(rest.len());
    let auth = &rest[..end];
    let auth = match auth.iter().rposition(|c| *c == b'@') {
        Some(at) => &auth[at + 1..],
        None => auth,
    };
    Some(match auth.iter().rposition(|c| *c == b':') {
        Some(c) => (&auth[..c], Some(&auth[c + 1..])),
        None => (auth, None),
    })
}

/// A random (version 4) UUID in its usual text form, as `uuid` gives it.
pub fn uuid4() -> String {
    let mut b: [u8; 16] = fastrand::u128(..).to_be_bytes();
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..]
    )
}
