//! Running the proxy under test (`lbd`, or HAProxy itself via `LBD_BIN`).

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;

use crate::tempdir::TempDir;

/// How long a proxy may take to start listening.
const START_DEADLINE: Duration = Duration::from_secs(10);
/// How long a proxy may take to exit after SIGTERM before it is killed.
const STOP_DEADLINE: Duration = Duration::from_secs(5);

/// The binary under test: `$LBD_BIN`, else `lbd` in the cargo target dir's `debug/`.
pub fn lbd_bin() -> PathBuf {
    if let Some(bin) = std::env::var_os("LBD_BIN") {
        return PathBuf::from(bin);
    }
    let target = match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => PathBuf::from(dir),
        // This crate lives one level below the workspace root.
        None => Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("..")
            .join("target"),
    };
    target.join("debug").join("lbd")
}

/// True when the binary under test is the real HAProxy, for the few places where lbd
/// intentionally differs (messages that name the program).
pub fn is_haproxy() -> bool {
    lbd_bin()
        .file_name()
        .is_some_and(|n| n.to_string_lossy().contains("haproxy"))
}

/// Runs `<bin> -c -f <config>` and returns (exit code, stdout, stderr).
pub fn check(config: &str) -> (i32, String, String) {
    let dir = TempDir::new();
    let cfg = dir.write("check.cfg", config);
    let out = match Command::new(lbd_bin())
        .arg("-c")
        .arg("-f")
        .arg(&cfg)
        .stdin(Stdio::null())
        .output()
    {
        Ok(o) => o,
        Err(e) => panic!("cannot run {}: {e}", lbd_bin().display()),
    };
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Where a configured listener lives, as read from the `bind` lines.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Listener {
    Tcp(u16),
    Unix(PathBuf),
}

/// The listeners named by `bind` lines. Only the forms tests use are understood:
/// `[addr]:port[,...]`, `/path` and `unix@/path`; anything else is not waited for.
fn listeners(config: &str) -> Vec<Listener> {
    let mut out = Vec::new();
    for line in config.lines() {
        let mut words = line.split_whitespace();
        if words.next() != Some("bind") {
            continue;
        }
        let Some(addrs) = words.next() else { continue };
        for addr in addrs.trim_matches('"').split(',') {
            if let Some(path) = addr.strip_prefix("unix@") {
                out.push(Listener::Unix(PathBuf::from(path)));
            } else if addr.starts_with('/') {
                out.push(Listener::Unix(PathBuf::from(addr)));
            } else if let Some((_, port)) = addr.rsplit_once(':') {
                if let Ok(p) = port.parse() {
                    out.push(Listener::Tcp(p));
                }
            }
        }
    }
    out
}

/// Ports in LISTEN state on this host, from /proc/net/tcp{,6}.
///
/// Readiness is read from the kernel rather than probed with a connection, because a
/// probe would itself be a client: in `mode tcp` it would open a backend connection and
/// skew the connection counts tests assert on.
fn listening_ports() -> Vec<u16> {
    // `ss` asks the kernel for listening sockets only (sock_diag with a state
    // filter); /proc/net/tcp lists every socket, and after a load test with
    // 100k connections in TIME_WAIT one read of it takes a second.
    if let Ok(out) = std::process::Command::new("ss").args(["-Hltn"]).output() {
        if out.status.success() {
            return String::from_utf8_lossy(&out.stdout)
                .lines()
                .filter_map(|row| {
                    let local = row.split_whitespace().nth(3)?;
                    local.rsplit_once(':')?.1.parse().ok()
                })
                .collect();
        }
    }
    let mut ports = Vec::new();
    for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
        let Ok(text) = std::fs::read_to_string(table) else {
            continue;
        };
        for row in text.lines().skip(1) {
            let cols: Vec<&str> = row.split_whitespace().collect();
            // Column 3 is the state; 0A is TCP_LISTEN.
            if cols.len() > 3 && cols[3] == "0A" {
                if let Some((_, port)) = cols[1].rsplit_once(':') {
                    if let Ok(p) = u16::from_str_radix(port, 16) {
                        ports.push(p);
                    }
                }
            }
        }
    }
    ports
}

/// True once a Unix socket exists at `path`.
///
/// HAProxy binds a temporary name and renames it into place after `listen()`, so
/// /proc/net/unix shows the temporary name; the socket's presence at its final path
/// is the reliable signal.
fn unix_socket_ready(path: &Path) -> bool {
    use std::os::unix::fs::FileTypeExt;
    std::fs::metadata(path).is_ok_and(|m| m.file_type().is_socket())
}

/// A running proxy. Dropping it stops it (SIGTERM, then SIGKILL) and removes its files.
#[derive(Debug)]
pub struct LbdProcess {
    child: Child,
    dir: TempDir,
    config_path: PathBuf,
}

