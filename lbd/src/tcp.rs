//! mode tcp: one client connection forwarded to one server connection.

use crate::balance::key;
use crate::balance::KeyNeed;
use crate::connect::pick_and_connect;
use crate::forward::{forward, Idle};
use crate::runtime::Frontend;
use crate::session::ClientInfo;
use crate::stream::Stream;
use std::sync::Arc;
use std::time::Duration;

/// Serves one accepted TCP-mode connection to its end.
pub async fn serve(fe: Arc<Frontend>, client: Stream, info: ClientInfo, use_splice: bool) {
    let Some(be) = fe
        .use_backend
        .clone()
        .or_else(|| fe.default_backend.clone())
    else {
        // No backend: HAProxy closes the connection.
        return;
    };
    let key_bytes = match (be.key_need().get(), info.src) {
        (KeyNeed::SourceIp, Some(src)) => Some(key::source_ip_bytes(src.ip()).as_bytes().to_vec()),
        _ => None,
    };
    let dst_port = info.dst.map(|d| d.port()).unwrap_or(0);
    let (server, _lease) = match pick_and_connect(&be, key_bytes.as_deref(), dst_port).await {
        Ok(x) => x,
        Err(_) => return,
    };
    let fc = &fe.conf.timeouts;
    let bc = &be.conf.timeouts;
    // `timeout tunnel`, when set, replaces both sides' timeouts once the
    // server is connected, as in HAProxy.
    let idle = Idle {
        client: bc.tunnel.or(fc.client).map(Duration::from_millis),
        server: bc.tunnel.or(bc.server).map(Duration::from_millis),
        client_fin: fc.client_fin.map(Duration::from_millis),
        server_fin: bc.server_fin.map(Duration::from_millis),
    };
    let _ = forward(&client, &server, idle, use_splice).await;
}
