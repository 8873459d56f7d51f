//! The built-in Prometheus exporter (`http-request use-service
//! prometheus-exporter`): 2.6's metric families (names, HELP texts, types
//! and labels captured from 2.6.12's promex), in text exposition format
//! 0.0.4, with values read from the same rows as `show stat` and `show
//! info`. Families with no object to report print nothing, not even their
//! HELP line, as in 2.6. Stick-table families come with stick tables.

use super::fields::{f, Val};
use super::stat::{collect, Kind, Row, StatRequest};
use crate::runtime::Runtime;
use std::collections::HashMap;
use std::fmt::Write;

/// Which object families a scrape asks for (`?scope=...`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scrape {
    pub global: bool,
    pub frontend: bool,
    pub backend: bool,
    pub server: bool,
    /// `no-maint`: servers in maintenance are left out.
    pub no_maint: bool,
}

impl Scrape {
    /// Parses the query string: every `scope=` adds a family, an empty one
    /// clears the set, `*` selects all; without any `scope`, all.
    pub fn parse(query: &str) -> Scrape {
        let mut s = Scrape {
            global: true,
            frontend: true,
            backend: true,
            server: true,
            no_maint: false,
        };
        let mut first_scope = true;
        for kv in query.split('&') {
            let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
            match k {
                "scope" => {
                    if first_scope || v.is_empty() {
                        s.global = false;
                        s.frontend = false;
                        s.backend = false;
                        s.server = false;
                        first_scope = false;
                    }
                    match v {
                        "global" => s.global = true,
                        "frontend" => s.frontend = true,
                        "backend" => s.backend = true,
                        "server" => s.server = true,
                        "*" => {
                            s.global = true;
                            s.frontend = true;
                            s.backend = true;
                            s.server = true;
                        }
                        _ => {}
                    }
                }
                "no-maint" => s.no_maint = true,
                _ => {}
            }
        }
        s
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum MetricType {
    G,
    C,
}
use MetricType::{C, G};

/// Every family 2.6.12 prints, in its order: full name, type, HELP text.
static FAMILIES: &[(&str, MetricType, &str)] = &[
    ("haproxy_process_nbthread", G, "Number of started threads (global.nbthread)"),
    ("haproxy_process_nbproc", G, "Number of started worker processes (historical, always 1)"),
    ("haproxy_process_relative_process_id", G, "Relative worker process number (1)"),
    ("haproxy_process_uptime_seconds", G, "How long ago this worker process was started (seconds)"),
    ("haproxy_process_pool_failures_total", C, "Number of failed pool allocations since this worker was started"),
    ("haproxy_process_max_fds", G, "Hard limit on the number of per-process file descriptors"),
    ("haproxy_process_max_sockets", G, "Hard limit on the number of per-process sockets"),
    ("haproxy_process_max_connections", G, "Hard limit on the number of per-process connections (configured or imposed by Ulimit-n)"),
    ("haproxy_process_hard_max_connections", G, "Hard limit on the number of per-process connections (imposed by Memmax_MB or Ulimit-n)"),
    ("haproxy_process_current_connections", G, "Current number of connections on this worker process"),
    ("haproxy_process_connections_total", C, "Total number of connections on this worker process since started"),
    ("haproxy_process_requests_total", C, "Total number of requests on this worker process since started"),
    ("haproxy_process_max_ssl_connections", G, "Hard limit on the number of per-process SSL endpoints (front+back), 0=unlimited"),
    ("haproxy_process_current_ssl_connections", G, "Current number of SSL endpoints on this worker process (front+back)"),
    ("haproxy_process_ssl_connections_total", C, "Total number of SSL endpoints on this worker process since started (front+back)"),
    ("haproxy_process_max_pipes", G, "Hard limit on the number of pipes for splicing, 0=unlimited"),
    ("haproxy_process_pipes_used_total", C, "Current number of pipes in use in this worker process"),
    ("haproxy_process_pipes_free_total", C, "Current number of allocated and available pipes in this worker process"),
    ("haproxy_process_current_connection_rate", G, "Number of front connections created on this worker process over the last second"),
    ("haproxy_process_limit_connection_rate", G, "Hard limit for ConnRate (global.maxconnrate)"),
    ("haproxy_process_max_connection_rate", G, "Highest ConnRate reached on this worker process since started (in connections per second)"),
    ("haproxy_process_current_session_rate", G, "Number of sessions created on this worker process over the last second"),
    ("haproxy_process_limit_session_rate", G, "Hard limit for SessRate (global.maxsessrate)"),
    ("haproxy_process_max_session_rate", G, "Highest SessRate reached on this worker process since started (in sessions per second)"),
    ("haproxy_process_current_ssl_rate", G, "Number of SSL connections created on this worker process over the last second"),
    ("haproxy_process_limit_ssl_rate", G, "Hard limit for SslRate (global.maxsslrate)"),
    ("haproxy_process_max_ssl_rate", G, "Highest SslRate reached on this worker process since started (in connections per second)"),
    ("haproxy_process_current_frontend_ssl_key_rate", G, "Number of SSL keys created on frontends in this worker process over the last second"),
    ("haproxy_process_max_frontend_ssl_key_rate", G, "Highest SslFrontendKeyRate reached on this worker process since started (in SSL keys per second)"),
    ("haproxy_process_frontend_ssl_reuse", G, "Percent of frontend SSL connections which did not require a new key"),
    ("haproxy_process_current_backend_ssl_key_rate", G, "Number of SSL keys created on backends in this worker process over the last second"),
    ("haproxy_process_max_backend_ssl_key_rate", G, "Highest SslBackendKeyRate reached on this worker process since started (in SSL keys per second)"),
    ("haproxy_process_ssl_cache_lookups_total", C, "Total number of SSL session ID lookups in the SSL session cache on this worker since started"),
    ("haproxy_process_ssl_cache_misses_total", C, "Total number of SSL session ID lookups that didn't find a session in the SSL session cache on this worker since started"),
    ("haproxy_process_http_comp_bytes_in_total", C, "Number of bytes submitted to the HTTP compressor in this worker process over the last second"),
    ("haproxy_process_http_comp_bytes_out_total", C, "Number of bytes emitted by the HTTP compressor in this worker process over the last second"),
    ("haproxy_process_limit_http_comp", G, "Limit of CompressBpsOut beyond which HTTP compression is automatically disabled"),
    ("haproxy_process_current_zlib_memory", G, "Amount of memory currently used by HTTP compression on the current worker process (in bytes)"),
    ("haproxy_process_max_zlib_memory", G, "Limit on the amount of memory used by HTTP compression above which it is automatically disabled (in bytes, see global.maxzlibmem)"),
    ("haproxy_process_current_tasks", G, "Total number of tasks in the current worker process (active + sleeping)"),
    ("haproxy_process_current_run_queue", G, "Total number of active tasks+tasklets in the current worker process"),
    ("haproxy_process_idle_time_percent", G, "Percentage of last second spent waiting in the current worker thread"),
    ("haproxy_process_stopping", G, "1 if the worker process is currently stopping, otherwise zero"),
    ("haproxy_process_jobs", G, "Current number of active jobs on the current worker process (frontend connections, master connections, listeners)"),
    ("haproxy_process_unstoppable_jobs", G, "Current number of unstoppable jobs on the current worker process (master connections)"),
    ("haproxy_process_listeners", G, "Current number of active listeners on the current worker process"),
    ("haproxy_process_active_peers", G, "Current number of verified active peers connections on the current worker process"),
    ("haproxy_process_connected_peers", G, "Current number of peers having passed the connection step on the current worker process"),
    ("haproxy_process_dropped_logs_total", C, "Total number of dropped logs for current worker process since started"),
    ("haproxy_process_busy_polling_enabled", G, "1 if busy-polling is currently in use on the worker process, otherwise zero (config.busy-polling)"),
    ("haproxy_process_failed_resolutions", C, "Total number of failed DNS resolutions in current worker process since started"),
    ("haproxy_process_bytes_out_total", C, "Total number of bytes emitted by current worker process since started"),
    ("haproxy_process_spliced_bytes_out_total", C, "Total number of bytes emitted by current worker process through a kernel pipe since started"),
    ("haproxy_process_bytes_out_rate", G, "Number of bytes emitted by current worker process over the last second"),
    ("haproxy_process_recv_logs_total", C, "Total number of log messages received by log-forwarding listeners on this worker process since started"),
    ("haproxy_process_build_info", G, "Build info"),
    ("haproxy_process_max_memory_bytes", G, "Worker process's hard limit on memory usage in byes (-m on command line)"),
    ("haproxy_process_pool_allocated_bytes", G, "Amount of memory allocated in pools (in bytes)"),
    ("haproxy_process_pool_used_bytes", G, "Amount of pool memory currently used (in bytes)"),
    ("haproxy_process_start_time_seconds", G, "Start time in seconds"),
    ("haproxy_frontend_current_sessions", G, "Number of current sessions on the frontend, backend or server"),
    ("haproxy_frontend_max_sessions", G, "Highest value of current sessions encountered since process started"),
    ("haproxy_frontend_limit_sessions", G, "Frontend/listener/server's maxconn, backend's fullconn"),
    ("haproxy_frontend_sessions_total", C, "Total number of sessions since process started"),
    ("haproxy_frontend_bytes_in_total", C, "Total number of request bytes since process started"),
    ("haproxy_frontend_bytes_out_total", C, "Total number of response bytes since process started"),
    ("haproxy_frontend_requests_denied_total", C, "Total number of denied requests since process started"),
    ("haproxy_frontend_responses_denied_total", C, "Total number of denied responses since process started"),
    ("haproxy_frontend_request_errors_total", C, "Total number of invalid requests since process started"),
    ("haproxy_frontend_status", G, "Current status of the service, per state label value."),
    ("haproxy_frontend_limit_session_rate", G, "Limit on the number of sessions accepted in a second (frontend only, 'rate-limit sessions' setting)"),
    ("haproxy_frontend_max_session_rate", G, "Highest value of sessions per second observed since the worker process started"),
    ("haproxy_frontend_http_responses_total", C, "Total number of HTTP responses with status 100-199 returned by this object since the worker process started"),
    ("haproxy_frontend_http_requests_rate_max", G, "Highest value of http requests observed since the worker process started"),
    ("haproxy_frontend_http_requests_total", C, "Total number of HTTP requests processed by this object since the worker process started"),
    ("haproxy_frontend_http_comp_bytes_in_total", C, "Total number of bytes submitted to the HTTP compressor for this object since the worker process started"),
    ("haproxy_frontend_http_comp_bytes_out_total", C, "Total number of bytes emitted by the HTTP compressor for this object since the worker process started"),
    ("haproxy_frontend_http_comp_bytes_bypassed_total", C, "Total number of bytes that bypassed HTTP compression for this object since the worker process started (CPU/memory/bandwidth limitation)"),
    ("haproxy_frontend_http_comp_responses_total", C, "Total number of HTTP responses that were compressed for this object since the worker process started"),
    ("haproxy_frontend_connections_rate_max", G, "Highest value of connections per second observed since the worker process started"),
    ("haproxy_frontend_connections_total", C, "Total number of new connections accepted on this frontend since the worker process started"),
    ("haproxy_frontend_intercepted_requests_total", C, "Total number of HTTP requests intercepted on the frontend (redirects/stats/services) since the worker process started"),
    ("haproxy_frontend_denied_connections_total", C, "Total number of incoming connections blocked on a listener/frontend by a tcp-request connection rule since the worker process started"),
    ("haproxy_frontend_denied_sessions_total", C, "Total number of incoming sessions blocked on a listener/frontend by a tcp-request connection rule since the worker process started"),
    ("haproxy_frontend_failed_header_rewriting_total", C, "Total number of failed HTTP header rewrites since the worker process started"),
    ("haproxy_frontend_http_cache_lookups_total", C, "Total number of HTTP requests looked up in the cache on this frontend/backend since the worker process started"),
    ("haproxy_frontend_http_cache_hits_total", C, "Total number of HTTP requests not found in the cache on this frontend/backend since the worker process started"),
    ("haproxy_frontend_internal_errors_total", C, "Total number of internal errors since process started"),
    ("haproxy_backend_current_queue", G, "Number of current queued connections"),
    ("haproxy_backend_max_queue", G, "Highest value of queued connections encountered since process started"),
    ("haproxy_backend_current_sessions", G, "Number of current sessions on the frontend, backend or server"),
    ("haproxy_backend_max_sessions", G, "Highest value of current sessions encountered since process started"),
    ("haproxy_backend_limit_sessions", G, "Frontend/listener/server's maxconn, backend's fullconn"),
    ("haproxy_backend_sessions_total", C, "Total number of sessions since process started"),
    ("haproxy_backend_bytes_in_total", C, "Total number of request bytes since process started"),
    ("haproxy_backend_bytes_out_total", C, "Total number of response bytes since process started"),
    ("haproxy_backend_requests_denied_total", C, "Total number of denied requests since process started"),
    ("haproxy_backend_responses_denied_total", C, "Total number of denied responses since process started"),
    ("haproxy_backend_connection_errors_total", C, "Total number of failed connections to server since the worker process started"),
    ("haproxy_backend_response_errors_total", C, "Total number of invalid responses since the worker process started"),
    ("haproxy_backend_retry_warnings_total", C, "Total number of server connection retries since the worker process started"),
    ("haproxy_backend_redispatch_warnings_total", C, "Total number of server redispatches due to connection failures since the worker process started"),
    ("haproxy_backend_status", G, "Current status of the service, per state label value."),
    ("haproxy_backend_weight", G, "Server's effective weight, or sum of active servers' effective weights for a backend"),
    ("haproxy_backend_active_servers", G, "Total number of active UP servers with a non-zero weight"),
    ("haproxy_backend_backup_servers", G, "Total number of backup UP servers with a non-zero weight"),
    ("haproxy_backend_check_up_down_total", C, "Total number of failed checks causing UP to DOWN server transitions, per server/backend, since the worker process started"),
    ("haproxy_backend_check_last_change_seconds", G, "How long ago the last server state changed, in seconds"),
    ("haproxy_backend_downtime_seconds_total", C, "Total time spent in DOWN state, for server or backend"),
    ("haproxy_backend_loadbalanced_total", C, "Total number of requests routed by load balancing since the worker process started (ignores queue pop and stickiness)"),
    ("haproxy_backend_max_session_rate", G, "Highest value of sessions per second observed since the worker process started"),
    ("haproxy_backend_http_responses_total", C, "Total number of HTTP responses with status 100-199 returned by this object since the worker process started"),
    ("haproxy_backend_http_requests_total", C, "Total number of HTTP requests processed by this object since the worker process started"),
    ("haproxy_backend_client_aborts_total", C, "Total number of requests or connections aborted by the client since the worker process started"),
    ("haproxy_backend_server_aborts_total", C, "Total number of requests or connections aborted by the server since the worker process started"),
    ("haproxy_backend_http_comp_bytes_in_total", C, "Total number of bytes submitted to the HTTP compressor for this object since the worker process started"),
    ("haproxy_backend_http_comp_bytes_out_total", C, "Total number of bytes emitted by the HTTP compressor for this object since the worker process started"),
    ("haproxy_backend_http_comp_bytes_bypassed_total", C, "Total number of bytes that bypassed HTTP compression for this object since the worker process started (CPU/memory/bandwidth limitation)"),
    ("haproxy_backend_http_comp_responses_total", C, "Total number of HTTP responses that were compressed for this object since the worker process started"),
    ("haproxy_backend_last_session_seconds", G, "How long ago some traffic was seen on this object on this worker process, in seconds"),
    ("haproxy_backend_queue_time_average_seconds", G, "Avg. queue time for last 1024 successful connections."),
    ("haproxy_backend_connect_time_average_seconds", G, "Avg. connect time for last 1024 successful connections."),
    ("haproxy_backend_response_time_average_seconds", G, "Avg. response time for last 1024 successful connections."),
    ("haproxy_backend_total_time_average_seconds", G, "Avg. total time for last 1024 successful connections."),
    ("haproxy_backend_failed_header_rewriting_total", C, "Total number of failed HTTP header rewrites since the worker process started"),
    ("haproxy_backend_connection_attempts_total", C, "Total number of outgoing connection attempts on this backend/server since the worker process started"),
    ("haproxy_backend_connection_reuses_total", C, "Total number of reused connection on this backend/server since the worker process started"),
    ("haproxy_backend_http_cache_lookups_total", C, "Total number of HTTP requests looked up in the cache on this frontend/backend since the worker process started"),
    ("haproxy_backend_http_cache_hits_total", C, "Total number of HTTP requests not found in the cache on this frontend/backend since the worker process started"),
    ("haproxy_backend_max_queue_time_seconds", G, "Maximum observed time spent in the queue"),
    ("haproxy_backend_max_connect_time_seconds", G, "Maximum observed time spent waiting for a connection to complete"),
    ("haproxy_backend_max_response_time_seconds", G, "Maximum observed time spent waiting for a server response"),
    ("haproxy_backend_max_total_time_seconds", G, "Maximum observed total request+response time (request+queue+connect+response+processing)"),
    ("haproxy_backend_internal_errors_total", C, "Total number of internal errors since process started"),
    ("haproxy_backend_uweight", G, "Server's user weight, or sum of active servers' user weights for a backend"),
    ("haproxy_backend_agg_server_status", G, "Backend's aggregated gauge of servers' status"),
    ("haproxy_backend_agg_server_check_status", G, "Backend's aggregated gauge of servers' state check status"),
    ("haproxy_backend_agg_check_status", G, "Backend's aggregated gauge of servers' state check status"),
    ("haproxy_server_current_queue", G, "Number of current queued connections"),
    ("haproxy_server_max_queue", G, "Highest value of queued connections encountered since process started"),
    ("haproxy_server_current_sessions", G, "Number of current sessions on the frontend, backend or server"),
    ("haproxy_server_max_sessions", G, "Highest value of current sessions encountered since process started"),
    ("haproxy_server_limit_sessions", G, "Frontend/listener/server's maxconn, backend's fullconn"),
    ("haproxy_server_sessions_total", C, "Total number of sessions since process started"),
    ("haproxy_server_bytes_in_total", C, "Total number of request bytes since process started"),
    ("haproxy_server_bytes_out_total", C, "Total number of response bytes since process started"),
    ("haproxy_server_responses_denied_total", C, "Total number of denied responses since process started"),
    ("haproxy_server_connection_errors_total", C, "Total number of failed connections to server since the worker process started"),
    ("haproxy_server_response_errors_total", C, "Total number of invalid responses since the worker process started"),
    ("haproxy_server_retry_warnings_total", C, "Total number of server connection retries since the worker process started"),
    ("haproxy_server_redispatch_warnings_total", C, "Total number of server redispatches due to connection failures since the worker process started"),
    ("haproxy_server_status", G, "Current status of the service, per state label value."),
    ("haproxy_server_weight", G, "Server's effective weight, or sum of active servers' effective weights for a backend"),
    ("haproxy_server_check_failures_total", C, "Total number of failed individual health checks per server/backend, since the worker process started"),
    ("haproxy_server_check_up_down_total", C, "Total number of failed checks causing UP to DOWN server transitions, per server/backend, since the worker process started"),
    ("haproxy_server_check_last_change_seconds", G, "How long ago the last server state changed, in seconds"),
    ("haproxy_server_downtime_seconds_total", C, "Total time spent in DOWN state, for server or backend"),
    ("haproxy_server_queue_limit", G, "Limit on the number of connections in queue, for servers only (maxqueue argument)"),
    ("haproxy_server_current_throttle", G, "Throttling ratio applied to a server's maxconn and weight during the slowstart period (0 to 100%)"),
    ("haproxy_server_loadbalanced_total", C, "Total number of requests routed by load balancing since the worker process started (ignores queue pop and stickiness)"),
    ("haproxy_server_max_session_rate", G, "Highest value of sessions per second observed since the worker process started"),
    ("haproxy_server_check_status", G, "Status of last health check, per state label value."),
    ("haproxy_server_check_code", G, "layer5-7 code, if available of the last health check."),
    ("haproxy_server_check_duration_seconds", G, "Total duration of the latest server health check, in seconds."),
    ("haproxy_server_http_responses_total", C, "Total number of HTTP responses with status 100-199 returned by this object since the worker process started"),
    ("haproxy_server_client_aborts_total", C, "Total number of requests or connections aborted by the client since the worker process started"),
    ("haproxy_server_server_aborts_total", C, "Total number of requests or connections aborted by the server since the worker process started"),
    ("haproxy_server_last_session_seconds", G, "How long ago some traffic was seen on this object on this worker process, in seconds"),
    ("haproxy_server_queue_time_average_seconds", G, "Avg. queue time for last 1024 successful connections."),
    ("haproxy_server_connect_time_average_seconds", G, "Avg. connect time for last 1024 successful connections."),
    ("haproxy_server_response_time_average_seconds", G, "Avg. response time for last 1024 successful connections."),
    ("haproxy_server_total_time_average_seconds", G, "Avg. total time for last 1024 successful connections."),
    ("haproxy_server_failed_header_rewriting_total", C, "Total number of failed HTTP header rewrites since the worker process started"),
    ("haproxy_server_connection_attempts_total", C, "Total number of outgoing connection attempts on this backend/server since the worker process started"),
    ("haproxy_server_connection_reuses_total", C, "Total number of reused connection on this backend/server since the worker process started"),
    ("haproxy_server_idle_connections_current", G, "Current number of idle connections available for reuse on this server"),
    ("haproxy_server_idle_connections_limit", G, "Limit on the number of available idle connections on this server (server 'pool_max_conn' directive)"),
    ("haproxy_server_max_queue_time_seconds", G, "Maximum observed time spent in the queue"),
    ("haproxy_server_max_connect_time_seconds", G, "Maximum observed time spent waiting for a connection to complete"),
    ("haproxy_server_max_response_time_seconds", G, "Maximum observed time spent waiting for a server response"),
    ("haproxy_server_max_total_time_seconds", G, "Maximum observed total request+response time (request+queue+connect+response+processing)"),
    ("haproxy_server_internal_errors_total", C, "Total number of internal errors since process started"),
    ("haproxy_server_unsafe_idle_connections_current", G, "Current number of unsafe idle connections"),
    ("haproxy_server_safe_idle_connections_current", G, "Current number of safe idle connections"),
    ("haproxy_server_used_connections_current", G, "Current number of connections in use"),
    ("haproxy_server_need_connections_current", G, "Estimated needed number of connections"),
    ("haproxy_server_uweight", G, "Server's user weight, or sum of active servers' user weights for a backend"),
];

/// Family name suffix (after `haproxy_<object>_`) -> `show stat` field.
static STAT_FIELD: &[(&str, usize)] = &[
    ("current_queue", f::QCUR),
    ("max_queue", f::QMAX),
    ("current_sessions", f::SCUR),
    ("max_sessions", f::SMAX),
    ("limit_sessions", f::SLIM),
    ("sessions_total", f::STOT),
    ("bytes_in_total", f::BIN),
    ("bytes_out_total", f::BOUT),
    ("requests_denied_total", f::DREQ),
    ("responses_denied_total", f::DRESP),
    ("request_errors_total", f::EREQ),
    ("connection_errors_total", f::ECON),
    ("response_errors_total", f::ERESP),
    ("retry_warnings_total", f::WRETR),
    ("redispatch_warnings_total", f::WREDIS),
    ("weight", f::WEIGHT),
    ("active_servers", f::ACT),
    ("backup_servers", f::BCK),
    ("check_failures_total", f::CHKFAIL),
    ("check_up_down_total", f::CHKDOWN),
    ("check_last_change_seconds", f::LASTCHG),
    ("downtime_seconds_total", f::DOWNTIME),
    ("queue_limit", f::QLIMIT),
    ("current_throttle", f::THROTTLE),
    ("loadbalanced_total", f::LBTOT),
    ("limit_session_rate", f::RATE_LIM),
    ("max_session_rate", f::RATE_MAX),
    ("check_status", f::CHECK_STATUS),
    ("check_code", f::CHECK_CODE),
    ("check_duration_seconds", f::CHECK_DURATION),
    ("http_requests_rate_max", f::REQ_RATE_MAX),
    ("http_requests_total", f::REQ_TOT),
    ("client_aborts_total", f::CLI_ABRT),
    ("server_aborts_total", f::SRV_ABRT),
    ("http_comp_bytes_in_total", f::COMP_IN),
    ("http_comp_bytes_out_total", f::COMP_OUT),
    ("http_comp_bytes_bypassed_total", f::COMP_BYP),
    ("http_comp_responses_total", f::COMP_RSP),
    ("last_session_seconds", f::LASTSESS),
    ("queue_time_average_seconds", f::QTIME),
    ("connect_time_average_seconds", f::CTIME),
    ("response_time_average_seconds", f::RTIME),
    ("total_time_average_seconds", f::TTIME),
    ("connections_rate_max", f::CONN_RATE_MAX),
    ("connections_total", f::CONN_TOT),
    ("intercepted_requests_total", f::INTERCEPTED),
    ("denied_connections_total", f::DCON),
    ("denied_sessions_total", f::DSES),
    ("failed_header_rewriting_total", f::WREW),
    ("connection_attempts_total", f::CONNECT),
    ("connection_reuses_total", f::REUSE),
    ("http_cache_lookups_total", f::CACHE_LOOKUPS),
    ("http_cache_hits_total", f::CACHE_HITS),
    ("idle_connections_current", f::SRV_ICUR),
    ("idle_connections_limit", f::SRC_ILIM),
    ("max_queue_time_seconds", f::QTIME_MAX),
    ("max_connect_time_seconds", f::CTIME_MAX),
    ("max_response_time_seconds", f::RTIME_MAX),
    ("max_total_time_seconds", f::TTIME_MAX),
    ("internal_errors_total", f::EINT),
    ("unsafe_idle_connections_current", f::IDLE_CONN_CUR),
    ("safe_idle_connections_current", f::SAFE_CONN_CUR),
    ("used_connections_current", f::USED_CONN_CUR),
    ("need_connections_current", f::NEED_CONN_EST),
    ("uweight", f::UWEIGHT),
];

/// Process family suffix -> `show info` field name.
static INFO_NAME: &[(&str, &str)] = &[
    ("nbthread", "Nbthread"),
    ("nbproc", "Nbproc"),
    ("relative_process_id", "Process_num"),
    ("uptime_seconds", "Uptime_sec"),
    ("pool_failures_total", "PoolFailed"),
    ("max_fds", "Ulimit-n"),
    ("max_sockets", "Maxsock"),
    ("max_connections", "Maxconn"),
    ("hard_max_connections", "Hard_maxconn"),
    ("current_connections", "CurrConns"),
    ("connections_total", "CumConns"),
    ("requests_total", "CumReq"),
    ("max_ssl_connections", "MaxSslConns"),
    ("current_ssl_connections", "CurrSslConns"),
    ("ssl_connections_total", "CumSslConns"),
    ("max_pipes", "Maxpipes"),
    ("pipes_used_total", "PipesUsed"),
    ("pipes_free_total", "PipesFree"),
    ("current_connection_rate", "ConnRate"),
    ("limit_connection_rate", "ConnRateLimit"),
    ("max_connection_rate", "MaxConnRate"),
    ("current_session_rate", "SessRate"),
    ("limit_session_rate", "SessRateLimit"),
    ("max_session_rate", "MaxSessRate"),
    ("current_ssl_rate", "SslRate"),
    ("limit_ssl_rate", "SslRateLimit"),
    ("max_ssl_rate", "MaxSslRate"),
    ("current_frontend_ssl_key_rate", "SslFrontendKeyRate"),
    ("max_frontend_ssl_key_rate", "SslFrontendMaxKeyRate"),
    ("frontend_ssl_reuse", "SslFrontendSessionReuse_pct"),
    ("current_backend_ssl_key_rate", "SslBackendKeyRate"),
    ("max_backend_ssl_key_rate", "SslBackendMaxKeyRate"),
    ("ssl_cache_lookups_total", "SslCacheLookups"),
    ("ssl_cache_misses_total", "SslCacheMisses"),
    ("http_comp_bytes_in_total", "CompressBpsIn"),
    ("http_comp_bytes_out_total", "CompressBpsOut"),
    ("limit_http_comp", "CompressBpsRateLim"),
    ("current_zlib_memory", "ZlibMemUsage"),
    ("max_zlib_memory", "MaxZlibMemUsage"),
    ("current_tasks", "Tasks"),
    ("current_run_queue", "Run_queue"),
    ("idle_time_percent", "Idle_pct"),
    ("stopping", "Stopping"),
    ("jobs", "Jobs"),
    ("unstoppable_jobs", "Unstoppable Jobs"),
    ("listeners", "Listeners"),
    ("active_peers", "ActivePeers"),
    ("connected_peers", "ConnectedPeers"),
    ("dropped_logs_total", "DroppedLogs"),
    ("busy_polling_enabled", "BusyPolling"),
    ("failed_resolutions", "FailedResolutions"),
    ("bytes_out_total", "TotalBytesOut"),
    ("spliced_bytes_out_total", "TotalSplicdedBytesOut"),
    ("bytes_out_rate", "BytesOutRate"),
    ("recv_logs_total", "CumRecvLogs"),
    ("max_memory_bytes", "Memmax_bytes"),
    ("pool_allocated_bytes", "PoolAlloc_bytes"),
    ("pool_used_bytes", "PoolUsed_bytes"),
    ("start_time_seconds", "Start_time_sec"),
];

const CODES: [(&str, usize); 6] = [
    ("1xx", f::HRSP_1XX),
    ("2xx", f::HRSP_2XX),
    ("3xx", f::HRSP_3XX),
    ("4xx", f::HRSP_4XX),
    ("5xx", f::HRSP_5XX),
    ("other", f::HRSP_OTHER),
];

const SRV_STATES: [&str; 5] = ["DOWN", "UP", "MAINT", "DRAIN", "NOLB"];

const CHECK_STATES: [&str; 16] = [
    "HANA", "SOCKERR", "L4OK", "L4TOUT", "L4CON", "L6OK", "L6TOUT", "L6RSP", "L7TOUT", "L7RSP",
    "L7OK", "L7OKC", "L7STS", "PROCERR", "PROCTOUT", "PROCOK",
];

/// Families that only HTTP proxies report.
fn http_only(suffix: &str) -> bool {
    suffix.starts_with("http_") || suffix == "intercepted_requests_total"
}

/// Families whose value is a duration in ms printed in seconds.
fn in_seconds(suffix: &str) -> bool {
    suffix.ends_with("_time_average_seconds")
        || (suffix.starts_with("max_") && suffix.ends_with("_time_seconds"))
        || suffix == "check_duration_seconds"
}

/// The complete response to a scrape whose query string is `query`.
pub fn respond(rt: &Runtime, query: &str) -> Vec<u8> {
    let mut body = String::new();
    render(rt, Scrape::parse(query), &mut body);
    let mut out = String::with_capacity(body.len() + 128);
    out.push_str("HTTP/1.1 200 OK\r\ncache-control: no-cache\r\ncontent-type: text/plain; version=0.0.4\r\ntransfer-encoding: chunked\r\n\r\n");
    super::page::chunked(&mut out, &body);
    out.into_bytes()
}

/// The exposition text for `scrape`.
pub fn render(rt: &Runtime, scrape: Scrape, out: &mut String) {
    let rows = collect(rt, &StatRequest::default()).unwrap_or_default();
    let info = if scrape.global {
        info_values(rt)
    } else {
        HashMap::new()
    };
    let mut lines = String::new();
    for &(name, ty, help) in FAMILIES {
        lines.clear();
        if let Some(s) = name.strip_prefix("haproxy_process_") {
            if scrape.global {
                process_line(name, s, &info, &mut lines);
            }
        } else if let Some(s) = name.strip_prefix("haproxy_frontend_") {
            if scrape.frontend {
                proxy_lines(name, s, Kind::Frontend, &rows, &mut lines);
            }
        } else if let Some(s) = name.strip_prefix("haproxy_backend_") {
            if scrape.backend {
                backend_lines(rt, name, s, &rows, &mut lines);
            }
        } else if let Some(s) = name.strip_prefix("haproxy_server_") {
            if scrape.server {
                server_lines(name, s, &rows, scrape.no_maint, &mut lines);
            }
        }
        if lines.is_empty() {
            continue;
        }
        let kind = match ty {
            G => "gauge",
            C => "counter",
        };
        let _ = write!(out, "# HELP {name} {help}\n# TYPE {name} {kind}\n");
        out.push_str(&lines);
    }
}

/// `show info`'s values by field name (from its typed output, so both
/// dumps always agree).
fn info_values(rt: &Runtime) -> HashMap<String, String> {
    let mut typed = String::new();
    super::show_info(rt, &mut typed, true, false);
    typed
        .lines()
        .filter_map(|l| {
            let (key, rest) = l.split_once(':')?;
            let name = key.split_once('.')?.1.rsplit_once('.')?.0;
            let value = rest.splitn(3, ':').nth(2)?;
            Some((name.to_string(), value.to_string()))
        })
        .collect()
}

fn process_line(name: &str, suffix: &str, info: &HashMap<String, String>, out: &mut String) {
    if suffix == "build_info" {
        out.push_str(name);
        out.push_str("{version=\"");
        label_value(info.get("Version").map_or("", String::as_str), out);
        out.push_str("\"} 1\n");
        return;
    }
    let Some(&(_, field)) = INFO_NAME.iter().find(|(s, _)| *s == suffix) else {
        return;
    };
    let v = info
        .get(field)
        .filter(|v| v.parse::<f64>().is_ok())
        .map_or("0", String::as_str);
    let _ = writeln!(out, "{name} {v}");
}

fn str_field(row: &Row, pos: usize) -> &str {
    match &row.fields[pos] {
        Val::Str(s) => s,
        _ => "",
    }
}

fn is_http(row: &Row) -> bool {
    str_field(row, f::MODE) == "http"
}

/// A sample line: `name{labels} value`.
fn sample(name: &str, labels: &[(&str, &str)], value: &str, out: &mut String) {
    out.push_str(name);
    if !labels.is_empty() {
        out.push('{');
        for (i, (k, v)) in labels.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str(k);
            out.push_str("=\"");
            label_value(v, out);
            out.push('"');
        }
        out.push('}');
    }
    out.push(' ');
    out.push_str(value);
    out.push('\n');
}

/// Label values escape backslash, double quote and newline (format 0.0.4).
fn label_value(v: &str, out: &mut String) {
    for c in v.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
}

/// A field's value as 2.6 prints it: integers as such, durations in
/// seconds with six decimals, and NaN for what the row leaves empty.
fn value(row: &Row, pos: usize, seconds: bool) -> String {
    match &row.fields[pos] {
        Val::U(v) if seconds => format!("{:.6}", *v as f64 / 1000.0),
        Val::S(v) if seconds => format!("{:.6}", *v as f64 / 1000.0),
        Val::U(v) => v.to_string(),
        Val::S(v) => v.to_string(),
        _ => "NaN".into(),
    }
}

fn stat_field(suffix: &str) -> Option<usize> {
    STAT_FIELD
        .iter()
        .find(|(s, _)| *s == suffix)
        .map(|&(_, p)| p)
}

/// Frontend families (and the plain per-proxy backend ones).
fn proxy_lines(name: &str, suffix: &str, kind: Kind, rows: &[Row], out: &mut String) {
    let objs = rows.iter().filter(|r| r.kind == kind);
    match suffix {
        "status" => {
            for r in objs {
                let px = str_field(r, f::PXNAME);
                let up = match kind {
                    Kind::Frontend => r.status() == "OPEN",
                    _ => r.status().starts_with("UP"),
                };
                for (state, on) in [("DOWN", !up), ("UP", up)] {
                    sample(
                        name,
                        &[("proxy", px), ("state", state)],
                        if on { "1" } else { "0" },
                        out,
                    );
                }
            }
        }
        "http_responses_total" => {
            let objs: Vec<&Row> = objs.filter(|r| is_http(r)).collect();
            for (code, pos) in CODES {
                for r in &objs {
                    let px = str_field(r, f::PXNAME);
                    sample(
                        name,
                        &[("proxy", px), ("code", code)],
                        &value(r, pos, false),
                        out,
                    );
                }
            }
        }
        _ => {
            let Some(pos) = stat_field(suffix) else {
                return;
            };
            let secs = in_seconds(suffix);
            for r in objs {
                if http_only(suffix) && !is_http(r) {
                    continue;
                }
                let px = str_field(r, f::PXNAME);
                sample(name, &[("proxy", px)], &value(r, pos, secs), out);
            }
        }
    }
}

/// The promex state of a server, from its `show stat` status word.
fn srv_state(row: &Row) -> &'static str {
    match row.status().split(' ').next().unwrap_or("") {
        "MAINT" => "MAINT",
        "DRAIN" => "DRAIN",
        "NOLB" => "NOLB",
        "DOWN" => "DOWN",
        _ => "UP",
    }
}

