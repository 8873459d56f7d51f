//! Compiled rules: what the model's rule text becomes once, at load time
//! (log-format values, regexes, conditions), and the checks the parser
//! runs to report errors at the right line.
//!
//! Execution lives with the sessions; this module only compiles.

use crate::acl::{AclSet, Condition, Polarity};
use crate::config::model::{
    HeaderAction, HttpRequestAction, HttpResponseAction, Proxy, Redirect, RedirectKind, ReturnBody,
    ReturnSpec, RuleCond, TcpAction, TcpPhase, TrackAction, VarAction,
};
use crate::pattern::PatternRegistry;
use crate::sample::ParseEnv;

/// One piece of a compiled log-format value (`X-Host %[req.hdr(host)]`).
#[derive(Debug, Clone)]
pub enum Piece {
    Text(Box<[u8]>),
    /// `%[expr]`.
    Expr(crate::sample::Expr),
    /// `%ci`, `%cp`, `%fi`, `%fp`, `%f`, `%b`, `%s`, `%H`.
    Var(FmtVar),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FmtVar {
    ClientIp,
    ClientPort,
    FrontendIp,
    FrontendPort,
    Frontend,
    Backend,
    Server,
    Hostname,
}

/// A compiled log-format string used as a value.
#[derive(Debug, Clone, Default)]
pub struct Fmt {
    pub pieces: Vec<Piece>,
}

impl Fmt {
    /// Parses a log-format value. Spaces are literal (they only separate
    /// fields in log lines); `%%` is a percent sign.
    pub fn parse(s: &str, env: &ParseEnv<'_>) -> Result<Fmt, String> {
        let b = s.as_bytes();
        let mut pieces = Vec::new();
        let mut text = Vec::new();
        let mut i = 0;
        while i < b.len() {
            if b[i] != b'%' {
                text.push(b[i]);
                i += 1;
                continue;
            }
            i += 1;
            // `%{+Q}` style flags are accepted and ignored for values.
            if b.get(i) == Some(&b'{') {
                match s[i..].find('}') {
                    Some(e) => i += e + 1,
                    None => return Err(format!("truncated line after '{}'", &s[i..])),
                }
            }
            match b.get(i) {
                None => return Err("truncated line after '%'".into()),
                Some(b'%') => {
                    text.push(b'%');
                    i += 1;
                }
                Some(b'[') => {
                    let body = &s[i + 1..];
                    let Some(end) = body.find(']') else {
                        return Err(format!("missing ']' after '{body}'"));
                    };
                    let expr = &body[..end];
                    let e = compile_expr(expr, env)
                        .map_err(|e| format!("failed to parse sample expression <{expr}> : {e}"))?;
                    if !text.is_empty() {
                        pieces.push(Piece::Text(std::mem::take(&mut text).into()));
                    }
                    pieces.push(Piece::Expr(e));
                    i += end + 2;
                }
                Some(_) => {
                    let start = i;
                    while i < b.len() && b[i].is_ascii_alphanumeric() {
                        i += 1;
                    }
                    let name = &s[start..i];
                    let v = match name {
                        "ci" => FmtVar::ClientIp,
                        "cp" => FmtVar::ClientPort,
                        "fi" => FmtVar::FrontendIp,
                        "fp" => FmtVar::FrontendPort,
                        "f" | "ft" => FmtVar::Frontend,
                        "b" => FmtVar::Backend,
                        "s" => FmtVar::Server,
                        "H" => FmtVar::Hostname,
                        "" => {
                            return Err(format!("unexpected variable name near '{}'", &s[start..]))
                        }
                        o => {
                            return Err(format!(
                                "format variable '{o}' is not supported yet by lbd in rule values"
                            ))
                        }
                    };
                    if !text.is_empty() {
                        pieces.push(Piece::Text(std::mem::take(&mut text).into()));
                    }
                    pieces.push(Piece::Var(v));
                }
            }
        }
        if !text.is_empty() {
            pieces.push(Piece::Text(text.into()));
        }
        Ok(Fmt { pieces })
    }

