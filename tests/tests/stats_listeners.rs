//! Listener rows of `show stat` (`option socket-stats`) and the live
//! session commands (`show sess`, `shutdown session`), as HAProxy 2.6 shows
//! them. Runs against lbd or, with LBD_BIN, the real HAProxy.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::time::{Duration, Instant};
use tests::stats_socket::{cli, show_stat, wait_socket, StatRow};
use tests::*;

struct Setup {
    _lbd: LbdProcess,
    sock: PathBuf,
    http: u16,
    http2: u16,
    deny: u16,
    tcp: u16,
}

fn start(http_be: &HttpBackend, tcp_be: &TcpBackend) -> Setup {
    let dir = TempDir::new();
    let sock = dir.join("admin.sock");
    let (http, http2, deny, tcp) = (free_port(), free_port(), free_port(), free_port());
    let cfg = format!(
        "global
    stats socket {} level admin
defaults
    mode http
    timeout connect 2s
    timeout client 10s
    timeout server 10s
frontend fe
    option socket-stats
    bind 127.0.0.1:{http} name main
    bind 127.0.0.1:{http2} maxconn 50
    default_backend be
frontend fd
    option socket-stats
    bind 127.0.0.1:{deny}
    http-request deny
    default_backend be
backend be
    server s1 {}
listen tl
    mode tcp
    option socket-stats
    bind 127.0.0.1:{tcp}
    server t1 {}
",
        sock.display(),
        http_be.addr(),
        tcp_be.addr()
    );
    let lbd = LbdProcess::start_in(dir, &cfg);
    wait_socket(&sock);
    Setup {
        _lbd: lbd,
        sock,
        http,
        http2,
        deny,
        tcp,
    }
}

fn row<'a>(rows: &'a [StatRow], px: &str, sv: &str) -> &'a StatRow {
    match rows.iter().find(|r| r["pxname"] == px && r["svname"] == sv) {
        Some(r) => r,
        None => panic!("no row {px}/{sv}"),
    }
}

fn num(r: &StatRow, col: &str) -> u64 {
    r[col]
        .parse()
        .unwrap_or_else(|_| panic!("{col}={:?}", r[col]))
}

#[test]
fn listener_rows_count_their_own_traffic() {
    let be = HttpBackend::start("s1");
    let tcp_be = TcpBackend::start(TcpMode::Echo);
    let s = start(&be, &tcp_be);
    for _ in 0..3 {
        let r = curl(&[
            "-s",
            "-o",
            "/dev/null",
            &format!("http://127.0.0.1:{}/", s.http),
        ]);
        assert_eq!(r.code, 0);
    }
    curl(&[
        "-s",
        "-o",
        "/dev/null",
        &format!("http://127.0.0.1:{}/", s.http2),
    ]);
    curl(&[
        "-s",
        "-o",
        "/dev/null",
        &format!("http://127.0.0.1:{}/", s.deny),
    ]);
    // A bad request: ereq on the listener.
    let mut c = RawClient::connect(s.http);
    let _ = c.send(b"GARBAGE\r\n\r\n");
    let _ = c.read_until_close(Duration::from_secs(3));
    // A TCP session still open: scur 1.
    let mut t = match TcpStream::connect(("127.0.0.1", s.tcp)) {
        Ok(t) => t,
        Err(e) => panic!("connect tcp: {e}"),
    };
    let _ = t.write_all(b"hello");
    let mut buf = [0u8; 5];
    let _ = t.set_read_timeout(Some(Duration::from_secs(3)));
    let _ = t.read_exact(&mut buf);

    let rows = show_stat(&s.sock);
    let main = row(&rows, "fe", "main");
    assert_eq!(main["type"], "3");
    assert_eq!(main["addr"], format!("127.0.0.1:{}", s.http));
    assert_eq!(num(main, "stot"), 4, "{main:?}");
    assert_eq!(num(main, "scur"), 0);
    // HAProxy may still hold the previous connection when the next one
    // arrives, so sequential clients can peak at 2.
    assert!((1..=2).contains(&num(main, "smax")), "{main:?}");
    assert_eq!(num(main, "ereq"), 1);
    assert_eq!(num(main, "dreq"), 0);
    assert!(num(main, "bin") > 0 && num(main, "bout") > 0);
    assert_eq!(main["status"], "OPEN");
    assert_eq!(main["slim"], "0");
    let second = row(&rows, "fe", "sock-2");
    assert_eq!(num(second, "stot"), 1);
    assert_eq!(second["slim"], "50");
    let fe = row(&rows, "fe", "FRONTEND");
    assert_eq!(
        num(fe, "bin"),
        num(main, "bin") + num(second, "bin"),
        "the frontend's bytes are its listeners' bytes"
    );
    let denied = row(&rows, "fd", "sock-1");
    assert_eq!(num(denied, "dreq"), 1, "{denied:?}");
    assert_eq!(num(row(&rows, "fd", "FRONTEND"), "dreq"), 1);
    let tl = row(&rows, "tl", "sock-1");
    assert_eq!(num(tl, "scur"), 1);
    assert_eq!(num(tl, "stot"), 1);
    // The hrsp and h1 columns stay empty on listener rows.
    assert_eq!(main["hrsp_2xx"], "");
    assert_eq!(main["dcon"], "0");
}

