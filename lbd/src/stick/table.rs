//! One stick table: entries by key, sharded by key hash so that sessions on
//! different threads rarely meet on a lock; size limit with eviction of the
//! least recently touched unreferenced entries; expiry; and [`EntryRef`],
//! the handle a session holds on an entry while it tracks it.
//!
//! Locks: a shard's map lock is held only to find, insert or remove an
//! entry (never while locking another shard); an entry's data lock only
//! around a counter update. Reference counts change under the shard lock when
//! they go up, so an entry seen unreferenced under that lock can be removed.

use super::data::EntryData;
use super::def::{DataType, StickTableDef};
use super::key::StickKey;
use std::collections::hash_map::DefaultHasher;
use std::collections::{BinaryHeap, HashMap};
use std::hash::{Hash, Hasher};
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

const SHARDS: usize = 32;

/// Expiry "never": tables without `expire`.
const NEVER: u64 = u64::MAX;

#[derive(Debug)]
struct Entry {
    key: StickKey,
    /// Live [`EntryRef`]s (2.6's `ref_cnt`): a referenced entry is never
    /// evicted, purged or cleared.
    refs: AtomicU32,
    /// Absolute expiry in ms, or [`NEVER`].
    expire: AtomicU64,
    /// Last touch in ms: eviction order.
    touched: AtomicU64,
    data: Mutex<EntryData>,
}

type Shard = HashMap<StickKey, Arc<Entry>>;

/// A stick table (`stick-table` in a proxy).
#[derive(Debug)]
pub struct StickTable {
    def: StickTableDef,
    shards: Box<[Mutex<Shard>]>,
    used: AtomicUsize,
}

/// One entry as `show table` prints it.
#[derive(Debug, Clone)]
pub struct EntrySnapshot {
    pub key: StickKey,
    /// Live references (`use=`).
    pub refs: u32,
    /// Milliseconds until expiry (`exp=`), 0 when expired or never.
    pub exp_ms: u64,
    pub data: EntryData,
}

/// Why an entry could not be removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RemoveError {
    #[error("Entry currently in use, cannot remove")]
    InUse,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic under a table lock leaves counters, not invariants, behind.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Entry {
    fn expired(&self, now_ms: u64) -> bool {
        self.expire.load(Ordering::Relaxed) <= now_ms
    }
    fn unused(&self) -> bool {
        self.refs.load(Ordering::Acquire) == 0
    }
}

impl StickTable {
    pub fn new(def: StickTableDef) -> StickTable {
        StickTable {
            def,
            shards: (0..SHARDS).map(|_| Mutex::new(HashMap::new())).collect(),
            used: AtomicUsize::new(0),
        }
    }

    pub fn def(&self) -> &StickTableDef {
        &self.def
    }

    pub fn name(&self) -> &str {
        &self.def.name
    }

