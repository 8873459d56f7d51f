//! VRRP advertisement wire format (RFC 3768 v2, RFC 5798/9568 v3) and the frames that go
//! with it (IPv4 header for `IP_HDRINCL`, gratuitous ARP).
//!
//! Pure functions over bytes: no sockets here. The v3-over-IPv4 checksum is the main
//! interop trap (spec §1.4): keepalived sends it with an IPv4 pseudo-header, RFC 9568
//! peers without; we send either and accept both.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// IP protocol number / IPv6 next header of VRRP.
pub const IPPROTO_VRRP: u8 = 112;
/// The IPv4 VRRP multicast group.
pub const MCAST_V4: Ipv4Addr = Ipv4Addr::new(224, 0, 0, 18);
/// The IPv6 VRRP multicast group.
pub const MCAST_V6: Ipv6Addr = Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 0x12);
/// TTL / hop limit every advert is sent with and multicast adverts must carry.
pub const VRRP_TTL: u8 = 255;
/// Length of the v2 authentication data trailer.
pub const AUTH_LEN: usize = 8;

/// Protocol version of an advert (and of an instance).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Version {
    V2,
    V3,
}

impl Version {
    pub fn number(self) -> u8 {
        match self {
            Version::V2 => 2,
            Version::V3 => 3,
        }
    }
}

/// v2 authentication carried in an advert.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Auth {
    None,
    /// Simple password, zero-padded to 8 bytes. An interop token, not security.
    Pass([u8; AUTH_LEN]),
    /// Any other type number (2 = AH); only decoded so it can be reported.
    Other(u8),
}

impl Auth {
    fn type_byte(&self) -> u8 {
        match self {
            Auth::None => 0,
            Auth::Pass(_) => 1,
            Auth::Other(t) => *t,
        }
    }

    /// Password auth from a configured string, truncated to 8 bytes as keepalived does.
    pub fn pass(password: &str) -> Auth {
        let mut data = [0u8; AUTH_LEN];
        for (d, s) in data.iter_mut().zip(password.bytes()) {
            *d = s;
        }
        Auth::Pass(data)
    }
}

/// A decoded VRRP advertisement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Advert {
    pub version: Version,
    pub vrid: u8,
    pub priority: u8,
    /// Advertisement interval in centiseconds (v2's whole seconds are scaled by 100).
    pub interval_cs: u16,
    /// Addresses in wire order; all of the carrying IP family.
    pub addrs: Vec<IpAddr>,
    /// v2 only; always `Auth::None` for v3.
    pub auth: Auth,
}

/// Which checksum form an advert was sent (or is to be sent) with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChecksumForm {
    /// Over the VRRP message only (v2; v3/IPv4 per RFC 9568).
    Plain,
    /// v3/IPv4 with an IPv4 pseudo-header whose destination is the actual IP destination
    /// (keepalived's default).
    PseudoHeader,
    /// v3/IPv4 pseudo-header computed with 224.0.0.18 although sent unicast
    /// (keepalived <= 1.3.6).
    PseudoHeaderMcastDst,
}

/// Why a received advert was dropped. Each variant has its own counter in the daemon.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
pub enum DecodeError {
    #[error("packet too short ({0} bytes)")]
    TooShort(usize),
    #[error("wrong version {0}")]
    BadVersion(u8),
    #[error("wrong type {0}")]
    BadType(u8),
    #[error("address count 0")]
    NoAddresses,
    #[error("advert interval 0")]
    ZeroInterval,
    #[error("length {got} does not match {expected} for the address count")]
    BadLength { got: usize, expected: usize },
    #[error("invalid VRRPv{0} checksum")]
    BadChecksum(u8),
    #[error("IPv4 header invalid")]
    BadIpHeader,
    #[error("not VRRP (protocol {0})")]
    NotVrrp(u8),
}