/// The `show sess` lines naming a frontend, by field.
fn sessions(sock: &std::path::Path, fe: &str) -> Vec<(String, String)> {
    let out = cli(sock, "show sess");
    out.lines()
        .filter(|l| l.contains(&format!(" fe={fe} ")))
        .map(|l| {
            let (id, rest) = l.split_once(": ").unwrap_or((l, ""));
            (id.to_string(), rest.to_string())
        })
        .collect()
}

fn field<'a>(line: &'a str, name: &str) -> &'a str {
    line.split(' ')
        .find_map(|w| w.strip_prefix(&format!("{name}=")))
        .unwrap_or("")
}

#[test]
fn show_sess_lists_proxied_sessions_and_shutdown_ends_one() {
    // The HTTP server answers late, so the request is in flight (2.6 lists
    // a stream, not an idle keep-alive connection).
    let be = HttpBackend::builder("s1")
        .delay(Duration::from_secs(8))
        .start();
    let tcp_be = TcpBackend::start(TcpMode::Echo);
    let s = start(&be, &tcp_be);

    let mut t = match TcpStream::connect(("127.0.0.1", s.tcp)) {
        Ok(t) => t,
        Err(e) => panic!("connect tcp: {e}"),
    };
    let _ = t.set_read_timeout(Some(Duration::from_secs(3)));
    let _ = t.write_all(b"ping");
    let mut buf = [0u8; 4];
    assert!(t.read_exact(&mut buf).is_ok(), "echo through the proxy");
    let tcp_src = t.local_addr().map(|a| a.to_string()).unwrap_or_default();

    let mut h = RawClient::connect(s.http);
    let _ = h.send(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    let http_src = h
        .stream()
        .local_addr()
        .map(|a| a.to_string())
        .unwrap_or_default();

    // The HTTP stream shows its server once the request reached it.
    let deadline = Instant::now() + Duration::from_secs(5);
    let http = loop {
        let v = sessions(&s.sock, "fe");
        if let Some(x) = v.iter().find(|(_, l)| field(l, "srv") == "s1") {
            break x.clone();
        }
        assert!(Instant::now() < deadline, "no fe session in {v:?}");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(http.0.starts_with("0x"), "{http:?}");
    assert_eq!(field(&http.1, "proto"), "tcpv4");
    assert_eq!(field(&http.1, "src"), http_src);
    assert_eq!(field(&http.1, "be"), "be");
    assert!(field(&http.1, "age").ends_with('s'));

    let tl = sessions(&s.sock, "tl");
    assert_eq!(tl.len(), 1, "{tl:?}");
    let (tcp_id, tcp_line) = &tl[0];
    assert_eq!(field(tcp_line, "proto"), "tcpv4");
    assert_eq!(field(tcp_line, "src"), tcp_src);
    assert_eq!(field(tcp_line, "be"), "tl");
    assert_eq!(field(tcp_line, "srv"), "t1");

    assert_eq!(
        cli(&s.sock, "shutdown session 0x1"),
        "No such session (use 'show sess').\n\n"
    );
    assert_eq!(
        cli(&s.sock, "shutdown session"),
        "Session pointer expected (use 'show sess').\n\n"
    );
    assert_eq!(cli(&s.sock, &format!("shutdown session {tcp_id}")), "\n");
    // The client sees its connection end.
    let mut rest = Vec::new();
    let ended = t.read_to_end(&mut rest).is_ok();
    assert!(ended, "the killed TCP session was not closed");
    let deadline = Instant::now() + Duration::from_secs(3);
    while !sessions(&s.sock, "tl").is_empty() {
        assert!(Instant::now() < deadline, "killed session still listed");
        std::thread::sleep(Duration::from_millis(20));
    }
    // The other session lives on.
    assert_eq!(sessions(&s.sock, "fe").len(), 1);
}

/// `disable health`: 2.6 shows the server as unchecked, with the check
/// counters empty.
#[test]
fn disable_health_shows_no_check() {
    let be = HttpBackend::start("s1");
    let dir = TempDir::new();
    let sock = dir.join("admin.sock");
    let port = free_port();
    let cfg = format!(
        "global
    stats socket {} level admin
defaults
    mode http
    timeout connect 2s
    timeout client 10s
    timeout server 10s
frontend fe
    bind 127.0.0.1:{port}
    default_backend be
backend be
    server s1 {} check
",
        sock.display(),
        be.addr()
    );
    let _lbd = LbdProcess::start_in(dir, &cfg);
    wait_socket(&sock);
    assert_eq!(cli(&sock, "disable health be/s1"), "\n");
    let rows = show_stat(&sock);
    let s1 = row(&rows, "be", "s1");
    assert_eq!(s1["status"], "no check");
    assert_eq!(s1["chkfail"], "");
    assert_eq!(s1["chkdown"], "");
    assert_eq!(cli(&sock, "enable health be/s1"), "\n");
    let rows = show_stat(&sock);
    assert_eq!(row(&rows, "be", "s1")["chkfail"], "0");
}

/// 2.6 has no stream for a connection that has not sent a request yet or
/// sits idle between keep-alive requests, so `show sess` does not list it;
/// lbd with an admin socket and `option httplog` to `rx`; `proxies`: its
/// frontend and backend sections.
fn start_logged(rx: &tests::syslog::SyslogReceiver, proxies: &str) -> (LbdProcess, PathBuf) {
    let dir = TempDir::new();
    let sock = dir.join("admin.sock");
    let cfg = format!(
        "global
    stats socket {} level admin
defaults
    mode http
    log 127.0.0.1:{} local0
    option httplog
    timeout connect 2s
    timeout client 10s
    timeout server 10s
{proxies}",
        sock.display(),
        rx.port(),
    );
    let lbd = LbdProcess::start_in(dir, &cfg);
    wait_socket(&sock);
    (lbd, sock)
}

/// The sessions of `fe` once at least `n` of them reached server `s1`.
fn wait_on_s1(
    sock: &std::path::Path,
    fe: &str,
    n: usize,
    lbd: &LbdProcess,
) -> Vec<(String, String)> {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let v = sessions(sock, fe);
        if v.iter().filter(|(_, l)| field(l, "srv") == "s1").count() >= n {
            return v;
        }
        assert!(
            Instant::now() < deadline,
            "requests of {fe} not in show sess: {v:?}{}",
            lbd.output_hint()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The next log line of frontend `fe`, parsed.
fn next_log(
    rx: &tests::syslog::SyslogReceiver,
    fe: &str,
    lbd: &LbdProcess,
) -> tests::syslog::HttpLog {
    let msg = rx
        .wait_for(Duration::from_secs(3), |m| m.contains(&format!(" {fe} ")))
        .unwrap_or_else(|| panic!("request of {fe} not logged{}", lbd.output_hint()));
    tests::syslog::HttpLog::parse(&msg).unwrap_or_else(|| panic!("unparsable httplog line: {msg}"))
}

/// `shutdown sessions server` ends the requests in flight on that server,
/// and a killed transaction is logged with a `K` termination.
#[test]
fn idle_connections_are_not_sessions_and_killed_requests_are_logged() {
    let rx = tests::syslog::SyslogReceiver::start();
    let slow = HttpBackend::builder("slow")
        .delay(Duration::from_secs(8))
        .start();
    let fast = HttpBackend::start("fast");
    let (port, fport) = (free_port(), free_port());
    let (lbd, sock) = start_logged(
        &rx,
        &format!(
            "frontend fe
    bind 127.0.0.1:{port}
    default_backend be
frontend ff
    bind 127.0.0.1:{fport}
    default_backend bf
backend be
    server s1 {}
backend bf
    server f1 {}
",
            slow.addr(),
            fast.addr()
        ),
    );

    // A connection that sent nothing, and one idle after a response.
    let _silent = RawClient::connect(fport);
    let mut idle = RawClient::connect(fport);
    let _ = idle.send(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    let resp = idle.read_response();
    assert_eq!(resp.map(|r| r.status), Some(200));
    let _ = rx.wait_for(Duration::from_secs(3), |m| m.contains(" ff "));
    assert_eq!(sessions(&sock, "ff"), vec![], "idle connections listed");

    // Two requests in flight on s1.
    let mut a = RawClient::connect(port);
    let mut b = RawClient::connect(port);
    for c in [&mut a, &mut b] {
        let _ = c.send(b"GET /slow HTTP/1.1\r\nHost: x\r\n\r\n");
    }
    wait_on_s1(&sock, "fe", 2, &lbd);
    assert_eq!(
        cli(&sock, "shutdown sessions server be/nope"),
        "No such server.\n\n"
    );
    assert_eq!(cli(&sock, "shutdown sessions server be/s1"), "\n");
    // The clients get a 502, and their connections live on.
    for c in [&mut a, &mut b] {
        assert_eq!(c.read_response().map(|r| r.status), Some(502));
    }
    let deadline = Instant::now() + Duration::from_secs(3);
    while !sessions(&sock, "fe").is_empty() {
        assert!(Instant::now() < deadline, "killed sessions still listed");
        std::thread::sleep(Duration::from_millis(20));
    }
    for _ in 0..2 {
        let l = next_log(&rx, "fe", &lbd);
        assert_eq!(
            (l.server.as_str(), l.status.as_str(), l.termination.as_str()),
            ("s1", "502", "KH--"),
            "{l:?}"
        );
    }
}

/// `shutdown session` ends an HTTP request in flight (HTTP/1: its
/// connection closes) and an h2 connection with every stream on it; each
/// killed transaction is logged with a `K` termination.
#[test]
fn shutdown_session_ends_http_requests_in_flight() {
    let rx = tests::syslog::SyslogReceiver::start();
    let slow = HttpBackend::builder("slow")
        .delay(Duration::from_secs(8))
        .start();
    let (h1, h2) = (free_port(), free_port());
    let (lbd, sock) = start_logged(
        &rx,
        &format!(
            "frontend f1
    bind 127.0.0.1:{h1}
    default_backend be
frontend f2
    bind 127.0.0.1:{h2} proto h2
    default_backend be
backend be
    server s1 {}
",
            slow.addr()
        ),
    );
    let killed_logged = |fe: &str| {
        let l = next_log(&rx, fe, &lbd);
        assert!(l.termination.starts_with('K'), "{l:?}");
    };

    // HTTP/1: the request waits for the slow server; the kill closes it.
    let mut c = RawClient::connect(h1);
    let _ = c.send(b"GET /slow HTTP/1.1\r\nHost: x\r\n\r\n");
    let v = wait_on_s1(&sock, "f1", 1, &lbd);
    let started = Instant::now();
    assert_eq!(cli(&sock, &format!("shutdown session {}", v[0].0)), "\n");
    let _ = c.stream().set_read_timeout(Some(Duration::from_secs(5)));
    let mut rest = Vec::new();
    assert!(
        c.stream().read_to_end(&mut rest).is_ok(),
        "the killed HTTP session was not closed"
    );
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "closed by the server, not the kill"
    );
    killed_logged("f1");

    // h2: two streams in flight on one connection (h2load -c1 -m2); one
    // kill ends both. The killed h1 request may still hold the server.
    let base = slow.active();
    let url = format!("http://127.0.0.1:{h2}/slow");
    let h2load = std::process::Command::new("h2load")
        .args(["-n2", "-c1", "-m2", "-t1", &url])
        .stdout(std::process::Stdio::piped())
        .spawn();
    let mut client = match h2load {
        Ok(c) => c,
        Err(e) => panic!("h2load: {e}"),
    };
    // Both streams reached the server.
    let deadline = Instant::now() + Duration::from_secs(5);
    while slow.active() < base + 2 {
        assert!(
            Instant::now() < deadline,
            "the h2 streams never reached the server"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let v = wait_on_s1(&sock, "f2", 1, &lbd);
    let started = Instant::now();
    assert_eq!(cli(&sock, &format!("shutdown session {}", v[0].0)), "\n");
    let deadline = Instant::now() + Duration::from_secs(5);
    let status = loop {
        match client.try_wait() {
            Ok(Some(s)) => break s,
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(20)),
            _ => {
                let _ = client.kill();
                panic!("h2load still running after the kill{}", lbd.output_hint());
            }
        }
    };
    assert!(started.elapsed() < Duration::from_secs(5));
    // Neither stream was answered: both ended with the connection.
    let mut out = String::new();
    if let Some(mut o) = client.stdout.take() {
        let _ = o.read_to_string(&mut out);
    }
    assert!(out.contains("0 succeeded, 2 failed"), "{out} ({status})");
    killed_logged("f2");
    killed_logged("f2");
    let deadline = Instant::now() + Duration::from_secs(3);
    while !sessions(&sock, "f2").is_empty() {
        assert!(Instant::now() < deadline, "killed h2 session still listed");
        std::thread::sleep(Duration::from_millis(20));
    }
}
