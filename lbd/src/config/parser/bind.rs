//! `bind` lines (spec 4.2): address lists and the listener options in scope.

use super::super::model::{Bind, BindAddr};
use super::super::pending;
use super::super::units;
use super::{Loader, Status};
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
        "sockpair" | "udp" | "udp4" | "udp6" | "uxdg" | "quic4" | "quic6" => {
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
        "ipv4" | "tcp4" => Some(false),
        "ipv6" | "tcp6" => Some(true),
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
    for part in spec.split(',') {
        match parse_addr(part) {
            Ok(a) => bind.addrs.extend(a),
            Err(e) => return Err(l.alert(format_args!("'bind' : {e}"))),
        }
    }
    let section = l.section_name_kind();
    let head = format!("'bind {spec}' in section '{section}'");
    let mut k = 2;
    while k < words.len() {
        let opt = words[k].as_str();
        let val = words.get(k + 1);
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
            "v4v6" | "v6only" | "accept-proxy" => 1,
            _ => 2,
        };
    }
    Ok(bind)
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
    "ca-file",
    "ciphers",
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
        assert!(parse_addr("quic4@:443").is_err());
    }
}
