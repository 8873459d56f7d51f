//! Rule keywords beside `http-request`: `http-response`,
//! `http-after-response`, `tcp-request`, `redirect`, `use-server`,
//! `force-persist`, `ignore-persist`, and the pieces every rule shares
//! (conditions, payloads, header, variable and tracking actions).
//!
//! Each parser returns how many words its action took, so the caller can
//! demand that what follows is nothing or `if|unless <cond>`, as 2.6 does.
//! Conditions, expressions and log-format strings are compiled here once
//! to report errors at the right line, then kept as text in the model.

use super::super::model::{
    HeaderAction, HttpResponseAction, HttpResponseRule, PersistRule, Redirect, RedirectKind,
    RedirectRule, ReturnBody, ReturnSpec, RuleCond, TcpAction, TcpPhase, TcpRequestRule,
    TrackAction, UseServer, VarAction,
};
use super::proxy::ERR_CODES;
use super::{Loader, Status, Target};

/// What follows an action: nothing, or `if|unless <cond>`.
pub(crate) fn take_cond(
    words: &[String],
    next: usize,
    what: &str,
) -> Result<Option<RuleCond>, String> {
    match words.get(next).map(String::as_str) {
        None => Ok(None),
        Some(w @ ("if" | "unless")) => {
            let rest = &words[next + 1..];
            if rest.is_empty() {
                return Err(format!("'{what}': missing condition after '{w}'"));
            }
            Ok(Some(RuleCond {
                unless: w == "unless",
                words: rest.to_vec(),
            }))
        }
        Some(w) => Err(format!(
            "'{what}' expects either 'if' or 'unless' followed by a condition but found '{w}'"
        )),
    }
}

/// Compiles a condition against the proxy being built, for its errors.
pub(crate) fn check_cond(l: &mut Loader<'_>, t: Target, c: &RuleCond) -> Result<(), String> {
    crate::http::rules::check_cond(c, &l.draft(t).proxy)
}

pub(crate) type Parsed<A> = Result<(A, usize), String>;

fn need<'a>(args: &'a [String], k: usize, what: &str) -> Result<&'a String, String> {
    args.get(k)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| format!("expects {what}"))
}

/// `set-header|add-header|del-header|replace-header|replace-value` with
/// `args` the words after the action name.
pub(crate) fn header_action(action: &str, args: &[String]) -> Parsed<HeaderAction> {
    let fmt_check = |f: &String| crate::http::rules::check_fmt(f).map(|_| f.clone());
    match action {
        "set-header" | "add-header" => {
            let (Some(n), Some(v)) = (args.first(), args.get(1)) else {
                return Err(format!("'{action}' expects exactly 2 arguments"));
            };
            let fmt = fmt_check(v)?;
            let name = n.clone();
            Ok((
                if action == "set-header" {
                    HeaderAction::Set { name, fmt }
                } else {
                    HeaderAction::Add { name, fmt }
                },
                2,
            ))
        }
        "del-header" => {
            let Some(n) = args.first() else {
                return Err(format!("'{action}' expects at least 1 argument"));
            };
            if args.get(1).map(String::as_str) == Some("-m") {
                return Err("'-m' is not supported yet by lbd for 'del-header'".into());
            }
            Ok((HeaderAction::Del { name: n.clone() }, 1))
        }
        "replace-header" | "replace-value" => {
            let (Some(n), Some(re), Some(v)) = (args.first(), args.get(1), args.get(2)) else {
                return Err(format!("'{action}' expects exactly 3 arguments"));
            };
            crate::http::rules::check_regex(re)?;
            let fmt = fmt_check(v)?;
            let (name, regex) = (n.clone(), re.clone());
            Ok((
                if action == "replace-header" {
                    HeaderAction::Replace { name, regex, fmt }
                } else {
                    HeaderAction::ReplaceValue { name, regex, fmt }
                },
                3,
            ))
        }
        _ => Err(format!("unknown header action '{action}'")),
    }
}

