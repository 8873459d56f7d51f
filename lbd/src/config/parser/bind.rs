//! `bind` lines (spec 4.2): address lists and the listener options in scope.

use super::super::diag::Diagnostic;
use super::super::model::{Bind, BindAddr, MuxProto};
use super::super::pending;
use super::super::units;
use super::{Loader, Status};
use crate::tls::acceptor::{Acceptor, TlsSetupError};
use crate::tls::conf::{TlsParams, TlsVersion, Verify};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, ToSocketAddrs};
use std::path::PathBuf;

/// A host that is not an IP literal is resolved now, as HAProxy does.
fn resolve_host(host: &str, v6: Option<bool>) -> Option<IpAddr> {
    if host == "localhost" && v6 != Some(true) {
        return Some(IpAddr::V4(Ipv4Addr::LOCALHOST));
    }
    let addrs = (host, 0).to_socket_addrs().ok()?;
    addrs
        .map(|a| a.ip())
        .find(|ip| v6.is_none_or(|want6| ip.is_ipv6() == want6))
}

/// Parses one address of a `bind` line (a comma-separated list was split).
/// Errors are the text after `'bind' : `.
pub(crate) fn parse_addr(spec: &str) -> Result<Vec<BindAddr>, String> {
    let (family, rest) = match spec.split_once('@') {
        Some((p, r))
            if matches!(
                p,
                "ipv4"
                    | "ipv6"
                    | "ip"
                    | "tcp"
                    | "tcp4"
                    | "tcp6"
                    | "unix"
                    | "uxst"
                    | "abns"
                    | "fd"
                    | "sockpair"
                    | "udp"
                    | "udp4"
                    | "udp6"
                    | "uxdg"
                    | "quic4"
                    | "quic6"
            ) =>
        {
            (p, r)
        }
        Some((p, _)) if !p.contains(':') && !p.contains('/') && !p.contains('[') => {
            return Err(format!("unknown address family '{p}' in '{spec}'"));
        }
        _ => ("", spec),
    };
    match family {
        "unix" | "uxst" => return Ok(vec![BindAddr::Unix(PathBuf::from(rest))]),
        "abns" => return Ok(vec![BindAddr::Abstract(rest.to_string())]),
        "fd" => {
            return match units::parse_uint(rest) {
                Some(fd) if fd <= i32::MAX as u64 => Ok(vec![BindAddr::Fd(fd as i32)]),
                _ => Err(format!(
                    "file descriptor '{rest}' is not a valid integer in '{spec}'"
                )),
            }
        }
        "sockpair" | "udp" | "udp4" | "udp6" | "uxdg" => {
            return Err(format!(
                "'{family}@' addresses are not supported yet by lbd ('{spec}')"
            ))
        }
        _ => {}
    }
    if family.is_empty() && rest.starts_with('/') {
        return Ok(vec![BindAddr::Unix(PathBuf::from(rest))]);
    }
    let want6 = match family {
        "ipv4" | "tcp4" | "quic4" => Some(false),
        "ipv6" | "tcp6" | "quic6" => Some(true),
        _ => None,
    };
    // The port is after the last colon; IPv6 literals need no brackets.
    let Some(colon) = rest.rfind(':') else {
        return Err(format!("missing port specification in '{spec}'"));
    };
    let (host, port) = (&rest[..colon], &rest[colon + 1..]);
    let host = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    if port.is_empty() {
        return Err(format!("missing port specification in '{spec}'"));
    }
    let (lo, hi) = match port.split_once('-') {
        Some((a, b)) => (a, b),
        None => (port, port),
    };
    let (Some(lo), Some(hi)) = (units::parse_uint(lo), units::parse_uint(hi)) else {
        return Err(format!("invalid port '{port}'"));
    };
    if lo == 0 || hi > 65535 || lo > hi {
        return Err(format!("invalid port range '{port}' in '{spec}'"));
    }
    let ip: IpAddr = if host.is_empty() || host == "*" {
        if want6 == Some(true) {
            IpAddr::V6(Ipv6Addr::UNSPECIFIED)
        } else {
            IpAddr::V4(Ipv4Addr::UNSPECIFIED)
        }
    } else if let Ok(ip) = host.parse::<IpAddr>() {
        if want6.is_some_and(|w| w != ip.is_ipv6()) {
            return Err(format!("invalid address: '{host}' in '{spec}'"));
        }
        ip
    } else {
        match resolve_host(host, want6) {
            Some(ip) => ip,
            None => return Err(format!("invalid address: '{host}' in '{spec}'")),
        }
    };
    Ok((lo..=hi)
        .map(|p| BindAddr::Tcp(SocketAddr::new(ip, p as u16)))
        .collect())
}

