//! A small HTTP/3 client (quinn + h3) for the HTTP/3 frontend tests:
//! Debian's curl has no HTTP/3, so this is the peer. It verifies the
//! server's certificate against a test CA for the name it sends as SNI,
//! so a wrong certificate fails the connection.

use bytes::{Buf, Bytes};
use http::HeaderMap;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

/// The runtime the client's QUIC endpoints run on; tests stay synchronous.
pub fn runtime() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| {
        match tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("e2e-h3client")
            .enable_all()
            .build()
        {
            Ok(rt) => rt,
            Err(e) => panic!("cannot build the h3 client runtime: {e}"),
        }
    })
}

/// What came back for one request.
#[derive(Debug, Default)]
pub struct H3Response {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
    pub trailers: Option<HeaderMap>,
}

impl H3Response {
    pub fn body_str(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// One request to send.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub trailers: Option<HeaderMap>,
}

impl Request {
    pub fn get(path: &str) -> Request {
        Request {
            method: "GET".into(),
            path: path.into(),
            headers: Vec::new(),
            body: Vec::new(),
            trailers: None,
        }
    }

    pub fn post(path: &str, body: &[u8]) -> Request {
        Request {
            method: "POST".into(),
            body: body.to_vec(),
            ..Request::get(path)
        }
    }

    pub fn header(mut self, name: &str, value: &str) -> Request {
        self.headers.push((name.into(), value.into()));
        self
    }

    pub fn trailers(mut self, t: HeaderMap) -> Request {
        self.trailers = Some(t);
        self
    }
}

/// An HTTP/3 connection; clones share it, so requests can run concurrently.
#[derive(Clone)]
pub struct H3Conn {
    send: h3::client::SendRequest<h3_quinn::OpenStreams, Bytes>,
    conn: quinn::Connection,
    authority: String,
    // The endpoint must outlive the connection.
    _endpoint: quinn::Endpoint,
}

fn client_config(ca_pem: &Path) -> Result<quinn::ClientConfig, String> {
    use rustls::pki_types::pem::PemObject;
    let pem = std::fs::read(ca_pem).map_err(|e| format!("{}: {e}", ca_pem.display()))?;
    let mut roots = rustls::RootCertStore::empty();
    for c in rustls::pki_types::CertificateDer::pem_slice_iter(&pem) {
        roots
            .add(c.map_err(|e| e.to_string())?)
            .map_err(|e| e.to_string())?;
    }
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13])
        .map_err(|e| e.to_string())?
        .with_root_certificates(roots)
        .with_no_client_auth();
    tls.alpn_protocols = vec![b"h3".to_vec()];
    let quic = quinn::crypto::rustls::QuicClientConfig::try_from(Arc::new(tls))
        .map_err(|e| e.to_string())?;
    Ok(quinn::ClientConfig::new(Arc::new(quic)))
}

/// Connects to 127.0.0.1:`port`, asking for `server_name` (SNI and
/// `:authority`) and trusting only the CA in `ca_pem`.
pub async fn connect(port: u16, server_name: &str, ca_pem: &Path) -> Result<H3Conn, String> {
    let local: SocketAddr = ([127, 0, 0, 1], 0).into();
    let mut endpoint = quinn::Endpoint::client(local).map_err(|e| e.to_string())?;
    endpoint.set_default_client_config(client_config(ca_pem)?);
    let server: SocketAddr = ([127, 0, 0, 1], port).into();
    let conn = endpoint
        .connect(server, server_name)
        .map_err(|e| e.to_string())?
        .await
        .map_err(|e| format!("QUIC handshake: {e}"))?;
    let (mut driver, send) = h3::client::new(h3_quinn::Connection::new(conn.clone()))
        .await
        .map_err(|e| e.to_string())?;
    tokio::spawn(async move {
        let _ = std::future::poll_fn(|cx| driver.poll_close(cx)).await;
    });
    Ok(H3Conn {
        send,
        conn,
        authority: format!("{server_name}:{port}"),
        _endpoint: endpoint,
    })
}

impl H3Conn {
    /// Sends one request (body in 16 KiB DATA frames, then trailers) and
    /// reads the whole response.
    pub async fn send(&self, req: Request) -> Result<H3Response, String> {
        let mut b = http::Request::builder()
            .method(req.method.as_str())
            .uri(format!("https://{}{}", self.authority, req.path));
        for (k, v) in &req.headers {
            b = b.header(k.as_str(), v.as_str());
        }
        let head = b.body(()).map_err(|e| e.to_string())?;
        let mut send = self.send.clone();
        let mut stream = send.send_request(head).await.map_err(|e| e.to_string())?;
        for chunk in req.body.chunks(16384) {
            stream
                .send_data(Bytes::copy_from_slice(chunk))
                .await
                .map_err(|e| e.to_string())?;
        }
        if let Some(t) = req.trailers {
            stream.send_trailers(t).await.map_err(|e| e.to_string())?;
        }
        stream.finish().await.map_err(|e| e.to_string())?;
        let resp = stream.recv_response().await.map_err(|e| e.to_string())?;
        let mut out = H3Response {
            status: resp.status().as_u16(),
            headers: resp.headers().clone(),
            ..H3Response::default()
        };
        while let Some(mut d) = stream.recv_data().await.map_err(|e| e.to_string())? {
            while d.has_remaining() {
                let c = d.chunk();
                out.body.extend_from_slice(c);
                let n = c.len();
                d.advance(n);
            }
        }
        out.trailers = stream.recv_trailers().await.map_err(|e| e.to_string())?;
        Ok(out)
    }

    /// Waits until the connection is closed (by either side), and says why.
    pub async fn closed(&self) -> String {
        self.conn.closed().await.to_string()
    }

    /// Closes the connection at once.
    pub fn close(&self) {
        self.conn.close(0u32.into(), b"done");
    }
}

/// One request on a fresh connection, from synchronous test code, within
/// 20 s.
pub fn request(
    port: u16,
    server_name: &str,
    ca_pem: &Path,
    req: Request,
) -> Result<H3Response, String> {
    let ca = ca_pem.to_path_buf();
    let name = server_name.to_string();
    runtime().block_on(async move {
        let work = async {
            let conn = connect(port, &name, &ca).await?;
            let r = conn.send(req).await;
            conn.close();
            r
        };
        tokio::time::timeout(Duration::from_secs(20), work)
            .await
            .map_err(|_| "no answer within 20 s".to_string())?
    })
}