/// RFC 1071 Internet checksum over the concatenation of `parts`.
pub fn internet_checksum(parts: &[&[u8]]) -> u16 {
    let mut sum: u32 = 0;
    let mut odd: Option<u8> = None;
    for part in parts {
        for &b in part.iter() {
            match odd.take() {
                Some(hi) => sum += u32::from(u16::from_be_bytes([hi, b])),
                None => odd = Some(b),
            }
        }
    }
    if let Some(hi) = odd {
        sum += u32::from(u16::from_be_bytes([hi, 0]));
    }
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

fn pseudo_v4(src: Ipv4Addr, dst: Ipv4Addr, len: usize) -> [u8; 12] {
    let mut p = [0u8; 12];
    p[0..4].copy_from_slice(&src.octets());
    p[4..8].copy_from_slice(&dst.octets());
    p[9] = IPPROTO_VRRP;
    p[10..12].copy_from_slice(&(len as u16).to_be_bytes());
    p
}

fn pseudo_v6(src: Ipv6Addr, dst: Ipv6Addr, len: usize) -> [u8; 40] {
    let mut p = [0u8; 40];
    p[0..16].copy_from_slice(&src.octets());
    p[16..32].copy_from_slice(&dst.octets());
    p[32..36].copy_from_slice(&(len as u32).to_be_bytes());
    p[39] = IPPROTO_VRRP;
    p
}

/// Where the advert goes, for checksums that need a pseudo-header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Endpoints {
    pub src: IpAddr,
    pub dst: IpAddr,
}

impl Advert {
    fn addr_len(&self) -> usize {
        match self.addrs.first() {
            Some(IpAddr::V6(_)) => 16,
            _ => 4,
        }
    }

    /// Length of the encoded message.
    pub fn wire_len(&self) -> usize {
        let body = 8 + self.addrs.len() * self.addr_len();
        match self.version {
            Version::V2 => body + AUTH_LEN,
            Version::V3 => body,
        }
    }

    /// Encodes the advert. `form` selects the v3/IPv4 checksum; v3/IPv6 always uses the
    /// IPv6 pseudo-header (the daemon lets the kernel compute it via `IPV6_CHECKSUM`, but
    /// the bytes are the same). `ends` is needed for any pseudo-header form.
    pub fn encode(&self, form: ChecksumForm, ends: Endpoints) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.wire_len());
        out.push((self.version.number() << 4) | 1);
        out.push(self.vrid);
        out.push(self.priority);
        out.push(self.addrs.len().min(255) as u8);
        match self.version {
            Version::V2 => {
                out.push(self.auth.type_byte());
                out.push((self.interval_cs / 100).clamp(1, 255) as u8);
            }
            Version::V3 => {
                out.extend_from_slice(&(self.interval_cs & 0x0fff).to_be_bytes());
            }
        }
        out.extend_from_slice(&[0, 0]);
        for a in self.addrs.iter().take(255) {
            match a {
                IpAddr::V4(v4) => out.extend_from_slice(&v4.octets()),
                IpAddr::V6(v6) => out.extend_from_slice(&v6.octets()),
            }
        }
        if self.version == Version::V2 {
            match self.auth {
                Auth::Pass(data) => out.extend_from_slice(&data),
                _ => out.extend_from_slice(&[0; AUTH_LEN]),
            }
        }
        let csum = match (self.version, ends.src, ends.dst, form) {
            (Version::V3, IpAddr::V6(s), IpAddr::V6(d), _) => {
                internet_checksum(&[&pseudo_v6(s, d, out.len()), &out])
            }
            (Version::V3, IpAddr::V4(s), IpAddr::V4(d), ChecksumForm::PseudoHeader) => {
                internet_checksum(&[&pseudo_v4(s, d, out.len()), &out])
            }
            (Version::V3, IpAddr::V4(s), IpAddr::V4(_), ChecksumForm::PseudoHeaderMcastDst) => {
                internet_checksum(&[&pseudo_v4(s, MCAST_V4, out.len()), &out])
            }
            _ => internet_checksum(&[&out]),
        };
        out[6..8].copy_from_slice(&csum.to_be_bytes());
        out
    }
}

