//! `if`/`unless` conditions: an OR of ANDs of (possibly negated) ACLs.

use super::{Acl, AclSet, AclTerm};
use crate::sample::{ParseEnv, SampleCtx};
use std::sync::Arc;

/// Whether the condition was written with `if` or `unless`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Polarity {
    If,
    Unless,
}

/// A parsed condition, ready to evaluate.
#[derive(Debug, Clone)]
pub struct Condition {
    pub polarity: Polarity,
    /// Alternatives (ORed), each a list of ANDed (negated?, ACL).
    alts: Vec<Vec<(bool, Arc<Acl>)>>,
}

impl Condition {
    /// Parses the words after `if`/`unless` (taken as `if`).
    pub fn parse(words: &[String], acls: &AclSet, env: &ParseEnv<'_>) -> Result<Condition, String> {
        let mut alts = vec![Vec::new()];
        let mut neg = false;
        let mut i = 0;
        let mut anon = 0;
        while i < words.len() {
            let w = words[i].as_str();
            match w {
                "!" => {
                    neg = !neg;
                    i += 1;
                    continue;
                }
                "or" | "||" => {
                    if alts.last().is_some_and(Vec::is_empty) {
                        return Err(format!("missing ACL before '{w}'"));
                    }
                    alts.push(Vec::new());
                    i += 1;
                    continue;
                }
                "{" => {
                    let Some(end) = words[i + 1..].iter().position(|x| x == "}") else {
                        return Err("missing closing '}' in condition.".into());
                    };
                    let inner = &words[i + 1..i + 1 + end];
                    if inner.is_empty() {
                        return Err("anonymous ACL has no expression".into());
                    }
                    anon += 1;
                    let name = format!("anonymous{anon}");
                    let term = AclTerm::parse(inner, &name, env)
                        .map_err(|e| format!("error detected while parsing anonymous ACL : {e}"))?;
                    let acl = Acl {
                        name,
                        terms: vec![term],
                    };
                    if let Some(last) = alts.last_mut() {
                        last.push((neg, Arc::new(acl)));
                    }
                    i += end + 2;
                }
                _ => {
                    let (name, extra_neg) = match w.strip_prefix('!') {
                        Some(n) => (n, true),
                        None => (w, false),
                    };
                    let acl = acls
                        .get(name, env)
                        .ok_or_else(|| format!("no such ACL : '{name}'."))?;
                    if let Some(last) = alts.last_mut() {
                        last.push((neg ^ extra_neg, acl));
                    }
                    i += 1;
                }
            }
            neg = false;
        }
        if alts.iter().any(Vec::is_empty) {
            return Err("missing ACL after 'or'".into());
        }
        Ok(Condition {
            polarity: Polarity::If,
            alts,
        })
    }

    /// The condition's verdict, `unless` applied.
    pub fn eval(&self, cx: &mut dyn SampleCtx) -> bool {
        let v = self
            .alts
            .iter()
            .any(|and| and.iter().all(|(neg, acl)| acl.eval(cx) != *neg));
        match self.polarity {
            Polarity::If => v,
            Polarity::Unless => !v,
        }
    }

    /// A condition that always holds (for rules without one).
    pub fn always() -> Condition {
        Condition {
            polarity: Polarity::If,
            alts: vec![Vec::new()],
        }
    }
}

/// Parses an optional `if <cond>` / `unless <cond>` tail of a rule: `words`
/// starts at the keyword. Returns None when `words` is empty; an error when
/// the first word is neither keyword or nothing follows it.
pub fn parse_cond(
    words: &[String],
    acls: &AclSet,
    env: &ParseEnv<'_>,
) -> Result<Option<Condition>, String> {
    let Some(kw) = words.first() else {
        return Ok(None);
    };
    let polarity = match kw.as_str() {
        "if" => Polarity::If,
        "unless" => Polarity::Unless,
        other => {
            return Err(format!(
                "expects 'if' or 'unless' followed by a condition but found '{other}'."
            ))
        }
    };
    if words.len() < 2 {
        return Err(format!("missing condition after '{kw}'"));
    }
    let mut c = Condition::parse(&words[1..], acls, env)?;
    c.polarity = polarity;
    Ok(Some(c))
}
