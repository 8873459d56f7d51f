//! Running h2load for one round and reading its summary.

use anyhow::{bail, Context, Result};

/// Streams per connection and connections: enough concurrency for a one-thread proxy.
pub const CONNS: usize = 10;
pub const STREAMS: usize = 10;

/// What one h2load round reported.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct H2Report {
    pub rps: f64,
    pub succeeded: u64,
    /// failed + errored + timeout requests, plus non-2xx statuses.
    pub errors: u64,
}

/// h2load for `secs` seconds: an `https` URL negotiates h2 by ALPN, an `http` one speaks
/// h2 with prior knowledge.
pub fn args(url: &str, secs: u64) -> Vec<String> {
    vec![
        "-t1".into(),
        format!("-c{CONNS}"),
        format!("-m{STREAMS}"),
        "-D".into(),
        secs.to_string(),
        url.into(),
    ]
}

fn count_before(line: &str, word: &str) -> Option<u64> {
    let words: Vec<&str> = line
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|w| !w.is_empty())
        .collect();
    let i = words.iter().position(|w| *w == word)?;
    words.get(i.checked_sub(1)?)?.parse().ok()
}

/// Parses h2load 1.5x output:
/// ```text
/// finished in 1.00s, 45000.00 req/s, 1.50MB/s
/// requests: 45000 total, 45100 started, 45000 done, 45000 succeeded, 0 failed, 0 errored, 0 timeout
/// status codes: 45000 2xx, 0 3xx, 0 4xx, 0 5xx
/// ```
pub fn parse(out: &str) -> Result<H2Report> {
    let mut r = H2Report::default();
    let mut seen = false;
    for line in out.lines().map(str::trim) {
        if let Some(rest) = line.strip_prefix("finished in ") {
            let v = rest.split(',').nth(1).unwrap_or("").trim();
            r.rps = v
                .strip_suffix(" req/s")
                .unwrap_or("")
                .parse()
                .with_context(|| line.to_string())?;
            seen = true;
        } else if line.starts_with("requests:") {
            r.succeeded = count_before(line, "succeeded").unwrap_or(0);
            for w in ["failed", "errored", "timeout"] {
                r.errors += count_before(line, w).unwrap_or(0);
            }
        } else if line.starts_with("status codes:") {
            for w in ["4xx", "5xx"] {
                r.errors += count_before(line, w).unwrap_or(0);
            }
        }
    }
    if !seen {
        bail!("h2load output has no 'finished in' line:\n{out}");
    }
    Ok(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_rate_successes_and_errors() {
        let out = "starting benchmark...
finished in 1.00s, 45000.50 req/s, 1.50MB/s
requests: 45000 total, 45100 started, 45000 done, 44990 succeeded, 10 failed, 2 errored, 1 timeout
status codes: 44990 2xx, 0 3xx, 3 4xx, 7 5xx
";
        let r = parse(out).unwrap_or_default();
        assert_eq!(r.rps, 45000.5);
        assert_eq!(r.succeeded, 44990);
        assert_eq!(r.errors, 23);
        assert!(parse("No protocol negotiated").is_err());
    }
}
