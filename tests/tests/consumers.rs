//! The runtime API's real consumers: hatop 0.8.2 driven through tmux, and
//! prometheus-haproxy-exporter 0.14.0 scraping the stats socket (spec 8.1,
//! 8.2, 12.7); plus what the CLI's state changes and `clear counters` do to
//! the counters those tools display, and the socket's permissions.

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::PathBuf;
use std::time::Duration;

use tests::exporter::Exporter;
use tests::stats_socket::{cli, server_state, stat_row, wait_socket};
use tests::tmux::Tmux;
use tests::*;

/// A proxy with `frontend fe` over `backend be` made of `servers`, and one
/// stats socket per `(file name, socket options)`.
struct Setup {
    lbd: LbdProcess,
    port: u16,
    socks: Vec<PathBuf>,
}

fn start(sockets: &[(&str, &str)], servers: &str) -> Setup {
    let dir = TempDir::new();
    let port = free_port();
    let socks: Vec<PathBuf> = sockets.iter().map(|(n, _)| dir.join(n)).collect();
    let lines: String = socks
        .iter()
        .zip(sockets)
        .map(|(p, (_, opts))| format!("    stats socket {} {opts}\n", p.display()))
        .collect();
    let cfg = format!(
        "global
    maxconn 1000
{lines}
defaults
    mode http
    timeout connect 2s
    timeout client 10s
    timeout server 10s

frontend fe
    bind 127.0.0.1:{port}
    default_backend be

backend be
{servers}"
    );
    let lbd = LbdProcess::start_in(dir, &cfg);
    for s in &socks {
        wait_socket(s);
    }
    Setup { lbd, port, socks }
}

/// Sends `n` requests and returns the responses.
fn traffic(port: u16, n: usize) -> Vec<Response> {
    let urls: Vec<String> = (0..n)
        .map(|_| format!("http://127.0.0.1:{port}/"))
        .collect();
    let rs = curl_many(&urls, &[]);
    assert!(rs.iter().all(|r| r.status == 200), "a client saw an error");
    rs
}

fn served(port: u16, n: usize) -> std::collections::BTreeMap<String, usize> {
    count_by_server(&traffic(port, n))
}

/// The field `name` of `be/sv` in `show stat`.
fn stat(sock: &std::path::Path, sv: &str, name: &str) -> String {
    let row = stat_row(sock, "be", sv);
    row.get(name).cloned().unwrap_or_default()
}

/// Waits until `be/sv`'s `name` field satisfies `pred`.
fn wait_stat(sock: &std::path::Path, sv: &str, name: &str, pred: impl Fn(&str) -> bool) {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let v = stat(sock, sv, name);
        if pred(&v) {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "be/{sv} {name} stuck at {v:?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The hatop line of server `sv` (its name starts the line).
fn screen_line<'a>(screen: &'a str, sv: &str) -> &'a str {
    screen
        .lines()
        .find(|l| l.split_whitespace().next() == Some(sv))
        .unwrap_or("")
}

/// Moves hatop's cursor down until the footer names `[#iid/#sid]`.
fn select(hatop: &Tmux, iid: &str, sid: &str) {
    let target = format!("[#{iid}/#{sid}]");
    for _ in 0..20 {
        if hatop
            .poll_screen(Duration::from_millis(600), |s| s.contains(&target))
            .is_some()
        {
            return;
        }
        hatop.keys(&["Down"]);
    }
    panic!("hatop's cursor never reached {target}:\n{}", hatop.screen());
}

