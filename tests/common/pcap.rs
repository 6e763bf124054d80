//! Classic libpcap files for tests: read the UDP datagrams out of vendor samples, and write
//! Ethernet frames of known traffic for softflowd to turn into NetFlow.
#![allow(dead_code)]

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

/// One UDP datagram found in a capture.
#[derive(Debug, Clone)]
pub struct UdpPacket {
    pub src: SocketAddr,
    pub dst: SocketAddr,
    pub payload: Vec<u8>,
}

/// All UDP datagrams in a little- or big-endian classic pcap (Ethernet, raw IP or Linux SLL).
pub fn read_udp(path: &std::path::Path) -> Vec<UdpPacket> {
    let data = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let le = match &data[..4] {
        [0xd4, 0xc3, 0xb2, 0xa1] | [0x4d, 0x3c, 0xb2, 0xa1] => true,
        [0xa1, 0xb2, 0xc3, 0xd4] | [0xa1, 0xb2, 0x3c, 0x4d] => false,
        m => panic!("{}: not a classic pcap (magic {m:02x?})", path.display()),
    };
    let u32at = |b: &[u8], o: usize| {
        let a = [b[o], b[o + 1], b[o + 2], b[o + 3]];
        if le {
            u32::from_le_bytes(a)
        } else {
            u32::from_be_bytes(a)
        }
    };
    let linktype = u32at(&data, 20);
    let mut out = Vec::new();
    let mut off = 24;
    while off + 16 <= data.len() {
        let incl = u32at(&data, off + 8) as usize;
        let frame = &data[off + 16..(off + 16 + incl).min(data.len())];
        off += 16 + incl;
        let ip = match linktype {
            1 => {
                // Ethernet, maybe with 802.1Q tags.
                let mut o = 12;
                while o + 2 <= frame.len() && u16::from_be_bytes([frame[o], frame[o + 1]]) == 0x8100
                {
                    o += 4;
                }
                &frame[o + 2..]
            }
            101 | 12 | 14 => frame,
            113 => &frame[16..],
            228 | 229 => frame,
            t => panic!("{}: unsupported link type {t}", path.display()),
        };
        if let Some(p) = parse_ip_udp(ip) {
            out.push(p);
        }
    }
    out
}

fn parse_ip_udp(ip: &[u8]) -> Option<UdpPacket> {
    let (src, dst, l4) = match ip.first()? >> 4 {
        4 => {
            let ihl = ((ip[0] & 0xf) as usize) * 4;
            if ip[9] != 17 {
                return None;
            }
            let s = Ipv4Addr::new(ip[12], ip[13], ip[14], ip[15]);
            let d = Ipv4Addr::new(ip[16], ip[17], ip[18], ip[19]);
            let total = u16::from_be_bytes([ip[2], ip[3]]) as usize;
            (IpAddr::V4(s), IpAddr::V4(d), &ip[ihl..total.min(ip.len())])
        }
        6 => {
            if ip[6] != 17 {
                return None;
            }
            let s: [u8; 16] = ip[8..24].try_into().ok()?;
            let d: [u8; 16] = ip[24..40].try_into().ok()?;
            let plen = u16::from_be_bytes([ip[4], ip[5]]) as usize;
            (
                IpAddr::V6(Ipv6Addr::from(s)),
                IpAddr::V6(Ipv6Addr::from(d)),
                &ip[40..(40 + plen).min(ip.len())],
            )
        }
        _ => return None,
    };
    let sp = u16::from_be_bytes([l4[0], l4[1]]);
    let dp = u16::from_be_bytes([l4[2], l4[3]]);
    let len = u16::from_be_bytes([l4[4], l4[5]]) as usize;
    Some(UdpPacket {
        src: SocketAddr::new(src, sp),
        dst: SocketAddr::new(dst, dp),
        payload: l4[8..len.min(l4.len())].to_vec(),
    })
}

/// A pcap writer for synthetic Ethernet traffic.
pub struct PcapWriter {
    buf: Vec<u8>,
}

/// The transport of a synthetic packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum L4 {
    Tcp { flags: u8 },
    Udp,
}

impl PcapWriter {
    pub fn new() -> Self {
        let mut buf = Vec::new();
        buf.extend_from_slice(&0xa1b2c3d4u32.to_le_bytes());
        buf.extend_from_slice(&2u16.to_le_bytes());
        buf.extend_from_slice(&4u16.to_le_bytes());
        buf.extend_from_slice(&0i32.to_le_bytes());
        buf.extend_from_slice(&0u32.to_le_bytes());
        buf.extend_from_slice(&65535u32.to_le_bytes());
        buf.extend_from_slice(&1u32.to_le_bytes()); // Ethernet
        PcapWriter { buf }
    }

