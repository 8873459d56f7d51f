//! Reading a TLS ClientHello from the first bytes of a TCP stream, without
//! terminating TLS: what `req.ssl_sni`, `req.ssl_ver` and
//! `req.ssl_hello_type` fetch in TCP mode (spec 5.4). Sans-IO and total:
//! any byte string gives an answer, never a panic.
//!
//! As HAProxy does, only the first record is read: a ClientHello split
//! over several records has no SNI for these fetches.

/// What a complete ClientHello says.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct HelloInfo {
    /// The handshake message type (`req.ssl_hello_type`: 1 = ClientHello).
    pub hello_type: u8,
    /// `req.ssl_ver`: the hello's `client_version` as `(major << 16) | minor`
    /// (0x30003 for the 3.3 that TLS 1.2 and 1.3 clients send).
    pub version: u32,
    /// `req.ssl_sni`: the host_name of the server_name extension.
    pub sni: Option<String>,
    /// `req.ssl_alpn`: the protocols offered.
    pub alpn: Vec<String>,
    /// The supported_versions extension (TLS 1.3 clients list 0x0304).
    pub supported_versions: Vec<u16>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum HelloError {
    /// The bytes so far are a plausible start: wait for more.
    #[error("incomplete ClientHello")]
    NeedMore,
    /// Not a TLS handshake (or one these fetches cannot read).
    #[error("not a TLS ClientHello")]
    NotTls,
}

/// HAProxy's bound on a record: 2^14 plus 2048 bytes of expansion.
const MAX_RECORD: usize = (1 << 14) + 2048;

/// The first record's header: (handshake message bytes available, whole
/// record present).
fn record(buf: &[u8]) -> Result<&[u8], HelloError> {
    if buf.len() < 5 {
        return Err(if buf.is_empty() || buf[0] == 0x16 {
            HelloError::NeedMore
        } else {
            HelloError::NotTls
        });
    }
    if buf[0] != 0x16 || buf[1] != 3 {
        return Err(HelloError::NotTls);
    }
    let len = usize::from(u16::from_be_bytes([buf[3], buf[4]]));
    if !(4..=MAX_RECORD).contains(&len) {
        return Err(HelloError::NotTls);
    }
    if buf.len() < 5 + len {
        return Err(HelloError::NeedMore);
    }
    Ok(&buf[5..5 + len])
}

/// `req.ssl_hello_type`: the first handshake message's type, readable as
/// soon as the record header and message type have arrived.
pub fn hello_type(buf: &[u8]) -> Result<u8, HelloError> {
    if buf.len() < 6 {
        record(buf).map(|_| 0)?;
        return Err(HelloError::NeedMore);
    }
    if buf[0] != 0x16 || buf[1] != 3 {
        return Err(HelloError::NotTls);
    }
    Ok(buf[5])
}

/// A bounds-checked reader over the hello.
struct Cur<'a>(&'a [u8]);

impl<'a> Cur<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], HelloError> {
        if self.0.len() < n {
            return Err(HelloError::NotTls);
        }
        let (a, b) = self.0.split_at(n);
        self.0 = b;
        Ok(a)
    }
    fn u8(&mut self) -> Result<u8, HelloError> {
        Ok(self.take(1)?[0])
    }
    fn u16(&mut self) -> Result<u16, HelloError> {
        let b = self.take(2)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }
    fn vec8(&mut self) -> Result<&'a [u8], HelloError> {
        let n = usize::from(self.u8()?);
        self.take(n)
    }
    fn vec16(&mut self) -> Result<&'a [u8], HelloError> {
        let n = usize::from(self.u16()?);
        self.take(n)
    }
}

