//! Behaviour of whole tables: eviction, expiry, references, rates through
//! handles, concurrency, and the registry's carry-over on reload.

use super::*;
use crate::config::model::Location;
use std::net::Ipv4Addr;
use std::sync::Arc;

fn def(size: u32, expire: Option<u32>, store: &[(DataType, u32)]) -> StickTableDef {
    let mut store: Vec<StoreSpec> = store
        .iter()
        .map(|&(data, period_ms)| StoreSpec {
            data,
            period_ms,
            nbelem: 1,
        })
        .collect();
    store.sort_by_key(|s| s.data);
    StickTableDef {
        name: "t".into(),
        key_type: KeyType::Ip,
        key_size: 4,
        size,
        expire_ms: expire,
        nopurge: false,
        peers: None,
        srvkey: SrvKey::Name,
        store,
        location: Location::default(),
    }
}

fn ip(n: u8) -> StickKey {
    StickKey::Ip(Ipv4Addr::new(10, 0, 0, n))
}

fn table(d: StickTableDef) -> Arc<StickTable> {
    Arc::new(StickTable::new(d))
}

#[test]
fn a_full_table_evicts_the_least_recently_touched_entry() {
    let t = table(def(3, None, &[(DataType::Gpc0, 0)]));
    for (n, now) in [(1, 100), (2, 200), (3, 300)] {
        assert!(t.set(&ip(n), &[(DataType::Gpc0, 1)], now));
    }
    // Touching 1 makes 2 the oldest.
    assert!(t.set(&ip(1), &[(DataType::Gpc0, 2)], 400));
    assert!(t.set(&ip(4), &[], 500));
    assert_eq!(t.len(), 3);
    assert_eq!(t.get(&ip(2), DataType::Gpc0, 500), None);
    assert_eq!(t.get(&ip(1), DataType::Gpc0, 500), Some(2));
    assert!(t.get(&ip(4), DataType::Gpc0, 500).is_some());
}

#[test]
fn a_tracked_entry_is_never_evicted_and_a_table_of_tracked_entries_refuses() {
    let t = table(def(2, None, &[(DataType::ConnCur, 0)]));
    let a = t.track(&ip(1), 10);
    let b = t.track(&ip(2), 20);
    assert!(a.is_some() && b.is_some());
    assert!(t.track(&ip(3), 30).is_none(), "nothing evictable");
    drop(b);
    // Now 2 is free: 3 takes its place, 1 stays.
    let c = t.track(&ip(3), 40);
    assert!(c.is_some());
    assert!(t.lookup(&ip(1), 40).is_some());
    assert!(t.lookup(&ip(2), 40).is_none());
}

#[test]
fn nopurge_refuses_new_keys_when_full() {
    let mut d = def(1, None, &[]);
    d.nopurge = true;
    let t = table(d);
    assert!(t.set(&ip(1), &[], 1));
    assert!(!t.set(&ip(2), &[], 2));
    assert_eq!(t.len(), 1);
}

#[test]
fn entries_expire_unless_touched_or_referenced() {
    let t = table(def(10, Some(1000), &[(DataType::Gpc0, 0)]));
    assert!(t.set(&ip(1), &[(DataType::Gpc0, 1)], 0));
    assert!(t.set(&ip(2), &[(DataType::Gpc0, 1)], 0));
    let held = t.track(&ip(2), 0);
    let e1 = t.track(&ip(3), 0);
    // An update refreshes expiry.
    if let Some(e) = e1 {
        e.inc_gpc0(900);
        e.release(900);
    }
    assert_eq!(t.purge_expired(1000), 1, "only the untouched, unheld entry");
    assert_eq!(t.get(&ip(1), DataType::Gpc0, 1000), None);
    assert_eq!(t.get(&ip(2), DataType::Gpc0, 1000), Some(1));
    assert_eq!(t.get(&ip(3), DataType::Gpc0, 1000), Some(1));
    let snap = t.snapshot(1500);
    let exp: Vec<u64> = snap.iter().map(|s| s.exp_ms).collect();
    assert_eq!(
        exp,
        vec![0, 400],
        "expired-but-held shows 0, touched shows what is left"
    );
    drop(held);
}

#[test]
fn handles_count_connections_and_give_conn_cur_back() {
    let t = table(def(
        10,
        None,
        &[
            (DataType::ConnCnt, 0),
            (DataType::ConnCur, 0),
            (DataType::ConnRate, 10_000),
            (DataType::HttpReqRate, 10_000),
            (DataType::BytesInCnt, 0),
        ],
    ));
    let a = t.track(&ip(1), 100_000);
    let b = t.track(&ip(1), 100_000);
    let (Some(a), Some(b)) = (a, b) else {
        panic!("track failed");
    };
    a.on_conn(100_000);
    a.on_conn(100_000); // once per handle
    b.on_conn(100_000);
    for _ in 0..3 {
        a.on_http_req(100_500);
    }
    a.on_bytes_in(1500, 100_500);
    assert_eq!(a.get(DataType::ConnCur, 100_500), Some(2));
    assert_eq!(a.get(DataType::ConnCnt, 100_500), Some(2));
    assert_eq!(a.get(DataType::ConnRate, 100_500), Some(2));
    assert_eq!(a.get(DataType::HttpReqRate, 100_500), Some(3));
    assert_eq!(a.get(DataType::BytesInCnt, 100_500), Some(1500));
    assert_eq!(a.get(DataType::Gpc0, 100_500), None, "not stored");
    assert_eq!(t.snapshot(100_500)[0].refs, 2);
    b.release(101_000);
    assert_eq!(a.get(DataType::ConnCur, 101_000), Some(1));
    drop(a);
    assert_eq!(t.get(&ip(1), DataType::ConnCur, 101_000), Some(0));
    assert_eq!(t.snapshot(101_000)[0].refs, 0);
}

