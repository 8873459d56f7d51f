//! Sample expressions: `fetch[(args)][,conv[(args)]]...`, parsed once and
//! evaluated per request.

use super::conv::Conv;
use super::fetch::Fetch;
use super::{Sample, SampleCtx, SampleType};
use crate::pattern::PatternRegistry;

/// What parsing needs beyond the text: where pattern files go (maps) and
/// where the expression was written (for `show map` descriptions).
#[derive(Clone, Copy)]
pub struct ParseEnv<'a> {
    pub registry: &'a PatternRegistry,
    pub file: &'a str,
    pub line: usize,
}

/// One fetch and its converters.
#[derive(Debug, Clone)]
pub struct Expr {
    pub(crate) fetch: Fetch,
    pub(crate) convs: Vec<Conv>,
    text: String,
}

impl Expr {
    /// Parses `text` (one configuration word, e.g. `req.hdr(host),lower`).
    pub fn parse(text: &str, env: &ParseEnv<'_>) -> Result<Expr, String> {
        let mut p = Cursor {
            s: text.as_bytes(),
            i: 0,
        };
        let name = p.ident();
        if name.is_empty() {
            return Err(format!("unknown fetch method '{text}'"));
        }
        let args = p
            .args()
            .map_err(|e| format!("{e} in fetch method '{name}'"))?;
        let fetch = Fetch::new(&name, args, env)?;
        let mut cur = fetch.out_type();
        let mut convs = Vec::new();
        while p.i < p.s.len() {
            if p.s[p.i] != b',' {
                return Err(match convs.last() {
                    Some(c) => format!("missing comma after converter '{}'", Conv::name(c)),
                    None => format!("missing comma after fetch keyword '{name}'"),
                });
            }
            p.i += 1;
            let cname = p.ident();
            if cname.is_empty() {
                return Err(format!("missing converter after ',' in '{text}'"));
            }
            let cargs = p
                .args()
                .map_err(|e| format!("{e} in converter '{cname}'"))?;
            let c = Conv::new(&cname, cargs, cur, env)?;
            cur = c.out_type(cur);
            convs.push(c);
        }
        Ok(Expr {
            fetch,
            convs,
            text: text.to_string(),
        })
    }

    /// The expression as written.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The fetch's name (`path`, `req.hdr`...), as errors print it.
    pub fn fetch_name(&self) -> &str {
        self.fetch.name()
    }

    /// The type of the final sample.
    pub fn out_type(&self) -> SampleType {
        self.convs
            .iter()
            .fold(self.fetch.out_type(), |t, c| c.out_type(t))
    }

    /// Whether there are converters after the fetch.
    pub fn has_convs(&self) -> bool {
        !self.convs.is_empty()
    }

    /// The sample this expression yields, or None when absent.
    pub fn eval(&self, cx: &mut dyn SampleCtx) -> Option<Sample> {
        let s = self.fetch.eval(cx, false)?;
        self.convert(cx, s)
    }

    /// Appends the text of the sample to `out` (a `%[...]` in a log-format
    /// value); nothing when it is absent. Fetches that can lend their value
    /// are not copied first.
    pub fn append_text(&self, cx: &mut dyn SampleCtx, out: &mut Vec<u8>) {
        if self.convs.is_empty() && self.fetch.append_text(cx, out) {
            return;
        }
        if let Some(v) = self.eval(cx) {
            v.append_text(out);
        }
    }

    /// Feeds `f` every value of a multi-valued fetch (`hdr(x)` in an ACL tries
    /// each occurrence) until it returns true; returns whether one did.
    pub fn eval_each(&self, cx: &mut dyn SampleCtx, f: &mut dyn FnMut(&Sample) -> bool) -> bool {
        if !self.fetch.multi() {
            return match self.eval(cx) {
                Some(s) => f(&s),
                None => false,
            };
        }
        let all = self.fetch.eval_all(cx);
        for s in all {
            if let Some(s) = self.convert(cx, s) {
                if f(&s) {
                    return true;
                }
            }
        }
        false
    }

    fn convert(&self, cx: &mut dyn SampleCtx, mut s: Sample) -> Option<Sample> {
        for c in &self.convs {
            s = c.apply(cx, s)?;
        }
        Some(s)
    }
}

/// A small reader over the expression text.
struct Cursor<'a> {
    s: &'a [u8],
    i: usize,
}

impl Cursor<'_> {
    fn ident(&mut self) -> String {
        let st = self.i;
        while self.i < self.s.len() && !matches!(self.s[self.i], b'(' | b',' | b')') {
            self.i += 1;
        }
        String::from_utf8_lossy(&self.s[st..self.i]).into_owned()
    }

    /// `(a,b,...)` as 2.6's `make_arg_list` reads it: `'` and `"` quote (and
    /// are dropped), `\\`, `\ `, `\"`, `\'` give the character, `\r \n \t`
    /// control characters, and any other backslash stays as written (so
    /// `regsub` keeps its `\1`). Parentheses do not nest: an unquoted `)`
    /// ends the list. None when there is no list.
    fn args(&mut self) -> Result<Option<Vec<String>>, String> {
        if self.s.get(self.i) != Some(&b'(') {
            return Ok(None);
        }
        self.i += 1;
        let mut out = Vec::new();
        let mut cur = Vec::new();
        let (mut squote, mut dquote) = (false, false);
        loop {
            let Some(&c) = self.s.get(self.i) else {
                return Err("missing closing ')'".into());
            };
            self.i += 1;
            match c {
                b'"' if !squote => dquote = !dquote,
                b'\'' if !dquote => squote = !squote,
                b'\\' if !squote && self.i < self.s.len() => match self.s[self.i] {
                    n @ (b'\\' | b' ' | b'"' | b'\'') => {
                        cur.push(n);
                        self.i += 1;
                    }
                    b'r' | b'n' | b't' => {
                        cur.push(match self.s[self.i] {
                            b'r' => b'\r',
                            b'n' => b'\n',
                            _ => b'\t',
                        });
                        self.i += 1;
                    }
                    _ => cur.push(c),
                },
                b',' if !squote && !dquote => {
                    out.push(String::from_utf8_lossy(&std::mem::take(&mut cur)).into_owned())
                }
                b')' if !squote && !dquote => {
                    out.push(String::from_utf8_lossy(&cur).into_owned());
                    break;
                }
                c => cur.push(c),
            }
        }
        if out.len() == 1 && out[0].is_empty() {
            out.clear();
        }
        Ok(Some(out))
    }
}
