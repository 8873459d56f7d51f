//! Failover time: two servers behind health-checked proxies (`check inter X fall 2 rise 2`),
//! a steady fixed-rate client load, then one server is SIGKILLed (its listening socket
//! and connections close at once). Measured per round: how long after the kill clients
//! still saw errors (last error − kill), how many, and when the proxy logged the server
//! DOWN (the state-change line's arrival at the syslog sink). Each proxy has its own pair
//! of servers and its own sink, so the killed server restarts right after the round and
//! rises again while the other proxies take their turn. NGINX has no active checks and is
//! not part of this benchmark.

use std::net::SocketAddr;
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use serde::Serialize;

use crate::configs;
use crate::probe::{ErrorKind, Probe, Record};
use crate::procs::{self, Proc};
use crate::run::{self, Env, ProxySpec};
use crate::stats::{median, quantile, ratio_summary, RatioSummary};
use crate::syslog_sink::SyslogSink;

/// Probe connections and their request interval: 8 x 1 ms = about 8000 requests/s, so an
/// error is seen within ~1 ms of when it starts or stops happening.
const CONNS: usize = 8;
const TICK: Duration = Duration::from_millis(1);
/// Both servers answering, without error, for this long before the kill.
const STEADY: Duration = Duration::from_millis(300);
/// No error for this long after the last one ends the round. Longer than the probe's
/// request timeout, so a request hung across the failover is still counted.
const QUIET: Duration = Duration::from_millis(1200);
/// Beyond `fall` x `inter`, how long errors may go on before the round gives up and
/// reports the proxy as still failing.
const GIVE_UP_AFTER: Duration = Duration::from_secs(5);

/// One round of one proxy.
#[derive(Debug, Clone, Serialize)]
pub struct FailoverRound {
    pub proxy: String,
    pub inter_ms: u64,
    pub round: usize,
    /// Last client-visible error − kill, in ms; 0 when clients saw no error.
    pub failover_ms: f64,
    /// Client-visible errors after the kill.
    pub errors: u64,
    pub status_errors: u64,
    pub closed_errors: u64,
    pub connect_errors: u64,
    pub timeouts: u64,
    /// Arrival of the proxy's "Server be/s1 is DOWN" line − kill, in ms.
    pub down_logged_ms: Option<f64>,
    /// Errors later than that line's arrival (in-flight requests at most).
    pub errors_after_down: u64,
    /// Errors were still coming when the round gave up.
    pub still_failing: bool,
    /// Successful responses during the round (steady phase included).
    pub oks: u64,
}

struct Instance {
    spec: ProxySpec,
    proxy: Proc,
    addr: SocketAddr,
    sink: SyslogSink,
    servers: [Option<Proc>; 2],
    server_ports: [u16; 2],
}

pub fn run(env: &Env, proxies: &[ProxySpec], inter_ms: u64) -> Result<Vec<FailoverRound>> {
    let mut instances = Vec::new();
    for p in proxies {
        instances.push(start(env, p, inter_ms)?);
    }
    let mut rounds = Vec::new();
    for round in 0..env.opts.failover_rounds {
        let mut order: Vec<usize> = (0..instances.len()).collect();
        if round % 2 == 1 {
            order.reverse();
        }
        for i in order {
            let inst = &mut instances[i];
            let r = one_round(env, inst, inter_ms, round)
                .with_context(|| format!("failover round {round} of {}", inst.spec.name))?;
            rounds.push(r);
        }
    }
    Ok(rounds)
}

fn start(env: &Env, p: &ProxySpec, inter_ms: u64) -> Result<Instance> {
    let sink = SyslogSink::start(&[" is DOWN", " is UP"])?;
    let server_ports = [procs::free_port()?, procs::free_port()?];
    let servers = [
        Some(start_server(env, server_ports[0], 1)?),
        Some(start_server(env, server_ports[1], 2)?),
    ];
    let port = procs::free_port()?;
    let text = configs::haproxy_failover(port, server_ports, inter_ms, sink.port());
    let proxy = run::launch(env, p, &format!("failover-{inter_ms}ms"), port, &text)?;
    Ok(Instance {
        spec: p.clone(),
        proxy,
        addr: SocketAddr::from(([127, 0, 0, 1], port)),
        sink,
        servers,
        server_ports,
    })
}

fn start_server(env: &Env, port: u16, n: u8) -> Result<Proc> {
    let mut cmd = Command::new(&env.self_exe);
    cmd.args([
        "__http-backend".to_string(),
        format!("127.0.0.1:{port}"),
        n.to_string(),
    ]);
    let mut p = procs::spawn(
        &format!("server{n}-{port}"),
        cmd,
        env.dir,
        &env.placement.others,
    )?;
    procs::wait_listening(&mut p, port, run::STARTUP_LIMIT)?;
    Ok(p)
}

