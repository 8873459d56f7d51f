//! Command-line options of the harness (hand-parsed: a dozen flags do not need a crate).

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{bail, Context, Result};

pub const USAGE: &str = "\
usage: bench [options]
  --only LIST            comma list of http, tcp, failover, logging, bigconfig, edge,
                         reload, tls, h2, or all (default: http,tcp,failover; logging doubles
                         the HTTP run; bigconfig: show stat latency and req/s with 1,000
                         servers; edge: 50 ACLs/rules + 10k map vs plain config;
                         reload: SIGUSR2 to new config serving with 10,000 servers, and
                         req/s under one reload a second, -W, ~1 min per proxy;
                         tls: new/resumed TLS 1.3 handshakes, HTTPS keep-alive, idle
                         memory at 5,000 TLS connections; h2: h2load over TLS and
                         cleartext; lbd and HAProxy only)
  --quick                smoke run: 3 rounds (2 failover rounds), short TCP rounds
  --rounds N             measured rounds per proxy (default 15)
  --failover-rounds N    failover rounds per proxy and check interval (default 5)
  --storm-pairs N        reload scenario: steady/storm pairs of 5 s wrk rounds (default 3)
  --threads N            proxy threads/workers (default 1)
  --conns N              wrk connections (default 50)
  --secs N               wrk seconds per round (default 1; wrk takes whole seconds)
  --tcp-conns N          L4 connections (default 8)
  --tcp-ms N             L4 milliseconds per round (default 500)
  --proxies LIST         comma list of lbd,haproxy,nginx (default all three)
  --lbd PATH             lbd binary (default target/release/lbd); e.g. /usr/sbin/haproxy
                         for an A/A run that shows the noise floor
  --haproxy PATH         (default /usr/sbin/haproxy)
  --nginx PATH           (default /usr/sbin/nginx)
  --max-steal PCT        repeat a round (tls, h2) or steady/storm pair (reload) whose CPU
                         the hypervisor stole more than PCT% of, up to as many times as
                         there are rounds (default 3; 100 never repeats)
  --pin                  pin the proxy to the last CPU(s), wrk and backend to the others
  --json PATH            where to write the JSON result (default target/bench/<time>.json)
";

/// One benchmark of the harness.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bench {
    Http,
    Tcp,
    Failover,
    Logging,
    BigConfig,
    Edge,
    Reload,
    Tls,
    H2,
}

/// The benchmarks a run includes (`--only`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Only(Vec<Bench>);

impl Only {
    /// Without `--only`: logging is left out because it runs every proxy twice, which
    /// would take the full run from about 2 to about 4 minutes.
    pub fn default_set() -> Only {
        Only(vec![Bench::Http, Bench::Tcp, Bench::Failover])
    }

    /// `http,logging`, or `all`.
    pub fn parse(list: &str) -> Result<Only> {
        let mut v = Vec::new();
        for name in list.split(',').map(str::trim) {
            let add: &[Bench] = match name {
                "http" => &[Bench::Http],
                "tcp" => &[Bench::Tcp],
                "failover" => &[Bench::Failover],
                "logging" => &[Bench::Logging],
                "bigconfig" => &[Bench::BigConfig],
                "edge" => &[Bench::Edge],
                "reload" => &[Bench::Reload],
                "tls" => &[Bench::Tls],
                "h2" => &[Bench::H2],
                "all" => &[
                    Bench::Http,
                    Bench::Tcp,
                    Bench::Failover,
                    Bench::Logging,
                    Bench::BigConfig,
                    Bench::Edge,
                    Bench::Reload,
                    Bench::Tls,
                    Bench::H2,
                ],
                other => bail!(
                    "--only takes a comma list of http, tcp, failover, logging, bigconfig, edge, reload, tls, h2 or all, not {other:?}"
                ),
            };
            for b in add {
                if !v.contains(b) {
                    v.push(*b);
                }
            }
        }
        Ok(Only(v))
    }

    pub fn runs(&self, b: Bench) -> bool {
        self.0.contains(&b)
    }
}

#[derive(Debug, Clone)]
pub struct Options {
    pub only: Only,
    pub rounds: usize,
    pub failover_rounds: usize,
    /// Steady/storm wrk round pairs per proxy in the reload scenario.
    pub storm_pairs: usize,
    pub threads: usize,
    pub conns: usize,
    pub secs: u64,
    pub tcp_conns: usize,
    pub tcp_round: Duration,
    pub proxies: Vec<String>,
    pub lbd: PathBuf,
    pub haproxy: PathBuf,
    pub nginx: PathBuf,
    pub pin: bool,
    /// Steal share (percent of the machine's CPU time) above which a round is repeated.
    pub max_steal: f64,
    pub json: PathBuf,
    pub quick: bool,
}

/// The workspace root, known at compile time (the harness runs from the source tree).
pub fn workspace_root() -> PathBuf {
    let manifest = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().unwrap_or(manifest).to_path_buf()
}