/// Parses `bind <addrs> [options]`.
pub(crate) fn parse(l: &mut Loader<'_>, words: &[String]) -> Result<Bind, Status> {
    let Some(spec) = words.get(1) else {
        return Err(l.alert(format_args!(
            "'{}' expects {{<path>|[addr1]:port1[-end1]}}{{,[addr]:port[-end]}}... as arguments.",
            words[0]
        )));
    };
    let mut bind = Bind {
        location: l.loc(),
        ..Bind::default()
    };
    let section = l.section_name_kind();
    let head = format!("'bind {spec}' in section '{section}'");
    let mut stream = false;
    for part in spec.split(',') {
        match parse_addr(part) {
            Ok(a) => bind.addrs.extend(a),
            Err(e) => return Err(l.alert(format_args!("'bind' : {e}"))),
        }
        match is_quic(part) {
            true => bind.quic = true,
            false => stream = true,
        }
    }
    if bind.quic && stream {
        return Err(l.alert(format_args!(
            "{head} : cannot mix datagram and stream protocols."
        )));
    }
    bind.ssl.params.ciphers = l.global.ssl.bind_ciphers.clone();
    bind.ssl.params.ciphersuites = l.global.ssl.bind_ciphersuites.clone();
    bind.ssl.curves = l.global.ssl.bind_curves.clone();
    // `ssl-default-bind-options` words come first, so the line overrides them.
    let mut all: Vec<String> = words[..2].to_vec();
    all.extend(l.global.ssl.bind_options.iter().cloned());
    all.extend(words[2..].iter().cloned());
    let words = &all[..];
    let mut k = 2;
    while k < words.len() {
        let opt = words[k].as_str();
        let val = words.get(k + 1);
        if let Some(taken) = tls_param(&mut bind.ssl.params, opt, val.map(String::as_str)) {
            match taken {
                Ok(n) => {
                    k += n;
                    continue;
                }
                Err(e) => return Err(l.alert(format_args!("{head} : {e}"))),
            }
        }
        let need_val = |l: &mut Loader<'_>| -> Result<String, Status> {
            match val {
                Some(v) => Ok(v.clone()),
                None => Err(l.alert(format_args!("{head} : '{opt}' : missing value"))),
            }
        };
        let int_val = |l: &mut Loader<'_>, min: i64| -> Result<u32, Status> {
            let v = need_val(l)?;
            let n = units::atoi(&v);
            if n < min {
                let cmp = if min == 0 { ">= 0" } else { "> 0" };
                return Err(l.alert(format_args!(
                    "{head} : '{opt}' : invalid value {n}, must be {cmp}"
                )));
            }
            Ok(n.min(i64::from(u32::MAX)) as u32)
        };
        match opt {
            "name" => bind.name = Some(need_val(l)?),
            "id" => {
                let v = need_val(l)?;
                let n = units::atoi(&v);
                if n <= 0 {
                    return Err(l.alert(format_args!("{head} : '{opt}' : custom id has to be > 0")));
                }
                bind.id = Some(n.min(i64::from(u32::MAX)) as u32);
            }
            "maxconn" => bind.maxconn = Some(int_val(l, 0)?),
            "backlog" => bind.backlog = Some(int_val(l, 1)?),
            "mode" => {
                let v = need_val(l)?;
                match u32::from_str_radix(&v, 8) {
                    Ok(m) => bind.mode = Some(m),
                    Err(_) => {
                        return Err(l.alert(format_args!("{head} : '{opt}' : invalid mode '{v}'")))
                    }
                }
            }
            "user" => bind.user = Some(need_val(l)?),
            "group" => bind.group = Some(need_val(l)?),
            "uid" => bind.uid = Some(int_val(l, 0)?),
            "gid" => bind.gid = Some(int_val(l, 0)?),
            "v4v6" => bind.v4v6 = true,
            "v6only" => bind.v6only = true,
            "accept-proxy" => bind.accept_proxy = true,
            "ssl" => bind.ssl.enabled = true,
            "crt" => {
                let v = need_val(l)?;
                bind.ssl
                    .crts
                    .push(base_path(l.global.crt_base.as_deref(), &v));
            }
            "crt-list" => {
                let v = need_val(l)?;
                bind.ssl
                    .crt_lists
                    .push(base_path(l.global.crt_base.as_deref(), &v));
            }
            "ca-file" => {
                let v = need_val(l)?;
                bind.ssl.ca_file = Some(base_path(l.global.ca_base.as_deref(), &v));
            }
            "crl-file" => {
                let v = need_val(l)?;
                bind.ssl.crl_file = Some(base_path(l.global.ca_base.as_deref(), &v));
            }
            "proto" => {
                let v = need_val(l)?;
                bind.proto = Some(MuxProto::parse(&v).ok_or_else(|| {
                    l.alert(format_args!(
                        "{head} : '{opt}' :  unknown MUX protocol '{v}'"
                    ))
                })?);
            }
            "alpn" => {
                let v = need_val(l)?;
                bind.ssl.alpn = v
                    .split(',')
                    .filter(|a| !a.is_empty())
                    .map(str::to_string)
                    .collect();
            }
            "prefer-client-ciphers" => bind.ssl.prefer_client_ciphers = true,
            "strict-sni" => bind.ssl.strict_sni = true,
            "no-ca-names" => bind.ssl.no_ca_names = true,
            "curves" => bind.ssl.curves = Some(need_val(l)?),
            "ecdhe" => bind.ssl.ecdhe = Some(need_val(l)?),
            "verify" => {
                let v = need_val(l)?;
                bind.ssl.verify = Verify::parse(&v).ok_or_else(|| {
                    l.alert(format_args!(
                        "{head} : '{opt}' : unknown verify method '{v}', only 'none', 'optional', and 'required' are supported"
                    ))
                })?;
            }
            _ => {
                if pending::is_bind_keyword(opt) {
                    return Err(l.alert(format_args!(
                        "{head} : '{opt}' is not supported yet by lbd."
                    )));
                }
                let hint = pending::did_you_mean(opt, BIND_KEYWORDS);
                return Err(match hint {
                    Some(h) => l.alert(format_args!(
                        "{head}: unknown keyword '{opt}'; did you mean '{h}' maybe ?"
                    )),
                    None => l.alert(format_args!("{head}: unknown keyword '{opt}'.")),
                });
            }
        }
        k += match opt {
            "v4v6"
            | "v6only"
            | "accept-proxy"
            | "ssl"
            | "prefer-client-ciphers"
            | "strict-sni"
            | "no-ca-names" => 1,
            _ => 2,
        };
    }
    if bind.quic {
        check_quic(l, &mut bind, &head)?;
    }
    check_tls(l, &bind, spec, &head)?;
    Ok(bind)
}

