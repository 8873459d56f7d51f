//! Logging keywords: what the loader accepts, compiles and refuses.

use lbd::config::{load_str, model::*, Severity};
use lbd::log::{conf, Level, Logger, SyslogFormat, Transport, TxnLog};
use std::collections::HashMap;

fn load(text: &str) -> (Option<Config>, Vec<String>) {
    let out = load_str("t.cfg", text.as_bytes(), &HashMap::<String, String>::new());
    let alerts = out
        .diags
        .iter()
        .filter(|d| d.severity != Severity::Notice)
        .map(|d| d.text.clone())
        .collect();
    (out.config, alerts)
}

const BASE: &str =
    "defaults\n  mode http\n  timeout client 1s\n  timeout server 1s\n  timeout connect 1s\n";

#[test]
fn frontend_logging_compiles_from_the_model() {
    let (cfg, diags) = load(&format!(
        "global\n  log 127.0.0.1:5514 len 200 format rfc5424 local1 notice err\n  log-tag lb\n{BASE}\
         frontend fe\n  bind 127.0.0.1:1\n  log global\n  log stdout format raw local0\n  option httplog\n\
           option dontlognull\n  option log-separate-errors\n  log-tag fetag\n\
           capture request header Host len 20\n  capture response header Content-Type len 8\n"
    ));
    let cfg = cfg.unwrap_or_else(|| panic!("{diags:#?}"));
    assert!(diags.is_empty(), "{diags:#?}");
    let (logger, _sender) = Logger::new(&cfg, 1).unwrap_or_else(|e| panic!("{e}"));
    let p = logger.proxy("fe").expect("fe");
    assert_eq!(p.targets.len(), 2);
    assert_eq!(p.targets[0].transport, Transport::Stdout);
    assert_eq!(p.targets[0].format, SyslogFormat::Raw);
    let g = &p.targets[1];
    assert_eq!(g.transport, Transport::Udp(([127, 0, 0, 1], 5514).into()));
    assert_eq!(
        (g.maxlen, g.facility, g.format),
        (200, 17, SyslogFormat::Rfc5424)
    );
    assert_eq!(g.level_for(Level::Info), None);
    assert_eq!(g.level_for(Level::Emerg), Some(Level::Err));
    assert_eq!(&*p.tag, "fetag");
    assert_eq!(p.capture_request.len(), 1);
    assert_eq!(p.capture_request[0].name, "host");
    assert_eq!(p.capture_response[0].len, 8);
    assert_eq!(p.capture_response[0].take(b"text/plain"), b"text/pla");
    // dontlognull: a connection that sent nothing is not logged.
    let mut rec = TxnLog {
        http: true,
        ..TxnLog::default()
    };
    assert!(!p.should_log(&rec));
    rec.bytes_in = 10;
    assert!(p.should_log(&rec));
    assert_eq!(p.level_for(&rec), Level::Info);
    rec.status = Some(502);
    assert_eq!(p.level_for(&rec), Level::Err);
}

#[test]
fn targets_parse_in_every_form() {
    let t = |s: &str| conf::parse_transport(s);
    assert_eq!(
        t("10.0.0.1"),
        Ok(Transport::Udp(([10, 0, 0, 1], 514).into()))
    );
    assert_eq!(
        t("udp@127.0.0.1:9"),
        Ok(Transport::Udp(([127, 0, 0, 1], 9).into()))
    );
    assert_eq!(
        t("ipv4@127.0.0.1:9"),
        Ok(Transport::Udp(([127, 0, 0, 1], 9).into()))
    );
    assert_eq!(
        t("ipv6@[::1]:9"),
        Ok(Transport::Udp(
            "[::1]:9".parse().unwrap_or_else(|e| panic!("{e}"))
        ))
    );
    assert_eq!(t("/dev/log"), Ok(Transport::UnixDgram("/dev/log".into())));
    assert_eq!(
        t("unix@/run/log"),
        Ok(Transport::UnixDgram("/run/log".into()))
    );
    assert_eq!(t("stderr"), Ok(Transport::Stderr));
    assert_eq!(t("fd@1"), Ok(Transport::Stdout));
    assert!(t("ring@buf").is_err_and(|e| e.contains("not supported yet by lbd")));
    assert!(t("tcp@127.0.0.1:514").is_err());
    assert!(t("fd@5").is_err());
}

#[test]
fn refusals_and_fallbacks_read_like_haproxy() {
    let (cfg, d) = load(&format!(
        "{BASE}frontend fe\n  bind :1\n  log ring@r local0\n"
    ));
    assert!(cfg.is_none());
    assert!(
        d[0].contains("'ring@' targets are not supported yet by lbd"),
        "{d:?}"
    );
    let (_, d) = load(&format!(
        "{BASE}frontend fe\n  bind :1\n  log 127.0.0.1 format fancy local0\n"
    ));
    assert!(d[0].contains("unknown log format 'fancy'"), "{d:?}");
    let (cfg, d) = load(&format!(
        "{BASE}frontend fe\n  bind :1\n  log-format \"%ci %zz\"\n"
    ));
    assert!(cfg.is_none());
    assert!(
        d.iter()
            .any(|m| m.contains("failed to parse log-format : no such format variable 'zz'")),
        "{d:?}"
    );
    let (cfg, d) = load(&format!(
        "{BASE}frontend fe\n  bind :1\n  option httpslog\n"
    ));
    // 2.6's https format, now that lbd terminates TLS.
    assert!(cfg.is_some() && d.is_empty(), "{d:?}");
    let (cfg, d) = load(&format!(
        "{BASE}frontend fe\n  bind :1\n  capture cookie x len 3\n"
    ));
    assert!(cfg.is_some(), "{d:?}");
    let (_, d) = load(&format!(
        "{BASE}frontend fe\n  bind :1\n  capture request header Host\n"
    ));
    assert!(
        d[0].contains("'capture request' expects 'header' <header_name> 'len' <len>."),
        "{d:?}"
    );
    let (cfg, d) = load(&format!(
        "{BASE}frontend fe\n  mode tcp\n  bind :1\n  option httplog\n  log 127.0.0.1 local0\n"
    ));
    assert!(d.iter().any(|m| m.ends_with("'option httplog' not usable with frontend 'fe' (needs 'mode http'). Falling back to 'option tcplog'.")), "{d:?}");
    let cfg = cfg.expect("a warning only");
    let (logger, _s) = Logger::new(&cfg, 1).unwrap_or_else(|e| panic!("{e}"));
    assert!(logger.proxy("fe").is_some_and(|p| p.format.is_some()));
}

#[test]
fn last_of_log_format_and_option_wins() {
    let (cfg, _) = load(&format!(
        "{BASE}frontend fe\n  bind :1\n  log-format %ci\n  option httplog\n  log 127.0.0.1 local0\n"
    ));
    let cfg = cfg.expect("valid");
    assert_eq!(cfg.proxies[0].log_format, None);
    assert_eq!(cfg.proxies[0].options.log_format, LogFormatKind::Httplog);
    let (logger, _s) = Logger::new(&cfg, 1).unwrap_or_else(|e| panic!("{e}"));
    assert!(logger.proxy("fe").is_some_and(|p| !p.logs_connections()));
}
