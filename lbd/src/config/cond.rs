//! `.if` condition expressions (spec 2.2): a tiny recursive-descent
//! evaluator over integers, predicates, `!`, `&&`, `||` and parentheses.
//!
//! It evaluates a condition to a boolean and nothing more; block nesting is
//! the loader's business.

use super::tokenizer::EnvSource;

/// The HAProxy version lbd claims to be compatible with (`version_atleast`).
pub const LBD_VERSION_COMPAT: &str = "2.6.12";

/// lbd's build features, as `-vv` lists them with a `+` (`feature()`).
pub const FEATURES: &[&str] = &[
    "EPOLL",
    "LINUX_SPLICE",
    "LIBCRYPT",
    "GETADDRINFO",
    "OPENSSL",
    "PROMEX",
    "ACCEPT4",
    "THREAD",
];

/// A condition error: HAProxy's message and the byte offset it points at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CondError {
    pub msg: String,
    pub pos: usize,
}

struct P<'a> {
    s: &'a [u8],
    i: usize,
    env: &'a dyn EnvSource,
}

/// Evaluates `expr` (the words after `.if`, joined by single spaces).
pub fn eval(expr: &str, env: &dyn EnvSource) -> Result<bool, CondError> {
    let mut p = P {
        s: expr.as_bytes(),
        i: 0,
        env,
    };
    p.skip();
    if p.i >= p.s.len() {
        return Err(p.err("missing expression"));
    }
    let v = p.or_expr()?;
    p.skip();
    if p.i < p.s.len() {
        return Err(p.err("unparsable conditional expression"));
    }
    Ok(v)
}

impl P<'_> {
    fn err(&self, m: &str) -> CondError {
        CondError {
            msg: m.to_string(),
            pos: self.i,
        }
    }

    fn skip(&mut self) {
        while self.i < self.s.len() && (self.s[self.i] == b' ' || self.s[self.i] == b'\t') {
            self.i += 1;
        }
    }

    fn eat(&mut self, tok: &str) -> bool {
        self.skip();
        if self.s[self.i..].starts_with(tok.as_bytes()) {
            self.i += tok.len();
            true
        } else {
            false
        }
    }

    fn or_expr(&mut self) -> Result<bool, CondError> {
        let mut v = self.and_expr()?;
        while self.eat("||") {
            let r = self.and_expr()?;
            v = v || r;
        }
        Ok(v)
    }

    fn and_expr(&mut self) -> Result<bool, CondError> {
        let mut v = self.term()?;
        while self.eat("&&") {
            let r = self.term()?;
            v = v && r;
        }
        Ok(v)
    }

    fn term(&mut self) -> Result<bool, CondError> {
        self.skip();
        if self.eat("!") {
            return Ok(!self.term()?);
        }
        if self.eat("(") {
            let v = self.or_expr()?;
            if !self.eat(")") {
                return Err(self.err("expected ')'"));
            }
            return Ok(v);
        }
        let start = self.i;
        while self.i < self.s.len()
            && (self.s[self.i].is_ascii_alphanumeric()
                || matches!(self.s[self.i], b'_' | b'-' | b'+'))
        {
            self.i += 1;
        }
        let word = String::from_utf8_lossy(&self.s[start..self.i]).into_owned();
        if word.is_empty() {
            return Err(self.err("unparsable conditional expression"));
        }
        if self.i < self.s.len() && self.s[self.i] == b'(' {
            self.i += 1;
            let args = self.args()?;
            return self.predicate(&word, &args, start);
        }
        match word.parse::<i64>() {
            Ok(n) => Ok(n != 0),
            Err(_) => Err(CondError {
                msg: "unparsable conditional expression".into(),
                pos: start,
            }),
        }
    }

    /// Reads comma-separated arguments up to the closing parenthesis.
    fn args(&mut self) -> Result<Vec<String>, CondError> {
        let mut args = Vec::new();
        let mut cur = Vec::new();
        let mut q: Option<u8> = None;
        loop {
            let Some(&c) = self.s.get(self.i) else {
                return Err(self.err("missing closing ')'"));
            };
            self.i += 1;
            match (q, c) {
                (Some(qc), _) if c == qc => q = None,
                (Some(_), _) => cur.push(c),
                (None, b'"' | b'\'') => q = Some(c),
                (None, b',') => args.push(
                    String::from_utf8_lossy(&std::mem::take(&mut cur))
                        .trim()
                        .to_string(),
                ),
                (None, b')') => {
                    args.push(String::from_utf8_lossy(&cur).trim().to_string());
                    return Ok(args);
                }
                (None, _) => cur.push(c),
            }
        }
    }

    fn predicate(&self, name: &str, args: &[String], pos: usize) -> Result<bool, CondError> {
        let want = |n: usize| -> Result<(), CondError> {
            if args.len() == n && args.iter().all(|a| !a.is_empty()) || (n == 2 && args.len() == 2)
            {
                Ok(())
            } else {
                Err(CondError {
                    msg: format!("failed to parse arguments for predicate '{name}'"),
                    pos,
                })
            }
        };
        match name {
            "defined" => {
                want(1)?;
                Ok(self.env.get(&args[0]).is_some())
            }
            "feature" => {
                want(1)?;
                Ok(FEATURES.contains(&args[0].as_str()))
            }
            "streq" => {
                want(2)?;
                Ok(args[0] == args[1])
            }
            "strneq" => {
                want(2)?;
                Ok(args[0] != args[1])
            }
            "version_atleast" => {
                want(1)?;
                Ok(compare_version(LBD_VERSION_COMPAT, &args[0]) >= std::cmp::Ordering::Equal)
            }
            "version_before" => {
                want(1)?;
                Ok(compare_version(LBD_VERSION_COMPAT, &args[0]) == std::cmp::Ordering::Less)
            }
            _ => Err(CondError {
                msg: format!("unknown predicate '{name}'"),
                pos,
            }),
        }
    }
}