fn check_state(row: &Row) -> Option<&str> {
    let s = str_field(row, f::CHECK_STATUS);
    if s.is_empty() {
        return None;
    }
    Some(s.trim_start_matches("* "))
}

fn backend_lines(rt: &Runtime, name: &str, suffix: &str, rows: &[Row], out: &mut String) {
    match suffix {
        "agg_server_status" | "agg_server_check_status" | "agg_check_status" => {
            for be in rows.iter().filter(|r| r.kind == Kind::Backend) {
                let servers: Vec<&Row> = rows
                    .iter()
                    .filter(|r| r.kind == Kind::Server && r.iid == be.iid)
                    .collect();
                if servers.is_empty() && !has_servers(rt, be.iid) {
                    continue;
                }
                let px = str_field(be, f::PXNAME);
                if suffix == "agg_check_status" {
                    for state in CHECK_STATES {
                        let n = servers
                            .iter()
                            .filter(|s| check_state(s) == Some(state))
                            .count();
                        sample(
                            name,
                            &[("proxy", px), ("state", state)],
                            &n.to_string(),
                            out,
                        );
                    }
                } else {
                    for state in SRV_STATES {
                        let n = servers.iter().filter(|s| srv_state(s) == state).count();
                        sample(
                            name,
                            &[("proxy", px), ("state", state)],
                            &n.to_string(),
                            out,
                        );
                    }
                }
            }
        }
        _ => proxy_lines(name, suffix, Kind::Backend, rows, out),
    }
}

