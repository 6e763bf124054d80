//! Names for devices: the one lookup every part of nf-svc asks when it shows a host — the
//! pipeline (incidents and sensor events carry the name it gives them, so the logs, toasts
//! and wording say it), the pages, the device reports and the exports.
//!
//! A name comes from the best source at hand ([`Source`], best first): the user's label
//! (`[Alerts] Host.<address> = rate, Label`), the router's DHCP leases, reverse DNS, NetBIOS,
//! or the address's purpose (multicast groups, broadcast: [`well_known`]). A MAC address seen
//! for the host gives its vendor ([`vendor`]). The names learned from the network are found by
//! [`service`], off the counting path, and kept in the history store so later pages and
//! exports have them.

pub mod clean;
pub mod service;
pub mod vendor;
pub mod well_known;

use crate::settings::AlertSettings;
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;

/// Where a name came from, best first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Source {
    /// The user's label in the settings.
    Label,
    /// The router's DHCP lease: its comment, else the host name the device gave.
    Lease,
    /// Reverse DNS (PTR).
    Dns,
    /// The device's NetBIOS name (node status).
    NetBios,
    /// What the address is for (a multicast group, broadcast).
    WellKnown,
}

impl Source {
    /// As the store and the exports write it.
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Label => "label",
            Source::Lease => "dhcp-lease",
            Source::Dns => "reverse-dns",
            Source::NetBios => "netbios",
            Source::WellKnown => "well-known",
        }
    }

    pub fn parse(s: &str) -> Option<Source> {
        [
            Source::Label,
            Source::Lease,
            Source::Dns,
            Source::NetBios,
            Source::WellKnown,
        ]
        .into_iter()
        .find(|x| x.as_str() == s)
    }
}

/// What is known of one address from the network.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Known {
    pub name: Option<(String, Source)>,
    /// Its MAC address (low 48 bits), from a lease or its flows.
    pub mac: Option<u64>,
    /// The MAC's vendor.
    pub vendor: Option<String>,
}

/// Learned names by address (shared, replaced whole when more is learned).
pub type Learned = Arc<HashMap<IpAddr, Known>>;

/// The names known now. Cheap to clone (shared), so each part that shows hosts keeps one.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Names {
    labels: Arc<HashMap<IpAddr, String>>,
    learned: Learned,
}

impl Names {
    /// The names the settings give: each `Host.<address>` rule's label.
    pub fn from_settings(alerts: &AlertSettings) -> Names {
        let labels = alerts
            .hosts
            .iter()
            .filter_map(|h| Some((h.addr, h.label.clone()?)))
            .collect();
        Names {
            labels: Arc::new(labels),
            learned: Learned::default(),
        }
    }

    /// What was learned from the network.
    pub fn learned(&self) -> Learned {
        self.learned.clone()
    }

    /// These names with what was learned from the network beside the labels.
    pub fn with_learned(mut self, learned: Learned) -> Names {
        self.learned = learned;
        self
    }

    /// The device's name, if one is known.
    pub fn name(&self, addr: IpAddr) -> Option<&str> {
        self.name_and_source(addr).map(|(n, _)| n)
    }

    /// The device's name and where it came from.
    pub fn name_and_source(&self, addr: IpAddr) -> Option<(&str, Source)> {
        if let Some(l) = self.labels.get(&addr) {
            return Some((l.as_str(), Source::Label));
        }
        if let Some((n, s)) = self.learned.get(&addr).and_then(|k| k.name.as_ref()) {
            return Some((n.as_str(), *s));
        }
        well_known::name(addr).map(|n| (n, Source::WellKnown))
    }

    /// The vendor of the device's network card, when its MAC address is known.
    pub fn vendor(&self, addr: IpAddr) -> Option<&str> {
        self.learned.get(&addr).and_then(|k| k.vendor.as_deref())
    }

    /// Name and vendor as people read them: `printer.lan · Brother`.
    pub fn describe(&self, addr: IpAddr) -> Option<String> {
        match (self.name(addr), self.vendor(addr)) {
            (Some(n), Some(v)) => Some(format!("{n} · {v}")),
            (Some(n), None) => Some(n.to_string()),
            (None, Some(v)) => Some(v.to_string()),
            (None, None) => None,
        }
    }

    /// A host as people read it: `192.168.0.82 (printer.lan · Brother)`, else the address.
    pub fn host(&self, addr: IpAddr) -> String {
        shown(addr, self.describe(addr).as_deref())
    }
}

/// `192.168.0.82 (Printer)` with a name, else the address: how every part writes a host.
pub fn shown(addr: IpAddr, name: Option<&str>) -> String {
    match name {
        Some(n) => format!("{addr} ({n})"),
        None => addr.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::Settings;
    use std::path::Path;

    #[test]
    fn a_hosts_label_is_its_name_and_unlabelled_hosts_show_their_address() {
        let ini = "[Alerts]\nHost.192.168.0.82 = 2 Mbit/s, Printer\nHost.[fe80::1] = 1 Mbit/s\n";
        let (s, _) = crate::settings::parse(Path::new("/nf/nf-svc.ini"), ini).unwrap();
        let names = Names::from_settings(&s.alerts);
        let printer: IpAddr = "192.168.0.82".parse().unwrap();
        assert_eq!(names.name(printer), Some("Printer"));
        assert_eq!(
            names.name_and_source(printer),
            Some(("Printer", Source::Label))
        );
        assert_eq!(names.host(printer), "192.168.0.82 (Printer)");
        let bare: IpAddr = "fe80::1".parse().unwrap();
        assert_eq!(
            names.name(bare),
            None,
            "a rule without a label names nothing"
        );
        assert_eq!(names.host(bare), "fe80::1");
        let none = Names::from_settings(&Settings::defaults(Path::new("/nf/nf-svc.ini")).alerts);
        assert_eq!(none.host(printer), "192.168.0.82");
    }

    #[test]
    fn labels_win_over_learned_names_which_win_over_purposes() {
        let ini = "[Alerts]\nHost.192.168.88.50 = 2 Mbit/s, Printer\n";
        let (s, _) = crate::settings::parse(Path::new("/nf/nf-svc.ini"), ini).unwrap();
        let a = |s: &str| s.parse::<IpAddr>().unwrap();
        let learned = HashMap::from([
            (
                a("192.168.88.50"),
                Known {
                    name: Some(("printer.lan".into(), Source::Dns)),
                    mac: Some(0x0080_7711_2233),
                    vendor: Some("Brother".into()),
                },
            ),
            (
                a("192.168.88.51"),
                Known {
                    name: Some(("Front desk till".into(), Source::Lease)),
                    ..Known::default()
                },
            ),
        ]);
        let names = Names::from_settings(&s.alerts).with_learned(Arc::new(learned));
        assert_eq!(
            names.host(a("192.168.88.50")),
            "192.168.88.50 (Printer · Brother)"
        );
        assert_eq!(
            names.name_and_source(a("192.168.88.51")),
            Some(("Front desk till", Source::Lease))
        );
        assert_eq!(
            names.host(a("239.255.255.250")),
            "239.255.255.250 (SSDP / WS-Discovery (multicast))"
        );
        assert_eq!(Source::parse("dhcp-lease"), Some(Source::Lease));
    }
}
