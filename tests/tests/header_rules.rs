//! Unconditional `http-request` header rules, `http-request return` from files, and
//! `monitor-uri`, checked byte for byte.

use tests::*;

const MONITOR_200: &str = "HTTP/1.1 200 OK\r\ncontent-length: 58\r\ncache-control: no-cache\r\ncontent-type: text/html\r\n\r\n<html><body><h1>200 OK</h1>\nService ready.\n</body></html>\n";

#[test]
fn set_add_and_del_header_shape_what_the_server_sees() {
    let be = HttpBackend::start("s1");
    let port = free_port();
    let frontend = "    http-request set-header X-A 1\n    http-request add-header X-B 2\n    http-request del-header X-C";
    let lbd = LbdProcess::start(&http_config(port, frontend, &server_lines(&[&be], "")));
    let r = RawClient::connect(port).request(
        b"GET /p HTTP/1.1\r\nHost: a\r\nX-A: old\r\nX-C: gone\r\nX-B: 1\r\nX-A: older\r\nx-c: too\r\n\r\n",
    );
    assert_eq!(r.status, 200, "{}", lbd.output_hint());
    assert_eq!(
        be.received()[0].head_str(),
        "GET /p HTTP/1.1\r\nhost: a\r\nx-b: 1\r\nx-a: 1\r\nx-b: 2\r\n\r\n"
    );
}

#[test]
fn http_request_return_file_sends_the_file_as_body() {
    let dir = TempDir::new();
    let file = dir.write("page.txt", "from a file\n");
    let port = free_port();
    let frontend = format!(
        "    http-request return status 200 content-type text/plain file {}",
        file.display()
    );
    let lbd = LbdProcess::start_in(
        dir,
        &http_config(port, &frontend, "    server s1 127.0.0.1:1"),
    );
    let mut client = RawClient::connect(port);
    for _ in 0..2 {
        let r = client.request(b"GET / HTTP/1.1\r\nhost: a\r\n\r\n");
        assert_eq!(
            r.raw_str(),
            "HTTP/1.1 200 OK\r\ncontent-length: 12\r\ncontent-type: text/plain\r\n\r\nfrom a file\n",
            "{}",
            lbd.output_hint()
        );
    }
}

#[test]
fn http_request_return_errorfile_sends_the_file_verbatim() {
    let dir = TempDir::new();
    let file = dir.write(
        "maint.http",
        "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\nX-Maint: yes\r\nContent-Length: 12\r\n\r\nmaintenance\n",
    );
    let port = free_port();
    let frontend = format!(
        "    http-request return status 503 errorfile {}",
        file.display()
    );
    let lbd = LbdProcess::start_in(
        dir,
        &http_config(port, &frontend, "    server s1 127.0.0.1:1"),
    );
    let r = RawClient::connect(port).request(b"GET / HTTP/1.1\r\nhost: a\r\n\r\n");
    assert_eq!(
        r.raw_str(),
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: text/plain\r\nx-maint: yes\r\ncontent-length: 12\r\n\r\nmaintenance\n",
        "{}",
        lbd.output_hint()
    );
}

#[test]
fn monitor_uri_answers_the_canned_200_without_a_server() {
    let be = HttpBackend::start("s1");
    let port = free_port();
    let lbd = LbdProcess::start(&http_config(
        port,
        "    monitor-uri /mon",
        &server_lines(&[&be], ""),
    ));
    let mut client = RawClient::connect(port);
    let r = client.request(b"GET /mon HTTP/1.1\r\nhost: a\r\n\r\n");
    assert_eq!(r.raw_str(), MONITOR_200, "{}", lbd.output_hint());
    assert_eq!(be.requests(), 0, "the monitor request reached the server");
    // Other paths still go to the server, on the same connection.
    let r = client.request(b"GET /other HTTP/1.1\r\nhost: a\r\n\r\n");
    assert_eq!(r.served_by(), "s1");
}

/// Sends `request` through a proxy with these frontend and backend rule lines and
/// returns the head the server received.
fn head_after_rules(frontend: &str, backend_rules: &str, request: &[u8]) -> String {
    let be = HttpBackend::start("s1");
    let port = free_port();
    let backend = format!("{backend_rules}\n{}", server_lines(&[&be], ""));
    let lbd = LbdProcess::start(&http_config(port, frontend, &backend));
    let r = RawClient::connect(port).request(request);
    assert_eq!(r.status, 200, "{}", lbd.output_hint());
    be.received()[0].head_str()
}

