//! `bench`: lbd against HAProxy 2.6 and NGINX on this machine, in the same run.
//!
//! HTTP/1.1 keep-alive through each proxy with wrk, L4 throughput in `mode tcp`, failover
//! time under health checks, and the cost of per-request logging, in short alternating
//! rounds; reports medians, lbd's per-round ratios against the others, CPU time per unit
//! of work and memory. See tests/bench/README.md.
//!
//! The binary also carries its own backends and L4 client as hidden subcommands so that
//! each runs as a separate process.

mod backend;
mod bigconfig;
mod configs;
mod edge;
mod failover;
mod h2;
mod logging;
mod machine;
mod opts;
mod probe;
mod procs;
mod reload;
mod report;
mod run;
mod stats;
mod syslog_sink;
mod tcp;
mod tls;
mod wrk;

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{bail, Context, Result};
use serde::Serialize;

use opts::{Bench, Options};
use run::{Env, Placement, ProxySpec};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("__http-backend") => run::parse_addr(args.get(1)).and_then(|a| {
            let tag = args.get(2).and_then(|t| t.bytes().next()).unwrap_or(b'x');
            backend::http_backend(a, tag)
        }),
        Some("__tcp-sink") => run::parse_addr(args.get(1)).and_then(backend::tcp_sink),
        Some("__tcp-push") => tcp_push(&args[1..]),
        Some("__tls-load") => tls::load_main(&args[1..]),
        _ => harness(&args),
    };
    if let Err(e) = result {
        eprintln!("bench: {e:#}");
        std::process::exit(1);
    }
}

fn tcp_push(args: &[String]) -> Result<()> {
    let addr = run::parse_addr(args.first())?;
    let conns: usize = args.get(1).context("missing connection count")?.parse()?;
    let ms: u64 = args.get(2).context("missing duration")?.parse()?;
    let r = tcp::push(addr, conns, Duration::from_millis(ms))?;
    println!("{}", serde_json::to_string(&r)?);
    Ok(())
}

/// Check intervals of the failover benchmark: HAProxy's common default and a fast one.
const FAILOVER_INTERVALS_MS: [u64; 2] = [1000, 100];

/// A scratch directory for configs and logs, removed at the end of the run.
struct ScratchDir(PathBuf);

impl Drop for ScratchDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

const SCRATCH_PREFIX: &str = "rampart-bench-";

/// A run killed by a signal exits without unwinding and leaves its scratch directory;
/// the next run removes those whose owner is gone.
fn remove_stale_scratch_dirs() {
    let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name();
        let Some(pid) = name.to_str().and_then(|n| n.strip_prefix(SCRATCH_PREFIX)) else {
            continue;
        };
        if pid.parse::<u32>().is_ok() && !Path::new("/proc").join(pid).exists() {
            let _ = std::fs::remove_dir_all(e.path());
        }
    }
}

#[derive(Serialize)]
struct JsonReport<'a> {
    machine: &'a machine::Machine,
    settings: Settings,
    warnings: &'a [String],
    http: Option<(
        report::Summary<report::HttpRow>,
        run::Outcome<run::HttpLoad>,
    )>,
    tcp: Option<(report::Summary<report::TcpRow>, run::Outcome<run::TcpLoad>)>,
    failover: Option<(failover::FailoverSummary, Vec<failover::FailoverRound>)>,
    logging: Option<(
        logging::LoggingSummary,
        run::Outcome<run::HttpLoad>,
        Vec<logging::LogCount>,
    )>,
    bigconfig: Option<Vec<bigconfig::BigConfigRow>>,
    edge: Option<edge::EdgeSummary>,
    reload: Option<Vec<reload::ReloadRow>>,
    tls: Option<tls::TlsSummary>,
    h2: Option<tls::TlsSummary>,
}

#[derive(Serialize)]
struct Settings {
    rounds: usize,
    failover_rounds: usize,
    threads: usize,
    wrk_conns: usize,
    wrk_secs: u64,
    tcp_conns: usize,
    tcp_round_ms: u64,
    pinned: bool,
    proxy_cpus: Vec<usize>,
    other_cpus: Vec<usize>,
}

