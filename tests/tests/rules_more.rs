//! The rules that complete issue 5: `http-response deny|return|redirect|
//! capture|track-sc|sc-inc-gpc`, `http-after-response` on every response
//! (forwarded or generated), `tcp-request` rules in HTTP frontends, the
//! `http_auth` fetches and the stats page's admin actions. Every
//! expectation holds for lbd and for HAProxy 2.6 (`LBD_BIN=/usr/sbin/haproxy`).

use std::time::Duration;
use tests::*;

const WAIT: Duration = Duration::from_secs(5);

/// `global` with logs to `log_port`, and `defaults` in mode http.
fn logged_defaults(log_port: u16) -> String {
    format!(
        "global\n    maxconn 1000\n    log 127.0.0.1:{log_port} local0\n\n\
         defaults\n    mode http\n    log global\n    option httplog\n    timeout connect 2s\n    timeout client 10s\n    timeout server 10s\n"
    )
}

fn get(path: &str) -> Vec<u8> {
    format!("GET {path} HTTP/1.1\r\nhost: x\r\n\r\n").into_bytes()
}

/// The next log line of frontend `fe` for `path`.
fn log_for(rx: &SyslogReceiver, lbd: &LbdProcess, path: &str) -> HttpLog {
    let want = format!("\"GET {path} HTTP/1.1\"");
    let msg = rx
        .wait_for(WAIT, |m| m.contains(&want))
        .unwrap_or_else(|| panic!("no log line for {path}{}", lbd.output_hint()));
    HttpLog::parse(&msg).unwrap_or_else(|| panic!("unparsable httplog line: {msg}"))
}

/// `http-response deny` answers 502 by default (logged `PH`), `deny_status`
/// picks another error page, `return` and `redirect` answer in the
/// server's place (logged `LH`); the server's own response never reaches
/// the client, and the client connection goes on.
#[test]
fn http_response_deny_return_redirect_replace_the_server_response() {
    let be = HttpBackend::start("s1");
    let rx = SyslogReceiver::start();
    let port = free_port();
    let cfg = format!(
        "{}
frontend fe
    bind 127.0.0.1:{port}
    http-request set-var(txn.p) path
    http-response deny if {{ var(txn.p) -m str /deny }}
    http-response deny deny_status 403 if {{ var(txn.p) -m str /deny403 }}
    http-response return status 201 content-type text/plain string hi hdr x-a b if {{ var(txn.p) -m str /ret }}
    http-response redirect location /else?from=%[res.hdr(x-served-by)] code 301 if {{ var(txn.p) -m str /redir }}
    stats enable
    stats uri /st
    default_backend be

backend be
    server s1 {}
",
        logged_defaults(rx.port()),
        be.addr()
    );
    let lbd = LbdProcess::start(&cfg);
    let mut c = RawClient::connect(port);

    let r = c.request(&get("/deny"));
    assert_eq!(r.status, 502, "{}", r.raw_str());
    assert!(r.body_str().contains("502 Bad Gateway"), "{}", r.raw_str());
    assert_eq!(r.header("x-served-by"), None);
    let l = log_for(&rx, &lbd, "/deny");
    assert_eq!((l.status.as_str(), &l.termination[..2]), ("502", "PH"));
    assert_eq!(l.server, "s1");
    assert_eq!(l.timers[3], "-1", "Tr: no response was forwarded");

    // Same connection: it survived the replaced response.
    let r = c.request(&get("/deny403"));
    assert_eq!(r.status, 403, "{}", r.raw_str());
    assert!(r.body_str().contains("403 Forbidden"));
    let l = log_for(&rx, &lbd, "/deny403");
    assert_eq!((l.status.as_str(), &l.termination[..2]), ("403", "PH"));

    let r = c.request(&get("/ret"));
    assert_eq!(r.status, 201, "{}", r.raw_str());
    assert_eq!(r.header("x-a"), Some("b"));
    assert_eq!(r.header("content-type"), Some("text/plain"));
    assert_eq!(r.body_str(), "hi");
    let l = log_for(&rx, &lbd, "/ret");
    assert_eq!((l.status.as_str(), &l.termination[..2]), ("201", "LH"));

    let r = c.request(&get("/redir"));
    assert_eq!(r.status, 301, "{}", r.raw_str());
    assert_eq!(r.header("location"), Some("/else?from=s1"));
    assert_eq!(r.header("content-length"), Some("0"));
    let l = log_for(&rx, &lbd, "/redir");
    assert_eq!((l.status.as_str(), &l.termination[..2]), ("301", "LH"));

    let r = c.request(&get("/ok"));
    assert_eq!((r.status, r.served_by().as_str()), (200, "s1"));
    assert_eq!(be.requests(), 5, "every request went to the server");

    // The two denies count as denied responses (`dresp`) on the frontend,
    // the backend and the server.
    let r = c.request(&get("/st;csv"));
    let csv = String::from_utf8_lossy(&tests::payload::dechunk(&r.body).unwrap_or(r.body.clone()))
        .into_owned();
    let dresp = |px: &str, sv: &str| -> String {
        csv.lines()
            .map(|l| l.split(',').collect::<Vec<_>>())
            .find(|f| f.len() > 11 && f[0] == px && f[1] == sv)
            .map(|f| f[11].to_string())
            .unwrap_or_else(|| panic!("no {px}/{sv} row in\n{csv}"))
    };
    assert_eq!(dresp("fe", "FRONTEND"), "2", "{csv}");
    assert_eq!(dresp("be", "BACKEND"), "2", "{csv}");
    assert_eq!(dresp("be", "s1"), "2", "{csv}");
}

