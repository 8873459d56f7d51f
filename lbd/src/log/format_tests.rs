//! Engine tests: each expected line is one HAProxy 2.6.12 printed (spec 9.2
//! and captures made for this module).

use super::format::{LogFormat, RenderCtx, HTTPLOG, HTTPLOG_CLF, TCPLOG};
use super::record::{TermCause as C, TermPhase as P, Termination, TxnLog};
use chrono::FixedOffset;
use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};

fn ctx() -> RenderCtx<'static> {
    RenderCtx {
        logasap: false,
        hostname: "lb1",
        pid: 6592,
        log_count: 7,
        tz: FixedOffset::east_opt(0),
    }
}

fn render(fmt: &str, http: bool, rec: &TxnLog) -> String {
    let f = match LogFormat::parse(fmt, http) {
        Ok(f) => f,
        Err(e) => panic!("{fmt}: {e}"),
    };
    let mut out = Vec::new();
    f.render(rec, &ctx(), &mut out);
    String::from_utf8_lossy(&out).into_owned()
}

/// 2026-11-21T08:20:18.733Z plus `ms`.
fn rec(port: u16, ms: u64) -> TxnLog {
    TxnLog {
        client: Some(([127, 0, 0, 1], port).into()),
        frontend_addr: Some(([127, 0, 0, 1], 8080).into()),
        accept_date: UNIX_EPOCH + Duration::from_millis(1_795_249_218_000 + ms),
        frontend: Arc::from("fe_http"),
        http: true,
        actconn: 1,
        feconn: 1,
        t_idle: 0,
        ..TxnLog::default()
    }
}

#[test]
fn httplog_normal_request() {
    let mut r = rec(50018, 733);
    r.frontend = Arc::from("fe_main");
    r.backend = Some(Arc::from("be_app"));
    r.server = Some(Arc::from("app1"));
    (r.t_request, r.t_queue, r.t_connect, r.t_response, r.t_total) = (0, 0, 0, 5, 5);
    r.status = Some(200);
    r.bytes_out = 2865;
    r.termination.client_cookie = b'N';
    r.termination.server_cookie = b'I';
    r.request_line = Some(b"GET / HTTP/1.1".to_vec());
    assert_eq!(
        render(HTTPLOG, true, &r),
        "127.0.0.1:50018 [21/Nov/2026:08:20:18.733] fe_main be_app/app1 0/0/0/5/5 200 2865 - - --NI 1/1/0/0/0 0/0 \"GET / HTTP/1.1\""
    );
}

#[test]
fn httplog_error_lines() {
    let mut r = rec(41330, 0);
    r.backend = Some(Arc::from("be_none"));
    (r.t_request, r.t_total) = (0, 0);
    r.status = Some(503);
    r.bytes_out = 217;
    r.termination = Termination::new(C::ServerClosed, P::Connect);
    r.request_line = Some(b"GET /none HTTP/1.1".to_vec());
    assert_eq!(
        render(HTTPLOG, true, &r),
        "127.0.0.1:41330 [21/Nov/2026:08:20:18.000] fe_http be_none/<NOSRV> 0/-1/-1/-1/0 503 217 - - SC-- 1/1/0/0/0 0/0 \"GET /none HTTP/1.1\""
    );
    let mut r = rec(39606, 483);
    r.t_idle = -1;
    r.t_total = 2001;
    r.status = Some(408);
    r.termination = Termination::new(C::ClientTimeout, P::Request);
    assert_eq!(
        render(HTTPLOG, true, &r),
        "127.0.0.1:39606 [21/Nov/2026:08:20:18.483] fe_http fe_http/<NOSRV> -1/-1/-1/-1/2001 408 0 - - cR-- 1/1/0/0/0 0/0 \"<BADREQ>\""
    );
}

#[test]
fn captures_are_escaped_and_spaces_collapse() {
    let mut r = rec(40674, 334);
    r.frontend = Arc::from("fe");
    (r.t_request, r.t_total) = (0, 0);
    r.status = Some(200);
    r.bytes_out = 76;
    r.termination = Termination::new(C::Local, P::Request);
    r.request_line = Some(b"GET /a?b=1 HTTP/1.1".to_vec());
    r.captured_request = vec![Some(b"Mozilla/\"x".to_vec()), Some(b"12345".to_vec())];
    r.captured_response = vec![None];
    assert_eq!(
        render(HTTPLOG, true, &r),
        "127.0.0.1:40674 [21/Nov/2026:08:20:18.334] fe fe/<NOSRV> 0/-1/-1/-1/0 200 76 - - LR-- 1/1/0/0/0 0/0 {Mozilla/#22x|12345} {} \"GET /a?b=1 HTTP/1.1\""
    );
    r.captured_request = vec![Some(b"a{|}#\x01".to_vec())];
    assert_eq!(render("%hr", true, &r), "{a#7B#7C#7D#23#01}");
    assert_eq!(render("%hrl %hsl|", true, &r), "a#7B#7C#7D#23#01 -|");
    // No capture configured: `%hr %hs` print nothing and leave one space.
    r.captured_request.clear();
    r.captured_response.clear();
    assert_eq!(render("a %hr  %hs   b", true, &r), "a b");
    assert_eq!(render("  a", true, &r), "a");
}