#[test]
fn hatop_shows_servers_and_its_hotkeys_disable_and_enable_one() {
    let s1 = HttpBackend::start("s1");
    let s2 = HttpBackend::start("s2");
    let t = start(
        &[("admin.sock", "mode 600 level admin")],
        &server_lines(&[&s1, &s2], "check inter 500"),
    );
    let sock = &t.socks[0];
    let hatop = Tmux::start(&format!("hatop -s {} -i 1", sock.display()), 160, 40);
    let screen = hatop.wait_screen(Duration::from_secs(10), "both servers UP", |s| {
        s.contains(">>> fe")
            && s.contains(">>> be")
            && screen_line(s, "FRONTEND").contains("OPEN")
            && screen_line(s, "s1").contains("UP")
            && screen_line(s, "s2").contains("UP")
            && screen_line(s, "BACKEND").contains("UP")
    });
    assert!(screen.contains("HAProxy Version:"), "{screen}");

    // F10 on s1's line: hatop sends `disable server be/s1`.
    let row = stat_row(sock, "be", "s1");
    select(&hatop, &row["iid"], &row["sid"]);
    hatop.keys(&["F10"]);
    wait_stat(sock, "s1", "status", |v| v == "MAINT");
    hatop.wait_screen(Duration::from_secs(5), "s1 in MAINT", |s| {
        screen_line(s, "s1").contains("MAINT")
    });
    let state = server_state(sock, "be", "s1");
    assert_eq!(
        (state[5].as_str(), state[6].as_str()),
        ("0", "1"),
        "{state:?}"
    );
    let counts = served(t.port, 10);
    assert_eq!(counts.get("s1"), None, "{counts:?}");
    assert_eq!(counts.get("s2"), Some(&10));

    // F9 brings it back.
    hatop.keys(&["F9"]);
    wait_stat(sock, "s1", "status", |v| v.starts_with("UP"));
    let counts = served(t.port, 10);
    assert_eq!(counts.get("s1"), Some(&5), "{counts:?}");

    // The CLI tab (5) passes a typed command through.
    hatop.keys(&["5"]);
    hatop.wait_screen(Duration::from_secs(5), "the CLI tab", |s| {
        s.contains("PGUP/PGDOWN=SCROLL")
    });
    hatop.type_text("set weight be/s2 7");
    hatop.keys(&["Enter"]);
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while cli(sock, "get weight be/s2") != "7 (initial 1)\n\n" {
        assert!(
            std::time::Instant::now() < deadline,
            "weight not set from hatop's CLI:\n{}",
            hatop.screen()
        );
        std::thread::sleep(Duration::from_millis(50));
    }

    // q quits (hatop sends `quit`); tmux is killed by the guard anyway.
    hatop.keys(&["Escape", "q"]);
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while !hatop.program_exited() {
        assert!(
            std::time::Instant::now() < deadline,
            "hatop did not quit:\n{}",
            hatop.screen()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = &t.lbd;
}

#[test]
fn prometheus_exporter_reports_the_traffic_sent() {
    let s1 = HttpBackend::start("s1");
    let s2 = HttpBackend::start("s2");
    let t = start(
        &[("admin.sock", "mode 660 level admin")],
        &server_lines(&[&s1, &s2], ""),
    );
    let sock = &t.socks[0];
    let rs = traffic(t.port, 10);
    // (body bytes, wire bytes) each server's responses brought the client.
    let mut bytes = std::collections::BTreeMap::new();
    for r in &rs {
        let e = bytes.entry(r.served_by()).or_insert((0usize, 0usize));
        e.0 += r.body.len();
        e.1 += r.raw.len();
    }
    let exporter = Exporter::start(sock);
    let m = exporter.scrape();
    assert_eq!(m.get("haproxy_up"), 1.0);
    assert_eq!(m.get("haproxy_exporter_csv_parse_failures_total"), 0.0);
    assert!(
        m.samples
            .keys()
            .any(|k| k.starts_with("haproxy_version_info{")),
        "{}",
        m.text
    );
    assert_eq!(
        m.get("haproxy_frontend_http_requests_total{frontend=\"fe\"}"),
        10.0
    );
    assert_eq!(
        m.get("haproxy_backend_http_responses_total{backend=\"be\",code=\"2xx\"}"),
        10.0
    );
    for s in ["s1", "s2"] {
        let l = format!("backend=\"be\",server=\"{s}\"");
        assert_eq!(
            m.get(&format!(
                "haproxy_server_http_responses_total{{backend=\"be\",code=\"2xx\",server=\"{s}\"}}"
            )),
            5.0
        );
        assert_eq!(
            m.get(&format!(
                "haproxy_server_http_responses_total{{backend=\"be\",code=\"5xx\",server=\"{s}\"}}"
            )),
            0.0
        );
        assert_eq!(
            m.get(&format!("haproxy_server_server_selected_total{{{l}}}")),
            5.0
        );
        // 2.6 counts its internal (HTX) representation of the head, not
        // the wire bytes: a few bytes either way per response, never less
        // than the bodies.
        let out = m.get(&format!("haproxy_server_bytes_out_total{{{l}}}"));
        let (body, wire) = bytes[s];
        assert!(
            out >= body as f64 && out <= (wire + 5 * 16) as f64,
            "bytes out for {s}: {out}, bodies {body}, on the wire {wire}"
        );
        assert_eq!(out.to_string(), stat(sock, s, "bout"));
        assert_eq!(m.get(&format!("haproxy_server_up{{{l}}}")), 1.0);
    }

    // A server disabled from the CLI is reported down on the next scrape.
    let scrapes = m.get("haproxy_exporter_scrapes_total");
    assert_eq!(cli(sock, "disable server be/s2"), "\n");
    let m = exporter.scrape();
    assert_eq!(
        m.get("haproxy_server_up{backend=\"be\",server=\"s2\"}"),
        0.0
    );
    assert_eq!(
        m.get("haproxy_server_up{backend=\"be\",server=\"s1\"}"),
        1.0
    );
    assert_eq!(m.get("haproxy_exporter_csv_parse_failures_total"), 0.0);
    assert_eq!(m.get("haproxy_exporter_scrapes_total"), scrapes + 1.0);
    let _ = &t.lbd;
}

#[test]
fn cli_state_changes_move_lastchg_chkdown_and_servers_state() {
    let s1 = HttpBackend::start("s1");
    let s2 = HttpBackend::start("s2");
    let t = start(
        &[("admin.sock", "level admin")],
        &server_lines(&[&s1, &s2], "check inter 500"),
    );
    let sock = &t.socks[0];
    // lastchg counts seconds: let it reach 1 so a reset shows.
    wait_stat(sock, "s1", "lastchg", |v| {
        v.parse::<u32>().is_ok_and(|n| n >= 1)
    });
    assert_eq!(stat(sock, "s1", "chkdown"), "0");
    assert_eq!(cli(sock, "set server be/s1 state maint"), "\n");
    let row = stat_row(sock, "be", "s1");
    assert_eq!(row["status"], "MAINT");
    assert_eq!(row["lastchg"], "0");
    assert_eq!(row["chkdown"], "1");
    // 2.6 stops a server in maintenance: op state 0, admin 1 (forced),
    // health 0, check state 0x0e (configured, enabled, paused).
    let st = server_state(sock, "be", "s1");
    assert_eq!(
        (&*st[5], &*st[6], &*st[9], &*st[12], &*st[13]),
        ("0", "1", "0", "0", "14"),
        "{st:?}"
    );
    // The other server and the backend did not change.
    assert_ne!(stat(sock, "s2", "lastchg"), "0");
    assert_eq!(stat(sock, "BACKEND", "chkdown"), "0");

    wait_stat(sock, "s1", "lastchg", |v| {
        v.parse::<u32>().is_ok_and(|n| n >= 1)
    });
    assert_eq!(cli(sock, "enable server be/s1"), "\n");
    let row = stat_row(sock, "be", "s1");
    assert!(row["status"].starts_with("UP"), "{row:?}");
    assert_eq!(row["lastchg"], "0");
    assert_eq!(row["chkdown"], "1");
    let st = server_state(sock, "be", "s1");
    assert_eq!((&*st[5], &*st[6]), ("2", "0"), "{st:?}");
    let _ = &t.lbd;
}

#[test]
fn clear_counters_by_level() {
    let s1 = HttpBackend::start("s1");
    let t = start(
        &[
            ("admin.sock", "level admin"),
            ("oper.sock", "level operator"),
            ("user.sock", "level user"),
        ],
        &server_lines(&[&s1], ""),
    );
    let (admin, oper, user) = (&t.socks[0], &t.socks[1], &t.socks[2]);
    traffic(t.port, 4);
    let fe = stat_row(admin, "fe", "FRONTEND");
    assert_eq!((&*fe["stot"], &*fe["smax"]), ("1", "1"), "{fe:?}");
    assert_eq!(stat(admin, "s1", "hrsp_2xx"), "4");

    assert_eq!(cli(user, "clear counters"), "Permission denied\n\n");
    assert_eq!(cli(oper, "clear counters all"), "Permission denied\n\n");
    assert_eq!(stat(admin, "s1", "smax"), "1");
    // Maxima only: the totals stay.
    assert_eq!(cli(oper, "clear counters"), "\n");
    let fe = stat_row(admin, "fe", "FRONTEND");
    assert_eq!((&*fe["stot"], &*fe["smax"]), ("1", "0"), "{fe:?}");
    assert_eq!(stat(admin, "s1", "smax"), "0");
    assert_eq!(stat(admin, "s1", "hrsp_2xx"), "4");
    // Everything.
    assert_eq!(cli(admin, "clear counters all"), "\n");
    let fe = stat_row(admin, "fe", "FRONTEND");
    assert_eq!((&*fe["stot"], &*fe["req_tot"]), ("0", "0"), "{fe:?}");
    assert_eq!(stat(admin, "s1", "hrsp_2xx"), "0");
    assert_eq!(stat(admin, "s1", "stot"), "0");
    assert_eq!(stat(admin, "BACKEND", "bout"), "0");
    // Counting goes on from zero.
    traffic(t.port, 2);
    assert_eq!(stat(admin, "s1", "hrsp_2xx"), "2");
    let _ = &t.lbd;
}

/// The id of `name` in /etc/passwd or /etc/group.
fn id_of(file: &str, name: &str) -> Option<u32> {
    let text = std::fs::read_to_string(file).ok()?;
    let l = text.lines().find(|l| l.split(':').next() == Some(name))?;
    l.split(':').nth(2)?.parse().ok()
}

/// The uid of `nobody` and the gid of `nogroup`.
fn nobody() -> Option<(u32, u32)> {
    Some((
        id_of("/etc/passwd", "nobody")?,
        id_of("/etc/group", "nogroup")?,
    ))
}

#[test]
fn socket_owner_and_mode_as_configured_and_user_level_refuses_changes() {
    // Changing a file's owner needs root: elsewhere only the mode is checked.
    let root = nix::unistd::geteuid().is_root();
    let owner = match nobody() {
        Some(_) if root => "user nobody group nogroup".to_string(),
        _ => String::new(),
    };
    let s1 = HttpBackend::start("s1");
    let t = start(
        &[("user.sock", &format!("mode 604 {owner} level user"))],
        &server_lines(&[&s1], ""),
    );
    let sock = &t.socks[0];
    let meta = match std::fs::metadata(sock) {
        Ok(m) => m,
        Err(e) => panic!("stat {}: {e}", sock.display()),
    };
    assert_eq!(meta.permissions().mode() & 0o777, 0o604);
    if let (true, Some((uid, gid))) = (root, nobody()) {
        assert_eq!((meta.uid(), meta.gid()), (uid, gid));
    }
    for c in [
        "disable server be/s1",
        "set server be/s1 state maint",
        "enable health be/s1",
        "set weight be/s1 0",
        "clear counters",
    ] {
        assert_eq!(cli(sock, c), "Permission denied\n\n", "{c}");
    }
    assert_eq!(stat(sock, "s1", "status"), "no check");
    let _ = &t.lbd;
}
