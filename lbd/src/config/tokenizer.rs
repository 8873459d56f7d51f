//! The haproxy.cfg line tokenizer (spec 2.2): one line in, a list of words out.
//!
//! It owns quoting, escapes, comments and environment expansion, and nothing
//! else: it does not know keywords or sections. Environment access goes
//! through [`EnvSource`] so callers (and tests) decide where variables live.

/// Where `$VAR` values come from.
pub trait EnvSource {
    fn get(&self, name: &str) -> Option<String>;
}

/// The real process environment.
#[derive(Debug, Clone, Copy, Default)]
pub struct ProcessEnv;

impl EnvSource for ProcessEnv {
    fn get(&self, name: &str) -> Option<String> {
        std::env::var_os(name).map(|v| v.to_string_lossy().into_owned())
    }
}

impl EnvSource for std::collections::HashMap<String, String> {
    fn get(&self, name: &str) -> Option<String> {
        std::collections::HashMap::get(self, name).cloned()
    }
}

/// Values of the `${.FILE}`, `${.LINE}` and `${.SECTION}` pseudo-variables.
#[derive(Debug, Clone, Default)]
pub struct Pseudo<'a> {
    pub file: &'a str,
    pub line: usize,
    pub section: &'a str,
}

/// Why a line could not be split; `pos` is the 0-based byte offset in the line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenError {
    pub kind: TokenErrorKind,
    pub pos: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenErrorKind {
    Quote,
    Brace,
    VarName,
    Hex,
    WordExpand,
}

impl TokenErrorKind {
    /// HAProxy's wording, completed by " at position N:".
    pub fn message(self) -> &'static str {
        match self {
            TokenErrorKind::Quote => "unmatched quote",
            TokenErrorKind::Brace => "unmatched brace in environment variable name",
            TokenErrorKind::VarName => "forbidden first char in environment variable name",
            TokenErrorKind::Hex => "truncated or invalid hexadecimal sequence",
            TokenErrorKind::WordExpand => "truncated or invalid word expansion sequence",
        }
    }
}

fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\x0b' | b'\x0c')
}

/// A byte that is part of the current word whatever the quoting state.
fn is_plain(b: u8) -> bool {
    !is_space(b) && !matches!(b, b'\n' | b'\r' | 0 | b'#' | b'"' | b'\'' | b'\\' | b'$')
}

/// Splits one line into words. A trailing empty word (from trailing blanks)
/// is dropped; an explicit `""` word is kept as an empty string.
pub fn tokenize(
    line: &[u8],
    env: &dyn EnvSource,
    pseudo: &Pseudo<'_>,
) -> Result<Vec<String>, TokenError> {
    let mut words = Words::default();
    tokenize_into(line, env, pseudo, &mut words)?;
    Ok(std::mem::take(&mut words.out))
}

/// The words of one line, and the buffers of earlier lines' words kept for
/// the next: a loader that splits 10,000 `server` lines with one `Words`
/// allocates a word's bytes once, not once per line.
#[derive(Debug, Default)]
pub struct Words {
    pub out: Vec<String>,
    spare: Vec<Vec<u8>>,
}

impl Words {
    /// Keeps the current words' buffers for the next line and empties `out`.
    pub fn recycle(&mut self) {
        for w in self.out.drain(..) {
            let mut b = w.into_bytes();
            b.clear();
            self.spare.push(b);
        }
    }

    fn buffer(&mut self) -> Vec<u8> {
        self.spare.pop().unwrap_or_default()
    }

    /// Ends the word being built in `cur` and starts the next one.
    fn end(&mut self, cur: &mut Vec<u8>) {
        let next = self.buffer();
        let done = std::mem::replace(cur, next);
        // Valid UTF-8 (nearly every line) keeps its buffer: no copy.
        self.out.push(
            String::from_utf8(done)
                .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()),
        );
    }
}

/// [`tokenize`] into `words.out` (emptied first, its buffers recycled).
pub fn tokenize_into(
    line: &[u8],
    env: &dyn EnvSource,
    pseudo: &Pseudo<'_>,
    words: &mut Words,
) -> Result<(), TokenError> {
    words.recycle();
    let mut cur = words.buffer();
    let r = split(line, env, pseudo, words, &mut cur);
    cur.clear();
    words.spare.push(cur);
    if r.is_err() {
        words.recycle();
    }
    r
}

