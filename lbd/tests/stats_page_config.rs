//! Parsing of the `stats` proxy keywords and `http-request use-service`,
//! with 2.6.12's messages (captured with `haproxy -c`).

use lbd::config::{load_str, model};
use std::collections::HashMap;

fn load(body: &str) -> (Option<model::Config>, Vec<String>) {
    let text = format!("defaults\n  mode http\nlisten a\n  bind 127.0.0.1:1\n{body}");
    let env: HashMap<String, String> = HashMap::new();
    let out = load_str("t.cfg", text.as_bytes(), &env);
    (out.config, out.diags.into_iter().map(|d| d.text).collect())
}

#[test]
fn stats_keywords_fill_the_page() {
    let (cfg, diags) = load(
        "  stats enable\n  stats uri /st\n  stats refresh 5s\n  stats realm My\\ Realm\n  stats auth admin:pw\n  stats auth u2:p:2\n  stats hide-version\n  stats show-legends\n  stats show-node n1\n  stats show-desc hello world\n  stats scope .\n  stats scope be\n",
    );
    let cfg = cfg.unwrap_or_else(|| panic!("{diags:?}"));
    let page = cfg.proxies[0]
        .stats
        .clone()
        .unwrap_or_else(|| panic!("no page"));
    assert_eq!(page.uri, "/st");
    assert_eq!(page.refresh, Some(5));
    assert_eq!(page.realm.as_deref(), Some("My Realm"));
    assert_eq!(
        page.auth,
        vec![("admin".into(), "pw".into()), ("u2".into(), "p:2".into())]
    );
    assert!(page.hide_version && page.show_legends);
    assert_eq!(page.show_node.as_deref(), Some("n1"));
    assert_eq!(page.show_desc.as_deref(), Some("hello world"));
    assert_eq!(page.scope, vec![".".to_string(), "be".to_string()]);
}

#[test]
fn stats_enable_uses_the_default_uri() {
    let (cfg, _) = load("  stats enable\n");
    let page = cfg.and_then(|c| c.proxies[0].stats.clone());
    assert_eq!(page.map(|p| p.uri), Some("/haproxy?stats".to_string()));
}

#[test]
fn stats_errors_read_like_haproxy() {
    let cases = [
        ("  stats bogus\n", "config : parsing [t.cfg:5]: unknown stats parameter 'bogus', expects 'admin', 'uri', 'realm', 'auth', 'scope', 'enable', 'hide-version', 'show-node', 'show-desc' or 'show-legends'."),
        ("  stats\n", "config : parsing [t.cfg:5]: missing keyword in 'stats', expects 'admin', 'uri', 'realm', 'auth', 'scope', 'enable', 'hide-version', 'show-node', 'show-desc' or 'show-legends'."),
        ("  stats refresh 5x\n", "config : parsing [t.cfg:5]: unexpected character 'x' in argument to stats refresh interval."),
        ("  stats uri\n", "config : parsing [t.cfg:5] : 'uri' needs an URI prefix."),
        ("  stats auth nopass\n", "config : parsing [t.cfg:5] : 'auth' needs a user:password account."),
    ];
    for (body, want) in cases {
        let (cfg, diags) = load(body);
        assert!(cfg.is_none(), "{body} must be refused");
        assert!(diags.iter().any(|d| d == want), "{body}: {diags:?}");
    }
}

#[test]
fn unknown_service_is_refused() {
    // 2.6 says "in proxy 'a'" for a listen, and so does lbd.
    let (cfg, diags) = load("  http-request use-service foo\n");
    assert!(cfg.is_none());
    assert!(
        diags.iter().any(|d| d.ends_with(
            "while parsing 'http-request use-service' rule : 'foo' unknown service name.."
        )),
        "{diags:?}"
    );
}

#[test]
fn stats_admin_takes_a_condition_with_2_6s_messages() {
    let (cfg, diags) = load("  stats admin if TRUE\n");
    let cfg = cfg.unwrap_or_else(|| panic!("{diags:?}"));
    assert_eq!(
        cfg.proxies[0].stats.as_ref().map(|s| s.admin.len()),
        Some(1)
    );
    let (cfg, diags) = load("  stats admin\n");
    assert!(cfg.is_none());
    assert!(
        diags.iter().any(|d| d
            .contains("'stats admin' requires either 'if' or 'unless' followed by a condition.")),
        "{diags:?}"
    );
}

#[test]
fn use_service_prometheus_is_a_rule() {
    let (cfg, diags) = load("  http-request use-service prometheus-exporter\n");
    let cfg = cfg.unwrap_or_else(|| panic!("{diags:?}"));
    assert!(matches!(
        cfg.proxies[0].http_request[0].action,
        model::HttpRequestAction::UseService(model::Service::PrometheusExporter)
    ));
}
