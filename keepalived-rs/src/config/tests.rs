//! Golden parses of keepalived configs, including the lab quirks of spec §4.1.

use super::*;

const LAB: &str = r#"
global_defs {
  router_id node_a
  vrrp_version 3
  script_user root
  enable_script_security
}
vrrp_script chk_lb {
  script "/usr/bin/test -f /run/lb.ok"
  interval 1
  weight -60
  fall 2
  rise 2
}
vrrp_instance VI_1 {
  state BACKUP
  interface eth0
  virtual_router_id 51
  priority 150
  advert_int 1
  track_script { chk_lb }
  virtual_ipaddress {
    10.99.0.100/24
    10.99.0.101/24 dev eth0 label eth0:vip1
  }
  notify /etc/keepalived-rs/notify.sh
}
"#;

fn parse(text: &str) -> Parsed {
    load_str("k.conf", text).expect("parses")
}

fn msgs(d: &[Diag]) -> Vec<String> {
    d.iter().map(|d| d.to_string()).collect()
}

#[test]
fn lab_reference_config() {
    let p = parse(LAB);
    assert!(
        p.warnings.is_empty() && p.errors.is_empty(),
        "{:?} {:?}",
        p.warnings,
        p.errors
    );
    let c = &p.config;
    assert_eq!(c.global.router_id.as_deref(), Some("node_a"));
    let s = &c.scripts[0];
    assert_eq!(
        (s.name.as_str(), s.weight, s.rise, s.fall),
        ("chk_lb", -60, 2, 2)
    );
    assert_eq!(
        s.timeout,
        Duration::from_secs(1),
        "timeout defaults to interval"
    );
    let i = &c.instances[0];
    assert_eq!(i.interface.as_deref(), Some("eth0"));
    let pr = &i.params;
    assert_eq!(
        (pr.vrid, pr.priority, pr.version, pr.advert_int_cs),
        (51, 150, Version::V3, 100)
    );
    assert_eq!(pr.checksum, ChecksumForm::PseudoHeader);
    assert_eq!(i.vips.len(), 2);
    assert_eq!(i.vips[0].prefix_len, 24);
    assert_eq!(i.vips[1].label.as_deref(), Some("eth0:vip1"));
    assert_eq!(i.vips[1].dev.as_deref(), Some("eth0"));
    assert_eq!(
        i.notify.any.as_ref().map(|n| n.cmd.as_str()),
        Some("/etc/keepalived-rs/notify.sh")
    );
    assert_eq!(i.track_scripts[0].name, "chk_lb");
}

#[test]
fn defaults_are_keepalived_defaults() {
    let p = parse("vrrp_instance X {\n interface eth0\n virtual_router_id 7\n virtual_ipaddress {\n 10.0.0.1\n }\n}\n");
    let i = &p.config.instances[0];
    let pr = &i.params;
    assert_eq!(
        (pr.version, pr.priority, pr.advert_int_cs, pr.preempt),
        (Version::V2, 100, 100, true)
    );
    assert_eq!(i.vips[0].prefix_len, 32, "IPv4 VIP without a length is /32");
    assert_eq!(pr.garp.master_repeat, 5);
    assert_eq!(pr.garp.master_delay, Duration::from_secs(5));
    assert_eq!(pr.down_timer_adverts, 3);
    // state MASTER without a priority means the owner's 255.
    let p = parse("vrrp_instance X {\n state MASTER\n interface eth0\n virtual_router_id 7\n}\n");
    assert_eq!(p.config.instances[0].params.priority, 255);
}

#[test]
fn one_keyword_per_line_surplus_is_dropped_with_a_warning() {
    let p = parse(
        "global_defs { router_id z  vrrp_version 3 }\n\
         vrrp_instance X {\n interface eth0\n virtual_router_id 7\n priority 120 advert_int 2\n}\n",
    );
    assert_eq!(
        p.config.global.vrrp_version,
        Version::V2,
        "as keepalived: version stays 2"
    );
    let i = &p.config.instances[0];
    assert_eq!((i.params.priority, i.params.advert_int_cs), (120, 100));
    assert_eq!(
        msgs(&p.warnings)[..2],
        [
            "k.conf:1: router_id: ignoring extra words 'vrrp_version 3' (one keyword per line)",
            "k.conf:5: priority: ignoring extra words 'advert_int 2' (one keyword per line)",
        ]
    );
}

#[test]
fn unknown_keywords_warn_with_file_and_line() {
    let p = parse("bogus 1\nvrrp_instance X {\n interface eth0\n virtual_router_id 7\n frobnicate yes\n virtual_ipaddress { 10.0.0.1 10.0.0.2 }\n}\n");
    assert_eq!(
        msgs(&p.warnings),
        vec![
            "k.conf:1: Unknown keyword 'bogus'",
            "k.conf:5: Unknown keyword 'frobnicate'",
            "k.conf:6: unknown option '10.0.0.2' of virtual address 10.0.0.1",
        ]
    );
    assert_eq!(p.config.instances.len(), 1);
}

