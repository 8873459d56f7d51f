use super::*;
use crate::sample::{ParseEnv, Sample, SampleType, TestCtx};

/// A registry and a map file holding `text`; the file's directory goes when the guard drops.
fn reg_with_map(name: &str, text: &str) -> (PatternRegistry, String, tempfile::TempDir) {
    let dir = tempfile::Builder::new()
        .prefix("lbd-map-")
        .tempdir()
        .unwrap();
    let f = dir.path().join(name);
    std::fs::write(&f, text).unwrap();
    (PatternRegistry::new(), f.display().to_string(), dir)
}

fn eval(expr: &str, reg: &PatternRegistry, cx: &mut TestCtx) -> Option<Sample> {
    let env = ParseEnv {
        registry: reg,
        file: "t.cfg",
        line: 12,
    };
    crate::sample::Expr::parse(expr, &env).unwrap().eval(cx)
}

#[test]
fn maps_pick_the_longest_match_for_beg_and_ip() {
    let (reg, f, _dir) = reg_with_map(
        "paths.map",
        "/api be1\n/api/v2 be2\n  # c\n\nfoo.test be with spaces  \n",
    );
    let mut c = TestCtx::default();
    c.vars.insert(
        (crate::sample::VarScope::Txn, "p".into()),
        Sample::Str(b"/api/v2/x".to_vec()),
    );
    assert_eq!(
        eval(&format!("var(txn.p),map_beg({f})"), &reg, &mut c),
        Some(Sample::Str(b"be2".to_vec()))
    );
    assert_eq!(
        eval(&format!("str(foo.test),map({f})"), &reg, &mut c),
        Some(Sample::Str(b"be with spaces".to_vec()))
    );
    assert_eq!(eval(&format!("str(nope),map({f})"), &reg, &mut c), None);
    assert_eq!(
        eval(&format!("str(nope),map({f},dflt)"), &reg, &mut c),
        Some(Sample::Str(b"dflt".to_vec()))
    );
    let (reg2, g, _dir2) = reg_with_map("ip.map", "10.0.0.0/8 7\n10.1.0.0/16 9\n");
    c.src = "10.1.2.3:5".parse().ok();
    assert_eq!(
        eval(&format!("src,map_ip_int({g})"), &reg2, &mut c),
        Some(Sample::Sint(9))
    );
    c.src = "10.2.2.3:5".parse().ok();
    assert_eq!(
        eval(&format!("src,map_ip_int({g})"), &reg2, &mut c),
        Some(Sample::Sint(7))
    );
}

#[test]
fn runtime_changes_reach_every_user_and_versions_commit_atomically() {
    let (reg, f, _dir) = reg_with_map("hosts.map", "a.test be_a\n");
    let mut c = TestCtx::default();
    let q = |reg: &PatternRegistry, c: &mut TestCtx, k: &str| {
        eval(&format!("str({k}),map({f})"), reg, c)
    };
    assert_eq!(
        q(&reg, &mut c, "a.test"),
        Some(Sample::Str(b"be_a".to_vec()))
    );
    let r = reg.find(&f, RefKind::Map).unwrap();
    let env = ParseEnv {
        registry: &reg,
        file: "t.cfg",
        line: 12,
    };
    let e = crate::sample::Expr::parse(&format!("str(b.test),map({f})"), &env).unwrap();
    r.add(None, "b.test", Some("be_b")).unwrap();
    assert_eq!(e.eval(&mut c), Some(Sample::Str(b"be_b".to_vec())));
    assert!(r.set("b.test", "be_c").unwrap());
    assert_eq!(e.eval(&mut c), Some(Sample::Str(b"be_c".to_vec())));
    let v = r.prepare();
    assert_eq!(v, 1);
    r.add(Some(v), "n.test", Some("n")).unwrap();
    assert_eq!(
        e.eval(&mut c),
        Some(Sample::Str(b"be_c".to_vec())),
        "uncommitted"
    );
    r.commit(v).unwrap();
    assert_eq!(e.eval(&mut c), None, "only the new version remains");
    assert_eq!(r.entries(None).len(), 1);
    assert!(r.del("n.test").unwrap());
    assert!(!r.del("n.test").unwrap());
}

