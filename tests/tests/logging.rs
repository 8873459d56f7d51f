//! Traffic logs (spec 9): what lands on a UDP syslog receiver for normal
//! requests and for each kind of failure, field by field. The expectations
//! were taken from HAProxy 2.6.12 (`LBD_BIN=/usr/sbin/haproxy cargo nextest
//! run -p tests --test logging`); lbd emits the same.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;
use tests::*;

const WAIT: Duration = Duration::from_secs(5);
const NOT_WIRED: &str = "lbd: logging not wired into sessions yet";

fn global(log_port: u16) -> String {
    format!(
        "global\n    maxconn 1000\n    log 127.0.0.1:{log_port} local0\n\n\
         defaults\n    mode http\n    log global\n    timeout connect 2s\n    timeout client 10s\n    timeout server 10s\n"
    )
}

/// An `option httplog` frontend on `port` in front of backend `be`.
fn http_setup(frontend: &str, backend: &str) -> (LbdProcess, SyslogReceiver, u16) {
    let rx = SyslogReceiver::start();
    let port = free_port();
    let cfg = format!(
        "{}\nfrontend fe\n    bind 127.0.0.1:{port}\n    option httplog\n{frontend}\n    default_backend be\n\nbackend be\n{backend}\n",
        global(rx.port())
    );
    (LbdProcess::start(&cfg), rx, port)
}

fn http_line(rx: &SyslogReceiver, lbd: &LbdProcess) -> HttpLog {
    let msg = rx
        .wait_for(WAIT, |m| m.contains(" fe "))
        .unwrap_or_else(|| panic!("no log line{}", lbd.output_hint()));
    HttpLog::parse(&msg).unwrap_or_else(|| panic!("unparsable httplog line: {msg}"))
}

fn assert_ts(l: &HttpLog, tsc: &str, status: &str) {
    assert_eq!(
        (l.termination.as_str(), l.status.as_str()),
        (tsc, status),
        "{l:#?}"
    );
}

