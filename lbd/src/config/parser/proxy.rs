//! Keywords of `defaults`, `frontend`, `backend` and `listen` sections.
//!
//! Each keyword fills the draft's model fields and reports problems in
//! HAProxy 2.6's words. Keywords that later issues implement are routed to
//! the pending table; nothing is ignored silently.

use super::super::model::{
    Balance, ErrorFile, ForwardFor, HashFunction, HashMethod, HashType, HttpConnMode, HttpReuse,
    IpNet, LoadServerState, LogFormatKind, Mode, RetryOn, UseBackend,
};
use super::super::pending;
use super::super::units::{self, UnitError};
use super::http_request::http_request;
use super::{bind, global, httpchk, server, ErrorSource, Loader, Status, Target};
use std::net::IpAddr;

/// Codes `errorfile` accepts (2.6's `http_err_codes`).
pub(crate) const ERR_CODES: &[u16] = &[
    200, 400, 401, 403, 404, 405, 407, 408, 410, 413, 425, 429, 500, 501, 502, 503, 504,
];

/// Keywords removed before 2.6, with the replacement hint 2.6 prints.
fn removed(kw: &str) -> Option<String> {
    let since21 = |use_: &str| {
        Some(format!(
            "The '{kw}' directive is not supported anymore since HAProxy 2.1. {use_}"
        ))
    };
    match kw {
        "reqadd" => since21("Use 'http-request add-header' instead."),
        "reqdel" | "reqidel" => since21("Use 'http-request del-header' instead."),
        "reqrep" | "reqirep" => since21("Use 'http-request replace-header' instead."),
        "reqdeny" | "reqideny" => since21("Use 'http-request deny' instead."),
        "reqpass" | "reqipass" => since21("Use 'http-request allow' instead."),
        "reqallow" | "reqiallow" => since21("Use 'http-request allow' instead."),
        "reqtarpit" | "reqitarpit" => since21("Use 'http-request tarpit' instead."),
        "rspadd" => since21("Use 'http-response add-header' instead."),
        "rspdel" | "rspidel" => since21("Use 'http-response del-header' instead."),
        "rsprep" | "rspirep" => since21("Use 'http-response replace-header' instead."),
        "rspdeny" | "rspideny" => since21("Use 'http-response deny' instead."),
        "block" => since21("Use 'http-request deny' which uses the exact same syntax."),
        "redispatch" => Some(
            "keyword 'redispatch' directive is not supported anymore since HAProxy 2.1. Use 'option redispatch'."
                .into(),
        ),
        "clitimeout" | "srvtimeout" | "contimeout" => {
            let t = match kw {
                "clitimeout" => "client",
                "srvtimeout" => "server",
                _ => "connect",
            };
            Some(format!(
                "the '{kw}' directive is not supported anymore since HAProxy 2.1. Use 'timeout {t}'."
            ))
        }
        _ => None,
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Cap {
    Fe,
    Be,
}

/// 2.6's `warnifnotcap`: the keyword is skipped with a warning when the
/// section lacks the capability. Returns true when it must be skipped.
fn lacks(l: &mut Loader<'_>, t: Target, kw: &str, cap: Cap, hint: &str) -> bool {
    let d = l.draft(t);
    if d.is_defaults {
        return false;
    }
    let ok = match cap {
        Cap::Fe => d.proxy.cap.frontend,
        Cap::Be => d.proxy.cap.backend,
    };
    if ok {
        return false;
    }
    let (ty, name) = (d.type_str(), d.proxy.name.clone());
    let what = if cap == Cap::Fe {
        "frontend"
    } else {
        "backend"
    };
    l.warn(format_args!(
        "'{kw}' ignored because {ty} '{name}' has no {what} capability.{hint}"
    ));
    true
}

fn int_arg(l: &mut Loader<'_>, words: &[String]) -> Result<u32, Status> {
    match words.get(1) {
        Some(v) => Ok(units::atoi(v).clamp(0, i64::from(u32::MAX)) as u32),
        None => Err(l.alert(format_args!("'{}' expects an integer argument.", words[0]))),
    }
}

pub(crate) fn keyword(l: &mut Loader<'_>, t: Target, words: &[String], negate: bool) -> Status {
    let kw = words[0].as_str();
    // Most lines of a big configuration are servers: straight there.
    if matches!(kw, "server" | "default-server") {
        return server::keyword(l, t, words);
    }
    if kw == "server-template" {
        return server_template(l, t, words);
    }
    if let Some(msg) = removed(kw) {
        return l.alert(msg);
    }
    let section = if l.draft(t).is_defaults {
        "defaults"
    } else {
        l.draft(t).type_str()
    };
    match kw {
        "mode" => {
            let m = match words.get(1).map(String::as_str) {
                Some("http") => Mode::Http,
                Some("tcp") => Mode::Tcp,
                Some("health") => {
                    return l.alert(
                        "'mode health' doesn't exist anymore. Please use 'http-request return status 200' instead.",
                    )
                }
                Some(o) => return l.alert(format_args!("unknown proxy mode '{o}'.")),
                None => return l.alert("'mode' expects one argument."),
            };
            l.draft(t).proxy.mode = m;
        }
        "maxconn" | "backlog" => {
            let hint = if kw == "maxconn" {
                " Maybe you want 'fullconn' instead ?"
            } else {
                ""
            };
            if lacks(l, t, kw, Cap::Fe, hint) {
                return Status::default();
            }
            let v = match int_arg(l, words) {
                Ok(v) => v,
                Err(st) => return st,
            };
            let p = &mut l.draft(t).proxy;
            if kw == "maxconn" {
                p.maxconn = Some(v);
            } else {
                p.backlog = Some(v);
            }
        }
        "retry-on" => {
            if lacks(l, t, kw, Cap::Be, "") {
                return Status::default();
            }
            match RetryOn::parse(&words[1..]) {
                Ok(r) => l.draft(t).proxy.retry_on = r,
                Err(msg) => return l.alert(msg),
            }
        }
        "fullconn" | "retries" => {
            if lacks(l, t, kw, Cap::Be, "") {
                return Status::default();
            }
            let v = match int_arg(l, words) {
                Ok(v) => v,
                Err(st) => return st,
            };
            let p = &mut l.draft(t).proxy;
            if kw == "fullconn" {
                p.fullconn = Some(v);
            } else {
                p.retries = v;
            }
        }
        "timeout" => return timeout(l, t, words),
        "option" => return option(l, t, words, negate),
        "http-reuse" => {
            if lacks(l, t, kw, Cap::Be, "") {
                return Status::default();
            }
            let r = match words.get(1).map(String::as_str) {
                Some("never") => HttpReuse::Never,
                Some("safe") => HttpReuse::Safe,
                Some("aggressive") => HttpReuse::Aggressive,
                Some("always") => HttpReuse::Always,
                _ => {
                    return l.alert(
                        "'http-reuse' only supports 'never', 'safe', 'aggressive', 'always'",
                    )
                }
            };
            l.draft(t).proxy.options.http_reuse = r;
        }
        "balance" => {
            if lacks(l, t, kw, Cap::Be, "") {
                return Status::default();
            }
            match parse_balance(&words[1..]) {
                Ok(b) => {
                    let d = l.draft(t);
                    d.proxy.balance = b;
                    d.balance_set = true;
                }
                Err(m) => return l.alert(m),
            }
        }
        "load-server-state-from-file" => {
            if lacks(l, t, kw, Cap::Be, "") {
                return Status::default();
            }
            let v = words.get(1).map(String::as_str).unwrap_or("");
            l.draft(t).proxy.load_server_state = match v {
                "global" => LoadServerState::Global,
                "local" => LoadServerState::Local,
                "none" => LoadServerState::None,
                _ => {
                    return l.alert(format_args!(
                        "'{kw}' expects 'global', 'local' or 'none'. Got '{v}'"
                    ))
                }
            };
        }
        "server-state-file-name" => {
            if lacks(l, t, kw, Cap::Be, "") {
                return Status::default();
            }
            let v = words.get(1).map(String::as_str).unwrap_or("");
            l.draft(t).proxy.server_state_file_name =
                (!v.is_empty() && v != "use-backend-name").then(|| v.to_string());
        }
        "hash-type" => {
            if lacks(l, t, kw, Cap::Be, "") {
                return Status::default();
            }
            match parse_hash_type(&words[1..]) {
                Ok(h) => l.draft(t).proxy.hash_type = h,
                Err(m) => return l.alert(m),
            }
        }
        "bind" => {
            if section == "defaults" {
                return l.alert(format_args!("'{kw}' not allowed in 'defaults' section."));
            }
            if lacks(l, t, kw, Cap::Fe, "") {
                return Status::default();
            }
            match bind::parse(l, words) {
                Ok(b) => l.draft(t).proxy.binds.push(b),
                Err(st) => return st,
            }
        }
        "server" | "default-server" => return server::keyword(l, t, words),
        "http-check" => {
            if lacks(l, t, kw, Cap::Be, "") {
                return Status::default();
            }
            return httpchk::keyword(l, t, words);
        }
        "default_backend" => {
            if lacks(l, t, kw, Cap::Fe, "") {
                // 2.6 still records it and checks it later.
            }
            let Some(name) = words.get(1) else {
                return l.alert(format_args!("'{kw}' expects a backend name."));
            };
            let loc = l.loc();
            let d = l.draft(t);
            d.proxy.default_backend = Some(name.clone());
            d.default_backend_loc = Some(loc);
        }
        "use_backend" => {
            if section == "defaults" {
                return l.alert(format_args!("'{kw}' not allowed in 'defaults' section."));
            }
            if lacks(l, t, kw, Cap::Fe, "") {
                return Status::default();
            }
            let Some(name) = words.get(1) else {
                return l.alert(format_args!("'{kw}' expects a backend name."));
            };
            let cond = match super::rules::take_cond(words, 2, kw) {
                Ok(c) => c,
                Err(m) => {
                    return l.alert(format_args!(
                        "error detected while parsing switching rule : {m}."
                    ))
                }
            };
            if let Some(c) = &cond {
                if let Err(m) = super::rules::check_cond(l, t, c) {
                    return l.alert(format_args!(
                        "error detected while parsing switching rule : {m}."
                    ));
                }
            }
            let dynamic = name.contains('%');
            if dynamic {
                if let Err(m) = crate::http::rules::check_fmt(name) {
                    return l.alert(format_args!(
                        "use_backend: failed to parse log-format : {m}."
                    ));
                }
            }
            let loc = l.loc();
            l.draft(t).proxy.use_backends.push(UseBackend {
                backend: name.clone(),
                dynamic,
                cond,
                location: loc,
            });
        }
        "errorfile" => match read_errorfile(l, words) {
            Ok((code, ef)) => l.draft(t).errors.push(ErrorSource::File(code, ef)),
            Err(st) => return st,
        },
        "http-error" => return super::rules::http_error(l, t, words),
        "errorloc" | "errorloc302" | "errorloc303" => {
            let (Some(code), Some(url)) = (words.get(1), words.get(2)) else {
                return l.alert(format_args!(
                    "{kw} : expects <status_code> and <url> as arguments.\n"
                ));
            };
            let code = match code.parse::<u16>() {
                Ok(c) if ERR_CODES.contains(&c) => c,
                _ => return l.alert(format_args!("{kw} : status code '{code}' not handled.")),
            };
            let ef = ErrorFile {
                path: url.clone(),
                contents: errorloc_response(kw == "errorloc303", url),
            };
            l.draft(t).errors.push(ErrorSource::File(code, ef));
        }
        "errorfiles" => {
            let Some(name) = words.get(1) else {
                return l.alert(format_args!("'{kw}' expects <name> as argument."));
            };
            let mut codes = Vec::new();
            for c in &words[2..] {
                match c.parse::<u16>() {
                    Ok(code) if ERR_CODES.contains(&code) => codes.push(code),
                    _ => return l.alert(format_args!("'{kw}' : status code '{c}' not handled.")),
                }
            }
            let location = l.loc();
            l.draft(t).errors.push(ErrorSource::Section {
                name: name.clone(),
                codes,
                location,
            });
        }
        "http-request" => return http_request(l, t, words),
        "http-response" | "http-after-response" => return super::rules::http_response(l, t, words),
        "tcp-request" => return super::rules::tcp_request(l, t, words),
        "tcp-response" => return super::rules::tcp_response(l, t, words),
        "redirect" => {
            if lacks(l, t, kw, Cap::Fe, "") {
                return Status::default();
            }
            return super::rules::redirect_keyword(l, t, words);
        }
        "use-server" => {
            if lacks(l, t, kw, Cap::Be, "") {
                return Status::default();
            }
            return super::rules::use_server(l, t, words);
        }
        "force-persist" | "ignore-persist" => {
            if lacks(l, t, kw, Cap::Be, "") {
                return Status::default();
            }
            return super::rules::persist(l, t, words);
        }
        "stick-table" | "stick" => return super::stick::keyword(l, t, words),
        "cookie" => return cookie(l, t, words),
        "dynamic-cookie-key" => {
            if lacks(l, t, kw, Cap::Be, "") {
                return Status::default();
            }
            let Some(key) = words.get(1).filter(|k| !k.is_empty()) else {
                return l.alert("'dynamic-cookie-key' expects <secret_key> as argument.");
            };
            l.draft(t).proxy.dynamic_cookie_key = Some(key.clone());
        }
        "appsession" => return l.alert("'appsession' is not supported anymore since HAProxy 1.6."),
        "acl" => return super::acl::keyword(l, t, words),
        "stats" => return super::stats::keyword(l, t, words),
        "monitor-uri" => {
            if lacks(l, t, kw, Cap::Fe, "") {
                return Status::default();
            }
            let Some(uri) = words.get(1) else {
                return l.alert(format_args!("'{kw}' expects an URI."));
            };
            l.draft(t).proxy.monitor_uri = Some(uri.clone());
        }
        "log" => {
            if negate {
                let p = &mut l.draft(t).proxy;
                p.logs.clear();
                p.log_global = false;
                return Status::default();
            }
            if words.get(1).map(String::as_str) == Some("global") {
                l.draft(t).proxy.log_global = true;
                return Status::default();
            }
            match global::parse_log(l, words) {
                Ok(target) => l.draft(t).proxy.logs.push(target),
                Err(st) => return st,
            }
        }
        "log-format" => {
            let Some(f) = words.get(1) else {
                return l.alert(format_args!("{kw} expects an argument."));
            };
            if words.len() > 2 {
                return l.alert(format_args!(
                    "{kw} expects only one argument, don't forget to escape spaces!"
                ));
            }
            if !l.draft(t).is_defaults && !l.draft(t).proxy.cap.frontend {
                let name = l.draft(t).proxy.name.clone();
                l.warn(format_args!(
                    "backend '{name}' : 'log-format' directive is ignored in backends."
                ));
                return Status::default();
            }
            l.draft(t).proxy.log_format = Some(f.clone());
        }
        "log-format-sd" => {
            let Some(f) = words.get(1) else {
                return l.alert(format_args!("{kw} expects an argument."));
            };
            if words.len() > 2 {
                return l.alert(format_args!(
                    "{kw} expects only one argument, don't forget to escape spaces!"
                ));
            }
            if lacks(l, t, kw, Cap::Fe, "") {
                return Status::default();
            }
            l.draft(t).proxy.log_format_sd = Some(f.clone());
        }
        "unique-id-format" => {
            let Some(f) = words.get(1) else {
                return l.alert(format_args!("{kw} expects an argument."));
            };
            if words.len() > 2 {
                return l.alert(format_args!(
                    "{kw} expects only one argument, don't forget to escape spaces!"
                ));
            }
            // 2.6 parses it as an HTTP format whatever the mode.
            if let Err(e) = crate::log::format::LogFormat::parse(f, true) {
                return l.alert(format_args!("failed to parse unique-id : {e}."));
            }
            l.draft(t).proxy.unique_id_format = Some(f.clone());
        }
        "unique-id-header" => {
            let Some(h) = words.get(1) else {
                return l.alert(format_args!("{kw} expects an argument."));
            };
            l.draft(t).proxy.unique_id_header = Some(h.clone());
        }
        "log-tag" => {
            let Some(tag) = words.get(1) else {
                return l.alert(format_args!("'{kw}' expects a tag for use in syslog."));
            };
            l.draft(t).proxy.log_tag = Some(tag.clone());
        }
        "capture" => return capture(l, t, words),
        "description" => {
            if words.len() < 2 {
                return l.alert(format_args!("'{kw}' expects a string argument."));
            }
            l.draft(t).proxy.description = Some(words[1..].join(" "));
        }
        "disabled" => l.draft(t).proxy.disabled = true,
        "enabled" => l.draft(t).proxy.disabled = false,
        "id" => {
            if section == "defaults" {
                return l.alert(format_args!("'{kw}' not allowed in 'defaults' section."));
            }
            let Some(v) = words.get(1) else {
                return l.alert_nc(format_args!("'{kw}' expects an integer argument."));
            };
            let id = units::atoi(v);
            if id <= 0 {
                return l.alert_nc("custom id has to be > 0.");
            }
            l.draft(t).proxy.id = Some(id.min(i64::from(u32::MAX)) as u32);
        }
        _ => {
            return match pending::lookup(kw) {
                Some(p) => pending::report(l, kw, p),
                None => l.alert(format_args!(
                    "unknown keyword '{kw}' in '{section}' section"
                )),
            }
        }
    }
    Status::default()
}

const TIMEOUT_NAMES: &str = "'client', 'server', 'connect', 'check', 'queue', 'http-keep-alive', 'http-request', 'tunnel', 'tarpit', 'client-fin' and 'server-fin'";

/// Picks one of the eleven timeout fields.
type TimeoutSlot = fn(&mut super::super::model::Timeouts) -> &mut Option<u64>;

fn timeout(l: &mut Loader<'_>, t: Target, words: &[String]) -> Status {
    let name = words.get(1).map(String::as_str).unwrap_or("");
    let (cap, slot): (Option<Cap>, TimeoutSlot) = match name {
        "client" => (Some(Cap::Fe), |t| &mut t.client),
        "client-fin" => (Some(Cap::Fe), |t| &mut t.client_fin),
        "http-request" => (Some(Cap::Fe), |t| &mut t.http_request),
        "http-keep-alive" => (None, |t| &mut t.http_keep_alive),
        "tarpit" => (None, |t| &mut t.tarpit),
        "server" => (Some(Cap::Be), |t| &mut t.server),
        "server-fin" => (Some(Cap::Be), |t| &mut t.server_fin),
        "connect" => (Some(Cap::Be), |t| &mut t.connect),
        "check" => (Some(Cap::Be), |t| &mut t.check),
        "queue" => (Some(Cap::Be), |t| &mut t.queue),
        "tunnel" => (Some(Cap::Be), |t| &mut t.tunnel),
        _ => {
            return l.alert(format_args!(
                "'timeout' supports {TIMEOUT_NAMES} (got '{name}')"
            ))
        }
    };
    let Some(v) = words.get(2) else {
        return l.alert(format_args!(
            "'timeout {name}' expects an integer value (in milliseconds)"
        ));
    };
    let ms = match units::parse_time(v) {
        Ok(ms) => ms,
        Err(UnitError::BadChar(c)) => {
            return l.alert(format_args!("unexpected character '{c}' in 'timeout {name}'"))
        }
        Err(UnitError::Overflow) => {
            return l.alert(format_args!(
                "timer overflow in argument '{v}' to 'timeout {name}' (maximum value is 2147483647 ms or ~24.8 days)"
            ))
        }
        Err(UnitError::Empty) => {
            return l.alert(format_args!(
                "'timeout {name}' expects an integer value (in milliseconds)"
            ))
        }
    };
    if let Some(extra) = words.get(3) {
        return l.alert(format_args!(
            "'timeout {name}' : unexpected extra argument '{extra}' after value '{v}'."
        ));
    }
    if let Some(c) = cap {
        let d = l.draft(t);
        let ok = d.is_defaults
            || match c {
                Cap::Fe => d.proxy.cap.frontend,
                Cap::Be => d.proxy.cap.backend,
            };
        if !ok {
            let (ty, pname) = (d.type_str(), d.proxy.name.clone());
            let what = if c == Cap::Fe { "frontend" } else { "backend" };
            l.warn(format_args!(
                "'timeout {name}' will be ignored because {ty} '{pname}' has no {what} capability"
            ));
            return Status::default();
        }
    }
    // 0 means "unset" in HAProxy, and so does it here.
    *slot(&mut l.draft(t).proxy.timeouts) = if ms == 0 { None } else { Some(ms) };
    Status::default()
}

fn option(l: &mut Loader<'_>, t: Target, words: &[String], negate: bool) -> Status {
    let Some(name) = words.get(1).map(String::as_str) else {
        return l.alert_nc("'option' expects an option name.");
    };
    let on = !negate;
    let args = &words[2..];
    let simple: Option<fn(&mut super::super::model::ProxyOptions, bool)> = match name {
        "abortonclose" => Some(|o, v| o.abortonclose = v),
        "persist" => Some(|o, v| o.persist = v),
        "prefer-last-server" => Some(|o, v| o.prefer_last_server = v),
        "allbackups" => Some(|o, v| o.allbackups = v),
        "http-buffer-request" => Some(|o, v| o.http_buffer_request = v),
        "http-ignore-probes" => Some(|o, v| o.http_ignore_probes = v),
        "dontlognull" => Some(|o, v| o.dontlognull = v),
        "accept-invalid-http-request" => Some(|o, v| o.accept_invalid_http_request = v),
        "accept-invalid-http-response" => Some(|o, v| o.accept_invalid_http_response = v),
        "tcpka" => Some(|o, v| o.tcpka = v),
        "clitcpka" => Some(|o, v| o.clitcpka = v),
        "srvtcpka" => Some(|o, v| o.srvtcpka = v),
        "nolinger" => Some(|o, v| o.nolinger = v),
        "socket-stats" => Some(|o, v| o.socket_stats = v),
        "logasap" => Some(|o, v| o.logasap = v),
        "log-separate-errors" => Some(|o, v| o.log_separate_errors = v),
        "dontlog-normal" => Some(|o, v| o.dontlog_normal = v),
        // Accepted for compatibility; they change nothing in lbd.
        "splice-auto"
        | "splice-request"
        | "splice-response"
        | "http-use-htx"
        | "independent-streams" => Some(|_, _| {}),
        _ => None,
    };
    if let Some(set) = simple {
        if let Some(extra) = args.first() {
            return l.alert(format_args!(
                "'option {name}' cannot handle unexpected argument '{extra}'."
            ));
        }
        set(&mut l.draft(t).proxy.options, on);
        return Status::default();
    }
    match name {
        "http-keep-alive" | "http-server-close" | "httpclose" => {
            let mode = match name {
                "http-keep-alive" => HttpConnMode::KeepAlive,
                "http-server-close" => HttpConnMode::ServerClose,
                _ => HttpConnMode::Close,
            };
            let o = &mut l.draft(t).proxy.options;
            if on {
                o.http_conn_mode = mode;
            } else if o.http_conn_mode == mode {
                o.http_conn_mode = HttpConnMode::KeepAlive;
            }
        }
        "httpchk" => {
            if lacks(l, t, name, Cap::Be, "") {
                return Status::default();
            }
            return httpchk::option(l, t, args, negate);
        }
        "forceclose" => {
            return l.alert_nc(
                "option 'forceclose' is not supported any more since HAProxy 2.0, please just remove it, or use 'option httpclose' if absolutely needed.",
            )
        }
        "http-tunnel" => {
            return l.alert_nc(
                "option 'http-tunnel' is not supported any more since HAProxy 2.1, please just remove it, it shouldn't be needed.",
            )
        }
        "redispatch" => {
            let v = if on {
                match args.first() {
                    Some(a) => Some(units::atoi(a).clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32),
                    None => Some(-1),
                }
            } else {
                None
            };
            l.draft(t).proxy.options.redispatch = v;
        }
        "forwardfor" => {
            if negate {
                return l.alert_nc(format_args!(
                    "negation/default is not supported for option '{name}'."
                ));
            }
            let mut ff = ForwardFor {
                except: None,
                header: "x-forwarded-for".into(),
                if_none: false,
            };
            let mut k = 0;
            while k < args.len() {
                match args[k].as_str() {
                    "except" => {
                        let Some(net) = args.get(k + 1).and_then(|s| parse_net(s)) else {
                            return l.alert(format_args!(
                                "'option {name} except' expects <address>[/mask] as argument."
                            ));
                        };
                        ff.except = Some(net);
                        k += 2;
                    }
                    "header" => {
                        let Some(h) = args.get(k + 1) else {
                            return l.alert(format_args!(
                                "'option {name} header' expects <header_name> as argument."
                            ));
                        };
                        ff.header = h.to_ascii_lowercase();
                        k += 2;
                    }
                    "if-none" => {
                        ff.if_none = true;
                        k += 1;
                    }
                    _ => {
                        return l.alert(format_args!(
                            "'option {name}' only supports optional values: 'except', 'header' and 'if-none'."
                        ))
                    }
                }
            }
            l.draft(t).proxy.options.forwardfor = Some(ff);
        }
        "httplog" | "tcplog" | "httpslog" => {
            let kind = match (name, args.first().map(String::as_str)) {
                ("httplog", None) => LogFormatKind::Httplog,
                ("httplog", Some("clf")) => LogFormatKind::HttplogClf,
                ("httplog", Some(_)) => {
                    return l.alert(format_args!(
                        "keyword '{name}' only supports option 'clf'."
                    ))
                }
                ("tcplog", _) => LogFormatKind::Tcplog,
                _ => LogFormatKind::Httpslog,
            };
            let d = l.draft(t);
            if !d.is_defaults && !d.proxy.cap.frontend {
                let pname = d.proxy.name.clone();
                l.warn(format_args!(
                    "backend '{pname}' : 'option {name}' directive is ignored in backends."
                ));
                return Status::default();
            }
            d.proxy.options.log_format = if on { kind } else { LogFormatKind::Default };
            // The last of 'log-format' and 'option *log' wins, as in 2.6.
            d.proxy.log_format = None;
        }
        _ => {
            if let Some(p) = pending::lookup_option(name) {
                return pending::report(l, &format!("option {name}"), p);
            }
            return l.alert(format_args!("unknown option '{name}'."));
        }
    }
    Status::default()
}

/// `a.b.c.d[/mask]`, `a.b.c.d/w.x.y.z` or an IPv6 prefix.
pub(crate) fn parse_net(s: &str) -> Option<IpNet> {
    let (a, m) = match s.split_once('/') {
        Some((a, m)) => (a, Some(m)),
        None => (s, None),
    };
    let addr: IpAddr = a.parse().ok()?;
    let max = if addr.is_ipv4() { 32 } else { 128 };
    let prefix = match m {
        None => max,
        Some(m) => match m.parse::<u8>() {
            Ok(p) if p <= max => p,
            Ok(_) => return None,
            Err(_) => {
                let mask: std::net::Ipv4Addr = m.parse().ok()?;
                let bits = u32::from(mask);
                if bits.leading_ones() + bits.trailing_zeros() != 32 {
                    return None;
                }
                bits.leading_ones() as u8
            }
        },
    };
    Some(IpNet { addr, prefix })
}

const BALANCE_ERR: &str = "balance only supports 'roundrobin', 'static-rr', 'leastconn', 'source', 'uri', 'url_param', 'hdr(name)' and 'rdp-cookie(name)' options.";

/// Parses the words after `balance`, as 2.6's `backend_parse_balance`.
pub(crate) fn parse_balance(args: &[String]) -> Result<Balance, String> {
    let Some(algo) = args.first() else {
        return Err(BALANCE_ERR.into());
    };
    let rest = &args[1..];
    let b = match algo.as_str() {
        "roundrobin" => Balance::RoundRobin,
        "static-rr" => Balance::StaticRr,
        "leastconn" => Balance::LeastConn,
        "first" => Balance::First,
        "source" => Balance::Source,
        "uri" => {
            let (mut whole, mut len, mut depth, mut path_only) = (false, None, None, false);
            let mut k = 0;
            while k < rest.len() {
                match rest[k].as_str() {
                    "whole" => whole = true,
                    "path-only" => path_only = true,
                    "len" | "depth" => {
                        let what = rest[k].clone();
                        let v = rest.get(k + 1).map(|v| units::atoi(v)).unwrap_or(0);
                        if v <= 0 {
                            return Err(format!(
                                "'balance uri {what}' expects a positive integer (got '{}').",
                                rest.get(k + 1).map(String::as_str).unwrap_or("")
                            ));
                        }
                        if what == "len" {
                            len = Some(v as u32);
                        } else {
                            depth = Some(v as u32);
                        }
                        k += 1;
                    }
                    o => {
                        return Err(format!(
                            "'balance uri' only accepts parameters 'whole', 'len', 'depth', and 'path-only' (got '{o}')."
                        ))
                    }
                }
                k += 1;
            }
            Balance::Uri {
                whole,
                len,
                depth,
                path_only,
            }
        }
        "url_param" => {
            let Some(name) = rest.first() else {
                return Err("'balance url_param' requires an URL parameter name.".into());
            };
            let mut check_post = false;
            let mut k = 1;
            while k < rest.len() {
                match rest[k].as_str() {
                    "check_post" => check_post = true,
                    o => {
                        return Err(format!(
                            "'balance url_param' only accepts check_post modifier (got '{o}')."
                        ))
                    }
                }
                k += 1;
            }
            Balance::UrlParam {
                name: name.clone(),
                check_post,
            }
        }
        a if a.starts_with("hdr(") => {
            let Some(name) = a.strip_prefix("hdr(").and_then(|s| s.strip_suffix(')')) else {
                return Err("'balance hdr(name)' requires an http header field name.".into());
            };
            if name.is_empty() {
                return Err("'balance hdr(name)' requires an http header field name.".into());
            }
            let mut use_domain_only = false;
            for o in rest {
                if o == "use_domain_only" {
                    use_domain_only = true;
                } else {
                    return Err(format!(
                        "'balance hdr(name)' only accepts 'use_domain_only' modifier (got '{o}')."
                    ));
                }
            }
            Balance::Hdr {
                name: name.to_string(),
                use_domain_only,
            }
        }
        a if a == "random" || a.starts_with("random(") => {
            let draws = match a.strip_prefix("random(") {
                None => 2,
                Some(r) => {
                    let v = r.strip_suffix(')').map(units::atoi).unwrap_or(0);
                    if v < 1 {
                        return Err(
                            "'balance random(<draws>)' expects a positive integer number of draws."
                                .into(),
                        );
                    }
                    v.min(i64::from(u32::MAX)) as u32
                }
            };
            Balance::Random { draws }
        }
        "hash" => {
            if rest.is_empty() {
                return Err("'balance hash' requires a sample expression.".into());
            }
            let expr = rest.join(" ");
            crate::sample::parse(&expr)?;
            Balance::Hash { expr }
        }
        a if a.starts_with("rdp-cookie") => {
            return Err("'balance rdp-cookie' is not supported yet by lbd.".into())
        }
        _ => return Err(BALANCE_ERR.into()),
    };
    Ok(b)
}

fn parse_hash_type(args: &[String]) -> Result<HashType, String> {
    let method = match args.first().map(String::as_str) {
        Some("map-based") => HashMethod::MapBased,
        Some("consistent") => HashMethod::Consistent,
        Some("avalanche") => {
            return Err(
                "experimental feature 'hash-type avalanche' is not supported anymore, please use 'hash-type map-based sdbm avalanche' instead."
                    .into(),
            )
        }
        _ => return Err("'hash-type' only supports 'consistent' and 'map-based'.".into()),
    };
    let mut h = HashType {
        method,
        function: HashFunction::Sdbm,
        avalanche: false,
    };
    if let Some(f) = args.get(1) {
        h.function =
            match f.as_str() {
                "sdbm" => HashFunction::Sdbm,
                "djb2" => HashFunction::Djb2,
                "wt6" => HashFunction::Wt6,
                "crc32" => HashFunction::Crc32,
                _ => return Err(
                    "'hash-type' only supports 'sdbm', 'djb2', 'crc32', or 'wt6' hash functions."
                        .into(),
                ),
            };
        match args.get(2).map(String::as_str) {
            None => {}
            Some("avalanche") => h.avalanche = true,
            Some(_) => {
                return Err(
                    "'hash-type' only supports 'avalanche' as a modifier for hash functions."
                        .into(),
                )
            }
        }
    } else if method == HashMethod::Consistent {
        // 2.6: consistent without a function means sdbm with avalanche.
        h.avalanche = true;
    }
    Ok(h)
}

/// `errorfile <code> <file>`: reads the file now, as HAProxy does.
pub(crate) fn read_errorfile(
    l: &mut Loader<'_>,
    words: &[String],
) -> Result<(u16, ErrorFile), Status> {
    let (Some(code), Some(file)) = (words.get(1), words.get(2)) else {
        return Err(l.alert(format_args!(
            "{} : <code> and <file> are expected.",
            words[0]
        )));
    };
    let code = match code.parse::<u16>() {
        Ok(c) if ERR_CODES.contains(&c) => c,
        _ => {
            return Err(l.alert(format_args!(
                "{} : status code '{code}' not handled.",
                words[0]
            )))
        }
    };
    let path = l.resolve_path(file);
    match std::fs::read(&path) {
        Ok(contents) => Ok((
            code,
            ErrorFile {
                path: file.clone(),
                contents,
            },
        )),
        Err(_) => Err(l.alert(format_args!("{} : error opening file '{file}'.", words[0]))),
    }
}

/// The redirect `errorloc`/`errorloc302` (302) and `errorloc303` (303)
/// answer in place of an error, as 2.6 sends it.
fn errorloc_response(see_other: bool, url: &str) -> Vec<u8> {
    let status = if see_other {
        "303 See Other"
    } else {
        "302 Found"
    };
    format!(
        "HTTP/1.1 {status}\r\ncache-control: no-cache\r\ncontent-length: 0\r\nlocation: {url}\r\n\r\n"
    )
    .into_bytes()
}

/// `capture request header <name> len <n>` and its response twin.
fn capture(l: &mut Loader<'_>, t: Target, words: &[String]) -> Status {
    use super::super::model::{CaptureDir, CaptureSpec};
    let what = words.get(1).map(String::as_str).unwrap_or("");
    let dir = match (what, words.get(2).map(String::as_str)) {
        ("request", Some("header")) => CaptureDir::Request,
        ("response", Some("header")) => CaptureDir::Response,
        ("cookie", _) => return capture_cookie(l, t, words),
        _ => {
            return l.alert("'capture' expects 'cookie' or 'request header' or 'response header'.")
        }
    };
    if lacks(l, t, "capture", Cap::Fe, "") {
        return Status::default();
    }
    if l.draft(t).is_defaults {
        return l.alert(format_args!(
            "'capture {what}' not allowed in 'defaults' section."
        ));
    }
    if let Some(extra) = words.get(6) {
        return l.alert(format_args!(
            "'capture' cannot handle unexpected argument '{extra}'."
        ));
    }
    let (Some(name), Some("len"), Some(len)) = (
        words.get(3).filter(|n| !n.is_empty()),
        words.get(4).map(String::as_str),
        words.get(5),
    ) else {
        return l.alert(format_args!(
            "'capture {what}' expects 'header' <header_name> 'len' <len>."
        ));
    };
    let len = units::atoi(len).clamp(0, 65535) as usize;
    l.draft(t).proxy.captures.push(CaptureSpec {
        dir,
        name: name.clone(),
        len,
    });
    Status::default()
}

/// 2.6's default `tune.http.cookielen`.
const COOKIE_CAPTURE_MAX: usize = 64;

/// `capture cookie <prefix> len <n>`.
fn capture_cookie(l: &mut Loader<'_>, t: Target, words: &[String]) -> Status {
    use super::super::model::CookieCapture;
    if lacks(l, t, "capture", Cap::Fe, "") {
        return Status::default();
    }
    if l.draft(t).is_defaults {
        return l.alert("'capture cookie' not allowed in 'defaults' section.");
    }
    if let Some(extra) = words.get(5) {
        return l.alert(format_args!(
            "'capture' cannot handle unexpected argument '{extra}'."
        ));
    }
    let (Some(prefix), Some(len)) = (words.get(2), words.get(4).filter(|n| !n.is_empty())) else {
        return l.alert("'capture' expects 'cookie' <cookie_name> 'len' <len>.");
    };
    let mut len = units::atoi(len).clamp(0, 65535) as usize;
    // 2.6 caps captures at `tune.http.cookielen` (64) less the NUL.
    if len >= COOKIE_CAPTURE_MAX {
        len = COOKIE_CAPTURE_MAX - 1;
        let d = l.draft(t);
        let msg = format!(
            "config : truncating capture length to {len} bytes for {} '{}'.",
            d.type_str(),
            d.proxy.name
        );
        l.diags.push(super::super::diag::Diagnostic::warning(msg));
    }
    l.draft(t).proxy.capture_cookie = Some(CookieCapture {
        prefix: prefix.clone(),
        len,
    });
    Status::default()
}

/// `cookie <name> [rewrite|insert|prefix] [indirect] [nocache] [postonly]
/// [preserve] [httponly] [secure] [domain <d>]* [maxidle <t>] [maxlife <t>]
/// [dynamic] [attr <v>]*`, with 2.6's checks and messages.
fn cookie(l: &mut Loader<'_>, t: Target, words: &[String]) -> Status {
    use super::super::model::{CookieConf, CookieMode};
    if lacks(l, t, "cookie", Cap::Be, "") {
        return Status::default();
    }
    let Some(name) = words.get(1).filter(|n| !n.is_empty()) else {
        return l.alert("'cookie' expects <cookie_name> as argument.");
    };
    // 2.6 keeps the attributes of an earlier `cookie` line in the section.
    let attrs = l
        .draft(t)
        .proxy
        .cookie
        .as_ref()
        .map(|c| c.attrs.clone())
        .unwrap_or_default();
    let mut c = CookieConf {
        name: name.clone(),
        attrs,
        ..CookieConf::default()
    };
    let (mut rw, mut ins, mut pfx) = (false, false, false);
    let mut i = 2;
    while let Some(opt) = words.get(i) {
        let arg = words.get(i + 1).filter(|a| !a.is_empty());
        match opt.as_str() {
            "rewrite" => rw = true,
            "insert" => ins = true,
            "prefix" => pfx = true,
            "indirect" => c.indirect = true,
            "nocache" => c.nocache = true,
            "postonly" => c.postonly = true,
            "preserve" => c.preserve = true,
            "httponly" => c.httponly = true,
            "secure" => c.secure = true,
            "dynamic" => c.dynamic = true,
            "domain" => {
                let Some(d) = arg else {
                    return l.alert_nc("'domain' expects <domain> as argument.");
                };
                if !d.contains('.') {
                    let msg = format!(
                        "config : parsing [{}:{}]: domain '{d}' contains no embedded dot, this configuration may not work properly (see RFC6265#5.2.3).",
                        l.file, l.line
                    );
                    l.diags.push(super::super::diag::Diagnostic::warning(msg));
                }
                if let Some(bad) = d
                    .chars()
                    .find(|ch| !(ch.is_ascii_alphanumeric() || matches!(ch, '_' | '.' | '-')))
                {
                    return l.alert_nc(format_args!(
                        "character '{bad}' is not permitted in domain name '{d}'."
                    ));
                }
                c.domains.push(d.clone());
                i += 1;
            }
            "maxidle" | "maxlife" => {
                let what = if opt == "maxidle" {
                    "<idletime>"
                } else {
                    "<lifetime>"
                };
                let Some(v) = arg else {
                    return l.alert_nc(format_args!("'{opt}' expects {what} in seconds as argument."));
                };
                let secs = match seconds(v) {
                    Ok(s) => s,
                    Err(TimeErr::Over) => {
                        return l.alert_nc(format_args!("timer overflow in argument <{v}> to <{opt}>, maximum value is 2147483647 s (~68 years)."))
                    }
                    Err(TimeErr::Under) => {
                        return l.alert_nc(format_args!("timer underflow in argument <{v}> to <{opt}>, minimum non-null value is 1 s."))
                    }
                    Err(TimeErr::Char(ch)) => {
                        return l.alert_nc(format_args!(
                            "unexpected character '{ch}' in argument to <{opt}>."
                        ))
                    }
                };
                if opt == "maxidle" {
                    c.maxidle = secs;
                } else {
                    c.maxlife = secs;
                }
                i += 1;
            }
            "attr" => {
                let Some(v) = arg else {
                    return l.alert_nc("'attr' expects <value> as argument.");
                };
                if let Some(b) = v.bytes().find(|b| b.is_ascii_control() || *b == b';') {
                    return l.alert_nc(format_args!(
                        "character '%x{b:02X}' is not permitted in attribute value."
                    ));
                }
                c.attrs.push(v.clone());
                i += 1;
            }
            _ => return l.alert("'cookie' supports 'rewrite', 'insert', 'prefix', 'indirect', 'nocache', 'postonly', 'domain', 'maxidle', 'dynamic', 'maxlife' and 'attr' options."),
        }
        i += 1;
    }
    let mut st = Status::default();
    if rw && c.indirect {
        st = l.alert("cookie 'rewrite' and 'indirect' modes are incompatible.");
    }
    if [rw, ins, pfx].iter().filter(|b| **b).count() > 1 {
        st = l.alert("cookie 'rewrite', 'insert' and 'prefix' modes are incompatible.");
    }
    if c.preserve && !ins && !c.indirect {
        st = l.alert("cookie 'preserve' requires at least 'insert' or 'indirect'.");
    }
    c.mode = if rw {
        CookieMode::Rewrite
    } else if ins {
        CookieMode::Insert
    } else if pfx {
        CookieMode::Prefix
    } else {
        CookieMode::Passive
    };
    l.draft(t).proxy.cookie = Some(c);
    st
}

enum TimeErr {
    Over,
    Under,
    Char(char),
}

/// 2.6's `parse_time_err(.., TIME_UNIT_S)`: a bare number is seconds.
fn seconds(v: &str) -> Result<u32, TimeErr> {
    let end = v.find(|c: char| !c.is_ascii_digit()).unwrap_or(v.len());
    let Ok(n) = v[..end].parse::<u64>() else {
        return Err(match v.chars().next() {
            Some(c) if !c.is_ascii_digit() => TimeErr::Char(c),
            _ => TimeErr::Over,
        });
    };
    let ms = match &v[end..] {
        "" | "s" => n.checked_mul(1000),
        "us" => Some(n / 1000),
        "ms" => Some(n),
        "m" => n.checked_mul(60_000),
        "h" => n.checked_mul(3_600_000),
        "d" => n.checked_mul(86_400_000),
        rest => return Err(TimeErr::Char(rest.chars().next().unwrap_or(' '))),
    };
    let secs = ms.ok_or(TimeErr::Over)? / 1000;
    if secs > i32::MAX as u64 {
        return Err(TimeErr::Over);
    }
    if secs == 0 && n != 0 {
        return Err(TimeErr::Under);
    }
    Ok(secs as u32)
}

/// `server-template <prefix> <num | low-high> <addr>[:<port>] [params]`:
/// the servers `<prefix><low>` .. `<prefix><high>` (`<num>` is `1-<num>`),
/// each a `server` line with the same address and parameters, as 2.6
/// creates them. Without `resolvers` they all start on that address; the
/// runtime API's `set server ... addr` gives each its own.
fn server_template(l: &mut Loader<'_>, t: Target, words: &[String]) -> Status {
    let kw = &words[0];
    if words.len() < 4 || words[3].is_empty() {
        return l.alert(format_args!(
            "'{kw}' expects <prefix> <nb | range> <addr>[:<port>] as arguments."
        ));
    }
    let prefix = &words[1];
    if let Some(bad) = prefix
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':')))
    {
        return l.alert(format_args!(
            "character '{bad}' is not permitted in {kw} prefix '{prefix}'."
        ));
    }
    let range = &words[2];
    let (low, high) = match range.split_once('-') {
        Some((a, b)) => (units::atoi(a), units::atoi(b)),
        None => (1, units::atoi(range)),
    };
    // 2.6 allows 0 as the low end but numbers from it; a template of more
    // than a few thousand servers is a typo.
    if low < 0 || high < low || high - low >= 100_000 {
        return l.alert(format_args!("Wrong {kw} number or range arg '{range}'."));
    }
    let mut line: Vec<String> = Vec::with_capacity(words.len() - 1);
    line.push("server".into());
    line.push(String::new());
    line.extend(words[3..].iter().cloned());
    let mut st = Status::default();
    for i in low..=high {
        line[1] = format!("{prefix}{i}");
        let s = server::keyword(l, t, &line);
        st.fatal |= s.fatal;
        st.abort |= s.abort;
        if s.fatal || s.abort {
            break;
        }
    }
    st
}
