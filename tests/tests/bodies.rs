//! Large and chunked bodies both ways, and `Expect: 100-continue`.

use std::time::Duration;

use tests::payload::{chunked, dechunk, pattern};
use tests::*;

const FIVE_MB: usize = 5 * 1024 * 1024;

/// Posts `body` from a file with curl plus `extra` args; returns curl's `-w` output
/// (`<code> <seconds>`) and the backend that received it.
fn post(frontend: &str, extra: &[&str], body: &[u8]) -> (String, HttpBackend, LbdProcess) {
    let be = HttpBackend::start("s1");
    let port = free_port();
    let lbd = LbdProcess::start(&http_config(port, frontend, &server_lines(&[&be], "")));
    let dir = TempDir::new();
    let file = dir.write("body.bin", body);
    let data = format!("@{}", file.display());
    let url = format!("http://127.0.0.1:{port}/upload");
    let mut args = vec![
        "-o",
        "/dev/null",
        "-w",
        "%{http_code} %{time_total}",
        "--data-binary",
        &data,
    ];
    args.extend_from_slice(extra);
    args.push(&url);
    let out = curl(&args);
    assert_eq!(out.code, 0, "curl: {}{}", out.stderr, lbd.output_hint());
    (out.stdout_str(), be, lbd)
}

fn status(w: &str) -> &str {
    w.split_whitespace().next().unwrap_or("")
}

#[test]
fn five_megabyte_post_with_content_length_arrives_intact() {
    let body = pattern(FIVE_MB);
    let (w, be, lbd) = post("", &["-H", "content-type: application/octet-stream"], &body);
    assert_eq!(status(&w), "200", "{}", lbd.output_hint());
    let got = be.received();
    assert_eq!(got.len(), 1);
    assert!(
        got[0]
            .head_str()
            .contains(&format!("content-length: {FIVE_MB}\r\n")),
        "{}",
        got[0].head_str()
    );
    assert!(
        got[0].body == body,
        "server got {} bytes, differing from the {} sent",
        got[0].body.len(),
        body.len()
    );
}

#[test]
fn five_megabyte_chunked_post_arrives_intact() {
    let body = pattern(FIVE_MB);
    let (w, be, lbd) = post("", &["-H", "transfer-encoding: chunked"], &body);
    assert_eq!(status(&w), "200", "{}", lbd.output_hint());
    let got = be.received();
    assert_eq!(got.len(), 1);
    assert!(
        got[0].head_str().contains("transfer-encoding: chunked\r\n"),
        "{}",
        got[0].head_str()
    );
    let payload = dechunk(&got[0].body);
    assert!(
        payload.as_ref() == Some(&body),
        "server got a {}-byte chunked body whose payload differs ({:?} bytes decoded)",
        got[0].body.len(),
        payload.map(|p| p.len())
    );
}

/// Serves `response` verbatim from the backend and returns what a client got.
fn fetch_raw(response: Vec<u8>) -> (Response, LbdProcess) {
    let be = HttpBackend::builder("s1")
        .reply(Reply::Raw(response))
        .start();
    let port = free_port();
    let lbd = LbdProcess::start(&http_config(port, "", &server_lines(&[&be], "")));
    let mut client = RawClient::connect(port);
    let r = client.request(b"GET /big HTTP/1.1\r\nhost: a\r\n\r\n");
    (r, lbd)
}

#[test]
fn chunked_response_reaches_the_client_intact() {
    let body = pattern(300_000);
    let mut resp = b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n".to_vec();
    resp.extend_from_slice(&chunked(&body, 7_000));
    let (r, lbd) = fetch_raw(resp);
    assert_eq!(r.status, 200, "{}", lbd.output_hint());
    assert_eq!(r.header("transfer-encoding"), Some("chunked"));
    assert!(
        dechunk(&r.body).as_ref() == Some(&body),
        "chunked payload differs ({} framed bytes)",
        r.body.len()
    );
}

#[test]
fn five_megabyte_response_reaches_the_client_intact() {
    let body = pattern(FIVE_MB);
    let mut resp = format!("HTTP/1.1 200 OK\r\ncontent-length: {FIVE_MB}\r\n\r\n").into_bytes();
    resp.extend_from_slice(&body);
    let (r, lbd) = fetch_raw(resp);
    assert_eq!(r.status, 200, "{}", lbd.output_hint());
    assert!(
        r.body == body,
        "client got {} bytes, differing from the {} served",
        r.body.len(),
        body.len()
    );
}

#[test]
fn expect_100_continue_is_answered_by_the_proxy_with_http_buffer_request() {
    let body = pattern(100_000);
    let (w, be, lbd) = post(
        "    option http-buffer-request",
        &["-H", "Expect: 100-continue"],
        &body,
    );
    assert_eq!(status(&w), "200", "{}", lbd.output_hint());
    let secs: f64 = w
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(f64::MAX);
    // curl waits up to 1 s for the 100 before sending the body anyway.
    assert!(
        Duration::from_secs_f64(secs) < Duration::from_millis(700),
        "exchange took {secs} s: no 100 Continue from the proxy{}",
        lbd.output_hint()
    );
    assert!(be.received()[0].body == body);
}

#[test]
fn expect_100_continue_without_buffering_still_delivers_the_body() {
    let body = pattern(100_000);
    let (w, be, lbd) = post("", &["-H", "Expect: 100-continue"], &body);
    assert_eq!(status(&w), "200", "{}", lbd.output_hint());
    let got = be.received();
    assert!(
        got[0].head_str().contains("expect: 100-continue\r\n"),
        "the Expect header is the server's to answer: {}",
        got[0].head_str()
    );
    assert!(got[0].body == body);
}

#[test]
fn expect_100_continue_interim_response_is_exact() {
    let be = HttpBackend::start("s1");
    let port = free_port();
    let lbd = LbdProcess::start(&http_config(
        port,
        "    option http-buffer-request",
        &server_lines(&[&be], ""),
    ));
    let mut client = RawClient::connect(port);
    client
        .send(b"POST /up HTTP/1.1\r\nhost: a\r\nexpect: 100-continue\r\ncontent-length: 5\r\n\r\n")
        .unwrap_or_else(|e| panic!("send: {e}"));
    let interim = client.read_response();
    assert_eq!(
        interim.map(|r| r.raw_str()).as_deref(),
        Some("HTTP/1.1 100 Continue\r\n\r\n"),
        "{}",
        lbd.output_hint()
    );
    let r = client.request(b"hello");
    assert_eq!(r.status, 200);
    assert_eq!(be.received()[0].body, b"hello");
}
