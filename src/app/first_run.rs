//! What a first-time user is told: where to point the sensor. "This computer" is not enough
//! for someone typing an address into a MikroTik, so the message names this PC's LAN
//! addresses (the ones `Listen` covers) and the port.

use crate::settings::Settings;
use std::net::IpAddr;

/// At most this many addresses are named.
const SHOWN: usize = 4;

/// This computer's addresses a sensor on the LAN can send to: up, not loopback, not
/// link-local, IPv4 first; only those `Listen` covers.
pub fn lan_addresses(listen: &[IpAddr]) -> Vec<IpAddr> {
    let found: Vec<IpAddr> = if_addrs::get_if_addrs()
        .map(|ifs| ifs.into_iter().map(|i| i.ip()).collect())
        .unwrap_or_default();
    usable(found, listen)
}

fn usable(mut found: Vec<IpAddr>, listen: &[IpAddr]) -> Vec<IpAddr> {
    let covered = |a: &IpAddr| {
        listen
            .iter()
            .any(|l| l == a || (l.is_unspecified() && l.is_ipv4() == a.is_ipv4()))
    };
    found.retain(|a| {
        let link_local = match a {
            IpAddr::V4(v4) => v4.is_link_local(),
            IpAddr::V6(v6) => v6.is_unicast_link_local(),
        };
        !a.is_loopback() && !link_local && !a.is_unspecified() && covered(a)
    });
    found.sort_by_key(|a| (a.is_ipv6(), *a));
    found.dedup();
    found.truncate(SHOWN);
    found
}

/// The first-run message: a title and one sentence (the console prints both on one line).
pub fn message(s: &Settings) -> (String, String) {
    message_for(s, &lan_addresses(&s.receive.listen))
}

fn message_for(s: &Settings, addrs: &[IpAddr]) -> (String, String) {
    let port = s.receive.ports.first().copied().unwrap_or(2055);
    let title = format!("nf-svc listens on UDP port {port}");
    let target = match addrs {
        [] => "this computer's address".to_string(),
        [one] => one.to_string(),
        [first, rest @ ..] => format!(
            "{first} (or {})",
            rest.iter()
                .map(|a| a.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    let body = format!(
        "Point your sensor's NetFlow/IPFIX export at {target}, UDP port {port}. Summaries appear in the log folder."
    );
    (title, body)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ips(v: &[&str]) -> Vec<IpAddr> {
        v.iter().map(|a| a.parse().unwrap()).collect()
    }

    #[test]
    fn only_addresses_a_sensor_can_reach_and_listen_covers() {
        let found = ips(&[
            "127.0.0.1",
            "fe80::1",
            "192.168.1.20",
            "169.254.3.4",
            "2001:db8::7",
            "10.0.0.5",
        ]);
        let any = ips(&["0.0.0.0", "::"]);
        assert_eq!(
            usable(found.clone(), &any),
            ips(&["10.0.0.5", "192.168.1.20", "2001:db8::7"])
        );
        assert_eq!(
            usable(found.clone(), &ips(&["0.0.0.0"])),
            ips(&["10.0.0.5", "192.168.1.20"])
        );
        assert_eq!(
            usable(found, &ips(&["192.168.1.20"])),
            ips(&["192.168.1.20"])
        );
    }

    #[test]
    fn the_message_names_the_addresses_and_port() {
        let s = Settings::defaults(std::path::Path::new("/tmp/nf-svc.ini"));
        let (title, body) = message_for(&s, &ips(&["192.168.1.20", "10.0.0.5"]));
        assert_eq!(title, "nf-svc listens on UDP port 2055");
        assert_eq!(
            body,
            "Point your sensor's NetFlow/IPFIX export at 192.168.1.20 (or 10.0.0.5), UDP port 2055. Summaries appear in the log folder."
        );
        assert!(
            message_for(&s, &[])
                .1
                .contains("at this computer's address, UDP port 2055")
        );
    }

    #[test]
    fn this_machine_has_a_loopback_but_never_lists_it() {
        assert!(
            lan_addresses(&ips(&["0.0.0.0", "::"]))
                .iter()
                .all(|a| !a.is_loopback())
        );
    }
}
