//! Rule stages HAProxy 2.6 runs beyond the frontend's own: `tcp-request
//! content` rules in backends (HTTP and TCP mode), `tcp-response content`
//! rules over the server's first bytes, and where 2.6 refuses them. Each
//! test passes on lbd and on HAProxy 2.6 alike.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use tests::stats_socket::{cli, stat_row, wait_socket};
use tests::*;

/// Sends `data`, half-closes, and reads what comes back until the proxy
/// closes; also how long that took.
fn exchange(port: u16, data: &[u8], half_close: bool) -> (Vec<u8>, Duration) {
    let start = Instant::now();
    let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(5))).ok();
    let _ = s.write_all(data);
    if half_close {
        let _ = s.shutdown(std::net::Shutdown::Write);
    }
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    (out, start.elapsed())
}

#[test]
fn http_backend_content_rules_track_and_reject() {
    let web = HttpBackend::start("web");
    let dir = TempDir::new();
    let sock = dir.join("admin.sock");
    let port = free_port();
    let cfg = format!(
        "global
    maxconn 1000
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
    stick-table type ip size 10 store http_req_cnt,conn_cnt
    tcp-request content track-sc1 src
    tcp-request content reject if {{ path_beg /deny }}
    http-request return status 200 content-type text/plain lf-string \"req=%[sc1_http_req_cnt] conn=%[sc1_conn_cnt]\" if {{ path_beg /cnt }}
    server s1 {}
",
        sock.display(),
        web.addr()
    );
    let lbd = LbdProcess::start_in(dir, &cfg);
    wait_socket(&sock);

    // A rejected request gets no answer at all and never reaches a server.
    let mut c = RawClient::connect(port);
    c.send(b"GET /deny HTTP/1.1\r\nhost: x\r\n\r\n")
        .expect("send");
    let (bytes, closed) = c.read_until_close(Duration::from_secs(5));
    assert!(
        closed && bytes.is_empty(),
        "{bytes:?} {}",
        lbd.output_hint()
    );
    assert_eq!(web.requests(), 0);

    // The rejected request counted a connection on the tracked entry but
    // not a request; this one counts both.
    let r = curl(&["-s", &format!("http://127.0.0.1:{port}/cnt")]);
    assert_eq!(r.stdout_str(), "req=1 conn=2", "{}", lbd.output_hint());
    curl(&["-s", &format!("http://127.0.0.1:{port}/pass")]);
    assert_eq!(web.requests(), 1, "{}", lbd.output_hint());
    let table = cli(&sock, "show table be");
    assert!(
        table.contains("conn_cnt=3 http_req_cnt=2"),
        "{table}\n{}",
        lbd.output_hint()
    );
    assert_eq!(stat_row(&sock, "fe", "FRONTEND")["dreq"], "1");
}

fn tcp_config(sock: &std::path::Path, port: u16, echo: &str, backend_rules: &str) -> String {
    format!(
        "global
    maxconn 1000
    stats socket {} level admin

defaults
    mode tcp
    timeout connect 2s
    timeout client 10s
    timeout server 10s

frontend fe
    bind 127.0.0.1:{port}
    default_backend be

backend be
{backend_rules}
    server s1 {echo}
",
        sock.display()
    )
}

#[test]
fn tcp_backend_content_rules_wait_and_reject() {
    let echo = TcpBackend::start(TcpMode::ReplyAfterEof);
    let dir = TempDir::new();
    let sock = dir.join("admin.sock");
    let port = free_port();
    let cfg = tcp_config(
        &sock,
        port,
        &echo.addr().to_string(),
        "    tcp-request inspect-delay 2s
    tcp-request content reject if { req.payload(0,3) -m str BAD }",
    );
    let lbd = LbdProcess::start_in(dir, &cfg);
    wait_socket(&sock);
    let (out, _) = exchange(port, b"BADstuff", true);
    assert_eq!(out, b"", "{}", lbd.output_hint());
    assert_eq!(echo.connections(), 0);
    let (out, _) = exchange(port, b"good", true);
    assert_eq!(out, b"got 4 bytes: good", "{}", lbd.output_hint());
    assert_eq!(stat_row(&sock, "fe", "FRONTEND")["dreq"], "1");
}

