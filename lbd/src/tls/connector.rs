//! TLS to servers: `ServerSsl` turned into a rustls client configuration,
//! built once per distinct setting and cached, and the client handshake.
//!
//! Verification follows HAProxy 2.6: `verify required` checks the chain
//! against `ca-file`, and checks the name only when one is known (`sni` or
//! `verifyhost`); `verify none` checks nothing but the handshake signatures.

use super::acceptor::{load_crls, load_roots, provider, versions, Notes, TlsSetupError};
use super::certs;
use super::conf::{ServerSsl, Verify};
use super::conn::TlsConn;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, ClientConfig, DigitallySignedStruct, SignatureScheme};
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, LazyLock, Mutex};
use tokio::net::TcpStream;

/// A server's TLS, ready to connect.
#[derive(Debug)]
pub struct Connector {
    config: Arc<ClientConfig>,
    /// The name sent as SNI (and checked in the certificate).
    sni: Option<ServerName<'static>>,
    /// With a per-request `sni` expression and no `verifyhost`: the
    /// configuration for a request whose expression gave no usable name,
    /// which then sends no SNI and checks no name, as HAProxy 2.6.
    unnamed: Option<Arc<ClientConfig>>,
}

/// Built connectors by setting: servers sharing settings share one (and
/// its session cache, so reconnections resume).
static CACHE: LazyLock<Mutex<HashMap<ServerSsl, Arc<Connector>>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));

#[derive(Debug)]
struct AnyCert(Arc<CryptoProvider>);

