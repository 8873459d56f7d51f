//! `show info`: the process-wide figures, in 2.6.12's order and spelling
//! (`TotalSplicdedBytesOut`, `Unstoppable Jobs` and `Build info` included),
//! as plain lines, typed lines or JSON. Fields without a value are omitted,
//! as 2.6 does.

use super::counters::{now_ms, Ctr};
use super::fields::{json_str, tag_names, Ty, Val};
use crate::runtime::Runtime;
use std::fmt::Write;

/// The version printed in `Version`: HAProxy's major.minor.patch first, so
/// tools that compare versions treat lbd as the 2.6.12 it reproduces, then
/// `-lbd-` and lbd's own version.
pub fn version() -> String {
    format!(
        "{}-lbd-{}",
        crate::config::LBD_VERSION_COMPAT,
        env!("CARGO_PKG_VERSION")
    )
}

/// HAProxy 2.6.12's release date.
pub const RELEASE_DATE: &str = "2023/03/28";

/// Position, name, tags and type of each field, as 2.6.12.
static INFO_FIELDS: &[(usize, &str, [u8; 3], Ty)] = &[
    (0, "Name", *b"POS", Ty::Str),
    (1, "Version", *b"POS", Ty::Str),
    (2, "Release_date", *b"POS", Ty::Str),
    (3, "Nbthread", *b"CGS", Ty::U32),
    (4, "Nbproc", *b"CGS", Ty::U32),
    (5, "Process_num", *b"KGP", Ty::U32),
    (6, "Pid", *b"SGP", Ty::U32),
    (7, "Uptime", *b"MDP", Ty::Str),
    (8, "Uptime_sec", *b"MDP", Ty::U32),
    (9, "Memmax_MB", *b"CLP", Ty::U32),
    (10, "PoolAlloc_MB", *b"MGP", Ty::U32),
    (11, "PoolUsed_MB", *b"MGP", Ty::U32),
    (12, "PoolFailed", *b"MCP", Ty::U32),
    (13, "Ulimit-n", *b"CLP", Ty::U32),
    (14, "Maxsock", *b"CLP", Ty::U32),
    (15, "Maxconn", *b"CLP", Ty::U32),
    (16, "Hard_maxconn", *b"CLP", Ty::U32),
    (17, "CurrConns", *b"MGP", Ty::U32),
    (18, "CumConns", *b"MCP", Ty::U32),
    (19, "CumReq", *b"MCP", Ty::U32),
    (20, "MaxSslConns", *b"MMP", Ty::U32),
    (21, "CurrSslConns", *b"MGP", Ty::U32),
    (22, "CumSslConns", *b"MCP", Ty::U32),
    (23, "Maxpipes", *b"CLP", Ty::U32),
    (24, "PipesUsed", *b"MGP", Ty::U32),
    (25, "PipesFree", *b"MGP", Ty::U32),
    (26, "ConnRate", *b"MRP", Ty::U32),
    (27, "ConnRateLimit", *b"CLP", Ty::U32),
    (28, "MaxConnRate", *b"MMP", Ty::U32),
    (29, "SessRate", *b"MRP", Ty::U32),
    (30, "SessRateLimit", *b"CLP", Ty::U32),
    (31, "MaxSessRate", *b"MRP", Ty::U32),
    (32, "SslRate", *b"MRP", Ty::U32),
    (33, "SslRateLimit", *b"CLP", Ty::U32),
    (34, "MaxSslRate", *b"MMP", Ty::U32),
    (35, "SslFrontendKeyRate", *b"MGP", Ty::U32),
    (36, "SslFrontendMaxKeyRate", *b"MMP", Ty::U32),
    (37, "SslFrontendSessionReuse_pct", *b"MGP", Ty::U32),
    (38, "SslBackendKeyRate", *b"MRP", Ty::U32),
    (39, "SslBackendMaxKeyRate", *b"MMP", Ty::U32),
    (40, "SslCacheLookups", *b"MCP", Ty::U32),
    (41, "SslCacheMisses", *b"MCP", Ty::U32),
    (42, "CompressBpsIn", *b"MRP", Ty::U32),
    (43, "CompressBpsOut", *b"MRP", Ty::U32),
    (44, "CompressBpsRateLim", *b"CLP", Ty::U32),
    (47, "Tasks", *b"MGP", Ty::U32),
    (48, "Run_queue", *b"MGP", Ty::U32),
    (49, "Idle_pct", *b"MaP", Ty::U32),
    (50, "node", *b"COS", Ty::Str),
    (51, "description", *b"COS", Ty::Str),
    (52, "Stopping", *b"MGP", Ty::U32),
    (53, "Jobs", *b"MGP", Ty::U32),
    (54, "Unstoppable Jobs", *b"MGP", Ty::U32),
    (55, "Listeners", *b"MGP", Ty::U32),
    (56, "ActivePeers", *b"MGP", Ty::U32),
    (57, "ConnectedPeers", *b"MGP", Ty::U32),
    (58, "DroppedLogs", *b"MGP", Ty::U32),
    (59, "BusyPolling", *b"MGP", Ty::U32),
    (60, "FailedResolutions", *b"MGP", Ty::U32),
    (61, "TotalBytesOut", *b"MGP", Ty::U64),
    (62, "TotalSplicdedBytesOut", *b"MGP", Ty::U64),
    (63, "BytesOutRate", *b"MRP", Ty::U64),
    (64, "DebugCommandsIssued", *b"MGP", Ty::U32),
    (65, "CumRecvLogs", *b"MCP", Ty::U32),
    (66, "Build info", *b"POS", Ty::Str),
    (67, "Memmax_bytes", *b"CLP", Ty::U32),
    (68, "PoolAlloc_bytes", *b"MGP", Ty::U64),
    (69, "PoolUsed_bytes", *b"MGP", Ty::U64),
    (70, "Start_time_sec", *b"MDP", Ty::U32),
    (71, "Tainted", *b"SGP", Ty::Str),
];

