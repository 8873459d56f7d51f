//! The VIP API keepalived-rs relies on, against the real kernel inside a private
//! network namespace (root needed; the host's interfaces are never touched).

#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns

mod common;

use std::net::IpAddr;
use std::time::Duration;

use common::{eventually, run, Netns};
use netcfg::{NetEvent, NetHandle, NetcfgError, Vip};
use tokio::sync::mpsc::Receiver;

const WAIT: Duration = Duration::from_secs(5);

/// Waits for an event matching `want`, skipping others.
async fn expect_event(rx: &mut Receiver<NetEvent>, want: impl Fn(&NetEvent) -> bool) -> NetEvent {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        match tokio::time::timeout_at(deadline, rx.recv()).await {
            Ok(Some(ev)) if want(&ev) => return ev,
            Ok(Some(_)) => continue,
            Ok(None) => panic!("watch stream ended"),
            Err(_) => panic!("no matching event within {WAIT:?}"),
        }
    }
}

fn ip_in(ns: &str, args: &[&str]) -> String {
    let mut a = vec!["-n", ns];
    a.extend_from_slice(args);
    run("ip", &a)
}

#[test]
fn vip_add_remove_and_external_removal() {
    let ns = Netns::new();
    ns.veth("v0", "v1");
    let name = ns.name.clone();
    ns.run(move || async move {
        let net = NetHandle::new().await.unwrap();
        let mut events = net.watch().unwrap();
        let index = net.link_index("v0").await.unwrap();
        assert!(
            eventually(WAIT, || async { net.link_is_up("v0").await.unwrap() }).await,
            "veth with both ends up reports carrier"
        );

        let v4 = Vip {
            addr: "192.0.2.10".parse().unwrap(),
            prefix_len: 24,
            ifname: "v0".into(),
            label: Some("v0:vip".into()),
        };
        assert!(!net.has_vip(&v4).await.unwrap());
        assert!(net.add_vip(&v4).await.unwrap(), "first add adds");
        assert!(!net.add_vip(&v4).await.unwrap(), "second add is a no-op");
        assert!(net.has_vip(&v4).await.unwrap());
        let shown = ip_in(&name, &["-4", "addr", "show", "dev", "v0"]);
        assert!(shown.contains("inet 192.0.2.10/24"), "{shown}");
        assert!(shown.contains("v0:vip"), "label is set: {shown}");
        assert!(net
            .addresses("v0")
            .await
            .unwrap()
            .contains(&("192.0.2.10".parse::<IpAddr>().unwrap(), 24)));
        expect_event(&mut events, |e| {
            *e == NetEvent::AddrAdded {
                index,
                addr: v4.addr,
                prefix_len: 24,
            }
        })
        .await;

        // Someone else removes it: the watcher sees it and has_vip says so.
        ip_in(&name, &["addr", "del", "192.0.2.10/24", "dev", "v0"]);
        expect_event(&mut events, |e| {
            *e == NetEvent::AddrRemoved {
                index,
                addr: v4.addr,
                prefix_len: 24,
            }
        })
        .await;
        assert!(!net.has_vip(&v4).await.unwrap());
        assert!(
            !net.remove_vip(&v4).await.unwrap(),
            "removing an absent VIP is a no-op"
        );
        assert!(
            net.add_vip(&v4).await.unwrap(),
            "put back after external removal"
        );
        assert!(net.remove_vip(&v4).await.unwrap());
        assert!(!ip_in(&name, &["addr", "show", "dev", "v0"]).contains("192.0.2.10"));

        let v6 = Vip {
            addr: "2001:db8::10".parse().unwrap(),
            prefix_len: 64,
            ifname: "v0".into(),
            label: None,
        };
        assert!(net.add_vip(&v6).await.unwrap());
        assert!(!net.add_vip(&v6).await.unwrap());
        let shown = ip_in(&name, &["-6", "addr", "show", "dev", "v0"]);
        let line = shown
            .lines()
            .find(|l| l.contains("inet6 2001:db8::10/64"))
            .unwrap_or_else(|| panic!("VIP not shown: {shown}"));
        assert!(
            line.contains("nodad"),
            "IPv6 VIPs skip DAD like keepalived: {line}"
        );
        assert!(!line.contains("tentative"), "usable at once: {line}");
        assert!(net.remove_vip(&v6).await.unwrap());
        assert!(!net.has_vip(&v6).await.unwrap());
    });
}

#[test]
fn link_state_events_and_errors() {
    let ns = Netns::new();
    ns.veth("v0", "v1");
    let name = ns.name.clone();
    ns.run(move || async move {
        let net = NetHandle::new().await.unwrap();
        let mut events = net.watch().unwrap();
        let index = net.link_index("v0").await.unwrap();
        assert!(eventually(WAIT, || async { net.link_is_up("v0").await.unwrap() }).await);

        // Carrier loss on v0 comes from the peer going down.
        ip_in(&name, &["link", "set", "v1", "down"]);
        expect_event(&mut events, |e| {
            *e == NetEvent::LinkDown {
                ifname: "v0".into(),
                index,
            }
        })
        .await;
        assert!(!net.link_is_up("v0").await.unwrap());
        ip_in(&name, &["link", "set", "v1", "up"]);
        expect_event(&mut events, |e| {
            *e == NetEvent::LinkUp {
                ifname: "v0".into(),
                index,
            }
        })
        .await;

        assert!(matches!(
            net.link_index("nope0").await,
            Err(NetcfgError::NoSuchLink(n)) if n == "nope0"
        ));
        let bad = Vip {
            addr: "192.0.2.1".parse().unwrap(),
            prefix_len: 24,
            ifname: "v0".into(),
            label: Some("other:1".into()),
        };
        assert!(matches!(
            net.add_vip(&bad).await,
            Err(NetcfgError::InvalidLabel { .. })
        ));
        let missing = Vip {
            ifname: "nope0".into(),
            label: None,
            ..bad
        };
        assert!(matches!(
            net.add_vip(&missing).await,
            Err(NetcfgError::NoSuchLink(_))
        ));
    });
}

#[test]
fn ethtool_channels_are_readable() {
    let ns = Netns::new();
    ns.veth("v0", "v1");
    ns.run(move || async move {
        // veth answers ETHTOOL_MSG_CHANNELS_GET with its rx/tx queue counts.
        let c = netcfg::channels::get("v0")
            .await
            .unwrap()
            .expect("veth reports channels");
        assert!(c.rx >= 1 && c.tx >= 1, "{c:?}");
    });
}

#[test]
fn rename_keeps_the_link_up_and_mtu_applies() {
    let ns = Netns::new();
    ns.veth("v0", "v1");
    let name = ns.name.clone();
    ns.run(move || async move {
        let net = NetHandle::new().await.unwrap();
        let index = net.link_index("v0").await.unwrap();
        net.rename_link("v0", "tr9").await.unwrap();
        assert_eq!(net.link_index("tr9").await.unwrap(), index);
        assert!(matches!(
            net.link_index("v0").await,
            Err(NetcfgError::NoSuchLink(_))
        ));
        let shown = ip_in(&name, &["link", "show", "tr9"]);
        assert!(shown.contains(",UP"), "up again after the rename: {shown}");
        net.set_mtu("tr9", 1280).await.unwrap();
        assert!(ip_in(&name, &["link", "show", "tr9"]).contains("mtu 1280"));
        assert_eq!(net.link("tr9").await.unwrap().mtu, 1280);
    });
}
