//! Talking to the proxy's runtime API (`stats socket`) the way scripts do:
//! one command per connection, read until the proxy closes.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::time::{Duration, Instant};

/// How long a CLI reply may take.
const REPLY_DEADLINE: Duration = Duration::from_secs(5);

/// `cfg` with a `stats socket <sock> <opts>` line at the top of its
/// `global` section (e.g. `opts` = "level admin").
pub fn with_stats_socket(cfg: &str, sock: &Path, opts: &str) -> String {
    cfg.replacen(
        "global\n",
        &format!("global\n    stats socket {} {opts}\n", sock.display()),
        1,
    )
}

/// Waits until `sock` accepts connections (HAProxy renames its socket into
/// place after `listen()`, lbd binds it before the listeners).
pub fn wait_socket(sock: &Path) {
    let deadline = Instant::now() + REPLY_DEADLINE;
    while UnixStream::connect(sock).is_err() {
        assert!(
            Instant::now() < deadline,
            "no stats socket at {}",
            sock.display()
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Sends `line` in non-interactive mode and returns everything the proxy
/// wrote before closing. Panics if it does not close in time.
pub fn cli(sock: &Path, line: &str) -> String {
    let mut s = match UnixStream::connect(sock) {
        Ok(s) => s,
        Err(e) => panic!("connect {}: {e}", sock.display()),
    };
    let _ = s.set_read_timeout(Some(REPLY_DEADLINE));
    if let Err(e) = s.write_all(format!("{line}\n").as_bytes()) {
        panic!("send {line:?}: {e}");
    }
    let mut out = Vec::new();
    if let Err(e) = s.read_to_end(&mut out) {
        panic!("no close after {line:?}: {e}");
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// One `show stat` row, by column name (`pxname`, `svname`, `status`, ...).
pub type StatRow = HashMap<String, String>;

/// `show stat`, parsed with its own header line.
pub fn show_stat(sock: &Path) -> Vec<StatRow> {
    let text = cli(sock, "show stat");
    let mut lines = text.lines();
    let Some(header) = lines.next().and_then(|h| h.strip_prefix("# ")) else {
        panic!("show stat without a header: {text:?}");
    };
    let names: Vec<&str> = header.split(',').collect();
    lines
        .filter(|l| !l.is_empty())
        .map(|l| {
            names
                .iter()
                .zip(l.split(','))
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .collect()
        })
        .collect()
}

/// The `show stat` row of `px`/`sv` (`sv` may be `FRONTEND` or `BACKEND`).
pub fn stat_row(sock: &Path, px: &str, sv: &str) -> StatRow {
    let rows = show_stat(sock);
    match rows.into_iter().find(|r| {
        r.get("pxname").map(String::as_str) == Some(px)
            && r.get("svname").map(String::as_str) == Some(sv)
    }) {
        Some(r) => r,
        None => panic!("no show stat row {px}/{sv}"),
    }
}

/// The `show servers state` line of `be`/`srv`, split into its columns.
pub fn server_state(sock: &Path, be: &str, srv: &str) -> Vec<String> {
    let text = cli(sock, "show servers state");
    for l in text.lines().skip(2) {
        let cols: Vec<String> = l.split(' ').map(String::from).collect();
        if cols.len() > 5 && cols[1] == be && cols[3] == srv {
            return cols;
        }
    }
    panic!("no servers state line for {be}/{srv}: {text}");
}

/// Waits until `show stat` says `px`/`sv` has `status` and `check_status`;
/// panics with what it last said and the proxy's output.
pub fn wait_check(
    p: &crate::LbdProcess,
    sock: &Path,
    px: &str,
    sv: &str,
    status: &str,
    check: &str,
) {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let row = stat_row(sock, px, sv);
        let get = |k: &str| row.get(k).cloned().unwrap_or_default();
        if get("status") == status && get("check_status") == check {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{px}/{sv}: status {} check {} ({}), wanted {status} {check}{}",
            get("status"),
            get("check_status"),
            get("check_desc"),
            p.output_hint()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}
