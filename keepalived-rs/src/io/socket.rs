//! The raw IPv4 protocol-112 socket of one interface (spec §1.8): sends adverts with our
//! own IP header (TOS 0xc0, TTL 255) and receives every VRRP datagram on the interface,
//! multicast and unicast, IP header included.

use std::io::{self, Read};
use std::net::{Ipv4Addr, SocketAddrV4};
use std::time::Duration;

use socket2::{Domain, InterfaceIndexOrAddress, Protocol, SockAddr, Socket, Type};

use crate::wire::{self, IPPROTO_VRRP};

/// One raw socket per interface, shared by the instances on it. Receiving blocks (a
/// dedicated reader thread, independent of the runtime's scheduling); sending never
/// does (`MSG_DONTWAIT`).
pub struct VrrpSocket {
    fd: Socket,
    pub ifname: String,
    pub ifindex: u32,
}

/// High socket priority so adverts leave ahead of bulk traffic (keepalived uses
/// TC_PRIO_CONTROL).
const SO_PRIORITY_CONTROL: u32 = 7;

impl VrrpSocket {
    /// Opens the socket, binds it to `ifname` and joins `group` there.
    pub fn open(ifname: &str, ifindex: u32, group: Ipv4Addr) -> io::Result<VrrpSocket> {
        let s = Socket::new(
            Domain::IPV4,
            Type::RAW,
            Some(Protocol::from(i32::from(IPPROTO_VRRP))),
        )?;
        s.bind_device(Some(ifname.as_bytes()))?;
        s.set_header_included_v4(true)?;
        s.set_multicast_loop_v4(false)?;
        s.set_multicast_all_v4(false)?;
        s.set_priority(SO_PRIORITY_CONTROL)?;
        s.join_multicast_v4_n(&group, &InterfaceIndexOrAddress::Index(ifindex))?;
        // Bounded so the reader thread notices when it should stop.
        s.set_read_timeout(Some(Duration::from_millis(500)))?;
        Ok(VrrpSocket {
            fd: s,
            ifname: ifname.to_string(),
            ifindex,
        })
    }

    /// Sends one VRRP message from `src` to `dst` with keepalived's IP header.
    /// Non-blocking: a full socket buffer drops the advert rather than stall the loop.
    pub fn send(&self, src: Ipv4Addr, dst: Ipv4Addr, vrrp: &[u8]) -> io::Result<()> {
        let mut pkt = Vec::with_capacity(20 + vrrp.len());
        pkt.extend_from_slice(&wire::ipv4_header(src, dst, vrrp.len(), 0));
        pkt.extend_from_slice(vrrp);
        let to = SockAddr::from(SocketAddrV4::new(dst, 0));
        self.fd
            .send_to_with_flags(&pkt, &to, libc::MSG_DONTWAIT)
            .map(|_| ())
    }

    /// Blocks until the next datagram (IP header included) or the read timeout.
    pub fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        (&self.fd).read(buf)
    }
}
