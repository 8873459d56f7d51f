//! The data path's stats calls land in the right `show stat` columns.

use lbd::config::load_str;
use lbd::runtime::Runtime;
use lbd::stats::feed;
use lbd::stats::{collect, Row, StatRequest};
use std::collections::HashMap;
use std::time::{Duration, Instant};

const CFG: &str = "
global
    maxconn 100
defaults
    mode http
    timeout connect 1s
    timeout client 5s
    timeout server 5s
frontend fe
    bind 127.0.0.1:1
    default_backend be
backend be
    server s1 127.0.0.1:2
    server s2 127.0.0.1:3
";

fn runtime() -> Runtime {
    let env: HashMap<String, String> = HashMap::new();
    let out = load_str("feed.cfg", CFG.as_bytes(), &env);
    let cfg = out.config.expect("parses");
    Runtime::build(&cfg).expect("builds")
}

fn col(rows: &[Row], sv: &str, name: &str) -> String {
    let pos = lbd::stats::fields::FIELDS
        .iter()
        .position(|f| f.0 == name)
        .expect("known column");
    let row = rows
        .iter()
        .find(|r| matches!(&r.fields[1], lbd::stats::fields::Val::Str(s) if s == sv))
        .expect("row exists");
    let mut s = String::new();
    row.fields[pos].csv(&mut s);
    s
}

#[test]
fn http_transaction_feeds_frontend_backend_and_server() {
    let rt = runtime();
    let fe = &rt.frontends[0];
    let be = &rt.backends[0];
    let s1 = &be.servers[0];
    feed::accepted(fe, 1);
    let start = Instant::now();
    feed::http_request(fe, start);
    feed::leased(be, s1, std::time::Instant::now());
    feed::server_conn(be, s1, false);
    let t = feed::Phases {
        start,
        ready: Some(start),
        leased: Some(start + Duration::from_millis(2)),
        connected: Some(start + Duration::from_millis(5)),
        response: Some(start + Duration::from_millis(15)),
        end: start + Duration::from_millis(16),
    };
    feed::http_server_done(be, s1, 200, 100, 1000, &t, None);
    feed::http_txn_end(fe, Some(200), 100, 1000, t.end);
    feed::http_request(fe, Instant::now());
    feed::http_bad_request(fe, Some(400), 50);

    let rows = collect(&rt, &StatRequest::default()).expect("rows");
    for (sv, name, want) in [
        ("FRONTEND", "stot", "1"),
        ("FRONTEND", "conn_tot", "1"),
        ("FRONTEND", "req_tot", "2"),
        ("FRONTEND", "hrsp_2xx", "1"),
        ("FRONTEND", "hrsp_4xx", "1"),
        ("FRONTEND", "ereq", "1"),
        ("FRONTEND", "bin", "100"),
        ("FRONTEND", "bout", "1050"),
        ("FRONTEND", "rate", "1"),
        ("FRONTEND", "req_rate", "2"),
        ("s1", "stot", "1"),
        ("s1", "lbtot", "1"),
        ("s1", "connect", "1"),
        ("s1", "hrsp_2xx", "1"),
        ("s1", "bout", "1000"),
        ("s1", "ctime", "3"),
        ("s1", "rtime", "10"),
        ("s1", "lastsess", "0"),
        ("s2", "lastsess", "-1"),
        ("s2", "stot", "0"),
        ("BACKEND", "stot", "1"),
        ("BACKEND", "req_tot", "1"),
        ("BACKEND", "hrsp_2xx", "1"),
        ("BACKEND", "qtime", "2"),
    ] {
        assert_eq!(col(&rows, sv, name), want, "{sv} {name}");
    }
}

#[test]
fn failures_count_as_haproxy_does() {
    let rt = runtime();
    let be = &rt.backends[0];
    let s2 = &be.servers[1];
    feed::retry(be, s2, true);
    feed::connect_failed(be, s2);
    feed::http_server_failed(be, s2, false, Some(502));
    feed::http_server_failed(be, s2, true, None);
    let rows = collect(&rt, &StatRequest::default()).expect("rows");
    for (sv, name, want) in [
        ("s2", "wretr", "1"),
        ("s2", "wredis", "1"),
        ("s2", "econ", "1"),
        ("s2", "eresp", "1"),
        ("s2", "hrsp_5xx", "1"),
        ("s2", "cli_abrt", "1"),
        ("BACKEND", "econ", "1"),
        ("BACKEND", "eresp", "1"),
    ] {
        assert_eq!(col(&rows, sv, name), want, "{sv} {name}");
    }
}
