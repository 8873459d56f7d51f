//! The logger end to end on loopback: lines reach a UDP receiver framed as
//! HAProxy frames them, and a full queue drops instead of blocking.

use lbd::config::load_str;
use lbd::log::{Level, Logger, TermCause, TermPhase, Termination, TxnLog};
use std::collections::HashMap;
use std::net::UdpSocket;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

fn recv(sock: &UdpSocket) -> String {
    let mut buf = [0u8; 4096];
    match sock.recv(&mut buf) {
        Ok(n) => String::from_utf8_lossy(&buf[..n]).into_owned(),
        Err(e) => panic!("no log line: {e}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lines_reach_udp_targets() {
    let sock = UdpSocket::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("{e}"));
    sock.set_read_timeout(Some(Duration::from_secs(5))).ok();
    let port = sock.local_addr().map(|a| a.port()).unwrap_or(0);
    let text = format!(
        "global\n  log 127.0.0.1:{port} local0\n\
         defaults\n  mode http\n  timeout client 1s\n\
         frontend fe\n  bind 127.0.0.1:1\n  log global\n  log 127.0.0.1:{port} format raw local1\n  option httplog\n\
         frontend plain\n  bind 127.0.0.1:2\n  log 127.0.0.1:{port} format raw local0\n"
    );
    let out = load_str("t.cfg", text.as_bytes(), &HashMap::<String, String>::new());
    let cfg = out.config.unwrap_or_else(|| panic!("{:#?}", out.diags));
    let (logger, sender) = Logger::new(&cfg, 4242).unwrap_or_else(|e| panic!("{e}"));
    tokio::spawn(sender.run());

    let fe = logger.proxy("fe").expect("fe");
    let rec = TxnLog {
        client: Some(([127, 0, 0, 1], 41330).into()),
        accept_date: SystemTime::now(),
        frontend: Arc::from("fe"),
        http: true,
        bytes_in: 30,
        t_idle: 0,
        t_request: 0,
        status: Some(503),
        bytes_out: 217,
        termination: Termination::new(TermCause::ServerClosed, TermPhase::Connect),
        request_line: Some(b"GET /none HTTP/1.1".to_vec()),
        actconn: 1,
        feconn: 1,
        ..TxnLog::default()
    };
    logger.log_txn(&fe, &rec);
    let raw = recv(&sock);
    let syslog = recv(&sock);
    let tail =
        " fe fe/<NOSRV> 0/-1/-1/-1/0 503 217 - - SC-- 1/1/0/0/0 0/0 \"GET /none HTTP/1.1\"\n";
    assert!(
        raw.starts_with("127.0.0.1:41330 [") && raw.ends_with(tail),
        "{raw}"
    );
    assert!(
        syslog.starts_with("<134>") && syslog.contains(" haproxy[4242]: 127.0.0.1:41330 ["),
        "{syslog}"
    );

    let plain = logger.proxy("plain").expect("plain");
    assert!(plain.logs_connections());
    logger.log_connect(
        &plain,
        Some(([127, 0, 0, 1], 5).into()),
        Some(([127, 0, 0, 1], 2).into()),
    );
    assert_eq!(
        recv(&sock),
        "Connect from 127.0.0.1:5 to 127.0.0.1:2 (plain/HTTP)\n"
    );

    logger.log_event(Level::Notice, "Proxy fe started.");
    let ev = recv(&sock);
    assert!(
        ev.starts_with("<133>") && ev.ends_with(" haproxy[4242]: Proxy fe started.\n"),
        "{ev}"
    );
}

#[test]
fn a_full_queue_drops_and_counts() {
    let text = "global\n  log 127.0.0.1:9 local0\n";
    let out = load_str("t.cfg", text.as_bytes(), &HashMap::<String, String>::new());
    let cfg = out.config.unwrap_or_else(|| panic!("{:#?}", out.diags));
    // The sender never runs: every line beyond the queue's size is dropped.
    let (logger, _sender) = Logger::new(&cfg, 1).unwrap_or_else(|e| panic!("{e}"));
    for _ in 0..5000 {
        logger.log_event(Level::Notice, "x");
    }
    assert_eq!(logger.dropped(), 5000 - 4096);
}
