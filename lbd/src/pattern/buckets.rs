//! The hash buckets an index keeps its entries in: each key maps to the uids
//! of the entries sharing it, first in list order first, so duplicates cost
//! nothing until one is removed. Length and prefix-length lists stay sorted
//! longest first, the order lookups probe them in.

use std::borrow::Borrow;
use std::collections::hash_map::Entry;
use std::collections::HashMap;
use std::hash::Hash;

/// The entries sharing one indexed key, smallest uid (first in list order)
/// first. Duplicates are rare, so the common case holds no vector.
#[derive(Debug, Clone)]
pub(super) enum Ids {
    One(u64),
    Many(Vec<u64>),
}

impl Ids {
    pub(super) fn first(&self) -> u64 {
        match self {
            Ids::One(u) => *u,
            Ids::Many(v) => v.first().copied().unwrap_or(u64::MAX),
        }
    }

    fn add(&mut self, uid: u64) {
        match self {
            Ids::One(u) if *u == uid => {}
            Ids::One(u) => *self = Ids::Many(vec![uid.min(*u), uid.max(*u)]),
            Ids::Many(v) => {
                if let Err(p) = v.binary_search(&uid) {
                    v.insert(p, uid);
                }
            }
        }
    }

    /// Removes `uid`; true when no entry is left.
    fn remove(&mut self, uid: u64) -> bool {
        match self {
            Ids::One(u) => *u == uid,
            Ids::Many(v) => {
                if let Ok(p) = v.binary_search(&uid) {
                    v.remove(p);
                }
                match v.as_slice() {
                    [] => return true,
                    [one] => {
                        let one = *one;
                        *self = Ids::One(one);
                    }
                    _ => {}
                }
                false
            }
        }
    }
}

pub(super) fn bucket_add<K: Hash + Eq>(m: &mut HashMap<K, Ids>, k: K, uid: u64) {
    match m.entry(k) {
        Entry::Occupied(mut e) => e.get_mut().add(uid),
        Entry::Vacant(e) => {
            e.insert(Ids::One(uid));
        }
    }
}

pub(super) fn bucket_remove<K, Q>(m: &mut HashMap<K, Ids>, k: &Q, uid: u64)
where
    K: Hash + Eq + Borrow<Q>,
    Q: Hash + Eq + ?Sized,
{
    if let Some(ids) = m.get_mut(k) {
        if ids.remove(uid) {
            m.remove(k);
        }
    }
}

/// The hash table of prefix length `l` in a longest-first list, created
/// when missing.
pub(super) fn level<K>(levels: &mut Vec<(u8, HashMap<K, Ids>)>, l: u8) -> &mut HashMap<K, Ids> {
    let p = match levels.binary_search_by(|e| l.cmp(&e.0)) {
        Ok(p) => p,
        Err(p) => {
            levels.insert(p, (l, HashMap::new()));
            p
        }
    };
    &mut levels[p].1
}

pub(super) fn level_remove<K: Hash + Eq>(
    levels: &mut Vec<(u8, HashMap<K, Ids>)>,
    l: u8,
    k: &K,
    uid: u64,
) {
    if let Ok(p) = levels.binary_search_by(|e| l.cmp(&e.0)) {
        bucket_remove(&mut levels[p].1, k, uid);
        if levels[p].1.is_empty() {
            levels.remove(p);
        }
    }
}

/// Counts entries per pattern length, longest first.
pub(super) fn lens_add(lens: &mut Vec<(usize, u32)>, n: usize) {
    match lens.binary_search_by(|e| n.cmp(&e.0)) {
        Ok(p) => lens[p].1 += 1,
        Err(p) => lens.insert(p, (n, 1)),
    }
}

pub(super) fn lens_remove(lens: &mut Vec<(usize, u32)>, n: usize) {
    if let Ok(p) = lens.binary_search_by(|e| n.cmp(&e.0)) {
        lens[p].1 -= 1;
        if lens[p].1 == 0 {
            lens.remove(p);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_entry_in_list_order_answers_until_it_goes() {
        let mut m: HashMap<&str, Ids> = HashMap::new();
        for uid in [30, 10, 20] {
            bucket_add(&mut m, "k", uid);
        }
        assert_eq!(m.get("k").map(Ids::first), Some(10));
        bucket_remove(&mut m, "k", 10);
        assert_eq!(m.get("k").map(Ids::first), Some(20));
        bucket_remove(&mut m, "k", 20);
        bucket_remove(&mut m, "k", 30);
        assert!(m.is_empty(), "an emptied key goes away");
    }

    #[test]
    fn lengths_stay_longest_first_and_counted() {
        let mut lens = Vec::new();
        for n in [3, 8, 3, 1] {
            lens_add(&mut lens, n);
        }
        assert_eq!(lens, [(8, 1), (3, 2), (1, 1)]);
        lens_remove(&mut lens, 3);
        lens_remove(&mut lens, 8);
        assert_eq!(lens, [(3, 1), (1, 1)]);
        let mut levels: Vec<(u8, HashMap<u32, Ids>)> = Vec::new();
        for l in [16, 32, 8] {
            bucket_add(level(&mut levels, l), 7, u64::from(l));
        }
        let order: Vec<u8> = levels.iter().map(|e| e.0).collect();
        assert_eq!(order, [32, 16, 8]);
        level_remove(&mut levels, 16, &7, 16);
        assert_eq!(
            levels.len(),
            2,
            "an emptied prefix length is no longer probed"
        );
    }
}
