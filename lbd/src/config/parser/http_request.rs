//! `http-request` rules: the action table of 2.6 and the actions lbd runs
//! (`return`, `deny`, header rewrites, `use-service`), each with 2.6's
//! error messages. Conditions (`if`/`unless`) come with the ACL work.

use super::super::model::{HttpRequestAction, HttpRequestRule, ReturnBody, ReturnSpec, Service};
use super::proxy::{pending_alert, ERR_CODES};
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
    let parsed: RuleResult = match action {
        "return" => parse_return(l, &words[2..]),
        "deny" => parse_deny(&words[2..]),
        "set-header" | "add-header" => match (words.get(2), words.get(3)) {
            (Some(n), Some(v)) => {
                let (name, value) = (n.clone(), v.clone());
                let act = if action == "set-header" {
                    HttpRequestAction::SetHeader { name, value }
                } else {
                    HttpRequestAction::AddHeader { name, value }
                };
                Ok((act, 4))
            }
            _ => Err(format!(
                "'http-request {action}' expects exactly 2 arguments"
            )),
        },
        "use-service" => match words.get(2).map(String::as_str) {
            Some("prometheus-exporter") => Ok((
                HttpRequestAction::UseService(Service::PrometheusExporter),
                3,
            )),
            Some(other) => Err(format!("'{other}' unknown service name.")),
            None => Err("expects a service name.".into()),
        },
        "del-header" => match words.get(2) {
            Some(n) => {
                if words.get(3).map(String::as_str) == Some("-m") {
                    return pending_alert(l, "http-request del-header", "'-m'");
                }
                Ok((HttpRequestAction::DelHeader { name: n.clone() }, 3))
            }
            None => Err("'http-request del-header' expects at least 1 argument".into()),
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
    let (act, next) = match parsed {
        Ok(x) => x,
        Err(msg) => return rule_err(l, msg),
    };
    if let Some(w) = words.get(next) {
        if w == "if" || w == "unless" {
            return pending_alert(l, &format!("http-request {action}"), "an ACL condition");
        }
        let mut st = l.alert_nc(format_args!(
            "'http-request {action}' expects either 'if' or 'unless' followed by a condition but found '{w}'."
        ));
        st.abort = true;
        return st;
    }
    let location = l.loc();
    l.draft(t).proxy.http_request.push(HttpRequestRule {
        action: act,
        location,
    });
    Status::default()
}

type RuleResult = Result<(HttpRequestAction, usize), String>;

fn status_ok(s: &str, allow_any: bool) -> Result<u16, String> {
    match s.parse::<u16>() {
        Ok(c) if (200..=599).contains(&c) && (allow_any || ERR_CODES.contains(&c)) => Ok(c),
        _ => Err(format!("Unexpected status code '{s}'")),
    }
}

fn parse_deny(args: &[String]) -> RuleResult {
    let mut status = 403;
    let mut k = 0;
    while k < args.len() {
        match args[k].as_str() {
            "deny_status" | "status" => {
                let Some(v) = args.get(k + 1) else {
                    return Err(format!("'{}' expects <status_code> as argument", args[k]));
                };
                status = status_ok(v, false)?;
                k += 2;
            }
            "if" | "unless" => break,
            o => {
                return Err(format!(
                    "'{o}' is not supported yet by lbd for 'http-request deny'"
                ))
            }
        }
    }
    Ok((HttpRequestAction::Deny { status }, k + 2))
}

fn parse_return(l: &mut Loader<'_>, args: &[String]) -> RuleResult {
    let mut spec = ReturnSpec {
        status: 200,
        content_type: None,
        body: ReturnBody::Empty,
        headers: Vec::new(),
    };
    let mut body_kw: Option<String> = None;
    let mut k = 0;
    while k < args.len() {
        let a = args[k].as_str();
        let need = |k: usize| -> Result<String, String> {
            args.get(k + 1).cloned().ok_or_else(|| {
                format!(
                    "'{a}' expects <{}> as argument",
                    match a {
                        "status" => "status_code",
                        "content-type" => "content_type",
                        "string" | "lf-string" => "str",
                        _ => "file",
                    }
                )
            })
        };
        match a {
            "status" => {
                spec.status = status_ok(&need(k)?, true)?;
                k += 2;
            }
            "content-type" => {
                spec.content_type = Some(need(k)?);
                k += 2;
            }
            "string" | "lf-string" | "file" | "lf-file" | "errorfile" => {
                if let Some(prev) = &body_kw {
                    return Err(format!("'{a}' cannot be used with '{prev}'"));
                }
                let v = need(k)?;
                body_kw = Some(a.to_string());
                spec.body = match a {
                    "string" | "lf-string" => ReturnBody::Bytes(v.into_bytes()),
                    _ => {
                        let path = l.resolve_path(&v);
                        let data = std::fs::read(&path).map_err(|e| {
                            format!("failed to open file '{v}' ({})", super::io_reason(&e))
                        })?;
                        if a == "errorfile" {
                            ReturnBody::RawResponse(data)
                        } else {
                            ReturnBody::Bytes(data)
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
    if matches!(spec.body, ReturnBody::Bytes(_)) && spec.content_type.is_none() {
        return Err(
            "a content type must be specified for a payload with a 'string' or 'file' argument"
                .into(),
        );
    }
    if matches!(spec.body, ReturnBody::RawResponse(_)) && spec.content_type.is_some() {
        return Err("'content-type' cannot be used with 'errorfile'".into());
    }
    Ok((HttpRequestAction::Return(spec), k + 2))
}
