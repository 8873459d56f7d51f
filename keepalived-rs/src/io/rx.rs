//! Reader threads of the VRRP sockets: block in recv(2) and hand each datagram to the
//! daemon loop, so reception does not depend on the loop being scheduled.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use tokio::sync::mpsc;

use super::daemon::Event;
use super::socket::{VrrpSocket, VrrpSocket6};

fn quiet(e: &std::io::Error) -> bool {
    use std::io::ErrorKind::{Interrupted, TimedOut, WouldBlock};
    matches!(e.kind(), WouldBlock | TimedOut | Interrupted)
}

pub(super) fn read_loop(
    sock: Arc<VrrpSocket>,
    idx: usize,
    tx: mpsc::Sender<Event>,
    stop: Arc<AtomicBool>,
) {
    let mut buf = vec![0u8; 65536];
    while !stop.load(Ordering::Relaxed) {
        match sock.recv(&mut buf) {
            Ok(n) => {
                if tx
                    .blocking_send(Event::Rx {
                        sock: idx,
                        data: buf[..n].to_vec(),
                    })
                    .is_err()
                {
                    return;
                }
            }
            Err(e) if quiet(&e) => {}
            Err(_) => std::thread::sleep(std::time::Duration::from_millis(10)),
        }
    }
}

pub(super) fn read_loop6(
    sock: Arc<VrrpSocket6>,
    idx: usize,
    tx: mpsc::Sender<Event>,
    stop: Arc<AtomicBool>,
) {
    let mut buf = vec![0u8; 65536];
    while !stop.load(Ordering::Relaxed) {
        match sock.recv(&mut buf) {
            Ok(rx) => {
                let data = buf[..rx.len.min(buf.len())].to_vec();
                if tx
                    .blocking_send(Event::Rx6 {
                        sock: idx,
                        rx,
                        data,
                    })
                    .is_err()
                {
                    return;
                }
            }
            Err(e) if quiet(&e) => {}
            Err(_) => std::thread::sleep(std::time::Duration::from_millis(10)),
        }
    }
}
