//! Every `balance` algorithm, over real connections to three backends.

use std::time::{Duration, Instant};

use tests::*;

fn urls(port: u16, paths: impl IntoIterator<Item = String>) -> Vec<String> {
    paths
        .into_iter()
        .map(|p| format!("http://127.0.0.1:{port}{p}"))
        .collect()
}

fn same_path(port: u16, path: &str, n: usize) -> Vec<String> {
    urls(port, (0..n).map(|_| path.to_owned()))
}

fn three() -> [HttpBackend; 3] {
    [
        HttpBackend::start("s1"),
        HttpBackend::start("s2"),
        HttpBackend::start("s3"),
    ]
}

fn start(backends: &[HttpBackend; 3], balance: &str, server_extra: &str) -> (LbdProcess, u16) {
    let port = free_port();
    let refs: Vec<&HttpBackend> = backends.iter().collect();
    let cfg = http_config(
        port,
        "",
        &format!("    {balance}\n{}", server_lines(&refs, server_extra)),
    );
    (LbdProcess::start(&cfg), port)
}

/// Waits until `backend` is busy answering a request.
fn wait_active(backend: &HttpBackend) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while backend.active() == 0 {
        assert!(
            Instant::now() < deadline,
            "slow request never reached a backend"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Starts a request that the backend holds for `ms` milliseconds.
fn slow_request(port: u16, ms: u64) -> std::thread::JoinHandle<CurlOutput> {
    std::thread::spawn(move || {
        curl(&[
            "-H",
            &format!("x-delay-ms: {ms}"),
            &format!("http://127.0.0.1:{port}/slow"),
        ])
    })
}

#[test]
fn roundrobin_honours_weights() {
    let b = three();
    let port = free_port();
    let servers = format!(
        "    balance roundrobin\n    server s1 {} weight 3\n    server s2 {} weight 1\n    server s3 {} weight 0\n",
        b[0].addr(),
        b[1].addr(),
        b[2].addr()
    );
    let lbd = LbdProcess::start(&http_config(port, "", &servers));
    let counts = count_by_server(&curl_many(&same_path(port, "/", 400), &[]));
    let s1 = counts.get("s1").copied().unwrap_or(0);
    let s2 = counts.get("s2").copied().unwrap_or(0);
    assert!(
        (288..=312).contains(&s1) && (88..=112).contains(&s2) && s1 + s2 == 400,
        "weights 3:1:0 gave {counts:?}{}",
        lbd.output_hint()
    );
    assert_eq!(b[2].requests(), 0, "a weight-0 server got traffic");
}

#[test]
fn static_rr_cycles_evenly() {
    let b = three();
    let (lbd, port) = start(&b, "balance static-rr", "");
    let counts = count_by_server(&curl_many(&same_path(port, "/", 30), &[]));
    assert_eq!(
        counts.values().copied().collect::<Vec<_>>(),
        vec![10, 10, 10],
        "{counts:?}{}",
        lbd.output_hint()
    );
}

#[test]
fn leastconn_avoids_the_busy_server() {
    let b = three();
    let (lbd, port) = start(&b, "balance leastconn", "");
    let slow = slow_request(port, 2000);
    let deadline = Instant::now() + Duration::from_secs(5);
    let busy = loop {
        if let Some(i) = b.iter().position(|s| s.active() > 0) {
            break i;
        }
        assert!(
            Instant::now() < deadline,
            "slow request never reached a backend"
        );
        std::thread::sleep(Duration::from_millis(5));
    };
    let busy_name = format!("s{}", busy + 1);
    let counts = count_by_server(&curl_many(&same_path(port, "/", 12), &[]));
    assert!(
        !counts.contains_key(&busy_name) && counts.len() == 2,
        "busy server {busy_name}, others got {counts:?}{}",
        lbd.output_hint()
    );
    let out = slow
        .join()
        .unwrap_or_else(|_| panic!("slow request thread panicked"));
    assert_eq!(out.code, 0, "slow request failed: {}", out.stderr);
}

#[test]
fn first_fills_servers_by_id() {
    let b = three();
    let (lbd, port) = start(&b, "balance first", "maxconn 1");
    let counts = count_by_server(&curl_many(&same_path(port, "/", 10), &[]));
    assert_eq!(
        counts.get("s1"),
        Some(&10),
        "{counts:?}{}",
        lbd.output_hint()
    );
    let slow = slow_request(port, 1500);
    wait_active(&b[0]);
    let counts = count_by_server(&curl_many(&same_path(port, "/", 5), &[]));
    assert_eq!(
        counts.get("s2"),
        Some(&5),
        "with s1 full: {counts:?}{}",
        lbd.output_hint()
    );
    let out = slow
        .join()
        .unwrap_or_else(|_| panic!("slow request thread panicked"));
    assert_eq!(out.code, 0, "slow request failed: {}", out.stderr);
}

#[test]
fn source_keeps_a_client_on_one_server() {
    let b = three();
    let (lbd, port) = start(&b, "balance source", "");
    let mut servers = std::collections::BTreeSet::new();
    // Separate client connections: the hash, not connection reuse, must pin them.
    for _ in 0..6 {
        servers.insert(curl_many(&same_path(port, "/", 1), &[])[0].served_by());
    }
    assert_eq!(servers.len(), 1, "{servers:?}{}", lbd.output_hint());
}

#[test]
fn uri_hashes_the_path() {
    let b = three();
    let (lbd, port) = start(&b, "balance uri", "");
    let same = count_by_server(&curl_many(&same_path(port, "/a/b", 10), &[]));
    assert_eq!(
        same.len(),
        1,
        "one path spread: {same:?}{}",
        lbd.output_hint()
    );
    let spread = count_by_server(&curl_many(
        &urls(port, (0..30).map(|i| format!("/p{i}"))),
        &[],
    ));
    assert!(spread.len() >= 2, "30 paths on {spread:?}");
}

#[test]
fn url_param_hashes_the_parameter() {
    let b = three();
    let (lbd, port) = start(&b, "balance url_param uid", "");
    let same = count_by_server(&curl_many(
        &urls(port, (0..10).map(|i| format!("/x{i}?a=1&uid=alice"))),
        &[],
    ));
    assert_eq!(
        same.len(),
        1,
        "one uid spread: {same:?}{}",
        lbd.output_hint()
    );
    let spread = count_by_server(&curl_many(
        &urls(port, (0..30).map(|i| format!("/?uid=u{i}"))),
        &[],
    ));
    assert!(spread.len() >= 2, "30 uids on {spread:?}");
    // Without the parameter the algorithm falls back to round robin.
    let absent = count_by_server(&curl_many(&same_path(port, "/nouid", 30), &[]));
    assert_eq!(absent.len(), 3, "no uid: {absent:?}");
}

#[test]
fn hdr_host_hashes_the_header() {
    let b = three();
    let (lbd, port) = start(&b, "balance hdr(host)", "");
    let mut client = RawClient::connect(port);
    let mut fetch = |host: &str| {
        client
            .request(format!("GET / HTTP/1.1\r\nhost: {host}\r\n\r\n").as_bytes())
            .served_by()
    };
    let same: std::collections::BTreeSet<String> = (0..10).map(|_| fetch("one.test")).collect();
    assert_eq!(
        same.len(),
        1,
        "one host spread: {same:?}{}",
        lbd.output_hint()
    );
    let spread: std::collections::BTreeSet<String> =
        (0..30).map(|i| fetch(&format!("h{i}.test"))).collect();
    assert!(spread.len() >= 2, "30 hosts on {spread:?}");
}

#[test]
fn random_uses_every_server() {
    let b = three();
    let (lbd, port) = start(&b, "balance random", "");
    let counts = count_by_server(&curl_many(&same_path(port, "/", 300), &[]));
    assert!(
        counts.len() == 3 && counts.values().all(|&n| n >= 50),
        "300 random picks: {counts:?}{}",
        lbd.output_hint()
    );
}

#[test]
fn consistent_hashing_pins_and_spreads() {
    let b = three();
    let (lbd, port) = start(&b, "balance uri\n    hash-type consistent", "");
    let same = count_by_server(&curl_many(&same_path(port, "/same", 10), &[]));
    assert_eq!(
        same.len(),
        1,
        "one path spread: {same:?}{}",
        lbd.output_hint()
    );
    let spread = count_by_server(&curl_many(
        &urls(port, (0..60).map(|i| format!("/k{i}"))),
        &[],
    ));
    assert!(spread.len() >= 2, "60 paths on {spread:?}");
}

#[test]
fn backup_serves_only_when_actives_are_down() {
    let b = three();
    let backup = HttpBackend::start("bk");
    let port = free_port();
    let servers = format!(
        "{}    server bk {} backup\n",
        server_lines(&[&b[0], &b[1]], ""),
        backup.addr()
    );
    let lbd = LbdProcess::start(&http_config(port, "", &servers));
    let counts = count_by_server(&curl_many(&same_path(port, "/", 20), &[]));
    assert!(
        !counts.contains_key("bk") && backup.connections() == 0,
        "backup used while actives up: {counts:?}{}",
        lbd.output_hint()
    );
    drop(lbd);

    // `disabled` puts the actives in maintenance from the start.
    let port = free_port();
    let servers = format!(
        "{}    server bk {} backup\n",
        server_lines(&[&b[0], &b[1]], "disabled"),
        backup.addr()
    );
    let lbd = LbdProcess::start(&http_config(port, "", &servers));
    let counts = count_by_server(&curl_many(&same_path(port, "/", 20), &[]));
    assert_eq!(
        counts.get("bk"),
        Some(&20),
        "{counts:?}{}",
        lbd.output_hint()
    );
}
