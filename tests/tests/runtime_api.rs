//! The runtime API (`stats socket`): session semantics byte for byte, the
//! server commands' effect on traffic, levels, socket file permissions, and
//! misbehaving CLI clients that must not block anyone else.

use std::io::{Read, Write};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use tests::*;

/// A proxy with one HTTP frontend over `servers`, an admin socket and a
/// `level user` socket.
struct Setup {
    lbd: LbdProcess,
    port: u16,
    admin: PathBuf,
    user: PathBuf,
}

fn start(global_extra: &str, servers: &str) -> Setup {
    let dir = TempDir::new();
    let admin = dir.join("admin.sock");
    let user = dir.join("user.sock");
    let port = free_port();
    let cfg = format!(
        "global
    maxconn 1000
    stats socket {} mode 640 level admin
    stats socket {} level user
{global_extra}
defaults
    mode http
    timeout connect 2s
    timeout client 10s
    timeout server 10s

frontend fe
    bind 127.0.0.1:{port}
    default_backend be

backend be
{servers}",
        admin.display(),
        user.display()
    );
    let lbd = LbdProcess::start_in(dir, &cfg);
    for p in [&admin, &user] {
        wait_socket(&lbd, p);
    }
    Setup {
        lbd,
        port,
        admin,
        user,
    }
}

