//! `global` section keywords (spec 3), plus the `log` target syntax shared
//! with proxies.

use super::super::model::{CliLevel, LogTarget, StatsSocket};
use super::super::pending;
use super::super::units::{self, UnitError};
use super::{bind, DefaultPath, Loader, Status};

const FACILITIES: &[&str] = &[
    "kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news", "uucp", "cron", "auth2",
    "ftp", "ntp", "audit", "alert", "cron2", "local0", "local1", "local2", "local3", "local4",
    "local5", "local6", "local7",
];
const LEVELS: &[&str] = &[
    "emerg", "alert", "crit", "err", "warning", "notice", "info", "debug",
];

/// `log <target> [len N] [format F] [sample R:S] <facility> [level [minlevel]]`.
pub(crate) fn parse_log(l: &mut Loader<'_>, words: &[String]) -> Result<LogTarget, Status> {
    let usage = "'log' expects either <address[:port]> and <facility> or 'global' as arguments.";
    let Some(target) = words.get(1) else {
        return Err(l.alert(usage));
    };
    if let Err(e) = crate::log::conf::parse_transport(target) {
        return Err(l.alert(e));
    }
    let mut t = LogTarget {
        target: target.clone(),
        len: None,
        format: None,
        facility: String::new(),
        level: None,
        min_level: None,
        location: l.loc(),
    };
    let mut k = 2;
    loop {
        match words.get(k).map(String::as_str) {
            Some("len") => {
                let n = words.get(k + 1).map(|v| units::atoi(v)).unwrap_or(0);
                if !(80..=65535).contains(&n) {
                    return Err(l.alert(format_args!(
                        "invalid log length '{}', must be between 80 and 65535.",
                        words.get(k + 1).map(String::as_str).unwrap_or("")
                    )));
                }
                t.len = Some(n as usize);
                k += 2;
            }
            Some("format") => {
                let Some(f) = words.get(k + 1) else {
                    return Err(l.alert("'format' expects <format> as argument."));
                };
                if crate::log::SyslogFormat::parse(f).is_none() {
                    return Err(l.alert(format_args!("unknown log format '{f}'")));
                }
                t.format = Some(f.clone());
                k += 2;
            }
            Some("sample") => {
                return Err(l.alert("'log ... sample' is not supported yet by lbd."));
            }
            _ => break,
        }
    }
    let Some(fac) = words.get(k) else {
        return Err(l.alert(usage));
    };
    if !FACILITIES.contains(&fac.as_str()) {
        return Err(l.alert(format_args!("unknown log facility '{fac}'")));
    }
    t.facility = fac.clone();
    for (slot, w) in [(0, words.get(k + 1)), (1, words.get(k + 2))] {
        let Some(w) = w else { break };
        if !LEVELS.contains(&w.as_str()) {
            return Err(l.alert(format_args!("unknown optional log level '{w}'")));
        }
        if slot == 0 {
            t.level = Some(w.clone());
        } else {
            t.min_level = Some(w.clone());
        }
    }
    if let Some(extra) = words.get(k + 3) {
        return Err(l.alert(format_args!(
            "'log' cannot handle unexpected argument '{extra}'."
        )));
    }
    Ok(t)
}

fn one_arg<'w>(l: &mut Loader<'_>, words: &'w [String], what: &str) -> Result<&'w str, Status> {
    match words.get(1) {
        None => Err(l.alert(format_args!("'{}' expects {what} as argument.", words[0]))),
        Some(_) if words.len() > 2 => Err(l.alert(format_args!(
            "'{}' cannot handle unexpected argument '{}'.",
            words[0], words[2]
        ))),
        Some(v) => Ok(v),
    }
}

fn int_arg(l: &mut Loader<'_>, words: &[String]) -> Result<u64, Status> {
    match words.get(1) {
        None => Err(l.alert(format_args!("'{}' expects an integer argument.", words[0]))),
        Some(_) if words.len() > 2 => Err(l.alert(format_args!(
            "'{}' cannot handle unexpected argument '{}'.",
            words[0], words[2]
        ))),
        Some(v) => Ok(units::atoi(v).max(0) as u64),
    }
}

