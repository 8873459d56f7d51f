//! Stick tables through the runtime API: `show|set|clear table` answer
//! exactly as HAProxy 2.6 does (the entry address and the remaining expiry
//! are masked), at each CLI level; and `stick-table` errors under `-c`.
//! Traffic-driven counters are tested with the tracking rules.

use std::path::{Path, PathBuf};

use tests::stats_socket::{cli, wait_socket};
use tests::*;

struct Setup {
    _lbd: LbdProcess,
    admin: PathBuf,
    user: PathBuf,
}

fn start() -> Setup {
    let dir = TempDir::new();
    let admin = dir.join("admin.sock");
    let user = dir.join("user.sock");
    let port = free_port();
    let cfg = format!(
        "global
    stats socket {} level admin
    stats socket {} level user
defaults
    mode http
    timeout connect 2s
    timeout client 10s
    timeout server 10s

frontend fe
    bind 127.0.0.1:{port}
    stick-table type ip size 100k expire 30s store gpc0,conn_cur,http_req_rate(10s),server_id,bytes_out_cnt
    default_backend be

backend be
    stick-table type string len 8 size 1k store gpc(2),gpc_rate(2,5s),gpt(1),server_key
    server s1 127.0.0.1:1

backend tint
    stick-table type integer size 10 store conn_cnt

backend tbin
    stick-table type binary len 4 size 10 store gpt0
",
        admin.display(),
        user.display()
    );
    let lbd = LbdProcess::start_in(dir, &cfg);
    wait_socket(&admin);
    wait_socket(&user);
    Setup {
        _lbd: lbd,
        admin,
        user,
    }
}

/// The reply with entry addresses and remaining expiry masked.
fn masked(sock: &Path, line: &str) -> String {
    cli(sock, line)
        .lines()
        .map(|l| {
            let l = match l.split_once(": key=") {
                Some((ptr, rest)) if ptr.starts_with("0x") => format!("0xPTR: key={rest}"),
                _ => l.to_string(),
            };
            l.split(' ')
                .map(|w| if w.starts_with("exp=") { "exp=E" } else { w })
                .collect::<Vec<_>>()
                .join(" ")
        })
        .map(|l| l + "\n")
        .collect()
}

/// Runs each `(command, expected reply)` in order on `sock`.
fn script(sock: &Path, steps: &[(&str, &str)]) {
    for (cmd, want) in steps {
        assert_eq!(masked(sock, cmd), *want, "reply to {cmd:?}");
    }
}

#[test]
fn set_show_and_clear_entries_as_haproxy_prints_them() {
    let s = start();
    script(
        &s.admin,
        &[
            (
                "show table",
                "# table: tbin, type: binary, size:10, used:0\n\
                 # table: tint, type: integer, size:10, used:0\n\
                 # table: be, type: string, size:1024, used:0\n\
                 # table: fe, type: ip, size:102400, used:0\n\n",
            ),
            ("set table fe key 127.0.0.1 data.gpc0 5 data.http_req_rate 3", "\n"),
            ("set table fe key 10.0.0.2 data.server_id 2 data.bytes_out_cnt 99999999999", "\n"),
            ("set table fe key 9.0.0.1", "\n"),
            (
                "show table fe",
                "# table: fe, type: ip, size:102400, used:3\n\
                 0xPTR: key=9.0.0.1 use=0 exp=E server_id=0 gpc0=0 conn_cur=0 http_req_rate(10000)=0 bytes_out_cnt=0\n\
                 0xPTR: key=10.0.0.2 use=0 exp=E server_id=2 gpc0=0 conn_cur=0 http_req_rate(10000)=0 bytes_out_cnt=99999999999\n\
                 0xPTR: key=127.0.0.1 use=0 exp=E server_id=0 gpc0=5 conn_cur=0 http_req_rate(10000)=3 bytes_out_cnt=0\n\n",
            ),
            (
                "show table fe data.gpc0 eq 0 data.server_id gt 1",
                "# table: fe, type: ip, size:102400, used:3\n\
                 0xPTR: key=10.0.0.2 use=0 exp=E server_id=2 gpc0=0 conn_cur=0 http_req_rate(10000)=0 bytes_out_cnt=99999999999\n\n",
            ),
            (
                "show table fe key 127.0.0.1",
                "# table: fe, type: ip, size:102400, used:3\n\
                 0xPTR: key=127.0.0.1 use=0 exp=E server_id=0 gpc0=5 conn_cur=0 http_req_rate(10000)=3 bytes_out_cnt=0\n\n",
            ),
            ("show table fe key 1.1.1.1", "\n"),
            ("clear table fe key 9.0.0.1", "\n"),
            ("clear table fe data.gpc0 gt 3", "\n"),
            (
                "show table fe",
                "# table: fe, type: ip, size:102400, used:1\n\
                 0xPTR: key=10.0.0.2 use=0 exp=E server_id=2 gpc0=0 conn_cur=0 http_req_rate(10000)=0 bytes_out_cnt=99999999999\n\n",
            ),
            // Values are truncated to the stored width.
            ("set table fe key 127.0.0.3 data.gpc0 -1 data.server_id -5", "\n"),
            (
                "show table fe key 127.0.0.3",
                "# table: fe, type: ip, size:102400, used:2\n\
                 0xPTR: key=127.0.0.3 use=0 exp=E server_id=-5 gpc0=4294967295 conn_cur=0 http_req_rate(10000)=0 bytes_out_cnt=0\n\n",
            ),
            ("clear table fe", "\n"),
            ("show table fe", "# table: fe, type: ip, size:102400, used:0\n\n"),
        ],
    );
}