/// `http-request capture <expr> id <n>` and `http-response capture <expr>
/// id <n>` fill declared slots (truncated to their length) shown in the
/// log's `{...}` blocks.
#[test]
fn captures_by_id_fill_the_declared_slots() {
    let be = HttpBackend::start("server-with-a-long-name");
    let rx = SyslogReceiver::start();
    let port = free_port();
    let cfg = format!(
        "{}
frontend fe
    bind 127.0.0.1:{port}
    capture request header x-absent len 4
    capture response header x-absent len 8
    http-request capture path id 0
    http-response capture res.hdr(x-served-by),upper id 0
    default_backend be

backend be
    server s1 {}
",
        logged_defaults(rx.port()),
        be.addr()
    );
    let lbd = LbdProcess::start(&cfg);
    let r = RawClient::connect(port).request(&get("/capture"));
    assert_eq!(r.status, 200);
    let l = log_for(&rx, &lbd, "/capture");
    assert_eq!(l.captures, ["{/cap}", "{SERVER-W}"], "{l:#?}");
}

/// `http-response track-sc0` tracks an entry from the response (counting
/// the request), and `sc-inc-gpc0` bumps its counter only for the
/// responses its condition picks.
#[test]
fn http_response_track_and_gpc0_count_server_errors() {
    let ok = HttpBackend::start("s1");
    let port = free_port();
    let cfg = format!(
        "{HTTP_DEFAULTS}
backend st
    stick-table type ip size 10 expire 1m store gpc0,http_req_cnt

frontend fe
    bind 127.0.0.1:{port}
    http-request return status 200 content-type text/plain lf-string \"gpc0=%[src_get_gpc0(st)] req=%[src_http_req_cnt(st)]\" if {{ path /count }}
    http-response track-sc0 src table st
    http-response sc-inc-gpc0(0) if {{ res.hdr(x-bad) -m found }}
    use_backend bad if {{ path /bad }}
    default_backend be

backend be
    server s1 {}
backend bad
    http-response set-header x-bad 1
    server s1 {}
",
        ok.addr(),
        ok.addr()
    );
    let _lbd = LbdProcess::start(&cfg);
    let mut c = RawClient::connect(port);
    for p in ["/a", "/bad", "/b", "/bad", "/bad"] {
        assert_eq!(c.request(&get(p)).status, 200, "{p}");
    }
    let r = c.request(&get("/count"));
    assert_eq!(r.body_str(), "gpc0=3 req=5", "{}", r.raw_str());
}

