//! Load-balancing algorithms (HAProxy `balance` and `hash-type`), pure and
//! sans-IO.
//!
//! A [`Balancer`] is an immutable snapshot of one backend's servers (which
//! take traffic, with which weights) plus precomputed lookup tables. The
//! runtime rebuilds it whenever a weight or a server's state changes and
//! shares it between threads; the only mutable state is an atomic round-robin
//! cursor, so `pick` takes no lock and does not allocate. Live load comes in
//! through [`LoadView`] at pick time. Persistence (cookies, stick tables),
//! queueing and sample fetching belong to the runtime, not here.

pub mod hash;
pub mod key;
mod schedule;

#[cfg(test)]
mod tests;

use std::sync::atomic::{AtomicUsize, Ordering};

use crate::config::model::{Balance, HashFunction, HashMethod, HashType};
use schedule::{smooth_schedule, Ring};

/// One server as the balancer sees it, in the backend's declaration order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LbServer {
    /// The server's `id` (HAProxy `puid`): orders `first` and places the
    /// server's points on the consistent-hash ring.
    pub id: u32,
    /// Effective user weight, 0..=256; 0 takes no new traffic.
    pub weight: u32,
    pub backup: bool,
    /// Up and not in maintenance or drain.
    pub usable: bool,
}

/// The live per-server state the algorithms need, indexed like the server
/// slice given to [`Balancer::new`].
pub trait LoadView {
    /// Current active plus queued connections.
    fn load(&self, idx: usize) -> u32;
    /// The server is at its (dynamic) maxconn or has a queue.
    fn saturated(&self, idx: usize) -> bool;
}

/// What the runtime extracted for the hashing algorithms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LbInput<'a> {
    /// No key: the parameter, header or sample was absent (or the algorithm
    /// needs none). Hashing algorithms fall back to round robin.
    None,
    /// The bytes to hash, as produced by the [`key`] functions or the
    /// `hash` sample expression.
    Key(&'a [u8]),
}

