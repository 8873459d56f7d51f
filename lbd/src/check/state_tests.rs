use super::*;

fn rep(s: CheckStatus) -> CheckReport {
    CheckReport::new(s, "", 0)
}

fn server(rise: u32, fall: u32) -> ServerHealth {
    ServerHealth::new(Some(Health::starting(rise, fall)), None, 10)
}

fn downs(t: &[Transition]) -> usize {
    t.iter()
        .filter(|t| matches!(t, Transition::Down(_)))
        .count()
}

fn ups(t: &[Transition]) -> usize {
    t.iter().filter(|t| matches!(t, Transition::Up(_))).count()
}

#[test]
fn starts_up_and_the_first_failure_takes_it_down() {
    let mut s = server(2, 3);
    assert!(s.is_up());
    let t = s.on_check(rep(CheckStatus::L4Con));
    assert_eq!(downs(&t), 1);
    assert!(!s.is_up());
    assert_eq!(s.check.map(|h| h.value), Some(0));
}

#[test]
fn a_proven_server_needs_fall_failures() {
    let mut s = server(2, 3);
    assert!(s.on_check(rep(CheckStatus::L4Ok)).is_empty());
    assert_eq!(s.check.map(|h| h.value), Some(4));
    assert!(s.on_check(rep(CheckStatus::L4Con)).is_empty());
    assert!(s.on_check(rep(CheckStatus::L4Tout)).is_empty());
    assert_eq!(downs(&s.on_check(rep(CheckStatus::L7Sts))), 1);
    // More failures change nothing.
    assert!(s.on_check(rep(CheckStatus::L4Con)).is_empty());
}

#[test]
fn coming_back_needs_rise_successes() {
    let mut s = server(3, 2);
    s.on_check(rep(CheckStatus::L4Con));
    assert!(s.on_check(rep(CheckStatus::L4Ok)).is_empty());
    assert!(s.on_check(rep(CheckStatus::L4Ok)).is_empty());
    let t = s.on_check(rep(CheckStatus::L7Ok));
    assert_eq!(ups(&t), 1);
    assert_eq!(s.check.map(|h| h.value), Some(4));
    assert!(s.on_check(rep(CheckStatus::L7Ok)).is_empty());
}

#[test]
fn a_failure_while_rising_starts_over() {
    let mut s = server(3, 2);
    s.on_check(rep(CheckStatus::L4Con));
    s.on_check(rep(CheckStatus::L4Ok));
    s.on_check(rep(CheckStatus::L4Ok));
    assert!(s.on_check(rep(CheckStatus::L4Con)).is_empty());
    assert_eq!(s.check.map(|h| h.value), Some(0));
    assert!(!s.is_up());
}

#[test]
fn neutral_results_change_nothing() {
    let mut s = server(2, 2);
    assert!(s.on_check(rep(CheckStatus::Checked)).is_empty());
    assert_eq!(s.check.map(|h| h.value), Some(2));
}

#[test]
fn intervals_follow_the_state() {
    let iv = Intervals {
        inter: 1000,
        fastinter: Some(100),
        downinter: Some(5000),
    };
    let mut s = server(2, 3);
    // Fresh server: between thresholds, so fastinter.
    assert_eq!(s.next_interval(Probe::Health, iv), 100);
    s.on_check(rep(CheckStatus::L4Ok));
    assert_eq!(s.next_interval(Probe::Health, iv), 1000);
    s.on_check(rep(CheckStatus::L4Con));
    assert_eq!(s.next_interval(Probe::Health, iv), 100);
    s.on_check(rep(CheckStatus::L4Con));
    s.on_check(rep(CheckStatus::L4Con));
    assert_eq!(s.next_interval(Probe::Health, iv), 5000);
    let plain = Intervals {
        inter: 700,
        fastinter: None,
        downinter: None,
    };
    assert_eq!(s.next_interval(Probe::Health, plain), 700);
}

#[test]
fn a_404_with_disable_on_404_means_nolb_then_200_means_up() {
    let mut s = server(2, 3);
    let t = s.on_check(rep(CheckStatus::L7OkC));
    assert!(matches!(t.as_slice(), [Transition::Stopping(_)]));
    assert_eq!(s.effective_weight(), 0);
    assert!(s.is_up());
    assert!(s.on_check(rep(CheckStatus::L7OkC)).is_empty());
    assert_eq!(ups(&s.on_check(rep(CheckStatus::L7Ok))), 1);
    assert_eq!(s.effective_weight(), 10);
}