impl ServerCertVerifier for AnyCert {
    fn verify_server_cert(
        &self,
        _: &CertificateDer<'_>,
        _: &[CertificateDer<'_>],
        _: &ServerName<'_>,
        _: &[u8],
        _: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }
    fn verify_tls12_signature(
        &self,
        m: &[u8],
        c: &CertificateDer<'_>,
        d: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(m, c, d, &self.0.signature_verification_algorithms)
    }
    fn verify_tls13_signature(
        &self,
        m: &[u8],
        c: &CertificateDer<'_>,
        d: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(m, c, d, &self.0.signature_verification_algorithms)
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// The chain is verified; the name only when `check_name`.
#[derive(Debug)]
struct ChainVerifier {
    inner: Arc<WebPkiServerVerifier>,
    check_name: bool,
}

impl ServerCertVerifier for ChainVerifier {
    fn verify_server_cert(
        &self,
        end: &CertificateDer<'_>,
        inter: &[CertificateDer<'_>],
        name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        match self.inner.verify_server_cert(end, inter, name, ocsp, now) {
            // webpki checks the name last: a name mismatch means the chain
            // is good.
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) if !self.check_name => Ok(ServerCertVerified::assertion()),
            r => r,
        }
    }
    fn verify_tls12_signature(
        &self,
        m: &[u8],
        c: &CertificateDer<'_>,
        d: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(m, c, d)
    }
    fn verify_tls13_signature(
        &self,
        m: &[u8],
        c: &CertificateDer<'_>,
        d: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(m, c, d)
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

/// `crt` on a server: the one certificate offered when asked.
#[derive(Debug)]
struct FixedClientCert(Arc<rustls::sign::CertifiedKey>);

impl rustls::client::ResolvesClientCert for FixedClientCert {
    fn resolve(
        &self,
        _: &[&[u8]],
        _: &[SignatureScheme],
    ) -> Option<Arc<rustls::sign::CertifiedKey>> {
        Some(self.0.clone())
    }
    fn has_certs(&self) -> bool {
        true
    }
}

impl Connector {
    /// Builds a connector. `ssl.verify` must be resolved (the parser fills
    /// in the `ssl-server-verify` default).
    pub fn build(ssl: &ServerSsl) -> Result<(Connector, Notes), TlsSetupError> {
        let mut notes = Notes::default();
        let named = ssl.sni.is_some() || ssl.sni_expr.is_some();
        let config = client_config(ssl, named || ssl.verifyhost.is_some(), named, &mut notes)?;
        let unnamed = match (&ssl.sni_expr, &ssl.verifyhost) {
            // Its notes repeat the main configuration's.
            (Some(_), None) => Some(Arc::new(client_config(
                ssl,
                false,
                false,
                &mut Notes::default(),
            )?)),
            _ => None,
        };
        // HAProxy checks the name in `verifyhost`, else the SNI.
        let name = ssl.verifyhost.as_ref().or(ssl.sni.as_ref());
        let sni = match name {
            Some(n) => Some(server_name(n)?),
            None => None,
        };
        Ok((
            Connector {
                config: Arc::new(config),
                sni,
                unnamed,
            },
            notes,
        ))
    }

    /// The connector for a server's settings, built on first use.
    pub fn for_server(ssl: &ServerSsl) -> Result<Arc<Connector>, TlsSetupError> {
        if let Ok(map) = CACHE.lock() {
            if let Some(c) = map.get(ssl) {
                return Ok(c.clone());
            }
        }
        let c = Arc::new(Connector::build(ssl)?.0);
        if let Ok(mut map) = CACHE.lock() {
            map.insert(ssl.clone(), c.clone());
        }
        Ok(c)
    }

    /// Runs the client side of a handshake on a connected socket, with the
    /// configured name (health checks, constant `sni`).
    pub async fn connect(&self, tcp: TcpStream, ip: IpAddr) -> std::io::Result<TlsConn> {
        self.connect_as(tcp, ip, None).await
    }

    /// [`Connector::connect`] with the value of a per-request `sni`
    /// expression: sent as SNI, and checked in the certificate unless
    /// `verifyhost` names another. An empty or invalid one sends no SNI.
    pub async fn connect_as(
        &self,
        tcp: TcpStream,
        ip: IpAddr,
        sni: Option<&str>,
    ) -> std::io::Result<TlsConn> {
        let evaluated = sni.and_then(|n| server_name(n).ok());
        let (config, name) = match (&self.sni, evaluated, &self.unnamed) {
            (Some(n), _, _) => (&self.config, n.clone()),
            (None, Some(n), _) => (&self.config, n),
            (None, None, Some(u)) => (u, ServerName::IpAddress(ip.into())),
            (None, None, None) => (&self.config, ServerName::IpAddress(ip.into())),
        };
        let tls = tokio_rustls::TlsConnector::from(config.clone())
            .connect(name, tcp)
            .await?;
        let (tcp, conn) = tls.into_inner();
        Ok(TlsConn::new(tcp, rustls::Connection::Client(conn), None))
    }
}

fn server_name(n: &str) -> Result<ServerName<'static>, TlsSetupError> {
    ServerName::try_from(n.to_string())
        .map_err(|_| TlsSetupError::Rustls(format!("invalid server name '{n}'")))
}

/// The rustls client configuration for `ssl`: `check_name` verifies the
/// certificate's name, `enable_sni` sends the name as SNI.
fn client_config(
    ssl: &ServerSsl,
    check_name: bool,
    enable_sni: bool,
    notes: &mut Notes,
) -> Result<ClientConfig, TlsSetupError> {
    let provider = Arc::new(provider(&ssl.params, notes)?);
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(&versions(&ssl.params)?)
        .map_err(|e| TlsSetupError::Rustls(e.to_string()))?;
    let verifier: Arc<dyn ServerCertVerifier> = match (ssl.verify, &ssl.ca_file) {
        (Some(Verify::None), _) => Arc::new(AnyCert(provider.clone())),
        (_, None) => return Err(TlsSetupError::VerifyWithoutCa),
        (_, Some(ca)) => {
            let roots = Arc::new(load_roots(ca)?);
            let mut vb = WebPkiServerVerifier::builder_with_provider(roots, provider.clone());
            if let Some(crl) = &ssl.crl_file {
                vb = vb.with_crls(load_crls(crl)?);
            }
            let inner = vb
                .build()
                .map_err(|e| TlsSetupError::Rustls(e.to_string()))?;
            Arc::new(ChainVerifier { inner, check_name })
        }
    };
    let builder = builder
        .dangerous()
        .with_custom_certificate_verifier(verifier);
    let mut cfg = match &ssl.crt {
        None => builder.with_no_client_auth(),
        Some(path) => {
            let c = certs::load_file(path)?;
            let key = c.key.clone();
            builder.with_client_cert_resolver(Arc::new(FixedClientCert(key)))
        }
    };
    cfg.alpn_protocols = ssl.alpn.iter().map(|a| a.clone().into_bytes()).collect();
    if ssl.params.no_tls_tickets {
        cfg.resumption = rustls::client::Resumption::disabled();
    }
    cfg.enable_sni = enable_sni;
    Ok(cfg)
}