/// Whether one address of a `bind` line is a QUIC (HTTP/3) one.
fn is_quic(part: &str) -> bool {
    part.starts_with("quic4@") || part.starts_with("quic6@")
}

/// What a QUIC bind needs besides its addresses: TLS (turned on with
/// HAProxy 2.6's warning when missing), TLSv1.3 (the only version QUIC
/// carries), and no stream multiplexer.
fn check_quic(l: &mut Loader<'_>, bind: &mut Bind, head: &str) -> Result<(), Status> {
    if !bind.ssl.enabled {
        bind.ssl.enabled = true;
        l.warn(format_args!(
            "{head} : QUIC protocol detected, enabling ssl. Use 'ssl' to shut this warning."
        ));
    }
    if let Some(p) = bind.proto {
        let name = match p {
            MuxProto::H1 => "h1",
            MuxProto::H2 => "h2",
        };
        return Err(l.alert(format_args!(
            "{head} : stream-based MUX protocol '{name}' is incompatible with framed transport."
        )));
    }
    let p = &bind.ssl.params;
    if p.no_tls13 || p.max_ver.is_some_and(|v| v < TlsVersion::Tls13) {
        return Err(l.alert(format_args!(
            "{head} : QUIC requires TLSv1.3, which the TLS options disable."
        )));
    }
    Ok(())
}