fn has_servers(rt: &Runtime, iid: u32) -> bool {
    rt.backends
        .iter()
        .any(|b| b.id == iid && !b.servers.is_empty())
}

fn server_lines(name: &str, suffix: &str, rows: &[Row], no_maint: bool, out: &mut String) {
    let servers: Vec<&Row> = rows
        .iter()
        .filter(|r| r.kind == Kind::Server)
        .filter(|r| !(no_maint && srv_state(r) == "MAINT"))
        .collect();
    let labels = |r: &Row| {
        [
            str_field(r, f::PXNAME).to_string(),
            str_field(r, f::SVNAME).to_string(),
        ]
    };
    match suffix {
        "status" => {
            for r in &servers {
                let [px, sv] = labels(r);
                let cur = srv_state(r);
                for state in SRV_STATES {
                    let v = if state == cur { "1" } else { "0" };
                    sample(
                        name,
                        &[("proxy", &px), ("server", &sv), ("state", state)],
                        v,
                        out,
                    );
                }
            }
        }
        "check_status" => {
            for r in &servers {
                let Some(cur) = check_state(r) else {
                    continue;
                };
                let [px, sv] = labels(r);
                for state in CHECK_STATES {
                    let v = if state == cur { "1" } else { "0" };
                    sample(
                        name,
                        &[("proxy", &px), ("server", &sv), ("state", state)],
                        v,
                        out,
                    );
                }
            }
        }
        "http_responses_total" => {
            for (code, pos) in CODES {
                for r in servers.iter().filter(|r| is_http(r)) {
                    let [px, sv] = labels(r);
                    sample(
                        name,
                        &[("proxy", &px), ("server", &sv), ("code", code)],
                        &value(r, pos, false),
                        out,
                    );
                }
            }
        }
        "check_code" | "check_duration_seconds" => {
            let (pos, secs) = if suffix == "check_code" {
                (f::CHECK_CODE, false)
            } else {
                (f::CHECK_DURATION, true)
            };
            for r in servers.iter().filter(|r| check_state(r).is_some()) {
                let [px, sv] = labels(r);
                let v = match &r.fields[pos] {
                    Val::Empty => {
                        if secs {
                            "0.000000".to_string()
                        } else {
                            "0".to_string()
                        }
                    }
                    _ => value(r, pos, secs),
                };
                sample(name, &[("proxy", &px), ("server", &sv)], &v, out);
            }
        }
        _ => {
            let Some(pos) = stat_field(suffix) else {
                return;
            };
            let secs = in_seconds(suffix);
            for r in &servers {
                let [px, sv] = labels(r);
                sample(
                    name,
                    &[("proxy", &px), ("server", &sv)],
                    &value(r, pos, secs),
                    out,
                );
            }
        }
    }
}
