//! One notification, as every channel sends it: a title, a sentence a person reads, and the
//! facts as the webhook's JSON fields (README: "Notifications"). Built from the same incidents
//! and sensor events as the toasts, worded by [`crate::output::wording`].

use crate::alerts::{Incident, Phase};
use crate::health::ExporterEvent;
use crate::names::Names;
use crate::output::wording;
use crate::settings::alerts::Rate;
use serde::{Deserialize, Serialize};
use std::net::IpAddr;
use std::path::PathBuf;
use std::time::SystemTime;

/// Messages a combined one lists; the rest it counts.
pub const COMBINED_LISTED: usize = 20;

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    IncidentStarted,
    IncidentEnded,
    SensorSilent,
    SensorBack,
    Digest,
    Test,
}

/// One notification; its JSON form is the webhook's body (`json` format).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Message {
    pub event: Kind,
    pub host: Option<IpAddr>,
    pub name: Option<String>,
    pub sensor: Option<IpAddr>,
    pub rule: Option<String>,
    pub rate_bps: Option<f64>,
    pub limit_bps: Option<f64>,
    pub usual_bps: Option<f64>,
    /// RFC 3339 with the local offset.
    pub started: Option<String>,
    pub ended: Option<String>,
    pub total_bytes: Option<u64>,
    /// The subject line: names the device.
    pub title: String,
    /// One sentence a person reads.
    pub text: String,
    /// The device report (or the report page, for a digest), attached to e-mails.
    pub report: Option<PathBuf>,
}

fn rfc3339(t: SystemTime) -> String {
    chrono::DateTime::<chrono::Local>::from(t).to_rfc3339_opts(chrono::SecondsFormat::Secs, false)
}

fn bps(r: Rate) -> Option<f64> {
    match r {
        Rate::Bits(b) => Some(b),
        Rate::Packets(_) => None,
    }
}

impl Message {
    fn new(event: Kind, title: String, text: String) -> Message {
        Message {
            event,
            host: None,
            name: None,
            sensor: None,
            rule: None,
            rate_bps: None,
            limit_bps: None,
            usual_bps: None,
            started: None,
            ended: None,
            total_bytes: None,
            title: format!("nf-svc: {title}"),
            text,
            report: None,
        }
    }

    /// An incident that started or ended; `report`: its device report.
    pub fn incident(i: &Incident, report: Option<PathBuf>) -> Message {
        let (title, text) = wording::incident_toast(i);
        let (event, title) = match i.phase {
            Phase::Started => (
                Kind::IncidentStarted,
                format!("{} over its limit — {}", wording::incident_host(i), i.rate),
            ),
            Phase::Ended { .. } => (Kind::IncidentEnded, title),
        };
        let mut m = Message::new(event, title, text);
        m.host = Some(i.host);
        m.name = i.label.clone();
        m.sensor = Some(i.sensor);
        m.rule = Some(i.rule.name().to_string());
        m.rate_bps = bps(i.rate);
        m.limit_bps = bps(i.limit);
        m.usual_bps = i.usual.and_then(bps);
        m.started = Some(rfc3339(i.start));
        if let Phase::Ended { end } = i.phase {
            m.ended = Some(rfc3339(end));
            m.total_bytes = Some(i.bytes);
            m.rate_bps = bps(i.peak);
        }
        m.report = report;
        m
    }

    /// A sensor gone silent or back (first sightings are not sent).
    pub fn sensor(e: &ExporterEvent) -> Option<Message> {
        let (title, text) = wording::exporter_toast(e)?;
        let (event, addr, label) = match e {
            ExporterEvent::Silent { addr, label, .. } => (Kind::SensorSilent, *addr, label),
            ExporterEvent::Back { addr, label } => (Kind::SensorBack, *addr, label),
            ExporterEvent::Seen { .. } => return None,
        };
        let mut m = Message::new(event, title, text);
        m.sensor = Some(addr);
        m.host = Some(addr);
        m.name = label.clone();
        Some(m)
    }

    /// The digest: its text, and the report page attached.
    pub fn digest(title: String, text: String, page: Option<PathBuf>) -> Message {
        let mut m = Message::new(Kind::Digest, title, text);
        m.report = page;
        m
    }

    /// "Send a test notification".
    pub fn test() -> Message {
        Message::new(
            Kind::Test,
            "test notification".into(),
            "This is a test notification from nf-svc: this channel works.".into(),
        )
    }

    /// Several messages that waited for one channel, as one: the first [`COMBINED_LISTED`]
    /// listed, the rest counted (a chat message or an e-mail stays readable in a flood).
    pub fn combined(all: &[Message]) -> Message {
        let mut text = format!("{} notifications:\n", all.len());
        for m in all.iter().take(COMBINED_LISTED) {
            text.push_str("• ");
            text.push_str(&m.text);
            text.push('\n');
        }
        if all.len() > COMBINED_LISTED {
            let more = all.len() - COMBINED_LISTED;
            text.push_str(&format!(
                "… and {more} more; the device reports have them all.\n"
            ));
        }
        Message::new(Kind::Digest, format!("{} notifications", all.len()), text)
    }

    /// The JSON body a `json` webhook is sent.
    pub fn json(&self) -> String {
        let mut v = serde_json::to_value(self).unwrap_or_default();
        if let Some(o) = v.as_object_mut() {
            o.insert(
                "report".into(),
                self.report.as_ref().map(|p| p.display().to_string()).into(),
            );
            o.remove("title");
        }
        v.to_string()
    }

    /// With the device's name put in where it was not known yet.
    pub fn named(mut self, names: &Names) -> Message {
        if self.name.is_none()
            && let Some(h) = self.host
        {
            self.name = names.name(h).map(str::to_string);
        }
        self
    }
}
