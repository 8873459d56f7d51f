//! What the loader puts in the model: defaults inheritance, default-server,
//! environment handling and the forms of the in-scope keywords.

use lbd::config::{load_str, model::*};
use std::collections::HashMap;

fn load(text: &str, env: &HashMap<String, String>) -> Config {
    let out = load_str("t.cfg", text.as_bytes(), env);
    out.config.unwrap_or_else(|| panic!("{:#?}", out.diags))
}

fn noenv() -> HashMap<String, String> {
    HashMap::new()
}

#[test]
fn anonymous_defaults_replace_and_named_defaults_chain() {
    let cfg = load(
        "defaults base\n  mode http\n  timeout client 7s\n  retries 5\n\
         defaults\n  timeout connect 2s\n\
         backend b1\n\
         defaults d2 from base\n  timeout server 9s\n\
         backend b2\n\
         frontend f from base\n  bind :1\n",
        &noenv(),
    );
    let b1 = cfg.backend("b1").expect("b1");
    // The anonymous section started from scratch: nothing from `base`.
    assert_eq!(b1.mode, Mode::Tcp);
    assert_eq!(b1.retries, 3);
    assert_eq!(b1.timeouts.connect, Some(2000));
    let b2 = cfg.backend("b2").expect("b2");
    assert_eq!(b2.mode, Mode::Http);
    assert_eq!(b2.retries, 5);
    assert_eq!(b2.timeouts.server, Some(9000));
    assert_eq!(b2.timeouts.client, Some(7000));
    let f = &cfg.proxies[2];
    assert_eq!(f.timeouts.client, Some(7000));
    assert_eq!(f.timeouts.server, None);
}

#[test]
fn default_server_applies_and_no_param_undoes_it() {
    let cfg = load(
        "defaults\n  default-server check inter 3s rise 4 weight 10\n\
         backend b\n  default-server fall 5\n  server a 10.0.0.1:80\n  server c 10.0.0.2 no-check weight 20 backup\n",
        &noenv(),
    );
    let b = cfg.backend("b").expect("b");
    let (a, c) = (&b.servers[0], &b.servers[1]);
    // A backend's default-server line adds to the inherited settings.
    assert!(a.check.enabled);
    assert_eq!(
        (a.check.inter, a.check.rise, a.check.fall, a.weight),
        (3000, 4, 5, 10)
    );
    assert!(!c.check.enabled);
    assert_eq!(c.weight, 20);
    assert!(c.backup);
    assert_eq!(
        c.addr,
        ServerAddr::Ip {
            ip: "10.0.0.2".parse().expect("ip"),
            port: ServerPort::FromClient(0)
        }
    );
}

#[test]
fn setenv_changes_later_expansion_and_if_blocks_choose() {
    let mut env = HashMap::new();
    env.insert("PORT".to_string(), "8080".to_string());
    let cfg = load(
        "global\n  setenv NODE edge1\n  presetenv PORT 9999\n  node \"${NODE}\"\n\
         .if defined(NODE) && version_atleast(2.6)\n  description yes\n.else\n  description no\n.endif\n\
         frontend f\n  bind \"127.0.0.1:${PORT}\"\n  bind \"${MISSING-127.0.0.2}:81\",ipv6@:::82\n",
        &env,
    );
    assert_eq!(cfg.global.node.as_deref(), Some("edge1"));
    assert_eq!(cfg.global.description.as_deref(), Some("yes"));
    let f = &cfg.proxies[0];
    assert_eq!(
        f.binds[0].addrs,
        vec![BindAddr::Tcp("127.0.0.1:8080".parse().expect("a"))]
    );
    assert_eq!(f.binds[1].addrs.len(), 2);
}

#[test]
fn options_balance_and_http_request_rules() {
    let cfg = load(
        "listen l\n  mode http\n  bind :1 name web maxconn 10\n\
         option forwardfor except 127.0.0.0/8 header X-Real-IP if-none\n\
         option http-server-close\n  no option http-server-close\n  option redispatch 2\n\
         option httplog clf\n  balance uri whole len 10 depth 2\n  hash-type consistent\n\
         http-request return status 503 content-type text/plain string \"down\" hdr X-A b\n\
         http-request deny deny_status 429\n  http-request set-header X-Y z\n\
         timeout http-request 5s\n  log global\n  log 127.0.0.1:514 len 1024 local0 info\n",
        &noenv(),
    );
    let l = &cfg.proxies[0];
    let ff = l.options.forwardfor.as_ref().expect("forwardfor");
    assert_eq!(ff.header, "x-real-ip");
    assert!(ff.if_none);
    assert!(ff
        .except
        .expect("except")
        .contains("127.1.2.3".parse().expect("ip")));
    assert_eq!(l.options.http_conn_mode, HttpConnMode::KeepAlive);
    assert_eq!(l.options.redispatch, Some(2));
    assert_eq!(l.options.log_format, LogFormatKind::HttplogClf);
    assert_eq!(
        l.balance,
        Balance::Uri {
            whole: true,
            len: Some(10),
            depth: Some(2),
            path_only: false
        }
    );
    assert_eq!(l.hash_type.method, HashMethod::Consistent);
    assert!(l.hash_type.avalanche);
    assert_eq!(l.binds[0].name.as_deref(), Some("web"));
    assert_eq!(l.http_request.len(), 3);
    match &l.http_request[0].action {
        HttpRequestAction::Return(r) => {
            assert_eq!(r.status, 503);
            assert_eq!(r.body, ReturnBody::Bytes(b"down".to_vec()));
            assert_eq!(r.headers, vec![("X-A".to_string(), "b".to_string())]);
        }
        other => panic!("{other:?}"),
    }
    match &l.http_request[1].action {
        HttpRequestAction::Deny(r) => {
            assert_eq!(r.status, 429);
            assert_eq!(r.body, ReturnBody::DefaultErrorfile);
        }
        other => panic!("{other:?}"),
    }
    assert!(l.log_global);
    assert_eq!(l.logs[0].len, Some(1024));
    assert_eq!(l.timeouts.http_request, Some(5000));
}

#[test]
fn tune_quic_frontend_settings_reach_the_model_and_bad_values_are_refused() {
    let c = load(
        "global\n    tune.quic.frontend.max-streams-bidi 7\n    tune.quic.frontend.max-idle-timeout 5s\n    tune.quic.retry-threshold 50\n",
        &noenv(),
    );
    assert_eq!(c.global.tune_quic.max_streams_bidi, 7);
    assert_eq!(c.global.tune_quic.max_idle_timeout, Some(5000));
    let d = load("global\n", &noenv());
    assert_eq!(d.global.tune_quic, QuicTune::default());
    for (line, want) in [
        (
            "tune.quic.frontend.max-streams-bidi 0",
            "'tune.quic.frontend.max-streams-bidi' expects a positive integer.",
        ),
        (
            "tune.quic.frontend.max-idle-timeout 3x",
            "unexpected character 'x' in argument to 'tune.quic.frontend.max-idle-timeout'.",
        ),
        (
            "tune.quic.retry-threshold 1 2",
            "'tune.quic.retry-threshold' cannot handle unexpected argument '2'.",
        ),
    ] {
        let out = load_str(
            "t.cfg",
            format!("global\n    {line}\n").as_bytes(),
            &noenv(),
        );
        let text = format!("{:?}", out.diags);
        assert!(
            out.config.is_none() && text.contains(want) && text.contains("t.cfg:2"),
            "{line}: {text}"
        );
    }
}
