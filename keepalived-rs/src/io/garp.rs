//! Gratuitous ARP sender (spec §3.1): full Ethernet frames on an `AF_PACKET` socket
//! bound to the instance interface, because the kernel's ARP code never sends the
//! request-with-sender-equal-target form keepalived uses.

use std::io;
use std::net::Ipv4Addr;

use socket2::{Domain, Protocol, SockAddr, Socket, Type};

use crate::wire;

const ETH_P_ARP: u16 = 0x0806;

pub struct GarpSocket {
    sock: Socket,
    mac: [u8; 6],
}

impl GarpSocket {
    pub fn open(ifindex: u32, mac: [u8; 6]) -> io::Result<GarpSocket> {
        let sock = Socket::new(
            Domain::PACKET,
            Type::RAW,
            Some(Protocol::from(i32::from(ETH_P_ARP.to_be()))),
        )?;
        sock.bind(&link_addr(ifindex)?)?;
        sock.set_nonblocking(true)?;
        Ok(GarpSocket { sock, mac })
    }

    /// Sends one GARP for `vip`.
    pub fn send(&self, vip: Ipv4Addr) -> io::Result<()> {
        self.sock.send(&wire::garp_frame(self.mac, vip)).map(|_| ())
    }
}

/// A `sockaddr_ll` naming the interface, for bind(2).
#[allow(unsafe_code)]
fn link_addr(ifindex: u32) -> io::Result<SockAddr> {
    let index = i32::try_from(ifindex).map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?;
    // SAFETY: socket2 hands us zeroed storage large enough for any sockaddr; we write a
    // `sockaddr_ll` into its start (it fits and is plain data, so any bit pattern of the
    // rest is valid) and report exactly its size, so the kernel reads only what we set.
    let ((), addr) = unsafe {
        SockAddr::try_init(|storage, len| {
            let ll = storage.cast::<libc::sockaddr_ll>();
            (*ll).sll_family = libc::AF_PACKET as libc::sa_family_t;
            (*ll).sll_protocol = ETH_P_ARP.to_be();
            (*ll).sll_ifindex = index;
            *len = std::mem::size_of::<libc::sockaddr_ll>() as libc::socklen_t;
            Ok(())
        })
    }?;
    Ok(addr)
}