#[test]
fn string_integer_and_array_tables_print_like_haproxy() {
    let s = start();
    script(
        &s.admin,
        &[
            ("set table be key hello data.gpc 3 data.gpc_rate 2 data.gpt 7", "\n"),
            // Longer keys are cut to `len`; spaces and '=' are escaped.
            ("set table be key abcdefghijkl", "\n"),
            ("set table be key a=b\\ c data.gpc 1", "\n"),
            (
                "show table be",
                "# table: be, type: string, size:1024, used:3\n\
                 0xPTR: key=a\\=b\\ c use=0 exp=E server_key=- gpt0=0 gpc0=1 gpc1=0 gpc0_rate(5000)=0 gpc1_rate(5000)=0\n\
                 0xPTR: key=abcdefgh use=0 exp=E server_key=- gpt0=0 gpc0=0 gpc1=0 gpc0_rate(5000)=0 gpc1_rate(5000)=0\n\
                 0xPTR: key=hello use=0 exp=E server_key=- gpt0=7 gpc0=3 gpc1=0 gpc0_rate(5000)=2 gpc1_rate(5000)=0\n\n",
            ),
            ("set table tint key 42 data.conn_cnt 1", "\n"),
            ("set table tint key 256", "\n"),
            ("set table tint key 4294967296", "Invalid key\n\n"),
            (
                // 2.6 walks integer keys in host byte order.
                "show table tint",
                "# table: tint, type: integer, size:10, used:2\n\
                 0xPTR: key=256 use=0 exp=E conn_cnt=0\n\
                 0xPTR: key=42 use=0 exp=E conn_cnt=1\n\n",
            ),
            (
                "set table tbin key 0102",
                "Inserting keys into tables of type other than ip, ipv6, string and integer is not supported\n\n",
            ),
        ],
    );
}

#[test]
fn errors_match_haproxy_word_for_word() {
    let s = start();
    script(
        &s.admin,
        &[
            ("show table nope", "No such table\n\n"),
            ("set table nope key 1", "No such table\n\n"),
            ("set table fe key", "Key value expected\n\n"),
            ("set table fe key 1.2.3.4 data.gpc 5", "Data type not stored in this table\n\n"),
            ("set table fe key 1.2.3.4 data.gpc0 x", "Require a valid integer value to store\n\n"),
            ("set table fe key 1.2.3.4 foo 1", "\"data.<type>\" followed by a value expected\n\n"),
            (
                "show table fe foo",
                "Optional argument only supports \"data.<store_data_type>\" <operator> <value> and key <key>\n\n",
            ),
            (
                "show table fe data.gpc0 xx 1",
                "Filter entry #1: Require and operator among \"eq\", \"ne\", \"le\", \"ge\", \"lt\", \"gt\"\n\n",
            ),
            ("show table fe data.foo eq 1", "Filter entry #1: Unknown data type\n\n"),
            ("show table fe data.gpc0 eq", "Filter entry #1: Require a valid integer value to compare against\n\n"),
            (
                "clear table",
                "Required arguments: <table> \"data.<store_data_type>\" <operator> <value> or <table> key <key>\n\n",
            ),
            (
                "set table fe data.gpc0 gt 0",
                "content-based lookup is only supported with the \"show\" and \"clear\" actions\n\n",
            ),
        ],
    );
}

#[test]
fn user_level_sees_headers_only_and_cannot_change_entries() {
    let s = start();
    cli(&s.admin, "set table fe key 127.0.0.1 data.gpc0 5");
    script(
        &s.user,
        &[
            (
                "show table fe",
                "# table: fe, type: ip, size:102400, used:1\n\
                 # contents not dumped due to insufficient privileges\n\n",
            ),
            ("show table fe key 127.0.0.1", "Permission denied\n\n"),
            ("set table fe key 127.0.0.9", "Permission denied\n\n"),
            ("clear table fe key 127.0.0.1", "Permission denied\n\n"),
            // A bare clear below operator is silently a no-op.
            ("clear table fe", "\n"),
        ],
    );
    assert!(cli(&s.admin, "show table fe").contains("key=127.0.0.1 "));
}

#[test]
fn configuration_errors_read_like_haproxy() {
    let port = free_port();
    for (line, msg) in [
        (
            "stick-table type foo size 1k",
            "stick-table: unknown type 'foo'.",
        ),
        ("stick-table type ip", "stick-table: missing size."),
        (
            "stick-table type ip size 1k store bad",
            "stick-table: unknown store option 'bad'.",
        ),
        (
            "stick-table type ip size 1k store http_req_rate",
            "stick-table: missing argument to store option 'http_req_rate'.",
        ),
    ] {
        let cfg = http_config(port, "", &format!("    {line}\n    server s1 127.0.0.1:1"));
        let (code, _, stderr) = check(&cfg);
        assert_eq!(code, 1, "{line}: {stderr}");
        assert!(stderr.contains(&format!("] : {msg}\n")), "{line}: {stderr}");
    }
}
