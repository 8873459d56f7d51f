//! `lbctl config`: lbd's configuration over `org.rampart.Lbd1` — show the
//! running file, check or diff a candidate, apply it (optionally to be
//! confirmed within a delay, else lbd rolls back by itself), confirm, roll
//! back, list the history. `check` runs `lbd -c -f FILE` locally when lbd
//! is not reachable on the bus.

use std::path::{Path, PathBuf};

use lbapi::dbus::{ConfigError, Lbd1Proxy, Version};

use crate::{unreachable, Cli, Failure};

#[derive(clap::Subcommand, Debug, Clone)]
pub enum ConfigCmd {
    /// The configuration lbd runs (its file as it is on disk).
    Show,
    /// Check FILE: by lbd over D-Bus, or with `lbd -c -f FILE` here.
    Check {
        file: PathBuf,
        /// The lbd binary for a local check (default: beside lbctl, then $PATH).
        #[arg(long, env = "LBD_BIN")]
        lbd: Option<PathBuf>,
    },
    /// What applying FILE would change, as a unified diff.
    Diff { file: PathBuf },
    /// Check FILE, make it the configuration and reload.
    Apply {
        file: PathBuf,
        /// Roll back by itself unless `lbctl config confirm` comes within
        /// this delay (e.g. 60s, 2m).
        #[arg(long, value_parser = parse_delay)]
        confirm: Option<u32>,
    },
    /// Keep the configuration applied with --confirm.
    Confirm,
    /// Restore a saved version (default: the one before the current).
    Rollback { version: Option<u32> },
    /// The saved versions.
    History,
}

/// `60s`, `2m`, `1h` or bare seconds, as whole seconds (at least 1).
fn parse_delay(s: &str) -> Result<u32, String> {
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (n, unit) = s.split_at(split);
    let n: u32 = n
        .parse()
        .map_err(|_| format!("'{s}': expected a delay such as 60s or 2m"))?;
    let mult = match unit {
        "" | "s" => 1,
        "m" => 60,
        "h" => 3600,
        _ => return Err(format!("'{s}': unknown unit (s, m, h)")),
    };
    match n.checked_mul(mult) {
        Some(v) if v > 0 => Ok(v),
        _ => Err(format!("'{s}': the delay must be 1 s or more")),
    }
}

async fn proxy(cli: &Cli) -> Result<Lbd1Proxy<'static>, Failure> {
    let bus = cli.bus();
    let conn = zbus::connection::Builder::address(bus.as_str())
        .map_err(|e| unreachable("the bus", e))?
        .build()
        .await
        .map_err(|e| unreachable(&format!("the bus at {bus}"), e))?;
    Lbd1Proxy::new(&conn)
        .await
        .map_err(|e| unreachable("lbd", e))
}

/// A refused request (bad configuration, unknown version, nothing pending)
/// is 1; lbd missing from the bus or the bus gone is 3.
fn call_err(e: zbus::Error) -> Failure {
    if let zbus::Error::MethodError(name, msg, _) = &e {
        let n = name.as_str();
        if n.ends_with(".InvalidArgs") || n.ends_with(".Failed") {
            return Failure(1, msg.clone().unwrap_or_else(|| n.to_string()));
        }
        if n.ends_with(".ServiceUnknown") || n.ends_with(".NameHasNoOwner") {
            return Failure(
                3,
                "lbd is not on the bus (is it started with D-Bus?)".into(),
            );
        }
    }
    unreachable("lbd", e)
}

fn read(file: &Path) -> Result<String, Failure> {
    std::fs::read_to_string(file).map_err(|e| Failure(1, format!("{}: {e}", file.display())))
}

/// `FILE:LINE: alert: message`, one per diagnostic, as compilers print.
fn diagnostics(file: &Path, errs: &[ConfigError]) -> String {
    let mut out = String::new();
    for e in errs {
        let place = if e.line == 0 {
            file.display().to_string()
        } else {
            format!("{}:{}", file.display(), e.line)
        };
        let kw = if e.keyword.is_empty() {
            String::new()
        } else {
            format!("'{}': ", e.keyword)
        };
        out += &format!("{place}: {}: {kw}{}\n", e.severity, e.message);
    }
    out
}

