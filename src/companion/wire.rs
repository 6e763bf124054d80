//! What travels over the status endpoint: one JSON object a line, each way.
//!
//! A client sends one [`Request`] line; the collector answers with [`Message`] lines — one
//! [`Snapshot`] for `status`, a snapshot and then notices and fresh snapshots for `watch`, a
//! [`Message::Done`] for `pause`, `resume` and `report`. Everything a companion tray shows is
//! worded here or in [`crate::output::wording`] from the collector's own events and settings,
//! so its tooltip and toasts read exactly as those of a tray that collects itself.

use crate::core::{Event, Status};
use crate::output::wording;
use crate::report::Page;
use crate::settings::Settings;
use serde::{Deserialize, Serialize};
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::SystemTime;

/// A request line from a client.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Request {
    /// One snapshot, then the connection ends.
    Status,
    /// A snapshot, then notices and snapshots as they happen until either side leaves.
    Watch,
    Pause,
    Resume,
    /// Make a page fresh; the answer is its path.
    Report(Page),
}

/// A line from the collector.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Message {
    Snapshot(Box<Snapshot>),
    Notice(Notice),
    /// The answer to pause, resume and report: `Ok(path or "")` or what went wrong.
    Done(Result<String, String>),
}

/// A collector's state as its tray shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    pub version: String,
    /// How it runs: `headless`, `Windows service`, `tray`.
    pub mode: String,
    pub pid: u32,
    /// Its settings file and log folder.
    pub ini: PathBuf,
    pub logs: PathBuf,
    pub listening: Vec<SocketAddr>,
    /// The first configured port (what to point a sensor at before anything listens).
    pub port: u16,
    pub paused: bool,
    pub sensors: Vec<Sensor>,
    pub flows_per_minute: u64,
    /// When the latest summary was written (Unix seconds).
    pub last_summary: Option<i64>,
    /// The oldest traffic incident going on, worded: `192.168.0.82 (Printer)`.
    pub alert: Option<String>,
    /// The latest incidents for the Reports menu (filled by the endpoint only).
    pub reports: Vec<Listed>,
    /// Datagrams refused since start: their senders are not in `AllowedExporters`.
    #[serde(default)]
    pub refused_datagrams: u64,
}

/// One exporter the collector hears from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sensor {
    pub addr: IpAddr,
    /// `v5`, `v9`, `IPFIX` (its latest datagram).
    pub kind: Option<String>,
    pub flows_per_minute: u64,
    /// An sFlow switch's ports, from its counter samples.
    #[serde(default)]
    pub ports: Option<String>,
    /// What it is called.
    #[serde(default)]
    pub name: Option<String>,
}

impl Sensor {
    /// `192.168.88.1 · v9 · 1,234 flows/min` (the Exporters menu, `nf-svc status`), and an
    /// sFlow switch's ports.
    pub fn line(&self) -> String {
        let mut line = format!(
            "{} · {} · {} flows/min",
            crate::names::shown(self.addr, self.name.as_deref()),
            self.kind.as_deref().unwrap_or("?"),
            crate::words::units::thousands(self.flows_per_minute)
        );
        if let Some(p) = &self.ports {
            line.push_str(" · ");
            line.push_str(p);
        }
        line
    }
}

/// An incident in the Reports menu.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Listed {
    pub host: IpAddr,
    pub start: i64,
    pub text: String,
}

/// Something to tell the user about as it happens.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Notice {
    /// A toast, and the page a click on it opens.
    Toast {
        title: String,
        body: String,
        click: Option<Page>,
    },
    /// A problem: the error icon, the tooltip and a toast.
    Problem(String),
}

