//! HTTP/2 on the client side: ALPN h2 over TLS, `proto h2` and the h2
//! preface on clear-text binds, rules and logs as for HTTP/1.1, large
//! bodies and trailers both ways, h2load, and a rapid-reset flood. On lbd
//! and HAProxy 2.6 alike.

use std::time::Duration;
use tests::h2client;
use tests::*;

fn config(bind: &str, frontend: &str, be: &HttpBackend, global: &str) -> String {
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
    bind {bind}
{frontend}
    default_backend be

backend be
    server s1 {}
",
        be.addr()
    )
}

#[test]
fn curl_negotiates_h2_by_alpn_over_tls() {
    let pki = Pki::new("Test CA");
    let be = HttpBackend::start("s1");
    let dir = TempDir::new();
    let crt = pki.write_leaf(dir.path(), "site.pem", &["site.test"]);
    let ca = pki.write_ca(dir.path(), "ca.pem");
    let port = free_port();
    let bind = format!(
        "127.0.0.1:{port} ssl crt {} alpn h2,http/1.1",
        crt.display()
    );
    let cfg = config(&bind, "", &be, "");
    let _lbd = LbdProcess::start_in(dir, &cfg);
    let resolve = format!("site.test:{port}:127.0.0.1");
    let ca = ca.display().to_string();
    let url = format!("https://site.test:{port}/over/tls");
    let out = curl(&[
        "--http2",
        "--cacert",
        &ca,
        "--resolve",
        &resolve,
        "-w",
        "\n%{http_version}",
        &url,
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let text = out.stdout_str();
    assert!(text.ends_with("\n2"), "not HTTP/2: {text}");
    assert!(text.starts_with("GET /over/tls HTTP/1.1\r\n"), "{text}");
    assert!(text.contains("host: site.test:"), "{text}");
}

#[test]
fn prior_knowledge_on_proto_h2_and_preface_on_plain_binds() {
    let be = HttpBackend::start("s1");
    for extra in ["proto h2", ""] {
        let port = free_port();
        let cfg = config(&format!("127.0.0.1:{port} {extra}"), "", &be, "");
        let _lbd = LbdProcess::start(&cfg);
        let url = format!("http://127.0.0.1:{port}/pk");
        let out = curl(&[
            "--http2-prior-knowledge",
            "-H",
            "Cookie: a=1",
            "-H",
            "Cookie: b=2",
            "-w",
            "\n%{http_version}",
            &url,
        ]);
        assert_eq!(out.code, 0, "{extra}: {}", out.stderr);
        let text = out.stdout_str();
        assert!(text.ends_with("\n2"), "{extra}: not HTTP/2: {text}");
        // h2 cookies are joined into one HTTP/1.1 header, as HAProxy does.
        assert!(text.contains("\r\ncookie: a=1; b=2\r\n"), "{extra}: {text}");
        if extra.is_empty() {
            // The same bind still serves HTTP/1.1.
            let out = curl(&["-w", "\n%{http_version}", &url]);
            assert!(out.stdout_str().ends_with("\n1.1"), "{}", out.stdout_str());
        }
    }
}

#[test]
fn http_request_rules_and_log_apply_to_h2_requests() {
    let be = HttpBackend::start("s1");
    let syslog = SyslogReceiver::start();
    let port = free_port();
    let global = format!("    log 127.0.0.1:{} local0", syslog.port());
    let fe = "    log global
    option httplog
    http-request set-header X-Proto h2-bridged";
    let cfg = config(&format!("127.0.0.1:{port} proto h2"), fe, &be, &global);
    let _lbd = LbdProcess::start(&cfg);
    let base = format!("http://127.0.0.1:{port}");
    let out = curl(&["--http2-prior-knowledge", &format!("{base}/logme")]);
    assert!(
        out.stdout_str().contains("\r\nx-proto: h2-bridged\r\n"),
        "{}",
        out.stdout_str()
    );
    let line = syslog.wait_for(Duration::from_secs(5), |l| l.contains("/logme"));
    let line = line.unwrap_or_default();
    assert!(line.contains("/logme HTTP/2.0\""), "log line: {line}");
    assert!(line.contains(" 200 "), "log line: {line}");

    // A deny answers on the stream itself; the server sees nothing.
    let port = free_port();
    let deny = "    http-request deny";
    let _lbd2 = LbdProcess::start(&config(
        &format!("127.0.0.1:{port} proto h2"),
        deny,
        &be,
        "",
    ));
    let out = curl(&[
        "--http2-prior-knowledge",
        "-i",
        &format!("http://127.0.0.1:{port}/x"),
    ]);
    let text = out.stdout_str();
    assert!(text.starts_with("HTTP/2 403"), "{text}");
    assert!(text.contains("<h1>403 Forbidden</h1>"), "{text}");
    assert_eq!(be.requests(), 1, "the denied request reached the server");
}

#[test]
fn large_bodies_both_ways() {
    let big = payload::pattern(4 * 1024 * 1024 + 3);
    let mut raw = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/octet-stream\r\ncontent-length: {}\r\n\r\n",
        big.len()
    )
    .into_bytes();
    raw.extend_from_slice(&big);
    let down_be = HttpBackend::builder("dl").reply(Reply::Raw(raw)).start();
    let port = free_port();
    let _lbd = LbdProcess::start(&config(
        &format!("127.0.0.1:{port} proto h2"),
        "",
        &down_be,
        "",
    ));
    let r = h2client::request(port, "GET", "/big", b"", None).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.status, 200);
    assert_eq!(r.body.len(), big.len());
    assert!(r.body == big, "download corrupted");

    let echo = HttpBackend::start("up");
    let port = free_port();
    let _lbd2 = LbdProcess::start(&config(
        &format!("127.0.0.1:{port} proto h2"),
        "",
        &echo,
        "",
    ));
    let r = h2client::request(port, "POST", "/up", &big, None).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.status, 200);
    let got = echo.received();
    let body = got.last().map(|r| r.body.clone()).unwrap_or_default();
    // No content-length from the client: the body goes up chunked.
    let plain = payload::dechunk(&body).unwrap_or(body);
    assert_eq!(plain.len(), big.len());
    assert!(plain == big, "upload corrupted");
}

