//! The edge benchmark (issue 5, "Performance"): what a realistic edge config
//! costs each proxy relative to its own plain config, on the same traffic.
//!
//! The edge config has 50 ACLs and rules in the frontend: a 10,000-entry host
//! map (`set-var` from `map`, a deny for unknown hosts, then `use_backend
//! %[var(txn.site)]`), 16 `path_beg` routes that the request walks past, a
//! source-tracked stick table with an `http_req_rate` deny (threshold out of
//! reach, so every request is tracked and counted but none denied), method,
//! user-agent and address denies, and 5 header rewrites. The plain config is
//! the HTTP benchmark's (`fe` to `be`). Both get the same request (`GET
//! /app/items`, `Host` one of the map's hosts), and every instance of every
//! proxy runs in each round, in alternating order.
//!
//! Reported per proxy: req/s and CPU µs/req on both configs and "kept", the
//! per-round req/s edge ÷ plain. Across proxies: lbd ÷ HAProxy on each config
//! and the ratio of ratios, lbd kept ÷ HAProxy kept (≥ 1: the edge rules cost
//! lbd no more of its throughput than they cost HAProxy of its own). NGINX
//! cannot read the config and is skipped.

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use serde::Serialize;

use crate::procs;
use crate::run::{self, Env, ProxySpec, STARTUP_LIMIT};
use crate::stats::{median, ratio_summary, RatioSummary};
use crate::wrk;

/// Entries of the host map, and the site backends its values name.
pub const MAP_ENTRIES: usize = 10_000;
const SITES: usize = 10;
/// `path_beg` routes the request is checked against (and matches none of).
const PATH_ROUTES: usize = 16;
/// The host every request carries: an entry near the end of the map file.
const HOST_INDEX: usize = 9_876;
const PATH: &str = "/app/items";

fn site_of(i: usize) -> usize {
    i % SITES
}

/// The host map file's text: `h<i>.example.com be_site<k>`.
pub fn host_map() -> String {
    (0..MAP_ENTRIES)
        .map(|i| format!("h{i}.example.com be_site{}\n", site_of(i)))
        .collect()
}

fn head(threads: usize, sock: &Path) -> String {
    format!(
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
",
        sock.display()
    )
}

/// The HTTP benchmark's config, plus a stats socket.
pub fn plain_config(threads: usize, listen: u16, backend: u16, sock: &Path) -> String {
    format!(
        "{}
frontend fe
    bind 127.0.0.1:{listen}
    default_backend be

backend be
    server s1 127.0.0.1:{backend}
",
        head(threads, sock)
    )
}

/// The edge config; `map` is the host map file. Every backend points at the
/// one benchmark backend, so only the frontend's work differs.
pub fn edge_config(threads: usize, listen: u16, backend: u16, sock: &Path, map: &Path) -> String {
    let mut c = head(threads, sock);
    c.push_str(&format!(
        "
frontend fe
    bind 127.0.0.1:{listen}
    stick-table type ip size 100k expire 30s store http_req_rate(10s)
    acl bad_method method TRACE CONNECT
    acl bad_agent hdr_sub(user-agent) -i sqlmap nikto masscan
    acl blocked_src src 192.0.2.0/24 198.51.100.0/24 203.0.113.0/24
    acl unknown_site var(txn.site) -m str unknown
    http-request deny if bad_method
    http-request deny if bad_agent
    http-request deny if blocked_src
    http-request track-sc0 src
    http-request deny deny_status 429 if {{ sc0_http_req_rate gt 1000000000 }}
    http-request set-var(txn.site) req.hdr(host),lower,map({},unknown)
    http-request deny deny_status 404 if unknown_site
    http-request set-header X-Forwarded-Proto http
    http-request add-header X-Client-IP %[src]
    http-request set-header X-Site %[var(txn.site)]
    http-request del-header X-Debug
    http-response set-header X-Frame-Options DENY
",
        map.display()
    ));
    for r in 0..PATH_ROUTES {
        c.push_str(&format!("    acl route{r} path_beg /section{r}/\n"));
    }
    for r in 0..PATH_ROUTES {
        c.push_str(&format!("    use_backend be_route{r} if route{r}\n"));
    }
    c.push_str("    use_backend %[var(txn.site)]\n    default_backend be\n");
    let server = format!("    server s1 127.0.0.1:{backend}\n");
    c.push_str(&format!("\nbackend be\n{server}"));
    for r in 0..PATH_ROUTES {
        c.push_str(&format!("\nbackend be_route{r}\n{server}"));
    }
    for s in 0..SITES {
        c.push_str(&format!("\nbackend be_site{s}\n{server}"));
    }
    c
}

