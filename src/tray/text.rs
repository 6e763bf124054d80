//! Words only the tray says: the tooltip, Exporters-menu lines and the summary toast. Units
//! and names come from [`crate::words`], incident and sensor wording from
//! [`crate::output::wording`]; the tooltip stays under Windows' 127-character limit.

use crate::core::Status;
use crate::health::ExporterHealth;
use crate::summary::SummaryReport;
use crate::words::names::service_name;
use crate::words::units::{bytes as human_bytes, interval_short, thousands};
use std::time::SystemTime;

/// Windows truncates tray tooltips at 127 UTF-16 units (128 with the NUL).
pub const TOOLTIP_MAX: usize = 127;

fn cut(mut s: String, max: usize) -> String {
    if s.chars().count() > max {
        s = s.chars().take(max - 1).collect::<String>() + "…";
    }
    s
}

/// The tooltip: what nf-svc is doing right now, or the current error.
pub fn tooltip(status: Option<&Status>, error: Option<&str>, alert: Option<&str>) -> String {
    if let Some(e) = error {
        return cut(format!("nf-svc: {e}"), TOOLTIP_MAX);
    }
    let Some(st) = status else {
        return "nf-svc: starting…".into();
    };
    let mut ports: Vec<u16> = st.listening.iter().map(|a| a.port()).collect();
    ports.dedup();
    let ports: Vec<String> = ports.iter().map(|p| p.to_string()).collect();
    let mut s = format!("nf-svc · UDP {}", ports.join(", "));
    if st.paused {
        s.push_str(" · paused");
    }
    let n = st.exporters.len();
    s.push_str(&match n {
        0 => " · no sensor yet".to_string(),
        1 => " · 1 sensor".to_string(),
        n => format!(" · {n} sensors"),
    });
    s.push_str(&format!(" · {} flows/min", thousands(st.flows_per_minute)));
    if let Some(t) = st.last_summary {
        s.push_str(&format!(" · summary {}", t.format("%H:%M")));
    }
    if let Some(a) = alert {
        s = format!("{s} · ALERT: {a}");
    }
    cut(s, TOOLTIP_MAX)
}

/// One Exporters-menu line: `192.168.88.1 · v9 · 1,234 flows/min`.
pub fn exporter_line(e: &ExporterHealth, now: SystemTime) -> String {
    format!(
        "{} · {} · {} flows/min",
        e.addr,
        e.kind.map(|k| k.short()).unwrap_or("?"),
        thousands(e.flows_per_minute(now))
    )
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
pub fn summary_toast(r: &SummaryReport) -> (String, String) {
    let sensors = r.exporters.len();
    let title = format!(
        "Last {}: {} from {} sensor{}",
        interval_short(r.interval),
        human_bytes(r.total_bytes()),
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
            human_bytes(t.bytes)
        ),
        Some(t) => format!(
            "top: {} → {} {}",
            t.src,
            service_of(t.proto, t.port, &t.dst.to_string()),
            human_bytes(t.bytes)
        ),
        None => "no traffic in this period".into(),
    };
    (title, body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flow::{Addr, FlowKind};
    use crate::summary::{Row, SamplerKey, SamplerRows};
    use chrono::Local;
    use std::time::Duration;

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
        let r = SummaryReport {
            interval: Duration::from_secs(1200),
            start: Local::now(),
            end: Local::now(),
            partial: false,
            top_count: 100,
            exporters: vec![SamplerRows {
                sampler: SamplerKey {
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

    fn status(exporters: usize, paused: bool) -> Status {
        let s = crate::settings::Settings::defaults(std::path::Path::new("/tmp/nf-svc.ini"));
        let e = ExporterHealth::new(
            "192.168.255.10".parse().unwrap(),
            std::time::SystemTime::now(),
        );
        Status {
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
        }
    }

    #[test]
    fn tooltip_is_short_in_every_state() {
        let long = "x".repeat(300);
        let busy = status(40, true);
        let cases = [
            tooltip(None, Some(&long), None),
            tooltip(None, None, None),
            tooltip(Some(&status(0, false)), None, None),
            tooltip(Some(&busy), None, None),
            tooltip(Some(&busy), None, Some(&long)),
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
    }
}