#[test]
fn trailers_pass_both_ways() {
    let raw = b"HTTP/1.1 200 OK\r\ncontent-type: application/grpc\r\ntransfer-encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\ngrpc-status: 0\r\ngrpc-message: fine\r\n\r\n".to_vec();
    let be = HttpBackend::builder("t").reply(Reply::Raw(raw)).start();
    let port = free_port();
    let _lbd = LbdProcess::start(&config(&format!("127.0.0.1:{port} proto h2"), "", &be, ""));
    let mut t = http::HeaderMap::new();
    t.insert("grpc-timeout", http::HeaderValue::from_static("1S"));
    let r = h2client::request(port, "POST", "/svc/M", b"ping", Some(t))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.status, 200);
    assert_eq!(r.body, b"hello");
    let trailers = r.trailers.unwrap_or_default();
    assert_eq!(
        trailers.get("grpc-status").map(|v| v.as_bytes()),
        Some(&b"0"[..])
    );
    assert_eq!(
        trailers.get("grpc-message").map(|v| v.as_bytes()),
        Some(&b"fine"[..])
    );
    // Request trailers go up as chunked trailers: a raw server reads the
    // request up to the end of its trailer section.
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
    let port = free_port();
    let cfg = format!(
        "{HTTP_DEFAULTS}\nfrontend fe\n    bind 127.0.0.1:{port} proto h2\n    default_backend be\n\nbackend be\n    server s1 {sink_addr}\n"
    );
    let _lbd2 = LbdProcess::start(&cfg);
    let mut t = http::HeaderMap::new();
    t.insert("grpc-timeout", http::HeaderValue::from_static("1S"));
    let r = h2client::request(port, "POST", "/svc/M", b"ping", Some(t))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.status, 200);
    let got = reader.join().unwrap_or_default();
    let got = String::from_utf8_lossy(&got).to_ascii_lowercase();
    assert!(got.contains("transfer-encoding: chunked"), "{got}");
    assert!(
        got.ends_with("4\r\nping\r\n0\r\ngrpc-timeout: 1s\r\n\r\n"),
        "request trailers lost: {got}"
    );
}

#[test]
fn h2load_completes_without_errors() {
    let be = HttpBackend::start("s1");
    let port = free_port();
    let _lbd = LbdProcess::start(&config(&format!("127.0.0.1:{port} proto h2"), "", &be, ""));
    let out = std::process::Command::new("h2load")
        .args(["-n", "2000", "-c", "10", "-m", "10"])
        .arg(format!("http://127.0.0.1:{port}/load"))
        .output();
    let out = out.unwrap_or_else(|e| panic!("cannot run h2load: {e}"));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("2000 succeeded, 0 failed, 0 errored"),
        "h2load: {text}"
    );
}

