//! Configuration size: 1,000 servers across 100 backends. Measures what a
//! large runtime costs where operators notice it: the latency of `show stat`
//! on the stats socket (hatop and the Prometheus exporter call it every few
//! seconds), and HTTP keep-alive throughput against the same proxy with the
//! small one-server config, in alternating rounds (small, big / big, small).
//!
//! The traffic path is the same in both configs: `fe` to `be` to its one
//! active server. In the big config `be` also holds 9 backup servers and 99
//! more backends hold 10 servers each, all pointing at the same backend port
//! and without health checks, so only the size of the runtime differs.

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use serde::Serialize;

use crate::procs;
use crate::run::{self, Env, ProxySpec, STARTUP_LIMIT};
use crate::stats::{median, quantile, ratio_summary, RatioSummary};
use crate::wrk;

/// Backends and servers per backend in the big config.
pub const BACKENDS: usize = 100;
pub const SERVERS_PER_BACKEND: usize = 10;
/// `show stat` calls timed per proxy.
pub const SHOW_STAT_CALLS: usize = 20;

/// The small config (the HTTP benchmark's) or the big one, with a stats
/// socket at `sock` either way.
pub fn config(big: bool, threads: usize, listen: u16, backend: u16, sock: &Path) -> String {
    let mut c = format!(
        "global
    nbthread {threads}
    maxconn 4096
    stats socket {} level admin

defaults
    mode http
    option http-keep-alive
    http-reuse always
    timeout connect 5s
    timeout client 30s
    timeout server 30s

frontend fe
    bind 127.0.0.1:{listen}
    default_backend be

backend be
    server s1 127.0.0.1:{backend}
",
        sock.display()
    );
    if !big {
        return c;
    }
    for s in 2..=SERVERS_PER_BACKEND {
        c.push_str(&format!("    server s{s} 127.0.0.1:{backend} backup\n"));
    }
    for b in 1..BACKENDS {
        c.push_str(&format!("\nbackend be{b}\n"));
        for s in 1..=SERVERS_PER_BACKEND {
            c.push_str(&format!("    server s{s} 127.0.0.1:{backend}\n"));
        }
    }
    c
}

/// One proxy's figures.
#[derive(Debug, Serialize)]
pub struct BigConfigRow {
    pub proxy: String,
    /// `show stat` on the big config, idle: median and 90th percentile, ms.
    pub show_stat_ms: f64,
    pub show_stat_p90_ms: f64,
    pub show_stat_bytes: usize,
    /// The same on the small config, for scale.
    pub small_show_stat_ms: f64,
    pub rps_small: f64,
    pub rps_big: f64,
    /// Per-round req/s big ÷ small (1 = the size costs nothing).
    pub rps_ratio: RatioSummary,
    pub cpu_us_per_req_small: f64,
    pub cpu_us_per_req_big: f64,
    pub errors: u64,
    pub rss_kib_small: u64,
    pub rss_kib_big: u64,
}

/// Times `n` `show stat` calls (connect, send, read to the close).
fn time_show_stat(sock: &Path, n: usize) -> Result<(Vec<f64>, usize)> {
    let mut ms = Vec::new();
    let mut size = 0;
    for _ in 0..n {
        let t = Instant::now();
        let mut s = UnixStream::connect(sock)
            .with_context(|| format!("connecting to {}", sock.display()))?;
        s.set_read_timeout(Some(Duration::from_secs(10)))?;
        s.write_all(b"show stat\n")?;
        let mut out = Vec::new();
        s.read_to_end(&mut out)?;
        ms.push(t.elapsed().as_secs_f64() * 1000.0);
        size = out.len();
    }
    Ok((ms, size))
}