/// Uptime as `%dd %dh%02dm%02ds`.
pub fn uptime(secs: u64) -> String {
    format!(
        "{}d {}h{:02}m{:02}s",
        secs / 86400,
        (secs / 3600) % 24,
        (secs / 60) % 60,
        secs % 60
    )
}

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|s| s.trim().to_string())
        .ok()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "localhost".into())
}

/// The file-descriptor limit of the process.
fn nofile() -> u64 {
    nix::sys::resource::getrlimit(nix::sys::resource::Resource::RLIMIT_NOFILE)
        .map(|(soft, _)| soft)
        .unwrap_or(0)
}

/// The values of every field, by position.
fn values(rt: &Runtime) -> Vec<Val> {
    let p = rt.process;
    let now = now_ms();
    let up = p.start_instant.elapsed().as_secs();
    let g = &rt.global;
    let cur = rt.maxconn.current();
    let maxconn = rt.maxconn.max();
    let listeners: usize = rt
        .frontends
        .iter()
        .flat_map(|fe| fe.conf.binds.iter())
        .map(|b| b.addrs.len())
        .sum::<usize>()
        + g.stats_sockets.len();
    let bytes_out = p.totals.get(Ctr::Bout);
    let start = p
        .start
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let ulimit = g.ulimit_n.unwrap_or_else(nofile);
    let u = Val::U;
    let mut v = vec![Val::Empty; 72];
    v[0] = Val::str("HAProxy");
    v[1] = Val::str(version());
    v[2] = Val::str(RELEASE_DATE);
    v[3] = u(rt.threads as u64);
    v[4] = u(1);
    v[5] = u(1);
    v[6] = u(u64::from(std::process::id()));
    v[7] = Val::str(uptime(up));
    v[8] = u(up);
    for i in [9, 10, 11, 12] {
        v[i] = u(0);
    }
    v[13] = u(ulimit);
    v[14] = u(ulimit);
    v[15] = u(u64::from(maxconn));
    v[16] = u(u64::from(maxconn));
    v[17] = u(u64::from(cur));
    v[18] = u(p.totals.get(Ctr::ConnTot));
    v[19] = u(p.totals.get(Ctr::ReqTot));
    for x in &mut v[20..=25] {
        *x = u(0);
    }
    v[26] = u(u64::from(p.conn_rate.rate(now)));
    v[27] = u(0);
    v[28] = u(u64::from(p.conn_rate.max(now)));
    v[29] = u(u64::from(p.sess_rate.rate(now)));
    v[30] = u(0);
    v[31] = u(u64::from(p.sess_rate.max(now)));
    for x in &mut v[32..=44] {
        *x = u(0);
    }
    // Tasks: one per listener plus the live sessions, close to what 2.6
    // counts; the run queue is not observable through tokio's stable API.
    v[47] = u(listeners as u64 + u64::from(cur));
    v[48] = u(0);
    v[49] = u(u64::from(idle_pct()));
    v[50] = Val::str(g.node.clone().unwrap_or_else(hostname));
    if let Some(d) = g.description.as_ref().filter(|d| !d.is_empty()) {
        v[51] = Val::str(d.clone());
    }
    v[52] = u(0);
    v[53] = u(u64::from(cur) + listeners as u64);
    v[54] = u(0);
    v[55] = u(listeners as u64);
    for x in &mut v[56..=60] {
        *x = u(0);
    }
    v[61] = u(bytes_out);
    v[62] = u(0);
    v[63] = u(u64::from(p.bytes_out_rate.rate(now)));
    v[64] = u(0);
    v[65] = u(0);
    v[66] = Val::str(format!("lbd-{}", env!("CARGO_PKG_VERSION")));
    for i in [67, 68, 69] {
        v[i] = u(0);
    }
    v[70] = u(start);
    v[71] = Val::str("0");
    v
}

