//! A server's RST_STREAM(REFUSED_STREAM) before any response: HAProxy 2.6
//! sees the server side close without a response, so `retry-on
//! empty-response` (in `all-retryable-errors`) retries the request, here
//! redispatched to the other server; without it the client gets a 502.
//! lbd does the same.

use tests::*;

/// A backend whose first server is the h2 one, with `retry_on`.
fn start(h2: &H2Backend, other: &HttpBackend, retry_on: &str) -> (LbdProcess, u16) {
    let port = free_port();
    let cfg = format!(
        "{HTTP_DEFAULTS}
frontend fe
    bind 127.0.0.1:{port}
    default_backend be

backend be
    balance first
    retries 3
{retry_on}
    option redispatch 1
    server s1 {h2} proto h2
    server s2 {other}
",
        h2 = h2.addr(),
        other = other.addr(),
    );
    (LbdProcess::start(&cfg), port)
}

fn get(port: u16, path: &str) -> Response {
    let req = format!("GET {path} HTTP/1.1\r\nHost: a\r\n\r\n");
    RawClient::connect(port).request(req.as_bytes())
}

#[test]
fn a_refused_stream_is_retried_when_retry_on_allows() {
    let h2 = H2Backend::start("h2srv");
    let other = HttpBackend::start("s2");
    let (p, port) = start(&h2, &other, "    retry-on all-retryable-errors");
    let r = get(port, "/refuse");
    assert_eq!(r.status, 200, "{}{}", r.raw_str(), p.output_hint());
    assert_eq!(other.requests(), 1, "{}", p.output_hint());
}

#[test]
fn a_refused_stream_is_a_502_without_retry_on() {
    let h2 = H2Backend::start("h2srv");
    let other = HttpBackend::start("s2");
    let (p, port) = start(&h2, &other, "");
    let r = get(port, "/refuse");
    assert_eq!(r.status, 502, "{}{}", r.raw_str(), p.output_hint());
    assert_eq!(other.requests(), 0, "{}", p.output_hint());
    // The server still serves the next request.
    let r = get(port, "/ok");
    assert_eq!(r.status, 200, "{}{}", r.raw_str(), p.output_hint());
    assert_eq!(r.header("x-served-by"), Some("h2srv"), "{}", r.raw_str());
}
