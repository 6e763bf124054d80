//! Names for devices: the one lookup every part of nf-svc asks when it shows a host — the
//! pipeline (incidents and sensor events carry the name it gives them, so the logs, toasts
//! and wording say it), the pages and the device reports.
//!
//! Today a name is the user's label (`[Alerts] Host.<address> = rate, Label`). Other sources
//! (the router's DHCP leases, reverse DNS, MAC vendors) slot in behind the same lookup, the
//! user's label first.

use crate::settings::AlertSettings;
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;

/// Where a name came from, best first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Source {
    /// The user's label in the settings.
    Label,
}

/// The names known now. Cheap to clone (shared), so each part that shows hosts keeps one.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Names {
    by_addr: Arc<HashMap<IpAddr, (String, Source)>>,
}

impl Names {
    /// The names the settings give: each `Host.<address>` rule's label.
    pub fn from_settings(alerts: &AlertSettings) -> Names {
        let by_addr = alerts
            .hosts
            .iter()
            .filter_map(|h| Some((h.addr, (h.label.clone()?, Source::Label))))
            .collect();
        Names {
            by_addr: Arc::new(by_addr),
        }
    }

    /// The device's name, if one is known.
    pub fn name(&self, addr: IpAddr) -> Option<&str> {
        self.by_addr.get(&addr).map(|(n, _)| n.as_str())
    }

    /// The device's name and where it came from.
    pub fn name_and_source(&self, addr: IpAddr) -> Option<(&str, Source)> {
        self.by_addr.get(&addr).map(|(n, s)| (n.as_str(), *s))
    }

    /// A host as people read it: `192.168.0.82 (Printer)`, else the address alone.
    pub fn host(&self, addr: IpAddr) -> String {
        shown(addr, self.name(addr))
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
}
