//! `http-request` rules, `redirect`, `use_backend` with ACL conditions and
//! stick-table rate limiting, end to end; every expectation holds for lbd
//! and for HAProxy 2.6 (`LBD_BIN=/usr/sbin/haproxy`).

use std::time::{Duration, Instant};
use tests::stats_socket::{cli, wait_socket};
use tests::*;

/// content-sw-sample's routing plus a dynamic name, over a few hundred
/// requests: each lands where the rules say (the backends echo their name).
#[test]
fn acl_routing_table() {
    let (s1, st, dy) = (
        HttpBackend::start("dflt"),
        HttpBackend::start("static"),
        HttpBackend::start("dyn"),
    );
    let port = free_port();
    let cfg = format!(
        "{HTTP_DEFAULTS}
frontend fe
    bind 127.0.0.1:{port}
    acl host_static hdr_beg(host) -i img
    acl url_static  path_beg -i /img /css
    acl is_api      path_beg /api/
    acl post        method POST
    use_backend be_%[req.hdr(x-be),lower] if {{ req.hdr(x-be) -m found }} !post
    use_backend static if host_static or url_static
    use_backend dynamic if is_api post || {{ path_end .php }}
    default_backend dflt

backend dflt
    server s1 {}
backend static
    server s1 {}
backend dynamic
    server s1 {}
backend be_dyn
    server s1 {}
",
        s1.addr(),
        st.addr(),
        dy.addr(),
        dy.addr(),
    );
    let lbd = LbdProcess::start(&cfg);
    let hosts = ["www.example", "IMG.example", "img2.x", "api.example"];
    let paths = [
        "/",
        "/img/a.png",
        "/CSS/x",
        "/api/v1",
        "/x.php",
        "/api/x.php",
        "/index",
    ];
    let methods = ["GET", "POST"];
    let xbe = [None, Some("DYN"), Some("nope")];
    let mut n = 0;
    for h in hosts {
        for p in paths {
            for m in methods {
                for x in xbe {
                    let host_static = h.to_ascii_lowercase().starts_with("img");
                    let url_static = {
                        let l = p.to_ascii_lowercase();
                        l.starts_with("/img") || l.starts_with("/css")
                    };
                    let post = m == "POST";
                    let want = if x.is_some() && !post {
                        // An unknown dynamic name stops on the default backend.
                        if x == Some("DYN") {
                            "dyn"
                        } else {
                            "dflt"
                        }
                    } else if host_static || url_static {
                        "static"
                    } else if (p.starts_with("/api/") && post) || p.ends_with(".php") {
                        "dyn"
                    } else {
                        "dflt"
                    };
                    let extra = x.map(|v| format!("X-Be: {v}\r\n")).unwrap_or_default();
                    let req = format!(
                        "{m} {p} HTTP/1.1\r\nHost: {h}\r\n{extra}content-length: 0\r\n\r\n"
                    );
                    let r = RawClient::connect(port).request(req.as_bytes());
                    assert_eq!(
                        r.served_by(),
                        want,
                        "{m} {p} host {h} x-be {x:?}\n{}",
                        lbd.output_hint()
                    );
                    n += 1;
                }
            }
        }
    }
    assert_eq!(n, 168);
}