impl Options {
    pub fn parse(args: &[String]) -> Result<Options> {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let root = workspace_root();
        let mut o = Options {
            only: Only::default_set(),
            rounds: 15,
            failover_rounds: 5,
            storm_pairs: 3,
            threads: 1,
            conns: 50,
            secs: 1,
            tcp_conns: 8,
            tcp_round: Duration::from_millis(500),
            proxies: vec!["lbd".into(), "haproxy".into(), "nginx".into()],
            lbd: root.join("target/release/lbd"),
            haproxy: "/usr/sbin/haproxy".into(),
            nginx: "/usr/sbin/nginx".into(),
            pin: false,
            max_steal: 3.0,
            json: root.join(format!("target/bench/{now}.json")),
            quick: false,
        };
        let mut explicit_rounds = false;
        let mut explicit_failover_rounds = false;
        let mut it = args.iter();
        while let Some(flag) = it.next() {
            let mut value = || {
                it.next()
                    .cloned()
                    .with_context(|| format!("{flag} needs a value\n{USAGE}"))
            };
            match flag.as_str() {
                "--only" => {
                    o.only = Only::parse(&value()?)?;
                }
                "--quick" => o.quick = true,
                "--rounds" => {
                    o.rounds = number(flag, &value()?)?;
                    explicit_rounds = true;
                }
                "--failover-rounds" => {
                    o.failover_rounds = number(flag, &value()?)?;
                    explicit_failover_rounds = true;
                }
                "--storm-pairs" => o.storm_pairs = number(flag, &value()?)?.max(1),
                "--threads" => o.threads = number(flag, &value()?)?,
                "--conns" => o.conns = number(flag, &value()?)?,
                "--secs" => o.secs = number(flag, &value()?)? as u64,
                "--tcp-conns" => o.tcp_conns = number(flag, &value()?)?,
                "--tcp-ms" => o.tcp_round = Duration::from_millis(number(flag, &value()?)? as u64),
                "--proxies" => {
                    o.proxies = value()?.split(',').map(|s| s.trim().to_string()).collect();
                    if let Some(bad) = o
                        .proxies
                        .iter()
                        .find(|p| !["lbd", "haproxy", "nginx"].contains(&p.as_str()))
                    {
                        bail!("unknown proxy {bad:?} in --proxies (lbd, haproxy, nginx)");
                    }
                }
                "--lbd" => o.lbd = value()?.into(),
                "--haproxy" => o.haproxy = value()?.into(),
                "--nginx" => o.nginx = value()?.into(),
                "--pin" => o.pin = true,
                "--max-steal" => {
                    let v = value()?;
                    o.max_steal = v
                        .parse::<f64>()
                        .ok()
                        .filter(|p| p.is_finite() && *p >= 0.0)
                        .with_context(|| format!("--max-steal wants a percentage, not {v:?}"))?;
                }
                "--json" => o.json = value()?.into(),
                "-h" | "--help" => {
                    print!("{USAGE}");
                    std::process::exit(0);
                }
                other => bail!("unknown option {other:?}\n{USAGE}"),
            }
        }
        if o.quick {
            if !explicit_rounds {
                o.rounds = 3;
            }
            if !explicit_failover_rounds {
                o.failover_rounds = 2;
            }
            o.tcp_round = o.tcp_round.min(Duration::from_millis(300));
        }
        if o.failover_rounds == 0 || o.failover_rounds > 100 {
            bail!("failover rounds must be 1..=100");
        }
        if o.rounds == 0 || o.rounds > 1000 || o.threads == 0 || o.conns == 0 || o.tcp_conns == 0 {
            bail!("rounds (1..=1000), threads, conns and tcp-conns must be positive");
        }
        if o.secs == 0 || o.secs > 60 || o.tcp_round.is_zero() || o.tcp_round.as_secs() > 60 {
            bail!("round durations must be between 1 ms and 60 s");
        }
        Ok(o)
    }
}

fn number(flag: &str, v: &str) -> Result<usize> {
    v.parse()
        .with_context(|| format!("{flag} takes a positive integer, not {v:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Options> {
        Options::parse(&args.iter().map(|s| s.to_string()).collect::<Vec<_>>())
    }

    #[test]
    fn quick_shortens_rounds_unless_given() {
        assert_eq!(parse(&["--quick"]).map(|o| o.rounds).unwrap_or(0), 3);
        assert_eq!(
            parse(&["--quick", "--rounds", "5"])
                .map(|o| o.rounds)
                .unwrap_or(0),
            5
        );
    }

    #[test]
    fn rejects_unknown_flags_and_proxies() {
        assert!(parse(&["--frobnicate"]).is_err());
        assert!(parse(&["--proxies", "lbd,envoy"]).is_err());
        assert!(parse(&["--only", "udp"]).is_err());
        assert!(parse(&["--failover-rounds", "0"]).is_err());
    }

    #[test]
    fn only_selects_one_benchmark() {
        let o = parse(&["--only", "failover"]).map(|o| o.only);
        assert!(o.is_ok_and(|o| o.runs(Bench::Failover) && !o.runs(Bench::Http)));
        let o = parse(&["--only", "http,logging"]).map(|o| o.only);
        assert!(o.is_ok_and(|o| o.runs(Bench::Logging) && o.runs(Bench::Http)));
        let o = parse(&[]).map(|o| o.only);
        assert!(o.is_ok_and(|o| o.runs(Bench::Failover) && !o.runs(Bench::Logging)));
        let o = parse(&["--only", "all"]).map(|o| o.only);
        assert!(o.is_ok_and(|o| o.runs(Bench::Logging) && o.runs(Bench::Tcp)));
    }
}