    /// Entries in the table (`used:`).
    pub fn len(&self) -> usize {
        self.used.load(Ordering::Relaxed)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Free slots (`table_avl`).
    pub fn available(&self) -> usize {
        (self.def.size as usize).saturating_sub(self.len())
    }

    fn shard(&self, key: &StickKey) -> &Mutex<Shard> {
        let mut h = DefaultHasher::new();
        key.hash(&mut h);
        &self.shards[(h.finish() as usize) % SHARDS]
    }

    fn expiry(&self, now_ms: u64) -> u64 {
        match self.def.expire_ms {
            Some(e) => now_ms.saturating_add(u64::from(e)),
            None => NEVER,
        }
    }

    fn touch(&self, e: &Entry, now_ms: u64) {
        e.expire.store(self.expiry(now_ms), Ordering::Relaxed);
        e.touched.store(now_ms, Ordering::Relaxed);
    }

    /// Finds a live entry and takes a reference on it, under the shard lock.
    /// An expired, unreferenced entry found on the way is dropped.
    fn find(&self, shard: &mut Shard, key: &StickKey, now_ms: u64) -> Option<Arc<Entry>> {
        let e = shard.get(key)?;
        if e.expired(now_ms) && e.unused() {
            shard.remove(key);
            self.used.fetch_sub(1, Ordering::Relaxed);
            return None;
        }
        e.refs.fetch_add(1, Ordering::AcqRel);
        Some(e.clone())
    }

    fn handle(self: &Arc<Self>, entry: Arc<Entry>, touch_on_drop: bool) -> EntryRef {
        EntryRef {
            table: self.clone(),
            entry,
            conn_counted: AtomicBool::new(false),
            touch_on_drop,
            released: false,
        }
    }

    /// The entry for `key`, created if needed (2.6's `stktable_get_entry`,
    /// what `track-scN` and `stick store` do). None when the table is full
    /// and nothing can be evicted (every entry in use, or `nopurge`).
    pub fn track(self: &Arc<Self>, key: &StickKey, now_ms: u64) -> Option<EntryRef> {
        self.get_or_create(key, now_ms)
            .map(|e| self.handle(e, true))
    }

    fn get_or_create(&self, key: &StickKey, now_ms: u64) -> Option<Arc<Entry>> {
        let shard = self.shard(key);
        if let Some(e) = self.find(&mut lock(shard), key, now_ms) {
            return Some(e);
        }
        if !self.reserve(now_ms) {
            return None;
        }
        let mut map = lock(shard);
        if let Some(e) = self.find(&mut map, key, now_ms) {
            // Another thread created it meanwhile: give the slot back.
            self.used.fetch_sub(1, Ordering::Relaxed);
            return Some(e);
        }
        let e = Arc::new(Entry {
            key: key.clone(),
            refs: AtomicU32::new(1),
            expire: AtomicU64::new(self.expiry(now_ms)),
            touched: AtomicU64::new(now_ms),
            data: Mutex::new(EntryData::new(&self.def)),
        });
        map.insert(key.clone(), e.clone());
        Some(e)
    }

    /// Claims one slot of `size`, evicting the oldest unreferenced entries
    /// first when the table is full (2.6 trashes `size/256 + 1` at once).
    fn reserve(&self, now_ms: u64) -> bool {
        let size = self.def.size as usize;
        for _ in 0..4 {
            let cur = self.used.load(Ordering::Relaxed);
            if cur < size {
                if self
                    .used
                    .compare_exchange(cur, cur + 1, Ordering::AcqRel, Ordering::Relaxed)
                    .is_ok()
                {
                    return true;
                }
                continue;
            }
            if self.def.nopurge {
                return false;
            }
            if self.purge_expired(now_ms) == 0 && self.evict_oldest(size / 256 + 1) == 0 {
                return false;
            }
        }
        false
    }

    /// Removes up to `n` of the least recently touched unreferenced entries.
    /// Returns how many went.
    pub fn evict_oldest(&self, n: usize) -> usize {
        // A max-heap of the n oldest seen so far: its top is the youngest
        // of them, the one to drop when an older candidate shows up.
        let mut heap: BinaryHeap<(u64, usize, Vec<u8>, StickKey)> = BinaryHeap::new();
        for (i, shard) in self.shards.iter().enumerate() {
            let map = lock(shard);
            for e in map.values() {
                if !e.unused() {
                    continue;
                }
                let cand = (
                    e.touched.load(Ordering::Relaxed),
                    i,
                    e.key.sort_bytes(),
                    e.key.clone(),
                );
                if heap.len() < n {
                    heap.push(cand);
                } else if heap.peek().is_some_and(|top| cand < *top) {
                    heap.pop();
                    heap.push(cand);
                }
            }
        }
        let mut removed = 0;
        for (touched, i, _, key) in heap {
            let mut map = lock(&self.shards[i]);
            let gone = map
                .get(&key)
                .is_some_and(|e| e.unused() && e.touched.load(Ordering::Relaxed) == touched);
            if gone {
                map.remove(&key);
                self.used.fetch_sub(1, Ordering::Relaxed);
                removed += 1;
            }
        }
        removed
    }

    /// Drops every expired, unreferenced entry (2.6's expiry task). Returns
    /// how many went.
    pub fn purge_expired(&self, now_ms: u64) -> usize {
        if self.def.expire_ms.is_none() {
            return 0;
        }
        self.retain(|e| !(e.expired(now_ms) && e.unused()))
    }

    fn retain(&self, mut keep: impl FnMut(&Entry) -> bool) -> usize {
        let mut removed = 0;
        for shard in self.shards.iter() {
            let mut map = lock(shard);
            let before = map.len();
            map.retain(|_, e| keep(e));
            removed += before - map.len();
        }
        self.used.fetch_sub(removed, Ordering::Relaxed);
        removed
    }

    /// The live entry for `key` without creating it (what `src_*` fetches
    /// and `stick match` do). Dropping the handle does not refresh expiry.
    pub fn lookup(self: &Arc<Self>, key: &StickKey, now_ms: u64) -> Option<EntryRef> {
        let e = self.find(&mut lock(self.shard(key)), key, now_ms)?;
        Some(self.handle(e, false))
    }

    /// One stored value of the entry for `key` (element 0 of arrays). None
    /// when there is no such entry or the table does not store `t`.
    pub fn get(&self, key: &StickKey, t: DataType, now_ms: u64) -> Option<i64> {
        let spec = *self.def.spec(t)?;
        let e = {
            let mut map = lock(self.shard(key));
            let e = map.get(key)?.clone();
            if e.expired(now_ms) && e.unused() {
                map.remove(key);
                self.used.fetch_sub(1, Ordering::Relaxed);
                return None;
            }
            e
        };
        let v = lock(&e.data).read(t, 0, spec.period_ms, now_ms);
        v
    }

    /// Creates the entry for `key` if needed, runs `f` on its data and
    /// refreshes its expiry (what `set table` does). None when the entry
    /// cannot be allocated.
    pub fn set_with<R>(
        &self,
        key: &StickKey,
        now_ms: u64,
        f: impl FnOnce(&mut EntryData) -> R,
    ) -> Option<R> {
        let e = self.get_or_create(key, now_ms)?;
        let r = f(&mut lock(&e.data));
        self.touch(&e, now_ms);
        e.refs.fetch_sub(1, Ordering::AcqRel);
        Some(r)
    }

    /// Writes `values` (element 0 of arrays) into the entry for `key`,
    /// creating it if needed. Types the table does not store are skipped.
    /// False when the entry cannot be allocated.
    pub fn set(&self, key: &StickKey, values: &[(DataType, i64)], now_ms: u64) -> bool {
        self.set_with(key, now_ms, |d| {
            for &(t, v) in values {
                if self.def.stores(t) {
                    d.write(t, 0, v, now_ms);
                }
            }
        })
        .is_some()
    }

    /// Puts an entry carried from another process in (see
    /// [`super::carry`]): its data as it was there, expiring `exp_in_ms`
    /// from now (None: never), last touched `age_ms` ago. A key this table
    /// already holds keeps what it has; a full table takes no more (it
    /// does not evict for carried entries). False when not inserted.
    pub fn restore(
        &self,
        key: StickKey,
        data: EntryData,
        exp_in_ms: Option<u64>,
        age_ms: u64,
        now_ms: u64,
    ) -> bool {
        let mut map = lock(self.shard(&key));
        if map.contains_key(&key) {
            return false;
        }
        let size = self.def.size as usize;
        if self
            .used
            .fetch_update(Ordering::AcqRel, Ordering::Relaxed, |n| {
                (n < size).then_some(n + 1)
            })
            .is_err()
        {
            return false;
        }
        let expire = match (exp_in_ms, self.def.expire_ms) {
            (Some(ms), Some(limit)) => now_ms.saturating_add(ms.min(u64::from(limit))),
            (Some(_), None) | (None, None) => NEVER,
            // The table expires entries now: one that never did starts afresh.
            (None, Some(_)) => self.expiry(now_ms),
        };
        let e = Arc::new(Entry {
            key: key.clone(),
            refs: AtomicU32::new(0),
            expire: AtomicU64::new(expire),
            touched: AtomicU64::new(now_ms.saturating_sub(age_ms)),
            data: Mutex::new(data),
        });
        map.insert(key, e);
        true
    }

    /// Every live entry with its expiry and age, for [`super::carry`].
    pub(super) fn carry_out(&self, now_ms: u64) -> Vec<(StickKey, EntryData, Option<u64>, u64)> {
        self.purge_expired(now_ms);
        let mut out = Vec::with_capacity(self.len());
        for shard in self.shards.iter() {
            for e in lock(shard).values() {
                let exp = e.expire.load(Ordering::Relaxed);
                let exp_in = (exp != NEVER).then(|| exp.saturating_sub(now_ms));
                let age = now_ms.saturating_sub(e.touched.load(Ordering::Relaxed));
                out.push((e.key.clone(), lock(&e.data).clone(), exp_in, age));
            }
        }
        out
    }

    /// `clear table <t> key <k>`: Ok(false) when there was no such entry.
    pub fn remove(&self, key: &StickKey) -> Result<bool, RemoveError> {
        let mut map = lock(self.shard(key));
        match map.get(key) {
            None => Ok(false),
            Some(e) if !e.unused() => Err(RemoveError::InUse),
            Some(_) => {
                map.remove(key);
                self.used.fetch_sub(1, Ordering::Relaxed);
                Ok(true)
            }
        }
    }

    /// Removes every unreferenced entry `filter` accepts (`clear table`
    /// with or without data filters). Returns how many went.
    pub fn clear_where(
        &self,
        now_ms: u64,
        mut filter: impl FnMut(&EntryData, u64) -> bool,
    ) -> usize {
        self.retain(|e| !(e.unused() && filter(&lock(&e.data), now_ms)))
    }

    /// Every entry, in 2.6's key-tree order, for `show table`. Expired
    /// unreferenced entries are purged first, so they never show.
    pub fn snapshot(&self, now_ms: u64) -> Vec<EntrySnapshot> {
        self.purge_expired(now_ms);
        let mut out = Vec::with_capacity(self.len());
        for shard in self.shards.iter() {
            let map = lock(shard);
            for e in map.values() {
                out.push(self.snap(e, now_ms));
            }
        }
        out.sort_by_cached_key(|s| s.key.sort_bytes());
        out
    }

    /// The entry for `key` as `show table <t> key <k>` prints it.
    pub fn snapshot_key(&self, key: &StickKey, now_ms: u64) -> Option<EntrySnapshot> {
        let e = self.find(&mut lock(self.shard(key)), key, now_ms)?;
        let s = self.snap(&e, now_ms);
        e.refs.fetch_sub(1, Ordering::AcqRel);
        Some(EntrySnapshot {
            refs: s.refs.saturating_sub(1),
            ..s
        })
    }

    fn snap(&self, e: &Entry, now_ms: u64) -> EntrySnapshot {
        let exp = e.expire.load(Ordering::Relaxed);
        EntrySnapshot {
            key: e.key.clone(),
            refs: e.refs.load(Ordering::Relaxed),
            exp_ms: if exp == NEVER {
                0
            } else {
                exp.saturating_sub(now_ms)
            },
            data: lock(&e.data).clone(),
        }
    }
}

/// A session's hold on one entry (a tracked counter, `track-scN`). While it
/// lives the entry cannot be evicted, purged or cleared. Dropping it ends
/// the tracking: `conn_cur` goes back down if [`EntryRef::on_conn`] raised
/// it, and the entry's expiry restarts from the last touch.
#[derive(Debug)]
pub struct EntryRef {
    table: Arc<StickTable>,
    entry: Arc<Entry>,
    conn_counted: AtomicBool,
    touch_on_drop: bool,
    released: bool,
}

impl EntryRef {
    pub fn table(&self) -> &Arc<StickTable> {
        &self.table
    }

