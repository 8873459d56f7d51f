//! Child processes of the harness and what the kernel says about them.
//!
//! Owns: spawning children so that none outlives the harness (Drop guard, a SIGINT/SIGTERM
//! handler, a panic hook, and PR_SET_PDEATHSIG as the backstop when the harness itself is
//! SIGKILLed), raising RLIMIT_NOFILE, picking free loopback ports, and reading CPU time and
//! memory of a process tree from /proc. It must not know what the children are.

use std::fs;
use std::io::Read;
use std::net::{TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicI32, Ordering};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

/// Pids of live children, readable from a signal handler (atomics only, no locks).
const SLOTS: usize = 64;
static CHILD_PIDS: [AtomicI32; SLOTS] = [const { AtomicI32::new(0) }; SLOTS];

fn register(pid: i32) -> Result<usize> {
    for (i, slot) in CHILD_PIDS.iter().enumerate() {
        if slot
            .compare_exchange(0, pid, Ordering::SeqCst, Ordering::SeqCst)
            .is_ok()
        {
            return Ok(i);
        }
    }
    bail!("more than {SLOTS} live children: the harness leaks processes")
}

/// Kills a child and everything in its process group: NGINX workers ignore their master's
/// death, and PR_SET_PDEATHSIG does not survive their fork. Async-signal-safe.
fn kill_group(pid: i32) {
    // SAFETY: kill(2) has no memory-safety preconditions. Each child leads its own group
    // (setpgid in prepare_child), so -pid names only that child's processes.
    unsafe {
        libc::kill(-pid, libc::SIGKILL);
        libc::kill(pid, libc::SIGKILL);
    }
}

/// Kills every registered child. Async-signal-safe: atomics and kill(2) only.
fn kill_all_registered() {
    for slot in &CHILD_PIDS {
        let pid = slot.swap(0, Ordering::SeqCst);
        if pid > 0 {
            kill_group(pid);
        }
    }
}

extern "C" fn on_signal(sig: libc::c_int) {
    kill_all_registered();
    // SAFETY: _exit is async-signal-safe and skips destructors that could take locks.
    unsafe { libc::_exit(128 + sig) };
}

/// Installs the Ctrl-C/SIGTERM handler and the panic hook that kill all children.
pub fn install_cleanup_handlers() -> Result<()> {
    use nix::sys::signal::{sigaction, SaFlags, SigAction, SigHandler, SigSet, Signal};
    let action = SigAction::new(
        SigHandler::Handler(on_signal),
        SaFlags::empty(),
        SigSet::empty(),
    );
    for sig in [Signal::SIGINT, Signal::SIGTERM, Signal::SIGHUP] {
        // SAFETY: the handler only touches atomics and calls async-signal-safe functions.
        unsafe { sigaction(sig, &action) }.with_context(|| format!("sigaction {sig}"))?;
    }
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        kill_all_registered();
        previous(info);
    }));
    Ok(())
}

/// A running child that is killed and reaped when dropped.
pub struct Proc {
    pub name: String,
    child: Child,
    slot: usize,
    stderr_path: PathBuf,
}

impl Proc {
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Returns an error naming the process, with the tail of its stderr, if it has exited.
    pub fn check_alive(&mut self) -> Result<()> {
        if let Some(status) = self.child.try_wait()? {
            bail!(
                "{} exited ({status}); stderr tail:\n{}",
                self.name,
                self.stderr_tail()
            );
        }
        Ok(())
    }

    pub fn stderr_tail(&self) -> String {
        let text = fs::read_to_string(&self.stderr_path).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(15)..].join("\n")
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        CHILD_PIDS[self.slot].store(0, Ordering::SeqCst);
        kill_group(self.child.id() as i32);
        let _ = self.child.wait();
    }
}

/// How to place a child on CPUs (empty = wherever the scheduler likes).
pub type CpuSet = Vec<usize>;

/// Spawns `cmd` with stdout discarded and stderr captured to `log_dir/<name>.stderr`.
pub fn spawn(name: &str, mut cmd: Command, log_dir: &Path, cpus: &CpuSet) -> Result<Proc> {
    let stderr_path = log_dir.join(format!("{name}.stderr"));
    let stderr = fs::File::create(&stderr_path)
        .with_context(|| format!("creating {}", stderr_path.display()))?;
    cmd.stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(stderr);
    prepare_child(&mut cmd, cpus);
    let child = cmd.spawn().with_context(|| format!("starting {name}"))?;
    let slot = register(child.id() as i32)?;
    Ok(Proc {
        name: name.to_string(),
        child,
        slot,
        stderr_path,
    })
}

