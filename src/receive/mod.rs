//! Receive: UDP listeners on every configured address and port, NetFlow's and sFlow's.
//!
//! Sockets are bound synchronously before anything starts, so a port that is already taken is
//! reported at once, by address and port, and nothing half-starts. Each socket gets a large
//! receive buffer (the OS default of ~208 KiB drops datagrams at 100–300 k flows/s) and IPv6
//! sockets are IPv6-only, so `0.0.0.0` and `::` can share a port. The decode stage reads them
//! ([`read`]): many datagrams a system call, each decoded where it landed.

mod read;

pub use read::{Landing, SLOTS, Sockets};

use std::fmt;
use std::io;
use std::net::{IpAddr, SocketAddr, UdpSocket};

/// The largest datagram NetFlow/IPFIX can arrive in.
pub const MAX_DATAGRAM: usize = 65_535;

/// The address to send from to `peer`: any local address of its family, any port.
pub fn any_local_for(peer: IpAddr) -> SocketAddr {
    match peer {
        IpAddr::V4(_) => SocketAddr::from(([0, 0, 0, 0], 0)),
        IpAddr::V6(_) => SocketAddr::from(([0u16; 8], 0)),
    }
}

/// A socket that could not be opened.
#[derive(Debug)]
pub struct BindError {
    pub addr: SocketAddr,
    pub error: io::Error,
}

impl BindError {
    pub fn in_use(&self) -> bool {
        self.error.kind() == io::ErrorKind::AddrInUse
    }
}

impl fmt::Display for BindError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.error.kind() {
            io::ErrorKind::AddrInUse => write!(
                f,
                "UDP port {} on {} is already in use by another program (another nf-svc or collector?); stop it or choose another Port in the settings",
                self.addr.port(),
                self.addr.ip()
            ),
            io::ErrorKind::PermissionDenied => write!(
                f,
                "not allowed to listen on UDP port {} on {} (ports below 1024 need administrator rights)",
                self.addr.port(),
                self.addr.ip()
            ),
            io::ErrorKind::AddrNotAvailable => write!(
                f,
                "cannot listen on {}: this computer has no such address (check Listen in the settings)",
                self.addr.ip()
            ),
            _ => write!(f, "cannot listen on UDP {}: {}", self.addr, self.error),
        }
    }
}

impl std::error::Error for BindError {}

/// A bound socket, not yet reading.
#[derive(Debug)]
pub struct Bound {
    pub socket: UdpSocket,
    pub addr: SocketAddr,
    /// The receive buffer the OS granted, in bytes.
    pub recv_buffer: usize,
}

fn bind_one(addr: SocketAddr, recv_buffer: usize) -> io::Result<Bound> {
    use socket2::{Domain, Protocol, Socket, Type};
    let domain = if addr.is_ipv4() {
        Domain::IPV4
    } else {
        Domain::IPV6
    };
    let s = Socket::new(domain, Type::DGRAM, Some(Protocol::UDP))?;
    if addr.is_ipv6() {
        s.set_only_v6(true)?;
    }
    // Ask for the buffer; the OS may grant less (Linux caps it at net.core.rmem_max).
    let _ = s.set_recv_buffer_size(recv_buffer);
    s.bind(&addr.into())?;
    s.set_nonblocking(true)?;
    let granted = s.recv_buffer_size().unwrap_or(0);
    let socket: UdpSocket = s.into();
    let addr = socket.local_addr()?;
    Ok(Bound {
        socket,
        addr,
        recv_buffer: granted,
    })
}

/// What binding produced: the sockets, and addresses skipped because the machine lacks that
/// address family (IPv6 disabled), which is not an error while something else is bound.
#[derive(Debug)]
pub struct BindResult {
    pub bound: Vec<Bound>,
    pub skipped: Vec<(SocketAddr, String)>,
}

/// Bind every (address, port) pair. Any failure other than a missing address family fails the
/// whole call, and the sockets already bound are closed.
pub fn bind_all(
    listen: &[IpAddr],
    ports: &[u16],
    recv_buffer: usize,
) -> Result<BindResult, BindError> {
    let mut bound = Vec::new();
    let mut skipped = Vec::new();
    for port in ports {
        for ip in listen {
            let addr = SocketAddr::new(*ip, *port);
            match bind_one(addr, recv_buffer) {
                Ok(b) => bound.push(b),
                Err(e) if is_family_missing(&e) && listen.len() > 1 => {
                    skipped.push((addr, e.to_string()));
                }
                Err(error) => return Err(BindError { addr, error }),
            }
        }
    }
    if bound.is_empty() {
        let (addr, msg) = skipped.first().cloned().unwrap_or((
            SocketAddr::new(
                listen
                    .first()
                    .copied()
                    .unwrap_or(IpAddr::from([0, 0, 0, 0])),
                0,
            ),
            "nothing to listen on".into(),
        ));
        return Err(BindError {
            addr,
            error: io::Error::other(msg),
        });
    }
    Ok(BindResult { bound, skipped })
}