/// Which request data the runtime must extract before calling `pick`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyNeed {
    None,
    /// Pass [`key::source_ip_bytes`] of the client address.
    SourceIp,
    /// Pass [`key::uri_key`] of the request-target.
    Uri {
        whole: bool,
        len: Option<u32>,
        depth: Option<u32>,
        path_only: bool,
    },
    /// Pass [`key::url_param_value`] of the request-target; with
    /// `check_post`, on a POST without it, [`key::post_param_value`] of the body.
    UrlParam {
        name: String,
        check_post: bool,
    },
    /// Pass [`key::hdr_key`] of the first value of header `name`.
    Hdr {
        name: String,
        use_domain_only: bool,
    },
    /// Pass the result of this sample expression, as binary.
    Expr(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Algo {
    RoundRobin,
    LeastConn,
    First,
    /// A hashing algorithm; `source` folds the address instead of running
    /// the hash function on it, and an empty header counts as absent.
    Hash {
        source: bool,
        empty_is_absent: bool,
    },
    Random {
        draws: u32,
    },
}

/// One backend's load-balancing state. `Send + Sync`; share it behind an
/// `Arc` (or an `ArcSwap` that is replaced on every server change).
pub struct Balancer {
    algo: Algo,
    need: KeyNeed,
    function: HashFunction,
    avalanche: bool,
    /// Servers that take traffic now (the active set, else the backup set),
    /// in declaration order.
    eligible: Vec<u32>,
    /// `eligible` ordered by server id, for `first`.
    by_id: Vec<u32>,
    /// Weight of every server, by index into the original slice.
    weights: Vec<u32>,
    /// Smooth weighted order of `eligible`: round robin, the hash map, and
    /// the fallback when a key is absent.
    schedule: Vec<u32>,
    /// Only for `hash-type consistent`.
    ring: Option<Ring>,
    /// Shared round-robin position; relaxed because only spread matters.
    cursor: AtomicUsize,
}

/// How far round robin walks its schedule past saturated servers before
/// falling back to a plain scan of the eligible servers.
const RR_SCAN: usize = 64;

/// HAProxy's largest user weight (SRV_UWGHT_MAX).
const MAX_WEIGHT: u32 = 256;

impl Balancer {
    pub fn new(
        algo: &Balance,
        hash_type: HashType,
        servers: &[LbServer],
        allbackups: bool,
    ) -> Balancer {
        let (algo_kind, need) = match algo {
            Balance::RoundRobin | Balance::StaticRr => (Algo::RoundRobin, KeyNeed::None),
            Balance::LeastConn => (Algo::LeastConn, KeyNeed::None),
            Balance::First => (Algo::First, KeyNeed::None),
            Balance::Random { draws } => (
                Algo::Random {
                    draws: (*draws).max(1),
                },
                KeyNeed::None,
            ),
            Balance::Source => (hashing(true, false), KeyNeed::SourceIp),
            Balance::Uri {
                whole,
                len,
                depth,
                path_only,
            } => (
                hashing(false, false),
                KeyNeed::Uri {
                    whole: *whole,
                    len: *len,
                    depth: *depth,
                    path_only: *path_only,
                },
            ),
            Balance::UrlParam { name, check_post } => (
                hashing(false, false),
                KeyNeed::UrlParam {
                    name: name.clone(),
                    check_post: *check_post,
                },
            ),
            Balance::Hdr {
                name,
                use_domain_only,
            } => (
                hashing(false, true),
                KeyNeed::Hdr {
                    name: name.clone(),
                    use_domain_only: *use_domain_only,
                },
            ),
            Balance::Hash { expr } => (hashing(false, false), KeyNeed::Expr(expr.clone())),
        };

        let eligible = eligible_servers(servers, allbackups);
        // Clamped so that a bogus weight cannot blow up the ring or schedule.
        let weights: Vec<u32> = servers.iter().map(|s| s.weight.min(MAX_WEIGHT)).collect();
        let schedule = smooth_schedule(
            &eligible
                .iter()
                .map(|&i| weights[i as usize])
                .collect::<Vec<_>>(),
        )
        .into_iter()
        .map(|pos| eligible[pos as usize])
        .collect();
        let mut by_id = eligible.clone();
        by_id.sort_by_key(|&i| (servers[i as usize].id, i));
        let consistent =
            matches!(algo_kind, Algo::Hash { .. }) && hash_type.method == HashMethod::Consistent;
        let ring = consistent.then(|| {
            Ring::new(eligible.iter().map(|&i| {
                let i = i as usize;
                (i, servers[i].id, weights[i])
            }))
        });

        Balancer {
            algo: algo_kind,
            need,
            function: hash_type.function,
            avalanche: hash_type.avalanche,
            eligible,
            by_id,
            weights,
            schedule,
            ring,
            cursor: AtomicUsize::new(0),
        }
    }

    pub fn key_need(&self) -> &KeyNeed {
        &self.need
    }

    /// Whether any server takes traffic at all. When it does and `pick`
    /// still returns None, every candidate is saturated: queue the request
    /// in the backend rather than failing it.
    pub fn has_servers(&self) -> bool {
        !self.eligible.is_empty()
    }

    /// Picks a server index into the slice given to `new`, or None when none
    /// is available (no server, or all saturated for the algorithms that
    /// respect maxconn). `exclude` is a server to avoid (redispatch after a
    /// failed attempt); it is still returned when it is the only choice.
    ///
    /// Hash-based picks ignore saturation, as HAProxy: the key decides the
    /// server and the request waits in that server's queue.
    pub fn pick(
        &self,
        input: LbInput<'_>,
        view: &dyn LoadView,
        exclude: Option<usize>,
    ) -> Option<usize> {
        if self.eligible.is_empty() {
            return None;
        }
        match self.algo {
            Algo::RoundRobin => self.pick_rr(view, exclude),
            Algo::LeastConn => self.pick_leastconn(view, exclude),
            Algo::First => self.pick_first(view, exclude),
            Algo::Random { draws } => self.pick_random(draws, view, exclude),
            Algo::Hash {
                source,
                empty_is_absent,
            } => match input {
                LbInput::Key(k) if !(empty_is_absent && k.is_empty()) => {
                    let h = if source {
                        key::fold_source(k)
                    } else {
                        hash::hash_key(self.function, false, k)
                    };
                    let h = if self.avalanche {
                        hash::full_hash(h)
                    } else {
                        h
                    };
                    self.pick_hash(h, exclude)
                }
                _ => self.pick_rr(view, exclude),
            },
        }
    }

    /// Walks the smooth schedule from the shared cursor, skipping saturated
    /// servers. The slot of a saturated server goes to the next one in the
    /// schedule, a small bias that lasts only while it is full.
    fn pick_rr(&self, view: &dyn LoadView, exclude: Option<usize>) -> Option<usize> {
        let len = self.schedule.len();
        let start = self.cursor.fetch_add(1, Ordering::Relaxed) % len;
        let mut avoided = None;
        let scheduled = (0..len.min(RR_SCAN)).map(|step| self.schedule[(start + step) % len]);
        // A heavy saturated server can fill a long stretch of the schedule;
        // after RR_SCAN slots every eligible server is tried once instead.
        let n = self.eligible.len();
        let rest = (0..n).map(|step| self.eligible[(start + step) % n]);
        for idx in scheduled.chain(rest) {
            let idx = idx as usize;
            if view.saturated(idx) {
                continue;
            }
            if Some(idx) == exclude {
                avoided = Some(idx);
                continue;
            }
            return Some(idx);
        }
        avoided
    }

    /// Lowest `(load + 1) * 256 / weight` (0 when idle), as HAProxy's fwlc
    /// tree key, so weights scale the comparison and near-equal ratios tie.
    /// The scan starts at a rotating position, so ties go round robin.
    fn pick_leastconn(&self, view: &dyn LoadView, exclude: Option<usize>) -> Option<usize> {
        let n = self.eligible.len();
        let start = self.cursor.fetch_add(1, Ordering::Relaxed) % n;
        let mut best: Option<(u64, usize)> = None;
        let mut avoided = None;
        for step in 0..n {
            let idx = self.eligible[(start + step) % n] as usize;
            if view.saturated(idx) {
                continue;
            }
            if Some(idx) == exclude {
                avoided = Some(idx);
                continue;
            }
            let load = u64::from(view.load(idx));
            let key = if load == 0 {
                0
            } else {
                (load + 1) * 256 / u64::from(self.weights[idx].max(1))
            };
            match best {
                Some((k, _)) if k <= key => {}
                _ => best = Some((key, idx)),
            }
        }
        best.map(|(_, idx)| idx).or(avoided)
    }

    fn pick_first(&self, view: &dyn LoadView, exclude: Option<usize>) -> Option<usize> {
        let mut avoided = None;
        for &idx in &self.by_id {
            let idx = idx as usize;
            if view.saturated(idx) {
                continue;
            }
            if Some(idx) == exclude {
                avoided.get_or_insert(idx);
                continue;
            }
            return Some(idx);
        }
        avoided
    }

    /// Power of `draws` choices: the draw serving the fewest connections per
    /// unit of weight wins. As in HAProxy, a winner that is saturated yields
    /// None so the request queues in the backend.
    ///
    /// HAProxy draws on its consistent-hash ring; a uniform slot of the
    /// weighted schedule is the same idea with exact weights, where a ring of
    /// 16 points per weight unit is off by tens of percent per server.
    fn pick_random(
        &self,
        draws: u32,
        view: &dyn LoadView,
        exclude: Option<usize>,
    ) -> Option<usize> {
        let len = self.schedule.len();
        let mut best: Option<usize> = None;
        for _ in 0..draws {
            let slot = fastrand::usize(..len);
            let cur = self.schedule_from(slot, exclude);
            best = Some(match best {
                Some(prev) if prev != cur && self.loads_more(cur, prev, view) => prev,
                _ => cur,
            });
        }
        best.filter(|&idx| !view.saturated(idx))
    }

    /// `a` serves more connections per unit of weight than `b`.
    fn loads_more(&self, a: usize, b: usize, view: &dyn LoadView) -> bool {
        u64::from(view.load(a)) * u64::from(self.weights[b])
            > u64::from(view.load(b)) * u64::from(self.weights[a])
    }

    fn pick_hash(&self, h: u32, exclude: Option<usize>) -> Option<usize> {
        if let Some(ring) = &self.ring {
            return ring.lookup(h, exclude);
        }
        // Map-based: the schedule doubles as HAProxy's weighted server map,
        // indexed by hash modulo the total weight.
        Some(self.schedule_from(h as usize % self.schedule.len(), exclude))
    }

    /// The server at `slot` of the schedule, or the next one that is not
    /// `exclude` when there is such a server.
    fn schedule_from(&self, slot: usize, exclude: Option<usize>) -> usize {
        let len = self.schedule.len();
        let first = self.schedule[slot] as usize;
        if Some(first) != exclude {
            return first;
        }
        (1..len)
            .map(|step| self.schedule[(slot + step) % len] as usize)
            .find(|&idx| Some(idx) != exclude)
            .unwrap_or(first)
    }
}

fn hashing(source: bool, empty_is_absent: bool) -> Algo {
    Algo::Hash {
        source,
        empty_is_absent,
    }
}

/// The servers that take traffic: usable active servers with a weight; when
/// there is none, the usable backups, all of them with `allbackups`, else
/// only the first declared (HAProxy's `fbck`, which follows declaration
/// order, not ids).
fn eligible_servers(servers: &[LbServer], allbackups: bool) -> Vec<u32> {
    let takes_traffic = |s: &LbServer| s.usable && s.weight > 0;
    let active: Vec<u32> = (0..servers.len() as u32)
        .filter(|&i| !servers[i as usize].backup && takes_traffic(&servers[i as usize]))
        .collect();
    if !active.is_empty() {
        return active;
    }
    let backups = (0..servers.len() as u32)
        .filter(|&i| servers[i as usize].backup && takes_traffic(&servers[i as usize]));
    if allbackups {
        backups.collect()
    } else {
        backups.take(1).collect()
    }
}
