//! `server` and `default-server` lines (spec 4.3).

use super::super::diag::Diagnostic;
use super::super::model::{
    CheckParams, MuxProto, ProxyProtoVersion, Server, ServerAddr, ServerPort,
};
use super::super::pending;
use super::super::units::{self, UnitError};
use super::{Loader, Status, Target};
use crate::tls::acceptor::TlsSetupError;
use crate::tls::conf::Verify;
use crate::tls::connector::Connector;
use std::net::IpAddr;
use std::path::PathBuf;

/// The starting point of every `server`: HAProxy's defaults.
pub(crate) fn template() -> Server {
    Server {
        name: String::new(),
        location: Default::default(),
        addr: ServerAddr::Ip {
            ip: IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED),
            port: ServerPort::FromClient(0),
        },
        id: None,
        weight: 1,
        backup: false,
        disabled: false,
        maxconn: None,
        maxqueue: None,
        minconn: None,
        cookie: None,
        slowstart: None,
        check: CheckParams::default(),
        send_proxy: None,
        proxy_v2_options: Default::default(),
        agent: Default::default(),
        on_marked_down_shutdown: false,
        on_marked_up_shutdown_backup: false,
        ssl: Default::default(),
        check_transport: Default::default(),
        proto: None,
        pool_max_conn: None,
        pool_purge_delay: None,
        pool_low_conn: None,
    }
}

const KEYWORDS: &[&str] = &[
    "pool-max-conn",
    "pool-purge-delay",
    "pool-low-conn",
    "weight",
    "backup",
    "disabled",
    "enabled",
    "maxconn",
    "maxqueue",
    "minconn",
    "cookie",
    "slowstart",
    "id",
    "check",
    "inter",
    "fastinter",
    "downinter",
    "rise",
    "fall",
    "port",
    "addr",
    "send-proxy",
    "send-proxy-v2",
    "proxy-v2-options",
    "no-backup",
    "no-check",
    "no-send-proxy",
    "no-send-proxy-v2",
    "agent-check",
    "agent-port",
    "agent-addr",
    "agent-inter",
    "agent-send",
    "no-agent-check",
    "on-marked-down",
    "on-marked-up",
    "ssl",
    "no-ssl",
    "verify",
    "verifyhost",
    "ca-file",
    "crl-file",
    "crt",
    "sni",
    "alpn",
    "proto",
    "ciphers",
    "ciphersuites",
    "ssl-min-ver",
    "ssl-max-ver",
    "no-tls-tickets",
];

/// Parses `<addr>[:[+|-]port]`. Errors are the message after the prefix.
pub(crate) fn parse_addr(s: &str) -> Result<ServerAddr, String> {
    if let Some(p) = s.strip_prefix("unix@") {
        return Ok(ServerAddr::Unix(PathBuf::from(p)));
    }
    if s.starts_with('/') {
        return Ok(ServerAddr::Unix(PathBuf::from(s)));
    }
    if let Some(p) = s.strip_prefix("abns@") {
        return Ok(ServerAddr::Abstract(p.to_string()));
    }
    let s = s
        .strip_prefix("ipv4@")
        .or_else(|| s.strip_prefix("ipv6@"))
        .or_else(|| s.strip_prefix("tcp@"))
        .unwrap_or(s);
    // A bare IPv6 literal has no port; otherwise the port follows the last
    // colon. With exactly one colon, `s` is no address literal on its own
    // (IPv4 has none, IPv6 at least two): `host:port`, the usual case, is
    // not parsed as an address twice.
    let bare = if s.bytes().filter(|&b| b == b':').count() == 1 {
        None
    } else {
        s.parse::<IpAddr>().ok()
    };
    if let Some(ip) = bare {
        return Ok(ServerAddr::Ip {
            ip,
            port: ServerPort::FromClient(0),
        });
    }
    let (host, port) = match s.rfind(':') {
        Some(c) => (&s[..c], Some(&s[c + 1..])),
        None => (s, None),
    };
    let host = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    let port = match port {
        None | Some("") => ServerPort::FromClient(0),
        Some(p) if p.starts_with('+') || p.starts_with('-') => {
            let n: i32 = p[1..]
                .parse()
                .ok()
                .filter(|n| *n <= 65535)
                .ok_or_else(|| format!("invalid port offset '{p}'"))?;
            ServerPort::FromClient(if p.starts_with('-') { -n } else { n })
        }
        Some(p) => match units::parse_uint(p) {
            Some(n) if (1..=65535).contains(&n) => ServerPort::Fixed(n as u16),
            _ => return Err(format!("invalid port '{p}'")),
        },
    };
    if host.is_empty() {
        return Err(format!("invalid address: '{host}' in '{s}'"));
    }
    Ok(match host.parse::<IpAddr>() {
        Ok(ip) => ServerAddr::Ip { ip, port },
        Err(_) => {
            if !host
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_'))
            {
                return Err(format!("invalid address: '{host}' in '{s}'"));
            }
            ServerAddr::Host {
                host: host.to_string(),
                port,
            }
        }
    })
}

