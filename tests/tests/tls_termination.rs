//! TLS termination on `bind ... ssl` and TLS toward servers (`server ...
//! ssl`), checked with curl and openssl s_client, on lbd and HAProxy 2.6.

use std::process::{Command, Stdio};
use tests::*;

/// An HTTP config whose frontend binds `bind_opts` on 127.0.0.1:`port`.
fn https_config(mode: &str, port: u16, bind_opts: &str, be: &HttpBackend) -> String {
    format!(
        "global
    maxconn 1000

defaults
    mode {mode}
    timeout connect 2s
    timeout client 10s
    timeout server 10s

frontend fe
    bind 127.0.0.1:{port} {bind_opts}
    default_backend be

backend be
    server s1 {}
",
        be.addr()
    )
}

/// An HTTP config whose frontend has one `bind` per entry of `binds`
/// (each written after `bind 127.0.0.1:`), all sending to `be`.
fn binds_config(binds: &[String], be: &HttpBackend) -> String {
    let lines: String = binds
        .iter()
        .map(|b| format!("    bind 127.0.0.1:{b}\n"))
        .collect();
    format!(
        "{HTTP_DEFAULTS}
frontend fe
{lines}    default_backend be

backend be
    server s1 {}
",
        be.addr()
    )
}

/// curl to https://<host>:<port>/ resolved to 127.0.0.1, trusting `ca`.
fn curl_https(host: &str, port: u16, ca: &std::path::Path, extra: &[&str]) -> CurlOutput {
    let resolve = format!("{host}:{port}:127.0.0.1");
    let url = format!("https://{host}:{port}/");
    let ca = ca.display().to_string();
    let mut args = vec!["-i", "--cacert", &ca, "--resolve", &resolve];
    args.extend_from_slice(extra);
    args.push(&url);
    curl(&args)
}