#[test]
fn tcplog_line() {
    let mut r = rec(38220, 533);
    r.http = false;
    r.frontend = Arc::from("fe_tcp");
    r.backend = Some(Arc::from("be_tcp"));
    r.server = Some(Arc::from("t1"));
    (r.t_queue, r.t_connect, r.t_total) = (1, 0, 4);
    r.bytes_out = 139;
    assert_eq!(
        render(TCPLOG, false, &r),
        "127.0.0.1:38220 [21/Nov/2026:08:20:18.533] fe_tcp be_tcp/t1 1/0/4 139 -- 1/1/0/0/0 0/0"
    );
}

// Captured from 2.6.12, trailing space included (the empty %hrl %hsl).
#[test]
fn clf_format() {
    let mut r = rec(50018, 733);
    r.backend = Some(Arc::from("be"));
    r.server = Some(Arc::from("s1"));
    (r.t_request, r.t_queue, r.t_connect, r.t_response, r.t_total) = (0, 0, 1, 2, 3);
    r.status = Some(200);
    r.bytes_out = 10;
    r.request_line = Some(b"GET / HTTP/1.1".to_vec());
    assert_eq!(
        render(HTTPLOG_CLF, true, &r),
        "127.0.0.1 - - [21/Nov/2026:08:20:18 +0000] \"GET / HTTP/1.1\" 200 10 \"\" \"\" 50018 733 \"fe_http\" \"be\" \"s1\" 0 0 1 2 3 ---- 1 1 0 0 0 0 0 \"\" \"\" "
    );
}

#[test]
fn flags_and_misc_variables() {
    let mut r = rec(258, 5);
    r.request_line = Some(b"POST http://h/p/q?x=\"1 HTTP/1.0".to_vec());
    r.unique_id = Some("a\"b]".into());
    r.retries = 2;
    r.redispatched = true;
    assert_eq!(
        render("%HM %HU %HP %HPO %HQ %HV", true, &r),
        "POST http://h/p/q?x=#221 http://h/p/q /p/q ?x=#221 HTTP/1.0"
    );
    assert_eq!(
        render("%{+Q}ID %{+E}ID %{+Q,+E}ID", true, &r),
        "\"a\"b]\" a\\\"b\\] \"a\\\"b\\]\""
    );
    assert_eq!(
        render("%{+X}ci:%{+X}cp %{+X}Ts", true, &r),
        "7F000001:0102 6B015442"
    );
    assert_eq!(
        render("%rc %pid %lc %H %ms %%", true, &r),
        "+2 6592 7 lb1 005 %"
    );
    assert_eq!(render("%si:%sp %bi %CC", true, &r), "-:- - -");
    assert_eq!(render("%{+Q}o %b %{-Q}s", true, &r), "\"fe_http\" <NOSRV>");
    assert_eq!(
        render(
            "%[src] %[method] %[path] %[query] %[url_param(x)]",
            true,
            &r
        ),
        "127.0.0.1 POST /p/q x=\"1 \"1"
    );
    r.request_line = None;
    assert_eq!(render("%HM %r %[method]", true, &r), "<BADREQ> <BADREQ> -");
}

#[test]
fn timers_and_logasap() {
    let mut r = rec(1, 0);
    (
        r.t_handshake,
        r.t_idle,
        r.t_request,
        r.t_queue,
        r.t_connect,
        r.t_response,
        r.t_total,
    ) = (1, 2, 3, 4, 5, 6, 30);
    assert_eq!(
        render("%Th %Ti %TR %Tq %Tw %Tc %Tr %Td %Ta %Tt %Tu", true, &r),
        "1 2 3 6 4 5 6 9 27 30 28"
    );
    let f = LogFormat::parse("%Ta %Tt %B", true).unwrap_or_default();
    let mut out = Vec::new();
    f.render(
        &r,
        &RenderCtx {
            logasap: true,
            ..ctx()
        },
        &mut out,
    );
    assert_eq!(out, b"+27 +30 +0");
}

#[test]
fn parse_errors_read_like_haproxy() {
    let e = |f: &str, http| LogFormat::parse(f, http).err().unwrap_or_default();
    assert_eq!(e("%foo", true), "no such format variable 'foo'. If you wanted to emit the '%' character verbatim, you need to use '%%'");
    assert_eq!(
        e("%r", false),
        "format variable 'r' is reserved for HTTP mode"
    );
    assert!(e("a %1", true).starts_with("unexpected variable name near '1' at position 3"));
    assert_eq!(
        e("%{+Q}", true),
        "parse argument modifier without variable name near '%{+Q}'"
    );
    assert!(e("%[hdr(host)]", true).contains("not supported in log-format yet by lbd"));
    assert!(e("%[src", true).starts_with("missing ']'"));
    assert!(LogFormat::parse("", true).is_ok_and(|f| f.is_empty()));
}