fn date(ts: u64) -> String {
    i64::try_from(ts)
        .ok()
        .and_then(|t| chrono::DateTime::from_timestamp(t, 0))
        .map(|d| d.format("%Y-%m-%d %H:%M:%S").to_string())
        .unwrap_or_else(|| "-".into())
}

pub fn history_table(list: &[Version], current: u32, pending: u32) -> String {
    if list.is_empty() {
        return "No saved versions yet: the first apply saves the running one.\n".into();
    }
    let mut out = format!(
        "  {:>7}  {:<19}  {:>7}  {}\n",
        "VERSION", "DATE (UTC)", "BYTES", "COMMENT"
    );
    for v in list {
        let mark = if v.id == pending {
            '?'
        } else if v.id == current {
            '*'
        } else {
            ' '
        };
        let mut line = format!(
            "{mark} {:>7}  {:<19}  {:>7}  {}",
            v.id,
            date(v.timestamp),
            v.size,
            v.comment
        );
        if line.len() > 79 {
            let mut cut = 79;
            while !line.is_char_boundary(cut) {
                cut -= 1;
            }
            line.truncate(cut);
        }
        out += &line;
        out.push('\n');
    }
    out += "(* in use, ? applied and waiting for `lbctl config confirm`)\n";
    out
}

pub async fn run(cli: &Cli, cmd: &ConfigCmd) -> Result<(), Failure> {
    if let ConfigCmd::Check { file, lbd } = cmd {
        let text = read(file)?;
        return match proxy(cli).await {
            Ok(p) => match p.validate(&text).await.map_err(call_err) {
                Ok(errs) => check_report(cli, file, &errs),
                Err(Failure(3, why)) => local_check(cli, file, lbd.as_deref(), &why),
                Err(f) => Err(f),
            },
            Err(Failure(_, why)) => local_check(cli, file, lbd.as_deref(), &why),
        };
    }
    let p = proxy(cli).await?;
    match cmd {
        ConfigCmd::Show => {
            let text = p.config_text().await.map_err(call_err)?;
            if cli.json {
                let version = p.current_version().await.unwrap_or(0);
                println!("{}", serde_json::json!({"version": version, "text": text}));
            } else {
                print!("{text}");
            }
        }
        ConfigCmd::Diff { file } => {
            let new = read(file)?;
            let old = p.config_text().await.map_err(call_err)?;
            let d = crate::diff::unified(&old, &new, "running", &file.display().to_string());
            if cli.json {
                println!(
                    "{}",
                    serde_json::json!({"identical": d.is_empty(), "diff": d})
                );
            } else if d.is_empty() {
                println!("{}: same as the running configuration", file.display());
            } else {
                print!("{d}");
            }
        }
        ConfigCmd::Apply { file, confirm } => {
            let text = read(file)?;
            let errs = p.validate(&text).await.map_err(call_err)?;
            if errs.iter().any(ConfigError::is_alert) {
                eprint!("{}", diagnostics(file, &errs));
                return Err(Failure(1, format!("{}: not applied", file.display())));
            }
            let secs = confirm.unwrap_or(0);
            let v = p.apply(&text, secs).await.map_err(call_err)?;
            if cli.json {
                println!(
                    "{}",
                    serde_json::json!({"version": v, "confirm_within": secs})
                );
            } else if secs > 0 {
                println!(
                    "Applied as version {v}. Run `lbctl config confirm` within {secs} s \
                     or it is rolled back."
                );
            } else {
                println!("Applied as version {v}.");
            }
        }
        ConfigCmd::Confirm => {
            let pending = p.pending_version().await.unwrap_or(0);
            p.confirm().await.map_err(call_err)?;
            if cli.json {
                println!("{}", serde_json::json!({"confirmed": pending}));
            } else {
                println!("Version {pending} confirmed.");
            }
        }
        ConfigCmd::Rollback { version } => {
            let target = match version {
                Some(v) => *v,
                None => {
                    let h = p.history().await.map_err(call_err)?;
                    match h.len() {
                        0 | 1 => return Err(Failure(1, "no earlier version to go back to".into())),
                        n => h[n - 2].id,
                    }
                }
            };
            let v = p.rollback(target).await.map_err(call_err)?;
            if cli.json {
                println!("{}", serde_json::json!({"restored": target, "version": v}));
            } else {
                println!("Version {target} restored (saved as version {v}).");
            }
        }
        ConfigCmd::History => {
            let h = p.history().await.map_err(call_err)?;
            let current = p.current_version().await.unwrap_or(0);
            let pending = p.pending_version().await.unwrap_or(0);
            if cli.json {
                println!(
                    "{}",
                    serde_json::json!({"current": current, "pending": pending, "versions": h})
                );
            } else {
                print!("{}", history_table(&h, current, pending));
            }
        }
        ConfigCmd::Check { .. } => {}
    }
    Ok(())
}

