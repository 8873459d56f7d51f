//! HTTP/2 toward servers (`server ... proto h2`): requests from HTTP/1.1
//! and h2 clients reach a server that speaks only h2, bodies and trailers
//! pass both ways, requests share a connection, and a stream the server
//! resets is answered 502. On lbd and HAProxy 2.6 alike.

use std::time::Duration;
use tests::h2_backend::pattern;
use tests::h2client;
use tests::*;

fn config(port: u16, be: &H2Backend, frontend: &str) -> String {
    format!(
        "{HTTP_DEFAULTS}
frontend fe
    bind 127.0.0.1:{port}{frontend}
    default_backend be

backend be
    server s1 {} proto h2
",
        be.addr()
    )
}

#[test]
fn http1_and_h2_clients_reach_an_h2_only_server() {
    let be = H2Backend::start("h2srv");
    let port = free_port();
    let _lbd = LbdProcess::start(&config(port, &be, ""));
    let url = format!("http://127.0.0.1:{port}/hello");
    for proto in ["--http1.1", "--http2-prior-knowledge"] {
        let out = curl(&[proto, "-i", "--data-binary", "ping", &url]);
        assert_eq!(out.code, 0, "{proto}: {}", out.stderr);
        let text = out.stdout_str();
        assert!(text.contains(" 200"), "{proto}: {text}");
        assert!(
            text.to_ascii_lowercase().contains("x-served-by: h2srv"),
            "{proto}: {text}"
        );
        assert!(text.ends_with("ping"), "{proto}: {text}");
    }
}

#[test]
fn large_bodies_pass_both_ways() {
    let be = H2Backend::start("h2srv");
    let port = free_port();
    let _lbd = LbdProcess::start(&config(port, &be, ""));
    // Far beyond the 64 KiB initial h2 windows, so flow control must work.
    let up: Vec<u8> = (0..3_000_000).map(|i| (i % 251) as u8).collect();
    let dir = TempDir::new();
    let file = dir.path().join("up.bin");
    if let Err(e) = std::fs::write(&file, &up) {
        panic!("cannot write the upload: {e}");
    }
    let data = format!("@{}", file.display());
    for proto in ["--http1.1", "--http2-prior-knowledge"] {
        let out = curl(&[
            proto,
            "--data-binary",
            &data,
            &format!("http://127.0.0.1:{port}/echo"),
        ]);
        assert_eq!(out.code, 0, "{proto}: {}", out.stderr);
        assert!(
            out.stdout == up,
            "{proto}: echoed {} bytes differ",
            out.stdout.len()
        );

        let n = 5_000_000;
        let out = curl(&[proto, &format!("http://127.0.0.1:{port}/big/{n}")]);
        assert_eq!(out.code, 0, "{proto}: {}", out.stderr);
        assert_eq!(out.stdout.len(), n, "{proto}");
        assert!(
            out.stdout.iter().enumerate().all(|(i, b)| *b == pattern(i)),
            "{proto}"
        );
    }
}

#[test]
fn trailers_pass_both_ways_between_h2_client_and_h2_server() {
    let be = H2Backend::start("h2srv");
    let port = free_port();
    let _lbd = LbdProcess::start(&config(port, &be, " proto h2"));
    let mut t = http::HeaderMap::new();
    t.insert("x-trailer", http::HeaderValue::from_static("sent-last"));
    let r = match h2client::request(port, "POST", "/t?trailers", b"body bytes", Some(t)) {
        Ok(r) => r,
        Err(e) => panic!("request failed: {e}"),
    };
    assert_eq!(r.status, 200);
    assert_eq!(r.body, b"body bytes");
    assert_eq!(
        r.headers.get("x-req-trailer").and_then(|v| v.to_str().ok()),
        Some("sent-last"),
        "request trailer lost: {:?}",
        r.headers
    );
    let trailers = r.trailers.unwrap_or_default();
    assert_eq!(
        trailers.get("x-resp-trailer").and_then(|v| v.to_str().ok()),
        Some("done"),
        "response trailer lost: {trailers:?}"
    );
}

#[test]
fn concurrent_requests_share_one_server_connection() {
    let be = H2Backend::start("h2srv");
    let port = free_port();
    let _lbd = LbdProcess::start(&config(port, &be, ""));
    let urls: Vec<String> = (0..20)
        .map(|i| format!("http://127.0.0.1:{port}/r{i}"))
        .collect();
    // Several client connections at once, several requests each (the
    // bodies are empty, so stdout holds only the status codes).
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let urls = urls.clone();
            std::thread::spawn(move || {
                let mut args = vec!["--http1.1", "-w", "%{http_code}\n"];
                args.extend(urls.iter().map(String::as_str));
                curl(&args)
            })
        })
        .collect();
    for h in handles {
        let out = h
            .join()
            .unwrap_or_else(|_| panic!("client thread panicked"));
        assert_eq!(out.code, 0, "{}", out.stderr);
        assert_eq!(out.stdout_str(), "200\n".repeat(20));
    }
    // HAProxy and lbd both multiplex: far fewer connections than requests.
    assert!(
        be.connections() <= 8,
        "{} connections for 80 requests",
        be.connections()
    );
}