#[test]
fn reports_read_like_haproxy() {
    let r = CheckReport::new(CheckStatus::L4Con, "Connection refused", 0);
    assert_eq!(
        r.reason_suffix(),
        ", reason: Layer4 connection problem, info: \"Connection refused\", check duration: 0ms"
    );
    let r = CheckReport {
        status: CheckStatus::L7Sts,
        code: Some(500),
        info: "Internal Server Error".into(),
        duration_ms: 3,
    };
    assert_eq!(
        r.reason_suffix(),
        ", reason: Layer7 wrong status, code: 500, info: \"Internal Server Error\", check duration: 3ms"
    );
    let r = CheckReport::new(CheckStatus::L7Tout, "", 300);
    assert_eq!(
        r.reason_suffix(),
        ", reason: Layer7 timeout, check duration: 300ms"
    );
}

#[test]
fn status_names_codes_and_results() {
    assert_eq!(CheckStatus::L7OkC.name(), "L7OKC");
    assert_eq!(CheckStatus::L7Sts.code(), 17);
    assert_eq!(CheckStatus::L4Ok.code(), 6);
    assert_eq!(CheckStatus::L7Tout.result(), CheckResult::Failed);
    assert_eq!(CheckStatus::from_name("L6RSP"), Some(CheckStatus::L6Rsp));
}

#[test]
fn agent_lines_parse_like_haproxy() {
    let r = parse_agent_line(b"drain 50%\n").unwrap_or_default();
    assert_eq!(r.admin, Some(AgentAdmin::Drain));
    assert_eq!(r.weight_pct, Some(50));
    let r = parse_agent_line(b"UP,ready # all good\r\n").unwrap_or_default();
    assert_eq!(r.health, Some(AgentHealth::Up));
    assert_eq!(r.admin, Some(AgentAdmin::Ready));
    assert_eq!(r.desc, "all good");
    // '#' glued to a word is part of the word, as in 2.6.
    let r = parse_agent_line(b"down#x\n").unwrap_or_default();
    assert_eq!(r.health, None);
    assert_eq!(r.error.as_deref(), Some("down#x"));
    assert_eq!(parse_agent_line(b"up"), None);
}

fn agent_server() -> ServerHealth {
    ServerHealth::new(
        Some(Health::starting(2, 3)),
        Some(Health::starting(1, 1)),
        100,
    )
}

#[test]
fn agent_weight_is_relative_to_the_configured_weight() {
    let mut s = agent_server();
    let r = parse_agent_line(b"50%\n").unwrap_or_default();
    assert_eq!(s.on_agent(Ok(r.clone()), 0), vec![Transition::Weight(50)]);
    assert!(s.on_agent(Ok(r), 0).is_empty());
    assert_eq!(s.effective_weight(), 50);
    let r = parse_agent_line(b"400%\n").unwrap_or_default();
    assert_eq!(s.on_agent(Ok(r), 0), vec![Transition::Weight(256)]);
}

#[test]
fn agent_drain_and_ready() {
    let mut s = agent_server();
    let drain = parse_agent_line(b"drain\n").unwrap_or_default();
    assert_eq!(
        s.on_agent(Ok(drain.clone()), 0),
        vec![Transition::EnterDrain]
    );
    assert_eq!(s.effective_weight(), 0);
    assert!(s.is_up());
    assert_eq!(s.on_agent(Ok(drain), 0), vec![Transition::StillDrain]);
    let ready = parse_agent_line(b"ready\n").unwrap_or_default();
    assert_eq!(s.on_agent(Ok(ready), 0), vec![Transition::LeaveDrain]);
    assert_eq!(s.effective_weight(), 100);
}

#[test]
fn agent_down_takes_the_server_down_and_up_brings_it_back() {
    let mut s = agent_server();
    let t = s.on_agent(
        Ok(parse_agent_line(b"down # busy\n").unwrap_or_default()),
        1,
    );
    match t.as_slice() {
        [Transition::Down(r)] => {
            assert_eq!(r.status, CheckStatus::L7Sts);
            assert_eq!(r.info, "via agent : down (busy)");
        }
        o => panic!("{o:?}"),
    }
    // The health check passing does not lift the agent's verdict.
    assert!(s.on_check(rep(CheckStatus::L4Ok)).is_empty());
    let t = s.on_agent(Ok(parse_agent_line(b"up\n").unwrap_or_default()), 1);
    assert_eq!(ups(&t), 1);
}

#[test]
fn an_unreachable_agent_changes_nothing() {
    let mut s = agent_server();
    let t = s.on_agent(
        Err(CheckReport::new(
            CheckStatus::L4Con,
            "Connection refused",
            0,
        )),
        0,
    );
    assert!(t.is_empty());
    assert!(s.is_up());
    assert_eq!(
        s.last_agent.as_ref().map(|r| r.status),
        Some(CheckStatus::L4Con)
    );
}

#[test]
fn agent_maint_stops_health_transitions() {
    let mut s = agent_server();
    let t = s.on_agent(Ok(parse_agent_line(b"maint\n").unwrap_or_default()), 0);
    assert_eq!(t, vec![Transition::EnterMaint]);
    assert!(!s.is_up());
    assert!(s.on_check(rep(CheckStatus::L4Con)).is_empty());
}