fn check_report(cli: &Cli, file: &Path, errs: &[ConfigError]) -> Result<(), Failure> {
    let valid = !errs.iter().any(ConfigError::is_alert);
    if cli.json {
        println!(
            "{}",
            serde_json::json!({"file": file, "valid": valid, "diagnostics": errs, "by": "lbd"})
        );
    } else {
        print!("{}", diagnostics(file, errs));
        if valid {
            println!("{}: valid", file.display());
        }
    }
    if valid {
        Ok(())
    } else {
        Err(Failure(1, format!("{}: invalid", file.display())))
    }
}

fn lbd_binary(given: Option<&Path>) -> PathBuf {
    if let Some(b) = given {
        return b.to_path_buf();
    }
    let beside = std::env::current_exe()
        .ok()
        .and_then(|p| p.parent().map(|d| d.join("lbd")));
    match beside {
        Some(b) if b.exists() => b,
        _ => PathBuf::from("lbd"),
    }
}

/// `lbd -c -f FILE` on this machine; lbd's own messages are passed through.
fn local_check(cli: &Cli, file: &Path, lbd: Option<&Path>, why: &str) -> Result<(), Failure> {
    let bin = lbd_binary(lbd);
    let out = std::process::Command::new(&bin)
        .arg("-c")
        .arg("-f")
        .arg(file)
        .stdin(std::process::Stdio::null())
        .output()
        .map_err(|e| {
            Failure(
                3,
                format!("{why}; and cannot run {} -c: {e}", bin.display()),
            )
        })?;
    let valid = out.status.success();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    if cli.json {
        println!(
            "{}",
            serde_json::json!({"file": file, "valid": valid, "output": format!("{stdout}{stderr}"), "by": "lbd -c"})
        );
    } else {
        print!("{stdout}");
        eprint!("{stderr}");
    }
    if valid {
        Ok(())
    } else {
        Err(Failure(1, format!("{}: invalid", file.display())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays() {
        assert_eq!(parse_delay("60s"), Ok(60));
        assert_eq!(parse_delay("2m"), Ok(120));
        assert_eq!(parse_delay("90"), Ok(90));
        assert!(parse_delay("0s").is_err());
        assert!(parse_delay("1d").is_err());
    }

    #[test]
    fn history_fits_80_columns() {
        let v = |id, c: &str| Version {
            id,
            timestamp: 1_700_000_000,
            size: 1234,
            comment: c.into(),
        };
        let t = history_table(
            &[v(1, "initial"), v(2, &"x".repeat(200)), v(3, "applied")],
            3,
            3,
        );
        assert!(t.lines().all(|l| l.len() <= 80), "{t}");
        assert!(
            t.contains("?       3  2023-11-14 22:13:20     1234  applied"),
            "{t}"
        );
    }
}
