//! PROXY protocol v1/v2 both ways, with the real HAProxy 2.6 as the peer:
//! `send-proxy[-v2]` toward an `accept-proxy` bind, in either direction. The
//! proxied address is seen through `X-Src`, set from `%[src]:%[src_port]`
//! by the receiving side: on loopback only the port tells the client apart.

use std::time::{Duration, Instant};

use tests::haproxy_peer::Peer;
use tests::*;

/// The receiving side: an `accept-proxy` bind (or `extra` rules) that
/// names the client it was told about in `X-Src`.
fn receiver(port: u16, bind_opts: &str, extra: &str, be: &HttpBackend) -> String {
    format!(
        "{HTTP_DEFAULTS}
frontend fe
    bind 127.0.0.1:{port} {bind_opts}
{extra}
    http-request set-header X-Src %[src]:%[src_port]
    http-request set-header X-Dst %[dst_port]
    default_backend be
backend be
    server s1 {}
",
        be.addr()
    )
}

/// The sending side: a plain bind relaying to `target` with `send`.
fn sender(port: u16, target: u16, send: &str) -> String {
    format!(
        "{HTTP_DEFAULTS}
frontend fe
    bind 127.0.0.1:{port}
    default_backend be
backend be
    server s1 127.0.0.1:{target} {send}
"
    )
}

