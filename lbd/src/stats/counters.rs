//! Live counters of frontends, backends, servers and the process, and the
//! few helpers the data path calls to feed them.
//!
//! Totals are sharded per thread (each thread adds to its own cache line,
//! a read sums the shards), so counting on the data path never contends.
//! Gauges that already exist elsewhere (current sessions, queue lengths)
//! are read from their owners; rates are HAProxy-style per-second
//! frequency counters; timing averages are HAProxy's sliding window sum
//! (`swrate`) over the last 512 samples.

use std::sync::atomic::{AtomicU32, AtomicU64, AtomicUsize, Ordering::Relaxed};
use std::sync::LazyLock;
use std::time::{Instant, SystemTime};

/// Counter slots; one shard per thread slot.
const SHARDS: usize = 8;

/// HAProxy's TIME_STATS_SAMPLES: the window of the `*time` averages.
pub const TIME_SAMPLES: u32 = 512;

/// The totals kept for every proxy and server, by index into a [`Totals`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(usize)]
pub enum Ctr {
    Stot,
    Bin,
    Bout,
    Dreq,
    Dresp,
    Ereq,
    Econ,
    Eresp,
    Wretr,
    Wredis,
    ReqTot,
    Hrsp1xx,
    Hrsp2xx,
    Hrsp3xx,
    Hrsp4xx,
    Hrsp5xx,
    HrspOther,
    CliAbrt,
    SrvAbrt,
    Lbtot,
    ConnTot,
    Intercepted,
    Dcon,
    Dses,
    Wrew,
    Connect,
    Reuse,
    Eint,
    Chkfail,
    Chkdown,
    H1Conns,
    H1Streams,
}

const NCTR: usize = Ctr::H1Streams as usize + 1;

/// One thread slot's counters and a cache line of padding after them, so
/// that the shards of one [`Totals`] never share a cache line. Padding
/// rather than `repr(align(64))`: an over-aligned allocation goes through
/// `posix_memalign`, several times the cost of a plain one, and a reload of
/// 10,000 servers makes (and later frees) one per server.
#[derive(Debug)]
struct Shard {
    ctr: [AtomicU64; NCTR],
    _pad: [u64; 8],
}

/// Per-thread sharded monotonic totals: as many shards as serving threads
/// (rounded up to a power of two, at most [`SHARDS`]), so that a config of
/// 10,000 servers at `nbthread 1` does not allocate and zero eight shards for
/// each of them at every reload.
#[derive(Debug)]
pub struct Totals(Box<[Shard]>);

/// How many shards new [`Totals`] get; set from the runtime's thread count.
static SHARD_COUNT: AtomicUsize = AtomicUsize::new(SHARDS);

/// Sizes the totals created from now on for `threads` serving threads.
pub fn size_shards(threads: usize) {
    let n = threads.clamp(1, SHARDS).next_power_of_two().min(SHARDS);
    SHARD_COUNT.store(n, Relaxed);
}

impl Default for Totals {
    fn default() -> Self {
        let n = SHARD_COUNT.load(Relaxed);
        Totals(
            (0..n)
                .map(|_| Shard {
                    ctr: std::array::from_fn(|_| AtomicU64::new(0)),
                    _pad: [0; 8],
                })
                .collect(),
        )
    }
}

static NEXT_SLOT: AtomicUsize = AtomicUsize::new(0);
thread_local! {
    static SLOT: usize = NEXT_SLOT.fetch_add(1, Relaxed) % SHARDS;
}

fn slot() -> usize {
    SLOT.with(|s| *s)
}

impl Totals {
    #[inline]
    pub fn add(&self, c: Ctr, n: u64) {
        // The length is a power of two: the mask keeps every thread inside.
        self.0[slot() & (self.0.len() - 1)].ctr[c as usize].fetch_add(n, Relaxed);
    }

    #[inline]
    pub fn inc(&self, c: Ctr) {
        self.add(c, 1);
    }

    pub fn get(&self, c: Ctr) -> u64 {
        self.0.iter().map(|s| s.ctr[c as usize].load(Relaxed)).sum()
    }

    /// `clear counters all`.
    pub fn clear(&self) {
        for s in self.0.iter() {
            for a in &s.ctr {
                a.store(0, Relaxed);
            }
        }
    }
}

static ORIGIN: LazyLock<Instant> = LazyLock::new(Instant::now);

