//! Names for numbers: ethertypes and IP protocols as the old summary log printed them, and the
//! well-known service ports a non-expert recognises (mdns, netbios-ns, ssdp, …).

use std::borrow::Cow;

/// `IPv4`, `IPv6`, or the number (the old summary log's `L3=` column).
pub fn ethertype_name(etype: u16) -> Cow<'static, str> {
    match etype {
        0x0800 => Cow::Borrowed("IPv4"),
        0x86DD => Cow::Borrowed("IPv6"),
        n => Cow::Owned(n.to_string()),
    }
}

/// `TCP`, `UDP`, … or the number (the old summary log's `L4=` column).
pub fn l4_proto_name(proto: u8) -> Cow<'static, str> {
    match proto {
        1 => Cow::Borrowed("ICMP"),
        2 => Cow::Borrowed("IGMP"),
        6 => Cow::Borrowed("TCP"),
        17 => Cow::Borrowed("UDP"),
        58 => Cow::Borrowed("IPv6-ICMP"),
        n => Cow::Owned(n.to_string()),
    }
}

/// The service behind a well-known port, for toasts and the tray (`None` when unknown).
pub fn service_name(proto: u8, port: u16) -> Option<&'static str> {
    let name = match (proto, port) {
        (6 | 17, 53) => "dns",
        (17, 67 | 68) => "dhcp",
        (17, 69) => "tftp",
        (6, 80) => "http",
        (17, 123) => "ntp",
        (17, 137) => "netbios-ns",
        (17, 138) => "netbios-dgm",
        (6, 139) => "netbios-ssn",
        (17, 161) => "snmp",
        (6, 443) => "https",
        (17, 443) => "quic",
        (6, 445) => "smb",
        (6, 515) => "lpd",
        (17, 514) => "syslog",
        (6, 631) | (17, 631) => "ipp",
        (17, 1900) => "ssdp",
        (6, 3389) => "rdp",
        (17, 3702) => "ws-discovery",
        (17, 5353) => "mdns",
        (17, 5355) => "llmnr",
        (6, 8080) => "http-alt",
        (6, 9100) => "jetdirect",
        (6, 22) => "ssh",
        (6, 25) => "smtp",
        (6, 21) => "ftp",
        (6, 23) => "telnet",
        (6, 554) | (17, 554) => "rtsp",
        (17, 2055) | (17, 4739) | (17, 9995) | (17, 9996) => "netflow",
        _ => return None,
    };
    Some(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_match_the_old_log() {
        assert_eq!(ethertype_name(0x0800), "IPv4");
        assert_eq!(ethertype_name(0x86DD), "IPv6");
        assert_eq!(ethertype_name(2054), "2054");
        assert_eq!(l4_proto_name(17), "UDP");
        assert_eq!(l4_proto_name(58), "IPv6-ICMP");
        assert_eq!(l4_proto_name(47), "47");
        assert_eq!(service_name(17, 5353), Some("mdns"));
        assert_eq!(service_name(17, 137), Some("netbios-ns"));
        assert_eq!(service_name(6, 5353), None);
    }
}
