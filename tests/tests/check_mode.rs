//! `-c`: checking a configuration without serving it.

use tests::*;

#[test]
fn valid_config_passes() {
    let port = free_port();
    let (code, stdout, stderr) = check(&http_config(port, "", "    server s1 127.0.0.1:1"));
    assert_eq!(code, 0, "stderr: {stderr}");
    assert_eq!(stdout, "Configuration file is valid\n");
}

#[test]
fn unknown_keyword_fails_and_is_named() {
    let port = free_port();
    let cfg = http_config(port, "    frobnicate yes", "    server s1 127.0.0.1:1");
    let (code, stdout, stderr) = check(&cfg);
    assert_eq!(code, 1, "stdout: {stdout}");
    assert!(!stdout.contains("Configuration file is valid"), "{stdout}");
    assert!(
        stderr.contains("[ALERT]") && stderr.contains("'frobnicate'"),
        "stderr: {stderr}"
    );
}

#[test]
fn check_does_not_serve() {
    let port = free_port();
    let (code, _, stderr) = check(&http_config(port, "", "    server s1 127.0.0.1:1"));
    assert_eq!(code, 0, "stderr: {stderr}");
    // The check has exited, so nothing may be left listening on the port.
    assert!(std::net::TcpStream::connect(("127.0.0.1", port)).is_err());
}