impl LbdProcess {
    /// Starts the proxy on `config` in a fresh temp dir and waits until every `bind`
    /// listener is accepting. Panics with the proxy's output if it does not come up.
    pub fn start(config: &str) -> LbdProcess {
        LbdProcess::start_in(TempDir::new(), config)
    }

    /// Like [`LbdProcess::start`], in a temp dir the caller prepared (error files,
    /// socket paths); the directory is owned, and removed, by the process handle.
    pub fn start_in(dir: TempDir, config: &str) -> LbdProcess {
        LbdProcess::start_with(dir, config, &[], &[])
    }

    /// Like [`LbdProcess::start_in`], with extra command-line arguments (after
    /// `-f <config>`) and environment variables.
    pub fn start_with(
        dir: TempDir,
        config: &str,
        args: &[&str],
        env: &[(&str, &str)],
    ) -> LbdProcess {
        let config_path = dir.write("lbd.cfg", config);
        let stdout = open_log(&dir.join("stdout"));
        let stderr = open_log(&dir.join("stderr"));
        let child = match Command::new(lbd_bin())
            .arg("-f")
            .arg(&config_path)
            .args(args)
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(stdout)
            .stderr(stderr)
            .spawn()
        {
            Ok(c) => c,
            Err(e) => panic!("cannot start {}: {e}", lbd_bin().display()),
        };
        let mut proc = LbdProcess {
            child,
            dir,
            config_path,
        };
        proc.wait_listening(&listeners(config));
        proc
    }

    fn wait_listening(&mut self, wanted: &[Listener]) {
        let deadline = Instant::now() + START_DEADLINE;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!(
                    "proxy exited during start-up ({status}){}",
                    self.output_hint()
                );
            }
            let ports = listening_ports();
            let ready = wanted.iter().all(|l| match l {
                Listener::Tcp(p) => ports.contains(p),
                Listener::Unix(path) => unix_socket_ready(path),
            });
            if ready {
                return;
            }
            if Instant::now() > deadline {
                panic!(
                    "proxy not listening on {wanted:?} after {START_DEADLINE:?}{}",
                    self.output_hint()
                );
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// The process id, for signals a test wants to send itself.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The temp dir holding the config and the captured output.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    pub fn config_path(&self) -> &Path {
        &self.config_path
    }

    /// Everything the proxy wrote to stdout so far.
    pub fn stdout(&self) -> String {
        std::fs::read_to_string(self.dir.join("stdout")).unwrap_or_default()
    }

    /// Everything the proxy wrote to stderr so far.
    pub fn stderr(&self) -> String {
        std::fs::read_to_string(self.dir.join("stderr")).unwrap_or_default()
    }

    /// The config and output, for appending to an assertion message.
    pub fn output_hint(&self) -> String {
        format!(
            "\n--- binary: {}\n--- config:\n{}\n--- stdout:\n{}\n--- stderr:\n{}",
            lbd_bin().display(),
            std::fs::read_to_string(&self.config_path).unwrap_or_default(),
            self.stdout(),
            self.stderr()
        )
    }

    /// Waits up to `within` for the process to exit and returns its status, or None
    /// if it is still running then (it is left running).
    pub fn wait_exit(&mut self, within: Duration) -> Option<std::process::ExitStatus> {
        let deadline = Instant::now() + within;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            if Instant::now() >= deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Replaces the configuration file (for a reload to read).
    pub fn rewrite_config(&self, config: &str) {
        if let Err(e) = std::fs::write(&self.config_path, config) {
            panic!("cannot write {}: {e}", self.config_path.display());
        }
    }

    /// Waits until the listeners of `config` are all accepting.
    pub fn wait_config_listening(&mut self, config: &str) {
        self.wait_listening(&listeners(config));
    }

    /// True while the process has not exited.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }
}

fn open_log(path: &Path) -> File {
    match File::create(path) {
        Ok(f) => f,
        Err(e) => panic!("cannot create {}: {e}", path.display()),
    }
}

impl Drop for LbdProcess {
    fn drop(&mut self) {
        let pid = Pid::from_raw(self.child.id() as i32);
        if let Ok(None) = self.child.try_wait() {
            let _ = kill(pid, Signal::SIGTERM);
            let deadline = Instant::now() + STOP_DEADLINE;
            while Instant::now() < deadline {
                if let Ok(Some(_)) = self.child.try_wait() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(10));
            }
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bind_lines_are_read() {
        let cfg = "frontend f\n    bind 127.0.0.1:8080,:8081 name x\n  bind unix@/tmp/a.sock\n bind /tmp/b\n";
        assert_eq!(
            listeners(cfg),
            vec![
                Listener::Tcp(8080),
                Listener::Tcp(8081),
                Listener::Unix("/tmp/a.sock".into()),
                Listener::Unix("/tmp/b".into()),
            ]
        );
    }
}
