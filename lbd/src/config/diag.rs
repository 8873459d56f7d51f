//! Diagnostics: what the loader reports and how HAProxy prints it (spec 2.6).

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Severity {
    Alert,
    Warning,
    Notice,
}

/// One message. `text` is everything after `(<pid>) : `, e.g.
/// `config : parsing [f.cfg:3] : unknown keyword 'foo' in 'frontend' section`.
/// It may span lines (continuations are already in it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Diagnostic {
    pub severity: Severity,
    pub text: String,
}

impl Diagnostic {
    pub fn alert(text: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Alert,
            text: text.into(),
        }
    }

    pub fn warning(text: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Warning,
            text: text.into(),
        }
    }

    pub fn notice(text: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Notice,
            text: text.into(),
        }
    }

    /// The line(s) HAProxy writes to stderr, ending in a newline.
    pub fn render(&self, pid: u32) -> String {
        let tag = match self.severity {
            Severity::Alert => "[ALERT]",
            Severity::Warning => "[WARNING]",
            Severity::Notice => "[NOTICE]",
        };
        let mut s = format!("{tag:<10} ({pid}) : {}", self.text);
        if !s.ends_with('\n') {
            s.push('\n');
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_are_padded_to_ten_columns() {
        assert_eq!(
            Diagnostic::alert("config : x").render(17),
            "[ALERT]    (17) : config : x\n"
        );
        assert_eq!(Diagnostic::warning("y").render(1), "[WARNING]  (1) : y\n");
        assert_eq!(Diagnostic::notice("z").render(1), "[NOTICE]   (1) : z\n");
    }
}