/// Decodes a VRRP message carried over IPv4 from `src` to `dst`, checking the checksum
/// in every form keepalived or an RFC 9568 peer might use. Trailing bytes beyond the
/// length implied by the address count (Ethernet padding) are ignored.
pub fn decode_v4(
    buf: &[u8],
    src: Ipv4Addr,
    dst: Ipv4Addr,
) -> Result<(Advert, ChecksumForm), DecodeError> {
    let (advert, len) = decode_fields(buf, false)?;
    let msg = &buf[..len];
    let form = match advert.version {
        Version::V2 => {
            if internet_checksum(&[msg]) != 0 {
                return Err(DecodeError::BadChecksum(2));
            }
            ChecksumForm::Plain
        }
        Version::V3 => {
            if internet_checksum(&[&pseudo_v4(src, dst, len), msg]) == 0 {
                ChecksumForm::PseudoHeader
            } else if dst != MCAST_V4
                && internet_checksum(&[&pseudo_v4(src, MCAST_V4, len), msg]) == 0
            {
                ChecksumForm::PseudoHeaderMcastDst
            } else if internet_checksum(&[msg]) == 0 {
                ChecksumForm::Plain
            } else {
                return Err(DecodeError::BadChecksum(3));
            }
        }
    };
    Ok((advert, form))
}

/// Decodes a VRRPv3 message carried over IPv6. With `ends` the checksum is verified;
/// without, it is assumed the kernel did (`IPV6_CHECKSUM`).
pub fn decode_v6(buf: &[u8], ends: Option<(Ipv6Addr, Ipv6Addr)>) -> Result<Advert, DecodeError> {
    let (advert, len) = decode_fields(buf, true)?;
    if advert.version != Version::V3 {
        return Err(DecodeError::BadVersion(2));
    }
    if let Some((s, d)) = ends {
        if internet_checksum(&[&pseudo_v6(s, d, len), &buf[..len]]) != 0 {
            return Err(DecodeError::BadChecksum(3));
        }
    }
    Ok(advert)
}

fn decode_fields(buf: &[u8], v6: bool) -> Result<(Advert, usize), DecodeError> {
    if buf.len() < 8 {
        return Err(DecodeError::TooShort(buf.len()));
    }
    let version = match buf[0] >> 4 {
        2 if !v6 => Version::V2,
        3 => Version::V3,
        v => return Err(DecodeError::BadVersion(v)),
    };
    if buf[0] & 0x0f != 1 {
        return Err(DecodeError::BadType(buf[0] & 0x0f));
    }
    let count = usize::from(buf[3]);
    if count == 0 {
        return Err(DecodeError::NoAddresses);
    }
    let alen = if v6 { 16 } else { 4 };
    let expected = 8 + count * alen + if version == Version::V2 { AUTH_LEN } else { 0 };
    if buf.len() < expected {
        return Err(DecodeError::BadLength {
            got: buf.len(),
            expected,
        });
    }
    let (interval_cs, auth_type) = match version {
        Version::V2 => (u16::from(buf[5]) * 100, buf[4]),
        Version::V3 => (u16::from_be_bytes([buf[4], buf[5]]) & 0x0fff, 0),
    };
    if interval_cs == 0 {
        return Err(DecodeError::ZeroInterval);
    }
    let addrs = buf[8..8 + count * alen]
        .chunks_exact(alen)
        .map(|c| match <[u8; 16]>::try_from(c) {
            Ok(b16) => IpAddr::V6(Ipv6Addr::from(b16)),
            Err(_) => IpAddr::V4(Ipv4Addr::new(c[0], c[1], c[2], c[3])),
        })
        .collect();
    let auth = match (version, auth_type) {
        (Version::V3, _) | (Version::V2, 0) => Auth::None,
        (Version::V2, 1) => {
            let mut data = [0u8; AUTH_LEN];
            data.copy_from_slice(&buf[expected - AUTH_LEN..expected]);
            Auth::Pass(data)
        }
        (Version::V2, t) => Auth::Other(t),
    };
    Ok((
        Advert {
            version,
            vrid: buf[1],
            priority: buf[2],
            interval_cs,
            addrs,
            auth,
        },
        expected,
    ))
}

/// The fields of a received IPv4 header the receive checks need.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ipv4Info {
    pub src: Ipv4Addr,
    pub dst: Ipv4Addr,
    pub ttl: u8,
    pub header_len: usize,
    pub total_len: usize,
}