fn time_arg(l: &mut Loader<'_>, words: &[String]) -> Result<u64, Status> {
    let kw = &words[0];
    let Some(v) = words.get(1) else {
        return Err(l.alert(format_args!("'{kw}' expects <time> as argument.")));
    };
    units::parse_time(v).map_err(|e| match e {
        UnitError::BadChar(c) => l.alert(format_args!(
            "unexpected character '{c}' in argument to '{kw}'."
        )),
        _ => l.alert(format_args!(
            "timer overflow in argument '{v}' to '{kw}' (maximum value is 2147483647 ms or ~24.8 days)"
        )),
    })
}

macro_rules! tryst {
    ($e:expr) => {
        match $e {
            Ok(v) => v,
            Err(st) => return st,
        }
    };
}

pub(crate) fn keyword(l: &mut Loader<'_>, words: &[String], negate: bool) -> Status {
    let kw = words[0].as_str();
    match kw {
        "daemon" => l.global.daemon = true,
        "master-worker" => l.global.master_worker = true,
        "pidfile" => l.global.pidfile = Some(tryst!(one_arg(l, words, "a file name")).into()),
        "nbthread" => {
            let v = words.get(1).cloned().unwrap_or_default();
            match units::parse_uint(&v) {
                Some(n) if (1..=64).contains(&n) => l.global.nbthread = Some(n as u32),
                Some(n) => {
                    return l.alert(format_args!(
                        "'nbthread' value must be between 1 and 64 (was {n})"
                    ))
                }
                None => {
                    return l.alert(format_args!(
                        "'nbthread' passed a missing or unparsable integer value in '{v}'"
                    ))
                }
            }
        }
        "maxconn" => {
            if l.global.maxconn.is_some() {
                l.alert(format_args!("'{kw}' already specified. Continuing."));
                return Status::default();
            }
            l.global.maxconn = Some(tryst!(int_arg(l, words)).min(u64::from(u32::MAX)) as u32);
        }
        "ulimit-n" => l.global.ulimit_n = Some(tryst!(int_arg(l, words))),
        "user" => l.global.user = Some(tryst!(one_arg(l, words, "<user name>")).into()),
        "group" => l.global.group = Some(tryst!(one_arg(l, words, "<group name>")).into()),
        "uid" | "gid" => {
            let v = tryst!(one_arg(l, words, "an integer"));
            let Some(n) = units::parse_uint(v).filter(|n| *n <= u64::from(u32::MAX)) else {
                let hint = if kw == "uid" { "user" } else { "group" };
                l.warn(format_args!(
                    " {kw}: string '{v}' is not a number.\n   | You might want to use the '{hint}' parameter to use a system {hint} name."
                ));
                return Status::default();
            };
            if kw == "uid" {
                l.global.uid = Some(n as u32);
            } else {
                l.global.gid = Some(n as u32);
            }
        }
        "chroot" => l.global.chroot = Some(tryst!(one_arg(l, words, "a directory")).into()),
        "node" => l.global.node = Some(tryst!(one_arg(l, words, "a name")).into()),
        "description" => {
            if words.len() < 2 {
                return l.alert(format_args!("'{kw}' expects a string argument."));
            }
            l.global.description = Some(words[1..].join(" "));
        }
        "hard-stop-after" => l.global.hard_stop_after = Some(tryst!(time_arg(l, words))),
        "grace" => l.global.grace = Some(tryst!(time_arg(l, words))),
        "zero-warning" => l.global.zero_warning = true,
        "strict-limits" => l.global.strict_limits = !negate,
        "ca-base" => l.global.ca_base = Some(tryst!(one_arg(l, words, "a directory")).into()),
        "crt-base" => l.global.crt_base = Some(tryst!(one_arg(l, words, "a directory")).into()),
        "h1-accept-payload-with-any-method" => l.global.h1_accept_payload_with_any_method = true,
        "ssl-default-bind-ciphers" => {
            l.global.ssl.bind_ciphers =
                Some(tryst!(one_arg(l, words, "a cipher suite string")).into())
        }
        "ssl-default-bind-ciphersuites" => {
            l.global.ssl.bind_ciphersuites =
                Some(tryst!(one_arg(l, words, "a cipher suite string")).into())
        }
        "ssl-default-server-ciphers" => {
            l.global.ssl.server_ciphers =
                Some(tryst!(one_arg(l, words, "a cipher suite string")).into())
        }
        "ssl-default-server-ciphersuites" => {
            l.global.ssl.server_ciphersuites =
                Some(tryst!(one_arg(l, words, "a cipher suite string")).into())
        }
        // The option words are checked where they apply, on each bind or
        // server line, with that line's own keywords.
        "server-state-file" | "server-state-base" => {
            let v = tryst!(one_arg(l, words, "a file path"));
            if kw == "server-state-file" {
                l.global.server_state_file = Some(v.into());
            } else {
                l.global.server_state_base = Some(v.into());
            }
        }
        "ssl-dh-param-file" => {
            let Some(path) = words.get(1).filter(|v| !v.is_empty()) else {
                return l.alert(format_args!("'{kw}' expects a file path as an argument."));
            };
            if let Some(extra) = words.get(2) {
                return l.alert(format_args!(
                    "'{kw}' cannot handle unexpected argument '{extra}'."
                ));
            }
            // Checked as 2.6 loads it, then unused: rustls negotiates no
            // finite-field DHE (TLS 1.2 ECDHE and TLS 1.3 groups only).
            let loaded = std::fs::read_to_string(l.resolve_path(path))
                .is_ok_and(|t| t.contains("-----BEGIN DH PARAMETERS-----"));
            if !loaded {
                return l.alert(format_args!(
                    "'{kw}': unable to load DH parameters from file <{path}>."
                ));
            }
            l.notice(format_args!(
                "'{kw}' is accepted but ignored by lbd (no DHE key exchange)."
            ));
        }
        "ssl-default-bind-curves" => {
            let Some(v) = words.get(1).filter(|v| !v.is_empty()) else {
                return l.alert(format_args!(
                    "global statement '{kw}' expects a curves suite as an arguments."
                ));
            };
            if let Some(extra) = words.get(2) {
                return l.alert(format_args!(
                    "'{kw}' cannot handle unexpected argument '{extra}'."
                ));
            }
            l.global.ssl.bind_curves = Some(v.clone());
        }
        "ssl-default-bind-options" => l.global.ssl.bind_options = words[1..].to_vec(),
        "ssl-default-server-options" => l.global.ssl.server_options = words[1..].to_vec(),
        "ssl-server-verify" => match words.get(1).map(String::as_str) {
            Some("none") => l.global.ssl.server_verify_none = true,
            Some("required") => l.global.ssl.server_verify_none = false,
            _ => {
                return l.alert(format_args!(
                    "'{kw}' : expects 'none' or 'required' as argument."
                ))
            }
        },
        "noreuseport" => l.global.noreuseport = true,
        "nosplice" => l.global.nosplice = true,
        "spread-checks" => {
            let n = tryst!(int_arg(l, words));
            if n > 50 {
                return l.alert(format_args!(
                    "'{kw}' needs a positive value in range 0..50."
                ));
            }
            l.global.spread_checks = Some(n as u32);
        }
        "tune.bufsize" => {
            let v = words.get(1).cloned().unwrap_or_default();
            match units::parse_size(&v) {
                Ok(n) if n > 0 && n < (1 << 30) => l.global.tune_bufsize = n as usize,
                _ => return l.alert(format_args!("'{kw}' expects a positive integer argument.")),
            }
        }
        "tune.http.maxhdr" => {
            let n = tryst!(int_arg(l, words));
            if !(1..=32767).contains(&n) {
                return l.alert(format_args!(
                    "'{kw}' expects a numeric value between 1 and 32767"
                ));
            }
            l.global.tune_http_maxhdr = n as usize;
        }
        "tune.h2.header-table-size" => {
            let n = tryst!(int_arg(l, words));
            if !(4096..=65536).contains(&n) {
                return l.alert(format_args!(
                    "'{kw}' expects a numeric value between 4096 and 65536."
                ));
            }
            l.global.tune_h2.header_table_size = n as u32;
        }
        "tune.h2.initial-window-size" | "tune.h2.max-concurrent-streams" => {
            // int_arg clamps negatives to 0, which h2 treats as "none".
            let n = tryst!(int_arg(l, words)).min(i32::MAX as u64) as u32;
            if kw.ends_with("window-size") {
                l.global.tune_h2.initial_window_size = n;
            } else {
                l.global.tune_h2.max_concurrent_streams = n;
            }
        }
        "tune.h2.max-frame-size" => {
            let n = tryst!(int_arg(l, words));
            if !(16384..=16_777_215).contains(&n) {
                return l.alert(format_args!(
                    "'{kw}' expects a numeric value between 16384 and 16777215."
                ));
            }
            l.global.tune_h2.max_frame_size = n as u32;
        }
        // 2.6's cfgparse-quic.c: one argument each, integers strictly
        // positive (atoi), times in ms unless suffixed.
        "tune.quic.frontend.max-streams-bidi"
        | "tune.quic.frontend.conn-tx-buffers.limit"
        | "tune.quic.retry-threshold" => {
            if let Some(extra) = words.get(2) {
                return l.alert(format_args!(
                    "'{kw}' cannot handle unexpected argument '{extra}'."
                ));
            }
            let n = units::atoi(words.get(1).map(String::as_str).unwrap_or(""));
            if n < 1 {
                return l.alert(format_args!("'{kw}' expects a positive integer."));
            }
            if kw == "tune.quic.frontend.max-streams-bidi" {
                l.global.tune_quic.max_streams_bidi = n.min(i64::from(u32::MAX)) as u32;
            } else {
                // quinn sizes its send buffers and decides on Retry itself.
                l.notice(format_args!("'{kw}' is accepted but ignored by lbd."));
            }
        }
        "tune.quic.frontend.max-idle-timeout" | "tune.quic.backend.max-idle-timeout" => {
            if let Some(extra) = words.get(2) {
                return l.alert(format_args!(
                    "'{kw}' cannot handle unexpected argument '{extra}'."
                ));
            }
            let ms = tryst!(time_arg(l, words));
            if kw.contains("frontend") {
                l.global.tune_quic.max_idle_timeout = Some(ms);
            } else {
                // lbd does not speak QUIC to servers.
                l.notice(format_args!("'{kw}' is accepted but ignored by lbd."));
            }
        }
        "setenv" | "presetenv" => {
            let (Some(name), Some(value)) = (words.get(1), words.get(2)) else {
                return l.alert(format_args!("'{kw}' expects a name and a value."));
            };
            if words.len() > 3 {
                return l.alert(format_args!(
                    "'{kw}' cannot handle unexpected argument '{}'.",
                    words[3]
                ));
            }
            if kw == "setenv" || l.env.get_var(name).is_none() {
                l.env.set(name, Some(value.clone()));
            }
        }
        "unsetenv" => {
            if words.len() < 2 {
                return l.alert(format_args!("'{kw}' expects at least one variable name."));
            }
            for n in &words[1..] {
                l.env.set(n, None);
            }
        }
        "resetenv" => l.env.reset(&words[1..]),
        "default-path" => {
            let p = match (words.get(1).map(String::as_str), words.get(2)) {
                (Some("current"), None) => DefaultPath::Current,
                (Some("config"), None) => DefaultPath::Config,
                (Some("parent"), None) => DefaultPath::Parent,
                (Some("origin"), Some(o)) => DefaultPath::Origin(o.clone()),
                _ => {
                    return l.alert(format_args!(
                        "'{kw}' expects either 'current', 'config', 'parent' or 'origin' followed by a path."
                    ))
                }
            };
            l.default_path = p;
        }
        "log" => {
            if negate {
                l.global.logs.clear();
                return Status::default();
            }
            let t = tryst!(parse_log(l, words));
            l.global.logs.push(t);
        }
        "log-tag" => l.global.log_tag = Some(tryst!(one_arg(l, words, "a tag")).into()),
        "log-send-hostname" => {
            l.global.log_send_hostname = Some(words.get(1).cloned().unwrap_or_default())
        }
        "stats" => return stats(l, words),
        _ => {
            if kw.starts_with("tune.") || pending::is_ignored_global(kw) {
                l.notice(format_args!("'{kw}' is accepted but ignored by lbd."));
                return Status::default();
            }
            return match pending::lookup_global(kw) {
                Some(p) => pending::report(l, kw, p),
                None => l.alert(format_args!("unknown keyword '{kw}' in 'global' section")),
            };
        }
    }
    Status::default()
}