#[test]
fn gpc0_and_its_rate_move_together() {
    let t = table(def(
        10,
        None,
        &[(DataType::Gpc0, 0), (DataType::Gpc0Rate, 1000)],
    ));
    let Some(e) = t.track(&ip(1), 50_000) else {
        panic!("track failed");
    };
    assert_eq!(e.inc_gpc0(50_000), Some(1));
    assert_eq!(e.inc_gpc0(50_100), Some(2));
    assert_eq!(e.get(DataType::Gpc0Rate, 50_100), Some(2));
    // Half a period later the past weighs half.
    assert_eq!(e.get(DataType::Gpc0Rate, 51_500), Some(1));
    assert_eq!(e.clr_gpc0(51_500), Some(2));
    assert_eq!(e.get(DataType::Gpc0, 51_500), Some(0));
}

#[test]
fn sticking_records_the_server() {
    let t = table(def(
        10,
        None,
        &[(DataType::ServerId, 0), (DataType::ServerKey, 0)],
    ));
    let Some(e) = t.track(&ip(1), 0) else {
        panic!("track failed");
    };
    e.set_server(3, Some(Arc::from("s3")), 0);
    assert_eq!(e.server_id(), Some(3));
    assert_eq!(e.server_key().as_deref(), Some("s3"));
    let line = dump::entry_line(t.def(), &t.snapshot(0)[0], 0);
    assert!(
        line.ends_with(" key=10.0.0.1 use=1 exp=0 server_id=3 server_key=s3\n"),
        "{line}"
    );
}

#[test]
fn concurrent_tracking_from_many_threads_keeps_exact_counts() {
    let t = table(def(
        1000,
        Some(60_000),
        &[(DataType::HttpReqCnt, 0), (DataType::ConnCur, 0)],
    ));
    let threads: Vec<_> = (0..8)
        .map(|_| {
            let t = t.clone();
            std::thread::spawn(move || {
                for i in 0..2000u32 {
                    let key = ip((i % 50) as u8);
                    if let Some(e) = t.track(&key, 1000) {
                        e.on_conn(1000);
                        e.on_http_req(1000);
                        e.release(1000);
                    }
                }
            })
        })
        .collect();
    for th in threads {
        assert!(th.join().is_ok());
    }
    assert_eq!(t.len(), 50);
    let total: i64 = (0..50)
        .filter_map(|n| t.get(&ip(n), DataType::HttpReqCnt, 1000))
        .sum();
    assert_eq!(total, 8 * 2000);
    assert!((0..50).all(|n| t.get(&ip(n), DataType::ConnCur, 1000) == Some(0)));
}

#[test]
fn eviction_under_contention_never_exceeds_size() {
    let t = table(def(64, None, &[(DataType::Gpc0, 0)]));
    let threads: Vec<_> = (0..4u8)
        .map(|k| {
            let t = t.clone();
            std::thread::spawn(move || {
                for i in 0..500u32 {
                    let key = StickKey::Ip(Ipv4Addr::new(10, k, (i >> 8) as u8, i as u8));
                    let _ = t.set(&key, &[(DataType::Gpc0, 1)], u64::from(i));
                }
            })
        })
        .collect();
    for th in threads {
        assert!(th.join().is_ok());
    }
    assert!(t.len() <= 64, "{}", t.len());
    assert_eq!(t.snapshot(1000).len(), t.len());
}

#[test]
fn a_reload_keeps_unchanged_tables_and_rebuilds_changed_ones() {
    let a = def(10, None, &[(DataType::Gpc0, 0)]);
    let mut b = a.clone();
    b.name = "u".into();
    let old = TableRegistry::from_defs([a.clone(), b.clone()], None);
    if let Some(t) = old.get("t") {
        assert!(t.set(&ip(1), &[(DataType::Gpc0, 7)], 0));
    }
    if let Some(t) = old.get("u") {
        assert!(t.set(&ip(1), &[(DataType::Gpc0, 7)], 0));
    }
    b.size = 20;
    let new = TableRegistry::from_defs([a, b], Some(&old));
    assert_eq!(
        new.get("t").and_then(|t| t.get(&ip(1), DataType::Gpc0, 0)),
        Some(7)
    );
    assert_eq!(new.get("u").map(|t| t.len()), Some(0));
    // `show table` lists tables newest first, as 2.6 does.
    let names: Vec<&str> = new.iter().map(|t| t.name()).collect();
    assert_eq!(names, vec!["u", "t"]);
}

