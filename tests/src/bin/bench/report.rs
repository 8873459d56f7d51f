//! Turning samples into medians and lbd-relative ratios, printed as Markdown tables (so a
//! run can be pasted into tests/bench/results/) and kept as JSON.

use std::fmt::Write;

use serde::Serialize;

use crate::run::{HttpLoad, Memory, Outcome, Sample, TcpLoad};
use crate::stats::{median, ratio_summary, RatioSummary};

/// Per-proxy medians of the HTTP rounds.
#[derive(Debug, Serialize)]
pub struct HttpRow {
    pub proxy: String,
    pub rps: f64,
    pub p50_us: f64,
    pub p99_us: f64,
    pub cpu_us_per_req: f64,
    pub backend_cpu_us_per_req: f64,
    pub errors: u64,
    pub rss_kib: u64,
    pub hwm_kib: u64,
}

/// Per-proxy medians of the L4 rounds.
#[derive(Debug, Serialize)]
pub struct TcpRow {
    pub proxy: String,
    pub mb_per_s: f64,
    pub cpu_ms_per_gb: f64,
    pub backend_cpu_ms_per_gb: f64,
    pub rss_kib: u64,
    pub hwm_kib: u64,
}

/// lbd against one other proxy: medians of per-round ratios (>1 means lbd's number is
/// bigger: better for throughput, worse for CPU and latency).
#[derive(Debug, Serialize)]
pub struct Ratio {
    pub name: String,
    pub throughput: RatioSummary,
    pub cpu: RatioSummary,
    pub p99: Option<RatioSummary>,
}

#[derive(Debug, Serialize)]
pub struct Summary<R> {
    pub rows: Vec<R>,
    pub ratios: Vec<Ratio>,
}

fn proxies<T>(samples: &[Sample<T>]) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for s in samples {
        if !names.contains(&s.proxy) {
            names.push(s.proxy.clone());
        }
    }
    names
}

/// Per-round values of one metric for one proxy, in round order.
fn series<T>(samples: &[Sample<T>], proxy: &str, f: impl Fn(&Sample<T>) -> f64) -> Vec<f64> {
    samples.iter().filter(|s| s.proxy == proxy).map(f).collect()
}

fn memory(mem: &[Memory], proxy: &str) -> (u64, u64) {
    mem.iter()
        .find(|m| m.proxy == proxy)
        .map_or((0, 0), |m| (m.rss_kib, m.hwm_kib))
}

fn cpu_per_req(s: &Sample<HttpLoad>) -> f64 {
    s.cpu_us as f64 / s.load.requests.max(1) as f64
}

fn backend_cpu_per_req(s: &Sample<HttpLoad>) -> f64 {
    s.backend_cpu_us as f64 / s.load.requests.max(1) as f64
}

fn mb_per_s(s: &Sample<TcpLoad>) -> f64 {
    s.load.bytes as f64 / s.load.elapsed_us.max(1) as f64
}

fn cpu_ms_per_gb(s: &Sample<TcpLoad>) -> f64 {
    (s.cpu_us as f64 / 1e3) / (s.load.bytes.max(1) as f64 / 1e9)
}

fn backend_cpu_ms_per_gb(s: &Sample<TcpLoad>) -> f64 {
    (s.backend_cpu_us as f64 / 1e3) / (s.load.bytes.max(1) as f64 / 1e9)
}

pub fn summarize_http(o: &Outcome<HttpLoad>) -> Summary<HttpRow> {
    let names = proxies(&o.samples);
    let rows = names
        .iter()
        .map(|p| {
            let (rss_kib, hwm_kib) = memory(&o.memory, p);
            HttpRow {
                proxy: p.clone(),
                rps: median(&series(&o.samples, p, |s| s.load.rps)),
                p50_us: median(&series(&o.samples, p, |s| s.load.p50_us)),
                p99_us: median(&series(&o.samples, p, |s| s.load.p99_us)),
                cpu_us_per_req: median(&series(&o.samples, p, cpu_per_req)),
                backend_cpu_us_per_req: median(&series(&o.samples, p, backend_cpu_per_req)),
                errors: o
                    .samples
                    .iter()
                    .filter(|s| &s.proxy == p)
                    .map(|s| s.load.errors)
                    .sum(),
                rss_kib,
                hwm_kib,
            }
        })
        .collect();
    let ratios = lbd_ratios(&names, |a, b| {
        let rps = |p| series(&o.samples, p, |s| s.load.rps);
        let cpu = |p| series(&o.samples, p, cpu_per_req);
        let p99 = |p| series(&o.samples, p, |s| s.load.p99_us);
        (
            ratio_summary(&rps(a), &rps(b)),
            ratio_summary(&cpu(a), &cpu(b)),
            Some(ratio_summary(&p99(a), &p99(b))),
        )
    });
    Summary { rows, ratios }
}

