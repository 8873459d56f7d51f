//! Runs the real supervisor binary on a services file written by the test,
//! with output and the children's event log collected for assertions.
#![allow(dead_code, clippy::unwrap_used)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub const SUPERVISOR: &str = env!("CARGO_BIN_EXE_rampart-supervisor");
pub const CHILD: &str = env!("CARGO_BIN_EXE_sv-testchild");

pub struct Stack {
    pub child: Child,
    pub dir: PathBuf,
    output: Arc<Mutex<Vec<String>>>,
}

pub fn tempdir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(
        format!("sv-test-{tag}-{}-{:?}", std::process::id(), Instant::now())
            .replace(['{', '}', ' ', ':', ','], ""),
    );
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// `services` may use `CHILD` (the test child) and `DIR` (the test's dir);
/// each service gets SV_NAME and SV_EVENTS set by its `env` line, which the
/// caller writes as `ENV(name)`.
pub fn services_text(services: &str, dir: &Path) -> String {
    let mut text = services
        .replace("CHILD", CHILD)
        .replace("DIR", &dir.to_string_lossy());
    while let Some(i) = text.find("ENV(") {
        let end = i + text[i..].find(')').unwrap();
        let name = &text[i + 4..end];
        let env = format!(
            "env = {{ SV_NAME = \"{name}\", SV_EVENTS = \"{}/events\" }}",
            dir.display()
        );
        text.replace_range(i..=end, &env);
    }
    text
}

impl Stack {
    pub fn start(tag: &str, services: &str, extra: &[&str]) -> Stack {
        let dir = tempdir(tag);
        Self::start_in(dir, services, extra, None)
    }

    pub fn start_in(
        dir: PathBuf,
        services: &str,
        extra: &[&str],
        wrapper: Option<&[&str]>,
    ) -> Stack {
        let file = dir.join("services.toml");
        std::fs::write(&file, services_text(services, &dir)).unwrap();
        let mut cmd = match wrapper {
            Some(w) => {
                let mut c = Command::new(w[0]);
                c.args(&w[1..]).arg(SUPERVISOR);
                c
            }
            None => Command::new(SUPERVISOR),
        };
        cmd.arg("--services")
            .arg(&file)
            .arg("--run-dir")
            .arg(dir.join("run"))
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().unwrap();
        let output = Arc::new(Mutex::new(Vec::new()));
        for r in [
            Box::new(child.stdout.take().unwrap()) as Box<dyn std::io::Read + Send>,
            Box::new(child.stderr.take().unwrap()),
        ] {
            let out = output.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(r).lines().map_while(Result::ok) {
                    out.lock().unwrap().push(line);
                }
            });
        }
        Stack { child, dir, output }
    }

    pub fn output(&self) -> Vec<String> {
        self.output.lock().unwrap().clone()
    }

    pub fn events(&self) -> Vec<String> {
        std::fs::read_to_string(self.dir.join("events"))
            .unwrap_or_default()
            .lines()
            .map(str::to_string)
            .collect()
    }

    /// Waits until `pred` holds, failing the test with `what` at the deadline.
    pub fn wait_for(&self, what: &str, secs: u64, pred: impl Fn(&Stack) -> bool) {
        let deadline = Instant::now() + Duration::from_secs(secs);
        while Instant::now() < deadline {
            if pred(self) {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!(
            "timed out waiting for {what}\nevents: {:#?}\noutput: {:#?}",
            self.events(),
            self.output()
        );
    }

    pub fn wait_output(&self, needle: &str, secs: u64) {
        self.wait_for(needle, secs, |s| {
            s.output().iter().any(|l| l.contains(needle))
        });
    }

    pub fn wait_event(&self, ev: &str, secs: u64) {
        self.wait_for(ev, secs, |s| s.events().iter().any(|l| l == ev));
    }

    pub fn signal(&self, pid: u32, sig: nix::sys::signal::Signal) {
        nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid as i32), sig).unwrap();
    }

    /// Waits for the supervisor (or its wrapper) to end; returns how.
    pub fn wait_status(&mut self, secs: u64) -> std::process::ExitStatus {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            if let Some(st) = self.child.try_wait().unwrap() {
                return st;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("supervisor did not end; output: {:#?}", self.output());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Waits for the supervisor to exit; returns its exit code.
    pub fn wait_exit(&mut self, secs: u64) -> i32 {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            if let Some(st) = self.child.try_wait().unwrap() {
                return st.code().unwrap_or(-1);
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("supervisor did not exit; output: {:#?}", self.output());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Stack {
    /// Stops the supervisor as an operator would (SIGTERM: it stops its
    /// services in reverse order), within a bound; then SIGKILL, and any
    /// test child it left behind. SIGKILL alone orphaned the services.
    fn drop(&mut self) {
        use nix::sys::signal::{kill, Signal};
        use nix::unistd::Pid;
        let pid = self.child.id();
        let kids: Vec<u32> = children_of(pid).into_iter().map(|c| c.0).collect();
        let _ = kill(Pid::from_raw(pid as i32), Signal::SIGTERM);
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline && !matches!(self.child.try_wait(), Ok(Some(_))) {
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        for k in kids {
            // Only if the pid is still one of our test children.
            let cmd = std::fs::read(format!("/proc/{k}/cmdline")).unwrap_or_default();
            if String::from_utf8_lossy(&cmd).contains("sv-testchild") {
                let _ = kill(Pid::from_raw(k as i32), Signal::SIGKILL);
            }
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// `(pid, state, comm)` of the direct children of `parent`, from /proc.
pub fn children_of(parent: u32) -> Vec<(u32, char, String)> {
    let mut out = Vec::new();
    let Ok(rd) = std::fs::read_dir("/proc") else {
        return out;
    };
    for e in rd.flatten() {
        let Ok(pid) = e.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        let (Some(open), Some(close)) = (stat.find('('), stat.rfind(')')) else {
            continue;
        };
        let comm = stat[open + 1..close].to_string();
        let mut rest = stat[close + 1..].split_whitespace();
        let state = rest.next().and_then(|s| s.chars().next()).unwrap_or('?');
        let ppid: u32 = rest.next().and_then(|p| p.parse().ok()).unwrap_or(0);
        if ppid == parent {
            out.push((pid, state, comm));
        }
    }
    out
}

pub fn index_of(events: &[String], ev: &str) -> usize {
    events
        .iter()
        .position(|e| e == ev)
        .unwrap_or_else(|| panic!("no event '{ev}' in {events:#?}"))
}
