//! More balancing: `random(<draws>)`, every `hash-type` with `balance uri`, and the
//! round-robin fallback of `balance hdr()`.
//!
//! Hash-based placement depends only on the configuration (server ids and weights),
//! never on addresses, so the exact path-to-server tables below were recorded from
//! HAProxy 2.6.12 and lbd must reproduce them.

use std::collections::BTreeMap;

use tests::*;

fn three() -> [HttpBackend; 3] {
    [
        HttpBackend::start("s1"),
        HttpBackend::start("s2"),
        HttpBackend::start("s3"),
    ]
}

fn start(backends: &[HttpBackend; 3], balance: &str) -> (LbdProcess, u16) {
    let port = free_port();
    let refs: Vec<&HttpBackend> = backends.iter().collect();
    let cfg = http_config(port, "", &format!("{balance}\n{}", server_lines(&refs, "")));
    (LbdProcess::start(&cfg), port)
}

#[test]
fn random_with_three_draws_uses_every_server() {
    let b = three();
    let (lbd, port) = start(&b, "    balance random(3)");
    let urls: Vec<String> = (0..150)
        .map(|i| format!("http://127.0.0.1:{port}/r{i}"))
        .collect();
    let counts = count_by_server(&curl_many(&urls, &[]));
    assert!(
        counts.len() == 3 && counts.values().sum::<usize>() == 150,
        "random(3) gave {counts:?}{}",
        lbd.output_hint()
    );
}

const PATHS: [&str; 12] = [
    "/a",
    "/b",
    "/c",
    "/d",
    "/e",
    "/f",
    "/img/1.png",
    "/img/2.png",
    "/api/v1",
    "/api/v2",
    "/index.html",
    "/x/y/z",
];

/// Fetches every path three times (interleaved) and returns path -> server, asserting
/// each path always went to the same server.
fn placement(balance: &str) -> BTreeMap<&'static str, String> {
    let b = three();
    let (lbd, port) = start(&b, balance);
    let order: Vec<&str> = (0..3).flat_map(|_| PATHS).collect();
    let urls: Vec<String> = order
        .iter()
        .map(|p| format!("http://127.0.0.1:{port}{p}"))
        .collect();
    let responses = curl_many(&urls, &[]);
    let mut seen: BTreeMap<&str, String> = BTreeMap::new();
    for (path, r) in order.iter().zip(&responses) {
        let server = r.served_by();
        let first = seen.entry(path).or_insert_with(|| server.clone());
        assert_eq!(
            *first,
            server,
            "{path} moved between servers with {balance}{}",
            lbd.output_hint()
        );
    }
    seen
}

/// Asserts the placement for `hash_type` equals HAProxy's (`expected` lists the server
/// for each of [`PATHS`] in order).
fn assert_placement(hash_type: &str, expected: [&str; 12]) {
    let got = placement(&format!("    balance uri\n    hash-type {hash_type}"));
    let want: BTreeMap<&str, String> = PATHS
        .iter()
        .zip(expected)
        .map(|(p, s)| (*p, s.to_owned()))
        .collect();
    assert_eq!(got, want, "hash-type {hash_type}");
}

#[test]
fn uri_consistent_djb2_pins_paths_like_haproxy() {
    assert_placement("consistent djb2", HASH_CONSISTENT_DJB2);
}

#[test]
fn uri_consistent_wt6_pins_paths_like_haproxy() {
    assert_placement("consistent wt6", HASH_CONSISTENT_WT6);
}

#[test]
fn uri_consistent_crc32_pins_paths_like_haproxy() {
    assert_placement("consistent crc32", HASH_CONSISTENT_CRC32);
}

#[test]
fn uri_map_based_pins_paths_like_haproxy() {
    assert_placement("map-based", HASH_MAP_BASED);
}

#[test]
fn uri_consistent_sdbm_pins_paths_like_haproxy() {
    assert_placement("consistent sdbm", HASH_CONSISTENT_SDBM);
}

#[test]
fn uri_map_based_djb2_avalanche_pins_paths_like_haproxy() {
    assert_placement("map-based djb2 avalanche", HASH_MAP_BASED_DJB2_AVALANCHE);
}

const USERS: [&str; 8] = [
    "alice", "bob", "carol", "dave", "eve", "mallory", "oscar", "trent",
];

#[test]
fn hdr_places_each_user_like_haproxy() {
    let b = three();
    let (lbd, port) = start(&b, "    balance hdr(x-user)");
    let mut got = Vec::new();
    for user in USERS {
        let header = format!("x-user: {user}");
        let urls: Vec<String> = (0..3)
            .map(|i| format!("http://127.0.0.1:{port}/r{i}"))
            .collect();
        let servers: Vec<String> = curl_many(&urls, &["-H", &header])
            .iter()
            .map(|r| r.served_by())
            .collect();
        assert!(
            servers.iter().all(|s| *s == servers[0]),
            "{user} moved: {servers:?}{}",
            lbd.output_hint()
        );
        got.push(servers[0].clone());
    }
    assert_eq!(got, HDR_USERS, "placement of {USERS:?}");
}

#[test]
fn hdr_without_the_header_falls_back_to_round_robin() {
    let b = three();
    let (lbd, port) = start(&b, "    balance hdr(x-user)");
    let urls: Vec<String> = (0..9)
        .map(|i| format!("http://127.0.0.1:{port}/r{i}"))
        .collect();
    let order: Vec<String> = curl_many(&urls, &[])
        .iter()
        .map(|r| r.served_by())
        .collect();
    // Round robin: each server in turn, three full cycles.
    let cycle = &order[..3];
    let mut sorted = cycle.to_vec();
    sorted.sort();
    assert_eq!(sorted, ["s1", "s2", "s3"], "{order:?}{}", lbd.output_hint());
    assert!(
        order.chunks(3).all(|c| c == cycle),
        "not round robin: {order:?}"
    );
    // With the header, one user sticks to one server.
    let pinned = curl_many(&urls, &["-H", "x-user: alice"]);
    let servers: std::collections::BTreeSet<String> =
        pinned.iter().map(|r| r.served_by()).collect();
    assert_eq!(servers.len(), 1, "x-user: alice spread over {servers:?}");
}

// Recorded from HAProxy 2.6.12 (servers s1, s2, s3 of weight 1, ids 1..3).
const HASH_CONSISTENT_DJB2: [&str; 12] = [
    "s3", "s3", "s3", "s3", "s3", "s3", "s2", "s2", "s3", "s3", "s1", "s2",
];
const HASH_CONSISTENT_WT6: [&str; 12] = [
    "s3", "s3", "s1", "s1", "s1", "s1", "s1", "s3", "s1", "s1", "s2", "s2",
];
const HASH_CONSISTENT_CRC32: [&str; 12] = [
    "s2", "s2", "s2", "s2", "s3", "s2", "s3", "s2", "s3", "s1", "s3", "s3",
];
const HASH_MAP_BASED: [&str; 12] = [
    "s1", "s2", "s3", "s1", "s2", "s3", "s3", "s3", "s2", "s3", "s1", "s2",
];
const HASH_CONSISTENT_SDBM: [&str; 12] = [
    "s3", "s3", "s3", "s3", "s3", "s3", "s1", "s1", "s2", "s2", "s2", "s2",
];
const HASH_MAP_BASED_DJB2_AVALANCHE: [&str; 12] = [
    "s2", "s3", "s1", "s1", "s3", "s3", "s1", "s2", "s3", "s1", "s1", "s2",
];
const HDR_USERS: [&str; 8] = ["s3", "s3", "s2", "s1", "s1", "s1", "s3", "s2"];
