//! Every transition and timer of spec §2-§3 over simulated time, with the figures
//! measured against keepalived 2.2.7 (spec §7).

use super::*;
use std::net::Ipv4Addr;

fn ip(d: u8) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(10, 99, 0, d))
}

fn vip() -> IpAddr {
    ip(100)
}

fn params(prio: u8) -> Params {
    let mut p = Params::new("VI_1", 51);
    p.priority = prio;
    p.vips = vec![vip()];
    p
}

fn v3(prio: u8, cs: u16) -> Params {
    let mut p = params(prio);
    p.version = Version::V3;
    p.advert_int_cs = cs;
    p
}

fn inst(p: Params, src: u8) -> Instance {
    let mut i = Instance::new(p);
    i.set_source(Some(ip(src)));
    i
}

fn ad(version: Version, prio: u8, cs: u16) -> Advert {
    Advert {
        version,
        vrid: 51,
        priority: prio,
        interval_cs: cs,
        addrs: vec![vip()],
        auth: Auth::None,
    }
}

fn rx(a: Advert, from: u8) -> Input {
    Input::Advert {
        src: ip(from),
        ttl: 255,
        unicast: false,
        checksum: ChecksumForm::PseudoHeader,
        advert: a,
    }
}

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn has(actions: &[Action], a: &Action) -> bool {
    actions.contains(a)
}

fn non_log(actions: Vec<Action>) -> Vec<Action> {
    actions
        .into_iter()
        .filter(|a| !matches!(a, Action::Log(_)))
        .collect()
}

