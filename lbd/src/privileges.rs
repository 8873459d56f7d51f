//! `chroot`, `user`/`uid`, `group`/`gid` from the global section: applied
//! after every socket is bound and every file read, as HAProxy does.

use crate::config::model::Global;
use crate::listener::{lookup_group, lookup_user};
use nix::unistd::{Gid, Uid};

#[derive(Debug, thiserror::Error)]
pub enum PrivError {
    #[error("[{what}] {reason}")]
    Failed { what: String, reason: String },
}

fn fail(what: &str, e: impl std::fmt::Display) -> PrivError {
    PrivError::Failed {
        what: what.to_string(),
        reason: e.to_string(),
    }
}

pub fn drop_privileges(g: &Global) -> Result<(), PrivError> {
    let gid = match (g.gid, &g.group) {
        (Some(id), _) => Some(id),
        (None, Some(name)) => Some(lookup_group(name).map_err(|e| fail("group", e))?),
        _ => None,
    };
    let uid = match (g.uid, &g.user) {
        (Some(id), _) => Some(id),
        (None, Some(name)) => Some(lookup_user(name).map_err(|e| fail("user", e))?),
        _ => None,
    };
    if let Some(dir) = &g.chroot {
        nix::unistd::chroot(dir.as_str()).map_err(|e| fail(&format!("chroot {dir}"), e))?;
        nix::unistd::chdir("/").map_err(|e| fail("chdir /", e))?;
    }
    if let Some(gid) = gid {
        // Drop supplementary groups first, or they would survive setgid.
        nix::unistd::setgroups(&[Gid::from_raw(gid)]).map_err(|e| fail("setgroups", e))?;
        nix::unistd::setgid(Gid::from_raw(gid)).map_err(|e| fail("setgid", e))?;
    }
    if let Some(uid) = uid {
        nix::unistd::setuid(Uid::from_raw(uid)).map_err(|e| fail("setuid", e))?;
    }
    Ok(())
}
