//! Pattern and map-value syntax (spec 5.1, 6): integers and ranges, dotted
//! versions, hex strings, IP networks, and HAProxy's messages when a value
//! does not parse. Pure functions; the index decides what to do with them.

use crate::sample::{Sample, SampleType};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// HAProxy's message for a regex that does not compile.
pub fn regex_error(pat: &str, e: &regex::Error) -> String {
    let detail = match e {
        regex::Error::Syntax(s) => s
            .lines()
            .last()
            .unwrap_or("")
            .trim_start_matches("error: ")
            .to_string(),
        other => other.to_string(),
    };
    format!("regex '{pat}' is invalid (error={detail}, erroffset=0)")
}

/// Parses a map value for the output type (`map_*_int`, `map_*_ip`).
pub fn parse_value(v: &str, t: SampleType) -> Result<Sample, String> {
    match t {
        SampleType::Sint => crate::sample::str_to_int(v.as_bytes())
            .filter(|_| {
                v.bytes()
                    .skip_while(|c| *c == b'-' || *c == b'+')
                    .all(|c| c.is_ascii_digit())
            })
            .map(Sample::Sint)
            .ok_or_else(|| format!("unable to parse '{v}' as integer")),
        SampleType::Addr | SampleType::Ipv4 | SampleType::Ipv6 => match v.parse::<IpAddr>() {
            Ok(IpAddr::V4(a)) => Ok(Sample::Ipv4(a)),
            Ok(IpAddr::V6(a)) => Ok(Sample::Ipv6(a)),
            Err(_) => Err(format!("unable to parse '{v}' as ip")),
        },
        _ => Ok(Sample::Str(v.as_bytes().to_vec())),
    }
}

pub(super) fn parse_hex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

/// HAProxy's `strl2llrc`: an optional `-` then digits only.
fn strict_int(t: &str) -> Option<i64> {
    let digits = t.strip_prefix('-').unwrap_or(t);
    if digits.is_empty() || !digits.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    t.parse().ok()
}

/// `major[.minor]`, each below 65536, as `major << 16 | minor`.
pub fn dotted(t: &str) -> Option<i64> {
    let (maj, min) = match t.split_once('.') {
        Some((a, b)) => (strict_int(a)?, strict_int(b)?),
        None => (strict_int(t)?, 0),
    };
    if maj >= 65536 || min >= 65536 {
        return None;
    }
    Some((maj << 16) | (min & 0xffff))
}

/// Splits `N`, `N:M`, `:M`, `N:` (or with `-`, as HAProxy also accepts) into
/// bounds parsed by `num`; `Err(true)` when a single value fails (its message
/// differs from a bad range's).
fn split_range(s: &str, num: impl Fn(&str) -> Option<i64>) -> Result<(i64, i64), bool> {
    let Some(sep) = s.find([':', '-']) else {
        let v = num(s).ok_or(true)?;
        return Ok((v, v));
    };
    let (lo, hi) = (&s[..sep], &s[sep + 1..]);
    let r = match (lo.is_empty(), hi.is_empty()) {
        (true, false) => (i64::MIN, num(hi).ok_or(false)?),
        (false, true) => (num(lo).ok_or(false)?, i64::MAX),
        (true, true) => return Err(false),
        (false, false) => (num(lo).ok_or(false)?, num(hi).ok_or(false)?),
    };
    if r.0 > r.1 {
        return Err(false);
    }
    Ok(r)
}

/// An integer pattern (`pat_parse_int`), with 2.6's messages.
pub fn parse_int_range(s: &str) -> Result<(i64, i64), String> {
    split_range(s, strict_int).map_err(|single| {
        if single {
            format!("'{s}' is not a number")
        } else {
            format!("'{s}' is not a valid number range")
        }
    })
}

/// A dotted-version pattern (`pat_parse_dotted_ver`), with 2.6's messages.
pub fn parse_ver_range(s: &str) -> Result<(i64, i64), String> {
    split_range(s, dotted).map_err(|single| {
        if single {
            format!("'{s}' is not a dotted number")
        } else {
            format!("'{s}' is not a valid dotted number range")
        }
    })
}

/// `N`, `N:M`, `:M`, `N:` into an inclusive range.
pub fn parse_range(s: &str) -> Option<(i64, i64)> {
    parse_int_range(s).ok()
}

pub(super) enum Net {
    V4(u32, u8),
    V6(u128, u8),
}

/// An address or network: `a.b.c.d`, `a.b.c.d/24`, `a.b.c.d/255.255.0.0`,
/// `::1`, `2001:db8::/32`.
pub(super) fn parse_net(s: &str) -> Option<Net> {
    let (a, m) = match s.split_once('/') {
        Some((a, m)) => (a, Some(m)),
        None => (s, None),
    };
    if let Ok(v4) = a.parse::<Ipv4Addr>() {
        let l = match m {
            None => 32,
            Some(m) => match m.parse::<u8>() {
                Ok(l) if l <= 32 => l,
                Ok(_) => return None,
                Err(_) => {
                    let mask = u32::from(m.parse::<Ipv4Addr>().ok()?);
                    let l = mask.leading_ones();
                    if mask.checked_shl(l).unwrap_or(0) != 0 {
                        return None;
                    }
                    l as u8
                }
            },
        };
        return Some(Net::V4(u32::from(v4), l));
    }
    let v6 = a.parse::<Ipv6Addr>().ok()?;
    let l = match m {
        None => 128,
        Some(m) => m.parse::<u8>().ok().filter(|l| *l <= 128)?,
    };
    Some(Net::V6(u128::from(v6), l))
}

pub(super) fn mask4(a: u32, l: u8) -> u32 {
    if l == 0 {
        0
    } else {
        a & (u32::MAX << (32 - u32::from(l)))
    }
}

pub(super) fn mask6(a: u128, l: u8) -> u128 {
    if l == 0 {
        0
    } else {
        a & (u128::MAX << (128 - u32::from(l)))
    }
}

/// Whether `s` is a valid `ip` pattern.
pub fn is_ip_pattern(s: &str) -> bool {
    parse_net(s).is_some()
}