impl Snapshot {
    /// The snapshot of `st` for a collector running as `mode`.
    pub fn of(st: &Status, mode: &str, now: SystemTime) -> Snapshot {
        Snapshot {
            version: env!("CARGO_PKG_VERSION").to_string(),
            mode: mode.to_string(),
            pid: std::process::id(),
            ini: st.settings.ini_path.clone(),
            logs: st.settings.logs.dir.clone(),
            listening: st.listening.clone(),
            port: st.settings.receive.ports.first().copied().unwrap_or(2055),
            paused: st.paused,
            sensors: st
                .exporters
                .iter()
                .map(|e| Sensor {
                    addr: e.addr,
                    kind: e.kind.map(|k| k.short().to_string()),
                    flows_per_minute: e.flows_per_minute(now),
                    ports: e.interfaces.map(|i| i.words()),
                    name: st.names.name(e.addr).map(str::to_string),
                })
                .collect(),
            flows_per_minute: st.flows_per_minute,
            last_summary: st.last_summary.map(|t| t.timestamp()),
            alert: st
                .active_incidents
                .first()
                .map(|i| wording::host(i.host, i.label.as_deref())),
            reports: Vec::new(),
            refused_datagrams: st.refused_datagrams,
        }
    }
}

/// What the user is told about `e`, given the collector's settings (`None`: nothing).
/// Summaries are toasted for the intervals in `[Tray] SummaryToasts`, and only when complete
/// and not empty; incidents opened within a cooldown are logged, not toasted.
pub fn notice(e: &Event, s: &Settings) -> Option<Notice> {
    match e {
        Event::SummaryReady(r) => {
            let wanted = s.tray.summary_toasts.contains(&r.interval);
            (wanted && !r.partial && r.total_bytes() > 0).then(|| {
                let (title, body) = wording::summary_toast(r);
                Notice::Toast {
                    title,
                    body,
                    click: Some(Page::Overview),
                }
            })
        }
        Event::Exporter(x) => wording::exporter_toast(x).map(|(title, body)| Notice::Toast {
            title,
            body,
            click: None,
        }),
        Event::Incident(i) => (!i.quiet).then(|| {
            let (title, body) = wording::incident_toast(i);
            Notice::Toast {
                title,
                body,
                click: Some(Page::Incident {
                    host: i.host,
                    start: crate::history::unix(i.start),
                }),
            }
        }),
        Event::Problem(m) => Some(Notice::Problem(m.clone())),
    }
}

/// One line: the JSON of `v` and a line end.
pub fn line<T: Serialize>(v: &T) -> Vec<u8> {
    let mut out = serde_json::to_vec(v).unwrap_or_default();
    out.push(b'\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_message_survives_a_line() {
        let s = Settings::defaults(std::path::Path::new("/tmp/nf-svc.ini"));
        let st = Status {
            listening: vec!["127.0.0.1:2055".parse().unwrap()],
            paused: true,
            exporters: vec![crate::health::ExporterHealth::new(
                "192.168.88.1".parse().unwrap(),
                SystemTime::now(),
            )],
            flows_per_minute: 42,
            refused_datagrams: 0,
            last_summary: None,
            latest: vec![],
            active_incidents: vec![],
            settings: s,
            names: Default::default(),
        };
        let snap = Snapshot::of(&st, "Windows service", SystemTime::now());
        assert_eq!(snap.port, 2055);
        assert_eq!(snap.sensors[0].addr.to_string(), "192.168.88.1");
        for m in [
            Message::Snapshot(Box::new(snap)),
            Message::Notice(Notice::Toast {
                title: "Traffic alert: 10.0.0.9".into(),
                body: "sends \"8 Mbit/s\"\nto…".into(),
                click: Some(Page::Incident {
                    host: "10.0.0.9".parse().unwrap(),
                    start: 1_700_000_000,
                }),
            }),
            Message::Notice(Notice::Problem("disk full".into())),
            Message::Done(Ok("/tmp/report.html".into())),
            Message::Done(Err("no history".into())),
        ] {
            let l = line(&m);
            assert_eq!(l.iter().filter(|&&b| b == b'\n').count(), 1, "one line");
            let back: Message = serde_json::from_slice(&l).unwrap();
            assert_eq!(back, m);
        }
        for r in [
            Request::Status,
            Request::Watch,
            Request::Pause,
            Request::Report(Page::Overview),
        ] {
            let back: Request = serde_json::from_slice(&line(&r)).unwrap();
            assert_eq!(back, r);
        }
        assert_eq!(line(&Request::Pause), b"\"pause\"\n");
    }
}
