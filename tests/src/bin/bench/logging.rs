//! Logging cost: the HTTP keep-alive benchmark with each proxy run twice, plain and
//! logging every request (HAProxy/lbd: `option httplog` to `log 127.0.0.1:P local0`;
//! NGINX: `access_log syslog:server=127.0.0.1:P`), all instances in the same alternating
//! rounds. Reports what logging costs each proxy (throughput kept, CPU added per request),
//! lbd's cost against the others', and log lines received against requests served, so a
//! proxy that drops lines shows it. Each logging instance has its own sink.

use std::time::Duration;

use anyhow::Result;
use serde::Serialize;

use crate::run::{self, Env, HttpLoad, Outcome, ProxySpec, Sample};
use crate::stats::{median, ratio_summary, RatioSummary};
use crate::syslog_sink::SyslogSink;

/// Lines of the last requests are still in flight when wrk stops.
const SETTLE: Duration = Duration::from_millis(300);

/// Log lines against requests for one logging instance, over the whole benchmark
/// (warm-up included).
#[derive(Debug, Clone, Serialize)]
pub struct LogCount {
    pub proxy: String,
    pub requests: u64,
    pub lines: u64,
    /// Datagrams the kernel dropped at the sink (the sink's fault, not the proxy's).
    pub sink_drops: u64,
}

pub fn run(env: &Env, proxies: &[ProxySpec]) -> Result<(Outcome<HttpLoad>, Vec<LogCount>)> {
    let mut sinks = Vec::new();
    let mut specs = Vec::new();
    for p in proxies {
        let sink = SyslogSink::start(&[])?;
        specs.push(p.clone());
        specs.push(ProxySpec {
            log_port: Some(sink.port()),
            ..p.clone()
        });
        sinks.push((p.name.clone(), sink));
    }
    let outcome = run::http(env, &specs)?;
    std::thread::sleep(SETTLE);
    let counts = sinks
        .iter()
        .map(|(name, sink)| {
            let label = format!("{name}+log");
            let requests = outcome
                .samples
                .iter()
                .chain(&outcome.warmup)
                .filter(|s| s.proxy == label)
                .map(|s| s.load.requests)
                .sum();
            LogCount {
                proxy: name.clone(),
                requests,
                lines: sink.datagrams(),
                sink_drops: sink.kernel_drops(),
            }
        })
        .collect();
    Ok((outcome, counts))
}

/// What logging costs one proxy.
#[derive(Debug, Serialize)]
pub struct LoggingRow {
    pub proxy: String,
    pub rps_plain: f64,
    pub rps_log: f64,
    /// Median over rounds of req/s with logging ÷ without (1 = free).
    pub rps_kept: RatioSummary,
    pub cpu_plain: f64,
    pub cpu_log: f64,
    /// Median over rounds of CPU µs/req with logging − without.
    pub cpu_added: RatioSummary,
    pub errors: u64,
    pub count: Option<LogCount>,
}

/// lbd's logging cost against another proxy's, round by round.
#[derive(Debug, Serialize)]
pub struct LoggingComparison {
    pub name: String,
    /// lbd's kept throughput ÷ the other's (above 1: logging costs lbd less).
    pub kept_ratio: RatioSummary,
    /// lbd's added CPU µs/req − the other's (below 0: logging costs lbd less).
    pub cpu_added_diff: RatioSummary,
}

#[derive(Debug, Serialize)]
pub struct LoggingSummary {
    pub rows: Vec<LoggingRow>,
    pub comparisons: Vec<LoggingComparison>,
}

fn series(o: &Outcome<HttpLoad>, label: &str, f: fn(&Sample<HttpLoad>) -> f64) -> Vec<f64> {
    o.samples
        .iter()
        .filter(|s| s.proxy == label)
        .map(f)
        .collect()
}

fn rps(s: &Sample<HttpLoad>) -> f64 {
    s.load.rps
}

fn cpu(s: &Sample<HttpLoad>) -> f64 {
    s.cpu_us as f64 / s.load.requests.max(1) as f64
}

/// Per-round (with logging) ÷ (without), and (with) − (without) of CPU per request.
fn per_round(o: &Outcome<HttpLoad>, name: &str) -> (Vec<f64>, Vec<f64>) {
    let log = format!("{name}+log");
    let kept = series(o, &log, rps)
        .iter()
        .zip(series(o, name, rps))
        .map(|(l, p)| l / p)
        .collect();
    let added = series(o, &log, cpu)
        .iter()
        .zip(series(o, name, cpu))
        .map(|(l, p)| l - p)
        .collect();
    (kept, added)
}

fn spread(v: &[f64]) -> RatioSummary {
    use crate::stats::quantile;
    RatioSummary {
        median: median(v),
        p25: quantile(v, 0.25),
        p75: quantile(v, 0.75),
    }
}

