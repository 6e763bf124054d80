//! Keeping a sensor's address as a forwarded datagram's source needs a raw socket that writes
//! its own IP header; Windows and macOS do not let programs send those, so here it is refused
//! and forwarded datagrams go from this computer's own address.

use std::io;
use std::net::SocketAddrV4;

pub struct SpoofedUdp;

impl SpoofedUdp {
    pub fn open() -> io::Result<SpoofedUdp> {
        Err(io::Error::new(
            io::ErrorKind::Unsupported,
            "only Linux lets nf-svc send datagrams with a sensor's address",
        ))
    }

    pub fn send(
        &mut self,
        _from: SocketAddrV4,
        _to: SocketAddrV4,
        _payload: &[u8],
    ) -> io::Result<()> {
        Err(io::Error::from(io::ErrorKind::Unsupported))
    }
}
