//! Health checks and agent checks: servers go DOWN after failed checks and
//! come back after good ones, with HAProxy 2.6's exact stderr lines, and
//! traffic follows.

use std::time::{Duration, Instant};

use tests::switch_backend::{AgentBackend, Behaviour, SwitchBackend};
use tests::*;

const INTER: u64 = 100;

/// A stderr message (after `[LEVEL]  (pid) : `) that starts with `head`, ends
/// with `tail`, and has only a number of milliseconds in between.
fn has_line(stderr: &str, tag: &str, head: &str, tail: &str) -> bool {
    stderr.lines().any(|l| {
        let Some(msg) = l.strip_prefix(tag).and_then(|r| r.split_once(") : ")) else {
            return false;
        };
        let m = msg.1;
        m.starts_with(head)
            && m.ends_with(tail)
            && m.len() >= head.len() + tail.len()
            && m[head.len()..m.len() - tail.len()]
                .chars()
                .all(|c| c.is_ascii_digit())
    })
}

/// Waits until stderr has the line; panics with the output after `within`.
fn wait_line(p: &LbdProcess, within: Duration, tag: &str, head: &str, tail: &str) {
    let deadline = Instant::now() + within;
    loop {
        if has_line(&p.stderr(), tag, head, tail) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "no line {head}<N>{tail} within {within:?}{}",
            p.output_hint()
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn down_tail(active: usize, backup: usize, on_backup: bool) -> String {
    format!(
        "ms. {active} active and {backup} backup servers left.{} 0 sessions active, 0 requeued, 0 remaining in queue.",
        if on_backup { " Running on backup." } else { "" }
    )
}

fn up_tail(active: usize, backup: usize) -> String {
    format!(
        "ms. {active} active and {backup} backup servers online. 0 sessions requeued, 0 total in queue."
    )
}

fn served(port: u16, n: usize) -> std::collections::BTreeMap<String, usize> {
    let urls: Vec<String> = (0..n)
        .map(|_| format!("http://127.0.0.1:{port}/"))
        .collect();
    let rs = curl_many(&urls, &[]);
    assert!(rs.iter().all(|r| r.status == 200), "a client saw an error");
    count_by_server(&rs)
}

/// Slack for process scheduling on a loaded machine.
fn slack() -> Duration {
    Duration::from_secs(3)
}

#[test]
fn down_after_failed_checks_up_after_rise_and_traffic_follows() {
    let s1 = SwitchBackend::start("s1");
    let s2 = SwitchBackend::start("s2");
    let port = free_port();
    let extra = format!("check inter {INTER} fall 2 rise 2");
    let cfg = http_config(
        port,
        "",
        &format!(
            "    server s1 {} {extra}\n    server s2 {} {extra}\n",
            s1.addr(),
            s2.addr()
        ),
    );
    let p = LbdProcess::start(&cfg);
    // Let the checks prove both servers first.
    std::thread::sleep(Duration::from_millis(4 * INTER));
    s1.set(Behaviour::Refuse);
    let t = Instant::now();
    wait_line(
        &p,
        Duration::from_millis(3 * INTER) + slack(),
        "[WARNING]",
        "Server be/s1 is DOWN, reason: Layer4 connection problem, info: \"Connection refused\", check duration: ",
        &down_tail(1, 0, false),
    );
    assert!(
        t.elapsed() >= Duration::from_millis(INTER),
        "DOWN after one check: {:?}",
        t.elapsed()
    );
    let counts = served(port, 20);
    assert_eq!(counts.get("s2"), Some(&20), "{counts:?}");

    s1.set(Behaviour::Answer(200, "ok".into()));
    wait_line(
        &p,
        Duration::from_millis(3 * INTER) + slack(),
        "[WARNING]",
        "Server be/s1 is UP, reason: Layer4 check passed, check duration: ",
        &up_tail(2, 0),
    );
    let counts = served(port, 20);
    assert!(counts.get("s1").is_some_and(|n| *n >= 5), "{counts:?}");
}

#[test]
fn backup_takes_over_when_every_active_server_is_down() {
    let s1 = SwitchBackend::start("s1");
    let b = SwitchBackend::start("bk");
    let port = free_port();
    let cfg = http_config(
        port,
        "",
        &format!(
            "    server s1 {} check inter {INTER}\n    server bk {} backup check inter {INTER}\n",
            s1.addr(),
            b.addr()
        ),
    );
    let p = LbdProcess::start(&cfg);
    s1.set(Behaviour::Refuse);
    wait_line(
        &p,
        Duration::from_millis(3 * INTER) + slack(),
        "[WARNING]",
        "Server be/s1 is DOWN, reason: Layer4 connection problem, info: \"Connection refused\", check duration: ",
        &down_tail(0, 1, true),
    );
    assert_eq!(served(port, 10).get("bk"), Some(&10));
    assert!(
        !p.stderr().contains("has no server available"),
        "{}",
        p.output_hint()
    );
}

#[test]
fn httpchk_expect_status_and_string() {
    let s1 = SwitchBackend::start("s1");
    s1.set(Behaviour::Answer(200, "I am alive".into()));
    let s2 = SwitchBackend::start("s2");
    let port = free_port();
    let cfg = format!(
        "{HTTP_DEFAULTS}
frontend fe
    bind 127.0.0.1:{port}
    default_backend be

backend be
    option httpchk GET /health
    http-check expect string alive
    server s1 {} check inter {INTER}

backend be2
    option httpchk
    http-check expect status 200-299
    server s2 {} check inter {INTER}
",
        s1.addr(),
        s2.addr()
    );
    let p = LbdProcess::start(&cfg);
    std::thread::sleep(Duration::from_millis(3 * INTER));
    assert!(!p.stderr().contains("is DOWN"), "{}", p.output_hint());
    s1.set(Behaviour::Answer(200, "I am dead".into()));
    wait_line(
        &p,
        Duration::from_millis(3 * INTER) + slack(),
        "[WARNING]",
        "Server be/s1 is DOWN, reason: Layer7 invalid response, info: \"HTTP content check did not match\", check duration: ",
        &down_tail(0, 0, false),
    );
    wait_line(
        &p,
        slack(),
        "[ALERT]",
        "backend 'be' has no server available!",
        "",
    );
    s2.set(Behaviour::Answer(500, "boom".into()));
    wait_line(
        &p,
        Duration::from_millis(3 * INTER) + slack(),
        "[WARNING]",
        "Server be2/s2 is DOWN, reason: Layer7 wrong status, code: 500, info: \"Internal Server Error\", check duration: ",
        &down_tail(0, 0, false),
    );
    s1.set(Behaviour::Answer(200, "alive again".into()));
    wait_line(
        &p,
        Duration::from_millis(4 * INTER) + slack(),
        "[WARNING]",
        "Server be/s1 is UP, reason: Layer7 check passed, code: 200, check duration: ",
        &up_tail(1, 0),
    );
}

#[test]
fn disable_on_404_stops_new_traffic() {
    let s1 = SwitchBackend::start("s1");
    let s2 = SwitchBackend::start("s2");
    let port = free_port();
    let cfg = http_config(
        port,
        "",
        &format!(
            "    option httpchk
    http-check disable-on-404
    server s1 {} check inter {INTER}
    server s2 {} check inter {INTER}
",
            s1.addr(),
            s2.addr()
        ),
    );
    let p = LbdProcess::start(&cfg);
    s1.set(Behaviour::Answer(404, "gone".into()));
    wait_line(
        &p,
        Duration::from_millis(3 * INTER) + slack(),
        "[WARNING]",
        "Server be/s1 is stopping, reason: Layer7 check conditionally passed, code: 404, check duration: ",
        &up_tail(1, 0),
    );
    // Serve 404 to clients too: only s2 may be picked.
    assert_eq!(served_ok_from(port, 10, &s2), 10);
}

/// Counts the 200s among `n` requests while `s1` answers 404.
fn served_ok_from(port: u16, n: usize, s2: &SwitchBackend) -> usize {
    let before = s2.requests();
    let counts = served(port, n);
    assert!(s2.requests() >= before + n);
    counts.get("s2").copied().unwrap_or(0)
}

/// Waits until a batch of requests is shared as `check` wants.
fn wait_shares(port: u16, check: impl Fn(usize, usize) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let c = served(port, 30);
        let (a, b) = (
            c.get("s1").copied().unwrap_or(0),
            c.get("s2").copied().unwrap_or(0),
        );
        if check(a, b) {
            return;
        }
        assert!(Instant::now() < deadline, "shares stayed at s1={a} s2={b}");
        std::thread::sleep(Duration::from_millis(INTER));
    }
}

#[test]
fn agent_weight_and_drain_change_traffic_shares() {
    let s1 = SwitchBackend::start("s1");
    let s2 = SwitchBackend::start("s2");
    let agent = AgentBackend::start("up");
    let port = free_port();
    let cfg = http_config(
        port,
        "",
        &format!(
            "    server s1 {} weight 100 agent-check agent-port {} agent-inter {INTER}
    server s2 {} weight 100
",
            s1.addr(),
            agent.port(),
            s2.addr()
        ),
    );
    let p = LbdProcess::start(&cfg);
    wait_shares(port, |a, b| a.abs_diff(b) <= 2);
    agent.set("25%");
    // 25 against 100: s1 gets a fifth.
    wait_shares(port, |a, b| (4..=8).contains(&a) && b >= 22);
    agent.set("drain");
    wait_line(
        &p,
        Duration::from_millis(3 * INTER) + slack(),
        "[WARNING]",
        "Server be/s1 enters drain state. 1 active and 0 backup servers online. 0 sessions requeued, 0 total in queue.",
        "",
    );
    wait_shares(port, |a, _| a == 0);
}

#[test]
fn httpchk_expect_rstatus_and_rstring() {
    let s1 = SwitchBackend::start("s1");
    s1.set(Behaviour::Answer(200, "status: ok".into()));
    let s2 = SwitchBackend::start("s2");
    let port = free_port();
    let cfg = format!(
        "{HTTP_DEFAULTS}
frontend fe
    bind 127.0.0.1:{port}
    default_backend be

backend be
    option httpchk GET /health
    http-check expect rstring ^status:\\ (ok|degraded)$
    server s1 {} check inter {INTER}

backend be2
    option httpchk
    http-check expect rstatus ^2[0-9][0-9]$
    server s2 {} check inter {INTER}
",
        s1.addr(),
        s2.addr()
    );
    let p = LbdProcess::start(&cfg);
    std::thread::sleep(Duration::from_millis(3 * INTER));
    assert!(!p.stderr().contains("is DOWN"), "{}", p.output_hint());
    s1.set(Behaviour::Answer(200, "status: broken".into()));
    wait_line(
        &p,
        Duration::from_millis(3 * INTER) + slack(),
        "[WARNING]",
        "Server be/s1 is DOWN, reason: Layer7 invalid response, info: \"HTTP content check did not match\", check duration: ",
        &down_tail(0, 0, false),
    );
    s2.set(Behaviour::Answer(503, "busy".into()));
    wait_line(
        &p,
        Duration::from_millis(3 * INTER) + slack(),
        "[WARNING]",
        "Server be2/s2 is DOWN, reason: Layer7 wrong status, code: 503, info: \"Service Unavailable\", check duration: ",
        &down_tail(0, 0, false),
    );
}

#[test]
fn http_check_sequences_run_every_step_in_order() {
    let echo = HttpBackend::start("echo");
    let port = free_port();
    let cfg = format!(
        "{HTTP_DEFAULTS}
frontend fe
    bind 127.0.0.1:{port}
    default_backend good

backend good
    option httpchk
    http-check connect
    http-check send meth GET uri /first ver HTTP/1.1 hdr host a
    http-check expect string GET\\ /first
    http-check connect
    http-check send meth GET uri /second ver HTTP/1.1 hdr host a
    http-check expect string GET\\ /second
    server s1 {addr} check inter {INTER}

backend bad
    option httpchk
    http-check connect
    http-check send meth GET uri /one ver HTTP/1.1 hdr host a
    http-check expect status 200
    http-check connect
    http-check send meth GET uri /two ver HTTP/1.1 hdr host a
    http-check expect string no-such-text
    server s2 {addr} check inter {INTER}
",
        addr = echo.addr()
    );
    let p = LbdProcess::start(&cfg);
    wait_line(
        &p,
        Duration::from_millis(3 * INTER) + slack(),
        "[WARNING]",
        "Server bad/s2 is DOWN, reason: Layer7 invalid response, info: \"HTTP content check did not match\", check duration: ",
        &down_tail(0, 0, false),
    );
    let paths: Vec<String> = echo
        .received()
        .iter()
        .map(|r| r.head_str().lines().next().unwrap_or_default().to_string())
        .collect();
    for want in [
        "GET /first HTTP/1.1",
        "GET /second HTTP/1.1",
        "GET /one HTTP/1.1",
        "GET /two HTTP/1.1",
    ] {
        assert!(paths.iter().any(|l| l == want), "no {want:?} in {paths:?}");
    }
    assert!(
        !p.stderr().contains("Server good/s1 is DOWN"),
        "{}",
        p.output_hint()
    );
}
