//! Cookie-based persistence (`cookie` in a backend, spec 4.6): the
//! `Set-Cookie` a client gets, where its next requests go, what the server
//! sees of the cookie, and the `%tsc` cookie letters. The exact bytes were
//! taken from HAProxy 2.6.12 (`LBD_BIN=/usr/sbin/haproxy cargo nextest run
//! -p tests --test cookie_persistence`); lbd sends the same.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tests::stats_socket::{cli, wait_socket};
use tests::*;

const WAIT: Duration = Duration::from_secs(5);

/// One request on a fresh connection, with `extra` header lines.
fn get(port: u16, extra: &str) -> Response {
    let mut c = RawClient::connect(port);
    c.request(format!("GET / HTTP/1.1\r\nhost: t\r\n{extra}\r\n").as_bytes())
}

/// The response's `set-cookie` lines as sent (names are lower-cased on
/// the wire by both proxies).
fn set_cookies(r: &Response) -> Vec<String> {
    r.headers
        .iter()
        .filter(|(n, _)| n == "set-cookie")
        .map(|(_, v)| v.clone())
        .collect()
}

/// The `cookie:` lines the echo backend received (echoed in the body).
fn seen_cookies(r: &Response) -> Vec<String> {
    r.body_str()
        .lines()
        .filter_map(|l| l.strip_prefix("cookie: "))
        .map(str::to_string)
        .collect()
}

fn two_servers(s1: &HttpBackend, s2: &HttpBackend, cookie: &str, extra: &str) -> String {
    format!(
        "    balance roundrobin\n    cookie {cookie}\n{extra}    server s1 {} cookie s1\n    server s2 {} cookie s2\n",
        s1.addr(),
        s2.addr()
    )
}

#[test]
fn insert_indirect_nocache_sets_the_cookie_then_sticks_and_hides_it() {
    let s1 = HttpBackend::start("s1");
    let s2 = HttpBackend::start("s2");
    let port = free_port();
    let be = two_servers(&s1, &s2, "SERVERID insert indirect nocache", "");
    let lbd = LbdProcess::start(&http_config(port, "", &be));

    let first = get(port, "");
    assert_eq!(first.served_by(), "s1", "{}", lbd.output_hint());
    assert_eq!(set_cookies(&first), ["SERVERID=s1; path=/"]);
    // A response without freshness or validator is not cacheable anyway.
    assert!(
        first.header("cache-control").is_none(),
        "{}",
        first.raw_str()
    );

    // The cookie keeps the client on s2, and s2 never sees it.
    for _ in 0..3 {
        let r = get(port, "cookie: SERVERID=s2; a=1\r\n");
        assert_eq!(r.served_by(), "s2");
        assert!(set_cookies(&r).is_empty(), "{}", r.raw_str());
        assert_eq!(seen_cookies(&r), ["a=1"]);
    }
    // Alone in its header, the whole header goes.
    let r = get(port, "cookie: SERVERID=s1\r\n");
    assert_eq!(r.served_by(), "s1");
    assert!(seen_cookies(&r).is_empty(), "{}", r.body_str());
    // An unknown value is balanced and gets a fresh cookie.
    let r = get(port, "cookie: a=1;SERVERID=zz;  b=2\r\n");
    assert_eq!(seen_cookies(&r), ["a=1; b=2"]);
    assert_eq!(set_cookies(&r).len(), 1, "{}", r.raw_str());
}

#[test]
fn nocache_marks_a_cacheable_response_private() {
    let raw = "HTTP/1.1 200 OK\r\nlast-modified: Wed, 21 Oct 2015 07:28:00 GMT\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok";
    let s1 = HttpBackend::builder("s1")
        .reply(Reply::Raw(raw.as_bytes().to_vec()))
        .start();
    let port = free_port();
    let be = format!(
        "    cookie SERVERID insert nocache\n    server s1 {} cookie s1\n",
        s1.addr()
    );
    let lbd = LbdProcess::start(&http_config(port, "", &be));
    let r = get(port, "");
    assert!(
        r.raw_str()
            .contains("\r\ncontent-length: 2\r\nset-cookie: SERVERID=s1; path=/\r\ncache-control: private\r\n"),
        "{}{}",
        r.raw_str(),
        lbd.output_hint()
    );
    // POST is not a safe method: nothing to keep out of caches.
    let mut c = RawClient::connect(port);
    let r = c.request(b"POST / HTTP/1.1\r\nhost: t\r\ncontent-length: 0\r\n\r\n");
    assert_eq!(set_cookies(&r), ["SERVERID=s1; path=/"]);
    assert!(r.header("cache-control").is_none(), "{}", r.raw_str());
}