    /// A value with no `%` part: known at load time.
    pub fn literal(&self) -> Option<&[u8]> {
        match self.pieces.as_slice() {
            [] => Some(b""),
            [Piece::Text(t)] => Some(t),
            _ => None,
        }
    }
}

/// Compiles one sample expression.
pub fn compile_expr(e: &str, env: &ParseEnv<'_>) -> Result<crate::sample::Expr, String> {
    crate::sample::Expr::parse(e, env)
}

/// Runs `f` with a throwaway pattern registry, for load-time checks.
fn with_env<T>(f: impl FnOnce(&ParseEnv<'_>) -> T) -> T {
    let registry = PatternRegistry::new();
    f(&ParseEnv {
        registry: &registry,
        file: "",
        line: 0,
    })
}

pub fn check_expr(e: &str) -> Result<(), String> {
    with_env(|env| compile_expr(e, env).map(|_| ()))
}

pub fn check_fmt(f: &str) -> Result<(), String> {
    with_env(|env| Fmt::parse(f, env).map(|_| ()))
}

/// Compiles a PCRE-style regex as `replace-*` actions use it.
pub fn compile_regex(re: &str) -> Result<regex::bytes::Regex, String> {
    regex::bytes::Regex::new(re).map_err(|e| format!("'{re}' : regex compile error: {e}"))
}

pub fn check_regex(re: &str) -> Result<(), String> {
    compile_regex(re).map(|_| ())
}

/// `scope.name` of a variable action.
pub fn check_var(v: &str) -> Result<(), String> {
    let ok = v.split_once('.').is_some_and(|(s, n)| {
        !n.is_empty() && matches!(s, "proc" | "sess" | "txn" | "req" | "res")
    });
    if ok {
        Ok(())
    } else {
        Err(format!(
            "invalid variable '{v}'. Expects a scope among 'proc', 'sess', 'txn', 'req', 'res' followed by a name"
        ))
    }
}

/// Compiles a rule condition against `proxy`'s ACLs, for its errors.
pub fn check_cond(c: &RuleCond, proxy: &Proxy) -> Result<(), String> {
    with_env(|env| {
        let acls = AclSet::from_decls(&proxy.acls, env.registry).map_err(|(_, e)| e)?;
        Cond::compile(c, &acls, env).map(|_| ())
    })
}

/// A compiled condition (`if|unless <cond>`).
#[derive(Debug, Clone)]
pub struct Cond(pub Condition);

impl Cond {
    pub fn compile(c: &RuleCond, acls: &AclSet, env: &ParseEnv<'_>) -> Result<Cond, String> {
        // `!{ ... }` negates an anonymous ACL: one word for us, two for
        // the condition parser.
        let words: Vec<String> = c
            .words
            .iter()
            .flat_map(|w| match w.strip_prefix('!') {
                Some("{") => vec!["!".to_string(), "{".to_string()],
                _ => vec![w.clone()],
            })
            .collect();
        let mut cond = Condition::parse(&words, acls, env)?;
        cond.polarity = if c.unless {
            Polarity::Unless
        } else {
            Polarity::If
        };
        Ok(Cond(cond))
    }

    pub fn holds(&self, cx: &mut dyn crate::sample::SampleCtx) -> bool {
        self.0.eval(cx)
    }
}

/// What an action needs compiled beside its model form.
#[derive(Debug, Clone, Default)]
pub struct Compiled {
    pub fmt: Option<Fmt>,
    pub regex: Option<regex::bytes::Regex>,
    pub expr: Option<crate::sample::Expr>,
}

/// A rule: its model action, its condition and its compiled parts.
#[derive(Debug, Clone)]
pub struct Rule<A> {
    pub action: A,
    pub cond: Option<Cond>,
    pub c: Compiled,
}

/// Every rule of one proxy, compiled.
#[derive(Debug, Default)]
pub struct ProxyRules {
    pub http_request: Vec<Rule<HttpRequestAction>>,
    pub redirects: Vec<Rule<Redirect>>,
    pub http_response: Vec<Rule<HttpResponseAction>>,
    pub http_after: Vec<Rule<HttpResponseAction>>,
    pub tcp_request: Vec<(TcpPhase, Rule<TcpAction>)>,
    /// `tcp-response content` rules (backends).
    pub tcp_response: Vec<Rule<TcpAction>>,
    /// `use_backend`: a static name or a format (in `c.fmt`).
    pub use_backends: Vec<Rule<String>>,
    pub use_servers: Vec<Rule<String>>,
    /// `force-persist` (true) and `ignore-persist` (false), in order.
    pub persist: Vec<Rule<bool>>,
    /// `stick on|match|store-request|store-response`, key in `c.expr`.
    pub sticks: Vec<Rule<crate::stick::StickRule>>,
    /// `stats admin if|unless <cond>`: any that holds grants the admin form.
    pub stats_admin: Vec<Cond>,
}

/// What compiling one proxy's rules needs.
struct Cx<'a> {
    acls: AclSet,
    env: ParseEnv<'a>,
}

impl Cx<'_> {
    fn cond(&self, c: &Option<RuleCond>) -> Result<Option<Cond>, String> {
        c.as_ref()
            .map(|c| Cond::compile(c, &self.acls, &self.env))
            .transpose()
    }