#[test]
fn quoted_values_and_delete_then_add() {
    let head = head_after_rules(
        "    http-request set-header X-Greeting \"hello world\"\n    http-request del-header X-A\n    http-request add-header X-A 3",
        "",
        b"GET / HTTP/1.1\r\nHost: a\r\nX-A: 1\r\nX-A: 2\r\nX-Greeting: hi\r\n\r\n",
    );
    assert_eq!(
        head,
        "GET / HTTP/1.1\r\nhost: a\r\nx-greeting: hello world\r\nx-a: 3\r\n\r\n"
    );
}

#[test]
fn backend_rules_run_after_frontend_rules() {
    let head = head_after_rules(
        "    http-request set-header X-Greeting \"hello world\"",
        "    http-request add-header X-Order backend\n    http-request set-header X-Greeting \"from backend\"",
        b"GET / HTTP/1.1\r\nHost: a\r\nX-Greeting: hi\r\n\r\n",
    );
    assert_eq!(
        head,
        "GET / HTTP/1.1\r\nhost: a\r\nx-order: backend\r\nx-greeting: from backend\r\n\r\n"
    );
}

#[test]
fn monitor_uri_matches_the_path_exactly_for_any_method() {
    let be = HttpBackend::start("s1");
    let port = free_port();
    let lbd = LbdProcess::start(&http_config(
        port,
        "    monitor-uri /mon",
        &server_lines(&[&be], ""),
    ));
    let echo = |req: &str| {
        format!(
            "HTTP/1.1 200 OK\r\nx-served-by: s1\r\ncontent-type: text/plain\r\ncontent-length: {}\r\n\r\n{req}",
            req.len()
        )
    };
    let cases = [
        // A query string makes it another URI: the server answers.
        ("GET /mon?x=1 HTTP/1.1\r\nhost: a\r\n\r\n", None),
        ("GET /mon/ HTTP/1.1\r\nhost: a\r\n\r\n", None),
        (
            "POST /mon HTTP/1.1\r\nhost: a\r\ncontent-length: 2\r\n\r\nhi",
            Some(MONITOR_200),
        ),
    ];
    for (req, want) in cases {
        let mut c = RawClient::connect(port);
        let r = c.request(req.as_bytes());
        let want = want.map(str::to_owned).unwrap_or_else(|| echo(req));
        assert_eq!(r.raw_str(), want, "for {req:?}{}", lbd.output_hint());
    }
    assert_eq!(
        be.requests(),
        2,
        "only the two non-matching requests reach the server"
    );
}

#[test]
fn monitor_uri_matches_the_path_of_an_absolute_uri() {
    let be = HttpBackend::start("s1");
    let port = free_port();
    let lbd = LbdProcess::start(&http_config(
        port,
        "    monitor-uri /mon",
        &server_lines(&[&be], ""),
    ));
    let r = RawClient::connect(port).request(b"GET http://a/mon HTTP/1.1\r\nhost: a\r\n\r\n");
    assert_eq!(r.raw_str(), MONITOR_200, "{}", lbd.output_hint());
    assert_eq!(be.requests(), 0);
}

/// The head alone of `response`: what a HEAD request must get.
fn head_of(response: &str) -> &str {
    match response.find("\r\n\r\n") {
        Some(i) => &response[..i + 4],
        None => response,
    }
}

#[test]
fn head_requests_get_generated_responses_without_body() {
    let port = free_port();
    let frontend = "    monitor-uri /mon\n    http-request return status 200 content-type text/plain string \"hello\"";
    let lbd = LbdProcess::start(&http_config(port, frontend, "    server s1 127.0.0.1:1"));
    let return_200 =
        "HTTP/1.1 200 OK\r\ncontent-length: 5\r\ncontent-type: text/plain\r\n\r\nhello";
    for (path, full) in [("/mon", MONITOR_200), ("/other", return_200)] {
        let mut c = RawClient::connect(port);
        c.send(format!("HEAD {path} HTTP/1.1\r\nhost: a\r\n\r\n").as_bytes())
            .unwrap_or_else(|e| panic!("send: {e}"));
        // The connection stays open, so read for a moment rather than to EOF.
        let (got, _) = c.read_until_close(std::time::Duration::from_millis(300));
        assert_eq!(
            String::from_utf8_lossy(&got),
            head_of(full),
            "HEAD {path}{}",
            lbd.output_hint()
        );
    }
}
