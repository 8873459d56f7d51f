//! Pattern references (HAProxy's `pat_ref`) and the per-runtime registry that
//! shares them by file name and numbers them for the CLI.

use super::index::{BuildError, Index, MatchMethod};
use super::Hit;
use crate::sample::{Sample, SampleType};
use arc_swap::ArcSwap;
use std::sync::{Arc, Mutex, MutexGuard, Weak};

/// Who uses a reference: `show map` lists the map ones, `show acl` the ACL ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefKind {
    Acl,
    Map,
}

/// One line of a list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The token `show map` prints as the entry's address (`#<ref>`).
    pub uid: u64,
    pub key: String,
    pub value: Option<String>,
    /// The version the entry belongs to (`add map @ver`).
    pub ver: u32,
    /// The line in the pattern file (0 when added inline or at run time).
    pub line: usize,
}

#[derive(Debug)]
struct View {
    method: MatchMethod,
    icase: bool,
    out: Option<SampleType>,
    index: ArcSwap<Index>,
}

#[derive(Debug, Default)]
struct Data {
    entries: Vec<Entry>,
    curr_ver: u32,
    next_ver: u32,
    views: Vec<Weak<View>>,
    next_uid: u64,
}

/// A list of patterns (a file, or one ACL's inline values).
#[derive(Debug)]
pub struct PatternRef {
    id: i32,
    /// The file name, or empty for inline patterns.
    name: String,
    /// The text after the name in `show map`/`show acl`.
    desc: String,
    kind: RefKind,
    data: Mutex<Data>,
}

/// Pointer-like tokens for `show map`, in the range a heap address would have.
const UID_BASE: u64 = 0x5600_0000_0000;