#[test]
fn a_stream_reset_by_the_server_is_a_502() {
    let be = H2Backend::start("h2srv");
    let syslog = SyslogReceiver::start();
    let port = free_port();
    let cfg = config(port, &be, "")
        .replace(
            "    maxconn 1000\n",
            &format!(
                "    maxconn 1000\n    log 127.0.0.1:{} local0\n",
                syslog.port()
            ),
        )
        .replace(
            "frontend fe\n",
            "frontend fe\n    log global\n    option httplog\n",
        );
    let _lbd = LbdProcess::start(&cfg);
    let url = format!("http://127.0.0.1:{port}/reset");
    let out = curl(&["--http1.1", "-o", "/dev/null", "-w", "%{http_code}", &url]);
    assert_eq!(out.stdout_str(), "502", "{}", out.stderr);
    // An h2 client never sees a success either: lbd answers 502, while
    // HAProxy 2.6 passes the reset on as REFUSED_STREAM.
    let out = curl(&[
        "--http2-prior-knowledge",
        "-o",
        "/dev/null",
        "-w",
        "%{http_code}",
        &url,
    ]);
    assert!(
        out.stdout_str() == "502" || out.code != 0,
        "{} {}",
        out.stdout_str(),
        out.stderr
    );
    // The next request on a fresh stream still works.
    let out = curl(&[
        "-w",
        "%{http_code}",
        "-o",
        "/dev/null",
        &format!("http://127.0.0.1:{port}/ok"),
    ]);
    assert_eq!(out.stdout_str(), "200");
    let line = syslog
        .wait_for(Duration::from_secs(5), |l| {
            l.contains("GET /reset HTTP/1.1")
        })
        .unwrap_or_else(|| panic!("no log line for /reset"));
    assert!(line.contains(" 502 "), "{line}");
    assert!(line.contains(" SH"), "{line}");
}

/// The proxy under test plays the TLS server too: `fe_tls` offers
/// `bind_alpn` and tells the plain backend which protocol and ALPN each
/// request arrived with.
fn alpn_config(front: u16, inner: u16, bind_alpn: &str, crt: &str, be: &HttpBackend) -> String {
    format!(
        "{HTTP_DEFAULTS}
frontend fe
    bind 127.0.0.1:{front}
    default_backend be_alpn

backend be_alpn
    server s 127.0.0.1:{inner} ssl verify none alpn h2,http/1.1

frontend fe_tls
    bind 127.0.0.1:{inner} ssl crt {crt}{bind_alpn}
    http-request set-header X-Alpn %[ssl_fc_alpn]
    default_backend be

backend be
    server s1 {addr}
",
        addr = be.addr()
    )
}

/// Sends three requests through `fe` and returns, per request, the ALPN
/// `fe_tls` saw. A 200 after `h2` was agreed means h2 was spoken: the h2
/// frontend rejects anything else. (`req.ver` would say so directly, but
/// lbd's h2 frontend reports 1.1 there.)
fn protocols_seen(bind_alpn: &str) -> Vec<String> {
    let pki = Pki::new("Test CA");
    let be = HttpBackend::start("s1");
    let dir = TempDir::new();
    let crt = pki.write_leaf(dir.path(), "inner.pem", &["inner.test"]);
    let (front, inner) = (free_port(), free_port());
    let cfg = alpn_config(front, inner, bind_alpn, &crt.display().to_string(), &be);
    let p = LbdProcess::start_in(dir, &cfg);
    for i in 0..3 {
        let out = curl(&[
            "-sS",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code}",
            &format!("http://127.0.0.1:{front}/r{i}"),
        ]);
        assert_eq!(out.stdout_str(), "200", "{}{}", out.stderr, p.output_hint());
    }
    be.received()
        .iter()
        .map(|r| {
            let head = r.head_str();
            let field = |n: &str| {
                head.lines()
                    .find_map(|l| {
                        l.to_ascii_lowercase()
                            .strip_prefix(n)
                            .map(|v| v.trim().to_string())
                    })
                    .unwrap_or_default()
            };
            field("x-alpn:")
        })
        .collect()
}

#[test]
fn alpn_h2_and_http11_speaks_h2_to_a_server_choosing_h2() {
    let seen = protocols_seen(" alpn h2,http/1.1");
    assert_eq!(seen.len(), 3, "{seen:?}");
    for s in &seen {
        assert_eq!(s, "h2", "{seen:?}");
    }
}

#[test]
fn alpn_h2_and_http11_speaks_http11_to_an_http11_only_server() {
    let seen = protocols_seen(" alpn http/1.1");
    assert_eq!(seen.len(), 3, "{seen:?}");
    for s in &seen {
        assert_eq!(s, "http/1.1", "{seen:?}");
    }
}
