//! lbctl's lbd commands against a real lbd (`target/debug/lbd`, or `$LBD_BIN`).
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

fn lbd_bin() -> PathBuf {
    if let Some(b) = std::env::var_os("LBD_BIN") {
        return PathBuf::from(b);
    }
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(d) => PathBuf::from(d),
        None => Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("..")
            .join("target"),
    }
    .join("debug")
    .join("lbd")
}

fn lbctl(sock: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_lbctl"))
        .arg("--socket")
        .arg(sock)
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn stats_and_server_actions() {
    if !lbd_bin().exists() {
        eprintln!("skipped: build lbd first (cargo build -p lbd)");
        return;
    }
    let dir = std::env::temp_dir().join(format!("lbctl-lbd-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let sock = dir.join("lbd.sock");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let cfg = format!(
        "global\n    stats socket {} level admin\ndefaults\n    mode http\n    timeout connect 1s\n    timeout client 5s\n    timeout server 5s\nbackend be\n    server s1 127.0.0.1:{port}\n    server s2 127.0.0.1:{port}\n",
        sock.display()
    );
    std::fs::write(dir.join("lbd.cfg"), cfg).unwrap();
    let mut lbd = Command::new(lbd_bin())
        .args(["-db", "-f"])
        .arg(dir.join("lbd.cfg"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    let out = loop {
        let o = lbctl(&sock, &["stats"]);
        if o.status.success() {
            break String::from_utf8_lossy(&o.stdout).into_owned();
        }
        assert!(Instant::now() < deadline, "lbd socket never answered");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(
        out.lines()
            .any(|l| l.starts_with("be ") && l.contains("s1")),
        "{out}"
    );
    assert!(lbctl(&sock, &["server", "be/s1", "drain"]).status.success());
    assert!(lbctl(&sock, &["server", "be/s2", "weight", "7"])
        .status
        .success());
    let o = lbctl(&sock, &["--json", "stats"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let row = |n: &str| {
        v.as_array()
            .unwrap()
            .iter()
            .find(|r| r["name"] == n)
            .unwrap()
            .clone()
    };
    assert_eq!(row("s1")["status"], "DRAIN");
    assert_eq!(row("s2")["weight"], 7);
    let o = lbctl(&sock, &["server", "be/nope", "maint"]);
    assert_eq!(o.status.code(), Some(1));
    let _ = lbd.kill();
    let _ = lbd.wait();
    let _ = std::fs::remove_dir_all(&dir);
}
