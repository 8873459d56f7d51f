//! The PROXY protocol, v1 (text) and v2 (binary), sans I/O: [`parse`]
//! decodes the header a client sends right after connecting (`accept-proxy`)
//! and the `encode_*` functions build the one sent to a server
//! (`send-proxy`, `send-proxy-v2`). Socket reading and writing live in
//! [`io`]; nothing else here touches a socket.
//!
//! The parser never reads past the header: [`Parse::Incomplete`] means every
//! byte seen so far belongs to the header, so the caller may consume them
//! and read on without swallowing request bytes.

pub mod io;

use std::net::{IpAddr, Ipv6Addr, SocketAddr};

const V1_PREFIX: &[u8] = b"PROXY ";
/// The longest v1 line the spec allows, CRLF included.
const V1_MAX: usize = 107;
const V2_SIG: &[u8; 12] = b"\r\n\r\n\0\r\nQUIT\n";
const V2_FIXED: usize = 16;

const TLV_ALPN: u8 = 0x01;
const TLV_AUTHORITY: u8 = 0x02;
const TLV_CRC32C: u8 = 0x03;
const TLV_UNIQUE_ID: u8 = 0x05;
const TLV_SSL: u8 = 0x20;
const SUB_SSL_VERSION: u8 = 0x21;
const SUB_SSL_CN: u8 = 0x22;
const SUB_SSL_CIPHER: u8 = 0x23;
const SUB_SSL_SIG_ALG: u8 = 0x24;
const SUB_SSL_KEY_ALG: u8 = 0x25;
/// HAProxy refuses longer authority and unique-id TLVs.
const AUTHORITY_MAX: usize = 255;
const UNIQUE_ID_MAX: usize = 128;

/// Why a header was refused; the `Display` text is HAProxy's log message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    #[error("Received something which does not look like a PROXY protocol header")]
    NotHeader,
    #[error("Received an invalid PROXY protocol header")]
    BadHeader,
    #[error("Received an unhandled protocol in the PROXY protocol header")]
    BadProto,
}

/// What the parser made of the bytes so far.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Parse {
    /// A valid prefix: all of it is header, more is needed.
    Incomplete,
    /// A whole header of `len` bytes.
    Done { header: Box<Header>, len: usize },
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Header {
    /// The announced addresses; None for v1 `UNKNOWN`, the v2 LOCAL command
    /// and families other than TCP over IPv4/IPv6: the connection's own
    /// addresses stay in force then.
    pub addrs: Option<(SocketAddr, SocketAddr)>,
    /// A v2 header with the LOCAL command (health checks from the peer).
    pub local: bool,
    /// For v2 AF_UNIX: the announced paths (trailing NULs removed).
    pub unix: Option<(Vec<u8>, Vec<u8>)>,
    pub tlvs: Tlvs,
}

/// The v2 TLVs lbd keeps (with the connection, for the fetches and for
/// forwarding).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Tlvs {
    pub alpn: Option<Vec<u8>>,
    pub authority: Option<String>,
    pub unique_id: Option<Vec<u8>>,
    pub ssl: Option<SslTlv>,
}

/// `PP2_TYPE_SSL`: what the peer knew of the client's TLS session.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SslTlv {
    /// PP2_CLIENT_SSL (1), _CERT_CONN (2), _CERT_SESS (4) bits.
    pub client: u8,
    /// 0 when the client certificate verified.
    pub verify: u32,
    pub version: Option<String>,
    pub cn: Option<String>,
    pub cipher: Option<String>,
    pub sig_alg: Option<String>,
    pub key_alg: Option<String>,
}

impl SslTlv {
    pub const CLIENT_SSL: u8 = 0x01;
    pub const CLIENT_CERT_CONN: u8 = 0x02;
    pub const CLIENT_CERT_SESS: u8 = 0x04;
}

/// A server's `proxy-v2-options`: the TLVs it adds to `send-proxy-v2`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct V2Options {
    /// `ssl`, and implied by each of the four below: the SSL TLV.
    pub ssl: bool,
    pub cert_cn: bool,
    pub ssl_cipher: bool,
    pub cert_sig: bool,
    pub cert_key: bool,
    pub authority: bool,
    pub crc32c: bool,
    pub unique_id: bool,
}

