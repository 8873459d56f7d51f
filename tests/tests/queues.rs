//! Server maxconn with queues: excess requests wait for a slot instead of
//! failing, `timeout queue` bounds the wait with a 503, and nothing hangs.

use std::time::{Duration, Instant};
use tests::*;

fn slow_curl(port: u16, delay_ms: u32) -> std::thread::JoinHandle<CurlOutput> {
    std::thread::spawn(move || {
        curl(&[
            "-o",
            "/dev/null",
            "-w",
            "%{http_code}",
            "-H",
            &format!("x-delay-ms: {delay_ms}"),
            &format!("http://127.0.0.1:{port}/"),
        ])
    })
}

/// Runs the clients while sampling the backend's concurrency.
fn run_and_watch(
    be: &HttpBackend,
    clients: Vec<std::thread::JoinHandle<CurlOutput>>,
) -> (Vec<String>, usize) {
    let mut peak = 0;
    while clients.iter().any(|c| !c.is_finished()) {
        peak = peak.max(be.active());
        std::thread::sleep(Duration::from_millis(5));
    }
    let codes = clients
        .into_iter()
        .map(|c| {
            c.join()
                .unwrap_or_else(|_| panic!("curl thread panicked"))
                .stdout_str()
        })
        .collect();
    (codes, peak)
}

#[test]
fn requests_beyond_server_maxconn_queue_and_are_all_served() {
    let be = HttpBackend::start("s1");
    let port = free_port();
    let lbd = LbdProcess::start(&http_config(port, "", &server_lines(&[&be], " maxconn 2")));
    let clients = (0..6).map(|_| slow_curl(port, 200)).collect();
    let (codes, peak) = run_and_watch(&be, clients);
    assert!(
        codes.iter().all(|c| c == "200"),
        "{codes:?}{}",
        lbd.output_hint()
    );
    assert!(peak <= 2, "{peak} requests at the server past maxconn 2");
    assert_eq!(be.requests(), 6);
}

#[test]
fn timeout_queue_answers_the_excess_with_503() {
    let be = HttpBackend::start("s1");
    let port = free_port();
    let cfg = format!(
        "{HTTP_DEFAULTS}    timeout queue 150ms

frontend fe
    bind 127.0.0.1:{port}
    default_backend be

backend be
{}",
        server_lines(&[&be], " maxconn 1")
    );
    let lbd = LbdProcess::start(&cfg);
    let start = Instant::now();
    let clients = (0..3).map(|_| slow_curl(port, 800)).collect();
    let (mut codes, peak) = run_and_watch(&be, clients);
    codes.sort();
    assert_eq!(codes, ["200", "503", "503"], "{}", lbd.output_hint());
    assert!(peak <= 1);
    assert!(start.elapsed() < Duration::from_secs(5), "something hung");
    // The 503 is HAProxy's canned one.
    let mut c = RawClient::connect(port);
    let hold = slow_curl(port, 800);
    // Let the slow request take the only slot first.
    let deadline = Instant::now() + Duration::from_secs(2);
    while be.active() == 0 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    let r = c.request(b"GET /q HTTP/1.1\r\nhost: a\r\n\r\n");
    assert_eq!(String::from_utf8_lossy(&r.raw), canned::R503);
    let _ = hold.join();
}

#[test]
fn a_hash_pinned_server_queues_its_own_requests() {
    // balance uri pins /same to one server; with maxconn 1 the second
    // request for it waits for that server rather than going elsewhere.
    let a = HttpBackend::start("a");
    let b = HttpBackend::start("b");
    let port = free_port();
    let cfg = format!(
        "{HTTP_DEFAULTS}
frontend fe
    bind 127.0.0.1:{port}
    default_backend be

backend be
    balance uri
{}",
        server_lines(&[&a, &b], " maxconn 1")
    );
    let lbd = LbdProcess::start(&cfg);
    let clients = (0..3).map(|_| slow_curl(port, 150)).collect::<Vec<_>>();
    let mut codes = Vec::new();
    for c in clients {
        codes.push(c.join().unwrap_or_else(|_| panic!("curl")).stdout_str());
    }
    assert!(
        codes.iter().all(|c| c == "200"),
        "{codes:?}{}",
        lbd.output_hint()
    );
    assert!(
        a.requests() == 3 || b.requests() == 3,
        "the hashed path left its server: a={} b={}",
        a.requests(),
        b.requests()
    );
}
