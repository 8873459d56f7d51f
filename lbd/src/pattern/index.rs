//! Compiled pattern lists: one index per (match method, case) so a lookup
//! costs about the same with ten patterns or a hundred thousand.
//!
//! `str`/`bin` use a hash map, `beg`/`end` a hash map per pattern length,
//! `ip` a hash map per prefix length (longest first), `sub` one Aho-Corasick
//! automaton, `reg` a `RegexSet`, `dir`/`dom` a hash of every delimited run.
//! Where HAProxy keeps a tree (`str`, `ip`, case-sensitive `beg`) the longest
//! or exact match wins; elsewhere the first pattern in list order does.
//!
//! Entries are named by their uid, which grows in list order, so "first in
//! list order" is "smallest uid" and an index can take one insert, removal or
//! value change in O(1) (hash buckets) instead of being rebuilt. `sub` and
//! `reg` compile one automaton over the whole list: a change marks it dirty
//! and [`Index::refresh`] recompiles it once per batch.

use super::buckets::{bucket_add, bucket_remove, lens_add, lens_remove, level, level_remove, Ids};
pub use super::parse::{
    dotted, is_ip_pattern, parse_int_range, parse_range, parse_value, parse_ver_range, regex_error,
};
use super::parse::{mask4, mask6, parse_hex, parse_net, Net};
use super::Hit;
use crate::sample::{Sample, SampleRef, SampleType};
use aho_corasick::AhoCorasick;
use regex::bytes::{Regex, RegexBuilder, RegexSet, RegexSetBuilder};
use std::collections::HashMap;
use std::net::IpAddr;

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

/// One change to a list, as the registry hands it to every index of it.
#[derive(Debug, Clone)]
pub enum Op {
    Insert {
        uid: u64,
        key: String,
        value: Option<String>,
    },
    Remove {
        uid: u64,
    },
    SetValue {
        uid: u64,
        value: String,
    },
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
    Exact(HashMap<Vec<u8>, Ids>),
    /// Pattern lengths (longest first, with their entry counts) and the
    /// patterns by content.
    Affix {
        lens: Vec<(usize, u32)>,
        map: HashMap<Vec<u8>, Ids>,
        end: bool,
        longest: bool,
    },
    /// `order` maps the automaton's pattern numbers to uids.
    Sub {
        ac: Option<AhoCorasick>,
        order: Vec<u64>,
    },
    Reg {
        set: Option<RegexSet>,
        res: HashMap<u64, Regex>,
        order: Vec<u64>,
    },
    Words {
        delim: u8,
        map: HashMap<Vec<u8>, Ids>,
    },
    Ints {
        exact: HashMap<i64, Ids>,
        ranges: Vec<(i64, i64, u64)>,
    },
    Ip {
        v4: Vec<(u8, HashMap<u32, Ids>)>,
        v6: Vec<(u8, HashMap<u128, Ids>)>,
    },
}

/// What an entry's key is indexed under.
enum Slot {
    Nothing,
    Bytes(Vec<u8>),
    Ints(i64, i64),
    V4(u8, u32),
    V6(u8, u128),
    Regex(Box<Regex>),
}

/// A compiled list.
#[derive(Debug, Clone)]
pub struct Index {
    method: MatchMethod,
    icase: bool,
    out: Option<SampleType>,
    items: HashMap<u64, Item>,
    kind: Kind,
    /// `sub`/`reg` automaton out of date with `items`.
    dirty: bool,
}

/// Why a pattern was refused: the entry's position and HAProxy's message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildError {
    pub pos: usize,
    pub msg: String,
}

