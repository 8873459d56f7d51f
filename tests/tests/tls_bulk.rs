//! Bulk data and keep-alive over TLS: megabytes both ways through an ssl
//! bind in HTTP and TCP mode, and over a TLS server connection, arrive
//! whole (the TLS stream must never hold back or lose bytes under
//! back-pressure).

use tests::*;

fn config(mode: &str, port: u16, inner: u16, crt: &str, ca: &str, be: &HttpBackend) -> String {
    format!(
        "global
    maxconn 1000

defaults
    mode {mode}
    timeout connect 2s
    timeout client 20s
    timeout server 20s

frontend fe
    bind 127.0.0.1:{port} ssl crt {crt}
    default_backend be_tls

backend be_tls
    server inner 127.0.0.1:{inner} ssl ca-file {ca} verify required

frontend fe_inner
    bind 127.0.0.1:{inner} ssl crt {crt}
    default_backend be

backend be
    server s1 {}
",
        be.addr()
    )
}

#[test]
fn megabytes_both_ways_over_tls_on_both_sides() {
    let pki = Pki::new("Test CA");
    for mode in ["http", "tcp"] {
        let be = HttpBackend::start("s1");
        let dir = TempDir::new();
        let crt = pki.write_leaf(dir.path(), "site.pem", &["site.test"]);
        let ca = pki.write_ca(dir.path(), "ca.pem");
        let body = payload::pattern(3 * 1024 * 1024 + 17);
        let upload = dir.write("upload.bin", &body);
        let (port, inner) = (free_port(), free_port());
        let cfg = config(
            mode,
            port,
            inner,
            &crt.display().to_string(),
            &ca.display().to_string(),
            &be,
        );
        let _lbd = LbdProcess::start_in(dir, &cfg);
        let resolve = format!("site.test:{port}:127.0.0.1");
        let url = format!("https://site.test:{port}/up");
        let data = format!("@{}", upload.display());
        let ca_s = ca.display().to_string();
        // Two requests on one connection: the second proves the TLS
        // streams stay usable after a large exchange (keep-alive).
        let out = curl(&[
            "--cacert",
            &ca_s,
            "--resolve",
            &resolve,
            "--data-binary",
            &data,
            "-H",
            "content-type: application/octet-stream",
            &url,
            "--next",
            "--cacert",
            &ca_s,
            "--resolve",
            &resolve,
            &url,
        ]);
        assert_eq!(out.code, 0, "{mode}: {}", out.stderr);
        let got = be.received();
        assert_eq!(got.len(), 2, "{mode}");
        assert_eq!(got[0].body.len(), body.len(), "{mode}");
        assert!(got[0].body == body, "{mode}: upload corrupted");
        // The echo (the whole request, body included) came back intact.
        let window = &body[body.len() - 4096..];
        assert!(
            out.stdout.windows(window.len()).any(|w| w == window),
            "{mode}: the echoed tail is missing"
        );
        assert!(out.stdout.len() > body.len(), "{mode}");
        assert_eq!(be.connections(), 1, "{mode}: keep-alive all the way");
    }
}