/// Parses the IPv4 header a raw socket hands over with each datagram.
pub fn parse_ipv4(buf: &[u8]) -> Result<Ipv4Info, DecodeError> {
    if buf.len() < 20 || buf[0] >> 4 != 4 {
        return Err(DecodeError::BadIpHeader);
    }
    let header_len = usize::from(buf[0] & 0x0f) * 4;
    let total_len = usize::from(u16::from_be_bytes([buf[2], buf[3]]));
    if header_len < 20 || total_len < header_len || total_len > buf.len() {
        return Err(DecodeError::BadIpHeader);
    }
    if buf[9] != IPPROTO_VRRP {
        return Err(DecodeError::NotVrrp(buf[9]));
    }
    Ok(Ipv4Info {
        src: Ipv4Addr::new(buf[12], buf[13], buf[14], buf[15]),
        dst: Ipv4Addr::new(buf[16], buf[17], buf[18], buf[19]),
        ttl: buf[8],
        header_len,
        total_len,
    })
}

/// The 20-byte IPv4 header keepalived puts on adverts: TOS 0xc0, DF clear, TTL 255.
/// `id` 0 lets the kernel fill it (it always fills the header checksum for
/// `IP_HDRINCL`, but we compute it so the bytes are complete on their own).
pub fn ipv4_header(src: Ipv4Addr, dst: Ipv4Addr, payload_len: usize, id: u16) -> [u8; 20] {
    let mut h = [0u8; 20];
    h[0] = 0x45;
    h[1] = 0xc0;
    h[2..4].copy_from_slice(&((20 + payload_len) as u16).to_be_bytes());
    h[4..6].copy_from_slice(&id.to_be_bytes());
    h[8] = VRRP_TTL;
    h[9] = IPPROTO_VRRP;
    h[12..16].copy_from_slice(&src.octets());
    h[16..20].copy_from_slice(&dst.octets());
    let c = internet_checksum(&[&h]);
    h[10..12].copy_from_slice(&c.to_be_bytes());
    h
}

/// ff02::1, where unsolicited NAs go.
pub const ALL_NODES_V6: Ipv6Addr = Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 1);

/// The ICMPv6 part of an unsolicited neighbour advertisement as keepalived sends it:
/// Override flag (plus Router when forwarding), target = VIP, target link-layer address
/// option = interface MAC. The checksum is left 0: the kernel fills it on raw ICMPv6
/// sockets (use [`icmp6_checksum`] to see the wire value).
pub fn unsolicited_na(mac: [u8; 6], vip: Ipv6Addr, router: bool) -> [u8; 32] {
    let mut m = [0u8; 32];
    m[0] = 136;
    m[4] = if router { 0xa0 } else { 0x20 };
    m[8..24].copy_from_slice(&vip.octets());
    m[24] = 2;
    m[25] = 1;
    m[26..32].copy_from_slice(&mac);
    m
}

/// ICMPv6 checksum of `msg` (checksum field zero) from `src` to `dst`.
pub fn icmp6_checksum(src: Ipv6Addr, dst: Ipv6Addr, msg: &[u8]) -> u16 {
    let mut p = pseudo_v6(src, dst, msg.len());
    p[39] = 58;
    internet_checksum(&[&p, msg])
}

/// A gratuitous ARP as keepalived sends it: an ARP *request* with sender = target = VIP,
/// sender MAC = interface MAC, target MAC all-ones, Ethernet broadcast (42 bytes).
pub fn garp_frame(mac: [u8; 6], vip: Ipv4Addr) -> [u8; 42] {
    let mut f = [0u8; 42];
    f[0..6].copy_from_slice(&[0xff; 6]);
    f[6..12].copy_from_slice(&mac);
    f[12..14].copy_from_slice(&[0x08, 0x06]);
    f[14..22].copy_from_slice(&[0x00, 0x01, 0x08, 0x00, 6, 4, 0x00, 0x01]);
    f[22..28].copy_from_slice(&mac);
    f[28..32].copy_from_slice(&vip.octets());
    f[32..38].copy_from_slice(&[0xff; 6]);
    f[38..42].copy_from_slice(&vip.octets());
    f
}

#[cfg(test)]
mod tests;
