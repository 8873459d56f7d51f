//! Server persistence: `stick on src` in TCP mode keeps a client on one
//! server across connections and moves it when that server goes down;
//! `use-server` and `force-persist` send requests where the rules say.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use tests::stats_socket::{cli, wait_socket};
use tests::*;

/// One connection through the proxy: a byte sent and echoed back.
fn one_exchange(port: u16) {
    let mut s = match std::net::TcpStream::connect(("127.0.0.1", port)) {
        Ok(s) => s,
        Err(e) => panic!("connect: {e}"),
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
    if let Err(e) = s.write_all(b"x") {
        panic!("send: {e}");
    }
    let mut b = [0u8; 1];
    if let Err(e) = s.read_exact(&mut b) {
        panic!("no echo: {e}");
    }
}

/// Waits until the backends have seen `total` connections between them.
fn wait_total(bes: &[&TcpBackend], total: usize) -> Vec<usize> {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let counts: Vec<usize> = bes.iter().map(|b| b.connections()).collect();
        if counts.iter().sum::<usize>() >= total || Instant::now() > deadline {
            return counts;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn tcp_stick_setup(s1: &TcpBackend, s2: &TcpBackend, extra: &str) -> (LbdProcess, u16, PathBuf) {
    let dir = TempDir::new();
    let sock = dir.join("admin.sock");
    let port = free_port();
    let cfg = format!(
        "global
    stats socket {} level admin
defaults
    mode tcp
    timeout connect 2s
    timeout client 10s
    timeout server 10s

listen tcp
    bind 127.0.0.1:{port}
    balance roundrobin
    stick-table type ip size 1k expire 10m
    stick on src
{extra}
    server s1 {}
    server s2 {}
",
        sock.display(),
        s1.addr(),
        s2.addr()
    );
    let lbd = LbdProcess::start_in(dir, &cfg);
    wait_socket(&sock);
    (lbd, port, sock)
}

fn sticky_index(counts: &[usize]) -> usize {
    match counts {
        [a, 0] if *a > 0 => 0,
        [0, b] if *b > 0 => 1,
        _ => panic!("connections spread over both servers: {counts:?}"),
    }
}

fn table_server_id(sock: &Path) -> String {
    let out = cli(sock, "show table tcp");
    out.lines()
        .find_map(|l| l.split_whitespace().find(|w| w.starts_with("server_id=")))
        .unwrap_or_default()
        .to_string()
}

#[test]
fn stick_on_src_keeps_a_tcp_client_on_one_server_and_moves_it_when_down() {
    let s1 = TcpBackend::start(TcpMode::Echo);
    let s2 = TcpBackend::start(TcpMode::Echo);
    let (lbd, port, sock) = tcp_stick_setup(&s1, &s2, "");
    for _ in 0..6 {
        one_exchange(port);
    }
    let counts = wait_total(&[&s1, &s2], 6);
    let first = sticky_index(&counts);
    assert_eq!(counts[first], 6, "{counts:?}{}", lbd.output_hint());
    let name = ["s1", "s2"][first];
    assert_eq!(table_server_id(&sock), format!("server_id={}", first + 1));

    // The sticky server goes to maintenance: the client moves and the
    // table now points at the other server.
    cli(&sock, &format!("disable server tcp/{name}"));
    for _ in 0..4 {
        one_exchange(port);
    }
    let after = wait_total(&[&s1, &s2], 10);
    assert_eq!(after[first], 6, "{after:?}");
    assert_eq!(after[1 - first], 4, "{after:?}");
    assert_eq!(table_server_id(&sock), format!("server_id={}", 2 - first));

    // Back up, the client stays where the table now says.
    cli(&sock, &format!("enable server tcp/{name}"));
    for _ in 0..3 {
        one_exchange(port);
    }
    let last = wait_total(&[&s1, &s2], 13);
    assert_eq!(last[1 - first], 7, "{last:?}");
}

#[test]
fn option_persist_sends_a_client_to_its_server_in_maintenance() {
    let s1 = TcpBackend::start(TcpMode::Echo);
    let s2 = TcpBackend::start(TcpMode::Echo);
    let (_lbd, port, sock) = tcp_stick_setup(
        &s1,
        &s2,
        "    option persist\n    option redispatch\n    retries 1",
    );
    one_exchange(port);
    let counts = wait_total(&[&s1, &s2], 1);
    let first = sticky_index(&counts);
    let name = ["s1", "s2"][first];
    // In maintenance but still listening: `option persist` sends the
    // client there anyway.
    cli(&sock, &format!("disable server tcp/{name}"));
    one_exchange(port);
    let after = wait_total(&[&s1, &s2], 2);
    assert_eq!(after[first], 2, "{after:?}");
}

#[test]
fn use_server_picks_the_named_server() {
    let a = HttpBackend::start("a");
    let b = HttpBackend::start("b");
    let port = free_port();
    let cfg = http_config(
        port,
        "",
        &format!(
            "    balance roundrobin
    use-server sb if {{ path_beg /b }}
    use-server sa if {{ path_beg /a }}
    server sa {}
    server sb {}
",
            a.addr(),
            b.addr()
        ),
    );
    let lbd = LbdProcess::start(&cfg);
    let urls: Vec<String> = (0..4)
        .map(|_| format!("http://127.0.0.1:{port}/b/x"))
        .collect();
    let rs = curl_many(&urls, &[]);
    assert!(
        rs.iter().all(|r| r.served_by() == "b"),
        "{:?}{}",
        count_by_server(&rs),
        lbd.output_hint()
    );
    let urls: Vec<String> = (0..4)
        .map(|_| format!("http://127.0.0.1:{port}/a/x"))
        .collect();
    let rs = curl_many(&urls, &[]);
    assert!(rs.iter().all(|r| r.served_by() == "a"));
}

#[test]
fn use_server_on_a_down_server_falls_back_to_balance_unless_forced() {
    let a = HttpBackend::start("a");
    let b = HttpBackend::start("b");
    let dir = TempDir::new();
    let sock = dir.join("admin.sock");
    let port = free_port();
    let cfg = format!(
        "global
    stats socket {} level admin
{}",
        sock.display(),
        http_config(
            port,
            "",
            &format!(
                "    balance roundrobin
    force-persist if {{ hdr(x-force) yes }}
    use-server sb if {{ path_beg /b }}
    server sa {}
    server sb {}
",
                a.addr(),
                b.addr()
            ),
        )
        .replacen("global\n", "", 1)
    );
    let _lbd = LbdProcess::start_in(dir, &cfg);
    wait_socket(&sock);
    cli(&sock, "disable server be/sb");
    let url = format!("http://127.0.0.1:{port}/b/x");
    let r = curl_many(&[&url], &[]);
    assert_eq!(r[0].served_by(), "a");
    let r = curl_many(&[&url], &["-H", "x-force: yes"]);
    assert_eq!(r[0].served_by(), "b");
}

#[test]
fn a_stick_rule_on_a_missing_table_is_fatal() {
    let (code, _, err) = check(
        "defaults
    mode tcp
    timeout connect 1s
    timeout client 1s
    timeout server 1s
listen l
    bind 127.0.0.1:8000
    stick on src table nowhere
    server s1 127.0.0.1:1
",
    );
    assert_ne!(code, 0);
    assert!(
        err.contains("Proxy 'l': unable to find stick-table 'nowhere'."),
        "{err}"
    );
}
