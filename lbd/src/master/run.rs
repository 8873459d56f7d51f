//! The master process of `-W`/`-Ws` (spec section 10), as 2.6: it binds no
//! listener; it forks+execs a worker (the same binary with
//! `HAPROXY_MWORKER=1` and one end of a socketpair), waits, and on SIGUSR2
//! or the master CLI's `reload` re-executes itself (argv[0], so a binary
//! replaced on disk becomes the new master) with its workers described in
//! the environment. The new master reads the configuration again: when it
//! is good, a new worker takes the listeners from the current one over its
//! socketpair and, once it accepts, the old ones are soft-stopped; when it
//! is not, the master keeps the old workers serving ("wait mode").
//!
//! SIGTERM/SIGINT/SIGUSR1 go to every worker; the master leaves when the
//! last one has. A current worker dying with an error takes everyone down
//! (2.6's exit-on-failure).

use super::ipc;
use super::procs::{self, MasterState, Worker};
use super::worker::ENV_WORKER;
use crate::server::say;
use nix::sys::signal::{kill, SigSet, SigmaskHow, Signal};
use nix::sys::wait::{waitpid, WaitPidFlag, WaitStatus};
use nix::unistd::Pid;
use std::ffi::{CString, OsString};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::net::UnixStream;
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use tokio::sync::mpsc;

/// Set by a master on its successor.
pub const ENV_REEXEC: &str = "HAPROXY_MWORKER_REEXEC";

/// What the command line and the configuration asked of the master.
#[derive(Debug, Clone)]
pub struct Options {
    /// `-Ws`: speak sd_notify.
    pub notify: bool,
    /// `-S <path>`: the master CLI.
    pub cli: Option<PathBuf>,
    /// The command line as started, argv[0] first.
    pub argv: Vec<OsString>,
}

/// A worker and the master's end of its socketpair.
#[derive(Debug)]
pub(super) struct Entry {
    pub info: Worker,
    pub ipc: OwnedFd,
}

/// What the master CLI shares with the master loop.
#[derive(Debug, Default)]
pub(super) struct Shared {
    pub master: MasterState,
    pub workers: Vec<Entry>,
}

impl Shared {
    /// The worker serving new connections: the newest one not leaving.
    pub fn current(&self) -> Option<&Entry> {
        self.workers.iter().rev().find(|w| !w.info.leaving)
    }
}

/// What the master loop hears besides signals.
#[derive(Debug)]
pub(super) enum Event {
    Ready(i32),
    Reload,
}

pub(super) type SharedState = Arc<Mutex<Shared>>;

pub(super) fn lock(s: &SharedState) -> std::sync::MutexGuard<'_, Shared> {
    s.lock().unwrap_or_else(|p| p.into_inner())
}

/// The signals a master handles; blocked across its re-execution so that
/// none arriving meanwhile kills the new master before it listens.
fn handled() -> SigSet {
    let mut set = SigSet::empty();
    for s in [
        Signal::SIGTERM,
        Signal::SIGINT,
        Signal::SIGUSR1,
        Signal::SIGUSR2,
        Signal::SIGCHLD,
        Signal::SIGTTIN,
        Signal::SIGTTOU,
    ] {
        set.add(s);
    }
    set
}

pub(super) fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
}

/// A worker forked by [`fork_early`], and the master's end of its
/// socketpair.
#[derive(Debug)]
pub struct Forked {
    pid: i32,
    ipc: OwnedFd,
}

/// What [`fork_early`] made of this process.
#[derive(Debug)]
pub enum Role {
    /// The master, with the worker it forked; None when it could not fork
    /// here, and forks+execs one from its loop instead.
    Master(Option<Forked>),
    /// The new worker, with its link to the master.
    Worker(super::worker::Inheritance),
}

