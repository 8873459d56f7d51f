//! Golden vectors captured from keepalived 2.2.7 (spec §1.5).

use super::*;

fn hex(s: &str) -> Vec<u8> {
    let s: String = s.chars().filter(|c| c.is_ascii_hexdigit()).collect();
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap_or(0))
        .collect()
}

fn v4(a: u8, b: u8, c: u8, d: u8) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(a, b, c, d))
}

const SRC12: Ipv4Addr = Ipv4Addr::new(10, 99, 0, 12);
const SRC11: Ipv4Addr = Ipv4Addr::new(10, 99, 0, 11);

fn mcast_from(src: Ipv4Addr) -> Endpoints {
    Endpoints {
        src: IpAddr::V4(src),
        dst: IpAddr::V4(MCAST_V4),
    }
}

#[test]
fn v2_advert_full_frame() {
    let frame = hex("01005e000012 020000000002 0800
         45c0 0028 0001 0000 ff 70 d023 0a63000c e0000012
         21 33 64 01 00 01 7003 0a630064 0000000000000000");
    let ip = parse_ipv4(&frame[14..]).expect("ip header");
    assert_eq!(
        (ip.src, ip.dst, ip.ttl, ip.header_len, ip.total_len),
        (SRC12, MCAST_V4, 255, 20, 40)
    );
    let vrrp = &frame[14 + 20..];
    let (ad, form) = decode_v4(vrrp, ip.src, ip.dst).expect("decode");
    assert_eq!(form, ChecksumForm::Plain);
    let want = Advert {
        version: Version::V2,
        vrid: 51,
        priority: 100,
        interval_cs: 100,
        addrs: vec![v4(10, 99, 0, 100)],
        auth: Auth::None,
    };
    assert_eq!(ad, want);
    assert_eq!(want.encode(ChecksumForm::Plain, mcast_from(SRC12)), vrrp);
    // Our IP header matches the kernel's apart from the id it filled in.
    let hdr = ipv4_header(SRC12, MCAST_V4, vrrp.len(), 1);
    assert_eq!(&hdr[..], &frame[14..34]);
}

#[test]
fn v2_shutdown_advert() {
    let bytes = hex("2133 0001 0001 d403 0a630064 0000000000000000");
    let (ad, _) = decode_v4(&bytes, SRC11, MCAST_V4).expect("decode");
    assert_eq!(ad.priority, 0);
    assert_eq!(ad.encode(ChecksumForm::Plain, mcast_from(SRC11)), bytes);
}

#[test]
fn v3_ipv4_pseudo_header_and_rfc9568_forms() {
    let frame = hex("01005e000012 020000000001 0800
         45c0 0020 0001 0000 ff 70 d02c 0a63000b e0000012
         31 33 96 01 0064 42a3 0a630064");
    let ip = parse_ipv4(&frame[14..]).expect("ip");
    let vrrp = &frame[34..];
    let (ad, form) = decode_v4(vrrp, ip.src, ip.dst).expect("decode");
    assert_eq!(form, ChecksumForm::PseudoHeader);
    assert_eq!(
        (ad.version, ad.vrid, ad.priority, ad.interval_cs),
        (Version::V3, 51, 150, 100)
    );
    assert_eq!(
        ad.encode(ChecksumForm::PseudoHeader, mcast_from(SRC11)),
        vrrp
    );
    let plain = ad.encode(ChecksumForm::Plain, mcast_from(SRC11));
    assert_eq!(&plain[6..8], &[0x2d, 0xa0]);
    let (ad2, form2) = decode_v4(&plain, SRC11, MCAST_V4).expect("RFC 9568 form accepted");
    assert_eq!((ad2, form2), (ad, ChecksumForm::Plain));
}

#[test]
fn v3_ipv4_unicast_checksum_per_peer() {
    let ad = Advert {
        version: Version::V3,
        vrid: 51,
        priority: 150,
        interval_cs: 100,
        addrs: vec![v4(10, 99, 0, 100)],
        auth: Auth::None,
    };
    let to = |d| Endpoints {
        src: IpAddr::V4(SRC11),
        dst: v4(10, 99, 0, d),
    };
    let a = ad.encode(ChecksumForm::PseudoHeader, to(12));
    let b = ad.encode(ChecksumForm::PseudoHeader, to(13));
    assert_eq!(
        u16::from_be_bytes([a[6], a[7]]),
        u16::from_be_bytes([b[6], b[7]]) + 1
    );
    let dst12 = Ipv4Addr::new(10, 99, 0, 12);
    assert_eq!(
        decode_v4(&a, SRC11, dst12).map(|r| r.1),
        Ok(ChecksumForm::PseudoHeader)
    );
    // keepalived <= 1.3.6 used the multicast group in the pseudo-header for unicast.
    let old = ad.encode(ChecksumForm::PseudoHeaderMcastDst, to(12));
    assert_eq!(
        decode_v4(&old, SRC11, dst12).map(|r| r.1),
        Ok(ChecksumForm::PseudoHeaderMcastDst)
    );
    let mut bad = a.clone();
    bad[6] ^= 0x40;
    assert_eq!(
        decode_v4(&bad, SRC11, dst12),
        Err(DecodeError::BadChecksum(3))
    );
}

#[test]
fn v3_ipv6_advert() {
    let src: Ipv6Addr = "fe80::ff:fe00:1".parse().expect("addr");
    let bytes = hex("31 33 96 01 0064 3cae fd990000000000000000000000000100");
    let ad = decode_v6(&bytes, Some((src, MCAST_V6))).expect("decode");
    let vip: Ipv6Addr = "fd99::100".parse().expect("addr");
    assert_eq!(ad.addrs, vec![IpAddr::V6(vip)]);
    let ends = Endpoints {
        src: IpAddr::V6(src),
        dst: IpAddr::V6(MCAST_V6),
    };
    assert_eq!(ad.encode(ChecksumForm::PseudoHeader, ends), bytes);
}

#[test]
fn v2_auth_pass_three_vips_unicast() {
    let bytes = hex("2133 9603 0101 acf7 0a630065 0a630064 0a630063 7333637233747061");
    let (ad, _) = decode_v4(&bytes, SRC11, SRC12).expect("decode");
    assert_eq!(ad.auth, Auth::pass("s3cr3tpass"));
    assert_eq!(
        ad.addrs,
        vec![v4(10, 99, 0, 101), v4(10, 99, 0, 100), v4(10, 99, 0, 99)]
    );
    let ends = Endpoints {
        src: IpAddr::V4(SRC11),
        dst: IpAddr::V4(SRC12),
    };
    assert_eq!(
        ad.encode(ChecksumForm::PseudoHeader, ends),
        bytes,
        "v2 never uses a pseudo-header"
    );
}

#[test]
fn garp_matches_capture() {
    let want = hex("ffffffffffff 020000000002 0806
         0001 0800 06 04 0001 020000000002 0a630064 ffffffffffff 0a630064");
    assert_eq!(
        &garp_frame([2, 0, 0, 0, 0, 2], Ipv4Addr::new(10, 99, 0, 100))[..],
        &want[..]
    );
}

#[test]
fn malformed_adverts_are_errors() {
    let good = hex("21 33 64 01 00 01 7003 0a630064 0000000000000000");
    assert_eq!(
        decode_v4(&good[..5], SRC12, MCAST_V4),
        Err(DecodeError::TooShort(5))
    );
    assert_eq!(
        decode_v4(&good[..19], SRC12, MCAST_V4),
        Err(DecodeError::BadLength {
            got: 19,
            expected: 20
        })
    );
    let mut t = good.clone();
    t[0] = 0x22;
    assert_eq!(decode_v4(&t, SRC12, MCAST_V4), Err(DecodeError::BadType(2)));
    let mut c = good.clone();
    c[3] = 0;
    assert_eq!(
        decode_v4(&c, SRC12, MCAST_V4),
        Err(DecodeError::NoAddresses)
    );
    let mut v = good.clone();
    v[0] = 0x41;
    assert_eq!(
        decode_v4(&v, SRC12, MCAST_V4),
        Err(DecodeError::BadVersion(4))
    );
    let mut padded = good.clone();
    padded.extend_from_slice(&[0; 6]);
    assert!(
        decode_v4(&padded, SRC12, MCAST_V4).is_ok(),
        "Ethernet padding tolerated"
    );
    let mut sum = good.clone();
    sum[7] ^= 1;
    assert_eq!(
        decode_v4(&sum, SRC12, MCAST_V4),
        Err(DecodeError::BadChecksum(2))
    );
}

#[test]
fn decoder_never_panics_on_truncations_and_flips() {
    let good = hex("2133 9603 0101 acf7 0a630065 0a630064 0a630063 7333637233747061");
    for n in 0..good.len() {
        let _ = decode_v4(&good[..n], SRC11, SRC12);
        let _ = decode_v6(&good[..n], None);
        for bit in 0..8 {
            let mut f = good.clone();
            f[n] ^= 1 << bit;
            let _ = decode_v4(&f, SRC11, SRC12);
            let _ = parse_ipv4(&f);
        }
    }
}

#[test]
fn unsolicited_na_layout() {
    let vip: Ipv6Addr = "fd99::100".parse().expect("addr");
    let mac = [2, 0, 0, 0, 0, 1];
    let na = unsolicited_na(mac, vip, false);
    assert_eq!(&na[..8], &hex("88 00 0000 20000000")[..]);
    assert_eq!(&na[8..24], &vip.octets());
    assert_eq!(&na[24..], &hex("02 01 020000000001")[..]);
    assert_eq!(
        unsolicited_na(mac, vip, true)[4],
        0xa0,
        "Router flag when forwarding"
    );
    assert_eq!(
        icmp6_checksum(vip, ALL_NODES_V6, &na),
        0x576b,
        "the captured NA's checksum"
    );
}
