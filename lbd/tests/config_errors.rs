//! Bad configurations and the exact stderr of `lbd -c` for each.
//!
//! Every `tests/fixtures/bad/<case>.stderr` was captured from the real
//! HAProxy 2.6.12 (`haproxy -c -f <case>.cfg`, pid masked, its two version
//! NOTICE lines dropped); lbd must print the same.

use lbd::config::{load_str, run_check, tokenizer};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

const CASES: &[&str] = &[
    "backslash",
    "balance_bad",
    "block",
    "contimeout",
    "defbe_missing",
    "dflt_from_missing",
    "dot_alert",
    "dup_fe",
    "errorfile_code",
    "errorfile_missing",
    "fe_from_missing",
    "forceclose",
    "glob_unknown",
    "hashtype_bad",
    "httptunnel",
    "if_noend",
    "missing_timeouts",
    "mode_bad",
    "mode_mismatch",
    "nbthread",
    "noname",
    "out_of_section",
    "proxy_badname",
    "redispatch_kw",
    "reqadd",
    "rise_bad",
    "server_badport",
    "server_dup",
    "server_noaddr",
    "server_typo",
    "timeout_bad",
    "timeout_bogus",
    "unknown_kw",
    "unknown_option",
    "unknown_section",
    "use_fe",
    "weight_bad",
    "zerowarn",
    "bind_noport",
    "bind_badopt",
    "bind_badaddr",
    "deny_status",
    "order",
    "caps",
];

fn bad_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/bad")
}

/// lbd's stderr with the pid masked and the version NOTICE lines dropped.
fn lbd_stderr(case: &str) -> (String, i32) {
    let env = HashMap::<String, String>::new();
    let _g = CWD.lock().unwrap_or_else(|e| e.into_inner());
    std::env::set_current_dir(bad_dir()).expect("fixtures dir");
    let r = run_check(
        &[PathBuf::from(format!("{case}.cfg"))],
        false,
        false,
        777,
        &env,
    );
    let text = r
        .stderr
        .lines()
        .filter(|l| {
            !(l.starts_with("[NOTICE]")
                && (l.contains("version is") || l.contains("path to executable")))
        })
        .map(|l| format!("{}\n", l.replace("(777) :", "(PID) :")))
        .collect();
    (text, r.exit_code)
}

static CWD: std::sync::Mutex<()> = std::sync::Mutex::new(());

#[test]
fn every_bad_config_prints_what_haproxy_prints() {
    let mut failures = Vec::new();
    for case in CASES {
        let want = std::fs::read_to_string(bad_dir().join(format!("{case}.stderr")))
            .expect("expected stderr");
        let (got, _) = lbd_stderr(case);
        if got != want {
            failures.push(format!("== {case}\n--- haproxy\n{want}--- lbd\n{got}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn alerts_exit_one_and_warnings_exit_zero() {
    assert_eq!(lbd_stderr("unknown_kw").1, 1);
    assert_eq!(lbd_stderr("missing_timeouts").1, 0);
    assert_eq!(lbd_stderr("zerowarn").1, 1);
}

/// A deterministic xorshift generator: the same bytes every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

#[test]
fn random_bytes_never_panic() {
    const ALPHABET: &[u8] = b" \t\n#\\'\"${}[]*-.:,()@!&|/0123456789abcdefxXglobalfrontendbackendlistendefaultsbindserveroptiontimeout.if.endif.elif.else";
    let env = HashMap::<String, String>::new();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for i in 0..3000 {
        let len = (rng.next() % 200) as usize;
        let bytes: Vec<u8> = (0..len)
            .map(|_| {
                let r = rng.next();
                if i % 3 == 0 {
                    r as u8
                } else {
                    ALPHABET[(r % ALPHABET.len() as u64) as usize]
                }
            })
            .collect();
        let _ = tokenizer::tokenize(&bytes, &env, &tokenizer::Pseudo::default());
        let _ = load_str("fuzz.cfg", &bytes, &env);
    }
}

#[test]
fn keyword_soup_never_panics() {
    let words = [
        "global",
        "defaults",
        "frontend fe",
        "backend be",
        "listen l",
        "bind :8080",
        "bind",
        "server s 127.0.0.1:80 check",
        "server",
        "balance",
        "balance uri len",
        "timeout",
        "timeout client",
        "option",
        "option forwardfor except",
        "http-request return",
        "http-request return status",
        "http-request deny deny_status",
        "errorfile 503",
        "use_backend",
        "default_backend",
        "log",
        "log global",
        "mode",
        "hash-type consistent",
        "default-server inter",
        ".if",
        ".elif 1",
        ".else",
        ".endif",
        "no option",
        "stats socket",
        "setenv A",
        "userlist u",
        "user x password",
        "group g users",
        "http-errors h",
    ];
    let env = HashMap::<String, String>::new();
    let mut rng = Rng(42);
    for _ in 0..2000 {
        let n = (rng.next() % 12) as usize;
        let mut text = String::new();
        for _ in 0..n {
            text.push_str(words[(rng.next() % words.len() as u64) as usize]);
            text.push('\n');
        }
        let _ = load_str("soup.cfg", text.as_bytes(), &env);
    }
}