/// The workers a re-executed master inherits from its predecessor (listed
/// in the environment), those whose socketpair is still open.
fn previous_workers() -> Vec<Worker> {
    let list = std::env::var(procs::ENV_PROCESSES).unwrap_or_default();
    procs::workers_from_env(&list)
        .into_iter()
        .filter(|w| ipc::fd_from_env_value(w.ipc_fd).is_some())
        .collect()
}

/// Forks the worker for this master's configuration before the master
/// starts its runtime: the child goes on as the worker from this point of
/// `main`, without an exec. An exec costs a fresh process its loader,
/// relocations and page faults, ~3 ms of CPU on every `-W` reload with
/// the master's own re-exec already paid; 2.6 forks its workers the same
/// way. The master still re-executes itself on a reload, so a binary
/// replaced on disk is what the new worker runs.
///
/// Only while this process has one thread (checked here); otherwise the
/// master forks+execs as before.
pub fn fork_early() -> Role {
    if !single_threaded() {
        return Role::Master(None);
    }
    // After a re-exec, the previous master's workers: the current one
    // hands its listeners to the new worker over its socketpair.
    let workers = if std::env::var_os(ENV_REEXEC).is_some() {
        previous_workers()
    } else {
        Vec::new()
    };
    let takeover = workers.iter().rev().find(|w| !w.leaving).map(|w| w.ipc_fd);
    let Ok((ours, theirs)) = UnixStream::pair() else {
        return Role::Master(None);
    };
    // SAFETY: this process has a single thread (checked above, and nothing
    // in between starts one), so the child is a faithful copy that may go
    // on running arbitrary code, as after daemonize's fork.
    match unsafe { nix::unistd::fork() } {
        Err(_) => Role::Master(None),
        Ok(nix::unistd::ForkResult::Parent { child }) => {
            drop(theirs);
            Role::Master(Some(Forked {
                pid: child.as_raw(),
                ipc: OwnedFd::from(ours),
            }))
        }
        Ok(nix::unistd::ForkResult::Child) => {
            drop(ours);
            // The master's ends of the other workers' socketpairs: held
            // here, they would hide the master's death from those workers.
            let mut takeover_fd = None;
            for w in &workers {
                // SAFETY: the previous master left this descriptor open
                // for the master alone; nothing in this child owns it yet.
                let fd = unsafe { OwnedFd::from_raw_fd(w.ipc_fd) };
                if Some(w.ipc_fd) == takeover {
                    // Left open across the previous master's exec: not
                    // for anything this worker starts.
                    let _ = ipc::set_inherit(w.ipc_fd, false);
                    takeover_fd = Some(fd);
                }
            }
            // As 2.6, for whatever the worker starts (external checks).
            std::env::set_var(ENV_WORKER, "1");
            // The master alone speaks to the service manager.
            for v in [
                "NOTIFY_SOCKET",
                "WATCHDOG_USEC",
                "WATCHDOG_PID",
                ENV_REEXEC,
                procs::ENV_PROCESSES,
                procs::ENV_MASTER,
            ] {
                std::env::remove_var(v);
            }
            // Blocked by the previous master across its exec.
            let _ = nix::sys::signal::sigprocmask(SigmaskHow::SIG_UNBLOCK, Some(&handled()), None);
            Role::Worker(super::worker::Inheritance::forked(
                OwnedFd::from(theirs),
                takeover_fd,
            ))
        }
    }
}

/// Whether this process runs a single thread.
fn single_threaded() -> bool {
    std::fs::read_dir("/proc/self/task")
        .map(|d| d.count() == 1)
        .unwrap_or(false)
}

/// Runs the master until its last worker has exited. Returns the exit code.
/// `forked`: the worker [`fork_early`] started, if it did.
pub fn run(opts: Options, forked: Option<Forked>) -> i32 {
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            say("[ALERT]", &format!("cannot start the master: {e}"));
            return 1;
        }
    };
    let code = rt.block_on(Master::new(opts).run(forked));
    rt.shutdown_timeout(std::time::Duration::from_millis(100));
    code
}