#[test]
fn without_indirect_the_server_sees_the_cookie() {
    let s1 = HttpBackend::start("s1");
    let s2 = HttpBackend::start("s2");
    let port = free_port();
    let be = two_servers(&s1, &s2, "SERVERID insert", "");
    let _lbd = LbdProcess::start(&http_config(port, "", &be));
    let r = get(port, "cookie: SERVERID=s2\r\n");
    assert_eq!(r.served_by(), "s2");
    assert_eq!(seen_cookies(&r), ["SERVERID=s2"]);
}

#[test]
fn insert_attributes_come_in_2_6_order() {
    let s1 = HttpBackend::start("s1");
    let port = free_port();
    let be = format!(
        "    cookie SRV insert httponly secure domain .example.com domain .example.org attr SameSite=Strict attr Partitioned\n    server s1 {} cookie s1\n",
        s1.addr()
    );
    let _lbd = LbdProcess::start(&http_config(port, "", &be));
    let r = get(port, "");
    assert_eq!(
        set_cookies(&r),
        ["SRV=s1; path=/; domain=.example.com; domain=.example.org; HttpOnly; Secure; SameSite=Strict; Partitioned"]
    );
}

/// A backend that answers once with `set_cookie` and its name as body.
fn setting_backend(name: &str, set_cookie: &str) -> HttpBackend {
    let raw = format!(
        "HTTP/1.1 200 OK\r\nset-cookie: {set_cookie}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{name}",
        name.len()
    );
    HttpBackend::builder(name)
        .reply(Reply::Raw(raw.into_bytes()))
        .start()
}

#[test]
fn rewrite_replaces_the_value_the_server_set() {
    let s1 = setting_backend("s1", "SERVERID=changeme; path=/app");
    let s2 = setting_backend("s2", "SERVERID=changeme; path=/app");
    let port = free_port();
    let be = two_servers(&s1, &s2, "SERVERID rewrite", "");
    let _lbd = LbdProcess::start(&http_config(port, "", &be));
    let r = get(port, "");
    assert_eq!(r.body_str(), "s1");
    assert_eq!(set_cookies(&r), ["SERVERID=s1; path=/app"]);
    let r = get(port, "cookie: SERVERID=s2\r\n");
    assert_eq!(r.body_str(), "s2");
    assert!(String::from_utf8_lossy(&s2.received()[0].head).contains("\r\ncookie: SERVERID=s2\r\n"));
}

#[test]
fn prefix_wraps_the_application_cookie() {
    let s1 = setting_backend("s1", "JSESSIONID=abc; path=/");
    let s2 = setting_backend("s2", "JSESSIONID=abc; path=/");
    let port = free_port();
    let be = two_servers(&s1, &s2, "JSESSIONID prefix", "");
    let _lbd = LbdProcess::start(&http_config(port, "", &be));
    let r = get(port, "");
    assert_eq!(set_cookies(&r), ["JSESSIONID=s1~abc; path=/"]);
    let r = get(port, "cookie: JSESSIONID=s2~xyz; other=1\r\n");
    assert_eq!(r.body_str(), "s2");
    let head = s2.received()[0].head_str();
    assert!(
        head.contains("\r\ncookie: JSESSIONID=xyz; other=1\r\n"),
        "{head}"
    );
}

