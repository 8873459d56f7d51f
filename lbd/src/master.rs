//! The master CLI (`-S <path>`): `show proc`, `reload`, `show version`,
//! `help`, and `@1 <command>` / `@!<pid> <command>` run on the serving
//! runtime, as 2.6 forwards them to a worker's CLI.
//!
//! One lbd process is both master and worker, so `show proc` lists the
//! same pid twice, and `reload` is the in-process reload.

use crate::api::{execute, split_words, Api, SessionState};
use crate::config::model::CliLevel;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// How long a master CLI client may take to send its request.
const CLIENT_TIMEOUT: Duration = Duration::from_secs(10);

static STARTED: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();

/// Binds the master CLI socket and serves it on the current Tokio runtime.
pub fn start(path: &Path) -> std::io::Result<()> {
    STARTED.get_or_init(Instant::now);
    if let Ok(meta) = std::fs::symlink_metadata(path) {
        use std::os::unix::fs::FileTypeExt;
        if meta.file_type().is_socket() {
            let _ = std::fs::remove_file(path);
        }
    }
    let l = tokio::net::UnixListener::bind(path)?;
    tokio::spawn(async move {
        loop {
            match l.accept().await {
                Ok((s, _)) => {
                    tokio::spawn(client(s));
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        }
    });
    Ok(())
}

async fn client(mut s: tokio::net::UnixStream) {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 1024];
    // Non-interactive, as 2.6 without `prompt`: one request line.
    let line = loop {
        if let Some(pos) = buf.iter().position(|&b| b == b'\n') {
            break buf[..pos].to_vec();
        }
        match tokio::time::timeout(CLIENT_TIMEOUT, s.read(&mut chunk)).await {
            Ok(Ok(0)) => break std::mem::take(&mut buf),
            Ok(Ok(n)) => buf.extend_from_slice(&chunk[..n]),
            _ => return,
        }
    };
    let mut out = String::new();
    for cmd in line.split(|&b| b == b';') {
        let (words, _) = split_words(cmd);
        if words.is_empty() {
            continue;
        }
        match run(&words).await {
            Some(text) => out.push_str(&text),
            None => break,
        }
    }
    let _ = s.write_all(out.as_bytes()).await;
    let _ = s.shutdown().await;
}

/// Runs one master CLI command; None closes the session without output.
async fn run(words: &[String]) -> Option<String> {
    let w: Vec<&str> = words.iter().map(String::as_str).collect();
    match w.as_slice() {
        ["show", "proc", ..] => Some(show_proc()),
        ["reload", ..] => {
            // 2.6 answers nothing: the outcome is in the logs and `show proc`.
            let _ = crate::reload::request().await;
            None
        }
        ["show", "version", ..] => Some(format!("{}\n", crate::config::LBD_VERSION_COMPAT)),
        ["quit", ..] => None,
        [target, rest @ ..] if target.starts_with('@') => Some(forward(target, rest)),
        ["help", ..] => Some(HELP.into()),
        _ => Some(format!("Unknown command: '{}'\n\n{HELP}", w.join(" "))),
    }
}

const HELP: &str = "The following commands are valid at this level:
  @!<pid>                                 : send a command to the <pid> process
  @<relative pid>                         : send a command to the <relative pid> process
  @master                                 : send a command to the master process
  reload                                  : reload haproxy
  show proc                               : show processes status
  show version                            : show version of the current process
  help [<command>]                        : list matching or all commands
  quit                                    : disconnect

";

fn uptime(d: Duration) -> String {
    let s = d.as_secs();
    format!(
        "{}d{:02}h{:02}m{:02}s",
        s / 86400,
        (s / 3600) % 24,
        (s / 60) % 60,
        s % 60
    )
}

/// 2.6's `show proc` table.
fn show_proc() -> String {
    let pid = std::process::id();
    let (reloads, failed) = crate::reload::counts();
    let up = STARTED.get().map(|t| t.elapsed()).unwrap_or_default();
    let version = crate::config::LBD_VERSION_COMPAT;
    let mut out = format!(
        "{:<15} {:<15} {:<15} {:<15} {:<15}\n",
        "#<PID>", "<type>", "<reloads>", "<uptime>", "<version>"
    );
    out.push_str(&format!(
        "{:<15} {:<15} {:<15} {:<15} {:<15}\n",
        pid,
        "master",
        format!("{reloads} [failed: {failed}]"),
        uptime(up),
        version
    ));
    out.push_str("# workers\n");
    out.push_str(&format!(
        "{:<15} {:<15} {:<15} {:<15} {:<15}\n",
        pid,
        "worker",
        0,
        uptime(up),
        version
    ));
    out.push_str("# programs\n\n");
    out
}

/// `@1 <cmd>`, `@!<pid> <cmd>`: runs the command on the serving runtime at
/// admin level, as a worker's master socketpair does.
fn forward(target: &str, rest: &[&str]) -> String {
    let ok = match target {
        "@1" | "@master" => true,
        t => t
            .strip_prefix("@!")
            .and_then(|p| p.parse::<u32>().ok())
            .is_some_and(|p| p == std::process::id()),
    };
    if !ok {
        return format!("Can't find the target PID matching the prefix '{target}'\n");
    }
    let Some(runtime) = crate::stats::current() else {
        return "Can't find the target PID matching the prefix '@1'\n".into();
    };
    let api = Api::new(
        runtime.clone(),
        Arc::new(crate::stats::RuntimeStats { runtime }),
        Arc::new(crate::runtime::StderrObserver),
    );
    let mut st = SessionState {
        level: CliLevel::Admin,
        prompt: false,
        timeout: CLIENT_TIMEOUT,
        id: 0,
    };
    let args: Vec<String> = rest.iter().map(|s| s.to_string()).collect();
    let out = execute(&api, &mut st, &args, None);
    let mut text = out.text;
    if !out.nolf {
        text.push('\n');
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn show_proc_columns_are_haproxys() {
        let t = show_proc();
        let first = t.lines().next().unwrap_or_default();
        assert_eq!(
            first,
            "#<PID>          <type>          <reloads>       <uptime>        <version>      "
        );
        assert!(t.contains("master          0 [failed: 0]   0d00h00m"));
        assert!(t.ends_with("# programs\n\n"));
    }

    #[test]
    fn uptime_format() {
        assert_eq!(uptime(Duration::from_secs(90061)), "1d01h01m01s");
    }
}