#[test]
fn index_methods() {
    use MatchMethod::*;
    let s = |v: &str| Sample::Str(v.as_bytes().to_vec());
    let hit = |m, icase, pats: &[&str], v: &str| {
        let e: Vec<(&str, Option<&str>)> = pats.iter().map(|p| (*p, None)).collect();
        Index::build(m, icase, &e, None)
            .unwrap()
            .lookup(&s(v))
            .map(|h| h.key.to_string())
    };
    assert_eq!(hit(Str, false, &["a", "b"], "b").as_deref(), Some("b"));
    assert_eq!(hit(Str, true, &["ABC"], "abc").as_deref(), Some("ABC"));
    assert_eq!(
        hit(End, false, &[".com", "e.com"], "www.site.com").as_deref(),
        Some(".com")
    );
    assert_eq!(
        hit(Sub, false, &["zz", "ite", "w"], "www.site.com").as_deref(),
        Some("ite")
    );
    assert_eq!(
        hit(Reg, true, &["^WWW", "x"], "www.site.com").as_deref(),
        Some("^WWW")
    );
    assert_eq!(
        hit(Dom, false, &["site"], "www.site.com").as_deref(),
        Some("site")
    );
    assert_eq!(hit(Dom, false, &["sit"], "www.site.com"), None);
    assert_eq!(
        hit(Dir, false, &["/b/c/"], "/a/b/c/d").as_deref(),
        Some("/b/c/")
    );
    assert_eq!(hit(Int, false, &["1:5", "10"], "10").as_deref(), Some("10"));
    assert_eq!(hit(Len, false, &["3"], "abc").as_deref(), Some("3"));
    assert_eq!(
        hit(Ip, false, &["::1", "127.0.0.0/8"], "::ffff:127.0.0.2").as_deref(),
        Some("127.0.0.0/8")
    );
    assert_eq!(
        hit(Ip, false, &["10.0.0.0/255.0.0.0"], "10.9.9.9").as_deref(),
        Some("10.0.0.0/255.0.0.0")
    );
    let big: Vec<String> = (0..5_000).map(|i| format!("k{i}")).collect();
    let e: Vec<(&str, Option<&str>)> = big.iter().map(|p| (p.as_str(), None)).collect();
    let idx = Index::build(Sub, false, &e, None).unwrap();
    assert!(idx.lookup(&s("xx k4999 yy")).is_some());
    let _ = SampleType::Str;
}

/// `add map`/`set map`/`del map` change each view's index in place
/// (double-buffered), so a change costs its own size, not the list's.
#[test]
fn runtime_add_on_a_large_map_is_visible_at_once() {
    let text: String = (0..10_000u32)
        .map(|i| format!("10.{}.{}.0/24 v{i}\n", i >> 8, i & 255))
        .collect();
    let (reg, f, _dir) = reg_with_map("big.map", &text);
    let mut cx = TestCtx::default();
    cx.vars.insert(
        (crate::sample::VarScope::Txn, "a".into()),
        Sample::Str(b"10.200.0.1".to_vec()),
    );
    let expr = format!("var(txn.a),map_ip({f},none)");
    let env = ParseEnv {
        registry: &reg,
        file: "t.cfg",
        line: 1,
    };
    let e = crate::sample::Expr::parse(&expr, &env).unwrap();
    assert_eq!(e.eval(&mut cx), Some(Sample::Str(b"none".to_vec())));
    let r = reg.find(&f, RefKind::Map).unwrap();
    r.add(None, "10.200.0.0/16", Some("added")).unwrap();
    assert_eq!(e.eval(&mut cx), Some(Sample::Str(b"added".to_vec())));
    assert!(r.del("10.200.0.0/16").unwrap());
    assert_eq!(e.eval(&mut cx), Some(Sample::Str(b"none".to_vec())));
}

/// Random keys for `m`, drawn from a tiny alphabet so duplicates, shared
/// prefixes and overlapping lengths are common.
fn random_key(m: MatchMethod, rng: &mut fastrand::Rng) -> String {
    match m {
        MatchMethod::Ip => format!(
            "10.{}.{}.0/{}",
            rng.u8(0..2),
            rng.u8(0..3),
            [8, 16, 24, 32][rng.usize(0..4)]
        ),
        MatchMethod::Int => match rng.u8(0..3) {
            0 => format!("{}:{}", rng.i64(0..5), rng.i64(5..10)),
            _ => rng.i64(0..10).to_string(),
        },
        _ => (0..rng.usize(1..4))
            .map(|_| ['a', 'b', '.', '/'][rng.usize(0..4)])
            .collect(),
    }
}

fn probes(m: MatchMethod, rng: &mut fastrand::Rng) -> Vec<Sample> {
    (0..40)
        .map(|_| match m {
            MatchMethod::Ip => Sample::Str(
                format!("10.{}.{}.{}", rng.u8(0..2), rng.u8(0..3), rng.u8(0..2)).into_bytes(),
            ),
            MatchMethod::Int => Sample::Sint(rng.i64(0..11)),
            _ => {
                let k: String = (0..rng.usize(0..6))
                    .map(|_| ['a', 'b', '.', '/'][rng.usize(0..4)])
                    .collect();
                Sample::Str(k.into_bytes())
            }
        })
        .collect()
}

