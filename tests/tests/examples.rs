//! The shipped examples: the quick start serves what its comments promise, every
//! example passes `-c`, and `-vv` lists the features users look for.

use std::path::PathBuf;
use std::process::{Command, Stdio};

use tests::*;

fn examples_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("examples")
}

fn read(path: &std::path::Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

#[test]
fn quickstart_alternates_apps_over_http_and_tcp() {
    let (www, app1, app2, tcp) = (free_port(), free_port(), free_port(), free_port());
    let cfg = read(&examples_dir().join("quickstart.cfg"))
        .replace(":8080", &format!(":{www}"))
        .replace(":8081", &format!(":{app1}"))
        .replace(":8082", &format!(":{app2}"))
        .replace(":8443", &format!(":{tcp}"));
    let lbd = LbdProcess::start(&cfg);

    let urls: Vec<String> = (0..4).map(|_| format!("http://127.0.0.1:{www}/")).collect();
    let bodies: Vec<String> = curl_many(&urls, &[]).iter().map(|r| r.body_str()).collect();
    let (a, b) = ("hello from app1\n", "hello from app2\n");
    assert!(
        bodies == [a, b, a, b] || bodies == [b, a, b, a],
        "not alternating: {bodies:?}{}",
        lbd.output_hint()
    );

    let out = curl(&[
        "-o",
        "/dev/null",
        "-w",
        "%{http_code}",
        &format!("http://127.0.0.1:{tcp}/"),
    ]);
    assert_eq!(
        out.stdout_str(),
        "200",
        "{}{}",
        out.stderr,
        lbd.output_hint()
    );
}

#[test]
fn every_example_passes_the_config_check() {
    let mut checked = 0;
    let entries = std::fs::read_dir(examples_dir()).unwrap_or_else(|e| panic!("examples/: {e}"));
    for entry in entries.flatten() {
        let path = entry.path();
        if path.extension().is_none_or(|e| e != "cfg") {
            continue;
        }
        let (code, stdout, stderr) = check(&read(&path));
        assert_eq!(
            code,
            0,
            "{} -c -f {}:\n{stdout}{stderr}",
            lbd_bin().display(),
            path.display()
        );
        checked += 1;
    }
    assert!(checked >= 3, "only {checked} examples found");
}

/// What `lbd -vv` prints.
fn vv() -> String {
    vv_with(None)
}

/// `lbd -vv`, with jemalloc's options from the environment or none.
fn vv_with(malloc_conf: Option<&str>) -> String {
    vv_out(malloc_conf).0
}

/// `lbd -vv`'s standard output and error.
fn vv_out(malloc_conf: Option<&str>) -> (String, String) {
    let mut cmd = Command::new(lbd_bin());
    match malloc_conf {
        Some(c) => cmd.env("_RJEM_MALLOC_CONF", c),
        None => cmd.env_remove("_RJEM_MALLOC_CONF"),
    };
    let out = cmd
        .arg("-vv")
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", lbd_bin().display()));
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn vv_lists_openssl_and_promex() {
    let text = vv();
    let features = text
        .lines()
        .find(|l| l.starts_with("Feature list"))
        .unwrap_or_else(|| panic!("no Feature list line in:\n{text}"));
    let words: Vec<&str> = features.split_whitespace().collect();
    for wanted in ["+OPENSSL", "+PROMEX"] {
        assert!(words.contains(&wanted), "{wanted} missing from {features}");
    }
}

#[test]
fn vv_names_the_allocator_and_its_options() {
    let text = vv();
    let line = text
        .lines()
        .find(|l| l.contains("memory allocator"))
        .unwrap_or_else(|| panic!("no allocator line in:\n{text}"));
    assert!(line.contains("jemalloc"), "{line}");
    // The built-in options (a larger thread cache, no huge pages), and
    // where to change them.
    assert!(
        line.contains("tcache_nslots_small_min:128,tcache_gc_incr_bytes:4194304, built in; _RJEM_MALLOC_CONF adds or overrides"),
        "{line}"
    );
    // jemalloc took every built-in option: it names any it does not know on
    // standard error ("<jemalloc>: Invalid conf pair").
    let (_, err) = vv_out(None);
    assert!(!err.contains("jemalloc"), "{err}");
    let (_, err) = vv_out(Some("bogus:1"));
    assert!(
        err.contains("<jemalloc>: Invalid conf pair: bogus:1"),
        "{err}"
    );
    let text = vv_with(Some("thp:always"));
    assert!(
        text.contains("(options: tcache_nslots_small_min:128,tcache_gc_incr_bytes:4194304, then thp:always from _RJEM_MALLOC_CONF)"),
        "{text}"
    );
}
