//! The QUIC settings of a `quic4@`/`quic6@` bind: rustls for QUIC (TLSv1.3
//! only, certificates by SNI through the same resolver and certificate
//! store as TCP binds, ALPN `h3` unless the bind names others, no 0-RTT)
//! and quinn's transport (`tune.quic.frontend.*` stream limit and idle
//! timeout, else `timeout client`; no migration).

use crate::config::model::Bind;
use crate::runtime::Frontend;
use crate::tls::acceptor::{self, Notes, TlsSetupError};
use crate::tls::certs::{CertTable, SniResolver};
use crate::tls::conf::Verify;
use arc_swap::ArcSwap;
use rustls::server::WebPkiClientVerifier;
use std::sync::Arc;
use std::time::Duration;

/// Idle timeout without `timeout client` or
/// `tune.quic.frontend.max-idle-timeout`: HAProxy 2.6's default.
pub const DEFAULT_IDLE: Duration = Duration::from_secs(30);

/// Why a QUIC bind cannot be set up.
#[derive(Debug, thiserror::Error)]
pub enum QuicSetupError {
    #[error("{0}")]
    Tls(#[from] TlsSetupError),
    /// quinn needs TLS_AES_128_GCM_SHA256 for its Initial packets.
    #[error("QUIC needs TLSv1.3 with TLS_AES_128_GCM_SHA256 enabled ('ciphersuites')")]
    NoInitialSuite,
    #[error("'timeout client' is too long for a QUIC idle timeout")]
    IdleTimeout,
}

/// The rustls side: what `Acceptor::build` does for TCP, for TLSv1.3 and
/// QUIC. The resolver is registered with the certificate store, so `set
/// ssl cert` updates QUIC binds too.
fn tls_config(bind: &Bind, notes: &mut Notes) -> Result<rustls::ServerConfig, TlsSetupError> {
    let ssl = &bind.ssl;
    let table = CertTable::new(acceptor::load_certs(ssl)?)
        .ok_or(TlsSetupError::NoCert)?
        .strict(ssl.strict_sni);
    let mut provider = acceptor::provider(&ssl.params, notes)?;
    if let Some(list) = ssl.curves.as_ref().or(ssl.ecdhe.as_ref()) {
        provider.kx_groups = acceptor::kx_groups(list, notes)?;
    }
    let provider = Arc::new(provider);
    let builder = rustls::ServerConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(&[&rustls::version::TLS13])
        .map_err(|e| TlsSetupError::Rustls(e.to_string()))?;
    let builder = match (ssl.verify, &ssl.ca_file) {
        (Verify::None, _) => builder.with_no_client_auth(),
        (_, None) => return Err(TlsSetupError::VerifyWithoutCa),
        (verify, Some(ca)) => {
            let roots = Arc::new(acceptor::load_roots(ca)?);
            let mut vb = WebPkiClientVerifier::builder_with_provider(roots, provider);
            if let Some(crl) = &ssl.crl_file {
                vb = vb.with_crls(acceptor::load_crls(crl)?);
            }
            if verify == Verify::Optional {
                vb = vb.allow_unauthenticated();
            }
            if ssl.no_ca_names {
                vb = vb.clear_root_hint_subjects();
            }
            let v = vb
                .build()
                .map_err(|e| TlsSetupError::Rustls(e.to_string()))?;
            builder.with_client_cert_verifier(v)
        }
    };
    let resolver = Arc::new(SniResolver {
        table: ArcSwap::from_pointee(table),
    });
    crate::tls::store::STORE.register(&resolver);
    let mut cfg = builder.with_cert_resolver(resolver);
    cfg.alpn_protocols = match ssl.alpn.is_empty() {
        true => vec![b"h3".to_vec()],
        false => ssl.alpn.iter().map(|a| a.as_bytes().to_vec()).collect(),
    };
    // 0-RTT stays off: early data is replayable, and HAProxy 2.6 refuses it
    // unless `allow-0rtt` is set.
    cfg.max_early_data_size = 0;
    // As on TCP binds: the configured suite order wins unless
    // `prefer-client-ciphers`.
    cfg.ignore_client_order = !ssl.prefer_client_ciphers;
    Ok(cfg)
}

/// The idle timeout a frontend's QUIC connections get.
pub fn idle_timeout(fe: &Frontend) -> Duration {
    fe.global
        .tune_quic
        .max_idle_timeout
        .or(fe.conf.timeouts.client)
        .map(Duration::from_millis)
        .unwrap_or(DEFAULT_IDLE)
}

/// quinn's server configuration for one bind of `fe`, with the warnings
/// worth printing at start-up.
pub fn server_config(
    fe: &Frontend,
    bind: &Bind,
) -> Result<(quinn::ServerConfig, Notes), QuicSetupError> {
    let mut notes = Notes::default();
    let tls = tls_config(bind, &mut notes)?;
    let crypto = quinn::crypto::rustls::QuicServerConfig::try_from(Arc::new(tls))
        .map_err(|_| QuicSetupError::NoInitialSuite)?;
    let mut transport = quinn::TransportConfig::default();
    transport.max_concurrent_bidi_streams(fe.global.tune_quic.max_streams_bidi.into());
    let idle =
        quinn::IdleTimeout::try_from(idle_timeout(fe)).map_err(|_| QuicSetupError::IdleTimeout)?;
    transport.max_idle_timeout(Some(idle));
    let mut cfg = quinn::ServerConfig::with_crypto(Arc::new(crypto));
    cfg.transport_config(Arc::new(transport));
    cfg.migration(false);
    Ok((cfg, notes))
}
