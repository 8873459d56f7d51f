//! Command-line flags, HAProxy-compatible (spec section 10). Pure parsing:
//! no I/O, so every flag combination is unit-tested.

use std::path::PathBuf;

pub mod crypto;

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
    /// `-W`, or `-Ws` (which also speaks sd_notify).
    pub master_worker: bool,
    pub systemd: bool,
    /// `-S <path>[,opts]`: the master CLI socket.
    pub master_cli: Option<PathBuf>,
    /// `-sf <pid>...` / `-st <pid>...`: old processes to stop once serving.
    pub soft_stop_pids: Vec<i32>,
    pub hard_stop_pids: Vec<i32>,
    /// `-x <socket>`: take the listening sockets from this stats socket.
    pub takeover: Option<PathBuf>,
    /// `--dbus system|session|<address>`: serve lbd's D-Bus interface.
    pub dbus: Option<String>,
    /// `--config-history DIR`: where D-Bus keeps configuration versions.
    pub config_history: Option<PathBuf>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ArgError {
    #[error("option '{0}' expects an argument")]
    Missing(String),
    #[error("option '{0}' expects a number, got '{1}'")]
    NotANumber(String, String),
    #[error("unknown option '{0}'")]
    Unknown(String),
    #[error("No configuration file specified")]
    NoConfig,
}

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
            "-W" => a.master_worker = true,
            "-Ws" => {
                a.master_worker = true;
                a.systemd = true;
            }
            "-S" => {
                // Options after a comma (mode, level...) do not apply: the
                // master CLI socket is always admin-level, owner-only.
                let v = value("-S")?;
                let path = v.split(',').next().unwrap_or_default();
                a.master_cli = Some(PathBuf::from(path.strip_prefix("unix@").unwrap_or(path)));
            }
            "-x" => a.takeover = Some(PathBuf::from(value("-x")?)),
            "--dbus" => a.dbus = Some(value("--dbus")?),
            "--config-history" => {
                a.config_history = Some(PathBuf::from(value("--config-history")?))
            }
            "-sf" | "-st" => {
                // The pid list ends at the next argument starting with '-'.
                let mut pids: Vec<i32> = Vec::new();
                while let Some(next) = it.next_if(|n| !n.starts_with('-')) {
                    pids.push(
                        next.parse()
                            .map_err(|_| ArgError::NotANumber(arg.clone(), next.clone()))?,
                    );
                }
                if arg == "-sf" {
                    a.soft_stop_pids.extend(pids);
                } else {
                    a.hard_stop_pids.extend(pids);
                }
            }
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

    #[test]
    fn dbus_flags_take_a_bus_and_a_history_dir() {
        let a = parse(
            [
                "-f",
                "a.cfg",
                "--dbus",
                "system",
                "--config-history",
                "/var/h",
            ]
            .map(String::from),
        )
        .unwrap();
        assert_eq!(a.dbus.as_deref(), Some("system"));
        assert_eq!(a.config_history, Some(PathBuf::from("/var/h")));
        assert_eq!(
            parse(["-f", "a.cfg", "--dbus"].map(String::from)),
            Err(ArgError::Missing("--dbus".into()))
        );
    }

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
    fn process_model_flags() {
        let a = p("-Ws -S /run/m.sock,level,admin -f x -sf 12 13 -x /s -st 14").unwrap();
        assert!(a.master_worker && a.systemd);
        assert_eq!(a.master_cli, Some(PathBuf::from("/run/m.sock")));
        assert_eq!(a.soft_stop_pids, vec![12, 13]);
        assert_eq!(a.hard_stop_pids, vec![14]);
        assert_eq!(a.takeover, Some(PathBuf::from("/s")));
        assert_eq!(
            p("-f x -sf 1 abc"),
            Err(ArgError::NotANumber("-sf".into(), "abc".into()))
        );
    }

    #[test]
    fn version_flags() {
        assert_eq!(p("-vv").unwrap().version, 2);
        assert_eq!(p("-v").unwrap().version, 1);
    }
}