/// `http-after-response` applies to forwarded responses and to every
/// response lbd builds (http-request deny, redirect, the 503 of a backend
/// without servers, the 502 of a dead server), the backend's rules before
/// the frontend's; `allow` ends a rule set, `set-status` rewrites the status.
#[test]
fn http_after_response_applies_to_every_response() {
    let be = HttpBackend::start("s1");
    let dead = free_port();
    let port = free_port();
    let cfg = format!(
        "{HTTP_DEFAULTS}
frontend fe
    bind 127.0.0.1:{port}
    http-request set-var(txn.p) path
    http-request deny if {{ path /deny }}
    http-request redirect location /there if {{ path /redir }}
    use_backend empty if {{ path /empty }}
    use_backend dead if {{ path /dead }}
    http-after-response set-header x-after %[var(txn.p)]
    http-after-response add-header x-order fe
    http-after-response set-status 299 if {{ status 200 }} {{ var(txn.p) -m str /teapot }}
    default_backend be

backend be
    http-after-response add-header x-order be
    http-after-response allow if {{ var(txn.p) -m str /allow }}
    http-after-response add-header x-order be2
    server s1 {}
backend empty
    http-after-response del-header cache-control
backend dead
    retries 0
    server s1 127.0.0.1:{dead}
",
        be.addr()
    );
    let lbd = LbdProcess::start(&cfg);
    let mut c = RawClient::connect(port);
    let hdrs = |r: &Response, n: &str| -> Vec<String> {
        r.headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case(n))
            .map(|(_, v)| v.clone())
            .collect()
    };

    let r = c.request(&get("/fwd"));
    assert_eq!((r.status, r.served_by().as_str()), (200, "s1"));
    assert_eq!(r.header("x-after"), Some("/fwd"), "{}", r.raw_str());
    assert_eq!(hdrs(&r, "x-order"), ["be", "be2", "fe"], "{}", r.raw_str());

    let r = c.request(&get("/allow"));
    assert_eq!(
        hdrs(&r, "x-order"),
        ["be", "fe"],
        "allow ends the backend's set"
    );

    let r = c.request(&get("/teapot"));
    assert_eq!(r.status, 299, "{}", r.raw_str());

    let r = c.request(&get("/deny"));
    assert_eq!(r.status, 403);
    assert_eq!(r.header("x-after"), Some("/deny"), "{}", r.raw_str());
    assert_eq!(hdrs(&r, "x-order"), ["fe"]);

    let r = c.request(&get("/redir"));
    assert_eq!(r.status, 302);
    assert_eq!(r.header("location"), Some("/there"));
    assert_eq!(r.header("x-after"), Some("/redir"), "{}", r.raw_str());

    let r = RawClient::connect(port).request(&get("/empty"));
    assert_eq!(r.status, 503, "{}", lbd.output_hint());
    assert_eq!(r.header("x-after"), Some("/empty"), "{}", r.raw_str());
    assert_eq!(r.header("cache-control"), None, "the backend's rule ran");

    let r = RawClient::connect(port).request(&get("/dead"));
    assert_eq!(r.status, 503, "{}", r.raw_str());
    assert_eq!(r.header("x-after"), Some("/dead"), "{}", r.raw_str());
}

/// `tcp-request` rules in an HTTP frontend: connection rules run at
/// accept (a reject closes before any byte), content rules run on each
/// request once its head is in (a reject closes the connection, logged
/// `PR` with no status as `<BADREQ>`), and what they track counts
/// connections, sessions and requests as 2.6 counts them.
#[test]
fn tcp_request_rules_in_an_http_frontend() {
    let be = HttpBackend::start("s1");
    let rx = SyslogReceiver::start();
    let (port, closed) = (free_port(), free_port());
    let cfg = format!(
        "{}
backend st
    stick-table type ip size 10 expire 1m store conn_cnt,sess_cnt,http_req_cnt

frontend fe
    bind 127.0.0.1:{port}
    bind 127.0.0.1:{closed}
    tcp-request inspect-delay 2s
    tcp-request connection track-sc0 src table st
    tcp-request connection reject if {{ dst_port {closed} }}
    tcp-request content reject if {{ req.hdr(x-bad) -m found }}
    tcp-request content set-var(txn.m) method
    http-request return status 200 content-type text/plain lf-string \"c=%[sc0_conn_cnt] s=%[sc0_sess_cnt] r=%[sc0_http_req_cnt] m=%[var(txn.m)]\" if {{ path /count }}
    default_backend be

backend be
    server s1 {}
",
        logged_defaults(rx.port()),
        be.addr()
    );
    let lbd = LbdProcess::start(&cfg);

    let mut c = RawClient::connect(closed);
    let _ = c.send(&get("/never"));
    let (bytes, eof) = c.read_until_close(WAIT);
    assert!(
        eof && bytes.is_empty(),
        "{:?}",
        String::from_utf8_lossy(&bytes)
    );

    let mut c = RawClient::connect(port);
    let r = c.request(&get("/fwd"));
    assert_eq!((r.status, r.served_by().as_str()), (200, "s1"));
    let _ = c.send(b"GET /bad HTTP/1.1\r\nhost: x\r\nx-bad: 1\r\n\r\n");
    let (bytes, eof) = c.read_until_close(WAIT);
    assert!(
        eof && bytes.is_empty(),
        "{:?}",
        String::from_utf8_lossy(&bytes)
    );
    let msg = rx
        .wait_for(WAIT, |m| m.contains("<BADREQ>"))
        .unwrap_or_else(|| panic!("no log line for the rejected request{}", lbd.output_hint()));
    let l = HttpLog::parse(&msg).unwrap_or_else(|| panic!("unparsable: {msg}"));
    assert_eq!(
        (l.status.as_str(), &l.termination[..2]),
        ("-1", "PR"),
        "{l:#?}"
    );
    assert_eq!(l.timers[0], "-1");
    assert_eq!(be.requests(), 1, "the rejected request never left");

    // Three connections tracked, two sessions (the one rejected at
    // connection time never became one), and two requests that reached
    // the HTTP rules, this one included.
    let r = RawClient::connect(port).request(&get("/count"));
    assert_eq!(r.body_str(), "c=3 s=2 r=2 m=GET", "{}", r.raw_str());
    let r = RawClient::connect(port)
        .request(b"POST /count HTTP/1.1\r\nhost: x\r\ncontent-length: 0\r\n\r\n");
    assert_eq!(r.body_str(), "c=4 s=3 r=3 m=POST", "{}", r.raw_str());
}

