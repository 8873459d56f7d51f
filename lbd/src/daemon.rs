//! `-D` / `daemon`: detach from the terminal, and the pidfile.

use std::io::Write;
use std::path::Path;

/// Forks into the background: the parent exits, the child starts a new
/// session and continues. Must be called before any thread is started.
pub fn daemonize() -> std::io::Result<()> {
    // SAFETY: called from main() before the Tokio runtime or any other thread
    // exists, so the child is a faithful single-threaded copy and may go on
    // running arbitrary code.
    match unsafe { nix::unistd::fork() }? {
        nix::unistd::ForkResult::Parent { .. } => std::process::exit(0),
        nix::unistd::ForkResult::Child => {}
    }
    nix::unistd::setsid()?;
    // Detach stdio from the terminal, as HAProxy does in daemon mode.
    let null = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/null")?;
    nix::unistd::dup2_stdin(&null)?;
    nix::unistd::dup2_stdout(&null)?;
    nix::unistd::dup2_stderr(&null)?;
    Ok(())
}

/// Writes our pid, write-temp then rename so readers never see half a file.
pub fn write_pidfile(path: &Path) -> std::io::Result<()> {
    let tmp = path.with_extension("tmp-lbd");
    {
        let mut f = std::fs::File::create(&tmp)?;
        writeln!(f, "{}", std::process::id())?;
        f.sync_all()?;
    }
    std::fs::rename(&tmp, path)
}
