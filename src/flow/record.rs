//! The normalized flow record: one per decoded NetFlow v5/v7/v9 or IPFIX record or sFlow
//! flow sample.
//!
//! Every decoder produces this one shape, so the summaries, the dump log and the alerts never
//! care which protocol a flow came in. The fields are the ones goflow's `FlowMessage` had (the
//! old nf-svc printed those), stored as plain numbers: the record is `Copy`, about 200 bytes,
//! and nothing in it allocates. A zero value means "the exporter did not send this field"; the
//! dump log leaves zero fields out exactly as the old service did, so nothing is invented.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Which protocol a record arrived in; printed as the old `Type:` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub enum FlowKind {
    #[default]
    NetflowV5,
    NetflowV7,
    NetflowV9,
    Ipfix,
    Sflow5,
}

impl FlowKind {
    /// The name goflow used (`NETFLOW_V5`, `NETFLOW_V9`, `IPFIX`).
    pub fn as_str(self) -> &'static str {
        match self {
            FlowKind::NetflowV5 => "NETFLOW_V5",
            FlowKind::NetflowV7 => "NETFLOW_V7",
            FlowKind::NetflowV9 => "NETFLOW_V9",
            FlowKind::Ipfix => "IPFIX",
            FlowKind::Sflow5 => "SFLOW_5",
        }
    }

    /// Short human form for menus and status lines (`v5`, `v9`, `IPFIX`).
    pub fn short(self) -> &'static str {
        match self {
            FlowKind::NetflowV5 => "v5",
            FlowKind::NetflowV7 => "v7",
            FlowKind::NetflowV9 => "v9",
            FlowKind::Ipfix => "IPFIX",
            FlowKind::Sflow5 => "sFlow",
        }
    }
}

impl fmt::Display for FlowKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An IP address held inline (no allocation), or absent.
///
/// `Addr::NONE` marks a field the template did not carry. IPv4 and IPv6 are kept apart so an
/// IPv4-mapped IPv6 address from an exporter is printed the way the exporter sent it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub enum Addr {
    #[default]
    None,
    V4([u8; 4]),
    V6([u8; 16]),
}

impl Addr {
    pub const NONE: Addr = Addr::None;

    pub fn is_none(&self) -> bool {
        matches!(self, Addr::None)
    }

    pub fn is_some(&self) -> bool {
        !self.is_none()
    }

    /// The address as one number, for hashing: IPv4 as its IPv4-mapped IPv6 form, no
    /// address as all ones.
    #[inline]
    pub fn bits(&self) -> u128 {
        match *self {
            Addr::None => u128::MAX,
            Addr::V4(b) => 0xffff_0000_0000 | u32::from_be_bytes(b) as u128,
            Addr::V6(b) => u128::from_be_bytes(b),
        }
    }

    pub fn ip(&self) -> Option<IpAddr> {
        match *self {
            Addr::None => None,
            Addr::V4(b) => Some(IpAddr::V4(Ipv4Addr::from(b))),
            Addr::V6(b) => Some(IpAddr::V6(Ipv6Addr::from(b))),
        }
    }

    /// True for 0.0.0.0 and ::, which goflow printed but some fields (next hop) leave out.
    pub fn is_unspecified(&self) -> bool {
        match self {
            Addr::None => true,
            Addr::V4(b) => *b == [0; 4],
            Addr::V6(b) => *b == [0; 16],
        }
    }

    /// Broadcast and multicast destinations, by the old service's rule: 255.255.255.255, any
    /// IPv4 or IPv6 multicast, and any IPv4 address whose last octet is 255 (a subnet
    /// broadcast on the /24 networks these sensors usually watch).
    pub fn is_multicast_or_broadcast(&self) -> bool {
        match self {
            Addr::None => false,
            Addr::V4(b) => (b[0] & 0xf0) == 0xe0 || b[3] == 0xff,
            Addr::V6(b) => b[0] == 0xff,
        }
    }
}

/// One 128-bit write per address (the derived hash writes a tag, a length and the bytes: three
/// calls into the hasher on the hot path of every table keyed by addresses). Equal addresses
/// hash alike; an IPv4 address and its IPv4-mapped IPv6 form may collide, which is allowed.
impl std::hash::Hash for Addr {
    #[inline]
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        h.write_u128(self.bits());
    }
}

impl From<IpAddr> for Addr {
    fn from(ip: IpAddr) -> Self {
        match ip {
            IpAddr::V4(v4) => Addr::V4(v4.octets()),
            IpAddr::V6(v6) => Addr::V6(v6.octets()),
        }
    }
}

impl From<Ipv4Addr> for Addr {
    fn from(ip: Ipv4Addr) -> Self {
        Addr::V4(ip.octets())
    }
}

impl From<Ipv6Addr> for Addr {
    fn from(ip: Ipv6Addr) -> Self {
        Addr::V6(ip.octets())
    }
}

