//! Support for Rampart's end-to-end tests and benchmark harness.
//!
//! Every helper here owns what it creates: temp dirs are removed, processes are
//! killed and reaped, and backend servers stop when their handle is dropped, so a
//! panicking test leaves nothing behind.
//!
//! The binary under test is `$LBD_BIN`, else `<target>/debug/lbd`. Every test must pass
//! against the real HAProxy 2.6 (`LBD_BIN=/usr/sbin/haproxy cargo test -p tests`),
//! which is how each expectation here was proven; against lbd, build it first
//! (`cargo build -p lbd`), since cargo does not build another package's binary for us.
#![forbid(unsafe_code)]

pub mod backend;
pub mod canned;
pub mod client;
pub mod exporter;
pub mod grpc;
pub mod h2_backend;
pub mod h2client;
pub mod h3client;
pub mod hammer;
pub mod haproxy_peer;
pub mod payload;
pub mod pki;
pub mod ports;
pub mod process;
pub mod stats_socket;
pub mod switch_backend;
pub mod syslog;
pub mod tcp_backend;
pub mod tempdir;
pub mod tmux;
pub mod upgrade_backend;

pub use backend::{HttpBackend, HttpBackendBuilder, Reply};
pub use client::{curl, curl_many, CurlOutput, RawClient, Response};
pub use h2_backend::H2Backend;
pub use hammer::{Counts, Hammer};
pub use pki::Pki;
pub use ports::free_port;
pub use process::{check, is_haproxy, lbd_bin, LbdProcess};
pub use syslog::{HttpLog, SyslogReceiver, TcpLog};
pub use tcp_backend::{TcpBackend, TcpMode};
pub use tempdir::TempDir;
pub use upgrade_backend::UpgradeBackend;

/// The `global` and `defaults` sections most HTTP tests start from: bounded timeouts so
/// a broken proxy fails a test instead of hanging it.
pub const HTTP_DEFAULTS: &str = "\
global
    maxconn 1000

defaults
    mode http
    timeout connect 2s
    timeout client 10s
    timeout server 10s
";

/// Like [`HTTP_DEFAULTS`] for `mode tcp`.
pub const TCP_DEFAULTS: &str = "\
global
    maxconn 1000

defaults
    mode tcp
    timeout connect 2s
    timeout client 10s
    timeout server 10s
";

/// A whole HTTP config: [`HTTP_DEFAULTS`], `frontend fe` bound on 127.0.0.1:`port`
/// with the extra `frontend` lines, and `backend be` made of `backend` lines.
pub fn http_config(port: u16, frontend: &str, backend: &str) -> String {
    format!(
        "{HTTP_DEFAULTS}
frontend fe
    bind 127.0.0.1:{port}
{frontend}
    default_backend be

backend be
{backend}
"
    )
}

/// `server` lines for `backends`, named s1, s2, ... in order, each followed by `extra`.
pub fn server_lines(backends: &[&HttpBackend], extra: &str) -> String {
    backends
        .iter()
        .enumerate()
        .map(|(i, b)| format!("    server s{} {} {extra}\n", i + 1, b.addr()))
        .collect()
}

/// How many responses each server (by `x-served-by`) produced.
pub fn count_by_server(responses: &[Response]) -> std::collections::BTreeMap<String, usize> {
    let mut counts = std::collections::BTreeMap::new();
    for r in responses {
        *counts.entry(r.served_by()).or_insert(0) += 1;
    }
    counts
}

/// `n` requests for `/` on 127.0.0.1:`port` over one curl connection,
/// counted by the server that answered them. Panics if one was not a 200.
pub fn count_served(port: u16, n: usize) -> std::collections::BTreeMap<String, usize> {
    let urls: Vec<String> = (0..n)
        .map(|_| format!("http://127.0.0.1:{port}/"))
        .collect();
    let rs = client::curl_many(&urls, &[]);
    let statuses: Vec<u16> = rs.iter().map(|r| r.status).collect();
    assert!(statuses.iter().all(|s| *s == 200), "statuses {statuses:?}");
    count_by_server(&rs)
}
