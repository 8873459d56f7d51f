//! Reload (issue 7): how long a reload of a big configuration (1,000
//! backends, 10,000 servers) takes to put the new configuration in force,
//! and what a reload storm (one per second) costs HTTP throughput.
//!
//! HAProxy 2.6 runs in master-worker mode (`-W`), where SIGUSR2 makes the
//! master re-execute itself and fork a new worker. lbd runs twice: in
//! master-worker mode, reloaded the same way (its master re-executes and
//! forks a worker that takes the sockets over), and as a single process,
//! where SIGUSR2 reloads in-process (DESIGN.md section 3; the D-Bus
//! `Reload`/`Apply` and the runtime `reload` take that path inside a
//! process or worker; the appliance's supervisor runs `lbd -Ws`, whose
//! SIGUSR2 reload is the `-W` one). Generation `g` of the configuration answers `GET /gen-g`
//! itself (`http-request return`), which no earlier one does, so "the new
//! configuration serves" is observable from outside: a probe sends that
//! request on a fresh connection every millisecond from the signal on, and
//! the time to the first answer from the new route is the reload time.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use serde::Serialize;

use crate::machine;
use crate::procs::{self, Proc};
use crate::run::{Env, ProxySpec, STARTUP_LIMIT};
use crate::stats::{median, quantile, ratio_summary, RatioSummary};
use crate::wrk;

pub const BACKENDS: usize = 1000;

/// Backends in the reloaded configuration: [`BACKENDS`], or
/// `BENCH_RELOAD_BACKENDS` to tell what a reload costs by itself from what
/// the configuration's size costs (1 = a 10-server configuration).
pub fn backends() -> usize {
    std::env::var("BENCH_RELOAD_BACKENDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|n| *n >= 1)
        .unwrap_or(BACKENDS)
}
pub const SERVERS_PER_BACKEND: usize = 10;
/// Reloads timed one after the other on an idle proxy.
const IDLE_RELOADS: usize = 10;
/// wrk seconds per storm or steady round; the storm reloads once a second
/// (or back to back when a reload takes longer).
const STORM_SECS: u64 = 5;
/// A reload not in force after this is counted as failed.
const RELOAD_LIMIT: Duration = Duration::from_secs(10);

/// Generation `generation` of the big configuration.
pub fn config(threads: usize, listen: u16, backend: u16, generation: u64) -> String {
    let mut c = format!(
        "global
    nbthread {threads}
    maxconn 4096

defaults
    mode http
    option http-keep-alive
    http-reuse always
    timeout connect 5s
    timeout client 30s
    timeout server 30s

frontend fe
    bind 127.0.0.1:{listen}
    http-request return status 200 content-type text/plain string {} if {{ path /gen-{generation} }}
    default_backend be

backend be
    server s1 127.0.0.1:{backend}
",
        marker(generation)
    );
    for s in 2..=SERVERS_PER_BACKEND {
        c.push_str(&format!("    server s{s} 127.0.0.1:{backend} backup\n"));
    }
    for b in 1..backends() {
        c.push_str(&format!("\nbackend be{b}\n"));
        for s in 1..=SERVERS_PER_BACKEND {
            c.push_str(&format!("    server s{s} 127.0.0.1:{backend}\n"));
        }
    }
    c
}

fn marker(generation: u64) -> String {
    format!("generation-{generation}-in-force")
}

/// One proxy's figures.
#[derive(Debug, Serialize)]
pub struct ReloadRow {
    pub proxy: String,
    /// SIGUSR2 to the new route answering, idle proxy: every sample, ms.
    pub idle_ms: Vec<f64>,
    /// The same for the reloads of the storm rounds (under wrk load).
    pub storm_reload_ms: Vec<f64>,
    /// Reloads not in force within the limit.
    pub failed_reloads: usize,
    pub rps_steady: Vec<f64>,
    pub rps_storm: Vec<f64>,
    /// Per pair, storm ÷ steady.
    pub storm_ratio: RatioSummary,
    /// wrk errors (socket errors and non-2xx) in steady / storm rounds.
    pub errors_steady: u64,
    pub errors_storm: u64,
    /// Per kept pair, the share of the machine's CPU the hypervisor stole (percent).
    pub steal_pct: Vec<f64>,
    /// Pairs run again because the hypervisor stole more than `--max-steal`.
    pub discarded_pairs: usize,
    /// Per kept pair, CPU µs per request of the proxy's whole process tree.
    pub cpu_us_steady: Vec<f64>,
    pub cpu_us_storm: Vec<f64>,
    /// Per pair, storm ÷ steady CPU per request: what reloading costs, steadier than req/s.
    pub cpu_ratio: RatioSummary,
}

/// How a proxy is run and reloaded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// `-W`: SIGUSR2 to the master, which re-executes and forks a new worker.
    MasterWorker,
    /// One process; SIGUSR2 reloads it in-process (lbd only).
    InProcess,
}

