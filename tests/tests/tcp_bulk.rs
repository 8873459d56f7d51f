//! `mode tcp` under volume: 10 MB echoed intact with and without splicing, and many
//! sessions at once.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use tests::payload::pattern;
use tests::*;

fn tcp_proxy(backend: &TcpBackend, global_extra: &str) -> (LbdProcess, u16) {
    let port = free_port();
    let cfg = format!(
        "{TCP_DEFAULTS}
listen tcp
    bind 127.0.0.1:{port}
    server s1 {}
",
        backend.addr()
    )
    .replace("global\n", &format!("global\n{global_extra}"));
    (LbdProcess::start(&cfg), port)
}

/// Sends `payload` and reads the echo until the proxy closes; returns what came back.
fn echo_through(port: u16, payload: &[u8]) -> Vec<u8> {
    let mut client = RawClient::connect(port);
    let mut writer = client
        .stream()
        .try_clone()
        .unwrap_or_else(|e| panic!("clone socket: {e}"));
    let to_send = payload.to_vec();
    // Write from another thread so neither side's buffers can deadlock the exchange.
    let sender = std::thread::spawn(move || {
        let ok = writer.write_all(&to_send).is_ok();
        let _ = writer.shutdown(std::net::Shutdown::Write);
        ok
    });
    let (echoed, closed) = client.read_until_close(Duration::from_secs(20));
    assert!(sender.join().unwrap_or(false), "sending failed");
    assert!(closed, "connection not closed after the echo");
    echoed
}

fn ten_megabytes_echo(global_extra: &str) {
    let be = TcpBackend::start(TcpMode::Echo);
    let (lbd, port) = tcp_proxy(&be, global_extra);
    let payload = pattern(10 * 1024 * 1024);
    let echoed = echo_through(port, &payload);
    assert!(
        echoed == payload,
        "echoed {} of {} bytes, or different bytes{}",
        echoed.len(),
        payload.len(),
        lbd.output_hint()
    );
}

#[test]
fn ten_megabytes_echo_intact_with_splice() {
    ten_megabytes_echo("");
}

#[test]
fn ten_megabytes_echo_intact_with_nosplice() {
    ten_megabytes_echo("    nosplice\n");
}

#[test]
fn fifty_concurrent_sessions_each_get_their_own_bytes() {
    let be = TcpBackend::start(TcpMode::Echo);
    let (lbd, port) = tcp_proxy(&be, "");
    // Open all fifty before any talks, so they really are concurrent at the proxy.
    let mut streams: Vec<TcpStream> = (0..50)
        .map(|_| TcpStream::connect(("127.0.0.1", port)).unwrap_or_else(|e| panic!("connect: {e}")))
        .collect();
    for (i, s) in streams.iter_mut().enumerate() {
        s.write_all(format!("session {i:02} says hello\n").as_bytes())
            .unwrap_or_else(|e| panic!("write: {e}"));
    }
    for (i, s) in streams.iter_mut().enumerate() {
        let want = format!("session {i:02} says hello\n");
        let _ = s.set_read_timeout(Some(Duration::from_secs(10)));
        let mut got = vec![0u8; want.len()];
        s.read_exact(&mut got)
            .unwrap_or_else(|e| panic!("session {i}: {e}{}", lbd.output_hint()));
        assert_eq!(String::from_utf8_lossy(&got), want);
    }
    assert_eq!(be.connections(), 50);
}

/// An echo session through a proxy with `timeout_line`: after one exchange it idles,
/// and the proxy must close it after about 300 ms.
fn idle_session_closes(timeout_line: &str) {
    let be = TcpBackend::start(TcpMode::Echo);
    let port = free_port();
    let cfg = format!(
        "{TCP_DEFAULTS}
listen tcp
    bind 127.0.0.1:{port}
    {timeout_line}
    server s1 {}
",
        be.addr()
    );
    let lbd = LbdProcess::start(&cfg);
    let mut client = RawClient::connect(port);
    client.send(b"ping").unwrap_or_else(|e| panic!("send: {e}"));
    let started = std::time::Instant::now();
    let (echoed, closed) = client.read_until_close(Duration::from_secs(5));
    let waited = started.elapsed();
    assert_eq!(echoed, b"ping", "{}", lbd.output_hint());
    assert!(
        closed,
        "idle session still open after {waited:?}{}",
        lbd.output_hint()
    );
    assert!(
        (Duration::from_millis(200)..Duration::from_secs(3)).contains(&waited),
        "closed after {waited:?}, expected about 300 ms"
    );
}

#[test]
fn an_idle_session_is_closed_by_timeout_client() {
    idle_session_closes("timeout client 300ms");
}

#[test]
fn an_idle_session_is_closed_by_timeout_server() {
    idle_session_closes("timeout server 300ms");
}
