//! Behaviour of every algorithm over realistic server sets, checked by
//! simulation with fixed-seed random keys.

use std::net::{IpAddr, Ipv4Addr};

use super::*;
use crate::config::model::{Balance, HashFunction, HashMethod, HashType};

/// Loads and maxconns of a simulated backend.
struct Sim {
    load: Vec<u32>,
    maxconn: Vec<Option<u32>>,
}

impl Sim {
    fn idle(n: usize) -> Sim {
        Sim {
            load: vec![0; n],
            maxconn: vec![None; n],
        }
    }
}

impl LoadView for Sim {
    fn load(&self, idx: usize) -> u32 {
        self.load[idx]
    }
    fn saturated(&self, idx: usize) -> bool {
        self.maxconn[idx].is_some_and(|m| self.load[idx] >= m)
    }
}

fn srv(id: u32, weight: u32) -> LbServer {
    LbServer {
        id,
        weight,
        backup: false,
        usable: true,
    }
}

fn backup(id: u32, weight: u32) -> LbServer {
    LbServer {
        backup: true,
        ..srv(id, weight)
    }
}

fn map_based() -> HashType {
    HashType::default()
}

/// `hash-type consistent` as the parser records it: sdbm with avalanche.
fn consistent() -> HashType {
    HashType {
        method: HashMethod::Consistent,
        function: HashFunction::Sdbm,
        avalanche: true,
    }
}

fn all_algorithms() -> Vec<Balance> {
    vec![
        Balance::RoundRobin,
        Balance::StaticRr,
        Balance::LeastConn,
        Balance::First,
        Balance::Source,
        Balance::Uri {
            whole: false,
            len: None,
            depth: None,
            path_only: false,
        },
        Balance::UrlParam {
            name: "u".into(),
            check_post: false,
        },
        Balance::Hdr {
            name: "host".into(),
            use_domain_only: false,
        },
        Balance::Random { draws: 2 },
        Balance::Hash {
            expr: "req.cookie(id)".into(),
        },
    ]
}

/// Counts picks per server with idle servers and a fresh random key each time.
fn tally(b: &Balancer, n: usize, picks: usize, rng: &mut fastrand::Rng) -> Vec<usize> {
    let view = Sim::idle(n);
    let mut counts = vec![0; n];
    for _ in 0..picks {
        let key = rng.u64(..).to_le_bytes();
        if let Some(i) = b.pick(LbInput::Key(&key), &view, None) {
            counts[i] += 1;
        }
    }
    counts
}

/// Each server's share is within `tolerance` (relative) of its weight share.
fn assert_weighted(counts: &[usize], weights: &[u32], tolerance: f64) {
    let total: usize = counts.iter().sum();
    let wsum: u32 = weights.iter().sum();
    for (i, (&c, &w)) in counts.iter().zip(weights).enumerate() {
        let want = f64::from(w) / f64::from(wsum);
        let got = c as f64 / total as f64;
        assert!(
            (got - want).abs() <= want * tolerance,
            "server {i}: share {got:.4}, weight share {want:.4}; counts {counts:?}"
        );
    }
}

#[test]
fn round_robin_and_static_rr_honour_weights_exactly() {
    let weights = [1, 2, 3, 10, 50, 256];
    let servers: Vec<_> = weights
        .iter()
        .enumerate()
        .map(|(i, &w)| srv(i as u32 + 1, w))
        .collect();
    let mut rng = fastrand::Rng::with_seed(1);
    for algo in [Balance::RoundRobin, Balance::StaticRr] {
        let b = Balancer::new(&algo, map_based(), &servers, false);
        let period: u32 = weights.iter().sum();
        let counts = tally(&b, servers.len(), period as usize * 50, &mut rng);
        let want: Vec<usize> = weights.iter().map(|&w| w as usize * 50).collect();
        assert_eq!(counts, want, "{algo:?}");
    }
}

#[test]
fn round_robin_never_bursts_the_heavy_server() {
    let servers = [srv(1, 5), srv(2, 1), srv(3, 1)];
    let b = Balancer::new(&Balance::RoundRobin, map_based(), &servers, false);
    let view = Sim::idle(3);
    let seq: Vec<_> = (0..700)
        .map(|_| b.pick(LbInput::None, &view, None))
        .collect();
    let longest = seq
        .split(|&s| s != Some(0))
        .map(<[_]>::len)
        .max()
        .unwrap_or(0);
    assert!(longest < 5, "server 1 got {longest} picks in a row");
    assert_eq!(seq.iter().filter(|&&s| s == Some(0)).count(), 500);
}

