//! The HTTP stats page (`stats enable|uri|auth|realm|refresh`) and the
//! built-in Prometheus exporter (`http-request use-service
//! prometheus-exporter`), on lbd and on HAProxy 2.6 alike: the page is
//! served at its URI, `;csv` has `show stat`'s header, Basic auth answers
//! 401 with 2.6's exact bytes, and after N requests the exporter's output
//! parses and reports N for the frontend.
//!
//! Until ACLs land the exporter rule is unconditional, so it lives on a
//! dedicated `listen` section, as users are told to do.

use std::time::Duration;
use tests::{curl, free_port, HttpBackend, LbdProcess, RawClient};

struct Setup {
    _backend: HttpBackend,
    _proxy: LbdProcess,
    fe: u16,
    stats: u16,
    open_stats: u16,
    metrics: u16,
}

fn setup() -> Setup {
    let backend = HttpBackend::start("s1");
    let (fe, stats, open_stats, metrics) = (free_port(), free_port(), free_port(), free_port());
    let cfg = format!(
        "defaults
    mode http
    timeout connect 2s
    timeout client 10s
    timeout server 10s

frontend fe
    bind 127.0.0.1:{fe}
    default_backend be

backend be
    server s1 {srv}

listen st
    bind 127.0.0.1:{stats}
    stats enable
    stats uri /st
    stats refresh 5s
    stats realm My\\ Realm
    stats auth admin:pw
    stats auth u2:p2

listen st2
    bind 127.0.0.1:{open_stats}
    stats enable

listen pm
    bind 127.0.0.1:{metrics}
    http-request use-service prometheus-exporter
",
        srv = backend.addr()
    );
    let proxy = LbdProcess::start(&cfg);
    Setup {
        _backend: backend,
        _proxy: proxy,
        fe,
        stats,
        open_stats,
        metrics,
    }
}

fn get(port: u16, path: &str, extra: &[u8]) -> tests::Response {
    let mut c = RawClient::connect(port);
    let mut req = format!("GET {path} HTTP/1.1\r\nhost: x\r\n").into_bytes();
    req.extend_from_slice(extra);
    req.extend_from_slice(b"connection: close\r\n\r\n");
    let mut r = c.request(&req);
    if r.header("transfer-encoding") == Some("chunked") {
        r.body = tests::payload::dechunk(&r.body).unwrap_or_else(|| panic!("bad chunking"));
    }
    r
}

#[test]
fn page_is_served_at_the_default_uri() {
    let s = setup();
    let r = get(s.open_stats, "/haproxy?stats", b"");
    assert_eq!(r.status, 200, "{}", r.raw_str());
    assert_eq!(r.header("content-type"), Some("text/html"));
    assert_eq!(r.header("cache-control"), Some("no-cache"));
    assert_eq!(r.header("refresh"), None, "no `stats refresh` configured");
    let body = r.body_str();
    assert!(body.contains("Statistics Report"), "{body}");
    assert!(body.contains(">be<") || body.contains("be"), "{body}");
}

#[test]
fn basic_auth_401_is_byte_exact_then_credentials_open_the_page() {
    let s = setup();
    let want = "HTTP/1.1 401 Unauthorized\r\ncontent-length: 112\r\ncache-control: no-cache\r\ncontent-type: text/html\r\nwww-authenticate: Basic realm=\"My Realm\"\r\nconnection: close\r\n\r\n<html><body><h1>401 Unauthorized</h1>\nYou need a valid user and password to access this content.\n</body></html>\n";
    let mut c = RawClient::connect(s.stats);
    c.send(b"GET /st HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")
        .unwrap_or_else(|e| panic!("send: {e}"));
    let (raw, _) = c.read_until_close(Duration::from_secs(5));
    assert_eq!(String::from_utf8_lossy(&raw), want);
    // Wrong password: the same 401.
    let bad = get(s.stats, "/st", b"authorization: Basic YWRtaW46YmFk\r\n");
    assert_eq!(bad.status, 401);
    // Both accounts work; `stats refresh` becomes a header.
    for cred in ["YWRtaW46cHc=", "dTI6cDI="] {
        let auth = format!("authorization: Basic {cred}\r\n");
        let ok = get(s.stats, "/st", auth.as_bytes());
        assert_eq!(ok.status, 200, "{}", ok.raw_str());
        assert_eq!(ok.header("refresh"), Some("5"));
        assert_eq!(ok.header("transfer-encoding"), Some("chunked"));
    }
    let norefresh = get(
        s.stats,
        "/st;norefresh",
        b"authorization: Basic YWRtaW46cHc=\r\n",
    );
    assert_eq!(norefresh.header("refresh"), None);
}