impl Index {
    /// An index matching nothing (the empty list); `out` is the map's value
    /// type (None for an ACL).
    pub fn empty(method: MatchMethod, icase: bool, out: Option<SampleType>) -> Index {
        let kind = match method {
            MatchMethod::Found | MatchMethod::Bool => Kind::None,
            MatchMethod::Str | MatchMethod::Bin => Kind::Exact(HashMap::new()),
            MatchMethod::Beg | MatchMethod::End => Kind::Affix {
                lens: Vec::new(),
                map: HashMap::new(),
                end: method == MatchMethod::End,
                longest: method == MatchMethod::Beg && !icase,
            },
            MatchMethod::Sub => Kind::Sub {
                ac: None,
                order: Vec::new(),
            },
            MatchMethod::Reg => Kind::Reg {
                set: None,
                res: HashMap::new(),
                order: Vec::new(),
            },
            MatchMethod::Dir => Kind::Words {
                delim: b'/',
                map: HashMap::new(),
            },
            MatchMethod::Dom => Kind::Words {
                delim: b'.',
                map: HashMap::new(),
            },
            MatchMethod::Int | MatchMethod::Len | MatchMethod::Ver => Kind::Ints {
                exact: HashMap::new(),
                ranges: Vec::new(),
            },
            MatchMethod::Ip => Kind::Ip {
                v4: Vec::new(),
                v6: Vec::new(),
            },
        };
        Index {
            method,
            icase,
            out,
            items: HashMap::new(),
            kind,
            dirty: false,
        }
    }

    /// Compiles `entries` (key, map value) for `method`, numbered by
    /// position; `out` is the map's value type (None for an ACL).
    pub fn build(
        method: MatchMethod,
        icase: bool,
        entries: &[(&str, Option<&str>)],
        out: Option<SampleType>,
    ) -> Result<Index, BuildError> {
        let numbered = entries
            .iter()
            .enumerate()
            .map(|(i, (k, v))| (i as u64, *k, *v));
        Index::from_entries(method, icase, out, numbered).map_err(|(uid, msg)| BuildError {
            pos: uid as usize,
            msg,
        })
    }

