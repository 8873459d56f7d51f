//! sysctls under `<root>/proc/sys`: compare (whitespace-insensitive, the kernel prints
//! `ip_local_port_range` with a tab) and write only what differs.

use std::collections::BTreeMap;

use crate::change::Change;
use crate::error::NetcfgError;
use crate::sysfs::SysRoot;

fn rel(key: &str) -> String {
    format!("proc/sys/{}", key.replace('.', "/"))
}

fn norm(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Brings every sysctl in `want` to its value; reports what differed. Errors are per key.
pub fn apply(
    sys: &SysRoot,
    want: &BTreeMap<String, String>,
    dry_run: bool,
) -> (Vec<Change>, Vec<NetcfgError>) {
    let mut changes = Vec::new();
    let mut errors = Vec::new();
    for (key, value) in want {
        let r = rel(key);
        let cur = match sys.read(&r) {
            Ok(c) => norm(&c),
            Err(e) => {
                errors.push(e);
                continue;
            }
        };
        let value = norm(value);
        if cur == value {
            continue;
        }
        changes.push(Change::set(format!("sysctl {key}"), cur, value.clone()));
        if !dry_run {
            if let Err(e) = sys.write_checked(&r, &value, |back| norm(back) == value) {
                errors.push(e);
            }
        }
    }
    (changes, errors)
}
