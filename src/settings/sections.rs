//! Step three: each section's values parsed and checked, with every problem collected.
//!
//! A [`Reader`] hands out one key's value (from the file, else the built-in default) through a
//! parser; a value that does not parse becomes an error naming file, line, key, value and
//! what is accepted, and the section reads on, so one pass reports every problem.

use super::alerts::{self, AlertSettings};
use super::keys::{KeyName, default_of};
use super::resolve::Resolved;
use super::scan::{Entry, shown};
use super::values;
use super::{
    ForwardSettings, LogSettings, NameSettings, NotifySettings, Place, ReceiveSettings,
    SettingsError, SmtpSecurity, SummarySettings, TraySettings, WebhookFormat,
};
use crate::words::units::interval_short;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

pub(super) struct Reader<'a> {
    path: &'a Path,
    found: &'a HashMap<KeyName, &'a Entry>,
    pub errors: Vec<SettingsError>,
}

impl<'a> Reader<'a> {
    pub fn new(path: &'a Path, resolved: &'a Resolved<'a>) -> Self {
        Reader {
            path,
            found: &resolved.found,
            errors: Vec::new(),
        }
    }

    fn place(&self, line: usize) -> Place {
        Place {
            file: self.path.to_path_buf(),
            line: (line > 0).then_some(line),
        }
    }

    /// The text of a key and its line (0 for a default).
    fn raw(&self, section: &'static str, key: &'static str) -> (String, usize) {
        match self.found.get(&(section, key)) {
            Some(e) => (e.value.clone(), e.line),
            None => match default_of(section, key) {
                Some(d) => (d.to_string(), 0),
                None => unreachable!("[{section}] {key} has a row in the key table"),
            },
        }
    }

    /// One key's value through `parse`, or `None` with an error recorded.
    pub fn value<T>(
        &mut self,
        section: &'static str,
        key: &'static str,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> Option<T> {
        let (raw, line) = self.raw(section, key);
        match parse(raw.as_str()) {
            Ok(v) => Some(v),
            Err(expected) => {
                let shown_raw = if super::protect::is_secret(section, key) {
                    "(hidden)"
                } else {
                    raw.as_str()
                };
                self.invalid(
                    line,
                    &format!("[{section}] {key}"),
                    shown_raw,
                    &format!("expected {expected}"),
                );
                None
            }
        }
    }

    fn invalid(&mut self, line: usize, key: &str, raw: &str, why: &str) {
        self.errors.push(SettingsError {
            place: self.place(line),
            message: format!("{key} = \"{}\" is not valid: {why}", shown(raw)),
        });
    }
}

/// `[Settings]`: where to listen and whom to accept.
pub(super) fn receive(r: &mut Reader) -> Option<ReceiveSettings> {
    let ports = r.value("Settings", "Port", values::parse_ports);
    let sflow_port = r.value("Settings", "SFlowPort", |v| {
        values::parse_u64_range(v, 0, 65535, "port (0 = off)")
    });
    let listen = r.value("Settings", "Listen", values::parse_addrs);
    let mb = r.value("Settings", "ReceiveBufferMB", |v| {
        values::parse_u64_range(v, 1, 1024, "MB")
    });
    let allowed = r.value("Settings", "AllowedExporters", values::parse_networks);
    Some(ReceiveSettings {
        ports: ports?,
        sflow_port: sflow_port? as u16,
        listen: listen?,
        buffer_bytes: mb? as usize * 1024 * 1024,
        allowed_exporters: allowed?,
    })
}

/// `[Summary]`: intervals, rows, tracked clients.
pub(super) fn summary(r: &mut Reader) -> Option<SummarySettings> {
    let intervals = r.value("Summary", "Intervals", values::parse_intervals);
    let top = r.value("Summary", "TopCount", |v| {
        values::parse_u64_range(v, 1, 100_000, "rows")
    });
    let tracking = r.value("Summary", "TrackingClients", values::parse_hosts);
    Some(SummarySettings {
        intervals: intervals?,
        top_count: top? as usize,
        tracking_clients: tracking?,
    })
}

/// `[Logs]`: the folder (as written; made absolute later), rotation, which logs.
pub(super) fn logs(r: &mut Reader) -> Option<LogSettings> {
    let dir = r.value("Logs", "Dir", |v: &str| {
        let v = v.trim().trim_matches('"');
        if v.is_empty() {
            Err("a folder path".to_string())
        } else {
            Ok(PathBuf::from(v))
        }
    });
    let keep = r.value("Logs", "KeepDays", |v| {
        values::parse_u64_range(v, 1, 36500, "days")
    });
    let size = r.value("Logs", "MaxFileSizeMB", |v| {
        values::parse_u64_range(v, 1, 100_000, "MB")
    });
    let total = r.value("Logs", "MaxTotalMB", |v| {
        values::parse_u64_range(v, 1, 100_000_000, "MB")
    });
    let summary_log = r.value("Logs", "EnableSummaryLog", values::parse_switch);
    let netflow_log = r.value("Logs", "EnableNetFlowLog", values::parse_switch);
    Some(LogSettings {
        dir: dir?,
        keep_days: keep? as u32,
        max_file_size_mb: size?,
        max_total_mb: total?,
        summary_log: summary_log?,
        netflow_log: netflow_log?,
    })
}

