//! Samples: typed values fetched from a session and passed through converters
//! (spec 5.4, 5.5). An [`Expr`] is one fetch plus its converter chain,
//! compiled once at configuration time and evaluated per request against a
//! [`SampleCtx`].
//!
//! `simple` keeps the older single-fetch parser used by `balance hash` and the
//! log formats.

pub mod conv;
pub mod conv_more;
pub mod ctx;
pub mod expr;
pub mod fetch;
mod simple;
pub mod tls_hello;

pub use ctx::{
    HttpMsg, OwnedMsg, ProxyState, SampleCtx, ServerState, StickCounter, StickSource, TestCtx,
    TlsInfo, VarScope,
};
pub use expr::{Expr, ParseEnv};
pub use simple::{eval, parse, uri_path, RequestView, SimpleFetch};

use std::net::{Ipv4Addr, Ipv6Addr};

/// A typed sample value (HAProxy's `SMP_T_*`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Sample {
    Bool(bool),
    Sint(i64),
    Ipv4(Ipv4Addr),
    Ipv6(Ipv6Addr),
    Str(Vec<u8>),
    Bin(Vec<u8>),
    /// An HTTP method (a string that matches case-insensitively).
    Meth(Vec<u8>),
}

/// The static type of a sample, known at configuration time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SampleType {
    Bool,
    Sint,
    /// Either address family (`src`, `dst`).
    Addr,
    Ipv4,
    Ipv6,
    Str,
    Bin,
    Meth,
    /// Anything (`var()`): decided at run time.
    Any,
}

impl SampleType {
    /// HAProxy's type name, as errors print it.
    pub fn name(self) -> &'static str {
        match self {
            SampleType::Bool => "boolean",
            SampleType::Sint => "integer",
            SampleType::Addr => "addr",
            SampleType::Ipv4 => "ipv4",
            SampleType::Ipv6 => "ipv6",
            SampleType::Str => "string",
            SampleType::Bin => "binary",
            SampleType::Meth => "method",
            SampleType::Any => "any",
        }
    }
}

impl Sample {
    pub fn kind(&self) -> SampleType {
        match self {
            Sample::Bool(_) => SampleType::Bool,
            Sample::Sint(_) => SampleType::Sint,
            Sample::Ipv4(_) => SampleType::Ipv4,
            Sample::Ipv6(_) => SampleType::Ipv6,
            Sample::Str(_) => SampleType::Str,
            Sample::Bin(_) => SampleType::Bin,
            Sample::Meth(_) => SampleType::Meth,
        }
    }

    /// The string form (HAProxy's cast to `str`): integers in decimal,
    /// addresses in their usual text, booleans as 0/1, binary as is.
    pub fn to_text(&self) -> Vec<u8> {
        match self {
            Sample::Bool(b) => {
                if *b {
                    b"1".to_vec()
                } else {
                    b"0".to_vec()
                }
            }
            Sample::Sint(i) => i.to_string().into_bytes(),
            Sample::Ipv4(a) => a.to_string().into_bytes(),
            Sample::Ipv6(a) => a.to_string().into_bytes(),
            Sample::Str(s) | Sample::Bin(s) | Sample::Meth(s) => s.clone(),
        }
    }

    /// Appends the string form ([`Sample::to_text`]) to `out`, without
    /// building it apart first.
    pub fn append_text(&self, out: &mut Vec<u8>) {
        use std::io::Write;
        // Writing into a Vec cannot fail.
        let _ = match self {
            Sample::Bool(b) => {
                out.push(if *b { b'1' } else { b'0' });
                Ok(())
            }
            Sample::Sint(i) => write!(out, "{i}"),
            Sample::Ipv4(a) => write!(out, "{a}"),
            Sample::Ipv6(a) => write!(out, "{a}"),
            Sample::Str(s) | Sample::Bin(s) | Sample::Meth(s) => {
                out.extend_from_slice(s);
                Ok(())
            }
        };
    }

    /// The bytes of a string-like sample without copying; None for the others.
    pub fn as_bytes(&self) -> Option<&[u8]> {
        match self {
            Sample::Str(s) | Sample::Bin(s) | Sample::Meth(s) => Some(s),
            _ => None,
        }
    }

    /// Cast to an integer: strings parse their leading decimal digits
    /// (HAProxy's `c_str2int` refuses a string with no digit).
    pub fn to_int(&self) -> Option<i64> {
        match self {
            Sample::Bool(b) => Some(i64::from(*b)),
            Sample::Sint(i) => Some(*i),
            Sample::Ipv4(a) => Some(i64::from(u32::from(*a))),
            Sample::Ipv6(_) | Sample::Bin(_) => None,
            Sample::Str(s) | Sample::Meth(s) => str_to_int(s),
        }
    }

    /// Cast to a boolean: integers are true when non-zero.
    pub fn to_bool(&self) -> Option<bool> {
        match self {
            Sample::Bool(b) => Some(*b),
            Sample::Sint(i) => Some(*i != 0),
            _ => self.to_int().map(|i| i != 0),
        }
    }

