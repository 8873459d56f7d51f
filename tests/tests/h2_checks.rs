//! HTTP health checks of HTTP/2 servers. As in HAProxy 2.6, an HTTP check
//! of a `proto h2` server speaks h2 (the server's protocol is inherited by
//! HTTP checks), `check-proto` overrides it, and `check-proto` must suit
//! the check type. The h2-only server is the real HAProxy 2.6 (a
//! `proto h2` bind and an `ssl ... alpn h2` bind answering with
//! `http-request return`), whatever `LBD_BIN` says.

use tests::haproxy_peer::Peer;
use tests::stats_socket::{wait_check, wait_socket};
use tests::*;

#[test]
fn http_checks_of_h2_servers_speak_h2() {
    let pki = Pki::new("Test CA");
    let dir = TempDir::new();
    let crt = pki.write_leaf(dir.path(), "peer.pem", &["peer.test"]);
    let (h2c, h2s, fe) = (free_port(), free_port(), free_port());
    let _peer = Peer::start(
        &format!(
            "defaults
    mode http
    timeout connect 2s
    timeout client 10s
    timeout server 10s

frontend h2only
    bind 127.0.0.1:{h2c} proto h2
    bind 127.0.0.1:{h2s} ssl crt {} alpn h2
    http-request return status 503 content-type text/plain string down if {{ path /down }}
    http-request return status 200 content-type text/plain lf-string \"alive-h2 %[req.ver] %[req.body]\"
",
            crt.display()
        ),
        h2c,
    );
    let sock = dir.join("stats.sock");
    let cfg = format!(
        "global
    stats socket {sock} level admin

defaults
    mode http
    timeout connect 2s
    timeout client 10s
    timeout server 10s

frontend fe
    bind 127.0.0.1:{fe}
    default_backend b_ok

backend b_ok
    option httpchk GET /health
    http-check expect string alive-h2
    server s 127.0.0.1:{h2c} proto h2 check inter 100

backend b_down
    option httpchk GET /down
    server s 127.0.0.1:{h2c} proto h2 check inter 100

backend b_body
    option httpchk
    http-check send meth POST uri /health hdr host chk.test body hello
    http-check expect string \"alive-h2 2.0 hello\"
    server s 127.0.0.1:{h2c} proto h2 check inter 100

backend b_h1
    option httpchk GET /health
    server s 127.0.0.1:{h2c} proto h2 check inter 100 check-proto h1

backend b_tls
    option httpchk GET /health
    http-check expect string alive-h2
    server s 127.0.0.1:{h2s} ssl verify none alpn h2 check inter 100

backend b_tcp
    server s 127.0.0.1:{h2c} proto h2 check inter 100
",
        sock = sock.display()
    );
    let p = LbdProcess::start_in(dir, &cfg);
    wait_socket(&sock);
    // The check is an h2 request: the server answers it (req.ver 2.0).
    wait_check(&p, &sock, "b_ok", "s", "UP", "L7OK");
    wait_check(&p, &sock, "b_body", "s", "UP", "L7OK");
    // An h2 503 has no reason phrase: 2.6 logs no info.
    wait_check(&p, &sock, "b_down", "s", "DOWN", "L7STS");
    let line = "Server b_down/s is DOWN, reason: Layer7 wrong status, code: 503, check duration: ";
    assert!(p.stderr().contains(line), "{}", p.output_hint());
    // `check-proto h1` sends HTTP/1 to a server that only speaks h2.
    wait_check(&p, &sock, "b_h1", "s", "DOWN", "L7RSP");
    // A TCP check of an h2 server connects only.
    wait_check(&p, &sock, "b_tcp", "s", "UP", "L4OK");
    // Traffic reaches the h2 server too.
    let url = format!("http://127.0.0.1:{fe}/");
    let r = curl(&[url.as_str()]);
    assert!(
        r.stdout_str().starts_with("alive-h2 2.0"),
        "{} {}{}",
        r.stdout_str(),
        r.stderr,
        p.output_hint()
    );
    // Over TLS, lbd speaks what ALPN negotiated (h2); HAProxy 2.6.12 sends
    // HTTP/1 there and marks the server down (a documented difference).
    if is_haproxy() {
        wait_check(&p, &sock, "b_tls", "s", "DOWN", "L7RSP");
    } else {
        wait_check(&p, &sock, "b_tls", "s", "UP", "L7OK");
    }
}

#[test]
fn check_proto_must_suit_the_check_type() {
    let cfg = "defaults
    mode http
    timeout connect 2s
    timeout client 10s
    timeout server 10s

backend b_http_mux_tcp_check
    server s 127.0.0.1:9 check check-proto h2

backend b_tcp_mux_http_check
    option httpchk
    server s 127.0.0.1:9 check check-proto none

backend b_fine
    option httpchk
    server s 127.0.0.1:9 check check-proto h1
";
    let (code, _, stderr) = check(cfg);
    assert_ne!(code, 0, "{stderr}");
    for be in ["b_http_mux_tcp_check", "b_tcp_mux_http_check"] {
        let line = format!(
            "config : config: backend '{be}': server 's' uses an incompatible MUX protocol for the selected check type"
        );
        assert!(stderr.contains(&line), "{stderr}");
    }
    assert!(!stderr.contains("b_fine"), "{stderr}");
    let (code, _, stderr) = check(
        "defaults\n    mode http\nbackend b\n    server s 127.0.0.1:9 check check-proto spdy\n",
    );
    assert_ne!(code, 0, "{stderr}");
    assert!(
        stderr.contains("'check-proto' :  unknown MUX protocol 'spdy'"),
        "{stderr}"
    );
}
