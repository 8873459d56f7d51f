//! Received datagrams (IP header included, as the raw socket hands them over): the
//! decoders must return an error, never panic.
#![no_main]

use std::net::Ipv4Addr;

use keepalived_rs::wire;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(ip) = wire::parse_ipv4(data) {
        let _ = wire::decode_v4(&data[ip.header_len..ip.total_len], ip.src, ip.dst);
    }
    let _ = wire::decode_v4(data, Ipv4Addr::new(10, 99, 0, 11), wire::MCAST_V4);
    let _ = wire::decode_v6(data, Some(("fe80::1".parse().unwrap(), wire::MCAST_V6)));
});