fn wait_socket(sock: &Path) -> Result<()> {
    let deadline = Instant::now() + STARTUP_LIMIT;
    while UnixStream::connect(sock).is_err() {
        if Instant::now() > deadline {
            bail!("no stats socket at {}", sock.display());
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    Ok(())
}

struct Load {
    rps: f64,
    requests: u64,
    errors: u64,
    cpu_us: u64,
}

fn round(env: &Env, port: u16, pids: &[u32]) -> Result<Load> {
    let o = env.opts;
    let url = format!("http://127.0.0.1:{port}/");
    let mut cmd = Command::new("wrk");
    cmd.args(wrk::args(&url, o.conns, o.secs));
    let before = procs::cpu_micros(pids);
    let limit = Duration::from_secs(o.secs) + Duration::from_secs(15);
    let out = procs::run_bounded("wrk", cmd, limit, &env.placement.others)?;
    let cpu_us = procs::cpu_micros(pids).saturating_sub(before);
    let r = wrk::parse(&out)?;
    if r.requests == 0 {
        bail!("wrk completed no request through port {port}:\n{out}");
    }
    Ok(Load {
        rps: r.requests_per_sec,
        requests: r.requests,
        errors: r.errors,
        cpu_us,
    })
}

/// Runs the benchmark for each HAProxy-dialect proxy (NGINX has no stats
/// socket and is skipped).
pub fn run(env: &Env, proxies: &[ProxySpec]) -> Result<Vec<BigConfigRow>> {
    let backend_port = procs::free_port()?;
    let mut cmd = Command::new(&env.self_exe);
    cmd.args([
        "__http-backend".to_string(),
        format!("127.0.0.1:{backend_port}"),
    ]);
    let mut backend = procs::spawn("bigconfig-backend", cmd, env.dir, &env.placement.others)?;
    procs::wait_listening(&mut backend, backend_port, STARTUP_LIMIT)?;

    let mut rows = Vec::new();
    for p in proxies.iter().filter(|p| p.name != "nginx") {
        let mut inst = Vec::new();
        for (big, tag) in [(false, "http-small"), (true, "http-big")] {
            let port = procs::free_port()?;
            let sock = env.dir.join(format!("{}-{tag}.sock", p.label()));
            let text = config(big, env.opts.threads, port, backend_port, &sock);
            let proc_ = run::launch(env, p, tag, port, &text)?;
            wait_socket(&sock)?;
            let pids = procs::process_tree(proc_.pid());
            inst.push((proc_, port, sock, pids));
        }
        // Idle `show stat`, before any traffic and after a warm-up call.
        let (_, small_sock) = (&inst[0].1, &inst[0].2);
        time_show_stat(small_sock, 1)?;
        let (small_ms, _) = time_show_stat(small_sock, SHOW_STAT_CALLS)?;
        time_show_stat(&inst[1].2, 1)?;
        let (big_ms, bytes) = time_show_stat(&inst[1].2, SHOW_STAT_CALLS)?;

        for i in &inst {
            round(env, i.1, &i.3).with_context(|| format!("warm-up of {}", p.name))?;
        }
        let mut loads: [Vec<Load>; 2] = [Vec::new(), Vec::new()];
        for r in 0..env.opts.rounds {
            let order = if r % 2 == 0 { [0, 1] } else { [1, 0] };
            for k in order {
                let i = &mut inst[k];
                loads[k].push(round(env, i.1, &i.3)?);
                i.0.check_alive()?;
            }
            backend.check_alive()?;
        }
        let rps = |k: usize| loads[k].iter().map(|l| l.rps).collect::<Vec<_>>();
        let cpu = |k: usize| {
            loads[k]
                .iter()
                .map(|l| l.cpu_us as f64 / l.requests.max(1) as f64)
                .collect::<Vec<_>>()
        };
        let rss = |k: usize| procs::memory_kib(&inst[k].3).0;
        rows.push(BigConfigRow {
            proxy: p.label(),
            show_stat_ms: median(&big_ms),
            show_stat_p90_ms: quantile(&big_ms, 0.9),
            show_stat_bytes: bytes,
            small_show_stat_ms: median(&small_ms),
            rps_small: median(&rps(0)),
            rps_big: median(&rps(1)),
            rps_ratio: ratio_summary(&rps(1), &rps(0)),
            cpu_us_per_req_small: median(&cpu(0)),
            cpu_us_per_req_big: median(&cpu(1)),
            errors: loads.iter().flatten().map(|l| l.errors).sum(),
            rss_kib_small: rss(0),
            rss_kib_big: rss(1),
        });
    }
    Ok(rows)
}

pub fn table(rows: &[BigConfigRow]) -> String {
    let mut t = String::from(
        "| proxy | show stat, 1000 servers (median / p90) | bytes | show stat, 1 server | req/s small | req/s big | big ÷ small [IQR] | CPU µs/req small / big | RSS small / big | errors |\n\
         |---|---|---|---|---|---|---|---|---|---|\n",
    );
    for r in rows {
        t.push_str(&format!(
            "| {} | {:.2} / {:.2} ms | {} | {:.2} ms | {:.0} | {:.0} | {:.3} [{:.3}–{:.3}] | {:.1} / {:.1} | {:.1} / {:.1} MiB | {} |\n",
            r.proxy,
            r.show_stat_ms,
            r.show_stat_p90_ms,
            r.show_stat_bytes,
            r.small_show_stat_ms,
            r.rps_small,
            r.rps_big,
            r.rps_ratio.median,
            r.rps_ratio.p25,
            r.rps_ratio.p75,
            r.cpu_us_per_req_small,
            r.cpu_us_per_req_big,
            r.rss_kib_small as f64 / 1024.0,
            r.rss_kib_big as f64 / 1024.0,
            r.errors,
        ));
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn big_config_has_a_thousand_servers_in_a_hundred_backends() {
        let c = config(true, 1, 8001, 9001, Path::new("/tmp/s.sock"));
        assert_eq!(c.matches("\nbackend ").count(), BACKENDS);
        assert_eq!(
            c.lines()
                .filter(|l| l.trim_start().starts_with("server "))
                .count(),
            BACKENDS * SERVERS_PER_BACKEND
        );
        // Traffic still reaches exactly one active server.
        assert_eq!(c.matches(" backup\n").count(), SERVERS_PER_BACKEND - 1);
        let small = config(false, 1, 8001, 9001, Path::new("/tmp/s.sock"));
        assert!(c.starts_with(&small));
        assert!(small.contains("stats socket /tmp/s.sock level admin"));
    }
}
