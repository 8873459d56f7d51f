//! `tcp-request content` rules over the client's first bytes, and
//! `use_backend` by payload in mode tcp; lbd and HAProxy 2.6 alike.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;
use tests::*;

fn exchange(port: u16, data: &[u8]) -> Vec<u8> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(5))).ok();
    let _ = s.write_all(data);
    let _ = s.shutdown(std::net::Shutdown::Write);
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    out
}

#[test]
fn content_reject_by_payload_and_routing_by_payload() {
    let echo = TcpBackend::start(TcpMode::ReplyAfterEof);
    let other = TcpBackend::start(TcpMode::ReplyAfterEof);
    let port = free_port();
    let cfg = format!(
        "{TCP_DEFAULTS}
frontend fe
    bind 127.0.0.1:{port}
    tcp-request inspect-delay 2s
    tcp-request content reject if {{ req.payload(0,3) -m str BAD }}
    tcp-request content accept if {{ req.len gt 0 }}
    use_backend other if {{ req.payload(0,5) -m str HELLO }}
    default_backend be

backend be
    server s1 {}
backend other
    server s1 {}
",
        echo.addr(),
        other.addr()
    );
    let lbd = LbdProcess::start(&cfg);
    assert_eq!(exchange(port, b"BADstuff"), b"", "{}", lbd.output_hint());
    assert_eq!(echo.connections() + other.connections(), 0);
    assert_eq!(
        exchange(port, b"good"),
        b"got 4 bytes: good",
        "{}",
        lbd.output_hint()
    );
    assert_eq!(echo.connections(), 1);
    assert_eq!(exchange(port, b"HELLO you"), b"got 9 bytes: HELLO you");
    assert_eq!(other.connections(), 1);
}
