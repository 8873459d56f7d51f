//! gRPC end to end through the proxy, h2 on both sides (`bind ... proto h2`
//! or TLS with ALPN h2, and `server ... proto h2`), with a real tonic
//! client and server: unary calls, server streaming, bidirectional
//! streaming with interleaved messages, and error statuses carried in the
//! trailers. On lbd and HAProxy 2.6 alike.

use std::time::Duration;
use tests::grpc::{EchoClient, EchoRequest, GrpcServer};
use tests::*;
use tokio_stream::StreamExt;
use tonic::transport::{Certificate, ClientTlsConfig, Endpoint};

fn config(bind: &str, server: &GrpcServer) -> String {
    format!(
        "{HTTP_DEFAULTS}
frontend fe
    bind {bind}
    default_backend be

backend be
    server s1 {} proto h2
",
        server.addr()
    )
}

fn req(message: &str, count: u32) -> EchoRequest {
    EchoRequest {
        message: message.to_string(),
        count,
    }
}

/// Runs `f` on the test runtime with a bound on the whole exchange.
fn run<F: std::future::Future<Output = ()>>(f: F) {
    let within = Duration::from_secs(20);
    if tests::grpc::block_on(async move { tokio::time::timeout(within, f).await }).is_err() {
        panic!("the gRPC exchange did not finish within {within:?}");
    }
}

async fn connect_clear(port: u16) -> EchoClient {
    let ep = match Endpoint::from_shared(format!("http://127.0.0.1:{port}")) {
        Ok(e) => e,
        Err(e) => panic!("bad endpoint: {e}"),
    };
    match ep.connect().await {
        Ok(ch) => EchoClient::new(ch),
        Err(e) => panic!("cannot connect to the proxy: {e}"),
    }
}

/// Unary, error status, server streaming and bidi streaming over `client`.
async fn exercise(mut client: EchoClient) {
    let r = match client.unary(req("hello", 0)).await {
        Ok(r) => r.into_inner(),
        Err(e) => panic!("unary failed: {e:?}"),
    };
    assert_eq!(r.message, "g1:hello");

    // The status and its message travel in the trailers.
    match client.unary(req("fail", 0)).await {
        Ok(r) => panic!("expected NOT_FOUND, got {r:?}"),
        Err(s) => {
            assert_eq!(s.code(), tonic::Code::NotFound, "{s:?}");
            assert_eq!(s.message(), "no such echo");
        }
    }

    let mut stream = match client.server_stream(req("tick", 50)).await {
        Ok(r) => r.into_inner(),
        Err(e) => panic!("server streaming failed: {e:?}"),
    };
    let mut got = Vec::new();
    while let Some(item) = stream.next().await {
        match item {
            Ok(r) => got.push(r.index),
            Err(e) => panic!("stream broke after {} replies: {e:?}", got.len()),
        }
    }
    assert_eq!(got, (0..50).collect::<Vec<_>>());
    // grpc-status 0 arrived in the trailers, or the stream would have ended
    // with an error above.

    // Bidi: each reply must come back before the next request is sent,
    // which only works if both directions flow at once through the proxy.
    let (tx, rx) = tokio::sync::mpsc::channel(4);
    let mut replies = match client
        .bidi(tokio_stream::wrappers::ReceiverStream::new(rx))
        .await
    {
        Ok(r) => r.into_inner(),
        Err(e) => panic!("bidi failed: {e:?}"),
    };
    for (i, word) in ["one", "two", "three"].iter().enumerate() {
        if tx.send(req(word, 0)).await.is_err() {
            panic!("bidi request stream closed");
        }
        match replies.next().await {
            Some(Ok(r)) => {
                assert_eq!(r.message, format!("g1:{word}"));
                assert_eq!(r.index as usize, i + 1);
            }
            other => panic!("no reply to {word}: {other:?}"),
        }
    }
    drop(tx);
    match replies.next().await {
        None => {}
        other => panic!("bidi did not end cleanly: {other:?}"),
    }
}

#[test]
fn grpc_over_clear_h2_on_both_sides() {
    let server = GrpcServer::start("g1");
    let port = free_port();
    let _lbd = LbdProcess::start(&config(&format!("127.0.0.1:{port} proto h2"), &server));
    run(async move {
        let client = connect_clear(port).await;
        exercise(client).await;
    });
}

#[test]
fn grpc_over_tls_with_alpn_h2_on_the_bind() {
    let pki = Pki::new("Test CA");
    let server = GrpcServer::start("g1");
    let dir = TempDir::new();
    let crt = pki.write_leaf(dir.path(), "site.pem", &["site.test"]);
    let ca = pki.write_ca(dir.path(), "ca.pem");
    let ca_pem = match std::fs::read(&ca) {
        Ok(b) => b,
        Err(e) => panic!("cannot read the CA: {e}"),
    };
    let port = free_port();
    let bind = format!("127.0.0.1:{port} ssl crt {} alpn h2", crt.display());
    let _lbd = LbdProcess::start_in(dir, &config(&bind, &server));
    run(async move {
        let tls = ClientTlsConfig::new()
            .ca_certificate(Certificate::from_pem(ca_pem))
            .domain_name("site.test");
        let ep = match Endpoint::from_shared(format!("https://127.0.0.1:{port}")) {
            Ok(e) => e,
            Err(e) => panic!("bad endpoint: {e}"),
        };
        let ep = match ep.tls_config(tls) {
            Ok(e) => e,
            Err(e) => panic!("bad TLS config: {e}"),
        };
        let client = match ep.connect().await {
            Ok(ch) => EchoClient::new(ch),
            Err(e) => panic!("cannot connect over TLS: {e:?}"),
        };
        exercise(client).await;
    });
}