fn logs(actions: &[Action]) -> Vec<String> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::Log(s) => Some(s.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn lone_v2_start_becomes_master_after_3_609375_s_with_keepalived_order() {
    let t0 = Instant::now();
    let mut i = inst(params(100), 11);
    let a = non_log(i.handle(t0, Input::Start));
    assert_eq!(a[0], Action::DelVips, "leftover VIPs are cleaned at start");
    assert_eq!(i.state(), State::Backup);
    assert_eq!(i.master_down_interval(), Duration::from_micros(3_609_375));
    let due = i.next_deadline().expect("master down timer");
    assert_eq!(due - t0, Duration::from_micros(3_609_375));
    assert!(non_log(i.handle(due - Duration::from_micros(1), Input::Tick)).is_empty());
    let a = non_log(i.handle(due, Input::Tick));
    assert_eq!(
        a,
        vec![
            Action::Transition {
                from: State::Backup,
                to: State::Master
            },
            Action::SendAdvert { priority: 100 },
            Action::AddVips,
            Action::Garp { repeat: 5 },
            Action::Notify {
                kind: NotifyKind::Master,
                priority: 100
            },
        ]
    );
    // Adverts every second, a second GARP burst 5 s after becoming master, no refresh.
    let mut t = due;
    let mut garps = 0;
    for _ in 0..6 {
        let next = i.next_deadline().expect("adver timer");
        assert!(next - t <= Duration::from_secs(1));
        t = next;
        let a = i.handle(t, Input::Tick);
        if has(&a, &Action::Garp { repeat: 5 }) {
            garps += 1;
            assert_eq!(t - due, Duration::from_secs(5));
        }
    }
    assert_eq!(garps, 1);
}

#[test]
fn owner_255_with_state_master_starts_master_at_once() {
    let t0 = Instant::now();
    let mut p = params(255);
    p.start_master = true;
    let mut i = inst(p, 11);
    let a = i.handle(t0, Input::Start);
    assert_eq!(i.state(), State::Master);
    assert!(has(&a, &Action::SendAdvert { priority: 255 }));
    // Without `state MASTER`, or with it but priority < 255, nothing is faster.
    let mut i = inst(params(255), 11);
    i.handle(t0, Input::Start);
    assert_eq!(i.state(), State::Backup);
    assert_eq!(i.master_down_interval(), Duration::from_micros(3_003_906));
    let mut p = params(100);
    p.start_master = true;
    let mut i = inst(p, 11);
    i.handle(t0, Input::Start);
    assert_eq!(i.state(), State::Backup);
}

#[test]
fn skew_and_master_down_per_version() {
    let i = inst(params(150), 11);
    assert_eq!(i.master_down_interval(), Duration::from_micros(3_414_062));
    assert_eq!(
        inst(params(254), 11).master_down_interval(),
        Duration::from_micros(3_007_812)
    );
    assert_eq!(
        inst(params(1), 11).master_down_interval(),
        Duration::from_micros(3_996_093)
    );
    // v2 skew does not scale with the interval.
    let mut p = params(100);
    p.advert_int_cs = 200;
    assert_eq!(
        inst(p, 11).master_down_interval(),
        Duration::from_micros(6_609_375)
    );
    // v3 skew scales with Master_Adver_Interval.
    assert_eq!(
        inst(v3(100, 10), 11).master_down_interval(),
        Duration::from_micros(360_937)
    );
    assert_eq!(
        inst(v3(100, 5), 11).master_down_interval(),
        Duration::from_micros(180_468)
    );
    assert_eq!(
        inst(v3(100, 1), 11).master_down_interval(),
        Duration::from_micros(36_093)
    );
}

#[test]
fn backup_takes_over_after_skew_when_master_resigns() {
    let t0 = Instant::now();
    let mut i = inst(params(100), 12);
    i.handle(t0, Input::Start);
    i.handle(t0 + ms(500), rx(ad(Version::V2, 150, 100), 11));
    assert_eq!(i.master_addr(), Some(ip(11)));
    let t1 = t0 + ms(1000);
    i.handle(t1, rx(ad(Version::V2, 0, 100), 11));
    assert_eq!(i.next_deadline(), Some(t1 + Duration::from_micros(609_375)));
    i.handle(t1 + Duration::from_micros(609_375), Input::Tick);
    assert_eq!(i.state(), State::Master);
}

#[test]
fn backup_accepts_higher_and_discards_lower_when_preempting() {
    let t0 = Instant::now();
    let mut i = inst(params(150), 11);
    i.handle(t0, Input::Start);
    // A lower-priority master's adverts do not hold us back: takeover at our own timer.
    let mut t = t0 + ms(150);
    let mut discards = Vec::new();
    while i.state() == State::Backup {
        discards.extend(logs(&i.handle(t, rx(ad(Version::V2, 100, 100), 12))));
        let due = i.next_deadline().expect("timer");
        if due <= t + ms(1000) {
            i.handle(due, Input::Tick);
            assert_eq!(
                due - t0,
                Duration::from_micros(3_414_062),
                "3.414 s after start (observed 3.45 s)"
            );
        }
        t += ms(1000);
    }
    assert_eq!(
        discards,
        vec!["(VI_1) received lower priority (100) advert from 10.99.0.12 - discarding"]
    );
    // An equal or higher advert resets the timer.
    let mut i = inst(params(100), 11);
    i.handle(t0, Input::Start);
    i.handle(t0 + ms(3000), rx(ad(Version::V2, 100, 100), 12));
    assert_eq!(
        i.next_deadline(),
        Some(t0 + ms(3000) + Duration::from_micros(3_609_375))
    );
}

#[test]
fn nopreempt_stays_backup_behind_lower_master_until_it_resigns() {
    let t0 = Instant::now();
    let mut p = params(150);
    p.preempt = false;
    let mut i = inst(p, 11);
    i.handle(t0, Input::Start);
    let mut t = t0;
    for _ in 0..20 {
        t += ms(1000);
        i.handle(t, rx(ad(Version::V2, 100, 100), 12));
        i.handle(t, Input::Tick);
        assert_eq!(i.state(), State::Backup);
    }
    i.handle(t, rx(ad(Version::V2, 0, 100), 12));
    assert_eq!(
        i.next_deadline(),
        Some(t + Duration::from_micros(414_062)),
        "observed 0.419 s"
    );
}

#[test]
fn preempt_delay_matches_observed_6_56_s() {
    let t0 = Instant::now();
    let mut p = params(150);
    p.preempt_delay = Duration::from_secs(4);
    let mut i = inst(p, 11);
    i.handle(t0, Input::Start);
    let mut t = t0 + ms(150);
    let mut first_log = Vec::new();
    loop {
        let due = i.next_deadline().expect("timer");
        if due <= t {
            i.handle(due, Input::Tick);
            break;
        }
        let a = i.handle(t, rx(ad(Version::V2, 100, 100), 12));
        first_log.extend(logs(&a));
        t += ms(1000);
    }
    assert_eq!(i.state(), State::Master);
    let took = i.next_deadline().expect("adver") - Duration::from_secs(1) - t0;
    assert_eq!(
        took,
        ms(3150) + Duration::from_micros(3_414_062),
        "last accepted advert + Master_Down"
    );
    assert_eq!(first_log[0], "(VI_1) start preempt delay (4.000000)");
}

fn master(p: Params, src: u8, t0: Instant) -> Instance {
    let mut i = inst(p, src);
    i.handle(t0, Input::Start);
    let due = i.next_deadline().expect("timer");
    i.handle(due, Input::Tick);
    assert_eq!(i.state(), State::Master);
    i
}

#[test]
fn master_yields_at_once_to_higher_priority() {
    let t0 = Instant::now();
    let mut i = master(params(100), 12, t0);
    let t = t0 + ms(5000);
    let a = i.handle(t, rx(ad(Version::V2, 150, 100), 11));
    assert_eq!(i.state(), State::Backup);
    assert_eq!(
        logs(&a)[0],
        "(VI_1) Master received advert from 10.99.0.11 with higher priority 150, ours 100"
    );
    let a = non_log(a);
    assert!(has(&a, &Action::DelVips));
    assert!(
        !a.iter().any(|x| matches!(x, Action::SendAdvert { .. })),
        "no further adverts from the old master"
    );
    assert_eq!(
        i.next_deadline(),
        Some(t + Duration::from_micros(3_609_375))
    );
}

#[test]
fn master_equal_priority_tie_break_on_address() {
    let t0 = Instant::now();
    let mut low = master(params(100), 11, t0);
    let a = low.handle(t0 + ms(4000), rx(ad(Version::V2, 100, 100), 12));
    assert_eq!(low.state(), State::Backup);
    assert_eq!(
        logs(&a)[0],
        "(VI_1) Master received advert from 10.99.0.12 with same priority 100 but higher IP address than ours"
    );
    let mut high = master(params(100), 12, t0);
    let a = high.handle(t0 + ms(4000), rx(ad(Version::V2, 100, 100), 11));
    assert_eq!(high.state(), State::Master);
    assert!(has(&a, &Action::SendAdvert { priority: 100 }));
}

#[test]
fn master_answers_lower_priority_at_once_unless_configured_not_to() {
    let t0 = Instant::now();
    let mut i = master(params(150), 11, t0);
    let a = i.handle(t0 + ms(4200), rx(ad(Version::V2, 100, 100), 12));
    assert_eq!(
        logs(&a)[0],
        "(VI_1) Received advert from 10.99.0.12 with lower priority 100, ours 150, forcing new election"
    );
    let a = non_log(a);
    assert_eq!(
        a,
        vec![
            Action::SendAdvert { priority: 150 },
            Action::Garp { repeat: 5 },
            Action::Notify {
                kind: NotifyKind::MasterRxLowerPri,
                priority: 150
            },
        ]
    );
    let mut p = params(150);
    p.lower_prio_no_advert = true;
    let mut i = master(p, 11, t0);
    let a = non_log(i.handle(t0 + ms(4200), rx(ad(Version::V2, 100, 100), 12)));
    assert_eq!(
        a,
        vec![Action::Notify {
            kind: NotifyKind::MasterRxLowerPri,
            priority: 150
        }]
    );
}

#[test]
fn master_answers_priority_zero_with_an_advert() {
    let t0 = Instant::now();
    let mut i = master(params(100), 12, t0);
    let a = non_log(i.handle(t0 + ms(4000), rx(ad(Version::V2, 0, 100), 11)));
    assert_eq!(a, vec![Action::SendAdvert { priority: 100 }]);
    assert_eq!(i.state(), State::Master);
}

#[test]
fn v3_backup_adopts_master_interval() {
    let t0 = Instant::now();
    let mut i = inst(v3(100, 100), 12);
    i.handle(t0, Input::Start);
    let a = i.handle(t0 + ms(100), rx(ad(Version::V3, 150, 50), 11));
    assert_eq!(
        logs(&a),
        vec!["(VI_1) advertisement interval updated from 1000ms to 500ms by master"]
    );
    assert_eq!(
        i.next_deadline(),
        Some(t0 + ms(100) + ms(1500) + Duration::from_micros(304_687))
    );
    // v2 drops a differing interval instead (both sides may become master).
    let mut i = inst(params(100), 12);
    i.handle(t0, Input::Start);
    let before = i.next_deadline();
    i.handle(t0 + ms(100), rx(ad(Version::V2, 150, 200), 11));
    assert_eq!(i.next_deadline(), before);
    assert_eq!(i.counters.interval_mismatch, 1);
}

#[test]
fn tracking_weight_changes_the_next_advert_and_clamps() {
    let t0 = Instant::now();
    let mut i = master(params(150), 11, t0);
    i.handle(
        t0 + ms(4000),
        Input::Tracking {
            fault: false,
            weight: -60,
        },
    );
    let due = i.next_deadline().expect("adver");
    assert!(has(
        &i.handle(due, Input::Tick),
        &Action::SendAdvert { priority: 90 }
    ));
    i.handle(
        due,
        Input::Tracking {
            fault: false,
            weight: -500,
        },
    );
    assert_eq!(i.effective_priority(), 1);
    i.handle(
        due,
        Input::Tracking {
            fault: false,
            weight: 500,
        },
    );
    assert_eq!(i.effective_priority(), 254);
    let mut owner = inst(params(255), 11);
    owner.handle(
        t0,
        Input::Tracking {
            fault: false,
            weight: -100,
        },
    );
    assert_eq!(owner.effective_priority(), 255);
}

#[test]
fn fault_resigns_and_recovery_goes_to_backup() {
    let t0 = Instant::now();
    let mut i = master(params(150), 11, t0);
    let t = t0 + ms(5000);
    let a = non_log(i.handle(
        t,
        Input::Tracking {
            fault: true,
            weight: 0,
        },
    ));
    assert_eq!(
        a,
        vec![
            Action::SendAdvert { priority: 0 },
            Action::DelVips,
            Action::Transition {
                from: State::Master,
                to: State::Fault
            },
            Action::Notify {
                kind: NotifyKind::Fault,
                priority: 150
            },
        ]
    );
    assert_eq!(i.next_deadline(), None, "no adverts in FAULT");
    assert!(non_log(i.handle(t, rx(ad(Version::V2, 100, 100), 12))).is_empty());
    i.handle(
        t + ms(100),
        Input::Tracking {
            fault: false,
            weight: 0,
        },
    );
    assert_eq!(i.state(), State::Backup);
    // Faulty at start: straight to FAULT.
    let mut j = inst(params(100), 12);
    j.handle(
        t0,
        Input::Tracking {
            fault: true,
            weight: 0,
        },
    );
    j.handle(t0, Input::Start);
    assert_eq!(j.state(), State::Fault);
}

#[test]
fn shutdown_sends_one_priority_zero_from_master_only() {
    let t0 = Instant::now();
    let mut i = master(params(100), 11, t0);
    let a = non_log(i.handle(t0 + ms(5000), Input::Shutdown));
    assert_eq!(
        a,
        vec![
            Action::SendAdvert { priority: 0 },
            Action::DelVips,
            Action::Notify {
                kind: NotifyKind::Stop,
                priority: 100
            },
        ]
    );
    assert!(i.handle(t0 + ms(9000), Input::Tick).is_empty());
    let mut b = inst(params(100), 12);
    b.handle(t0, Input::Start);
    let a = non_log(b.handle(t0, Input::Shutdown));
    assert_eq!(
        a,
        vec![Action::Notify {
            kind: NotifyKind::Stop,
            priority: 100
        }]
    );
}

#[test]
fn receive_checks_drop_and_count() {
    let t0 = Instant::now();
    let mut i = inst(params(100), 12);
    i.handle(t0, Input::Start);
    let deadline = i.next_deadline();
    let mut bad_ttl = rx(ad(Version::V2, 150, 100), 11);
    if let Input::Advert { ttl, .. } = &mut bad_ttl {
        *ttl = 64;
    }
    let a = i.handle(t0, bad_ttl);
    assert_eq!(
        logs(&a),
        vec!["(VI_1) invalid TTL/HL. Received 64 and expect 255"]
    );
    let a = i.handle(t0, rx(ad(Version::V3, 150, 100), 11));
    assert_eq!(
        logs(&a),
        vec!["(VI_1) wrong version. Received 3 and expect 2"]
    );
    let mut with_auth = ad(Version::V2, 150, 100);
    with_auth.auth = Auth::pass("secret");
    i.handle(t0, rx(with_auth, 11));
    let unicast = Input::Advert {
        src: ip(11),
        ttl: 64,
        unicast: true,
        checksum: ChecksumForm::Plain,
        advert: ad(Version::V2, 150, 100),
    };
    i.handle(t0, unicast);
    assert_eq!(i.next_deadline(), deadline, "nothing accepted");
    let c = &i.counters;
    assert_eq!(
        (
            c.bad_ttl,
            c.wrong_version,
            c.bad_auth,
            c.transport_mismatch,
            c.accepted
        ),
        (1, 1, 1, 1, 0)
    );
    // A differing address list is logged and counted but accepted.
    let mut other = ad(Version::V2, 150, 100);
    other.addrs.push(ip(101));
    i.handle(t0 + ms(10), rx(other, 11));
    assert_eq!((i.counters.addr_mismatch, i.counters.accepted), (1, 1));
}

#[test]
fn unicast_peers_and_password() {
    let t0 = Instant::now();
    let mut p = params(100);
    p.unicast_peers = vec![ip(11)];
    p.auth = Auth::pass("s3cr3tpass");
    let mut i = inst(p, 12);
    i.handle(t0, Input::Start);
    let uni = |from: u8, auth: Auth| {
        let mut a = ad(Version::V2, 150, 100);
        a.auth = auth;
        Input::Advert {
            src: ip(from),
            ttl: 64,
            unicast: true,
            checksum: ChecksumForm::Plain,
            advert: a,
        }
    };
    i.handle(t0, uni(13, Auth::pass("s3cr3tpa")));
    i.handle(t0, uni(11, Auth::pass("wrong")));
    i.handle(t0, rx(ad(Version::V2, 150, 100), 11));
    assert_eq!(i.counters.accepted, 0);
    i.handle(t0, uni(11, Auth::pass("s3cr3tpa")));
    assert_eq!(
        i.counters.accepted, 1,
        "TTL is not checked in unicast; password truncated to 8"
    );
    assert_eq!(
        (
            i.counters.unknown_source,
            i.counters.bad_auth,
            i.counters.transport_mismatch
        ),
        (1, 1, 1)
    );
}

#[test]
fn sync_group_inputs_pull_members() {
    let t0 = Instant::now();
    let mut i = inst(params(100), 12);
    i.handle(t0, Input::Start);
    let a = i.handle(t0 + ms(10), Input::SyncTo(State::Master));
    assert_eq!(i.state(), State::Master);
    assert!(logs(&a).contains(&"(VI_1) Syncing instances to MASTER state".to_string()));
    i.handle(t0 + ms(20), Input::SyncTo(State::Backup));
    assert_eq!(i.state(), State::Backup);
    i.handle(t0 + ms(30), Input::GroupFault(true));
    assert_eq!(i.state(), State::Fault);
    i.handle(t0 + ms(40), Input::GroupFault(false));
    assert_eq!(i.state(), State::Backup);
}

#[test]
fn external_vip_deletion_is_repaired() {
    let t0 = Instant::now();
    let mut i = master(params(100), 12, t0);
    let a = non_log(i.handle(t0 + ms(5000), Input::VipDeleted));
    assert_eq!(a, vec![Action::AddVips, Action::Garp { repeat: 5 }]);
}

/// Simulated LAN without loss: nodes deliver adverts to each other instantly.
fn simulate(
    nodes: &mut [Instance],
    start_at: &[Duration],
    until: Duration,
    step: Duration,
) -> Vec<(Duration, usize)> {
    let t0 = Instant::now();
    let mut masters_over_time = Vec::new();
    let mut started = vec![false; nodes.len()];
    let mut now = Duration::ZERO;
    while now <= until {
        let t = t0 + now;
        for k in 0..nodes.len() {
            let mut actions = Vec::new();
            if !started[k] && now >= start_at[k] {
                started[k] = true;
                actions.extend(nodes[k].handle(t, Input::Start));
            }
            if started[k] && nodes[k].next_deadline().is_some_and(|d| d <= t) {
                actions.extend(nodes[k].handle(t, Input::Tick));
            }
            for a in actions {
                if let Action::SendAdvert { priority } = a {
                    let src = nodes[k].source;
                    let p = nodes[k].params().clone();
                    let advert = Advert {
                        version: p.version,
                        vrid: p.vrid,
                        priority,
                        interval_cs: p.advert_int_cs,
                        addrs: p.vips.clone(),
                        auth: p.auth,
                    };
                    for (j, other) in nodes.iter_mut().enumerate() {
                        if j != k && started[j] {
                            if let Some(s) = src {
                                other.handle(
                                    t,
                                    Input::Advert {
                                        src: s,
                                        ttl: 255,
                                        unicast: false,
                                        checksum: ChecksumForm::PseudoHeader,
                                        advert: advert.clone(),
                                    },
                                );
                            }
                        }
                    }
                }
            }
        }
        masters_over_time.push((
            now,
            nodes.iter().filter(|n| n.state() == State::Master).count(),
        ));
        now += step;
    }
    masters_over_time
}

#[test]
fn simulated_nodes_elect_exactly_one_master() {
    for (prios, starts) in [
        (vec![100u8, 150, 120], vec![0u64, 0, 0]),
        (vec![100, 100, 100], vec![0, 0, 0]),
        (vec![200, 100], vec![5000, 0]),
        (vec![100, 100], vec![0, 1]),
        (vec![254, 1, 50], vec![2000, 0, 700]),
    ] {
        let mut nodes: Vec<Instance> = prios
            .iter()
            .enumerate()
            .map(|(k, &p)| inst(v3(p, 10), 11 + k as u8))
            .collect();
        let starts: Vec<Duration> = starts.iter().map(|&s| ms(s / 10)).collect();
        let trace = simulate(&mut nodes, &starts, ms(3000), ms(1));
        let settle = ms(1500);
        for (t, n) in trace {
            if t > settle {
                assert_eq!(n, 1, "prios {prios:?}: {n} masters at {t:?}");
            }
        }
        let best = prios.iter().max().copied().unwrap_or(0);
        let winners: Vec<u8> = nodes
            .iter()
            .filter(|n| n.state() == State::Master)
            .map(|n| n.params().priority)
            .collect();
        if prios.iter().filter(|&&p| p == best).count() == 1 {
            assert_eq!(
                winners,
                vec![best],
                "the highest priority wins with preemption"
            );
        }
    }
}

#[test]
fn late_ticks_keep_the_advert_cadence() {
    let t0 = Instant::now();
    let mut i = master(v3(100, 1), 11, t0);
    let first = i.next_deadline().expect("adver");
    // Woken 3 ms late for a 10 ms interval: the next advert is still due 10 ms after
    // the previous deadline, not 10 ms after the late wake-up.
    i.handle(first + ms(3), Input::Tick);
    assert_eq!(i.next_deadline(), Some(first + ms(10)));
    // More than a whole interval late: start again from now.
    let second = first + ms(10);
    i.handle(second + ms(25), Input::Tick);
    assert_eq!(i.next_deadline(), Some(second + ms(35)));
}

#[test]
fn lower_priority_answer_schedules_a_second_garp_burst() {
    let t0 = Instant::now();
    let mut i = master(params(150), 11, t0);
    let t = t0 + ms(10_000);
    // The master's own second burst (5 s after it took over) is already behind us.
    i.handle(t, Input::Tick);
    i.handle(t, rx(ad(Version::V2, 100, 100), 12));
    // Another lower advert before the burst does not push it back.
    i.handle(t + ms(1000), rx(ad(Version::V2, 100, 100), 12));
    let mut bursts = Vec::new();
    let mut now = t;
    while now < t + ms(6000) {
        now = i.next_deadline().expect("timers");
        if i.handle(now, Input::Tick)
            .contains(&Action::Garp { repeat: 5 })
        {
            bursts.push(now - t);
        }
    }
    assert_eq!(bursts, vec![ms(5000)]);
}

#[test]
fn higher_prio_send_advert_answers_before_yielding() {
    let t0 = Instant::now();
    let mut p = params(100);
    p.higher_prio_send_advert = true;
    let mut i = master(p, 12, t0);
    let a = non_log(i.handle(t0 + ms(5000), rx(ad(Version::V2, 150, 100), 11)));
    assert_eq!(a[0], Action::SendAdvert { priority: 100 });
    assert_eq!(i.state(), State::Backup);
}

/// Property (spec §6.2): without loss, after every node has started and one
/// Master_Down_Interval + A has passed, exactly one node is MASTER, whatever the
/// priorities and start times.
#[test]
fn random_lans_converge_to_one_master() {
    let mut rng = fastrand::Rng::with_seed(0x5eed_0112);
    for case in 0..60 {
        let n = rng.usize(2..=4);
        let prios: Vec<u8> = (0..n).map(|_| rng.u8(1..=254)).collect();
        let starts: Vec<Duration> = (0..n).map(|_| ms(rng.u64(0..1500))).collect();
        let mut nodes: Vec<Instance> = prios
            .iter()
            .enumerate()
            .map(|(k, &p)| inst(v3(p, 10), 11 + k as u8))
            .collect();
        let trace = simulate(&mut nodes, &starts, ms(3500), ms(1));
        let settle = starts.iter().max().copied().unwrap_or_default() + ms(400 + 100);
        for (t, masters) in trace {
            if t > settle {
                assert_eq!(
                    masters, 1,
                    "case {case}: prios {prios:?} starts {starts:?}: {masters} masters at {t:?}"
                );
            }
        }
    }
}

#[test]
fn two_owners_one_backs_off_to_254_as_keepalived() {
    let t0 = Instant::now();
    // Both owners; the one that hears the other's 255 while MASTER reduces itself.
    let mut i = master(params(255), 12, t0);
    let t = t0 + ms(5000);
    let a = i.handle(t, rx(ad(Version::V2, 255, 100), 11));
    assert_eq!(
        logs(&a)[0],
        "(VI_1) CONFIGURATION ERROR: local instance and a remote instance are both configured as address owner, please fix - reducing local priority"
    );
    assert_eq!(i.state(), State::Backup, "the other owner keeps the VIPs");
    assert_eq!(i.effective_priority(), 254);
    assert!(logs(&a)[1].contains("with higher priority 255, ours 254"));
    // It stays behind the remaining owner.
    let a = i.handle(t + ms(1000), rx(ad(Version::V2, 255, 100), 11));
    assert_eq!(i.state(), State::Backup);
    assert!(logs(&a).is_empty(), "{:?}", logs(&a));
}
