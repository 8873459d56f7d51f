//! One benchmark (HTTP or L4): start the backend and every proxy, warm each up, then
//! measure them in alternating order (A B C, C B A, ...) so slow drifts in machine load
//! hit every proxy alike, reading the proxy's CPU time around each round.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use serde::Serialize;

use crate::configs::{self, Mode};
use crate::opts::Options;
use crate::procs::{self, CpuSet, Proc};
use crate::{tcp, wrk};

/// A proxy the run compares.
#[derive(Debug, Clone)]
pub struct ProxySpec {
    /// "lbd", "haproxy" or "nginx": selects the config dialect and the command line.
    pub name: String,
    pub bin: PathBuf,
    /// Log every request to the syslog sink on this UDP port (the logging benchmark).
    pub log_port: Option<u16>,
}

impl ProxySpec {
    /// How samples name this instance: "lbd", or "lbd+log" when it logs.
    pub fn label(&self) -> String {
        match self.log_port {
            Some(_) => format!("{}+log", self.name),
            None => self.name.clone(),
        }
    }
}

/// CPUs for the proxy and for everything else (wrk, backend); empty = unpinned.
#[derive(Debug, Clone, Default)]
pub struct Placement {
    pub proxy: CpuSet,
    pub others: CpuSet,
}

impl Placement {
    /// The proxy gets the last `threads` CPUs when that leaves at least one for the rest.
    pub fn new(pin: bool, threads: usize, cores: usize) -> Placement {
        if !pin || threads >= cores {
            return Placement::default();
        }
        Placement {
            proxy: (cores - threads..cores).collect(),
            others: (0..cores - threads).collect(),
        }
    }
}

/// What the harness needs to start things.
pub struct Env<'a> {
    pub opts: &'a Options,
    pub dir: &'a Path,
    pub self_exe: PathBuf,
    pub placement: Placement,
    /// `Some(path)` when NGINX's stream module must be loaded; `Some("")` when built in.
    pub nginx_stream: Option<PathBuf>,
}

struct Running {
    name: String,
    proc_: Proc,
    port: u16,
    /// The proxy's process tree (NGINX: master and workers), summed for CPU and memory.
    pids: Vec<u32>,
}

/// One measured round of one proxy.
#[derive(Debug, Clone, Serialize)]
pub struct Sample<T> {
    pub proxy: String,
    pub round: usize,
    /// utime+stime of the proxy's processes over the round.
    pub cpu_us: u64,
    /// The same for the backend, to show the proxy (not the backend) is the costly hop.
    pub backend_cpu_us: u64,
    #[serde(flatten)]
    pub load: T,
}

