//! What traffic logs say of the client's TLS session: `%ft` ends with `~`,
//! `%sslv`/`%sslc` name the protocol and cipher, and `option httpslog`
//! (2.6's `default_https_log_format`) adds the connection's error codes,
//! whether the session was resumed and the SNI. Expectations taken from
//! HAProxy 2.6.12 (`LBD_BIN=/usr/sbin/haproxy`); lbd prints the same.

use std::time::Duration;
use tests::*;

const WAIT: Duration = Duration::from_secs(5);

/// The message after the syslog header and the `client:port [date] ` prefix:
/// from the frontend name on.
fn from_frontend(msg: &str) -> String {
    let (_, body) = syslog::strip_header(msg);
    match body.split_once("] ") {
        Some((_, rest)) => rest.to_string(),
        None => body.to_string(),
    }
}

#[test]
fn httpslog_and_ssl_variables_describe_the_tls_session() {
    let rx = SyslogReceiver::start();
    let be = HttpBackend::start("s1");
    let pki = Pki::new("Test CA");
    let dir = TempDir::new();
    let crt = pki.write_leaf(dir.path(), "site.pem", &["site.test"]);
    let (clear, tls, fmt, h2) = (free_port(), free_port(), free_port(), free_port());
    let cfg = format!(
        "global
    maxconn 1000
    log 127.0.0.1:{log} local0

defaults
    mode http
    log global
    timeout connect 2s
    timeout client 10s
    timeout server 10s

frontend fe
    bind 127.0.0.1:{clear}
    bind 127.0.0.1:{tls} ssl crt {crt} alpn http/1.1
    bind 127.0.0.1:{h2} ssl crt {crt} alpn h2
    option httpslog
    default_backend be

frontend fmt
    bind 127.0.0.1:{fmt} ssl crt {crt} alpn http/1.1
    log-format \"%ft %sslv %sslc %[ssl_fc_sni] %[ssl_fc_is_resumed] %[ssl_fc_err]\"
    default_backend be

backend be
    server s1 {be}
",
        log = rx.port(),
        crt = crt.display(),
        be = be.addr(),
    );
    let p = LbdProcess::start_in(dir, &cfg);
    let next = || {
        rx.next(WAIT)
            .unwrap_or_else(|| panic!("no log line{}", p.output_hint()))
    };

    let url = format!("http://127.0.0.1:{clear}/a");
    assert_eq!(curl(&["-s", "-o", "/dev/null", &url]).code, 0);
    let line = from_frontend(&next());
    assert!(line.starts_with("fe be/s1 "), "{line}");
    assert!(
        line.ends_with(" \"GET /a HTTP/1.1\" 0/-/-/-/0 -/-/-"),
        "{line}"
    );

    let resolve = format!("site.test:{tls}:127.0.0.1");
    let url = format!("https://site.test:{tls}/b");
    let out = curl(&[
        "-s",
        "-k",
        "--tlsv1.3",
        "-o",
        "/dev/null",
        "--resolve",
        &resolve,
        &url,
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let line = from_frontend(&next());
    assert!(line.starts_with("fe~ be/s1 "), "{line}");
    assert!(
        line.ends_with(
            " \"GET /b HTTP/1.1\" 0/0000000000000000/0/0/0 site.test/TLSv1.3/TLS_AES_256_GCM_SHA384"
        ),
        "{line}"
    );

    // An h2 request's URI is logged whole, as 2.6 carries it; the HTTP/1
    // server gets its path.
    let resolve = format!("site.test:{h2}:127.0.0.1");
    let url = format!("https://site.test:{h2}/d?e=1");
    let out = curl(&[
        "-s",
        "-k",
        "--http2",
        "-o",
        "/dev/null",
        "--resolve",
        &resolve,
        &url,
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let line = from_frontend(&next());
    assert!(
        line.ends_with(&format!(
            " \"GET https://site.test:{h2}/d?e=1 HTTP/2.0\" 0/0000000000000000/0/0/0 site.test/TLSv1.3/TLS_AES_256_GCM_SHA384"
        )),
        "{line}"
    );
    assert!(
        be.received()
            .last()
            .is_some_and(|r| r.head_str().starts_with("GET /d?e=1 HTTP/1.1\r\n")),
        "{:?}",
        be.received().last().map(|r| r.head_str())
    );

    let url = format!("https://127.0.0.1:{fmt}/c");
    let out = curl(&[
        "-s",
        "-k",
        "--tlsv1.2",
        "--tls-max",
        "1.2",
        "--ciphers",
        "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256",
        "-o",
        "/dev/null",
        &url,
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let line = from_frontend(&next());
    assert!(
        line == "fmt~ TLSv1.2 ECDHE-ECDSA-AES128-GCM-SHA256 - 0 0"
            || line == "fmt~ TLSv1.2 ECDHE-RSA-AES128-GCM-SHA256 - 0 0",
        "{line}"
    );
}
