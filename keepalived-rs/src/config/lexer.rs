//! keepalived.conf lexical layer (spec §4.1): comments, quotes, braces as tokens,
//! `include` with globs, and the tree of keyword lines and blocks.
//!
//! keepalived is line-oriented: one keyword per line, `{` may end the keyword's line or
//! sit alone on the next. A brace in the middle of a line starts a new logical line, so
//! `global_defs { router_id X }` is three lines and `a b { c d }` gives `c d` as one
//! entry, exactly as keepalived reads it.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::ConfigError;

/// Where a line came from, for `file:line` diagnostics.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Loc {
    pub file: Arc<str>,
    pub line: usize,
}

impl fmt::Display for Loc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.file, self.line)
    }
}

/// A keyword line, with its block when it opens one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    pub words: Vec<String>,
    pub loc: Loc,
    pub block: Option<Vec<Node>>,
}

impl Node {
    pub fn keyword(&self) -> &str {
        self.words.first().map(String::as_str).unwrap_or("")
    }

    pub fn args(&self) -> &[String] {
        self.words.get(1..).unwrap_or(&[])
    }

    pub fn children(&self) -> &[Node] {
        self.block.as_deref().unwrap_or(&[])
    }
}

#[derive(Debug, Clone)]
struct Line {
    words: Vec<String>,
    loc: Loc,
}

const MAX_INCLUDE_DEPTH: usize = 16;

/// Reads `path` and its includes into a tree. `warn` receives non-fatal diagnostics.
pub fn parse_file(
    path: &Path,
    warn: &mut dyn FnMut(Loc, String),
) -> Result<Vec<Node>, ConfigError> {
    let mut lines = Vec::new();
    read_lines(path, 0, &mut lines, warn)?;
    let mut it = lines.into_iter().peekable();
    let nodes = build(&mut it, 0, warn);
    Ok(nodes)
}

/// Parses configuration text (no includes resolved relative to a directory other than
/// the current one); for tests and `-t` on stdin-like input.
pub fn parse_str(
    name: &str,
    text: &str,
    warn: &mut dyn FnMut(Loc, String),
) -> Result<Vec<Node>, ConfigError> {
    let mut lines = Vec::new();
    lex(Arc::from(name), text, Path::new("."), 0, &mut lines, warn)?;
    let mut it = lines.into_iter().peekable();
    Ok(build(&mut it, 0, warn))
}

fn read_lines(
    path: &Path,
    depth: usize,
    out: &mut Vec<Line>,
    warn: &mut dyn FnMut(Loc, String),
) -> Result<(), ConfigError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| ConfigError::Io(path.display().to_string(), e.to_string()))?;
    let dir = path.parent().unwrap_or(Path::new("."));
    lex(
        Arc::from(path.display().to_string()),
        &text,
        dir,
        depth,
        out,
        warn,
    )
}

fn lex(
    file: Arc<str>,
    text: &str,
    dir: &Path,
    depth: usize,
    out: &mut Vec<Line>,
    warn: &mut dyn FnMut(Loc, String),
) -> Result<(), ConfigError> {
    for (n, raw) in text.lines().enumerate() {
        let loc = Loc {
            file: file.clone(),
            line: n + 1,
        };
        let tokens = tokenize(raw).map_err(|m| ConfigError::Syntax(loc.clone(), m))?;
        if let Some(first) = tokens.first() {
            if first.starts_with('$') && first.contains('=') {
                return Err(ConfigError::Unsupported(
                    loc,
                    "parameter substitution ($NAME=)".into(),
                ));
            }
            if first.starts_with('@') {
                return Err(ConfigError::Unsupported(
                    loc,
                    "conditional configuration (@tag)".into(),
                ));
            }
            if first.starts_with('~') {
                return Err(ConfigError::Unsupported(
                    loc,
                    "sequence blocks (~SEQ)".into(),
                ));
            }
        }
        // Split at braces into logical lines.
        let mut cur: Vec<String> = Vec::new();
        for t in tokens {
            match t.as_str() {
                "{" => {
                    cur.push(t);
                    out.push(Line {
                        words: std::mem::take(&mut cur),
                        loc: loc.clone(),
                    });
                }
                "}" => {
                    if !cur.is_empty() {
                        out.push(Line {
                            words: std::mem::take(&mut cur),
                            loc: loc.clone(),
                        });
                    }
                    out.push(Line {
                        words: vec![t],
                        loc: loc.clone(),
                    });
                }
                _ => cur.push(t),
            }
        }
        if cur.is_empty() {
            continue;
        }
        if matches!(
            cur[0].as_str(),
            "include" | "includer" | "includem" | "includef"
        ) {
            if depth >= MAX_INCLUDE_DEPTH {
                return Err(ConfigError::Syntax(
                    loc,
                    "includes nested too deeply".into(),
                ));
            }
            for pat in &cur[1..] {
                include(pat, dir, depth, &loc, out, warn)?;
            }
            continue;
        }
        out.push(Line { words: cur, loc });
    }
    Ok(())
}

fn include(
    pat: &str,
    dir: &Path,
    depth: usize,
    loc: &Loc,
    out: &mut Vec<Line>,
    warn: &mut dyn FnMut(Loc, String),
) -> Result<(), ConfigError> {
    let full: PathBuf = if Path::new(pat).is_absolute() {
        PathBuf::from(pat)
    } else {
        dir.join(pat)
    };
    let paths = glob::glob(&full.to_string_lossy())
        .map_err(|e| ConfigError::Syntax(loc.clone(), format!("bad include pattern {pat}: {e}")))?;
    let mut files: Vec<PathBuf> = paths.filter_map(Result::ok).collect();
    files.sort();
    if files.is_empty() {
        warn(loc.clone(), format!("include {pat}: no file matches"));
    }
    for f in files {
        read_lines(&f, depth + 1, out, warn)?;
    }
    Ok(())
}

