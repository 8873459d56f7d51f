//! A WebSocket echo through the proxy (RFC 6455 handshake by hand): once
//! upgraded, `timeout tunnel` replaces `timeout client`/`server`, so the
//! connection outlives an idle gap longer than `timeout client` and closes
//! after `timeout tunnel` of silence.

use std::io::{Read, Write};
use std::time::{Duration, Instant};

use tests::upgrade_backend::SWITCHING;
use tests::*;

const HANDSHAKE: &[u8] = b"GET /echo HTTP/1.1\r\nHost: ws.example\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";

/// A masked client text frame carrying `text` (short payloads only).
fn text_frame(text: &[u8]) -> Vec<u8> {
    let mask = [0x37, 0xfa, 0x21, 0x3d];
    let mut f = vec![0x81, 0x80 | text.len() as u8];
    f.extend_from_slice(&mask);
    f.extend(text.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
    f
}

/// Sends one frame and reads the same bytes back from the echo server.
fn echo_round(client: &mut RawClient, text: &[u8], lbd: &LbdProcess) {
    let frame = text_frame(text);
    let s = client.stream();
    s.write_all(&frame)
        .unwrap_or_else(|e| panic!("send {text:?}: {e}{}", lbd.output_hint()));
    let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
    let mut got = vec![0u8; frame.len()];
    s.read_exact(&mut got)
        .unwrap_or_else(|e| panic!("no echo of {text:?}: {e}{}", lbd.output_hint()));
    assert_eq!(got, frame);
}

#[test]
fn websocket_outlives_timeout_client_and_closes_after_timeout_tunnel() {
    let be = UpgradeBackend::start();
    let port = free_port();
    let cfg = format!(
        "global
    maxconn 100

defaults
    mode http
    timeout connect 2s
    timeout client 400ms
    timeout server 400ms
    timeout tunnel 2s

frontend fe
    bind 127.0.0.1:{port}
    default_backend ws

backend ws
    server s1 {}
",
        be.addr()
    );
    let lbd = LbdProcess::start(&cfg);
    let mut client = RawClient::connect(port);
    let r = client.request(HANDSHAKE);
    assert_eq!(r.raw_str(), SWITCHING, "{}", lbd.output_hint());

    echo_round(&mut client, b"first", &lbd);
    // Idle for twice `timeout client`, well within `timeout tunnel`: the
    // gap itself is what is under test, so it is a plain wait.
    std::thread::sleep(Duration::from_millis(900));
    echo_round(&mut client, b"after the client timeout", &lbd);
    std::thread::sleep(Duration::from_millis(900));
    echo_round(&mut client, b"still here", &lbd);

    // Now silent: closed once `timeout tunnel` passes, not before.
    let started = Instant::now();
    let (extra, closed) = client.read_until_close(Duration::from_secs(6));
    let waited = started.elapsed();
    assert!(extra.is_empty(), "unexpected bytes {extra:?}");
    assert!(
        closed,
        "tunnel still open after {waited:?}{}",
        lbd.output_hint()
    );
    assert!(
        (Duration::from_millis(1700)..Duration::from_millis(4000)).contains(&waited),
        "closed after {waited:?}, expected about 2 s{}",
        lbd.output_hint()
    );
    assert_eq!(be.connections(), 1);
}
