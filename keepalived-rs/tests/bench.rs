//! Failover-time table (issue 9 "Performance"): the backup under test is keepalived-rs
//! or keepalived 2.2.7; the master (keepalived-rs, prio 150) is SIGKILLed N times and the
//! takeover is read from wire timestamps: backup's first advert − master's last advert,
//! against the formula Master_Down_Interval = 3·A + (256 − 100)·A/256 (v2: skew in s).
//!
//! Ignored by default (minutes of wall time): `cargo test -p keepalived-rs --test bench
//! -- --ignored --nocapture`; `VRRP_BENCH_ROUNDS` (default 10).

mod lab;

use std::time::Duration;

use lab::{conf, epoch, Capture, Lab};

const VIP: &str = "10.99.0.100";

struct Row {
    label: String,
    formula_ms: f64,
    samples: Vec<f64>,
    spurious: usize,
}

fn measure(version: u8, advert: &str, a_ms: f64, backup_is_rs: bool, rounds: usize) -> Option<Row> {
    let lab = Lab::new(2);
    let cap = Capture::start(&lab)?;
    let master_conf = conf(version, 150, advert, "");
    let backup_conf = conf(version, 100, advert, "");
    let _backup = if backup_is_rs {
        lab.start_rs(1, &backup_conf)
    } else {
        lab.start_ka(1, &backup_conf)
    };
    let a = Duration::from_secs_f64(a_ms / 1000.0);
    let mut crashes = Vec::new();
    let mut master = lab.start_rs(0, &master_conf);
    let mut stable_windows = Vec::new();
    for _ in 0..rounds {
        master.wait_ready();
        let only_master = || lab.has_vip(0, VIP) && !lab.has_vip(1, VIP);
        lab.wait(Duration::from_secs(10), only_master)?;
        let s0 = epoch();
        lab.holds(a * 3 + Duration::from_millis(300), only_master);
        stable_windows.push((s0, epoch()));
        crashes.push(epoch());
        master.crash();
        lab.wait(Duration::from_secs(10), || lab.has_vip(1, VIP))?;
        std::thread::sleep(a);
        master = lab.start_rs(0, &master_conf);
    }
    std::thread::sleep(Duration::from_millis(50));
    let frames = cap.frames();
    let adverts = |src: &str| -> Vec<f64> {
        frames
            .iter()
            .filter(|f| f.text.contains(&format!("{src} > 224.0.0.18")) && f.text.contains("prio"))
            .map(|f| f.t)
            .collect()
    };
    let m = adverts("10.99.0.11");
    let b = adverts("10.99.0.12");
    let samples = crashes
        .iter()
        .filter_map(|&tc| {
            let last = m
                .iter()
                .copied()
                .filter(|&t| t < tc)
                .fold(f64::NAN, f64::max);
            let first = b.iter().copied().find(|&t| t > tc)?;
            Some((first - last) * 1000.0)
        })
        .collect();
    let spurious = stable_windows
        .iter()
        .map(|&(s, e)| b.iter().filter(|&&t| t > s && t < e).count())
        .sum();
    let skew = if version == 2 {
        156.0 / 256.0 * 1000.0
    } else {
        156.0 * a_ms / 256.0
    };
    let who = if backup_is_rs {
        "keepalived-rs"
    } else {
        "keepalived"
    };
    Some(Row {
        label: format!("v{version} A={advert}s backup={who}"),
        formula_ms: 3.0 * a_ms + skew,
        samples,
        spurious,
    })
}

#[test]
#[ignore]
fn failover_table() {
    if !lab::available(true) {
        return;
    }
    let rounds = std::env::var("VRRP_BENCH_ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(10);
    let mut rows = Vec::new();
    for (version, advert, a_ms) in [
        (2u8, "1", 1000.0),
        (3, "0.1", 100.0),
        (3, "0.05", 50.0),
        (3, "0.01", 10.0),
    ] {
        for rs in [true, false] {
            if let Some(r) = measure(version, advert, a_ms, rs, rounds) {
                rows.push(r);
            }
        }
    }
    println!(
        "| case | formula ms | mean ms | worst ms | n | adverts from backup while master stable |"
    );
    println!("|---|---|---|---|---|---|");
    for r in &rows {
        let n = r.samples.len().max(1) as f64;
        let mean = r.samples.iter().sum::<f64>() / n;
        let worst = r.samples.iter().copied().fold(0.0, f64::max);
        println!(
            "| {} | {:.1} | {:.1} | {:.1} | {} | {} |",
            r.label,
            r.formula_ms,
            mean,
            worst,
            r.samples.len(),
            r.spurious
        );
    }
    assert!(!rows.is_empty());
}

/// S14 / issue "never a false failover during a 60 s run at 10 ms with the other core
/// busy": a prio-150 master and a prio-100 backup at A = 10 ms while a thread spins;
/// the backup must never advertise. `VRRP_SOAK_SECS` (default 60).
#[test]
#[ignore]
fn no_false_failover_at_10ms_under_load() {
    if !lab::available(true) {
        return;
    }
    let secs = std::env::var("VRRP_SOAK_SECS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(60);
    let mut results = Vec::new();
    for backup_is_rs in [true, false] {
        let lab = Lab::new(2);
        let Some(cap) = Capture::start(&lab) else {
            return;
        };
        let master = lab.start_rs(0, &conf(3, 150, "0.01", ""));
        master.wait_ready();
        lab.wait(Duration::from_secs(3), || lab.has_vip(0, VIP));
        let backup_conf = conf(3, 100, "0.01", "");
        let backup = if backup_is_rs {
            lab.start_rs(1, &backup_conf)
        } else {
            lab.start_ka(1, &backup_conf)
        };
        backup.wait_ready();
        std::thread::sleep(Duration::from_millis(500));
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let spin = {
            let stop = stop.clone();
            std::thread::spawn(move || {
                let mut x = 0u64;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    x = x.wrapping_mul(6364136223846793005).wrapping_add(1);
                }
                x
            })
        };
        let t0 = epoch();
        std::thread::sleep(Duration::from_secs(secs));
        let t1 = epoch();
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        let _ = spin.join();
        let frames = cap.frames();
        let in_window = |f: &&lab::Frame| f.t > t0 && f.t < t1;
        let from_backup = frames
            .iter()
            .filter(in_window)
            .filter(|f| f.text.contains("10.99.0.12 > 224.0.0.18"))
            .count();
        let from_master = frames
            .iter()
            .filter(in_window)
            .filter(|f| f.text.contains("10.99.0.11 > 224.0.0.18"))
            .count();
        let who = if backup_is_rs {
            "keepalived-rs"
        } else {
            "keepalived"
        };
        println!(
            "{secs} s at 10 ms, backup={who}: master adverts {from_master} (expected {}), backup adverts {from_backup}",
            secs * 100
        );
        results.push((who, from_backup));
    }
    // Meaningful on a quiet box only (the condition: one core busy, nothing else).
    for (who, n) in results {
        assert_eq!(n, 0, "backup {who} took over falsely");
    }
}
