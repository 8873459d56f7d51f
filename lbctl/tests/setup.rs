//! `lbctl setup` through a real terminal (tmux) and with flags, and the
//! console menu as the login program `lbctl-console`.
#![allow(clippy::unwrap_used)]

mod common;

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::Duration;

use common::*;
use tests::tmux::Tmux;

/// How long a prompt may take to appear on a loaded CI machine.
const PROMPT: Duration = Duration::from_secs(10);

fn read_toml(p: &std::path::Path) -> toml::Table {
    std::fs::read_to_string(p).unwrap().parse().unwrap()
}

#[test]
fn wizard_answers_prompts_on_a_terminal() {
    if !Tmux::available() {
        eprintln!("skipped: no tmux");
        return;
    }
    let dir = tempdir("setup-tty");
    let file = dir.join("appliance.toml");
    // An earlier file: its other sections must survive.
    std::fs::write(&file, "[webui]\nport = 8443\n").unwrap();
    let t = Tmux::start(
        &format!("{LBCTL} setup --file {}; echo EXIT=$?", file.display()),
        80,
        24,
    );
    t.wait_prompt(PROMPT, "]:");
    let s = t.screen();
    assert!(s.contains("Management interface ["), "{s}");
    t.line("eth7");
    t.wait_prompt(PROMPT, "(ADDRESS/PREFIX or dhcp) [dhcp]:");
    t.line("192.0.2.300/24");
    t.wait_text(PROMPT, "is not an IP address");
    t.wait_prompt(PROMPT, "(ADDRESS/PREFIX or dhcp) [dhcp]:");
    t.line("192.0.2.10/24");
    t.wait_prompt(PROMPT, "Default gateway (or none) [none]:");
    t.line("192.0.2.1");
    t.wait_prompt(PROMPT, "Hostname [rampart]:");
    t.line("lb1");
    t.wait_prompt(PROMPT, "Admin password:");
    t.line("short");
    t.wait_text(PROMPT, "at least 8 characters");
    t.wait_prompt(PROMPT, "Admin password:");
    t.line("correct horse");
    t.wait_prompt(PROMPT, "Again:");
    t.line("correct horse");
    let s = t.wait_text(PROMPT, "EXIT=");
    assert!(s.contains("EXIT=0"), "{s}");
    assert!(s.contains("lb1 on eth7 192.0.2.10/24 via"), "{s}");
    assert!(!s.contains("correct horse"), "password echoed:\n{s}");
    assert!(s.lines().all(|l| l.len() <= 80));

    let text = std::fs::read_to_string(&file).unwrap();
    assert!(!text.contains("correct horse"), "{text}");
    let v = read_toml(&file);
    assert_eq!(v["hostname"].as_str(), Some("lb1"));
    assert_eq!(v["webui"]["port"].as_integer(), Some(8443));
    let m = &v["network"]["management"];
    assert_eq!(m["interface"].as_str(), Some("eth7"));
    assert_eq!(m["address"].as_str(), Some("192.0.2.10/24"));
    assert_eq!(m["gateway"].as_str(), Some("192.0.2.1"));
    let hash = v["admin"]["password_hash"].as_str().unwrap();
    assert!(hash.starts_with("$6$"), "{hash}");
    assert!(pwhash::unix::verify("correct horse", hash));
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&file).unwrap().permissions().mode();
    assert_eq!(mode & 0o077, 0, "readable by others: {mode:o}");
    let _ = std::fs::remove_dir_all(&dir);
}

fn setup_flags(file: &std::path::Path, args: &[&str], stdin: &str) -> std::process::Output {
    let mut c = Command::new(LBCTL)
        .arg("setup")
        .arg("--file")
        .arg(file)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // On a usage error lbctl exits without reading: the write may then
    // fail with EPIPE, which is not what these tests look at.
    let _ = c.stdin.take().unwrap().write_all(stdin.as_bytes());
    c.wait_with_output().unwrap()
}

#[test]
fn setup_with_flags_and_usage_errors() {
    let dir = tempdir("setup-flags");
    let file = dir.join("appliance.toml");
    let full = [
        "--interface",
        "eth0",
        "--address",
        "dhcp",
        "--hostname",
        "lb2",
        "--password-stdin",
    ];
    let o = setup_flags(&file, &full, "s3cret-password\n");
    assert!(o.status.success(), "{}", stderr(&o));
    let v = read_toml(&file);
    assert_eq!(v["hostname"].as_str(), Some("lb2"));
    assert_eq!(v["network"]["management"]["dhcp"].as_bool(), Some(true));
    assert!(pwhash::unix::verify(
        "s3cret-password",
        v["admin"]["password_hash"].as_str().unwrap()
    ));

    // --json for scripts.
    let mut args = full.to_vec();
    args.insert(0, "--json");
    let o = setup_flags(&file, &args, "s3cret-password\n");
    let j: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(j["address"], "dhcp");

    // Without a terminal every value is a flag: usage error 2, file untouched.
    let before = std::fs::read_to_string(&file).unwrap();
    let o = setup_flags(&file, &["--hostname", "x"], "");
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("--interface is needed"),
        "{}",
        stderr(&o)
    );
    let bad = [
        "--interface",
        "eth0",
        "--address",
        "10.0.0.1",
        "--hostname",
        "h",
        "--password-stdin",
    ];
    let o = setup_flags(&file, &bad, "s3cret-password\n");
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("ADDRESS/PREFIX"), "{}", stderr(&o));
    // A weak password is refused (1), nothing written.
    let o = setup_flags(&file, &full, "short\n");
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(std::fs::read_to_string(&file).unwrap(), before);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn console_menu_as_login_program() {
    let dir = tempdir("console");
    let console = dir.join("lbctl-console");
    std::os::unix::fs::symlink(LBCTL, &console).unwrap();
    let mut c = Command::new(&console)
        .env("RAMPART_RUN_DIR", dir.join("no-such-run"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Status with nothing running: an error, and the menu comes back;
    // 42 is not an entry; reboot asks first and "n" does nothing; 0 leaves.
    c.stdin
        .take()
        .unwrap()
        .write_all(b"1\n42\n10\nn\n0\n")
        .unwrap();
    let o = c.wait_with_output().unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let out = text(&o);
    assert!(
        out.starts_with("\nRampart console\n  1) Status of the services\n"),
        "{out}"
    );
    assert!(out.contains("error: cannot reach the bus"), "{out}");
    assert!(out.contains("'42': choose 0 to 11"), "{out}");
    assert!(out.contains("Really reboot? [y/N]"), "{out}");
    assert_eq!(out.matches("Choice: ").count(), 4, "{out}");
    // The menu itself fits the console (an error may name a long path).
    assert!(
        out.lines()
            .filter(|l| !l.contains("error:"))
            .all(|l| l.len() <= 80),
        "{out}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
