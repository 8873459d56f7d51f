//! `http-request` rules: the action table of 2.6 and the actions lbd runs,
//! each with 2.6's error messages, and their `if`/`unless` conditions.

use super::super::model::{HttpRequestAction, HttpRequestRule, LinePart, RuleCond, Service};
use super::rules::{
    check_cond, check_log_level, header_action, payload, redirect, track_action, var_action,
};
use super::{Loader, Status, Target};

const HR_ACTIONS: &str = "'wait-for-handshake', 'ot-group', 'set-log-level', 'set-nice', 'use-service', 'sc-inc-gpc(*)', 'sc-inc-gpc0(*)', 'sc-inc-gpc1(*)', 'sc-set-gpt(*)', 'sc-set-gpt0(*)', 'send-spoe-group', 'do-resolve(*)', 'cache-use', 'add-acl(*)', 'add-header', 'allow', 'auth', 'capture', 'del-acl(*)', 'del-header', 'del-map(*)', 'deny', 'disable-l7-retry', 'early-hint', 'normalize-uri', 'redirect', 'reject', 'replace-header', 'replace-path', 'replace-pathq', 'replace-uri', 'replace-value', 'return', 'set-header', 'set-map(*)', 'set-method', 'set-path', 'set-pathq', 'set-query', 'set-uri', 'strict-mode', 'tarpit', 'track-sc(*)', 'set-timeout', 'wait-for-body', 'set-var-fmt(*)', 'set-var(*)', 'unset-var(*)', 'set-dst', 'set-dst-port', 'set-mark', 'set-src', 'set-src-port', 'set-tos', 'silent-drop', 'set-priority-class', 'set-priority-offset'";

fn is_hr_action(a: &str) -> bool {
    let base = a.split('(').next().unwrap_or(a);
    HR_ACTIONS.contains(&format!("'{base}'"))
        || HR_ACTIONS.contains(&format!("'{base}(*)'"))
        || base.starts_with("track-sc")
}