/// The frontend lines that are ACLs or rules (what "50 rules" counts).
pub fn rule_count(cfg: &str) -> usize {
    const KINDS: [&str; 5] = [
        "acl ",
        "http-request ",
        "http-response ",
        "use_backend ",
        "default_backend ",
    ];
    cfg.lines()
        .map(str::trim_start)
        .filter(|l| KINDS.iter().any(|k| l.starts_with(k)))
        .count()
}

/// One proxy's figures.
#[derive(Debug, Serialize)]
pub struct EdgeRow {
    pub proxy: String,
    pub rps_plain: f64,
    pub rps_edge: f64,
    /// Per-round req/s edge ÷ plain.
    pub kept: RatioSummary,
    pub cpu_us_per_req_plain: f64,
    pub cpu_us_per_req_edge: f64,
    pub errors: u64,
    pub rss_kib_plain: u64,
    pub rss_kib_edge: u64,
}

/// lbd against HAProxy, from the same rounds.
#[derive(Debug, Serialize)]
pub struct EdgeVs {
    /// req/s lbd ÷ HAProxy on the plain config.
    pub plain: RatioSummary,
    /// req/s lbd ÷ HAProxy on the edge config.
    pub edge: RatioSummary,
    /// lbd kept ÷ HAProxy kept: the target is ≥ 1.
    pub ratio_of_ratios: RatioSummary,
    /// HAProxy's CPU/req growth (edge ÷ plain) ÷ lbd's: ≥ 1 when the rules
    /// add less CPU per request to lbd, relatively.
    pub cpu_ratio_of_ratios: RatioSummary,
}

#[derive(Debug, Serialize)]
pub struct EdgeSummary {
    pub rules: usize,
    pub rows: Vec<EdgeRow>,
    pub vs_haproxy: Option<EdgeVs>,
}

struct Load {
    rps: f64,
    requests: u64,
    errors: u64,
    cpu_us: u64,
}

impl Load {
    fn cpu_per_req(&self) -> f64 {
        self.cpu_us as f64 / self.requests.max(1) as f64
    }
}

fn request_host() -> String {
    format!("h{HOST_INDEX}.example.com")
}

