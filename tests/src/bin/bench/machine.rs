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
