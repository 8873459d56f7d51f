//! HTTP/3 frontends (`quic4@` binds): requests through the H1 bridge to an
//! HTTP/1 backend with bodies and trailers, rules and logs as for the
//! other protocols, certificates by SNI, 100 concurrent streams on one
//! connection, and a reload that keeps serving.
//!
//! HAProxy 2.6 in Debian is built without QUIC, so against it every test
//! returns early; curl has no HTTP/3 either, and `h3client` is the peer.
//!
//! The harness waits for the TCP ports of `bind` lines; a QUIC bind is
//! written as a one-port range (`:P-P`) so that it does not wait on a UDP
//! port, and each test waits for the QUIC listener by retrying instead.

use h3client::{H3Conn, H3Response, Request};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use tests::h3client;
use tests::*;

/// A frontend with one QUIC bind and `rules`, sending to `be`.
fn config(port: u16, bind_opts: &str, rules: &str, be: &HttpBackend, global: &str) -> String {
    format!(
        "global
    maxconn 1000
{global}
defaults
    mode http
    timeout connect 2s
    timeout client 10s
    timeout server 10s

frontend fe
    bind quic4@127.0.0.1:{port}-{port} {bind_opts}
{rules}
    default_backend be

backend be
    server s1 {}
",
        be.addr()
    )
}

/// A test site: a CA and a certificate for `names`, in `dir`.
struct Site {
    ca: PathBuf,
    crt: PathBuf,
}

fn site(dir: &TempDir, names: &[&str]) -> Site {
    let pki = Pki::new("H3 Test CA");
    Site {
        ca: pki.write_ca(dir.path(), "ca.pem"),
        crt: pki.write_leaf(dir.path(), "site.pem", names),
    }
}

/// Sends `req` until the QUIC listener answers (it has no TCP port for
/// the harness to wait on), for at most 5 s.
fn first_request(port: u16, name: &str, ca: &Path, req: Request, lbd: &LbdProcess) -> H3Response {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        match h3client::request(port, name, ca, req.clone()) {
            Ok(r) => return r,
            Err(e) => assert!(
                Instant::now() < deadline,
                "no HTTP/3 answer: {e}{}",
                lbd.output_hint()
            ),
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn get_and_post_reach_an_http1_backend() {
    if is_haproxy() {
        return;
    }
    let be = HttpBackend::start("s1");
    let dir = TempDir::new();
    let s = site(&dir, &["site.test"]);
    let port = free_port();
    let cfg = config(
        port,
        &format!("ssl crt {} alpn h3", s.crt.display()),
        "",
        &be,
        "",
    );
    let lbd = LbdProcess::start_in(dir, &cfg);

    let r = first_request(port, "site.test", &s.ca, Request::get("/hello?x=1"), &lbd);
    assert_eq!(r.status, 200);
    assert_eq!(
        r.headers.get("x-served-by").map(|v| v.as_bytes()),
        Some(&b"s1"[..]),
        "{:?}",
        r.headers
    );
    let text = r.body_str();
    assert!(text.starts_with("GET /hello?x=1 HTTP/1.1\r\n"), "{text}");
    assert!(
        text.contains(&format!("\r\nhost: site.test:{port}\r\n")),
        "{text}"
    );
    assert!(
        !text.contains("transfer-encoding"),
        "a GET got a body: {text}"
    );

    // A body with its length is forwarded as is.
    let body = payload(100_000);
    let req = Request::post("/up", &body).header("content-length", &body.len().to_string());
    let r = h3client::request(port, "site.test", &s.ca, req).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.status, 200);
    let got = be.received();
    let last = got.last().unwrap_or_else(|| panic!("nothing received"));
    assert!(last.head_str().starts_with("POST /up HTTP/1.1\r\n"));
    assert!(last.head_str().contains("content-length: 100000\r\n"));
    assert_eq!(last.body, body, "body changed on the way");

    // Without a length it is chunked.
    let req = Request::post("/chunks", b"abc");
    let r = h3client::request(port, "site.test", &s.ca, req).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.status, 200);
    let text = r.body_str();
    assert!(text.contains("transfer-encoding: chunked\r\n"), "{text}");
    assert!(text.ends_with("3\r\nabc\r\n0\r\n\r\n"), "{text}");
}