fn stats(l: &mut Loader<'_>, words: &[String]) -> Status {
    match words.get(1).map(String::as_str) {
        Some("socket") => {
            let Some(spec) = words.get(2) else {
                return l.alert("'stats socket' requires a path or an address");
            };
            let addr = match bind::parse_addr(spec) {
                Ok(mut a) if a.len() == 1 => a.remove(0),
                Ok(_) => return l.alert("'stats socket' : a port range is not allowed"),
                Err(e) => return l.alert(format_args!("'stats socket' : {e}")),
            };
            let mut s = StatsSocket {
                addr,
                level: CliLevel::Operator,
                mode: None,
                user: None,
                group: None,
                uid: None,
                gid: None,
                expose_fd_listeners: false,
                location: l.loc(),
            };
            let mut k = 3;
            while k < words.len() {
                let v = words.get(k + 1).cloned();
                let opt = words[k].as_str();
                let Some(v) = v else {
                    return l.alert(format_args!(
                        "'stats socket {spec}' : '{opt}' : missing value"
                    ));
                };
                match opt {
                    "level" => {
                        s.level = match v.as_str() {
                            "user" => CliLevel::User,
                            "operator" => CliLevel::Operator,
                            "admin" => CliLevel::Admin,
                            _ => {
                                return l.alert(format_args!(
                                    "'stats socket {spec}' : 'level' only supports 'user', 'operator', and 'admin' (got '{v}')"
                                ))
                            }
                        }
                    }
                    "mode" => match u32::from_str_radix(&v, 8) {
                        Ok(m) => s.mode = Some(m),
                        Err(_) => {
                            return l.alert(format_args!(
                                "'stats socket {spec}' : 'mode' : invalid mode '{v}'"
                            ))
                        }
                    },
                    "user" => s.user = Some(v),
                    "group" => s.group = Some(v),
                    "uid" | "gid" => match v.parse::<u32>() {
                        Ok(n) if opt == "uid" => s.uid = Some(n),
                        Ok(n) => s.gid = Some(n),
                        Err(_) => {
                            return l.alert(format_args!(
                                "'stats socket {spec}' : '{opt}' : invalid value '{v}'"
                            ))
                        }
                    },
                    "expose-fd" if v == "listeners" => s.expose_fd_listeners = true,
                    // Threads/processes do not apply: lbd has one process.
                    "process" | "thread" => {}
                    _ => {
                        return l.alert(format_args!(
                            "'stats socket {spec}' : '{opt}' is not supported yet by lbd."
                        ))
                    }
                }
                k += 2;
            }
            l.global.stats_sockets.push(s);
        }
        Some("timeout") => {
            let v = words.get(2).cloned().unwrap_or_default();
            match units::parse_time(&v) {
                Ok(ms) if ms > 0 => l.global.stats_timeout = ms,
                _ => {
                    return l.alert(
                        "'stats timeout' expects a positive delay in milliseconds",
                    )
                }
            }
        }
        Some("maxconn") => {
            let n = words.get(2).map(|v| units::atoi(v)).unwrap_or(0);
            if n <= 0 {
                return l.alert("'stats maxconn' expects a positive value");
            }
            l.global.stats_maxconn = Some(n.min(i64::from(u32::MAX)) as u32);
        }
        _ => {
            return l.alert(
                "'stats' only supports 'socket', 'maxconn', 'bind-process' and 'timeout' in 'global' section.",
            )
        }
    }
    Status::default()
}
