//! Server state changes beyond UP/DOWN: `slowstart` ramps a returning
//! server's share, and `on-marked-down shutdown-sessions` ends the sessions
//! of a server that went down.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use tests::switch_backend::{Behaviour, SwitchBackend};
use tests::*;

/// Waits until stderr contains `needle`.
fn wait_stderr(p: &LbdProcess, needle: &str, within: Duration) {
    let deadline = Instant::now() + within;
    while !p.stderr().contains(needle) {
        assert!(
            Instant::now() < deadline,
            "no {needle:?} within {within:?}{}",
            p.output_hint()
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn served(port: u16, n: usize) -> std::collections::BTreeMap<String, usize> {
    let urls: Vec<String> = (0..n)
        .map(|_| format!("http://127.0.0.1:{port}/"))
        .collect();
    let rs = curl_many(&urls, &[]);
    assert!(rs.iter().all(|r| r.status == 200), "a client saw an error");
    count_by_server(&rs)
}

#[test]
fn slowstart_ramps_a_returning_server_up() {
    let s1 = HttpBackend::start("s1");
    let s2 = HttpBackend::start("s2");
    // s1's health is decided by a separate switchable listener.
    let health = SwitchBackend::start("health");
    let port = free_port();
    let cfg = format!(
        "{HTTP_DEFAULTS}
frontend fe
    bind 127.0.0.1:{port}
    default_backend be

backend be
    server s1 {} weight 100 check port {} inter 100ms rise 1 fall 1 slowstart 4s
    server s2 {} weight 100
",
        s1.addr(),
        health.addr().port(),
        s2.addr()
    );
    let lbd = LbdProcess::start(&cfg);
    health.set(Behaviour::Refuse);
    wait_stderr(&lbd, "Server be/s1 is DOWN", Duration::from_secs(5));
    health.set(Behaviour::Answer(200, "ok".into()));
    wait_stderr(&lbd, "Server be/s1 is UP", Duration::from_secs(5));
    // Just back: a small share.
    let early = served(port, 40);
    let s1_early = early.get("s1").copied().unwrap_or(0);
    assert!(
        s1_early <= 12,
        "s1 got {s1_early}/40 right after coming back{}",
        lbd.output_hint()
    );
    // After the ramp: its full share again.
    std::thread::sleep(Duration::from_millis(4500));
    let late = served(port, 40);
    let s1_late = late.get("s1").copied().unwrap_or(0);
    assert!(
        (14..=26).contains(&s1_late),
        "s1 got {s1_late}/40 after the ramp{}",
        lbd.output_hint()
    );
}

#[test]
fn on_marked_down_shutdown_sessions_ends_the_servers_sessions() {
    let echo = TcpBackend::start(TcpMode::Echo);
    let health = SwitchBackend::start("health");
    let port = free_port();
    let cfg = format!(
        "{TCP_DEFAULTS}
listen tcp
    bind 127.0.0.1:{port}
    server s1 {} check port {} inter 100ms fall 1 on-marked-down shutdown-sessions
",
        echo.addr(),
        health.addr().port()
    );
    let lbd = LbdProcess::start(&cfg);
    let mut c = TcpStream::connect(("127.0.0.1", port)).unwrap_or_else(|e| panic!("connect: {e}"));
    let _ = c.set_read_timeout(Some(Duration::from_secs(5)));
    c.write_all(b"ping")
        .unwrap_or_else(|e| panic!("write: {e}"));
    let mut got = [0u8; 4];
    c.read_exact(&mut got)
        .unwrap_or_else(|e| panic!("echo: {e}{}", lbd.output_hint()));
    assert_eq!(&got, b"ping");
    health.set(Behaviour::Refuse);
    wait_stderr(&lbd, "Server tcp/s1 is DOWN", Duration::from_secs(5));
    // The session is ended by the proxy: EOF or reset, well before the
    // 10 s client/server timeouts.
    let start = Instant::now();
    let mut buf = [0u8; 16];
    let ended = matches!(c.read(&mut buf), Ok(0) | Err(_));
    assert!(ended, "the session survived its server going down");
    assert!(
        start.elapsed() < Duration::from_secs(3),
        "{}",
        lbd.output_hint()
    );
}
