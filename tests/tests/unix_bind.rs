//! Listening on a Unix socket, reached with curl --unix-socket.

use tests::*;

fn unix_proxy(bind_prefix: &str) {
    let be = HttpBackend::start("s1");
    let dir = TempDir::new();
    let sock = dir.join("lbd.sock");
    let cfg = format!(
        "{HTTP_DEFAULTS}
frontend fe
    bind {bind_prefix}{}
    default_backend be

backend be
{}",
        sock.display(),
        server_lines(&[&be], "")
    );
    let lbd = LbdProcess::start_in(dir, &cfg);
    let sock = sock.to_string_lossy().into_owned();
    let out = curl(&["-i", "--unix-socket", &sock, "http://unix.test/hello"]);
    let responses = out.responses();
    assert!(
        out.code == 0 && responses.len() == 1 && responses[0].served_by() == "s1",
        "curl exit {} stderr {} out {}{}",
        out.code,
        out.stderr,
        out.stdout_str(),
        lbd.output_hint()
    );
    assert!(responses[0]
        .body_str()
        .starts_with("GET /hello HTTP/1.1\r\nhost: unix.test\r\n"));
}

#[test]
fn bind_unix_prefix() {
    unix_proxy("unix@");
}

#[test]
fn bind_absolute_path() {
    unix_proxy("");
}