#[test]
fn rapid_reset_flood_is_cut_while_others_are_served() {
    let be = HttpBackend::start("s1");
    let port = free_port();
    let _lbd = LbdProcess::start(&config(&format!("127.0.0.1:{port} proto h2"), "", &be, ""));
    let flood =
        std::thread::spawn(move || h2client::rapid_reset(port, 20_000, Duration::from_secs(10)));
    // Another client is served during the flood.
    let out = curl(&[
        "--http2-prior-knowledge",
        &format!("http://127.0.0.1:{port}/ok"),
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let f = flood
        .join()
        .unwrap_or_else(|_| panic!("flood thread panicked"));
    if !is_haproxy() {
        // HAProxy 2.6.12 predates CVE-2023-44487's mitigations: it absorbs
        // the flood instead. lbd says ENHANCE_YOUR_CALM (0xb).
        assert!(f.closed_by_server, "flood never cut: {f:?}");
        assert_eq!(f.goaway, Some(0xb), "{f:?}");
    }
    let out = curl(&[
        "--http2-prior-knowledge",
        &format!("http://127.0.0.1:{port}/after"),
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
}

/// What a connection's `tcp-request session` rules put in `sess.*`
/// variables is there for each of its h2 streams' `http-request` rules.
#[test]
fn session_variables_from_tcp_rules_reach_every_stream() {
    let pki = Pki::new("Test CA");
    let be = HttpBackend::start("s1");
    let dir = TempDir::new();
    let crt = pki.write_leaf(dir.path(), "site.pem", &["site.test"]);
    let ca = pki.write_ca(dir.path(), "ca.pem");
    let port = free_port();
    let bind = format!("127.0.0.1:{port} ssl crt {} alpn h2", crt.display());
    let frontend = "    tcp-request session set-var(sess.sni) ssl_fc_sni
    http-request set-header x-sni %[var(sess.sni)]";
    let lbd = LbdProcess::start_in(dir, &config(&bind, frontend, &be, ""));
    let resolve = format!("site.test:{port}:127.0.0.1");
    let ca = ca.display().to_string();
    let (a, b) = (
        format!("https://site.test:{port}/a"),
        format!("https://site.test:{port}/b"),
    );
    // Two requests on one connection: two streams.
    let out = curl(&[
        "-s",
        "--http2",
        "--cacert",
        &ca,
        "--resolve",
        &resolve,
        "-o",
        "/dev/null",
        &a,
        "-o",
        "/dev/null",
        &b,
    ]);
    assert_eq!(out.code, 0, "{}{}", out.stderr, lbd.output_hint());
    let heads: Vec<String> = be.received().iter().map(|r| r.head_str()).collect();
    assert_eq!(heads.len(), 2, "{heads:?}");
    for h in &heads {
        assert!(h.contains("x-sni: site.test\r\n"), "{h}");
    }
}

/// A server's interim 100 is not taken for the response: the final head
/// arrives whole (its fields, less the HTTP/1 hop-by-hop ones) with its
/// body, on a cleartext `proto h2` bind.
#[test]
fn the_final_response_follows_an_interim_one_with_its_fields_and_body() {
    let raw = "HTTP/1.1 100 Continue\r\n\r\n\
               HTTP/1.1 200 OK\r\nX-A:  one \r\nConnection: keep-alive\r\n\
               Keep-Alive: timeout=5\r\nSet-Cookie: s=1\r\nSet-Cookie: t=2\r\n\
               Content-Length: 5\r\n\r\nhello";
    let be = HttpBackend::builder("s1")
        .reply(Reply::Raw(raw.as_bytes().to_vec()))
        .start();
    let port = free_port();
    let cfg = config(&format!("127.0.0.1:{port} proto h2"), "", &be, "");
    let _lbd = LbdProcess::start(&cfg);
    let url = format!("http://127.0.0.1:{port}/interim");
    let out = curl(&["-s", "-D", "-", "--http2-prior-knowledge", &url]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let text = String::from_utf8_lossy(&out.stdout).to_ascii_lowercase();
    assert!(text.contains("http/2 200"), "{text}");
    assert!(text.contains("x-a: one\r\n"), "{text}");
    assert!(text.contains("set-cookie: s=1\r\n"), "{text}");
    assert!(text.contains("set-cookie: t=2\r\n"), "{text}");
    assert!(!text.contains("keep-alive"), "{text}");
    assert!(text.ends_with("\r\n\r\nhello"), "{text}");
}