fn harness(args: &[String]) -> Result<()> {
    procs::install_cleanup_handlers()?;
    let (soft, hard, nofile_warning) = procs::raise_nofile();
    let opts = Options::parse(args)?;
    let mut warnings: Vec<String> = nofile_warning.into_iter().collect();

    let specs = proxy_specs(&opts)?;
    let machine = machine::describe(&opts.lbd, &opts.haproxy, &opts.nginx, (soft, hard));
    let placement = Placement::new(opts.pin, opts.threads, machine.cores);
    let settings = Settings {
        rounds: opts.rounds,
        failover_rounds: opts.failover_rounds,
        threads: opts.threads,
        wrk_conns: opts.conns,
        wrk_secs: opts.secs,
        tcp_conns: opts.tcp_conns,
        tcp_round_ms: opts.tcp_round.as_millis() as u64,
        pinned: !placement.proxy.is_empty(),
        proxy_cpus: placement.proxy.clone(),
        other_cpus: placement.others.clone(),
    };
    print_header(&machine, &settings, &specs);
    if opts.threads + 2 > machine.cores {
        println!(
            "note: {} proxy thread(s) + wrk + backend share {} cores: every figure is \
             CPU-bound; CPU µs/req is the steadier comparison.",
            opts.threads, machine.cores
        );
    }

    remove_stale_scratch_dirs();
    let dir =
        ScratchDir(std::env::temp_dir().join(format!("{SCRATCH_PREFIX}{}", std::process::id())));
    std::fs::create_dir_all(&dir.0).with_context(|| format!("creating {}", dir.0.display()))?;
    let nginx_stream = run::nginx_stream_module(&opts.nginx);
    let env = Env {
        opts: &opts,
        dir: &dir.0,
        self_exe: std::env::current_exe().context("locating the bench binary")?,
        placement,
        nginx_stream: nginx_stream.clone(),
    };

    let mut http = None;
    if opts.only.runs(Bench::Http) {
        println!(
            "\n## HTTP/1.1 keep-alive (wrk -t1 -c{}, {} rounds x {} s)\n",
            opts.conns, opts.rounds, opts.secs
        );
        let outcome = run::http(&env, &specs)?;
        let summary = report::summarize_http(&outcome);
        print!("{}", report::http_table(&summary));
        http = Some((summary, outcome));
    }

    let mut tcp = None;
    if opts.only.runs(Bench::Tcp) {
        let mut l4: Vec<ProxySpec> = specs.clone();
        if nginx_stream.is_none() && l4.iter().any(|p| p.name == "nginx") {
            let w = format!(
                "{} has no stream module: NGINX skipped for L4 (apt-get install libnginx-mod-stream)",
                opts.nginx.display()
            );
            println!("warning: {w}");
            warnings.push(w);
            l4.retain(|p| p.name != "nginx");
        }
        println!(
            "\n## L4 mode tcp ({} connections pushing, {} rounds x {} ms)\n",
            opts.tcp_conns,
            opts.rounds,
            opts.tcp_round.as_millis()
        );
        let outcome = run::tcp(&env, &l4)?;
        let summary = report::summarize_tcp(&outcome);
        print!("{}", report::tcp_table(&summary));
        tcp = Some((summary, outcome));
    }

    let mut failover = None;
    if opts.only.runs(Bench::Failover) {
        let checked: Vec<ProxySpec> = specs
            .iter()
            .filter(|p| p.name != "nginx")
            .cloned()
            .collect();
        if checked.len() < specs.len() {
            let w =
                "NGINX (open source) has no active health checks: skipped for failover".to_string();
            println!("\nnote: {w}");
            warnings.push(w);
        }
        let mut rounds = Vec::new();
        for inter_ms in FAILOVER_INTERVALS_MS {
            println!(
                "\n## Failover: server killed under load (check inter {inter_ms}ms fall 2 rise 2, \
                 {} rounds)",
                opts.failover_rounds
            );
            rounds.extend(failover::run(&env, &checked, inter_ms)?);
        }
        println!("\n## Failover (8 connections x 1 request/ms; kill of 1 of 2 servers)\n");
        let summary = failover::summarize(&rounds);
        print!("{}", failover::table(&summary));
        failover = Some((summary, rounds));
    }

    let mut logging = None;
    if opts.only.runs(Bench::Logging) {
        println!(
            "\n## Logging cost: HTTP/1.1 keep-alive plain vs logging every request to a UDP \
             syslog sink (wrk -t1 -c{}, {} rounds x {} s)\n",
            opts.conns, opts.rounds, opts.secs
        );
        let (outcome, counts) = logging::run(&env, &specs)?;
        let summary = logging::summarize(&outcome, &counts);
        print!("{}", logging::table(&summary));
        logging = Some((summary, outcome, counts));
    }

    let mut big = None;
    if opts.only.runs(Bench::BigConfig) {
        println!(
            "\n## Config size: {} servers in {} backends vs 1 server ({} x show stat; \
             wrk -t1 -c{}, {} rounds x {} s)\n",
            bigconfig::BACKENDS * bigconfig::SERVERS_PER_BACKEND,
            bigconfig::BACKENDS,
            bigconfig::SHOW_STAT_CALLS,
            opts.conns,
            opts.rounds,
            opts.secs
        );
        let rows = bigconfig::run(&env, &specs)?;
        print!("{}", bigconfig::table(&rows));
        big = Some(rows);
    }

    let mut edge_run = None;
    if opts.only.runs(Bench::Edge) {
        println!(
            "\n## Edge rules: 50 ACLs/rules with a {}-entry host map vs the plain config \
             (wrk -t1 -c{}, {} rounds x {} s)\n",
            edge::MAP_ENTRIES,
            opts.conns,
            opts.rounds,
            opts.secs
        );
        let summary = edge::run(&env, &specs)?;
        print!("{}", edge::table(&summary));
        edge_run = Some(summary);
    }

    let mut reloads = None;
    if opts.only.runs(Bench::Reload) {
        println!(
            "\n## Reload: {} servers in {} backends, SIGUSR2 (-W: to the master; lbd in-process: to its one process), wrk -t1 -c{} for the storm\n",
            reload::backends() * reload::SERVERS_PER_BACKEND,
            reload::backends(),
            opts.conns
        );
        let rows = reload::run(&env, &specs)?;
        print!("{}", reload::table(&rows));
        reloads = Some(rows);
    }

    let mut tls_run = None;
    if opts.only.runs(Bench::Tls) {
        println!(
            "\n## TLS: new and resumed TLS 1.3 handshakes ({} client connections, 1 request \
             each), HTTPS keep-alive (wrk -c{}), {} rounds x {} s; idle memory at {} \
             connections\n",
            tls::HANDSHAKE_CONNS,
            opts.conns,
            opts.rounds,
            opts.secs,
            tls::IDLE_CONNS
        );
        let summary = tls::run(&env, &specs, &tls::Workload::TLS, true)?;
        print!("{}", tls::table(&summary));
        tls_run = Some(summary);
    }

    let mut h2_run = None;
    if opts.only.runs(Bench::H2) {
        println!(
            "\n## HTTP/2: h2load -c{} -m{} over TLS (ALPN h2) and cleartext proto h2, {} rounds \
             x {} s\n",
            h2::CONNS,
            h2::STREAMS,
            opts.rounds,
            opts.secs
        );
        let summary = tls::run(&env, &specs, &tls::Workload::H2, false)?;
        print!("{}", tls::table(&summary));
        h2_run = Some(summary);
    }
    if (opts.only.runs(Bench::Tls) || opts.only.runs(Bench::H2))
        && specs.iter().any(|p| p.name == "nginx")
    {
        let w = "NGINX skipped for tls and h2 (it cannot read the HAProxy config)".to_string();
        println!("\nnote: {w}");
        warnings.push(w);
    }

    let json = JsonReport {
        machine: &machine,
        settings,
        warnings: &warnings,
        http,
        tcp,
        failover,
        logging,
        bigconfig: big,
        edge: edge_run,
        reload: reloads,
        tls: tls_run,
        h2: h2_run,
    };
    write_json(&opts.json, &json)?;
    for w in &warnings {
        println!("warning: {w}");
    }
    println!("\nJSON: {}", opts.json.display());
    Ok(())
}