impl V2Options {
    /// Parses the comma list; the error is HAProxy's message for the first
    /// unknown name.
    pub fn parse(list: &str) -> Result<V2Options, String> {
        let mut o = V2Options::default();
        for name in list.split(',') {
            let flag = match name {
                "ssl" => &mut o.ssl,
                "cert-cn" => &mut o.cert_cn,
                "cert-key" => &mut o.cert_key,
                "cert-sig" => &mut o.cert_sig,
                "ssl-cipher" => &mut o.ssl_cipher,
                "authority" => &mut o.authority,
                "crc32c" => &mut o.crc32c,
                "unique-id" => &mut o.unique_id,
                _ => return Err(format!("'{name}' : proxy v2 option not implemented")),
            };
            *flag = true;
        }
        o.ssl |= o.cert_cn || o.cert_key || o.cert_sig || o.ssl_cipher;
        Ok(o)
    }
}

/// Decodes a header at the start of `buf`.
pub fn parse(buf: &[u8]) -> Result<Parse, Error> {
    let Some(&first) = buf.first() else {
        return Ok(Parse::Incomplete);
    };
    if first == b'P' {
        parse_v1(buf)
    } else if first == b'\r' {
        parse_v2(buf)
    } else {
        Err(Error::NotHeader)
    }
}

fn parse_v1(buf: &[u8]) -> Result<Parse, Error> {
    let n = buf.len().min(V1_PREFIX.len());
    if buf[..n] != V1_PREFIX[..n] {
        return Err(Error::NotHeader);
    }
    let Some(lf) = buf.iter().take(V1_MAX).position(|&b| b == b'\n') else {
        return if buf.len() >= V1_MAX {
            Err(Error::BadHeader)
        } else {
            Ok(Parse::Incomplete)
        };
    };
    let len = lf + 1;
    let line = buf[..lf]
        .strip_suffix(b"\r")
        .ok_or(Error::BadHeader)?
        .get(V1_PREFIX.len()..)
        .ok_or(Error::NotHeader)?;
    let line = std::str::from_utf8(line).map_err(|_| Error::BadHeader)?;
    let mut words = line.split(' ');
    let proto = words.next().unwrap_or("");
    let want_v6 = match proto {
        "TCP4" => false,
        "TCP6" => true,
        // Anything may follow UNKNOWN; the receiver ignores it.
        "UNKNOWN" => {
            return Ok(Parse::Done {
                header: Box::default(),
                len,
            })
        }
        _ => return Err(Error::BadProto),
    };
    let fields: Vec<&str> = words.collect();
    let [src, dst, sport, dport] = fields[..] else {
        return Err(Error::BadHeader);
    };
    let ip = |s: &str| -> Result<IpAddr, Error> {
        let ip: IpAddr = s.parse().map_err(|_| Error::BadHeader)?;
        if ip.is_ipv6() == want_v6 {
            Ok(ip)
        } else {
            Err(Error::BadHeader)
        }
    };
    let port = |s: &str| -> Result<u16, Error> {
        if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(Error::BadHeader);
        }
        s.parse().map_err(|_| Error::BadHeader)
    };
    let header = Header {
        addrs: Some((
            SocketAddr::new(ip(src)?, port(sport)?),
            SocketAddr::new(ip(dst)?, port(dport)?),
        )),
        ..Header::default()
    };
    Ok(Parse::Done {
        header: Box::new(header),
        len,
    })
}

