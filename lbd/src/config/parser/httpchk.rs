//! `option httpchk` and `http-check` lines (spec 4.5).
//!
//! The option and the `http-check` rules may come in any order and both are
//! inherited from `defaults`, so they are collected in a [`ChkDraft`] and
//! composed into the model's [`HttpCheck`] once the section is complete, as
//! 2.6 does when it post-parses its tcp-check rulesets.

use super::super::model::{ExpectMatch, HttpCheck, HttpCheckStep, HttpExpect, Location};
use super::super::units;
use super::{Loader, Status, Target};
use std::net::IpAddr;

/// What the option and the rules said, before composition.
#[derive(Debug, Clone, Default)]
pub(crate) struct ChkDraft {
    /// `option httpchk` was given (method, uri, version, legacy headers, legacy body).
    pub option: Option<OptionReq>,
    pub send_method: Option<String>,
    pub send_uri: Option<String>,
    pub send_version: Option<String>,
    pub send_headers: Vec<(String, String)>,
    pub send_body: Option<String>,
    pub expects: Vec<HttpExpect>,
    pub disable_on_404: bool,
    pub send_state: bool,
    pub connect_port: Option<u16>,
    pub connect_addr: Option<IpAddr>,
    /// Where the first `http-check` rule was, for the "rules are ignored" warning.
    pub rules_at: Option<Location>,
    /// The step being written has a `send` / a `connect`.
    pub cur_send: bool,
    pub cur_connect: bool,
    /// Finished steps of a sequence (the first one included), in order.
    pub done: Vec<StepDraft>,
}

/// One send/expect step while parsing, before defaults are applied.
#[derive(Debug, Clone, Default)]
pub(crate) struct StepDraft {
    pub method: Option<String>,
    pub uri: Option<String>,
    pub version: Option<String>,
    pub headers: Vec<(String, String)>,
    pub body: Option<String>,
    pub expects: Vec<HttpExpect>,
    pub reconnect: bool,
    pub connect_port: Option<u16>,
    pub connect_addr: Option<IpAddr>,
}

impl ChkDraft {
    /// Closes the step being written and starts a new one: a `send` after
    /// an `expect`, or a `connect` after a `send`, begins the next request.
    fn rotate(&mut self) {
        let step = StepDraft {
            method: self.send_method.take(),
            uri: self.send_uri.take(),
            version: self.send_version.take(),
            headers: std::mem::take(&mut self.send_headers),
            body: self.send_body.take(),
            expects: std::mem::take(&mut self.expects),
            reconnect: self.cur_connect,
            connect_port: self.connect_port,
            connect_addr: self.connect_addr,
        };
        self.done.push(step);
        self.cur_send = false;
        self.cur_connect = false;
    }
}

#[derive(Debug, Clone, Default)]
pub(crate) struct OptionReq {
    pub method: Option<String>,
    pub uri: Option<String>,
    pub version: Option<String>,
    pub headers: Vec<(String, String)>,
    pub body: Option<String>,
}

impl ChkDraft {
    /// The model's check, or None for plain TCP checks.
    pub(crate) fn compose(&self) -> Option<HttpCheck> {
        if !self.done.is_empty() {
            return self.compose_sequence();
        }
        self.compose_single()
    }

    /// A sequence: the first step fills the check's own fields, the others
    /// become `more_steps`, each with the option's request as defaults.
    fn compose_sequence(&self) -> Option<HttpCheck> {
        let mut all = self.done.clone();
        let mut tail = self.clone();
        if tail.cur_send || !tail.expects.is_empty() {
            tail.rotate();
            all.extend(tail.done.drain(self.done.len()..));
        }
        let mut first = self.clone();
        first.done.clear();
        let head = all.first()?;
        first.send_method = head.method.clone();
        first.send_uri = head.uri.clone();
        first.send_version = head.version.clone();
        first.send_headers = head.headers.clone();
        first.send_body = head.body.clone();
        first.expects = head.expects.clone();
        first.connect_port = head.connect_port;
        first.connect_addr = head.connect_addr;
        let mut check = first.compose_single()?;
        let o = self.option.as_ref()?;
        check.more_steps = all[1..]
            .iter()
            .map(|st| HttpCheckStep {
                reconnect: st.reconnect,
                connect_port: st.connect_port,
                connect_addr: st.connect_addr,
                method: st
                    .method
                    .clone()
                    .or_else(|| o.method.clone())
                    .unwrap_or_else(|| "GET".into()),
                uri: st
                    .uri
                    .clone()
                    .or_else(|| o.uri.clone())
                    .unwrap_or_else(|| "/".into()),
                version: st
                    .version
                    .clone()
                    .or_else(|| o.version.clone())
                    .unwrap_or_else(|| "HTTP/1.0".into()),
                headers: st.headers.clone(),
                body: st.body.clone(),
                expects: st.expects.clone(),
            })
            .collect();
        Some(check)
    }