/// `http_auth(<userlist>)` says whether the Basic credentials are valid
/// (clear or crypt(3) passwords); `http_auth_group(<userlist>)` names the
/// user, and in an ACL matches the groups that user belongs to.
#[test]
fn http_auth_fetches_check_userlists() {
    let be = HttpBackend::start("s1");
    let port = free_port();
    let cfg = format!(
        "{HTTP_DEFAULTS}
userlist L1
    group G1 users tiger
    group G2
    group G3
    user scott insecure-password elgato groups G2
    user tiger password $6$saltsalt$TVLlQcbpFVof5W3Yz4DTP6gRstiNuHwwTt6GLc1E5n0U0aDehy0S5knV8wiOQSpT0Y77vwPZN.Pq.H91p5hVO1

frontend fe
    bind 127.0.0.1:{port}
    acl auth_ok http_auth(L1)
    acl in_g1 http_auth_group(L1) G1 G3
    http-request return status 200 content-type text/plain lf-string \"g1:%[http_auth_group(L1)]\" if in_g1
    http-request return status 200 content-type text/plain lf-string \"ok:%[http_auth_group(L1)]\" if auth_ok
    http-request auth realm Private unless auth_ok
    default_backend be

backend be
    server s1 {}
",
        be.addr()
    );
    let _lbd = LbdProcess::start(&cfg);
    let with = |auth: Option<&str>| {
        let extra = auth
            .map(|a| format!("authorization: {a}\r\n"))
            .unwrap_or_default();
        let req = format!("GET / HTTP/1.1\r\nhost: x\r\n{extra}\r\n");
        RawClient::connect(port).request(req.as_bytes())
    };
    let r = with(None);
    assert_eq!(r.status, 401, "{}", r.raw_str());
    assert_eq!(
        r.header("www-authenticate"),
        Some("Basic realm=\"Private\"")
    );
    // scott:elgato, in G2 only.
    let r = with(Some("Basic c2NvdHQ6ZWxnYXRv"));
    assert_eq!((r.status, r.body_str().as_str()), (200, "ok:scott"));
    // scott:wrong
    assert_eq!(with(Some("Basic c2NvdHQ6d3Jvbmc=")).status, 401);
    // tiger:secret (a SHA-512 crypt hash), in G1 by the group's list.
    let r = with(Some("Basic dGlnZXI6c2VjcmV0"));
    assert_eq!((r.status, r.body_str().as_str()), (200, "g1:tiger"));
    // tiger:wrong
    assert_eq!(with(Some("Basic dGlnZXI6d3Jvbmc=")).status, 401);
}