#[test]
fn dead_server_redispatches_with_a_new_cookie() {
    let s1 = HttpBackend::start("s1");
    let dead = free_port();
    let port = free_port();
    let be = format!(
        "    option redispatch\n    retries 1\n    timeout connect 500ms\n    cookie SERVERID insert indirect\n    server s1 {} cookie s1\n    server s2 127.0.0.1:{dead} cookie s2\n",
        s1.addr()
    );
    let lbd = LbdProcess::start(&http_config(port, "", &be));
    let r = get(port, "cookie: SERVERID=s2\r\n");
    assert_eq!(r.served_by(), "s1", "{}", lbd.output_hint());
    assert_eq!(set_cookies(&r), ["SERVERID=s1; path=/"]);
}

fn maint_setup(persist: bool) -> (LbdProcess, u16, HttpBackend, HttpBackend) {
    let s1 = HttpBackend::start("s1");
    let s2 = HttpBackend::start("s2");
    let dir = TempDir::new();
    let sock = dir.join("admin.sock");
    let port = free_port();
    let extra = if persist { "    option persist\n" } else { "" };
    let be = two_servers(&s1, &s2, "SERVERID insert indirect", extra);
    let cfg = format!(
        "global\n    stats socket {} level admin\n{}",
        sock.display(),
        http_config(port, "", &be).replacen("global\n", "", 1)
    );
    let lbd = LbdProcess::start_in(dir, &cfg);
    wait_socket(&sock);
    cli(&sock, "disable server be/s2");
    (lbd, port, s1, s2)
}

#[test]
fn maint_server_loses_its_clients_unless_option_persist() {
    let (lbd, port, _s1, _s2) = maint_setup(false);
    let r = get(port, "cookie: SERVERID=s2\r\n");
    assert_eq!(r.served_by(), "s1", "{}", lbd.output_hint());
    assert_eq!(set_cookies(&r), ["SERVERID=s1; path=/"]);

    let (lbd, port, _s1, _s2) = maint_setup(true);
    let r = get(port, "cookie: SERVERID=s2\r\n");
    assert_eq!(r.served_by(), "s2", "{}", lbd.output_hint());
    assert!(set_cookies(&r).is_empty(), "{}", r.raw_str());
}

#[test]
fn dynamic_cookies_stick_and_drain_keeps_its_clients() {
    let s1 = HttpBackend::start("s1");
    let s2 = HttpBackend::start("s2");
    let dir = TempDir::new();
    let sock = dir.join("admin.sock");
    let port = free_port();
    let be = format!(
        "    dynamic-cookie-key mykey\n    cookie SRVID insert indirect dynamic\n    server s1 {}\n    server s2 {}\n",
        s1.addr(),
        s2.addr()
    );
    let cfg = format!(
        "global\n    stats socket {} level admin\n{}",
        sock.display(),
        http_config(port, "", &be).replacen("global\n", "", 1)
    );
    let lbd = LbdProcess::start_in(dir, &cfg);
    wait_socket(&sock);
    let a = get(port, "");
    let b = get(port, "");
    let mut by_server = std::collections::BTreeMap::new();
    for r in [&a, &b] {
        let sc = set_cookies(r);
        let v = sc
            .first()
            .and_then(|c| c.strip_prefix("SRVID="))
            .unwrap_or("");
        let v = v.strip_suffix("; path=/").unwrap_or("");
        assert!(
            v.len() == 16 && v.bytes().all(|c| c.is_ascii_hexdigit()),
            "{sc:?}{}",
            lbd.output_hint()
        );
        by_server.insert(r.served_by(), v.to_string());
    }
    assert_eq!(by_server.len(), 2, "{by_server:?}");
    let s2_cookie = format!("cookie: SRVID={}\r\n", by_server["s2"]);
    assert_eq!(get(port, &s2_cookie).served_by(), "s2");

    // Draining: no new clients, but those holding its cookie stay.
    cli(&sock, "set server be/s2 state drain");
    for _ in 0..2 {
        assert_eq!(get(port, "").served_by(), "s1");
    }
    let r = get(port, &s2_cookie);
    assert_eq!(r.served_by(), "s2");
    assert!(set_cookies(&r).is_empty(), "{}", r.raw_str());
}