#[test]
fn tcp_response_content_reject_accept_and_close() {
    let reply = TcpBackend::start(TcpMode::ReplyAfterEof);
    let dir = TempDir::new();
    let sock = dir.join("admin.sock");
    let port = free_port();
    let cfg = tcp_config(
        &sock,
        port,
        &reply.addr().to_string(),
        "    tcp-response inspect-delay 2s
    tcp-response content reject if { res.payload(0,0) -m sub SECRET }
    tcp-response content accept if { res.len gt 0 }",
    );
    let lbd = LbdProcess::start_in(dir, &cfg);
    wait_socket(&sock);
    // The server answers "got 6 bytes: SECRET": nothing of it reaches the
    // client, and the response counts as denied.
    let (out, _) = exchange(port, b"SECRET", true);
    assert_eq!(out, b"", "{}", lbd.output_hint());
    assert_eq!(reply.connections(), 1);
    for (px, sv) in [("fe", "FRONTEND"), ("be", "s1"), ("be", "BACKEND")] {
        assert_eq!(stat_row(&sock, px, sv)["dresp"], "1", "{px}/{sv}");
    }
    let (out, _) = exchange(port, b"public", true);
    assert_eq!(out, b"got 6 bytes: public", "{}", lbd.output_hint());
    drop(lbd);

    // `close` ends the server side at once: the client gets what the
    // server sent, then the close, long before any timeout.
    let echo = TcpBackend::start(TcpMode::Echo);
    let dir = TempDir::new();
    let sock = dir.join("admin.sock");
    let port = free_port();
    let cfg = tcp_config(
        &sock,
        port,
        &echo.addr().to_string(),
        "    tcp-response inspect-delay 2s
    tcp-response content close if { res.payload(0,5) -m str hello }",
    );
    let lbd = LbdProcess::start_in(dir, &cfg);
    wait_socket(&sock);
    let (out, took) = exchange(port, b"hello there", false);
    assert_eq!(out, b"hello there", "{}", lbd.output_hint());
    assert!(took < Duration::from_secs(3), "closed after {took:?}");
}

#[test]
fn tcp_rules_refused_where_26_refuses_them() {
    let cfg = "defaults
    mode tcp
    timeout connect 2s
    timeout client 10s
    timeout server 10s

backend be
    tcp-request connection reject
    tcp-request session reject
    tcp-response content bogus
    server s1 127.0.0.1:9

frontend fe
    bind 127.0.0.1:9
    tcp-response content close
    tcp-response inspect-delay 1s
    default_backend be
";
    let (code, _, err) = check(cfg);
    assert_ne!(code, 0, "{err}");
    for want in [
        ":8] : tcp-request connection is not allowed because backend be is not a frontend",
        ":9] : tcp-request session is not allowed because backend be is not a frontend",
        ":10] : 'tcp-response content' expects 'accept', 'close', 'reject', ",
        "in backend 'be' (got 'bogus').",
        ":15] : tcp-response content is only allowed in 'backend' sections or 'defaults' section with a name",
        ":16] : tcp-response inspect-delay is only allowed in 'backend' sections or 'defaults' section with a name",
    ] {
        assert!(err.contains(want), "missing {want:?} in:\n{err}");
    }
}

