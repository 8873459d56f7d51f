//! The worker's side of the master link: the environment that makes a
//! process a worker, the CLI connections the master (or the next worker)
//! opens over the socketpair, and the `READY` line once listeners accept.
//!
//! A worker whose master has gone stops, as 2.6's do.

use super::ipc;
use crate::api::{serve_client, Api, SessionState};
use crate::config::model::CliLevel;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::net::UnixStream;
use std::sync::Arc;
use std::time::Duration;

/// The environment variable that makes a process a worker, as 2.6.
pub const ENV_WORKER: &str = "HAPROXY_MWORKER";

/// How long a CLI client on the socketpair may stay idle.
const CLIENT_TIMEOUT: Duration = Duration::from_secs(10);

/// A worker's link to its master.
#[derive(Debug)]
pub struct Link {
    ipc: OwnedFd,
}

/// What a worker inherits from the master.
#[derive(Debug)]
pub struct Inheritance {
    pub link: Link,
    /// The previous worker's socketpair, to take the listeners from.
    pub takeover: Option<OwnedFd>,
}

impl Inheritance {
    /// A worker forked by its master without an exec (`master::fork_early`):
    /// the descriptors are already this process's.
    pub fn forked(ipc: OwnedFd, takeover: Option<OwnedFd>) -> Inheritance {
        Inheritance {
            link: Link { ipc },
            takeover,
        }
    }
}

/// Is this process a worker? Takes the inherited descriptors over and
/// clears the variables, so that nothing started from here inherits them.
pub fn from_env() -> Option<Inheritance> {
    if std::env::var(ENV_WORKER).ok()? != "1" {
        return None;
    }
    let own = |name: &str| {
        let fd = ipc::fd_from_env(name)?;
        let _ = ipc::set_inherit(fd, false);
        // SAFETY: the master passed this descriptor to this process alone,
        // named in the environment; nothing else here owns it.
        Some(unsafe { OwnedFd::from_raw_fd(fd) })
    };
    let ipc_fd = own(ipc::ENV_IPC)?;
    let takeover = own(ipc::ENV_TAKEOVER);
    std::env::remove_var(ipc::ENV_IPC);
    std::env::remove_var(ipc::ENV_TAKEOVER);
    Some(Inheritance {
        link: Link { ipc: ipc_fd },
        takeover,
    })
}

/// Takes the listening sockets from the previous worker, over its
/// socketpair (2.6's `-x sockpair@<fd>`).
pub fn take_sockets(takeover: &OwnedFd) -> Result<Vec<OwnedFd>, crate::getsocks::GetsocksError> {
    let s = ipc::connect(takeover.as_raw_fd())?;
    crate::getsocks::fetch_over(s)
}

/// What the previous worker hands over, asked over its socketpair.
pub fn read_carried(takeover: &OwnedFd) -> super::state::Carried {
    super::state::Carried::read(|| ipc::connect(takeover.as_raw_fd()).ok())
}

/// Tells the master, once per readiness, that this worker serves.
struct Ready {
    ipc: UnixStream,
}

impl crate::reload::Events for Ready {
    fn ready(&self) {
        let _ = std::io::Write::write_all(&mut &self.ipc, ipc::READY);
    }
    fn reloading(&self) {}
    fn stopping(&self) {}
}

impl Link {
    /// The readiness reporter for the driver.
    pub fn events(&self) -> Option<Arc<dyn crate::reload::Events>> {
        let dup = self.ipc.try_clone().ok()?;
        Some(Arc::new(Ready {
            ipc: UnixStream::from(dup),
        }))
    }

    /// Serves the connections the master sends, on the current Tokio
    /// runtime, until the master goes away; then stops this worker.
    pub fn serve(self) {
        let ipc = UnixStream::from(self.ipc);
        if ipc.set_nonblocking(true).is_err() {
            return;
        }
        let Ok(s) = tokio::net::UnixStream::from_std(ipc) else {
            return;
        };
        tokio::spawn(async move {
            loop {
                if s.readable().await.is_err() {
                    break;
                }
                let got = s.try_io(tokio::io::Interest::READABLE, || ipc::accept(s.as_raw_fd()));
                match got {
                    Ok(Some(fds)) => {
                        for fd in fds {
                            tokio::spawn(client(fd));
                        }
                    }
                    Ok(None) => break,
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(_) => break,
                }
            }
            master_gone();
        });
    }
}

/// As 2.6, a worker does not outlive its master.
fn master_gone() {
    let _ = nix::sys::signal::kill(nix::unistd::getpid(), nix::sys::signal::Signal::SIGTERM);
}

/// One CLI connection from the master: `_getsocks`, or commands at admin
/// level on the serving runtime.
async fn client(fd: OwnedFd) {
    let s = UnixStream::from(fd);
    if s.set_nonblocking(true).is_err() {
        return;
    }
    let Ok(s) = tokio::net::UnixStream::from_std(s) else {
        return;
    };
    let Some(s) = crate::getsocks::intercept(s).await else {
        return;
    };
    let Some(runtime) = crate::stats::current() else {
        return;
    };
    let api = Api::new(
        runtime.clone(),
        Arc::new(crate::stats::RuntimeStats { runtime }),
        Arc::new(crate::runtime::StderrObserver),
    );
    let st = SessionState {
        level: CliLevel::Admin,
        prompt: false,
        timeout: CLIENT_TIMEOUT,
        id: 0,
    };
    serve_client(&api, s, st).await;
}