/// Runs `cmd` to completion with a hard deadline, returning stdout; fails on a non-zero exit.
pub fn run_bounded(name: &str, cmd: Command, limit: Duration, cpus: &CpuSet) -> Result<String> {
    let (status, out, err) = run_with(name, cmd, limit, cpus)?;
    if !status.success() {
        bail!("{name} failed ({status}): {}{}", out.trim(), err.trim());
    }
    Ok(out)
}

/// Runs `cmd` with a hard deadline and returns its exit status, stdout and stderr.
pub fn run_capture(
    name: &str,
    cmd: Command,
    limit: Duration,
) -> Result<(ExitStatus, String, String)> {
    run_with(name, cmd, limit, &Vec::new())
}

fn run_with(
    name: &str,
    mut cmd: Command,
    limit: Duration,
    cpus: &CpuSet,
) -> Result<(ExitStatus, String, String)> {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    prepare_child(&mut cmd, cpus);
    let mut child = cmd.spawn().with_context(|| format!("starting {name}"))?;
    let slot = register(child.id() as i32)?;
    // Pipes are drained by threads so a chatty child cannot block on a full pipe.
    let out_reader = drain(child.stdout.take());
    let err_reader = drain(child.stderr.take());
    let deadline = Instant::now() + limit;
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break Ok(status);
        }
        if Instant::now() > deadline {
            kill_group(child.id() as i32);
            let _ = child.wait();
            break Err(anyhow::anyhow!("{name} did not finish within {limit:?}"));
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    CHILD_PIDS[slot].store(0, Ordering::SeqCst);
    let status = status?;
    let out = out_reader.join().unwrap_or_default();
    let err = err_reader.join().unwrap_or_default();
    Ok((status, out, err))
}

fn drain<R: Read + Send + 'static>(pipe: Option<R>) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut s = String::new();
        if let Some(mut p) = pipe {
            let _ = p.read_to_string(&mut s);
        }
        s
    })
}

fn prepare_child(cmd: &mut Command, cpus: &CpuSet) {
    let cpus = cpus.clone();
    // SAFETY: the closure runs between fork and exec and only makes raw syscalls
    // (prctl, sigprocmask, sched_setaffinity) on stack data, no allocation or locks.
    unsafe {
        cmd.pre_exec(move || {
            // Backstop: if the harness is SIGKILLed, the kernel kills the child.
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
            // Own process group: Ctrl-C reaches only the harness, which then kills
            // children in a known order instead of racing them.
            libc::setpgid(0, 0);
            if !cpus.is_empty() {
                let mut set: libc::cpu_set_t = std::mem::zeroed();
                for &c in &cpus {
                    libc::CPU_SET(c, &mut set);
                }
                libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set);
            }
            Ok(())
        });
    }
}

/// Raises the soft open-files limit to the hard one. Returns (soft, hard) after the attempt
/// and a warning when the soft limit could not be raised.
pub fn raise_nofile() -> (u64, u64, Option<String>) {
    use nix::sys::resource::{getrlimit, setrlimit, Resource};
    let Ok((soft, hard)) = getrlimit(Resource::RLIMIT_NOFILE) else {
        return (0, 0, Some("getrlimit(RLIMIT_NOFILE) failed".into()));
    };
    if soft >= hard {
        return (soft, hard, None);
    }
    match setrlimit(Resource::RLIMIT_NOFILE, hard, hard) {
        Ok(()) => (hard, hard, None),
        Err(e) => (
            soft,
            hard,
            Some(format!(
                "could not raise RLIMIT_NOFILE {soft} -> {hard}: {e}"
            )),
        ),
    }
}

/// A port on 127.0.0.1 that was free a moment ago.
pub fn free_port() -> Result<u16> {
    let l = TcpListener::bind("127.0.0.1:0").context("binding 127.0.0.1:0")?;
    Ok(l.local_addr()?.port())
}

/// Waits until something accepts on 127.0.0.1:port, or the child exits, or the deadline.
pub fn wait_listening(proc_: &mut Proc, port: u16, limit: Duration) -> Result<()> {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        proc_.check_alive()?;
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    bail!(
        "{} is not listening on 127.0.0.1:{port} after {limit:?}; stderr tail:\n{}",
        proc_.name,
        proc_.stderr_tail()
    )
}