/// Compares dotted versions numerically; missing components count as 0.
fn compare_version(a: &str, b: &str) -> std::cmp::Ordering {
    let parts = |s: &str| -> Vec<u64> {
        s.split(['.', '-'])
            .map(|p| {
                p.chars()
                    .take_while(char::is_ascii_digit)
                    .collect::<String>()
            })
            .map(|d| d.parse().unwrap_or(0))
            .collect()
    };
    let (pa, pb) = (parts(a), parts(b));
    for k in 0..pa.len().max(pb.len()) {
        let x = pa.get(k).copied().unwrap_or(0);
        let y = pb.get(k).copied().unwrap_or(0);
        if x != y {
            return x.cmp(&y);
        }
    }
    std::cmp::Ordering::Equal
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn ev(s: &str) -> bool {
        let mut env = HashMap::new();
        env.insert("SET".to_string(), String::new());
        eval(s, &env).unwrap_or_else(|e| panic!("{s}: {e:?}"))
    }

    #[test]
    fn integers_and_logic() {
        assert!(ev("1"));
        assert!(!ev("0"));
        assert!(ev("0 || 1 && 1"));
        assert!(!ev("(0 || 1) && 0"));
        assert!(ev("!0"));
        assert!(ev("! ( 0 )"));
    }

    #[test]
    fn predicates() {
        assert!(ev("defined(SET)"));
        assert!(!ev("defined(UNSET)"));
        assert!(ev("feature(OPENSSL) && feature(PROMEX)"));
        assert!(!ev("feature(QUIC)"));
        assert!(ev("streq(a,a) && strneq(a,b)"));
        assert!(ev(r#"streq("a b",'a b')"#));
        assert!(ev("version_atleast(2.6) && version_atleast(2.6.12)"));
        assert!(!ev("version_atleast(2.7)"));
        assert!(ev("version_before(2.8) && !version_before(2.6)"));
    }

    #[test]
    fn errors() {
        let env = HashMap::<String, String>::new();
        assert!(eval("", &env).is_err());
        assert!(eval("foo", &env).is_err());
        assert!(eval("bogus(1)", &env).is_err());
        assert!(eval("(1", &env).is_err());
        assert!(eval("1 1", &env).is_err());
        assert!(eval("defined(X", &env).is_err());
    }
}
