//! Notify scripts (spec §3.4): fork/exec without a shell, own process group, run
//! asynchronously and reaped by a detached task so the protocol loop never waits.

use std::process::Stdio;

use super::Logger;
use crate::config::{Config, NotifyCmd};

/// Splits the configured command like shell words and appends `extra` arguments.
pub fn argv(cmd: &NotifyCmd, extra: &[String]) -> Option<Vec<String>> {
    let mut v = shlex::split(&cmd.cmd)?;
    if v.is_empty() {
        return None;
    }
    v.extend(extra.iter().cloned());
    Some(v)
}

/// Starts the script and returns at once; errors are returned for logging.
pub fn spawn(cmd: &NotifyCmd, extra: &[String], default_user: Option<&str>) -> Result<(), String> {
    let args =
        argv(cmd, extra).ok_or_else(|| format!("cannot parse notify command '{}'", cmd.cmd))?;
    let mut c = tokio::process::Command::new(&args[0]);
    c.args(&args[1..]).stdin(Stdio::null()).process_group(0);
    if let Some(user) = cmd.user.as_deref().or(default_user) {
        set_user(&mut c, user)?;
    }
    let mut child = c
        .spawn()
        .map_err(|e| format!("cannot run {}: {e}", args[0]))?;
    tokio::spawn(async move {
        let _ = child.wait().await;
    });
    Ok(())
}

/// Applies `user[:group]` (keepalived's script_user / per-directive user).
pub fn set_user(c: &mut tokio::process::Command, spec: &str) -> Result<(), String> {
    let (user, group) = match spec.split_once(':') {
        Some((u, g)) => (u, Some(g)),
        None => (spec, None),
    };
    let u = nix::unistd::User::from_name(user)
        .ok()
        .flatten()
        .ok_or_else(|| format!("unknown script user {user}"))?;
    let gid = match group {
        Some(g) => {
            nix::unistd::Group::from_name(g)
                .ok()
                .flatten()
                .ok_or_else(|| format!("unknown group {g}"))?
                .gid
        }
        None => u.gid,
    };
    c.uid(u.uid.as_raw()).gid(gid.as_raw());
    Ok(())
}

/// `notify_fifo` (spec §3.4): one line per transition, in order, e.g.
/// `INSTANCE "VI_1" MASTER 100`, unlike notify scripts which may overlap. The FIFO is
/// created if missing and opened read-write and non-blocking, so a missing or slow
/// reader never stalls the daemon (lines are dropped instead).
pub struct NotifyFifo {
    tx: tokio::sync::mpsc::UnboundedSender<String>,
}

impl NotifyFifo {
    pub fn open(path: &std::path::Path) -> std::io::Result<NotifyFifo> {
        use std::os::unix::fs::OpenOptionsExt;
        if !path.exists() {
            nix::unistd::mkfifo(path, nix::sys::stat::Mode::from_bits_truncate(0o600))
                .map_err(std::io::Error::from)?;
        }
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .custom_flags(libc::O_NONBLOCK)
            .open(path)?;
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<String>();
        tokio::spawn(async move {
            use std::io::Write;
            let mut file = file;
            while let Some(line) = rx.recv().await {
                let _ = file.write_all(line.as_bytes());
            }
        });
        Ok(NotifyFifo { tx })
    }

    /// Queues `INSTANCE "name" STATE prio` (or `GROUP "name" STATE`).
    pub fn send(&self, what: &str, name: &str, state: &str, priority: Option<u8>) {
        let line = match priority {
            Some(p) => format!("{what} \"{name}\" {state} {p}\n"),
            None => format!("{what} \"{name}\" {state}\n"),
        };
        let _ = self.tx.send(line);
    }
}

