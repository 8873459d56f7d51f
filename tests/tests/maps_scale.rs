//! Host routing from a 10,000-line map (issue 5, "Show"): `use_backend
//! %[req.hdr(host),lower,map(hosts.map,be_default)]` over 20 backends sends
//! every sampled host to its backend, and `set map`/`add map`/`del map` on
//! the stats socket reroute hosts live, with `show map` saying so.

use std::path::Path;

use tests::stats_socket::{cli, wait_socket};
use tests::*;

const HOSTS: usize = 10_000;
const BACKENDS: usize = 20;

/// The backend a host of the file routes to: spread so neighbours differ.
fn backend_of(i: usize) -> usize {
    (i * 7 + i / 3) % BACKENDS
}

fn host(i: usize) -> String {
    format!("h{i}.example.com")
}

/// The `x-served-by` of one GET with `Host: host`, on a kept-alive connection.
fn served(c: &mut RawClient, host: &str) -> String {
    let r = c.request(format!("GET / HTTP/1.1\r\nHost: {host}\r\n\r\n").as_bytes());
    assert_eq!(r.status, 200, "{host}: {}", r.raw_str());
    r.served_by()
}

/// The `show map` lines naming `key`, as `key value`.
fn shown(sock: &Path, map: &Path, key: &str) -> Vec<String> {
    cli(sock, &format!("show map {}", map.display()))
        .lines()
        .filter_map(|l| l.split_once(' ').map(|(_, kv)| kv.to_string()))
        .filter(|kv| kv.split(' ').next() == Some(key))
        .collect()
}

#[test]
fn a_ten_thousand_host_map_routes_and_changes_live() {
    let dir = TempDir::new();
    let text: String = (0..HOSTS)
        .map(|i| format!("{} be{}\n", host(i), backend_of(i)))
        .collect();
    let map = dir.write("hosts.map", format!("# host backend\n{text}"));
    let sock = dir.join("admin.sock");
    let backends: Vec<HttpBackend> = (0..BACKENDS)
        .map(|b| HttpBackend::start(&format!("be{b}")))
        .collect();
    let fallback = HttpBackend::start("default");
    let port = free_port();
    let mut cfg = format!(
        "global
    maxconn 1000
    stats socket {} level admin

defaults
    mode http
    timeout connect 2s
    timeout client 10s
    timeout server 10s

frontend fe
    bind 127.0.0.1:{port}
    use_backend %[req.hdr(host),lower,map({},be_default)]

backend be_default
    server s1 {}
",
        sock.display(),
        map.display(),
        fallback.addr()
    );
    for (b, be) in backends.iter().enumerate() {
        cfg.push_str(&format!("\nbackend be{b}\n    server s1 {}\n", be.addr()));
    }
    let lbd = LbdProcess::start_in(dir, &cfg);
    wait_socket(&sock);
    let mut c = RawClient::connect(port);

    // Every 10th host, some written in capitals (the `lower` converter).
    for i in (0..HOSTS).step_by(HOSTS / 1_000) {
        let h = if i % 20 == 0 {
            host(i).to_uppercase()
        } else {
            host(i)
        };
        let want = format!("be{}", backend_of(i));
        assert_eq!(served(&mut c, &h), want, "host {h}{}", lbd.output_hint());
    }
    assert_eq!(served(&mut c, "unknown.example.com"), "default");

    let (moved, dropped) = (host(5), host(6));
    let to = (backend_of(5) + 1) % BACKENDS;
    let m = map.display();
    assert_eq!(cli(&sock, &format!("set map {m} {moved} be{to}")), "\n");
    assert_eq!(
        cli(&sock, &format!("add map {m} new.example.com be3")),
        "\n"
    );
    assert_eq!(cli(&sock, &format!("del map {m} {dropped}")), "\n");

    assert_eq!(served(&mut c, &moved), format!("be{to}"));
    assert_eq!(served(&mut c, "new.example.com"), "be3");
    assert_eq!(served(&mut c, &dropped), "default");
    assert_eq!(
        served(&mut c, &host(7)),
        format!("be{}", backend_of(7)),
        "untouched hosts stay"
    );

    assert_eq!(shown(&sock, &map, &moved), [format!("{moved} be{to}")]);
    assert_eq!(
        shown(&sock, &map, "new.example.com"),
        ["new.example.com be3"]
    );
    assert!(shown(&sock, &map, &dropped).is_empty());
    let all = cli(&sock, &format!("show map {m}"));
    assert_eq!(all.lines().filter(|l| !l.is_empty()).count(), HOSTS);
    assert!(
        all.trim_end().ends_with("new.example.com be3"),
        "an added entry comes last"
    );
}
