//! Compiled pattern lists: one index per (match method, case) so a lookup
//! costs about the same with ten patterns or a hundred thousand.
//!
//! `str`/`bin` use a hash map, `beg`/`end` a hash map per pattern length,
//! `ip` a hash map per prefix length (longest first), `sub` one Aho-Corasick
//! automaton, `reg` a `RegexSet`, `dir`/`dom` a hash of every delimited run.
//! Where HAProxy keeps a tree (`str`, `ip`, case-sensitive `beg`) the longest
//! or exact match wins; elsewhere the first pattern in list order does.

use super::Hit;
use crate::sample::{Sample, SampleType};
use aho_corasick::AhoCorasick;
use regex::bytes::{Regex, RegexBuilder, RegexSet, RegexSetBuilder};
use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// How a sample is compared with the patterns (`-m <method>`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MatchMethod {
    Found,
    Bool,
    Int,
    Ip,
    Bin,
    Len,
    Str,
    Sub,
    Reg,
    Beg,
    End,
    Dir,
    Dom,
    /// `int` with dotted-version patterns (`3.1` is `3 << 16 | 1`): the
    /// default of `req.ssl_ver` only; `-m` never selects it.
    Ver,
}

impl MatchMethod {
    pub fn parse(s: &str) -> Option<MatchMethod> {
        use MatchMethod::*;
        Some(match s {
            "found" => Found,
            "bool" => Bool,
            "int" => Int,
            "ip" => Ip,
            "bin" => Bin,
            "len" => Len,
            "str" => Str,
            "sub" => Sub,
            "reg" => Reg,
            "beg" => Beg,
            "end" => End,
            "dir" => Dir,
            "dom" => Dom,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        use MatchMethod::*;
        match self {
            Found => "found",
            Bool => "bool",
            Int => "int",
            Ip => "ip",
            Bin => "bin",
            Len => "len",
            Str => "str",
            Sub => "sub",
            Reg => "reg",
            Beg => "beg",
            End => "end",
            Dir => "dir",
            Dom => "dom",
            Ver => "int",
        }
    }

    /// The default method for a sample type (spec 5.1); None for binary.
    pub fn default_for(t: SampleType) -> Option<MatchMethod> {
        Some(match t {
            SampleType::Bool => MatchMethod::Bool,
            SampleType::Sint => MatchMethod::Int,
            SampleType::Addr | SampleType::Ipv4 | SampleType::Ipv6 => MatchMethod::Ip,
            SampleType::Str | SampleType::Meth | SampleType::Any => MatchMethod::Str,
            SampleType::Bin => return None,
        })
    }

    /// Whether the method compares against patterns at all.
    pub fn takes_patterns(self) -> bool {
        !matches!(self, MatchMethod::Found | MatchMethod::Bool)
    }
}

/// One entry of a list as the index keeps it.
#[derive(Debug, Clone)]
struct Item {
    key: String,
    value: Option<Sample>,
    raw_value: Option<String>,
}

#[derive(Debug, Clone)]
enum Kind {
    None,
    Exact(HashMap<Vec<u8>, u32>),
    /// Pattern lengths, longest first, and the patterns by content.
    Affix {
        lens: Vec<usize>,
        map: HashMap<Vec<u8>, u32>,
        end: bool,
        longest: bool,
    },
    Sub(Option<AhoCorasick>),
    Reg(Option<RegexSet>, Vec<Regex>),
    Words {
        delim: u8,
        map: HashMap<Vec<u8>, u32>,
    },
    Ints {
        exact: HashMap<i64, u32>,
        ranges: Vec<(i64, i64, u32)>,
    },
    Ip {
        v4: Vec<(u8, HashMap<u32, u32>)>,
        v6: Vec<(u8, HashMap<u128, u32>)>,
    },
}

/// A compiled list.
#[derive(Debug, Clone)]
pub struct Index {
    method: MatchMethod,
    icase: bool,
    items: Vec<Item>,
    kind: Kind,
}

/// Why a pattern was refused: the entry's position and HAProxy's message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildError {
    pub pos: usize,
    pub msg: String,
}

impl Index {
    /// An index matching nothing (the empty list).
    pub fn empty(method: MatchMethod, icase: bool) -> Index {
        Index {
            method,
            icase,
            items: Vec::new(),
            kind: Kind::None,
        }
    }