/// `openssl s_client` output for a handshake with `args`.
fn s_client(port: u16, args: &[&str]) -> String {
    let out = Command::new("openssl")
        .arg("s_client")
        .arg("-connect")
        .arg(format!("127.0.0.1:{port}"))
        .args(args)
        .stdin(Stdio::null())
        .output();
    match out {
        Ok(o) => format!(
            "{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        ),
        Err(e) => panic!("cannot run openssl: {e}"),
    }
}

/// The subject line s_client prints for the served certificate.
fn served_subject(out: &str) -> String {
    out.lines()
        .find(|l| l.starts_with("subject="))
        .unwrap_or("")
        .replace(' ', "")
}

#[test]
fn https_request_in_http_and_tcp_mode() {
    let pki = Pki::new("Test CA");
    for mode in ["http", "tcp"] {
        let be = HttpBackend::start("s1");
        let dir = TempDir::new();
        let crt = pki.write_leaf(dir.path(), "site.pem", &["site.test"]);
        let ca = pki.write_ca(dir.path(), "ca.pem");
        let port = free_port();
        let cfg = https_config(mode, port, &format!("ssl crt {}", crt.display()), &be);
        let _lbd = LbdProcess::start_in(dir, &cfg);
        let out = curl_https("site.test", port, &ca, &[]);
        assert_eq!(out.code, 0, "{mode}: curl failed: {}", out.stderr);
        let r = &out.responses()[0];
        assert_eq!(r.status, 200, "{mode}");
        assert_eq!(r.served_by(), "s1", "{mode}");
        assert_eq!(be.requests(), 1, "{mode}");
    }
}

#[test]
fn sni_picks_the_certificate_from_a_directory() {
    let pki = Pki::new("Test CA");
    let be = HttpBackend::start("s1");
    let dir = TempDir::new();
    let certs = dir.join("certs");
    if let Err(e) = std::fs::create_dir(&certs) {
        panic!("{e}");
    }
    // Loaded in name order: a.pem first, so it is the default.
    pki.write_leaf(&certs, "a.pem", &["a.test"]);
    pki.write_leaf(&certs, "b.pem", &["b.test", "*.w.test"]);
    let port = free_port();
    let cfg = https_config("http", port, &format!("ssl crt {}", certs.display()), &be);
    let _lbd = LbdProcess::start_in(dir, &cfg);
    let subject = |sni: Option<&str>| match sni {
        Some(n) => served_subject(&s_client(port, &["-servername", n])),
        None => served_subject(&s_client(port, &["-noservername"])),
    };
    assert!(
        subject(Some("b.test")).ends_with("CN=b.test"),
        "{}",
        subject(Some("b.test"))
    );
    assert!(subject(Some("x.w.test")).ends_with("CN=b.test"));
    assert!(subject(Some("a.test")).ends_with("CN=a.test"));
    assert!(subject(Some("other.test")).ends_with("CN=a.test"));
    assert!(subject(None).ends_with("CN=a.test"));
}

#[test]
fn alpn_http11_is_negotiated() {
    let pki = Pki::new("Test CA");
    let be = HttpBackend::start("s1");
    let dir = TempDir::new();
    let crt = pki.write_leaf(dir.path(), "site.pem", &["site.test"]);
    let port = free_port();
    let opts = format!("ssl crt {} alpn http/1.1", crt.display());
    let _lbd = LbdProcess::start_in(dir, &https_config("http", port, &opts, &be));
    let out = s_client(port, &["-alpn", "http/1.1"]);
    assert!(out.contains("ALPN protocol: http/1.1"), "{out}");
    // A client offering only something else gets no ALPN.
    let out = s_client(port, &["-alpn", "spdy/1"]);
    assert!(!out.contains("ALPN protocol: spdy/1"), "{out}");
}

#[test]
fn ssl_min_ver_tls13_refuses_a_tls12_client() {
    let pki = Pki::new("Test CA");
    let be = HttpBackend::start("s1");
    let dir = TempDir::new();
    let crt = pki.write_leaf(dir.path(), "site.pem", &["site.test"]);
    let ca = pki.write_ca(dir.path(), "ca.pem");
    let port = free_port();
    let opts = format!("ssl crt {} ssl-min-ver TLSv1.3", crt.display());
    let _lbd = LbdProcess::start_in(dir, &https_config("http", port, &opts, &be));
    let old = curl_https("site.test", port, &ca, &["--tls-max", "1.2"]);
    assert_ne!(old.code, 0, "a TLS 1.2 client must be refused");
    let new = curl_https("site.test", port, &ca, &["--tlsv1.3"]);
    assert_eq!(new.code, 0, "{}", new.stderr);
    assert_eq!(be.requests(), 1);
}

#[test]
fn client_certificate_required() {
    let pki = Pki::new("Test CA");
    let be = HttpBackend::start("s1");
    let dir = TempDir::new();
    let crt = pki.write_leaf(dir.path(), "site.pem", &["site.test"]);
    let ca = pki.write_ca(dir.path(), "ca.pem");
    let client = pki.write_leaf(dir.path(), "client.pem", &["client.test"]);
    let stranger = Pki::new("Other CA").write_leaf(dir.path(), "stranger.pem", &["x.test"]);
    let port = free_port();
    let opts = format!(
        "ssl crt {} ca-file {} verify required",
        crt.display(),
        ca.display()
    );
    let _lbd = LbdProcess::start_in(dir, &https_config("http", port, &opts, &be));
    let none = curl_https("site.test", port, &ca, &[]);
    assert_ne!(none.code, 0, "no client certificate must fail");
    let bad = curl_https(
        "site.test",
        port,
        &ca,
        &["--cert", &stranger.display().to_string()],
    );
    assert_ne!(bad.code, 0, "a certificate from another CA must fail");
    let good = curl_https(
        "site.test",
        port,
        &ca,
        &["--cert", &client.display().to_string()],
    );
    assert_eq!(good.code, 0, "{}", good.stderr);
    assert_eq!(good.responses()[0].status, 200);
    assert_eq!(be.requests(), 1);
}

#[test]
fn tls_to_servers_with_verification_and_sni() {
    // One process, two hops: a clear frontend whose server is the same
    // process's TLS frontend, which forwards to the backend.
    let pki = Pki::new("Test CA");
    let be = HttpBackend::start("s1");
    let dir = TempDir::new();
    let crt = pki.write_leaf(dir.path(), "inner.pem", &["inner.test"]);
    let ca = pki.write_ca(dir.path(), "ca.pem");
    let other_ca = Pki::new("Other CA").write_ca(dir.path(), "other.pem");
    let (front, front_bad, inner) = (free_port(), free_port(), free_port());
    let cfg = format!(
        "{HTTP_DEFAULTS}
frontend fe
    bind 127.0.0.1:{front}
    default_backend be_tls

frontend fe_bad
    bind 127.0.0.1:{front_bad}
    default_backend be_bad

backend be_tls
    server inner 127.0.0.1:{inner} ssl verify required ca-file {ca} sni str(inner.test) alpn http/1.1

backend be_bad
    retries 0
    server inner 127.0.0.1:{inner} ssl verify required ca-file {other}

frontend fe_tls
    bind 127.0.0.1:{inner} ssl crt {crt}
    default_backend be

backend be
    server s1 {}
",
        be.addr(),
        ca = ca.display(),
        other = other_ca.display(),
        crt = crt.display(),
    );
    let _lbd = LbdProcess::start_in(dir, &cfg);
    let mut c = RawClient::connect(front);
    let r = c.request(b"GET /hello HTTP/1.1\r\nHost: x\r\n\r\n");
    assert_eq!(r.status, 200);
    assert_eq!(r.served_by(), "s1");
    let got = be.received();
    assert_eq!(got.len(), 1);
    // A server whose certificate does not chain to the CA is unusable.
    let mut c = RawClient::connect(front_bad);
    let r = c.request(b"GET /bad HTTP/1.1\r\nHost: x\r\n\r\n");
    assert_eq!(r.status, 503);
    assert_eq!(be.requests(), 1);
}

#[test]
fn config_errors_name_the_file() {
    let dir = TempDir::new();
    let missing = dir.join("missing.pem");
    let (code, _, err) = check(&format!(
        "{HTTP_DEFAULTS}
frontend fe
    bind 127.0.0.1:{} ssl crt {}
",
        free_port(),
        missing.display()
    ));
    assert_ne!(code, 0);
    assert!(
        err.contains(&format!(
            "unable to stat SSL certificate from file '{}' : No such file or directory.",
            missing.display()
        )),
        "{err}"
    );
    let (code, _, err) = check(&format!(
        "{HTTP_DEFAULTS}
backend be
    server s1 127.0.0.1:{} ssl
",
        free_port()
    ));
    assert_ne!(code, 0);
    assert!(
        err.contains("'server be/s1' : verify is enabled by default but no CA file specified."),
        "{err}"
    );
    // `verify none`, or `ssl-server-verify none`, accepts it.
    let (code, _, err) = check(&format!(
        "global
    ssl-server-verify none
{}
listen app
    bind 127.0.0.1:{}
    server s1 127.0.0.1:{} ssl
",
        HTTP_DEFAULTS.replace("global\n", ""),
        free_port(),
        free_port()
    ));
    assert_eq!(code, 0, "{err}");
}

/// The `ssl_fc*` fetches read the client connection's TLS details, in
/// rules and log-format strings; ACLs route on them.
#[test]
fn ssl_fetches_in_rules() {
    let pki = Pki::new("Test CA");
    let be = HttpBackend::start("s1");
    let dir = TempDir::new();
    let crt = pki.write_leaf(dir.path(), "site.pem", &["site.test"]);
    let ca = pki.write_ca(dir.path(), "ca.pem");
    let port = free_port();
    let cfg = https_config(
        "http",
        port,
        &format!(
            "ssl crt {}\n    http-request return status 200 content-type text/plain lf-string \"%[ssl_fc] %[ssl_fc_sni] %[ssl_fc_protocol]\" if {{ ssl_fc_sni -i site.test }} {{ ssl_fc }}",
            crt.display()
        ),
        &be,
    );
    let _lbd = LbdProcess::start_in(dir, &cfg);
    let out = curl_https("site.test", port, &ca, &["--tlsv1.3"]);
    assert_eq!(out.code, 0, "curl failed: {}", out.stderr);
    let body = out.stdout_str();
    assert!(body.ends_with("1 site.test TLSv1.3"), "{body}");
}

/// `set ssl cert` + `commit ssl cert` replace a bind's certificate without
/// a reload: the next handshake is served the new one.
#[test]
fn certificate_hot_update_over_the_cli() {
    use tests::stats_socket::{cli, wait_socket};
    let pki = Pki::new("Test CA");
    let be = HttpBackend::start("s1");
    let dir = TempDir::new();
    let crt = pki.write_leaf(dir.path(), "site.pem", &["old.test"]);
    let sock = dir.join("admin.sock");
    let port = free_port();
    let cfg = https_config("http", port, &format!("ssl crt {}", crt.display()), &be).replace(
        "    maxconn 1000\n",
        &format!(
            "    maxconn 1000\n    stats socket {} level admin\n",
            sock.display()
        ),
    );
    let _lbd = LbdProcess::start_in(dir, &cfg);
    wait_socket(&sock);
    let subject = || served_subject(&s_client(port, &["-servername", "x"]));
    assert!(subject().contains("CN=old.test"), "{}", subject());
    let path = crt.display().to_string();
    let out = cli(
        &sock,
        &format!("set ssl cert {path} <<\n{}\n", pki.leaf_pem(&["new.test"])),
    );
    assert!(
        out.starts_with("Transaction created for certificate"),
        "{out}"
    );
    // Not committed yet: still the old one.
    assert!(subject().contains("CN=old.test"), "{}", subject());
    let out = cli(&sock, &format!("commit ssl cert {path}"));
    assert!(out.contains("Success!"), "{out}");
    assert!(subject().contains("CN=new.test"), "{}", subject());
    assert_eq!(
        cli(&sock, "commit ssl cert"),
        "'commit ssl cert expects a filename\n\n"
    );
}

/// `tcp-request connection` rules run at accept, before the TLS handshake
/// (a refused client costs no handshake: it is reset at once, before it
/// sends its ClientHello); `tcp-request session` rules run after it and
/// see the TLS fetches. Both modes, as 2.6.
#[test]
fn connection_rules_run_before_the_handshake_and_session_rules_after_it() {
    let pki = Pki::new("Test CA");
    for mode in ["http", "tcp"] {
        let be = HttpBackend::start("s1");
        let dir = TempDir::new();
        let crt = pki.write_leaf(dir.path(), "site.pem", &["ok.test", "blocked.test"]);
        let ca = pki.write_ca(dir.path(), "ca.pem");
        let (refused, filtered) = (free_port(), free_port());
        let cfg = format!(
            "{}
frontend refused
    bind 127.0.0.1:{refused} ssl crt {crt}
    tcp-request connection reject if {{ src 127.0.0.1 }}
    default_backend be

frontend filtered
    bind 127.0.0.1:{filtered} ssl crt {crt}
    tcp-request session reject if {{ ssl_fc_sni -m str blocked.test }}
    default_backend be
",
            https_config(mode, free_port(), "", &be),
            crt = crt.display(),
        );
        let lbd = LbdProcess::start_in(dir, &cfg);

        let mut c = RawClient::connect(refused);
        let (bytes, closed) = c.read_until_close(std::time::Duration::from_secs(3));
        assert!(
            closed && bytes.is_empty(),
            "{mode}: the refused connection waited for a handshake{}",
            lbd.output_hint()
        );

        let out = curl_https("blocked.test", filtered, &ca, &[]);
        assert_ne!(out.code, 0, "{mode}: the session rule let blocked.test in");
        let out = curl_https("ok.test", filtered, &ca, &[]);
        assert_eq!(out.code, 0, "{mode}: {}{}", out.stderr, lbd.output_hint());
        assert_eq!(out.responses()[0].status, 200, "{mode}");
        assert_eq!(be.requests(), 1, "{mode}");
    }
}

/// The cipher s_client reports for a handshake offering `offer` in order.
fn negotiated(port: u16, args: &[&str]) -> String {
    let out = s_client(port, args);
    out.lines()
        .find_map(|l| {
            l.split_once(", Cipher is ")
                .map(|(_, c)| c.trim().to_string())
        })
        .unwrap_or_else(|| panic!("no cipher in:\n{out}"))
}

#[test]
fn the_configured_cipher_order_wins_unless_prefer_client_ciphers() {
    let pki = Pki::new("Test CA");
    let be = HttpBackend::start("s1");
    let dir = TempDir::new();
    let crt = pki.write_leaf(dir.path(), "site.pem", &["site.test"]);
    let (p_server, p_client, p_default) = (free_port(), free_port(), free_port());
    let suites = "ciphersuites TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384";
    let ciphers = "ciphers ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384";
    let crt = crt.display();
    let cfg = binds_config(
        &[
            format!("{p_server} ssl crt {crt} {suites} {ciphers}"),
            format!("{p_client} ssl crt {crt} {suites} {ciphers} prefer-client-ciphers"),
            format!("{p_default} ssl crt {crt}"),
        ],
        &be,
    );
    let lbd = LbdProcess::start_in(dir, &cfg);
    let tls13 = [
        "-tls1_3",
        "-ciphersuites",
        "TLS_AES_256_GCM_SHA384:TLS_AES_128_GCM_SHA256",
    ];
    let tls12 = [
        "-tls1_2",
        "-cipher",
        "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256",
    ];
    assert_eq!(
        negotiated(p_server, &tls13),
        "TLS_AES_128_GCM_SHA256",
        "{}",
        lbd.output_hint()
    );
    assert_eq!(negotiated(p_client, &tls13), "TLS_AES_256_GCM_SHA384");
    assert!(negotiated(p_server, &tls12).ends_with("AES128-GCM-SHA256"));
    assert!(negotiated(p_client, &tls12).ends_with("AES256-GCM-SHA384"));
    // Nothing configured: OpenSSL's default order, AES-256 first.
    let aes128_first = [
        "-tls1_3",
        "-ciphersuites",
        "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384",
    ];
    assert_eq!(
        negotiated(p_default, &aes128_first),
        "TLS_AES_256_GCM_SHA384"
    );
}

#[test]
fn strict_sni_refuses_a_handshake_whose_name_has_no_certificate() {
    let pki = Pki::new("Test CA");
    let be = HttpBackend::start("s1");
    let dir = TempDir::new();
    let crt = pki.write_leaf(dir.path(), "site.pem", &["site.test"]);
    let port = free_port();
    let opts = format!("ssl crt {} strict-sni", crt.display());
    let lbd = LbdProcess::start_in(dir, &https_config("http", port, &opts, &be));
    let done = |args: &[&str]| {
        let out = s_client(port, args);
        out.contains(", Cipher is ") && !out.contains("Cipher is (NONE)")
    };
    assert!(done(&["-servername", "site.test"]), "{}", lbd.output_hint());
    assert!(!done(&["-servername", "other.test"]), "unknown name served");
    assert!(!done(&["-noservername"]), "no SNI served");
}

#[test]
fn curves_and_ecdhe_choose_the_key_exchange_group() {
    let pki = Pki::new("Test CA");
    let be = HttpBackend::start("s1");
    let dir = TempDir::new();
    let crt = pki.write_leaf(dir.path(), "site.pem", &["site.test"]);
    let (p_curves, p_ecdhe, p_default) = (free_port(), free_port(), free_port());
    let shown = crt.display();
    let cfg = binds_config(
        &[
            format!("{p_curves} ssl crt {shown} curves P-256:P-384"),
            format!("{p_ecdhe} ssl crt {shown} ecdhe secp384r1"),
            format!("{p_default} ssl crt {shown}"),
        ],
        &be,
    );
    let lbd = LbdProcess::start_in(dir, &cfg);
    let key = |port: u16, args: &[&str]| {
        let out = s_client(port, args);
        out.lines()
            .find(|l| l.starts_with("Server Temp Key: "))
            .map(str::to_string)
            .unwrap_or_else(|| panic!("no temp key in:\n{out}"))
    };
    let offer = ["-groups", "X25519:P-256:P-384"];
    assert!(
        key(p_curves, &offer).contains("prime256v1"),
        "{}",
        lbd.output_hint()
    );
    assert!(key(p_ecdhe, &offer).contains("secp384r1"));
    assert!(key(p_default, &offer).contains("X25519"));
    let bad = format!("{} ssl crt {shown} curves NOPE", free_port());
    let (code, _, err) = check(&binds_config(&[bad], &be));
    assert_ne!(code, 0);
    assert!(
        err.contains("unable to set SSL curves list to 'NOPE'"),
        "{err}"
    );
}

#[test]
fn no_ca_names_leaves_the_ca_list_out_of_the_certificate_request() {
    let pki = Pki::new("Test CA");
    let be = HttpBackend::start("s1");
    let dir = TempDir::new();
    let crt = pki.write_leaf(dir.path(), "site.pem", &["site.test"]);
    let ca = pki.write_ca(dir.path(), "ca.pem");
    let (p_named, p_unnamed) = (free_port(), free_port());
    let tls = format!(
        "ssl crt {} ca-file {} verify optional",
        crt.display(),
        ca.display()
    );
    let cfg = binds_config(
        &[
            format!("{p_named} {tls}"),
            format!("{p_unnamed} {tls} no-ca-names"),
        ],
        &be,
    );
    let lbd = LbdProcess::start_in(dir, &cfg);
    let named = s_client(p_named, &["-servername", "site.test"]);
    assert!(
        named.contains("Acceptable client certificate CA names") && named.contains("Test CA"),
        "{named}{}",
        lbd.output_hint()
    );
    let unnamed = s_client(p_unnamed, &["-servername", "site.test"]);
    assert!(
        unnamed.contains("No client certificate CA names sent"),
        "{unnamed}"
    );
}

/// Mozilla's "intermediate" server-side TLS configuration for HAProxy
/// (ssl-config.mozilla.org), as operators paste it, loads and serves.
#[test]
fn mozillas_intermediate_configuration_loads_and_serves() {
    let pki = Pki::new("Test CA");
    let be = HttpBackend::start("s1");
    let dir = TempDir::new();
    let crt = pki.write_leaf(dir.path(), "site.pem", &["site.test"]);
    let ca = pki.write_ca(dir.path(), "ca.pem");
    let dh = dir.join("dhparam");
    let out = Command::new("openssl")
        .args(["genpkey", "-genparam", "-algorithm", "DH", "-pkeyopt"])
        .args(["group:ffdhe2048", "-out"])
        .arg(&dh)
        .output()
        .unwrap_or_else(|e| panic!("openssl: {e}"));
    assert!(out.status.success(), "{out:?}");
    let (tls, clear) = (free_port(), free_port());
    let cfg = format!(
        "global
    maxconn 1000
    ssl-default-bind-curves X25519:prime256v1:secp384r1
    ssl-default-bind-ciphers ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384:DHE-RSA-CHACHA20-POLY1305
    ssl-default-bind-ciphersuites TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256
    ssl-default-bind-options prefer-client-ciphers no-sslv3 no-tlsv10 no-tlsv11 no-tls-tickets
    ssl-default-server-ciphers ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384:DHE-RSA-CHACHA20-POLY1305
    ssl-default-server-ciphersuites TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256
    ssl-default-server-options no-sslv3 no-tlsv10 no-tlsv11 no-tls-tickets
    ssl-dh-param-file {dh}

defaults
    mode http
    timeout connect 2s
    timeout client 10s
    timeout server 10s

frontend ft_test
    mode    http
    bind    127.0.0.1:{tls} ssl crt {crt} alpn h2,http/1.1
    bind    127.0.0.1:{clear}
    redirect scheme https code 301 if !{{ ssl_fc }}
    http-response set-header Strict-Transport-Security max-age=63072000
    default_backend be

backend be
    server s1 {}
",
        be.addr(),
        dh = dh.display(),
        crt = crt.display()
    );
    let (code, _, err) = check(&cfg);
    assert_eq!(code, 0, "{err}");
    let lbd = LbdProcess::start_in(dir, &cfg);
    let r = curl_https("site.test", tls, &ca, &["--http2"]);
    assert_eq!(r.code, 0, "{}{}", r.stderr, lbd.output_hint());
    let head = r.stdout_str().to_ascii_lowercase();
    assert!(head.starts_with("http/2 200"), "{head}");
    assert!(
        head.contains("strict-transport-security: max-age=63072000"),
        "{head}"
    );
    let redirect = curl(&["-s", "-i", &format!("http://127.0.0.1:{clear}/x")]);
    assert!(
        redirect.stdout_str().starts_with("HTTP/1.1 301"),
        "{}",
        redirect.stdout_str()
    );
    // A missing DH file is refused, as 2.6 refuses it.
    let (code, _, err) = check(&cfg.replace(&dh.display().to_string(), "/nonexistent/dh"));
    assert_ne!(code, 0);
    assert!(
        err.contains("unable to load DH parameters from file </nonexistent/dh>"),
        "{err}"
    );
}