/// Milliseconds on the process's monotonic stats clock (never 0).
pub fn now_ms() -> u64 {
    ms_at(Instant::now())
}

/// [`now_ms`] for an instant the caller has already read.
pub fn ms_at(t: Instant) -> u64 {
    t.saturating_duration_since(*ORIGIN).as_millis() as u64 + 1
}

/// Events per second over the last second, as HAProxy's freq_ctr: the
/// current second's count plus the previous second's, weighted by the part
/// of it still inside the one-second window. The maximum is taken over
/// completed seconds and the current estimate, so the hot path is a single
/// `fetch_add` on a packed (second, count) word.
#[derive(Debug, Default)]
pub struct FreqCtr {
    /// second << 32 | count in that second.
    cur: AtomicU64,
    prev: AtomicU32,
    max: AtomicU32,
}

impl FreqCtr {
    pub fn add(&self, now_ms: u64) {
        self.add_n(now_ms, 1);
    }

    /// Adds `n` events at once (bytes for `BytesOutRate`).
    pub fn add_n(&self, now_ms: u64, n: u32) {
        let sec = (now_ms / 1000) as u32;
        let mut s = self.cur.load(Relaxed);
        loop {
            let s_sec = (s >> 32) as u32;
            if s_sec == sec {
                self.cur.fetch_add(u64::from(n), Relaxed);
                return;
            }
            match self.cur.compare_exchange_weak(
                s,
                (u64::from(sec) << 32) | u64::from(n),
                Relaxed,
                Relaxed,
            ) {
                Ok(_) => {
                    let count = s as u32;
                    let prev = if s_sec.wrapping_add(1) == sec {
                        count
                    } else {
                        0
                    };
                    self.prev.store(prev, Relaxed);
                    self.max.fetch_max(count, Relaxed);
                    return;
                }
                Err(now) => s = now,
            }
        }
    }

    /// The rate over the last second at `now_ms`.
    pub fn rate(&self, now_ms: u64) -> u32 {
        let sec = (now_ms / 1000) as u32;
        let s = self.cur.load(Relaxed);
        let (s_sec, count) = ((s >> 32) as u32, s as u32);
        let remain = 1000 - (now_ms % 1000) as u32;
        let weighted = |v: u32| (u64::from(v) * u64::from(remain) / 1000) as u32;
        if s_sec == sec {
            count + weighted(self.prev.load(Relaxed))
        } else if s_sec.wrapping_add(1) == sec {
            weighted(count)
        } else {
            0
        }
    }

    pub fn max(&self, now_ms: u64) -> u32 {
        let s = self.cur.load(Relaxed);
        self.max.load(Relaxed).max(s as u32).max(self.rate(now_ms))
    }

    pub fn clear_max(&self) {
        self.max.store(0, Relaxed);
    }
}

/// HAProxy's `swrate`: a sliding sum over [`TIME_SAMPLES`] samples. A lost
/// update under a race only drops one sample of a decaying average, so the
/// update is a plain load and store rather than a CAS loop.
#[derive(Debug, Default)]
pub struct SwRate {
    sum: AtomicU32,
    max: AtomicU32,
}

impl SwRate {
    pub fn add(&self, v: u32) {
        let n = TIME_SAMPLES;
        let old = self.sum.load(Relaxed);
        self.sum
            .store(old - old.div_ceil(n) + v.min(u32::MAX / (2 * n)), Relaxed);
        if v > self.max.load(Relaxed) {
            self.max.fetch_max(v, Relaxed);
        }
    }

    /// The average over `min(samples, 512)` samples, as 2.6 reads it.
    pub fn avg(&self, samples: u64) -> u32 {
        let n = samples.min(u64::from(TIME_SAMPLES)) as u32;
        if n == 0 {
            return 0;
        }
        self.sum.load(Relaxed).div_ceil(n)
    }

    pub fn max(&self) -> u32 {
        self.max.load(Relaxed)
    }

    pub fn clear_max(&self) {
        self.max.store(0, Relaxed);
    }
}

