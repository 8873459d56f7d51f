//! Equivalent proxy configurations: the same listener, one backend server, reused
//! keep-alive connections to it, the same thread count, and logging only when a benchmark
//! asks for it (to a UDP syslog sink the harness runs). lbd reads the HAProxy text
//! unchanged (it is HAProxy-compatible). The failover benchmark has its own two-server
//! config with health checks.

use std::path::Path;

/// What the proxy is asked to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Http,
    Tcp,
}

pub fn haproxy(
    mode: Mode,
    threads: usize,
    listen: u16,
    backend: u16,
    log_port: Option<u16>,
) -> String {
    // `option httplog` is HAProxy's usual HTTP log line; every request sends one datagram.
    let (global_log, defaults_log) = match log_port {
        Some(p) => (
            format!("    log 127.0.0.1:{p} local0\n"),
            "    log global\n    option httplog\n",
        ),
        None => (String::new(), ""),
    };
    let mode_lines = match mode {
        // HTTP: server-side keep-alive is HAProxy's default; `http-reuse always` matches
        // NGINX's upstream keepalive pool, which shares idle connections across clients.
        Mode::Http => "    mode http\n    option http-keep-alive\n    http-reuse always\n",
        Mode::Tcp => "    mode tcp\n",
    };
    format!(
        "global
    nbthread {threads}
    maxconn 4096
{global_log}
defaults
{mode_lines}{defaults_log}    timeout connect 5s
    timeout client 30s
    timeout server 30s

frontend fe
    bind 127.0.0.1:{listen}
    default_backend be

backend be
    server s1 127.0.0.1:{backend}
"
    )
}

/// Two servers behind health checks, for the failover benchmark. `retries 0`: a request
/// sent to the dead server fails at once with a 503 instead of waiting out HAProxy's
/// one-second retry turn-around, so the errors clients see end exactly when the check
/// marks the server DOWN; no `option redispatch` for the same reason. The state-change
/// lines ("Server be/s1 is DOWN") go to the sink at `notice` and above, so the harness
/// timestamps the DOWN decision without any per-request log traffic.
pub fn haproxy_failover(listen: u16, servers: [u16; 2], inter_ms: u64, log_port: u16) -> String {
    let [s1, s2] = servers;
    let chk = format!("check inter {inter_ms}ms fall 2 rise 2");
    format!(
        "global
    nbthread 1
    maxconn 4096
    log 127.0.0.1:{log_port} local0 notice

defaults
    mode http
    log global
    option http-keep-alive
    retries 0
    timeout connect 1s
    timeout client 30s
    timeout server 5s

frontend fe
    bind 127.0.0.1:{listen}
    default_backend be

backend be
    balance roundrobin
    server s1 127.0.0.1:{s1} {chk}
    server s2 127.0.0.1:{s2} {chk}
"
    )
}

/// NGINX needs writable paths for its pid and temp files; they all go under `dir`.
/// `log_port` sends the access log (its default `combined` format) to the syslog sink.
pub fn nginx(
    mode: Mode,
    threads: usize,
    listen: u16,
    backend: u16,
    dir: &Path,
    stream_module: Option<&Path>,
    log_port: Option<u16>,
) -> String {
    let access_log = match log_port {
        Some(p) => format!("access_log syslog:server=127.0.0.1:{p},facility=local0;"),
        None => "access_log off;".to_string(),
    };
    let d = dir.display();
    let head = format!(
        "{load}daemon off;
master_process on;
user root;
worker_processes {threads};
pid {d}/nginx.pid;
error_log {d}/nginx-error.log warn;
worker_rlimit_nofile 10000;
events {{ worker_connections 4096; multi_accept on; }}
",
        load = stream_module
            .map(|m| format!("load_module {};\n", m.display()))
            .unwrap_or_default(),
    );
    let body = match mode {
        Mode::Http => format!(
            "http {{
    {access_log}
    client_body_temp_path {d}/body;
    proxy_temp_path {d}/proxy;
    fastcgi_temp_path {d}/fastcgi;
    uwsgi_temp_path {d}/uwsgi;
    scgi_temp_path {d}/scgi;
    keepalive_requests 1000000;
    upstream be {{
        server 127.0.0.1:{backend};
        keepalive 256;
        keepalive_requests 1000000;
    }}
    server {{
        listen 127.0.0.1:{listen};
        location / {{
            proxy_pass http://be;
            proxy_http_version 1.1;
            proxy_set_header Connection \"\";
        }}
    }}
}}
"
        ),
        Mode::Tcp => format!(
            "stream {{
    upstream be {{ server 127.0.0.1:{backend}; }}
    server {{
        listen 127.0.0.1:{listen};
        proxy_pass be;
        proxy_half_close on;
    }}
}}
"
        ),
    };
    head + &body
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn haproxy_config_names_ports_threads_and_mode() {
        let c = haproxy(Mode::Tcp, 2, 8001, 9001, None);
        assert!(c.contains("nbthread 2"));
        assert!(c.contains("mode tcp"));
        assert!(c.contains("bind 127.0.0.1:8001"));
        assert!(c.contains("server s1 127.0.0.1:9001"));
        assert!(!c.contains("log"));
    }

    #[test]
    fn logging_variant_sends_httplog_to_the_sink() {
        let c = haproxy(Mode::Http, 1, 8001, 9001, Some(5140));
        assert!(c.contains("log 127.0.0.1:5140 local0\n"));
        assert!(c.contains("option httplog"));
        let n = nginx(Mode::Http, 1, 8001, 9001, Path::new("/x"), None, Some(5140));
        assert!(n.contains("access_log syslog:server=127.0.0.1:5140"));
    }

    #[test]
    fn failover_config_checks_both_servers_without_retries() {
        let c = haproxy_failover(8001, [9001, 9002], 100, 5140);
        assert!(c.contains("server s1 127.0.0.1:9001 check inter 100ms fall 2 rise 2"));
        assert!(c.contains("server s2 127.0.0.1:9002 check inter 100ms fall 2 rise 2"));
        assert!(c.contains("retries 0"));
        assert!(c.contains("local0 notice"));
    }

    #[test]
    fn nginx_http_config_keeps_upstream_connections_alive() {
        let c = nginx(Mode::Http, 1, 8001, 9001, Path::new("/tmp/x"), None, None);
        assert!(c.contains("keepalive 256;"));
        assert!(c.contains("proxy_http_version 1.1;"));
        assert!(c.contains("proxy_set_header Connection \"\";"));
        assert!(!c.contains("load_module"));
    }
}