/// `[Tray]`: `SummaryToasts`, which intervals' summaries are toasted; each must be one of
/// `intervals` (when those are valid). The default is the shortest interval.
pub(super) fn tray(r: &mut Reader, intervals: Option<&[Duration]>) -> Option<TraySettings> {
    summary_toasts(r, intervals).map(|summary_toasts| TraySettings { summary_toasts })
}

fn summary_toasts(r: &mut Reader, intervals: Option<&[Duration]>) -> Option<Vec<Duration>> {
    let toasts = r.value("Tray", "SummaryToasts", |v: &str| {
        match v.trim().to_ascii_lowercase().as_str() {
            "" | "shortest" => Ok(None),
            "none" | "off" | "0" => Ok(Some(Vec::new())),
            _ => values::parse_intervals(v).map(Some),
        }
    })?;
    let intervals = intervals?;
    match toasts {
        None => Some(intervals.first().copied().into_iter().collect()),
        Some(t) => {
            if let Some(bad) = t.iter().find(|d| !intervals.contains(d)) {
                let (raw, line) = r.raw("Tray", "SummaryToasts");
                let why = format!(
                    "{} is not one of [Summary] Intervals; expected some of them, or none",
                    interval_short(*bad)
                );
                r.invalid(line, "[Tray] SummaryToasts", &raw, &why);
                return None;
            }
            Some(t)
        }
    }
}

/// `[Alerts]`: limits, named hosts, spikes, silence, cooldown.
pub(super) fn alerts(r: &mut Reader, host_rules: &[&Entry]) -> Option<AlertSettings> {
    let optional_rate = |v: &str| {
        if v.trim().is_empty() {
            Ok(None)
        } else {
            alerts::parse_rate(v).map(Some)
        }
    };
    let source = r.value("Alerts", "SourceRate", optional_rate);
    let destination = r.value("Alerts", "DestinationRate", optional_rate);
    let sensor = r.value("Alerts", "SensorRate", optional_rate);
    let window = r.value("Alerts", "Window", |v: &str| {
        values::parse_interval(v).and_then(|d| {
            if d <= Duration::from_secs(3600) {
                Ok(d)
            } else {
                Err("at most 1h".to_string())
            }
        })
    });
    let spike_factor = r.value("Alerts", "SpikeFactor", alerts::parse_factor);
    let spike_floor = r.value("Alerts", "SpikeFloor", alerts::parse_rate);
    let baseline = r.value("Alerts", "Baseline", values::parse_interval);
    let silent_after = r.value("Alerts", "SilentAfter", alerts::parse_duration_or_off);
    let cooldown = r.value("Alerts", "Cooldown", alerts::parse_duration_or_off);
    let mut hosts = Vec::new();
    let mut hosts_ok = true;
    for e in host_rules {
        match alerts::parse_host_rule(&e.key, &e.value) {
            Ok(h) => hosts.push(h),
            Err(expected) => {
                hosts_ok = false;
                r.invalid(
                    e.line,
                    &format!("[Alerts] {}", e.key),
                    &e.value,
                    &format!("expected {expected}"),
                );
            }
        }
    }
    Some(AlertSettings {
        window: window?,
        source: source?,
        destination: destination?,
        sensor: sensor?,
        hosts: hosts_ok.then_some(hosts)?,
        spike_factor: spike_factor?,
        spike_floor: spike_floor?,
        baseline: baseline?,
        silent_after: silent_after?,
        cooldown: cooldown?,
    })
}

/// `[History]`: on or off, and how long and how large (the file's place is the log folder's).
pub(super) fn history(r: &mut Reader) -> Option<(bool, u32, u64)> {
    let enabled = r.value("History", "Enabled", values::parse_switch);
    let keep_days = r.value("History", "KeepDays", |v| {
        values::parse_u64_range(v, 1, 36500, "days")
    });
    let max_size_mb = r.value("History", "MaxSizeMB", |v| {
        values::parse_u64_range(v, 10, 1_000_000, "MB")
    });
    Some((enabled?, keep_days? as u32, max_size_mb?))
}

/// `[Forward]`: where every accepted datagram also goes, and from which source address.
pub(super) fn forward(r: &mut Reader) -> Option<ForwardSettings> {
    let to = r.value("Forward", "To", values::parse_targets);
    let keep_source = r.value("Forward", "KeepSource", values::parse_switch);
    Some(ForwardSettings {
        to: to?,
        keep_source: keep_source?,
    })
}

