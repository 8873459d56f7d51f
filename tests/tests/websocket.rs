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

/// WebSocket over h2 (RFC 8441): lbd offers extended CONNECT in its
/// SETTINGS; the h2 crate's client opens a stream with `:protocol
/// websocket`, lbd sends the HTTP/1 server the upgrade it stands for (with
/// a key of its own), answers 200 for the server's 101, and the stream's
/// DATA frames are the tunnel's bytes both ways.
#[test]
fn websocket_over_h2_extended_connect() {
    let be = UpgradeBackend::start();
    let port = free_port();
    let cfg = format!(
        "defaults
    mode http
    timeout connect 2s
    timeout client 5s
    timeout server 5s
    timeout tunnel 5s

frontend fe
    bind 127.0.0.1:{port} proto h2
    default_backend ws

backend ws
    server s1 {}
",
        be.addr()
    );
    let lbd = LbdProcess::start(&cfg);
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => panic!("runtime: {e}"),
    };
    let hint = lbd.output_hint();
    let (status, accept, echoed) = rt.block_on(async {
        let within = Duration::from_secs(5);
        let tcp = match tokio::net::TcpStream::connect(("127.0.0.1", port)).await {
            Ok(t) => t,
            Err(e) => panic!("connect: {e}{hint}"),
        };
        let (client, conn) = match h2::client::handshake(tcp).await {
            Ok(x) => x,
            Err(e) => panic!("h2 handshake: {e}{hint}"),
        };
        tokio::spawn(conn);
        let mut client = match tokio::time::timeout(within, client.ready()).await {
            Ok(Ok(c)) => c,
            other => panic!("h2 not ready: {other:?}{hint}"),
        };
        // The server's SETTINGS turn extended CONNECT on.
        let deadline = Instant::now() + within;
        while !client.is_extended_connect_protocol_enabled() {
            assert!(
                Instant::now() < deadline,
                "no SETTINGS_ENABLE_CONNECT_PROTOCOL{hint}"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let mut req = match http::Request::builder()
            .method(http::Method::CONNECT)
            .uri("http://ws.example/chat")
            .header("sec-websocket-version", "13")
            .body(())
        {
            Ok(r) => r,
            Err(e) => panic!("request: {e}"),
        };
        req.extensions_mut()
            .insert(h2::ext::Protocol::from_static("websocket"));
        let (resp, mut send) = match client.send_request(req, false) {
            Ok(x) => x,
            Err(e) => panic!("send_request: {e}{hint}"),
        };
        let resp = match tokio::time::timeout(within, resp).await {
            Ok(Ok(r)) => r,
            other => panic!("no response: {other:?}{hint}"),
        };
        let status = resp.status().as_u16();
        let accept = resp.headers().contains_key("sec-websocket-accept");
        let mut body = resp.into_body();
        let frame = text_frame(b"over h2");
        if let Err(e) = send.send_data(bytes::Bytes::from(frame.clone()), false) {
            panic!("send_data: {e}{hint}");
        }
        let mut got = Vec::new();
        while got.len() < frame.len() {
            match tokio::time::timeout(within, body.data()).await {
                Ok(Some(Ok(d))) => {
                    let _ = body.flow_control().release_capacity(d.len());
                    got.extend_from_slice(&d);
                }
                other => panic!("no echo: {other:?} after {got:?}{hint}"),
            }
        }
        (status, accept, got == frame)
    });
    assert_eq!(status, 200, "{}", lbd.output_hint());
    assert!(!accept, "the server's accept key reached the h2 client");
    assert!(echoed, "the tunnel's bytes did not come back");
    let heads = be.heads();
    let head = heads
        .first()
        .map(|h| h.to_ascii_lowercase())
        .unwrap_or_default();
    assert!(head.starts_with("get /chat http/1.1\r\n"), "{head}");
    for line in [
        "\r\nupgrade: websocket\r\n",
        "\r\nconnection: upgrade\r\n",
        "\r\nsec-websocket-version: 13\r\n",
        "\r\nsec-websocket-key: ",
        "\r\nhost: ws.example\r\n",
    ] {
        assert!(head.contains(line), "{line:?} missing from {head}");
    }
}