    /// Compiles `entries` (key, map value) for `method`; `out` is the map's
    /// value type (None for an ACL).
    pub fn build(
        method: MatchMethod,
        icase: bool,
        entries: &[(&str, Option<&str>)],
        out: Option<SampleType>,
    ) -> Result<Index, BuildError> {
        let mut items = Vec::with_capacity(entries.len());
        for (pos, (k, v)) in entries.iter().enumerate() {
            let value = match (out, v) {
                (Some(t), Some(v)) => {
                    Some(parse_value(v, t).map_err(|msg| BuildError { pos, msg })?)
                }
                (Some(_), None) => None,
                _ => None,
            };
            items.push(Item {
                key: (*k).to_string(),
                value,
                raw_value: v.map(str::to_string),
            });
        }
        let err = |pos: usize, msg: String| BuildError { pos, msg };
        let fold = |k: &str| -> Vec<u8> {
            if icase {
                k.as_bytes().to_ascii_lowercase()
            } else {
                k.as_bytes().to_vec()
            }
        };
        let kind = match method {
            MatchMethod::Found | MatchMethod::Bool => Kind::None,
            MatchMethod::Str => {
                let mut m = HashMap::with_capacity(items.len());
                for (i, it) in items.iter().enumerate() {
                    m.entry(fold(&it.key)).or_insert(i as u32);
                }
                Kind::Exact(m)
            }
            MatchMethod::Bin => {
                let mut m = HashMap::with_capacity(items.len());
                for (i, it) in items.iter().enumerate() {
                    let b = parse_hex(&it.key)
                        .ok_or_else(|| err(i, format!("'{}' is not a valid hex string", it.key)))?;
                    m.entry(b).or_insert(i as u32);
                }
                Kind::Exact(m)
            }
            MatchMethod::Beg | MatchMethod::End => {
                let mut m = HashMap::with_capacity(items.len());
                let mut lens = Vec::new();
                for (i, it) in items.iter().enumerate() {
                    let k = fold(&it.key);
                    lens.push(k.len());
                    m.entry(k).or_insert(i as u32);
                }
                lens.sort_unstable_by(|a, b| b.cmp(a));
                lens.dedup();
                Kind::Affix {
                    lens,
                    map: m,
                    end: method == MatchMethod::End,
                    longest: method == MatchMethod::Beg && !icase,
                }
            }
            MatchMethod::Sub => {
                if items.is_empty() {
                    Kind::Sub(None)
                } else {
                    let ac = AhoCorasick::builder()
                        .ascii_case_insensitive(icase)
                        .build(items.iter().map(|i| i.key.as_bytes()))
                        .map_err(|e| err(0, e.to_string()))?;
                    Kind::Sub(Some(ac))
                }
            }
            MatchMethod::Reg => {
                let mut res = Vec::with_capacity(items.len());
                for (i, it) in items.iter().enumerate() {
                    let re = RegexBuilder::new(&it.key)
                        .case_insensitive(icase)
                        .build()
                        .map_err(|e| err(i, regex_error(&it.key, &e)))?;
                    res.push(re);
                }
                // A set answers "which first" in one pass; below a few
                // patterns, trying them in turn is as fast and cheaper to build.
                let set = if res.len() > 4 {
                    RegexSetBuilder::new(items.iter().map(|i| i.key.as_str()))
                        .case_insensitive(icase)
                        .build()
                        .ok()
                } else {
                    None
                };
                Kind::Reg(set, res)
            }
            MatchMethod::Dir | MatchMethod::Dom => {
                let delim = if method == MatchMethod::Dir {
                    b'/'
                } else {
                    b'.'
                };
                let mut m = HashMap::with_capacity(items.len());
                for (i, it) in items.iter().enumerate() {
                    let k = fold(&it.key);
                    let t = trim_delim(&k, delim).to_vec();
                    m.entry(t).or_insert(i as u32);
                }
                Kind::Words { delim, map: m }
            }
            MatchMethod::Int | MatchMethod::Len | MatchMethod::Ver => {
                let mut exact = HashMap::new();
                let mut ranges = Vec::new();
                for (i, it) in items.iter().enumerate() {
                    let (lo, hi) = if method == MatchMethod::Ver {
                        parse_ver_range(&it.key)
                    } else {
                        parse_int_range(&it.key)
                    }
                    .map_err(|m| err(i, m))?;
                    if lo == hi {
                        exact.entry(lo).or_insert(i as u32);
                    } else {
                        ranges.push((lo, hi, i as u32));
                    }
                }
                Kind::Ints { exact, ranges }
            }
            MatchMethod::Ip => {
                let mut v4: HashMap<u8, HashMap<u32, u32>> = HashMap::new();
                let mut v6: HashMap<u8, HashMap<u128, u32>> = HashMap::new();
                for (i, it) in items.iter().enumerate() {
                    match parse_net(&it.key) {
                        Some(Net::V4(a, l)) => {
                            v4.entry(l)
                                .or_default()
                                .entry(mask4(a, l))
                                .or_insert(i as u32);
                        }
                        Some(Net::V6(a, l)) => {
                            v6.entry(l)
                                .or_default()
                                .entry(mask6(a, l))
                                .or_insert(i as u32);
                        }
                        None => {
                            return Err(err(
                                i,
                                format!("'{}' is not a valid IPv4 or IPv6 address", it.key),
                            ))
                        }
                    }
                }
                let mut v4: Vec<_> = v4.into_iter().collect();
                v4.sort_unstable_by_key(|e| std::cmp::Reverse(e.0));
                let mut v6: Vec<_> = v6.into_iter().collect();
                v6.sort_unstable_by_key(|e| std::cmp::Reverse(e.0));
                Kind::Ip { v4, v6 }
            }
        };
        Ok(Index {
            method,
            icase,
            items,
            kind,
        })
    }

