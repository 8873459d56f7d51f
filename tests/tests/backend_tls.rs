//! What travels toward servers besides traffic: health checks of `ssl`
//! servers run over TLS with the server's verification, and checks of
//! `send-proxy*` servers open with a PROXY header, as HAProxy 2.6 does when
//! the check goes to the server's own address and port. The PROXY peer is
//! the real HAProxy, whatever `LBD_BIN` says.

use std::time::Duration;

use tests::haproxy_peer::Peer;
use tests::stats_socket::{wait_check, wait_socket};
use tests::*;

fn global(sock: &std::path::Path) -> String {
    format!(
        "global
    maxconn 1000
    stats socket {} level admin

defaults
    mode http
    timeout connect 2s
    timeout client 10s
    timeout server 10s
",
        sock.display()
    )
}

#[test]
fn health_checks_of_an_ssl_server_run_over_tls() {
    let pki = Pki::new("Test CA");
    let be = HttpBackend::start("s1");
    let dir = TempDir::new();
    let crt = pki.write_leaf(dir.path(), "inner.pem", &["inner.test"]);
    let ca = pki.write_ca(dir.path(), "ca.pem");
    let other = Pki::new("Other CA").write_ca(dir.path(), "other.pem");
    let sock = dir.join("stats.sock");
    let inner = free_port();
    let srv = |ca: &std::path::Path| {
        format!(
            "server s 127.0.0.1:{inner} ssl verify required ca-file {} check inter 100 fall 2",
            ca.display()
        )
    };
    let cfg = format!(
        "{}
frontend fe_tls
    bind 127.0.0.1:{inner} ssl crt {crt}
    default_backend be

backend be
    server s1 {addr}

backend b_l6
    {good}

backend b_l7
    option httpchk GET /health
    {good}

backend b_bad
    {bad}
",
        global(&sock),
        crt = crt.display(),
        addr = be.addr(),
        good = srv(&ca),
        bad = srv(&other),
    );
    let p = LbdProcess::start_in(dir, &cfg);
    wait_socket(&sock);
    // A connect-only check of an ssl server completes the handshake.
    wait_check(&p, &sock, "b_l6", "s", "UP", "L6OK");
    // An HTTP check speaks HTTP inside TLS: the request reaches the backend
    // through the TLS frontend.
    wait_check(&p, &sock, "b_l7", "s", "UP", "L7OK");
    assert!(
        be.received()
            .iter()
            .any(|r| r.head_str().starts_with("GET /health HTTP/1.0")),
        "no check request went through TLS{}",
        p.output_hint()
    );
    // A certificate that does not chain to the ca-file fails the check.
    wait_check(&p, &sock, "b_bad", "s", "DOWN", "L6RSP");
    let line =
        "Server b_bad/s is DOWN, reason: Layer6 invalid response, info: \"SSL handshake failure\"";
    assert!(p.stderr().contains(line), "{}", p.output_hint());
}

#[test]
fn health_checks_send_the_proxy_header_of_the_server_line() {
    let be = HttpBackend::start("s1");
    let peer_port = free_port();
    let peer = format!(
        "{HTTP_DEFAULTS}
frontend fe
    bind 127.0.0.1:{peer_port} accept-proxy
    default_backend be
backend be
    server s1 {}
",
        be.addr()
    );
    let _peer = Peer::start(&peer, peer_port);
    let dir = TempDir::new();
    let sock = dir.join("stats.sock");
    let chk = "check inter 100 fall 2";
    let cfg = format!(
        "{}
frontend fe
    bind 127.0.0.1:{front}
    default_backend b_v1

backend b_v1
    option httpchk
    server s 127.0.0.1:{peer_port} send-proxy {chk}

backend b_v2
    option httpchk
    server s 127.0.0.1:{peer_port} send-proxy-v2 {chk}

backend b_moved
    option httpchk
    server s 127.0.0.1:{peer_port} send-proxy {chk} port {peer_port}
",
        global(&sock),
        front = free_port(),
    );
    let p = LbdProcess::start_in(dir, &cfg);
    wait_socket(&sock);
    wait_check(&p, &sock, "b_v1", "s", "UP", "L7OK");
    wait_check(&p, &sock, "b_v2", "s", "UP", "L7OK");
    // A check moved with `port` goes in clear, without the header: the
    // accept-proxy peer resets it, a socket error.
    wait_check(&p, &sock, "b_moved", "s", "DOWN", "SOCKERR");
    let line = "Server b_moved/s is DOWN, reason: Socket error, info: \"Connection reset by peer\"";
    assert!(p.stderr().contains(line), "{}", p.output_hint());
}

