//! Converters (spec 5.5): functions applied to a sample after its fetch.

use super::{ParseEnv, Sample, SampleCtx, SampleType, VarScope};
use crate::pattern::{MatchMethod, Matcher, RefKind};
use regex::bytes::Regex;

/// A compiled converter.
#[derive(Debug, Clone)]
pub struct Conv {
    name: String,
    kind: Kind,
}

/// An integer argument: a constant or a variable.
#[derive(Debug, Clone)]
enum IntArg {
    Const(i64),
    Var(VarScope, String),
}

#[derive(Debug, Clone)]
enum Kind {
    Lower,
    Upper,
    Base64,
    B64Dec,
    Hex,
    Hex2i,
    Length,
    Bytes(usize, Option<usize>),
    Field(i64, Vec<u8>, usize, bool),
    Regsub(Regex, String, bool),
    IpMask(u8, u8),
    Map(Matcher, Option<Sample>, SampleType),
    Json,
    UrlDec,
    UrlEnc,
    Concat(Vec<u8>, Option<(VarScope, String)>, Vec<u8>),
    Arith(char, IntArg),
    Neg,
    Cpl,
    Bool,
    Not,
    Odd,
    Even,
    Cmp(&'static str, IntArg),
    Hash(&'static str),
    Ltrim(Vec<u8>),
    Rtrim(Vec<u8>),
    StrCmp(VarScope, String),
    Iif(Vec<u8>, Vec<u8>),
    SetVar(VarScope, String),
    Debug,
    More(super::conv_more::Extra),
}

fn int_arg(conv: &str, a: Option<&String>) -> Result<IntArg, String> {
    let Some(a) = a.filter(|a| !a.is_empty()) else {
        return Err(format!("missing args for converter '{conv}'"));
    };
    if let Ok(v) = a.parse() {
        return Ok(IntArg::Const(v));
    }
    match VarScope::split(a) {
        Some((s, n)) => Ok(IntArg::Var(s, n.to_string())),
        None => Err(format!(
            "failed to parse '{a}' as integer or variable in converter '{conv}'"
        )),
    }
}

impl Conv {
    pub(crate) fn new(
        name: &str,
        args: Option<Vec<String>>,
        _input: SampleType,
        env: &ParseEnv<'_>,
    ) -> Result<Conv, String> {
        let a = args.unwrap_or_default();
        let arg = |i: usize| a.get(i).cloned().unwrap_or_default();
        let need = |n: usize| -> Result<(), String> {
            if a.len() < n {
                Err(format!("converter '{name}' expects {n} argument(s)"))
            } else {
                Ok(())
            }
        };
        let kind = match name {
            "lower" => Kind::Lower,
            "upper" => Kind::Upper,
            "base64" => Kind::Base64,
            "b64dec" => Kind::B64Dec,
            "hex" => Kind::Hex,
            "hex2i" => Kind::Hex2i,
            "length" | "len" => Kind::Length,
            "bytes" => {
                need(1)?;
                let off = arg(0)
                    .parse()
                    .map_err(|_| format!("converter '{name}' : invalid offset"))?;
                Kind::Bytes(off, a.get(1).and_then(|l| l.parse().ok()))
            }
            "field" | "word" => {
                need(2)?;
                let idx = arg(0)
                    .parse()
                    .map_err(|_| format!("converter '{name}' : invalid index '{}'", arg(0)))?;
                let cnt = a.get(2).and_then(|c| c.parse().ok()).unwrap_or(1);
                Kind::Field(idx, arg(1).into_bytes(), cnt, name == "word")
            }
            "regsub" => {
                need(2)?;
                let flags = arg(2);
                let re = regex::bytes::RegexBuilder::new(&arg(0))
                    .case_insensitive(flags.contains('i'))
                    .build()
                    .map_err(|e| crate::pattern::index::regex_error(&arg(0), &e))?;
                let subst = arg(1).replace("\\", "$").replace("$$", "\\");
                let subst = convert_backrefs(&arg(1)).unwrap_or(subst);
                Kind::Regsub(re, subst, flags.contains('g'))
            }
            "ipmask" => {
                need(1)?;
                let m4 = parse_mask4(&arg(0))
                    .ok_or_else(|| format!("converter '{name}' : invalid mask '{}'", arg(0)))?;
                let m6 = a.get(1).and_then(|m| m.parse().ok()).unwrap_or(128);
                Kind::IpMask(m4, m6)
            }
            "json" => Kind::Json,
            "url_dec" => Kind::UrlDec,
            "url_enc" => Kind::UrlEnc,
            "concat" => Kind::Concat(
                arg(0).into_bytes(),
                a.get(1)
                    .filter(|v| !v.is_empty())
                    .and_then(|v| VarScope::split(v))
                    .map(|(s, n)| (s, n.to_string())),
                arg(2).into_bytes(),
            ),
            "add" | "sub" | "mul" | "div" | "mod" | "and" | "or" | "xor" => {
                let op = match name {
                    "add" => '+',
                    "sub" => '-',
                    "mul" => '*',
                    "div" => '/',
                    "mod" => '%',
                    "and" => '&',
                    "or" => '|',
                    _ => '^',
                };
                Kind::Arith(op, int_arg(name, a.first())?)
            }
            "neg" => Kind::Neg,
            "cpl" => Kind::Cpl,
            "bool" => Kind::Bool,
            "not" => Kind::Not,
            "odd" => Kind::Odd,
            "even" => Kind::Even,
            "eq" | "ne" | "lt" | "le" | "gt" | "ge" => {
                let op = match name {
                    "eq" => "eq",
                    "ne" => "ne",
                    "lt" => "lt",
                    "le" => "le",
                    "gt" => "gt",
                    _ => "ge",
                };
                Kind::Cmp(op, int_arg(name, a.first())?)
            }
            "djb2" | "sdbm" | "wt6" | "crc32" | "crc32c" => Kind::Hash(match name {
                "djb2" => "djb2",
                "sdbm" => "sdbm",
                "wt6" => "wt6",
                "crc32" => "crc32",
                _ => "crc32c",
            }),
            "ltrim" => Kind::Ltrim(arg(0).into_bytes()),
            "rtrim" => Kind::Rtrim(arg(0).into_bytes()),
            "strcmp" => {
                need(1)?;
                let a0 = arg(0);
                let (s, n) = VarScope::split(&a0)
                    .ok_or_else(|| format!("converter '{name}' : invalid variable name '{a0}'"))?;
                Kind::StrCmp(s, n.to_string())
            }
            "iif" => {
                need(2)?;
                Kind::Iif(arg(0).into_bytes(), arg(1).into_bytes())
            }
            "set-var" => {
                need(1)?;
                let a0 = arg(0);
                let (s, n) = VarScope::split(&a0)
                    .ok_or_else(|| format!("converter '{name}' : invalid variable name '{a0}'"))?;
                Kind::SetVar(s, n.to_string())
            }
            "debug" => Kind::Debug,
            n if n == "map" || n.starts_with("map_") => map_conv(n, &a, env)?,
            n => match super::conv_more::parse(n, &a) {
                Some(r) => Kind::More(r?),
                None => return Err(format!("unknown converter '{name}'")),
            },
        };
        Ok(Conv {
            name: name.into(),
            kind,
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub(crate) fn out_type(&self, input: SampleType) -> SampleType {
        use SampleType as T;
        match &self.kind {
            Kind::Hex2i
            | Kind::Length
            | Kind::Arith(..)
            | Kind::Neg
            | Kind::Cpl
            | Kind::Hash(_)
            | Kind::StrCmp(..) => T::Sint,
            Kind::Bool | Kind::Not | Kind::Odd | Kind::Even | Kind::Cmp(..) => T::Bool,
            Kind::IpMask(..) => T::Addr,
            Kind::B64Dec | Kind::Bytes(..) => T::Bin,
            Kind::Map(_, _, t) => *t,
            Kind::SetVar(..) | Kind::Debug => input,
            Kind::More(x) => x.out_type(),
            _ => T::Str,
        }
    }

    pub(crate) fn apply(&self, cx: &mut dyn SampleCtx, s: Sample) -> Option<Sample> {
        let text = |s: Sample| -> Option<Vec<u8>> {
            match s.cast(SampleType::Str)? {
                Sample::Str(v) => Some(v),
                _ => None,
            }
        };
        let iarg = |cx: &dyn SampleCtx, a: &IntArg| -> Option<i64> {
            match a {
                IntArg::Const(v) => Some(*v),
                IntArg::Var(sc, n) => cx.var(*sc, n)?.to_int(),
            }
        };
        Some(match &self.kind {
            Kind::Lower => {
                let mut v = text(s)?;
                v.make_ascii_lowercase();
                Sample::Str(v)
            }
            Kind::Upper => {
                let mut v = text(s)?;
                v.make_ascii_uppercase();
                Sample::Str(v)
            }
            Kind::Base64 => Sample::Str(b64enc(&bin(s)?).into_bytes()),
            Kind::B64Dec => Sample::Bin(b64dec(&text(s)?)?),
            Kind::Hex => Sample::Str(
                bin(s)?
                    .iter()
                    .map(|b| format!("{b:02X}"))
                    .collect::<String>()
                    .into_bytes(),
            ),
            Kind::Hex2i => {
                let t = text(s)?;
                Sample::Sint(i64::from_str_radix(std::str::from_utf8(&t).ok()?.trim(), 16).ok()?)
            }
            Kind::Length => Sample::Sint(text(s)?.len() as i64),
            Kind::Bytes(off, len) => {
                let b = bin(s)?;
                let start = (*off).min(b.len());
                let end = len.map_or(b.len(), |l| (start + l).min(b.len()));
                Sample::Bin(b[start..end].to_vec())
            }
            Kind::Field(idx, delims, cnt, word) => {
                Sample::Str(field(&text(s)?, *idx, delims, *cnt, *word)?)
            }
            Kind::Regsub(re, subst, global) => {
                let t = text(s)?;
                let limit = if *global { 0 } else { 1 };
                Sample::Str(re.replacen(&t, limit, subst.as_bytes()).into_owned())
            }
            Kind::IpMask(m4, m6) => match s.cast(SampleType::Addr)? {
                Sample::Ipv4(a) => Sample::Ipv4((u32::from(a) & mask(*m4, 32) as u32).into()),
                Sample::Ipv6(a) => Sample::Ipv6((u128::from(a) & mask(*m6, 128)).into()),
                _ => return None,
            },
            Kind::Map(m, def, _) => {
                let key = match m.method() {
                    MatchMethod::Ip => s.cast(SampleType::Addr)?,
                    MatchMethod::Int => s.cast(SampleType::Sint)?,
                    _ => s.cast(SampleType::Str)?,
                };
                match m.map_value(&key) {
                    Some(v) => v,
                    None => def.clone()?,
                }
            }
            Kind::Json => Sample::Str(json_escape(&text(s)?)),
            Kind::UrlDec => Sample::Str(url_dec(&text(s)?)),
            Kind::UrlEnc => Sample::Str(url_enc(&text(s)?)),
            Kind::Concat(pre, var, post) => {
                let mut v = text(s)?;
                v.extend_from_slice(pre);
                if let Some((sc, n)) = var {
                    if let Some(x) = cx.var(*sc, n) {
                        v.extend_from_slice(&x.to_text());
                    }
                }
                v.extend_from_slice(post);
                Sample::Str(v)
            }
            Kind::Arith(op, a) => {
                let x = s.to_int()?;
                let y = iarg(cx, a)?;
                Sample::Sint(match op {
                    '+' => x.saturating_add(y),
                    '-' => x.saturating_sub(y),
                    '*' => x.saturating_mul(y),
                    // HAProxy returns the largest value on a division by zero.
                    '/' => {
                        if y == 0 {
                            i64::MAX
                        } else {
                            x.wrapping_div(y)
                        }
                    }
                    '%' => {
                        if y == 0 {
                            0
                        } else {
                            x.wrapping_rem(y)
                        }
                    }
                    '&' => x & y,
                    '|' => x | y,
                    _ => x ^ y,
                })
            }
            Kind::Neg => Sample::Sint(s.to_int()?.wrapping_neg()),
            Kind::Cpl => Sample::Sint(!s.to_int()?),
            Kind::Bool => Sample::Bool(s.to_int()? != 0),
            Kind::Not => Sample::Bool(s.to_int()? == 0),
            Kind::Odd => Sample::Bool(s.to_int()? & 1 == 1),
            Kind::Even => Sample::Bool(s.to_int()? & 1 == 0),
            Kind::Cmp(op, a) => {
                let x = s.to_int()?;
                let y = iarg(cx, a)?;
                Sample::Bool(match *op {
                    "eq" => x == y,
                    "ne" => x != y,
                    "lt" => x < y,
                    "le" => x <= y,
                    "gt" => x > y,
                    _ => x >= y,
                })
            }
            Kind::Hash(h) => {
                let b = bin(s)?;
                Sample::Sint(i64::from(match *h {
                    "djb2" => djb2(&b),
                    "sdbm" => sdbm(&b),
                    "wt6" => super::conv_more::wt6(&b),
                    "crc32" => crc32(&b, 0xEDB8_8320),
                    _ => crc32(&b, 0x82F6_3B78),
                }))
            }
            Kind::Ltrim(set) => {
                let t = text(s)?;
                let st = t.iter().position(|c| !set.contains(c)).unwrap_or(t.len());
                Sample::Str(t[st..].to_vec())
            }
            Kind::Rtrim(set) => {
                let t = text(s)?;
                let en = t
                    .iter()
                    .rposition(|c| !set.contains(c))
                    .map_or(0, |e| e + 1);
                Sample::Str(t[..en].to_vec())
            }
            Kind::StrCmp(sc, n) => {
                let other = cx.var(*sc, n)?.to_text();
                let t = text(s)?;
                Sample::Sint(match t.cmp(&other) {
                    std::cmp::Ordering::Less => -1,
                    std::cmp::Ordering::Equal => 0,
                    std::cmp::Ordering::Greater => 1,
                })
            }
            Kind::Iif(t, f) => Sample::Str(if s.to_bool()? { t.clone() } else { f.clone() }),
            Kind::SetVar(sc, n) => {
                cx.set_var(*sc, n, s.clone());
                s
            }
            Kind::Debug => s,
            Kind::More(x) => return x.apply(cx, s),
        })
    }
}

/// `map_<match>[_<out>](file[,default])`.
fn map_conv(name: &str, a: &[String], env: &ParseEnv<'_>) -> Result<Kind, String> {
    let rest = name.strip_prefix("map").unwrap_or("");
    let mut parts = rest.split('_').filter(|p| !p.is_empty());
    let mname = parts.next().unwrap_or("str");
    let oname = parts.next().unwrap_or("str");
    if parts.next().is_some() {
        return Err(format!("unknown converter '{name}'"));
    }
    let (method, regm) = match mname {
        "regm" => (MatchMethod::Reg, true),
        m => (
            MatchMethod::parse(m)
                .filter(|m| m.takes_patterns())
                .ok_or_else(|| format!("unknown converter '{name}'"))?,
            false,
        ),
    };
    let _ = regm;
    let out = match oname {
        "str" => SampleType::Str,
        "int" => SampleType::Sint,
        "ip" => SampleType::Addr,
        _ => return Err(format!("unknown converter '{name}'")),
    };
    let Some(file) = a.first().filter(|f| !f.is_empty()) else {
        return Err(format!("missing args for converter '{name}'"));
    };
    let used_by = format!("map at file '{}' line {}", env.file, env.line);
    let r = env.registry.file(file, RefKind::Map, None, &used_by)?;
    let m = r
        .matcher(method, false, Some(out))
        .map_err(|(e, msg)| format!("{msg} at line {} of file '{file}'.", e.line))?;
    let def = match a.get(1) {
        Some(d) => Some(crate::pattern::index::parse_value(d, out)?),
        None => None,
    };
    Ok(Kind::Map(m, def, out))
}

/// `\1` in a regsub replacement becomes the `regex` crate's `${1}`.
fn convert_backrefs(s: &str) -> Option<String> {
    let mut out = String::with_capacity(s.len());
    let mut it = s.chars().peekable();
    while let Some(c) = it.next() {
        match c {
            '\\' if it.peek().is_some_and(char::is_ascii_digit) => {
                let d = it.next()?;
                out.push_str(&format!("${{{d}}}"));
            }
            '$' => out.push_str("$$"),
            c => out.push(c),
        }
    }
    Some(out)
}

fn bin(s: Sample) -> Option<Vec<u8>> {
    match s.cast(SampleType::Bin)? {
        Sample::Bin(v) => Some(v),
        _ => None,
    }
}

fn mask(len: u8, bits: u32) -> u128 {
    if len == 0 {
        0
    } else {
        let full: u128 = if bits == 32 {
            u128::from(u32::MAX)
        } else {
            u128::MAX
        };
        (full << (bits - u32::from(len).min(bits))) & full
    }
}

fn parse_mask4(s: &str) -> Option<u8> {
    if let Ok(l) = s.parse::<u8>() {
        return (l <= 32).then_some(l);
    }
    let m = u32::from(s.parse::<std::net::Ipv4Addr>().ok()?);
    Some(m.leading_ones() as u8)
}

/// `field`/`word`: 1-based index, negative from the end; `word` skips empty
/// fields.
fn field(t: &[u8], idx: i64, delims: &[u8], cnt: usize, word: bool) -> Option<Vec<u8>> {
    let mut parts: Vec<&[u8]> = t.split(|c| delims.contains(c)).collect();
    if word {
        parts.retain(|p| !p.is_empty());
    }
    let n = parts.len() as i64;
    let start = if idx > 0 {
        idx - 1
    } else if idx < 0 {
        n + idx - (cnt as i64 - 1).max(0)
    } else {
        return None;
    };
    if start < 0 || start >= n {
        return Some(Vec::new());
    }
    let start = start as usize;
    let end = if cnt == 0 {
        parts.len()
    } else {
        (start + cnt).min(parts.len())
    };
    let sep = *delims.first()?;
    Some(parts[start..end].join(&sep))
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

fn b64enc(b: &[u8]) -> String {
    let mut out = String::with_capacity(b.len().div_ceil(3) * 4);
    for ch in b.chunks(3) {
        let n = (u32::from(ch[0]) << 16)
            | (u32::from(*ch.get(1).unwrap_or(&0)) << 8)
            | u32::from(*ch.get(2).unwrap_or(&0));
        for k in 0..4 {
            if k <= ch.len() {
                out.push(char::from(B64[((n >> (18 - 6 * k)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn b64dec(t: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(t.len() / 4 * 3);
    let mut acc = 0u32;
    let mut bits = 0;
    for &c in t.iter().filter(|c| **c != b'=') {
        let v = B64.iter().position(|x| *x == c)? as u32;
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    Some(out)
}

fn json_escape(t: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(t.len());
    for &c in t {
        match c {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'/' => out.extend_from_slice(b"\\/"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            c if c < 0x20 => out.extend_from_slice(format!("\\u{c:04x}").as_bytes()),
            c => out.push(c),
        }
    }
    out
}

fn url_dec(t: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(t.len());
    let mut i = 0;
    while i < t.len() {
        let hex = t
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (t[i], hex) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
                continue;
            }
            (b'+', _) => out.push(b' '),
            (c, _) => out.push(c),
        }
        i += 1;
    }
    out
}

fn url_enc(t: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(t.len());
    for &c in t {
        if c.is_ascii_alphanumeric() || b"-._~".contains(&c) {
            out.push(c);
        } else {
            out.extend_from_slice(format!("%{c:02X}").as_bytes());
        }
    }
    out
}

fn djb2(b: &[u8]) -> u32 {
    b.iter().fold(5381u32, |h, &c| {
        h.wrapping_mul(33).wrapping_add(u32::from(c))
    })
}

fn sdbm(b: &[u8]) -> u32 {
    b.iter().fold(0u32, |h, &c| {
        u32::from(c)
            .wrapping_add(h << 6)
            .wrapping_add(h << 16)
            .wrapping_sub(h)
    })
}

fn crc32(b: &[u8], poly: u32) -> u32 {
    let mut c = !0u32;
    for &x in b {
        c ^= u32::from(x);
        for _ in 0..8 {
            c = if c & 1 != 0 { (c >> 1) ^ poly } else { c >> 1 };
        }
    }
    !c
}
