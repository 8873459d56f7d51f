//! The Prometheus HAProxy exporter (Debian's `prometheus-haproxy-exporter`)
//! pointed at a stats socket, and its `/metrics` read back as numbers.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::client::curl;
use crate::ports::free_port;

const BIN: &str = "prometheus-haproxy-exporter";

/// A running exporter. Dropping it kills and reaps it.
#[derive(Debug)]
pub struct Exporter {
    child: Child,
    port: u16,
}

impl Exporter {
    /// Starts the exporter on a free loopback port, scraping `sock`, and
    /// waits until it serves `/metrics`.
    pub fn start(sock: &Path) -> Exporter {
        let port = free_port();
        let child = match Command::new(BIN)
            .arg(format!("--haproxy.scrape-uri=unix:{}", sock.display()))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
        {
            Ok(c) => c,
            Err(e) => panic!("cannot start {BIN}: {e}"),
        };
        let mut e = Exporter { child, port };
        let deadline = Instant::now() + Duration::from_secs(10);
        while curl(&["-f", "-o", "/dev/null", &e.url()]).code != 0 {
            assert!(
                matches!(e.child.try_wait(), Ok(None)),
                "{BIN} exited during start-up"
            );
            assert!(Instant::now() < deadline, "{BIN} never served /metrics");
            std::thread::sleep(Duration::from_millis(50));
        }
        e
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}/metrics", self.port)
    }

    /// One scrape: every sample, keyed by `name{labels}` exactly as printed.
    pub fn scrape(&self) -> Metrics {
        let out = curl(&["-f", &self.url()]);
        assert_eq!(out.code, 0, "scrape failed: {}", out.stderr);
        Metrics::parse(&out.stdout_str())
    }
}

impl Drop for Exporter {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Samples of the text exposition format.
#[derive(Debug, Default)]
pub struct Metrics {
    pub samples: BTreeMap<String, f64>,
    pub text: String,
}

impl Metrics {
    pub fn parse(text: &str) -> Metrics {
        let mut samples = BTreeMap::new();
        for l in text.lines().filter(|l| !l.starts_with('#')) {
            if let Some((k, v)) = l.rsplit_once(' ') {
                if let Ok(v) = v.parse::<f64>() {
                    samples.insert(k.to_string(), v);
                }
            }
        }
        Metrics {
            samples,
            text: text.to_string(),
        }
    }

    /// The sample `key` (`name` or `name{a="x",b="y"}`, labels sorted as
    /// the exporter prints them); panics with the whole scrape if absent.
    pub fn get(&self, key: &str) -> f64 {
        match self.samples.get(key) {
            Some(v) => *v,
            None => panic!("no sample {key} in:\n{}", self.text),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Metrics;

    #[test]
    fn exposition_lines_parse() {
        let m = Metrics::parse(
            "# HELP haproxy_up x\nhaproxy_up 1\nhaproxy_server_bytes_out_total{backend=\"be\",server=\"s1\"} 1.234567e+06\n",
        );
        assert_eq!(m.get("haproxy_up"), 1.0);
        assert_eq!(
            m.get("haproxy_server_bytes_out_total{backend=\"be\",server=\"s1\"}"),
            1_234_567.0
        );
    }
}