/// Every method, case-folded or not: after each random add/set/del the
/// incrementally kept index answers every probe exactly as a fresh build of
/// the same list does (same entry, same value, first in list order).
#[test]
fn incremental_changes_answer_like_a_rebuild() {
    use MatchMethod::*;
    let mut rng = fastrand::Rng::with_seed(5);
    for (n, m) in [Str, Beg, End, Sub, Reg, Dir, Dom, Ip, Int]
        .into_iter()
        .enumerate()
    {
        for icase in [false, true] {
            let (reg, f, _dir) = reg_with_map(&format!("inc{n}{icase}.map"), "");
            let r = reg.file(&f, RefKind::Map, None, "test").unwrap();
            let mtr = r.matcher(m, icase, Some(SampleType::Str)).unwrap();
            for step in 0..150 {
                let key = random_key(m, &mut rng);
                let key = if icase && rng.bool() {
                    key.to_ascii_uppercase()
                } else {
                    key
                };
                match rng.u8(0..4) {
                    0 | 1 => r.add(None, &key, Some(&format!("v{step}"))).unwrap(),
                    2 => {
                        r.set(&key, &format!("s{step}")).unwrap();
                    }
                    _ => {
                        r.del(&key).unwrap();
                    }
                }
                let entries = r.entries(None);
                let kv: Vec<(&str, Option<&str>)> = entries
                    .iter()
                    .map(|e| (e.key.as_str(), e.value.as_deref()))
                    .collect();
                let fresh = Index::build(m, icase, &kv, Some(SampleType::Str)).unwrap();
                for p in probes(m, &mut rng) {
                    let want = fresh.lookup(&p).and_then(|h| h.value.cloned());
                    assert_eq!(
                        mtr.map_value(&p),
                        want,
                        "{m:?} icase={icase} step {step} {p:?}"
                    );
                }
            }
        }
    }
}

/// A refused entry (a bad address for an `ip` user) changes nothing, even
/// within a batch whose other entries were fine.
#[test]
fn a_refused_add_leaves_the_list_and_its_index_alone() {
    let (reg, f, _dir) = reg_with_map("refuse.map", "10.0.0.0/8 a\n");
    let r = reg.file(&f, RefKind::Map, None, "test").unwrap();
    let m = r
        .matcher(MatchMethod::Ip, false, Some(SampleType::Str))
        .unwrap();
    let batch = vec![
        ("10.1.0.0/16".to_string(), Some("b".to_string())),
        ("not-an-ip".to_string(), Some("c".to_string())),
    ];
    let e = r.add_many(None, &batch).unwrap_err();
    assert_eq!(e, "'not-an-ip' is not a valid IPv4 or IPv6 address");
    assert_eq!(r.entries(None).len(), 1);
    let ip = Sample::Str(b"10.1.2.3".to_vec());
    assert_eq!(m.map_value(&ip), Some(Sample::Str(b"a".to_vec())));
    let ints = r.matcher(MatchMethod::Ip, false, Some(SampleType::Sint));
    assert!(ints.is_err(), "'a' is no integer");
}

/// Readers on other threads never see a half-applied change while a writer
/// adds and deletes: a key that is never touched is always found, and a
/// toggled one is either absent or carries its value.
#[test]
fn lookups_during_changes_see_whole_states() {
    let (reg, f, _dir) = reg_with_map("busy.map", "keep.test kept\n");
    let r = reg.file(&f, RefKind::Map, None, "test").unwrap();
    let m = r
        .matcher(MatchMethod::Str, false, Some(SampleType::Str))
        .unwrap();
    let stop = std::sync::atomic::AtomicBool::new(false);
    std::thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| {
                let keep = Sample::Str(b"keep.test".to_vec());
                let flip = Sample::Str(b"flip.test".to_vec());
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    assert_eq!(m.map_value(&keep), Some(Sample::Str(b"kept".to_vec())));
                    let v = m.map_value(&flip);
                    assert!(v.is_none() || v == Some(Sample::Str(b"on".to_vec())));
                }
            });
        }
        for _ in 0..2_000 {
            r.add(None, "flip.test", Some("on")).unwrap();
            assert!(r.del("flip.test").unwrap());
        }
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
    });
    assert_eq!(r.entries(None).len(), 1);
}