fn time_arg(kw: &str, v: &str) -> Result<u64, String> {
    match units::parse_time(v) {
        Ok(ms) => Ok(ms),
        Err(UnitError::BadChar(c)) => Err(format!("unexpected character '{c}' in argument to <{kw}>.")),
        Err(UnitError::Overflow) => Err(format!(
            "timer overflow in argument '{v}' to '{kw}' (maximum value is 2147483647 ms or ~24.8 days)"
        )),
        Err(UnitError::Empty) => Err(format!("'{kw}' expects <value> as argument.")),
    }
}

pub(crate) fn keyword(l: &mut Loader<'_>, t: Target, words: &[String]) -> Status {
    let kw = words[0].as_str();
    let is_default = kw == "default-server";
    let d = l.draft(t);
    let (is_defaults, has_be) = (d.is_defaults, d.proxy.cap.backend);
    // Messages are composed only when one is needed: with 10,000 servers,
    // formatting them for every line was a good part of the parse.
    let prefix = |l: &Loader<'_>| format!("config : [{}:{}] : ", l.file, l.line);
    if is_defaults && !is_default {
        let msg = format!("{}'{kw}' not allowed in 'defaults' section.", prefix(l));
        l.diags.push(Diagnostic::alert(msg));
        return Status {
            fatal: true,
            abort: false,
        };
    }
    if !is_defaults && !has_be {
        let d = l.draft(t);
        let (ty, pname) = (d.type_str(), d.proxy.name.clone());
        let msg = format!(
            "{}parsing [{}:{}] : '{kw}' not allowed because {ty} '{pname}' has no backend capability.",
            prefix(l),
            l.file,
            l.line
        );
        l.diags.push(Diagnostic::alert(msg));
        return Status {
            fatal: true,
            abort: false,
        };
    }
    let mut srv = l.draft(t).default_server.clone();
    let mut k = 1;
    if !is_default {
        let (Some(name), Some(addr)) = (words.get(1), words.get(2)) else {
            let msg = format!(
                "{}'{kw}' expects <name> and <addr>[:<port>] as arguments.",
                prefix(l)
            );
            l.diags.push(Diagnostic::alert(msg));
            return Status {
                fatal: true,
                abort: false,
            };
        };
        srv.name = name.clone();
        srv.location = l.loc();
        match parse_addr(addr) {
            Ok(a) => srv.addr = a,
            Err(e) => {
                let msg = format!("{}{} : {e}", prefix(l), who(l, t, words));
                l.diags.push(Diagnostic::alert(msg));
                return Status {
                    fatal: true,
                    abort: false,
                };
            }
        }
        k = 3;
    }
    // `ssl-default-server-options` words come first, so the line overrides
    // them; a server inheriting a `default-server` has them already.
    let with_defaults: Vec<String>;
    let words = if !srv.ssl.defaults_applied && !l.global.ssl.server_options.is_empty() {
        let mut all = words[..k].to_vec();
        all.extend(l.global.ssl.server_options.iter().cloned());
        all.extend(words[k..].iter().cloned());
        with_defaults = all;
        &with_defaults[..]
    } else {
        words
    };
    srv.ssl.defaults_applied = true;
    let (crt_base, ca_base) = (l.global.crt_base.clone(), l.global.ca_base.clone());
    let fail = |l: &mut Loader<'_>, msg: String| {
        let msg = format!("{}{} : {msg}", prefix(l), who(l, t, words));
        l.diags.push(Diagnostic::alert(msg));
        Status {
            fatal: true,
            abort: false,
        }
    };
    while k < words.len() {
        let p = words[k].as_str();
        let val = words.get(k + 1).map(String::as_str);
        let need = |p: &str| {
            val.map(str::to_string)
                .ok_or_else(|| format!("'{p}' expects <value> as argument."))
        };
        let takes_value = !matches!(
            p,
            "backup"
                | "disabled"
                | "enabled"
                | "check"
                | "send-proxy"
                | "send-proxy-v2"
                | "agent-check"
                | "ssl"
                | "force-tlsv12"
                | "force-tlsv13"
        ) && !p.starts_with("no-");
        if let Some(r) = srv.check_transport.keyword(p, val) {
            match r {
                Ok(n) => {
                    k += n;
                    continue;
                }
                Err(m) => return fail(l, m),
            }
        }
        if let Some(r) = super::bind::tls_param(&mut srv.ssl.params, p, val) {
            match r {
                Ok(n) => {
                    k += n;
                    continue;
                }
                Err(m) => return fail(l, m),
            }
        }
        let res: Result<(), String> = (|| {
            match p {
                "ssl" => srv.ssl.enabled = true,
                "no-ssl" => srv.ssl.enabled = false,
                "verify" => {
                    let v = need(p)?;
                    srv.ssl.verify = Some(match v.as_str() {
                        "none" => Verify::None,
                        "required" => Verify::Required,
                        _ => {
                            return Err(format!(
                                "'{p}' : unknown verify method '{v}', only 'none' and 'required' are supported"
                            ))
                        }
                    });
                }
                "verifyhost" => srv.ssl.verifyhost = Some(need(p)?),
                "ca-file" => {
                    srv.ssl.ca_file = Some(super::bind::base_path(ca_base.as_deref(), &need(p)?))
                }
                "crl-file" => {
                    srv.ssl.crl_file = Some(super::bind::base_path(ca_base.as_deref(), &need(p)?))
                }
                "crt" => srv.ssl.crt = Some(super::bind::base_path(crt_base.as_deref(), &need(p)?)),
                "alpn" => {
                    srv.ssl.alpn = need(p)?
                        .split(',')
                        .filter(|a| !a.is_empty())
                        .map(str::to_string)
                        .collect()
                }
                "proto" => {
                    let v = val
                        .map(str::to_string)
                        .ok_or_else(|| format!("'{p}' : missing value."))?;
                    srv.proto = Some(
                        MuxProto::parse(&v)
                            .ok_or_else(|| format!("'{p}' :  unknown MUX protocol '{v}'."))?,
                    );
                }
                "sni" => {
                    let v = need(p)?;
                    // A constant is resolved once; anything else is checked
                    // here and evaluated per request.
                    match v.strip_prefix("str(").and_then(|r| r.strip_suffix(')')) {
                        Some(name) if !name.is_empty() && !name.contains([',', '(', ')']) => {
                            srv.ssl.sni = Some(name.to_string());
                            srv.ssl.sni_expr = None;
                        }
                        _ => {
                            let registry = crate::pattern::PatternRegistry::new();
                            let env = crate::sample::ParseEnv {
                                registry: &registry,
                                file: "",
                                line: 0,
                            };
                            crate::sample::Expr::parse(&v, &env).map_err(|e| {
                                format!("error detected while parsing sni expression : {e}")
                            })?;
                            srv.ssl.sni = None;
                            srv.ssl.sni_expr = Some(v);
                        }
                    }
                }
                "weight" => {
                    let v = units::atoi(&need(p)?);
                    if !(0..=256).contains(&v) {
                        return Err(format!(
                            "weight of server {} is not within 0 and 256 ({v}).",
                            srv.name
                        ) + ".");
                    }
                    srv.weight = v as u32;
                }
                "backup" => srv.backup = true,
                "disabled" => srv.disabled = true,
                "enabled" => srv.disabled = false,
                "maxconn" => srv.maxconn = Some(units::atoi(&need(p)?).max(0) as u32),
                "maxqueue" => srv.maxqueue = Some(units::atoi(&need(p)?).max(0) as u32),
                "minconn" => srv.minconn = Some(units::atoi(&need(p)?).max(0) as u32),
                "cookie" => srv.cookie = Some(need(p)?),
                "slowstart" => srv.slowstart = Some(time_arg(p, &need(p)?)?),
                "pool-purge-delay" => srv.pool_purge_delay = Some(time_arg(p, &need(p)?)?),
                "pool-max-conn" => {
                    let v = need(p).map_err(|_| format!("'{p}' expects <value> as argument."))?;
                    let n = units::atoi(&v);
                    if n < -1 {
                        return Err(format!("'{p}' must be >= -1"));
                    }
                    srv.pool_max_conn = u32::try_from(n).ok();
                }
                "pool-low-conn" => {
                    let v = need(p).map_err(|_| format!("'{p}' expects <value> as argument."))?;
                    srv.pool_low_conn = Some(units::atoi(&v).clamp(0, i64::from(u32::MAX)) as u32);
                }
                "id" => {
                    let v = need(p).map_err(|_| format!("'{p}' : expects an integer argument."))?;
                    let n = units::atoi(&v);
                    if n <= 0 {
                        return Err(format!("'{p}' : custom id has to be > 0."));
                    }
                    srv.id = Some(n.min(i64::from(u32::MAX)) as u32);
                }
                "check" => srv.check.enabled = true,
                "inter" | "fastinter" | "downinter" => {
                    let ms = time_arg(p, &need(p)?)?;
                    if ms == 0 {
                        return Err(format!(
                            "timer underflow in argument '0' to '{p}' (minimum non-null value is 1 ms)."
                        ));
                    }
                    match p {
                        "inter" => srv.check.inter = ms,
                        "fastinter" => srv.check.fastinter = Some(ms),
                        _ => srv.check.downinter = Some(ms),
                    }
                }
                "rise" | "fall" => {
                    let v = need(p).map_err(|_| format!("'{p}' expects an integer argument.."))?;
                    let n = units::atoi(&v);
                    if n <= 0 {
                        return Err(format!("'{p}' has to be > 0.."));
                    }
                    let n = n.min(i64::from(u32::MAX)) as u32;
                    if p == "rise" {
                        srv.check.rise = n;
                    } else {
                        srv.check.fall = n;
                    }
                }
                "port" => {
                    let v = need(p)?;
                    match units::parse_uint(&v) {
                        Some(n) if n <= 65535 => srv.check.port = Some(n as u16),
                        _ => return Err(format!("invalid port '{v}'")),
                    }
                }
                "addr" => {
                    let v = need(p)?;
                    match v.parse::<IpAddr>() {
                        Ok(ip) => srv.check.addr = Some(ip),
                        Err(_) => return Err(format!("'{p}' : invalid address: '{v}'")),
                    }
                }
                "send-proxy" => srv.send_proxy = Some(ProxyProtoVersion::V1),
                "send-proxy-v2" => srv.send_proxy = Some(ProxyProtoVersion::V2),
                "send-proxy-v2-ssl" => {
                    srv.send_proxy = Some(ProxyProtoVersion::V2Ssl { cn: false })
                }
                "send-proxy-v2-ssl-cn" => {
                    srv.send_proxy = Some(ProxyProtoVersion::V2Ssl { cn: true })
                }
                "proxy-v2-options" => {
                    srv.proxy_v2_options = crate::proxyproto::V2Options::parse(&need(p)?)?
                }
                "no-backup" => srv.backup = false,
                "no-check" => srv.check.enabled = false,
                "no-send-proxy"
                | "no-send-proxy-v2"
                | "no-send-proxy-v2-ssl"
                | "no-send-proxy-v2-ssl-cn" => srv.send_proxy = None,
                "agent-check" => srv.agent.enabled = true,
                "no-agent-check" => srv.agent.enabled = false,
                "agent-port" => {
                    let v = val
                        .map(str::to_string)
                        .ok_or_else(|| format!("'{p}' expects a port number as argument."))?;
                    match units::parse_uint(&v) {
                        Some(n) if (1..=65535).contains(&n) => srv.agent.port = Some(n as u16),
                        _ => return Err(format!("invalid port '{v}'")),
                    }
                }
                "agent-addr" => {
                    let v = val
                        .map(str::to_string)
                        .ok_or_else(|| format!("'{p}' expects an address as argument."))?;
                    match v.parse::<IpAddr>() {
                        Ok(ip) => srv.agent.addr = Some(ip),
                        Err(_) => {
                            return Err(format!(
                                "parsing agent-addr failed. Check if '{v}' is correct address."
                            ))
                        }
                    }
                }
                "agent-inter" => {
                    let v = val
                        .map(str::to_string)
                        .ok_or_else(|| format!("'{p}' expects a delay as argument."))?;
                    let ms = time_arg(p, &v)?;
                    if ms == 0 {
                        return Err(format!(
                            "invalid value 0 for argument '{p}' of server {}.",
                            srv.name
                        ));
                    }
                    srv.agent.inter = Some(ms);
                }
                "agent-send" => srv.agent.send = Some(need(p)?),
                "on-marked-down" => {
                    let v = need(p)?;
                    if v != "shutdown-sessions" {
                        return Err(format!("'{p}' expects 'shutdown-sessions' but got '{v}'"));
                    }
                    srv.on_marked_down_shutdown = true;
                }
                "on-marked-up" => {
                    let v = need(p)?;
                    if v != "shutdown-backup-sessions" {
                        return Err(format!(
                            "'{p}' expects 'shutdown-backup-sessions' but got '{v}'"
                        ));
                    }
                    srv.on_marked_up_shutdown_backup = true;
                }
                _ => {
                    if pending::is_server_keyword(p) {
                        return Err(format!("'{p}' is not supported yet by lbd."));
                    }
                    return Err(match pending::did_you_mean(p, KEYWORDS) {
                        Some(h) => format!("unknown keyword '{p}'; did you mean '{h}' maybe ?"),
                        None => format!("unknown keyword '{p}'."),
                    });
                }
            }
            Ok(())
        })();
        if let Err(m) = res {
            return fail(l, m);
        }
        k += if takes_value { 2 } else { 1 };
    }
    if !is_default {
        if let Err(st) = check_tls(l, t, words, &mut srv) {
            return st;
        }
    }
    let d = l.draft(t);
    if is_default {
        d.default_server = srv;
    } else {
        d.proxy.servers.push(std::sync::Arc::new(srv));
    }
    Status::default()
}