    fn compose_single(&self) -> Option<HttpCheck> {
        let o = self.option.as_ref()?;
        let d = HttpCheck::default();
        let mut headers = o.headers.clone();
        headers.extend(self.send_headers.iter().cloned());
        Some(HttpCheck {
            method: self
                .send_method
                .clone()
                .or_else(|| o.method.clone())
                .unwrap_or(d.method),
            uri: self
                .send_uri
                .clone()
                .or_else(|| o.uri.clone())
                .unwrap_or(d.uri),
            version: self
                .send_version
                .clone()
                .or_else(|| o.version.clone())
                .unwrap_or(d.version),
            headers,
            body: self.send_body.clone().or_else(|| o.body.clone()),
            expects: self.expects.clone(),
            disable_on_404: self.disable_on_404,
            send_state: self.send_state,
            connect_port: self.connect_port,
            connect_addr: self.connect_addr,
            more_steps: Vec::new(),
        })
    }
}

/// `option httpchk [<uri>] | [<meth> <uri> [<ver>]]`; the caller has checked
/// the backend capability.
pub(crate) fn option(l: &mut Loader<'_>, t: Target, args: &[String], negate: bool) -> Status {
    if negate {
        l.draft(t).httpchk.option = None;
        return Status::default();
    }
    let mut req = OptionReq::default();
    match args {
        [] => {}
        [uri] => req.uri = Some(uri.clone()),
        [meth, uri, rest @ ..] => {
            req.method = Some(meth.clone());
            req.uri = Some(uri.clone());
            if let Some(ver) = rest.first() {
                // The legacy trick: headers and a body hidden after the version.
                let (ver, body) = match ver.split_once("\r\n\r\n") {
                    Some((v, b)) => (v, Some(b)),
                    None => (ver.as_str(), None),
                };
                let mut lines = ver.split("\r\n");
                let v = lines.next().unwrap_or_default();
                req.version = Some(v.to_string());
                for line in lines {
                    if let Some((n, val)) = line.split_once(':') {
                        req.headers
                            .push((n.trim().to_ascii_lowercase(), val.trim().to_string()));
                    }
                }
                req.body = body.map(str::to_string);
                if body.is_some() || ver.contains("\r\n") {
                    let msg = format!(
                        "config : parsing [{}:{}]: 'option httpchk' : hiding headers or body at the end of the version string is deprecated. Please, consider to use 'http-check send' directive instead.",
                        l.file, l.line
                    );
                    l.diags.push(super::super::diag::Diagnostic::warning(msg));
                }
            }
        }
    }
    l.draft(t).httpchk.option = Some(req);
    Status::default()
}

/// `http-check <rule> ...`; the caller has checked the backend capability.
pub(crate) fn keyword(l: &mut Loader<'_>, t: Target, words: &[String]) -> Status {
    let Some(rule) = words.get(1).map(String::as_str) else {
        return unknown(l, "");
    };
    let args = &words[2..];
    let loc = l.loc();
    let res = {
        let d = &mut l.draft(t).httpchk;
        d.rules_at.get_or_insert(loc);
        match rule {
            "disable-on-404" => {
                d.disable_on_404 = true;
                Ok(())
            }
            "send-state" => {
                d.send_state = true;
                Ok(())
            }
            "comment" => Ok(()),
            "send" => {
                if d.cur_send && !d.expects.is_empty() {
                    d.rotate();
                }
                d.cur_send = true;
                parse_send(d, args)
            }
            "expect" => parse_expect(args).map(|e| d.expects.push(e)),
            "connect" => {
                if d.cur_send {
                    d.rotate();
                }
                d.cur_connect = true;
                parse_connect(d, args)
            }
            _ => return unknown(l, rule),
        }
    };
    match res {
        Ok(()) => Status::default(),
        Err(m) => l.alert(format_args!("'http-check {rule}' : {m}.")),
    }
}

fn unknown(l: &mut Loader<'_>, got: &str) -> Status {
    l.alert(format_args!(
        "'http-check' only supports 'disable-on-404', 'send-state', 'comment', 'connect', 'send', 'expect', 'set-var-fmt(*)', 'set-var(*)', 'unset-var(*)'. but got '{got}'"
    ))
}

