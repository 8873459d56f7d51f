//! Just enough of a TLS ClientHello to answer `req.ssl_sni`,
//! `req.ssl_hello_type` and `req.ssl_ver` from the raw request buffer.

/// The handshake type of the first record (1 = ClientHello).
pub fn hello_type(p: &[u8]) -> Option<u8> {
    if p.len() < 6 || p[0] != 0x16 {
        return None;
    }
    Some(p[5])
}

/// The record version as HAProxy reports it (`major << 16 | minor`).
pub fn version(p: &[u8]) -> Option<u32> {
    if p.len() < 3 || p[0] != 0x16 {
        return None;
    }
    Some(u32::from(p[1]) << 16 | u32::from(p[2]))
}

/// The server name of a ClientHello, when complete in `p`.
pub fn sni(p: &[u8]) -> Option<&[u8]> {
    let rec_len = usize::from(u16::from_be_bytes([*p.get(3)?, *p.get(4)?]));
    let hs = p.get(5..5 + rec_len)?;
    if *hs.first()? != 1 {
        return None;
    }
    // type(1) len(3) version(2) random(32)
    let mut i = 4 + 2 + 32;
    let sid = usize::from(*hs.get(i)?);
    i += 1 + sid;
    let cs = usize::from(u16::from_be_bytes([*hs.get(i)?, *hs.get(i + 1)?]));
    i += 2 + cs;
    let cm = usize::from(*hs.get(i)?);
    i += 1 + cm;
    let ext_len = usize::from(u16::from_be_bytes([*hs.get(i)?, *hs.get(i + 1)?]));
    i += 2;
    let exts = hs.get(i..i + ext_len)?;
    let mut j = 0;
    while j + 4 <= exts.len() {
        let ty = u16::from_be_bytes([exts[j], exts[j + 1]]);
        let len = usize::from(u16::from_be_bytes([exts[j + 2], exts[j + 3]]));
        let body = exts.get(j + 4..j + 4 + len)?;
        if ty == 0 {
            // list len(2), name type(1), name len(2), name
            let nlen = usize::from(u16::from_be_bytes([*body.get(3)?, *body.get(4)?]));
            return body.get(5..5 + nlen);
        }
        j += 4 + len;
    }
    None
}
