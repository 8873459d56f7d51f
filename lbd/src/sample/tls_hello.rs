//! `req.ssl_sni`, `req.ssl_hello_type` and `req.ssl_ver` over the raw
//! request buffer of a TCP session (spec 5.4), on top of the sans-IO
//! ClientHello reader in [`crate::tls::hello`]. Each answers only from data
//! that is complete, as HAProxy's do; [`incomplete`] tells the inspect loop
//! that waiting could still change an answer.

use crate::tls::hello::{parse_client_hello, HelloError};

/// Whether `p` opens like a TLS handshake record whose first handshake
/// message has not fully arrived: the fetches above cannot answer yet.
pub fn incomplete(p: &[u8]) -> bool {
    if p.is_empty() || p[0] != 0x16 {
        return false;
    }
    if p.len() < 9 {
        return true;
    }
    if p[1] != 3 {
        return false;
    }
    p.len() < 9 + hs_len(p)
}

/// The first handshake message's declared length.
fn hs_len(p: &[u8]) -> usize {
    (usize::from(p[6]) << 16) | (usize::from(p[7]) << 8) | usize::from(p[8])
}

/// `req.ssl_hello_type`: the first handshake message's type, once that
/// whole message is in the buffer (1 = ClientHello).
pub fn hello_type(p: &[u8]) -> Option<u8> {
    if p.len() < 9 || !(0x14..=0x17).contains(&p[0]) || p[1] != 3 {
        return None;
    }
    if usize::from(u16::from_be_bytes([p[3], p[4]])) < 4 || p.len() < 9 + hs_len(p) {
        return None;
    }
    Some(p[5])
}

/// `req.ssl_ver`: the ClientHello's `client_version` (not the record
/// layer's) as `major << 16 | minor`: 0x30003 from TLS 1.2 and 1.3 clients.
pub fn version(p: &[u8]) -> Option<u32> {
    if p.len() < 11 || !(0x14..=0x17).contains(&p[0]) || p[1] != 3 {
        return None;
    }
    let rec_len = usize::from(u16::from_be_bytes([p[3], p[4]]));
    if !(6..=(1 << 14) + 2048).contains(&rec_len) {
        return None;
    }
    Some((u32::from(p[9]) << 16) | u32::from(p[10]))
}

/// `req.ssl_sni`: the server name a complete ClientHello asks for.
pub fn sni(p: &[u8]) -> Option<String> {
    match parse_client_hello(p) {
        Ok(info) => info.sni,
        Err(HelloError::NeedMore | HelloError::NotTls) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A minimal ClientHello for `name`, record version 3.1, hello 3.3.
    fn hello(name: &str) -> Vec<u8> {
        let n = name.as_bytes();
        let mut sni_ext = Vec::new();
        let list_len = 3 + n.len();
        sni_ext.extend_from_slice(&(list_len as u16).to_be_bytes());
        sni_ext.push(0);
        sni_ext.extend_from_slice(&(n.len() as u16).to_be_bytes());
        sni_ext.extend_from_slice(n);
        let mut exts = vec![0, 0];
        exts.extend_from_slice(&(sni_ext.len() as u16).to_be_bytes());
        exts.extend_from_slice(&sni_ext);
        let mut body = vec![3, 3];
        body.extend_from_slice(&[0u8; 32]);
        body.push(0); // session id
        body.extend_from_slice(&[0, 2, 0x13, 0x01]); // one suite
        body.extend_from_slice(&[1, 0]); // null compression
        body.extend_from_slice(&(exts.len() as u16).to_be_bytes());
        body.extend_from_slice(&exts);
        let mut hs = vec![1, 0];
        hs.extend_from_slice(&(body.len() as u16).to_be_bytes());
        hs.extend_from_slice(&body);
        let mut rec = vec![0x16, 3, 1];
        rec.extend_from_slice(&(hs.len() as u16).to_be_bytes());
        rec.extend_from_slice(&hs);
        rec
    }

    #[test]
    fn a_complete_hello_answers_all_three() {
        let h = hello("a.example");
        assert_eq!(hello_type(&h), Some(1));
        assert_eq!(version(&h), Some(0x30003));
        assert_eq!(sni(&h).as_deref(), Some("a.example"));
        assert!(!incomplete(&h));
    }

    #[test]
    fn a_truncated_hello_is_incomplete_and_has_no_answers() {
        let h = hello("a.example");
        for n in 1..h.len() {
            assert!(incomplete(&h[..n]), "at {n}");
            assert_eq!(hello_type(&h[..n]), None, "at {n}");
            assert_eq!(sni(&h[..n]), None, "at {n}");
        }
    }

    #[test]
    fn garbage_is_neither_tls_nor_incomplete() {
        for g in [&b"GET / HTTP/1.1\r\n\r\n"[..], b"\x00\x01\x02", b""] {
            assert!(!incomplete(g));
            assert_eq!(hello_type(g), None);
            assert_eq!(version(g), None);
            assert_eq!(sni(g), None);
        }
    }
}