fn value<'a>(args: &'a [String], k: usize, what: &str) -> Result<&'a String, String> {
    args.get(k + 1)
        .ok_or_else(|| format!("'{}' expects {what} as argument", args[k]))
}

fn parse_send(d: &mut ChkDraft, args: &[String]) -> Result<(), String> {
    let mut k = 0;
    while k < args.len() {
        match args[k].as_str() {
            "meth" => d.send_method = Some(value(args, k, "a string")?.clone()),
            "uri" => d.send_uri = Some(value(args, k, "a string")?.clone()),
            "ver" => d.send_version = Some(value(args, k, "a string")?.clone()),
            "body" => d.send_body = Some(value(args, k, "a string")?.clone()),
            "comment" => {
                value(args, k, "a string")?;
            }
            "hdr" => {
                let name = value(args, k, "<name> and <value>")?;
                let v = args
                    .get(k + 2)
                    .ok_or_else(|| "'hdr' expects <name> and <value> as arguments".to_string())?;
                d.send_headers.push((name.to_ascii_lowercase(), v.clone()));
                k += 1;
            }
            "uri-lf" | "body-lf" => {
                return Err(format!(
                    "'{}' is not supported yet by lbd (log-format)",
                    args[k]
                ))
            }
            o => {
                return Err(format!(
                    "expects 'comment', 'meth', 'uri', 'uri-lf', 'ver', 'hdr', 'body' or 'body-lf' but got '{o}' as argument"
                ))
            }
        }
        k += 2;
    }
    Ok(())
}

fn parse_connect(d: &mut ChkDraft, args: &[String]) -> Result<(), String> {
    let mut k = 0;
    while k < args.len() {
        match args[k].as_str() {
            "default" | "linger" => k += 1,
            "comment" => {
                value(args, k, "a string")?;
                k += 2;
            }
            "port" => {
                let v = value(args, k, "a port number or a sample expression")?;
                match units::parse_uint(v) {
                    Some(n) if (1..=65535).contains(&n) => d.connect_port = Some(n as u16),
                    _ => return Err(format!("invalid port '{v}'")),
                }
                k += 2;
            }
            "addr" => {
                let v = value(args, k, "an address")?;
                d.connect_addr = Some(
                    v.parse()
                        .map_err(|_| format!("'addr' : invalid address: '{v}'"))?,
                );
                k += 2;
            }
            o @ ("send-proxy" | "via-socks4" | "ssl" | "sni" | "alpn" | "proto") => {
                return Err(format!("'{o}' is not supported yet by lbd"))
            }
            o => {
                return Err(format!(
                    "expects 'comment', 'port', 'addr', 'send-proxy', 'via-socks4', 'ssl', 'sni', 'alpn', 'proto', 'linger' or 'default' but got '{o}' as argument"
                ))
            }
        }
    }
    Ok(())
}

/// `status` patterns: `200`, `200-299`, `200,302,400-499`.
pub(crate) fn parse_status_list(s: &str) -> Option<Vec<(u16, u16)>> {
    s.split(',')
        .map(|part| {
            let (a, b) = part.split_once('-').unwrap_or((part, part));
            let lo = a.trim().parse().ok()?;
            let hi = b.trim().parse().ok()?;
            (lo <= hi).then_some((lo, hi))
        })
        .collect()
}

