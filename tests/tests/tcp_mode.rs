//! `mode tcp`: bytes relayed both ways, and a half-close carried through.

use std::io::{Read, Write};
use std::time::Duration;

use tests::*;

fn tcp_proxy(backend: &TcpBackend) -> (LbdProcess, u16) {
    let port = free_port();
    let cfg = format!(
        "{TCP_DEFAULTS}
listen tcp
    bind 127.0.0.1:{port}
    server s1 {}
",
        backend.addr()
    );
    (LbdProcess::start(&cfg), port)
}

#[test]
fn bytes_flow_both_ways() {
    let be = TcpBackend::start(TcpMode::Echo);
    let (lbd, port) = tcp_proxy(&be);
    let mut client = RawClient::connect(port);
    let payload: Vec<u8> = (0..256 * 1024).map(|i| (i % 251) as u8).collect();
    let mut writer = match client.stream().try_clone() {
        Ok(s) => s,
        Err(e) => panic!("clone socket: {e}"),
    };
    let to_send = payload.clone();
    // Write from another thread so neither side's buffers can deadlock the exchange.
    let sender = std::thread::spawn(move || {
        let ok = writer.write_all(&to_send).is_ok();
        let _ = writer.shutdown(std::net::Shutdown::Write);
        ok
    });
    let (echoed, closed) = client.read_until_close(Duration::from_secs(10));
    assert!(
        sender.join().unwrap_or(false),
        "sending failed{}",
        lbd.output_hint()
    );
    assert!(
        echoed == payload,
        "echoed {} of {} bytes",
        echoed.len(),
        payload.len()
    );
    assert!(closed, "connection not closed after the backend closed");
    assert_eq!(be.connections(), 1);
}

#[test]
fn half_close_reaches_the_server_and_its_reply_comes_back() {
    let be = TcpBackend::start(TcpMode::ReplyAfterEof);
    let (lbd, port) = tcp_proxy(&be);
    let mut client = RawClient::connect(port);
    client
        .send(b"hello")
        .unwrap_or_else(|e| panic!("send: {e}"));
    client.shutdown_write();
    let (reply, closed) = client.read_until_close(Duration::from_secs(5));
    assert_eq!(
        String::from_utf8_lossy(&reply),
        "got 5 bytes: hello",
        "{}",
        lbd.output_hint()
    );
    assert!(closed, "connection not closed after the reply");
    assert_eq!(be.eofs_seen(), 1);
}

#[test]
fn a_plain_tcp_client_can_talk_through() {
    let be = TcpBackend::start(TcpMode::Echo);
    let (lbd, port) = tcp_proxy(&be);
    let mut s = match std::net::TcpStream::connect(("127.0.0.1", port)) {
        Ok(s) => s,
        Err(e) => panic!("connect: {e}"),
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
    for round in 0..3 {
        let msg = format!("ping {round}\n");
        s.write_all(msg.as_bytes())
            .unwrap_or_else(|e| panic!("write: {e}"));
        let mut got = vec![0u8; msg.len()];
        s.read_exact(&mut got)
            .unwrap_or_else(|e| panic!("read: {e}{}", lbd.output_hint()));
        assert_eq!(got, msg.as_bytes());
    }
}