/// [`bind_all`] for NetFlow's `ports`, then sFlow's port on the same addresses (0: none). An
/// sFlow socket that cannot be opened is skipped with its reason instead of failing the start:
/// another sFlow collector on the machine must not stop nf-svc's NetFlow.
pub fn bind_with_sflow(
    listen: &[IpAddr],
    ports: &[u16],
    sflow_port: u16,
    recv_buffer: usize,
) -> Result<BindResult, BindError> {
    let mut r = bind_all(listen, ports, recv_buffer)?;
    if sflow_port == 0 || ports.contains(&sflow_port) {
        return Ok(r);
    }
    for ip in listen {
        let addr = SocketAddr::new(*ip, sflow_port);
        match bind_one(addr, recv_buffer) {
            Ok(b) => r.bound.push(b),
            Err(error) => {
                let why = match error.kind() {
                    io::ErrorKind::AddrInUse => "another program already uses it".to_string(),
                    _ => error.to_string(),
                };
                r.skipped.push((
                    addr,
                    format!(
                        "{why}; sFlow is not received there (set SFlowPort to a free port, or 0 for none)"
                    ),
                ));
            }
        }
    }
    Ok(r)
}

fn is_family_missing(e: &io::Error) -> bool {
    // EAFNOSUPPORT (97 on Linux, 10047 WSAEAFNOSUPPORT on Windows) or no such address.
    matches!(e.raw_os_error(), Some(97) | Some(10047))
        || e.kind() == io::ErrorKind::AddrNotAvailable
}

/// One warning per socket whose receive buffer is under half of what was asked for.
pub fn warn_small_buffers(asked: usize, bound: &[Bound]) {
    for b in bound.iter().filter(|b| b.recv_buffer < asked / 2) {
        log::warn!(
            "UDP {}: asked for a {} KB receive buffer, the system granted {} KB; bursts may be dropped (Linux: raise net.core.rmem_max)",
            b.addr,
            asked / 1024,
            b.recv_buffer / 1024
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_taken_port_is_named() {
        let taken = UdpSocket::bind("127.0.0.1:0").unwrap();
        let port = taken.local_addr().unwrap().port();
        let err = bind_all(&["127.0.0.1".parse().unwrap()], &[port], 1 << 20).unwrap_err();
        assert!(err.in_use());
        let msg = err.to_string();
        assert!(
            msg.contains(&format!("UDP port {port} on 127.0.0.1 is already in use")),
            "{msg}"
        );
    }

    #[test]
    fn a_taken_sflow_port_is_skipped_not_fatal() {
        let taken = UdpSocket::bind("127.0.0.1:0").unwrap();
        let sflow = taken.local_addr().unwrap().port();
        let listen = ["127.0.0.1".parse().unwrap()];
        let r = bind_with_sflow(&listen, &[0], sflow, 1 << 20).unwrap();
        assert_eq!(r.bound.len(), 1, "NetFlow's port is bound");
        assert_eq!(r.skipped.len(), 1);
        let (addr, why) = &r.skipped[0];
        assert_eq!(addr.port(), sflow);
        assert!(
            why.contains("another program already uses it; sFlow is not received"),
            "{why}"
        );
        drop(taken);
        let r = bind_with_sflow(&listen, &[0], sflow, 1 << 20).unwrap();
        assert_eq!((r.bound.len(), r.skipped.len()), (2, 0));
        assert_eq!(r.bound[1].addr.port(), sflow);
    }

    #[test]
    fn binds_v4_and_v6_on_one_port_and_sets_a_big_buffer() {
        let port = UdpSocket::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let plain = UdpSocket::bind("127.0.0.1:0").unwrap();
        let default = socket2::SockRef::from(&plain).recv_buffer_size().unwrap();
        let asked = 4 << 20;
        let listen = ["127.0.0.1".parse().unwrap(), "::1".parse().unwrap()];
        let r = bind_all(&listen, &[port], asked).unwrap();
        assert!(r.skipped.is_empty(), "{:?}", r.skipped);
        let addrs: Vec<SocketAddr> = r.bound.iter().map(|b| b.addr).collect();
        assert_eq!(
            addrs,
            [
                SocketAddr::new(listen[0], port),
                SocketAddr::new(listen[1], port)
            ]
        );
        let v6 = socket2::SockRef::from(&r.bound[1].socket);
        assert!(v6.only_v6().unwrap(), "IPv4 stays on its own socket");
        // Linux grants at most net.core.rmem_max (and reports double what it keeps).
        let cap = if cfg!(target_os = "linux") {
            std::fs::read_to_string("/proc/sys/net/core/rmem_max")
                .unwrap()
                .trim()
                .parse::<usize>()
                .unwrap()
        } else {
            asked
        };
        for b in &r.bound {
            assert!(
                b.recv_buffer >= asked.min(cap),
                "{}: {}",
                b.addr,
                b.recv_buffer
            );
            if cap > default {
                assert!(
                    b.recv_buffer > default,
                    "{}: bigger than the default",
                    b.addr
                );
            }
        }
    }
}
