//! Responses the proxy makes itself: `http-request return|deny`, `errorfile`, and the
//! canned 502/503/504, byte for byte as HAProxy 2.6 sends them.

use tests::*;

const GET: &[u8] = b"GET / HTTP/1.1\r\nhost: a\r\n\r\n";

/// Sends GET / and returns the response, checking the client connection stays usable
/// (these errors are produced at the HTTP layer, which keeps the connection alive).
fn get_on_kept_connection(port: u16, lbd: &LbdProcess) -> Response {
    let mut client = RawClient::connect(port);
    let first = client.request(GET);
    let second = client.request(GET);
    assert_eq!(
        first.raw,
        second.raw,
        "second response on the same connection differs{}",
        lbd.output_hint()
    );
    first
}

#[test]
fn http_request_return_sends_exact_bytes() {
    let port = free_port();
    let cfg = http_config(
        port,
        "    http-request return status 200 content-type text/plain string \"hello\"",
        "    server s1 127.0.0.1:1",
    );
    let lbd = LbdProcess::start(&cfg);
    let r = get_on_kept_connection(port, &lbd);
    assert_eq!(
        r.raw_str(),
        "HTTP/1.1 200 OK\r\ncontent-length: 5\r\ncontent-type: text/plain\r\n\r\nhello"
    );
}

#[test]
fn http_request_deny_sends_canned_403() {
    let be = HttpBackend::start("s1");
    let port = free_port();
    let cfg = http_config(port, "    http-request deny", &server_lines(&[&be], ""));
    let lbd = LbdProcess::start(&cfg);
    let r = get_on_kept_connection(port, &lbd);
    assert_eq!(r.raw_str(), canned::R403);
    assert_eq!(be.connections(), 0, "a denied request reached the server");
}

#[test]
fn no_server_available_gives_canned_503() {
    let port = free_port();
    let cfg = http_config(port, "", "    server s1 127.0.0.1:1 disabled");
    let lbd = LbdProcess::start(&cfg);
    assert_eq!(get_on_kept_connection(port, &lbd).raw_str(), canned::R503);
}

#[test]
fn garbage_from_the_server_gives_canned_502() {
    let be = HttpBackend::builder("g")
        .reply(Reply::Raw(b"NOT HTTP AT ALL\r\n\r\n".to_vec()))
        .start();
    let port = free_port();
    let lbd = LbdProcess::start(&http_config(port, "", &server_lines(&[&be], "")));
    assert_eq!(get_on_kept_connection(port, &lbd).raw_str(), canned::R502);
}

#[test]
fn silent_server_gives_canned_504() {
    let be = HttpBackend::builder("n").reply(Reply::Never).start();
    let port = free_port();
    let backend = format!("    timeout server 300ms\n{}", server_lines(&[&be], ""));
    let lbd = LbdProcess::start(&http_config(port, "", &backend));
    let r = RawClient::connect(port).request(GET);
    assert_eq!(r.raw_str(), canned::R504, "{}", lbd.output_hint());
}

/// A custom error page in the capitalisation a human writes.
const CUSTOM_503: &str =
    "HTTP/1.1 503 Service Unavailable\r\nX-Custom: yes\r\nContent-Type: text/plain\r\nContent-Length: 12\r\n\r\nsorry, down\n";

/// HAProxy 2.6 does not send an errorfile raw: it parses it at start-up and emits it
/// like any H1 message, so header names come out lower-cased, and the client
/// connection stays alive.
const CUSTOM_503_SENT: &str =
    "HTTP/1.1 503 Service Unavailable\r\nx-custom: yes\r\ncontent-type: text/plain\r\ncontent-length: 12\r\n\r\nsorry, down\n";

fn errorfile_test(backend_servers: &str) {
    let dir = TempDir::new();
    let page = dir.write("503.http", CUSTOM_503);
    let port = free_port();
    let backend = format!("    errorfile 503 {}\n{backend_servers}", page.display());
    let lbd = LbdProcess::start_in(dir, &http_config(port, "", &backend));
    assert_eq!(
        get_on_kept_connection(port, &lbd).raw_str(),
        CUSTOM_503_SENT
    );
}

#[test]
fn errorfile_replaces_503_when_all_servers_are_disabled() {
    errorfile_test("    server s1 127.0.0.1:1 disabled\n");
}

#[test]
fn errorfile_replaces_503_when_the_server_refuses() {
    // Nothing listens on the port, so every connect is refused until retries run out.
    // HAProxy waits min(1s, timeout connect) between attempts; keep that short.
    let dead = free_port();
    errorfile_test(&format!(
        "    retries 1\n    timeout connect 200ms\n    server s1 127.0.0.1:{dead}\n"
    ));
}
