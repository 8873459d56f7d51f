//! `server ... ssl sni <expr>` beyond a plain fetch: maps in the expression
//! follow the runtime API's `set map`, and TCP-mode backends evaluate it too
//! (`sni ssl_fc_sni` re-encrypts with the client's name). On lbd and
//! HAProxy 2.6 alike.

use tests::stats_socket::{cli, wait_socket};
use tests::*;

/// The `X-Sni` header of every request the backend received.
fn snis(be: &HttpBackend) -> Vec<String> {
    be.received()
        .iter()
        .map(|r| {
            r.head_str()
                .lines()
                .find_map(|l| {
                    let l = l.to_ascii_lowercase();
                    l.strip_prefix("x-sni:").map(|v| v.trim().to_string())
                })
                .unwrap_or_default()
        })
        .collect()
}

/// The proxy under test as a TLS server whose certificate names a.test
/// and b.test, telling `be` which SNI each request came with.
fn inner_frontend(port: u16, crt: &std::path::Path, be: &HttpBackend) -> String {
    format!(
        "frontend fe_tls
    mode http
    bind 127.0.0.1:{port} ssl crt {crt}
    http-request set-header X-Sni %[ssl_fc_sni]
    default_backend be

backend be
    mode http
    server s1 {addr}
",
        crt = crt.display(),
        addr = be.addr(),
    )
}

#[test]
fn set_map_changes_the_sni_a_map_in_the_expression_gives() {
    let pki = Pki::new("Test CA");
    let be = HttpBackend::start("s1");
    let dir = TempDir::new();
    let crt = pki.write_leaf(dir.path(), "inner.pem", &["a.test", "b.test"]);
    let ca = pki.write_ca(dir.path(), "ca.pem");
    let map = dir.path().join("sni.map");
    if let Err(e) = std::fs::write(&map, "front.test a.test\n") {
        panic!("write {}: {e}", map.display());
    }
    let sock = dir.path().join("admin.sock");
    let (front, inner) = (free_port(), free_port());
    let cfg = format!(
        "global
    maxconn 1000
    stats socket {sock} level admin

defaults
    mode http
    timeout connect 2s
    timeout client 10s
    timeout server 10s

frontend fe
    bind 127.0.0.1:{front}
    default_backend be_sni

backend be_sni
    server s 127.0.0.1:{inner} ssl verify required ca-file {ca} sni req.hdr(host),map({map})

{inner_fe}",
        sock = sock.display(),
        ca = ca.display(),
        map = map.display(),
        inner_fe = inner_frontend(inner, &crt, &be),
    );
    let p = LbdProcess::start_in(dir, &cfg);
    wait_socket(&sock);
    let get = || {
        let mut c = RawClient::connect(front);
        let r = c.request(b"GET / HTTP/1.1\r\nHost: front.test\r\n\r\n");
        assert_eq!(r.status, 200, "{}{}", r.raw_str(), p.output_hint());
    };
    get();
    let reply = cli(
        &sock,
        &format!("set map {} front.test b.test", map.display()),
    );
    assert_eq!(reply, "\n", "{}", p.output_hint());
    get();
    assert_eq!(snis(&be), ["a.test", "b.test"], "{}", p.output_hint());
}

#[test]
fn a_tcp_backend_re_encrypts_with_the_clients_sni() {
    let pki = Pki::new("Test CA");
    let be = HttpBackend::start("s1");
    let dir = TempDir::new();
    let outer = pki.write_leaf(dir.path(), "outer.pem", &["a.test", "b.test"]);
    let crt = pki.write_leaf(dir.path(), "inner.pem", &["a.test", "b.test"]);
    let ca = pki.write_ca(dir.path(), "ca.pem");
    let (front, inner) = (free_port(), free_port());
    let cfg = format!(
        "{TCP_DEFAULTS}
frontend fe
    bind 127.0.0.1:{front} ssl crt {outer}
    default_backend be_sni

backend be_sni
    server s 127.0.0.1:{inner} ssl verify required ca-file {ca} sni ssl_fc_sni

{inner_fe}",
        outer = outer.display(),
        ca = ca.display(),
        inner_fe = inner_frontend(inner, &crt, &be),
    );
    let p = LbdProcess::start_in(dir, &cfg);
    let ca = p.dir().join("ca.pem").display().to_string();
    for host in ["a.test", "b.test"] {
        let resolve = format!("{host}:{front}:127.0.0.1");
        let url = format!("https://{host}:{front}/");
        let out = curl(&["-i", "--cacert", &ca, "--resolve", &resolve, &url]);
        let status = out.responses().first().map(|r| r.status);
        assert_eq!(
            status,
            Some(200),
            "{host}: {} {}{}",
            out.stdout_str(),
            out.stderr,
            p.output_hint()
        );
    }
    assert_eq!(snis(&be), ["a.test", "b.test"], "{}", p.output_hint());
}