    /// Cast to an address: strings are parsed as v4 then v6.
    pub fn to_ip(&self) -> Option<std::net::IpAddr> {
        match self {
            Sample::Ipv4(a) => Some((*a).into()),
            Sample::Ipv6(a) => Some((*a).into()),
            Sample::Sint(i) => u32::try_from(*i).ok().map(|v| Ipv4Addr::from(v).into()),
            Sample::Str(s) => std::str::from_utf8(s).ok()?.trim().parse().ok(),
            _ => None,
        }
    }

    /// Converts to the type a converter or match expects, as HAProxy's cast
    /// table does; None when the cast does not exist or fails.
    pub fn cast(self, to: SampleType) -> Option<Sample> {
        Some(match to {
            SampleType::Any => self,
            SampleType::Bool => Sample::Bool(self.to_bool()?),
            SampleType::Sint => Sample::Sint(self.to_int()?),
            SampleType::Addr => match self {
                Sample::Ipv4(_) | Sample::Ipv6(_) => self,
                other => match other.to_ip()? {
                    std::net::IpAddr::V4(a) => Sample::Ipv4(a),
                    std::net::IpAddr::V6(a) => Sample::Ipv6(a),
                },
            },
            SampleType::Ipv4 => match self.to_ip()? {
                std::net::IpAddr::V4(a) => Sample::Ipv4(a),
                std::net::IpAddr::V6(a) => Sample::Ipv4(a.to_ipv4_mapped()?),
            },
            SampleType::Ipv6 => match self.to_ip()? {
                std::net::IpAddr::V4(a) => Sample::Ipv6(a.to_ipv6_mapped()),
                std::net::IpAddr::V6(a) => Sample::Ipv6(a),
            },
            SampleType::Str => match self {
                Sample::Str(_) => self,
                Sample::Meth(s) => Sample::Str(s),
                Sample::Bin(s) => Sample::Str(s),
                other => Sample::Str(other.to_text()),
            },
            SampleType::Bin => match self {
                Sample::Bin(_) => self,
                Sample::Str(s) | Sample::Meth(s) => Sample::Bin(s),
                Sample::Ipv4(a) => Sample::Bin(a.octets().to_vec()),
                Sample::Ipv6(a) => Sample::Bin(a.octets().to_vec()),
                Sample::Sint(i) => Sample::Bin(i.to_be_bytes().to_vec()),
                Sample::Bool(_) => return None,
            },
            SampleType::Meth => match self {
                Sample::Meth(_) => self,
                Sample::Str(s) => Sample::Meth(s),
                _ => return None,
            },
        })
    }
}

/// A sample borrowed for one test: the bytes of a string fetch still in the
/// message (no copy per ACL), or a sample owned elsewhere (a variable).
#[derive(Debug, Clone, Copy)]
pub enum SampleRef<'a> {
    /// A string (or method) read in place.
    Bytes(&'a [u8]),
    Sample(&'a Sample),
}

impl SampleRef<'_> {
    pub fn as_bytes(&self) -> Option<&[u8]> {
        match self {
            SampleRef::Bytes(b) => Some(b),
            SampleRef::Sample(s) => s.as_bytes(),
        }
    }

    /// The bytes a string match compares: as they are, other types cast
    /// to their text; None for booleans.
    pub fn string(&self) -> Option<std::borrow::Cow<'_, [u8]>> {
        match self {
            SampleRef::Bytes(b) => Some(std::borrow::Cow::Borrowed(b)),
            SampleRef::Sample(s) => match s.as_bytes() {
                Some(b) => Some(std::borrow::Cow::Borrowed(b)),
                None => match s {
                    Sample::Bool(_) => None,
                    other => Some(std::borrow::Cow::Owned(other.to_text())),
                },
            },
        }
    }

    pub fn to_int(&self) -> Option<i64> {
        match self {
            SampleRef::Bytes(b) => str_to_int(b),
            SampleRef::Sample(s) => s.to_int(),
        }
    }

    pub fn to_bool(&self) -> Option<bool> {
        match self {
            SampleRef::Bytes(b) => str_to_int(b).map(|i| i != 0),
            SampleRef::Sample(s) => s.to_bool(),
        }
    }

    pub fn to_ip(&self) -> Option<std::net::IpAddr> {
        match self {
            SampleRef::Bytes(b) => std::str::from_utf8(b).ok()?.trim().parse().ok(),
            SampleRef::Sample(s) => s.to_ip(),
        }
    }
}

/// HAProxy's string-to-integer cast: optional sign, then digits, stopping at
/// the first non-digit; at least one digit is needed.
pub fn str_to_int(s: &[u8]) -> Option<i64> {
    let (neg, digits) = match s.first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let n = digits.iter().take_while(|c| c.is_ascii_digit()).count();
    if n == 0 {
        return None;
    }
    let mut v: i64 = 0;
    for &c in &digits[..n] {
        v = v.saturating_mul(10).saturating_add(i64::from(c - b'0'));
    }
    Some(if neg { -v } else { v })
}

#[cfg(test)]
mod tests;
