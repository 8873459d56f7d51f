//! Pattern references (HAProxy's `pat_ref`) and the per-runtime registry that
//! shares them by file name and numbers them for the CLI.

use super::index::{Index, MatchMethod, Op};
use super::Hit;
use crate::sample::{Sample, SampleType};
use arc_swap::ArcSwap;
use std::collections::{BTreeMap, HashMap};
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

/// One user's compiled index of a reference, double-buffered: readers load
/// `index`; the writer keeps the copy it last replaced (`spare`, once no
/// reader holds it) with the changes that copy has not seen, so a change
/// costs its own size, not the list's (HAProxy edits its trees in place under
/// a lock; we keep lookups lock-free instead).
#[derive(Debug)]
struct View {
    method: MatchMethod,
    icase: bool,
    out: Option<SampleType>,
    index: ArcSwap<Index>,
    writer: Mutex<Spare>,
}

#[derive(Debug, Default)]
struct Spare {
    index: Option<Arc<Index>>,
    behind: Vec<Op>,
}

/// How long a writer waits for readers to let go of the spare copy before
/// cloning the live one instead; a lookup holds it for microseconds.
const RECLAIM_TRIES: usize = 64;

impl View {
    fn new(method: MatchMethod, icase: bool, out: Option<SampleType>, index: Index) -> View {
        View {
            method,
            icase,
            out,
            index: ArcSwap::from_pointee(index),
            writer: Mutex::new(Spare::default()),
        }
    }

    fn spare(&self) -> MutexGuard<'_, Spare> {
        self.writer.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Applies `ops` (already checked) and publishes the result.
    fn apply(&self, ops: &[Op]) {
        if ops.is_empty() {
            return;
        }
        let mut w = self.spare();
        let mut next = match w.index.take().and_then(reclaim) {
            Some(mut idx) => {
                for op in &w.behind {
                    idx.apply(op);
                }
                idx
            }
            None => Index::clone(&self.index.load()),
        };
        for op in ops {
            next.apply(op);
        }
        // A `sub` list Aho-Corasick refuses is still answered, by a scan.
        let _scan = next.refresh();
        w.index = Some(self.index.swap(Arc::new(next)));
        w.behind = ops.to_vec();
    }

    /// Publishes a rebuilt index (a commit or a clear).
    fn replace(&self, idx: Index) {
        let mut w = self.spare();
        self.index.store(Arc::new(idx));
        w.index = None;
        w.behind.clear();
    }
}

/// The index inside `a` once no reader holds it any more.
fn reclaim(mut a: Arc<Index>) -> Option<Index> {
    for _ in 0..RECLAIM_TRIES {
        match Arc::try_unwrap(a) {
            Ok(idx) => return Some(idx),
            Err(back) => {
                a = back;
                std::thread::yield_now();
            }
        }
    }
    None
}

/// The entries of every version, keyed by uid: uids grow as entries are
/// added, so key order is list order.
#[derive(Debug, Default)]
struct Data {
    entries: BTreeMap<u64, Entry>,
    /// The uids of each key, in every version (`set`/`del` by key).
    by_key: HashMap<String, Vec<u64>>,
    curr_ver: u32,
    next_ver: u32,
    views: Vec<Weak<View>>,
    next_uid: u64,
}

impl Data {
    fn push(&mut self, key: String, value: Option<String>, ver: u32, line: usize) -> u64 {
        let uid = self.next_uid;
        self.next_uid += 0x50;
        self.by_key.entry(key.clone()).or_default().push(uid);
        self.entries.insert(
            uid,
            Entry {
                uid,
                key,
                value,
                ver,
                line,
            },
        );
        uid
    }

    fn remove(&mut self, uid: u64) -> Option<Entry> {
        let e = self.entries.remove(&uid)?;
        if let Some(uids) = self.by_key.get_mut(&e.key) {
            uids.retain(|u| *u != uid);
            if uids.is_empty() {
                self.by_key.remove(&e.key);
            }
        }
        Some(e)
    }

    /// Removes every entry `drop` selects (a whole version).
    fn remove_where(&mut self, drop: impl Fn(&Entry) -> bool) {
        let gone: Vec<u64> = self
            .entries
            .values()
            .filter(|e| drop(e))
            .map(|e| e.uid)
            .collect();
        for uid in gone {
            self.remove(uid);
        }
    }

    /// The current version's entries named by `key` (a key, or `#<uid>`).
    fn current(&self, key: &str) -> Vec<u64> {
        let cur = self.curr_ver;
        let of_cur = |u: &u64| self.entries.get(u).is_some_and(|e| e.ver == cur);
        match parse_uid(key) {
            Some(u) => Some(u).into_iter().filter(of_cur).collect(),
            None => self
                .by_key
                .get(key)
                .map(|v| v.iter().copied().filter(of_cur).collect())
                .unwrap_or_default(),
        }
    }