#[test]
fn set_cookie2_handled_like_set_cookie_for_persistence() {
    let raw = "HTTP/1.1 200 OK\r\nSet-Cookie2: a=1, SRV = zz ; Path=\"/\", b=2\r\n\
               Set-Cookie: SRV=x\r\nSet-Cookie2: SRV=only\r\n\
               content-length: 2\r\nconnection: close\r\n\r\nok";
    let web = HttpBackend::builder("web")
        .reply(Reply::Raw(raw.as_bytes().to_vec()))
        .start();
    let port = free_port();
    let cfg = http_config(
        port,
        "",
        &format!(
            "    cookie SRV insert indirect\n    server s1 {} cookie s1",
            web.addr()
        ),
    );
    let lbd = LbdProcess::start(&cfg);
    let mut c = RawClient::connect(port);
    let r = c.request(b"GET / HTTP/1.1\r\nhost: t\r\n\r\n");
    let lines = |name: &str| -> Vec<String> {
        r.headers
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
            .collect()
    };
    // Our cookie goes from every Set-Cookie2 list (a header holding only
    // it goes whole; 2.6 leaves its stale tail in the list it shortened)
    // and the insert sets the server's own.
    assert_eq!(
        lines("set-cookie2"),
        ["a=1, b=2=zz ; Path=\"/\", b=2"],
        "{}",
        lbd.output_hint()
    );
    assert_eq!(lines("set-cookie"), ["SRV=s1; path=/"]);
}

#[test]
fn cookie_letters_and_capture_on_deny_and_tarpit() {
    let web = HttpBackend::start("web");
    let rx = tests::syslog::SyslogReceiver::start();
    let port = free_port();
    let cfg = format!(
        "global
    maxconn 1000
    log 127.0.0.1:{} local0

defaults
    mode http
    log global
    log-format \"%HP %ST %tsc %CC\"
    timeout connect 2s
    timeout client 10s
    timeout server 10s
    timeout tarpit 100ms

frontend fe
    bind 127.0.0.1:{port}
    capture cookie SRV len 20
    http-request deny if {{ path_beg /fdeny }}
    default_backend be

backend be
    cookie SRV insert indirect
    http-request deny if {{ path_beg /bdeny }}
    http-request tarpit if {{ path_beg /btarpit }}
    http-request return status 200 if {{ path_beg /bret }}
    server s1 {} cookie s1
",
        rx.port(),
        web.addr()
    );
    let lbd = LbdProcess::start(&cfg);
    // What HAProxy 2.6.12 logs for each: the frontend's deny captures the
    // cookie but has no backend cookie to read; the backend's deny and
    // tarpit read it (valid, invalid, none); a return reads nothing.
    let cases = [
        ("/fdeny", "SRV=s1", "/fdeny 403 PR-- SRV=s1"),
        ("/bdeny", "SRV=s1", "/bdeny 403 PRVN SRV=s1"),
        ("/bdeny", "SRV=zz", "/bdeny 403 PRIN SRV=zz"),
        ("/btarpit", "SRV=s1", "/btarpit 500 PTVN SRV=s1"),
        ("/bret", "SRV=s1", "/bret 200 LRNN -"),
    ];
    for (path, cookie, want) in cases {
        let mut c = RawClient::connect(port);
        let req = format!("GET {path} HTTP/1.1\r\nhost: t\r\ncookie: {cookie}\r\n\r\n");
        c.request(req.as_bytes());
        let line = rx
            .wait_for(Duration::from_secs(5), |l| l.contains(path))
            .unwrap_or_else(|| panic!("no log line for {path}{}", lbd.output_hint()));
        assert!(line.ends_with(want), "{line:?} wants {want:?}");
    }
    assert_eq!(web.requests(), 0);
}