#[test]
fn ignore_persist_balances_and_force_persist_pins_to_a_maint_server() {
    let s1 = HttpBackend::start("s1");
    let s2 = HttpBackend::start("s2");
    let dir = TempDir::new();
    let sock = dir.join("admin.sock");
    let port = free_port();
    let rules =
        "    ignore-persist if { path_beg /static }\n    force-persist if { path_beg /admin }\n";
    let be = two_servers(&s1, &s2, "SERVERID insert indirect", rules);
    let cfg = format!(
        "global\n    stats socket {} level admin\n{}",
        sock.display(),
        http_config(port, "", &be).replacen("global\n", "", 1)
    );
    let lbd = LbdProcess::start_in(dir, &cfg);
    wait_socket(&sock);
    // Ignored: balanced (s1 comes first), no cookie set, and the cookie
    // still hidden from the server.
    let mut c = RawClient::connect(port);
    let r = c.request(b"GET /static/a HTTP/1.1\r\nhost: t\r\ncookie: SERVERID=s2\r\n\r\n");
    assert_eq!(r.served_by(), "s1", "{}", lbd.output_hint());
    assert!(set_cookies(&r).is_empty(), "{}", r.raw_str());
    assert!(seen_cookies(&r).is_empty(), "{}", r.body_str());

    cli(&sock, "disable server be/s2");
    let mut c = RawClient::connect(port);
    let r = c.request(b"GET /admin HTTP/1.1\r\nhost: t\r\ncookie: SERVERID=s2\r\n\r\n");
    assert_eq!(r.served_by(), "s2");
    assert!(set_cookies(&r).is_empty(), "{}", r.raw_str());
}

