//! What the run ran on and with: tool versions, CPU, kernel, load. A figure without this
//! cannot be compared with the next one.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use serde::Serialize;

use crate::procs;

#[derive(Debug, Serialize)]
pub struct Machine {
    pub cpu_model: String,
    pub cores: usize,
    pub kernel: String,
    pub loadavg_at_start: String,
    pub nofile_soft: u64,
    pub nofile_hard: u64,
    pub haproxy: String,
    pub nginx: String,
    pub wrk: String,
    pub lbd_path: String,
    pub lbd_version: String,
}

pub fn describe(lbd: &Path, haproxy: &Path, nginx: &Path, nofile: (u64, u64)) -> Machine {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let cpu_model = cpuinfo
        .lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split_once(':'))
        .map(|(_, v)| v.trim().to_string())
        .unwrap_or_else(|| "unknown".into());
    Machine {
        cpu_model,
        cores: std::thread::available_parallelism().map_or(0, |n| n.get()),
        kernel: read_trim("/proc/sys/kernel/osrelease"),
        loadavg_at_start: read_trim("/proc/loadavg"),
        nofile_soft: nofile.0,
        nofile_hard: nofile.1,
        haproxy: first_line(haproxy, "-v"),
        nginx: first_line(nginx, "-v"),
        wrk: first_line(Path::new("wrk"), "--version"),
        lbd_path: lbd.display().to_string(),
        lbd_version: first_line(lbd, "-v"),
    }
}

fn read_trim(path: &str) -> String {
    std::fs::read_to_string(path)
        .map(|s| s.trim().to_string())
        .unwrap_or_default()
}

/// First non-empty line a tool prints for its version flag, on stdout or stderr (nginx
/// uses stderr, wrk exits non-zero), bounded to two seconds.
fn first_line(bin: &Path, flag: &str) -> String {
    let mut cmd = Command::new(bin);
    cmd.arg(flag);
    match procs::run_capture(bin.to_string_lossy().as_ref(), cmd, Duration::from_secs(2)) {
        Ok((_, out, err)) => out
            .lines()
            .chain(err.lines())
            .map(str::trim)
            .find(|l| !l.is_empty())
            .unwrap_or("(no version output)")
            .to_string(),
        Err(e) => format!("(unavailable: {e})"),
    }
}

/// The machine's CPU time so far, from the `cpu` line of `/proc/stat` (clock ticks, all
/// CPUs): what was stolen by the hypervisor, and everything.
#[derive(Debug, Clone, Copy, Default)]
pub struct CpuTicks {
    steal: u64,
    total: u64,
}

impl CpuTicks {
    pub fn now() -> CpuTicks {
        std::fs::read_to_string("/proc/stat")
            .ok()
            .and_then(|t| t.lines().next().map(parse_cpu_line))
            .unwrap_or_default()
    }

    /// The share of CPU time the hypervisor took from this VM between `self` and
    /// `later`, in percent (0 on bare metal, or when /proc/stat could not be read).
    pub fn steal_pct_until(self, later: CpuTicks) -> f64 {
        let total = later.total.saturating_sub(self.total);
        if total == 0 {
            return 0.0;
        }
        100.0 * later.steal.saturating_sub(self.steal) as f64 / total as f64
    }
}

/// `cpu  user nice system idle iowait irq softirq steal guest guest_nice`: guest time is
/// already part of user and nice, so the total stops at steal.
fn parse_cpu_line(line: &str) -> CpuTicks {
    let f: Vec<u64> = line
        .split_whitespace()
        .skip(1)
        .take(8)
        .map(|v| v.parse().unwrap_or(0))
        .collect();
    CpuTicks {
        steal: f.get(7).copied().unwrap_or(0),
        total: f.iter().sum(),
    }
}

/// Runs `round` until the hypervisor steals at most `max_pct` of the machine's CPU time
/// during it, at most `1 + retries` times; returns the last result, its steal share, and
/// how many attempts were discarded. On this kind of shared VM, steal comes in bursts of
/// tens of percent from the neighbours: a round that lost a third of its CPU says nothing
/// about the proxy. `max_pct` of 100 or more never repeats.
pub fn with_low_steal<T>(
    max_pct: f64,
    retries: usize,
    mut round: impl FnMut() -> anyhow::Result<T>,
) -> anyhow::Result<(T, f64, usize)> {
    let mut discarded = 0;
    loop {
        let before = CpuTicks::now();
        let r = round()?;
        let steal = before.steal_pct_until(CpuTicks::now());
        if steal <= max_pct || discarded >= retries {
            return Ok((r, steal, discarded));
        }
        discarded += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steal_is_the_eighth_field_of_the_cpu_line() {
        let a = parse_cpu_line("cpu  100 0 50 800 0 0 10 40 0 0");
        let b = parse_cpu_line("cpu  200 0 100 1450 0 0 20 130 5 0");
        assert_eq!(a.total, 1000);
        // 90 stolen of 900 ticks.
        assert!((a.steal_pct_until(b) - 10.0).abs() < 1e-9);
        assert_eq!(CpuTicks::default().steal_pct_until(a), 4.0);
    }

    #[test]
    fn rounds_with_too_much_steal_are_repeated_a_bounded_number_of_times() {
        let mut n = 0;
        let (r, _, discarded) = with_low_steal(1000.0, 3, || {
            n += 1;
            Ok(n)
        })
        .unwrap();
        assert_eq!((r, discarded), (1, 0));
        let mut n = 0;
        let (r, _, discarded) = with_low_steal(-1.0, 2, || {
            n += 1;
            Ok(n)
        })
        .unwrap();
        assert_eq!((r, discarded), (3, 2));
    }
}
