//! `unique-id-format` / `unique-id-header`: one id per request, the same in
//! the header the server receives, in the log's `%ID` and in the PROXY v2
//! unique-id TLV (`proxy-v2-options unique-id`). On lbd and HAProxy 2.6.

use std::time::Duration;
use tests::syslog::{strip_header, SyslogReceiver};
use tests::*;

/// The first value of header `name` in `head`.
fn header(head: &str, name: &str) -> Option<String> {
    head.lines().find_map(|l| {
        let (n, v) = l.split_once(':')?;
        n.eq_ignore_ascii_case(name).then(|| v.trim().to_string())
    })
}

#[test]
fn the_header_and_the_log_carry_the_same_formatted_id() {
    let be = HttpBackend::start("s1");
    let syslog = SyslogReceiver::start();
    let port = free_port();
    let cfg = format!(
        "global
    maxconn 1000

defaults
    mode http
    timeout connect 2s
    timeout client 10s
    timeout server 10s

frontend fe
    bind 127.0.0.1:{port}
    log 127.0.0.1:{log} local0
    log-format \"id=%ID\"
    unique-id-format %{{+X}}o\\ %ci:%cp_%fi:%fp_%pid
    unique-id-header X-Unique-ID
    default_backend be

backend be
    server s1 {addr}
",
        log = syslog.port(),
        addr = be.addr(),
    );
    let p = LbdProcess::start(&cfg);
    let mut c = RawClient::connect(port);
    let cport = match c.stream().local_addr() {
        Ok(a) => a.port(),
        Err(e) => panic!("local_addr: {e}"),
    };
    let r = c.request(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n");
    assert_eq!(r.status, 200, "{}{}", r.raw_str(), p.output_hint());
    let want = format!("7F000001:{cport:04X}_7F000001:{port:04X}_{:04X}", p.pid());
    let received = be.received();
    let sent = received
        .first()
        .and_then(|r| header(&r.head_str(), "x-unique-id"));
    assert_eq!(sent.as_deref(), Some(want.as_str()), "{}", p.output_hint());
    let line = syslog.wait_for(Duration::from_secs(5), |l| l.contains("id="));
    let logged = line.as_deref().map(|l| strip_header(l).1.to_string());
    assert_eq!(logged, Some(format!("id={want}")), "{}", p.output_hint());
}

#[test]
fn a_request_answered_by_a_rule_logs_its_id_too() {
    let syslog = SyslogReceiver::start();
    let port = free_port();
    let cfg = format!(
        "{HTTP_DEFAULTS}
frontend fe
    bind 127.0.0.1:{port}
    log 127.0.0.1:{log} local0
    log-format \"id=%ID\"
    unique-id-format %{{+X}}o\\ %fi:%fp
    http-request return status 200
",
        log = syslog.port(),
    );
    let p = LbdProcess::start(&cfg);
    let r = RawClient::connect(port).request(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n");
    assert_eq!(r.status, 200, "{}{}", r.raw_str(), p.output_hint());
    let line = syslog.wait_for(Duration::from_secs(5), |l| l.contains("id="));
    let logged = line.as_deref().map(|l| strip_header(l).1.to_string());
    assert_eq!(
        logged,
        Some(format!("id=7F000001:{port:04X}")),
        "{}",
        p.output_hint()
    );
}

/// `fe` sends PROXY v2 with the unique-id TLV to `fe_pp` (the proxy under
/// test as an `accept-proxy` peer), which passes what it read on as
/// `X-PP-ID`; `fe` also sends the id as `X-Unique-ID`.
fn proxy_v2_config(port: u16, inner: u16, be: &HttpBackend, unique_id: &str) -> String {
    format!(
        "{HTTP_DEFAULTS}
frontend fe
    bind 127.0.0.1:{port}
{unique_id}
    default_backend be_pp

backend be_pp
    server s 127.0.0.1:{inner} send-proxy-v2 proxy-v2-options unique-id

frontend fe_pp
    bind 127.0.0.1:{inner} accept-proxy
    http-request set-header X-PP-ID \"<%[fc_pp_unique_id]>\"
    default_backend be

backend be
    server s1 {addr}
",
        addr = be.addr(),
    )
}

#[test]
fn the_proxy_v2_tlv_carries_the_id() {
    let be = HttpBackend::start("s1");
    let (port, inner) = (free_port(), free_port());
    let uid = "    unique-id-format %{+X}o\\ %fi:%fp_%[src]\n    unique-id-header X-Unique-ID";
    let p = LbdProcess::start(&proxy_v2_config(port, inner, &be, uid));
    let r = RawClient::connect(port).request(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n");
    assert_eq!(r.status, 200, "{}{}", r.raw_str(), p.output_hint());
    let received = be.received();
    let head = received.first().map(|r| r.head_str()).unwrap_or_default();
    let want = format!("7F000001:{port:04X}_127.0.0.1");
    assert_eq!(
        header(&head, "x-unique-id").as_deref(),
        Some(want.as_str()),
        "{head}"
    );
    assert_eq!(
        header(&head, "x-pp-id"),
        Some(format!("<{want}>")),
        "{head}"
    );
}

#[test]
fn without_a_format_the_tlv_is_sent_empty() {
    let be = HttpBackend::start("s1");
    let (port, inner) = (free_port(), free_port());
    let p = LbdProcess::start(&proxy_v2_config(port, inner, &be, ""));
    let r = RawClient::connect(port).request(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n");
    assert_eq!(r.status, 200, "{}{}", r.raw_str(), p.output_hint());
    let received = be.received();
    let head = received.first().map(|r| r.head_str()).unwrap_or_default();
    assert_eq!(header(&head, "x-pp-id").as_deref(), Some("<>"), "{head}");
    assert_eq!(header(&head, "x-unique-id"), None, "{head}");
}

#[test]
fn rules_read_the_id_with_the_unique_id_fetch() {
    let be = HttpBackend::start("s1");
    let port = free_port();
    let cfg = format!(
        "{HTTP_DEFAULTS}
frontend fe
    bind 127.0.0.1:{port}
    unique-id-format %{{+X}}o\\ %fi:%fp
    http-request set-header X-Req-ID %[unique-id]
    http-response set-header X-Res-ID %[unique-id]
    default_backend be

backend be
    server s1 {addr}
",
        addr = be.addr(),
    );
    let p = LbdProcess::start(&cfg);
    let r = RawClient::connect(port).request(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n");
    assert_eq!(r.status, 200, "{}{}", r.raw_str(), p.output_hint());
    let want = format!("7F000001:{port:04X}");
    assert_eq!(r.header("x-res-id"), Some(want.as_str()), "{}", r.raw_str());
    let received = be.received();
    let head = received.first().map(|r| r.head_str()).unwrap_or_default();
    assert_eq!(header(&head, "x-req-id"), Some(want), "{head}");
}

#[test]
fn a_tcp_frontend_sends_its_id_in_the_tlv() {
    let be = HttpBackend::start("s1");
    let (port, inner) = (free_port(), free_port());
    let cfg = format!(
        "{TCP_DEFAULTS}
frontend fe
    bind 127.0.0.1:{port}
    unique-id-format %{{+X}}o\\ %fi:%fp
    default_backend be_pp

backend be_pp
    server s 127.0.0.1:{inner} send-proxy-v2 proxy-v2-options unique-id

frontend fe_pp
    mode http
    bind 127.0.0.1:{inner} accept-proxy
    http-request set-header X-PP-ID \"<%[fc_pp_unique_id]>\"
    default_backend be

backend be
    mode http
    server s1 {addr}
",
        addr = be.addr(),
    );
    let p = LbdProcess::start(&cfg);
    let r = RawClient::connect(port).request(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n");
    assert_eq!(r.status, 200, "{}{}", r.raw_str(), p.output_hint());
    let received = be.received();
    let head = received.first().map(|r| r.head_str()).unwrap_or_default();
    let want = format!("<7F000001:{port:04X}>");
    assert_eq!(header(&head, "x-pp-id"), Some(want), "{head}");
}