    fn views(&mut self) -> Vec<Arc<View>> {
        self.views.retain(|w| w.strong_count() > 0);
        self.views.iter().filter_map(Weak::upgrade).collect()
    }
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
        let n = d.entries.values().filter(|e| e.ver == d.curr_ver).count();
        (d.curr_ver, d.next_ver, n)
    }

    /// The entries of `ver` (the current version when None), in list order.
    pub fn entries(&self, ver: Option<u32>) -> Vec<Entry> {
        let d = self.lock();
        let v = ver.unwrap_or(d.curr_ver);
        d.entries.values().filter(|e| e.ver == v).cloned().collect()
    }

    /// Appends entries at load time (no views exist yet).
    pub(crate) fn push_loaded(&self, key: String, value: Option<String>, line: usize) {
        let mut d = self.lock();
        let ver = d.curr_ver;
        d.push(key, value, ver, line);
    }

    /// A compiled view for one user; errors name the failing entry.
    pub fn matcher(
        self: &Arc<Self>,
        method: MatchMethod,
        icase: bool,
        out: Option<SampleType>,
    ) -> Result<Matcher, (Entry, String)> {
        let mut d = self.lock();
        let ver = d.curr_ver;
        let index = build(&d, ver, method, icase, out)?;
        let view = Arc::new(View::new(method, icase, out, index));
        d.views.retain(|w| w.strong_count() > 0);
        d.views.push(Arc::downgrade(&view));
        Ok(Matcher {
            pref: Arc::clone(self),
            view,
        })
    }

    /// `add map|acl [@ver] <ref> <key> [<value>]`.
    pub fn add(&self, ver: Option<u32>, key: &str, value: Option<&str>) -> Result<(), String> {
        self.add_many(ver, &[(key.to_string(), value.map(str::to_string))])
    }

    /// Several adds as one change (a payload): every entry is checked
    /// against every user first, so a refused one changes nothing. Entries
    /// of another version are checked too, as HAProxy does, so a commit
    /// cannot fail on them.
    pub fn add_many(
        &self,
        ver: Option<u32>,
        kv: &[(String, Option<String>)],
    ) -> Result<(), String> {
        let mut d = self.lock();
        let views = d.views();
        for v in &views {
            let idx = v.index.load();
            for (k, val) in kv {
                idx.check(k, val.as_deref())?;
            }
        }
        let v = ver.unwrap_or(d.curr_ver);
        let mut ops = Vec::new();
        for (k, val) in kv {
            let uid = d.push(k.clone(), val.clone(), v, 0);
            if v == d.curr_ver {
                ops.push(Op::Insert {
                    uid,
                    key: k.clone(),
                    value: val.clone(),
                });
            }
        }
        for view in &views {
            view.apply(&ops);
        }
        Ok(())
    }

    /// `set map <ref> <key|#uid> <value>`: every matching entry of the current
    /// version; false when none matched.
    pub fn set(&self, key: &str, value: &str) -> Result<bool, String> {
        let mut d = self.lock();
        let uids = d.current(key);
        if uids.is_empty() {
            return Ok(false);
        }
        let views = d.views();
        for v in &views {
            v.index.load().check_value(value)?;
        }
        let mut ops = Vec::with_capacity(uids.len());
        for uid in uids {
            if let Some(e) = d.entries.get_mut(&uid) {
                e.value = Some(value.to_string());
            }
            ops.push(Op::SetValue {
                uid,
                value: value.to_string(),
            });
        }
        for view in &views {
            view.apply(&ops);
        }
        Ok(true)
    }

    /// `del map|acl <ref> <key|#uid>`: false when none matched.
    pub fn del(&self, key: &str) -> Result<bool, String> {
        let mut d = self.lock();
        let uids = d.current(key);
        if uids.is_empty() {
            return Ok(false);
        }
        let mut ops = Vec::with_capacity(uids.len());
        for uid in uids {
            d.remove(uid);
            ops.push(Op::Remove { uid });
        }
        for view in d.views() {
            view.apply(&ops);
        }
        Ok(true)
    }

    /// `clear map|acl [@ver] <ref>`.
    pub fn clear(&self, ver: Option<u32>) -> Result<(), String> {
        let mut d = self.lock();
        let v = ver.unwrap_or(d.curr_ver);
        d.remove_where(|e| e.ver == v);
        if v == d.curr_ver {
            for view in d.views() {
                view.replace(Index::empty(view.method, view.icase, view.out));
            }
        }
        Ok(())
    }

    /// `prepare map|acl <ref>`: a new, empty version.
    pub fn prepare(&self) -> u32 {
        let mut d = self.lock();
        d.next_ver += 1;
        let v = d.next_ver;
        d.remove_where(|e| e.ver == v);
        v
    }

    /// `commit map|acl @ver <ref>`: `ver` becomes current and older versions
    /// go away. Every view is rebuilt once, before anything changes.
    pub fn commit(&self, ver: u32) -> Result<(), String> {
        let mut d = self.lock();
        let valid = ver > d.curr_ver && ver <= d.next_ver
            || (d.curr_ver > d.next_ver && (ver > d.curr_ver || ver <= d.next_ver));
        if !valid && ver != d.curr_ver {
            return Err("Version number too old or too new.\n".into());
        }
        let views = d.views();
        let mut built = Vec::with_capacity(views.len());
        for v in &views {
            built.push(build(&d, ver, v.method, v.icase, v.out).map_err(|(_, m)| m)?);
        }
        d.curr_ver = ver;
        d.remove_where(|e| (e.ver.wrapping_sub(ver) as i32) < 0);
        for (v, idx) in views.iter().zip(built) {
            v.replace(idx);
        }
        Ok(())
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

/// Compiles version `ver` of the list for one user.
fn build(
    d: &Data,
    ver: u32,
    method: MatchMethod,
    icase: bool,
    out: Option<SampleType>,
) -> Result<Index, (Entry, String)> {
    let entries = d
        .entries
        .values()
        .filter(|e| e.ver == ver)
        .map(|e| (e.uid, e.key.as_str(), e.value.as_deref()));
    Index::from_entries(method, icase, out, entries).map_err(|(uid, msg)| {
        let e = d.entries.get(&uid).cloned().unwrap_or(Entry {
            uid,
            key: String::new(),
            value: None,
            ver,
            line: 0,
        });
        (e, msg)
    })
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

    /// [`Matcher::matches`] on a borrowed sample.
    pub fn matches_ref(&self, s: crate::sample::SampleRef<'_>) -> bool {
        self.view.index.load().contains_ref(s)
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
