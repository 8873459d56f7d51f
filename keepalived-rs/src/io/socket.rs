//! The raw IPv4 protocol-112 socket of one interface (spec §1.8): sends adverts with our
//! own IP header (TOS 0xc0, TTL 255) and receives every VRRP datagram on the interface,
//! multicast and unicast, IP header included; its IPv6 counterpart; and the ICMPv6
//! socket for unsolicited neighbour advertisements.

use std::io::{self, IoSlice, IoSliceMut, Read};
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddrV4, SocketAddrV6};
use std::os::fd::AsRawFd;
use std::time::Duration;

use nix::sys::socket::{
    recvmsg, sendmsg, setsockopt, sockopt, ControlMessage, ControlMessageOwned, MsgFlags,
    SockaddrIn6,
};
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

    /// Sends one VRRP message from `src` to `dst` with keepalived's IP header, TTL `ttl`
    /// (255 but for `unicast_ttl`; the kernel refills the header checksum).
    /// Non-blocking: a full socket buffer drops the advert rather than stall the loop.
    pub fn send(&self, src: Ipv4Addr, dst: Ipv4Addr, vrrp: &[u8], ttl: u8) -> io::Result<()> {
        let mut pkt = Vec::with_capacity(20 + vrrp.len());
        let mut header = wire::ipv4_header(src, dst, vrrp.len(), 0);
        header[8] = ttl;
        pkt.extend_from_slice(&header);
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

    /// Takes a datagram already queued, if any (`WouldBlock` otherwise).
    pub fn try_recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        nix::sys::socket::recv(self.fd.as_raw_fd(), buf, MsgFlags::MSG_DONTWAIT)
            .map_err(io::Error::from)
    }
}

/// A received VRRPv3-over-IPv6 message with what the checks need from the IPv6 header
/// (the raw socket hands over the payload only; the rest comes as control messages).
#[derive(Debug, Clone)]
pub struct Rx6 {
    pub src: Ipv6Addr,
    pub dst: Ipv6Addr,
    pub hop_limit: u8,
    pub len: usize,
}

/// The raw IPv6 protocol-112 socket of one interface. The checksum (IPv6 pseudo-header)
/// is computed by our encoder and verified by our decoder with the addresses from
/// `IPV6_PKTINFO`; the source is chosen per packet with the same control message.
pub struct VrrpSocket6 {
    fd: Socket,
    pub ifname: String,
    pub ifindex: u32,
}

impl VrrpSocket6 {
    pub fn open(ifname: &str, ifindex: u32) -> io::Result<VrrpSocket6> {
        let s = Socket::new(
            Domain::IPV6,
            Type::RAW,
            Some(Protocol::from(i32::from(IPPROTO_VRRP))),
        )?;
        s.bind_device(Some(ifname.as_bytes()))?;
        s.set_multicast_hops_v6(u32::from(wire::VRRP_TTL))?;
        s.set_unicast_hops_v6(u32::from(wire::VRRP_TTL))?;
        s.set_multicast_loop_v6(false)?;
        s.set_multicast_if_v6(ifindex)?;
        s.set_priority(SO_PRIORITY_CONTROL)?;
        s.set_tclass_v6(0xc0)?;
        s.join_multicast_v6(&wire::MCAST_V6, ifindex)?;
        setsockopt(&s, sockopt::Ipv6RecvPacketInfo, &true).map_err(io::Error::from)?;
        setsockopt(&s, sockopt::Ipv6RecvHopLimit, &true).map_err(io::Error::from)?;
        s.set_read_timeout(Some(Duration::from_millis(500)))?;
        Ok(VrrpSocket6 {
            fd: s,
            ifname: ifname.to_string(),
            ifindex,
        })
    }

    /// Sends `vrrp` from `src` (our link-local) to `dst`, without blocking.
    pub fn send(&self, src: Ipv6Addr, dst: Ipv6Addr, vrrp: &[u8]) -> io::Result<()> {
        send6(&self.fd, self.ifindex, src, dst, vrrp)
    }

    /// Blocks until the next message or the read timeout.
    pub fn recv(&self, buf: &mut [u8]) -> io::Result<Rx6> {
        self.recv_flags(buf, MsgFlags::empty())
    }

    /// Takes a message already queued, if any (`WouldBlock` otherwise).
    pub fn try_recv(&self, buf: &mut [u8]) -> io::Result<Rx6> {
        self.recv_flags(buf, MsgFlags::MSG_DONTWAIT)
    }

    fn recv_flags(&self, buf: &mut [u8], flags: MsgFlags) -> io::Result<Rx6> {
        let mut iov = [IoSliceMut::new(buf)];
        let mut cmsg = nix::cmsg_space!(libc::in6_pktinfo, libc::c_int);
        let msg = recvmsg::<SockaddrIn6>(self.fd.as_raw_fd(), &mut iov, Some(&mut cmsg), flags)
            .map_err(io::Error::from)?;
        let src = msg.address.map(|a| a.ip()).unwrap_or(Ipv6Addr::UNSPECIFIED);
        let mut rx = Rx6 {
            src,
            dst: Ipv6Addr::UNSPECIFIED,
            hop_limit: 0,
            len: msg.bytes,
        };
        for c in msg.cmsgs().map_err(io::Error::from)? {
            match c {
                ControlMessageOwned::Ipv6PacketInfo(info) => {
                    rx.dst = Ipv6Addr::from(info.ipi6_addr.s6_addr)
                }
                ControlMessageOwned::Ipv6HopLimit(h) => rx.hop_limit = u8::try_from(h).unwrap_or(0),
                _ => {}
            }
        }
        Ok(rx)
    }
}

fn send6(
    fd: &Socket,
    ifindex: u32,
    src: Ipv6Addr,
    dst: Ipv6Addr,
    payload: &[u8],
) -> io::Result<()> {
    let info = libc::in6_pktinfo {
        ipi6_addr: libc::in6_addr {
            s6_addr: src.octets(),
        },
        ipi6_ifindex: ifindex,
    };
    let to = SockaddrIn6::from(SocketAddrV6::new(dst, 0, 0, ifindex));
    let iov = [IoSlice::new(payload)];
    sendmsg(
        fd.as_raw_fd(),
        &iov,
        &[ControlMessage::Ipv6PacketInfo(&info)],
        MsgFlags::MSG_DONTWAIT,
        Some(&to),
    )
    .map(|_| ())
    .map_err(io::Error::from)
}

/// Raw ICMPv6 socket for unsolicited neighbour advertisements (the kernel fills the
/// ICMPv6 checksum); hop limit 255 as ND requires.
pub struct NaSocket {
    fd: Socket,
    ifindex: u32,
    mac: [u8; 6],
}

impl NaSocket {
    pub fn open(ifname: &str, ifindex: u32, mac: [u8; 6]) -> io::Result<NaSocket> {
        let s = Socket::new(Domain::IPV6, Type::RAW, Some(Protocol::ICMPV6))?;
        s.bind_device(Some(ifname.as_bytes()))?;
        s.set_multicast_hops_v6(255)?;
        s.set_multicast_loop_v6(false)?;
        s.set_multicast_if_v6(ifindex)?;
        Ok(NaSocket {
            fd: s,
            ifindex,
            mac,
        })
    }

    /// Sends one unsolicited NA for `vip` from `vip` to ff02::1.
    pub fn send(&self, vip: Ipv6Addr, router: bool) -> io::Result<()> {
        let msg = wire::unsolicited_na(self.mac, vip, router);
        send6(&self.fd, self.ifindex, vip, wire::ALL_NODES_V6, &msg)
    }
}