pub fn summarize(o: &Outcome<HttpLoad>, counts: &[LogCount]) -> LoggingSummary {
    let names: Vec<String> = counts.iter().map(|c| c.proxy.clone()).collect();
    let rows = names
        .iter()
        .map(|n| {
            let log = format!("{n}+log");
            let (kept, added) = per_round(o, n);
            LoggingRow {
                proxy: n.clone(),
                rps_plain: median(&series(o, n, rps)),
                rps_log: median(&series(o, &log, rps)),
                rps_kept: spread(&kept),
                cpu_plain: median(&series(o, n, cpu)),
                cpu_log: median(&series(o, &log, cpu)),
                cpu_added: spread(&added),
                errors: o
                    .samples
                    .iter()
                    .filter(|s| s.proxy == *n || s.proxy == log)
                    .map(|s| s.load.errors)
                    .sum(),
                count: counts.iter().find(|c| &c.proxy == n).cloned(),
            }
        })
        .collect();
    let mut comparisons = Vec::new();
    if names.iter().any(|n| n == "lbd") {
        let (lbd_kept, lbd_added) = per_round(o, "lbd");
        for other in names.iter().filter(|n| *n != "lbd") {
            let (kept, added) = per_round(o, other);
            let diff: Vec<f64> = lbd_added.iter().zip(&added).map(|(a, b)| a - b).collect();
            comparisons.push(LoggingComparison {
                name: format!("lbd vs {other}"),
                kept_ratio: ratio_summary(&lbd_kept, &kept),
                cpu_added_diff: spread(&diff),
            });
        }
    }
    LoggingSummary { rows, comparisons }
}

pub fn table(s: &LoggingSummary) -> String {
    use std::fmt::Write;
    let cell = |x: &RatioSummary| format!("{:.3} [{:.3}–{:.3}]", x.median, x.p25, x.p75);
    let cell2 = |x: &RatioSummary| format!("{:+.2} [{:+.2}–{:+.2}]", x.median, x.p25, x.p75);
    let mut t = String::from(
        "| proxy | req/s plain | req/s logging | kept (log÷plain) | CPU µs/req plain | CPU µs/req logging | added µs/req | errors | requests (logging) | log lines | lines/request | sink drops |\n\
         |---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    for r in &s.rows {
        let (req, lines, per, drops) = match &r.count {
            Some(c) => (
                c.requests.to_string(),
                c.lines.to_string(),
                format!("{:.4}", c.lines as f64 / c.requests.max(1) as f64),
                c.sink_drops.to_string(),
            ),
            None => ("-".into(), "-".into(), "-".into(), "-".into()),
        };
        let _ = writeln!(
            t,
            "| {} | {:.0} | {:.0} | {} | {:.2} | {:.2} | {} | {} | {req} | {lines} | {per} | {drops} |",
            r.proxy,
            r.rps_plain,
            r.rps_log,
            cell(&r.rps_kept),
            r.cpu_plain,
            r.cpu_log,
            cell2(&r.cpu_added),
            r.errors,
        );
    }
    if !s.comparisons.is_empty() {
        t.push_str(
            "\n| logging cost (median [p25–p75] over rounds) | kept throughput lbd ÷ other | added CPU µs/req lbd − other |\n\
             |---|---:|---:|\n",
        );
        for c in &s.comparisons {
            let _ = writeln!(
                t,
                "| {} | {} | {} |",
                c.name,
                cell(&c.kept_ratio),
                cell2(&c.cpu_added_diff)
            );
        }
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(proxy: &str, round: usize, rps: f64, cpu_us: u64) -> Sample<HttpLoad> {
        Sample {
            proxy: proxy.into(),
            round,
            cpu_us,
            backend_cpu_us: 0,
            load: HttpLoad {
                requests: rps as u64,
                rps,
                p50_us: 1.0,
                p99_us: 1.0,
                errors: 0,
            },
        }
    }

    #[test]
    fn compares_each_proxys_logging_cost_round_by_round() {
        let o = Outcome {
            samples: vec![
                sample("lbd", 0, 1000.0, 10_000),
                sample("lbd+log", 0, 900.0, 10_800),
                sample("haproxy", 0, 1000.0, 10_000),
                sample("haproxy+log", 0, 800.0, 9_600),
            ],
            warmup: vec![sample("lbd+log", 0, 100.0, 0)],
            memory: vec![],
        };
        let counts = vec![
            LogCount {
                proxy: "lbd".into(),
                requests: 1000,
                lines: 990,
                sink_drops: 0,
            },
            LogCount {
                proxy: "haproxy".into(),
                requests: 800,
                lines: 800,
                sink_drops: 0,
            },
        ];
        let s = summarize(&o, &counts);
        assert!((s.rows[0].rps_kept.median - 0.9).abs() < 1e-9);
        assert!((s.rows[0].cpu_added.median - 2.0).abs() < 1e-9);
        assert!((s.rows[1].cpu_added.median - 2.0).abs() < 1e-9);
        assert!((s.comparisons[0].kept_ratio.median - 0.9 / 0.8).abs() < 1e-9);
        assert!(table(&s).contains("| 1000 | 990 | 0.9900 | 0 |"));
    }
}
