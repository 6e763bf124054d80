//! Words only the tray says: the tooltip, from a collector's [`Snapshot`] (its own or one it
//! watches). Units come from [`crate::words`], incident,
//! summary and sensor wording from [`crate::output::wording`]; the tooltip stays under
//! Windows' 127-character limit.

use crate::companion::wire::Snapshot;
use crate::words::units::thousands;
use chrono::{Local, TimeZone};

/// Windows truncates tray tooltips at 127 UTF-16 units (128 with the NUL).
pub const TOOLTIP_MAX: usize = 127;

fn cut(mut s: String, max: usize) -> String {
    if s.chars().count() > max {
        s = s.chars().take(max - 1).collect::<String>() + "…";
    }
    s
}

/// The tooltip: what the collector is doing right now, or the current error. `watched`: the
/// collector is another process (a service) this tray is the companion of.
pub fn tooltip(status: Option<&Snapshot>, error: Option<&str>, watched: bool) -> String {
    if let Some(e) = error {
        return cut(format!("nf-svc: {e}"), TOOLTIP_MAX);
    }
    let Some(st) = status else {
        return "nf-svc: starting…".into();
    };
    let mut ports: Vec<u16> = st.listening.iter().map(|a| a.port()).collect();
    ports.dedup();
    let ports: Vec<String> = ports.iter().map(|p| p.to_string()).collect();
    let mut s = if watched {
        format!("nf-svc ({}) · UDP {}", st.mode, ports.join(", "))
    } else {
        format!("nf-svc · UDP {}", ports.join(", "))
    };
    if st.paused {
        s.push_str(" · paused");
    }
    let n = st.sensors.len();
    s.push_str(&match n {
        0 => " · no sensor yet".to_string(),
        1 => " · 1 sensor".to_string(),
        n => format!(" · {n} sensors"),
    });
    s.push_str(&format!(" · {} flows/min", thousands(st.flows_per_minute)));
    if let Some(t) = st
        .last_summary
        .and_then(|t| Local.timestamp_opt(t, 0).single())
    {
        s.push_str(&format!(" · summary {}", t.format("%H:%M")));
    }
    if st.refused_datagrams > 0 {
        s.push_str(&format!(" · {} refused", thousands(st.refused_datagrams)));
    }
    if let Some(a) = &st.alert {
        s = format!("{s} · ALERT: {a} (see log)");
    }
    cut(s, TOOLTIP_MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::Status;
    use crate::health::ExporterHealth;
    use std::time::SystemTime;

    fn status(exporters: usize, paused: bool) -> Snapshot {
        let s = crate::settings::Settings::defaults(std::path::Path::new("/tmp/nf-svc.ini"));
        let e = ExporterHealth::new("192.168.255.10".parse().unwrap(), SystemTime::now());
        let st = Status {
            listening: vec![
                "0.0.0.0:2055".parse().unwrap(),
                "[::]:2055".parse().unwrap(),
            ],
            paused,
            exporters: vec![e; exporters],
            flows_per_minute: 1_234_567,
            refused_datagrams: 0,
            last_summary: Some(Local::now()),
            latest: vec![],
            active_incidents: vec![],
            settings: s,
            names: Default::default(),
        };
        Snapshot::of(&st, "Windows service", SystemTime::now())
    }

    #[test]
    fn tooltip_is_short_in_every_state() {
        let long = "x".repeat(300);
        let busy = status(40, true);
        let mut alerting = status(40, true);
        alerting.alert = Some(long.clone());
        let cases = [
            tooltip(None, Some(&long), false),
            tooltip(None, None, false),
            tooltip(Some(&status(0, false)), None, false),
            tooltip(Some(&busy), None, false),
            tooltip(Some(&alerting), None, true),
            tooltip(Some(&status(1, false)), None, true),
        ];
        for t in &cases {
            assert!(
                t.chars().count() <= TOOLTIP_MAX,
                "{} chars: {t}",
                t.chars().count()
            );
            assert!(t.starts_with("nf-svc"), "{t}");
        }
        assert_eq!(cases[1], "nf-svc: starting…");
        assert!(
            cases[2]
                .starts_with("nf-svc · UDP 2055 · no sensor yet · 1,234,567 flows/min · summary "),
            "{}",
            cases[2]
        );
        assert!(
            cases[3].contains(" · paused · 40 sensors · "),
            "{}",
            cases[3]
        );
        assert!(
            cases[4].contains(" · ALERT: xxx") && cases[4].ends_with('…'),
            "{}",
            cases[4]
        );
        assert!(
            cases[5].starts_with("nf-svc (Windows service) · UDP 2055 · 1 sensor · "),
            "{}",
            cases[5]
        );
        let mut refusing = status(1, false);
        refusing.refused_datagrams = 3000;
        let t = tooltip(Some(&refusing), None, false);
        assert!(t.contains(" · 3,000 refused"), "{t}");
    }

    #[test]
    fn exporter_lines_name_address_protocol_and_rate() {
        let mut s = crate::companion::wire::Sensor {
            addr: "192.168.88.1".parse().unwrap(),
            kind: Some("v9".into()),
            flows_per_minute: 1234,
            ports: None,
            name: None,
        };
        assert_eq!(s.line(), "192.168.88.1 · v9 · 1,234 flows/min");
        let ports = crate::decode::sflow::counters::InterfaceTotals {
            ports: 24,
            ports_up: 20,
            in_octets: 1_500_000_000,
            out_octets: 3_000,
            discards: 1_234,
            errors: 0,
        };
        s.kind = Some("sFlow".into());
        s.ports = Some(ports.words());
        s.name = Some("core switch".into());
        assert_eq!(
            s.line(),
            format!(
                "192.168.88.1 (core switch) · sFlow · 1,234 flows/min · 24 ports (20 up), {} in, {} out, 1,234 discarded, 0 errors",
                crate::words::units::bytes(1_500_000_000),
                crate::words::units::bytes(3_000)
            )
        );
    }
}
