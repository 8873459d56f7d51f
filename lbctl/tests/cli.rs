//! lbctl against a running supervisor on a private dbus-daemon (started by
//! the supervisor itself, as in the quick start), with test child services.
#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(d) => PathBuf::from(d),
        None => Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("..")
            .join("target"),
    }
    .join("debug")
}

struct Stack {
    sup: Child,
    /// The test's directory, removed with the stack.
    dir: PathBuf,
    bus: String,
    output: Arc<Mutex<Vec<String>>>,
}

impl Drop for Stack {
    fn drop(&mut self) {
        let _ = self.sup.kill();
        let _ = self.sup.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn start(tag: &str) -> Option<Stack> {
    if Command::new("dbus-daemon")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("skipped: no dbus-daemon (apt-get install dbus)");
        return None;
    }
    let sup_bin = target_dir().join("rampart-supervisor");
    let child = target_dir().join("sv-testchild");
    assert!(
        sup_bin.exists() && child.exists(),
        "build the supervisor first: cargo build -p supervisor"
    );
    let dir = std::env::temp_dir().join(format!("lbctl-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let run = dir.join("run");
    let services = format!(
        r#"
[supervisor]
bus = "unix:path=${{run_dir}}/bus"
bus_service = "dbus"
[[service]]
name = "dbus"
command = ["dbus-daemon", "--session", "--nofork", "--nopidfile", "--address=unix:path=${{run_dir}}/bus"]
ready = "unix:${{run_dir}}/bus"
[[service]]
name = "app"
command = ["{child}", "notify"]
ready = "notify"
after = ["dbus"]
"#,
        child = child.display()
    );
    std::fs::write(dir.join("services.toml"), services).unwrap();
    let mut sup = Command::new(sup_bin)
        .args(["--host", "--config-dir"])
        .arg(&dir)
        .arg("--run-dir")
        .arg(&run)
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
    let s = Stack {
        sup,
        dir: dir.clone(),
        bus: format!("unix:path={}", run.join("bus").display()),
        output,
    };
    let deadline = Instant::now() + Duration::from_secs(15);
    while !s
        .output
        .lock()
        .unwrap()
        .iter()
        .any(|l| l.contains("serving org.rampart.Supervisor1"))
    {
        assert!(
            Instant::now() < deadline,
            "supervisor not on D-Bus: {:#?}",
            s.output.lock().unwrap()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    Some(s)
}

fn lbctl(s: &Stack, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_lbctl"))
        .arg("--bus")
        .arg(&s.bus)
        .args(args)
        .output()
        .unwrap()
}

fn text(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn wait_status(s: &Stack, service: &str, state: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let out = text(&lbctl(s, &["status"]));
        if out
            .lines()
            .any(|l| l.split_whitespace().take(2).eq([service, state]))
        {
            return out;
        }
        assert!(Instant::now() < deadline, "{service} never {state}: {out}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn status_logs_restart_stop_and_poweroff_over_dbus() {
    let Some(mut s) = start("all") else { return };
    let out = wait_status(&s, "app", "ready");
    assert!(out.starts_with("SERVICE"), "{out}");
    assert!(
        out.lines()
            .any(|l| l.starts_with("dbus ") && l.contains(" ready ")),
        "{out}"
    );
    assert!(out.lines().all(|l| l.len() <= 80));

    let o = lbctl(&s, &["--json", "status"]);
    assert!(o.status.success());
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["services"][1]["name"], "app");
    assert_eq!(v["services"][1]["state"], "Ready");
    assert_eq!(v["services"][1]["status_text"], "serving");

    let o = lbctl(&s, &["logs", "app"]);
    assert!(o.status.success());
    let logs = text(&o);
    assert!(
        logs.lines().any(|l| l.starts_with("started pid=")),
        "{logs}"
    );
    assert!(logs.contains("this goes to stderr"), "{logs}");

    // Restart: a new pid, one more line "started" in the logs.
    let pid_before = v["services"][1]["pid"].as_u64().unwrap();
    assert!(lbctl(&s, &["restart", "app"]).status.success());
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let o = lbctl(&s, &["--json", "status"]);
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        let pid = v["services"][1]["pid"].as_u64().unwrap_or(0);
        if v["services"][1]["state"] == "Ready" && pid != pid_before && pid != 0 {
            break;
        }
        assert!(Instant::now() < deadline, "no restart: {v}");
        std::thread::sleep(Duration::from_millis(50));
    }

    assert!(lbctl(&s, &["stop", "app"]).status.success());
    wait_status(&s, "app", "exited");

    // Unknown service: exit code 1 and a message naming it.
    let o = lbctl(&s, &["stop", "nope"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("no service named 'nope'"));

    // Host mode: poweroff stops everything and the supervisor exits 0.
    assert!(lbctl(&s, &["poweroff"]).status.success());
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(st) = s.sup.try_wait().unwrap() {
            assert!(st.success());
            break;
        }
        assert!(Instant::now() < deadline, "supervisor still running");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn unreachable_bus_exits_3() {
    let o = Command::new(env!("CARGO_BIN_EXE_lbctl"))
        .args(["--bus", "unix:path=/nonexistent/bus", "status"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(3));
    let o = Command::new(env!("CARGO_BIN_EXE_lbctl"))
        .args(["--socket", "/nonexistent/lbd.sock", "stats"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(3));
    let o = Command::new(env!("CARGO_BIN_EXE_lbctl"))
        .args([
            "--socket",
            "/nonexistent/lbd.sock",
            "server",
            "nobackslash",
            "drain",
        ])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
}
