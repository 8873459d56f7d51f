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
    use std::os::fd::AsFd;
    for fd in [0, 1, 2] {
        // SAFETY-free path: dup2 through nix on borrowed descriptors.
        let mut target = unsafe_free_fd(fd);
        nix::unistd::dup2(null.as_fd(), &mut target)?;
        std::mem::forget(target);
    }
    Ok(())
}

/// The standard descriptors 0-2 always exist; wrap them for dup2.
fn unsafe_free_fd(fd: i32) -> std::os::fd::OwnedFd {
    use std::os::fd::FromRawFd;
    // SAFETY: 0, 1 and 2 are open for the whole life of the process; the
    // caller forgets the OwnedFd after dup2 so it is never closed twice.
    unsafe { std::os::fd::OwnedFd::from_raw_fd(fd) }
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
