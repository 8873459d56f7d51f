//! Running wrk for one round and reading its `--latency` report.

use anyhow::{bail, Context, Result};

/// What one wrk round reported.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WrkReport {
    pub requests: u64,
    pub requests_per_sec: f64,
    pub p50_us: f64,
    pub p99_us: f64,
    /// Socket errors (connect+read+write+timeout) plus non-2xx/3xx responses.
    pub errors: u64,
}

/// Arguments for `wrk` against `url` for `secs` whole seconds (wrk takes no fractions).
pub fn args(url: &str, conns: usize, secs: u64) -> Vec<String> {
    vec![
        "-t1".into(),
        format!("-c{conns}"),
        format!("-d{secs}s"),
        "--timeout".into(),
        "5s".into(),
        "--latency".into(),
        url.into(),
    ]
}

/// Parses wrk 4.x output such as:
/// ```text
///   Latency Distribution
///      50%  310.00us
///      99%    1.20ms
///   123456 requests in 1.00s, 20.00MB read
///   Socket errors: connect 0, read 2, write 0, timeout 0
///   Non-2xx or 3xx responses: 5
/// Requests/sec: 123000.00
/// ```
pub fn parse(out: &str) -> Result<WrkReport> {
    let mut r = WrkReport::default();
    let mut seen_rps = false;
    for line in out.lines().map(str::trim) {
        let mut words = line.split_whitespace();
        let first = words.next().unwrap_or("");
        match first {
            "50%" => r.p50_us = parse_duration_us(words.next().unwrap_or(""))?,
            "99%" => r.p99_us = parse_duration_us(words.next().unwrap_or(""))?,
            "Requests/sec:" => {
                r.requests_per_sec = words
                    .next()
                    .unwrap_or("")
                    .parse()
                    .context(line.to_string())?;
                seen_rps = true;
            }
            "Socket" => {
                r.errors += line
                    .split(|c: char| !c.is_ascii_digit())
                    .filter_map(|n| n.parse::<u64>().ok())
                    .sum::<u64>();
            }
            "Non-2xx" => {
                r.errors += line
                    .rsplit(' ')
                    .next()
                    .unwrap_or("")
                    .parse::<u64>()
                    .unwrap_or(0);
            }
            _ if words.next() == Some("requests") => {
                r.requests = first.parse().context(line.to_string())?;
            }
            _ => {}
        }
    }
    if !seen_rps {
        bail!("wrk output has no Requests/sec line:\n{out}");
    }
    Ok(r)
}

fn parse_duration_us(s: &str) -> Result<f64> {
    let split = s
        .find(|c: char| c.is_ascii_alphabetic())
        .with_context(|| format!("duration without unit: {s:?}"))?;
    let (num, unit) = s.split_at(split);
    let v: f64 = num.parse().with_context(|| format!("bad duration {s:?}"))?;
    let scale = match unit {
        "us" => 1.0,
        "ms" => 1e3,
        "s" => 1e6,
        "m" => 60e6,
        _ => bail!("unknown duration unit in {s:?}"),
    };
    Ok(v * scale)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "Running 1s test @ http://127.0.0.1:1234/
  1 threads and 50 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   412.34us  100.00us   3.01ms   90.00%
    Req/Sec    61.23k     1.20k   63.00k    80.00%
  Latency Distribution
     50%  398.00us
     75%  420.00us
     90%  480.00us
     99%    1.21ms
  61234 requests in 1.00s, 9.87MB read
  Socket errors: connect 0, read 3, write 0, timeout 1
  Non-2xx or 3xx responses: 7
Requests/sec:  61200.50
Transfer/sec:      9.86MB
";

    #[test]
    fn reads_throughput_latency_and_errors() {
        let r = parse(SAMPLE).unwrap_or_default();
        assert_eq!(r.requests, 61234);
        assert_eq!(r.requests_per_sec, 61200.5);
        assert_eq!(r.p50_us, 398.0);
        assert_eq!(r.p99_us, 1210.0);
        assert_eq!(r.errors, 11);
    }

    #[test]
    fn output_without_a_result_is_an_error() {
        assert!(parse("unable to connect to 127.0.0.1:1 Connection refused").is_err());
    }
}