#[test]
fn counter_fetches_answer_like_haproxy() {
    use crate::sample::ctx::StickCounter as C;
    use crate::sample::Sample;
    let t = table(def(
        10,
        None,
        &[(DataType::Gpc0, 0), (DataType::BytesInCnt, 0)],
    ));
    let key = sample::key_from_sample(&t, &Sample::Str(b"10.0.0.9".to_vec()));
    assert_eq!(key, Some(ip(9)));
    let Some(e) = key.and_then(|k| t.track(&k, 0)) else {
        panic!("track failed");
    };
    e.on_bytes_in(4096, 0);
    assert_eq!(
        sample::read(None, C::HttpReqRate, 0),
        Some(0),
        "nothing tracked"
    );
    assert_eq!(
        sample::read(Some(&e), C::HttpReqRate, 0),
        None,
        "not stored"
    );
    assert_eq!(sample::read(Some(&e), C::KbytesIn, 0), Some(4));
    assert_eq!(sample::inc(Some(&e), C::Gpc0, 0), Some(1));
    assert_eq!(sample::read(Some(&e), C::Trackers, 0), Some(0));
}

#[test]
fn tables_carried_to_another_process_keep_counts_rates_expiry_and_server() {
    let d = def(
        10,
        Some(60_000),
        &[
            (DataType::Gpc0, 0),
            (DataType::ConnCur, 0),
            (DataType::HttpReqRate, 10_000),
            (DataType::ServerId, 0),
            (DataType::ServerKey, 0),
        ],
    );
    let mut other = d.clone();
    other.name = "changed".into();
    let old = TableRegistry::from_defs([d.clone(), other.clone()], None);
    // The old process's clock reads 1,000,000 ms when it exports.
    let t_old = old.get("t").cloned().unwrap_or_else(|| table(d.clone()));
    let e = t_old.track(&ip(1), 990_000);
    if let Some(e) = &e {
        e.inc_gpc0(990_000);
        e.on_conn(990_000);
        e.set_server(3, Some(Arc::from("s3")), 990_000);
        for _ in 0..5 {
            e.on_http_req(996_000);
        }
    }
    if let Some(t) = old.get("changed") {
        assert!(t.set(&ip(2), &[(DataType::Gpc0, 1)], 990_000));
    }
    let text = carry::export(&old, 1_000_000);
    drop(e);
    // The new process's clock reads 5,000 ms at the same instant; its
    // "changed" table has another size.
    other.size = 20;
    let new = TableRegistry::from_defs([d, other], None);
    let got = carry::import(&new, &text, 5_000);
    assert_eq!(
        got,
        carry::Imported {
            tables: 1,
            entries: 1
        }
    );
    let t = new
        .get("t")
        .cloned()
        .unwrap_or_else(|| table(def(1, None, &[])));
    let s = t.snapshot_key(&ip(1), 5_000);
    let Some(s) = s else {
        panic!("entry not carried: {text}");
    };
    assert_eq!(s.data.gpc0, 1);
    assert_eq!(s.data.conn_cur, 0, "conn_cur stays with the old process");
    assert_eq!(s.data.server_id, 3);
    assert_eq!(s.data.server_key.as_deref(), Some("s3"));
    // 5 requests 4 s before the export, in a 10 s period: same rate here.
    assert_eq!(t.get(&ip(1), DataType::HttpReqRate, 5_000), Some(5));
    // Expiry restarted at the last touch (the tracking ended at 1,000,000).
    assert!(s.exp_ms > 50_000 && s.exp_ms <= 60_000, "{}", s.exp_ms);
    assert_eq!(new.get("changed").map(|t| t.len()), Some(0));
    // Not an export: nothing happens.
    assert_eq!(
        carry::import(&new, "Unknown command\n", 5_000),
        carry::Imported::default()
    );
    assert_eq!(
        carry::import(&new, "lbd-tables 1\n{", 5_000),
        carry::Imported::default()
    );
}

#[test]
fn a_carried_entry_does_not_replace_a_live_one_nor_overfill_the_table() {
    let d = def(2, None, &[(DataType::Gpc0, 0)]);
    let old = TableRegistry::from_defs([d.clone()], None);
    if let Some(t) = old.get("t") {
        for n in 1..=2 {
            assert!(t.set(&ip(n), &[(DataType::Gpc0, 10)], 0));
        }
    }
    let text = carry::export(&old, 0);
    let new = TableRegistry::from_defs([d], None);
    if let Some(t) = new.get("t") {
        assert!(t.set(&ip(3), &[(DataType::Gpc0, 1)], 0));
        assert!(t.set(&ip(1), &[(DataType::Gpc0, 2)], 0));
    }
    let got = carry::import(&new, &text, 0);
    assert_eq!(got.entries, 0, "full table, and ip 1 is live");
    assert_eq!(
        new.get("t").and_then(|t| t.get(&ip(1), DataType::Gpc0, 0)),
        Some(2)
    );
}
