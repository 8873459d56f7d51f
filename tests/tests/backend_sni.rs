//! `server ... ssl sni <expr>`: the expression is evaluated for each
//! request, its value is sent as SNI and checked in the server's
//! certificate (`verify required`), and connections made for one name are
//! never reused for another. On lbd and HAProxy 2.6 alike.

use tests::*;

/// `fe` reaches `fe_tls` (the proxy under test as the TLS server, whose
/// certificate names a.test and b.test) with `sni req.hdr(host)`; `fe_tls`
/// tells the plain backend which SNI and which connection each request
/// came with.
fn start(pki: &Pki, be: &HttpBackend) -> (LbdProcess, u16) {
    let dir = TempDir::new();
    let crt = pki.write_leaf(dir.path(), "inner.pem", &["a.test", "b.test"]);
    let ca = pki.write_ca(dir.path(), "ca.pem");
    let (front, inner) = (free_port(), free_port());
    let cfg = format!(
        "{HTTP_DEFAULTS}
frontend fe
    bind 127.0.0.1:{front}
    default_backend be_sni

backend be_sni
    http-reuse always
    server s 127.0.0.1:{inner} ssl verify required ca-file {ca} sni req.hdr(host)

frontend fe_tls
    bind 127.0.0.1:{inner} ssl crt {crt}
    http-request set-header X-Sni %[ssl_fc_sni]
    http-request set-header X-Conn %[src_port]
    default_backend be

backend be
    server s1 {addr}
",
        ca = ca.display(),
        crt = crt.display(),
        addr = be.addr(),
    );
    (LbdProcess::start_in(dir, &cfg), front)
}

/// `(x-sni, x-conn)` of every request the backend received.
fn seen(be: &HttpBackend) -> Vec<(String, String)> {
    be.received()
        .iter()
        .map(|r| {
            let head = r.head_str();
            let field = |n: &str| {
                head.lines()
                    .find_map(|l| {
                        let l = l.to_ascii_lowercase();
                        l.strip_prefix(n).map(|v| v.trim().to_string())
                    })
                    .unwrap_or_default()
            };
            (field("x-sni:"), field("x-conn:"))
        })
        .collect()
}

#[test]
fn each_request_sends_the_sni_its_host_header_names() {
    let pki = Pki::new("Test CA");
    let be = HttpBackend::start("s1");
    let (p, front) = start(&pki, &be);
    let mut c = RawClient::connect(front);
    for host in ["a.test", "b.test", "a.test", "b.test"] {
        let req = format!("GET / HTTP/1.1\r\nHost: {host}\r\n\r\n");
        let r = c.request(req.as_bytes());
        assert_eq!(r.status, 200, "{host}: {}{}", r.raw_str(), p.output_hint());
    }
    let seen = seen(&be);
    let names: Vec<&str> = seen.iter().map(|(s, _)| s.as_str()).collect();
    assert_eq!(
        names,
        ["a.test", "b.test", "a.test", "b.test"],
        "{}",
        p.output_hint()
    );
    // Each server connection (by its source port) carried one name only,
    // although `http-reuse always` would share any connection it may.
    let mut by_conn = std::collections::BTreeMap::<&str, &str>::new();
    for (sni, conn) in &seen {
        let first = by_conn.entry(conn).or_insert(sni);
        assert_eq!(first, sni, "one connection carried two names: {seen:?}");
    }
}

#[test]
fn a_name_the_certificate_does_not_cover_fails_verification() {
    let pki = Pki::new("Test CA");
    let be = HttpBackend::start("s1");
    let (p, front) = start(&pki, &be);
    let mut c = RawClient::connect(front);
    let start = std::time::Instant::now();
    let r = c.request(b"GET / HTTP/1.1\r\nHost: c.test\r\n\r\n");
    assert_eq!(r.status, 503, "{}{}", r.raw_str(), p.output_hint());
    // Not retried (a client must not provoke retries with a wrong name):
    // three retries would take three turn-around pauses of 1 s.
    assert!(
        start.elapsed() < std::time::Duration::from_secs(2),
        "answered after {:?}",
        start.elapsed()
    );
    assert!(be.received().is_empty());
    let mut c = RawClient::connect(front);
    let r = c.request(b"GET / HTTP/1.1\r\nHost: a.test\r\n\r\n");
    assert_eq!(r.status, 200, "{}{}", r.raw_str(), p.output_hint());
}