fn one_round(env: &Env, inst: &mut Instance, inter_ms: u64, round: usize) -> Result<FailoverRound> {
    if inst.servers[0].is_none() {
        inst.servers[0] = Some(start_server(env, inst.server_ports[0], 1)?);
    }
    let probe = Probe::start(inst.addr, CONNS, TICK)?;
    let inter = Duration::from_millis(inter_ms);
    // A restarted server needs `rise` (2) good checks; allow for slow ones.
    let steady_limit = inter * 4 + Duration::from_secs(10);
    wait_steady(&probe, steady_limit).with_context(|| {
        format!(
            "{} never served from both servers without errors; stderr tail:\n{}",
            inst.spec.name,
            inst.proxy.stderr_tail()
        )
    })?;

    let marked_before = inst.sink.marked().len();
    let kill_at = Instant::now();
    // Dropping the Proc SIGKILLs the server and reaps it: its sockets are closed by then.
    inst.servers[0] = None;

    let give_up = inter * 2 + GIVE_UP_AFTER;
    let still_failing = loop {
        std::thread::sleep(Duration::from_millis(10));
        let last = probe
            .with(|r| last_error_after(r, kill_at))
            .unwrap_or(kill_at);
        if last.elapsed() >= QUIET {
            break false;
        }
        if kill_at.elapsed() >= give_up {
            break true;
        }
    };
    let record = probe.finish();
    inst.proxy.check_alive()?;
    // Restart now: it rises while the other proxies take their turn.
    inst.servers[0] = Some(start_server(env, inst.server_ports[0], 1)?);

    let down_at = inst
        .sink
        .marked()
        .into_iter()
        .skip(marked_before)
        .find(|m| m.at >= kill_at && m.text.contains("/s1 is DOWN"))
        .map(|m| m.at);
    Ok(summarize_round(
        &inst.spec.name,
        inter_ms,
        round,
        &record,
        kill_at,
        down_at,
        still_failing,
    ))
}

fn last_error_after(r: &Record, t: Instant) -> Option<Instant> {
    r.errors.iter().map(|e| e.0).filter(|&e| e >= t).max()
}

