//! Configuration text to the `ConfigError` list D-Bus clients show: the
//! loader's diagnostics with the line number and keyword taken apart.
//! Pure: no files, no reload.

use crate::config::{self, Diagnostic, ProcessEnv, Severity};
use lbapi::dbus::ConfigError;

/// How messages cite the text being validated.
pub const NAME: &str = "config";

/// Loads `text` as lbd would and returns every alert and warning; notices
/// are left out. Also returns whether the text is usable.
pub fn validate(text: &str) -> (bool, Vec<ConfigError>) {
    let outcome = config::load_str(NAME, text.as_bytes(), &ProcessEnv);
    let errors = outcome
        .diags
        .iter()
        .filter(|d| d.severity != Severity::Notice)
        .map(|d| to_error(text, d))
        .collect();
    (outcome.config.is_some(), errors)
}

fn to_error(text: &str, d: &Diagnostic) -> ConfigError {
    let line = cited_line(&d.text).unwrap_or(0);
    // The keyword is the first word of the cited line, as HAProxy names it.
    let keyword = line
        .checked_sub(1)
        .and_then(|i| text.lines().nth(i as usize))
        .and_then(|l| l.split_whitespace().next())
        .unwrap_or("")
        .to_string();
    ConfigError {
        line,
        keyword,
        severity: match d.severity {
            Severity::Alert => "alert",
            _ => "warning",
        }
        .into(),
        message: d.text.trim_end().to_string(),
    }
}

/// The `N` of the first `[config:N]` in a message.
fn cited_line(msg: &str) -> Option<u32> {
    let start = msg.find(&format!("[{NAME}:"))? + NAME.len() + 2;
    let rest = &msg[start..];
    let end = rest.find(|c: char| !c.is_ascii_digit())?;
    rest[..end].parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_keyword_is_cited_with_line_and_keyword() {
        let text = "defaults\n  mode http\n\nfrontend fe\n  bind 127.0.0.1:1\n  frobnicate 3\n";
        let (ok, errs) = validate(text);
        assert!(!ok);
        let e = errs.iter().find(|e| e.is_alert()).unwrap();
        assert_eq!(e.line, 6, "{errs:?}");
        assert_eq!(e.keyword, "frobnicate");
        assert!(e.message.contains("frobnicate"), "{}", e.message);
    }

    #[test]
    fn a_good_text_has_no_alert() {
        let text = "frontend fe\n  mode http\n  bind 127.0.0.1:1\n  timeout client 1s\n";
        let (ok, errs) = validate(text);
        assert!(ok, "{errs:?}");
        assert!(errs.iter().all(|e| !e.is_alert()));
    }

    #[test]
    fn line_is_read_from_the_citation() {
        assert_eq!(cited_line("parsing [config:12] : x"), Some(12));
        assert_eq!(cited_line("config : no frontend"), None);
    }
}