    pub fn key(&self) -> &StickKey {
        &self.entry.key
    }

    /// Live references to the entry, this one included.
    pub fn refs(&self) -> u32 {
        self.entry.refs.load(Ordering::Relaxed)
    }

    /// Runs `f` on the entry's data under its lock and refreshes expiry.
    pub fn update<R>(&self, now_ms: u64, f: impl FnOnce(&mut EntryData) -> R) -> R {
        let r = f(&mut lock(&self.entry.data));
        self.table.touch(&self.entry, now_ms);
        r
    }

    /// A stored value (element 0 of arrays); None if the table lacks `t`.
    pub fn get(&self, t: DataType, now_ms: u64) -> Option<i64> {
        self.get_at(t, 0, now_ms)
    }

    /// Element `idx` of an array type (`gpc(N)`, `gpt(N)`, `gpc_rate(N,p)`).
    pub fn get_at(&self, t: DataType, idx: usize, now_ms: u64) -> Option<i64> {
        let spec = *self.table.def.spec(t)?;
        lock(&self.entry.data).read(t, idx, spec.period_ms, now_ms)
    }

    fn period(&self, t: DataType) -> Option<u32> {
        self.table.def.spec(t).map(|s| s.period_ms)
    }

    /// Adds `n` to a counter and its rate when the table stores them.
    fn bump(&self, cnt: DataType, rate: DataType, idx: usize, n: u32, now_ms: u64) -> Option<u32> {
        let has_cnt = self.table.def.stores(cnt);
        let rate_p = self.period(rate);
        if !has_cnt && rate_p.is_none() {
            return None;
        }
        self.update(now_ms, |d| {
            if let (Some(p), Some(f)) = (rate_p, d.rate_mut(rate, idx)) {
                f.update(p, n, now_ms);
            }
            if !has_cnt {
                return Some(0);
            }
            let c = d.uint_mut(cnt, idx)?;
            *c = c.wrapping_add(n);
            Some(*c)
        })
    }