fn split(
    line: &[u8],
    env: &dyn EnvSource,
    pseudo: &Pseudo<'_>,
    words: &mut Words,
    cur: &mut Vec<u8>,
) -> Result<(), TokenError> {
    // A word "exists" once it got a char or a quote, so `""` yields an empty word.
    let mut started = false;
    let mut squote = false;
    let mut dquote = false;
    let mut quote_pos = 0;
    let mut i = 0;
    // Leading blanks are not a separator.
    while i < line.len() && is_space(line[i]) {
        i += 1;
    }
    while i < line.len() {
        let c = line[i];
        match c {
            b'\n' | b'\r' | 0 => break,
            b'#' if !squote && !dquote => break,
            b'"' if !squote => {
                if !dquote {
                    quote_pos = i;
                }
                dquote = !dquote;
                started = true;
                i += 1;
            }
            b'\'' if !dquote => {
                if !squote {
                    quote_pos = i;
                }
                squote = !squote;
                started = true;
                i += 1;
            }
            b'\\' if !squote => {
                let next = line.get(i + 1).copied();
                let (out, used) = match next {
                    Some(b' ') | Some(b'\\') => (next.unwrap_or(b'\\'), 2),
                    Some(b't') => (b'\t', 2),
                    Some(b'n') => (b'\n', 2),
                    Some(b'r') => (b'\r', 2),
                    Some(b'#') => (b'#', 2),
                    Some(b'\'') => (b'\'', 2),
                    Some(b'"') => (b'"', 2),
                    Some(b'$') if dquote => (b'$', 2),
                    Some(b'x') => {
                        let h = |o: usize| line.get(i + o).and_then(|b| (*b as char).to_digit(16));
                        match (h(2), h(3)) {
                            (Some(a), Some(b)) => ((a * 16 + b) as u8, 4),
                            _ => {
                                return Err(TokenError {
                                    kind: TokenErrorKind::Hex,
                                    pos: i,
                                })
                            }
                        }
                    }
                    _ => (b'\\', 1),
                };
                cur.push(out);
                started = true;
                i += used;
            }
            _ if is_space(c) && !squote && !dquote => {
                while i < line.len() && is_space(line[i]) {
                    i += 1;
                }
                words.end(cur);
                started = false;
            }
            b'$' if dquote => {
                i = expand_var(line, i, env, pseudo, cur, words)?;
                started = true;
            }
            _ => {
                // `c` may be special in another quoting state; the bytes
                // after it that are special in none are copied as one run:
                // a plain word costs one allocation, not one per doubling.
                let rest = &line[i + 1..];
                let run = rest
                    .iter()
                    .position(|&b| !is_plain(b))
                    .unwrap_or(rest.len());
                cur.reserve(1 + run);
                cur.push(c);
                cur.extend_from_slice(&rest[..run]);
                started = true;
                i += 1 + run;
            }
        }
    }
    if squote || dquote {
        return Err(TokenError {
            kind: TokenErrorKind::Quote,
            pos: quote_pos,
        });
    }
    if started || !cur.is_empty() {
        words.end(cur);
    }
    Ok(())
}

