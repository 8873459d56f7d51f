//! TLS session details on `bind ... ssl`: resumption (tickets and the
//! stateful cache), cipher selection by OpenSSL name, version limits and
//! crt-list; checked with openssl s_client on lbd and HAProxy 2.6.

use std::io::Write;
use std::process::{Command, Stdio};
use tests::*;

/// Runs `openssl s_client` with `input` on stdin and returns its output.
fn s_client(port: u16, args: &[&str], input: &[u8]) -> String {
    let child = Command::new("openssl")
        .arg("s_client")
        .arg("-connect")
        .arg(format!("127.0.0.1:{port}"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let mut child = match child {
        Ok(c) => c,
        Err(e) => panic!("cannot run openssl: {e}"),
    };
    if let Some(mut stdin) = child.stdin.take() {
        let _ = stdin.write_all(input);
    }
    match child.wait_with_output() {
        Ok(o) => format!(
            "{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        ),
        Err(e) => panic!("openssl: {e}"),
    }
}

fn proxy(pki: &Pki, dir: TempDir, binds: &[(u16, &str)], be: &HttpBackend) -> LbdProcess {
    let crt = pki.write_leaf(dir.path(), "site.pem", &["site.test"]);
    let lines: String = binds
        .iter()
        .map(|(p, o)| format!("    bind 127.0.0.1:{p} ssl crt {} {o}\n", crt.display()))
        .collect();
    let cfg = format!(
        "{HTTP_DEFAULTS}
frontend fe
{lines}    default_backend be

backend be
    server s1 {}
",
        be.addr()
    );
    LbdProcess::start_in(dir, &cfg)
}

/// The `New, ...`/`Reused, ...` line of an s_client run.
fn session_line(out: &str) -> String {
    out.lines()
        .find(|l| l.starts_with("New,") || l.starts_with("Reused,"))
        .unwrap_or("")
        .to_string()
}

#[test]
fn sessions_resume_with_and_without_tickets() {
    let pki = Pki::new("Test CA");
    let be = HttpBackend::start("s1");
    let dir = TempDir::new();
    let sess = dir.join("session");
    let (tickets, no_tickets) = (free_port(), free_port());
    let _lbd = proxy(
        &pki,
        dir,
        &[(tickets, ""), (no_tickets, "no-tls-tickets")],
        &be,
    );
    let req = b"GET / HTTP/1.0\r\n\r\n";
    let sess_s = sess.display().to_string();
    for port in [tickets, no_tickets] {
        for v in ["-tls1_2", "-tls1_3"] {
            let _ = std::fs::remove_file(&sess);
            let first = s_client(port, &[v, "-ign_eof", "-sess_out", &sess_s], req);
            assert!(session_line(&first).starts_with("New,"), "{first}");
            let again = s_client(port, &[v, "-ign_eof", "-sess_in", &sess_s], req);
            assert!(
                session_line(&again).starts_with("Reused,"),
                "port {port} {v}: {again}"
            );
        }
    }
}

#[test]
fn ciphers_by_openssl_name_and_version_limits() {
    let pki = Pki::new("Test CA");
    let be = HttpBackend::start("s1");
    let (tls12, tls13) = (free_port(), free_port());
    let _lbd = proxy(
        &pki,
        TempDir::new(),
        &[
            (
                tls12,
                "ciphers ECDHE-ECDSA-AES128-GCM-SHA256 ssl-max-ver TLSv1.2",
            ),
            (tls13, "ciphersuites TLS_CHACHA20_POLY1305_SHA256"),
        ],
        &be,
    );
    let out = s_client(tls12, &[], b"");
    assert!(
        out.contains("New, TLSv1.2, Cipher is ECDHE-ECDSA-AES128-GCM-SHA256"),
        "{out}"
    );
    let out = s_client(tls12, &["-tls1_3"], b"");
    assert!(!out.contains("New, TLSv1.3"), "{out}");
    let out = s_client(tls13, &["-tls1_3"], b"");
    assert!(
        out.contains("New, TLSv1.3, Cipher is TLS_CHACHA20_POLY1305_SHA256"),
        "{out}"
    );
}

#[test]
fn crt_list_filters_choose_by_sni() {
    let pki = Pki::new("Test CA");
    let be = HttpBackend::start("s1");
    let dir = TempDir::new();
    let a = pki.write_leaf(dir.path(), "a.pem", &["a.test"]);
    let b = pki.write_leaf(dir.path(), "b.pem", &["b.test"]);
    // The filter gives b.pem a name its certificate does not carry.
    let list = dir.write(
        "list.txt",
        format!("{}\n{} alias.test\n", a.display(), b.display()),
    );
    let port = free_port();
    let cfg = format!(
        "{HTTP_DEFAULTS}
frontend fe
    bind 127.0.0.1:{port} ssl crt-list {}
    default_backend be

backend be
    server s1 {}
",
        list.display(),
        be.addr()
    );
    let _lbd = LbdProcess::start_in(dir, &cfg);
    let subject = |sni: &str| {
        s_client(port, &["-servername", sni], b"")
            .lines()
            .find(|l| l.starts_with("subject="))
            .unwrap_or("")
            .replace(' ', "")
    };
    assert!(subject("alias.test").ends_with("CN=b.test"));
    assert!(subject("a.test").ends_with("CN=a.test"));
    // b.test is not among b.pem's filters: the default answers.
    assert!(subject("b.test").ends_with("CN=a.test"));
}

#[test]
fn refused_tls_settings() {
    let pki = Pki::new("Test CA");
    let dir = TempDir::new();
    let crt = pki.write_leaf(dir.path(), "site.pem", &["site.test"]);
    let (code, _, err) = check(&format!(
        "{HTTP_DEFAULTS}
frontend fe
    bind 127.0.0.1:{} ssl crt {} ciphers FOO
",
        free_port(),
        crt.display()
    ));
    assert_eq!(code, 1);
    assert!(
        err.contains("unable to set SSL cipher list to 'FOO'"),
        "{err}"
    );
    let (code, _, err) = check(&format!(
        "{HTTP_DEFAULTS}
frontend fe
    bind 127.0.0.1:{} ssl crt {} verify required
",
        free_port(),
        crt.display()
    ));
    assert_eq!(code, 1);
    assert!(
        err.contains("verify is enabled but no CA file specified for bind"),
        "{err}"
    );
}

#[test]
fn failed_handshakes_are_logged_as_haproxy_does() {
    use std::time::Duration;
    let pki = Pki::new("Test CA");
    let be = HttpBackend::start("s1");
    let rx = SyslogReceiver::start();
    let dir = TempDir::new();
    let crt = pki.write_leaf(dir.path(), "site.pem", &["site.test"]);
    let (plain, named) = (free_port(), free_port());
    let cfg = format!(
        "global
    maxconn 1000
    log 127.0.0.1:{} local0

defaults
    log global
    mode http
    option httplog
    timeout connect 2s
    timeout client 1s
    timeout server 10s

frontend fe
    bind 127.0.0.1:{plain} ssl crt {crt}
    bind 127.0.0.1:{named} name tls13 ssl crt {crt} ssl-min-ver TLSv1.3
    default_backend be

backend be
    server s1 {}
",
        rx.port(),
        be.addr(),
        crt = crt.display()
    );
    let _lbd = LbdProcess::start_in(dir, &cfg);
    let wait = Duration::from_secs(5);
    let msg = |pred: &str| {
        rx.wait_for(wait, |m| m.contains(pred))
            .unwrap_or_else(|| panic!("no log line with {pred:?}"))
    };
    // Clear text on a TLS port.
    let mut c = RawClient::connect(plain);
    let _ = c.send(b"GET / HTTP/1.1\r\nhost: x\r\n\r\n");
    let _ = c.read_until_close(wait);
    assert!(msg("fe/1: SSL handshake failure").starts_with("127.0.0.1:"));
    // A TLS 1.2 client on a TLS 1.3-only bind, named.
    let _ = s_client(named, &["-tls1_2"], b"");
    msg("fe/tls13: SSL handshake failure");
    // Connected, then closed without a word.
    drop(RawClient::connect(plain));
    msg("fe/1: Connection closed during SSL handshake");
    // Connected and silent past `timeout client`.
    let mut c = RawClient::connect(plain);
    let _ = c.read_until_close(wait);
    msg("fe/1: Timeout during SSL handshake");
}