    /// `sc-inc-gpc0`: gpc0 and gpc0_rate; the new gpc0 (0 when only the
    /// rate is stored), None when neither is.
    pub fn inc_gpc0(&self, now_ms: u64) -> Option<i64> {
        self.bump(DataType::Gpc0, DataType::Gpc0Rate, 0, 1, now_ms)
            .map(i64::from)
    }

    pub fn inc_gpc1(&self, now_ms: u64) -> Option<i64> {
        self.bump(DataType::Gpc1, DataType::Gpc1Rate, 0, 1, now_ms)
            .map(i64::from)
    }

    /// `sc-inc-gpc(idx,N)`.
    pub fn inc_gpc(&self, idx: usize, now_ms: u64) -> Option<i64> {
        self.bump(DataType::Gpc, DataType::GpcRate, idx, 1, now_ms)
            .map(i64::from)
    }

    /// `sc-clr-gpc0` / `sc_clr_gpc0`: the value before clearing.
    pub fn clr_gpc0(&self, now_ms: u64) -> Option<i64> {
        if !self.table.def.stores(DataType::Gpc0) {
            return None;
        }
        Some(self.update(now_ms, |d| i64::from(std::mem::take(&mut d.gpc0))))
    }

    pub fn clr_gpc1(&self, now_ms: u64) -> Option<i64> {
        if !self.table.def.stores(DataType::Gpc1) {
            return None;
        }
        Some(self.update(now_ms, |d| i64::from(std::mem::take(&mut d.gpc1))))
    }

