//! Configuration: haproxy.cfg text in, typed and validated model out.
//!
//! Entry points: [`load`] builds the model and the diagnostics; [`run_check`]
//! renders them the way `haproxy -c` does.

pub mod check;
pub mod cond;
pub mod diag;
pub mod model;
pub(crate) mod parser;
pub mod pending;
pub mod tokenizer;
pub mod units;

pub use check::{run_check, CheckReport};
pub use cond::{FEATURES, LBD_VERSION_COMPAT};
pub use diag::{Diagnostic, Severity};
pub use tokenizer::{EnvSource, ProcessEnv};

use std::path::PathBuf;
use std::time::{Duration, Instant};

/// The result of loading configuration files.
#[derive(Debug, Clone)]
pub struct LoadOutcome {
    /// None when any alert was raised.
    pub config: Option<model::Config>,
    pub diags: Vec<Diagnostic>,
    /// The files read, in order.
    pub files: Vec<String>,
}

/// Loads every `-f` path (files or directories) into one model.
pub fn load(paths: &[PathBuf], env: &dyn EnvSource) -> LoadOutcome {
    load_timed(paths, env, &mut |_, _| {})
}

/// [`load`], telling `phase` how long reading, parsing and the post-parse
/// checks took (reload timing).
pub fn load_timed(
    paths: &[PathBuf],
    env: &dyn EnvSource,
    phase: &mut dyn FnMut(&'static str, Duration),
) -> LoadOutcome {
    let mut l = parser::Loader::new(env);
    let t0 = Instant::now();
    l.load_paths(paths);
    let loaded = t0.elapsed();
    phase("read", l.read_time);
    phase("parse", loaded.saturating_sub(l.read_time));
    let t1 = Instant::now();
    let config = l.finish();
    phase("validate", t1.elapsed());
    LoadOutcome {
        config,
        diags: l.diags,
        files: l.files,
    }
}

/// Loads configuration text that does not come from a file (tests, D-Bus
/// validate); `name` is how messages cite it.
pub fn load_str(name: &str, text: &[u8], env: &dyn EnvSource) -> LoadOutcome {
    let mut l = parser::Loader::new(env);
    l.files.push(name.to_string());
    l.load_text(name, text);
    let config = l.finish();
    LoadOutcome {
        config,
        diags: l.diags,
        files: l.files,
    }
}
