//! TLS passthrough in `mode tcp`: `tcp-request content` rules and
//! `use_backend` read the ClientHello (`req_ssl_hello_type`,
//! `req_ssl_sni`) without terminating TLS, so each hostname reaches its own
//! TLS server and that server's certificate reaches the client; bad
//! hellos are closed while others go on being served.

use std::time::{Duration, Instant};
use tests::*;

/// curl to https://<host>:<port>/ resolved to 127.0.0.1, trusting `ca`.
fn curl_https(host: &str, port: u16, ca: &std::path::Path) -> CurlOutput {
    let resolve = format!("{host}:{port}:127.0.0.1");
    let url = format!("https://{host}:{port}/");
    let ca = ca.display().to_string();
    curl(&[
        "-i",
        "--max-time",
        "10",
        "--cacert",
        &ca,
        "--resolve",
        &resolve,
        &url,
    ])
}

/// Whether the proxy closes `c` within `within` without answering.
fn closed_silently(c: &mut RawClient, within: Duration) -> bool {
    let (got, closed) = c.read_until_close(within);
    closed && got.is_empty()
}

#[test]
fn sni_routes_to_the_right_tls_server_without_terminating() {
    let pki = Pki::new("Test CA");
    let (be_a, be_b) = (HttpBackend::start("sa"), HttpBackend::start("sb"));
    let dir = TempDir::new();
    // Each TLS server holds only its own name: a client reaching the wrong
    // one, or a proxy terminating TLS itself, fails verification.
    let crt_a = pki.write_leaf(dir.path(), "a.pem", &["a.example"]);
    let crt_b = pki.write_leaf(dir.path(), "b.example.pem", &["b.example"]);
    pki.write_ca(dir.path(), "ca.pem");
    let (port, tls_a, tls_b) = (free_port(), free_port(), free_port());
    let cfg = format!(
        "{TCP_DEFAULTS}
frontend passthrough
    bind 127.0.0.1:{port}
    tcp-request inspect-delay 2s
    tcp-request content accept if {{ req_ssl_hello_type 1 }}
    use_backend b1 if {{ req_ssl_sni -i a.example }}
    use_backend b2 if {{ req.ssl_sni -i b.example }} {{ req.ssl_ver ge 3.1 }}

backend b1
    server a 127.0.0.1:{tls_a}

backend b2
    server b 127.0.0.1:{tls_b}

frontend tls_a
    mode http
    bind 127.0.0.1:{tls_a} ssl crt {crt_a}
    default_backend web_a

frontend tls_b
    mode http
    bind 127.0.0.1:{tls_b} ssl crt {crt_b}
    default_backend web_b

backend web_a
    mode http
    server sa {}

backend web_b
    mode http
    server sb {}
",
        be_a.addr(),
        be_b.addr(),
        crt_a = crt_a.display(),
        crt_b = crt_b.display(),
    );
    let lbd = LbdProcess::start_in(dir, &cfg);
    let ca = lbd.dir().join("ca.pem");

    for (host, who) in [
        ("a.example", "sa"),
        ("b.example", "sb"),
        ("A.EXAMPLE", "sa"),
    ] {
        let out = curl_https(host, port, &ca);
        assert_eq!(out.code, 0, "{host}: curl failed: {}", out.stderr);
        let r = &out.responses()[0];
        assert_eq!(r.status, 200, "{host}");
        assert_eq!(r.served_by(), who, "{host}");
    }
    assert_eq!((be_a.requests(), be_b.requests()), (2, 1));

    // An unknown name matches no use_backend and there is no default.
    let out = curl_https("c.example", port, &ca);
    assert_ne!(out.code, 0, "c.example was served");

    // Garbage is not a hello: no rule matches, no backend, closed.
    let mut garbage = RawClient::connect(port);
    let _ = garbage.send(b"GET / HTTP/1.1\r\nHost: a.example\r\n\r\n");
    // A hello cut short: waited for until inspect-delay, then closed.
    let mut truncated = RawClient::connect(port);
    let _ = truncated.send(&[0x16, 3, 1, 0x02, 0x00, 1, 0, 1, 0xfc, 3, 3, 0, 0]);
    let start = Instant::now();
    // Others are served meanwhile.
    let out = curl_https("b.example", port, &ca);
    assert_eq!(out.code, 0, "b.example during bad input: {}", out.stderr);
    assert_eq!(out.responses()[0].served_by(), "sb");
    assert!(
        closed_silently(&mut garbage, Duration::from_secs(5)),
        "garbage kept open"
    );
    assert!(
        closed_silently(&mut truncated, Duration::from_secs(6)),
        "truncated hello kept open"
    );
    assert!(start.elapsed() < Duration::from_secs(6));
    assert_eq!((be_a.requests(), be_b.requests()), (2, 2));
}
