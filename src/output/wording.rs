//! How incidents, summaries and exporter events are said in sentences — in the logs (one line
//! that documents what happened) and in toasts (a title and one sentence). The alert engine
//! and the exporter health produce data; this is the one place that words it. (The pages list
//! the same facts in table cells, with the same units and host names: [`crate::words`],
//! [`crate::names`].)

use crate::alerts::{Direction, Incident, Phase};
use crate::health::ExporterEvent;
use crate::summary::Summary;
use crate::words::protocols::service_name;
use crate::words::units;

/// A host as people read it: `192.168.0.82 (Printer)` with its name, else the address
/// ([`crate::names::shown`], the one way every part writes a host).
pub use crate::names::shown as host;

pub fn incident_host(i: &Incident) -> String {
    host(i.host, i.label.as_deref())
}

/// ` to 192.168.0.255 netbios-ns` (what a host sends) or ` from …` (what it receives).
fn peer_text(i: &Incident) -> String {
    match i.peer {
        Some(p) if p.addr.is_some() => {
            let svc = service_name(p.proto, p.port)
                .map(str::to_string)
                .unwrap_or_else(|| format!("port {}", p.port));
            let word = if i.direction == Direction::To {
                "from"
            } else {
                "to"
            };
            format!(" {word} {} {svc}", p.addr)
        }
        _ => String::new(),
    }
}

fn verb(i: &Incident) -> &'static str {
    match i.direction {
        Direction::From => "sends",
        Direction::To => "receives",
        Direction::Sensor => "reports",
    }
}

/// The line for the summary and service logs: the record that documents the incident.
pub fn incident_line(i: &Incident) -> String {
    let rule = i.rule.name();
    match i.phase {
        Phase::Started => format!(
            "ALERT{} [{rule}] {} {} {}{}{} since {}",
            if i.quiet {
                " (again, within cooldown)"
            } else {
                ""
            },
            incident_host(i),
            verb(i),
            i.rate,
            peer_text(i),
            match i.multiple() {
                Some(m) => format!(", {m:.0}× its usual rate"),
                None => format!(", limit {}", i.limit),
            },
            units::local_time(i.start)
        ),
        Phase::Ended { end } => format!(
            "ALERT ENDED [{rule}] {}: back to normal after {} ({} - {}), {} bytes in total, peak {}",
            incident_host(i),
            units::duration(i.duration().unwrap_or_default()),
            units::local_time(i.start),
            units::local_time(end),
            i.bytes,
            i.peak
        ),
    }
}

/// The toast: title and body.
pub fn incident_toast(i: &Incident) -> (String, String) {
    let name = incident_host(i);
    match i.phase {
        Phase::Started => {
            let why = match i.multiple() {
                Some(m) => format!("{m:.0}× its usual rate"),
                None => format!("above the {} limit", i.limit),
            };
            (
                format!("Traffic alert: {name}"),
                format!("{name} {} {}{} — {why}", verb(i), i.rate, peer_text(i)),
            )
        }
        Phase::Ended { .. } => (
            format!("Back to normal: {name}"),
            format!(
                "{name} is back to normal after {}: {} in total, peak {}",
                units::duration(i.duration().unwrap_or_default()),
                units::bytes(i.bytes),
                i.peak
            ),
        ),
    }
}

/// The service log's line for an exporter event, and whether it is a warning.
pub fn exporter_line(e: &ExporterEvent) -> (bool, String) {
    match e {
        ExporterEvent::Seen { addr, kind, port } => (
            false,
            format!(
                "exporter {addr} first seen ({}, from UDP port {port})",
                kind.map(|k| k.as_str()).unwrap_or("unknown format")
            ),
        ),
        ExporterEvent::Silent {
            addr,
            label,
            last_seen,
        } => (
            true,
            format!(
                "SENSOR SILENT {}: nothing received since {}",
                host(*addr, label.as_deref()),
                units::local_time(*last_seen)
            ),
        ),
        ExporterEvent::Back { addr, label } => (
            false,
            format!("SENSOR BACK {}: sends again", host(*addr, label.as_deref())),
        ),
    }
}