#[derive(Debug, Clone, Serialize)]
pub struct HttpLoad {
    pub requests: u64,
    pub rps: f64,
    pub p50_us: f64,
    pub p99_us: f64,
    pub errors: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct TcpLoad {
    pub bytes: u64,
    pub elapsed_us: u64,
}

/// Memory of a proxy at the end of a benchmark.
#[derive(Debug, Clone, Serialize)]
pub struct Memory {
    pub proxy: String,
    pub rss_kib: u64,
    pub hwm_kib: u64,
}

#[derive(Debug, Serialize)]
pub struct Outcome<T> {
    pub samples: Vec<Sample<T>>,
    /// The unmeasured warm-up round of each proxy (the logging benchmark counts its
    /// requests against the log lines received).
    pub warmup: Vec<Sample<T>>,
    pub memory: Vec<Memory>,
}

/// Slack beyond the nominal round length before a load generator is declared hung.
const ROUND_SLACK: Duration = Duration::from_secs(15);
pub const STARTUP_LIMIT: Duration = Duration::from_secs(10);

pub fn http(env: &Env, proxies: &[ProxySpec]) -> Result<Outcome<HttpLoad>> {
    let o = env.opts;
    let limit = Duration::from_secs(o.secs) + ROUND_SLACK;
    run(env, proxies, Mode::Http, "__http-backend", |port| {
        let url = format!("http://127.0.0.1:{port}/");
        let mut cmd = Command::new("wrk");
        cmd.args(wrk::args(&url, o.conns, o.secs));
        let out = procs::run_bounded("wrk", cmd, limit, &env.placement.others)?;
        let r = wrk::parse(&out)?;
        if r.requests == 0 {
            bail!("wrk completed no request through port {port}:\n{out}");
        }
        Ok(HttpLoad {
            requests: r.requests,
            rps: r.requests_per_sec,
            p50_us: r.p50_us,
            p99_us: r.p99_us,
            errors: r.errors,
        })
    })
}

pub fn tcp(env: &Env, proxies: &[ProxySpec]) -> Result<Outcome<TcpLoad>> {
    let o = env.opts;
    let limit = o.tcp_round + ROUND_SLACK;
    run(env, proxies, Mode::Tcp, "__tcp-sink", |port| {
        let mut cmd = Command::new(&env.self_exe);
        cmd.args([
            "__tcp-push".to_string(),
            format!("127.0.0.1:{port}"),
            o.tcp_conns.to_string(),
            o.tcp_round.as_millis().to_string(),
        ]);
        let out = procs::run_bounded("tcp-push", cmd, limit, &env.placement.others)?;
        let r: tcp::PushResult =
            serde_json::from_str(out.trim()).with_context(|| format!("tcp-push said {out:?}"))?;
        Ok(TcpLoad {
            bytes: r.bytes,
            elapsed_us: r.elapsed_us,
        })
    })
}

fn run<T>(
    env: &Env,
    proxies: &[ProxySpec],
    mode: Mode,
    backend_cmd: &str,
    mut load: impl FnMut(u16) -> Result<T>,
) -> Result<Outcome<T>> {
    let backend_port = procs::free_port()?;
    let mut cmd = Command::new(&env.self_exe);
    cmd.args([backend_cmd.to_string(), format!("127.0.0.1:{backend_port}")]);
    let mut backend = procs::spawn("backend", cmd, env.dir, &env.placement.others)?;
    procs::wait_listening(&mut backend, backend_port, STARTUP_LIMIT)?;
    let backend_pids = [backend.pid()];

    let mut running = Vec::new();
    for p in proxies {
        running.push(start_proxy(env, p, mode, backend_port)?);
    }
    // Warm-up: fills pools, caches and connection tables; not measured.
    let mut warmup = Vec::new();
    for r in &mut running {
        let measured = load(r.port).with_context(|| format!("warm-up of {}", r.name))?;
        r.pids = procs::process_tree(r.proc_.pid());
        warmup.push(Sample {
            proxy: r.name.clone(),
            round: 0,
            cpu_us: 0,
            backend_cpu_us: 0,
            load: measured,
        });
    }

    let mut samples = Vec::new();
    for round in 0..env.opts.rounds {
        let mut order: Vec<usize> = (0..running.len()).collect();
        if round % 2 == 1 {
            order.reverse();
        }
        for i in order {
            let r = &mut running[i];
            let before = procs::cpu_micros(&r.pids);
            let backend_before = procs::cpu_micros(&backend_pids);
            let measured = load(r.port).with_context(|| format!("round {round} of {}", r.name))?;
            let cpu_us = procs::cpu_micros(&r.pids).saturating_sub(before);
            let backend_cpu_us = procs::cpu_micros(&backend_pids).saturating_sub(backend_before);
            r.proc_.check_alive()?;
            samples.push(Sample {
                proxy: r.name.clone(),
                round,
                cpu_us,
                backend_cpu_us,
                load: measured,
            });
        }
        backend.check_alive()?;
    }
    let memory = running
        .iter()
        .map(|r| {
            let (rss_kib, hwm_kib) = procs::memory_kib(&r.pids);
            Memory {
                proxy: r.name.clone(),
                rss_kib,
                hwm_kib,
            }
        })
        .collect();
    Ok(Outcome {
        samples,
        warmup,
        memory,
    })
}

fn start_proxy(env: &Env, p: &ProxySpec, mode: Mode, backend: u16) -> Result<Running> {
    let port = procs::free_port()?;
    let threads = env.opts.threads;
    let tag = match mode {
        Mode::Http => "http",
        Mode::Tcp => "tcp",
    };
    let text = if p.name == "nginx" {
        let module = env
            .nginx_stream
            .as_deref()
            .filter(|m| !m.as_os_str().is_empty());
        configs::nginx(
            mode,
            threads,
            port,
            backend,
            env.dir,
            module.filter(|_| mode == Mode::Tcp),
            p.log_port,
        )
    } else {
        configs::haproxy(mode, threads, port, backend, p.log_port)
    };
    let proc_ = launch(env, p, tag, port, &text)?;
    let pids = procs::process_tree(proc_.pid());
    Ok(Running {
        name: p.label(),
        proc_,
        port,
        pids,
    })
}

/// Writes `text` as the config of proxy `p` and starts it; returns once it listens on `port`.
pub fn launch(env: &Env, p: &ProxySpec, tag: &str, port: u16, text: &str) -> Result<Proc> {
    let label = format!("{}-{tag}", p.label());
    let file = env.dir.join(format!("{label}.cfg"));
    let mut cmd = Command::new(&p.bin);
    if p.name == "nginx" {
        cmd.arg("-p").arg(env.dir).arg("-c").arg(&file);
    } else {
        cmd.arg("-f").arg(&file);
    }
    std::fs::write(&file, text).with_context(|| format!("writing {}", file.display()))?;
    let mut proc_ = procs::spawn(&label, cmd, env.dir, &env.placement.proxy)?;
    procs::wait_listening(&mut proc_, port, STARTUP_LIMIT)?;
    Ok(proc_)
}

/// Where NGINX's stream module is: `None` if this NGINX cannot proxy L4.
pub fn nginx_stream_module(nginx: &Path) -> Option<PathBuf> {
    let mut cmd = Command::new(nginx);
    cmd.arg("-V");
    let (_, out, err) = procs::run_capture("nginx -V", cmd, Duration::from_secs(2)).ok()?;
    let text = out + &err;
    if text.contains("--with-stream ") || text.ends_with("--with-stream") {
        return Some(PathBuf::new());
    }
    if !text.contains("--with-stream=dynamic") {
        return None;
    }
    ["/usr/lib/nginx/modules", "/usr/share/nginx/modules"]
        .iter()
        .map(|d| Path::new(d).join("ngx_stream_module.so"))
        .find(|p| p.exists())
}

/// The address a hidden subcommand was told to use.
pub fn parse_addr(s: Option<&String>) -> Result<SocketAddr> {
    let s = s.context("missing address")?;
    let addr: SocketAddr = s.parse().with_context(|| format!("bad address {s:?}"))?;
    if !addr.ip().is_loopback() {
        bail!("benchmark traffic stays on loopback, not {addr}");
    }
    Ok(addr)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pinning_leaves_a_core_for_the_load_generator() {
        let p = Placement::new(true, 1, 2);
        assert_eq!((p.proxy, p.others), (vec![1], vec![0]));
        // Nothing left for wrk and the backend: do not pin at all.
        assert!(Placement::new(true, 2, 2).proxy.is_empty());
        assert!(Placement::new(false, 1, 4).proxy.is_empty());
    }

    #[test]
    fn subcommand_addresses_must_be_loopback() {
        assert!(parse_addr(Some(&"127.0.0.1:80".to_string())).is_ok());
        assert!(parse_addr(Some(&"10.0.0.1:80".to_string())).is_err());
        assert!(parse_addr(None).is_err());
    }
}