/// `set-var(v) <expr>`, `set-var-fmt(v) <fmt>`, `unset-var(v)`; `action` is
/// the whole word with its parenthesis.
pub(crate) fn var_action(action: &str, args: &[String]) -> Parsed<VarAction> {
    let (kw, rest) = action.split_once('(').unwrap_or((action, ""));
    let Some(var) = rest.strip_suffix(')') else {
        return Err(format!("'{kw}': missing closing parenthesis"));
    };
    let var = var.split(',').next().unwrap_or("").to_string();
    crate::http::rules::check_var(&var)?;
    match kw {
        "set-var" => {
            let e = need(args, 0, "a sample expression")?;
            crate::http::rules::check_expr(e)?;
            Ok((
                VarAction::Set {
                    var,
                    expr: e.clone(),
                },
                1,
            ))
        }
        "set-var-fmt" => {
            let f = need(args, 0, "a log-format string")?;
            crate::http::rules::check_fmt(f)?;
            Ok((
                VarAction::SetFmt {
                    var,
                    fmt: f.clone(),
                },
                1,
            ))
        }
        "unset-var" => Ok((VarAction::Unset { var }, 0)),
        _ => Err(format!("unknown variable action '{kw}'")),
    }
}

/// `track-scN <key> [table t]`, `sc-inc-gpc0(N)`, `sc-inc-gpc1(N)`.
pub(crate) fn track_action(action: &str, args: &[String]) -> Parsed<TrackAction> {
    if let Some(n) = action.strip_prefix("track-sc") {
        let slot: u8 = match n.parse() {
            Ok(s) if s < 3 => s,
            _ => {
                return Err(format!(
                    "'{action}' : invalid stick counter, max allowed is 2"
                ))
            }
        };
        let key = need(args, 0, "a key expression")?;
        crate::http::rules::check_expr(key)?;
        let mut used = 1;
        let mut table = None;
        if args.get(1).map(String::as_str) == Some("table") {
            table = Some(need(args, 2, "a table name after 'table'")?.clone());
            used = 3;
        }
        return Ok((
            TrackAction::Track {
                slot,
                key: key.clone(),
                table,
            },
            used,
        ));
    }
    for (prefix, gpc) in [("sc-inc-gpc0(", 0u8), ("sc-inc-gpc1(", 1u8)] {
        if let Some(n) = action.strip_prefix(prefix) {
            let slot = match n.strip_suffix(')').map(str::parse::<u8>) {
                Some(Ok(s)) if s < 3 => s,
                _ => {
                    return Err(format!(
                        "invalid stick table track ID '{n}'. The max allowed ID is 2"
                    ))
                }
            };
            return Ok((TrackAction::IncGpc { gpc, slot }, 0));
        }
    }
    Err(format!("unknown tracking action '{action}'"))
}

fn status_ok(s: &str, allow_any: bool) -> Result<u16, String> {
    match s.parse::<u16>() {
        Ok(c) if (200..=599).contains(&c) && (allow_any || ERR_CODES.contains(&c)) => Ok(c),
        _ => Err(format!("Unexpected status code '{s}'")),
    }
}