struct Master {
    opts: Options,
    shared: SharedState,
    tx: mpsc::UnboundedSender<Event>,
    rx: mpsc::UnboundedReceiver<Event>,
    /// The worker forked for the latest configuration, until it is ready.
    pending: Option<i32>,
    /// A reload asked for while `pending` was starting.
    reload_wanted: bool,
    stopping: bool,
    exitcode: Option<i32>,
}

impl Master {
    fn new(opts: Options) -> Master {
        let (tx, rx) = mpsc::unbounded_channel();
        Master {
            opts,
            shared: Arc::default(),
            tx,
            rx,
            pending: None,
            reload_wanted: false,
            stopping: false,
            exitcode: None,
        }
    }

    async fn run(mut self, forked: Option<Forked>) -> i32 {
        use tokio::signal::unix::{signal, SignalKind};
        let kind = |s: Signal| SignalKind::from_raw(s as i32);
        let (
            Ok(mut term),
            Ok(mut int),
            Ok(mut usr1),
            Ok(mut usr2),
            Ok(mut chld),
            Ok(mut ttin),
            Ok(mut ttou),
        ) = (
            signal(kind(Signal::SIGTERM)),
            signal(kind(Signal::SIGINT)),
            signal(kind(Signal::SIGUSR1)),
            signal(kind(Signal::SIGUSR2)),
            signal(kind(Signal::SIGCHLD)),
            signal(kind(Signal::SIGTTIN)),
            signal(kind(Signal::SIGTTOU)),
        )
        else {
            say("[ALERT]", "cannot install signal handlers");
            return 1;
        };
        // Blocked by the previous master across exec; handled from here on.
        let _ = nix::sys::signal::sigprocmask(SigmaskHow::SIG_UNBLOCK, Some(&handled()), None);
        self.inherit();
        if self.opts.notify {
            crate::notify::Notifier::start_watchdog();
        }
        if let Some(path) = &self.opts.cli {
            if let Err(e) = super::start(path, self.shared.clone(), self.tx.clone()) {
                say(
                    "[ALERT]",
                    &format!("Cannot bind the master CLI socket {}: {e}", path.display()),
                );
                self.signal_all(Signal::SIGTERM);
                return 1;
            }
        }
        // After a re-exec the new worker parses the configuration: one
        // that fails exits before it is ready, and the old ones keep serving.
        let started = match forked {
            Some(f) => {
                self.adopt(f);
                Ok(())
            }
            None => self.fork_worker(),
        };
        if let Err(e) = started {
            say("[ALERT]", &format!("Cannot fork a worker: {e}"));
            if lock(&self.shared).workers.is_empty() {
                return 1;
            }
            self.loading_failed();
        }
        loop {
            if let Some(code) = self.reap() {
                break self.leave(code);
            }
            tokio::select! {
                _ = term.recv() => self.exit_all(Signal::SIGTERM),
                _ = int.recv() => self.exit_all(Signal::SIGINT),
                _ = usr1.recv() => self.exit_all(Signal::SIGUSR1),
                _ = usr2.recv() => self.reload(),
                _ = chld.recv() => {}
                _ = ttin.recv() => self.signal_all(Signal::SIGTTIN),
                _ = ttou.recv() => self.signal_all(Signal::SIGTTOU),
                Some(ev) = self.rx.recv() => match ev {
                    Event::Ready(pid) => self.worker_ready(pid),
                    Event::Reload => self.reload(),
                },
            }
        }
    }

    /// Takes over the workers (and counters) of the master that
    /// re-executed into this one.
    fn inherit(&mut self) {
        let mut shared = lock(&self.shared);
        shared.master = std::env::var(procs::ENV_MASTER)
            .ok()
            .and_then(|s| procs::master_from_env(&s))
            .unwrap_or(MasterState {
                started: now_secs(),
                ..MasterState::default()
            });
        if std::env::var(ENV_REEXEC).is_ok() {
            for info in previous_workers() {
                let _ = ipc::set_inherit(info.ipc_fd, false);
                // SAFETY: the previous master left this descriptor open
                // across exec for this process alone, named in the list.
                let fd = unsafe { OwnedFd::from_raw_fd(info.ipc_fd) };
                watch_ready(&fd, info.pid, self.tx.clone());
                shared.workers.push(Entry { info, ipc: fd });
            }
        }
        for v in [ENV_REEXEC, procs::ENV_PROCESSES, procs::ENV_MASTER] {
            std::env::remove_var(v);
        }
    }