    fn fmt(&self, s: &str) -> Result<Option<Fmt>, String> {
        Fmt::parse(s, &self.env).map(Some)
    }

    fn expr(&self, s: &str) -> Result<Option<crate::sample::Expr>, String> {
        compile_expr(s, &self.env).map(Some)
    }
}

fn header_parts(x: &Cx<'_>, h: &HeaderAction) -> Result<Compiled, String> {
    Ok(match h {
        HeaderAction::Set { fmt: f, .. } | HeaderAction::Add { fmt: f, .. } => Compiled {
            fmt: x.fmt(f)?,
            ..Compiled::default()
        },
        HeaderAction::Del { .. } => Compiled::default(),
        HeaderAction::Replace { regex, fmt: f, .. }
        | HeaderAction::ReplaceValue { regex, fmt: f, .. } => Compiled {
            fmt: x.fmt(f)?,
            regex: Some(compile_regex(regex)?),
            expr: None,
        },
    })
}

fn var_parts(x: &Cx<'_>, v: &VarAction) -> Result<Compiled, String> {
    Ok(match v {
        VarAction::Set { expr, .. } => Compiled {
            expr: x.expr(expr)?,
            ..Compiled::default()
        },
        VarAction::SetFmt { fmt: f, .. } => Compiled {
            fmt: x.fmt(f)?,
            ..Compiled::default()
        },
        VarAction::Unset { .. } => Compiled::default(),
    })
}

fn track_parts(x: &Cx<'_>, t: &TrackAction) -> Result<Compiled, String> {
    Ok(match t {
        TrackAction::Track { key, .. } => Compiled {
            expr: x.expr(key)?,
            ..Compiled::default()
        },
        TrackAction::IncGpc { .. } => Compiled::default(),
    })
}

fn return_parts(x: &Cx<'_>, r: &ReturnSpec) -> Result<Compiled, String> {
    Ok(match &r.body {
        ReturnBody::Format(f) => Compiled {
            fmt: x.fmt(f)?,
            ..Compiled::default()
        },
        _ => Compiled::default(),
    })
}

fn redirect_parts(x: &Cx<'_>, r: &Redirect) -> Result<Compiled, String> {
    let self_prefix = r.kind == RedirectKind::Prefix && r.target == "/";
    Ok(if r.literal || self_prefix {
        Compiled::default()
    } else {
        Compiled {
            fmt: x.fmt(&r.target)?,
            ..Compiled::default()
        }
    })
}

