//! Shipped profiles load; bad profiles and appliance configs are rejected with the file,
//! the line, the key and the reason, from the library and from the CLI.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns

use std::path::{Path, PathBuf};
use std::process::Command;

use netcfg::appliance::ApplianceFile;
use netcfg::profile::{self, Profile};
use netcfg::ConfigError;

fn profiles_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../hw-profiles")
}

#[test]
fn every_shipped_profile_loads_and_names_its_source() {
    let all = profile::load_dir(&profiles_dir()).unwrap();
    let names: Vec<&str> = all.iter().map(|p| p.name.as_str()).collect();
    for want in [
        "qemu-virtio",
        "qemu-e1000",
        "generic-x86",
        "intel-i350-x710",
        "mellanox-connectx5",
    ] {
        assert!(names.contains(&want), "{want} missing from {names:?}");
    }
    for p in &all {
        let file = profiles_dir().join(format!("{}.toml", p.name));
        assert!(
            file.exists(),
            "profile name {} must match its file name",
            p.name
        );
        assert!(!p.source.is_empty(), "{}: source", p.name);
        assert!(!p.modules.load.is_empty(), "{}: modules", p.name);
    }
    for real in ["intel-i350-x710", "mellanox-connectx5"] {
        let p = all.iter().find(|p| p.name == real).unwrap();
        assert!(
            p.source.contains("atasheet") || p.source.contains("product brief"),
            "{real}"
        );
        assert!(!p.assumptions.is_empty(), "{real} must say what it assumes");
    }
}

const GOOD: &str = r#"name = "t"
description = "test"
source = "test"

[match]
pci_ids = ["8086:1572"]

[cpu]
count = 4

[[nic]]
role = "management"
name = "mgmt0"
match = { driver = "igb" }

[[nic]]
role = "traffic"
name = "tr0"
match = { driver = "i40e" }

[irq]
strategy = "spread"
housekeeping = "0"
"#;

fn profile_err(text: &str) -> ConfigError {
    Profile::parse(Path::new("/x/bad.toml"), text).unwrap_err()
}

#[test]
fn the_good_profile_parses() {
    Profile::parse(Path::new("good.toml"), GOOD).unwrap();
}

#[test]
fn profile_unknown_key() {
    let e = profile_err(&GOOD.replace("[cpu]\ncount = 4", "[cpu]\ncount = 4\ncores = 8"));
    assert_eq!(e.line, Some(10), "{e}");
    assert_eq!(e.key, "cores");
    assert!(
        e.to_string()
            .starts_with("/x/bad.toml:10: cores: unknown field `cores`"),
        "{e}"
    );
}

#[test]
fn profile_duplicate_role() {
    let e = profile_err(&GOOD.replace(
        "role = \"traffic\"\nname = \"tr0\"",
        "role = \"management\"\nname = \"tr0\"",
    ));
    assert_eq!(e.key, "nic[1].role");
    assert_eq!(e.line, Some(17), "{e}");
    assert!(e.reason.contains("duplicate role \"management\""), "{e}");
}

#[test]
fn profile_duplicate_name() {
    let e = profile_err(&GOOD.replace("name = \"tr0\"", "name = \"mgmt0\""));
    assert_eq!(e.key, "nic[1].name");
    assert!(e.reason.contains("duplicate NIC name"), "{e}");
}

#[test]
fn profile_impossible_masks() {
    let e = profile_err(&GOOD.replace("housekeeping = \"0\"", "housekeeping = \"6\""));
    assert_eq!(e.key, "irq.housekeeping");
    assert!(
        e.reason.contains("impossible mask 6: platform has 4 CPUs"),
        "{e}"
    );
    let e = profile_err(&GOOD.replace("housekeeping = \"0\"", "housekeeping = \"3-1\""));
    assert_eq!(e.key, "housekeeping");
    assert!(e.reason.contains("bad CPU range"), "{e}");
    let e = profile_err(&GOOD.replace(
        "strategy = \"spread\"\nhousekeeping = \"0\"",
        "strategy = \"explicit\"\n\n[irq.explicit]\n\"i40e-tr0-TxRx-0\" = \"9\"",
    ));
    assert_eq!(e.key, "irq.explicit.i40e-tr0-TxRx-0");
    assert!(e.reason.contains("impossible mask 9"), "{e}");
}

