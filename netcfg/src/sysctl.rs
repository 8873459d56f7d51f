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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_only_what_differs_and_ignores_kernel_whitespace() {
        let dir = tempfile::tempdir().unwrap();
        let sys = SysRoot::new(dir.path());
        std::fs::create_dir_all(dir.path().join("proc/sys/net/ipv4")).unwrap();
        std::fs::create_dir_all(dir.path().join("proc/sys/net/core")).unwrap();
        // The kernel prints the port range with a tab.
        std::fs::write(
            dir.path().join("proc/sys/net/ipv4/ip_local_port_range"),
            "1024\t65535\n",
        )
        .unwrap();
        std::fs::write(dir.path().join("proc/sys/net/core/somaxconn"), "4096\n").unwrap();
        let want: BTreeMap<String, String> = [
            ("net.ipv4.ip_local_port_range", "1024 65535"),
            ("net.core.somaxconn", "65535"),
            ("net.core.missing", "1"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let (changes, errors) = apply(&sys, &want, false);
        assert_eq!(
            changes.iter().map(|c| c.to_string()).collect::<Vec<_>>(),
            ["~ sysctl net.core.somaxconn: 4096 -> 65535"]
        );
        assert_eq!(errors.len(), 1);
        assert!(
            errors[0].to_string().contains("proc/sys/net/core/missing"),
            "{}",
            errors[0]
        );
        let (again, _) = apply(&sys, &want, false);
        assert!(again.is_empty(), "{again:?}");
    }
}