pub fn summarize_tcp(o: &Outcome<TcpLoad>) -> Summary<TcpRow> {
    let names = proxies(&o.samples);
    let rows = names
        .iter()
        .map(|p| {
            let (rss_kib, hwm_kib) = memory(&o.memory, p);
            TcpRow {
                proxy: p.clone(),
                mb_per_s: median(&series(&o.samples, p, mb_per_s)),
                cpu_ms_per_gb: median(&series(&o.samples, p, cpu_ms_per_gb)),
                backend_cpu_ms_per_gb: median(&series(&o.samples, p, backend_cpu_ms_per_gb)),
                rss_kib,
                hwm_kib,
            }
        })
        .collect();
    let ratios = lbd_ratios(&names, |a, b| {
        let tput = |p| series(&o.samples, p, mb_per_s);
        let cpu = |p| series(&o.samples, p, cpu_ms_per_gb);
        (
            ratio_summary(&tput(a), &tput(b)),
            ratio_summary(&cpu(a), &cpu(b)),
            None,
        )
    });
    Summary { rows, ratios }
}

type RatioSet = (RatioSummary, RatioSummary, Option<RatioSummary>);

fn lbd_ratios(names: &[String], f: impl Fn(&str, &str) -> RatioSet) -> Vec<Ratio> {
    if !names.iter().any(|n| n == "lbd") {
        return Vec::new();
    }
    names
        .iter()
        .filter(|n| *n != "lbd")
        .map(|other| {
            let (throughput, cpu, p99) = f("lbd", other);
            Ratio {
                name: format!("lbd/{other}"),
                throughput,
                cpu,
                p99,
            }
        })
        .collect()
}

fn mib(kib: u64) -> String {
    format!("{:.1}", kib as f64 / 1024.0)
}

fn ratio_cell(r: &RatioSummary) -> String {
    format!("{:.3} [{:.3}–{:.3}]", r.median, r.p25, r.p75)
}

pub fn http_table(s: &Summary<HttpRow>) -> String {
    let mut t = String::from(
        "| proxy | req/s | p50 µs | p99 µs | CPU µs/req | backend µs/req | errors | RSS MiB | HWM MiB |\n\
         |---|---:|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    for r in &s.rows {
        let _ = writeln!(
            t,
            "| {} | {:.0} | {:.0} | {:.0} | {:.2} | {:.2} | {} | {} | {} |",
            r.proxy,
            r.rps,
            r.p50_us,
            r.p99_us,
            r.cpu_us_per_req,
            r.backend_cpu_us_per_req,
            r.errors,
            mib(r.rss_kib),
            mib(r.hwm_kib)
        );
    }
    t + &ratio_table(&s.ratios, "req/s")
}

pub fn tcp_table(s: &Summary<TcpRow>) -> String {
    let mut t = String::from(
        "| proxy | MB/s | CPU ms/GB | backend ms/GB | RSS MiB | HWM MiB |\n\
         |---|---:|---:|---:|---:|---:|\n",
    );
    for r in &s.rows {
        let _ = writeln!(
            t,
            "| {} | {:.0} | {:.1} | {:.1} | {} | {} |",
            r.proxy,
            r.mb_per_s,
            r.cpu_ms_per_gb,
            r.backend_cpu_ms_per_gb,
            mib(r.rss_kib),
            mib(r.hwm_kib)
        );
    }
    t + &ratio_table(&s.ratios, "MB/s")
}

fn ratio_table(ratios: &[Ratio], throughput: &str) -> String {
    if ratios.is_empty() {
        return String::new();
    }
    let with_p99 = ratios.iter().any(|r| r.p99.is_some());
    let mut t = format!(
        "\n| ratio (median [p25–p75] of per-round ratios) | {throughput} | CPU per unit |{}\n|---|---:|---:|{}\n",
        if with_p99 { " p99 |" } else { "" },
        if with_p99 { "---:|" } else { "" },
    );
    for r in ratios {
        let _ = writeln!(
            t,
            "| {} | {} | {} |{}",
            r.name,
            ratio_cell(&r.throughput),
            ratio_cell(&r.cpu),
            r.p99
                .as_ref()
                .map(|p| format!(" {} |", ratio_cell(p)))
                .unwrap_or_default()
        );
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
            backend_cpu_us: cpu_us / 2,
            load: HttpLoad {
                requests: rps as u64,
                rps,
                p50_us: 100.0,
                p99_us: 200.0,
                errors: 0,
            },
        }
    }

    #[test]
    fn ratios_compare_lbd_round_by_round() {
        let o = Outcome {
            samples: vec![
                sample("lbd", 0, 1000.0, 5000),
                sample("haproxy", 0, 2000.0, 10000),
                sample("haproxy", 1, 500.0, 2500),
                sample("lbd", 1, 250.0, 1250),
                sample("lbd", 2, 900.0, 4500),
                sample("haproxy", 2, 1800.0, 9000),
            ],
            warmup: vec![],
            memory: vec![],
        };
        let s = summarize_http(&o);
        assert_eq!(s.ratios.len(), 1);
        assert_eq!(s.ratios[0].name, "lbd/haproxy");
        assert_eq!(s.ratios[0].throughput.median, 0.5);
        assert_eq!(s.ratios[0].cpu.median, 1.0);
        assert_eq!(s.rows[0].cpu_us_per_req, 5.0);
        assert!(http_table(&s).contains("| lbd/haproxy | 0.500 [0.500–0.500]"));
    }
}
