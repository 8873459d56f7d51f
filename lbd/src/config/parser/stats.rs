//! The `stats` proxy keywords: the HTTP stats page (`stats enable`, `uri`,
//! `realm`, `auth`, `refresh`, `scope`, `hide-version`, `show-*`), with
//! 2.6's messages, and `stats admin if|unless <cond>`.

use super::super::diag::Diagnostic;
use super::super::model::StatsPage;
use super::super::units;
use super::{Loader, Status, Target};

const EXPECTS: &str = "expects 'admin', 'uri', 'realm', 'auth', 'scope', 'enable', 'hide-version', 'show-node', 'show-desc' or 'show-legends'.";

pub(crate) fn keyword(l: &mut Loader<'_>, t: Target, words: &[String]) -> Status {
    let sub = words.get(1).map(String::as_str).unwrap_or("");
    let arg = words.get(2).filter(|a| !a.is_empty());
    match sub {
        "" => return l.alert_nc(format_args!("missing keyword in '{}', {EXPECTS}", words[0])),
        "admin" => {
            if l.draft(t).is_defaults {
                return l.alert_nc("'stats admin' not allowed in 'defaults' section.");
            }
            if !matches!(arg.map(String::as_str), Some("if" | "unless")) {
                return l.alert(
                    "'stats admin' requires either 'if' or 'unless' followed by a condition.",
                );
            }
            let cond = super::rules::take_cond(words, 2, "stats admin")
                .and_then(|c| c.ok_or_else(|| "missing condition".to_string()))
                .and_then(|c| super::rules::check_cond(l, t, &c).map(|()| c));
            match cond {
                Ok(c) => page(l, t).admin.push(c),
                Err(e) => {
                    return l.alert(format_args!(
                        "error detected while parsing a 'stats admin' rule : {e}."
                    ))
                }
            }
        }
        "http-request" => {
            return l.alert("'stats http-request' is not supported yet by lbd.");
        }
        "uri" => match arg {
            Some(u) => page(l, t).uri = u.clone(),
            None => return l.alert("'uri' needs an URI prefix."),
        },
        "realm" => match arg {
            Some(r) => page(l, t).realm = Some(r.clone()),
            None => return l.alert("'realm' needs an realm name."),
        },
        "refresh" => {
            let Some(v) = arg else {
                return l.alert("'refresh' needs a positive interval in seconds.");
            };
            match units::parse_time_with(v, 1000) {
                Ok(ms) => page(l, t).refresh = Some(ms.div_ceil(1000)),
                Err(_) => {
                    let bad = v.chars().find(|c| !c.is_ascii_digit()).unwrap_or('?');
                    return l.alert_nc(format_args!(
                        "unexpected character '{bad}' in argument to stats refresh interval."
                    ));
                }
            }
        }
        "auth" => {
            let Some((user, pass)) = arg.and_then(|a| a.split_once(':')) else {
                return l.alert("'auth' needs a user:password account.");
            };
            let account = (user.to_string(), pass.to_string());
            page(l, t).auth.push(account);
        }
        "scope" => match arg {
            Some(s) => page(l, t).scope.push(s.clone()),
            None => return l.alert("'scope' needs a proxy name."),
        },
        "enable" => {
            page(l, t);
        }
        "hide-version" => page(l, t).hide_version = true,
        "show-legends" => page(l, t).show_legends = true,
        "show-modules" => {
            page(l, t);
        }
        "show-node" => {
            let name = arg.cloned().unwrap_or_default();
            let valid = name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
            if !valid {
                return l.alert_nc(
                    "'stats show-node' invalid node name - should be a stringwith digits(0-9), letters(A-Z, a-z), hyphen(-) or underscode(_).",
                );
            }
            page(l, t).show_node = Some(name);
        }
        "show-desc" => {
            let desc = words.get(2..).map(|w| w.join(" ")).unwrap_or_default();
            if desc.is_empty() && l.global.description.is_none() {
                let msg = format!(
                    "config : parsing [{}:{}]: 'show-desc' requires a parameter or 'desc' to be set in the global section.",
                    l.file, l.line
                );
                l.diags.push(Diagnostic::warning(msg));
            } else {
                page(l, t).show_desc = Some(desc);
            }
        }
        other => return l.alert_nc(format_args!("unknown stats parameter '{other}', {EXPECTS}")),
    }
    Status::default()
}

/// The proxy's stats page, created by the first `stats` keyword (any of
/// them turns the page on, as in 2.6).
fn page<'a>(l: &'a mut Loader<'_>, t: Target) -> &'a mut StatsPage {
    l.draft(t)
        .proxy
        .stats
        .get_or_insert_with(StatsPage::default)
}
