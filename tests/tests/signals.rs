//! Signals as HAProxy handles them outside master-worker mode: SIGUSR1 is a soft
//! stop (listeners close, work in flight finishes, then exit 0), SIGTERM a hard one,
//! SIGTTOU pauses the listeners (the port is released, connections carry on) and
//! SIGTTIN resumes them.

use std::net::TcpStream;
use std::time::{Duration, Instant};

use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use tests::*;

fn signal(lbd: &LbdProcess, sig: Signal) {
    kill(Pid::from_raw(lbd.pid() as i32), sig).unwrap_or_else(|e| panic!("kill: {e}"));
}

#[test]
fn sigusr1_finishes_the_slow_request_refuses_new_ones_then_exits_0() {
    let be = HttpBackend::start("s1");
    let port = free_port();
    let mut lbd = LbdProcess::start(&http_config(port, "", &server_lines(&[&be], "")));
    let slow = std::thread::spawn(move || {
        curl(&[
            "-o",
            "/dev/null",
            "-w",
            "%{http_code}",
            "-H",
            "x-delay-ms: 1500",
            &format!("http://127.0.0.1:{port}/slow"),
        ])
    });
    let deadline = Instant::now() + Duration::from_secs(5);
    while be.active() == 0 {
        assert!(
            Instant::now() < deadline,
            "slow request never reached the server"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    signal(&lbd, Signal::SIGUSR1);

    // The listener goes away at once: new clients are refused, not queued.
    let deadline = Instant::now() + Duration::from_millis(1000);
    loop {
        match TcpStream::connect(("127.0.0.1", port)) {
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => break,
            _ => assert!(
                Instant::now() < deadline,
                "still accepting after SIGUSR1{}",
                lbd.output_hint()
            ),
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(
        lbd.is_running(),
        "exited with a request in flight{}",
        lbd.output_hint()
    );

    let out = slow
        .join()
        .unwrap_or_else(|_| panic!("curl thread panicked"));
    assert_eq!(
        out.stdout_str(),
        "200",
        "{}{}",
        out.stderr,
        lbd.output_hint()
    );
    let status = lbd.wait_exit(Duration::from_secs(5));
    assert_eq!(
        status.and_then(|s| s.code()),
        Some(0),
        "after the last request finished{}",
        lbd.output_hint()
    );
}

#[test]
fn sigterm_exits_promptly_even_with_a_client_connected() {
    let be = HttpBackend::start("s1");
    let port = free_port();
    let mut lbd = LbdProcess::start(&http_config(port, "", &server_lines(&[&be], "")));
    let mut client = RawClient::connect(port);
    assert_eq!(
        client.request(b"GET / HTTP/1.1\r\nhost: a\r\n\r\n").status,
        200
    );
    let started = Instant::now();
    signal(&lbd, Signal::SIGTERM);
    let status = lbd.wait_exit(Duration::from_secs(2));
    assert!(
        status.is_some(),
        "still running 2 s after SIGTERM{}",
        lbd.output_hint()
    );
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "took {:?}",
        started.elapsed()
    );
    let (_, closed) = client.read_until_close(Duration::from_secs(2));
    assert!(closed, "the client connection outlived the process");
}

#[test]
fn sigusr1_closes_idle_keep_alive_connections_and_exits_0() {
    let be = HttpBackend::start("s1");
    let port = free_port();
    let mut lbd = LbdProcess::start(&http_config(port, "", &server_lines(&[&be], "")));
    let mut client = RawClient::connect(port);
    assert_eq!(
        client.request(b"GET / HTTP/1.1\r\nhost: a\r\n\r\n").status,
        200
    );
    signal(&lbd, Signal::SIGUSR1);
    let (extra, closed) = client.read_until_close(Duration::from_secs(3));
    assert!(
        closed && extra.is_empty(),
        "idle connection not closed silently after SIGUSR1 (closed: {closed}, {:?}){}",
        String::from_utf8_lossy(&extra),
        lbd.output_hint()
    );
    let status = lbd.wait_exit(Duration::from_secs(3));
    assert_eq!(
        status.and_then(|s| s.code()),
        Some(0),
        "{}",
        lbd.output_hint()
    );
}

#[test]
fn sigusr1_during_a_kept_alive_request_answers_with_connection_close() {
    let be = HttpBackend::start("s1");
    let port = free_port();
    let mut lbd = LbdProcess::start(&http_config(port, "", &server_lines(&[&be], "")));
    let mut client = RawClient::connect(port);
    assert_eq!(
        client.request(b"GET / HTTP/1.1\r\nhost: a\r\n\r\n").status,
        200
    );
    client
        .send(b"GET /slow HTTP/1.1\r\nhost: a\r\nx-delay-ms: 500\r\n\r\n")
        .unwrap_or_else(|e| panic!("send: {e}"));
    let deadline = Instant::now() + Duration::from_secs(5);
    while be.active() == 0 {
        assert!(
            Instant::now() < deadline,
            "slow request never reached the server"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    signal(&lbd, Signal::SIGUSR1);
    let r = client
        .read_response()
        .unwrap_or_else(|| panic!("in-flight request lost{}", lbd.output_hint()));
    // The response is the server's, plus HAProxy's close notice at the end of the head.
    assert_eq!(
        r.raw_str(),
        "HTTP/1.1 200 OK\r\nx-served-by: s1\r\ncontent-type: text/plain\r\ncontent-length: 48\r\nconnection: close\r\n\r\nGET /slow HTTP/1.1\r\nhost: a\r\nx-delay-ms: 500\r\n\r\n",
        "{}",
        lbd.output_hint()
    );
    let (_, closed) = client.read_until_close(Duration::from_secs(3));
    assert!(closed);
    assert_eq!(
        lbd.wait_exit(Duration::from_secs(3)).and_then(|s| s.code()),
        Some(0)
    );
}

#[test]
fn sigint_exits_promptly() {
    let port = free_port();
    let mut lbd = LbdProcess::start(&http_config(port, "", "    server s1 127.0.0.1:1"));
    signal(&lbd, Signal::SIGINT);
    assert!(
        lbd.wait_exit(Duration::from_secs(2)).is_some(),
        "still running 2 s after SIGINT{}",
        lbd.output_hint()
    );
}

/// Soft-stops a proxy with `hard-stop-after 300ms` while a 5 s request is in flight,
/// checks the process exits on that bound, and returns what the client then got.
fn hard_stop_cuts_a_slow_request() -> (String, bool, String) {
    let be = HttpBackend::start("s1");
    let port = free_port();
    let cfg = http_config(port, "", &server_lines(&[&be], ""))
        .replace("global\n", "global\n    hard-stop-after 300ms\n");
    let mut lbd = LbdProcess::start(&cfg);
    let mut client = RawClient::connect(port);
    client
        .send(b"GET /slow HTTP/1.1\r\nhost: a\r\nx-delay-ms: 5000\r\n\r\n")
        .unwrap_or_else(|e| panic!("send: {e}"));
    let deadline = Instant::now() + Duration::from_secs(5);
    while be.active() == 0 {
        assert!(
            Instant::now() < deadline,
            "slow request never reached the server"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    let started = Instant::now();
    signal(&lbd, Signal::SIGUSR1);
    let status = lbd.wait_exit(Duration::from_secs(3));
    assert!(
        status.is_some(),
        "still running 3 s after SIGUSR1 with hard-stop-after 300ms{}",
        lbd.output_hint()
    );
    assert!(
        started.elapsed() >= Duration::from_millis(200),
        "exited after {:?}, before hard-stop-after",
        started.elapsed()
    );
    let (got, closed) = client.read_until_close(Duration::from_secs(2));
    (
        String::from_utf8_lossy(&got).into_owned(),
        closed,
        lbd.output_hint(),
    )
}

#[test]
fn hard_stop_after_bounds_a_soft_stop() {
    let (_, closed, hint) = hard_stop_cuts_a_slow_request();
    assert!(closed, "the cut client connection stayed open{hint}");
}

#[test]
fn hard_stop_after_answers_the_cut_request_with_502() {
    let (got, _, hint) = hard_stop_cuts_a_slow_request();
    assert_eq!(
        got,
        canned::R502.replace("\r\n\r\n", "\r\nconnection: close\r\n\r\n"),
        "{hint}"
    );
}

#[test]
fn sigusr1_lets_an_established_tcp_session_finish() {
    let be = TcpBackend::start(TcpMode::Echo);
    let port = free_port();
    let cfg = format!(
        "{TCP_DEFAULTS}
listen tcp
    bind 127.0.0.1:{port}
    server s1 {}
",
        be.addr()
    );
    let mut lbd = LbdProcess::start(&cfg);
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap_or_else(|e| panic!("connect: {e}"));
    let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
    let mut echo = |msg: &[u8]| {
        use std::io::{Read, Write};
        s.write_all(msg).unwrap_or_else(|e| panic!("write: {e}"));
        let mut got = vec![0u8; msg.len()];
        s.read_exact(&mut got).map(|_| got)
    };
    assert_eq!(echo(b"before").ok().as_deref(), Some(&b"before"[..]));
    signal(&lbd, Signal::SIGUSR1);
    let deadline = Instant::now() + Duration::from_secs(2);
    while TcpStream::connect(("127.0.0.1", port)).is_ok() {
        assert!(Instant::now() < deadline, "still accepting after SIGUSR1");
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(
        echo(b"after").ok().as_deref(),
        Some(&b"after"[..]),
        "the session died with the soft stop{}",
        lbd.output_hint()
    );
    assert!(lbd.is_running(), "exited with a session open");
    drop(s);
    assert_eq!(
        lbd.wait_exit(Duration::from_secs(3)).and_then(|s| s.code()),
        Some(0),
        "{}",
        lbd.output_hint()
    );
}

#[test]
fn soft_stop_reports_each_proxy_with_its_cumulated_connections() {
    let be = HttpBackend::start("s1");
    let port = free_port();
    let mut lbd = LbdProcess::start(&http_config(port, "", &server_lines(&[&be], "")));
    let out = curl(&[&format!("http://127.0.0.1:{port}/")]);
    assert_eq!(out.code, 0);
    signal(&lbd, Signal::SIGUSR1);
    let _ = lbd.wait_exit(Duration::from_secs(3));
    let err = lbd.stderr();
    for line in [
        "Proxy fe stopped (cumulated conns: FE: 1, BE: 0).",
        "Proxy be stopped (cumulated conns: FE: 0, BE: 1).",
    ] {
        assert!(err.contains(line), "missing {line:?} in:\n{err}");
    }
}

/// Waits until `lbd`'s stderr has `line` (a deadline loop, not a sleep).
fn wait_stderr(lbd: &LbdProcess, line: &str) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while !lbd.stderr().contains(line) {
        assert!(
            Instant::now() < deadline,
            "no {line:?} in the output{}",
            lbd.output_hint()
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn refused(port: u16) -> bool {
    matches!(
        TcpStream::connect(("127.0.0.1", port)),
        Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused
    )
}

#[test]
fn sigttou_releases_the_port_and_sigttin_takes_it_back() {
    let be = HttpBackend::start("s1");
    let port = free_port();
    let mut lbd = LbdProcess::start(&http_config(port, "", &server_lines(&[&be], "")));
    let mut before = RawClient::connect(port);
    assert_eq!(
        before.request(b"GET / HTTP/1.1\r\nhost: a\r\n\r\n").status,
        200
    );

    signal(&lbd, Signal::SIGTTOU);
    wait_stderr(&lbd, "Paused frontend fe.");
    assert!(
        refused(port),
        "still accepting after SIGTTOU{}",
        lbd.output_hint()
    );
    // Paused is not stopped: the process stays, and so does a connection
    // it had accepted.
    assert!(lbd.is_running(), "{}", lbd.output_hint());
    assert_eq!(
        before
            .request(b"GET /again HTTP/1.1\r\nhost: a\r\n\r\n")
            .status,
        200,
        "{}",
        lbd.output_hint()
    );
    // The port is free for another process, as a `-sf` successor that
    // cannot share it needs.
    match std::net::TcpListener::bind(("127.0.0.1", port)) {
        Ok(other) => drop(other),
        Err(e) => panic!("port still held after SIGTTOU: {e}{}", lbd.output_hint()),
    }

    signal(&lbd, Signal::SIGTTIN);
    wait_stderr(&lbd, "Resumed frontend fe.");
    let deadline = Instant::now() + Duration::from_secs(5);
    let status = loop {
        let out = curl(&[
            "-s",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code}",
            &format!("http://127.0.0.1:{port}/"),
        ]);
        if out.stdout_str() == "200" || Instant::now() > deadline {
            break out.stdout_str();
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(
        status,
        "200",
        "not serving after SIGTTIN{}",
        lbd.output_hint()
    );
}

#[test]
fn sigttin_fails_while_another_process_listens_on_the_port() {
    let be = HttpBackend::start("s1");
    let port = free_port();
    let mut lbd = LbdProcess::start(&http_config(port, "", &server_lines(&[&be], "")));
    signal(&lbd, Signal::SIGTTOU);
    wait_stderr(&lbd, "Paused frontend fe.");
    let other = std::net::TcpListener::bind(("127.0.0.1", port))
        .unwrap_or_else(|e| panic!("port still held after SIGTTOU: {e}"));
    signal(&lbd, Signal::SIGTTIN);
    wait_stderr(&lbd, "Some proxies refused to resume");
    assert!(lbd.is_running(), "{}", lbd.output_hint());
    // The port stays the other process's.
    let _c = TcpStream::connect(("127.0.0.1", port)).unwrap_or_else(|e| panic!("{e}"));
    let accepted = other.set_nonblocking(true).and_then(|()| {
        let deadline = Instant::now() + Duration::from_secs(2);
        loop {
            match other.accept() {
                Ok(a) => return Ok(a),
                Err(e)
                    if e.kind() == std::io::ErrorKind::WouldBlock && Instant::now() < deadline =>
                {
                    std::thread::sleep(Duration::from_millis(5))
                }
                Err(e) => return Err(e),
            }
        }
    });
    assert!(accepted.is_ok(), "{accepted:?}");
}