    pub fn method(&self) -> MatchMethod {
        self.method
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// How many distinct prefix lengths an `ip` index probes (its cost).
    pub fn ip_prefix_lengths(&self) -> usize {
        match &self.kind {
            Kind::Ip { v4, v6 } => v4.len() + v6.len(),
            _ => 0,
        }
    }

    /// How this index answers, as `get map` prints it (`idx=tree`/`list`).
    pub fn is_tree(&self) -> bool {
        match self.method {
            MatchMethod::Str | MatchMethod::Ip => true,
            MatchMethod::Beg => !self.icase,
            _ => false,
        }
    }

    /// Looks `s` up; `found`/`bool` are answered by the caller.
    pub fn lookup(&self, s: &Sample) -> Option<Hit<'_>> {
        let i = self.find(s)?;
        let it = &self.items[i as usize];
        let regm = match (&self.kind, s.as_bytes(), &it.raw_value) {
            (Kind::Reg(_, res), Some(b), Some(v)) => Some(expand_regm(&res[i as usize], b, v)),
            _ => None,
        };
        Some(Hit {
            key: &it.key,
            value: it.value.as_ref(),
            regm,
        })
    }

    fn find(&self, s: &Sample) -> Option<u32> {
        match &self.kind {
            Kind::None => None,
            Kind::Exact(m) => {
                let b = string_of(s)?;
                if self.icase {
                    m.get(&b.to_ascii_lowercase()[..]).copied()
                } else {
                    m.get(&b[..]).copied()
                }
            }
            Kind::Affix {
                lens,
                map,
                end,
                longest,
            } => {
                let b = string_of(s)?;
                let lowered;
                let b: &[u8] = if self.icase {
                    lowered = b.to_ascii_lowercase();
                    &lowered
                } else {
                    &b
                };
                let mut best: Option<u32> = None;
                for &l in lens {
                    if l > b.len() {
                        continue;
                    }
                    let part = if *end { &b[b.len() - l..] } else { &b[..l] };
                    if let Some(&i) = map.get(part) {
                        if *longest {
                            return Some(i);
                        }
                        best = Some(best.map_or(i, |b| b.min(i)));
                    }
                }
                best
            }
            Kind::Sub(ac) => {
                let b = string_of(s)?;
                let ac = ac.as_ref()?;
                ac.find_overlapping_iter(&b[..])
                    .map(|m| m.pattern().as_u32())
                    .min()
            }
            Kind::Reg(set, res) => {
                let b = string_of(s)?;
                match set {
                    Some(set) => set.matches(&b).iter().next().map(|i| i as u32),
                    None => res.iter().position(|r| r.is_match(&b)).map(|i| i as u32),
                }
            }
            Kind::Words { delim, map } => {
                let b = string_of(s)?;
                let b = if self.icase {
                    b.to_ascii_lowercase()
                } else {
                    b.into_owned()
                };
                word_lookup(&b, *delim, map)
            }
            Kind::Ints { exact, ranges } => {
                let v = if self.method == MatchMethod::Len {
                    string_of(s)?.len() as i64
                } else {
                    s.to_int()?
                };
                let e = exact.get(&v).copied();
                let r = ranges
                    .iter()
                    .filter(|(lo, hi, _)| *lo <= v && v <= *hi)
                    .map(|r| r.2)
                    .min();
                match (e, r) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    (a, b) => a.or(b),
                }
            }
            Kind::Ip { v4, v6 } => {
                let ip = s.to_ip()?;
                let as4 = match ip {
                    IpAddr::V4(a) => Some(a),
                    IpAddr::V6(a) => a.to_ipv4_mapped(),
                };
                if let Some(a) = as4 {
                    let a = u32::from(a);
                    for (l, m) in v4 {
                        if let Some(&i) = m.get(&mask4(a, *l)) {
                            return Some(i);
                        }
                    }
                }
                let a6 = match ip {
                    IpAddr::V4(a) => a.to_ipv6_mapped(),
                    IpAddr::V6(a) => a,
                };
                let a6 = u128::from(a6);
                for (l, m) in v6 {
                    if let Some(&i) = m.get(&mask6(a6, *l)) {
                        return Some(i);
                    }
                }
                None
            }
        }
    }
}