/// The payload options of `return`, `deny` and `tarpit`. `deny` marks the
/// legacy `deny_status` spelling; a rule without a payload answers with
/// the proxy's error page (`deny`/`tarpit`) or an empty body (`return`).
pub(crate) fn payload(
    l: &mut Loader<'_>,
    args: &[String],
    default_status: u16,
    deny: bool,
) -> Parsed<ReturnSpec> {
    let mut spec = ReturnSpec {
        status: default_status,
        content_type: None,
        body: if deny {
            ReturnBody::DefaultErrorfile
        } else {
            ReturnBody::Empty
        },
        headers: Vec::new(),
    };
    let mut body_kw: Option<String> = None;
    let mut k = 0;
    while k < args.len() {
        let a = args[k].as_str();
        let arg = |k: usize| -> Result<String, String> {
            args.get(k + 1).cloned().ok_or_else(|| {
                format!(
                    "'{a}' expects <{}> as argument",
                    match a {
                        "status" | "deny_status" => "status_code",
                        "content-type" => "content_type",
                        "string" | "lf-string" => "str",
                        _ => "file",
                    }
                )
            })
        };
        match a {
            "status" => {
                spec.status = status_ok(&arg(k)?, !deny)?;
                k += 2;
            }
            "deny_status" if deny => {
                spec.status = status_ok(&arg(k)?, false)?;
                k += 2;
            }
            "content-type" => {
                spec.content_type = Some(arg(k)?);
                k += 2;
            }
            "string" | "lf-string" | "file" | "lf-file" | "errorfile" => {
                if let Some(prev) = &body_kw {
                    return Err(format!("'{a}' cannot be used with '{prev}'"));
                }
                let v = arg(k)?;
                body_kw = Some(a.to_string());
                spec.body = match a {
                    "string" => ReturnBody::Bytes(v.into_bytes()),
                    "lf-string" => {
                        crate::http::rules::check_fmt(&v)?;
                        ReturnBody::Format(v)
                    }
                    _ => {
                        let path = l.resolve_path(&v);
                        let data = std::fs::read(&path).map_err(|e| {
                            format!("failed to open file '{v}' ({})", super::io_reason(&e))
                        })?;
                        match a {
                            "errorfile" => ReturnBody::RawResponse(data),
                            "lf-file" => {
                                let f = String::from_utf8_lossy(&data).into_owned();
                                crate::http::rules::check_fmt(&f)?;
                                ReturnBody::Format(f)
                            }
                            _ => ReturnBody::Bytes(data),
                        }
                    }
                };
                k += 2;
            }
            "default-errorfiles" => {
                if let Some(prev) = &body_kw {
                    return Err(format!("'{a}' cannot be used with '{prev}'"));
                }
                body_kw = Some(a.to_string());
                spec.body = ReturnBody::DefaultErrorfile;
                k += 1;
            }
            "errorfiles" => {
                return Err("'errorfiles' is not supported yet by lbd".into());
            }
            "hdr" => {
                let (Some(n), Some(v)) = (args.get(k + 1), args.get(k + 2)) else {
                    return Err(format!("'{a}' expects <name> and <value> as arguments"));
                };
                spec.headers.push((n.clone(), v.clone()));
                k += 3;
            }
            _ => break,
        }
    }
    let has_payload = matches!(spec.body, ReturnBody::Bytes(_) | ReturnBody::Format(_));
    if has_payload && spec.content_type.is_none() {
        return Err(
            "a content type must be specified for a payload with a 'string' or 'file' argument"
                .into(),
        );
    }
    if matches!(spec.body, ReturnBody::RawResponse(_)) && spec.content_type.is_some() {
        return Err("'content-type' cannot be used with 'errorfile'".into());
    }
    Ok((spec, k))
}

/// `http-error status <code> [content-type ..] [string|file|errorfile ..]
/// [hdr <name> <value>]...`: the answer lbd sends for that error, built
/// once here as `return` builds its answer.
pub(crate) fn http_error(l: &mut Loader<'_>, t: Target, words: &[String]) -> Status {
    let args = &words[1..];
    if args.first().map(String::as_str) != Some("status") {
        return l.alert("http-error : expects 'status' as first argument");
    }
    let (spec, used) = match payload(l, args, 0, false) {
        Ok(x) => x,
        Err(m) => return l.alert(format_args!("http-error : {m}")),
    };
    if let Some(w) = args.get(used) {
        return l.alert(format_args!("http-error : unknown keyword '{w}'"));
    }
    if !ERR_CODES.contains(&spec.status) {
        return l.alert(format_args!(
            "http-error : Unexpected status code '{}'",
            spec.status
        ));
    }
    if matches!(spec.body, ReturnBody::Format(_)) {
        return l.alert("http-error : 'lf-string' and 'lf-file' are not supported yet by lbd.");
    }
    let ef = super::super::model::ErrorFile {
        path: String::new(),
        contents: crate::http::return_bytes(&spec, &[]),
    };
    l.draft(t)
        .errors
        .push(super::ErrorSource::File(spec.status, ef));
    Status::default()
}