#[test]
fn request_trailers_go_up_as_chunked_trailers() {
    if is_haproxy() {
        return;
    }
    // A raw server reads the request up to the end of its trailer section
    // (the echo backend stops at the last chunk).
    let sink = std::net::TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("{e}"));
    let sink_addr = sink.local_addr().unwrap_or_else(|e| panic!("{e}"));
    let reader = std::thread::spawn(move || {
        use std::io::{Read, Write};
        let Ok((mut c, _)) = sink.accept() else {
            return Vec::new();
        };
        let _ = c.set_read_timeout(Some(Duration::from_secs(5)));
        let mut got = Vec::new();
        let mut buf = [0u8; 4096];
        while !got.windows(5).any(|w| w == b"\r\n0\r\n") || !got.ends_with(b"\r\n\r\n") {
            match c.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => got.extend_from_slice(&buf[..n]),
            }
        }
        let _ = c.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n");
        got
    });
    let dir = TempDir::new();
    let s = site(&dir, &["site.test"]);
    let port = free_port();
    let cfg = format!(
        "{HTTP_DEFAULTS}\nfrontend fe\n    bind quic4@127.0.0.1:{port}-{port} ssl crt {}\n    default_backend be\n\nbackend be\n    server s1 {sink_addr}\n",
        s.crt.display()
    );
    let lbd = LbdProcess::start_in(dir, &cfg);
    let mut t = http::HeaderMap::new();
    t.insert("x-sum", http::HeaderValue::from_static("42"));
    let req = Request::post("/chunks", b"abc").trailers(t);
    let r = first_request(port, "site.test", &s.ca, req, &lbd);
    assert_eq!(r.status, 200);
    let got = reader.join().unwrap_or_default();
    let got = String::from_utf8_lossy(&got).into_owned();
    assert!(got.contains("transfer-encoding: chunked\r\n"), "{got}");
    assert!(
        got.ends_with("3\r\nabc\r\n0\r\nx-sum: 42\r\n\r\n"),
        "request trailers lost: {got}"
    );
}

/// Deterministic bytes of length `n`.
fn payload(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i % 251) as u8).collect()
}

#[test]
fn response_trailers_come_back_as_h3_trailers() {
    if is_haproxy() {
        return;
    }
    let raw = b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\ntrailer: x-checksum\r\n\r\n\
5\r\nhello\r\n6\r\n world\r\n0\r\nx-checksum: abc\r\n\r\n"
        .to_vec();
    let be = HttpBackend::builder("s1").reply(Reply::Raw(raw)).start();
    let dir = TempDir::new();
    let s = site(&dir, &["site.test"]);
    let port = free_port();
    let cfg = config(port, &format!("ssl crt {}", s.crt.display()), "", &be, "");
    let lbd = LbdProcess::start_in(dir, &cfg);
    let r = first_request(port, "site.test", &s.ca, Request::get("/t"), &lbd);
    assert_eq!(r.status, 200);
    assert_eq!(r.body_str(), "hello world");
    let t = r.trailers.unwrap_or_else(|| panic!("no trailers"));
    assert_eq!(t.get("x-checksum").map(|v| v.as_bytes()), Some(&b"abc"[..]));
}

#[test]
fn rules_and_logs_apply_to_h3_requests() {
    if is_haproxy() {
        return;
    }
    let be = HttpBackend::start("s1");
    let syslog = SyslogReceiver::start();
    let dir = TempDir::new();
    let s = site(&dir, &["site.test"]);
    let port = free_port();
    let rules = "    log global
    option httplog
    http-request deny if { path_beg /deny }
    http-request set-header x-h3 bridged
    http-request set-header x-sni %[ssl_fc_sni]";
    let global = format!("    log 127.0.0.1:{} local0", syslog.port());
    let cfg = config(
        port,
        &format!("ssl crt {}", s.crt.display()),
        rules,
        &be,
        &global,
    );
    let lbd = LbdProcess::start_in(dir, &cfg);

    let r = first_request(port, "site.test", &s.ca, Request::get("/logme"), &lbd);
    let text = r.body_str();
    assert!(text.contains("\r\nx-h3: bridged\r\n"), "{text}");
    assert!(text.contains("\r\nx-sni: site.test\r\n"), "{text}");
    let line = syslog.wait_for(Duration::from_secs(5), |l| l.contains("/logme"));
    let line = line.unwrap_or_default();
    assert!(line.contains("\"GET /logme HTTP/3.0\""), "log line: {line}");
    assert!(line.contains(" 200 "), "log line: {line}");

    let before = be.requests();
    let r = h3client::request(port, "site.test", &s.ca, Request::get("/deny/x"))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.status, 403);
    assert!(
        r.body_str().contains("<h1>403 Forbidden</h1>"),
        "{}",
        r.body_str()
    );
    assert_eq!(
        be.requests(),
        before,
        "the denied request reached the server"
    );
}