#[test]
fn csv_has_show_stat_header_and_counts_requests() {
    let s = setup();
    let n = 4;
    for _ in 0..n {
        let out = curl(&["-o", "/dev/null", &format!("http://127.0.0.1:{}/", s.fe)]);
        assert_eq!(out.code, 0, "{}", out.stderr);
    }
    let r = get(s.open_stats, "/haproxy?stats;csv;norefresh", b"");
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("text/plain"));
    let body = r.body_str();
    let mut lines = body.lines();
    let header = lines.next().unwrap_or_default();
    assert!(header.starts_with("# pxname,svname,qcur,qmax,scur,smax,slim,stot,"));
    assert!(header.ends_with(",h1_spliced_bytes_in,h1_spliced_bytes_out,"));
    assert_eq!(header.matches(',').count(), 128);
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    for r in &rows {
        assert_eq!(r.len(), 129, "every row has 128 commas: {r:?}");
    }
    let fe = rows
        .iter()
        .find(|r| r[0] == "fe" && r[1] == "FRONTEND")
        .unwrap_or_else(|| panic!("no fe row in {body}"));
    // stot, hrsp_2xx, req_tot.
    assert_eq!((fe[7], fe[40], fe[48]), ("4", "4", "4"), "{body}");
    assert_eq!(fe[12], "0", "ereq stays 0 after clean closes");
    // The HTTP page leaves addr (73) and algo (76) empty.
    let srv = rows
        .iter()
        .find(|r| r[0] == "be" && r[1] == "s1")
        .unwrap_or_else(|| panic!("no server row"));
    assert_eq!(srv[73], "");
    let be = rows
        .iter()
        .find(|r| r[0] == "be" && r[1] == "BACKEND")
        .unwrap_or_else(|| panic!("no backend row"));
    assert_eq!(be[76], "");
}

#[test]
fn exporter_output_parses_and_counts_requests() {
    let s = setup();
    let n = 5;
    for _ in 0..n {
        let out = curl(&["-o", "/dev/null", &format!("http://127.0.0.1:{}/", s.fe)]);
        assert_eq!(out.code, 0, "{}", out.stderr);
    }
    let r = get(s.metrics, "/metrics", b"");
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("text/plain; version=0.0.4"));
    let body = r.body_str();
    assert!(
        body.contains(&format!(
            "\nhaproxy_frontend_http_requests_total{{proxy=\"fe\"}} {n}\n"
        )),
        "{body}"
    );
    assert!(body.contains("\nhaproxy_frontend_http_responses_total{proxy=\"fe\",code=\"2xx\"} 5\n"));
    let lines = body.lines().map(|l| Ok(l.to_string()));
    let scrape = prometheus_parse::Scrape::parse(lines)
        .unwrap_or_else(|e| panic!("exposition does not parse: {e}"));
    let has = |name: &str| scrape.samples.iter().any(|s| s.metric == name);
    for name in [
        "haproxy_process_uptime_seconds",
        "haproxy_frontend_status",
        "haproxy_backend_status",
        "haproxy_server_status",
        "haproxy_backend_response_time_average_seconds",
    ] {
        assert!(has(name), "{name} missing");
    }
    let up = scrape
        .samples
        .iter()
        .find(|s| {
            s.metric == "haproxy_server_status"
                && s.labels.get("proxy") == Some("be")
                && s.labels.get("server") == Some("s1")
                && s.labels.get("state") == Some("UP")
        })
        .unwrap_or_else(|| panic!("no UP line for be/s1"));
    assert!(matches!(up.value, prometheus_parse::Value::Gauge(v) if v == 1.0));
    assert_eq!(
        scrape.docs.get("haproxy_frontend_http_requests_total").map(String::as_str),
        Some("Total number of HTTP requests processed by this object since the worker process started")
    );
}

#[test]
fn exporter_scope_selects_families() {
    let s = setup();
    let r = get(s.metrics, "/metrics?scope=frontend", b"");
    let body = r.body_str();
    assert!(body.contains("haproxy_frontend_sessions_total"));
    assert!(!body.contains("haproxy_process_"));
    assert!(!body.contains("haproxy_server_"));
}
