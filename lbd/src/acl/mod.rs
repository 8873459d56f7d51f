//! ACLs (spec 5.1-5.3): named tests over samples, and the `if`/`unless`
//! conditions built from them.
//!
//! An [`Acl`] is one or more terms (one per `acl` line with that name, ORed);
//! a term is a sample expression, a match method and its pattern lists. A
//! [`Condition`] is an OR of ANDs of possibly negated ACLs. Parsing happens
//! once at configuration time; evaluation borrows the session through
//! [`SampleCtx`] and does not lock.

mod cond;
mod predefined;

pub use cond::{parse_cond, Condition, Polarity};

use crate::pattern::{MatchMethod, Matcher, RefKind};
use crate::sample::{Expr, ParseEnv, Sample, SampleCtx, SampleRef, SampleType};
use std::collections::HashMap;
use std::sync::Arc;

/// Fetch-name suffixes that imply a match method (spec 5.2).
const SUFFIXES: &[(&str, MatchMethod)] = &[
    ("_beg", MatchMethod::Beg),
    ("_end", MatchMethod::End),
    ("_sub", MatchMethod::Sub),
    ("_dir", MatchMethod::Dir),
    ("_dom", MatchMethod::Dom),
    ("_reg", MatchMethod::Reg),
    ("_len", MatchMethod::Len),
    ("_str", MatchMethod::Str),
    ("_found", MatchMethod::Found),
];

/// One test: a sample expression compared with pattern lists.
#[derive(Debug, Clone)]
pub struct AclTerm {
    expr: Expr,
    method: MatchMethod,
    lists: Vec<Matcher>,
}

impl AclTerm {
    /// Parses `fetch[,conv...] [flags] [operator] [values...]`; `owner` names
    /// the ACL for the inline list's description.
    pub fn parse(words: &[String], owner: &str, env: &ParseEnv<'_>) -> Result<AclTerm, String> {
        let Some(first) = words.first() else {
            return Err("missing ACL expression".into());
        };
        let (expr, implied, kw) = parse_fetch(first, env)?;
        let mut method = implied;
        let mut icase = false;
        let mut files: Vec<(String, bool, bool)> = Vec::new();
        let mut unique_id = None;
        let mut no_dns = false;
        let mut i = 1;
        while let Some(w) = words.get(i) {
            if !w.starts_with('-') || w == "-" {
                break;
            }
            match w.as_str() {
                "-i" => icase = true,
                // lbd never resolves host names, so `-n` changes nothing.
                "-n" => no_dns = true,
                "-M" => {}
                "--" => {
                    i += 1;
                    break;
                }
                "-f" | "-m" | "-u" => {
                    let Some(arg) = words.get(i + 1) else {
                        return Err(match w.as_str() {
                            "-f" => "'-f' expects a file name".to_string(),
                            "-m" => "'-m' expects a match method".to_string(),
                            _ => "'-u' expects a unique id".to_string(),
                        });
                    };
                    match w.as_str() {
                        "-f" => files.push((arg.clone(), icase, words[1..i].iter().any(|x| x == "-M"))),
                        "-m" => {
                            if !files.is_empty() {
                                return Err("'-m' must only be specified before patterns and files in parsing ACL expression.".into());
                            }
                            method = Some(MatchMethod::parse(arg).ok_or_else(|| {
                                format!("unknown matching method '{arg}' when parsing ACL expression.")
                            })?);
                        }
                        _ => {
                            unique_id = Some(arg.parse::<i32>().map_err(|_| {
                                format!("the argument of -u must be an integer, got '{arg}'")
                            })?);
                        }
                    }
                    i += 1;
                }
                _ => {
                    return Err(format!(
                        "'{w}' is not a valid ACL option. Please use '--' before any pattern beginning with a '-'."
                    ))
                }
            }
            i += 1;
        }
        let method = match method {
            Some(m) => m,
            // Its ACL keyword parses dotted versions (`3.1`), as in 2.6.
            None if matches!(kw.as_str(), "req.ssl_ver" | "req_ssl_ver") && !expr.has_convs() => {
                MatchMethod::Ver
            }
            None => MatchMethod::default_for(expr.out_type()).ok_or_else(|| {
                format!("matching method must be specified first (using '-m') when using a sample fetch of this type ('{kw}').")
            })?,
        };
        // `method` compares without case (spec 5.2).
        let icase = icase || expr.out_type() == SampleType::Meth && !expr.has_convs();
        let mut values: Vec<String> = Vec::new();
        let mut op: Option<&str> = None;
        for w in &words[i..] {
            if matches!(
                method,
                MatchMethod::Int | MatchMethod::Len | MatchMethod::Ver
            ) && matches!(w.as_str(), "eq" | "ge" | "gt" | "le" | "lt")
            {
                op = Some(w.as_str());
                continue;
            }
            values.push(apply_op(op, w, method).map_err(|e| format!("{e}."))?);
        }
        if method == MatchMethod::Ip && !no_dns {
            // 2.6 resolves a host name here (at startup, once); lbd refuses
            // it rather than pin an address the DNS may change.
            if let Some(h) = values
                .iter()
                .find(|v| !crate::pattern::index::is_ip_pattern(v) && looks_like_host(v))
            {
                return Err(format!(
                    "'{h}' is not a valid IPv4 or IPv6 address (lbd does not resolve host names in ACL patterns; write the address instead)."
                ));
            }
        }
        let mut lists = Vec::new();
        let desc_loc = format!("file '{}' line {}", env.file, env.line);
        for (f, fic, as_map) in &files {
            let used_by = format!("acl at {desc_loc}");
            let r = if *as_map {
                env.registry
                    .acl_file_as_map(f, unique_id.take(), &used_by)?
            } else {
                env.registry
                    .file(f, RefKind::Acl, unique_id.take(), &used_by)?
            };
            let m = r
                .matcher(method, *fic || icase, None)
                .map_err(|(e, msg)| format!("{msg} at line {} of file '{f}'.", e.line))?;
            lists.push(m);
        }
        // HAProxy gives every term its own inline list, empty when the
        // patterns all come from files (`show acl` lists it).
        {
            let r = env
                .registry
                .inline(unique_id, format!("acl '{kw}' {desc_loc}"), &values)?;
            let m = r
                .matcher(method, icase, None)
                .map_err(|(_, msg)| format!("{msg}."))?;
            lists.push(m);
        }
        let _ = owner;
        Ok(AclTerm {
            expr,
            method,
            lists,
        })
    }