/// Sends one request from a client whose port is known; returns that port
/// and the `X-Src`/`X-Dst` the backend saw.
fn request_via(port: u16, be: &HttpBackend) -> (u16, String, String) {
    let mut c = RawClient::connect(port);
    let me = c.stream().local_addr().map(|a| a.port()).unwrap_or(0);
    let r = c.request(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    assert_eq!(r.status, 200, "{}", r.raw_str());
    let head = be
        .received()
        .last()
        .map(|r| r.head_str())
        .unwrap_or_default();
    let field = |name: &str| {
        head.lines()
            .find_map(|l| l.strip_prefix(name).map(|v| v.trim().to_string()))
            .unwrap_or_default()
    };
    (me, field("x-src:"), field("x-dst:"))
}

#[test]
fn haproxy_send_proxy_reaches_an_accept_proxy_bind() {
    for send in ["send-proxy", "send-proxy-v2"] {
        let be = HttpBackend::start("b");
        let inner = free_port();
        let lbd = LbdProcess::start(&receiver(inner, "accept-proxy", "", &be));
        let outer = free_port();
        let _peer = Peer::start(&sender(outer, inner, send), outer);
        let (me, src, dst) = request_via(outer, &be);
        assert_eq!(
            src,
            format!("127.0.0.1:{me}"),
            "{send}{}",
            lbd.output_hint()
        );
        assert_eq!(dst, outer.to_string(), "{send}");
    }
}

#[test]
fn send_proxy_reaches_haproxy_accept_proxy() {
    for send in ["send-proxy", "send-proxy-v2"] {
        let be = HttpBackend::start("b");
        let inner = free_port();
        let _peer = Peer::start(&receiver(inner, "accept-proxy", "", &be), inner);
        let outer = free_port();
        let lbd = LbdProcess::start(&sender(outer, inner, send));
        for _ in 0..2 {
            // Each client is named by its own header: no connection is
            // reused across clients.
            let (me, src, dst) = request_via(outer, &be);
            assert_eq!(
                src,
                format!("127.0.0.1:{me}"),
                "{send}{}",
                lbd.output_hint()
            );
            assert_eq!(dst, outer.to_string(), "{send}");
        }
    }
}

#[test]
fn announced_addresses_replace_the_socket_ones() {
    let be = HttpBackend::start("b");
    let port = free_port();
    let rule = "    tcp-request connection expect-proxy layer4 if { src 127.0.0.1 }";
    for (opts, extra) in [("accept-proxy", ""), ("", rule)] {
        let lbd = LbdProcess::start(&receiver(port, opts, extra, &be));
        for header in [
            b"PROXY TCP4 192.0.2.7 198.51.100.1 4242 8443\r\n".to_vec(),
            {
                let mut v2 = b"\r\n\r\n\0\r\nQUIT\n\x21\x11\x00\x0c".to_vec();
                v2.extend_from_slice(&[192, 0, 2, 7, 198, 51, 100, 1, 0x10, 0x92, 0x20, 0xfb]);
                v2
            },
        ] {
            let mut c = RawClient::connect(port);
            let mut req = header;
            req.extend_from_slice(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n");
            let r = c.request(&req);
            assert_eq!(r.status, 200, "{}{}", r.raw_str(), lbd.output_hint());
            let head = be
                .received()
                .last()
                .map(|r| r.head_str())
                .unwrap_or_default();
            assert!(head.contains("x-src: 192.0.2.7:4242"), "{head}");
            assert!(head.contains("x-dst: 8443"), "{head}");
        }
        drop(lbd);
    }
}

#[test]
fn a_request_without_header_is_closed_unanswered() {
    let be = HttpBackend::start("b");
    let port = free_port();
    let _lbd = LbdProcess::start(&receiver(port, "accept-proxy", "", &be));
    let mut c = RawClient::connect(port);
    let _ = c.send(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    let (bytes, closed) = c.read_until_close(Duration::from_secs(5));
    assert!(
        closed && bytes.is_empty(),
        "{}",
        String::from_utf8_lossy(&bytes)
    );
    assert_eq!(be.requests(), 0);
}

#[test]
fn timeout_client_bounds_the_wait_for_the_header() {
    let be = HttpBackend::start("b");
    let port = free_port();
    let cfg = receiver(port, "accept-proxy", "    timeout client 300ms", &be);
    let _lbd = LbdProcess::start(&cfg);
    let mut c = RawClient::connect(port);
    let started = Instant::now();
    let (bytes, closed) = c.read_until_close(Duration::from_secs(5));
    assert!(closed && bytes.is_empty());
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn a_bad_header_is_logged_as_haproxy_does() {
    let rx = SyslogReceiver::start();
    let be = HttpBackend::start("b");
    let port = free_port();
    let cfg = receiver(port, "accept-proxy", "", &be).replace(
        "defaults\n",
        &format!(
            "    log 127.0.0.1:{} local0\ndefaults\n    log global\n    option httplog\n",
            rx.port()
        ),
    );
    let lbd = LbdProcess::start(&cfg);
    for (sent, text) in [
        (
            &b"GET / HTTP/1.1\r\n\r\n"[..],
            "fe/1: Received something which does not look like a PROXY protocol header",
        ),
        (
            &b"PROXY TCP4 1.2.3.4"[..],
            "fe/1: Truncated PROXY protocol header received",
        ),
    ] {
        let mut c = RawClient::connect(port);
        let _ = c.send(sent);
        c.shutdown_write();
        let _ = c.read_until_close(Duration::from_secs(5));
        let line = rx.wait_for(Duration::from_secs(5), |l| l.contains(text));
        assert!(line.is_some(), "no log line '{text}'{}", lbd.output_hint());
    }
}

/// 2.6 runs `tcp-request connection` rules at accept, before the PROXY
/// header is read: they see the socket's source. `tcp-request session`
/// rules run once it is read: they see the announced one.
#[test]
fn connection_rules_see_the_socket_source_and_session_rules_the_announced_one() {
    let be = HttpBackend::start("b");
    let port = free_port();
    let send = |from: &str| {
        let mut c = RawClient::connect(port);
        let mut req = format!("PROXY TCP4 {from} 198.51.100.1 4242 80\r\n").into_bytes();
        req.extend_from_slice(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        let _ = c.send(&req);
        let (bytes, closed) = c.read_until_close(Duration::from_secs(5));
        assert!(closed, "the connection stayed open");
        String::from_utf8_lossy(&bytes).into_owned()
    };

    let connection = "    tcp-request connection reject if { src 192.0.2.7 }";
    let lbd = LbdProcess::start(&receiver(port, "accept-proxy", connection, &be));
    let out = send("192.0.2.7");
    assert!(
        out.starts_with("HTTP/1.1 200"),
        "a connection rule saw the announced source: {out}{}",
        lbd.output_hint()
    );
    drop(lbd);

    let session = "    tcp-request session reject if { src 192.0.2.7 }";
    let lbd = LbdProcess::start(&receiver(port, "accept-proxy", session, &be));
    let out = send("192.0.2.7");
    assert!(
        out.is_empty(),
        "a session rule missed the announced source: {out}"
    );
    let out = send("192.0.2.8");
    assert!(
        out.starts_with("HTTP/1.1 200"),
        "{out}{}",
        lbd.output_hint()
    );
}
