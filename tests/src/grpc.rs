//! A real gRPC service and client (tonic over hyper, prost messages) for
//! end-to-end tests through the proxy. The service `echo.Echo` is written
//! by hand, as tonic-build would generate it, so no protoc is needed:
//!
//! ```proto
//! service Echo {
//!   rpc Unary(EchoRequest) returns (EchoReply);           // "fail" -> NOT_FOUND
//!   rpc ServerStream(EchoRequest) returns (stream EchoReply); // `count` replies
//!   rpc Bidi(stream EchoRequest) returns (stream EchoReply);  // one reply per request, at once
//! }
//! ```

use crate::backend::runtime;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::task::{Context, Poll};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_stream::{Stream, StreamExt};
use tonic::body::Body;
use tonic::codec::{ProstCodec, Streaming};
use tonic::codegen::{BoxFuture, BoxStream, Service};
use tonic::server::{NamedService, ServerStreamingService, StreamingService, UnaryService};
use tonic::transport::Channel;
use tonic::{Request, Response, Status};

#[derive(Clone, PartialEq, prost::Message)]
pub struct EchoRequest {
    #[prost(string, tag = "1")]
    pub message: String,
    /// How many replies `ServerStream` sends.
    #[prost(uint32, tag = "2")]
    pub count: u32,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct EchoReply {
    #[prost(string, tag = "1")]
    pub message: String,
    #[prost(uint32, tag = "2")]
    pub index: u32,
}

/// The `echo.Echo` service; `name` goes into every reply's message
/// (`<name>:<request message>`), so a test sees who answered.
#[derive(Clone)]
pub struct EchoService {
    name: String,
}

struct Unary(String);

impl UnaryService<EchoRequest> for Unary {
    type Response = EchoReply;
    type Future = BoxFuture<Response<EchoReply>, Status>;
    fn call(&mut self, req: Request<EchoRequest>) -> Self::Future {
        let name = self.0.clone();
        Box::pin(async move {
            let req = req.into_inner();
            if req.message == "fail" {
                return Err(Status::not_found("no such echo"));
            }
            Ok(Response::new(EchoReply {
                message: format!("{name}:{}", req.message),
                index: 0,
            }))
        })
    }
}

struct ServerStream(String);

// tonic's streams carry `Result<_, Status>`, whatever its size.
#[allow(clippy::result_large_err)]
impl ServerStreamingService<EchoRequest> for ServerStream {
    type Response = EchoReply;
    type ResponseStream = BoxStream<EchoReply>;
    type Future = BoxFuture<Response<Self::ResponseStream>, Status>;
    fn call(&mut self, req: Request<EchoRequest>) -> Self::Future {
        let name = self.0.clone();
        Box::pin(async move {
            let req = req.into_inner();
            let replies = (0..req.count).map(move |i| {
                Ok(EchoReply {
                    message: format!("{name}:{}", req.message),
                    index: i,
                })
            });
            let s: Self::ResponseStream = Box::pin(tokio_stream::iter(replies));
            Ok(Response::new(s))
        })
    }
}

struct Bidi(String);

// tonic's streams carry `Result<_, Status>`, whatever its size.
#[allow(clippy::result_large_err)]
impl StreamingService<EchoRequest> for Bidi {
    type Response = EchoReply;
    type ResponseStream = BoxStream<EchoReply>;
    type Future = BoxFuture<Response<Self::ResponseStream>, Status>;
    fn call(&mut self, req: Request<Streaming<EchoRequest>>) -> Self::Future {
        let name = self.0.clone();
        Box::pin(async move {
            let mut index = 0;
            let replies = req.into_inner().map(move |r| {
                index += 1;
                r.map(|m| EchoReply {
                    message: format!("{name}:{}", m.message),
                    index,
                })
            });
            let s: Self::ResponseStream = Box::pin(replies);
            Ok(Response::new(s))
        })
    }
}

impl<B> Service<http::Request<B>> for EchoService
where
    B: http_body::Body + Send + 'static,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>> + Send + 'static,
{
    type Response = http::Response<Body>;
    type Error = Infallible;
    type Future = BoxFuture<Self::Response, Self::Error>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: http::Request<B>) -> Self::Future {
        let name = self.name.clone();
        let mut grpc = tonic::server::Grpc::new(ProstCodec::<EchoReply, EchoRequest>::default());
        match req.uri().path() {
            "/echo.Echo/Unary" => Box::pin(async move { Ok(grpc.unary(Unary(name), req).await) }),
            "/echo.Echo/ServerStream" => {
                Box::pin(async move { Ok(grpc.server_streaming(ServerStream(name), req).await) })
            }
            "/echo.Echo/Bidi" => Box::pin(async move { Ok(grpc.streaming(Bidi(name), req).await) }),
            _ => Box::pin(async move { Ok(Status::unimplemented("").into_http()) }),
        }
    }
}