#[test]
fn round_robin_skips_saturated_servers() {
    let servers = [srv(1, 1), srv(2, 1), srv(3, 1)];
    let b = Balancer::new(&Balance::RoundRobin, map_based(), &servers, false);
    let view = Sim {
        load: vec![1, 0, 0],
        maxconn: vec![Some(1), None, None],
    };
    for _ in 0..30 {
        assert_ne!(b.pick(LbInput::None, &view, None), Some(0));
    }
    let full = Sim {
        load: vec![1; 3],
        maxconn: vec![Some(1); 3],
    };
    assert_eq!(b.pick(LbInput::None, &full, None), None);
    assert!(b.has_servers(), "all busy is not the same as no server");
}

#[test]
fn round_robin_finds_a_light_server_behind_a_heavy_saturated_one() {
    // 256:1 puts long runs of server 0 in the schedule.
    let servers = [srv(1, 256), srv(2, 1)];
    let b = Balancer::new(&Balance::RoundRobin, map_based(), &servers, false);
    let view = Sim {
        load: vec![5, 0],
        maxconn: vec![Some(5), None],
    };
    for _ in 0..300 {
        assert_eq!(b.pick(LbInput::None, &view, None), Some(1));
    }
}

#[test]
fn leastconn_prefers_the_least_loaded_with_weights() {
    let servers = [srv(1, 1), srv(2, 1), srv(3, 1)];
    let b = Balancer::new(&Balance::LeastConn, map_based(), &servers, false);
    let view = Sim {
        load: vec![5, 2, 7],
        maxconn: vec![None; 3],
    };
    for _ in 0..10 {
        assert_eq!(b.pick(LbInput::None, &view, None), Some(1));
    }
    // Per unit of weight: 4 conns on weight 3 beat 2 conns on weight 1.
    let servers = [srv(1, 3), srv(2, 1)];
    let b = Balancer::new(&Balance::LeastConn, map_based(), &servers, false);
    let view = Sim {
        load: vec![4, 2],
        maxconn: vec![None; 2],
    };
    assert_eq!(b.pick(LbInput::None, &view, None), Some(0));
}

#[test]
fn leastconn_rotates_among_ties_and_balances_a_simulation() {
    let servers = [srv(1, 1), srv(2, 1), srv(3, 1)];
    let b = Balancer::new(&Balance::LeastConn, map_based(), &servers, false);
    let view = Sim::idle(3);
    let mut seen: Vec<_> = (0..3)
        .filter_map(|_| b.pick(LbInput::None, &view, None))
        .collect();
    seen.sort_unstable();
    assert_eq!(seen, vec![0, 1, 2]);

    // Long-lived connections that never close: loads stay level per weight.
    let servers = [srv(1, 1), srv(2, 2), srv(3, 4)];
    let b = Balancer::new(&Balance::LeastConn, map_based(), &servers, false);
    let mut sim = Sim::idle(3);
    for _ in 0..700 {
        if let Some(i) = b.pick(LbInput::None, &sim, None) {
            sim.load[i] += 1;
        }
    }
    assert_weighted(
        &sim.load.iter().map(|&l| l as usize).collect::<Vec<_>>(),
        &[1, 2, 4],
        0.02,
    );
}

#[test]
fn first_fills_servers_in_id_order() {
    // Declared out of id order: id 1 is index 1.
    let servers = [srv(3, 1), srv(1, 1), srv(2, 50)];
    let b = Balancer::new(&Balance::First, map_based(), &servers, false);
    let mut sim = Sim {
        load: vec![0; 3],
        maxconn: vec![Some(2); 3],
    };
    let mut order = Vec::new();
    while let Some(i) = b.pick(LbInput::None, &sim, None) {
        sim.load[i] += 1;
        order.push(i);
    }
    assert_eq!(order, vec![1, 1, 2, 2, 0, 0]);
    // A freed slot on the lowest id is reused first.
    sim.load[1] -= 1;
    assert_eq!(b.pick(LbInput::None, &sim, None), Some(1));
}

#[test]
fn map_based_hash_honours_weights_with_uniform_keys() {
    let weights = [1, 2, 3, 4];
    let servers: Vec<_> = weights
        .iter()
        .enumerate()
        .map(|(i, &w)| srv(i as u32 + 1, w))
        .collect();
    let mut rng = fastrand::Rng::with_seed(7);
    for function in [
        HashFunction::Sdbm,
        HashFunction::Djb2,
        HashFunction::Wt6,
        HashFunction::Crc32,
    ] {
        let ht = HashType {
            method: HashMethod::MapBased,
            function,
            avalanche: true,
        };
        let b = Balancer::new(&Balance::Hash { expr: "src".into() }, ht, &servers, false);
        let counts = tally(&b, servers.len(), 400_000, &mut rng);
        assert_weighted(&counts, &weights, 0.01);
    }
}