fn round(env: &Env, port: u16, pids: &[u32]) -> Result<Load> {
    let o = env.opts;
    let url = format!("http://127.0.0.1:{port}{PATH}");
    let mut args = wrk::args(&url, o.conns, o.secs);
    // wrk takes the URL last: the Host header goes before it.
    let url = args.pop().unwrap_or_default();
    args.extend(["-H".to_string(), format!("Host: {}", request_host()), url]);
    let mut cmd = Command::new("wrk");
    cmd.args(args);
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

fn cli(sock: &Path, line: &str) -> Result<String> {
    let mut s =
        UnixStream::connect(sock).with_context(|| format!("connecting to {}", sock.display()))?;
    s.set_read_timeout(Some(Duration::from_secs(10)))?;
    s.write_all(format!("{line}\n").as_bytes())?;
    let mut out = String::new();
    s.read_to_string(&mut out)?;
    Ok(out)
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

/// Requests backend `be` has served (`stot` of its BACKEND row in `show stat`).
fn served(sock: &Path, be: &str) -> Result<u64> {
    let text = cli(sock, "show stat")?;
    for l in text.lines() {
        let f: Vec<&str> = l.split(',').collect();
        if f.len() > 7 && f[0] == be && f[1] == "BACKEND" {
            return f[7]
                .parse()
                .with_context(|| format!("stot of {be}: {:?}", f[7]));
        }
    }
    bail!("no BACKEND row for {be} in show stat")
}

struct Instance {
    proxy: usize,
    edge: bool,
    proc_: procs::Proc,
    port: u16,
    sock: std::path::PathBuf,
    pids: Vec<u32>,
    loads: Vec<Load>,
}

/// Runs the benchmark for the HAProxy-dialect proxies.
pub fn run(env: &Env, proxies: &[ProxySpec]) -> Result<EdgeSummary> {
    let backend_port = procs::free_port()?;
    let mut cmd = Command::new(&env.self_exe);
    cmd.args([
        "__http-backend".to_string(),
        format!("127.0.0.1:{backend_port}"),
    ]);
    let mut backend = procs::spawn("edge-backend", cmd, env.dir, &env.placement.others)?;
    procs::wait_listening(&mut backend, backend_port, STARTUP_LIMIT)?;
    let map = env.dir.join("edge-hosts.map");
    std::fs::write(&map, host_map()).with_context(|| format!("writing {}", map.display()))?;

    let proxies: Vec<&ProxySpec> = proxies.iter().filter(|p| p.name != "nginx").collect();
    let threads = env.opts.threads;
    let mut inst = Vec::new();
    for (k, p) in proxies.iter().enumerate() {
        for edge in [false, true] {
            let tag = if edge { "edge" } else { "edge-plain" };
            let port = procs::free_port()?;
            let sock = env.dir.join(format!("{}-{tag}.sock", p.label()));
            let text = if edge {
                edge_config(threads, port, backend_port, &sock, &map)
            } else {
                plain_config(threads, port, backend_port, &sock)
            };
            let proc_ = run::launch(env, p, tag, port, &text)?;
            wait_socket(&sock)?;
            let pids = procs::process_tree(proc_.pid());
            inst.push(Instance {
                proxy: k,
                edge,
                proc_,
                port,
                sock,
                pids,
                loads: Vec::new(),
            });
        }
    }
    for i in &inst {
        round(env, i.port, &i.pids)
            .with_context(|| format!("warm-up of {}", proxies[i.proxy].name))?;
    }
    // The warm-up must have been routed by the map, not by a fallback.
    let site = format!("be_site{}", site_of(HOST_INDEX));
    for i in inst.iter().filter(|i| i.edge) {
        if served(&i.sock, &site)? == 0 {
            bail!(
                "{}: the edge config did not route {} to {site}",
                proxies[i.proxy].name,
                request_host()
            );
        }
    }
    for r in 0..env.opts.rounds {
        let n = inst.len();
        for j in 0..n {
            let k = if r % 2 == 0 { j } else { n - 1 - j };
            let i = &mut inst[k];
            let l = round(env, i.port, &i.pids)?;
            i.loads.push(l);
            i.proc_.check_alive()?;
        }
        backend.check_alive()?;
    }
    Ok(summarize(&proxies, &inst))
}

fn summarize(proxies: &[&ProxySpec], inst: &[Instance]) -> EdgeSummary {
    let of = |k: usize, edge: bool| inst.iter().find(|i| i.proxy == k && i.edge == edge);
    let rps = |i: &Instance| i.loads.iter().map(|l| l.rps).collect::<Vec<_>>();
    let cpu = |i: &Instance| i.loads.iter().map(Load::cpu_per_req).collect::<Vec<_>>();
    let per_round =
        |a: &[f64], b: &[f64]| -> Vec<f64> { a.iter().zip(b).map(|(x, y)| x / y).collect() };
    let mut rows = Vec::new();
    // Per proxy: (kept per round, CPU growth per round, plain rps, edge rps).
    let mut series = Vec::new();
    for (k, p) in proxies.iter().enumerate() {
        let (Some(plain), Some(edge)) = (of(k, false), of(k, true)) else {
            continue;
        };
        rows.push(EdgeRow {
            proxy: p.label(),
            rps_plain: median(&rps(plain)),
            rps_edge: median(&rps(edge)),
            kept: ratio_summary(&rps(edge), &rps(plain)),
            cpu_us_per_req_plain: median(&cpu(plain)),
            cpu_us_per_req_edge: median(&cpu(edge)),
            errors: plain
                .loads
                .iter()
                .chain(&edge.loads)
                .map(|l| l.errors)
                .sum(),
            rss_kib_plain: procs::memory_kib(&plain.pids).0,
            rss_kib_edge: procs::memory_kib(&edge.pids).0,
        });
        series.push((
            p.name.clone(),
            per_round(&rps(edge), &rps(plain)),
            per_round(&cpu(edge), &cpu(plain)),
            rps(plain),
            rps(edge),
        ));
    }
    let find = |name: &str| series.iter().find(|s| s.0 == name);
    let vs_haproxy = match (find("lbd"), find("haproxy")) {
        (Some(l), Some(h)) => Some(EdgeVs {
            plain: ratio_summary(&l.3, &h.3),
            edge: ratio_summary(&l.4, &h.4),
            ratio_of_ratios: ratio_summary(&l.1, &h.1),
            cpu_ratio_of_ratios: ratio_summary(&h.2, &l.2),
        }),
        _ => None,
    };
    EdgeSummary {
        rules: rule_count(&edge_config(1, 1, 1, Path::new("s"), Path::new("m"))),
        rows,
        vs_haproxy,
    }
}

pub fn table(s: &EdgeSummary) -> String {
    let mut t = String::from(
        "| proxy | req/s plain | req/s edge | kept (edge ÷ plain) [IQR] | CPU µs/req plain / edge | RSS plain / edge | errors |\n\
         |---|---|---|---|---|---|---|\n",
    );
    for r in &s.rows {
        t.push_str(&format!(
            "| {} | {:.0} | {:.0} | {:.3} [{:.3}–{:.3}] | {:.1} / {:.1} | {:.1} / {:.1} MiB | {} |\n",
            r.proxy,
            r.rps_plain,
            r.rps_edge,
            r.kept.median,
            r.kept.p25,
            r.kept.p75,
            r.cpu_us_per_req_plain,
            r.cpu_us_per_req_edge,
            r.rss_kib_plain as f64 / 1024.0,
            r.rss_kib_edge as f64 / 1024.0,
            r.errors,
        ));
    }
    if let Some(v) = &s.vs_haproxy {
        let f = |r: &RatioSummary| format!("{:.3} [{:.3}–{:.3}]", r.median, r.p25, r.p75);
        t.push_str(&format!(
            "\n| lbd ÷ haproxy | median [IQR] of per-round ratios |\n|---|---|\n\
             | req/s, plain config | {} |\n| req/s, edge config | {} |\n\
             | ratio of ratios (lbd kept ÷ haproxy kept; target ≥ 1) | {} |\n\
             | CPU ratio of ratios (haproxy CPU growth ÷ lbd's; ≥ 1 is better) | {} |\n",
            f(&v.plain),
            f(&v.edge),
            f(&v.ratio_of_ratios),
            f(&v.cpu_ratio_of_ratios),
        ));
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edge_config_has_fifty_rules_and_the_request_host_is_mapped() {
        let sock = Path::new("/tmp/s.sock");
        let c = edge_config(1, 8001, 9001, sock, Path::new("/tmp/hosts.map"));
        assert_eq!(rule_count(&c), 50);
        assert!(c.contains("map(/tmp/hosts.map,unknown)"));
        assert_eq!(c.matches("\nbackend ").count(), 1 + PATH_ROUTES + SITES);
        assert!(
            !PATH.starts_with("/section"),
            "the request walks every route"
        );
        let map = host_map();
        assert_eq!(map.lines().count(), MAP_ENTRIES);
        let want = format!("{} be_site{}", request_host(), site_of(HOST_INDEX));
        assert!(map.lines().any(|l| l == want));
        assert_eq!(rule_count(&plain_config(1, 8001, 9001, sock)), 1);
    }
}
