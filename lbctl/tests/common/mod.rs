//! Helpers for lbctl's end-to-end tests: the debug binaries of the
//! workspace, private directories, free ports, and a supervisor running a
//! config directory with its output collected.
#![allow(dead_code, clippy::unwrap_used)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub const LBCTL: &str = env!("CARGO_BIN_EXE_lbctl");

pub fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(d) => PathBuf::from(d),
        None => Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("..")
            .join("target"),
    }
    .join("debug")
}

pub fn examples_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("examples")
}

/// The binaries a test needs, or a reason to skip it.
pub fn need(bins: &[&str]) -> Option<()> {
    for b in bins {
        if !target_dir().join(b).exists() {
            eprintln!("skipped: build {b} first (cargo build -p lbd -p supervisor)");
            return None;
        }
    }
    if Command::new("dbus-daemon")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("skipped: no dbus-daemon (apt-get install dbus)");
        return None;
    }
    Some(())
}

pub fn tempdir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("lbctl-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A supervisor in host mode on `config_dir`, run directory `run`.
pub struct Stack {
    pub sup: Child,
    pub run: PathBuf,
    pub output: Arc<Mutex<Vec<String>>>,
}

impl Drop for Stack {
    fn drop(&mut self) {
        if let Ok(None) = self.sup.try_wait() {
            let _ = nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(self.sup.id() as i32),
                nix::sys::signal::Signal::SIGTERM,
            );
            let deadline = Instant::now() + Duration::from_secs(10);
            while let Ok(None) = self.sup.try_wait() {
                if Instant::now() > deadline {
                    let _ = self.sup.kill();
                    break;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            let _ = self.sup.wait();
        }
    }
}

impl Stack {
    pub fn start(config_dir: &Path, run: &Path) -> Stack {
        let mut sup = Command::new(target_dir().join("rampart-supervisor"))
            .args(["--host", "--config-dir"])
            .arg(config_dir)
            .arg("--run-dir")
            .arg(run)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let output = Arc::new(Mutex::new(Vec::new()));
        for r in [
            Box::new(sup.stdout.take().unwrap()) as Box<dyn std::io::Read + Send>,
            Box::new(sup.stderr.take().unwrap()),
        ] {
            let out = output.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(r).lines().map_while(Result::ok) {
                    out.lock().unwrap().push(line);
                }
            });
        }
        Stack {
            sup,
            run: run.to_path_buf(),
            output,
        }
    }

    pub fn output(&self) -> String {
        self.output.lock().unwrap().join("\n")
    }

    /// lbctl pointed at this stack by its run directory, as a user would.
    pub fn lbctl(&self, args: &[&str]) -> Output {
        Command::new(LBCTL)
            .env("RAMPART_RUN_DIR", &self.run)
            .env_remove("RAMPART_BUS")
            .env_remove("LBCTL_SOCKET")
            .args(args)
            .output()
            .unwrap()
    }

    /// Waits until `lbctl status` shows `service` in `state`.
    pub fn wait_state(&self, service: &str, state: &str, within: Duration) -> String {
        let deadline = Instant::now() + within;
        loop {
            let out = text(&self.lbctl(&["status"]));
            if out
                .lines()
                .any(|l| l.split_whitespace().take(2).eq([service, state]))
            {
                return out;
            }
            assert!(
                Instant::now() < deadline,
                "{service} never {state}: {out}\n{}",
                self.output()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

pub fn text(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// True while a process with this pid exists (zombies count: someone
/// failed to reap it).
pub fn alive(pid: u32) -> bool {
    Path::new(&format!("/proc/{pid}")).exists()
}

/// Processes (other than zombies being reaped right now) whose command
/// line mentions `needle`: what a clean stop must leave none of.
pub fn processes_mentioning(needle: &str) -> Vec<String> {
    let me = std::process::id().to_string();
    std::fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .bytes()
                .all(|b| b.is_ascii_digit())
        })
        .filter(|e| e.file_name().to_string_lossy() != me)
        .filter_map(|e| {
            let cmd = std::fs::read(e.path().join("cmdline")).ok()?;
            let cmd = String::from_utf8_lossy(&cmd).replace('\0', " ");
            cmd.contains(needle)
                .then(|| format!("{}: {cmd}", e.file_name().to_string_lossy()))
        })
        .collect()
}

/// examples/ copied into `dir` with the demo's four ports replaced.
pub fn private_examples(dir: &std::path::Path) -> (std::path::PathBuf, [u16; 4]) {
    let cfg_dir = dir.join("config");
    std::fs::create_dir_all(&cfg_dir).unwrap();
    let ports = [free_port(), free_port(), free_port(), free_port()];
    for name in ["services.toml", "quickstart.cfg", "keepalived-demo.conf"] {
        let mut text = std::fs::read_to_string(examples_dir().join(name)).unwrap();
        for (old, new) in [8080, 8081, 8082, 8443].iter().zip(ports) {
            text = text.replace(&format!(":{old}"), &format!(":{new}"));
        }
        // The VRRP demo's network namespace, private to this test run.
        text = text.replace("\"rampart-demo\"", &format!("\"{}\"", demo_netns()));
        std::fs::write(cfg_dir.join(name), text).unwrap();
    }
    (cfg_dir, ports)
}

pub fn curl(port: u16) -> Option<String> {
    let o = Command::new("curl")
        .args(["-s", "--max-time", "2"])
        .arg(format!("http://127.0.0.1:{port}/"))
        .output()
        .ok()?;
    o.status
        .success()
        .then(|| String::from_utf8_lossy(&o.stdout).into_owned())
}

/// This run's name for the demo's VRRP network namespace.
pub fn demo_netns() -> String {
    format!("rampart-qs-{}", std::process::id())
}