/// The v2 header HAProxy 2.6.12 sends with `proxy-v2-options
/// crc32c,unique-id` for 127.0.0.1:40001 -> 127.0.0.1:39450, with one
/// address byte changed when `corrupt`.
fn sealed_header(corrupt: bool) -> Vec<u8> {
    let mut h = b"\r\n\r\n\0\r\nQUIT\n\x21\x11\x00\x16\
        \x7f\x00\x00\x01\x7f\x00\x00\x01\x9c\x41\x9a\x1a\
        \x03\x00\x04\x09\x94\xf8\x32\x05\x00\x00"
        .to_vec();
    if corrupt {
        h[16] = 0x7e;
    }
    h
}

#[test]
fn a_crc32c_sealed_header_is_checked() {
    let be = HttpBackend::start("s1");
    let port = free_port();
    let cfg = format!(
        "{HTTP_DEFAULTS}
frontend fe
    bind 127.0.0.1:{port} accept-proxy
    http-request set-header X-Src %[src]:%[src_port]
    default_backend be
backend be
    server s1 {}
",
        be.addr()
    );
    let p = LbdProcess::start(&cfg);
    // HAProxy itself seals its header: it is accepted end to end.
    let outer = free_port();
    let _peer = Peer::start(
        &format!(
            "{HTTP_DEFAULTS}
frontend fe
    bind 127.0.0.1:{outer}
    default_backend be
backend be
    server s1 127.0.0.1:{port} send-proxy-v2 proxy-v2-options crc32c,unique-id
"
        ),
        outer,
    );
    let mut c = RawClient::connect(outer);
    let me = c.stream().local_addr().map(|a| a.port()).unwrap_or(0);
    let r = c.request(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    assert_eq!(r.status, 200, "{}{}", r.raw_str(), p.output_hint());
    let head = be
        .received()
        .last()
        .map(|r| r.head_str())
        .unwrap_or_default();
    assert!(head.contains(&format!("x-src: 127.0.0.1:{me}")), "{head}");
    // The captured header as is, then with a byte changed under its CRC.
    let mut c = RawClient::connect(port);
    let mut req = sealed_header(false);
    req.extend_from_slice(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    let r = c.request(&req);
    assert_eq!(r.status, 200, "{}{}", r.raw_str(), p.output_hint());
    let head = be
        .received()
        .last()
        .map(|r| r.head_str())
        .unwrap_or_default();
    assert!(head.contains("x-src: 127.0.0.1:40001"), "{head}");
    let served = be.requests();
    let mut c = RawClient::connect(port);
    let mut req = sealed_header(true);
    req.extend_from_slice(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    let _ = c.send(&req);
    let (bytes, closed) = c.read_until_close(Duration::from_secs(5));
    assert!(
        closed && bytes.is_empty(),
        "{}",
        String::from_utf8_lossy(&bytes)
    );
    assert_eq!(be.requests(), served);
}

#[test]
fn requests_with_different_sni_never_share_a_connection() {
    let pki = Pki::new("Test CA");
    let be = HttpBackend::start("s1");
    let dir = TempDir::new();
    let crt = pki.write_leaf(dir.path(), "inner.pem", &["a.test", "b.test"]);
    let ca = pki.write_ca(dir.path(), "ca.pem");
    let (front, inner) = (free_port(), free_port());
    let srv = |name: &str, sni: &str| {
        format!(
            "server {name} 127.0.0.1:{inner} ssl verify required ca-file {} sni str({sni})",
            ca.display()
        )
    };
    let cfg = format!(
        "{HTTP_DEFAULTS}
frontend fe
    bind 127.0.0.1:{front}
    default_backend be_sni

backend be_sni
    http-reuse always
    {a}
    {b}

frontend fe_tls
    bind 127.0.0.1:{inner} ssl crt {crt}
    http-request set-header X-Sni %[ssl_fc_sni]
    http-request set-header X-Conn %[src_port]
    default_backend be

backend be
    server s1 {addr}
",
        a = srv("sa", "a.test"),
        b = srv("sb", "b.test"),
        crt = crt.display(),
        addr = be.addr(),
    );
    let p = LbdProcess::start_in(dir, &cfg);
    let mut c = RawClient::connect(front);
    for _ in 0..6 {
        let r = c.request(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n");
        assert_eq!(r.status, 200, "{}{}", r.raw_str(), p.output_hint());
    }
    // Round robin alternates the two names; each server connection (by its
    // source port) only ever carried the name its handshake sent.
    let mut by_conn = std::collections::BTreeMap::<String, String>::new();
    let mut names = std::collections::BTreeSet::new();
    for r in be.received() {
        let head = r.head_str();
        let field = |n: &str| {
            head.lines()
                .find_map(|l| l.strip_prefix(n).map(|v| v.trim().to_string()))
                .unwrap_or_default()
        };
        let (sni, conn) = (field("x-sni:"), field("x-conn:"));
        names.insert(sni.clone());
        let first = by_conn.entry(conn).or_insert_with(|| sni.clone());
        assert_eq!(*first, sni, "one connection carried two names");
    }
    assert_eq!(names.len(), 2, "{names:?}{}", p.output_hint());
    assert!(by_conn.len() >= 2);
}

#[test]
fn fc_pp_authority_reads_the_received_tlv() {
    let be = HttpBackend::start("s1");
    let port = free_port();
    let cfg = format!(
        "{HTTP_DEFAULTS}
frontend fe
    bind 127.0.0.1:{port} accept-proxy
    http-request set-header X-Authority %[fc_pp_authority]
    default_backend be
backend be
    server s1 {}
",
        be.addr()
    );
    let p = LbdProcess::start(&cfg);
    // v2 PROXY TCP4 with an AUTHORITY TLV "app.example".
    let mut req = b"\r\n\r\n\0\r\nQUIT\n\x21\x11\x00\x1a".to_vec();
    req.extend_from_slice(&[127, 0, 0, 1, 127, 0, 0, 1, 0x10, 0x00, 0x00, 0x50]);
    req.extend_from_slice(b"\x02\x00\x0bapp.example");
    req.extend_from_slice(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    let mut c = RawClient::connect(port);
    let r = c.request(&req);
    assert_eq!(r.status, 200, "{}{}", r.raw_str(), p.output_hint());
    let head = be
        .received()
        .last()
        .map(|r| r.head_str())
        .unwrap_or_default();
    assert!(head.contains("x-authority: app.example"), "{head}");
}

/// The v2 header HAProxy 2.6.12 sends with `send-proxy-v2 proxy-v2-options
/// authority,crc32c` for a client whose own PROXY header announced
/// 127.0.0.1:4096 -> 127.0.0.1:80 with the authority `app.example`: the
/// CRC32C TLV first, then the received authority passed on.
const HAPROXY_AUTHORITY_CRC32C: &[u8] = b"\r\n\r\n\0\r\nQUIT\n\x21\x11\x00\x21\
    \x7f\x00\x00\x01\x7f\x00\x00\x01\x10\x00\x00\x50\
    \x03\x00\x04\x69\xb9\x42\xe9\x02\x00\x0bapp.example";

/// A request behind a v2 PROXY header announcing 127.0.0.1:4096 ->
/// 127.0.0.1:80 with the AUTHORITY TLV `app.example`.
fn request_with_authority() -> Vec<u8> {
    let mut req = b"\r\n\r\n\0\r\nQUIT\n\x21\x11\x00\x1a".to_vec();
    req.extend_from_slice(&[127, 0, 0, 1, 127, 0, 0, 1, 0x10, 0x00, 0x00, 0x50]);
    req.extend_from_slice(b"\x02\x00\x0bapp.example");
    req.extend_from_slice(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    req
}

#[test]
fn proxy_v2_options_authority_crc32c_sends_haproxys_bytes() {
    use std::io::Read;
    let listener = match std::net::TcpListener::bind("127.0.0.1:0") {
        Ok(l) => l,
        Err(e) => panic!("cannot listen: {e}"),
    };
    let srv_port = listener.local_addr().map(|a| a.port()).unwrap_or(0);
    let port = free_port();
    let cfg = format!(
        "{HTTP_DEFAULTS}
frontend fe
    bind 127.0.0.1:{port} accept-proxy
    default_backend be
backend be
    server s1 127.0.0.1:{srv_port} send-proxy-v2 proxy-v2-options authority,crc32c
"
    );
    let p = LbdProcess::start(&cfg);
    let capture = std::thread::spawn(move || {
        let (mut s, _) = listener.accept().ok()?;
        s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
        let mut got = vec![0u8; HAPROXY_AUTHORITY_CRC32C.len()];
        s.read_exact(&mut got).ok()?;
        Some(got)
    });
    let mut c = RawClient::connect(port);
    let _ = c.send(&request_with_authority());
    let got = capture.join().ok().flatten().unwrap_or_default();
    assert_eq!(
        got,
        HAPROXY_AUTHORITY_CRC32C,
        "{:?}{}",
        String::from_utf8_lossy(&got),
        p.output_hint()
    );
}

#[test]
fn proxy_v2_options_authority_reaches_an_accept_proxy_peer() {
    let be = HttpBackend::start("s1");
    let peer_port = free_port();
    let _peer = Peer::start(
        &format!(
            "{HTTP_DEFAULTS}
frontend fe
    bind 127.0.0.1:{peer_port} accept-proxy
    http-request set-header X-Authority %[fc_pp_authority]
    http-request set-header X-Src %[src]:%[src_port]
    default_backend be
backend be
    server s1 {}
",
            be.addr()
        ),
        peer_port,
    );
    let port = free_port();
    let cfg = format!(
        "{HTTP_DEFAULTS}
frontend fe
    bind 127.0.0.1:{port} accept-proxy
    default_backend be
backend be
    server s1 127.0.0.1:{peer_port} send-proxy-v2 proxy-v2-options authority,crc32c
"
    );
    let p = LbdProcess::start(&cfg);
    let mut c = RawClient::connect(port);
    let r = c.request(&request_with_authority());
    assert_eq!(r.status, 200, "{}{}", r.raw_str(), p.output_hint());
    let head = be
        .received()
        .last()
        .map(|r| r.head_str())
        .unwrap_or_default();
    // The peer checked the CRC (it drops a bad one) and read both the
    // announced client and the authority passed on.
    assert!(head.contains("x-authority: app.example"), "{head}");
    assert!(head.contains("x-src: 127.0.0.1:4096"), "{head}");
}

#[test]
fn proxy_v2_options_authority_is_the_clients_sni_without_a_received_one() {
    let pki = Pki::new("Test CA");
    let be = HttpBackend::start("s1");
    let peer_port = free_port();
    let _peer = Peer::start(
        &format!(
            "{HTTP_DEFAULTS}
frontend fe
    bind 127.0.0.1:{peer_port} accept-proxy
    http-request set-header X-Authority %[fc_pp_authority]
    default_backend be
backend be
    server s1 {}
",
            be.addr()
        ),
        peer_port,
    );
    let dir = TempDir::new();
    let crt = pki.write_leaf(dir.path(), "front.pem", &["app.test"]);
    let port = free_port();
    let cfg = format!(
        "{HTTP_DEFAULTS}
frontend fe
    bind 127.0.0.1:{port} ssl crt {}
    default_backend be
backend be
    server s1 127.0.0.1:{peer_port} send-proxy-v2 proxy-v2-options authority,crc32c,ssl-cipher
",
        crt.display()
    );
    let p = LbdProcess::start_in(dir, &cfg);
    let out = curl(&[
        "-k",
        "-o",
        "/dev/null",
        "-w",
        "%{http_code}",
        "--resolve",
        &format!("app.test:{port}:127.0.0.1"),
        &format!("https://app.test:{port}/"),
    ]);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "200",
        "{}{}",
        out.stderr,
        p.output_hint()
    );
    let head = be
        .received()
        .last()
        .map(|r| r.head_str())
        .unwrap_or_default();
    assert!(head.contains("x-authority: app.test"), "{head}");
}
