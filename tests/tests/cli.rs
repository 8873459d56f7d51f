//! The command line beyond `-f`: `-cc` conditions and the environment
//! variables HAProxy gives its configuration.

use std::process::Command;
use tests::*;

fn cc(cond: &str) -> Option<i32> {
    Command::new(lbd_bin())
        .args(["-cc", cond])
        .env("RAMPART_SET", "1")
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", lbd_bin().display()))
        .status
        .code()
}

#[test]
fn cc_evaluates_a_condition_like_haproxy() {
    assert_eq!(cc("defined(RAMPART_SET)"), Some(0));
    assert_eq!(cc("defined(RAMPART_UNSET) || version_before(1.0)"), Some(1));
    assert_eq!(cc("streq(a,b"), Some(2));
}

#[test]
fn haproxy_localpeer_is_set_for_the_configuration_and_cfgfiles_is_not() {
    // HAProxy 2.6 sets HAPROXY_LOCALPEER before parsing (the hostname, or -L)
    // and HAPROXY_CFGFILES only after, for the runtime.
    let port = free_port();
    let cfg = format!(
        "{HTTP_DEFAULTS}
frontend fe
    bind 127.0.0.1:{port}
    http-request return status 200 content-type text/plain string \"peer=${{HAPROXY_LOCALPEER}} files=${{HAPROXY_CFGFILES}}\"
"
    );
    let lbd = LbdProcess::start(&cfg);
    let out = curl(&[&format!("http://127.0.0.1:{port}/")]);
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!("peer={} files=", host.trim()),
        "{}",
        lbd.output_hint()
    );
}