/// `enable_script_security` (spec §3.4): a script run as root must not be writable by
/// anyone but root, nor may any directory on its path (sticky directories such as /tmp
/// excepted). Returns why it is insecure, or None.
pub fn insecure_reason(cmd: &str) -> Option<String> {
    use std::os::unix::fs::MetadataExt;
    let prog = shlex::split(cmd)?.into_iter().next()?;
    let path = if prog.contains('/') {
        std::path::PathBuf::from(&prog)
    } else {
        let found = std::env::var_os("PATH").and_then(|p| {
            std::env::split_paths(&p)
                .map(|d| d.join(&prog))
                .find(|c| c.exists())
        });
        found?
    };
    let mut cur = Some(path.as_path());
    let mut first = true;
    while let Some(p) = cur {
        let Ok(m) = std::fs::metadata(p) else {
            return first.then(|| format!("{} does not exist", p.display()));
        };
        let mode = m.mode();
        let sticky_dir = m.is_dir() && mode & 0o1000 != 0;
        if m.uid() != 0 {
            return Some(format!("{} is not owned by root", p.display()));
        }
        if !sticky_dir && (mode & 0o002 != 0 || (mode & 0o020 != 0 && m.gid() != 0)) {
            return Some(format!("{} is writable by non-root users", p.display()));
        }
        first = false;
        cur = p.parent().filter(|q| !q.as_os_str().is_empty());
    }
    None
}

