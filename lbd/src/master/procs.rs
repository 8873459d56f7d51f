//! The master's list of processes: the master itself and its workers with
//! their reload counts and start times, `show proc` rendered as 2.6 does,
//! and the list carried across the master's re-execution in the
//! environment (`HAPROXY_PROCESSES`), as 2.6's `mworker_proc_list_to_env`.
//!
//! Pure values: no signals, no sockets.

use std::time::Duration;

/// One worker as the master knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Worker {
    pub pid: i32,
    /// The master's end of the worker's socketpair.
    pub ipc_fd: i32,
    /// Master reloads since this worker was forked (0 for a fresh one).
    pub reloads: u32,
    /// When it was forked, in seconds since the epoch (survives re-exec).
    pub started: u64,
    /// Told to soft-stop: an old worker draining its sessions.
    pub leaving: bool,
}

/// The master's own counters, carried across re-execution.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct MasterState {
    pub started: u64,
    pub reloads: u32,
    pub failed: u32,
}

/// The environment variable holding the workers across re-execution.
pub const ENV_PROCESSES: &str = "HAPROXY_PROCESSES";
/// The environment variable holding the master's own counters.
pub const ENV_MASTER: &str = "LBD_MWORKER_MASTER";

/// `pid=..;fd=..;reloads=..;timestamp=..;leaving=..|...`
pub fn workers_to_env(workers: &[Worker]) -> String {
    workers
        .iter()
        .map(|w| {
            format!(
                "type=worker;pid={};fd={};reloads={};timestamp={};leaving={}",
                w.pid,
                w.ipc_fd,
                w.reloads,
                w.started,
                u8::from(w.leaving)
            )
        })
        .collect::<Vec<_>>()
        .join("|")
}

/// Reads what [`workers_to_env`] wrote; malformed entries are skipped.
pub fn workers_from_env(s: &str) -> Vec<Worker> {
    s.split('|')
        .filter_map(|entry| {
            let mut w = Worker {
                pid: 0,
                ipc_fd: -1,
                reloads: 0,
                started: 0,
                leaving: false,
            };
            for kv in entry.split(';') {
                let (k, v) = kv.split_once('=')?;
                match k {
                    "pid" => w.pid = v.parse().ok()?,
                    "fd" => w.ipc_fd = v.parse().ok()?,
                    "reloads" => w.reloads = v.parse().ok()?,
                    "timestamp" => w.started = v.parse().ok()?,
                    "leaving" => w.leaving = v == "1",
                    _ => {}
                }
            }
            (w.pid > 0 && w.ipc_fd >= 0).then_some(w)
        })
        .collect()
}

pub fn master_to_env(m: &MasterState) -> String {
    format!("{};{};{}", m.started, m.reloads, m.failed)
}

pub fn master_from_env(s: &str) -> Option<MasterState> {
    let mut it = s.split(';').map(str::parse::<u64>);
    let started = it.next()?.ok()?;
    let reloads = u32::try_from(it.next()?.ok()?).ok()?;
    let failed = u32::try_from(it.next()?.ok()?).ok()?;
    Some(MasterState {
        started,
        reloads,
        failed,
    })
}

/// 2.6's uptime format, `1d01h01m01s`.
pub fn uptime(d: Duration) -> String {
    let s = d.as_secs();
    format!(
        "{}d{:02}h{:02}m{:02}s",
        s / 86400,
        (s / 3600) % 24,
        (s / 60) % 60,
        s % 60
    )
}

/// 2.6's `show proc`: the master, the current workers, then the old ones
/// (only when there are some), then the (always empty) programs.
pub fn show_proc(master_pid: u32, m: &MasterState, workers: &[Worker], now: u64) -> String {
    let version = crate::stats::version();
    let up = |t: u64| uptime(Duration::from_secs(now.saturating_sub(t)));
    let mut out = format!(
        "#{:<14} {:<15} {:<15} {:<15} {:<15}\n",
        "<PID>", "<type>", "<reloads>", "<uptime>", "<version>"
    );
    out.push_str(&format!(
        "{:<15} {:<15} {:<15} {:<15} {:<15}\n",
        master_pid,
        "master",
        format!("{} [failed: {}]", m.reloads, m.failed),
        up(m.started),
        version
    ));
    let row = |w: &Worker| {
        format!(
            "{:<15} {:<15} {:<15} {:<15} {:<15}\n",
            w.pid,
            "worker",
            w.reloads,
            up(w.started),
            version
        )
    };
    out.push_str("# workers\n");
    for w in workers.iter().filter(|w| !w.leaving) {
        out.push_str(&row(w));
    }
    if workers.iter().any(|w| w.leaving) {
        out.push_str("# old workers\n");
        for w in workers.iter().filter(|w| w.leaving) {
            out.push_str(&row(w));
        }
    }
    out.push_str("# programs\n\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(pid: i32, leaving: bool) -> Worker {
        Worker {
            pid,
            ipc_fd: pid + 1,
            reloads: u32::from(leaving),
            started: 100,
            leaving,
        }
    }

    #[test]
    fn workers_survive_the_environment() {
        let list = vec![w(10, true), w(20, false)];
        assert_eq!(workers_from_env(&workers_to_env(&list)), list);
        assert!(workers_from_env("").is_empty());
        assert!(workers_from_env("pid=x;fd=3").is_empty());
        let m = MasterState {
            started: 5,
            reloads: 2,
            failed: 1,
        };
        assert_eq!(master_from_env(&master_to_env(&m)), Some(m));
        assert_eq!(master_from_env("1;2"), None);
    }

    #[test]
    fn show_proc_is_26s_table() {
        let m = MasterState {
            started: 100,
            reloads: 1,
            failed: 0,
        };
        let v = crate::stats::version();
        let t = show_proc(7, &m, &[w(10, true), w(20, false)], 190);
        let want = format!(
            "#<PID>          <type>          <reloads>       <uptime>        <version>      \n\
             7               master          1 [failed: 0]   0d00h01m30s     {v:<15}\n\
             # workers\n\
             20              worker          0               0d00h01m30s     {v:<15}\n\
             # old workers\n\
             10              worker          1               0d00h01m30s     {v:<15}\n\
             # programs\n\n"
        );
        assert_eq!(t, want);
        assert!(!show_proc(7, &m, &[w(20, false)], 190).contains("# old workers"));
    }

    #[test]
    fn uptime_format() {
        assert_eq!(uptime(Duration::from_secs(90061)), "1d01h01m01s");
    }
}
