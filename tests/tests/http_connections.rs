//! Keep-alive on both sides and the headers the proxy adds (`option forwardfor`).

use tests::*;

fn urls(port: u16, n: usize) -> Vec<String> {
    (0..n)
        .map(|i| format!("http://127.0.0.1:{port}/r{i}"))
        .collect()
}

#[test]
fn keep_alive_reuses_one_server_connection() {
    let be = HttpBackend::start("s1");
    let port = free_port();
    let lbd = LbdProcess::start(&http_config(port, "", &server_lines(&[&be], "")));
    let responses = curl_many(&urls(port, 5), &[]);
    assert!(responses
        .iter()
        .all(|r| r.status == 200 && r.header("connection").is_none()));
    assert_eq!(
        (be.connections(), be.requests()),
        (1, 5),
        "(server connections, requests){}",
        lbd.output_hint()
    );
}

#[test]
fn http_server_close_opens_one_server_connection_per_request() {
    let be = HttpBackend::start("s1");
    let port = free_port();
    let cfg = http_config(
        port,
        "    option http-server-close",
        &server_lines(&[&be], ""),
    );
    let lbd = LbdProcess::start(&cfg);
    // The client side stays alive: all five requests go over one raw connection.
    let mut client = RawClient::connect(port);
    for i in 0..5 {
        let r = client.request(format!("GET /r{i} HTTP/1.1\r\nhost: a\r\n\r\n").as_bytes());
        assert_eq!(r.status, 200);
        assert_eq!(r.header("connection"), None, "{}", r.raw_str());
    }
    assert_eq!(
        (be.connections(), be.requests()),
        (5, 5),
        "(server connections, requests){}",
        lbd.output_hint()
    );
}

#[test]
fn httpclose_tells_the_client_to_close() {
    let be = HttpBackend::start("s1");
    let port = free_port();
    let cfg = http_config(port, "    option httpclose", &server_lines(&[&be], ""));
    let lbd = LbdProcess::start(&cfg);
    let mut client = RawClient::connect(port);
    let r = client.request(b"GET / HTTP/1.1\r\nhost: a\r\n\r\n");
    assert_eq!(
        r.header("connection"),
        Some("close"),
        "{}{}",
        r.raw_str(),
        lbd.output_hint()
    );
    let (rest, closed) = client.read_until_close(std::time::Duration::from_secs(5));
    assert!(
        closed && rest.is_empty(),
        "connection not closed; extra {rest:?}"
    );
}

/// Sends one request through a proxy with the given frontend lines and returns the
/// head the backend received.
fn forwarded_head(frontend: &str, request: &[u8]) -> String {
    let be = HttpBackend::start("s1");
    let port = free_port();
    let lbd = LbdProcess::start(&http_config(port, frontend, &server_lines(&[&be], "")));
    let r = RawClient::connect(port).request(request);
    assert_eq!(r.status, 200, "{}{}", r.raw_str(), lbd.output_hint());
    be.received()[0].head_str()
}

#[test]
fn forwardfor_adds_a_separate_line() {
    let head = forwarded_head(
        "    option forwardfor",
        b"GET / HTTP/1.1\r\nHost: a\r\nX-Forwarded-For: 10.9.9.9\r\n\r\n",
    );
    assert_eq!(
        head,
        "GET / HTTP/1.1\r\nhost: a\r\nx-forwarded-for: 10.9.9.9\r\nx-forwarded-for: 127.0.0.1\r\n\r\n"
    );
}

#[test]
fn forwardfor_if_none_keeps_the_clients_header() {
    let frontend = "    option forwardfor if-none";
    let head = forwarded_head(
        frontend,
        b"GET / HTTP/1.1\r\nHost: a\r\nX-Forwarded-For: 10.9.9.9\r\n\r\n",
    );
    assert_eq!(
        head,
        "GET / HTTP/1.1\r\nhost: a\r\nx-forwarded-for: 10.9.9.9\r\n\r\n"
    );
    let head = forwarded_head(frontend, b"GET / HTTP/1.1\r\nHost: a\r\n\r\n");
    assert_eq!(
        head,
        "GET / HTTP/1.1\r\nhost: a\r\nx-forwarded-for: 127.0.0.1\r\n\r\n"
    );
}

#[test]
fn forwardfor_except_skips_matching_sources() {
    let head = forwarded_head(
        "    option forwardfor except 127.0.0.0/8",
        b"GET / HTTP/1.1\r\nHost: a\r\n\r\n",
    );
    assert_eq!(head, "GET / HTTP/1.1\r\nhost: a\r\n\r\n");
}

#[test]
fn forwardfor_header_renames_it() {
    let head = forwarded_head(
        "    option forwardfor header X-Client",
        b"GET / HTTP/1.1\r\nHost: a\r\n\r\n",
    );
    assert_eq!(
        head,
        "GET / HTTP/1.1\r\nhost: a\r\nx-client: 127.0.0.1\r\n\r\n"
    );
}