/// `redirect location|prefix|scheme <to> [code C] [options]...`, shared by
/// the `redirect` keyword (`literal`) and the `redirect` actions.
pub(crate) fn redirect(args: &[String], literal: bool, response: bool) -> Parsed<Redirect> {
    let mut r = Redirect {
        kind: RedirectKind::Location,
        target: String::new(),
        literal,
        code: 302,
        drop_query: false,
        append_slash: false,
        ignore_empty: false,
        cookie: None,
    };
    let mut kind = None;
    let mut k = 0;
    let missing = |a: &str| format!("missing argument for '{a}'");
    while k < args.len() {
        let a = args[k].as_str();
        let value = || args.get(k + 1).filter(|v| !v.is_empty()).cloned();
        match a {
            "location" | "prefix" | "scheme" => {
                r.target = value().ok_or_else(|| missing(a))?;
                kind = Some(match a {
                    "location" => RedirectKind::Location,
                    "prefix" => RedirectKind::Prefix,
                    _ => RedirectKind::Scheme,
                });
                k += 2;
            }
            "set-cookie" => {
                let v = value().ok_or_else(|| missing(a))?;
                r.cookie = Some(format!("{v}; path=/;"));
                k += 2;
            }
            "clear-cookie" => {
                let v = value().ok_or_else(|| missing(a))?;
                r.cookie = Some(format!("{v}; path=/; Max-Age=0;"));
                k += 2;
            }
            "code" => {
                let v = value().ok_or_else(|| missing(a))?;
                let code = super::super::units::atoi(&v);
                if !matches!(code, 301..=303 | 307 | 308) {
                    return Err(format!(
                        "'{a}': unsupported HTTP code '{v}' (must be one of 301, 302, 303, 307 or 308)"
                    ));
                }
                r.code = code as u16;
                k += 2;
            }
            "drop-query" => {
                r.drop_query = true;
                k += 1;
            }
            "append-slash" => {
                r.append_slash = true;
                k += 1;
            }
            "ignore-empty" => {
                r.ignore_empty = true;
                k += 1;
            }
            "if" | "unless" => break,
            o => {
                return Err(format!(
                    "expects 'code', 'prefix', 'location', 'scheme', 'set-cookie', 'clear-cookie', 'drop-query', 'ignore-empty' or 'append-slash' (was '{o}')"
                ))
            }
        }
    }
    let Some(kind) = kind else {
        return Err("redirection type expected ('prefix', 'location', or 'scheme')".into());
    };
    if response && kind != RedirectKind::Location {
        return Err("response only supports redirect type 'location'".into());
    }
    r.kind = kind;
    let self_prefix = kind == RedirectKind::Prefix && r.target == "/";
    if !literal && !self_prefix {
        crate::http::rules::check_fmt(&r.target)?;
    }
    Ok((r, k))
}

fn section_names(l: &mut Loader<'_>, t: Target) -> (&'static str, String) {
    let d = l.draft(t);
    (
        if d.is_defaults {
            "defaults"
        } else {
            d.type_str()
        },
        d.proxy.name.clone(),
    )
}

fn abort(mut st: Status) -> Status {
    st.abort = true;
    st
}

/// The actions 2.6 knows for `http-after-response`, as its error lists them.
const HAR_ACTIONS: &str = "'ot-group', 'add-header', 'allow', 'capture', 'del-header', 'replace-header', 'replace-value', 'set-header', 'set-status', 'strict-mode', 'set-var-fmt(*)', 'set-var(*)', 'unset-var(*)'";

