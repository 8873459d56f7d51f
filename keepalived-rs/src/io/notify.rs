//! Notify scripts (spec §3.4): fork/exec without a shell, own process group, run
//! asynchronously and reaped by a detached task so the protocol loop never waits.

use std::process::Stdio;

use crate::config::NotifyCmd;

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

#[cfg(test)]
mod tests {
    use super::*;

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
}