    /// Whether any value of the sample matches.
    pub fn eval(&self, cx: &mut dyn SampleCtx) -> bool {
        // Fetches that read the message in place are tested without a
        // copy per value.
        if !self.expr.has_convs() {
            if let Some(hit) = self.expr.fetch.test_borrowed(cx, &mut |v| self.test(v)) {
                return hit;
            }
        }
        self.expr
            .eval_each(cx, &mut |s: &Sample| self.test(SampleRef::Sample(s)))
    }

    fn test(&self, v: SampleRef<'_>) -> bool {
        match self.method {
            MatchMethod::Found => true,
            MatchMethod::Bool => v.to_bool().unwrap_or(false),
            _ => self.lists.iter().any(|m| m.matches_ref(v)),
        }
    }

    pub fn expr(&self) -> &Expr {
        &self.expr
    }
}

/// A DNS name rather than a malformed address: letters somewhere, and only
/// the characters of host names.
fn looks_like_host(v: &str) -> bool {
    v.bytes().any(|c| c.is_ascii_alphabetic())
        && v.bytes()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'-'))
}

/// Turns an operator and a value into a range pattern (`gt 5` is `6:`), as
/// 2.6's compatibility layer does: values holding `:` or `-` are ranges
/// already and pass unchanged, as does everything under `eq`.
fn apply_op(op: Option<&str>, v: &str, method: MatchMethod) -> Result<String, String> {
    let Some(op) = op.filter(|o| *o != "eq") else {
        return Ok(v.to_string());
    };
    if v.contains([':', '-']) {
        return Ok(v.to_string());
    }
    let bad = || format!("'{v}' is neither a number nor a supported operator");
    let strict = |t: &str| -> Option<i64> {
        (!t.is_empty() && t.bytes().all(|c| c.is_ascii_digit()))
            .then(|| t.parse().ok())
            .flatten()
    };
    let ver = method == MatchMethod::Ver;
    let (major, minor) = match v.split_once('.') {
        Some((a, b)) if ver => (a, Some(b)),
        _ => (v, None),
    };
    let mut n = strict(major).ok_or_else(bad)?;
    if ver {
        let minor = match minor {
            Some(m) => strict(m).ok_or_else(bad)?,
            None => 0,
        };
        if minor >= 65536 {
            return Err(format!("'{v}' contains too large a minor value"));
        }
        if n >= 65536 {
            return Err(format!("'{v}' contains too large a major value"));
        }
        n = (n << 16) | minor;
    }
    let n = match op {
        "gt" => n.saturating_add(1),
        "lt" => n.saturating_sub(1),
        _ => n,
    };
    let text = if ver {
        format!("{}.{}", n >> 16, n & 0xffff)
    } else {
        n.to_string()
    };
    Ok(match op {
        "ge" | "gt" => format!("{text}:"),
        _ => format!(":{text}"),
    })
}