#[test]
fn random_honours_weights_with_equal_load() {
    fastrand::seed(11);
    let weights = [1, 3, 6];
    let servers: Vec<_> = weights
        .iter()
        .enumerate()
        .map(|(i, &w)| srv(i as u32 + 1, w))
        .collect();
    let b = Balancer::new(&Balance::Random { draws: 2 }, map_based(), &servers, false);
    let counts = tally(&b, 3, 400_000, &mut fastrand::Rng::with_seed(0));
    assert_weighted(&counts, &weights, 0.01);
}

/// Keys whose server changed between two balancers, out of `keys`.
fn moved(
    before: &Balancer,
    after: &Balancer,
    n: usize,
    keys: usize,
) -> (usize, Vec<(usize, usize)>) {
    let view = Sim::idle(n);
    let mut rng = fastrand::Rng::with_seed(3);
    let mut changes = Vec::new();
    for _ in 0..keys {
        let key = format!("/item/{}", rng.u64(..));
        let a = before.pick(LbInput::Key(key.as_bytes()), &view, None);
        let b = after.pick(LbInput::Key(key.as_bytes()), &view, None);
        if let (Some(a), Some(b)) = (a, b) {
            if a != b {
                changes.push((a, b));
            }
        }
    }
    (changes.len(), changes)
}

#[test]
fn consistent_hashing_moves_about_one_nth_of_keys_on_growth() {
    let uri = Balance::Uri {
        whole: false,
        len: None,
        depth: None,
        path_only: false,
    };
    let ten: Vec<_> = (1..=10).map(|id| srv(id, 1)).collect();
    let mut eleven = ten.clone();
    eleven.push(srv(11, 1));
    let keys = 20_000;

    let before = Balancer::new(&uri, consistent(), &ten, false);
    let after = Balancer::new(&uri, consistent(), &eleven, false);
    let (n, changes) = moved(&before, &after, 11, keys);
    let frac = n as f64 / keys as f64;
    assert!(
        (0.04..0.16).contains(&frac),
        "consistent moved {frac:.3}, expected ~1/11"
    );
    assert!(
        changes.iter().all(|&(_, to)| to == 10),
        "keys only move to the new server"
    );

    let before = Balancer::new(&uri, map_based(), &ten, false);
    let after = Balancer::new(&uri, map_based(), &eleven, false);
    let (n, _) = moved(&before, &after, 11, keys);
    assert!(
        n as f64 / keys as f64 > 0.5,
        "map-based should reshuffle most keys"
    );
}

#[test]
fn consistent_hashing_only_remaps_a_failed_servers_keys() {
    let servers: Vec<_> = (1..=5).map(|id| srv(id, 2)).collect();
    let mut down = servers.clone();
    down[2].usable = false;
    let algo = Balance::Hdr {
        name: "x-user".into(),
        use_domain_only: false,
    };
    let before = Balancer::new(&algo, consistent(), &servers, false);
    let after = Balancer::new(&algo, consistent(), &down, false);
    let (_, changes) = moved(&before, &after, 5, 10_000);
    assert!(!changes.is_empty());
    assert!(changes.iter().all(|&(from, to)| from == 2 && to != 2));
}

#[test]
fn random_two_choices_beats_one_in_balls_into_bins() {
    fastrand::seed(5);
    let servers: Vec<_> = (1..=20).map(|id| srv(id, 1)).collect();
    let max_load = |draws| {
        let b = Balancer::new(&Balance::Random { draws }, map_based(), &servers, false);
        let mut sim = Sim::idle(20);
        for _ in 0..2000 {
            if let Some(i) = b.pick(LbInput::None, &sim, None) {
                sim.load[i] += 1;
            }
        }
        sim.load.iter().copied().max().unwrap_or(0)
    };
    let one = max_load(1);
    let two = max_load(2);
    assert!(two < one, "random(2) max {two} vs random(1) max {one}");
    assert!(
        two <= 110,
        "two choices should stay near the mean of 100, got {two}"
    );
}

#[test]
fn random_returns_none_when_the_winner_is_saturated() {
    fastrand::seed(2);
    let b = Balancer::new(
        &Balance::Random { draws: 2 },
        map_based(),
        &[srv(1, 1)],
        false,
    );
    let full = Sim {
        load: vec![3],
        maxconn: vec![Some(3)],
    };
    assert_eq!(b.pick(LbInput::None, &full, None), None);
}