/// Everything a frontend, backend or server counts. Which fields apply
/// depends on the object; unused ones stay 0.
#[derive(Debug, Default)]
pub struct ProxyCounters {
    pub totals: Totals,
    /// Highest concurrent sessions.
    pub smax: AtomicU32,
    /// Sessions per second (frontend, listener), requests balanced per
    /// second (backend, server).
    pub sess_rate: FreqCtr,
    /// HTTP requests per second (frontend).
    pub req_rate: FreqCtr,
    /// Connections per second (frontend).
    pub conn_rate: FreqCtr,
    pub qtime: SwRate,
    pub ctime: SwRate,
    pub rtime: SwRate,
    pub ttime: SwRate,
    /// When traffic was last sent to this backend or server (`now_ms`), 0
    /// when never: `lastsess`.
    pub last_sess_ms: AtomicU64,
    /// Frontends: one entry per bind address (`option socket-stats`).
    pub listeners: std::sync::Mutex<Vec<std::sync::Arc<super::sess::ListenerCounters>>>,
}

impl ProxyCounters {
    /// A session or request starts using this object; `cur` is its
    /// concurrent count after the start.
    #[inline]
    pub fn session(&self, now: u64, cur: u32) {
        self.totals.inc(Ctr::Stot);
        self.sess_rate.add(now);
        if cur > self.smax.load(Relaxed) {
            self.smax.fetch_max(cur, Relaxed);
        }
    }

    /// A response status, counted in its class.
    #[inline]
    pub fn status(&self, status: u16) {
        let c = match status {
            100..=199 => Ctr::Hrsp1xx,
            200..=299 => Ctr::Hrsp2xx,
            300..=399 => Ctr::Hrsp3xx,
            400..=499 => Ctr::Hrsp4xx,
            500..=599 => Ctr::Hrsp5xx,
            _ => Ctr::HrspOther,
        };
        self.totals.inc(c);
    }

    #[inline]
    pub fn bytes(&self, bin: u64, bout: u64) {
        self.totals.add(Ctr::Bin, bin);
        self.totals.add(Ctr::Bout, bout);
    }

    /// Timings of one transaction in ms (-1 when the phase was not reached
    /// counts as 0, as HAProxy's `MAX(0, t)`).
    pub fn timings(&self, q: i64, c: i64, r: Option<i64>, t: i64) {
        let clamp = |v: i64| v.clamp(0, i64::from(u32::MAX)) as u32;
        self.qtime.add(clamp(q));
        self.ctime.add(clamp(c));
        if let Some(r) = r {
            self.rtime.add(clamp(r));
        }
        self.ttime.add(clamp(t));
    }

    /// `clear counters`: maxima only. `clear counters all`: everything.
    pub fn clear(&self, all: bool) {
        self.smax.store(0, Relaxed);
        for f in [&self.sess_rate, &self.req_rate, &self.conn_rate] {
            f.clear_max();
        }
        for s in [&self.qtime, &self.ctime, &self.rtime, &self.ttime] {
            s.clear_max();
        }
        if all {
            self.totals.clear();
        }
        for l in self.listener_list() {
            l.c.clear(all);
        }
    }
}

/// Counters of a backend or server, with what only they have.
#[derive(Debug, Default)]
pub struct ServerCounters {
    pub c: ProxyCounters,
    /// When the state last changed (`now_ms`), for `lastchg`.
    pub last_change_ms: AtomicU64,
    /// When the server went down (`now_ms`, 0 while up), and the downtime
    /// accumulated before that, in ms.
    pub down_since_ms: AtomicU64,
    pub downtime_ms: AtomicU64,
}

impl ServerCounters {
    pub fn new() -> Self {
        Self::new_at(now_ms())
    }

    /// Counters whose state last changed at `now` ([`now_ms`]): building
    /// 10,000 servers reads the clock once.
    pub fn new_at(now: u64) -> Self {
        let s = ServerCounters::default();
        s.last_change_ms.store(now, Relaxed);
        s
    }

    /// The server's (or backend's) state changed; `down` is the new state.
    pub fn state_changed(&self, down: bool) {
        let now = now_ms();
        self.last_change_ms.store(now, Relaxed);
        let since = self.down_since_ms.load(Relaxed);
        if down && since == 0 {
            self.down_since_ms.store(now, Relaxed);
        } else if !down && since != 0 {
            self.downtime_ms.fetch_add(now - since, Relaxed);
            self.down_since_ms.store(0, Relaxed);
        }
    }