impl PatternRef {
    fn new(id: i32, name: &str, desc: String, kind: RefKind) -> PatternRef {
        PatternRef {
            id,
            name: name.to_string(),
            desc,
            kind,
            data: Mutex::new(Data {
                next_uid: UID_BASE + (id.unsigned_abs() as u64) * 0x1_0000_0000,
                ..Data::default()
            }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Data> {
        // A panic while holding the lock leaves whole entries behind; the
        // list is still usable.
        self.data.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn id(&self) -> i32 {
        self.id
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn desc(&self) -> &str {
        &self.desc
    }

    pub fn kind(&self) -> RefKind {
        self.kind
    }

    /// (curr_ver, next_ver, number of entries in the current version).
    pub fn versions(&self) -> (u32, u32, usize) {
        let d = self.lock();
        let n = d.entries.iter().filter(|e| e.ver == d.curr_ver).count();
        (d.curr_ver, d.next_ver, n)
    }

    /// The entries of `ver` (the current version when None), in list order.
    pub fn entries(&self, ver: Option<u32>) -> Vec<Entry> {
        let d = self.lock();
        let v = ver.unwrap_or(d.curr_ver);
        d.entries.iter().filter(|e| e.ver == v).cloned().collect()
    }

    /// Appends entries at load time (no views exist yet).
    pub(crate) fn push_loaded(&self, key: String, value: Option<String>, line: usize) {
        let mut d = self.lock();
        let uid = d.next_uid;
        d.next_uid += 0x50;
        let ver = d.curr_ver;
        d.entries.push(Entry {
            uid,
            key,
            value,
            ver,
            line,
        });
    }

    /// A compiled view for one user; errors name the failing entry.
    pub fn matcher(
        self: &Arc<Self>,
        method: MatchMethod,
        icase: bool,
        out: Option<SampleType>,
    ) -> Result<Matcher, (Entry, String)> {
        let mut d = self.lock();
        let index = build(&d, method, icase, out).map_err(|(e, m)| (e.clone(), m))?;
        let view = Arc::new(View {
            method,
            icase,
            out,
            index: ArcSwap::from_pointee(index),
        });
        d.views.retain(|w| w.strong_count() > 0);
        d.views.push(Arc::downgrade(&view));
        Ok(Matcher {
            pref: Arc::clone(self),
            view,
        })
    }

    /// Applies `change` to the entries, then recompiles every view; when a
    /// view refuses the result (a bad IP in an `ip` list...), nothing changes.
    fn mutate<T>(&self, change: impl FnOnce(&mut Data) -> Result<T, String>) -> Result<T, String> {
        let mut d = self.lock();
        let saved = (d.entries.clone(), d.curr_ver, d.next_ver, d.next_uid);
        let r = match change(&mut d) {
            Ok(r) => r,
            Err(e) => {
                (d.entries, d.curr_ver, d.next_ver, d.next_uid) = saved;
                return Err(e);
            }
        };
        d.views.retain(|w| w.strong_count() > 0);
        let views: Vec<Arc<View>> = d.views.iter().filter_map(Weak::upgrade).collect();
        let mut built = Vec::with_capacity(views.len());
        for v in &views {
            match build(&d, v.method, v.icase, v.out) {
                Ok(i) => built.push(i),
                Err((_, msg)) => {
                    (d.entries, d.curr_ver, d.next_ver, d.next_uid) = saved;
                    return Err(msg);
                }
            }
        }
        for (v, i) in views.iter().zip(built) {
            v.index.store(Arc::new(i));
        }
        Ok(r)
    }

    /// `add map|acl [@ver] <ref> <key> [<value>]`.
    pub fn add(&self, ver: Option<u32>, key: &str, value: Option<&str>) -> Result<(), String> {
        self.add_many(ver, &[(key.to_string(), value.map(str::to_string))])
    }

    /// Several adds as one change (a payload).
    pub fn add_many(
        &self,
        ver: Option<u32>,
        kv: &[(String, Option<String>)],
    ) -> Result<(), String> {
        self.mutate(|d| {
            let v = ver.unwrap_or(d.curr_ver);
            for (k, val) in kv {
                let uid = d.next_uid;
                d.next_uid += 0x50;
                d.entries.push(Entry {
                    uid,
                    key: k.clone(),
                    value: val.clone(),
                    ver: v,
                    line: 0,
                });
            }
            Ok(())
        })
    }

    /// `set map <ref> <key|#uid> <value>`: every matching entry of the current
    /// version; false when none matched.
    pub fn set(&self, key: &str, value: &str) -> Result<bool, String> {
        self.mutate(|d| {
            let cur = d.curr_ver;
            let uid = parse_uid(key);
            let mut hit = false;
            for e in d.entries.iter_mut().filter(|e| e.ver == cur) {
                if uid.map_or(e.key == key, |u| e.uid == u) {
                    e.value = Some(value.to_string());
                    hit = true;
                }
            }
            Ok(hit)
        })
    }

    /// `del map|acl <ref> <key|#uid>`: false when none matched.
    pub fn del(&self, key: &str) -> Result<bool, String> {
        self.mutate(|d| {
            let cur = d.curr_ver;
            let uid = parse_uid(key);
            let before = d.entries.len();
            d.entries
                .retain(|e| e.ver != cur || !uid.map_or(e.key == key, |u| e.uid == u));
            Ok(d.entries.len() != before)
        })
    }

    /// `clear map|acl [@ver] <ref>`.
    pub fn clear(&self, ver: Option<u32>) -> Result<(), String> {
        self.mutate(|d| {
            let v = ver.unwrap_or(d.curr_ver);
            d.entries.retain(|e| e.ver != v);
            Ok(())
        })
    }

    /// `prepare map|acl <ref>`: a new, empty version.
    pub fn prepare(&self) -> u32 {
        let mut d = self.lock();
        d.next_ver += 1;
        let v = d.next_ver;
        d.entries.retain(|e| e.ver != v);
        v
    }

    /// `commit map|acl @ver <ref>`: `ver` becomes current and older versions
    /// go away.
    pub fn commit(&self, ver: u32) -> Result<(), String> {
        self.mutate(|d| {
            let valid = ver > d.curr_ver && ver <= d.next_ver
                || (d.curr_ver > d.next_ver && (ver > d.curr_ver || ver <= d.next_ver));
            if !valid && ver != d.curr_ver {
                return Err("Version number too old or too new.\n".into());
            }
            d.curr_ver = ver;
            d.entries.retain(|e| e.ver.wrapping_sub(ver) as i32 >= 0);
            Ok(())
        })
    }

    /// Runs `f` on every compiled view: (method, icase, lookup result).
    pub fn lookup_views(&self, s: &Sample, f: &mut ViewVisitor<'_>) {
        let views: Vec<Arc<View>> = {
            let d = self.lock();
            d.views.iter().filter_map(Weak::upgrade).collect()
        };
        for v in views {
            let idx = v.index.load();
            let tree = idx.is_tree();
            f(v.method, v.icase, v.out, tree, idx.lookup(s));
        }
    }
}

/// Called per compiled view by `lookup_views`: (method, ignore case, map
/// value type, tree-indexed, the hit).
pub type ViewVisitor<'a> =
    dyn FnMut(MatchMethod, bool, Option<SampleType>, bool, Option<Hit<'_>>) + 'a;

fn parse_uid(s: &str) -> Option<u64> {
    let h = s.strip_prefix('#')?;
    let h = h.strip_prefix("0x").unwrap_or(h);
    u64::from_str_radix(h, 16).ok()
}

fn build(
    d: &Data,
    method: MatchMethod,
    icase: bool,
    out: Option<SampleType>,
) -> Result<Index, (&Entry, String)> {
    let cur: Vec<&Entry> = d.entries.iter().filter(|e| e.ver == d.curr_ver).collect();
    let kv: Vec<(&str, Option<&str>)> = cur
        .iter()
        .map(|e| (e.key.as_str(), e.value.as_deref()))
        .collect();
    Index::build(method, icase, &kv, out).map_err(|BuildError { pos, msg }| (cur[pos], msg))
}

/// One user's compiled view of a reference: what an ACL term or a `map`
/// converter holds.
#[derive(Debug, Clone)]
pub struct Matcher {
    pref: Arc<PatternRef>,
    view: Arc<View>,
}

impl Matcher {
    pub fn reference(&self) -> &Arc<PatternRef> {
        &self.pref
    }

    pub fn method(&self) -> MatchMethod {
        self.view.method
    }

    /// Whether `s` matches any pattern (lock-free).
    pub fn matches(&self, s: &Sample) -> bool {
        self.view.index.load().lookup(s).is_some()
    }

    /// The map value for `s`: the matched entry's typed value (or, for
    /// `map_regm`, its substituted text).
    pub fn map_value(&self, s: &Sample) -> Option<Sample> {
        let idx = self.view.index.load();
        let hit = idx.lookup(s)?;
        if let Some(t) = hit.regm {
            let out = self.view.out.unwrap_or(SampleType::Str);
            return super::index::parse_value(&t, out).ok();
        }
        hit.value.cloned()
    }
}

/// Every reference of one runtime, keyed by file name and by id.
#[derive(Debug, Default)]
pub struct PatternRegistry {
    refs: Mutex<Vec<Arc<PatternRef>>>,
}

impl PatternRegistry {
    pub fn new() -> PatternRegistry {
        PatternRegistry::default()
    }

    fn lock(&self) -> MutexGuard<'_, Vec<Arc<PatternRef>>> {
        self.refs.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The lowest id not yet taken (HAProxy's `pat_ref_newid`).
    fn new_id(refs: &[Arc<PatternRef>]) -> i32 {
        let mut id = 0;
        while refs.iter().any(|r| r.id == id) {
            id += 1;
        }
        id
    }

    /// The reference of a pattern file, loading it the first time. `kind`
    /// says how lines are read (a map line is `key value...`); `used_by` ends
    /// the `show` description, e.g. `map at file 'x.cfg' line 12`.
    pub fn file(
        &self,
        path: &str,
        kind: RefKind,
        unique_id: Option<i32>,
        used_by: &str,
    ) -> Result<Arc<PatternRef>, String> {
        self.load(path, kind, kind == RefKind::Map, unique_id, used_by)
    }

    /// Like [`file`](Self::file) for an ACL's `-M -f <file>`: an ACL list
    /// whose lines are read as a map's, so the key is the first word.
    pub fn acl_file_as_map(
        &self,
        path: &str,
        unique_id: Option<i32>,
        used_by: &str,
    ) -> Result<Arc<PatternRef>, String> {
        self.load(path, RefKind::Acl, true, unique_id, used_by)
    }

    fn load(
        &self,
        path: &str,
        kind: RefKind,
        with_values: bool,
        unique_id: Option<i32>,
        used_by: &str,
    ) -> Result<Arc<PatternRef>, String> {
        let mut refs = self.lock();
        if let Some(r) = refs.iter().find(|r| !r.name.is_empty() && r.name == path) {
            if let Some(u) = unique_id {
                if u != r.id {
                    return Err(format!(
                        "'-u' is given with the unique id {u} but the pattern file '{path}' already has the id {}",
                        r.id
                    ));
                }
            }
            return Ok(Arc::clone(r));
        }
        if let Some(u) = unique_id {
            if refs.iter().any(|r| r.id == u) {
                return Err(format!("the unique id {u} is already used"));
            }
        }
        let data =
            std::fs::read(path).map_err(|_| format!("failed to open pattern file <{path}>."))?;
        let id = unique_id.unwrap_or_else(|| Self::new_id(&refs));
        let r = Arc::new(PatternRef::new(
            id,
            path,
            format!("pattern loaded from file '{path}' used by {used_by}"),
            kind,
        ));
        for (n, line) in String::from_utf8_lossy(&data).lines().enumerate() {
            let l = line.trim_start_matches([' ', '\t']);
            if l.is_empty() || l.starts_with('#') {
                continue;
            }
            match with_values {
                false => {
                    let l = l.trim_end_matches([' ', '\t', '\r']);
                    r.push_loaded(l.to_string(), None, n + 1);
                }
                true => {
                    let end = l.find([' ', '\t']).unwrap_or(l.len());
                    let key = &l[..end];
                    let val = l[end..].trim_matches([' ', '\t', '\r']);
                    r.push_loaded(key.to_string(), Some(val.to_string()), n + 1);
                }
            }
        }
        refs.push(Arc::clone(&r));
        Ok(r)
    }

    /// A new reference for values written inline in an ACL; `desc` is e.g.
    /// `acl 'path_beg' file 'x.cfg' line 20`.
    pub fn inline(
        &self,
        unique_id: Option<i32>,
        desc: String,
        values: &[String],
    ) -> Result<Arc<PatternRef>, String> {
        let mut refs = self.lock();
        if let Some(u) = unique_id {
            if refs.iter().any(|r| r.id == u) {
                return Err(format!("the unique id {u} is already used"));
            }
        }
        let id = unique_id.unwrap_or_else(|| Self::new_id(&refs));
        let r = Arc::new(PatternRef::new(id, "", desc, RefKind::Acl));
        for v in values {
            r.push_loaded(v.clone(), None, 0);
        }
        refs.push(Arc::clone(&r));
        Ok(r)
    }

    /// Finds a reference by `#<id>` or file name: map commands see map lists
    /// only, ACL commands see every list.
    pub fn find(&self, name: &str, kind: RefKind) -> Option<Arc<PatternRef>> {
        let refs = self.lock();
        let by_id = name.strip_prefix('#').and_then(|i| i.parse::<i32>().ok());
        refs.iter()
            .find(|r| {
                // ACL commands reach map lists too (and refuse to add to them).
                (kind == RefKind::Acl || r.kind == kind)
                    && match by_id {
                        Some(id) => r.id == id,
                        None => !r.name.is_empty() && r.name == name,
                    }
            })
            .cloned()
    }

    /// Every reference of `kind`, in creation order.
    pub fn list(&self, kind: RefKind) -> Vec<Arc<PatternRef>> {
        self.lock()
            .iter()
            .filter(|r| r.kind == kind)
            .cloned()
            .collect()
    }
}