/// Splits one physical line into words: `#`/`!` comments, `"`/`'` quoting with
/// backslash escapes, `{`/`}` as separate tokens.
fn tokenize(line: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '#' | '!' => break,
            '"' | '\'' => {
                in_word = true;
                loop {
                    match chars.next() {
                        None => return Err("unterminated quoted string".into()),
                        Some(q) if q == c => break,
                        Some('\\') => {
                            if let Some(e) = chars.next() {
                                cur.push(e);
                            }
                        }
                        Some(o) => cur.push(o),
                    }
                }
            }
            '{' | '}' => {
                if in_word {
                    out.push(std::mem::take(&mut cur));
                    in_word = false;
                }
                out.push(c.to_string());
            }
            c if c.is_whitespace() => {
                if in_word {
                    out.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            c => {
                in_word = true;
                cur.push(c);
            }
        }
    }
    if in_word {
        out.push(cur);
    }
    Ok(out)
}

fn build(
    it: &mut std::iter::Peekable<std::vec::IntoIter<Line>>,
    depth: usize,
    warn: &mut dyn FnMut(Loc, String),
) -> Vec<Node> {
    let mut nodes: Vec<Node> = Vec::new();
    while let Some(mut line) = it.next() {
        if line.words == ["}"] {
            if depth == 0 {
                warn(line.loc, "unexpected '}'".into());
                continue;
            }
            return nodes;
        }
        if line.words == ["{"] {
            // A brace alone opens the previous keyword's block.
            match nodes.last_mut() {
                Some(prev) if prev.block.is_none() => prev.block = Some(build(it, depth + 1, warn)),
                _ => {
                    warn(line.loc, "unexpected '{'".into());
                    let _ = build(it, depth + 1, warn);
                }
            }
            continue;
        }
        let opens = line.words.last().is_some_and(|w| w == "{");
        if opens {
            line.words.pop();
        }
        let block = if opens {
            Some(build(it, depth + 1, warn))
        } else {
            None
        };
        nodes.push(Node {
            words: line.words,
            loc: line.loc,
            block,
        });
    }
    if depth > 0 {
        if let Some(last) = nodes.last() {
            warn(last.loc.clone(), "missing '}' at end of file".into());
        }
    }
    nodes
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(text: &str) -> (Vec<Node>, Vec<String>) {
        let mut w = Vec::new();
        let n = parse_str("t.conf", text, &mut |l, m| w.push(format!("{l}: {m}"))).expect("parse");
        (n, w)
    }

    #[test]
    fn braces_comments_quotes() {
        let (n, w) = tree(
            "global_defs { router_id z  vrrp_version 3 }\n\
             vrrp_script chk # comment\n{\n  script \"/bin/test -f '/run/x y'\" ! more\n}\n",
        );
        assert!(w.is_empty(), "{w:?}");
        assert_eq!(n.len(), 2);
        assert_eq!(
            n[0].children()[0].words,
            ["router_id", "z", "vrrp_version", "3"]
        );
        assert_eq!(n[1].words, ["vrrp_script", "chk"]);
        assert_eq!(
            n[1].children()[0].words,
            ["script", "/bin/test -f '/run/x y'"]
        );
        assert_eq!(n[1].children()[0].loc.line, 4);
    }

    #[test]
    fn one_line_list_block_is_one_entry() {
        let (n, _) = tree("virtual_ipaddress { 10.0.0.1 10.0.0.2 }");
        assert_eq!(n[0].children().len(), 1);
        assert_eq!(n[0].children()[0].words, ["10.0.0.1", "10.0.0.2"]);
    }

    #[test]
    fn unsupported_constructs_are_errors() {
        let mut w = |_, _| {};
        assert!(matches!(
            parse_str("t", "$X=1\n", &mut w),
            Err(ConfigError::Unsupported(..))
        ));
        assert!(matches!(
            parse_str("t", "@a vrrp_instance x {\n", &mut w),
            Err(ConfigError::Unsupported(..))
        ));
        assert!(matches!(
            parse_str("t", "a \"open\n", &mut w),
            Err(ConfigError::Syntax(..))
        ));
    }

    #[test]
    fn includes_relative_with_globs() {
        let dir = std::env::temp_dir().join(format!("karsinc{}", std::process::id()));
        let sub = dir.join("conf.d");
        std::fs::create_dir_all(&sub).expect("mkdir");
        std::fs::write(
            dir.join("main.conf"),
            "include conf.d/*.conf\ninclude none/*.conf\nlast x\n",
        )
        .expect("w");
        std::fs::write(sub.join("b.conf"), "b 2\n").expect("w");
        std::fs::write(sub.join("a.conf"), "a 1\n").expect("w");
        let mut w = Vec::new();
        let n = parse_file(&dir.join("main.conf"), &mut |l, m| {
            w.push(format!("{l}: {m}"))
        })
        .expect("parse");
        let kws: Vec<&str> = n.iter().map(Node::keyword).collect();
        assert_eq!(kws, ["a", "b", "last"]);
        assert!(n[0].loc.file.ends_with("conf.d/a.conf"));
        assert_eq!(w.len(), 1, "a glob with no match only warns");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