    /// Total downtime in seconds up to `now`.
    pub fn downtime_s(&self, now: u64) -> u64 {
        let since = self.down_since_ms.load(Relaxed);
        let cur = if since == 0 {
            0
        } else {
            now.saturating_sub(since)
        };
        (self.downtime_ms.load(Relaxed) + cur) / 1000
    }

    pub fn lastchg_s(&self, now: u64) -> u64 {
        now.saturating_sub(self.last_change_ms.load(Relaxed)) / 1000
    }
}

impl std::ops::Deref for ServerCounters {
    type Target = ProxyCounters;
    fn deref(&self) -> &ProxyCounters {
        &self.c
    }
}

/// Process-wide figures for `show info`. One per process: it survives
/// reloads, so it lives in a static the runtime points at.
#[derive(Debug)]
pub struct ProcessStats {
    pub start: SystemTime,
    pub start_instant: Instant,
    /// Accepted connections (`CumConns`) and HTTP requests (`CumReq`).
    pub totals: Totals,
    pub conn_rate: FreqCtr,
    pub sess_rate: FreqCtr,
    /// Highest concurrent connections seen.
    pub max_conn: AtomicU32,
    /// Bytes sent to clients (`TotalBytesOut`, `BytesOutRate`).
    pub bytes_out_rate: FreqCtr,
}

impl ProcessStats {
    /// The process's instance.
    pub fn global() -> &'static ProcessStats {
        static P: LazyLock<ProcessStats> = LazyLock::new(|| {
            LazyLock::force(&ORIGIN);
            ProcessStats {
                start: SystemTime::now(),
                start_instant: Instant::now(),
                totals: Totals::default(),
                conn_rate: FreqCtr::default(),
                sess_rate: FreqCtr::default(),
                max_conn: AtomicU32::new(0),
                bytes_out_rate: FreqCtr::default(),
            }
        });
        &P
    }

    /// Bytes sent to clients.
    #[inline]
    pub fn bytes_out(&self, n: u64) {
        self.bytes_out_at(n, now_ms());
    }

    /// [`bytes_out`](Self::bytes_out) at a time the caller has read.
    #[inline]
    pub fn bytes_out_at(&self, n: u64, now: u64) {
        self.totals.add(Ctr::Bout, n);
        self.bytes_out_rate
            .add_n(now, n.min(u64::from(u32::MAX / 4)) as u32);
    }

    /// A connection was accepted; `cur` is the process's count after it.
    #[inline]
    pub fn connection(&self, now: u64, cur: u32) {
        self.totals.inc(Ctr::ConnTot);
        self.conn_rate.add(now);
        self.sess_rate.add(now);
        if cur > self.max_conn.load(Relaxed) {
            self.max_conn.fetch_max(cur, Relaxed);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn totals_sum_across_threads() {
        let t = std::sync::Arc::new(Totals::default());
        let hs: Vec<_> = (0..4)
            .map(|_| {
                let t = t.clone();
                std::thread::spawn(move || {
                    for _ in 0..1000 {
                        t.inc(Ctr::Bin);
                    }
                })
            })
            .collect();
        for h in hs {
            let _ = h.join();
        }
        assert_eq!(t.get(Ctr::Bin), 4000);
        t.clear();
        assert_eq!(t.get(Ctr::Bin), 0);
    }

    #[test]
    fn freq_ctr_counts_the_last_second() {
        let f = FreqCtr::default();
        for _ in 0..10 {
            f.add(5_000);
        }
        assert_eq!(f.rate(5_999), 10);
        // Half a second later the previous second weighs half.
        f.add(6_000);
        assert_eq!(f.rate(6_500), 1 + 5);
        assert_eq!(f.rate(9_000), 0);
        assert_eq!(f.max(9_000), 10);
    }

    #[test]
    fn swrate_converges_to_the_sample() {
        let s = SwRate::default();
        for _ in 0..5000 {
            s.add(20);
        }
        assert_eq!(s.avg(5000), 20);
        assert_eq!(s.max(), 20);
        let one = SwRate::default();
        one.add(7);
        assert_eq!(one.avg(1), 7);
    }

    #[test]
    fn downtime_accumulates_while_down() {
        let s = ServerCounters::new();
        s.state_changed(true);
        let since = s.down_since_ms.load(Relaxed);
        assert_eq!(s.downtime_s(since + 2500), 2);
        s.state_changed(false);
        assert_eq!(s.down_since_ms.load(Relaxed), 0);
    }
}
