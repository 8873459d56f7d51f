//! The real HAProxy 2.6 as a peer of lbd (PROXY protocol, TLS checks):
//! the one from Debian, whatever `LBD_BIN` names as the proxy under test.

use crate::TempDir;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The real HAProxy as the peer, whatever `LBD_BIN` says: started in the
/// foreground on `config`, ready once `port` accepts, killed on drop.
pub struct Peer {
    child: Child,
    _dir: TempDir,
}

impl Peer {
    pub fn start(config: &str, port: u16) -> Peer {
        let dir = TempDir::new();
        let path = dir.write("peer.cfg", config);
        let child = match Command::new("/usr/sbin/haproxy")
            .arg("-db")
            .arg("-f")
            .arg(&path)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
        {
            Ok(c) => c,
            Err(e) => panic!("cannot start haproxy: {e}"),
        };
        let deadline = Instant::now() + Duration::from_secs(5);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "haproxy peer did not start");
            std::thread::sleep(Duration::from_millis(10));
        }
        Peer { child, _dir: dir }
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