/// With `enable_script_security`, scripts that would run as root from a path others can
/// write are disabled (trackers dropped, notifies not run), as keepalived does.
pub fn secure_scripts(cfg: &mut Config, log: &Logger) {
    if !cfg.global.enable_script_security {
        return;
    }
    let global_root = cfg
        .global
        .script_user
        .as_deref()
        .is_none_or(|u| u == "root" || u.starts_with("root:"));
    let as_root = |user: &Option<String>| {
        user.as_deref()
            .map_or(global_root, |u| u == "root" || u.starts_with("root:"))
    };
    let mut disabled = Vec::new();
    for s in cfg
        .scripts
        .iter()
        .filter(|s| s.lbd.is_none() && as_root(&s.user))
    {
        if let Some(why) = insecure_reason(&s.script) {
            log.info(&format!(
                "WARNING - script {} is insecure ({why}) and is disabled",
                s.name
            ));
            disabled.push(s.name.clone());
        }
    }
    cfg.scripts.retain(|s| !disabled.contains(&s.name));
    let check = |n: &mut Option<NotifyCmd>| {
        if let Some(c) = n.as_ref().filter(|c| as_root(&c.user)) {
            if let Some(why) = insecure_reason(&c.cmd) {
                log.info(&format!(
                    "WARNING - notify script '{}' is insecure ({why}) and is disabled",
                    c.cmd
                ));
                *n = None;
            }
        }
    };
    let notifies = cfg
        .instances
        .iter_mut()
        .map(|i| &mut i.notify)
        .chain(cfg.sync_groups.iter_mut().map(|g| &mut g.notify));
    for n in notifies {
        for slot in [
            &mut n.master,
            &mut n.backup,
            &mut n.fault,
            &mut n.stop,
            &mut n.any,
            &mut n.master_rx_lower_pri,
        ] {
            check(slot);
        }
    }
    for i in &mut cfg.instances {
        i.track_scripts.retain(|t| !disabled.contains(&t.name));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn script_security_checks_file_and_path() {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(insecure_reason("/bin/true arg"), None);
        assert_eq!(insecure_reason("true"), None, "found on PATH");
        let d = std::env::temp_dir().join(format!("krsec{}", std::process::id()));
        assert!(std::fs::create_dir_all(&d).is_ok());
        let f = d.join("n.sh");
        assert!(std::fs::write(&f, "#!/bin/sh\n").is_ok());
        let set = |p: &std::path::Path, m: u32| {
            std::fs::set_permissions(p, std::fs::Permissions::from_mode(m))
        };
        assert!(set(&d, 0o755).is_ok() && set(&f, 0o755).is_ok());
        let cmd = format!("{} MASTER", f.display());
        if nix::unistd::geteuid().is_root() {
            assert_eq!(insecure_reason(&cmd), None);
        }
        assert!(set(&f, 0o757).is_ok());
        assert!(insecure_reason(&cmd)
            .is_some_and(|r| r.ends_with("n.sh is writable by non-root users")));
        assert!(set(&f, 0o755).is_ok() && set(&d, 0o777).is_ok());
        assert!(
            insecure_reason(&cmd).is_some_and(|r| r.contains("writable by non-root")),
            "a writable directory"
        );
        let _ = std::fs::remove_dir_all(&d);
    }

    #[test]
    fn argv_splits_like_shell_words_and_appends_keepalived_args() {
        let cmd = NotifyCmd {
            cmd: "/path/x.sh 'A B' C".into(),
            user: None,
        };
        let extra: Vec<String> = ["INSTANCE", "VI_1", "MASTER", "150"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(
            argv(&cmd, &extra).expect("argv"),
            [
                "/path/x.sh",
                "A B",
                "C",
                "INSTANCE",
                "VI_1",
                "MASTER",
                "150"
            ]
        );
        assert!(argv(
            &NotifyCmd {
                cmd: "'open".into(),
                user: None
            },
            &[]
        )
        .is_none());
    }

    #[test]
    fn script_security_disables_insecure_scripts_and_notifies() {
        use std::os::unix::fs::PermissionsExt;
        let d = std::env::temp_dir().join(format!("krsecd{}", std::process::id()));
        assert!(std::fs::create_dir_all(&d).is_ok());
        let bad = d.join("bad.sh");
        assert!(std::fs::write(&bad, "#!/bin/sh\n").is_ok());
        assert!(std::fs::set_permissions(&d, std::fs::Permissions::from_mode(0o755)).is_ok());
        assert!(std::fs::set_permissions(&bad, std::fs::Permissions::from_mode(0o777)).is_ok());
        let text = format!(
            "global_defs {{\n enable_script_security\n}}\n\
             vrrp_script ok {{\n script /bin/true\n}}\nvrrp_script bad {{\n script {b}\n}}\n\
             vrrp_instance VI_1 {{\n interface eth0\n virtual_router_id 1\n track_script {{\n  ok\n  bad\n }}\n notify {b}\n notify_master /bin/true\n}}\n",
            b = bad.display()
        );
        let mut cfg = crate::config::load_str("s.conf", &text)
            .expect("parse")
            .config;
        secure_scripts(&mut cfg, &Logger::console(false));
        let names: Vec<&str> = cfg.scripts.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["ok"]);
        let i = &cfg.instances[0];
        assert_eq!(i.track_scripts.len(), 1);
        assert!(i.notify.any.is_none(), "insecure notify disabled");
        assert!(i.notify.master.is_some());
        let _ = std::fs::remove_dir_all(&d);
    }

    #[tokio::test]
    async fn fifo_lines_in_order_and_no_reader_never_blocks() {
        use std::io::Read;
        use std::os::unix::fs::OpenOptionsExt;
        let path = std::env::temp_dir().join(format!("krfifo{}", std::process::id()));
        let _ = std::fs::remove_file(&path);
        let fifo = NotifyFifo::open(&path).expect("fifo");
        let mut reader = std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NONBLOCK)
            .open(&path)
            .expect("reader");
        fifo.send("INSTANCE", "VI_1", "BACKUP", Some(100));
        fifo.send("INSTANCE", "VI_1", "MASTER", Some(100));
        fifo.send("GROUP", "G1", "MASTER", None);
        let mut got = String::new();
        for _ in 0..100 {
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
            let mut buf = [0u8; 256];
            if let Ok(n) = reader.read(&mut buf) {
                got.push_str(&String::from_utf8_lossy(&buf[..n]));
            }
            if got.lines().count() == 3 {
                break;
            }
        }
        assert_eq!(
            got,
            "INSTANCE \"VI_1\" BACKUP 100\nINSTANCE \"VI_1\" MASTER 100\nGROUP \"G1\" MASTER\n"
        );
        let _ = std::fs::remove_file(&path);
    }
}