#[test]
fn backups_take_over_only_when_no_active_server_is_usable() {
    let mut servers = vec![srv(1, 1), srv(2, 1), backup(3, 1), backup(4, 1)];
    let mut rng = fastrand::Rng::with_seed(9);
    for algo in all_algorithms() {
        fastrand::seed(4);
        let b = Balancer::new(&algo, map_based(), &servers, false);
        let c = tally(&b, 4, 400, &mut rng);
        assert_eq!(
            c[2] + c[3],
            0,
            "{algo:?} used a backup while actives are up"
        );
    }
    servers[0].usable = false;
    servers[1].weight = 0; // weight 0 counts as unusable for takeover, as HAProxy
    for algo in all_algorithms() {
        fastrand::seed(4);
        let b = Balancer::new(&algo, map_based(), &servers, false);
        assert_eq!(
            tally(&b, 4, 400, &mut rng),
            vec![0, 0, 400, 0],
            "{algo:?}: first backup only"
        );
        let all = Balancer::new(&algo, map_based(), &servers, true);
        let c = tally(&all, 4, 400, &mut rng);
        if matches!(algo, Balance::First) {
            assert_eq!(c, vec![0, 0, 400, 0], "first: lowest backup id with room");
        } else {
            assert!(
                c[2] > 0 && c[3] > 0 && c[0] + c[1] == 0,
                "{algo:?} with allbackups: {c:?}"
            );
        }
    }
}

#[test]
fn first_backup_is_the_first_declared() {
    let servers = [srv(1, 1), backup(9, 1), backup(3, 1)];
    let mut down = servers;
    down[0].usable = false;
    let b = Balancer::new(&Balance::RoundRobin, map_based(), &down, false);
    assert_eq!(b.pick(LbInput::None, &Sim::idle(3), None), Some(1));
}

#[test]
fn unusable_and_weight_zero_servers_never_get_traffic() {
    let servers = [
        srv(1, 1),
        LbServer {
            usable: false,
            ..srv(2, 5)
        },
        srv(3, 0),
        srv(4, 3),
        LbServer {
            usable: false,
            ..backup(5, 1)
        },
    ];
    let mut rng = fastrand::Rng::with_seed(12);
    for algo in all_algorithms() {
        for ht in [map_based(), consistent()] {
            fastrand::seed(8);
            let b = Balancer::new(&algo, ht, &servers, true);
            let c = tally(&b, 5, 2000, &mut rng);
            assert_eq!((c[1], c[2], c[4]), (0, 0, 0), "{algo:?} {ht:?}: {c:?}");
            if !matches!(algo, Balance::First) {
                assert!(c[0] > 0 && c[3] > 0, "{algo:?} {ht:?}: {c:?}");
            }
        }
    }
    let none = [
        LbServer {
            usable: false,
            ..srv(1, 1)
        },
        srv(2, 0),
    ];
    for algo in all_algorithms() {
        let b = Balancer::new(&algo, consistent(), &none, true);
        assert!(!b.has_servers());
        assert_eq!(
            b.pick(LbInput::Key(b"k"), &Sim::idle(2), None),
            None,
            "{algo:?}"
        );
    }
}

#[test]
fn exclude_is_avoided_when_another_server_exists() {
    let servers = [srv(1, 1), srv(2, 1), srv(3, 1)];
    let mut rng = fastrand::Rng::with_seed(21);
    for algo in all_algorithms() {
        for ht in [map_based(), consistent()] {
            fastrand::seed(6);
            let b = Balancer::new(&algo, ht, &servers, false);
            let view = Sim::idle(3);
            for _ in 0..300 {
                let key = rng.u64(..).to_le_bytes();
                let first = b.pick(LbInput::Key(&key), &view, None);
                let retry = b.pick(LbInput::Key(&key), &view, first);
                assert!(retry.is_some() && retry != first, "{algo:?} {ht:?}");
            }
        }
        let single = Balancer::new(&algo, map_based(), &[srv(1, 1)], false);
        assert_eq!(
            single.pick(LbInput::Key(b"k"), &Sim::idle(1), Some(0)),
            Some(0),
            "{algo:?}"
        );
    }
}