#[test]
fn v2_interval_rounds_and_v3_keeps_centiseconds() {
    let p = parse("vrrp_instance X {\n interface eth0\n virtual_router_id 7\n advert_int 0.5\n}\n");
    assert_eq!(p.config.instances[0].params.advert_int_cs, 100);
    assert_eq!(
        msgs(&p.warnings)[0],
        "k.conf:4: (X) VRRPv2 advertisement interval 0.500000s must be an integer. rounding"
    );
    let p = parse("vrrp_instance X {\n interface eth0\n version 3\n virtual_router_id 7\n advert_int 0.05\n virtual_ipaddress {\n10.0.0.1\n}\n}\n");
    assert_eq!(p.config.instances[0].params.advert_int_cs, 5);
    assert!(p.warnings.is_empty(), "{:?}", p.warnings);
}

#[test]
fn unicast_auth_and_checksum_switch() {
    let p = parse(
        r#"vrrp_instance X {
  interface eth0
  virtual_router_id 51
  unicast_src_ip 10.99.0.11
  unicast_peer {
    10.99.0.12
    10.99.0.13
  }
  authentication {
    auth_type PASS
    auth_pass s3cr3tpass
  }
  v3_checksum_as_v2
  nopreempt
  preempt_delay 4
}
"#,
    );
    let i = &p.config.instances[0];
    assert_eq!(i.params.unicast_peers.len(), 2);
    assert!(i.params.check_unicast_src);
    assert_eq!(i.params.auth, Auth::pass("s3cr3tpa"));
    assert_eq!(i.params.checksum, ChecksumForm::Plain);
    assert!(!i.params.preempt);
    assert_eq!(i.params.preempt_delay, Duration::from_secs(4));
    assert!(msgs(&p.warnings)
        .iter()
        .any(|w| w.ends_with("Truncating auth_pass to 8 characters")));
    let p = parse("vrrp_instance X {\n interface eth0\n virtual_router_id 7\n authentication {\n auth_type AH\n }\n}\n");
    assert_eq!(
        msgs(&p.errors),
        vec!["k.conf:5: auth_type AH is not supported"]
    );
}

#[test]
fn sync_group_ignores_weighted_trackers() {
    let p = parse(
        r#"vrrp_script chk_file {
  script "/bin/true"
  weight 10
}
vrrp_script chk_hard {
  script "/bin/true"
}
vrrp_instance VI_1 {
  interface eth0
  virtual_router_id 1
  track_script {
    chk_file
    chk_hard
  }
}
vrrp_instance VI_2 {
  interface eth0
  virtual_router_id 2
}
vrrp_sync_group G1 {
  group {
    VI_1
    VI_2
  }
  notify "/bin/echo grp"
}
"#,
    );
    let g = &p.config.sync_groups[0];
    assert_eq!(g.members, ["VI_1", "VI_2"]);
    assert_eq!(
        g.notify.any.as_ref().map(|n| n.cmd.as_str()),
        Some("/bin/echo grp")
    );
    let names: Vec<&str> = p.config.instances[0]
        .track_scripts
        .iter()
        .map(|t| t.name.as_str())
        .collect();
    assert_eq!(names, ["chk_hard"]);
    assert!(msgs(&p.warnings)
        .iter()
        .any(|w| w
            .ends_with("(VI_1) ignoring tracked script chk_file with weights due to SYNC group")));
}

#[test]
fn instance_errors() {
    let p = parse("vrrp_instance X {\n interface eth0\n}\nvrrp_instance Y {\n interface eth0\n virtual_router_id 300\n}\n");
    assert!(p.config.instances.is_empty());
    assert_eq!(p.errors.len(), 2);
    assert_eq!(
        msgs(&p.warnings),
        vec!["k.conf:6: virtual_router_id: invalid value '300' (expected 1..255)"]
    );
    let p = parse(
        "vrrp_instance X {\n interface eth0\n virtual_router_id 7\n virtual_ipaddress {\n10.0.0.1\nfd00::1\n}\n}\n",
    );
    assert_eq!(
        msgs(&p.errors),
        vec!["k.conf:1: (X) virtual_ipaddress mixes address families"]
    );
}

#[test]
fn lbd_backend_tracker_extension() {
    let p = parse(
        "vrrp_track_lbd web_up {\n  socket /run/lbd/admin.sock\n  backend web\n  interval 0.5\n  weight -60\n  fall 2\n}\n\
         vrrp_track_lbd broken {\n  backend web\n}\n",
    );
    let s = &p.config.scripts[0];
    assert_eq!(
        s.lbd,
        Some(LbdCheck {
            socket: "/run/lbd/admin.sock".into(),
            backend: "web".into()
        })
    );
    assert_eq!(
        (s.weight, s.fall, s.interval),
        (-60, 2, Duration::from_millis(500))
    );
    assert_eq!(
        msgs(&p.errors),
        vec!["k.conf:8: vrrp_track_lbd broken: socket and backend are required"]
    );
}

#[test]
fn garp_spacing_and_unicast_ttl() {
    let p = parse(
        "global_defs {\n  vrrp_garp_interval 0.002\n  vrrp_gna_interval 0.5\n}\n\
         vrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 1\n  unicast_ttl 64\n  \
         unicast_peer {\n    10.0.0.2\n  }\n  virtual_ipaddress {\n    10.0.0.100\n  }\n}\n",
    );
    assert!(
        p.warnings.is_empty() && p.errors.is_empty(),
        "{:?}",
        p.warnings
    );
    assert_eq!(p.config.global.garp_interval, Duration::from_millis(2));
    assert_eq!(p.config.global.gna_interval, Duration::from_millis(500));
    assert_eq!(p.config.instances[0].unicast_ttl, Some(64));
}
