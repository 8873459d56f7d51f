//! A client that leaves hands its idle server connection to the next
//! clients, as HAProxy 2.6 does: with `http-reuse always`, clients making
//! one request per connection share one server connection; with
//! `http-reuse never`, each has its own and it closes with the client. On
//! lbd and HAProxy 2.6 alike.

use tests::*;

fn config(port: u16, be: &HttpBackend, reuse: &str) -> String {
    format!(
        "defaults
    mode http
    http-reuse {reuse}
    timeout connect 2s
    timeout client 10s
    timeout server 10s

frontend fe
    bind 127.0.0.1:{port}
    default_backend be

backend be
    server s1 {}
",
        be.addr()
    )
}

/// `n` requests, each on a new client connection (one curl each).
fn one_request_clients(port: u16, n: usize) {
    let url = format!("http://127.0.0.1:{port}/");
    for i in 0..n {
        let out = curl(&["-s", "-o", "/dev/null", "-w", "%{http_code}", &url]);
        let code = String::from_utf8_lossy(&out.stdout).into_owned();
        assert_eq!(code, "200", "request {i}: {}", out.stderr);
    }
}

#[test]
fn one_request_clients_share_a_server_connection_with_http_reuse_always() {
    let be = HttpBackend::start("s1");
    let port = free_port();
    let _lbd = LbdProcess::start(&config(port, &be, "always"));
    one_request_clients(port, 20);
    assert_eq!(be.requests(), 20);
    // One, or a few when a client arrives before the previous one's
    // close was seen: never one per client.
    let conns = be.connections();
    assert!(
        conns <= 5,
        "20 one-request clients opened {conns} server connections"
    );
}

#[test]
fn http_reuse_never_gives_each_client_its_own_server_connection() {
    let be = HttpBackend::start("s1");
    let port = free_port();
    let _lbd = LbdProcess::start(&config(port, &be, "never"));
    one_request_clients(port, 10);
    assert_eq!(be.requests(), 10);
    assert_eq!(be.connections(), 10);
}