/// 2.6's `s30tob64`: the cookie date format (4 s units, 5 characters).
fn date_b64(secs: u64) -> String {
    const B64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let v = (secs + 3) >> 2;
    (0..5)
        .map(|i| B64[((v >> (24 - 6 * i)) & 0x3f) as usize] as char)
        .collect()
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

#[test]
fn maxidle_and_maxlife_expire_the_cookie() {
    let s1 = HttpBackend::start("s1");
    let s2 = HttpBackend::start("s2");
    let port = free_port();
    let be = two_servers(
        &s1,
        &s2,
        "SERVERID insert indirect maxidle 30s maxlife 1h",
        "",
    );
    let lbd = LbdProcess::start(&http_config(port, "", &be));

    // A new cookie carries the last-seen and first-seen dates.
    let before = now();
    let r = get(port, "");
    let after = now();
    let ok: Vec<String> = (before..=after)
        .map(|t| format!("SERVERID=s1|{}|{}; path=/", date_b64(t), date_b64(t)))
        .collect();
    let got = set_cookies(&r);
    assert!(
        got.len() == 1 && ok.contains(&got[0]),
        "{got:?} not in {ok:?}{}",
        lbd.output_hint()
    );

    // Seen recently: it sticks.
    let t = now();
    let fresh = format!(
        "cookie: SERVERID=s2|{}|{}\r\n",
        date_b64(t),
        date_b64(t - 60)
    );
    assert_eq!(get(port, &fresh).served_by(), "s2");
    // Idle too long: balanced again, with a new cookie.
    let idle = format!(
        "cookie: SERVERID=s2|{}|{}\r\n",
        date_b64(t - 100),
        date_b64(t - 100)
    );
    let r = get(port, &idle);
    assert_eq!(set_cookies(&r).len(), 1, "{}", r.raw_str());
    assert!(set_cookies(&r)[0].starts_with(&format!("SERVERID={}|", r.served_by())));
    // Alive too long: the same.
    let old = format!(
        "cookie: SERVERID=s2|{}|{}\r\n",
        date_b64(t),
        date_b64(t - 7200)
    );
    let r = get(port, &old);
    let sc = set_cookies(&r);
    assert!(
        sc.len() == 1 && !sc[0].ends_with(&format!("|{}; path=/", date_b64(t - 7200))),
        "{sc:?}"
    );
}

#[test]
fn log_shows_the_cookie_letters_and_captures() {
    let rx = SyslogReceiver::start();
    let s1 = HttpBackend::start("s1");
    let s2 = HttpBackend::start("s2");
    let port = free_port();
    let be = two_servers(&s1, &s2, "SERVERID insert indirect", "");
    let cfg = format!(
        "global\n    log 127.0.0.1:{} local0\n{}",
        rx.port(),
        http_config(
            port,
            "    log global\n    option httplog\n    capture cookie SERVERID len 32",
            &be
        )
        .replacen("global\n", "", 1)
    );
    let lbd = LbdProcess::start(&cfg);
    let mut lines = Vec::new();
    for extra in ["", "cookie: SERVERID=s2\r\n", "cookie: SERVERID=zz\r\n"] {
        get(port, extra);
        let msg = rx
            .wait_for(WAIT, |m| m.contains(" fe "))
            .unwrap_or_else(|| panic!("no log line{}", lbd.output_hint()));
        let l = HttpLog::parse(&msg).unwrap_or_else(|| panic!("unparsable: {msg}"));
        lines.push((l.termination, l.cookies));
    }
    let d = "-".to_string();
    assert_eq!(
        lines,
        [
            ("--NI".to_string(), (d.clone(), d.clone())),
            ("--VN".to_string(), ("SERVERID=s2".to_string(), d.clone())),
            ("--II".to_string(), ("SERVERID=zz".to_string(), d)),
        ]
    );
}

#[test]
fn log_shows_a_rewritten_server_cookie_as_captured_before_the_rewrite() {
    let rx = SyslogReceiver::start();
    let s1 = setting_backend("s1", "SERVERID=changeme; path=/");
    let port = free_port();
    let be = format!(
        "    cookie SERVERID rewrite\n    server s1 {} cookie s1\n",
        s1.addr()
    );
    let cfg = format!(
        "global\n    log 127.0.0.1:{} local0\n{}",
        rx.port(),
        http_config(
            port,
            "    log global\n    option httplog\n    capture cookie SERVERID len 32",
            &be
        )
        .replacen("global\n", "", 1)
    );
    let lbd = LbdProcess::start(&cfg);
    let r = get(port, "cookie: SERVERID=s1\r\n");
    assert_eq!(set_cookies(&r), ["SERVERID=s1; path=/"]);
    let msg = rx
        .wait_for(WAIT, |m| m.contains(" fe "))
        .unwrap_or_else(|| panic!("no log line{}", lbd.output_hint()));
    let l = HttpLog::parse(&msg).unwrap_or_else(|| panic!("unparsable: {msg}"));
    assert_eq!(
        (
            l.termination.as_str(),
            l.cookies.0.as_str(),
            l.cookies.1.as_str()
        ),
        ("--VR", "SERVERID=s1", "SERVERID=changeme")
    );
}

#[test]
fn config_errors_read_like_2_6() {
    let cases = [
        ("cookie", "'cookie' expects <cookie_name> as argument."),
        ("cookie S rewrite indirect", "cookie 'rewrite' and 'indirect' modes are incompatible."),
        ("cookie S insert prefix", "cookie 'rewrite', 'insert' and 'prefix' modes are incompatible."),
        ("cookie S preserve", "cookie 'preserve' requires at least 'insert' or 'indirect'."),
        ("cookie S bogus", "'cookie' supports 'rewrite', 'insert', 'prefix', 'indirect', 'nocache', 'postonly', 'domain', 'maxidle', 'dynamic', 'maxlife' and 'attr' options."),
        ("appsession JSESSIONID len 52 timeout 3h", "'appsession' is not supported anymore since HAProxy 1.6."),
    ];
    for (line, msg) in cases {
        let cfg = format!("{HTTP_DEFAULTS}\nbackend be\n    {line}\n    server s1 127.0.0.1:1\n");
        let (code, _, err) = check(&cfg);
        assert_ne!(code, 0, "{line}");
        assert!(err.contains(msg), "{line}: {err}");
    }
}
