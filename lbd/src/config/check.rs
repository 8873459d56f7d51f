//! `lbd -c`: HAProxy's check mode (spec 2.6) over the loader's outcome.

use super::diag::{Diagnostic, Severity};
use super::tokenizer::EnvSource;
use std::path::PathBuf;

/// What `-c` prints and returns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckReport {
    pub stdout: String,
    pub stderr: String,
    pub exit_code: i32,
}

/// Checks the configuration like `haproxy -c [-q] [-dW] -f ...`.
pub fn run_check(
    paths: &[PathBuf],
    quiet: bool,
    zero_warning_flag: bool,
    pid: u32,
    env: &dyn EnvSource,
) -> CheckReport {
    let out = super::load(paths, env);
    let mut diags = out.diags;
    let warned = diags.iter().any(|d| d.severity == Severity::Warning);
    let zero_warning =
        zero_warning_flag || out.config.as_ref().is_some_and(|c| c.global.zero_warning);
    let mut exit_code = 0;
    let mut stdout = String::new();
    match &out.config {
        None => exit_code = 1,
        Some(_) if warned && zero_warning => {
            diags.push(Diagnostic::alert(
                "config : Some warnings were found and 'zero-warning' is set. Aborting.",
            ));
            exit_code = 1;
        }
        Some(cfg) => {
            if warned {
                stdout.push_str("Warnings were found.\n");
            }
            let listening = cfg
                .proxies
                .iter()
                .any(|p| !p.disabled && !p.binds.is_empty());
            if listening {
                stdout.push_str("Configuration file is valid\n");
            } else {
                stdout.push_str(
                    "Configuration file has no error but will not start (no listener) => exit(2).\n",
                );
                exit_code = 2;
            }
        }
    }
    let mut stderr = String::new();
    let mut announced = false;
    for d in &diags {
        // HAProxy introduces itself before the first warning or alert.
        if !announced && d.severity != Severity::Notice {
            announced = true;
            stderr.push_str(
                &Diagnostic::notice(format!(
                    "lbd version is {} (haproxy {} compatible)",
                    env!("CARGO_PKG_VERSION"),
                    super::LBD_VERSION_COMPAT
                ))
                .render(pid),
            );
            let exe = std::env::current_exe()
                .map(|p| p.to_string_lossy().into_owned())
                .unwrap_or_else(|_| "lbd".into());
            stderr
                .push_str(&Diagnostic::notice(format!("path to executable is {exe}")).render(pid));
        }
        stderr.push_str(&d.render(pid));
    }
    if quiet {
        stdout.clear();
        stderr.clear();
    }
    CheckReport {
        stdout,
        stderr,
        exit_code,
    }
}