/// `[Names]`: reverse DNS, NetBIOS, the router's leases.
pub(super) fn names(r: &mut Reader) -> Option<NameSettings> {
    let reverse_dns = r.value("Names", "ReverseDNS", values::parse_switch);
    let dns_server = r.value("Names", "DNSServer", values::parse_dns_server);
    let netbios = r.value("Names", "NetBIOS", values::parse_switch);
    let routeros = r.value("Names", "RouterOS", values::parse_router_url);
    let text = |v: &str| Ok::<_, String>(v.trim().to_string());
    let user = r.value("Names", "RouterOSUser", text);
    let password = r.value("Names", "RouterOSPassword", super::protect::parse_secret);
    let certificate = r.value("Names", "RouterOSCertificate", values::parse_fingerprint);
    Some(NameSettings {
        reverse_dns: reverse_dns?,
        dns_server: dns_server?,
        netbios: netbios?,
        routeros: routeros?,
        routeros_user: user?,
        routeros_password: password?,
        routeros_certificate: certificate?,
    })
}

/// `[Notify]`: e-mail, webhooks, Telegram; which events, and the digest.
pub(super) fn notify(r: &mut Reader) -> Option<NotifySettings> {
    let text = |v: &str| Ok::<_, String>(v.trim().to_string());
    let secret = super::protect::parse_secret;
    let optional = |v: &str| Ok::<_, String>(Some(v.trim().to_string()).filter(|s| !s.is_empty()));
    let server = r.value("Notify", "SMTPServer", |v: &str| {
        let v = v.trim();
        match v.rsplit_once(':') {
            _ if v.is_empty() => Ok(None),
            Some((h, p)) if !h.is_empty() && p.parse::<u16>().is_ok_and(|p| p > 0) => {
                Ok(Some(v.to_string()))
            }
            _ => {
                Err("the mail server as host:port (smtp.example.org:587, 127.0.0.1:25)".to_string())
            }
        }
    });
    let security = r.value("Notify", "SMTPSecurity", |v: &str| {
        match v.trim().to_ascii_lowercase().as_str() {
            "starttls" => Ok(SmtpSecurity::StartTls),
            "tls" => Ok(SmtpSecurity::Tls),
            "none" => Ok(SmtpSecurity::None),
            _ => Err("starttls, tls or none".to_string()),
        }
    });
    let user = r.value("Notify", "SMTPUser", text);
    let password = r.value("Notify", "SMTPPassword", secret);
    let certificate = r.value("Notify", "SMTPCertificate", |v: &str| {
        optional(v).map(|o| o.map(PathBuf::from))
    });
    let from = r.value("Notify", "MailFrom", values::parse_mail);
    let to = r.value("Notify", "MailTo", values::parse_mail_list);
    let webhooks = r.value("Notify", "Webhook", values::parse_urls);
    let format = r.value("Notify", "WebhookFormat", |v: &str| {
        match v.trim().to_ascii_lowercase().as_str() {
            "json" => Ok(WebhookFormat::Json),
            "ntfy" => Ok(WebhookFormat::Ntfy),
            "slack" => Ok(WebhookFormat::Slack),
            _ => Err("json, ntfy or slack".to_string()),
        }
    });
    let token = r.value("Notify", "TelegramToken", secret);
    let chat = r.value("Notify", "TelegramChat", text);
    let api = r.value("Notify", "TelegramAPI", |v: &str| {
        values::parse_urls(v)
            .and_then(|u| u.into_iter().next().ok_or_else(|| "an address".to_string()))
    });
    let events = r.value("Notify", "Events", |v: &str| {
        let mut e = (false, false);
        for item in values::list(v) {
            match item.to_ascii_lowercase().as_str() {
                "incidents" => e.0 = true,
                "sensors" => e.1 = true,
                "digest" | "none" => {}
                _ => return Err("some of incidents, sensors, digest".to_string()),
            }
        }
        Ok(e)
    });
    let digest = r.value("Notify", "Digest", values::parse_digest);
    let (incidents, sensors) = events?;
    let settings = NotifySettings {
        smtp_server: server?,
        smtp_security: security?,
        smtp_user: user?,
        smtp_password: password?,
        smtp_certificate: certificate?,
        mail_from: from?,
        mail_to: to?,
        webhooks: webhooks?,
        webhook_format: format?,
        telegram_token: token?,
        telegram_chat: chat?,
        telegram_api: api?,
        incidents,
        sensors,
        digest: digest?,
    };
    if settings.smtp_server.is_some()
        && (settings.mail_from.is_empty() || settings.mail_to.is_empty())
    {
        let (raw, line) = r.raw("Notify", "SMTPServer");
        r.invalid(
            line,
            "[Notify] SMTPServer",
            &raw,
            "MailFrom and MailTo are needed with it",
        );
        return None;
    }
    Some(settings)
}