    /// Compiles `(uid, key, value)` entries; an error names the refused
    /// entry's uid.
    pub fn from_entries<'a>(
        method: MatchMethod,
        icase: bool,
        out: Option<SampleType>,
        entries: impl IntoIterator<Item = (u64, &'a str, Option<&'a str>)>,
    ) -> Result<Index, (u64, String)> {
        let mut idx = Index::empty(method, icase, out);
        for (uid, k, v) in entries {
            idx.insert(uid, k, v).map_err(|m| (uid, m))?;
        }
        idx.refresh()
            .map_err(|m| (idx.items.keys().min().copied().unwrap_or(0), m))?;
        Ok(idx)
    }

    /// Whether an entry would be accepted (a valid key for the method and a
    /// valid value for the map's type), with HAProxy's message when not.
    pub fn check(&self, key: &str, value: Option<&str>) -> Result<(), String> {
        self.typed_value(value)?;
        self.slot(key, true).map(|_| ())
    }

    /// Whether `set map` may give an entry this value.
    pub fn check_value(&self, value: &str) -> Result<(), String> {
        self.typed_value(Some(value)).map(|_| ())
    }

    /// Applies one change; `sub`/`reg` need a [`refresh`](Self::refresh)
    /// afterwards. A change the index refuses is skipped: the registry
    /// checks every change first.
    pub fn apply(&mut self, op: &Op) {
        match op {
            Op::Insert { uid, key, value } => {
                let _refused = self.insert(*uid, key, value.as_deref());
            }
            Op::Remove { uid } => self.remove(*uid),
            Op::SetValue { uid, value } => {
                if let Ok(v) = self.typed_value(Some(value)) {
                    if let Some(it) = self.items.get_mut(uid) {
                        it.value = v;
                        it.raw_value = Some(value.clone());
                    }
                }
            }
        }
    }

    /// Adds entry `uid`.
    pub fn insert(&mut self, uid: u64, key: &str, value: Option<&str>) -> Result<(), String> {
        let typed = self.typed_value(value)?;
        let slot = self.slot(key, true)?;
        if self.items.contains_key(&uid) {
            self.remove(uid);
        }
        match (&mut self.kind, slot) {
            (Kind::Exact(m) | Kind::Words { map: m, .. }, Slot::Bytes(b)) => bucket_add(m, b, uid),
            (Kind::Affix { lens, map, .. }, Slot::Bytes(b)) => {
                lens_add(lens, b.len());
                bucket_add(map, b, uid);
            }
            (Kind::Ints { exact, ranges }, Slot::Ints(lo, hi)) => {
                if lo == hi {
                    bucket_add(exact, lo, uid);
                } else {
                    ranges.push((lo, hi, uid));
                }
            }
            (Kind::Ip { v4, .. }, Slot::V4(l, a)) => bucket_add(level(v4, l), a, uid),
            (Kind::Ip { v6, .. }, Slot::V6(l, a)) => bucket_add(level(v6, l), a, uid),
            (Kind::Reg { res, .. }, Slot::Regex(re)) => {
                res.insert(uid, *re);
                self.dirty = true;
            }
            (Kind::Sub { .. }, _) => self.dirty = true,
            _ => {}
        }
        self.items.insert(
            uid,
            Item {
                key: key.to_string(),
                value: typed,
                raw_value: value.map(str::to_string),
            },
        );
        Ok(())
    }

    /// Removes entry `uid` (nothing when absent).
    pub fn remove(&mut self, uid: u64) {
        let Some(item) = self.items.remove(&uid) else {
            return;
        };
        let slot = self.slot(&item.key, false);
        match (&mut self.kind, slot) {
            (Kind::Exact(m) | Kind::Words { map: m, .. }, Ok(Slot::Bytes(b))) => {
                bucket_remove(m, &b[..], uid)
            }
            (Kind::Affix { lens, map, .. }, Ok(Slot::Bytes(b))) => {
                lens_remove(lens, b.len());
                bucket_remove(map, &b[..], uid);
            }
            (Kind::Ints { exact, ranges }, Ok(Slot::Ints(lo, hi))) => {
                if lo == hi {
                    bucket_remove(exact, &lo, uid);
                } else {
                    ranges.retain(|r| r.2 != uid);
                }
            }
            (Kind::Ip { v4, .. }, Ok(Slot::V4(l, a))) => level_remove(v4, l, &a, uid),
            (Kind::Ip { v6, .. }, Ok(Slot::V6(l, a))) => level_remove(v6, l, &a, uid),
            (Kind::Reg { res, .. }, _) => {
                res.remove(&uid);
                self.dirty = true;
            }
            (Kind::Sub { .. }, _) => self.dirty = true,
            _ => {}
        }
    }

    /// Recompiles the `sub`/`reg` automaton after changes (once per batch).
    /// When Aho-Corasick refuses the list, `sub` falls back to a scan.
    pub fn refresh(&mut self) -> Result<(), String> {
        if !self.dirty {
            return Ok(());
        }
        self.dirty = false;
        let mut pats: Vec<(u64, &str)> = self
            .items
            .iter()
            .map(|(u, it)| (*u, it.key.as_str()))
            .collect();
        pats.sort_unstable_by_key(|p| p.0);
        let uids = pats.iter().map(|p| p.0).collect();
        match &mut self.kind {
            Kind::Sub { ac, order } => {
                *order = uids;
                *ac = None;
                if !pats.is_empty() {
                    let built = AhoCorasick::builder()
                        .ascii_case_insensitive(self.icase)
                        .build(pats.iter().map(|p| p.1.as_bytes()))
                        .map_err(|e| e.to_string())?;
                    *ac = Some(built);
                }
            }
            Kind::Reg { set, order, .. } => {
                *order = uids;
                // A set answers "which first" in one pass; below a few
                // patterns, trying them in turn is as fast and cheaper to build.
                *set = if pats.len() > 4 {
                    RegexSetBuilder::new(pats.iter().map(|p| p.1))
                        .case_insensitive(self.icase)
                        .build()
                        .ok()
                } else {
                    None
                };
            }
            _ => {}
        }
        Ok(())
    }

    fn typed_value(&self, value: Option<&str>) -> Result<Option<Sample>, String> {
        match (self.out, value) {
            (Some(t), Some(v)) => parse_value(v, t).map(Some),
            _ => Ok(None),
        }
    }

    /// Where `key` goes for this method; `compile` builds a `reg` pattern
    /// (removal does not need it).
    fn slot(&self, key: &str, compile: bool) -> Result<Slot, String> {
        let fold = |k: &str| -> Vec<u8> {
            if self.icase {
                k.as_bytes().to_ascii_lowercase()
            } else {
                k.as_bytes().to_vec()
            }
        };
        Ok(match self.method {
            MatchMethod::Found | MatchMethod::Bool | MatchMethod::Sub => Slot::Nothing,
            MatchMethod::Str | MatchMethod::Beg | MatchMethod::End => Slot::Bytes(fold(key)),
            MatchMethod::Bin => Slot::Bytes(
                parse_hex(key).ok_or_else(|| format!("'{key}' is not a valid hex string"))?,
            ),
            MatchMethod::Dir | MatchMethod::Dom => {
                let d = if self.method == MatchMethod::Dir {
                    b'/'
                } else {
                    b'.'
                };
                Slot::Bytes(trim_delim(&fold(key), d).to_vec())
            }
            MatchMethod::Reg if compile => Slot::Regex(Box::new(
                RegexBuilder::new(key)
                    .case_insensitive(self.icase)
                    .build()
                    .map_err(|e| regex_error(key, &e))?,
            )),
            MatchMethod::Reg => Slot::Nothing,
            MatchMethod::Int | MatchMethod::Len => {
                let (lo, hi) = parse_int_range(key)?;
                Slot::Ints(lo, hi)
            }
            MatchMethod::Ver => {
                let (lo, hi) = parse_ver_range(key)?;
                Slot::Ints(lo, hi)
            }
            MatchMethod::Ip => match parse_net(key) {
                Some(Net::V4(a, l)) => Slot::V4(l, mask4(a, l)),
                Some(Net::V6(a, l)) => Slot::V6(l, mask6(a, l)),
                None => return Err(format!("'{key}' is not a valid IPv4 or IPv6 address")),
            },
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
        self.lookup_ref(SampleRef::Sample(s))
    }

    /// [`Index::lookup`] on a borrowed sample (an ACL's value read in place).
    pub fn lookup_ref(&self, s: SampleRef<'_>) -> Option<Hit<'_>> {
        let uid = self.find(s)?;
        let it = self.items.get(&uid)?;
        let regm = match (&self.kind, s.as_bytes(), &it.raw_value) {
            (Kind::Reg { res, .. }, Some(b), Some(v)) => {
                res.get(&uid).map(|re| expand_regm(re, b, v))
            }
            _ => None,
        };
        Some(Hit {
            key: &it.key,
            value: it.value.as_ref(),
            regm,
        })
    }

    /// Whether `s` matches a pattern: [`Index::lookup`] without building
    /// the hit (an ACL wants no value).
    pub fn contains_ref(&self, s: SampleRef<'_>) -> bool {
        self.find(s)
            .inspect(|u| debug_assert!(self.items.contains_key(u)))
            .is_some()
    }

    fn find(&self, s: SampleRef<'_>) -> Option<u64> {
        match &self.kind {
            Kind::None => None,
            Kind::Exact(m) => {
                let b = s.string()?;
                with_case(&b, self.icase, |b| m.get(b).map(Ids::first))
            }
            Kind::Affix {
                lens,
                map,
                end,
                longest,
            } => {
                let b = s.string()?;
                with_case(&b, self.icase, |b| {
                    let mut best: Option<u64> = None;
                    for &(l, _) in lens {
                        if l > b.len() {
                            continue;
                        }
                        let part = if *end { &b[b.len() - l..] } else { &b[..l] };
                        if let Some(ids) = map.get(part) {
                            if *longest {
                                return Some(ids.first());
                            }
                            best = Some(best.map_or(ids.first(), |b| b.min(ids.first())));
                        }
                    }
                    best
                })
            }
            Kind::Sub { ac, order } => {
                let b = s.string()?;
                match ac {
                    Some(ac) => ac
                        .find_overlapping_iter(&b[..])
                        .map(|m| m.pattern().as_usize())
                        .min()
                        .and_then(|p| order.get(p).copied()),
                    None => order.iter().copied().find(|u| {
                        self.items
                            .get(u)
                            .is_some_and(|it| contains(&b, it.key.as_bytes(), self.icase))
                    }),
                }
            }
            Kind::Reg { set, res, order } => {
                let b = s.string()?;
                match set {
                    Some(set) => set
                        .matches(&b)
                        .iter()
                        .next()
                        .and_then(|p| order.get(p).copied()),
                    None => order
                        .iter()
                        .copied()
                        .find(|u| res.get(u).is_some_and(|r| r.is_match(&b))),
                }
            }
            Kind::Words { delim, map } => {
                let b = s.string()?;
                let b = if self.icase {
                    b.to_ascii_lowercase()
                } else {
                    b.into_owned()
                };
                word_lookup(&b, *delim, map)
            }
            Kind::Ints { exact, ranges } => {
                let v = if self.method == MatchMethod::Len {
                    s.string()?.len() as i64
                } else {
                    s.to_int()?
                };
                let e = exact.get(&v).map(Ids::first);
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
                        if let Some(ids) = m.get(&mask4(a, *l)) {
                            return Some(ids.first());
                        }
                    }
                }
                let a6 = match ip {
                    IpAddr::V4(a) => a.to_ipv6_mapped(),
                    IpAddr::V6(a) => a,
                };
                let a6 = u128::from(a6);
                for (l, m) in v6 {
                    if let Some(ids) = m.get(&mask6(a6, *l)) {
                        return Some(ids.first());
                    }
                }
                None
            }
        }
    }
}