/// `http-response` and `http-after-response`.
pub(crate) fn http_response(l: &mut Loader<'_>, t: Target, words: &[String]) -> Status {
    let kw = words[0].as_str();
    let after = kw == "http-after-response";
    let action = words.get(1).map(String::as_str).unwrap_or("");
    let (ty, pname) = section_names(l, t);
    if l.draft(t).is_defaults && pname.is_empty() {
        return abort(l.alert_nc(format_args!(
            "'{kw}' not allowed in anonymous 'defaults' section."
        )));
    }
    let args = &words[2..];
    // `http-after-response` runs on every response, generated ones too: 2.6
    // gives it only the rewrites, variables and `allow`.
    let after_ok = matches!(
        action,
        "allow"
            | "set-header"
            | "add-header"
            | "del-header"
            | "replace-header"
            | "replace-value"
            | "set-status"
    ) || action.starts_with("set-var")
        || action.starts_with("unset-var");
    if after && !after_ok && !action.is_empty() {
        let base = action.split('(').next().unwrap_or(action);
        if matches!(base, "capture" | "strict-mode" | "ot-group") {
            return l.alert(format_args!("'{kw} {action}' is not supported yet by lbd."));
        }
        return abort(l.alert_nc(format_args!(
            "'{kw}' expects {HAR_ACTIONS}, but got '{action}'."
        )));
    }
    let parsed: Parsed<HttpResponseAction> = match action {
        "allow" => Ok((HttpResponseAction::Allow, 0)),
        "deny" if !after => {
            payload(l, args, 502, true).map(|(s, n)| (HttpResponseAction::Deny(s), n))
        }
        "return" if !after => {
            payload(l, args, 200, false).map(|(s, n)| (HttpResponseAction::Return(s), n))
        }
        "redirect" if !after => {
            redirect(args, false, true).map(|(r, n)| (HttpResponseAction::Redirect(r), n))
        }
        "set-header" | "add-header" | "del-header" | "replace-header" | "replace-value" => {
            header_action(action, args).map(|(h, n)| (HttpResponseAction::Header(h), n))
        }
        "set-status" => match args.first().map(|s| s.parse::<u16>()) {
            Some(Ok(c)) if (100..=999).contains(&c) => {
                if args.get(1).map(String::as_str) == Some("reason") {
                    match args.get(2) {
                        Some(r) => Ok((
                            HttpResponseAction::SetStatus {
                                status: c,
                                reason: Some(r.clone()),
                            },
                            3,
                        )),
                        None => Err("expects a reason after 'reason'".into()),
                    }
                } else {
                    Ok((
                        HttpResponseAction::SetStatus {
                            status: c,
                            reason: None,
                        },
                        1,
                    ))
                }
            }
            Some(_) => Err("expects an integer status code between 100 and 999".into()),
            None => Err("expects an integer status code between 100 and 999".into()),
        },
        a if a.starts_with("set-var") || a.starts_with("unset-var") => {
            var_action(a, args).map(|(v, n)| (HttpResponseAction::Var(v), n))
        }
        "set-log-level" if !after => match args.first() {
            Some(lvl) => {
                check_log_level(lvl).map(|_| (HttpResponseAction::SetLogLevel(lvl.clone()), 1))
            }
            None => Err("expects exactly 1 argument".into()),
        },
        "capture" if !after => match (args.first(), args.get(1).map(String::as_str), args.get(2)) {
            (Some(e), Some("id"), Some(id)) => match id.parse::<usize>() {
                Ok(id) => crate::http::rules::check_expr(e).map(|_| {
                    (
                        HttpResponseAction::Capture {
                            expr: e.clone(),
                            id,
                        },
                        3,
                    )
                }),
                Err(_) => Err(format!("'id' expects an integer, got '{id}'")),
            },
            _ => Err("expects <expression> id <idx>".into()),
        },
        a if !after && (a.starts_with("track-sc") || a.starts_with("sc-inc-gpc")) => {
            track_action(a, args).map(|(v, n)| (HttpResponseAction::Track(v), n))
        }
        "" => {
            return abort(l.alert_nc(format_args!("'{kw}' expects an action, but got ''.")));
        }
        a => {
            return l.alert(format_args!("'{kw} {a}' is not supported yet by lbd."));
        }
    };
    let rule_err = |l: &mut Loader<'_>, msg: String| {
        abort(l.alert(format_args!(
            "error detected in {ty} '{pname}' while parsing '{kw} {action}' rule : {msg}."
        )))
    };
    let (act, used) = match parsed {
        Ok(x) => x,
        Err(m) => return rule_err(l, m),
    };
    let cond = match take_cond(args, used, &format!("{kw} {action}")) {
        Ok(c) => c,
        Err(m) => return abort(l.alert_nc(format_args!("{m}."))),
    };
    if let Some(c) = &cond {
        if let Err(m) = check_cond(l, t, c) {
            return abort(l.alert(format_args!(
                "error detected while parsing an '{kw} {action}' condition : {m}."
            )));
        }
    }
    let rule = HttpResponseRule {
        action: act,
        cond,
        location: l.loc(),
    };
    let p = &mut l.draft(t).proxy;
    if after {
        p.http_after_response.push(rule);
    } else {
        p.http_response.push(rule);
    }
    Status::default()
}