    /// Forks and execs a worker for the configuration just loaded; it takes
    /// the listeners from the current worker.
    fn fork_worker(&mut self) -> std::io::Result<()> {
        let (ours, theirs) = UnixStream::pair()?;
        let theirs_fd = theirs.as_raw_fd();
        let takeover: Option<RawFd> = lock(&self.shared).current().map(|w| w.ipc.as_raw_fd());
        let argv = &self.opts.argv;
        let mut cmd = std::process::Command::new("/proc/self/exe");
        if let Some(a0) = argv.first() {
            cmd.arg0(a0);
        }
        cmd.args(argv.iter().skip(1))
            .env(ENV_WORKER, "1")
            .env(ipc::ENV_IPC, theirs_fd.to_string())
            .env_remove(ipc::ENV_TAKEOVER)
            // The master alone speaks to the service manager.
            .env_remove("NOTIFY_SOCKET")
            .env_remove("WATCHDOG_USEC")
            .env_remove("WATCHDOG_PID");
        if let Some(t) = takeover {
            cmd.env(ipc::ENV_TAKEOVER, t.to_string());
        }
        // SAFETY: the closure runs in the forked child before exec and only
        // calls fcntl, which is async-signal-safe.
        unsafe {
            cmd.pre_exec(move || {
                for fd in std::iter::once(theirs_fd).chain(takeover) {
                    ipc::set_inherit(fd, true)?;
                }
                Ok(())
            });
        }
        let child = cmd.spawn()?;
        drop(theirs);
        self.adopt(Forked {
            pid: i32::try_from(child.id()).unwrap_or(i32::MAX),
            ipc: OwnedFd::from(ours),
        });
        Ok(())
    }

    /// Takes a new worker into the list, as the one whose readiness ends
    /// the reload.
    fn adopt(&mut self, Forked { pid, ipc }: Forked) {
        say("[NOTICE]", &format!("New worker ({pid}) forked"));
        watch_ready(&ipc, pid, self.tx.clone());
        lock(&self.shared).workers.push(Entry {
            info: Worker {
                pid,
                ipc_fd: ipc.as_raw_fd(),
                reloads: 0,
                started: now_secs(),
                leaving: false,
            },
            ipc,
        });
        self.pending = Some(pid);
    }

    /// The new worker accepts: the others are told to finish and leave.
    fn worker_ready(&mut self, pid: i32) {
        if self.pending != Some(pid) {
            return;
        }
        self.pending = None;
        let old: Vec<i32> = {
            let mut shared = lock(&self.shared);
            let mut old = Vec::new();
            for w in shared.workers.iter_mut().filter(|w| w.info.pid != pid) {
                if !w.info.leaving {
                    w.info.leaving = true;
                    old.push(w.info.pid);
                }
            }
            old
        };
        for p in old {
            let _ = kill(Pid::from_raw(p), Signal::SIGUSR1);
        }
        say("[NOTICE]", "Loading success.");
        if self.opts.notify {
            crate::notify::ready("Ready.");
        }
        if std::mem::take(&mut self.reload_wanted) {
            self.reload();
        }
    }

    fn loading_failed(&mut self) {
        lock(&self.shared).master.failed += 1;
        say("[WARNING]", "Loading failure!");
        if self.opts.notify {
            crate::notify::ready("Reload failed!");
        }
    }