#[test]
fn the_certificate_is_chosen_by_sni() {
    if is_haproxy() {
        return;
    }
    let be = HttpBackend::start("s1");
    let dir = TempDir::new();
    let pki = Pki::new("H3 Test CA");
    let ca = pki.write_ca(dir.path(), "ca.pem");
    let a = pki.write_leaf(dir.path(), "a.pem", &["a.test"]);
    let b = pki.write_leaf(dir.path(), "b.pem", &["b.test"]);
    let port = free_port();
    let opts = format!("ssl crt {} crt {}", a.display(), b.display());
    let cfg = config(port, &opts, "", &be, "");
    let lbd = LbdProcess::start_in(dir, &cfg);
    // The client checks the certificate against the name it asked for, so
    // each success proves the matching certificate was served.
    let r = first_request(port, "b.test", &ca, Request::get("/b"), &lbd);
    assert_eq!(r.status, 200);
    assert!(r.body_str().contains("host: b.test:"), "{}", r.body_str());
    let r = h3client::request(port, "a.test", &ca, Request::get("/a"));
    assert_eq!(r.map(|r| r.status), Ok(200));
    // An unknown name gets the default (a.test), which the client refuses.
    let r = h3client::request(port, "c.test", &ca, Request::get("/c"));
    let err = r.err().unwrap_or_else(|| panic!("c.test was accepted"));
    assert!(err.contains("handshake"), "{err}");
}

#[test]
fn a_hundred_concurrent_streams_on_one_connection() {
    if is_haproxy() {
        return;
    }
    let be = HttpBackend::start("s1");
    let dir = TempDir::new();
    let s = site(&dir, &["site.test"]);
    let port = free_port();
    let cfg = config(port, &format!("ssl crt {}", s.crt.display()), "", &be, "");
    let lbd = LbdProcess::start_in(dir, &cfg);
    first_request(port, "site.test", &s.ca, Request::get("/warm"), &lbd);
    let before = be.requests();
    let ca = s.ca.clone();
    let statuses = h3client::runtime().block_on(async move {
        let conn: H3Conn = h3client::connect(port, "site.test", &ca)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let mut set = tokio::task::JoinSet::new();
        for i in 0..100 {
            let c = conn.clone();
            set.spawn(async move { c.send(Request::get(&format!("/s/{i}"))).await });
        }
        let mut out = Vec::new();
        let all = async {
            while let Some(r) = set.join_next().await {
                out.push(
                    r.map_err(|e| e.to_string())
                        .and_then(|r| r)
                        .map(|r| r.status),
                );
            }
        };
        tokio::time::timeout(Duration::from_secs(30), all)
            .await
            .unwrap_or_else(|_| panic!("100 streams not done in 30 s"));
        conn.close();
        out
    });
    assert_eq!(statuses.len(), 100);
    assert!(statuses.iter().all(|s| *s == Ok(200)), "{statuses:?}");
    assert_eq!(be.requests() - before, 100);
}

#[test]
fn a_reload_keeps_serving_with_the_new_rules() {
    if is_haproxy() {
        return;
    }
    use nix::sys::signal::{kill, Signal};
    use nix::unistd::Pid;
    let be = HttpBackend::start("s1");
    let dir = TempDir::new();
    let s = site(&dir, &["site.test"]);
    let port = free_port();
    let opts = format!("ssl crt {}", s.crt.display());
    let gen = |n: u32| {
        config(
            port,
            &opts,
            &format!("    http-request set-header x-gen {n}"),
            &be,
            "",
        )
    };
    let lbd = LbdProcess::start_with(dir, &gen(1), &["-W"], &[]);
    let r = first_request(port, "site.test", &s.ca, Request::get("/1"), &lbd);
    assert!(r.body_str().contains("x-gen: 1\r\n"), "{}", r.body_str());
    for n in 2..=4 {
        lbd.rewrite_config(&gen(n));
        let loaded = lbd.stderr().matches("Loading success.").count();
        kill(Pid::from_raw(lbd.pid() as i32), Signal::SIGUSR2).unwrap_or_else(|e| panic!("{e}"));
        let deadline = Instant::now() + Duration::from_secs(10);
        while lbd.stderr().matches("Loading success.").count() == loaded {
            assert!(
                Instant::now() < deadline,
                "reload {n} not loaded{}",
                lbd.output_hint()
            );
            std::thread::sleep(Duration::from_millis(10));
        }
        // The same UDP socket serves on: the first request after the
        // reload already gets an answer, from the new rules.
        let r = h3client::request(port, "site.test", &s.ca, Request::get("/n"))
            .unwrap_or_else(|e| panic!("after reload {n}: {e}{}", lbd.output_hint()));
        assert!(
            r.body_str().contains(&format!("x-gen: {n}\r\n")),
            "{}",
            r.body_str()
        );
    }
}

