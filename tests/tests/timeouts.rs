//! Client-side timeouts: `timeout http-request` on a slow or silent client (the canned
//! 408, or a silent close with `option http-ignore-probes`) and `timeout
//! http-keep-alive` between requests.

use std::time::{Duration, Instant};

use tests::*;

/// HAProxy 2.6's 408, made by the H1 layer before a request exists (capitalised form).
const R408: &str = "HTTP/1.1 408 Request Time-out\r\nContent-length: 110\r\nCache-Control: no-cache\r\nConnection: close\r\nContent-Type: text/html\r\n\r\n<html><body><h1>408 Request Time-out</h1>\nYour browser didn't send a complete request in time.\n</body></html>\n";

fn proxy(frontend: &str) -> (LbdProcess, u16, HttpBackend) {
    let be = HttpBackend::start("s1");
    let port = free_port();
    let lbd = LbdProcess::start(&http_config(port, frontend, &server_lines(&[&be], "")));
    (lbd, port, be)
}

/// Reads until close and returns (bytes, seconds waited), asserting the close came.
fn until_close(client: &mut RawClient, lbd: &LbdProcess) -> (String, Duration) {
    let started = Instant::now();
    let (bytes, closed) = client.read_until_close(Duration::from_secs(5));
    assert!(
        closed,
        "connection still open after 5 s; got {:?}{}",
        String::from_utf8_lossy(&bytes),
        lbd.output_hint()
    );
    (
        String::from_utf8_lossy(&bytes).into_owned(),
        started.elapsed(),
    )
}

#[test]
fn half_a_request_head_gets_408_then_close() {
    let (lbd, port, be) = proxy("    timeout http-request 500ms");
    let mut client = RawClient::connect(port);
    client
        .send(b"GET / HTTP/1.1\r\nhost: a\r\nx-part")
        .unwrap_or_else(|e| panic!("send: {e}"));
    let (got, waited) = until_close(&mut client, &lbd);
    assert_eq!(got, R408, "{}", lbd.output_hint());
    assert!(
        waited >= Duration::from_millis(350),
        "408 came after {waited:?}, before the 500 ms timeout"
    );
    assert_eq!(be.connections(), 0, "a partial request reached the server");
}

#[test]
fn a_silent_connection_gets_408() {
    let (lbd, port, _be) = proxy("    timeout http-request 500ms");
    let mut client = RawClient::connect(port);
    let (got, _) = until_close(&mut client, &lbd);
    assert_eq!(got, R408, "{}", lbd.output_hint());
}

#[test]
fn ignore_probes_closes_a_silent_connection_without_a_word() {
    let (lbd, port, _be) = proxy("    timeout http-request 500ms\n    option http-ignore-probes");
    let mut client = RawClient::connect(port);
    let (got, waited) = until_close(&mut client, &lbd);
    assert_eq!(got, "", "{}", lbd.output_hint());
    assert!(
        waited >= Duration::from_millis(350),
        "closed after {waited:?}, before the 500 ms timeout"
    );
}

#[test]
fn ignore_probes_still_answers_a_partial_request_with_408() {
    let (lbd, port, _be) = proxy("    timeout http-request 500ms\n    option http-ignore-probes");
    let mut client = RawClient::connect(port);
    client
        .send(b"GET / HTTP/1.1\r\n")
        .unwrap_or_else(|e| panic!("send: {e}"));
    let (got, _) = until_close(&mut client, &lbd);
    assert_eq!(got, R408, "{}", lbd.output_hint());
}

#[test]
fn an_idle_keep_alive_connection_closes_silently() {
    let (lbd, port, _be) = proxy("    timeout http-keep-alive 300ms\n    timeout http-request 5s");
    let mut client = RawClient::connect(port);
    let r = client.request(b"GET / HTTP/1.1\r\nhost: a\r\n\r\n");
    assert_eq!(r.status, 200, "{}", lbd.output_hint());
    let (got, waited) = until_close(&mut client, &lbd);
    assert_eq!(got, "", "bytes after the response{}", lbd.output_hint());
    assert!(
        (Duration::from_millis(200)..Duration::from_secs(3)).contains(&waited),
        "idle connection closed after {waited:?}, expected about 300 ms"
    );
}

#[test]
fn a_stalled_second_request_on_a_kept_connection_gets_408() {
    let (lbd, port, be) = proxy("    timeout http-keep-alive 5s\n    timeout http-request 500ms");
    let mut client = RawClient::connect(port);
    assert_eq!(
        client.request(b"GET / HTTP/1.1\r\nhost: a\r\n\r\n").status,
        200
    );
    client
        .send(b"GET /second HTTP/1.1\r\nhost: a\r\n")
        .unwrap_or_else(|e| panic!("send: {e}"));
    let (got, waited) = until_close(&mut client, &lbd);
    assert_eq!(got, R408, "{}", lbd.output_hint());
    assert!(
        waited < Duration::from_secs(3),
        "408 after {waited:?}: the 5 s keep-alive timeout was used, not http-request"
    );
    assert_eq!(be.requests(), 1);
}

#[test]
fn without_http_request_timeout_the_client_timeout_applies_to_the_head() {
    let be = HttpBackend::start("s1");
    let port = free_port();
    let cfg = http_config(port, "", &server_lines(&[&be], ""))
        .replace("timeout client 10s", "timeout client 500ms");
    let lbd = LbdProcess::start(&cfg);
    let mut client = RawClient::connect(port);
    client
        .send(b"GET / HTTP/1.1\r\n")
        .unwrap_or_else(|e| panic!("send: {e}"));
    let (got, waited) = until_close(&mut client, &lbd);
    assert_eq!(got, R408, "{}", lbd.output_hint());
    assert!(waited >= Duration::from_millis(350), "after {waited:?}");
}