impl NamedService for EchoService {
    const NAME: &'static str = "echo.Echo";
}

/// Runs `f` to completion on the runtime the test servers share (tonic's
/// channels must live on a runtime that keeps running).
pub fn block_on<F: std::future::Future>(f: F) -> F::Output {
    runtime().block_on(f)
}

/// A running gRPC server on 127.0.0.1 (clear-text h2); stops when dropped.
pub struct GrpcServer {
    addr: SocketAddr,
    task: JoinHandle<()>,
}

impl GrpcServer {
    pub fn start(name: &str) -> GrpcServer {
        let rt = runtime();
        let listener = match rt.block_on(TcpListener::bind("127.0.0.1:0")) {
            Ok(l) => l,
            Err(e) => panic!("gRPC server cannot bind: {e}"),
        };
        let addr = match listener.local_addr() {
            Ok(a) => a,
            Err(e) => panic!("gRPC server has no address: {e}"),
        };
        let svc = EchoService {
            name: name.to_string(),
        };
        let task = rt.spawn(async move {
            let incoming = tokio_stream::wrappers::TcpListenerStream::new(listener);
            let _ = tonic::transport::Server::builder()
                .add_service(svc)
                .serve_with_incoming(incoming)
                .await;
        });
        GrpcServer { addr, task }
    }

    /// `127.0.0.1:<port>`, for a `server` line.
    pub fn addr(&self) -> String {
        self.addr.to_string()
    }
}

impl Drop for GrpcServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A client of `echo.Echo` over one tonic channel.
#[derive(Clone)]
pub struct EchoClient {
    inner: tonic::client::Grpc<Channel>,
}

fn path(p: &'static str) -> http::uri::PathAndQuery {
    http::uri::PathAndQuery::from_static(p)
}

impl EchoClient {
    pub fn new(channel: Channel) -> EchoClient {
        EchoClient {
            inner: tonic::client::Grpc::new(channel),
        }
    }

    async fn ready(&mut self) -> Result<(), Status> {
        self.inner
            .ready()
            .await
            .map_err(|e| Status::unavailable(e.to_string()))
    }

    pub async fn unary(&mut self, req: EchoRequest) -> Result<Response<EchoReply>, Status> {
        self.ready().await?;
        let codec = ProstCodec::<EchoRequest, EchoReply>::default();
        self.inner
            .unary(Request::new(req), path("/echo.Echo/Unary"), codec)
            .await
    }

    pub async fn server_stream(
        &mut self,
        req: EchoRequest,
    ) -> Result<Response<Streaming<EchoReply>>, Status> {
        self.ready().await?;
        let codec = ProstCodec::<EchoRequest, EchoReply>::default();
        self.inner
            .server_streaming(Request::new(req), path("/echo.Echo/ServerStream"), codec)
            .await
    }

    pub async fn bidi<S>(&mut self, reqs: S) -> Result<Response<Streaming<EchoReply>>, Status>
    where
        S: Stream<Item = EchoRequest> + Send + 'static,
    {
        self.ready().await?;
        let codec = ProstCodec::<EchoRequest, EchoReply>::default();
        self.inner
            .streaming(Request::new(reqs), path("/echo.Echo/Bidi"), codec)
            .await
    }
}