/// The rate-limit idiom of spec 4.6: 429 above the threshold, the counter
/// in `show table`, and `clear table` lifts the limit.
#[test]
fn http_req_rate_limit_denies_with_429_until_cleared() {
    let be = HttpBackend::start("s1");
    let port = free_port();
    let dir = TempDir::new();
    let sock = dir.path().join("admin.sock");
    let cfg = format!(
        "global
    maxconn 100
    stats socket {} level admin

defaults
    mode http
    timeout connect 2s
    timeout client 10s
    timeout server 10s

frontend fe
    bind 127.0.0.1:{port}
    stick-table type ip size 100k expire 30s store http_req_rate(10s)
    http-request track-sc0 src
    http-request deny deny_status 429 if {{ sc_http_req_rate(0) gt 5 }}
    default_backend be

backend be
    server s1 {}
",
        sock.display(),
        be.addr()
    );
    let lbd = LbdProcess::start_in(dir, &cfg);
    wait_socket(&sock);
    let mut codes = Vec::new();
    for _ in 0..8 {
        codes.push(
            RawClient::connect(port)
                .request(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")
                .status,
        );
    }
    assert_eq!(
        codes,
        [200, 200, 200, 200, 200, 429, 429, 429],
        "{}",
        lbd.output_hint()
    );
    let denied = RawClient::connect(port).request(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n");
    assert_eq!(
        denied.raw_str(),
        "HTTP/1.1 429 Too Many Requests\r\ncontent-length: 117\r\ncache-control: no-cache\r\ncontent-type: text/html\r\n\r\n<html><body><h1>429 Too Many Requests</h1>\nYou have sent too many requests in a given amount of time.\n</body></html>\n"
    );
    let table = cli(&sock, "show table fe");
    assert!(
        table.contains("# table: fe, type: ip, size:102400, used:1"),
        "{table}"
    );
    assert!(table.contains("key=127.0.0.1 "), "{table}");
    assert!(table.contains("http_req_rate(10000)=9"), "{table}");
    // `clear table` leaves an entry a session still uses (as 2.6 does):
    // wait until the last denied connection has let go of it.
    let deadline = Instant::now() + Duration::from_secs(5);
    while !cli(&sock, "show table fe").contains(" use=0 ") {
        assert!(Instant::now() < deadline, "the entry stayed in use");
        std::thread::sleep(Duration::from_millis(10));
    }
    cli(&sock, "clear table fe");
    let r = RawClient::connect(port).request(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n");
    assert_eq!(r.status, 200, "{}", lbd.output_hint());
}

#[test]
fn tarpit_holds_then_answers_500() {
    let port = free_port();
    let frontend = "    timeout tarpit 700ms\n    http-request tarpit if { path /slow }";
    let lbd = LbdProcess::start(&http_config(port, frontend, "    server s1 127.0.0.1:1"));
    let t = Instant::now();
    let r = RawClient::connect(port).request(b"GET /slow HTTP/1.1\r\nHost: a\r\n\r\n");
    assert!(
        t.elapsed() >= Duration::from_millis(650),
        "{:?}",
        t.elapsed()
    );
    assert_eq!(r.status, 500, "{}", lbd.output_hint());
    assert!(r
        .raw_str()
        .starts_with("HTTP/1.1 500 Internal Server Error\r\ncontent-length: 97\r\n"));
}

#[test]
fn auth_sends_401_with_the_realm() {
    let port = free_port();
    let frontend = "    http-request auth realm Foo\\ bar if { path /a }\n    http-request auth if { path /b }";
    let _lbd = LbdProcess::start(&http_config(port, frontend, "    server s1 127.0.0.1:1"));
    let r = RawClient::connect(port).request(b"GET /a HTTP/1.1\r\nHost: a\r\n\r\n");
    assert_eq!(
        r.raw_str(),
        "HTTP/1.1 401 Unauthorized\r\ncontent-length: 112\r\ncache-control: no-cache\r\ncontent-type: text/html\r\nwww-authenticate: Basic realm=\"Foo bar\"\r\n\r\n<html><body><h1>401 Unauthorized</h1>\nYou need a valid user and password to access this content.\n</body></html>\n"
    );
    let r = RawClient::connect(port).request(b"GET /b HTTP/1.1\r\nHost: a\r\n\r\n");
    assert_eq!(r.header("www-authenticate"), Some("Basic realm=\"fe\""));
}

/// Location bytes as HAProxy 2.6.12 sends them (captured).
#[test]
fn redirects_match_haproxy_bytes() {
    let port = free_port();
    let frontend = "    http-request redirect location /new code 301 if { path /r1 }
    http-request redirect prefix /pre drop-query if { path_beg /r2 }
    http-request redirect prefix /pre append-slash if { path_beg /r3 }
    http-request redirect scheme https if { path_beg /r4 }
    http-request redirect location /x set-cookie FOO=bar if { path /r5 }
    http-request redirect location /x clear-cookie FOO if { path /r6 }
    http-request redirect location http://%[req.hdr(host)]/y code 308 if { path /r7 }
    redirect prefix / if { path_beg /r8 }";
    let lbd = LbdProcess::start(&http_config(port, frontend, "    server s1 127.0.0.1:1"));
    let cases = [
        ("/r1?a=b", "HTTP/1.1 301 Moved Permanently\r\ncontent-length: 0\r\nlocation: /new\r\n\r\n"),
        ("/r2/x?a=b", "HTTP/1.1 302 Found\r\ncontent-length: 0\r\nlocation: /pre/r2/x\r\ncache-control: no-cache\r\n\r\n"),
        ("/r3/x?q", "HTTP/1.1 302 Found\r\ncontent-length: 0\r\nlocation: /pre/r3/x?q/\r\ncache-control: no-cache\r\n\r\n"),
        ("/r4/p?q", "HTTP/1.1 302 Found\r\ncontent-length: 0\r\nlocation: https://ex.com/r4/p?q\r\ncache-control: no-cache\r\n\r\n"),
        ("/r5", "HTTP/1.1 302 Found\r\ncontent-length: 0\r\nlocation: /x\r\ncache-control: no-cache\r\nset-cookie: FOO=bar; path=/;\r\n\r\n"),
        ("/r6", "HTTP/1.1 302 Found\r\ncontent-length: 0\r\nlocation: /x\r\ncache-control: no-cache\r\nset-cookie: FOO; path=/; Max-Age=0;\r\n\r\n"),
        ("/r7", "HTTP/1.1 308 Permanent Redirect\r\ncontent-length: 0\r\nlocation: http://ex.com/y\r\n\r\n"),
        ("/r8/a?b", "HTTP/1.1 302 Found\r\ncontent-length: 0\r\nlocation: /r8/a?b\r\ncache-control: no-cache\r\n\r\n"),
    ];
    for (path, want) in cases {
        let req = format!("GET {path} HTTP/1.1\r\nHost: ex.com\r\n\r\n");
        let r = RawClient::connect(port).request(req.as_bytes());
        assert_eq!(r.raw_str(), want, "{path}\n{}", lbd.output_hint());
    }
}

#[test]
fn header_and_path_rewrites_reach_the_server() {
    let be = HttpBackend::start("s1");
    let port = free_port();
    let frontend = "    http-request set-header X-Orig %[path] if { path_beg /api/ }
    http-request replace-header X-Tok ^Bearer\\ (.*)$ tok=\\1
    http-request replace-path ^/api/(.*)$ /v2/\\1
    http-request set-query a=1 if { path_beg /v2/ }
    http-request set-var(txn.who) req.hdr(x-user)
    http-request set-header X-Who %[var(txn.who)] if { var(txn.who) -m found }";
    let lbd = LbdProcess::start(&http_config(port, frontend, &server_lines(&[&be], "")));
    let r = RawClient::connect(port).request(
        b"GET /api/users?x=2 HTTP/1.1\r\nHost: a\r\nX-Tok: Bearer abc\r\nX-User: ann\r\n\r\n",
    );
    assert_eq!(r.status, 200, "{}", lbd.output_hint());
    assert_eq!(
        be.received()[0].head_str(),
        "GET /v2/users?a=1 HTTP/1.1\r\nhost: a\r\nx-tok: tok=abc\r\nx-user: ann\r\nx-orig: /api/users\r\nx-who: ann\r\n\r\n"
    );
}

#[test]
fn http_response_set_status_and_headers() {
    let be = HttpBackend::start("s1");
    let port = free_port();
    let backend = format!(
        "{}\n    http-response set-header X-Status %[status]\n    http-response set-status 203 reason Rewritten if {{ status 200 }}\n    http-response del-header x-served-by if {{ res.hdr(x-served-by) -m found }}",
        server_lines(&[&be], "")
    );
    let lbd = LbdProcess::start(&http_config(port, "", &backend));
    let r = RawClient::connect(port).request(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n");
    assert_eq!(r.status, 203, "{}", lbd.output_hint());
    assert!(
        r.raw_str().starts_with("HTTP/1.1 203 Rewritten\r\n"),
        "{}",
        r.raw_str()
    );
    assert_eq!(r.header("x-status"), Some("200"));
    assert_eq!(r.header("x-served-by"), None);
}