impl Mode {
    fn suffix(self) -> &'static str {
        match self {
            Mode::MasterWorker => " -W",
            Mode::InProcess => " in-process",
        }
    }
}

/// A proxy on the big config; `file` is what it re-reads on SIGUSR2.
struct Instance {
    proc_: Proc,
    file: std::path::PathBuf,
    /// The proxy's stderr, where the master says "Loading success.".
    stderr: std::path::PathBuf,
    port: u16,
    backend: u16,
    threads: usize,
    generation: u64,
    /// How far `stderr` has been read, and the reloads counted in it so far.
    stderr_read: u64,
    reloads_seen: usize,
}

impl Instance {
    fn start(env: &Env, p: &ProxySpec, mode: Mode, backend: u16) -> Result<Instance> {
        let port = procs::free_port()?;
        let tag = match mode {
            Mode::MasterWorker => "mw",
            Mode::InProcess => "inproc",
        };
        let file = env.dir.join(format!("{}-{tag}-reload.cfg", p.label()));
        let threads = env.opts.threads;
        std::fs::write(&file, config(threads, port, backend, 1))
            .with_context(|| format!("writing {}", file.display()))?;
        let mut cmd = Command::new(&p.bin);
        if mode == Mode::MasterWorker {
            cmd.arg("-W");
        }
        cmd.arg("-f").arg(&file);
        let name = format!("{}-{tag}-reload", p.label());
        let mut proc_ = procs::spawn(&name, cmd, env.dir, &env.placement.proxy)?;
        procs::wait_listening(&mut proc_, port, STARTUP_LIMIT)?;
        let inst = Instance {
            proc_,
            file,
            stderr: env.dir.join(format!("{name}.stderr")),
            port,
            backend,
            threads,
            generation: 1,
            stderr_read: 0,
            reloads_seen: 0,
        };
        // Listening is not serving yet for HAProxy's master: wait for the
        // first generation's route.
        inst.wait_in_force(1)?;
        Ok(inst)
    }

    /// Reloads finished so far, as the master's stderr counts them. Reads
    /// only what was written since the last call: every reload of the big
    /// configuration adds a thousand "Proxy stopped" lines, and reading the
    /// whole file twice per reload had the harness scanning megabytes in
    /// the middle of the storm it measures.
    fn loaded(&mut self) -> usize {
        use std::io::{Seek, SeekFrom};
        let mut new = Vec::new();
        let read = std::fs::File::open(&self.stderr).and_then(|mut f| {
            f.seek(SeekFrom::Start(self.stderr_read))?;
            f.read_to_end(&mut new)
        });
        if read.is_ok() {
            // Whole lines only: a line still being written is counted next time.
            if let Some(end) = new.iter().rposition(|&b| b == b'\n') {
                let text = String::from_utf8_lossy(&new[..=end]);
                self.reloads_seen += text.matches("Loading success.").count()
                    + text.matches("Loading failure!").count();
                self.stderr_read += end as u64 + 1;
            }
        }
        self.reloads_seen
    }

    /// Writes the next generation, signals, and returns the time until it
    /// serves (None: not within the limit). Returns only once the master
    /// has finished the reload too: HAProxy's master drops a SIGUSR2 that
    /// arrives while it is still busy with the previous one.
    fn reload(&mut self) -> Result<Option<Duration>> {
        let before = self.loaded();
        let took = self.signal_and_wait()?;
        let deadline = Instant::now() + RELOAD_LIMIT;
        while self.loaded() <= before && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(2));
        }
        Ok(took)
    }

    fn signal_and_wait(&mut self) -> Result<Option<Duration>> {
        self.generation += 1;
        let g = self.generation;
        std::fs::write(&self.file, config(self.threads, self.port, self.backend, g))?;
        let t0 = Instant::now();
        nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(self.proc_.pid() as i32),
            nix::sys::signal::Signal::SIGUSR2,
        )
        .context("SIGUSR2")?;
        match self.wait_in_force(g) {
            Ok(()) => Ok(Some(t0.elapsed())),
            Err(_) => {
                self.proc_.check_alive()?;
                Ok(None)
            }
        }
    }

    fn wait_in_force(&self, g: u64) -> Result<()> {
        let deadline = Instant::now() + RELOAD_LIMIT;
        let want = marker(g);
        let req = format!("GET /gen-{g} HTTP/1.1\r\nhost: bench\r\nconnection: close\r\n\r\n");
        loop {
            if probe(self.port, &req).is_some_and(|body| body.contains(&want)) {
                return Ok(());
            }
            if Instant::now() > deadline {
                bail!("generation {g} not in force after {RELOAD_LIMIT:?}");
            }
            std::thread::sleep(Duration::from_millis(1));
        }
    }
}

