//! Configuration diagnostics: every rejected profile or appliance config names the file,
//! the line when known, the key and the reason, like HAProxy's `parsing [file:line]`.

use std::fmt;
use std::path::{Path, PathBuf};

/// A rejected configuration file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub file: PathBuf,
    /// 1-based line, when the error can be tied to one.
    pub line: Option<usize>,
    /// The key (dotted path, or the TOML text of the key) the error is about.
    pub key: String,
    pub reason: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(l) = self.line {
            write!(f, ":{l}")?;
        }
        if self.key.is_empty() {
            write!(f, ": {}", self.reason)
        } else {
            write!(f, ": {}: {}", self.key, self.reason)
        }
    }
}

impl std::error::Error for ConfigError {}

/// Parses `text` as TOML into `T`, turning toml's span errors into a [`ConfigError`] with
/// the line and the key found at that span.
pub fn parse_toml<T: serde::de::DeserializeOwned>(
    file: &Path,
    text: &str,
) -> Result<T, ConfigError> {
    toml::from_str(text).map_err(|e| {
        let (line, key) = match e.span() {
            Some(span) => {
                let line = text[..span.start.min(text.len())].matches('\n').count() + 1;
                (Some(line), key_at(text, line))
            }
            None => (None, String::new()),
        };
        ConfigError {
            file: file.to_path_buf(),
            line,
            key,
            reason: e.message().trim().to_string(),
        }
    })
}

/// The key a TOML line is about: the text before `=`, or a table header.
fn key_at(text: &str, line: usize) -> String {
    let l = text.lines().nth(line - 1).unwrap_or("").trim();
    match l.split_once('=') {
        Some((k, _)) => k.trim().to_string(),
        None => l.trim_matches(|c| c == '[' || c == ']').to_string(),
    }
}

/// The line of the first occurrence of `needle` at or after the `nth` (0-based) line
/// equal to `header` (e.g. `[[nic]]`), for errors found after deserialisation.
pub fn line_in_table(text: &str, header: &str, nth: usize, needle: &str) -> Option<usize> {
    let mut seen = 0;
    let mut inside = false;
    for (i, l) in text.lines().enumerate() {
        let t = l.trim();
        if t.starts_with('[') {
            inside = t == header && {
                seen += 1;
                seen == nth + 1
            };
            if inside && needle.is_empty() {
                return Some(i + 1);
            }
            continue;
        }
        if inside && t.starts_with(needle) {
            return Some(i + 1);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct T {
        a: u32,
    }

    #[test]
    fn unknown_key_names_file_line_and_key() {
        let e = parse_toml::<T>(Path::new("x.toml"), "a = 1\nbogus = 2\n").unwrap_err();
        assert_eq!(e.line, Some(2));
        assert_eq!(e.key, "bogus");
        assert!(e.reason.contains("unknown field `bogus`"), "{e}");
        assert!(
            e.to_string().starts_with("x.toml:2: bogus: unknown field"),
            "{e}"
        );
    }

    #[test]
    fn finds_line_inside_nth_table() {
        let t = "[[nic]]\nname = \"a\"\n[[nic]]\nname = \"b\"\n";
        assert_eq!(line_in_table(t, "[[nic]]", 1, "name"), Some(4));
        assert_eq!(line_in_table(t, "[[nic]]", 1, ""), Some(3));
    }
}