pub(crate) fn check_log_level(lvl: &str) -> Result<(), String> {
    if lvl == "silent" || crate::log::Level::parse(lvl).is_some() {
        Ok(())
    } else {
        Err(format!("unknown log level '{lvl}'"))
    }
}

/// `tcp-request connection|session|content <action> ...` and
/// `tcp-request inspect-delay <time>`.
pub(crate) fn tcp_request(l: &mut Loader<'_>, t: Target, words: &[String]) -> Status {
    let (ty, pname) = section_names(l, t);
    let what = words.get(1).map(String::as_str).unwrap_or("");
    if what == "inspect-delay" {
        let Some(v) = words.get(2) else {
            return l.alert(format_args!(
                "'tcp-request inspect-delay' expects a positive delay in milliseconds, in {ty} '{pname}'"
            ));
        };
        match super::super::units::parse_time(v) {
            Ok(ms) => l.draft(t).proxy.tcp_inspect_delay = Some(ms),
            Err(_) => {
                return l.alert(format_args!(
                    "'tcp-request inspect-delay' expects a positive delay in milliseconds, in {ty} '{pname}'"
                ))
            }
        }
        return Status::default();
    }
    let phase = match what {
        "connection" => TcpPhase::Connection,
        "session" => TcpPhase::Session,
        "content" => TcpPhase::Content,
        o => {
            return l.alert(format_args!(
                "'tcp-request' expects 'inspect-delay', 'connection', or 'content' in {ty} '{pname}' (got '{o}')"
            ))
        }
    };
    if phase != TcpPhase::Content && !l.draft(t).is_defaults && !l.draft(t).proxy.cap.frontend {
        return l.alert(format_args!(
            "tcp-request {what} is not allowed because {ty} {pname} is not a frontend"
        ));
    }
    let action = words.get(2).map(String::as_str).unwrap_or("");
    let args = &words[3.min(words.len())..];
    let parsed: Parsed<TcpAction> = match action {
        "accept" => Ok((TcpAction::Accept, 0)),
        "reject" => Ok((TcpAction::Reject, 0)),
        "expect-proxy" => {
            let got = args.first().map(String::as_str).unwrap_or("");
            if got != "layer4" {
                return l.alert(format_args!(
                    "'tcp-request {what} expect-proxy' only supports 'layer4' in {ty} '{pname}' (got '{got}')"
                ));
            }
            if phase != TcpPhase::Connection {
                return l.alert(format_args!(
                    "'expect-proxy layer4' is not allowed in 'tcp-request {what}' rules in {ty} '{pname}'"
                ));
            }
            Ok((TcpAction::ExpectProxy, 1))
        }
        a if a.starts_with("track-sc") || a.starts_with("sc-inc-gpc") => {
            track_action(a, args).map(|(v, n)| (TcpAction::Track(v), n))
        }
        a if a.starts_with("set-var") || a.starts_with("unset-var") => {
            var_action(a, args).map(|(v, n)| (TcpAction::Var(v), n))
        }
        "capture" if phase == TcpPhase::Content => {
            match (args.first(), args.get(1).map(String::as_str), args.get(2)) {
                (Some(e), Some("len"), Some(n)) => match n.parse::<usize>() {
                    Ok(len) if len > 0 => crate::http::rules::check_expr(e).map(|_| {
                        (
                            TcpAction::Capture {
                                expr: e.clone(),
                                len,
                            },
                            3,
                        )
                    }),
                    _ => Err(format!("length must be > 0 (got '{n}')")),
                },
                _ => Err("expects <expression> 'len' <length>".into()),
            }
        }
        a => {
            return l.alert(format_args!(
                "'tcp-request {what} {a}' is not supported yet by lbd."
            ))
        }
    };
    let (act, used) = match parsed {
        Ok(x) => x,
        Err(m) => return l.alert(format_args!("'tcp-request {what}' : {m} in {ty} '{pname}'")),
    };
    let cond = match take_cond(args, used, &format!("tcp-request {what} {action}")) {
        Ok(c) => c,
        Err(m) => return l.alert(format_args!("{m} in {ty} '{pname}'")),
    };
    if let Some(c) = &cond {
        if let Err(m) = check_cond(l, t, c) {
            return l.alert(format_args!(
                "'tcp-request {what}' : error detected in {ty} '{pname}' while parsing '{}' condition : {m}",
                if c.unless { "unless" } else { "if" }
            ));
        }
    }
    let rule = TcpRequestRule {
        phase,
        action: act,
        cond,
        location: l.loc(),
    };
    l.draft(t).proxy.tcp_request.push(rule);
    Status::default()
}