/// Expands the variable starting at `line[start] == '$'`; returns the index after it.
fn expand_var(
    line: &[u8],
    start: usize,
    env: &dyn EnvSource,
    pseudo: &Pseudo<'_>,
    cur: &mut Vec<u8>,
    words: &mut Words,
) -> Result<usize, TokenError> {
    let mut i = start + 1;
    let brace = if line.get(i) == Some(&b'{') {
        i += 1;
        Some(i - 1)
    } else {
        None
    };
    let first = line.get(i).copied().unwrap_or(0);
    if !(first.is_ascii_alphabetic() || first == b'_' || first == b'.') {
        return Err(TokenError {
            kind: TokenErrorKind::VarName,
            pos: i,
        });
    }
    let name_start = i;
    if first == b'.' {
        i += 1;
    }
    while i < line.len() && (line[i].is_ascii_alphanumeric() || line[i] == b'_') {
        i += 1;
    }
    let name = String::from_utf8_lossy(&line[name_start..i]).into_owned();
    let mut value: Option<String> = if let Some(pseudo_name) = name.strip_prefix('.') {
        match pseudo_name {
            "LINE" => Some(pseudo.line.to_string()),
            "FILE" => Some(pseudo.file.to_string()),
            "SECTION" => Some(pseudo.section.to_string()),
            _ => {
                return Err(TokenError {
                    kind: TokenErrorKind::VarName,
                    pos: name_start,
                })
            }
        }
    } else {
        env.get(&name)
    };
    let mut word_expand = false;
    if brace.is_some() && line.get(i) == Some(&b'[') {
        let wpos = i;
        if line.get(i + 1) != Some(&b'*') || line.get(i + 2) != Some(&b']') {
            return Err(TokenError {
                kind: TokenErrorKind::WordExpand,
                pos: wpos,
            });
        }
        word_expand = true;
        i += 3;
    }
    if let Some(bpos) = brace {
        if line.get(i) == Some(&b'-') {
            let dstart = i + 1;
            let Some(off) = line[dstart..].iter().position(|&b| b == b'}') else {
                return Err(TokenError {
                    kind: TokenErrorKind::Brace,
                    pos: bpos,
                });
            };
            if value.is_none() {
                value = Some(String::from_utf8_lossy(&line[dstart..dstart + off]).into_owned());
            }
            i = dstart + off;
        }
        if line.get(i) != Some(&b'}') {
            return Err(TokenError {
                kind: TokenErrorKind::Brace,
                pos: bpos,
            });
        }
        i += 1;
    }
    if let Some(v) = value {
        let bytes = v.as_bytes();
        let mut k = 0;
        while k < bytes.len() {
            if word_expand && is_space(bytes[k]) {
                words.end(cur);
                while k < bytes.len() && is_space(bytes[k]) {
                    k += 1;
                }
            } else {
                cur.push(bytes[k]);
                k += 1;
            }
        }
    }
    Ok(i)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env() -> HashMap<String, String> {
        let mut m = HashMap::new();
        m.insert("VAL".into(), "v1".into());
        m.insert("EMPTY".into(), String::new());
        m.insert("LIST".into(), "a  b c".into());
        m
    }

    fn tok(s: &str) -> Vec<String> {
        let p = Pseudo {
            file: "f.cfg",
            line: 7,
            section: "fe",
        };
        tokenize(s.as_bytes(), &env(), &p).unwrap_or_else(|e| panic!("{s}: {e:?}"))
    }

    fn err(s: &str) -> TokenErrorKind {
        match tokenize(s.as_bytes(), &env(), &Pseudo::default()) {
            Err(e) => e.kind,
            Ok(w) => panic!("{s} gave {w:?}"),
        }
    }

    #[test]
    fn reused_buffers_give_the_same_words_as_fresh_ones() {
        let env = env();
        let p = Pseudo::default();
        let lines: &[&[u8]] = &[
            b"    server s1 127.0.0.1:8080 check weight 10",
            b"a",
            b"bad \"quote",
            b"",
            b"x \"${LIST[*]}\" 'q w' e\\ f # c",
            b"backend b\xe9",
            b"    server s2 10.0.0.2:80 backup",
        ];
        let mut words = Words::default();
        for line in lines {
            let fresh = tokenize(line, &env, &p);
            let reused = tokenize_into(line, &env, &p, &mut words).map(|()| words.out.clone());
            assert_eq!(fresh, reused, "{:?}", String::from_utf8_lossy(line));
        }
    }

    #[test]
    fn words_and_comments() {
        assert_eq!(tok("  bind  :80\tname x # c"), ["bind", ":80", "name", "x"]);
        assert_eq!(tok("a\\ b c\\#d"), ["a b", "c#d"]);
        assert_eq!(tok("   "), Vec::<String>::new());
        assert_eq!(tok("#only"), Vec::<String>::new());
    }

    #[test]
    fn quotes_join_pieces() {
        assert_eq!(
            tok(r#"log-format "%{+Q}o %t"' %s'\ %{-Q}r"#),
            ["log-format", "%{+Q}o %t %s %{-Q}r"]
        );
        assert_eq!(tok(r#"x "a#b" 'c\d'"#), ["x", "a#b", "c\\d"]);
        assert_eq!(tok(r#"x "" y"#), ["x", "", "y"]);
    }

    #[test]
    fn escapes() {
        assert_eq!(tok(r"a\x41\t\n"), ["aA\t\n"]);
        assert_eq!(tok(r"a\1"), ["a\\1"]);
        assert_eq!(tok(r"a \"), ["a", "\\"]);
        assert_eq!(err(r"a\x4"), TokenErrorKind::Hex);
    }

    #[test]
    fn env_only_in_double_quotes() {
        assert_eq!(
            tok(r#""a=${VAL}" unq-$VAL '${VAL}'"#),
            ["a=v1", "unq-$VAL", "${VAL}"]
        );
        assert_eq!(tok(r#""$VAL:80""#), ["v1:80"]);
        assert_eq!(tok(r#""${EMPTY-dflt}" "${NOPE-dflt}""#), ["", "dflt"]);
        assert_eq!(tok(r#""\$VAL""#), ["$VAL"]);
        assert_eq!(tok(r#"x "${LIST[*]}" y"#), ["x", "a", "b", "c", "y"]);
        assert_eq!(tok(r#""${.FILE}:${.LINE} ${.SECTION}""#), ["f.cfg:7 fe"]);
        assert_eq!(tok(r#""${NOPE}""#), [""]);
    }

    #[test]
    fn env_errors() {
        assert_eq!(err(r#""${VAL""#), TokenErrorKind::Brace);
        assert_eq!(err(r#""$1""#), TokenErrorKind::VarName);
        assert_eq!(err(r#""${.NOPE}""#), TokenErrorKind::VarName);
        assert_eq!(err(r#""${VAL[x]}""#), TokenErrorKind::WordExpand);
        assert_eq!(err(r#"a "b"#), TokenErrorKind::Quote);
        assert_eq!(err("a 'b"), TokenErrorKind::Quote);
    }
}