fn parse_v2(buf: &[u8]) -> Result<Parse, Error> {
    let n = buf.len().min(V2_SIG.len());
    if buf[..n] != V2_SIG[..n] {
        return Err(Error::NotHeader);
    }
    if buf.len() < V2_FIXED {
        // The version nibble is checked as soon as it arrives.
        if buf.len() > 12 && buf[12] >> 4 != 2 {
            return Err(Error::NotHeader);
        }
        return Ok(Parse::Incomplete);
    }
    let ver_cmd = buf[12];
    if ver_cmd >> 4 != 2 {
        return Err(Error::NotHeader);
    }
    let body_len = usize::from(u16::from_be_bytes([buf[14], buf[15]]));
    let len = V2_FIXED + body_len;
    if buf.len() < len {
        return Ok(Parse::Incomplete);
    }
    let body = &buf[V2_FIXED..len];
    let mut header = Header::default();
    match ver_cmd & 0x0f {
        0x00 => {
            header.local = true;
            return Ok(Parse::Done {
                header: Box::new(header),
                len,
            });
        }
        0x01 => {}
        _ => return Err(Error::BadHeader),
    }
    let fam = buf[13];
    let tlv_start = match fam {
        0x11 => {
            let a = body.get(..12).ok_or(Error::BadHeader)?;
            let ip = |o: usize| IpAddr::from([a[o], a[o + 1], a[o + 2], a[o + 3]]);
            let port = |o: usize| u16::from_be_bytes([a[o], a[o + 1]]);
            header.addrs = Some((
                SocketAddr::new(ip(0), port(8)),
                SocketAddr::new(ip(4), port(10)),
            ));
            12
        }
        0x21 => {
            let a = body.get(..36).ok_or(Error::BadHeader)?;
            let ip = |o: usize| {
                let mut b = [0u8; 16];
                b.copy_from_slice(&a[o..o + 16]);
                IpAddr::from(Ipv6Addr::from(b))
            };
            let port = |o: usize| u16::from_be_bytes([a[o], a[o + 1]]);
            header.addrs = Some((
                SocketAddr::new(ip(0), port(32)),
                SocketAddr::new(ip(16), port(34)),
            ));
            36
        }
        0x31 | 0x32 => {
            let a = body.get(..216).ok_or(Error::BadHeader)?;
            let path = |p: &[u8]| p.iter().take_while(|&&b| b != 0).copied().collect();
            header.unix = Some((path(&a[..108]), path(&a[108..])));
            216
        }
        // UNSPEC, UDP: the connection's own addresses are kept, but the
        // address block length is unknown, so the TLVs cannot be found.
        _ => {
            return Ok(Parse::Done {
                header: Box::new(header),
                len,
            })
        }
    };
    header.tlvs = parse_tlvs(&body[tlv_start..])?;
    check_crc32c(&buf[..len], V2_FIXED + tlv_start)?;
    Ok(Parse::Done {
        header: Box::new(header),
        len,
    })
}

/// Walks a TLV list; a TLV running past the end is an invalid header.
fn tlv_iter(mut b: &[u8]) -> impl Iterator<Item = Result<(u8, &[u8]), Error>> {
    std::iter::from_fn(move || {
        if b.is_empty() {
            return None;
        }
        if b.len() < 3 {
            b = &[];
            return Some(Err(Error::BadHeader));
        }
        let l = usize::from(u16::from_be_bytes([b[1], b[2]]));
        let Some(v) = b.get(3..3 + l) else {
            b = &[];
            return Some(Err(Error::BadHeader));
        };
        let t = b[0];
        b = &b[3 + l..];
        Some(Ok((t, v)))
    })
}

fn parse_tlvs(b: &[u8]) -> Result<Tlvs, Error> {
    let text = |v: &[u8]| String::from_utf8_lossy(v).into_owned();
    let mut out = Tlvs::default();
    for tlv in tlv_iter(b) {
        let (t, v) = tlv?;
        match t {
            TLV_ALPN => out.alpn = Some(v.to_vec()),
            TLV_AUTHORITY if v.len() > AUTHORITY_MAX => return Err(Error::BadHeader),
            TLV_AUTHORITY => out.authority = Some(text(v)),
            TLV_UNIQUE_ID if v.len() > UNIQUE_ID_MAX => return Err(Error::BadHeader),
            TLV_UNIQUE_ID => out.unique_id = Some(v.to_vec()),
            TLV_SSL => {
                let fixed = v.get(..5).ok_or(Error::BadHeader)?;
                let mut ssl = SslTlv {
                    client: fixed[0],
                    verify: u32::from_be_bytes([fixed[1], fixed[2], fixed[3], fixed[4]]),
                    ..SslTlv::default()
                };
                for sub in tlv_iter(&v[5..]) {
                    let (st, sv) = sub?;
                    let slot = match st {
                        SUB_SSL_VERSION => &mut ssl.version,
                        SUB_SSL_CN => &mut ssl.cn,
                        SUB_SSL_CIPHER => &mut ssl.cipher,
                        SUB_SSL_SIG_ALG => &mut ssl.sig_alg,
                        SUB_SSL_KEY_ALG => &mut ssl.key_alg,
                        _ => continue,
                    };
                    *slot = Some(text(sv));
                }
                out.ssl = Some(ssl);
            }
            // CRC32C is checked over the whole header (`check_crc32c`);
            // NOOP, NETNS and custom types are accepted and ignored.
            _ => {}
        }
    }
    Ok(out)
}