/// `crt`/`ca-file` paths are relative to `crt-base`/`ca-base` when set.
pub(crate) fn base_path(base: Option<&str>, p: &str) -> PathBuf {
    match base {
        Some(b) if !p.starts_with('/') => PathBuf::from(b).join(p),
        _ => PathBuf::from(p),
    }
}

/// The protocol options binds and servers share.
const TLS_PARAMS: &[&str] = &[
    "ciphers",
    "ciphersuites",
    "ssl-min-ver",
    "ssl-max-ver",
    "no-sslv3",
    "no-tlsv10",
    "no-tlsv11",
    "no-tlsv12",
    "no-tlsv13",
    "force-tlsv12",
    "force-tlsv13",
    "no-tls-tickets",
];

/// Applies one of [`TLS_PARAMS`]. None when `opt` is not one; else the
/// number of words it took, or the error text.
pub(crate) fn tls_param(
    p: &mut TlsParams,
    opt: &str,
    val: Option<&str>,
) -> Option<Result<usize, String>> {
    if !TLS_PARAMS.contains(&opt) {
        return None;
    }
    let need = || val.ok_or_else(|| format!("'{opt}' : missing value"));
    let version = |v: &str| {
        TlsVersion::parse(v).ok_or_else(|| {
            format!("'{opt}' : unknown value '{v}' (expects SSLv3, TLSv1.0, TLSv1.1, TLSv1.2 or TLSv1.3)")
        })
    };
    let r = (|| {
        match opt {
            "ciphers" => p.ciphers = Some(need()?.to_string()),
            "ciphersuites" => p.ciphersuites = Some(need()?.to_string()),
            "ssl-min-ver" => p.min_ver = Some(version(need()?)?),
            "ssl-max-ver" => p.max_ver = Some(version(need()?)?),
            "no-tlsv12" => p.no_tls12 = true,
            "no-tlsv13" => p.no_tls13 = true,
            "force-tlsv12" | "force-tlsv13" => {
                let v = if opt == "force-tlsv12" {
                    TlsVersion::Tls12
                } else {
                    TlsVersion::Tls13
                };
                p.min_ver = Some(v);
                p.max_ver = Some(v);
            }
            "no-tls-tickets" => p.no_tls_tickets = true,
            // no-sslv3/no-tlsv10/no-tlsv11: versions rustls never speaks,
            // so disabling them changes nothing.
            _ => {}
        }
        Ok(
            if val.is_some()
                && matches!(
                    opt,
                    "ciphers" | "ciphersuites" | "ssl-min-ver" | "ssl-max-ver"
                )
            {
                2
            } else {
                1
            },
        )
    })();
    Some(r)
}

/// Loads the certificates and builds the TLS setup once, so that `-c`
/// reports what starting would (HAProxy loads them while parsing).
fn check_tls(l: &mut Loader<'_>, bind: &Bind, spec: &str, head: &str) -> Result<(), Status> {
    let ssl = &bind.ssl;
    if !ssl.enabled {
        if let Err(e) = crate::tls::acceptor::load_certs(ssl) {
            return Err(l.alert(format_args!("{head} : {e}")));
        }
        return Ok(());
    }
    if bind
        .addrs
        .iter()
        .any(|a| matches!(a, BindAddr::Unix(_) | BindAddr::Abstract(_)))
    {
        return Err(l.alert(format_args!(
            "{head} : 'ssl' on a unix socket is not supported yet by lbd."
        )));
    }
    let proxy = l.section_name.clone();
    let at = format!("for bind '{spec}' at [{}:{}]", l.file, l.line);
    if ssl.crts.is_empty() && ssl.crt_lists.is_empty() {
        l.diags.push(Diagnostic::alert(format!(
            "config : Proxy '{proxy}': no SSL certificate specified {at} (use 'crt')."
        )));
        return Err(Status {
            fatal: true,
            abort: false,
        });
    }
    match Acceptor::build(ssl, false) {
        Ok((_, notes)) => {
            for w in notes.warnings {
                l.warn(format_args!("{head} : {w}"));
            }
            Ok(())
        }
        Err(TlsSetupError::CaFile { path, reason }) => {
            l.diags.push(Diagnostic::alert(format!(
                "config : Couldn't open the ca-file '{path}' ({reason})."
            )));
            Err(l.alert(format_args!("{head} : 'ca-file' : unable to load {path}")))
        }
        Err(
            e @ (TlsSetupError::Ciphers(_)
            | TlsSetupError::Ciphersuites(_)
            | TlsSetupError::VerifyWithoutCa),
        ) => {
            l.diags.push(Diagnostic::alert(format!(
                "config : Proxy '{proxy}': {e} {at}."
            )));
            Err(Status {
                fatal: true,
                abort: false,
            })
        }
        Err(e) => Err(l.alert(format_args!("{head} : {e}"))),
    }
}

