//! UDP datagrams sent with another host's source address: a raw IPv4 socket that writes its
//! own IP header (`IPPROTO_RAW`, which implies `IP_HDRINCL`), as samplicator's `-S` and
//! nfcapd's repeater do. Needs root or CAP_NET_RAW. The kernel fills in the IP checksum, the
//! total length and the identification; the UDP checksum is left 0 (optional for IPv4).

use socket2::{Domain, Protocol, SockAddr, Socket, Type};
use std::io;
use std::net::SocketAddrV4;

pub struct SpoofedUdp {
    socket: Socket,
    packet: Vec<u8>,
}

impl SpoofedUdp {
    pub fn open() -> io::Result<SpoofedUdp> {
        let socket = Socket::new(
            Domain::IPV4,
            Type::RAW,
            Some(Protocol::from(libc::IPPROTO_RAW)),
        )?;
        Ok(SpoofedUdp {
            socket,
            packet: Vec::with_capacity(1500),
        })
    }

    /// Send `payload` to `to` as if `from` had sent it.
    pub fn send(&mut self, from: SocketAddrV4, to: SocketAddrV4, payload: &[u8]) -> io::Result<()> {
        let udp_len = 8 + payload.len();
        let total = 20 + udp_len;
        if total > u16::MAX as usize {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "datagram too large",
            ));
        }
        let p = &mut self.packet;
        p.clear();
        // IPv4: version 4, 5 words; DSCP 0; total length; id 0 (kernel); don't fragment off;
        // TTL 64; UDP; checksum 0 (kernel).
        p.extend_from_slice(&[0x45, 0]);
        p.extend_from_slice(&(total as u16).to_be_bytes());
        p.extend_from_slice(&[0, 0, 0, 0, 64, 17, 0, 0]);
        p.extend_from_slice(&from.ip().octets());
        p.extend_from_slice(&to.ip().octets());
        p.extend_from_slice(&from.port().to_be_bytes());
        p.extend_from_slice(&to.port().to_be_bytes());
        p.extend_from_slice(&(udp_len as u16).to_be_bytes());
        p.extend_from_slice(&[0, 0]);
        p.extend_from_slice(payload);
        self.socket.send_to(p, &SockAddr::from(to)).map(|_| ())
    }
}