/// The stats page's admin form without a `stats admin` rule: a POST is
/// denied with the 303 back to the page (`;st=DENY`, `;up` kept), the
/// page shows the outcome banner of `;st=`, other methods than GET, HEAD
/// and POST go to the backend, and http-after-response applies to it all.
#[test]
fn stats_page_posts_answer_303_with_their_outcome() {
    let be = HttpBackend::start("s1");
    let port = free_port();
    let cfg = format!(
        "{HTTP_DEFAULTS}
frontend fe
    bind 127.0.0.1:{port}
    stats enable
    stats uri /st
    http-after-response set-header x-after yes
    default_backend be

backend be
    server s1 {}
",
        be.addr()
    );
    let _lbd = LbdProcess::start(&cfg);
    let mut c = RawClient::connect(port);
    let body = "s=s1&action=maint&b=be";
    let req = format!(
        "POST /st;up HTTP/1.1\r\nhost: x\r\ncontent-type: application/x-www-form-urlencoded\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    );
    let r = c.request(req.as_bytes());
    assert_eq!(r.status, 303, "{}", r.raw_str());
    assert_eq!(r.header("location"), Some("/st;st=DENY;up"));
    assert_eq!(r.header("content-length"), Some("0"));
    assert_eq!(r.header("x-after"), Some("yes"));

    let r = c.request(b"GET /st;st=DONE HTTP/1.1\r\nhost: x\r\n\r\n");
    assert_eq!(r.status, 200);
    let page =
        String::from_utf8_lossy(&tests::payload::dechunk(&r.body).unwrap_or_default()).into_owned();
    assert!(page.contains("Action processed successfully."), "{page}");
    assert_eq!(r.header("x-after"), Some("yes"));

    let r = c.request(b"PUT /st HTTP/1.1\r\nhost: x\r\ncontent-length: 0\r\n\r\n");
    assert_eq!((r.status, r.served_by().as_str()), (200, "s1"));
    assert_eq!(be.requests(), 1, "the server stayed up");
}

/// With `stats admin if <cond>` that holds, the form's actions apply: a
/// server put in maintenance from the page stops taking traffic, and
/// `ready` brings it back; a rule that does not hold still denies.
#[test]
fn stats_admin_if_grants_the_form_and_its_actions_change_traffic() {
    let a = HttpBackend::start("A");
    let b = HttpBackend::start("B");
    let port = free_port();
    let cfg = format!(
        "{HTTP_DEFAULTS}
frontend fe
    bind 127.0.0.1:{port}
    acl from_admin req.hdr(x-admin) -m str yes
    stats enable
    stats uri /st
    stats admin if from_admin
    default_backend be

backend be
    balance roundrobin
    server a {}
    server b {}
",
        a.addr(),
        b.addr()
    );
    let _lbd = LbdProcess::start(&cfg);
    let mut c = RawClient::connect(port);
    let post = |c: &mut RawClient, admin: bool, action: &str| {
        let body = format!("s=a&action={action}&b=be");
        let hdr = if admin { "x-admin: yes\r\n" } else { "" };
        let req = format!(
            "POST /st HTTP/1.1\r\nhost: x\r\n{hdr}content-type: application/x-www-form-urlencoded\r\ncontent-length: {}\r\n\r\n{body}",
            body.len()
        );
        c.request(req.as_bytes())
    };
    let r = post(&mut c, false, "maint");
    assert_eq!(r.header("location"), Some("/st;st=DENY"), "{}", r.raw_str());
    let r = post(&mut c, true, "maint");
    assert_eq!(r.status, 303, "{}", r.raw_str());
    assert_eq!(r.header("location"), Some("/st;st=DONE"), "{}", r.raw_str());
    for _ in 0..6 {
        let r = c.request(b"GET / HTTP/1.1\r\nhost: x\r\n\r\n");
        assert_eq!(r.served_by(), "B", "a is in maintenance");
    }
    let r = post(&mut c, true, "ready");
    assert_eq!(r.header("location"), Some("/st;st=DONE"), "{}", r.raw_str());
    let served: std::collections::BTreeSet<String> = (0..6)
        .map(|_| c.request(b"GET / HTTP/1.1\r\nhost: x\r\n\r\n").served_by())
        .collect();
    assert!(served.contains("A"), "a is back: {served:?}");
}

/// `http-after-response` takes only 2.6's after-response actions: anything
/// else stops the load with 2.6's list of what it expects.
#[test]
fn http_after_response_refuses_other_actions_as_2_6() {
    let cfg = format!(
        "{HTTP_DEFAULTS}
frontend fe
    bind 127.0.0.1:{}
    http-after-response deny
    default_backend be
backend be
",
        free_port()
    );
    let (code, out, err) = check(&cfg);
    assert_ne!(code, 0, "{out}{err}");
    let want = "check.cfg:12]: 'http-after-response' expects 'ot-group', 'add-header', 'allow', 'capture', 'del-header', 'replace-header', 'replace-value', 'set-header', 'set-status', 'strict-mode', 'set-var-fmt(*)', 'set-var(*)', 'unset-var(*)', but got 'deny'.";
    assert!(format!("{out}{err}").contains(want), "{out}{err}");
}
