//! The sampled packet's own header, as an sFlow agent copies it (the first 128 bytes or so of
//! the frame): Ethernet with its VLAN tags, IPv4 or IPv6 with IPv6's extension headers, and
//! the ports or ICMP type of TCP, UDP, SCTP and ICMP. A header cut anywhere keeps what was
//! read before the cut; nothing here allocates.

use crate::flow::{Addr, FlowRecord};

/// sFlow's `header_protocol` values nf-svc reads.
pub(super) const ETHERNET: u32 = 1;
pub(super) const IPV4: u32 = 11;
pub(super) const IPV6: u32 = 12;

const VLAN_TAGS: [u16; 3] = [0x8100, 0x88a8, 0x9100];
/// IPv6 extension headers walked at most (a header chain longer than this is not believed).
const MAX_EXTENSIONS: usize = 8;

/// Fill `r` from a sampled header of sFlow `protocol`.
pub(super) fn read(protocol: u32, h: &[u8], r: &mut FlowRecord) {
    match protocol {
        ETHERNET => ethernet(h, r),
        IPV4 => ipv4(h, r),
        IPV6 => ipv6(h, r),
        _ => {}
    }
}

fn u16_at(h: &[u8], at: usize) -> Option<u16> {
    h.get(at..at + 2).map(|b| u16::from_be_bytes([b[0], b[1]]))
}

/// The MAC address at `at`, in the low 48 bits (0: cut short).
pub(super) fn mac_at(h: &[u8], at: usize) -> u64 {
    h.get(at..at + 6)
        .map_or(0, |b| b.iter().fold(0u64, |m, x| (m << 8) | *x as u64))
}

fn ethernet(h: &[u8], r: &mut FlowRecord) {
    if h.len() < 14 {
        return;
    }
    r.dst_mac = mac_at(h, 0);
    r.src_mac = mac_at(h, 6);
    let mut at = 12;
    let mut etype = u16_at(h, at).unwrap_or(0);
    while VLAN_TAGS.contains(&etype) {
        let Some(tci) = u16_at(h, at + 2) else {
            return;
        };
        if r.vlan_id == 0 {
            r.vlan_id = tci & 0x0fff;
        }
        at += 4;
        let Some(t) = u16_at(h, at) else {
            return;
        };
        etype = t;
    }
    r.etype = etype;
    let rest = &h[at + 2..];
    match etype {
        0x0800 => ipv4(rest, r),
        0x86dd => ipv6(rest, r),
        _ => {}
    }
}

fn ipv4(h: &[u8], r: &mut FlowRecord) {
    if h.len() < 20 || h[0] >> 4 != 4 {
        return;
    }
    r.etype = 0x0800;
    let ihl = (h[0] & 0x0f) as usize * 4;
    r.ip_tos = h[1];
    r.fragment_id = u16_at(h, 4).unwrap_or(0) as u32;
    let frag = u16_at(h, 6).unwrap_or(0);
    r.fragment_offset = frag & 0x1fff;
    r.ip_ttl = h[8];
    r.proto = h[9];
    r.src_addr = Addr::V4([h[12], h[13], h[14], h[15]]);
    r.dst_addr = Addr::V4([h[16], h[17], h[18], h[19]]);
    if ihl >= 20 && r.fragment_offset == 0 {
        transport(h.get(ihl..).unwrap_or(&[]), r);
    }
}

fn ipv6(h: &[u8], r: &mut FlowRecord) {
    if h.len() < 40 || h[0] >> 4 != 6 {
        return;
    }
    r.etype = 0x86dd;
    let first = u32::from_be_bytes([h[0], h[1], h[2], h[3]]);
    r.ip_tos = (first >> 20) as u8;
    r.ipv6_flow_label = first & 0x000f_ffff;
    r.ip_ttl = h[7];
    let mut a = [0u8; 16];
    a.copy_from_slice(&h[8..24]);
    r.src_addr = Addr::V6(a);
    a.copy_from_slice(&h[24..40]);
    r.dst_addr = Addr::V6(a);
    let mut next = h[6];
    let mut at = 40;
    for _ in 0..MAX_EXTENSIONS {
        match next {
            // Hop-by-hop, routing, destination options: length in 8-byte units past the first 8.
            0 | 43 | 60 => {
                let (Some(n), Some(len)) = (h.get(at), h.get(at + 1)) else {
                    r.proto = next;
                    return;
                };
                next = *n;
                at += (*len as usize + 1) * 8;
            }
            // Fragment: later fragments carry no ports.
            44 => {
                let (Some(n), Some(off)) = (h.get(at), u16_at(h, at + 2)) else {
                    r.proto = next;
                    return;
                };
                next = *n;
                r.fragment_offset = off >> 3;
                r.fragment_id = h
                    .get(at + 4..at + 8)
                    .map_or(0, |b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]));
                at += 8;
            }
            _ => break,
        }
    }
    r.proto = next;
    if r.fragment_offset == 0 {
        transport(h.get(at..).unwrap_or(&[]), r);
    }
}