/// One request on a fresh connection; the whole response, or None.
fn probe(port: u16, req: &str) -> Option<String> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    s.write_all(req.as_bytes()).ok()?;
    let mut out = Vec::new();
    s.read_to_end(&mut out).ok()?;
    Some(String::from_utf8_lossy(&out).into_owned())
}

/// wrk for `secs` on a thread; join it for the report.
fn wrk_thread(env: &Env, port: u16, secs: u64) -> std::thread::JoinHandle<Result<wrk::WrkReport>> {
    let url = format!("http://127.0.0.1:{port}/");
    let conns = env.opts.conns;
    let cpus = env.placement.others.clone();
    std::thread::spawn(move || {
        let mut cmd = Command::new("wrk");
        cmd.args(wrk::args(&url, conns, secs));
        let out = procs::run_bounded("wrk", cmd, Duration::from_secs(secs + 20), &cpus)?;
        wrk::parse(&out)
    })
}

fn join(h: std::thread::JoinHandle<Result<wrk::WrkReport>>) -> Result<wrk::WrkReport> {
    match h.join() {
        Ok(r) => r,
        Err(_) => bail!("the wrk thread panicked"),
    }
}

/// Keeps the calling thread on `cpus` (no change when empty or refused).
fn pin_this_thread(cpus: &procs::CpuSet) {
    let mut set = nix::sched::CpuSet::new();
    for &c in cpus {
        if set.set(c).is_err() {
            return;
        }
    }
    if !cpus.is_empty() {
        let _ = nix::sched::sched_setaffinity(nix::unistd::Pid::from_raw(0), &set);
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Runs the benchmark for lbd (in both modes) and HAProxy (NGINX has no
/// comparable configuration reload under test here and is skipped).
pub fn run(env: &Env, proxies: &[ProxySpec]) -> Result<Vec<ReloadRow>> {
    let backend_port = procs::free_port()?;
    let mut cmd = Command::new(&env.self_exe);
    cmd.args([
        "__http-backend".to_string(),
        format!("127.0.0.1:{backend_port}"),
    ]);
    let mut backend = procs::spawn("reload-backend", cmd, env.dir, &env.placement.others)?;
    procs::wait_listening(&mut backend, backend_port, STARTUP_LIMIT)?;

    // This thread drives the reloads and probes for the new generation: it
    // belongs with the load generator, off the proxy's cores.
    pin_this_thread(&env.placement.others);
    let mut rows = Vec::new();
    let runs = proxies.iter().filter(|p| p.name != "nginx").flat_map(|p| {
        let modes: &[Mode] = if p.name == "lbd" {
            &[Mode::InProcess, Mode::MasterWorker]
        } else {
            &[Mode::MasterWorker]
        };
        modes.iter().map(move |m| (p, *m))
    });
    for (p, mode) in runs {
        let label = format!("{}{}", p.label(), mode.suffix());
        let mut inst = Instance::start(env, p, mode, backend_port)?;
        let mut failed = 0;
        let mut idle = Vec::new();
        for _ in 0..IDLE_RELOADS {
            match inst.reload()? {
                Some(d) => idle.push(ms(d)),
                None => failed += 1,
            }
            // Lets the previous generation (HAProxy: worker) wind down.
            std::thread::sleep(Duration::from_millis(300));
        }
        println!(
            "{}: idle reload median {:.1} ms ({} samples)",
            label,
            median(&idle),
            idle.len()
        );
        // Warm-up under load, then steady/storm pairs in alternating order.
        join(wrk_thread(env, inst.port, 1))?;
        let (mut steady, mut storm) = (Vec::new(), Vec::new());
        let (mut err_steady, mut err_storm) = (0, 0);
        let mut storm_ms = Vec::new();
        let (mut steal, mut discarded) = (Vec::new(), 0);
        // CPU µs per request of the whole process tree (master, workers old and new).
        let (mut cpu_steady, mut cpu_storm) = (Vec::new(), Vec::new());
        for pair in 0..env.opts.storm_pairs {
            let order = if pair % 2 == 0 {
                [false, true]
            } else {
                [true, false]
            };
            // Both rounds again when the hypervisor stole too much of either: errors and
            // failed reloads of a discarded pair still count.
            let ((rps_steady, rps_storm, cpu_a, cpu_b), pct, d) =
                machine::with_low_steal(env.opts.max_steal, env.opts.storm_pairs, || {
                    let (mut a, mut b, mut ca, mut cb) = (0.0, 0.0, 0.0, 0.0);
                    for reloading in order {
                        let cpu0 = procs::tree_cpu_micros(inst.proc_.pid());
                        let h = wrk_thread(env, inst.port, STORM_SECS);
                        if reloading {
                            let start = Instant::now();
                            for i in 0..STORM_SECS {
                                match inst.reload()? {
                                    Some(d) => storm_ms.push(ms(d)),
                                    None => failed += 1,
                                }
                                let next = start + Duration::from_secs(i + 1);
                                std::thread::sleep(next.saturating_duration_since(Instant::now()));
                            }
                        }
                        let r = join(h)?;
                        let cpu = procs::tree_cpu_micros(inst.proc_.pid()).saturating_sub(cpu0);
                        let per_req = cpu as f64 / r.requests.max(1) as f64;
                        if reloading {
                            b = r.requests_per_sec;
                            cb = per_req;
                            err_storm += r.errors;
                        } else {
                            a = r.requests_per_sec;
                            ca = per_req;
                            err_steady += r.errors;
                        }
                        inst.proc_.check_alive()?;
                    }
                    Ok((a, b, ca, cb))
                })?;
            steady.push(rps_steady);
            storm.push(rps_storm);
            cpu_steady.push(cpu_a);
            cpu_storm.push(cpu_b);
            steal.push(pct);
            discarded += d;
            backend.check_alive()?;
        }
        rows.push(ReloadRow {
            proxy: label,
            storm_ratio: ratio_summary(&storm, &steady),
            idle_ms: idle,
            storm_reload_ms: storm_ms,
            failed_reloads: failed,
            rps_steady: steady,
            rps_storm: storm,
            errors_steady: err_steady,
            errors_storm: err_storm,
            steal_pct: steal,
            discarded_pairs: discarded,
            cpu_ratio: ratio_summary(&cpu_storm, &cpu_steady),
            cpu_us_steady: cpu_steady,
            cpu_us_storm: cpu_storm,
        });
    }
    Ok(rows)
}

pub fn table(rows: &[ReloadRow]) -> String {
    let mut t = String::from(
        "| proxy | reload → new config serving, idle (median / p90 / max) | same, during the storm (median / max) | failed reloads | req/s steady | req/s storm | storm ÷ steady [IQR] | wrk errors steady / storm | CPU µs/req steady / storm (ratio [IQR]) | steal (median of pairs) / pairs redone |\n\
         |---|---|---|---|---|---|---|---|---|---|\n",
    );
    let max = |v: &[f64]| v.iter().copied().fold(f64::NAN, f64::max);
    for r in rows {
        t.push_str(&format!(
            "| {} | {:.1} / {:.1} / {:.1} ms | {:.1} / {:.1} ms | {} | {:.0} | {:.0} | {:.3} [{:.3}–{:.3}] | {} / {} | {:.1} / {:.1} ({:.3} [{:.3}–{:.3}]) | {:.1}% / {} |\n",
            r.proxy,
            median(&r.idle_ms),
            quantile(&r.idle_ms, 0.9),
            max(&r.idle_ms),
            median(&r.storm_reload_ms),
            max(&r.storm_reload_ms),
            r.failed_reloads,
            median(&r.rps_steady),
            median(&r.rps_storm),
            r.storm_ratio.median,
            r.storm_ratio.p25,
            r.storm_ratio.p75,
            r.errors_steady,
            r.errors_storm,
            median(&r.cpu_us_steady),
            median(&r.cpu_us_storm),
            r.cpu_ratio.median,
            r.cpu_ratio.p25,
            r.cpu_ratio.p75,
            median(&r.steal_pct),
            r.discarded_pairs,
        ));
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_config_has_ten_thousand_servers_and_one_new_route() {
        let c = config(1, 8001, 9001, 7);
        assert_eq!(c.matches("\nbackend ").count(), BACKENDS);
        assert_eq!(
            c.lines()
                .filter(|l| l.trim_start().starts_with("server "))
                .count(),
            BACKENDS * SERVERS_PER_BACKEND
        );
        assert!(c.contains("if { path /gen-7 }"));
        assert!(c.contains(&marker(7)));
        assert!(!config(1, 8001, 9001, 6).contains(&marker(7)));
    }
}
