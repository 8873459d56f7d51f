//! Request-smuggling probes: each ambiguous request is refused with HAProxy's canned
//! 400 and never reaches the server.

use std::time::Duration;

use tests::*;

/// Sends `request` and asserts the exact reply, that the connection is closed, and
/// that the backend saw no connection at all.
fn refused(request: &[u8], expected: &str) {
    let be = HttpBackend::start("s1");
    let port = free_port();
    let lbd = LbdProcess::start(&http_config(port, "", &server_lines(&[&be], "")));
    let mut client = RawClient::connect(port);
    let _ = client.send(request);
    let (bytes, closed) = client.read_until_close(Duration::from_secs(5));
    assert_eq!(
        String::from_utf8_lossy(&bytes),
        expected,
        "for {:?}{}",
        String::from_utf8_lossy(request),
        lbd.output_hint()
    );
    assert!(closed, "connection left open after the refusal");
    assert_eq!(
        (be.connections(), be.bytes_received()),
        (0, 0),
        "the backend was reached"
    );
}

#[test]
fn two_different_content_lengths() {
    refused(
        b"POST / HTTP/1.1\r\nhost: a\r\ncontent-length: 5\r\ncontent-length: 6\r\n\r\nhello!",
        canned::R400,
    );
}

#[test]
fn transfer_encoding_chunked_twice() {
    refused(
        b"POST / HTTP/1.1\r\nhost: a\r\ntransfer-encoding: chunked\r\ntransfer-encoding: chunked\r\n\r\n0\r\n\r\n",
        canned::R400,
    );
}

#[test]
fn transfer_encoding_gzip() {
    refused(
        b"POST / HTTP/1.1\r\nhost: a\r\ntransfer-encoding: gzip\r\n\r\n",
        canned::R400,
    );
}

#[test]
fn space_before_colon() {
    refused(
        b"GET / HTTP/1.1\r\nhost: a\r\nX-Foo : bar\r\n\r\n",
        canned::R400,
    );
}

#[test]
fn two_host_headers() {
    refused(
        b"GET / HTTP/1.1\r\nhost: a\r\nhost: b\r\n\r\n",
        canned::R400,
    );
}

#[test]
fn absolute_uri_with_another_authority() {
    refused(
        b"GET http://other/ HTTP/1.1\r\nhost: a\r\n\r\n",
        canned::R400,
    );
}

#[test]
fn http10_get_with_a_body() {
    refused(
        b"GET / HTTP/1.0\r\ncontent-length: 5\r\n\r\nhello",
        canned::R413,
    );
}

#[test]
fn content_length_with_chunked_is_forwarded_chunked_then_closed() {
    let be = HttpBackend::start("s1");
    let port = free_port();
    let lbd = LbdProcess::start(&http_config(port, "", &server_lines(&[&be], "")));
    let mut client = RawClient::connect(port);
    let r = client.request(
        b"POST / HTTP/1.1\r\nhost: a\r\ncontent-length: 5\r\ntransfer-encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
    );
    let received = be.received();
    assert_eq!(received.len(), 1, "backend requests{}", lbd.output_hint());
    assert_eq!(
        received[0].head_str(),
        "POST / HTTP/1.1\r\nhost: a\r\ntransfer-encoding: chunked\r\n\r\n"
    );
    assert_eq!(received[0].body, b"5\r\nhello\r\n0\r\n\r\n");
    assert_eq!(r.status, 200);
    assert_eq!(r.header("connection"), Some("close"), "{}", r.raw_str());
    let (rest, closed) = client.read_until_close(Duration::from_secs(5));
    assert!(closed && rest.is_empty(), "client connection not closed");
}