/// The v1 line for a connection from `src` to `dst`; `UNKNOWN` when either
/// is unknown (a unix-socket client). Mixed families are sent as IPv6, with
/// the IPv4 side mapped, as HAProxy does.
pub fn encode_v1(addrs: Option<(SocketAddr, SocketAddr)>) -> Vec<u8> {
    let Some((src, dst)) = addrs else {
        return b"PROXY UNKNOWN\r\n".to_vec();
    };
    let line = match (src.ip(), dst.ip()) {
        (IpAddr::V4(s), IpAddr::V4(d)) => {
            format!("PROXY TCP4 {s} {d} {} {}\r\n", src.port(), dst.port())
        }
        (s, d) => format!(
            "PROXY TCP6 {} {} {} {}\r\n",
            v6(s),
            v6(d),
            src.port(),
            dst.port()
        ),
    };
    line.into_bytes()
}

fn v6(ip: IpAddr) -> Ipv6Addr {
    match ip {
        IpAddr::V4(v4) => v4.to_ipv6_mapped(),
        IpAddr::V6(v6) => v6,
    }
}

/// The v2 header for a connection from `src` to `dst` (the LOCAL command
/// when unknown), followed by the given TLVs (ALPN, authority, unique id,
/// SSL with its version, CN, key, signature and cipher sub-TLVs, in that
/// order, as HAProxy 2.6 writes them).
pub fn encode_v2(addrs: Option<(SocketAddr, SocketAddr)>, tlvs: &Tlvs) -> Vec<u8> {
    encode_v2_with(addrs, tlvs, false)
}

/// [`encode_v2`] sealed with a CRC32C TLV (`proxy-v2-options crc32c`),
/// written first as HAProxy does, the checksum covering the whole header.
pub fn encode_v2_crc32c(addrs: Option<(SocketAddr, SocketAddr)>, tlvs: &Tlvs) -> Vec<u8> {
    encode_v2_with(addrs, tlvs, true)
}

fn encode_v2_with(addrs: Option<(SocketAddr, SocketAddr)>, tlvs: &Tlvs, crc: bool) -> Vec<u8> {
    let mut out = Vec::with_capacity(64);
    out.extend_from_slice(V2_SIG);
    match addrs {
        None => out.extend_from_slice(&[0x20, 0x00, 0, 0]),
        Some((src, dst)) => match (src.ip(), dst.ip()) {
            (IpAddr::V4(s), IpAddr::V4(d)) => {
                out.extend_from_slice(&[0x21, 0x11, 0, 0]);
                out.extend_from_slice(&s.octets());
                out.extend_from_slice(&d.octets());
                out.extend_from_slice(&src.port().to_be_bytes());
                out.extend_from_slice(&dst.port().to_be_bytes());
            }
            (s, d) => {
                out.extend_from_slice(&[0x21, 0x21, 0, 0]);
                out.extend_from_slice(&v6(s).octets());
                out.extend_from_slice(&v6(d).octets());
                out.extend_from_slice(&src.port().to_be_bytes());
                out.extend_from_slice(&dst.port().to_be_bytes());
            }
        },
    }
    let crc_at = crc.then(|| {
        put_tlv(&mut out, TLV_CRC32C, &[0; 4]);
        out.len() - 4
    });
    if let Some(a) = &tlvs.alpn {
        put_tlv(&mut out, TLV_ALPN, a);
    }
    if let Some(a) = &tlvs.authority {
        put_tlv(&mut out, TLV_AUTHORITY, a.as_bytes());
    }
    if let Some(u) = &tlvs.unique_id {
        put_tlv(&mut out, TLV_UNIQUE_ID, u);
    }
    if let Some(ssl) = &tlvs.ssl {
        let mut v = vec![ssl.client];
        v.extend_from_slice(&ssl.verify.to_be_bytes());
        for (t, s) in [
            (SUB_SSL_VERSION, &ssl.version),
            (SUB_SSL_CN, &ssl.cn),
            (SUB_SSL_KEY_ALG, &ssl.key_alg),
            (SUB_SSL_SIG_ALG, &ssl.sig_alg),
            (SUB_SSL_CIPHER, &ssl.cipher),
        ] {
            if let Some(s) = s {
                put_tlv(&mut v, t, s.as_bytes());
            }
        }
        put_tlv(&mut out, TLV_SSL, &v);
    }
    let body = u16::try_from(out.len() - V2_FIXED).unwrap_or(u16::MAX);
    out[14..16].copy_from_slice(&body.to_be_bytes());
    if let Some(at) = crc_at {
        let sum = crc32c(&out);
        out[at..at + 4].copy_from_slice(&sum.to_be_bytes());
    }
    out
}

