//! HAProxy's frequency counter (`struct freq_ctr`): events in the current
//! period plus the previous period's count weighted by the share of it that
//! still lies inside the sliding window. Same arithmetic as 2.6's
//! `update_freq_ctr_period` and `read_freq_ctr_period`, so `show table`
//! prints the same numbers for the same events at the same times.
//!
//! Callers hold the entry's lock; this type needs no atomics of its own.

/// One rate counter. `curr_tick` is the start of the current period in ms;
/// 2.6 keeps bit 0 clear (it is its lock bit), and so do we, because that
/// shifts the window by up to 1 ms and changes what is printed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FreqCtr {
    pub curr_tick: u64,
    pub curr_ctr: u32,
    pub prev_ctr: u32,
}

impl FreqCtr {
    /// Adds `inc` events at `now_ms`, rotating the periods first when the
    /// current one is over. Returns the current period's count.
    pub fn update(&mut self, period: u32, inc: u32, now_ms: u64) -> u32 {
        let period = u64::from(period.max(1));
        if now_ms.wrapping_sub(self.curr_tick) < period {
            self.curr_ctr = self.curr_ctr.wrapping_add(inc);
            return self.curr_ctr;
        }
        self.prev_ctr = self.curr_ctr;
        self.curr_ctr = inc;
        let mut tick = self.curr_tick.wrapping_add(period);
        if now_ms.wrapping_sub(tick) >= period {
            // At least two periods went by: nothing of the past remains.
            self.prev_ctr = 0;
            tick = now_ms;
        }
        self.curr_tick = tick & !1;
        inc
    }

    /// The 2.6 `freq_ctr_total(ctr, period, -1)`: events over the window,
    /// multiplied by `period`.
    fn total(&self, period: u32, now_ms: u64) -> u64 {
        let period_i = i64::from(period);
        let mut curr = u64::from(self.curr_ctr);
        let mut past = u64::from(self.prev_ctr);
        // Tick arithmetic is signed: a counter from long ago is "negative".
        let mut remain = (self.curr_tick as i64)
            .wrapping_add(period_i)
            .wrapping_sub(now_ms as i64);
        if remain < 0 {
            remain += period_i;
            past = if remain >= 0 { curr } else { 0 };
            curr = 0;
        }
        // Flapping correction at very low rates.
        if curr == 0 && past <= 1 {
            return past * u64::from(period);
        }
        let remain = remain.clamp(0, period_i) as u64;
        past * remain + curr * u64::from(period)
    }

    /// Events per period at `now_ms` (2.6's `read_freq_ctr_period`).
    pub fn read(&self, period: u32, now_ms: u64) -> u32 {
        let period = period.max(1);
        (self.total(period, now_ms) / u64::from(period)).min(u64::from(u32::MAX)) as u32
    }

    /// What `set table ... data.<rate> <v>` does: the value holds for the
    /// whole current period, then fades.
    pub fn set(&mut self, value: u32, now_ms: u64) {
        self.curr_tick = now_ms & !1;
        self.prev_ctr = 0;
        self.curr_ctr = value;
    }
}

#[cfg(test)]
mod tests {
    use super::FreqCtr;

    #[test]
    fn counts_within_one_period() {
        let mut f = FreqCtr::default();
        // A fresh counter (tick 0) far from now starts a period at now.
        f.update(10_000, 1, 100_000);
        f.update(10_000, 1, 100_500);
        f.update(10_000, 1, 101_000);
        assert_eq!(f.curr_tick, 100_000);
        assert_eq!(f.read(10_000, 101_000), 3);
    }

    #[test]
    fn previous_period_weighs_by_remaining_time() {
        let mut f = FreqCtr::default();
        for _ in 0..10 {
            f.update(10_000, 1, 100_000);
        }
        // 2.5 s into the next period: 10 * 7500 / 10000 = 7.5 -> 7, plus
        // 2 new events: (10 * 7500 + 2 * 10000) / 10000 = 9.
        f.update(10_000, 1, 112_500);
        f.update(10_000, 1, 112_500);
        assert_eq!(f.prev_ctr, 10);
        assert_eq!(f.curr_tick, 110_000);
        assert_eq!(f.read(10_000, 112_500), 9);
        // Read-only later: at 119_000 the past weighs 1000/10000.
        assert_eq!(f.read(10_000, 119_000), (10 * 1000 + 2 * 10_000) / 10_000);
    }

    #[test]
    fn reading_after_a_silent_period_uses_the_last_count_as_past() {
        let mut f = FreqCtr::default();
        for _ in 0..4 {
            f.update(1000, 1, 50_000);
        }
        // Period [50000,51000) is over; at 51200 the window keeps 800 ms of it.
        assert_eq!(f.read(1000, 51_200), 4 * 800 / 1000);
        // Two periods later nothing remains.
        assert_eq!(f.read(1000, 52_100), 0);
    }

    #[test]
    fn low_rates_do_not_flap() {
        let mut f = FreqCtr::default();
        f.update(10_000, 1, 100_000);
        // One event in the previous period reads as 1 for the whole window.
        assert_eq!(f.read(10_000, 119_999), 1);
        assert_eq!(f.read(10_000, 120_000), 1);
        assert_eq!(f.read(10_000, 120_001), 0);
    }

    #[test]
    fn odd_start_times_lose_their_low_bit_like_haproxy() {
        let mut f = FreqCtr::default();
        f.update(1000, 5, 20_001);
        assert_eq!(f.curr_tick, 20_000);
        f.set(7, 30_003);
        assert_eq!(f.curr_tick, 30_002);
        assert_eq!(f.read(1000, 30_500), 7);
    }

    #[test]
    fn missing_two_periods_restarts_at_now() {
        let mut f = FreqCtr::default();
        f.update(1000, 3, 10_000);
        f.update(1000, 1, 15_555);
        assert_eq!(f.prev_ctr, 0);
        assert_eq!(f.curr_tick, 15_554);
        assert_eq!(f.read(1000, 15_600), 1);
    }
}