/// The pid and all its descendants (nginx: master plus workers).
pub fn process_tree(root: u32) -> Vec<u32> {
    let mut all = vec![root];
    let mut parents: Vec<(u32, u32)> = Vec::new();
    if let Ok(dir) = fs::read_dir("/proc") {
        for entry in dir.flatten() {
            let Some(pid) = entry
                .file_name()
                .to_str()
                .and_then(|s| s.parse::<u32>().ok())
            else {
                continue;
            };
            if let Some(stat) = read_stat(pid) {
                parents.push((pid, stat.ppid));
            }
        }
    }
    // Bounded: a tree cannot be deeper than the number of processes.
    for _ in 0..parents.len() {
        let before = all.len();
        for &(pid, ppid) in &parents {
            if all.contains(&ppid) && !all.contains(&pid) {
                all.push(pid);
            }
        }
        if all.len() == before {
            break;
        }
    }
    all
}

struct Stat {
    ppid: u32,
    cpu_ticks: u64,
}

fn read_stat(pid: u32) -> Option<Stat> {
    let text = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name may contain spaces and parentheses: fields start after the last ')'.
    let rest = &text[text.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // After ')': state(0) ppid(1) ... utime(11) stime(12).
    Some(Stat {
        ppid: fields.get(1)?.parse().ok()?,
        cpu_ticks: fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?,
    })
}

fn clock_ticks_per_sec() -> u64 {
    // SAFETY: sysconf has no preconditions.
    let t = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if t > 0 {
        t as u64
    } else {
        100
    }
}

/// CPU of a process and all its descendants, living or reaped, in microseconds, from
/// /proc (10 ms ticks): the root's own time, what it collected from children it waited
/// for (cutime+cstime: a master's exited workers), and the live descendants' own time.
/// Ticks suit rounds of seconds; a worker that exited but was not yet reaped is missed.
pub fn tree_cpu_micros(root: u32) -> u64 {
    let reaped = fs::read_to_string(format!("/proc/{root}/stat"))
        .ok()
        .and_then(|t| {
            let rest = t.get(t.rfind(')')? + 2..)?.to_string();
            let f: Vec<u64> = rest
                .split_whitespace()
                .skip(13)
                .take(2)
                .filter_map(|v| v.parse().ok())
                .collect();
            Some(f.iter().sum::<u64>())
        })
        .unwrap_or(0);
    let own: u64 = process_tree(root)
        .iter()
        .filter_map(|&p| read_stat(p).map(|s| s.cpu_ticks))
        .sum();
    (reaped + own) * 1_000_000 / clock_ticks_per_sec()
}

/// utime+stime of all `pids`, in microseconds. Read through the process CPU-time clock
/// (nanosecond precision, includes exited threads); /proc/<pid>/stat, which counts the same
/// time in 10 ms ticks (2-3% of a short round), is the fallback.
pub fn cpu_micros(pids: &[u32]) -> u64 {
    pids.iter()
        .map(|&p| {
            process_cpu_nanos(p).map(|ns| ns / 1000).unwrap_or_else(|| {
                read_stat(p).map_or(0, |s| s.cpu_ticks * 1_000_000 / clock_ticks_per_sec())
            })
        })
        .sum()
}

fn process_cpu_nanos(pid: u32) -> Option<u64> {
    let mut clock: libc::clockid_t = 0;
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: both calls only write to the locals passed by pointer.
    unsafe {
        if libc::clock_getcpuclockid(pid as libc::pid_t, &mut clock) != 0
            || libc::clock_gettime(clock, &mut ts) != 0
        {
            return None;
        }
    }
    Some(ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64)
}

/// Sum of VmRSS and of VmHWM over `pids`, in KiB.
pub fn memory_kib(pids: &[u32]) -> (u64, u64) {
    let mut rss = 0;
    let mut hwm = 0;
    for pid in pids {
        let Ok(text) = fs::read_to_string(format!("/proc/{pid}/status")) else {
            continue;
        };
        for line in text.lines() {
            let value = || {
                line.split_whitespace()
                    .nth(1)
                    .and_then(|v| v.parse::<u64>().ok())
                    .unwrap_or(0)
            };
            if line.starts_with("VmRSS:") {
                rss += value();
            } else if line.starts_with("VmHWM:") {
                hwm += value();
            }
        }
    }
    (rss, hwm)
}
