//! Idle HTTP/2 server connections as the server line says: `pool-max-conn
//! 0` keeps none, `pool-purge-delay` closes them after that long idle. On
//! lbd and HAProxy 2.6. (lbd closes an HTTP/1.1 server connection when its
//! client leaves, so idle HTTP/1.1 ones are pooled only on a server
//! switch: the unit tests in lbd/src/http/pool.rs cover those.)

use std::time::Duration;
use tests::*;

fn config(port: u16, server: &str) -> String {
    format!(
        "{HTTP_DEFAULTS}
frontend fe
    bind 127.0.0.1:{port}
    default_backend be

backend be
    http-reuse always
    server {server}
"
    )
}

/// One request on a fresh client connection, which then goes away.
fn get(port: u16, p: &LbdProcess) {
    let r = RawClient::connect(port).request(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n");
    assert_eq!(r.status, 200, "{}{}", r.raw_str(), p.output_hint());
}

/// Server connections opened for two requests from two clients, with
/// `wait` between them.
fn h2_connections(pool: &str, wait: Duration) -> usize {
    let be = H2Backend::start("h2srv");
    let port = free_port();
    let p = LbdProcess::start(&config(port, &format!("s1 {} proto h2 {pool}", be.addr())));
    get(port, &p);
    std::thread::sleep(wait);
    get(port, &p);
    be.connections()
}

// The waits are the point: idle time is what these settings act on, and
// neither peer shows when it closed an idle connection.
const LONG: Duration = Duration::from_millis(1200);

#[test]
fn an_idle_h2_connection_is_reused_by_default() {
    assert_eq!(h2_connections("", LONG), 1);
}

#[test]
fn pool_max_conn_0_keeps_no_idle_h2_connection() {
    assert_eq!(h2_connections("pool-max-conn 0", LONG / 2), 2);
}

#[test]
fn pool_purge_delay_closes_idle_h2_connections() {
    assert_eq!(h2_connections("pool-purge-delay 100ms", LONG), 2);
}
