//! Server connection reuse behind an HTTP/2 frontend: the streams of one
//! client connection share idle server connections under the default
//! `http-reuse safe`, since HAProxy 2.6 marks every h2 stream "not first"
//! (`http_first_req` is then false too). On lbd and HAProxy 2.6 alike.

use tests::*;

fn config(port: u16, be: &HttpBackend) -> String {
    format!(
        "global
    maxconn 1000

defaults
    mode http
    timeout connect 2s
    timeout client 10s
    timeout server 10s

frontend fe
    bind 127.0.0.1:{port} proto h2
    http-request set-var(txn.first) http_first_req
    http-response set-header x-first-req %[var(txn.first)]
    default_backend be

backend be
    server s1 {}
",
        be.addr()
    )
}

/// Runs h2load over one client connection and returns the server
/// connections the backend accepted for it.
fn h2load_one_connection(port: u16, be: &HttpBackend, n: usize, concurrent: usize) -> usize {
    let out = std::process::Command::new("h2load")
        .args([
            "-n",
            &n.to_string(),
            "-c",
            "1",
            "-m",
            &concurrent.to_string(),
        ])
        .arg(format!("http://127.0.0.1:{port}/load"))
        .output();
    let out = out.unwrap_or_else(|e| panic!("cannot run h2load: {e}"));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(&format!("{n} succeeded, 0 failed, 0 errored")),
        "h2load: {text}"
    );
    assert_eq!(be.requests(), n);
    be.connections()
}

#[test]
fn sequential_h2_streams_share_a_server_connection() {
    let be = HttpBackend::start("s1");
    let port = free_port();
    let _lbd = LbdProcess::start(&config(port, &be));
    let conns = h2load_one_connection(port, &be, 50, 1);
    assert!(
        conns <= 2,
        "50 sequential streams opened {conns} server connections"
    );
}

#[test]
fn concurrent_h2_streams_use_far_fewer_server_connections() {
    let be = HttpBackend::start("s1");
    let port = free_port();
    let _lbd = LbdProcess::start(&config(port, &be));
    let conns = h2load_one_connection(port, &be, 500, 10);
    // About one per concurrent stream, not one per stream.
    assert!(
        conns <= 50,
        "500 streams, 10 at a time, opened {conns} server connections"
    );
}

#[test]
fn an_h2_stream_is_never_the_first_request() {
    let be = HttpBackend::start("s1");
    let port = free_port();
    let _lbd = LbdProcess::start(&config(port, &be));
    let out = curl(&[
        "--http2-prior-knowledge",
        "-s",
        "-D",
        "-",
        "-o",
        "/dev/null",
        &format!("http://127.0.0.1:{port}/first"),
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let heads = String::from_utf8_lossy(&out.stdout);
    assert!(heads.contains("x-first-req: 0"), "{heads}");
}
