//! Settings lbd parses but cannot honour yet are refused, not run half-way:
//! the alert stops the load, as any parse error does.

use lbd::config::{self, Severity};
use std::collections::HashMap;

fn load(text: &str) -> config::LoadOutcome {
    config::load_str("t.cfg", text.as_bytes(), &HashMap::<String, String>::new())
}

const BASE: &str =
    "defaults\n  mode http\n  timeout client 1s\n  timeout server 1s\n  timeout connect 1s\n";

#[test]
fn proxy_protocol_settings_load() {
    for extra in [
        "listen a\n  bind 127.0.0.1:19500 accept-proxy\n  server s 127.0.0.1:1\n",
        "listen a\n  bind 127.0.0.1:19500\n  server s 127.0.0.1:1 send-proxy\n",
        "listen a\n  bind 127.0.0.1:19500\n  server s 127.0.0.1:1 send-proxy-v2\n",
        "listen a\n  bind 127.0.0.1:19500\n  server s 127.0.0.1:1 send-proxy-v2-ssl-cn\n",
        "listen a\n  bind 127.0.0.1:19500\n  tcp-request connection expect-proxy layer4 if { src 127.0.0.1 }\n  server s 127.0.0.1:1\n",
    ] {
        let out = load(&format!("{BASE}{extra}"));
        assert!(out.config.is_some(), "refused: {extra} {:?}", out.diags);
        assert!(
            !out.diags.iter().any(|d| d.severity == Severity::Alert),
            "{:?}",
            out.diags
        );
    }
}

#[test]
fn warnings_alone_still_load() {
    // Missing timeouts are a warning only, as in HAProxy.
    let out =
        load("defaults\n  mode http\nlisten a\n  bind 127.0.0.1:19500\n  server s 127.0.0.1:1\n");
    assert!(out.config.is_some(), "{:?}", out.diags);
    assert!(out.diags.iter().any(|d| d.severity == Severity::Warning));
}