    /// Re-executes argv[0] with the workers in the environment. Only
    /// returns when exec failed; the master then carries on as it was.
    fn reload(&mut self) {
        if self.stopping {
            return;
        }
        if self.pending.is_some() {
            // Its listeners are not all in place: the next worker would
            // find nothing to take over.
            self.reload_wanted = true;
            return;
        }
        say("[NOTICE]", "Reloading HAProxy");
        if self.opts.notify {
            crate::notify::reloading();
        }
        let (fds, workers_env, master_env) = {
            let mut shared = lock(&self.shared);
            shared.master.reloads += 1;
            for w in &mut shared.workers {
                w.info.reloads += 1;
            }
            let infos: Vec<Worker> = shared.workers.iter().map(|w| w.info.clone()).collect();
            let fds: Vec<RawFd> = shared.workers.iter().map(|w| w.ipc.as_raw_fd()).collect();
            (
                fds,
                procs::workers_to_env(&infos),
                procs::master_to_env(&shared.master),
            )
        };
        std::env::set_var(ENV_REEXEC, "1");
        std::env::set_var(procs::ENV_PROCESSES, workers_env);
        std::env::set_var(procs::ENV_MASTER, master_env);
        for &fd in &fds {
            let _ = ipc::set_inherit(fd, true);
        }
        if let Some(path) = &self.opts.cli {
            // The next master binds it again.
            let _ = std::fs::remove_file(path);
        }
        let _ = nix::sys::signal::sigprocmask(SigmaskHow::SIG_BLOCK, Some(&handled()), None);
        let err = exec(&self.opts.argv);
        let _ = nix::sys::signal::sigprocmask(SigmaskHow::SIG_UNBLOCK, Some(&handled()), None);
        say(
            "[WARNING]",
            &format!(
                "Failed to reexecute the master process [{}]: {err}",
                std::process::id()
            ),
        );
        for &fd in &fds {
            let _ = ipc::set_inherit(fd, false);
        }
        for v in [ENV_REEXEC, procs::ENV_PROCESSES, procs::ENV_MASTER] {
            std::env::remove_var(v);
        }
        if let Some(path) = self.opts.cli.clone() {
            let _ = super::start(&path, self.shared.clone(), self.tx.clone());
        }
        self.loading_failed();
    }

    /// SIGTERM, SIGINT, SIGUSR1: passed on to every worker; the master
    /// leaves with the last of them.
    fn exit_all(&mut self, sig: Signal) {
        if !self.stopping && self.opts.notify {
            crate::notify::stopping();
        }
        self.stopping = true;
        say("[WARNING]", "Exiting Master process...");
        self.signal_all(sig);
    }

    fn signal_all(&self, sig: Signal) {
        for w in &lock(&self.shared).workers {
            let _ = kill(Pid::from_raw(w.info.pid), sig);
        }
    }

    /// Collects exited workers, saying so as 2.6 does. Some(code) once
    /// there are none left.
    fn reap(&mut self) -> Option<i32> {
        loop {
            let (pid, status) = match waitpid(Pid::from_raw(-1), Some(WaitPidFlag::WNOHANG)) {
                Ok(WaitStatus::Exited(pid, code)) => (pid.as_raw(), code),
                Ok(WaitStatus::Signaled(pid, sig, _)) => (pid.as_raw(), 128 + sig as i32),
                Ok(WaitStatus::StillAlive) => return None,
                Ok(_) => continue,
                Err(nix::errno::Errno::EINTR) => continue,
                Err(nix::errno::Errno::ECHILD) => {
                    return Some(self.exitcode.filter(|&c| c > 0).unwrap_or(0));
                }
                Err(_) => return None,
            };
            self.exited(pid, status);
        }
    }