/// Calls `f` with `b`, lower-cased when `icase`: on the stack for the
/// short values requests carry, so a case-insensitive match does not
/// allocate.
fn with_case<R>(b: &[u8], icase: bool, f: impl FnOnce(&[u8]) -> R) -> R {
    if !icase {
        return f(b);
    }
    let mut stack = [0u8; 128];
    match stack.get_mut(..b.len()) {
        Some(s) => {
            s.copy_from_slice(b);
            s.make_ascii_lowercase();
            f(s)
        }
        None => f(&b.to_ascii_lowercase()),
    }
}

/// Whether `needle` occurs in `hay` (the scan `sub` falls back to).
fn contains(hay: &[u8], needle: &[u8], icase: bool) -> bool {
    needle.is_empty()
        || hay.windows(needle.len()).any(|w| {
            if icase {
                w.eq_ignore_ascii_case(needle)
            } else {
                w == needle
            }
        })
}

fn trim_delim(k: &[u8], d: u8) -> &[u8] {
    let st = k.iter().position(|&c| c != d).unwrap_or(k.len());
    let en = k.iter().rposition(|&c| c != d).map_or(st, |e| e + 1);
    &k[st..en.max(st)]
}

/// Every run of whole delimited words of `b`, looked up; the first pattern in
/// list order wins.
fn word_lookup(b: &[u8], d: u8, map: &HashMap<Vec<u8>, Ids>) -> Option<u64> {
    let mut starts = vec![0usize];
    let mut ends = Vec::new();
    for (i, &c) in b.iter().enumerate() {
        if c == d {
            ends.push(i);
            starts.push(i + 1);
        }
    }
    ends.push(b.len());
    let mut best: Option<u64> = None;
    for &s in &starts {
        for &e in &ends {
            if e < s {
                continue;
            }
            let part = trim_delim(&b[s..e], d);
            if part.is_empty() && e > s {
                continue;
            }
            if let Some(ids) = map.get(part) {
                best = Some(best.map_or(ids.first(), |b| b.min(ids.first())));
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
