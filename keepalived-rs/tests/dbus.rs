//! `org.rampart.Vrrp1` on a private bus: a keepalived-rs node started with `--dbus`
//! answers `Instances`/`SyncGroups` and signals its transitions with a reason.

mod lab;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use lab::{conf, Lab};
use lbapi::dbus::{InstanceStatus, Vrrp1Proxy};

const VIP: &str = "10.99.0.100";

/// A dbus-daemon of the test's own, on a socket path (reachable from every netns).
struct Bus {
    child: Child,
    address: String,
}

impl Bus {
    fn start(dir: &std::path::Path) -> Option<Bus> {
        let sock = dir.join("bus");
        let mut child = Command::new("dbus-daemon")
            .args(["--session", "--print-address", "--nofork"])
            .arg(format!("--address=unix:path={}", sock.display()))
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .ok()?;
        let mut line = String::new();
        BufReader::new(child.stdout.take()?)
            .read_line(&mut line)
            .ok()?;
        Some(Bus {
            child,
            address: line.trim().to_string(),
        })
    }
}

impl Drop for Bus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn instances(p: &Vrrp1Proxy<'_>) -> Vec<InstanceStatus> {
    p.instances().await.unwrap_or_default()
}

/// Polls `Instances()` until `cond` holds on the first instance.
async fn until(p: &Vrrp1Proxy<'_>, what: &str, cond: impl Fn(&InstanceStatus) -> bool) {
    let t0 = Instant::now();
    loop {
        let got = instances(p).await;
        if got.first().is_some_and(&cond) {
            return;
        }
        assert!(t0.elapsed() < Duration::from_secs(5), "{what}: {got:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[test]
fn instances_and_transition_signals_on_a_private_bus() {
    if !lab::available(false) {
        return;
    }
    let lab = Lab::new(2);
    let Some(bus) = Bus::start(&lab.dir) else {
        eprintln!("SKIP: no dbus-daemon");
        return;
    };
    let group = "vrrp_sync_group G1 {\n  group {\n    VI_1\n  }\n}\n";
    let a_conf = format!("{group}{}", conf(3, 150, "0.1", ""));
    let a = lab.start_rs_with(0, &a_conf, &[("--dbus", &bus.address)]);
    let b = lab.start_rs(1, &conf(3, 100, "0.1", ""));
    a.wait_ready();
    b.wait_ready();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let conn = zbus::connection::Builder::address(bus.address.as_str())
            .expect("address")
            .build()
            .await
            .expect("connect to the test bus");
        let p = Vrrp1Proxy::new(&conn).await.expect("proxy");
        until(&p, "node a becomes MASTER", |i| i.state == "MASTER").await;
        assert!(lab.has_vip(0, VIP));
        let i = &instances(&p).await[0];
        assert_eq!(
            (i.name.as_str(), i.interface.as_str(), i.vrid, i.version),
            ("VI_1", "eth0", 51, 3)
        );
        assert_eq!((i.priority, i.effective_priority), (150, 150));
        assert_eq!(i.master_addr, "10.99.0.11");
        assert_eq!(i.vips, ["10.99.0.100/24"]);
        assert_eq!(i.sync_group, "G1");
        assert!(
            i.counters.sent > 0 && i.counters.became_master == 1,
            "{i:?}"
        );
        let groups = p.sync_groups().await.expect("SyncGroups");
        assert_eq!(groups.len(), 1);
        assert_eq!(
            (groups[0].name.as_str(), groups[0].state.as_str()),
            ("G1", "MASTER")
        );
        assert_eq!(groups[0].instances, ["VI_1"]);

        // Link down: a Transition signal MASTER -> FAULT with its reason.
        let mut sigs = p.receive_transition().await.expect("subscribe");
        lab.link(0, false);
        let sig = tokio::time::timeout(Duration::from_secs(3), sigs.next())
            .await
            .expect("Transition within 3 s")
            .expect("signal stream");
        let args = sig.args().expect("signal args");
        assert_eq!(
            (args.instance(), args.from(), args.to(), args.reason()),
            (&"VI_1", &"MASTER", &"FAULT", &"interface or tracker fault")
        );
        until(&p, "FAULT shown", |i| {
            i.state == "FAULT" && i.master_addr.is_empty()
        })
        .await;
        // Link back: FAULT -> BACKUP, then it preempts node b again.
        lab.link(0, true);
        until(&p, "MASTER again", |i| {
            i.state == "MASTER" && i.counters.became_master == 2
        })
        .await;
    });
    drop(a);
}