#[test]
fn normal_request_is_logged_at_info_with_every_field() {
    let be = HttpBackend::start("s1");
    let (lbd, rx, port) = http_setup(
        "    capture request header User-Agent len 5",
        &format!("    server s1 {}", be.addr()),
    );
    let out = curl(&[
        "-s",
        "-A",
        "agent|x",
        &format!("http://127.0.0.1:{port}/p?q=1"),
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let line = rx
        .next(WAIT)
        .unwrap_or_else(|| panic!("no log line{}", lbd.output_hint()));
    // local0.info, default tag.
    assert!(line.starts_with("<134>"), "{line}");
    assert!(line.contains(" haproxy["), "{line}");
    let l =
        HttpLog::parse(tests::syslog::strip_header(&line).1).unwrap_or_else(|| panic!("{line}"));
    assert!(l.client.starts_with("127.0.0.1:"), "{l:#?}");
    assert_eq!(
        (l.frontend.as_str(), l.backend.as_str(), l.server.as_str()),
        ("fe", "be", "s1")
    );
    assert_eq!(l.timers.len(), 5);
    assert!(
        l.timers
            .iter()
            .all(|t| t.parse::<i64>().is_ok_and(|v| v >= 0)),
        "{l:#?}"
    );
    assert_ts(&l, "----", "200");
    assert!(l.bytes.parse::<u64>().is_ok_and(|b| b > 0));
    assert_eq!(l.cookies, ("-".into(), "-".into()));
    // The server connection is already released when the line is built.
    assert_eq!(l.conns, ["1", "1", "0", "0", "0"]);
    assert_eq!(l.queues, ["0", "0"]);
    // The capture is cut at 5 bytes, '|' escaped; no response capture: no block.
    assert_eq!(l.captures, ["{agent}"]);
    assert_eq!(l.request, "GET /p?q=1 HTTP/1.1");
}

#[test]
fn no_server_is_503_sc() {
    let (lbd, rx, port) = http_setup("", "");
    let _ = curl(&["-s", &format!("http://127.0.0.1:{port}/none")]);
    let l = http_line(&rx, &lbd);
    assert_eq!(l.server, "<NOSRV>");
    assert_eq!(l.timers[1..4], ["-1", "-1", "-1"]);
    assert_ts(&l, "SC--", "503");
    assert_eq!(l.request, "GET /none HTTP/1.1");
}

#[test]
fn refused_connect_is_503_sc_after_retries() {
    let dead = free_port();
    let (lbd, rx, port) = http_setup(
        "",
        &format!("    retries 2\n    server s1 127.0.0.1:{dead}"),
    );
    let _ = curl(&["-s", &format!("http://127.0.0.1:{port}/")]);
    let l = http_line(&rx, &lbd);
    assert_eq!(l.server, "s1");
    assert_eq!(l.timers[2..4], ["-1", "-1"]);
    assert_ts(&l, "SC--", "503");
    assert_eq!(l.conns[4], "2", "{l:#?}");
}

#[test]
fn invalid_response_is_502_ph() {
    let be = HttpBackend::builder("bad")
        .reply(Reply::Raw(b"NOT HTTP\r\n\r\n".to_vec()))
        .start();
    let (lbd, rx, port) = http_setup("", &format!("    server b1 {}", be.addr()));
    let _ = curl(&["-s", &format!("http://127.0.0.1:{port}/bad")]);
    let l = http_line(&rx, &lbd);
    assert_eq!(l.timers[3], "-1");
    assert_ts(&l, "PH--", "502");
}

#[test]
fn server_timeout_is_504_sh() {
    let be = HttpBackend::builder("slow").reply(Reply::Never).start();
    let (lbd, rx, port) = http_setup(
        "",
        &format!("    timeout server 300ms\n    server e1 {}", be.addr()),
    );
    let _ = curl(&["-s", &format!("http://127.0.0.1:{port}/sleep")]);
    let l = http_line(&rx, &lbd);
    assert_ts(&l, "sH--", "504");
    assert!(l.timers[4].parse::<i64>().is_ok_and(|t| t >= 300), "{l:#?}");
}

#[test]
fn request_timeout_is_408_cr_badreq() {
    let (lbd, rx, port) = http_setup(
        "    timeout http-request 300ms",
        "    server s1 127.0.0.1:1",
    );
    let mut c = RawClient::connect(port);
    let _ = c.send(b"GET / HTTP/1.1\r\nhost: a\r\n");
    let _ = c.read_until_close(WAIT);
    let l = http_line(&rx, &lbd);
    assert_eq!(l.server, "<NOSRV>");
    assert_eq!(l.backend, "fe");
    assert_eq!(l.timers[..4], ["-1", "-1", "-1", "-1"]);
    assert_ts(&l, "cR--", "408");
    assert_eq!(l.request, "<BADREQ>");
}

#[test]
fn bad_request_is_400_pr_badreq() {
    let (lbd, rx, port) = http_setup("", "    server s1 127.0.0.1:1");
    let mut c = RawClient::connect(port);
    let _ = c.send(b"GET / HTTP/1.1\r\nbad header\r\n\r\n");
    let _ = c.read_until_close(WAIT);
    let l = http_line(&rx, &lbd);
    assert_eq!((l.backend.as_str(), l.server.as_str()), ("fe", "<NOSRV>"));
    assert_ts(&l, "PR--", "400");
    assert_eq!(l.request, "<BADREQ>");
}

#[test]
fn deny_is_403_pr() {
    let (lbd, rx, port) = http_setup("    http-request deny", "    server s1 127.0.0.1:1");
    let _ = curl(&["-s", &format!("http://127.0.0.1:{port}/x")]);
    let l = http_line(&rx, &lbd);
    assert_ts(&l, "PR--", "403");
    assert_eq!(l.request, "GET /x HTTP/1.1");
}

/// HAProxy 2.6 does not watch the client while it waits for the response
/// headers (even with `option abortonclose`): a client that hangs up then is
/// only noticed when the server times out, and logged as `sH` 504.
#[test]
fn client_gone_while_waiting_is_logged_at_server_timeout() {
    let be = HttpBackend::builder("slow").reply(Reply::Never).start();
    let (lbd, rx, port) = http_setup(
        "",
        &format!("    timeout server 500ms\n    server e1 {}", be.addr()),
    );
    let mut c = match TcpStream::connect(("127.0.0.1", port)) {
        Ok(c) => c,
        Err(e) => panic!("connect: {e}"),
    };
    let _ = c.write_all(b"GET / HTTP/1.1\r\nhost: a\r\n\r\n");
    let deadline = std::time::Instant::now() + WAIT;
    while be.requests() == 0 && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    drop(c);
    let l = http_line(&rx, &lbd);
    assert_ts(&l, "sH--", "504");
}

#[test]
fn client_abort_during_data_is_cd() {
    // A response larger than the socket buffers, never read by the client.
    let body = vec![b'x'; 8 << 20];
    let mut raw = format!("HTTP/1.1 200 OK\r\ncontent-length: {}\r\n\r\n", body.len()).into_bytes();
    raw.extend_from_slice(&body);
    let be = HttpBackend::builder("big").reply(Reply::Raw(raw)).start();
    let (lbd, rx, port) = http_setup("", &format!("    server e1 {}", be.addr()));
    let mut c = match TcpStream::connect(("127.0.0.1", port)) {
        Ok(c) => c,
        Err(e) => panic!("connect: {e}"),
    };
    let _ = c.write_all(b"GET / HTTP/1.1\r\nhost: a\r\n\r\n");
    let mut first = [0u8; 1024];
    let _ = c.read(&mut first);
    drop(c);
    let l = http_line(&rx, &lbd);
    assert_eq!(&l.termination[..2], "CD", "{l:#?}");
    assert_eq!(l.status, "200");
}

#[test]
fn tcplog_line_and_dontlognull() {
    let be = TcpBackend::start(TcpMode::Echo);
    let rx = SyslogReceiver::start();
    let port = free_port();
    let cfg = format!(
        "{}\nfrontend ft\n    mode tcp\n    bind 127.0.0.1:{port}\n    option tcplog\n    option dontlognull\n    default_backend bt\n\n\
         backend bt\n    mode tcp\n    server t1 {}\n",
        global(rx.port()),
        be.addr()
    );
    let lbd = LbdProcess::start(&cfg);
    let mut c = match TcpStream::connect(("127.0.0.1", port)) {
        Ok(c) => c,
        Err(e) => panic!("connect: {e}"),
    };
    let _ = c.write_all(b"hello");
    let mut buf = [0u8; 5];
    let _ = c.read_exact(&mut buf);
    drop(c);
    let msg = rx
        .wait_for(WAIT, |_| true)
        .unwrap_or_else(|| panic!("no tcplog line{}", lbd.output_hint()));
    let l = TcpLog::parse(&msg).unwrap_or_else(|| panic!("unparsable tcplog line: {msg}"));
    assert_eq!(
        (l.frontend.as_str(), l.backend.as_str(), l.server.as_str()),
        ("ft", "bt", "t1")
    );
    assert_eq!(l.bytes, "5");
    assert_eq!(l.termination, "--");
    assert_eq!(l.conns, ["1", "1", "0", "0", "0"]);
    // A connection that sends nothing is not logged with dontlognull (sent
    // after the first one ended, so the connection counts above are exact).
    drop(TcpStream::connect(("127.0.0.1", port)));
    let more = rx.drain(Duration::from_secs(1));
    assert!(more.is_empty(), "{more:#?}{}", lbd.output_hint());
}

#[test]
fn without_a_format_each_connection_logs_connect_from() {
    let rx = SyslogReceiver::start();
    let port = free_port();
    let cfg = format!(
        "{}\nfrontend plain\n    bind 127.0.0.1:{port}\n    http-request return status 200\n",
        global(rx.port())
    );
    let lbd = LbdProcess::start(&cfg);
    let _ = curl(&["-s", &format!("http://127.0.0.1:{port}/")]);
    let msg = rx
        .wait_for(WAIT, |m| m.starts_with("Connect from"))
        .unwrap_or_else(|| panic!("no Connect line{}", lbd.output_hint()));
    assert!(msg.starts_with("Connect from 127.0.0.1:"), "{msg}");
    assert!(
        msg.ends_with(&format!(" to 127.0.0.1:{port} (plain/HTTP)")),
        "{msg}"
    );
}

#[test]
fn log_keywords_are_accepted() {
    // The configuration side works today in lbd as in HAProxy.
    let cfg = format!(
        "{}\nfrontend fe\n    bind 127.0.0.1:{}\n    option httplog\n    option log-separate-errors\n    log-tag x\n    \
         capture request header Host len 10\n    capture response header Server len 10\n    \
         log 127.0.0.1:9 len 200 format rfc5424 local1 info\n    http-request return status 200\n",
        global(9),
        free_port()
    );
    let (code, _out, err) = check(&cfg);
    assert_eq!(code, 0, "{err}");
    assert!(!err.contains("ALERT"), "{err}");
    let _ = NOT_WIRED;
}

/// `%U` and `%B` count what 2.6 counts: the size of each message's internal
/// (HTX) form, not the bytes on the wire. Figures from HAProxy 2.6.12.
#[test]
fn bytes_in_and_out_are_counted_as_haproxy_does() {
    let be = HttpBackend::start("s1");
    let rx = SyslogReceiver::start();
    let port = free_port();
    let cfg = format!(
        "{}\nfrontend fe\n    bind 127.0.0.1:{port}\n    log-format \"%U %B %ST %r\"\n    http-request return status 200 content-type text/plain string ok if {{ path /ret }}\n    http-request deny if {{ path /deny }}\n    default_backend be\n\nbackend be\n    server s1 {}\n",
        global(rx.port()),
        be.addr()
    );
    let lbd = LbdProcess::start(&cfg);
    let mut got = Vec::new();
    for req in [
        &b"GET /a HTTP/1.1\r\nhost: h\r\nconnection: close\r\n\r\n"[..],
        b"POST /b HTTP/1.1\r\nhost: h\r\ncontent-length: 5\r\nconnection: close\r\n\r\nhello",
        b"POST /c HTTP/1.1\r\nhost: h\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n3\r\nxyy\r\n0\r\nt: v\r\n\r\n",
        b"GET /ret HTTP/1.1\r\nhost: h\r\nconnection: close\r\n\r\n",
        b"GET /deny HTTP/1.1\r\nhost: h\r\nconnection: close\r\n\r\n",
    ] {
        let mut c = RawClient::connect(port);
        c.send(req).unwrap_or_else(|e| panic!("send: {e}"));
        let _ = c.read_until_close(WAIT);
        let line = rx
            .next(WAIT)
            .unwrap_or_else(|| panic!("no log line{}", lbd.output_hint()));
        got.push(tests::syslog::strip_header(&line).1.to_string());
    }
    assert_eq!(
        got,
        [
            "39 113 200 GET /a HTTP/1.1",
            "60 138 200 POST /b HTTP/1.1",
            "70 155 200 POST /c HTTP/1.1",
            "41 73 200 GET /ret HTTP/1.1",
            "42 192 403 GET /deny HTTP/1.1",
        ],
        "{}",
        lbd.output_hint()
    );
}
