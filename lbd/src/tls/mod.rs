//! TLS on rustls with the aws-lc-rs provider: the configuration model
//! (`conf`), certificates and SNI (`certs`), OpenSSL cipher names
//! (`ciphers`), termination on binds (`acceptor`), TLS to servers
//! (`connector`), the stream over rustls (`conn`), and the ClientHello
//! reader for TCP-mode passthrough (`hello`, sans-IO).

pub mod acceptor;
pub mod certs;
pub mod ciphers;
pub mod conf;
pub mod conn;
pub mod connector;
pub mod hello;
pub mod store;

/// What a TLS handshake on a bind negotiated, for the `ssl_fc*`/`ssl_c*`
/// fetches and `%sslv`/`%sslc` in logs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TlsInfo {
    /// `ssl_fc_sni`: the server name the client asked for.
    pub sni: Option<String>,
    /// `ssl_fc_protocol`: "TLSv1.2" or "TLSv1.3".
    pub protocol: &'static str,
    /// `ssl_fc_cipher`: the OpenSSL name, e.g. `TLS_AES_256_GCM_SHA384`.
    pub cipher: String,
    /// `ssl_fc_alpn`.
    pub alpn: Option<String>,
    /// `ssl_c_used`: the client presented a certificate.
    pub client_cert_used: bool,
    /// `ssl_c_verify`: 0 when the certificate verified (a failing one ends
    /// the handshake, so an established session always has 0).
    pub verify_result: i64,
    /// `ssl_c_s_dn`, `ssl_c_i_dn`: OpenSSL's one-line form, `/C=FR/CN=x`.
    pub subject_dn: Option<String>,
    pub issuer_dn: Option<String>,
    /// `ssl_c_serial`, as bytes.
    pub serial: Option<Vec<u8>>,
    /// `ssl_fc_is_resumed`: the handshake resumed a session.
    pub resumed: bool,
}

/// The protocol name as HAProxy prints it.
pub fn protocol_name(v: rustls::ProtocolVersion) -> &'static str {
    match v {
        rustls::ProtocolVersion::TLSv1_3 => "TLSv1.3",
        rustls::ProtocolVersion::TLSv1_2 => "TLSv1.2",
        rustls::ProtocolVersion::TLSv1_1 => "TLSv1.1",
        rustls::ProtocolVersion::TLSv1_0 => "TLSv1.0",
        _ => "unknown",
    }
}

impl TlsInfo {
    /// The sample engine's view (`ssl_fc*`, `ssl_c*` fetches), until both
    /// use one type.
    pub fn to_sample(&self) -> crate::sample::TlsInfo {
        crate::sample::TlsInfo {
            sni: self.sni.clone(),
            protocol: Some(self.protocol.to_string()).filter(|p| !p.is_empty()),
            cipher: Some(self.cipher.clone()).filter(|c| !c.is_empty()),
            alpn: self.alpn.clone(),
            client_cert_used: self.client_cert_used,
            verify_result: Some(self.verify_result),
            subject_dn: self.subject_dn.clone(),
            issuer_dn: self.issuer_dn.clone(),
            serial: self.serial.clone(),
        }
    }
}
