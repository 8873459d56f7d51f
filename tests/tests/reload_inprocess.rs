//! Hitless reload on SIGUSR2 (spec section 10): the new configuration takes
//! effect, removed listeners close, a broken file is refused while the old
//! configuration keeps serving, work in flight finishes on the generation it
//! started on, and no connection is refused while reloading.
//!
//! HAProxy reloads on SIGUSR2 only in master-worker mode, so both binaries
//! run with `-W` here; the master's "Loading success." / "Loading failure!"
//! lines say when a reload is over.

use std::net::TcpStream;
use std::time::{Duration, Instant};

use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use tests::stats_socket::{cli, wait_socket, with_stats_socket};
use tests::*;

fn start(dir: TempDir, config: &str) -> LbdProcess {
    LbdProcess::start_with(dir, config, &["-W"], &[])
}

fn outcomes(lbd: &LbdProcess) -> (usize, usize) {
    let err = lbd.stderr();
    (
        err.matches("Loading success.").count(),
        err.matches("Loading failure!").count(),
    )
}

/// Sends SIGUSR2 and waits for the reload's verdict: true when it loaded.
fn reload(lbd: &LbdProcess) -> bool {
    let before = outcomes(lbd);
    kill(Pid::from_raw(lbd.pid() as i32), Signal::SIGUSR2).unwrap_or_else(|e| panic!("kill: {e}"));
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let now = outcomes(lbd);
        if now.0 > before.0 {
            return true;
        }
        if now.1 > before.1 {
            return false;
        }
        assert!(
            Instant::now() < deadline,
            "no verdict after SIGUSR2{}",
            lbd.output_hint()
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Waits until a request is answered by `name`.
fn wait_served_by(port: u16, name: &str, lbd: &LbdProcess) {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let out = curl(&["-s", "-i", &format!("http://127.0.0.1:{port}/")]);
        if out
            .responses()
            .first()
            .is_some_and(|r| r.served_by() == name)
        {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "never served by {name}: {}{}",
            out.stdout_str(),
            lbd.output_hint()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// `fe` on `port` (and `extra_port`, if any) sending to `target`, with
/// backends `a` (server A) and, when `with_b`, `b` (server B).
fn config(
    port: u16,
    extra: &str,
    target: &str,
    a: &HttpBackend,
    b: Option<&HttpBackend>,
) -> String {
    let be_b = b
        .map(|b| format!("backend b\n    server B {}\n", b.addr()))
        .unwrap_or_default();
    format!(
        "{HTTP_DEFAULTS}
frontend fe
    bind 127.0.0.1:{port}
{extra}
    default_backend {target}

backend a
    server A {}

{be_b}",
        a.addr()
    )
}

#[test]
fn sigusr2_loads_a_new_backend_and_route() {
    let (a, b) = (HttpBackend::start("A"), HttpBackend::start("B"));
    let port = free_port();
    let lbd = start(TempDir::new(), &config(port, "", "a", &a, None));
    wait_served_by(port, "A", &lbd);
    lbd.rewrite_config(&config(port, "", "b", &a, Some(&b)));
    assert!(reload(&lbd), "reload refused{}", lbd.output_hint());
    wait_served_by(port, "B", &lbd);
}

#[test]
fn a_removed_listener_closes_its_port_and_a_new_one_opens() {
    let a = HttpBackend::start("A");
    let (port, p2, p3) = (free_port(), free_port(), free_port());
    let first = config(port, &format!("    bind 127.0.0.1:{p2}"), "a", &a, None);
    let mut lbd = start(TempDir::new(), &first);
    lbd.wait_config_listening(&first);
    let second = config(port, &format!("    bind 127.0.0.1:{p3}"), "a", &a, None);
    lbd.rewrite_config(&second);
    assert!(reload(&lbd), "reload refused{}", lbd.output_hint());
    lbd.wait_config_listening(&second);
    let deadline = Instant::now() + Duration::from_secs(5);
    while TcpStream::connect(("127.0.0.1", p2)).is_ok() {
        assert!(
            Instant::now() < deadline,
            "removed listener still open{}",
            lbd.output_hint()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    wait_served_by(port, "A", &lbd);
    wait_served_by(p3, "A", &lbd);
}

#[test]
fn a_broken_config_is_refused_and_the_old_one_keeps_serving() {
    let (a, b) = (HttpBackend::start("A"), HttpBackend::start("B"));
    let port = free_port();
    let lbd = start(TempDir::new(), &config(port, "", "a", &a, None));
    wait_served_by(port, "A", &lbd);
    let broken = config(port, "", "b", &a, Some(&b)).replace(
        &format!("server B {}", b.addr()),
        &format!("server B {} bogus-keyword", b.addr()),
    );
    lbd.rewrite_config(&broken);
    assert!(!reload(&lbd), "broken config loaded{}", lbd.output_hint());
    assert!(
        lbd.stderr().contains("[ALERT]") && lbd.stderr().contains("'bogus-keyword'"),
        "no alert naming the fault{}",
        lbd.output_hint()
    );
    for _ in 0..5 {
        wait_served_by(port, "A", &lbd);
    }
    // Fixed, it loads.
    lbd.rewrite_config(&config(port, "", "b", &a, Some(&b)));
    assert!(reload(&lbd), "fixed config refused{}", lbd.output_hint());
    wait_served_by(port, "B", &lbd);
}

#[test]
fn a_slow_request_finishes_on_the_old_generation() {
    let (a, b) = (HttpBackend::start("A"), HttpBackend::start("B"));
    let port = free_port();
    let lbd = start(TempDir::new(), &config(port, "", "a", &a, None));
    wait_served_by(port, "A", &lbd);
    let slow = std::thread::spawn(move || {
        curl(&[
            "-s",
            "-i",
            "-H",
            "x-delay-ms: 1500",
            &format!("http://127.0.0.1:{port}/slow"),
        ])
    });
    let deadline = Instant::now() + Duration::from_secs(5);
    while a.active() == 0 {
        assert!(Instant::now() < deadline, "slow request never arrived");
        std::thread::sleep(Duration::from_millis(5));
    }
    lbd.rewrite_config(&config(port, "", "b", &a, Some(&b)));
    assert!(reload(&lbd), "reload refused{}", lbd.output_hint());
    wait_served_by(port, "B", &lbd);
    let out = slow
        .join()
        .unwrap_or_else(|_| panic!("curl thread panicked"));
    let r = out.responses();
    assert_eq!(
        r.first().map(|r| (r.status, r.served_by())),
        Some((200, "A".to_string())),
        "{}{}",
        out.stderr,
        lbd.output_hint()
    );
}

#[test]
fn an_idle_keep_alive_connection_is_closed_after_a_reload() {
    let a = HttpBackend::start("A");
    let port = free_port();
    let lbd = start(TempDir::new(), &config(port, "", "a", &a, None));
    let mut c = RawClient::connect(port);
    let r = c.request(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    assert_eq!(r.status, 200);
    assert!(reload(&lbd), "reload refused{}", lbd.output_hint());
    let (rest, closed) = c.read_until_close(Duration::from_secs(5));
    assert!(
        closed && rest.is_empty(),
        "idle connection not closed cleanly: {:?}{}",
        String::from_utf8_lossy(&rest),
        lbd.output_hint()
    );
}

#[test]
fn no_connection_is_refused_across_20_reloads() {
    let (a, b) = (HttpBackend::start("A"), HttpBackend::start("B"));
    let (port, extra) = (free_port(), free_port());
    let one = config(port, "", "a", &a, None);
    let two = config(
        port,
        &format!("    bind 127.0.0.1:{extra}"),
        "b",
        &a,
        Some(&b),
    );
    let lbd = start(TempDir::new(), &one);
    wait_served_by(port, "A", &lbd);
    let hammer = Hammer::start(port, 4);
    let mut took = Vec::new();
    for i in 0..20 {
        lbd.rewrite_config(if i % 2 == 0 { &two } else { &one });
        let t = Instant::now();
        assert!(reload(&lbd), "reload {i} refused{}", lbd.output_hint());
        took.push(t.elapsed());
        // HAProxy's master re-executes itself to reload, and a SIGUSR2 that
        // lands before the new master is up is lost: give it that time.
        let pause = if is_haproxy() { 700 } else { 50 };
        std::thread::sleep(Duration::from_millis(pause));
    }
    let counts = hammer.finish();
    took.sort();
    eprintln!(
        "20 reloads under load: {counts:?}; reload verdict median {:?}, max {:?}",
        took[took.len() / 2],
        took[took.len() - 1]
    );
    assert!(counts.ok > 100, "too little traffic: {counts:?}");
    assert_eq!(counts.failures(), 0, "{counts:?}{}", lbd.output_hint());
    assert!(
        counts.served_by.contains_key("A") && counts.served_by.contains_key("B"),
        "{counts:?}"
    );
}

#[test]
fn server_maintenance_set_at_runtime_survives_a_reload() {
    if is_haproxy() {
        // HAProxy keeps runtime server state across a reload only through
        // `server-state-file`, dumped by the operator before reloading; lbd
        // carries it over by itself, with the same precedence rules.
        return;
    }
    let (a1, a2) = (HttpBackend::start("s1"), HttpBackend::start("s2"));
    let port = free_port();
    let dir = TempDir::new();
    let sock = dir.join("admin.sock");
    let cfg = with_stats_socket(
        &http_config(port, "", &server_lines(&[&a1, &a2], "")),
        &sock,
        "level admin",
    );
    let lbd = start(dir, &cfg);
    wait_socket(&sock);
    assert_eq!(cli(&sock, "set server be/s1 state maint"), "\n");
    // The same file with a comment: the configuration did not move, so the
    // state set at run time stands.
    lbd.rewrite_config(&format!("{cfg}\n# reloaded\n"));
    assert!(reload(&lbd), "reload refused{}", lbd.output_hint());
    wait_served_by(port, "s2", &lbd);
    let counts = tests::count_served(port, 10);
    assert_eq!(counts.get("s1"), None, "{counts:?}{}", lbd.output_hint());
    let state = cli(&sock, "show servers state be");
    assert!(
        state
            .lines()
            .any(|l| l.contains(" s1 ") && l.split_whitespace().nth(6) == Some("1")),
        "s1 not in forced maintenance after the reload:\n{state}"
    );
}

#[test]
fn stick_table_entries_survive_a_reload_to_a_new_worker() {
    if is_haproxy() {
        // 2.6 hands tables to the new process only through a `peers`
        // section naming the local peer, which lbd does not parse; lbd
        // hands them over by itself on every reload.
        return;
    }
    let (a1, a2) = (HttpBackend::start("s1"), HttpBackend::start("s2"));
    let port = free_port();
    let dir = TempDir::new();
    let sock = dir.join("admin.sock");
    let cfg = http_config(
        port,
        "    stick-table type ip size 1k expire 60s store http_req_cnt,gpc0\n    http-request track-sc0 src",
        &format!(
            "    balance roundrobin\n    stick-table type ip size 1k expire 60s\n    stick on src\n{}",
            server_lines(&[&a1, &a2], "")
        ),
    );
    let cfg = with_stats_socket(&cfg, &sock, "level admin");
    let lbd = start(dir, &cfg);
    wait_socket(&sock);
    let url = format!("http://127.0.0.1:{port}/");
    let urls: Vec<String> = (0..3).map(|_| url.clone()).collect();
    let before = count_by_server(&curl_many(&urls, &[]));
    assert_eq!(
        before.get("s1"),
        Some(&3),
        "{before:?}{}",
        lbd.output_hint()
    );
    // Persistence moved to s2 by hand (the entry rewritten without the
    // server_key that would win over server_id), and a counter set: a new
    // worker that started from empty tables would send the next request to
    // s1 (round robin starts there) and show gpc0=0.
    assert_eq!(cli(&sock, "clear table be key 127.0.0.1"), "\n");
    assert_eq!(
        cli(&sock, "set table be key 127.0.0.1 data.server_id 2"),
        "\n"
    );
    assert_eq!(cli(&sock, "set table fe key 127.0.0.1 data.gpc0 7"), "\n");
    let moved = count_by_server(&curl_many(&urls[..1], &[]));
    assert_eq!(moved.get("s2"), Some(&1), "{moved:?}{}", lbd.output_hint());
    lbd.rewrite_config(&format!("{cfg}\n# reloaded\n"));
    assert!(reload(&lbd), "reload refused{}", lbd.output_hint());
    let deadline = Instant::now() + Duration::from_secs(5);
    let fe = loop {
        let fe = cli(&sock, "show table fe");
        if fe.contains("gpc0=7") || Instant::now() > deadline {
            break fe;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(
        fe.contains("key=127.0.0.1") && fe.contains("gpc0=7") && fe.contains("http_req_cnt=4"),
        "frontend table not carried:\n{fe}{}",
        lbd.output_hint()
    );
    let after = count_by_server(&curl_many(&urls, &[]));
    assert_eq!(after.get("s2"), Some(&3), "{after:?}{}", lbd.output_hint());
    let fe = cli(&sock, "show table fe");
    assert!(fe.contains("http_req_cnt=7"), "{fe}");
}
