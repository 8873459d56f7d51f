//! `bind` forms: IPv6, port ranges, several addresses on one line, and a threaded
//! proxy under concurrent load.

use std::net::TcpStream;
use std::time::{Duration, Instant};

use tests::*;

fn has_ipv6_loopback() -> bool {
    std::net::TcpListener::bind("[::1]:0").is_ok()
}

/// Waits until 127.0.0.1:`port` accepts connections (for bind forms the process
/// helper does not parse, such as port ranges).
fn wait_accepting(port: u16, lbd: &LbdProcess) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < deadline,
            "port {port} never accepted{}",
            lbd.output_hint()
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Three consecutive ports that are free now.
fn free_range() -> u16 {
    loop {
        let p = free_port();
        if p < 65000 && (1..3).all(|i| std::net::TcpListener::bind(("127.0.0.1", p + i)).is_ok()) {
            return p;
        }
    }
}

#[test]
fn ipv6_listener_and_ipv6_server() {
    if !has_ipv6_loopback() {
        eprintln!("skipped: this host has no ::1");
        return;
    }
    let (port, app) = (free_port(), free_port());
    let cfg = format!(
        "{HTTP_DEFAULTS}
frontend fe
    bind ::1:{port}
    default_backend be

backend be
    server s1 ::1:{app}

frontend app
    bind ::1:{app}
    http-request return status 200 content-type text/plain string \"v6 app\\n\"
"
    );
    let lbd = LbdProcess::start(&cfg);
    let out = curl(&[&format!("http://[::1]:{port}/")]);
    assert_eq!(
        (out.code, out.stdout_str().as_str()),
        (0, "v6 app\n"),
        "{}{}",
        out.stderr,
        lbd.output_hint()
    );
}

#[test]
fn a_port_range_listens_on_every_port() {
    let first = free_range();
    let be = HttpBackend::start("s1");
    let cfg = format!(
        "{HTTP_DEFAULTS}
frontend fe
    bind 127.0.0.1:{first}-{}
    default_backend be

backend be
{}",
        first + 2,
        server_lines(&[&be], "")
    );
    let lbd = LbdProcess::start(&cfg);
    for port in first..=first + 2 {
        wait_accepting(port, &lbd);
        let r = RawClient::connect(port).request(b"GET / HTTP/1.1\r\nhost: a\r\n\r\n");
        assert_eq!(r.served_by(), "s1", "port {port}{}", lbd.output_hint());
    }
}

#[test]
fn two_addresses_on_one_bind_line_both_answer() {
    let (a, b) = (free_port(), free_port());
    let be = HttpBackend::start("s1");
    let cfg = http_config(a, "", &server_lines(&[&be], "")).replace(
        &format!("bind 127.0.0.1:{a}"),
        &format!("bind 127.0.0.1:{a},127.0.0.1:{b}"),
    );
    let lbd = LbdProcess::start(&cfg);
    for port in [a, b] {
        let r = RawClient::connect(port).request(b"GET / HTTP/1.1\r\nhost: a\r\n\r\n");
        assert_eq!(r.served_by(), "s1", "port {port}{}", lbd.output_hint());
    }
}

#[test]
fn two_threads_serve_200_concurrent_requests() {
    let backends = [HttpBackend::start("s1"), HttpBackend::start("s2")];
    let port = free_port();
    let cfg = http_config(port, "", &server_lines(&[&backends[0], &backends[1]], ""))
        .replace("global\n", "global\n    nbthread 2\n");
    let lbd = LbdProcess::start(&cfg);
    let clients: Vec<_> = (0..8)
        .map(|c| {
            std::thread::spawn(move || {
                let urls: Vec<String> = (0..25)
                    .map(|i| format!("http://127.0.0.1:{port}/c{c}/r{i}"))
                    .collect();
                (c, curl_many(&urls, &[]))
            })
        })
        .collect();
    let mut total = 0;
    for handle in clients {
        let (c, responses) = handle
            .join()
            .unwrap_or_else(|_| panic!("a client failed{}", lbd.output_hint()));
        for (i, r) in responses.iter().enumerate() {
            assert_eq!(r.status, 200);
            // Each response echoes its own request: no mix-ups between connections.
            let want = format!("GET /c{c}/r{i} HTTP/1.1\r\n");
            assert!(r.body_str().starts_with(&want), "{}", r.body_str());
            total += 1;
        }
    }
    assert_eq!(total, 200);
    assert_eq!(backends[0].requests() + backends[1].requests(), 200);
    assert!(
        backends.iter().all(|b| b.requests() > 0),
        "roundrobin skipped a server"
    );
}

#[test]
fn ipv4_and_ipv6_address_prefixes() {
    let (v4, v6) = (free_port(), free_port());
    let be = HttpBackend::start("s1");
    let six = if has_ipv6_loopback() {
        format!("\n    bind ipv6@::1:{v6}")
    } else {
        eprintln!("no ::1 on this host: only ipv4@ is checked");
        String::new()
    };
    let cfg = http_config(v4, "", &server_lines(&[&be], "")).replace(
        &format!("bind 127.0.0.1:{v4}"),
        &format!("bind ipv4@127.0.0.1:{v4}{six}"),
    );
    let lbd = LbdProcess::start(&cfg);
    let mut urls = vec![format!("http://127.0.0.1:{v4}/")];
    if !six.is_empty() {
        urls.push(format!("http://[::1]:{v6}/"));
    }
    for url in urls {
        let out = curl(&["-o", "/dev/null", "-w", "%{http_code}", &url]);
        assert_eq!(
            out.stdout_str(),
            "200",
            "{url}: {}{}",
            out.stderr,
            lbd.output_hint()
        );
    }
}