/// Idle percentage of the process over its life: 100 minus the share of
/// wall-clock time spent on CPU by all threads, divided by the thread
/// count (an estimate; 2.6 measures its poller's sleeping time).
fn idle_pct() -> u32 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return 100;
    };
    // Fields after the command name (which may hold spaces) start after ')'.
    let Some(rest) = stat.rsplit_once(')').map(|(_, r)| r) else {
        return 100;
    };
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
    // utime and stime are fields 14 and 15 of the file: 11 and 12 here.
    let cpu_ticks = ticks(11) + ticks(12);
    let hz = 100u64;
    let elapsed = super::counters::ProcessStats::global()
        .start_instant
        .elapsed()
        .as_millis() as u64;
    let threads = std::thread::available_parallelism()
        .map(|n| n.get() as u64)
        .unwrap_or(1);
    if elapsed == 0 {
        return 100;
    }
    let busy = cpu_ticks * 1000 / hz * 100 / (elapsed * threads);
    100u64.saturating_sub(busy) as u32
}

/// `show info [typed|json]`.
pub fn show_info(rt: &Runtime, out: &mut String, typed: bool, json: bool) {
    let vals = values(rt);
    if json {
        out.push('[');
        let mut first = true;
        for &(pos, name, tags, ty) in INFO_FIELDS {
            let v = &vals[pos];
            if v.is_empty() {
                continue;
            }
            if !first {
                out.push(',');
            }
            first = false;
            let (o, n, s) = tag_names(tags);
            let _ = write!(out, "{{\"field\":{{\"pos\":{pos},\"name\":");
            json_str(name, out);
            let _ = write!(
                out,
                "}},\"processNum\":1,\"tags\":{{\"origin\":\"{o}\",\"nature\":\"{n}\",\"scope\":\"{s}\"}},\"value\":{{\"type\":\"{}\",\"value\":",
                ty.name()
            );
            v.json(out);
            out.push_str("}}");
        }
        out.push_str("]\n");
        return;
    }
    for &(pos, name, tags, ty) in INFO_FIELDS {
        let v = &vals[pos];
        if v.is_empty() {
            continue;
        }
        if typed {
            let _ = write!(
                out,
                "{pos}.{name}.1:{}{}{}:{}:",
                tags[0] as char,
                tags[1] as char,
                tags[2] as char,
                ty.name()
            );
        } else {
            let _ = write!(out, "{name}: ");
        }
        match v {
            Val::Str(s) => out.push_str(s),
            other => other.csv(out),
        }
        out.push('\n');
    }
}
