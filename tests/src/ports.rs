//! Free TCP ports on 127.0.0.1, never handed out twice within one test process.

use std::collections::HashSet;
use std::net::TcpListener;
use std::sync::{Mutex, OnceLock};

fn issued() -> &'static Mutex<HashSet<u16>> {
    static ISSUED: OnceLock<Mutex<HashSet<u16>>> = OnceLock::new();
    ISSUED.get_or_init(|| Mutex::new(HashSet::new()))
}

/// A port the kernel just reported free on 127.0.0.1.
///
/// The probe socket is closed before returning, so another process could still grab
/// the port; the process-wide set at least keeps concurrent tests in this process from
/// colliding, which is where the real risk lies (the kernel hands recently freed
/// ephemeral ports out again quickly).
pub fn free_port() -> u16 {
    loop {
        let listener = match TcpListener::bind("127.0.0.1:0") {
            Ok(l) => l,
            Err(e) => panic!("cannot bind 127.0.0.1:0 to find a free port: {e}"),
        };
        let port = match listener.local_addr() {
            Ok(a) => a.port(),
            Err(e) => panic!("cannot read the probe socket's address: {e}"),
        };
        let mut set = issued().lock().unwrap_or_else(|p| p.into_inner());
        if set.insert(port) {
            return port;
        }
    }
}