/// A CRC32C TLV must be 4 bytes and match the header computed with its own
/// value zeroed; a header without one passes (2.6 `conn_recv_proxy()`).
fn check_crc32c(header: &[u8], tlv_start: usize) -> Result<(), Error> {
    let mut at = tlv_start;
    for tlv in tlv_iter(&header[tlv_start..]) {
        let (t, v) = tlv?;
        if t == TLV_CRC32C {
            let got: [u8; 4] = v.try_into().map_err(|_| Error::BadHeader)?;
            let mut copy = header.to_vec();
            copy[at + 3..at + 7].fill(0);
            if crc32c(&copy) != u32::from_be_bytes(got) {
                return Err(Error::BadHeader);
            }
        }
        at += 3 + v.len();
    }
    Ok(())
}

/// CRC-32C (Castagnoli), reflected, bit by bit: headers are short and rare
/// enough that a table is not worth its cache lines.
fn crc32c(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = (crc >> 1) ^ (0x82F6_3B78 & (crc & 1).wrapping_neg());
        }
    }
    !crc
}

/// Appends one TLV; values are bounded by what a header can carry.
fn put_tlv(out: &mut Vec<u8>, t: u8, v: &[u8]) {
    let v = &v[..v.len().min(usize::from(u16::MAX) - 512)];
    out.push(t);
    out.extend_from_slice(&(v.len() as u16).to_be_bytes());
    out.extend_from_slice(v);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn done(buf: &[u8]) -> (Header, usize) {
        match parse(buf) {
            Ok(Parse::Done { header, len }) => (*header, len),
            other => panic!("{other:?}"),
        }
    }

    fn sa(s: &str) -> SocketAddr {
        s.parse().unwrap()
    }

    #[test]
    fn v1_tcp4_then_data() {
        let (h, len) = done(b"PROXY TCP4 1.2.3.4 5.6.7.8 1111 80\r\nGET / HTTP/1.1\r\n");
        assert_eq!(len, 36);
        assert_eq!(h.addrs, Some((sa("1.2.3.4:1111"), sa("5.6.7.8:80"))));
    }

    #[test]
    fn v1_tcp6_and_unknown() {
        let (h, _) = done(b"PROXY TCP6 ::1 2001:db8::2 1 2\r\n");
        assert_eq!(h.addrs, Some((sa("[::1]:1"), sa("[2001:db8::2]:2"))));
        let (h, len) = done(b"PROXY UNKNOWN ffff::1 ::2 3 4\r\nX");
        assert_eq!((h.addrs, len), (None, 31));
    }

    #[test]
    fn v1_errors() {
        assert_eq!(parse(b"GET / HTTP/1.1\r\n"), Err(Error::NotHeader));
        assert_eq!(parse(b"PROXZ"), Err(Error::NotHeader));
        assert_eq!(parse(b"PROXY UDP4 a b 1 2\r\n"), Err(Error::BadProto));
        assert_eq!(
            parse(b"PROXY TCP4 1.2.3.4 5.6.7.8 1111\r\n"),
            Err(Error::BadHeader)
        );
        assert_eq!(
            parse(b"PROXY TCP4 ::1 5.6.7.8 1 2\r\n"),
            Err(Error::BadHeader)
        );
        assert_eq!(
            parse(b"PROXY TCP4 1.2.3.4 5.6.7.8 1 70000\r\n"),
            Err(Error::BadHeader)
        );
        assert_eq!(
            parse(b"PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n"),
            Err(Error::BadHeader)
        );
        assert_eq!(parse(&[b'P'; 200][..]), Err(Error::NotHeader));
        let mut long = b"PROXY UNKNOWN ".to_vec();
        long.resize(200, b'a');
        assert_eq!(parse(&long), Err(Error::BadHeader));
    }

    #[test]
    fn split_over_reads_is_incomplete_until_whole() {
        for whole in [
            encode_v1(Some((sa("10.0.0.1:5"), sa("10.0.0.2:6")))),
            encode_v2(
                Some((sa("[::1]:5"), sa("[::2]:6"))),
                &Tlvs {
                    authority: Some("example.com".into()),
                    ..Tlvs::default()
                },
            ),
        ] {
            for cut in 0..whole.len() {
                assert_eq!(parse(&whole[..cut]), Ok(Parse::Incomplete), "cut {cut}");
            }
            assert_eq!(done(&whole).1, whole.len());
        }
    }

    #[test]
    fn v2_round_trip_with_tlvs() {
        let tlvs = Tlvs {
            alpn: Some(b"h2".to_vec()),
            authority: Some("example.com".into()),
            unique_id: Some(b"abc-123".to_vec()),
            ssl: Some(SslTlv {
                client: SslTlv::CLIENT_SSL,
                verify: 0,
                version: Some("TLSv1.3".into()),
                cn: Some("client".into()),
                ..SslTlv::default()
            }),
        };
        let addrs = Some((sa("192.0.2.1:40000"), sa("192.0.2.2:443")));
        let mut wire = encode_v2(addrs, &tlvs);
        let n = wire.len();
        wire.extend_from_slice(b"GET");
        let (h, len) = done(&wire);
        assert_eq!(len, n);
        assert_eq!(h.addrs, addrs);
        assert_eq!(h.tlvs, tlvs);
        assert!(!h.local);
    }

    #[test]
    fn v2_local_unix_unspec() {
        let local = encode_v2(None, &Tlvs::default());
        assert_eq!(local, b"\r\n\r\n\0\r\nQUIT\n\x20\x00\x00\x00");
        let (h, len) = done(&local);
        assert!(h.local && h.addrs.is_none());
        assert_eq!(len, 16);

        let mut unix = V2_SIG.to_vec();
        unix.extend_from_slice(&[0x21, 0x31, 0, 216]);
        let mut block = [0u8; 216];
        block[..4].copy_from_slice(b"/a/s");
        block[108..110].copy_from_slice(b"/d");
        unix.extend_from_slice(&block);
        let (h, _) = done(&unix);
        assert_eq!(h.addrs, None);
        assert_eq!(h.unix, Some((b"/a/s".to_vec(), b"/d".to_vec())));

        // UNSPEC with the PROXY command: the addresses are kept, bytes skipped.
        let mut unspec = V2_SIG.to_vec();
        unspec.extend_from_slice(&[0x21, 0x00, 0, 3, 1, 2, 3]);
        assert_eq!(done(&unspec), (Header::default(), 19));
    }

    #[test]
    fn v2_errors() {
        let mut bad_sig = V2_SIG.to_vec();
        bad_sig[5] = b'x';
        assert_eq!(parse(&bad_sig), Err(Error::NotHeader));
        let mut bad_ver = V2_SIG.to_vec();
        bad_ver.extend_from_slice(&[0x11, 0x11, 0, 0]);
        assert_eq!(parse(&bad_ver), Err(Error::NotHeader));
        let mut bad_cmd = V2_SIG.to_vec();
        bad_cmd.extend_from_slice(&[0x22, 0x11, 0, 12]);
        bad_cmd.extend_from_slice(&[0; 12]);
        assert_eq!(parse(&bad_cmd), Err(Error::BadHeader));
        // An address block shorter than its family needs.
        let mut short = V2_SIG.to_vec();
        short.extend_from_slice(&[0x21, 0x11, 0, 4, 1, 2, 3, 4]);
        assert_eq!(parse(&short), Err(Error::BadHeader));
        // A TLV running past the header.
        let mut tlv = encode_v2(Some((sa("1.1.1.1:1"), sa("2.2.2.2:2"))), &Tlvs::default());
        tlv.extend_from_slice(&[TLV_AUTHORITY, 0, 9, b'a']);
        tlv[15] += 4;
        assert_eq!(parse(&tlv), Err(Error::BadHeader));
    }

    #[test]
    fn v1_encoding_matches_haproxy() {
        assert_eq!(encode_v1(None), b"PROXY UNKNOWN\r\n");
        assert_eq!(
            encode_v1(Some((sa("127.0.0.1:5"), sa("[::1]:80")))),
            b"PROXY TCP6 ::ffff:127.0.0.1 ::1 5 80\r\n"
        );
    }

    /// A cheap stand-in for a fuzzer: every prefix and every single-byte
    /// corruption of valid headers parses without panicking.
    #[test]
    fn never_panics_on_garbage() {
        let seeds = [
            encode_v1(Some((sa("1.2.3.4:1"), sa("5.6.7.8:2")))),
            encode_v2(
                Some((sa("1.2.3.4:1"), sa("5.6.7.8:2"))),
                &Tlvs {
                    ssl: Some(SslTlv::default()),
                    authority: Some("a".into()),
                    ..Tlvs::default()
                },
            ),
        ];
        for seed in seeds {
            for i in 0..seed.len() {
                for b in [0u8, 1, 0x0d, 0x20, 0x31, 0xff] {
                    let mut m = seed.clone();
                    m[i] = b;
                    for cut in [i, i + 1, m.len()] {
                        let _ = parse(&m[..cut.min(m.len())]);
                    }
                }
            }
        }
    }

    /// Captured from HAProxy 2.6.12: `send-proxy-v2 proxy-v2-options
    /// crc32c,unique-id` for 127.0.0.1:40001 -> 127.0.0.1:39450.
    const HAPROXY_CRC32C: &[u8] = b"\r\n\r\n\0\r\nQUIT\n\x21\x11\x00\x16\
        \x7f\x00\x00\x01\x7f\x00\x00\x01\x9c\x41\x9a\x1a\
        \x03\x00\x04\x09\x94\xf8\x32\x05\x00\x00";

    #[test]
    fn crc32c_is_checked_and_written_as_haproxy_does() {
        let (h, len) = done(HAPROXY_CRC32C);
        assert_eq!(len, HAPROXY_CRC32C.len());
        assert_eq!(
            h.addrs,
            Some((sa("127.0.0.1:40001"), sa("127.0.0.1:39450")))
        );
        let mut bad = HAPROXY_CRC32C.to_vec();
        bad[20] ^= 1;
        assert!(matches!(parse(&bad), Err(Error::BadHeader)));
        // Our encoder produces the same bytes for the same header.
        let tlvs = Tlvs {
            unique_id: Some(Vec::new()),
            ..Tlvs::default()
        };
        let ours = encode_v2_crc32c(Some((sa("127.0.0.1:40001"), sa("127.0.0.1:39450"))), &tlvs);
        assert_eq!(ours, HAPROXY_CRC32C);
        assert_eq!(crc32c(b"123456789"), 0xE306_9283);
    }

    #[test]
    fn v2_options_parse_as_haproxy() {
        let o = V2Options::parse("authority,crc32c").unwrap_or_default();
        assert!(o.authority && o.crc32c && !o.ssl && !o.unique_id);
        // Each certificate detail implies the SSL TLV.
        let o = V2Options::parse("cert-cn").unwrap_or_default();
        assert!(o.ssl && o.cert_cn);
        assert_eq!(
            V2Options::parse("ssl,bogus"),
            Err("'bogus' : proxy v2 option not implemented".into())
        );
        assert!(V2Options::parse("").is_err());
    }
}
