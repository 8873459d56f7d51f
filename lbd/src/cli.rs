//! Command-line flags, HAProxy-compatible (spec section 10). Pure parsing:
//! no I/O, so every flag combination is unit-tested.

use std::path::PathBuf;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Args {
    pub files: Vec<PathBuf>,
    pub check: bool,
    pub quiet: bool,
    pub zero_warning: bool,
    pub daemon: bool,
    pub foreground: bool,
    pub pidfile: Option<PathBuf>,
    pub maxconn: Option<u32>,
    pub chdir: Option<PathBuf>,
    pub local_peer: Option<String>,
    pub version: u8,
    /// `-cc <cond>`: evaluate one `.if` condition and exit.
    pub eval_cond: Option<String>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ArgError {
    #[error("option '{0}' expects an argument")]
    Missing(String),
    #[error("option '{0}' expects a number, got '{1}'")]
    NotANumber(String, String),
    #[error("option '{0}' is not supported yet by lbd (process model and reload come with the reload work)")]
    NotYet(String),
    #[error("unknown option '{0}'")]
    Unknown(String),
    #[error("No configuration file specified")]
    NoConfig,
}

/// Flags that belong to the process-model work (master-worker, reload,
/// socket transfer). Named so they fail loudly instead of being ignored.
const LATER_FLAGS: &[&str] = &["-W", "-Ws", "-S", "-sf", "-st", "-x"];

pub fn parse<I: IntoIterator<Item = String>>(args: I) -> Result<Args, ArgError> {
    let mut a = Args::default();
    let mut it = args.into_iter().peekable();
    let mut only_files = false;
    while let Some(arg) = it.next() {
        if only_files || !arg.starts_with('-') || arg == "-" {
            // HAProxy accepts trailing file names after `--`.
            if only_files {
                a.files.push(PathBuf::from(arg));
                continue;
            }
            return Err(ArgError::Unknown(arg));
        }
        let mut value = |name: &str| it.next().ok_or_else(|| ArgError::Missing(name.to_string()));
        match arg.as_str() {
            "--" => only_files = true,
            "-f" => a.files.push(PathBuf::from(value("-f")?)),
            "-c" => a.check = true,
            "-q" => a.quiet = true,
            "-dW" => a.zero_warning = true,
            "-D" => a.daemon = true,
            "-db" | "-d" => a.foreground = true,
            "-p" => a.pidfile = Some(PathBuf::from(value("-p")?)),
            "-C" => a.chdir = Some(PathBuf::from(value("-C")?)),
            "-cc" => a.eval_cond = Some(value("-cc")?),
            "-L" => a.local_peer = Some(value("-L")?),
            "-N" => {
                let v = value("-N")?;
                a.maxconn = Some(
                    v.parse()
                        .map_err(|_| ArgError::NotANumber("-N".into(), v.clone()))?,
                );
            }
            "-v" | "-V" if arg == "-v" => a.version = a.version.max(1),
            "-V" => {}
            "-vv" => a.version = 2,
            f if LATER_FLAGS.contains(&f) => return Err(ArgError::NotYet(arg)),
            // Debug and tuning switches HAProxy has (-dM, -dS, -de, -dp, -dr,
            // -dV...) change nothing observable for lbd.
            f if f.starts_with("-d") && f.len() > 2 => {}
            _ => return Err(ArgError::Unknown(arg)),
        }
    }
    if a.files.is_empty() && a.version == 0 && a.eval_cond.is_none() {
        return Err(ArgError::NoConfig);
    }
    Ok(a)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Result<Args, ArgError> {
        parse(s.split_whitespace().map(String::from))
    }

    #[test]
    fn check_mode_with_several_files() {
        let a = p("-c -q -f a.cfg -f dir -- b.cfg c.cfg").unwrap();
        assert!(a.check && a.quiet);
        assert_eq!(
            a.files,
            ["a.cfg", "dir", "b.cfg", "c.cfg"].map(PathBuf::from)
        );
    }

    #[test]
    fn errors_are_named() {
        assert_eq!(p("-f"), Err(ArgError::Missing("-f".into())));
        assert_eq!(p("-c"), Err(ArgError::NoConfig));
        assert_eq!(p("-f x -sf 12"), Err(ArgError::NotYet("-sf".into())));
        assert_eq!(p("-f x -z"), Err(ArgError::Unknown("-z".into())));
        assert_eq!(
            p("-f x -N abc"),
            Err(ArgError::NotANumber("-N".into(), "abc".into()))
        );
    }

    #[test]
    fn condition_flag_needs_no_config() {
        let a = p("-cc defined(HOME)").unwrap();
        assert_eq!(a.eval_cond.as_deref(), Some("defined(HOME)"));
    }

    #[test]
    fn version_flags() {
        assert_eq!(p("-vv").unwrap().version, 2);
        assert_eq!(p("-v").unwrap().version, 1);
    }
}
