//! `req.ver` is the version the client's request line (or protocol) gave:
//! `1.9` for an `HTTP/1.9` request, `2.0` over h2, `3.0` over h3, although
//! each reaches the server as HTTP/1.1. On lbd and HAProxy 2.6 (h3 on lbd
//! only: Debian's HAProxy has no QUIC).

use std::time::{Duration, Instant};
use tests::h3client::{self, Request};
use tests::*;

const ANSWER: &str =
    "    http-request return status 200 content-type text/plain lf-string \"ver=%[req.ver]\"";

#[test]
fn http1_requests_say_the_version_they_wrote() {
    let (port, h2) = (free_port(), free_port());
    let cfg = format!(
        "{HTTP_DEFAULTS}
frontend fe
    bind 127.0.0.1:{port}
    bind 127.0.0.1:{h2} proto h2
{ANSWER}
"
    );
    let p = LbdProcess::start(&cfg);
    for (version, want) in [
        ("HTTP/1.1", "ver=1.1"),
        ("HTTP/1.0", "ver=1.0"),
        ("HTTP/1.9", "ver=1.9"),
    ] {
        let mut c = RawClient::connect(port);
        let req = format!("GET / {version}\r\nHost: a\r\nConnection: close\r\n\r\n");
        let r = c.request(req.as_bytes());
        assert_eq!(r.body_str(), want, "{}{}", r.raw_str(), p.output_hint());
    }
    let url = format!("http://127.0.0.1:{h2}/");
    let out = curl(&["--http2-prior-knowledge", &url]);
    assert_eq!(
        out.stdout_str(),
        "ver=2.0",
        "{} {}{}",
        out.stdout_str(),
        out.stderr,
        p.output_hint()
    );
}

#[test]
fn h3_requests_say_3_0() {
    if is_haproxy() {
        return;
    }
    let dir = TempDir::new();
    let pki = Pki::new("Ver CA");
    let ca = pki.write_ca(dir.path(), "ca.pem");
    let crt = pki.write_leaf(dir.path(), "site.pem", &["site.test"]);
    let (tcp, quic) = (free_port(), free_port());
    // The harness waits for TCP binds; the QUIC one is a one-port range
    // it does not wait on, polled below instead.
    let cfg = format!(
        "{HTTP_DEFAULTS}
frontend fe
    bind 127.0.0.1:{tcp}
    bind quic4@127.0.0.1:{quic}-{quic} ssl crt {crt} alpn h3
{ANSWER}
",
        crt = crt.display()
    );
    let p = LbdProcess::start_in(dir, &cfg);
    let deadline = Instant::now() + Duration::from_secs(5);
    let r = loop {
        match h3client::request(quic, "site.test", &ca, Request::get("/")) {
            Ok(r) => break r,
            Err(e) if Instant::now() > deadline => panic!("{e}{}", p.output_hint()),
            Err(_) => std::thread::sleep(Duration::from_millis(50)),
        }
    };
    assert_eq!(r.body_str(), "ver=3.0", "{}", p.output_hint());
}