    fn exited(&mut self, pid: i32, status: i32) {
        let what = if status >= 128 {
            Signal::try_from(status - 128)
                .map(signal_name)
                .unwrap_or("Unknown signal")
        } else {
            "Exit"
        };
        let gone = {
            let mut shared = lock(&self.shared);
            let i = shared.workers.iter().position(|w| w.info.pid == pid);
            i.map(|i| shared.workers.remove(i))
        };
        let Some(gone) = gone else {
            say(
                "[WARNING]",
                &format!("Process {pid} exited with code {status} ({what})"),
            );
            return;
        };
        if gone.info.leaving {
            say(
                "[WARNING]",
                &format!("Former worker ({pid}) exited with code {status} ({what})"),
            );
            return;
        }
        let tag = if status < 128 { "[WARNING]" } else { "[ALERT]" };
        say(
            tag,
            &format!("Current worker ({pid}) exited with code {status} ({what})"),
        );
        let others = !lock(&self.shared).workers.is_empty();
        if self.pending == Some(pid) && others && !self.stopping {
            // The new configuration did not come up: the workers already
            // serving carry on, as after a configuration error.
            self.pending = None;
            self.loading_failed();
            return;
        }
        if self.pending == Some(pid) {
            self.pending = None;
        }
        if status != 0 && status != 130 && status != 143 && !self.stopping {
            say(
                "[ALERT]",
                "exit-on-failure: killing every processes with SIGTERM",
            );
            self.stopping = true;
            self.signal_all(Signal::SIGTERM);
        }
        if self.exitcode.is_none() && status != 0 && status != 143 {
            self.exitcode = Some(status);
        }
    }

    fn leave(&self, code: i32) -> i32 {
        say(
            "[WARNING]",
            &format!("All workers exited. Exiting... ({code})"),
        );
        if let Some(path) = &self.opts.cli {
            let _ = std::fs::remove_file(path);
        }
        code
    }
}

/// strsignal(3)'s words for the signals a worker usually dies of.
fn signal_name(s: Signal) -> &'static str {
    match s {
        Signal::SIGKILL => "Killed",
        Signal::SIGTERM => "Terminated",
        Signal::SIGINT => "Interrupt",
        Signal::SIGSEGV => "Segmentation fault",
        Signal::SIGABRT => "Aborted",
        Signal::SIGBUS => "Bus error",
        Signal::SIGQUIT => "Quit",
        Signal::SIGHUP => "Hangup",
        Signal::SIGUSR1 => "User defined signal 1",
        Signal::SIGUSR2 => "User defined signal 2",
        Signal::SIGPIPE => "Broken pipe",
        Signal::SIGFPE => "Floating point exception",
        Signal::SIGILL => "Illegal instruction",
        _ => "Unknown signal",
    }
}

/// execvp(argv[0], argv), as 2.6 re-executes its master.
fn exec(argv: &[OsString]) -> std::io::Error {
    let args: Result<Vec<CString>, _> = argv
        .iter()
        .map(|a| CString::new(a.as_bytes().to_vec()))
        .collect();
    let Ok(args) = args else {
        return std::io::Error::new(std::io::ErrorKind::InvalidInput, "NUL in an argument");
    };
    let Some(prog) = args.first() else {
        return std::io::Error::new(std::io::ErrorKind::InvalidInput, "no argv[0]");
    };
    match nix::unistd::execvp(prog, &args) {
        Err(e) => e.into(),
        Ok(never) => match never {},
    }
}

/// Reads what a worker writes on its socketpair: `READY` once it serves.
fn watch_ready(ipc: &OwnedFd, pid: i32, tx: mpsc::UnboundedSender<Event>) {
    let Ok(dup) = ipc.try_clone() else {
        return;
    };
    let s = UnixStream::from(dup);
    if s.set_nonblocking(true).is_err() {
        return;
    }
    let Ok(s) = tokio::net::UnixStream::from_std(s) else {
        return;
    };
    tokio::spawn(async move {
        let mut buf = [0u8; 256];
        loop {
            if s.readable().await.is_err() {
                return;
            }
            match s.try_read(&mut buf) {
                Ok(0) => return,
                Ok(n) => {
                    if buf[..n].windows(ipc::READY.len()).any(|w| w == ipc::READY) {
                        let _ = tx.send(Event::Ready(pid));
                    }
                }
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                Err(_) => return,
            }
        }
    });
}