    /// `sc-set-gpt0(N) <v>`; false when the table has no gpt0.
    pub fn set_gpt0(&self, v: i64, now_ms: u64) -> bool {
        if !self.table.def.stores(DataType::Gpt0) {
            return false;
        }
        self.update(now_ms, |d| d.gpt0 = v as u32);
        true
    }

    /// A new connection or stream starts being tracked: conn_cnt, conn_cur
    /// and conn_rate (2.6's `stream_start_counters`). conn_cur comes back
    /// down when this handle is dropped. Counted once per handle.
    pub fn on_conn(&self, now_ms: u64) {
        if self.conn_counted.swap(true, Ordering::AcqRel) {
            return;
        }
        let def = &self.table.def;
        let (cnt, cur, rate) = (
            def.stores(DataType::ConnCnt),
            def.stores(DataType::ConnCur),
            self.period(DataType::ConnRate),
        );
        self.update(now_ms, |d| {
            if cnt {
                d.conn_cnt = d.conn_cnt.wrapping_add(1);
            }
            if cur {
                d.conn_cur = d.conn_cur.wrapping_add(1);
            }
            if let Some(p) = rate {
                d.conn_rate.update(p, 1, now_ms);
            }
        });
    }

    pub fn on_sess(&self, now_ms: u64) {
        self.bump(DataType::SessCnt, DataType::SessRate, 0, 1, now_ms);
    }