fn proxy_specs(opts: &Options) -> Result<Vec<ProxySpec>> {
    let mut specs = Vec::new();
    for name in &opts.proxies {
        let bin = match name.as_str() {
            "lbd" => &opts.lbd,
            "haproxy" => &opts.haproxy,
            _ => &opts.nginx,
        };
        if !bin.exists() {
            bail!(
                "{name} binary {} does not exist (build it with `cargo build --release -p lbd`, \
                 pass --{name} PATH, or leave it out with --proxies)",
                bin.display()
            );
        }
        specs.push(ProxySpec {
            name: name.clone(),
            bin: bin.clone(),
            log_port: None,
        });
    }
    Ok(specs)
}

fn print_header(m: &machine::Machine, s: &Settings, specs: &[ProxySpec]) {
    println!("# Rampart benchmark");
    println!();
    println!(
        "- CPU: {} ({} cores), kernel {}",
        m.cpu_model, m.cores, m.kernel
    );
    println!("- load average at start: {}", m.loadavg_at_start);
    println!(
        "- RLIMIT_NOFILE: soft {} / hard {}",
        m.nofile_soft, m.nofile_hard
    );
    println!("- haproxy: {}", m.haproxy);
    println!("- nginx: {}", m.nginx);
    println!("- wrk: {}", m.wrk);
    println!("- lbd: {} ({})", m.lbd_path, m.lbd_version);
    let names: Vec<&str> = specs.iter().map(|p| p.name.as_str()).collect();
    println!(
        "- proxies: {}; {} thread(s) each; {} measured rounds after 1 warm-up, order alternating A B C / C B A",
        names.join(", "),
        s.threads,
        s.rounds
    );
    if s.pinned {
        println!(
            "- pinned: proxy on CPUs {:?}, wrk/backend on {:?}",
            s.proxy_cpus, s.other_cpus
        );
    } else {
        println!("- not pinned (use --pin to give the proxy its own CPU)");
    }
}

fn write_json(path: &Path, report: &JsonReport) -> Result<()> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("creating {}", parent.display()))?;
    }
    let text = serde_json::to_string_pretty(report)?;
    std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))
}