impl ProxyRules {
    /// Compiles `p`'s rules; pattern files and maps go to `registry`.
    pub fn compile(p: &Proxy, registry: &PatternRegistry) -> Result<ProxyRules, String> {
        let acls = AclSet::from_decls(&p.acls, registry)
            .map_err(|(l, e)| format!("parsing [{}:{}] : {e}", l.file, l.line))?;
        let x = Cx {
            acls,
            env: ParseEnv {
                registry,
                file: &p.location.file,
                line: p.location.line,
            },
        };
        let mut out = ProxyRules::default();
        for r in &p.http_request {
            let c = match &r.action {
                HttpRequestAction::Deny(s)
                | HttpRequestAction::Tarpit(s)
                | HttpRequestAction::Return(s) => return_parts(&x, s)?,
                HttpRequestAction::Redirect(rd) => redirect_parts(&x, rd)?,
                HttpRequestAction::Header(h) => header_parts(&x, h)?,
                HttpRequestAction::SetLine { fmt: f, .. } => Compiled {
                    fmt: x.fmt(f)?,
                    ..Compiled::default()
                },
                HttpRequestAction::ReplaceLine { regex, fmt: f, .. } => Compiled {
                    fmt: x.fmt(f)?,
                    regex: Some(compile_regex(regex)?),
                    expr: None,
                },
                HttpRequestAction::Var(v) => var_parts(&x, v)?,
                HttpRequestAction::Capture { expr, .. }
                | HttpRequestAction::CaptureId { expr, .. } => Compiled {
                    expr: x.expr(expr)?,
                    ..Compiled::default()
                },
                HttpRequestAction::Track(t) => track_parts(&x, t)?,
                _ => Compiled::default(),
            };
            out.http_request.push(Rule {
                action: r.action.clone(),
                cond: x.cond(&r.cond)?,
                c,
            });
        }
        for r in &p.redirects {
            out.redirects.push(Rule {
                action: r.redirect.clone(),
                cond: x.cond(&r.cond)?,
                c: redirect_parts(&x, &r.redirect)?,
            });
        }
        for (src, dst) in [
            (&p.http_response, &mut out.http_response),
            (&p.http_after_response, &mut out.http_after),
        ] {
            for r in src {
                let c = match &r.action {
                    HttpResponseAction::Deny(s) | HttpResponseAction::Return(s) => {
                        return_parts(&x, s)?
                    }
                    HttpResponseAction::Redirect(rd) => redirect_parts(&x, rd)?,
                    HttpResponseAction::Header(h) => header_parts(&x, h)?,
                    HttpResponseAction::Var(v) => var_parts(&x, v)?,
                    HttpResponseAction::Capture { expr, .. } => Compiled {
                        expr: x.expr(expr)?,
                        ..Compiled::default()
                    },
                    HttpResponseAction::Track(t) => track_parts(&x, t)?,
                    _ => Compiled::default(),
                };
                dst.push(Rule {
                    action: r.action.clone(),
                    cond: x.cond(&r.cond)?,
                    c,
                });
            }
        }
        for r in p.tcp_request.iter().chain(&p.tcp_response) {
            let c = match &r.action {
                TcpAction::Track(t) => track_parts(&x, t)?,
                TcpAction::Var(v) => var_parts(&x, v)?,
                TcpAction::Capture { expr, .. } => Compiled {
                    expr: x.expr(expr)?,
                    ..Compiled::default()
                },
                _ => Compiled::default(),
            };
            let rule = Rule {
                action: r.action.clone(),
                cond: x.cond(&r.cond)?,
                c,
            };
            if out.tcp_request.len() < p.tcp_request.len() {
                out.tcp_request.push((r.phase, rule));
            } else {
                out.tcp_response.push(rule);
            }
        }
        for u in &p.use_backends {
            out.use_backends.push(Rule {
                action: u.backend.clone(),
                cond: x.cond(&u.cond)?,
                c: Compiled {
                    fmt: if u.dynamic { x.fmt(&u.backend)? } else { None },
                    ..Compiled::default()
                },
            });
        }
        for u in &p.use_servers {
            out.use_servers.push(Rule {
                action: u.server.clone(),
                cond: x.cond(&u.cond)?,
                c: Compiled::default(),
            });
        }
        for c in p.stats.iter().flat_map(|s| &s.admin) {
            out.stats_admin.push(Cond::compile(c, &x.acls, &x.env)?);
        }
        for (force, rules) in [(true, &p.force_persist), (false, &p.ignore_persist)] {
            for r in rules {
                out.persist.push(Rule {
                    action: force,
                    cond: Some(Cond::compile(&r.cond, &x.acls, &x.env)?),
                    c: Compiled::default(),
                });
            }
        }
        // 2.6 keeps both kinds in one list in declaration order: the first
        // match wins, whichever kind it is.
        if !p.force_persist.is_empty() && !p.ignore_persist.is_empty() {
            let mut lines: Vec<(usize, Rule<bool>)> = Vec::new();
            let (mut fi, mut ii) = (0, 0);
            for r in std::mem::take(&mut out.persist) {
                let l = if r.action {
                    fi += 1;
                    p.force_persist[fi - 1].location.line
                } else {
                    ii += 1;
                    p.ignore_persist[ii - 1].location.line
                };
                lines.push((l, r));
            }
            lines.sort_by_key(|(l, _)| *l);
            out.persist = lines.into_iter().map(|(_, r)| r).collect();
        }
        for r in &p.stick_rules {
            let cond = match &r.cond {
                Some(words) => {
                    let unless = words.first().is_some_and(|w| w == "unless");
                    let rc = RuleCond {
                        unless,
                        words: words.get(1..).unwrap_or_default().to_vec(),
                    };
                    Some(Cond::compile(&rc, &x.acls, &x.env)?)
                }
                None => None,
            };
            out.sticks.push(Rule {
                action: r.clone(),
                cond,
                c: Compiled {
                    expr: x.expr(&r.expr)?,
                    ..Compiled::default()
                },
            });
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_split_into_text_vars_and_exprs() {
        with_env(|env| {
            let f = Fmt::parse("a %ci-%[req.hdr(host)] 100%%", env).unwrap();
            assert_eq!(f.pieces.len(), 5);
            let plain = Fmt::parse("plain", env).unwrap();
            assert_eq!(plain.literal(), Some(b"plain".as_slice()));
            assert!(Fmt::parse("%[nope(", env).is_err());
            assert!(Fmt::parse("%Zz", env).is_err());
        });
    }

    #[test]
    fn backrefs_expand() {
        let re = compile_regex("^/api/(.*)$").unwrap();
        let out = crate::http::rewrite::replace_whole(&re, b"/v2/\\1", b"/api/users");
        assert_eq!(out.as_deref(), Some(&b"/v2/users"[..]));
    }
}