    pub fn on_http_req(&self, now_ms: u64) {
        self.bump(DataType::HttpReqCnt, DataType::HttpReqRate, 0, 1, now_ms);
    }

    pub fn on_http_err(&self, now_ms: u64) {
        self.bump(DataType::HttpErrCnt, DataType::HttpErrRate, 0, 1, now_ms);
    }

    pub fn on_http_fail(&self, now_ms: u64) {
        self.bump(DataType::HttpFailCnt, DataType::HttpFailRate, 0, 1, now_ms);
    }

    pub fn on_bytes_in(&self, n: u64, now_ms: u64) {
        self.bytes(DataType::BytesInCnt, DataType::BytesInRate, n, now_ms);
    }

    pub fn on_bytes_out(&self, n: u64, now_ms: u64) {
        self.bytes(DataType::BytesOutCnt, DataType::BytesOutRate, n, now_ms);
    }

    fn bytes(&self, cnt: DataType, rate: DataType, n: u64, now_ms: u64) {
        let has_cnt = self.table.def.stores(cnt);
        let rate_p = self.period(rate);
        if !has_cnt && rate_p.is_none() {
            return;
        }
        self.update(now_ms, |d| {
            if has_cnt {
                let c = if cnt == DataType::BytesInCnt {
                    &mut d.bytes_in_cnt
                } else {
                    &mut d.bytes_out_cnt
                };
                *c = c.wrapping_add(n);
            }
            if let (Some(p), Some(f)) = (rate_p, d.rate_mut(rate, 0)) {
                f.update(p, n.min(u64::from(u32::MAX)) as u32, now_ms);
            }
        });
    }

    /// The server this entry sticks to (`server_id`), None if not stored.
    pub fn server_id(&self) -> Option<i32> {
        if !self.table.def.stores(DataType::ServerId) {
            return None;
        }
        Some(lock(&self.entry.data).server_id)
    }

    /// Records the server a `stick on|store-*` rule chose, with its key
    /// (name or address, per `srvkey`) when the table stores `server_key`.
    pub fn set_server(&self, id: i32, key: Option<Arc<str>>, now_ms: u64) {
        let def = &self.table.def;
        let (sid, skey) = (
            def.stores(DataType::ServerId),
            def.stores(DataType::ServerKey),
        );
        self.update(now_ms, |d| {
            if sid {
                d.server_id = id;
            }
            if skey {
                d.server_key = key;
            }
        });
    }

    pub fn server_key(&self) -> Option<Arc<str>> {
        lock(&self.entry.data).server_key.clone()
    }
}

impl EntryRef {
    /// Ends the tracking at `now_ms` (dropping does the same at the clock's
    /// current time).
    pub fn release(mut self, now_ms: u64) {
        self.finish(now_ms);
    }

    fn finish(&mut self, now: u64) {
        if std::mem::replace(&mut self.released, true) {
            return;
        }
        if self.conn_counted.load(Ordering::Acquire) {
            let cur = self.table.def.stores(DataType::ConnCur);
            self.update(now, |d| {
                if cur {
                    d.conn_cur = d.conn_cur.saturating_sub(1);
                }
            });
        } else if self.touch_on_drop {
            self.table.touch(&self.entry, now);
        }
        self.entry.refs.fetch_sub(1, Ordering::AcqRel);
    }
}

impl Drop for EntryRef {
    fn drop(&mut self) {
        self.finish(super::clock::now_ms());
    }
}