    /// Add one packet at `ts_us` (Unix µs) with `payload_len` bytes of payload; returns the IP
    /// length (what NetFlow exporters count as the packet's bytes).
    pub fn packet(
        &mut self,
        ts_us: u64,
        src: SocketAddr,
        dst: SocketAddr,
        l4: L4,
        payload_len: usize,
    ) -> usize {
        let (l4_hdr_len, proto) = match l4 {
            L4::Tcp { .. } => (20, 6u8),
            L4::Udp => (8, 17u8),
        };
        let l4_len = l4_hdr_len + payload_len;
        let mut seg = Vec::with_capacity(l4_len);
        seg.extend_from_slice(&src.port().to_be_bytes());
        seg.extend_from_slice(&dst.port().to_be_bytes());
        match l4 {
            L4::Tcp { flags } => {
                seg.extend_from_slice(&1u32.to_be_bytes());
                seg.extend_from_slice(&0u32.to_be_bytes());
                seg.push(5 << 4);
                seg.push(flags);
                seg.extend_from_slice(&65535u16.to_be_bytes());
                seg.extend_from_slice(&[0, 0, 0, 0]);
            }
            L4::Udp => {
                seg.extend_from_slice(&(l4_len as u16).to_be_bytes());
                seg.extend_from_slice(&[0, 0]);
            }
        }
        seg.resize(l4_len, 0x5a);
        let mut frame = Vec::new();
        let dst_mac = match dst.ip() {
            IpAddr::V4(v4) if v4.is_multicast() => {
                let o = v4.octets();
                [0x01, 0x00, 0x5e, o[1] & 0x7f, o[2], o[3]]
            }
            IpAddr::V4(v4) if v4.octets()[3] == 255 => [0xff; 6],
            IpAddr::V6(v6) if v6.is_multicast() => {
                let o = v6.octets();
                [0x33, 0x33, o[12], o[13], o[14], o[15]]
            }
            _ => [0x02, 0, 0, 0, 0, 2],
        };
        frame.extend_from_slice(&dst_mac);
        frame.extend_from_slice(&[0x02, 0, 0, 0, 0, 1]);
        let ip_len = match (src.ip(), dst.ip()) {
            (IpAddr::V4(s), IpAddr::V4(d)) => {
                frame.extend_from_slice(&0x0800u16.to_be_bytes());
                let total = 20 + l4_len;
                let mut h = vec![0x45, 0, 0, 0, 0, 1, 0x40, 0, 64, proto, 0, 0];
                h[2..4].copy_from_slice(&(total as u16).to_be_bytes());
                h.extend_from_slice(&s.octets());
                h.extend_from_slice(&d.octets());
                let mut sum: u32 = 0;
                for c in h.chunks(2) {
                    sum += u16::from_be_bytes([c[0], c[1]]) as u32;
                }
                while sum > 0xffff {
                    sum = (sum & 0xffff) + (sum >> 16);
                }
                h[10..12].copy_from_slice(&(!(sum as u16)).to_be_bytes());
                frame.extend_from_slice(&h);
                total
            }
            (IpAddr::V6(s), IpAddr::V6(d)) => {
                frame.extend_from_slice(&0x86ddu16.to_be_bytes());
                frame.extend_from_slice(&[0x60, 0, 0, 0]);
                frame.extend_from_slice(&(l4_len as u16).to_be_bytes());
                frame.push(proto);
                frame.push(64);
                frame.extend_from_slice(&s.octets());
                frame.extend_from_slice(&d.octets());
                40 + l4_len
            }
            _ => panic!("mixed address families"),
        };
        frame.extend_from_slice(&seg);
        self.buf
            .extend_from_slice(&((ts_us / 1_000_000) as u32).to_le_bytes());
        self.buf
            .extend_from_slice(&((ts_us % 1_000_000) as u32).to_le_bytes());
        self.buf
            .extend_from_slice(&(frame.len() as u32).to_le_bytes());
        self.buf
            .extend_from_slice(&(frame.len() as u32).to_le_bytes());
        self.buf.extend_from_slice(&frame);
        ip_len
    }

    pub fn write(&self, path: &std::path::Path) {
        std::fs::write(path, &self.buf).unwrap();
    }
}
