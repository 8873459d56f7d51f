//! Equivalent proxy configurations: the same listener, one backend server, reused
//! keep-alive connections to it, no logging, the same thread count. lbd reads the HAProxy
//! text unchanged (it is HAProxy-compatible).

use std::path::Path;

/// What the proxy is asked to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Http,
    Tcp,
}

pub fn haproxy(mode: Mode, threads: usize, listen: u16, backend: u16) -> String {
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

defaults
{mode_lines}    timeout connect 5s
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

/// NGINX needs writable paths for its pid and temp files; they all go under `dir`.
pub fn nginx(
    mode: Mode,
    threads: usize,
    listen: u16,
    backend: u16,
    dir: &Path,
    stream_module: Option<&Path>,
) -> String {
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
    access_log off;
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
        let c = haproxy(Mode::Tcp, 2, 8001, 9001);
        assert!(c.contains("nbthread 2"));
        assert!(c.contains("mode tcp"));
        assert!(c.contains("bind 127.0.0.1:8001"));
        assert!(c.contains("server s1 127.0.0.1:9001"));
    }

    #[test]
    fn nginx_http_config_keeps_upstream_connections_alive() {
        let c = nginx(Mode::Http, 1, 8001, 9001, Path::new("/tmp/x"), None);
        assert!(c.contains("keepalive 256;"));
        assert!(c.contains("proxy_http_version 1.1;"));
        assert!(c.contains("proxy_set_header Connection \"\";"));
        assert!(!c.contains("load_module"));
    }
}
