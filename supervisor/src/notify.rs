//! The sd_notify protocol: the supervisor's `NOTIFY_SOCKET` (a unix datagram
//! socket that receives the sender's credentials with each message) and the
//! parser of its `KEY=VALUE` lines.

use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};

use nix::sys::socket::{recvmsg, setsockopt, sockopt, ControlMessageOwned, MsgFlags};
use tokio::io::Interest;
use tokio::net::UnixDatagram;

/// What one datagram said; unknown keys are ignored, as systemd does.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NotifyMessage {
    pub ready: bool,
    pub reloading: bool,
    pub stopping: bool,
    pub watchdog: bool,
    /// WATCHDOG=trigger: the service asks to be treated as hung.
    pub watchdog_trigger: bool,
    pub status: Option<String>,
    pub main_pid: Option<u32>,
}

impl NotifyMessage {
    pub fn parse(datagram: &[u8]) -> NotifyMessage {
        let mut m = NotifyMessage::default();
        for line in String::from_utf8_lossy(datagram).lines() {
            let Some((k, v)) = line.split_once('=') else {
                continue;
            };
            match (k, v) {
                ("READY", "1") => m.ready = true,
                ("RELOADING", "1") => m.reloading = true,
                ("STOPPING", "1") => m.stopping = true,
                ("WATCHDOG", "1") => m.watchdog = true,
                ("WATCHDOG", "trigger") => m.watchdog_trigger = true,
                ("STATUS", s) => m.status = Some(s.to_string()),
                ("MAINPID", p) => m.main_pid = p.parse().ok().filter(|p| *p > 0),
                _ => {}
            }
        }
        m
    }
}

/// The supervisor's end of `NOTIFY_SOCKET`.
#[derive(Debug)]
pub struct NotifySocket {
    sock: UnixDatagram,
    path: PathBuf,
}

/// One received datagram and the pid the kernel says sent it.
#[derive(Debug)]
pub struct Datagram {
    pub pid: u32,
    pub message: NotifyMessage,
}

impl NotifySocket {
    /// Binds a datagram socket at `path` (replacing a stale one) with
    /// SO_PASSCRED, so every message carries the sender's pid. Needs a
    /// tokio runtime.
    pub fn bind(path: &Path) -> std::io::Result<NotifySocket> {
        let _ = std::fs::remove_file(path);
        let sock = UnixDatagram::bind(path)?;
        setsockopt(&sock, sockopt::PassCred, &true)?;
        Ok(NotifySocket {
            sock,
            path: path.to_path_buf(),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Waits until a datagram may be queued.
    pub async fn readable(&self) -> std::io::Result<()> {
        self.sock.readable().await
    }

    /// Receives one datagram; `WouldBlock` when none is queued. A datagram
    /// without credentials cannot be attributed (pid 0).
    pub fn recv(&self) -> std::io::Result<Datagram> {
        self.sock.try_io(Interest::READABLE, || {
            let mut buf = [0u8; 4096];
            let mut cmsg = nix::cmsg_space!(nix::sys::socket::UnixCredentials);
            let mut iov = [std::io::IoSliceMut::new(&mut buf)];
            let msg = recvmsg::<()>(
                self.sock.as_raw_fd(),
                &mut iov,
                Some(&mut cmsg),
                MsgFlags::MSG_DONTWAIT,
            )?;
            let mut pid = 0u32;
            if let Ok(cmsgs) = msg.cmsgs() {
                for c in cmsgs {
                    if let ControlMessageOwned::ScmCredentials(cred) = c {
                        pid = u32::try_from(cred.pid()).unwrap_or(0);
                    }
                }
            }
            let len = msg.bytes;
            Ok(Datagram {
                pid,
                message: NotifyMessage::parse(&buf[..len]),
            })
        })
    }
}

impl Drop for NotifySocket {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// The parent pid of `pid` from /proc, to attribute a message sent by a
/// helper process (e.g. `systemd-notify` run from a script) to its service.
pub fn parent_pid(pid: u32) -> Option<u32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name may hold spaces and parentheses: fields follow the last ')'.
    let rest = &stat[stat.rfind(')')? + 1..];
    rest.split_whitespace().nth(1)?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_keys_we_act_on() {
        let m = NotifyMessage::parse(b"READY=1\nSTATUS=serving 3 frontends\nMAINPID=42\nX=1\n");
        assert!(m.ready && !m.watchdog);
        assert_eq!(m.status.as_deref(), Some("serving 3 frontends"));
        assert_eq!(m.main_pid, Some(42));
        let m = NotifyMessage::parse(b"WATCHDOG=1");
        assert!(m.watchdog && !m.ready);
        let m = NotifyMessage::parse(b"RELOADING=1\nSTOPPING=1\nWATCHDOG=trigger\nMAINPID=x");
        assert!(m.reloading && m.stopping && m.watchdog_trigger);
        assert_eq!(m.main_pid, None);
        assert_eq!(
            NotifyMessage::parse(b"READY=0garbage"),
            NotifyMessage::default()
        );
    }

    #[tokio::test]
    async fn socket_reports_sender_pid() {
        let dir = std::env::temp_dir().join(format!("sv-notify-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("n.sock");
        let sock = NotifySocket::bind(&path).unwrap();
        let tx = std::os::unix::net::UnixDatagram::unbound().unwrap();
        tx.send_to(b"READY=1\nSTATUS=hi", &path).unwrap();
        sock.readable().await.unwrap();
        let d = sock.recv().unwrap();
        assert_eq!(d.pid, std::process::id());
        assert!(d.message.ready);
        assert_eq!(d.message.status.as_deref(), Some("hi"));
        assert_eq!(
            sock.recv().unwrap_err().kind(),
            std::io::ErrorKind::WouldBlock
        );
        assert_eq!(
            parent_pid(std::process::id()),
            Some(nix::unistd::getppid().as_raw() as u32)
        );
        drop(sock);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