/// Parses the expression word, resolving suffixed names (`path_beg`) into
/// the base fetch and its implied method. Returns the keyword as written
/// (without arguments) for messages.
fn parse_fetch(
    word: &str,
    env: &ParseEnv<'_>,
) -> Result<(Expr, Option<MatchMethod>, String), String> {
    let name_end = word.find(['(', ',']).unwrap_or(word.len());
    let name = &word[..name_end];
    match Expr::parse(word, env) {
        Ok(e) => return Ok((e, None, name.to_string())),
        Err(e) if crate::sample::fetch::is_known(name) => return Err(e),
        Err(_) => {}
    }
    for (suf, m) in SUFFIXES {
        if let Some(base) = name.strip_suffix(suf) {
            if crate::sample::fetch::is_known(base) {
                let text = format!("{base}{}", &word[name_end..]);
                let e = Expr::parse(&text, env)?;
                return Ok((e, Some(*m), name.to_string()));
            }
        }
    }
    Err(format!(
        "unknown fetch method '{name}' in ACL expression '{name}'."
    ))
}

/// An ACL: every `acl` line with that name, ORed.
#[derive(Debug, Clone)]
pub struct Acl {
    pub name: String,
    terms: Vec<AclTerm>,
}

impl Acl {
    pub fn eval(&self, cx: &mut dyn SampleCtx) -> bool {
        self.terms.iter().any(|t| t.eval(cx))
    }

    pub fn terms(&self) -> &[AclTerm] {
        &self.terms
    }
}

/// The ACLs of one proxy, by name.
#[derive(Debug, Clone, Default)]
pub struct AclSet {
    by_name: HashMap<String, Arc<Acl>>,
}

/// Characters allowed in an ACL name (spec 5.1).
pub fn valid_name(n: &str) -> Result<(), char> {
    match n
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':')))
    {
        Some(c) => Err(c),
        None => Ok(()),
    }
}

impl AclSet {
    pub fn new() -> AclSet {
        AclSet::default()
    }

    /// `acl <name> <expr> [flags] [values]`: `words` starts at the name.
    pub fn add(&mut self, words: &[String], env: &ParseEnv<'_>) -> Result<(), String> {
        let Some(name) = words.first() else {
            return Err("missing ACL name.".into());
        };
        if let Err(c) = valid_name(name) {
            return Err(format!(
                "character '{c}' is not permitted in acl name '{name}'."
            ));
        }
        if words.len() < 2 {
            return Err(format!("error detected while parsing ACL '{name}' : missing fetch method in ACL expression ''."));
        }
        let term = AclTerm::parse(&words[1..], name, env)
            .map_err(|e| format!("error detected while parsing ACL '{name}' : {e}"))?;
        let acl = self.by_name.entry(name.clone()).or_insert_with(|| {
            Arc::new(Acl {
                name: name.clone(),
                terms: Vec::new(),
            })
        });
        Arc::make_mut(acl).terms.push(term);
        Ok(())
    }

    /// Compiles a proxy's `acl` lines into `registry` (the runtime's); the
    /// error carries the failing line's location.
    pub fn from_decls(
        decls: &[crate::config::model::AclDecl],
        registry: &crate::pattern::PatternRegistry,
    ) -> Result<AclSet, (crate::config::model::Location, String)> {
        let mut set = AclSet::new();
        for d in decls {
            let env = ParseEnv {
                registry,
                file: &d.location.file,
                line: d.location.line,
            };
            let mut words = Vec::with_capacity(d.args.len() + 1);
            words.push(d.name.clone());
            words.extend(d.args.iter().cloned());
            set.add(&words, &env).map_err(|e| (d.location.clone(), e))?;
        }
        Ok(set)
    }

    /// The ACL of that name: declared here, else predefined.
    pub fn get(&self, name: &str, env: &ParseEnv<'_>) -> Option<Arc<Acl>> {
        if let Some(a) = self.by_name.get(name) {
            return Some(Arc::clone(a));
        }
        predefined::build(name, env).map(Arc::new)
    }

    pub fn len(&self) -> usize {
        self.by_name.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_name.is_empty()
    }
}

#[cfg(test)]
mod tests;