#[test]
fn profile_bad_values() {
    let e = profile_err(&GOOD.replace("8086:1572", "intel"));
    assert_eq!(e.key, "pci_ids");
    assert!(e.reason.contains("bad PCI id \"intel\""), "{e}");
    let e = profile_err(&GOOD.replace("strategy = \"spread\"", "strategy = \"round-robin\""));
    assert_eq!(e.key, "strategy");
    assert!(e.reason.contains("unknown variant `round-robin`"), "{e}");
}

const CFG: &str = r#"hostname = "lb1"

[network.management]
interface = "mgmt0"
address = "192.0.2.10/24"
gateway = "192.0.2.1"

[[network.interface]]
name = "tr0"
addresses = ["198.51.100.10/24"]

[[network.vlan]]
name = "tr0.100"
parent = "tr0"
id = 100
"#;

fn cfg_err(text: &str) -> ConfigError {
    ApplianceFile::parse(Path::new("/config/appliance.toml"), text).unwrap_err()
}

#[test]
fn the_good_config_parses() {
    let f = ApplianceFile::parse(Path::new("a.toml"), CFG).unwrap();
    assert_eq!(f.hostname.as_deref(), Some("lb1"));
    assert_eq!(f.network.vlans[0].id, 100);
}

#[test]
fn config_bad_cidr() {
    let e = cfg_err(&CFG.replace("198.51.100.10/24", "198.51.100.10/33"));
    assert_eq!((e.line, e.key.as_str()), (Some(10), "addresses"), "{e}");
    assert!(
        e.reason
            .contains("bad CIDR \"198.51.100.10/33\": prefix longer than 32"),
        "{e}"
    );
    let e = cfg_err(&CFG.replace("192.0.2.10/24", "192.0.2.300/24"));
    assert_eq!((e.line, e.key.as_str()), (Some(5), "address"), "{e}");
    assert!(e.reason.contains("not an IP address"), "{e}");
    assert!(
        e.to_string()
            .starts_with("/config/appliance.toml:5: address: bad CIDR"),
        "{e}"
    );
}

#[test]
fn config_unknown_key_and_duplicates() {
    let e = cfg_err(&CFG.replace("gateway =", "gw ="));
    assert_eq!((e.line, e.key.as_str()), (Some(6), "gw"), "{e}");
    let e = cfg_err(&CFG.replace("name = \"tr0.100\"", "name = \"tr0\""));
    assert_eq!(e.key, "network.vlan[0].name");
    assert!(e.reason.contains("configured twice"), "{e}");
    let e = cfg_err(&CFG.replace("id = 100", "id = 4095"));
    assert_eq!(
        (e.line, e.key.as_str()),
        (Some(15), "network.vlan[0].id"),
        "{e}"
    );
    let e = cfg_err(&CFG.replace(
        "address = \"192.0.2.10/24\"",
        "address = \"192.0.2.10/24\"\ndhcp = true",
    ));
    assert!(
        e.reason.contains("either dhcp = true or a static address"),
        "{e}"
    );
    let e = cfg_err(&CFG.replace("gateway = \"192.0.2.1\"", "gateway = \"2001:db8::1\""));
    assert!(e.reason.contains("address family"), "{e}");
}

#[test]
fn cli_rejects_a_bad_config_naming_file_line_key() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("appliance.toml");
    std::fs::write(&bad, CFG.replace("198.51.100.10/24", "198.51.100/24")).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_netcfg"))
        .arg("--root")
        .arg(dir.path())
        .args(["plan", "--profile", "none", "--config"])
        .arg(&bad)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!(
            "{}:10: addresses: bad CIDR \"198.51.100/24\"",
            bad.display()
        )),
        "{err}"
    );
}
