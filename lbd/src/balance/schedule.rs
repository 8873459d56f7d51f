//! The two precomputed lookup structures every algorithm reads: a smooth
//! weighted schedule (round robin and map-based hashing) and a consistent
//! hash ring. Both are built once per server-state change and only read on
//! the pick path.

use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;

use super::hash::full_hash;

/// Server `i` of `weights` appears `weights[i] / gcd` times, its slots evenly
/// spread. Built by stride scheduling: server `i`'s `j`-th slot sits at time
/// `(j + phase_i) / w_i` in [0, 1), slots are sorted by time. Distinct phases
/// keep light servers from stacking at the same instant, which would leave the
/// heaviest one a long run across the wrap (5,1,1 gives AAABAAC, never 4 As in
/// a row even cyclically). O(T log n) for T slots, so a weight change stays
/// cheap even with hundreds of servers.
pub(super) fn smooth_schedule(weights: &[u32]) -> Vec<u32> {
    let g = weights.iter().copied().filter(|&w| w > 0).fold(0, gcd);
    if g == 0 {
        return Vec::new();
    }
    let n = weights.len() as u64;
    let total: u64 = weights.iter().map(|&w| u64::from(w / g)).sum();
    let mut out = Vec::with_capacity(total as usize);
    let mut heap: BinaryHeap<Reverse<Slot>> = weights
        .iter()
        .enumerate()
        .filter(|(_, &w)| w > 0)
        .map(|(i, &w)| {
            Reverse(Slot {
                num: 2 * i as u64 + 1,
                den: 2 * n * u64::from(w / g),
                server: i as u32,
            })
        })
        .collect();
    while let Some(Reverse(slot)) = heap.pop() {
        out.push(slot.server);
        // The next slot of this server is 1/w later: 2n more in units of 1/(2nw).
        let next = slot.num + 2 * n;
        if next < slot.den {
            heap.push(Reverse(Slot { num: next, ..slot }));
        }
    }
    out
}

fn gcd(a: u32, b: u32) -> u32 {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}

/// One slot at time `num / den`; ties go to the lower server position.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Slot {
    num: u64,
    den: u64,
    server: u32,
}

impl Ord for Slot {
    fn cmp(&self, other: &Self) -> Ordering {
        // num <= 2nw < 2^26, so the cross products fit easily in u64.
        (self.num * other.den)
            .cmp(&(other.num * self.den))
            .then(self.server.cmp(&other.server))
    }
}

impl PartialOrd for Slot {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// HAProxy's points per unit of user weight on the ring (BE_WEIGHT_SCALE).
const POINTS_PER_WEIGHT: u32 = 16;
/// HAProxy spaces each server's point keys by SRV_EWGHT_RANGE (256 * 16).
const KEY_SPACE_PER_ID: u32 = 4096;

/// A consistent-hash ring: `weight * 16` points per server at
/// `full_hash(id * 4096 + n)`, as lb_chash.c places them, so a key maps to
/// the same server here and on HAProxy for the same ids and weights.
pub(super) struct Ring {
    /// Sorted by key; the value is the server index in the caller's slice.
    points: Vec<(u32, u32)>,
}

impl Ring {
    /// `servers` is (index, id, weight) of every server that takes traffic.
    pub(super) fn new(servers: impl Iterator<Item = (usize, u32, u32)>) -> Ring {
        let mut points = Vec::new();
        for (idx, id, weight) in servers {
            let base = id.wrapping_mul(KEY_SPACE_PER_ID);
            for n in 0..weight * POINTS_PER_WEIGHT {
                points.push((full_hash(base.wrapping_add(n)), idx as u32));
            }
        }
        points.sort_unstable();
        Ring { points }
    }

    /// The server whose point is closest to `hash` (the one before it on a
    /// tie, as HAProxy), walking on clockwise past `avoid` when anything else
    /// is on the ring.
    pub(super) fn lookup(&self, hash: u32, avoid: Option<usize>) -> Option<usize> {
        let len = self.points.len();
        if len == 0 {
            return None;
        }
        let next = self.points.partition_point(|&(k, _)| k < hash) % len;
        let prev = (next + len - 1) % len;
        let dn = self.points[next].0.wrapping_sub(hash);
        let dp = hash.wrapping_sub(self.points[prev].0);
        let start = if dp <= dn { prev } else { next };
        let first = self.points[start].1 as usize;
        if Some(first) != avoid {
            return Some(first);
        }
        (1..len)
            .map(|step| self.points[(start + step) % len].1 as usize)
            .find(|&idx| Some(idx) != avoid)
            .or(Some(first))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts(schedule: &[u32], n: usize) -> Vec<usize> {
        let mut c = vec![0; n];
        for &s in schedule {
            c[s as usize] += 1;
        }
        c
    }

    #[test]
    fn schedule_is_exact_per_period_after_gcd() {
        let s = smooth_schedule(&[50, 10, 10]);
        assert_eq!(s.len(), 7);
        assert_eq!(counts(&s, 3), vec![5, 1, 1]);
        let s = smooth_schedule(&[3, 0, 7, 256, 1]);
        assert_eq!(counts(&s, 5), vec![3, 0, 7, 256, 1]);
        assert!(smooth_schedule(&[0, 0]).is_empty());
    }

    #[test]
    fn schedule_spreads_the_heavy_server() {
        let s = smooth_schedule(&[5, 1, 1]);
        let cyclic: Vec<u32> = s.iter().chain(s.iter()).copied().collect();
        let longest = cyclic
            .split(|&x| x != 0)
            .map(<[u32]>::len)
            .max()
            .unwrap_or(0);
        assert!(longest <= 3, "{s:?}");
    }

    #[test]
    fn ring_has_sixteen_points_per_weight_and_skips_avoid() {
        let ring = Ring::new([(0, 1, 2), (1, 2, 1)].into_iter());
        assert_eq!(ring.points.len(), 48);
        for h in [0u32, 1 << 31, u32::MAX, 12345] {
            let got = ring.lookup(h, None);
            assert!(got.is_some());
            let other = ring.lookup(h, got);
            assert_ne!(other, got);
        }
        let single = Ring::new([(3, 7, 1)].into_iter());
        assert_eq!(single.lookup(99, Some(3)), Some(3));
    }
}
