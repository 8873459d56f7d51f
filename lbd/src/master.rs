//! The master process of `-W`/`-Ws`, and its CLI (`-S <path>`).
//!
//! [`run`] is the master itself (see `master/run.rs`); `worker` is the
//! worker's end of the link; `ipc` the socketpair between them; `procs`
//! the process list. The master CLI answers `show proc`, `reload`, `show
//! version`, `help`, and forwards `@1 <command>` / `@!<pid> <command>` to
//! a worker's CLI over its socketpair, as 2.6.

mod ipc;
mod procs;
mod run;
pub mod state;
pub mod worker;

pub use run::{fork_early, run, Forked, Options, Role, ENV_REEXEC};

use crate::api::split_words;
use run::{lock, Event, SharedState};
use std::path::Path;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::mpsc;

/// How long a master CLI client may take to send its request, and a worker
/// to answer a forwarded one.
const CLIENT_TIMEOUT: Duration = Duration::from_secs(10);

/// Binds the master CLI socket and serves it on the current Tokio runtime.
fn start(
    path: &Path,
    shared: SharedState,
    tx: mpsc::UnboundedSender<Event>,
) -> std::io::Result<()> {
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
                    tokio::spawn(client(s, shared.clone(), tx.clone()));
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        }
    });
    Ok(())
}

async fn client(
    mut s: tokio::net::UnixStream,
    shared: SharedState,
    tx: mpsc::UnboundedSender<Event>,
) {
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
        match run_command(&words, &shared, &tx).await {
            Some(text) => out.push_str(&text),
            None => break,
        }
    }
    let _ = s.write_all(out.as_bytes()).await;
    let _ = s.shutdown().await;
}

/// Runs one master CLI command; None closes the session without output.
async fn run_command(
    words: &[String],
    shared: &SharedState,
    tx: &mpsc::UnboundedSender<Event>,
) -> Option<String> {
    let w: Vec<&str> = words.iter().map(String::as_str).collect();
    match w.as_slice() {
        ["show", "proc", ..] => {
            let s = lock(shared);
            let workers: Vec<procs::Worker> = s.workers.iter().map(|w| w.info.clone()).collect();
            Some(procs::show_proc(
                std::process::id(),
                &s.master,
                &workers,
                run::now_secs(),
            ))
        }
        ["reload", ..] => {
            // 2.6 answers nothing: the outcome is in the logs and `show proc`.
            let _ = tx.send(Event::Reload);
            None
        }
        ["show", "version", ..] => Some(format!("{}\n", crate::config::LBD_VERSION_COMPAT)),
        ["quit", ..] => None,
        ["@" | "@master", rest @ ..] if !rest.is_empty() => {
            let rest: Vec<String> = rest.iter().map(|s| s.to_string()).collect();
            Box::pin(run_command(&rest, shared, tx)).await
        }
        [target, rest @ ..] if target.starts_with('@') => Some(forward(target, rest, shared).await),
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

/// `@1 <cmd>` (the current worker), `@!<pid> <cmd>` (any worker): the
/// command runs on that worker's CLI at admin level.
async fn forward(target: &str, rest: &[&str], shared: &SharedState) -> String {
    let not_found = || format!("Can't find the target PID matching the prefix '{target}'\n");
    let fd = {
        let s = lock(shared);
        let entry = match target {
            "@1" => s.current(),
            t => match t.strip_prefix("@!").and_then(|p| p.parse::<i32>().ok()) {
                Some(pid) => s.workers.iter().find(|w| w.info.pid == pid),
                None => None,
            },
        };
        match entry {
            Some(e) => std::os::fd::AsRawFd::as_raw_fd(&e.ipc),
            None => return not_found(),
        }
    };
    let Ok(conn) = ipc::connect(fd) else {
        return not_found();
    };
    if conn.set_nonblocking(true).is_err() {
        return not_found();
    }
    let Ok(mut conn) = tokio::net::UnixStream::from_std(conn) else {
        return not_found();
    };
    let request = format!("{}\n", rest.join(" "));
    let mut answer = Vec::new();
    let talk = async {
        conn.write_all(request.as_bytes()).await?;
        conn.read_to_end(&mut answer).await
    };
    let _ = tokio::time::timeout(CLIENT_TIMEOUT, talk).await;
    String::from_utf8_lossy(&answer).into_owned()
}