/// How messages name the server of `words`: `'server <proxy>/<name>'`.
fn who(l: &mut Loader<'_>, t: Target, words: &[String]) -> String {
    if words[0] == "default-server" {
        return "'default-server'".to_string();
    }
    let name = words.get(1).map(String::as_str).unwrap_or("");
    format!("'server {}/{name}'", l.draft(t).proxy.name)
}

/// Resolves the verification default and builds the TLS setup once, so
/// that `-c` reports what connecting would (as HAProxy checks at start-up).
fn check_tls(
    l: &mut Loader<'_>,
    t: Target,
    words: &[String],
    srv: &mut Server,
) -> Result<(), Status> {
    let g = &l.global.ssl;
    if srv.ssl.params.ciphers.is_none() {
        srv.ssl.params.ciphers = g.server_ciphers.clone();
    }
    if srv.ssl.params.ciphersuites.is_none() {
        srv.ssl.params.ciphersuites = g.server_ciphersuites.clone();
    }
    if !srv.ssl.enabled {
        return Ok(());
    }
    let prefix = format!("config : [{}:{}] : ", l.file, l.line);
    let who = who(l, t, words);
    let g = &l.global.ssl;
    let verify_none_default = g.server_verify_none;
    let verify = *srv.ssl.verify.get_or_insert(if verify_none_default {
        Verify::None
    } else {
        Verify::Required
    });
    let fatal = Status {
        fatal: true,
        abort: false,
    };
    if verify == Verify::Required && srv.ssl.ca_file.is_none() {
        let msg = if verify_none_default {
            "verify is enabled but no CA file specified."
        } else {
            "verify is enabled by default but no CA file specified. If you're running on a LAN where you're certain to trust the server's certificate, please set an explicit 'verify none' statement on the 'server' line, or use 'ssl-server-verify none' in the global section to disable server-side verifications by default."
        };
        l.diags
            .push(Diagnostic::alert(format!("{prefix}{who} : {msg}")));
        return Err(fatal);
    }
    match Connector::build(&srv.ssl) {
        Ok((_, notes)) => {
            for w in notes.warnings {
                l.diags
                    .push(Diagnostic::warning(format!("{prefix}{who} : {w}")));
            }
            Ok(())
        }
        Err(TlsSetupError::CaFile { path, reason }) => {
            l.diags.push(Diagnostic::alert(format!(
                "{prefix}{who} : Couldn't open the ca-file '{path}' ({reason})."
            )));
            l.diags.push(Diagnostic::alert(format!(
                "config : 'ca-file' : unable to load {path}."
            )));
            Err(fatal)
        }
        Err(e) => {
            l.diags
                .push(Diagnostic::alert(format!("{prefix}{who} : {e}")));
            Err(fatal)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn address_forms() {
        let ip = |s: &str| s.parse::<IpAddr>().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            parse_addr("127.0.0.1:8000"),
            Ok(ServerAddr::Ip {
                ip: ip("127.0.0.1"),
                port: ServerPort::Fixed(8000)
            })
        );
        assert_eq!(
            parse_addr("10.0.0.1"),
            Ok(ServerAddr::Ip {
                ip: ip("10.0.0.1"),
                port: ServerPort::FromClient(0)
            })
        );
        assert_eq!(
            parse_addr("10.0.0.1:+1000"),
            Ok(ServerAddr::Ip {
                ip: ip("10.0.0.1"),
                port: ServerPort::FromClient(1000)
            })
        );
        assert_eq!(
            parse_addr("10.0.0.1:-10"),
            Ok(ServerAddr::Ip {
                ip: ip("10.0.0.1"),
                port: ServerPort::FromClient(-10)
            })
        );
        assert_eq!(
            parse_addr("::1"),
            Ok(ServerAddr::Ip {
                ip: ip("::1"),
                port: ServerPort::FromClient(0)
            })
        );
        assert_eq!(
            parse_addr("[::1]:80"),
            Ok(ServerAddr::Ip {
                ip: ip("::1"),
                port: ServerPort::Fixed(80)
            })
        );
        assert_eq!(
            parse_addr("app.example:8080"),
            Ok(ServerAddr::Host {
                host: "app.example".into(),
                port: ServerPort::Fixed(8080)
            })
        );
        assert_eq!(
            parse_addr("/run/app.sock"),
            Ok(ServerAddr::Unix("/run/app.sock".into()))
        );
        assert_eq!(
            parse_addr("127.0.0.1:99999"),
            Err("invalid port '99999'".into())
        );
    }

    fn load(text: &str) -> crate::config::model::Config {
        let env = std::collections::HashMap::<String, String>::new();
        let out = crate::config::load_str("t.cfg", text.as_bytes(), &env);
        out.config.unwrap_or_else(|| panic!("{:?}", out.diags))
    }

    #[test]
    fn proto_forces_the_server_multiplexer() {
        let cfg = load(
            "defaults
    mode http
backend be
    default-server proto h2
    server a 127.0.0.1:80
    server b 127.0.0.1:81 proto h1
    server c 127.0.0.1:82 ssl verify none alpn h2
",
        );
        let s = &cfg.proxies[0].servers;
        assert_eq!(s[0].proto, Some(MuxProto::H2));
        assert_eq!(s[1].proto, Some(MuxProto::H1));
        assert_eq!(s[2].proto, Some(MuxProto::H2));
        let env = std::collections::HashMap::<String, String>::new();
        let out = crate::config::load_str(
            "t.cfg",
            b"backend be\n    server a 127.0.0.1:80 proto h3\n",
            &env,
        );
        let text = format!("{:?}", out.diags);
        assert!(
            text.contains("'server be/a' : 'proto' :  unknown MUX protocol 'h3'."),
            "{text}"
        );
    }

    #[test]
    fn ssl_parameters_and_server_defaults() {
        let cfg = load(
            "global
    ssl-default-server-options ssl-min-ver TLSv1.2 no-tls-tickets
    ssl-default-server-ciphers ECDHE-RSA-AES128-GCM-SHA256
defaults
    mode http
backend be
    default-server ssl verify none ssl-min-ver TLSv1.3
    server a 127.0.0.1:443 sni str(app.test) alpn h2,http/1.1
    server b 127.0.0.1:443 no-ssl
",
        );
        let be = &cfg.proxies[0];
        let a = &be.servers[0].ssl;
        assert!(a.enabled);
        assert_eq!(a.verify, Some(Verify::None));
        assert_eq!(a.sni.as_deref(), Some("app.test"));
        assert_eq!(a.alpn, vec!["h2".to_string(), "http/1.1".to_string()]);
        // default-server's own ssl-min-ver wins over the global options.
        assert_eq!(a.params.min_ver, Some(crate::tls::conf::TlsVersion::Tls13));
        assert!(a.params.no_tls_tickets);
        assert_eq!(
            a.params.ciphers.as_deref(),
            Some("ECDHE-RSA-AES128-GCM-SHA256")
        );
        assert!(!be.servers[1].ssl.enabled);
    }

    #[test]
    fn sni_takes_a_constant_or_a_per_request_expression() {
        let cfg = load(
            "defaults
    mode http
backend be
    server a 127.0.0.1:443 ssl verify none sni str(app.test)
    server b 127.0.0.1:443 ssl verify none sni req.hdr(host),lower
",
        );
        let s = &cfg.proxies[0].servers;
        assert_eq!(s[0].ssl.sni.as_deref(), Some("app.test"));
        assert_eq!(s[0].ssl.sni_expr, None);
        assert_eq!(s[1].ssl.sni, None);
        assert_eq!(s[1].ssl.sni_expr.as_deref(), Some("req.hdr(host),lower"));
        let env = std::collections::HashMap::<String, String>::new();
        let bad =
            "defaults\n    mode http\nbackend be\n    server c 127.0.0.1:443 ssl sni nosuch(x)\n";
        let out = crate::config::load_str("t.cfg", bad.as_bytes(), &env);
        assert!(
            format!("{:?}", out.diags).contains(
                "error detected while parsing sni expression : unknown fetch method 'nosuch'"
            ),
            "{:?}",
            out.diags
        );
    }
}
