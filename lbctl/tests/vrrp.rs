//! `lbctl vrrp` and the VRRP line of `lbctl status` against an
//! `org.rampart.Vrrp1` server on a private dbus-daemon that serves fixed
//! answers (two instances, a sync group: more than the real keepalived-rs
//! shows in the quick start, see quickstart.rs); `lbctl net` against this
//! machine.
#![allow(clippy::unwrap_used)]

mod common;

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use lbapi::dbus::{InstanceStatus, SyncGroupStatus, VrrpCounters};

use common::*;

struct Fake;

fn instance(name: &str, state: &str, prio: u8, eff: u8) -> InstanceStatus {
    InstanceStatus {
        name: name.into(),
        interface: "eth1".into(),
        vrid: 51,
        version: 3,
        family: "IPv4".into(),
        state: state.into(),
        priority: prio,
        effective_priority: eff,
        master_addr: "192.0.2.2".into(),
        vips: vec!["192.0.2.100/24".into(), "192.0.2.101/24".into()],
        excluded_vips: vec![],
        last_transition_secs: 185,
        sync_group: "G1".into(),
        counters: VrrpCounters::default(),
    }
}

#[zbus::interface(name = "org.rampart.Vrrp1")]
impl Fake {
    fn instances(&self) -> Vec<InstanceStatus> {
        vec![
            instance("VI_1", "MASTER", 150, 150),
            instance("VI_2", "BACKUP", 100, 80),
        ]
    }
    fn sync_groups(&self) -> Vec<SyncGroupStatus> {
        vec![SyncGroupStatus {
            name: "G1".into(),
            state: "MASTER".into(),
            instances: vec!["VI_1".into(), "VI_2".into()],
        }]
    }
}

struct Bus(Child);

impl Drop for Bus {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn lbctl(bus: &str, args: &[&str]) -> std::process::Output {
    Command::new(LBCTL)
        .arg("--bus")
        .arg(bus)
        .arg("--socket")
        .arg("/nonexistent/lbd.sock")
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn vrrp_table_json_and_absent_daemon() {
    let Some(()) = need(&[]) else { return };
    let dir = tempdir("vrrp");
    let sock = dir.join("bus");
    let addr = format!("unix:path={}", sock.display());
    let _bus = Bus(Command::new("dbus-daemon")
        .args(["--session", "--nofork", "--nopidfile"])
        .arg(format!("--address={addr}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap());
    let deadline = Instant::now() + Duration::from_secs(10);
    while !sock.exists() {
        assert!(Instant::now() < deadline, "dbus-daemon did not start");
        std::thread::sleep(Duration::from_millis(20));
    }

    // Before keepalived-rs is on the bus: 3, and status says so.
    let o = lbctl(&addr, &["vrrp"]);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    assert!(stderr(&o).contains("keepalived-rs"), "{}", stderr(&o));

    // A worker thread keeps serving while this one waits for lbctl.
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let _conn = rt.block_on(async {
        zbus::connection::Builder::address(addr.as_str())
            .unwrap()
            .name("org.rampart.Vrrp")
            .unwrap()
            .serve_at("/org/rampart/Vrrp", Fake)
            .unwrap()
            .build()
            .await
            .unwrap()
    });
    let o = lbctl(&addr, &["vrrp"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = text(&o);
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines[0].starts_with("INSTANCE"), "{out}");
    assert!(
        lines[1].split_whitespace().collect::<Vec<_>>()
            == [
                "VI_1",
                "eth1",
                "51",
                "MASTER",
                "150",
                "192.0.2.2",
                "3m05s",
                "192.0.2.100/24"
            ],
        "{out}"
    );
    // A tracker lowered VI_2: effective/configured priority.
    assert_eq!(lines[2].trim_start(), "192.0.2.101/24", "{out}");
    assert_eq!(lines[2].find('1'), lines[1].find("192.0.2.100"), "{out}");
    assert!(
        lines[3].contains(" BACKUP ") && lines[3].contains(" 80/100 "),
        "{out}"
    );
    assert_eq!(lines[5], "sync group G1: MASTER (VI_1, VI_2)");
    assert!(lines.iter().all(|l| l.len() <= 80), "{out}");

    let o = lbctl(&addr, &["--json", "vrrp"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["instances"][1]["effective_priority"], 80);
    assert_eq!(v["sync_groups"][0]["instances"][1], "VI_2");
    drop(rt);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn net_lists_loopback() {
    let o = Command::new(LBCTL).arg("net").output().unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let out = text(&o);
    assert!(out.starts_with("LINK"), "{out}");
    let lo = out.lines().find(|l| l.starts_with("lo ")).unwrap();
    assert!(lo.contains("127.0.0.1/8"), "{out}");
    assert!(out.lines().all(|l| l.len() <= 80), "{out}");
    let o = Command::new(LBCTL)
        .args(["--json", "net"])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let lo = v["links"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["name"] == "lo")
        .unwrap();
    assert!(lo["addresses"]
        .as_array()
        .unwrap()
        .iter()
        .any(|a| a == "127.0.0.1/8"));
}