#[test]
fn h2_connection_rules_run_once_per_connection() {
    let port = free_port();
    let refused = free_port();
    let cfg = format!(
        "{HTTP_DEFAULTS}
frontend fe
    bind 127.0.0.1:{port} proto h2
    bind 127.0.0.1:{refused} proto h2
    stick-table type ip size 10 store conn_cnt,conn_cur,sess_cnt,http_req_cnt
    tcp-request connection reject if {{ dst_port {refused} }}
    tcp-request connection track-sc0 src
    http-request return status 200 content-type text/plain lf-string \"conn=%[sc0_conn_cnt] cur=%[sc0_conn_cur] sess=%[sc0_sess_cnt] req=%[sc0_http_req_cnt]\"
"
    );
    let lbd = LbdProcess::start(&cfg);
    // Five streams on one connection: one connection, one session, five
    // requests on the entry the connection rules track.
    let out = std::process::Command::new("h2load")
        .args(["-n", "5", "-c", "1", "-m", "1"])
        .arg(format!("http://127.0.0.1:{port}/"))
        .output()
        .unwrap_or_else(|e| panic!("cannot run h2load: {e}"));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("5 succeeded"), "h2load: {text}");
    let r = curl(&[
        "-s",
        "--http2-prior-knowledge",
        &format!("http://127.0.0.1:{port}/"),
    ]);
    assert_eq!(
        r.stdout_str(),
        "conn=2 cur=1 sess=2 req=6",
        "{}",
        lbd.output_hint()
    );
    // A refused connection is reset before any h2 frame (nothing is sent:
    // a write racing the reset would consume its error).
    let mut s = TcpStream::connect(("127.0.0.1", refused)).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(5))).ok();
    let mut buf = [0u8; 64];
    let got = s.read(&mut buf);
    assert!(
        matches!(&got, Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset),
        "{got:?}"
    );
}

#[test]
fn errorloc_answers_errors_with_redirects() {
    let port = free_port();
    let cfg = format!(
        "{HTTP_DEFAULTS}
frontend fe
    bind 127.0.0.1:{port}
    errorloc 403 http://example.com/forbidden
    errorloc303 503 /down
    http-request deny if {{ path_beg /d }}
    default_backend be

backend be
    server s1 127.0.0.1:9 disabled
"
    );
    let lbd = LbdProcess::start(&cfg);
    let mut c = RawClient::connect(port);
    let r = c.request(b"GET /d HTTP/1.1\r\nhost: t\r\n\r\n");
    assert!(
        r.raw_str().starts_with(
            "HTTP/1.1 302 Found\r\ncache-control: no-cache\r\ncontent-length: 0\r\n\
             location: http://example.com/forbidden\r\n"
        ),
        "{:?}{}",
        r.raw_str(),
        lbd.output_hint()
    );
    let mut c = RawClient::connect(port);
    let r = c.request(b"GET /x HTTP/1.1\r\nhost: t\r\n\r\n");
    assert_eq!((r.status, r.header("location")), (303, Some("/down")));
}

#[test]
fn http_error_replaces_the_error_answer() {
    let port = free_port();
    let cfg = format!(
        "{HTTP_DEFAULTS}
frontend fe
    bind 127.0.0.1:{port}
    http-error status 403 content-type text/plain string \"nope\" hdr x-a b
    http-error status 503
    http-request deny if {{ path_beg /d }}
    default_backend be

backend be
    server s1 127.0.0.1:9 disabled
"
    );
    let lbd = LbdProcess::start(&cfg);
    let mut c = RawClient::connect(port);
    let r = c.request(b"GET /d HTTP/1.1\r\nhost: t\r\n\r\n");
    assert!(
        r.raw_str().starts_with(
            "HTTP/1.1 403 Forbidden\r\nx-a: b\r\ncontent-length: 4\r\n\
             content-type: text/plain\r\n"
        ),
        "{:?}{}",
        r.raw_str(),
        lbd.output_hint()
    );
    assert_eq!(r.body_str(), "nope");
    let mut c = RawClient::connect(port);
    let r = c.request(b"GET /x HTTP/1.1\r\nhost: t\r\n\r\n");
    assert_eq!((r.status, r.body_str().as_str()), (503, ""));

    let (code, _, err) = check(&cfg.replace("status 503", "status 999"));
    assert_ne!(code, 0);
    assert!(
        err.contains("] : http-error : Unexpected status code '999'"),
        "{err}"
    );
}
