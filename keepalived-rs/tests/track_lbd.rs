//! The appliance's reason to fail over (issue 9 item 4): a backend tracked in a running
//! lbd goes to no server up → the master's priority drops → keepalived takes over.
//! Uses `LBD_BIN`, else the workspace's target/debug/lbd, else HAProxy (same runtime API).

mod lab;

use std::path::PathBuf;
use std::time::Duration;

use lab::{conf, Lab};

const VIP: &str = "10.99.0.100";

fn lbd_bin() -> Option<PathBuf> {
    if let Ok(b) = std::env::var("LBD_BIN") {
        return Some(PathBuf::from(b));
    }
    let ws = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/debug/lbd");
    [ws, PathBuf::from("/usr/sbin/haproxy")]
        .into_iter()
        .find(|p| p.exists())
}

#[test]
fn lbd_backend_without_servers_moves_the_vip() {
    if !lab::available(true) {
        return;
    }
    let Some(lbd) = lbd_bin() else {
        eprintln!("SKIP: no lbd or haproxy binary");
        return;
    };
    let lab = Lab::new(2);
    let sock = lab.dir.join("lbd.sock");
    let cfg = lab.write(
        "lbd.cfg",
        &format!(
            "global\n  stats socket {} level admin\n\
             defaults\n  mode tcp\n  timeout connect 1s\n  timeout client 5s\n  timeout server 5s\n\
             backend web\n  server s1 127.0.0.1:9001 check inter 100 fall 1 rise 1\n",
            sock.display()
        ),
    );
    let mut server = lab.spawn_in(
        0,
        "socat",
        &["socat", "TCP-LISTEN:9001,fork,reuseaddr", "OPEN:/dev/null"],
    );
    let lbd_s = lbd.to_string_lossy().into_owned();
    let cfg_s = cfg.to_string_lossy().into_owned();
    let _lbd = lab.spawn_in(0, "lbd", &[&lbd_s, "-f", &cfg_s]);
    let tracker = format!(
        "vrrp_track_lbd web_up {{\n  socket {}\n  backend web\n  interval 0.2\n  weight -60\n}}\n",
        sock.display()
    );
    let ka = lab.start_ka(1, &conf(2, 100, "1", ""));
    ka.wait_ready();
    let ours = lab.start_rs(
        0,
        &format!(
            "{tracker}{}",
            conf(2, 150, "1", "  track_script {\n    web_up\n  }")
        ),
    );
    ours.wait_ready();
    let only = |k: usize| lab.has_vip(k, VIP) && !lab.has_vip(1 - k, VIP);
    assert!(
        lab.wait(Duration::from_secs(8), || only(0)).is_some(),
        "we (150) are master:\n{}",
        ours.log_text()
    );
    assert!(lab.holds(Duration::from_secs(2), || only(0)));
    server.crash();
    // 150 - 60 = 90 < 100: keepalived takes over one Master_Down after our last 150 advert.
    let took = lab
        .wait(Duration::from_secs(8), || only(1))
        .expect("keepalived takes over");
    println!("lbd backend down → failover in {took:?}");
    assert!(took <= Duration::from_millis(3609 + 1000), "{took:?}");
    let log = ours.log_text();
    assert!(
        log.contains("Script `web_up` now returning failed"),
        "{log}"
    );
    assert!(log.contains("with higher priority 100, ours 90"), "{log}");
}
