//! `maxconn` at accept: a full frontend (or process) leaves new connections waiting in
//! the kernel's queue and serves them as soon as a slot frees; nothing is dropped.

use std::time::Duration;

use tests::*;

const GET: &[u8] = b"GET / HTTP/1.1\r\nhost: a\r\n\r\n";

/// Fills both slots with idle keep-alive clients, checks a third client waits, then
/// closes one of the first two and checks the third is served.
fn third_client_waits_for_a_slot(cfg: &str) {
    let lbd = LbdProcess::start(cfg);
    let port = listen_port(cfg);
    let mut first = RawClient::connect(port);
    assert_eq!(first.request(GET).status, 200, "{}", lbd.output_hint());
    let mut second = RawClient::connect(port);
    assert_eq!(second.request(GET).status, 200, "{}", lbd.output_hint());

    // The kernel completes the handshake; the proxy must not accept it yet.
    let mut third = RawClient::connect(port);
    third.send(GET).unwrap_or_else(|e| panic!("send: {e}"));
    let (early, closed) = third.read_until_close(Duration::from_millis(600));
    assert!(
        early.is_empty() && !closed,
        "third client answered past maxconn (closed: {closed}): {:?}{}",
        String::from_utf8_lossy(&early),
        lbd.output_hint()
    );

    drop(first);
    let r = third.read_response();
    assert_eq!(
        r.map(|r| r.status),
        Some(200),
        "third client not served after a slot freed{}",
        lbd.output_hint()
    );
    // The remaining kept-alive client is still served.
    assert_eq!(second.request(GET).status, 200);
}

/// The port of the first `bind 127.0.0.1:PORT` line.
fn listen_port(cfg: &str) -> u16 {
    cfg.lines()
        .find_map(|l| l.trim().strip_prefix("bind 127.0.0.1:"))
        .and_then(|p| p.split_whitespace().next())
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("no bind line in {cfg}"))
}

#[test]
fn frontend_maxconn_holds_the_third_connection_until_one_closes() {
    let be = HttpBackend::start("s1");
    let port = free_port();
    let cfg = http_config(port, "    maxconn 2", &server_lines(&[&be], ""));
    third_client_waits_for_a_slot(&cfg);
}

#[test]
fn single_thread_frontend_maxconn_holds_the_third_connection_until_one_closes() {
    let be = HttpBackend::start("s1");
    let port = free_port();
    let cfg = http_config(port, "    maxconn 2", &server_lines(&[&be], ""))
        .replace("global\n", "global\n    nbthread 1\n");
    third_client_waits_for_a_slot(&cfg);
}

#[test]
fn global_maxconn_holds_the_third_connection_until_one_closes() {
    let be = HttpBackend::start("s1");
    let port = free_port();
    let cfg = format!(
        "global
    maxconn 2

defaults
    mode http
    timeout connect 2s
    timeout client 10s
    timeout server 10s

frontend fe
    bind 127.0.0.1:{port}
    default_backend be

backend be
{}",
        server_lines(&[&be], "")
    );
    third_client_waits_for_a_slot(&cfg);
}

#[test]
fn frontend_maxconn_with_slow_requests_serves_everyone() {
    let be = HttpBackend::start("s1");
    let port = free_port();
    let lbd = LbdProcess::start(&http_config(
        port,
        "    maxconn 2",
        &server_lines(&[&be], ""),
    ));
    // Six clients, each request held 200 ms by the server: at most two at a time.
    let clients: Vec<_> = (0..6)
        .map(|_| {
            std::thread::spawn(move || {
                curl(&[
                    "-o",
                    "/dev/null",
                    "-w",
                    "%{http_code}",
                    "-H",
                    "x-delay-ms: 200",
                    &format!("http://127.0.0.1:{port}/"),
                ])
            })
        })
        .collect();
    let mut peak = 0;
    while clients.iter().any(|c| !c.is_finished()) {
        peak = peak.max(be.active());
        std::thread::sleep(Duration::from_millis(5));
    }
    for c in clients {
        let out = c.join().unwrap_or_else(|_| panic!("curl thread panicked"));
        assert_eq!(
            out.stdout_str(),
            "200",
            "{}{}",
            out.stderr,
            lbd.output_hint()
        );
    }
    assert!(
        peak <= 2,
        "{peak} requests at the server at once past maxconn 2"
    );
    assert_eq!(be.requests(), 6);
}