fn transport(h: &[u8], r: &mut FlowRecord) {
    match r.proto {
        6 | 17 | 132 => {
            r.src_port = u16_at(h, 0).unwrap_or(0);
            r.dst_port = u16_at(h, 2).unwrap_or(0);
            if r.proto == 6
                && let (Some(hi), Some(lo)) = (h.get(12), h.get(13))
            {
                r.tcp_flags = (((*hi & 1) as u16) << 8) | *lo as u16;
            }
        }
        1 | 58 => {
            if let (Some(t), Some(c)) = (h.first(), h.get(1)) {
                r.icmp_type = *t;
                r.icmp_code = *c;
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(vlan: Option<u16>, ip: &[u8]) -> Vec<u8> {
        let mut f = vec![
            0x00, 0x80, 0x77, 1, 2, 3, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff,
        ];
        if let Some(v) = vlan {
            f.extend_from_slice(&[0x81, 0x00]);
            f.extend_from_slice(&v.to_be_bytes());
        }
        f.extend_from_slice(if ip[0] >> 4 == 4 {
            &[0x08, 0x00]
        } else {
            &[0x86, 0xdd]
        });
        f.extend_from_slice(ip);
        f
    }

    fn ipv4_tcp() -> Vec<u8> {
        let mut ip = vec![0x45, 0x10, 0, 52, 0x12, 0x34, 0x40, 0, 64, 6, 0, 0];
        ip.extend_from_slice(&[192, 168, 88, 50, 239, 255, 255, 250]);
        ip.extend_from_slice(&[0xc0, 0x01, 0x01, 0xbb, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x18]);
        ip
    }

    #[test]
    fn ethernet_vlan_ipv4_tcp() {
        let mut r = FlowRecord::default();
        read(ETHERNET, &frame(Some(0x2064), &ipv4_tcp()), &mut r);
        assert_eq!(r.dst_mac, 0x0080_7701_0203);
        assert_eq!(r.src_mac, 0xaabb_ccdd_eeff);
        assert_eq!(r.vlan_id, 100);
        assert_eq!(r.etype, 0x0800);
        assert_eq!(r.src_addr, Addr::V4([192, 168, 88, 50]));
        assert_eq!(r.dst_addr, Addr::V4([239, 255, 255, 250]));
        assert_eq!((r.proto, r.src_port, r.dst_port), (6, 0xc001, 443));
        assert_eq!((r.ip_tos, r.ip_ttl, r.tcp_flags), (0x10, 64, 0x18));
    }

    #[test]
    fn ipv6_through_an_extension_header_to_udp() {
        let mut ip = vec![0x60, 0x00, 0x00, 0x05, 0, 16, 0, 255];
        ip.extend_from_slice(&[0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
        ip.extend_from_slice(&[0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xfb]);
        ip[6] = 0; // hop-by-hop, 8 bytes, then UDP
        ip.extend_from_slice(&[17, 0, 0, 0, 0, 0, 0, 0]);
        ip.extend_from_slice(&[0x14, 0xe9, 0x14, 0xe9, 0, 8, 0, 0]);
        let mut r = FlowRecord::default();
        read(ETHERNET, &frame(None, &ip), &mut r);
        assert_eq!(r.etype, 0x86dd);
        assert_eq!(r.ipv6_flow_label, 5);
        assert_eq!((r.proto, r.src_port, r.dst_port), (17, 5353, 5353));
    }

    #[test]
    fn a_cut_header_keeps_what_came_before_the_cut() {
        let f = frame(Some(7), &ipv4_tcp());
        for cut in 0..f.len() {
            let mut r = FlowRecord::default();
            read(ETHERNET, &f[..cut], &mut r);
            if cut >= 18 + 20 {
                assert_eq!(r.src_addr, Addr::V4([192, 168, 88, 50]), "cut at {cut}");
            } else {
                assert_eq!(r.src_addr, Addr::NONE, "cut at {cut}");
            }
        }
        let mut r = FlowRecord::default();
        read(IPV4, &ipv4_tcp(), &mut r);
        assert_eq!(r.dst_port, 443, "a header that starts at IP");
    }
}