/// `tcp-response inspect-delay <time>` and `tcp-response content
/// accept|reject|close|set-var|unset-var|sc-inc-gpc* [if|unless <cond>]`:
/// backends only, or a named defaults section, as 2.6.
pub(crate) fn tcp_response(l: &mut Loader<'_>, t: Target, words: &[String]) -> Status {
    let (ty, pname) = section_names(l, t);
    let what = words.get(1).map(String::as_str).unwrap_or("");
    if what.is_empty() {
        return l.alert(format_args!(
            "missing argument for 'tcp-response' in {ty} '{pname}'"
        ));
    }
    let d = l.draft(t);
    let allowed = if d.is_defaults {
        !pname.is_empty()
    } else {
        d.proxy.cap.backend
    };
    if (what == "inspect-delay" || what == "content") && !allowed {
        return l.alert(format_args!(
            "tcp-response {what} is only allowed in 'backend' sections or 'defaults' section with a name"
        ));
    }
    if what == "inspect-delay" {
        let parsed = words
            .get(2)
            .and_then(|v| super::super::units::parse_time(v).ok());
        let Some(ms) = parsed else {
            return l.alert(format_args!(
                "'tcp-response inspect-delay' expects a positive delay in milliseconds, in {ty} '{pname}'"
            ));
        };
        let p = &mut l.draft(t).proxy;
        if p.tcp_response_inspect_delay.is_some() {
            l.warn(format_args!(
                "ignoring tcp-response inspect-delay (was already defined) in {ty} '{pname}'"
            ));
            return Status::default();
        }
        p.tcp_response_inspect_delay = Some(ms);
        return Status::default();
    }
    if what != "content" {
        return l.alert(format_args!(
            "'tcp-response' expects 'inspect-delay' or 'content' in {ty} '{pname}' (got '{what}')"
        ));
    }
    let action = words.get(2).map(String::as_str).unwrap_or("");
    let args = &words[3.min(words.len())..];
    let parsed: Parsed<TcpAction> = match action {
        "accept" => Ok((TcpAction::Accept, 0)),
        "reject" => Ok((TcpAction::Reject, 0)),
        "close" => Ok((TcpAction::Close, 0)),
        a if a.starts_with("sc-inc-gpc") => {
            track_action(a, args).map(|(v, n)| (TcpAction::Track(v), n))
        }
        a if a.starts_with("set-var") || a.starts_with("unset-var") => {
            var_action(a, args).map(|(v, n)| (TcpAction::Var(v), n))
        }
        a @ ("set-log-level" | "set-nice" | "sc-set-gpt0" | "send-spoe-group" | "set-mark"
        | "set-tos" | "silent-drop") => {
            return l.alert(format_args!(
                "'tcp-response content {a}' is not supported yet by lbd."
            ))
        }
        a => {
            return l.alert(format_args!(
                "'tcp-response content' expects 'accept', 'close', 'reject', 'ot-group', 'set-log-level', 'set-nice', 'sc-inc-gpc(*)', 'sc-inc-gpc0(*)', 'sc-inc-gpc1(*)', 'sc-set-gpt(*)', 'sc-set-gpt0(*)', 'send-spoe-group', 'set-var-fmt(*)', 'set-var(*)', 'unset-var(*)', 'set-mark', 'set-tos', 'silent-drop' in {ty} '{pname}' (got '{a}')."
            ))
        }
    };
    let (act, used) = match parsed {
        Ok(x) => x,
        Err(m) => {
            return l.alert(format_args!(
                "'tcp-response content' : {m} in {ty} '{pname}'"
            ))
        }
    };
    let cond = match args.get(used).map(String::as_str) {
        None => None,
        Some(w @ ("if" | "unless")) => Some(RuleCond {
            unless: w == "unless",
            words: args[used + 1..].to_vec(),
        }),
        Some(w) => {
            return l.alert(format_args!(
                "'tcp-response content {action}' only accepts 'if' or 'unless', in {ty} '{pname}' (got '{w}')"
            ))
        }
    };
    if let Some(c) = &cond {
        if let Err(m) = check_cond(l, t, c) {
            return l.alert(format_args!(
                "'tcp-response content {action}' : error detected in {ty} '{pname}' while parsing '{}' condition : {m}",
                if c.unless { "unless" } else { "if" }
            ));
        }
    }
    let rule = TcpRequestRule {
        phase: TcpPhase::Content,
        action: act,
        cond,
        location: l.loc(),
    };
    l.draft(t).proxy.tcp_response.push(rule);
    Status::default()
}

