//! The command line as scripts and units use it: `-t` checks a file and reports
//! problems with file:line; `-v`/`-h` answer; unknown options fail.

use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_keepalived-rs");

fn dir() -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("krcli{}", std::process::id()));
    let _ = std::fs::create_dir_all(&d);
    d
}

#[test]
fn config_test_reports_file_and_line() {
    let d = dir();
    let good = d.join("good.conf");
    let bad = d.join("bad.conf");
    assert!(std::fs::write(&good, "vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 51\n virtual_ipaddress {\n  10.99.0.100/24\n }\n}\n").is_ok());
    assert!(std::fs::write(&bad, "vrrp_instance VI_1 {\n interface eth0\n frobnicate\n authentication {\n  auth_type AH\n }\n}\n").is_ok());
    let ok = Command::new(BIN)
        .args(["-t", "-f"])
        .arg(&good)
        .output()
        .expect("run");
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    let out = Command::new(BIN)
        .args(["-t", "-f"])
        .arg(&bad)
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!(
            "WARNING - {}:3: Unknown keyword 'frobnicate'",
            bad.display()
        )),
        "{err}"
    );
    assert!(
        err.contains(&format!(
            "ERROR - {}:5: auth_type AH is not supported",
            bad.display()
        )),
        "{err}"
    );
    assert!(err.contains("virtual_router_id is required"), "{err}");
    let missing = Command::new(BIN)
        .args(["-t", "-f", "/nonexistent/k.conf"])
        .output()
        .expect("run");
    assert_eq!(missing.status.code(), Some(1));
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn version_help_and_unknown_options() {
    let v = Command::new(BIN).arg("-v").output().expect("run");
    assert!(v.status.success() && String::from_utf8_lossy(&v.stdout).starts_with("keepalived-rs "));
    let h = Command::new(BIN).arg("--help").output().expect("run");
    assert!(String::from_utf8_lossy(&h.stdout).contains("-f, --use-file=FILE"));
    let u = Command::new(BIN).arg("--frob").output().expect("run");
    assert_eq!(u.status.code(), Some(2));
}