/// Parses the ClientHello at the start of `buf`.
pub fn parse_client_hello(buf: &[u8]) -> Result<HelloInfo, HelloError> {
    let rec = record(buf)?;
    let mut c = Cur(rec);
    let hello_type = c.u8()?;
    if hello_type != 1 {
        return Err(HelloError::NotTls);
    }
    let lb = c.take(3)?;
    let len = (usize::from(lb[0]) << 16) | (usize::from(lb[1]) << 8) | usize::from(lb[2]);
    // A hello longer than its record continues in the next one.
    let mut c = Cur(c.take(len)?);
    let v = c.take(2)?;
    let version = (u32::from(v[0]) << 16) | u32::from(v[1]);
    c.take(32)?; // random
    c.vec8()?; // session id
    c.vec16()?; // cipher suites
    c.vec8()?; // compression methods
    let mut info = HelloInfo {
        hello_type,
        version,
        ..HelloInfo::default()
    };
    if c.0.is_empty() {
        return Ok(info);
    }
    let mut exts = Cur(c.vec16()?);
    while !exts.0.is_empty() {
        let ty = exts.u16()?;
        let mut body = Cur(exts.vec16()?);
        match ty {
            0 => {
                let mut list = Cur(body.vec16()?);
                while !list.0.is_empty() {
                    let kind = list.u8()?;
                    let name = list.vec16()?;
                    if kind == 0 && info.sni.is_none() {
                        info.sni = std::str::from_utf8(name).ok().map(str::to_string);
                    }
                }
            }
            16 => {
                let mut list = Cur(body.vec16()?);
                while !list.0.is_empty() {
                    let p = list.vec8()?;
                    info.alpn.push(String::from_utf8_lossy(p).into_owned());
                }
            }
            43 => {
                let mut list = Cur(body.vec8()?);
                while !list.0.is_empty() {
                    info.supported_versions.push(list.u16()?);
                }
            }
            _ => {}
        }
    }
    Ok(info)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A real ClientHello, as rustls writes it for `sni`.
    fn captured_hello(sni: &str) -> Vec<u8> {
        use std::sync::Arc;
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let mut cfg = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap_or_else(|e| panic!("{e}"))
            .with_root_certificates(rustls::RootCertStore::empty())
            .with_no_client_auth();
        cfg.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        let name = rustls::pki_types::ServerName::try_from(sni.to_string())
            .unwrap_or_else(|e| panic!("{e}"));
        let mut conn =
            rustls::ClientConnection::new(Arc::new(cfg), name).unwrap_or_else(|e| panic!("{e}"));
        let mut out = Vec::new();
        conn.write_tls(&mut out).unwrap_or_else(|e| panic!("{e}"));
        out
    }

    #[test]
    fn reads_sni_version_alpn_from_a_real_hello() {
        let h = captured_hello("www.example.test");
        let info = parse_client_hello(&h).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(info.hello_type, 1);
        assert_eq!(info.version, 0x30003);
        assert_eq!(info.sni.as_deref(), Some("www.example.test"));
        assert_eq!(info.alpn, vec!["h2".to_string(), "http/1.1".to_string()]);
        assert!(info.supported_versions.contains(&0x0304));
        assert_eq!(hello_type(&h[..6]), Ok(1));
    }

    #[test]
    fn every_truncation_asks_for_more() {
        let h = captured_hello("a.test");
        for n in 0..h.len() {
            assert_eq!(
                parse_client_hello(&h[..n]),
                Err(HelloError::NeedMore),
                "at {n}"
            );
        }
    }

    #[test]
    fn garbage_is_not_tls_and_never_panics() {
        assert_eq!(
            parse_client_hello(b"GET / HTTP/1.1\r\n\r\n"),
            Err(HelloError::NotTls)
        );
        assert_eq!(hello_type(b"GET /"), Err(HelloError::NotTls));
        // Every single-byte corruption of a real hello.
        let h = captured_hello("a.test");
        for i in 0..h.len() {
            for b in [0u8, 0xff, 0x7f] {
                let mut m = h.clone();
                m[i] = b;
                let _ = parse_client_hello(&m);
            }
        }
        // Pseudo-random inputs behind a valid record header.
        let mut x = 0x1234_5678u32;
        for len in 0..600usize {
            let mut m = vec![0x16, 3, 1, (len >> 8) as u8, len as u8, 1];
            for _ in 0..len {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                m.push(x as u8);
            }
            let _ = parse_client_hello(&m);
        }
    }
}
