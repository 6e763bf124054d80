//! Addresses whose name is their purpose: multicast groups and broadcast, named by the
//! protocol that uses them (what floods a LAN is often one of these).

use std::net::IpAddr;

/// The name of a well-known address, if it is one.
pub fn name(addr: IpAddr) -> Option<&'static str> {
    match addr {
        IpAddr::V4(a) => Some(match a.octets() {
            [255, 255, 255, 255] => "broadcast",
            [239, 255, 255, 250] => "SSDP / WS-Discovery (multicast)",
            [224, 0, 0, 251] => "mDNS (multicast)",
            [224, 0, 0, 252] => "LLMNR (multicast)",
            [224, 0, 0, 1] => "all hosts (multicast)",
            [224, 0, 0, 2] => "all routers (multicast)",
            [224, 0, 0, 22] => "IGMPv3 (multicast)",
            [224, 0, 1, 129] => "PTP (multicast)",
            [239, 255, 255, 253] => "SLP (multicast)",
            [224, 0, 0, 9] => "RIP (multicast)",
            [224, 0, 0, 5] | [224, 0, 0, 6] => "OSPF (multicast)",
            [224, 0, 0, 18] => "VRRP (multicast)",
            [224, 0, 0, 102] => "HSRP (multicast)",
            [b, ..] if b & 0xf0 == 0xe0 => "multicast",
            [_, _, _, 255] => "subnet broadcast",
            _ => return None,
        }),
        IpAddr::V6(a) => {
            let s = a.segments();
            Some(match s {
                [0xff02, 0, 0, 0, 0, 0, 0, 1] => "all nodes (multicast)",
                [0xff02, 0, 0, 0, 0, 0, 0, 2] => "all routers (multicast)",
                [0xff02, 0, 0, 0, 0, 0, 0, 0xfb] => "mDNS (multicast)",
                [0xff02, 0, 0, 0, 0, 0, 1, 3] => "LLMNR (multicast)",
                [0xff02, 0, 0, 0, 0, 0, 0, 0xc] => "SSDP / WS-Discovery (multicast)",
                [0xff02, 0, 0, 0, 0, 0, 1, 2] => "DHCPv6 (multicast)",
                [0xff02, 0, 0, 0, 0, 1, 0xff00..=0xffff, _] => "neighbour discovery (multicast)",
                [x, ..] if x >> 8 == 0xff => "multicast",
                _ => return None,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_are_named_by_their_protocol() {
        let n = |s: &str| name(s.parse().unwrap());
        assert_eq!(
            n("239.255.255.250"),
            Some("SSDP / WS-Discovery (multicast)")
        );
        assert_eq!(n("224.0.0.251"), Some("mDNS (multicast)"));
        assert_eq!(n("224.0.0.252"), Some("LLMNR (multicast)"));
        assert_eq!(n("255.255.255.255"), Some("broadcast"));
        assert_eq!(n("192.168.88.255"), Some("subnet broadcast"));
        assert_eq!(n("239.1.2.3"), Some("multicast"));
        assert_eq!(n("ff02::fb"), Some("mDNS (multicast)"));
        assert_eq!(
            n("ff02::1:ff00:1234"),
            Some("neighbour discovery (multicast)")
        );
        assert_eq!(n("192.168.88.50"), None);
        assert_eq!(n("2001:db8::1"), None);
    }
}