fn parse_expect(args: &[String]) -> Result<HttpExpect, String> {
    let mut e = HttpExpect {
        negate: false,
        matcher: ExpectMatch::Status(Vec::new()),
        min_recv: None,
        ok_status: None,
        error_status: None,
        tout_status: None,
    };
    let mut k = 0;
    while k < args.len() {
        let a = args[k].as_str();
        match a {
            "!" => {
                e.negate = true;
                k += 1;
                continue;
            }
            "min-recv" => {
                let v = value(args, k, "an integer")?;
                e.min_recv = Some(units::atoi(v).max(0) as usize);
            }
            "comment" | "on-success" | "on-error" | "status-code" => {
                value(args, k, "a string")?;
            }
            "ok-status" | "error-status" | "tout-status" => {
                let v = value(args, k, "a string")?;
                let ok: &[&str] = match a {
                    "ok-status" => &["L7OK", "L7OKC", "L6OK", "L4OK"],
                    "error-status" => &["L7RSP", "L7STS", "L6RSP", "L4CON"],
                    _ => &["L7TOUT", "L6TOUT", "L4TOUT"],
                };
                if !ok.contains(&v.as_str()) {
                    return Err(format!(
                        "'{a}' only supports '{}' status (got '{v}')",
                        ok.join("', '")
                    ));
                }
                let slot = match a {
                    "ok-status" => &mut e.ok_status,
                    "error-status" => &mut e.error_status,
                    _ => &mut e.tout_status,
                };
                *slot = Some(v.clone());
            }
            "status" => {
                let v = value(args, k, "<pattern>")?;
                let list =
                    parse_status_list(v).ok_or_else(|| format!("invalid status code '{v}'"))?;
                e.matcher = ExpectMatch::Status(list);
                return finish(e, args, k + 2);
            }
            "string" => {
                e.matcher = ExpectMatch::String(value(args, k, "<pattern>")?.clone());
                return finish(e, args, k + 2);
            }
            "hdr" | "fhdr" => {
                let mut name = None;
                let mut val = None;
                let mut j = k + 1;
                while j < args.len() {
                    match args[j].as_str() {
                        "name" => name = args.get(j + 1).cloned(),
                        "value" => val = args.get(j + 1).cloned(),
                        o => return Err(format!("'{a}' : '{o}' is not supported yet by lbd")),
                    }
                    j += 2;
                }
                let name = name.ok_or_else(|| format!("'{a}' expects a 'name' argument"))?;
                e.matcher = ExpectMatch::Header {
                    name: name.to_ascii_lowercase(),
                    value: val,
                    full: a == "fhdr",
                };
                return Ok(e);
            }
            "rstatus" | "rstring" => {
                let pat = value(args, k, "<regex>")?.clone();
                if let Err(err) = regex::bytes::Regex::new(&pat) {
                    return Err(format!("'{a}' : invalid regex '{pat}': {err}"));
                }
                e.matcher = if a == "rstatus" {
                    ExpectMatch::RStatus(pat)
                } else {
                    ExpectMatch::RString(pat)
                };
                return finish(e, args, k + 2);
            }
            "string-lf" | "binary" | "rbinary" | "binary-lf" => {
                return Err(format!(
                    "'{a}' is not supported yet by lbd (regex and log-format matches come later)"
                ))
            }
            o => {
                return Err(format!(
                    "expects 'status', 'rstatus', 'string', 'rstring', 'hdr', 'fhdr', 'min-recv', 'comment', 'ok-status', 'error-status', 'tout-status', 'on-success', 'on-error' or 'status-code' but got '{o}' as argument"
                ))
            }
        }
        k += 2;
    }
    Err("expects a pattern".into())
}

fn finish(e: HttpExpect, args: &[String], next: usize) -> Result<HttpExpect, String> {
    match args.get(next) {
        Some(extra) => Err(format!("unexpected argument '{extra}'")),
        None => Ok(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &str) -> Vec<String> {
        s.split_whitespace().map(str::to_string).collect()
    }

    #[test]
    fn status_lists() {
        assert_eq!(parse_status_list("200"), Some(vec![(200, 200)]));
        assert_eq!(
            parse_status_list("200-299,404"),
            Some(vec![(200, 299), (404, 404)])
        );
        assert_eq!(parse_status_list("x"), None);
        assert_eq!(parse_status_list("300-200"), None);
    }

    #[test]
    fn expect_forms() {
        let e = parse_expect(&words("! status 200")).unwrap_or_else(|e| panic!("{e}"));
        assert!(e.negate);
        assert_eq!(e.matcher, ExpectMatch::Status(vec![(200, 200)]));
        let e = parse_expect(&words("min-recv 10 string up")).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(e.min_recv, Some(10));
        assert_eq!(e.matcher, ExpectMatch::String("up".into()));
        let e = parse_expect(&words("hdr name X-Ok value yes")).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            e.matcher,
            ExpectMatch::Header {
                name: "x-ok".into(),
                value: Some("yes".into()),
                full: false
            }
        );
        assert!(parse_expect(&words("rstatus ^2")).is_ok());
        assert!(parse_expect(&words("rstring (")).is_err());
        assert!(parse_expect(&words("status")).is_err());
    }

    #[test]
    fn send_overrides_option_in_any_order() {
        let mut d = ChkDraft::default();
        parse_send(&mut d, &words("meth GET hdr Host a.example")).unwrap_or_else(|e| panic!("{e}"));
        d.option = Some(OptionReq {
            method: Some("HEAD".into()),
            uri: Some("/y".into()),
            ..Default::default()
        });
        let c = d.compose().unwrap_or_else(|| panic!("no check"));
        assert_eq!(c.method, "GET");
        assert_eq!(c.uri, "/y");
        assert_eq!(c.version, "HTTP/1.0");
        assert_eq!(c.headers, vec![("host".into(), "a.example".into())]);
    }
}