#[test]
fn quic_binds_need_a_certificate_and_warn_without_ssl() {
    if is_haproxy() {
        return;
    }
    let be = HttpBackend::start("s1");
    let (code, _, err) = check(&config(free_port(), "", "", &be, ""));
    assert_ne!(code, 0, "{err}");
    assert!(
        err.contains("QUIC protocol detected, enabling ssl"),
        "{err}"
    );
    assert!(err.contains("no SSL certificate specified"), "{err}");
    let (code, _, err) = check(&config(free_port(), "ssl crt x.pem proto h2", "", &be, ""));
    assert_ne!(code, 0, "{err}");
    assert!(err.contains("incompatible with framed transport"), "{err}");
    let p = free_port();
    let cfg = config(p, "", "", &be, "").replace(
        &format!("quic4@127.0.0.1:{p}-{p}"),
        &format!("quic4@127.0.0.1:{p},127.0.0.1:{p}"),
    );
    let (code, _, err) = check(&cfg);
    assert_ne!(code, 0, "{err}");
    assert!(
        err.contains("cannot mix datagram and stream protocols"),
        "{err}"
    );
}

#[test]
fn an_idle_connection_closes_after_timeout_client() {
    if is_haproxy() {
        return;
    }
    let be = HttpBackend::start("s1");
    let dir = TempDir::new();
    let s = site(&dir, &["site.test"]);
    let port = free_port();
    let cfg = config(port, &format!("ssl crt {}", s.crt.display()), "", &be, "")
        .replace("timeout client 10s", "timeout client 300ms");
    let lbd = LbdProcess::start_in(dir, &cfg);
    first_request(port, "site.test", &s.ca, Request::get("/warm"), &lbd);
    let ca = s.ca.clone();
    let (why, took) = h3client::runtime().block_on(async move {
        let conn = h3client::connect(port, "site.test", &ca)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let r = conn.send(Request::get("/once")).await;
        assert_eq!(r.map(|r| r.status), Ok(200));
        let t0 = Instant::now();
        let why = tokio::time::timeout(Duration::from_secs(5), conn.closed())
            .await
            .unwrap_or_else(|_| panic!("still open after 5 s"));
        (why, t0.elapsed())
    });
    assert!(
        took < Duration::from_secs(3),
        "closed after {took:?}: {why}"
    );
}

#[test]
fn one_frontend_serves_tcp_and_quic_advertises_h3_and_counts_both() {
    if is_haproxy() {
        return;
    }
    use tests::stats_socket::{stat_row, wait_socket};
    let be = HttpBackend::start("s1");
    let dir = TempDir::new();
    let s = site(&dir, &["site.test"]);
    let sock = dir.join("admin.sock");
    let port = free_port();
    let crt = s.crt.display();
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
    bind 127.0.0.1:{port} ssl crt {crt} alpn http/1.1
    bind quic4@127.0.0.1:{port}-{port} ssl crt {crt} alpn h3
    http-response set-header alt-svc \"h3=\\\":{port}\\\"; ma=3600\"
    default_backend be

backend be
    server s1 {}
",
        sock.display(),
        be.addr()
    );
    let lbd = LbdProcess::start_in(dir, &cfg);
    wait_socket(&sock);
    // Over TCP, the client learns where HTTP/3 is.
    let resolve = format!("site.test:{port}:127.0.0.1");
    let ca = s.ca.display().to_string();
    let out = curl(&[
        "-s",
        "-o",
        "/dev/null",
        "-D",
        "-",
        "--cacert",
        &ca,
        "--resolve",
        &resolve,
        &format!("https://site.test:{port}/tcp"),
    ]);
    let head = out.stdout_str();
    assert!(
        head.contains(&format!("alt-svc: h3=\":{port}\"; ma=3600\r\n")),
        "{head}"
    );
    // The same UDP port number answers over HTTP/3, with the same rules.
    let r = first_request(port, "site.test", &s.ca, Request::get("/udp"), &lbd);
    assert_eq!(r.status, 200);
    assert_eq!(
        r.headers.get("alt-svc").map(|v| v.as_bytes()),
        Some(format!("h3=\":{port}\"; ma=3600").as_bytes())
    );
    h3client::request(port, "site.test", &s.ca, Request::get("/udp2"))
        .unwrap_or_else(|e| panic!("{e}"));
    // Every request counts, whichever transport carried it. The counters
    // move when the transaction ends, just after the client has its
    // response.
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let fe = stat_row(&sock, "fe", "FRONTEND");
        let counts = (&*fe["req_tot"], &*fe["hrsp_2xx"]);
        if counts == ("3", "3") {
            break;
        }
        assert!(Instant::now() < deadline, "{fe:?}");
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(be.requests(), 3);
}