/// The toast for an exporter event worth one (silence and return).
pub fn exporter_toast(e: &ExporterEvent) -> Option<(String, String)> {
    match e {
        ExporterEvent::Seen { .. } => None,
        ExporterEvent::Silent {
            addr,
            label,
            last_seen,
        } => {
            let name = host(*addr, label.as_deref());
            Some((
                format!("Sensor silent: {name}"),
                format!(
                    "Nothing received from {name} since {}",
                    units::local_time(*last_seen)
                ),
            ))
        }
        ExporterEvent::Back { addr, label } => {
            let name = host(*addr, label.as_deref());
            Some((
                format!("Sensor back: {name}"),
                format!("{name} sends NetFlow again"),
            ))
        }
    }
}

/// A destination as a person reads it: `mdns (224.0.0.251)` or `10.0.0.1:8443`.
fn service_of(proto: u8, port: u16, host: &str) -> String {
    match service_name(proto, port) {
        Some(name) => format!("{name} ({host})"),
        None => format!("{host}:{port}"),
    }
}

/// The summary toast: title and body.
/// `Last 20 min: 12.4 MB from 1 sensor` / `top: 192.168.0.82 → mdns (224.0.0.251) 3.6 MB`.
pub fn summary_toast(r: &Summary) -> (String, String) {
    let sensors = r.exporters.len();
    let title = format!(
        "Last {}: {} from {} sensor{}",
        units::interval_short(r.interval),
        units::bytes(r.total_bytes()),
        sensors,
        if sensors == 1 { "" } else { "s" }
    );
    let top = r
        .exporters
        .iter()
        .flat_map(|e| e.rows.first())
        .max_by_key(|row| row.bytes);
    let body = match top {
        Some(t) if t.reply => format!(
            "top: {} → {} {}",
            service_of(t.proto, t.port, &t.src.to_string()),
            t.dst,
            units::bytes(t.bytes)
        ),
        Some(t) => format!(
            "top: {} → {} {}",
            t.src,
            service_of(t.proto, t.port, &t.dst.to_string()),
            units::bytes(t.bytes)
        ),
        None => "no traffic in this period".into(),
    };
    (title, body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::IpAddr;
    #[test]
    fn summary_toast_names_the_top_talker_and_service() {
        let row = Row {
            etype: 0x800,
            proto: 17,
            src: Addr::V4([192, 168, 0, 82]),
            dst: Addr::V4([224, 0, 0, 251]),
            port: 5353,
            reply: false,
            bytes: 3_600_000,
            packets: 10,
        };
        let r = Summary {
            interval: Duration::from_secs(1200),
            start: Local::now(),
            end: Local::now(),
            partial: false,
            top_count: 100,
            exporters: vec![ExporterRows {
                exporter: ExporterKey {
                    kind: FlowKind::NetflowV9,
                    addr: Addr::V4([192, 168, 255, 10]),
                },
                total_rows: 2,
                total_bytes: 12_400_000,
                total_packets: 20,
                rows: vec![row],
                other: None,
            }],
        };
        let (title, body) = summary_toast(&r);
        assert_eq!(title, "Last 20 min: 12 MB from 1 sensor");
        assert_eq!(body, "top: 192.168.0.82 → mdns (224.0.0.251) 3.6 MB");
    }

    use crate::alerts::{Peer, Rule};
    use crate::flow::{Addr, FlowKind};
    use crate::settings::alerts::Rate;
    use crate::summary::{ExporterKey, ExporterRows, Row};
    use chrono::Local;
    use std::time::{Duration, SystemTime};

    fn t(secs: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000 + secs)
    }

    fn printer(phase: Phase) -> Incident {
        Incident {
            phase,
            rule: Rule::SourceLimit,
            direction: Direction::From,
            sensor: "192.168.255.10".parse().unwrap(),
            host: "192.168.0.82".parse().unwrap(),
            label: None,
            start: t(0),
            rate: Rate::Bits(4e6 / 3.0),
            peak: Rate::Bits(4e6 / 3.0),
            limit: Rate::Bits(1e6),
            usual: None,
            peer: Some(Peer {
                addr: Addr::V4([192, 168, 0, 255]),
                proto: 17,
                port: 137,
                bytes: 5_000_000,
            }),
            bytes: 10_000_000,
            quiet: false,
        }
    }

    #[test]
    fn a_started_limit_incident() {
        let i = printer(Phase::Started);
        let (title, body) = incident_toast(&i);
        assert_eq!(title, "Traffic alert: 192.168.0.82");
        assert_eq!(
            body,
            "192.168.0.82 sends 1.3 Mbit/s to 192.168.0.255 netbios-ns — above the 1.0 Mbit/s limit"
        );
        assert_eq!(
            incident_line(&i),
            format!(
                "ALERT [SourceRate] 192.168.0.82 sends 1.3 Mbit/s to 192.168.0.255 netbios-ns, limit 1.0 Mbit/s since {}",
                units::local_time(t(0))
            )
        );
        let quiet = Incident { quiet: true, ..i };
        assert!(incident_line(&quiet).starts_with("ALERT (again, within cooldown) [SourceRate]"));
    }

    #[test]
    fn an_ended_incident_with_duration_bytes_and_peak() {
        let i = printer(Phase::Ended { end: t(60) });
        let (title, body) = incident_toast(&i);
        assert_eq!(title, "Back to normal: 192.168.0.82");
        assert_eq!(
            body,
            "192.168.0.82 is back to normal after 1 min 0 s: 10 MB in total, peak 1.3 Mbit/s"
        );
        assert_eq!(
            incident_line(&i),
            format!(
                "ALERT ENDED [SourceRate] 192.168.0.82: back to normal after 1 min 0 s ({} - {}), 10000000 bytes in total, peak 1.3 Mbit/s",
                units::local_time(t(0)),
                units::local_time(t(60))
            )
        );
    }

    #[test]
    fn spikes_receivers_and_labels() {
        let spike = Incident {
            rule: Rule::Spike,
            label: Some("Printer".into()),
            rate: Rate::Bits(24e6),
            usual: Some(Rate::Bits(2e6)),
            ..printer(Phase::Started)
        };
        assert_eq!(
            incident_toast(&spike).1,
            "192.168.0.82 (Printer) sends 24 Mbit/s to 192.168.0.255 netbios-ns — 12× its usual rate"
        );
        assert!(incident_line(&spike).contains(", 12× its usual rate since "));
        let receiver = Incident {
            rule: Rule::DestinationLimit,
            direction: Direction::To,
            host: "224.0.0.251".parse().unwrap(),
            rate: Rate::Packets(166.7),
            limit: Rate::Packets(100.0),
            peer: Some(Peer {
                addr: Addr::V4([192, 168, 0, 83]),
                proto: 17,
                port: 5353,
                bytes: 1,
            }),
            ..printer(Phase::Started)
        };
        assert_eq!(
            incident_toast(&receiver).1,
            "224.0.0.251 receives 167 pps from 192.168.0.83 mdns — above the 100 pps limit"
        );
    }

    #[test]
    fn sensor_silence_and_return() {
        let addr: IpAddr = "192.168.255.10".parse().unwrap();
        let label = Some("MikroTik".to_string());
        let silent = ExporterEvent::Silent {
            addr,
            label: label.clone(),
            last_seen: t(0),
        };
        assert_eq!(
            exporter_toast(&silent).unwrap().0,
            "Sensor silent: 192.168.255.10 (MikroTik)"
        );
        assert_eq!(
            exporter_line(&silent),
            (
                true,
                format!(
                    "SENSOR SILENT 192.168.255.10 (MikroTik): nothing received since {}",
                    units::local_time(t(0))
                )
            )
        );
        let back = ExporterEvent::Back { addr, label };
        assert_eq!(
            exporter_line(&back).1,
            "SENSOR BACK 192.168.255.10 (MikroTik): sends again"
        );
        assert_eq!(
            exporter_toast(&back).unwrap(),
            (
                "Sensor back: 192.168.255.10 (MikroTik)".to_string(),
                "192.168.255.10 (MikroTik) sends NetFlow again".to_string()
            )
        );
        let seen = ExporterEvent::Seen {
            addr,
            kind: Some(FlowKind::NetflowV9),
            port: 2055,
        };
        assert_eq!(
            exporter_line(&seen).1,
            "exporter 192.168.255.10 first seen (NETFLOW_V9, from UDP port 2055)"
        );
        assert_eq!(exporter_toast(&seen), None);
    }
}
