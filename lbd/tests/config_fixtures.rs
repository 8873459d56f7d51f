//! The fixture configurations of spec 12 through `lbd -c`.

use lbd::config::{self, model, run_check};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

static CWD: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Tests run in parallel threads: hold this while relying on the cwd.
fn in_fixtures() -> std::sync::MutexGuard<'static, ()> {
    let g = CWD.lock().unwrap_or_else(|e| e.into_inner());
    std::env::set_current_dir(fixture("")).expect("fixtures dir");
    g
}

/// Runs the check from the fixtures directory so relative paths resolve as
/// they would for an operator running `haproxy -c` there.
fn check(name: &str) -> config::CheckReport {
    let env = HashMap::<String, String>::new();
    let _g = in_fixtures();
    run_check(&[PathBuf::from(name)], false, false, 4242, &env)
}

#[test]
fn configuration_txt_examples_are_valid() {
    for name in ["example1.cfg", "example2.cfg"] {
        let r = check(name);
        assert_eq!(r.exit_code, 0, "{name}: {}", r.stderr);
        assert_eq!(r.stdout, "Configuration file is valid\n");
        assert_eq!(r.stderr, "");
    }
    let env = HashMap::<String, String>::new();
    let out = config::load(&[fixture("example1.cfg")], &env);
    let cfg = out.config.expect("example1 loads");
    assert_eq!(cfg.global.maxconn, Some(256));
    assert!(cfg.global.daemon);
    let fe = &cfg.proxies[0];
    assert_eq!(fe.name, "http-in");
    assert_eq!(fe.mode, model::Mode::Http);
    assert_eq!(fe.timeouts.client, Some(50_000));
    assert_eq!(fe.default_backend.as_deref(), Some("servers"));
    let be = cfg.backend("servers").expect("backend");
    assert_eq!(be.timeouts.connect, Some(5000));
    assert_eq!(be.servers[0].maxconn, Some(32));
    assert_eq!(be.servers[0].weight, 1);
}

#[test]
fn quick_test_is_valid_with_random_balance_from_defaults() {
    let r = check("quick-test.cfg");
    assert_eq!(r.exit_code, 0, "{}", r.stderr);
    let env = HashMap::<String, String>::new();
    let cfg = config::load(&[fixture("quick-test.cfg")], &env)
        .config
        .expect("loads");
    assert!(cfg.global.strict_limits);
    assert_eq!(cfg.proxies[0].balance, model::Balance::Random { draws: 2 });
    assert_eq!(cfg.proxies[0].timeouts.connect, Some(1000));
}

#[test]
fn debian_default_config_loads_with_its_ssl_defaults() {
    // The ssl-default-bind-* lines (Mozilla intermediate) are understood now.
    let r = check("debian-haproxy.cfg");
    assert!(!r.stderr.contains("ALERT"), "{}", r.stderr);
    assert_ne!(r.exit_code, 1, "{}", r.stderr);
}

#[test]
fn debian_default_config_body_loads_without_ssl_lines() {
    // The rest of Debian's file (log, chroot, stats socket, errorfiles) is in scope.
    let text = std::fs::read_to_string(fixture("debian-haproxy.cfg")).expect("fixture");
    let kept: String = text
        .lines()
        .filter(|l| !l.trim_start().starts_with("ssl-default"))
        .map(|l| format!("{l}\n"))
        .collect();
    let env = HashMap::<String, String>::new();
    let _g = in_fixtures();
    let out = config::load_str("debian.cfg", kept.as_bytes(), &env);
    let cfg = out.config.unwrap_or_else(|| panic!("{:?}", out.diags));
    assert_eq!(cfg.global.logs.len(), 2);
    assert_eq!(cfg.global.logs[1].level.as_deref(), Some("notice"));
    assert_eq!(cfg.global.stats_timeout, 30_000);
    assert_eq!(cfg.global.stats_sockets[0].level, model::CliLevel::Admin);
    assert_eq!(cfg.global.stats_sockets[0].mode, Some(0o660));
}

#[test]
fn content_switching_sample_names_its_acl_rule() {
    // Everything in this fixture is served now (stats uri, ACL conditions on
    // use_backend, persistence cookies): it is valid, as HAProxy says.
    let r = check("content-sw-sample.cfg");
    assert_eq!(r.exit_code, 0, "{}", r.stderr);
}

#[test]
fn basic_config_edge_names_its_stats_page() {
    let r = check("basic-config-edge.cfg");
    assert_eq!(r.exit_code, 1);
    // `stats uri /` and `stats show-modules` are accepted now.
    assert!(
        !r.stderr.contains("basic-config-edge.cfg:58]"),
        "{}",
        r.stderr
    );
    assert!(
        !r.stderr.contains("basic-config-edge.cfg:59]"),
        "{}",
        r.stderr
    );
    // The cache section is accepted with a warning, not refused.
    assert!(r.stderr.contains("[WARNING]  (4242) : config : parsing [basic-config-edge.cfg:96] : 'cache' section 'cache' is accepted but not implemented yet by lbd; it has no effect."));
}
