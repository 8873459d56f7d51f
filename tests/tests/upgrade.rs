//! A WebSocket-style upgrade: the server's 101 reaches the client and the connection
//! then carries raw bytes both ways through the proxy.

use std::io::Write;
use std::time::Duration;

use tests::upgrade_backend::SWITCHING;
use tests::*;

/// HAProxy refuses a WebSocket upgrade without a key (400), so send the RFC's sample.
const UPGRADE: &[u8] = b"GET /chat HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";

#[test]
fn upgraded_connection_relays_raw_bytes_both_ways() {
    let be = UpgradeBackend::start();
    let port = free_port();
    let cfg = http_config(port, "", &format!("    server s1 {}", be.addr()));
    let lbd = LbdProcess::start(&cfg);
    let mut client = RawClient::connect(port);
    let r = client.request(UPGRADE);
    assert_eq!(r.raw_str(), SWITCHING, "{}", lbd.output_hint());
    let head = be.heads().concat();
    assert!(
        head.to_ascii_lowercase().contains("upgrade: websocket\r\n")
            && head
                .to_ascii_lowercase()
                .contains("connection: upgrade\r\n"),
        "upgrade headers not forwarded: {head:?}"
    );

    // Several rounds of non-HTTP bytes, then a large block, then a close.
    for round in 0..3u8 {
        let msg = [0x81, 0x05, b'h', b'e', b'l', b'l', b'o' + round];
        client.send(&msg).unwrap_or_else(|e| panic!("send: {e}"));
        let stream = client.stream();
        let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
        let mut got = [0u8; 7];
        std::io::Read::read_exact(stream, &mut got)
            .unwrap_or_else(|e| panic!("no echo of round {round}: {e}{}", lbd.output_hint()));
        assert_eq!(got, msg);
    }
    let block = tests::payload::pattern(1024 * 1024);
    let mut writer = client
        .stream()
        .try_clone()
        .unwrap_or_else(|e| panic!("clone: {e}"));
    let to_send = block.clone();
    let sender = std::thread::spawn(move || {
        let ok = writer.write_all(&to_send).is_ok();
        let _ = writer.shutdown(std::net::Shutdown::Write);
        ok
    });
    let (back, closed) = client.read_until_close(Duration::from_secs(10));
    assert!(sender.join().unwrap_or(false), "sending the block failed");
    assert!(
        back == block,
        "echoed {} of {} bytes after the upgrade{}",
        back.len(),
        block.len(),
        lbd.output_hint()
    );
    assert!(closed, "connection not closed after the server closed");
    assert_eq!(be.connections(), 1);
}

/// An upgraded connection through a proxy whose backend has the extra `backend` lines.
fn upgraded(backend: &str) -> (UpgradeBackend, LbdProcess, RawClient) {
    let be = UpgradeBackend::start();
    let port = free_port();
    let cfg = http_config(port, "", &format!("{backend}\n    server s1 {}", be.addr()));
    let lbd = LbdProcess::start(&cfg);
    let mut client = RawClient::connect(port);
    let r = client.request(UPGRADE);
    assert_eq!(r.status, 101, "{}{}", r.raw_str(), lbd.output_hint());
    (be, lbd, client)
}

#[test]
fn timeout_tunnel_closes_an_idle_upgraded_connection() {
    // `timeout tunnel` is a backend setting: HAProxy ignores it in a frontend.
    let (_be, lbd, mut client) = upgraded("    timeout tunnel 300ms");
    client.send(b"ping").unwrap_or_else(|e| panic!("send: {e}"));
    let started = std::time::Instant::now();
    let (echoed, closed) = client.read_until_close(Duration::from_secs(5));
    let waited = started.elapsed();
    assert_eq!(echoed, b"ping", "{}", lbd.output_hint());
    assert!(
        closed,
        "tunnel still open after {waited:?}{}",
        lbd.output_hint()
    );
    assert!(
        (Duration::from_millis(200)..Duration::from_secs(3)).contains(&waited),
        "closed after {waited:?}, expected about 300 ms"
    );
}

#[test]
fn websocket_upgrade_without_a_key_is_refused_with_400() {
    let be = UpgradeBackend::start();
    let port = free_port();
    let cfg = http_config(port, "", &format!("    server s1 {}", be.addr()));
    let lbd = LbdProcess::start(&cfg);
    let mut client = RawClient::connect(port);
    client
        .send(b"GET /chat HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n")
        .unwrap_or_else(|e| panic!("send: {e}"));
    let (got, closed) = client.read_until_close(Duration::from_secs(3));
    assert_eq!(
        String::from_utf8_lossy(&got),
        canned::R400,
        "{}",
        lbd.output_hint()
    );
    assert!(closed);
    assert_eq!(be.connections(), 0);
}

#[test]
fn a_refused_upgrade_leaves_plain_http() {
    // An echo server ignores Upgrade and answers 200: the connection stays HTTP.
    let be = HttpBackend::start("s1");
    let port = free_port();
    let lbd = LbdProcess::start(&http_config(port, "", &server_lines(&[&be], "")));
    let mut client = RawClient::connect(port);
    let r = client.request(UPGRADE);
    assert_eq!(r.status, 200, "{}", lbd.output_hint());
    let r = client.request(b"GET /next HTTP/1.1\r\nhost: a\r\n\r\n");
    assert_eq!(r.status, 200);
    assert!(r.body_str().starts_with("GET /next HTTP/1.1\r\n"));
}