#[test]
fn a_binary_upgrade_serves_http3_on_the_same_port() {
    if is_haproxy() {
        return;
    }
    use tests::stats_socket::wait_socket;
    let be = HttpBackend::start("s1");
    let old_dir = TempDir::new();
    let s = site(&old_dir, &["site.test"]);
    let admin = old_dir.join("admin.sock");
    let port = free_port();
    let global = format!(
        "    stats socket {} level admin expose-fd listeners",
        admin.display()
    );
    let cfg = config(
        port,
        &format!("ssl crt {}", s.crt.display()),
        "",
        &be,
        &global,
    );
    let mut old = LbdProcess::start_in(old_dir, &cfg);
    wait_socket(&admin);
    first_request(port, "site.test", &s.ca, Request::get("/old"), &old);
    let old_pid = old.pid().to_string();
    let admin_s = admin.display().to_string();
    // The QUIC socket is not handed over: the new process binds the port
    // itself while the old one still holds it.
    let new = LbdProcess::start_with(
        TempDir::new(),
        &cfg,
        &["-x", &admin_s, "-sf", &old_pid],
        &[],
    );
    assert!(
        old.wait_exit(Duration::from_secs(10)).is_some(),
        "old process still running{}",
        old.output_hint()
    );
    let r = first_request(port, "site.test", &s.ca, Request::get("/new"), &new);
    assert_eq!(r.status, 200, "{}", new.output_hint());
}

/// 2.6 runs a QUIC connection's `tcp-request session` rules once, after its
/// handshake (its QUIC accept has no `tcp-request connection` step): what
/// they track counts one session, and every stream's request on it.
#[test]
fn session_rules_run_once_per_connection_and_see_the_sni() {
    if is_haproxy() {
        return;
    }
    let be = HttpBackend::start("s1");
    let dir = TempDir::new();
    let s = site(&dir, &["site.test", "blocked.test"]);
    let sock = dir.path().join("admin.sock");
    let port = free_port();
    let rules = "    stick-table type ip size 1k expire 1m store sess_cnt,http_req_cnt
    tcp-request session reject if { ssl_fc_sni -m str blocked.test }
    tcp-request session track-sc0 src";
    let global = format!("    stats socket {} level admin", sock.display());
    let cfg = config(
        port,
        &format!("ssl crt {}", s.crt.display()),
        rules,
        &be,
        &global,
    );
    let lbd = LbdProcess::start_in(dir, &cfg);
    first_request(port, "site.test", &s.ca, Request::get("/warm"), &lbd);

    let ca = s.ca.clone();
    let statuses = h3client::runtime().block_on(async move {
        let conn: H3Conn = h3client::connect(port, "site.test", &ca)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let mut out = Vec::new();
        for i in 0..3 {
            out.push(
                conn.send(Request::get(&format!("/r/{i}")))
                    .await
                    .map(|r| r.status),
            );
        }
        conn.close();
        out
    });
    assert!(statuses.iter().all(|s| *s == Ok(200)), "{statuses:?}");
    let table = tests::stats_socket::cli(&sock, "show table fe");
    assert!(
        table.contains("sess_cnt=2 http_req_cnt=4"),
        "two connections, four requests: {table}"
    );

    let refused = h3client::request(port, "blocked.test", &s.ca, Request::get("/"));
    assert!(refused.is_err(), "{:?}", refused.map(|r| r.status));
    assert_eq!(be.requests(), 4, "{}", lbd.output_hint());
}

#[test]
fn strict_sni_applies_to_quic_binds() {
    if is_haproxy() {
        return;
    }
    let be = HttpBackend::start("s1");
    let dir = TempDir::new();
    let s = site(&dir, &["a.test"]);
    let port = free_port();
    let opts = format!("ssl crt {} strict-sni", s.crt.display());
    let cfg = config(port, &opts, "", &be, "");
    let lbd = LbdProcess::start_in(dir, &cfg);
    let r = first_request(port, "a.test", &s.ca, Request::get("/a"), &lbd);
    assert_eq!(r.status, 200);
    // Under strict-sni the server refuses the handshake itself (without
    // it, it would serve the default certificate and the client refuse it).
    let err = h3client::request(port, "c.test", &s.ca, Request::get("/c"))
        .err()
        .unwrap_or_else(|| panic!("c.test was accepted"));
    assert!(
        err.contains("aborted by peer") && !err.contains("invalid peer certificate"),
        "{err}{}",
        lbd.output_hint()
    );
}