#[test]
fn hash_keys_are_sticky_and_absent_keys_fall_back_to_round_robin() {
    let servers: Vec<_> = (1..=4).map(|id| srv(id, 1)).collect();
    let view = Sim::idle(4);
    let algos = [
        Balance::UrlParam {
            name: "u".into(),
            check_post: false,
        },
        Balance::Hdr {
            name: "host".into(),
            use_domain_only: true,
        },
        Balance::Hash {
            expr: "req.cookie(id)".into(),
        },
        Balance::Source,
    ];
    for algo in algos {
        for ht in [map_based(), consistent()] {
            let b = Balancer::new(&algo, ht, &servers, false);
            let first = b.pick(LbInput::Key(b"alice"), &view, None);
            for _ in 0..20 {
                assert_eq!(
                    b.pick(LbInput::Key(b"alice"), &view, None),
                    first,
                    "{algo:?} {ht:?}"
                );
            }
            let mut fallback: Vec<_> = (0..4)
                .filter_map(|_| b.pick(LbInput::None, &view, None))
                .collect();
            fallback.sort_unstable();
            assert_eq!(
                fallback,
                vec![0, 1, 2, 3],
                "{algo:?} {ht:?}: absent key round robins"
            );
        }
    }
    // An empty header is absent; an empty url_param value is a key.
    let hdr = Balancer::new(
        &Balance::Hdr {
            name: "h".into(),
            use_domain_only: false,
        },
        map_based(),
        &servers,
        false,
    );
    let mut picks: Vec<_> = (0..4)
        .filter_map(|_| hdr.pick(LbInput::Key(b""), &view, None))
        .collect();
    picks.sort_unstable();
    assert_eq!(picks, vec![0, 1, 2, 3]);
    let param = Balancer::new(
        &Balance::UrlParam {
            name: "u".into(),
            check_post: false,
        },
        map_based(),
        &servers,
        false,
    );
    let p = param.pick(LbInput::Key(b""), &view, None);
    assert!((0..4).all(|_| param.pick(LbInput::Key(b""), &view, None) == p));
}

#[test]
fn source_hash_uses_the_folded_address_like_haproxy() {
    // Map-based, 3 equal servers, no avalanche: HAProxy picks map[ip % 3]
    // with the map s1,s2,s3.
    let servers: Vec<_> = (1..=3).map(|id| srv(id, 1)).collect();
    let b = Balancer::new(&Balance::Source, map_based(), &servers, false);
    let view = Sim::idle(3);
    for last in 0..30u8 {
        let ip = IpAddr::V4(Ipv4Addr::new(10, 0, 0, last));
        let k = key::source_ip_bytes(ip);
        let want = (u32::from_be_bytes([10, 0, 0, last]) % 3) as usize;
        assert_eq!(b.pick(LbInput::Key(k.as_bytes()), &view, None), Some(want));
    }
}

#[test]
fn key_need_follows_the_algorithm() {
    let b = Balancer::new(&Balance::Source, map_based(), &[], false);
    assert_eq!(b.key_need(), &KeyNeed::SourceIp);
    let b = Balancer::new(
        &Balance::Hash {
            expr: "req.cookie(id)".into(),
        },
        map_based(),
        &[],
        false,
    );
    assert_eq!(b.key_need(), &KeyNeed::Expr("req.cookie(id)".into()));
    let b = Balancer::new(&Balance::LeastConn, map_based(), &[], false);
    assert_eq!(b.key_need(), &KeyNeed::None);
}

#[test]
fn balancer_is_shareable_between_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Balancer>();
}

/// Captured from HAProxy 2.6.12: `balance uri` with `hash-type consistent`
/// over s1..s3 weighted 1,2,3, and map-based over three equal servers, for
/// GET /k0../k39 (and /m/k0../m/k39). Ids and weights equal, the same key
/// reaches the same server on lbd and HAProxy.
#[test]
fn uri_hashing_places_keys_like_haproxy() {
    let uri = Balance::Uri {
        whole: false,
        len: None,
        depth: None,
        path_only: false,
    };
    let view = Sim::idle(3);
    let cons = Balancer::new(
        &uri,
        consistent(),
        &[srv(1, 1), srv(2, 2), srv(3, 3)],
        false,
    );
    let map = Balancer::new(&uri, map_based(), &[srv(1, 1), srv(2, 1), srv(3, 1)], false);
    let run = |b: &Balancer, prefix: &str| -> String {
        (0..40)
            .map(|i| {
                let k = format!("{prefix}/k{i}");
                match b.pick(LbInput::Key(k.as_bytes()), &view, None) {
                    Some(idx) => char::from(b'0' + idx as u8),
                    None => '-',
                }
            })
            .collect()
    };
    assert_eq!(run(&cons, ""), "0212211211212110221121122022112211212102");
    assert_eq!(run(&map, "/m"), "0120120120120120120120120120120120120120");
}