fn wait_socket(lbd: &LbdProcess, p: &Path) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while UnixStream::connect(p).is_err() {
        assert!(
            Instant::now() < deadline,
            "no stats socket at {}{}",
            p.display(),
            lbd.output_hint()
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Sends `input` and reads until the proxy closes (or 3 s pass: then the
/// bytes so far and false).
fn exchange(sock: &Path, input: &[u8]) -> (String, bool) {
    let mut s = match UnixStream::connect(sock) {
        Ok(s) => s,
        Err(e) => panic!("connect {}: {e}", sock.display()),
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(3)));
    let _ = s.write_all(input);
    let mut out = Vec::new();
    let mut buf = [0u8; 8192];
    let closed = loop {
        match s.read(&mut buf) {
            Ok(0) => break true,
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(_) => break false,
        }
    };
    (String::from_utf8_lossy(&out).into_owned(), closed)
}

fn cmd(sock: &Path, line: &str) -> String {
    let (out, closed) = exchange(sock, format!("{line}\n").as_bytes());
    assert!(closed, "non-interactive session not closed after {line:?}");
    out
}

/// Reads from an interactive session until the output ends with `"> "`.
fn read_prompt(s: &mut UnixStream) -> String {
    let _ = s.set_read_timeout(Some(Duration::from_secs(3)));
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    while !out.ends_with(b"> ") {
        match s.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => out.extend_from_slice(&buf[..n]),
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[test]
fn non_interactive_answers_each_command_then_closes() {
    let s1 = HttpBackend::start("s1");
    let t = start("", &server_lines(&[&s1], ""));
    assert_eq!(cmd(&t.admin, "show cli level"), "admin\n\n");
    assert_eq!(cmd(&t.user, "show cli level"), "user\n\n");
    // `;` runs several commands; CRLF is accepted.
    let (out, closed) = exchange(&t.admin, b"show cli level;operator;show cli level\r\n");
    assert!(closed);
    assert_eq!(out, "admin\n\n\noperator\n\n");
    // Lines already buffered are all answered.
    let (out, _) = exchange(&t.admin, b"show cli level\nuser;show cli level\n");
    assert_eq!(out, "admin\n\n\nuser\n\n");
    // Lowering then asking for more is refused.
    assert_eq!(cmd(&t.admin, "user;operator"), "\nPermission denied\n\n");
    // No LF before EOF: no output at all.
    let mut s = UnixStream::connect(&t.admin)
        .ok()
        .unwrap_or_else(|| panic!("connect"));
    let _ = s.write_all(b"show cli level");
    let _ = s.shutdown(std::net::Shutdown::Write);
    let mut out = Vec::new();
    let _ = s.set_read_timeout(Some(Duration::from_secs(3)));
    let _ = s.read_to_end(&mut out);
    assert!(out.is_empty(), "{:?}", String::from_utf8_lossy(&out));
}

#[test]
fn interactive_prompt_mode() {
    let s1 = HttpBackend::start("s1");
    let t = start("", &server_lines(&[&s1], ""));
    let mut s = UnixStream::connect(&t.admin)
        .ok()
        .unwrap_or_else(|| panic!("connect"));
    let _ = s.write_all(b"prompt\n");
    assert_eq!(read_prompt(&mut s), "\n> ");
    let _ = s.write_all(b"show cli level\n");
    assert_eq!(read_prompt(&mut s), "admin\n\n> ");
    // A prompt after each command of a `;` line.
    let _ = s.write_all(b"show cli level;show cli level\n");
    let mut out = read_prompt(&mut s);
    if out == "admin\n\n> " {
        out.push_str(&read_prompt(&mut s));
    }
    assert_eq!(out, "admin\n\n> admin\n\n> ");
    let _ = s.write_all(b"set timeout cli 60\n");
    assert_eq!(read_prompt(&mut s), "\n> ");
    // An unknown word gets the "maybe" usage, then the prompt.
    let _ = s.write_all(b"show cli levle\n");
    let out = read_prompt(&mut s);
    assert!(
        out.starts_with(
            "Unknown command, but maybe one of the following ones is a better match:\n"
        ),
        "{out}"
    );
    assert!(out.contains("  show cli level "), "{out}");
    assert!(out.ends_with("  quit                                    : disconnect\n\n> "));
    // quit closes without a word.
    let _ = s.write_all(b"quit\n");
    let mut rest = Vec::new();
    let _ = s.read_to_end(&mut rest);
    assert!(rest.is_empty());
}

#[test]
fn errors_and_levels_exact_texts() {
    let s1 = HttpBackend::start("s1");
    let t = start("", &server_lines(&[&s1], "weight 50"));
    assert_eq!(
        cmd(&t.user, "disable server be/s1"),
        "Permission denied\n\n"
    );
    assert_eq!(
        cmd(&t.user, "set server be/s1 state maint"),
        "Permission denied\n\n"
    );
    assert_eq!(
        cmd(&t.admin, "disable server be/nope"),
        "No such server.\n\n"
    );
    assert_eq!(
        cmd(&t.admin, "disable server nope/s1"),
        "No such backend.\n\n"
    );
    assert_eq!(
        cmd(&t.admin, "disable server be"),
        "Require 'backend/server'.\n\n"
    );
    assert_eq!(
        cmd(&t.admin, "set server be/s1 weight 300"),
        "Absolute weight can only be between 0 and 256 inclusive.\n\n"
    );
    assert_eq!(
        cmd(&t.admin, "set server be/s1 state foo"),
        "'set server <srv> state' expects 'ready', 'drain' and 'maint'.\n\n"
    );
    assert_eq!(cmd(&t.admin, "set server be/s1 weight 50%"), "\n");
    assert_eq!(cmd(&t.user, "get weight be/s1"), "25 (initial 50)\n\n");
    assert_eq!(
        cmd(&t.admin, "set server be/s1 addr 127.0.0.1"),
        "no need to change the addr by 'stats socket command'\n\n"
    );
    assert_eq!(
        cmd(&t.admin, "set maxconn global 99999999"),
        "Value out of range.\n\n"
    );
    assert_eq!(
        cmd(&t.admin, "set maxconn frontend nope 10"),
        "No such frontend.\n\n"
    );
    let help = cmd(&t.admin, "help");
    assert!(help.starts_with("The following commands are valid at this level:\n"));
    assert!(help.contains(
        "  show cli level                          : display the level of the current CLI session\n"
    ));
    let unknown = cmd(&t.admin, "");
    assert!(
        unknown.starts_with("Unknown command. Please enter one of the following commands only:\n")
    );
}

#[test]
fn socket_file_mode_and_owner() {
    let s1 = HttpBackend::start("s1");
    let t = start("", &server_lines(&[&s1], ""));
    let meta = std::fs::metadata(&t.admin)
        .ok()
        .unwrap_or_else(|| panic!("stat"));
    assert_eq!(meta.permissions().mode() & 0o777, 0o640);
    assert_eq!(meta.uid(), nix::unistd::geteuid().as_raw());
    let _ = &t.lbd;
}

#[test]
fn disable_and_enable_server_steer_traffic() {
    let s1 = HttpBackend::start("s1");
    let s2 = HttpBackend::start("s2");
    let t = start("", &server_lines(&[&s1, &s2], ""));
    assert_eq!(cmd(&t.admin, "disable server be/s1"), "\n");
    let counts = count_served(t.port, 10);
    assert_eq!(counts.get("s1"), None, "{counts:?}");
    assert_eq!(counts.get("s2"), Some(&10));
    assert_eq!(cmd(&t.admin, "enable server be/s1"), "\n");
    let counts = count_served(t.port, 10);
    assert_eq!(counts.get("s1"), Some(&5), "{counts:?}");
    // Drain: no new balanced traffic.
    assert_eq!(cmd(&t.admin, "set server be/s2 state drain"), "\n");
    let counts = count_served(t.port, 6);
    assert_eq!(counts.get("s1"), Some(&6), "{counts:?}");
    assert_eq!(cmd(&t.admin, "set server be/s2 state ready"), "\n");
    let counts = count_served(t.port, 6);
    assert_eq!(counts.get("s2"), Some(&3), "{counts:?}");
}

#[test]
fn set_weight_changes_shares() {
    let s1 = HttpBackend::start("s1");
    let s2 = HttpBackend::start("s2");
    let t = start("", &server_lines(&[&s1, &s2], "weight 10"));
    assert_eq!(cmd(&t.admin, "set server be/s1 weight 30"), "\n");
    let counts = count_served(t.port, 40);
    assert_eq!(counts.get("s1"), Some(&30), "{counts:?}");
    assert_eq!(counts.get("s2"), Some(&10), "{counts:?}");
    assert_eq!(cmd(&t.admin, "set server be/s1 weight 0"), "\n");
    let counts = count_served(t.port, 5);
    assert_eq!(counts.get("s2"), Some(&5), "{counts:?}");
}

#[test]
fn set_maxconn_global_limits_new_connections() {
    let s1 = HttpBackend::start("s1");
    let t = start("", &server_lines(&[&s1], ""));
    assert_eq!(cmd(&t.admin, "set maxconn global 1"), "\n");
    // One idle client holds the only slot: a second one is not served.
    let _first = RawClient::connect(t.port);
    std::thread::sleep(Duration::from_millis(200));
    let out = curl(&[
        "-s",
        "-o",
        "/dev/null",
        "-w",
        "%{http_code}",
        "--max-time",
        "1",
        &format!("http://127.0.0.1:{}/", t.port),
    ]);
    assert_ne!(out.stdout_str(), "200");
    drop(_first);
    assert_eq!(cmd(&t.admin, "set maxconn global 100"), "\n");
    assert_eq!(count_served(t.port, 3).get("s1"), Some(&3));
}

#[test]
fn bad_cli_clients_block_nobody() {
    let s1 = HttpBackend::start("s1");
    let t = start("", &server_lines(&[&s1], ""));
    // Binary garbage without a line end, a huge line, and a client that
    // sends many commands and never reads its answers.
    let mut garbage = UnixStream::connect(&t.admin)
        .ok()
        .unwrap_or_else(|| panic!("connect"));
    let _ = garbage.write_all(&[0u8, 1, 2, 0xff, 0xfe, b'\\']);
    let mut huge = UnixStream::connect(&t.admin)
        .ok()
        .unwrap_or_else(|| panic!("connect"));
    let _ = huge.set_write_timeout(Some(Duration::from_millis(500)));
    let _ = huge.write_all(&vec![b'x'; 1 << 20]);
    let mut mute = UnixStream::connect(&t.admin)
        .ok()
        .unwrap_or_else(|| panic!("connect"));
    let _ = mute.set_write_timeout(Some(Duration::from_millis(500)));
    let _ = mute.write_all(b"prompt\n");
    for _ in 0..2000 {
        if mute.write_all(b"help\n").is_err() {
            break;
        }
    }
    // Another CLI client and proxied traffic are served at once.
    let started = Instant::now();
    assert_eq!(cmd(&t.admin, "show cli level"), "admin\n\n");
    assert_eq!(count_served(t.port, 3).get("s1"), Some(&3));
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[test]
fn a_draining_server_keeps_its_weight_in_show_stat_but_gets_no_traffic() {
    let s1 = HttpBackend::start("s1");
    let s2 = HttpBackend::start("s2");
    let t = start(
        "",
        &format!(
            "    server s1 {} weight 5\n    server s2 {} weight 3\n",
            s1.addr(),
            s2.addr()
        ),
    );
    assert_eq!(cmd(&t.admin, "set server be/s1 state drain"), "\n");
    let get = |sv: &str| {
        let r = tests::stats_socket::stat_row(&t.admin, "be", sv);
        (
            r.get("status").cloned().unwrap_or_default(),
            r.get("weight").cloned().unwrap_or_default(),
        )
    };
    assert_eq!(get("s1"), ("DRAIN".to_string(), "5".to_string()));
    assert_eq!(get("BACKEND"), ("UP".to_string(), "3".to_string()));
    let counts = count_served(t.port, 6);
    assert_eq!(counts.get("s2"), Some(&6), "{counts:?}");
}

/// Leaving forced maintenance restarts the check at `rise`, as 2.6 does:
/// with `rise 2 fall 3` the status reads `UP 1/3` (not a straight `UP`)
/// until the next check confirms the server, then `UP`.
#[test]
fn enable_server_restarts_the_check_at_rise() {
    let s1 = HttpBackend::start("s1");
    let t = start(
        "",
        &format!(
            "    option httpchk GET /\n    server s1 {} check inter 1s rise 2 fall 3\n",
            s1.addr()
        ),
    );
    let status = |t: &Setup| {
        tests::stats_socket::stat_row(&t.admin, "be", "s1")
            .get("status")
            .cloned()
            .unwrap_or_default()
    };
    let wait_up = |t: &Setup, what: &str| {
        let deadline = Instant::now() + Duration::from_secs(5);
        while status(t) != "UP" {
            assert!(Instant::now() < deadline, "s1 not UP {what}: {}", status(t));
            std::thread::sleep(Duration::from_millis(20));
        }
    };
    wait_up(&t, "at start");
    assert_eq!(cmd(&t.admin, "disable server be/s1"), "\n");
    assert_eq!(status(&t), "MAINT");
    assert_eq!(cmd(&t.admin, "enable server be/s1"), "\n");
    assert_eq!(status(&t), "UP 1/3", "{}", t.lbd.output_hint());
    let counts = count_served(t.port, 4);
    assert_eq!(counts.get("s1"), Some(&4), "{counts:?}");
    wait_up(&t, "after the next check");
}

/// `server-template` slots filled at run time, as API-driven pools use
/// them: the slots start disabled, `set server ... addr ... port` and
/// `state ready` put one in service.
#[test]
fn server_template_slots_are_filled_over_the_runtime_api() {
    let be = HttpBackend::start("web");
    let port = free_port();
    let dir = TempDir::new();
    let admin = dir.join("admin.sock");
    let cfg = tests::stats_socket::with_stats_socket(
        &http_config(
            port,
            "",
            "    server-template web 1-3 127.0.0.1:9 disabled\n",
        ),
        &admin,
        "level admin",
    );
    let lbd = LbdProcess::start_in(dir, &cfg);
    tests::stats_socket::wait_socket(&admin);
    let state = tests::stats_socket::cli(&admin, "show servers state be");
    for name in [" web1 ", " web2 ", " web3 "] {
        assert!(state.contains(name), "{name} missing:\n{state}");
    }
    assert!(!state.contains(" web4 "), "{state}");
    let (ip, p) = (be.addr().ip(), be.addr().port());
    let set = tests::stats_socket::cli(&admin, &format!("set server be/web2 addr {ip} port {p}"));
    assert!(set.contains("changed"), "{set}");
    assert_eq!(
        tests::stats_socket::cli(&admin, "set server be/web2 state ready"),
        "\n"
    );
    let counts = count_served(port, 3);
    assert_eq!(
        counts.get("web"),
        Some(&3),
        "{counts:?}{}",
        lbd.output_hint()
    );
    // A bad range is refused as 2.6 refuses it.
    let (code, _, err) = check(&http_config(
        port,
        "",
        "    server-template web 3-1 127.0.0.1:9\n",
    ));
    assert_ne!(code, 0);
    assert!(
        err.contains("Wrong server-template number or range arg '3-1'."),
        "{err}"
    );
}
