//! How response bodies are re-framed for the client: close-delimited server bodies,
//! HTTP/1.0 clients, HEAD and bodiless statuses. Expected bytes are HAProxy 2.6.12's.

use std::time::Duration;

use tests::*;

/// Serves `response` verbatim (then closes) and returns every byte the client got
/// for `request` until the proxy closed or 3 s passed.
fn exchange(response: &str, request: &str) -> (String, bool) {
    let be = HttpBackend::builder("s1")
        .reply(Reply::Raw(response.as_bytes().to_vec()))
        .start();
    let port = free_port();
    let lbd = LbdProcess::start(&http_config(port, "", &server_lines(&[&be], "")));
    let mut client = RawClient::connect(port);
    client
        .send(request.as_bytes())
        .unwrap_or_else(|e| panic!("send: {e}{}", lbd.output_hint()));
    let (bytes, closed) = client.read_until_close(Duration::from_secs(3));
    (String::from_utf8_lossy(&bytes).into_owned(), closed)
}

#[test]
fn close_delimited_body_reaches_a_keep_alive_client() {
    let (got, closed) = exchange(
        "HTTP/1.1 200 OK\r\nx-a: 1\r\n\r\nno length here",
        "GET / HTTP/1.1\r\nhost: a\r\n\r\n",
    );
    // Without a length the body can only end with the connection, and the client
    // is told so.
    assert_eq!(
        got,
        "HTTP/1.1 200 OK\r\nx-a: 1\r\nconnection: close\r\n\r\nno length here"
    );
    assert!(closed);
}

#[test]
fn chunked_body_to_an_http10_client() {
    let (got, closed) = exchange(
        "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
        "GET / HTTP/1.0\r\n\r\n",
    );
    // HAProxy 2.6 keeps the chunking (and the 1.1 status line) for a 1.0 client.
    assert_eq!(
        got,
        "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n5\r\nhello\r\n0\r\n\r\n"
    );
    assert!(closed);
}

#[test]
fn head_gets_the_head_only() {
    let (got, _) = exchange(
        "HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\n",
        "HEAD / HTTP/1.1\r\nhost: a\r\nconnection: close\r\n\r\n",
    );
    assert_eq!(
        got,
        "HTTP/1.1 200 OK\r\ncontent-length: 5\r\nconnection: close\r\n\r\n"
    );
}

#[test]
fn no_content_and_not_modified_have_no_body() {
    for status in ["204 No Content", "304 Not Modified"] {
        let (got, _) = exchange(
            &format!("HTTP/1.1 {status}\r\nx-a: 1\r\n\r\n"),
            "GET / HTTP/1.1\r\nhost: a\r\nconnection: close\r\n\r\n",
        );
        assert_eq!(
            got,
            format!("HTTP/1.1 {status}\r\nx-a: 1\r\nconnection: close\r\n\r\n")
        );
    }
}
