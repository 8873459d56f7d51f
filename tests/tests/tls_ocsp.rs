//! OCSP stapling from `<crt>.ocsp`, with a certificate chain made by the
//! openssl command line (an X.509 v1 leaf, as OpenSSL 3's `x509 -req`
//! writes it), on lbd and HAProxy 2.6.

use std::path::Path;
use std::process::{Command, Stdio};
use tests::*;

fn openssl(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("openssl")
        .current_dir(dir)
        .args(args)
        .stdin(Stdio::null())
        .output();
    match out {
        Ok(o) if o.status.success() => String::from_utf8_lossy(&o.stdout).into_owned(),
        Ok(o) => panic!("openssl {args:?}: {}", String::from_utf8_lossy(&o.stderr)),
        Err(e) => panic!("cannot run openssl: {e}"),
    }
}

/// Makes ca.pem, site.pem (leaf + key), site.pem.issuer and a good OCSP
/// response in site.pem.ocsp.
fn make_chain_with_ocsp(dir: &Path) {
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
    ];
    let mut ca = vec!["req", "-x509"];
    ca.extend(ec);
    ca.extend([
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
        "-days",
        "2",
        "-subj",
        "/CN=Test CA",
    ]);
    openssl(dir, &ca);
    let mut csr = vec!["req"];
    csr.extend(ec);
    csr.extend([
        "-keyout",
        "leaf.key",
        "-out",
        "leaf.csr",
        "-subj",
        "/CN=site.test",
    ]);
    openssl(dir, &csr);
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            "leaf.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "leaf.pem",
            "-days",
            "2",
        ],
    );
    let serial = openssl(dir, &["x509", "-in", "leaf.pem", "-serial", "-noout"]);
    let serial = serial.trim().trim_start_matches("serial=");
    let index = format!("V\t301231235959Z\t\t{serial}\tunknown\t/CN=site.test\n");
    let write = |name: &str, data: &[u8]| {
        if let Err(e) = std::fs::write(dir.join(name), data) {
            panic!("{name}: {e}");
        }
    };
    write("index.txt", index.as_bytes());
    openssl(
        dir,
        &[
            "ocsp",
            "-issuer",
            "ca.pem",
            "-cert",
            "leaf.pem",
            "-reqout",
            "req.der",
            "-no_nonce",
        ],
    );
    openssl(
        dir,
        &[
            "ocsp",
            "-index",
            "index.txt",
            "-rsigner",
            "ca.pem",
            "-rkey",
            "ca.key",
            "-CA",
            "ca.pem",
            "-reqin",
            "req.der",
            "-respout",
            "site.pem.ocsp",
            "-ndays",
            "1",
        ],
    );
    let read = |name: &str| match std::fs::read(dir.join(name)) {
        Ok(b) => b,
        Err(e) => panic!("{name}: {e}"),
    };
    let mut pem = read("leaf.pem");
    pem.extend(read("leaf.key"));
    write("site.pem", &pem);
    // HAProxy checks the response against the issuer.
    write("site.pem.issuer", &read("ca.pem"));
}

#[test]
fn ocsp_response_is_stapled() {
    let dir = TempDir::new();
    make_chain_with_ocsp(dir.path());
    let crt = dir.join("site.pem");
    let port = free_port();
    let cfg = format!(
        "{HTTP_DEFAULTS}
frontend fe
    bind 127.0.0.1:{port} ssl crt {}
    http-request return status 200
",
        crt.display()
    );
    let _lbd = LbdProcess::start_in(dir, &cfg);
    for v in ["-tls1_2", "-tls1_3"] {
        let out = Command::new("openssl")
            .args([
                "s_client",
                "-connect",
                &format!("127.0.0.1:{port}"),
                v,
                "-status",
            ])
            .stdin(Stdio::null())
            .output();
        let out = match out {
            Ok(o) => String::from_utf8_lossy(&o.stdout).into_owned(),
            Err(e) => panic!("openssl: {e}"),
        };
        assert!(
            out.contains("OCSP Response Status: successful"),
            "{v}: {out}"
        );
        assert!(out.contains("Cert Status: good"), "{v}: {out}");
    }
}