/// Waits until both servers have answered and nothing failed for `STEADY`.
fn wait_steady(probe: &Probe, limit: Duration) -> Result<()> {
    let start = Instant::now();
    while start.elapsed() < limit {
        std::thread::sleep(Duration::from_millis(10));
        let ok = probe.with(|r| {
            let quiet_since = r.errors.last().map_or(start, |e| e.0.max(start));
            let both_recent = r
                .last_ok
                .iter()
                .all(|t| t.is_some_and(|t| t.elapsed() < Duration::from_millis(50)));
            both_recent && quiet_since.elapsed() >= STEADY
        });
        if ok {
            return Ok(());
        }
    }
    bail!("not steady within {limit:?}")
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn summarize_round(
    proxy: &str,
    inter_ms: u64,
    round: usize,
    r: &Record,
    kill_at: Instant,
    down_at: Option<Instant>,
    still_failing: bool,
) -> FailoverRound {
    let after: Vec<&(Instant, ErrorKind)> = r.errors.iter().filter(|e| e.0 >= kill_at).collect();
    let count = |f: fn(&ErrorKind) -> bool| after.iter().filter(|e| f(&e.1)).count() as u64;
    FailoverRound {
        proxy: proxy.to_string(),
        inter_ms,
        round,
        failover_ms: last_error_after(r, kill_at).map_or(0.0, |t| ms(t - kill_at)),
        errors: after.len() as u64,
        status_errors: count(|k| matches!(k, ErrorKind::Status(_))),
        closed_errors: count(|k| *k == ErrorKind::Closed),
        connect_errors: count(|k| *k == ErrorKind::Connect),
        timeouts: count(|k| *k == ErrorKind::Timeout),
        down_logged_ms: down_at.map(|t| ms(t - kill_at)),
        errors_after_down: down_at.map_or(0, |d| after.iter().filter(|e| e.0 > d).count() as u64),
        still_failing,
        oks: r.oks,
    }
}

/// Medians of one proxy under one check interval.
#[derive(Debug, Serialize)]
pub struct FailoverRow {
    pub proxy: String,
    pub inter_ms: u64,
    pub failover_ms: f64,
    pub failover_min_ms: f64,
    pub failover_max_ms: f64,
    pub errors: f64,
    pub down_logged_ms: f64,
    pub errors_after_down: u64,
    pub still_failing: usize,
    pub rounds: usize,
}

/// lbd against another proxy under one interval: medians of per-round ratios.
#[derive(Debug, Serialize)]
pub struct FailoverRatio {
    pub name: String,
    pub inter_ms: u64,
    pub failover: RatioSummary,
    pub errors: RatioSummary,
}

#[derive(Debug, Serialize)]
pub struct FailoverSummary {
    pub rows: Vec<FailoverRow>,
    pub ratios: Vec<FailoverRatio>,
}

pub fn summarize(rounds: &[FailoverRound]) -> FailoverSummary {
    let mut keys: Vec<(u64, String)> = Vec::new();
    for r in rounds {
        let k = (r.inter_ms, r.proxy.clone());
        if !keys.contains(&k) {
            keys.push(k);
        }
    }
    let series = |inter: u64, proxy: &str, f: fn(&FailoverRound) -> f64| -> Vec<f64> {
        rounds
            .iter()
            .filter(|r| r.inter_ms == inter && r.proxy == proxy)
            .map(f)
            .collect()
    };
    let rows = keys
        .iter()
        .map(|(inter, p)| {
            let fo = series(*inter, p, |r| r.failover_ms);
            let mine: Vec<&FailoverRound> = rounds
                .iter()
                .filter(|r| r.inter_ms == *inter && &r.proxy == p)
                .collect();
            FailoverRow {
                proxy: p.clone(),
                inter_ms: *inter,
                failover_ms: median(&fo),
                failover_min_ms: quantile(&fo, 0.0),
                failover_max_ms: quantile(&fo, 1.0),
                errors: median(&series(*inter, p, |r| r.errors as f64)),
                down_logged_ms: median(&series(*inter, p, |r| {
                    r.down_logged_ms.unwrap_or(f64::NAN)
                })),
                errors_after_down: mine.iter().map(|r| r.errors_after_down).sum(),
                still_failing: mine.iter().filter(|r| r.still_failing).count(),
                rounds: mine.len(),
            }
        })
        .collect();
    let mut ratios = Vec::new();
    for (inter, p) in &keys {
        if p == "lbd" {
            continue;
        }
        if !keys.contains(&(*inter, "lbd".to_string())) {
            continue;
        }
        ratios.push(FailoverRatio {
            name: format!("lbd/{p}"),
            inter_ms: *inter,
            failover: ratio_summary(
                &series(*inter, "lbd", |r| r.failover_ms),
                &series(*inter, p, |r| r.failover_ms),
            ),
            errors: ratio_summary(
                &series(*inter, "lbd", |r| r.errors as f64),
                &series(*inter, p, |r| r.errors as f64),
            ),
        });
    }
    FailoverSummary { rows, ratios }
}

pub fn table(s: &FailoverSummary) -> String {
    use std::fmt::Write;
    let mut t = String::from(
        "| checks | proxy | failover ms | [min–max] | errors | DOWN logged ms | errors after DOWN | still failing |\n\
         |---|---|---:|---:|---:|---:|---:|---:|\n",
    );
    for r in &s.rows {
        let _ = writeln!(
            t,
            "| inter {}ms fall 2 | {} | {:.0} | [{:.0}–{:.0}] | {:.0} | {:.0} | {} | {}/{} |",
            r.inter_ms,
            r.proxy,
            r.failover_ms,
            r.failover_min_ms,
            r.failover_max_ms,
            r.errors,
            r.down_logged_ms,
            r.errors_after_down,
            r.still_failing,
            r.rounds
        );
    }
    if !s.ratios.is_empty() {
        t.push_str(
            "\n| ratio (median [p25–p75] of per-round ratios) | checks | failover ms | errors |\n\
             |---|---|---:|---:|\n",
        );
        for r in &s.ratios {
            let cell = |x: &RatioSummary| format!("{:.3} [{:.3}–{:.3}]", x.median, x.p25, x.p75);
            let _ = writeln!(
                t,
                "| {} | inter {}ms | {} | {} |",
                r.name,
                r.inter_ms,
                cell(&r.failover),
                cell(&r.errors)
            );
        }
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_round_counts_only_errors_after_the_kill() {
        let t0 = Instant::now();
        let at = |ms: u64| t0 + Duration::from_millis(ms);
        let r = Record {
            errors: vec![
                (at(5), ErrorKind::Connect),
                (at(120), ErrorKind::Status(503)),
                (at(150), ErrorKind::Closed),
                (at(1300), ErrorKind::Status(503)),
            ],
            oks: 10,
            last_ok: [None, None],
        };
        let f = summarize_round("lbd", 1000, 0, &r, at(100), Some(at(1200)), false);
        assert_eq!(f.errors, 3);
        assert_eq!(f.status_errors, 2);
        assert_eq!(f.closed_errors, 1);
        assert_eq!(f.errors_after_down, 1);
        assert!((f.failover_ms - 1200.0).abs() < 1e-6);
        assert!(f.down_logged_ms.is_some_and(|d| (d - 1100.0).abs() < 1e-6));
    }

    #[test]
    fn no_error_means_zero_failover_time() {
        let f = summarize_round(
            "haproxy",
            100,
            0,
            &Record::default(),
            Instant::now(),
            None,
            false,
        );
        assert_eq!((f.failover_ms, f.errors), (0.0, 0));
        let s = summarize(&[f]);
        assert!(table(&s).contains("| inter 100ms fall 2 | haproxy | 0 |"));
    }
}