/// The bytes a string method compares: strings as they are, other types
/// cast to their text.
fn string_of(s: &Sample) -> Option<std::borrow::Cow<'_, [u8]>> {
    match s.as_bytes() {
        Some(b) => Some(std::borrow::Cow::Borrowed(b)),
        None => match s {
            Sample::Bool(_) => None,
            other => Some(std::borrow::Cow::Owned(other.to_text())),
        },
    }
}

fn trim_delim(k: &[u8], d: u8) -> &[u8] {
    let st = k.iter().position(|&c| c != d).unwrap_or(k.len());
    let en = k.iter().rposition(|&c| c != d).map_or(st, |e| e + 1);
    &k[st..en.max(st)]
}

/// Every run of whole delimited words of `b`, looked up; the first pattern in
/// list order wins.
fn word_lookup(b: &[u8], d: u8, map: &HashMap<Vec<u8>, u32>) -> Option<u32> {
    let mut starts = vec![0usize];
    let mut ends = Vec::new();
    for (i, &c) in b.iter().enumerate() {
        if c == d {
            ends.push(i);
            starts.push(i + 1);
        }
    }
    ends.push(b.len());
    let mut best: Option<u32> = None;
    for &s in &starts {
        for &e in &ends {
            if e < s {
                continue;
            }
            let part = trim_delim(&b[s..e], d);
            if part.is_empty() && e > s {
                continue;
            }
            if let Some(&i) = map.get(part) {
                best = Some(best.map_or(i, |b| b.min(i)));
            }
        }
    }
    best
}

fn expand_regm(re: &Regex, subject: &[u8], template: &str) -> String {
    let Some(caps) = re.captures(subject) else {
        return template.to_string();
    };
    let t = template.as_bytes();
    let mut out = Vec::with_capacity(t.len());
    let mut i = 0;
    while i < t.len() {
        if t[i] == b'\\' && i + 1 < t.len() && t[i + 1].is_ascii_digit() {
            let n = usize::from(t[i + 1] - b'0');
            if let Some(m) = caps.get(n) {
                out.extend_from_slice(m.as_bytes());
            }
            i += 2;
        } else {
            out.push(t[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

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

fn parse_hex(s: &str) -> Option<Vec<u8>> {
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

enum Net {
    V4(u32, u8),
    V6(u128, u8),
}

/// An address or network: `a.b.c.d`, `a.b.c.d/24`, `a.b.c.d/255.255.0.0`,
/// `::1`, `2001:db8::/32`.
fn parse_net(s: &str) -> Option<Net> {
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

fn mask4(a: u32, l: u8) -> u32 {
    if l == 0 {
        0
    } else {
        a & (u32::MAX << (32 - u32::from(l)))
    }
}

fn mask6(a: u128, l: u8) -> u128 {
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