/// The standalone `redirect` keyword.
pub(crate) fn redirect_keyword(l: &mut Loader<'_>, t: Target, words: &[String]) -> Status {
    if l.draft(t).is_defaults {
        return l.alert("'redirect' not allowed in 'defaults' section.");
    }
    let (r, used) = match redirect(&words[1..], true, false) {
        Ok(x) => x,
        Err(m) => return l.alert(format_args!("error parsing 'redirect' rule : {m}.")),
    };
    let cond = match take_cond(&words[1..], used, "redirect") {
        Ok(c) => c,
        Err(m) => return l.alert(format_args!("error parsing 'redirect' rule : {m}.")),
    };
    if let Some(c) = &cond {
        if let Err(m) = check_cond(l, t, c) {
            return l.alert(format_args!(
                "error parsing 'redirect' rule : error in condition: {m}."
            ));
        }
    }
    let location = l.loc();
    l.draft(t).proxy.redirects.push(RedirectRule {
        redirect: r,
        cond,
        location,
    });
    Status::default()
}

/// `use-server <srv> if|unless <cond>`.
pub(crate) fn use_server(l: &mut Loader<'_>, t: Target, words: &[String]) -> Status {
    if l.draft(t).is_defaults {
        return l.alert("'use-server' not allowed in 'defaults' section.");
    }
    let Some(srv) = words.get(1) else {
        return l.alert("'use-server' expects a server name.");
    };
    let cond = match take_cond(words, 2, "use-server") {
        Ok(Some(c)) => c,
        Ok(None) => {
            return l
                .alert("'use-server' requires either 'if' or 'unless' followed by a condition.")
        }
        Err(m) => return l.alert(m),
    };
    if let Err(m) = check_cond(l, t, &cond) {
        return l.alert(format_args!(
            "error detected while parsing switching rule : {m}."
        ));
    }
    let location = l.loc();
    l.draft(t).proxy.use_servers.push(UseServer {
        server: srv.clone(),
        cond: Some(cond),
        location,
    });
    Status::default()
}

/// `force-persist` / `ignore-persist if|unless <cond>`.
pub(crate) fn persist(l: &mut Loader<'_>, t: Target, words: &[String]) -> Status {
    let kw = words[0].as_str();
    if l.draft(t).is_defaults {
        return l.alert(format_args!("'{kw}' not allowed in 'defaults' section."));
    }
    let cond = match take_cond(words, 1, kw) {
        Ok(Some(c)) => c,
        _ => {
            return l.alert(format_args!(
                "'{kw}' requires either 'if' or 'unless' followed by a condition."
            ))
        }
    };
    if let Err(m) = check_cond(l, t, &cond) {
        return l.alert(format_args!(
            "error detected while parsing a '{kw}' rule : {m}."
        ));
    }
    let rule = PersistRule {
        cond,
        location: l.loc(),
    };
    let p = &mut l.draft(t).proxy;
    if kw == "force-persist" {
        p.force_persist.push(rule);
    } else {
        p.ignore_persist.push(rule);
    }
    Status::default()
}
