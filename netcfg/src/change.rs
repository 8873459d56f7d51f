//! One line of a plan: what would change, from what, to what. `plan` prints these as a
//! readable diff; `apply` returns the ones it made (none on a second run).

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// The object, e.g. `irq 38 (virtio2-input.0) smp_affinity_list`, `addr 10.0.0.1/24 dev tr0`.
    pub what: String,
    pub from: Option<String>,
    pub to: Option<String>,
}

impl Change {
    pub fn set(what: impl Into<String>, from: impl Into<String>, to: impl Into<String>) -> Self {
        Change {
            what: what.into(),
            from: Some(from.into()),
            to: Some(to.into()),
        }
    }

    pub fn add(what: impl Into<String>) -> Self {
        Change {
            what: what.into(),
            from: None,
            to: Some(String::new()),
        }
    }

    pub fn remove(what: impl Into<String>) -> Self {
        Change {
            what: what.into(),
            from: Some(String::new()),
            to: None,
        }
    }
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.from, &self.to) {
            (None, _) => write!(f, "+ {}", self.what),
            (_, None) => write!(f, "- {}", self.what),
            (Some(a), Some(b)) => write!(f, "~ {}: {a} -> {b}", self.what),
        }
    }
}