impl fmt::Display for Addr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Addr::None => f.write_str("<nil>"),
            Addr::V4(b) => Ipv4Addr::from(b).fmt(f),
            Addr::V6(b) => Ipv6Addr::from(b).fmt(f),
        }
    }
}

/// Ethertypes the summaries name.
pub const ETYPE_IPV4: u16 = 0x0800;
pub const ETYPE_IPV6: u16 = 0x86DD;

/// One normalized flow. Times are Unix milliseconds; 0 means unknown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FlowRecord {
    pub kind: FlowKind,
    /// When nf-svc received the datagram, Unix milliseconds.
    pub time_received_ms: u64,
    pub sequence: u32,
    /// 1-in-N packet sampling applied by the exporter; bytes and packets are already scaled.
    pub sampling_rate: u64,
    /// The exporter's address (goflow's "sampler address").
    pub exporter: Addr,
    pub time_flow_start_ms: u64,
    pub time_flow_end_ms: u64,
    pub bytes: u64,
    pub packets: u64,
    pub src_addr: Addr,
    pub dst_addr: Addr,
    pub etype: u16,
    pub proto: u8,
    pub src_port: u16,
    pub dst_port: u16,
    pub in_if: u32,
    pub out_if: u32,
    /// MAC addresses in the low 48 bits; 0 = absent.
    pub src_mac: u64,
    pub dst_mac: u64,
    pub src_vlan: u16,
    pub dst_vlan: u16,
    pub vlan_id: u16,
    pub ingress_vrf: u32,
    pub egress_vrf: u32,
    pub ip_tos: u8,
    pub forwarding_status: u8,
    pub ip_ttl: u8,
    pub tcp_flags: u16,
    pub icmp_type: u8,
    pub icmp_code: u8,
    pub ipv6_flow_label: u32,
    pub fragment_id: u32,
    pub fragment_offset: u16,
    pub bi_flow_direction: u8,
    pub src_as: u32,
    pub dst_as: u32,
    pub next_hop: Addr,
    pub next_hop_as: u32,
    pub src_net: u8,
    pub dst_net: u8,
    /// MPLS label stack: how many labels were exported, the first three and the last.
    pub mpls_count: u8,
    pub mpls_labels: [u32; 3],
    pub mpls_last_label: u32,
}

impl FlowRecord {
    /// Fill the ethertype from the address family when the exporter did not send one, as goflow
    /// did (it set the ethertype when it saw an IPv4 or IPv6 address field).
    pub fn infer_etype(&mut self) {
        if self.etype == 0 {
            self.etype = match (self.src_addr, self.dst_addr) {
                (Addr::V4(_), _) | (_, Addr::V4(_)) => ETYPE_IPV4,
                (Addr::V6(_), _) | (_, Addr::V6(_)) => ETYPE_IPV6,
                _ => 0,
            };
        }
    }

    /// Scale the counters by the sampling rate and remember the rate.
    pub fn apply_sampling(&mut self, rate: u64) {
        if rate > 1 {
            self.bytes = self.bytes.saturating_mul(rate);
            self.packets = self.packets.saturating_mul(rate);
            self.sampling_rate = rate;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multicast_and_broadcast_follow_the_old_rule() {
        let a = |s: &str| Addr::from(s.parse::<IpAddr>().unwrap());
        assert!(a("224.0.0.251").is_multicast_or_broadcast());
        assert!(a("239.255.255.250").is_multicast_or_broadcast());
        assert!(a("192.168.0.255").is_multicast_or_broadcast());
        assert!(a("255.255.255.255").is_multicast_or_broadcast());
        assert!(a("ff02::fb").is_multicast_or_broadcast());
        assert!(!a("192.168.0.82").is_multicast_or_broadcast());
        assert!(!a("fe80::1").is_multicast_or_broadcast());
        assert!(!Addr::NONE.is_multicast_or_broadcast());
    }

    #[test]
    fn sampling_scales_counters_and_keeps_rate() {
        let mut r = FlowRecord {
            bytes: 100,
            packets: 2,
            ..Default::default()
        };
        r.apply_sampling(1);
        assert_eq!((r.bytes, r.packets, r.sampling_rate), (100, 2, 0));
        r.apply_sampling(64);
        assert_eq!((r.bytes, r.packets, r.sampling_rate), (6400, 128, 64));
    }

    #[test]
    fn etype_is_inferred_only_when_absent() {
        let mut r = FlowRecord {
            src_addr: Addr::V6([0; 16]),
            ..Default::default()
        };
        r.infer_etype();
        assert_eq!(r.etype, ETYPE_IPV6);
        let mut r = FlowRecord {
            etype: 0x8100,
            src_addr: Addr::V4([1, 2, 3, 4]),
            ..Default::default()
        };
        r.infer_etype();
        assert_eq!(r.etype, 0x8100);
    }
}