const BIND_KEYWORDS: &[&str] = &[
    "name",
    "id",
    "maxconn",
    "backlog",
    "mode",
    "user",
    "group",
    "uid",
    "gid",
    "v4v6",
    "v6only",
    "accept-proxy",
    "ssl",
    "crt",
    "alpn",
    "verify",
    "prefer-client-ciphers",
    "strict-sni",
    "no-ca-names",
    "curves",
    "ecdhe",
    "ca-file",
    "ciphers",
    "proto",
];

#[cfg(test)]
mod tests {
    use super::*;

    fn tcp(s: &str) -> SocketAddr {
        s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn address_forms() {
        assert_eq!(
            parse_addr(":80"),
            Ok(vec![BindAddr::Tcp(tcp("0.0.0.0:80"))])
        );
        assert_eq!(
            parse_addr("*:80"),
            Ok(vec![BindAddr::Tcp(tcp("0.0.0.0:80"))])
        );
        assert_eq!(
            parse_addr(":::443"),
            Ok(vec![BindAddr::Tcp(tcp("[::]:443"))])
        );
        assert_eq!(
            parse_addr("::1:443"),
            Ok(vec![BindAddr::Tcp(tcp("[::1]:443"))])
        );
        assert_eq!(
            parse_addr("[::1]:443"),
            Ok(vec![BindAddr::Tcp(tcp("[::1]:443"))])
        );
        assert_eq!(
            parse_addr("ipv6@:80"),
            Ok(vec![BindAddr::Tcp(tcp("[::]:80"))])
        );
        assert_eq!(
            parse_addr("ipv4@127.0.0.1:80"),
            Ok(vec![BindAddr::Tcp(tcp("127.0.0.1:80"))])
        );
        assert_eq!(parse_addr("127.0.0.1:1024-1026").map(|v| v.len()), Ok(3));
        assert_eq!(
            parse_addr("/run/x.sock"),
            Ok(vec![BindAddr::Unix("/run/x.sock".into())])
        );
        assert_eq!(
            parse_addr("unix@x.sock"),
            Ok(vec![BindAddr::Unix("x.sock".into())])
        );
        assert_eq!(
            parse_addr("abns@foo"),
            Ok(vec![BindAddr::Abstract("foo".into())])
        );
        assert_eq!(parse_addr("fd@3"), Ok(vec![BindAddr::Fd(3)]));
        assert_eq!(
            parse_addr("localhost:80"),
            Ok(vec![BindAddr::Tcp(tcp("127.0.0.1:80"))])
        );
    }

    #[test]
    fn address_errors() {
        assert_eq!(
            parse_addr("127.0.0.1"),
            Err("missing port specification in '127.0.0.1'".into())
        );
        assert!(parse_addr("127.0.0.1:0").is_err());
        assert!(parse_addr("127.0.0.1:70000").is_err());
        assert!(parse_addr("127.0.0.1:90-80").is_err());
        assert!(parse_addr("ipv4@::1:80").is_err());
        assert!(parse_addr("fd@x").is_err());
        assert!(parse_addr("udp@:443").is_err());
        assert_eq!(
            parse_addr("quic4@:443"),
            Ok(vec![BindAddr::Tcp(tcp("0.0.0.0:443"))])
        );
        assert_eq!(
            parse_addr("quic6@:443"),
            Ok(vec![BindAddr::Tcp(tcp("[::]:443"))])
        );
        assert!(parse_addr("quic6@127.0.0.1:443").is_err());
    }
}