pub(crate) fn http_request(l: &mut Loader<'_>, t: Target, words: &[String]) -> Status {
    let action = words.get(1).map(String::as_str).unwrap_or("");
    let d = l.draft(t);
    let (ty, pname) = (
        if d.is_defaults {
            "defaults"
        } else {
            d.type_str()
        },
        d.proxy.name.clone(),
    );
    // Every error from here stops the whole load, as 2.6's rule parser does.
    let rule_err = |l: &mut Loader<'_>, msg: String| {
        let mut st = l.alert(format_args!(
            "error detected in {ty} '{pname}' while parsing 'http-request {action}' rule : {msg}."
        ));
        st.abort = true;
        st
    };
    if d.is_defaults && d.proxy.name.is_empty() {
        let mut st = l.alert_nc("'http-request' not allowed in anonymous 'defaults' section.");
        st.abort = true;
        return st;
    }
    let args = &words[2..];
    let parsed: RuleResult = match action {
        "allow" => Ok((HttpRequestAction::Allow, 0)),
        "reject" => Ok((HttpRequestAction::Reject, 0)),
        "deny" => payload(l, args, 403, true).map(|(s, n)| (HttpRequestAction::Deny(s), n)),
        "tarpit" => payload(l, args, 500, true).map(|(s, n)| (HttpRequestAction::Tarpit(s), n)),
        "return" => payload(l, args, 200, false).map(|(s, n)| (HttpRequestAction::Return(s), n)),
        "auth" => match args.first().map(String::as_str) {
            Some("realm") => match args.get(1) {
                Some(r) => Ok((
                    HttpRequestAction::Auth {
                        realm: Some(r.clone()),
                    },
                    2,
                )),
                None => Err("missing realm value.\n".into()),
            },
            _ => Ok((HttpRequestAction::Auth { realm: None }, 0)),
        },
        "redirect" => {
            redirect(args, false, false).map(|(r, n)| (HttpRequestAction::Redirect(r), n))
        }
        "set-header" | "add-header" | "del-header" | "replace-header" | "replace-value" => {
            header_action(action, args).map(|(h, n)| (HttpRequestAction::Header(h), n))
        }
        "set-path" | "set-pathq" | "set-query" | "set-uri" | "set-method" => match args.first() {
            Some(f) => crate::http::rules::check_fmt(f).map(|_| {
                (
                    HttpRequestAction::SetLine {
                        part: line_part(action),
                        fmt: f.clone(),
                    },
                    1,
                )
            }),
            None => Err("expects exactly 1 argument <format>".into()),
        },
        "replace-path" | "replace-pathq" | "replace-uri" => match (args.first(), args.get(1)) {
            (Some(re), Some(f)) => crate::http::rules::check_regex(re)
                .and_then(|_| crate::http::rules::check_fmt(f))
                .map(|_| {
                    (
                        HttpRequestAction::ReplaceLine {
                            part: line_part(action),
                            regex: re.clone(),
                            fmt: f.clone(),
                        },
                        2,
                    )
                }),
            _ => Err("expects exactly 2 arguments <match-regex> and <replace-format>".into()),
        },
        a if a.starts_with("set-var") || a.starts_with("unset-var") => {
            var_action(a, args).map(|(v, n)| (HttpRequestAction::Var(v), n))
        }
        "set-log-level" => match args.first() {
            Some(lvl) => {
                check_log_level(lvl).map(|_| (HttpRequestAction::SetLogLevel(lvl.clone()), 1))
            }
            None => Err("expects exactly 1 argument".into()),
        },
        "capture" => match (args.first(), args.get(1).map(String::as_str), args.get(2)) {
            (Some(e), Some("len"), Some(n)) => match n.parse::<usize>() {
                Ok(len) if len > 0 => crate::http::rules::check_expr(e).map(|_| {
                    (
                        HttpRequestAction::Capture {
                            expr: e.clone(),
                            len,
                        },
                        3,
                    )
                }),
                _ => Err(format!("length must be > 0 (got '{n}')")),
            },
            (Some(e), Some("id"), Some(id)) => match id.parse::<usize>() {
                Ok(id) => crate::http::rules::check_expr(e).map(|_| {
                    (
                        HttpRequestAction::CaptureId {
                            expr: e.clone(),
                            id,
                        },
                        3,
                    )
                }),
                Err(_) => Err(format!("'id' expects an integer, got '{id}'")),
            },
            _ => Err("expects <expression> [ 'len' <length> | id <idx> ]".into()),
        },
        a if a.starts_with("track-sc") || a.starts_with("sc-inc-gpc") => {
            track_action(a, args).map(|(v, n)| (HttpRequestAction::Track(v), n))
        }
        "use-service" => match args.first().map(String::as_str) {
            Some("prometheus-exporter") => Ok((
                HttpRequestAction::UseService(Service::PrometheusExporter),
                1,
            )),
            Some(other) => Err(format!("'{other}' unknown service name.")),
            None => Err("expects a service name.".into()),
        },
        "" => {
            let mut st = l.alert_nc(format_args!(
                "'http-request' expects {HR_ACTIONS}, but got ''."
            ));
            st.abort = true;
            return st;
        }
        a if is_hr_action(a) => {
            return l.alert(format_args!(
                "'http-request {a}' is not supported yet by lbd."
            ))
        }
        a => {
            let mut st = l.alert_nc(format_args!(
                "'http-request' expects {HR_ACTIONS}, but got '{a}'."
            ));
            st.abort = true;
            return st;
        }
    };
    let (act, used) = match parsed {
        Ok(x) => x,
        Err(msg) => return rule_err(l, msg),
    };
    let cond = match args.get(used).map(String::as_str) {
        None => None,
        Some(w @ ("if" | "unless")) => {
            let c = RuleCond {
                unless: w == "unless",
                words: args[used + 1..].to_vec(),
            };
            if let Err(m) = check_cond(l, t, &c) {
                let mut st = l.alert(format_args!(
                    "error detected while parsing an 'http-request {action}' condition : {m}."
                ));
                st.abort = true;
                return st;
            }
            Some(c)
        }
        Some(w) => {
            let mut st = l.alert_nc(format_args!(
                "'http-request {action}' expects either 'if' or 'unless' followed by a condition but found '{w}'."
            ));
            st.abort = true;
            return st;
        }
    };
    let location = l.loc();
    l.draft(t).proxy.http_request.push(HttpRequestRule {
        action: act,
        cond,
        location,
    });
    Status::default()
}

fn line_part(action: &str) -> LinePart {
    match action {
        "set-path" | "replace-path" => LinePart::Path,
        "set-pathq" | "replace-pathq" => LinePart::PathQuery,
        "set-query" => LinePart::Query,
        "set-method" => LinePart::Method,
        _ => LinePart::Uri,
    }
}

type RuleResult = Result<(HttpRequestAction, usize), String>;
