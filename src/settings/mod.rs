//! Settings: the ini file, where it lives, and what each key means.
//!
//! The keys and defaults are the old Go service's, so its `nf-svc.ini` works unchanged
//! (including the older spellings `[Settings] SummaryIntervals`, `SummaryTopCount`,
//! `TrackingClients` and `[Logs] Path`). New keys have defaults that need no editing.
//!
//! A bad value is an error naming the file, line, key, the value and what is accepted; an
//! unknown key is a warning naming the closest known key. Every problem is reported at once,
//! so one edit fixes them all.
//!
//! Every key is a row of one table ([`keys`]), which also makes the built-in ini, the README's
//! settings table and the settings-in-effect lines ([`render`]). Reading goes in three steps,
//! one file each: [`scan`] (text → entries with line numbers), [`resolve`] (entries → known
//! keys, older spellings, warnings), [`sections`] (each section's values parsed and checked
//! into its struct); [`parse`] puts the result together.

pub mod alerts;
mod keys;
pub mod locate;
pub mod protect;
pub mod render;
mod resolve;
mod scan;
mod sections;
pub mod values;
pub mod watch;

pub use alerts::AlertSettings;
pub use locate::{IniLocation, ensure_ini, exe_stem, locate_ini};
pub use values::Network;

use std::fmt;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The text written to a new ini file at first run: `nf-svc.ini.example`, which a test holds
/// to what the key table makes ([`render::default_ini`]).
pub const DEFAULT_INI: &str = include_str!("../../nf-svc.ini.example");

/// Everything the collector needs to know, after validation: one struct per section of the
/// ini, so each part of nf-svc is handed the section it reads.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// The ini these settings came from (absolute).
    pub ini_path: PathBuf,
    /// `[Settings]`: where to listen and whom to accept.
    pub receive: ReceiveSettings,
    pub summary: SummarySettings,
    pub logs: LogSettings,
    pub tray: TraySettings,
    pub alerts: AlertSettings,
    pub history: HistorySettings,
    pub forward: ForwardSettings,
    pub names: NameSettings,
    pub notify: NotifySettings,
}

/// `[Settings]`: the ports and addresses to listen on, and whom to accept.
#[derive(Debug, Clone, PartialEq)]
pub struct ReceiveSettings {
    pub ports: Vec<u16>,
    /// sFlow's port; 0: off.
    pub sflow_port: u16,
    pub listen: Vec<IpAddr>,
    pub buffer_bytes: usize,
    /// Empty: accept every exporter.
    pub allowed_exporters: Vec<Network>,
}

impl ReceiveSettings {
    /// Whether an exporter may send to us.
    pub fn exporter_allowed(&self, ip: IpAddr) -> bool {
        exporter_allowed(&self.allowed_exporters, ip)
    }
}

/// `[Forward]`: collectors every accepted datagram is also sent to.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ForwardSettings {
    /// `host:port`, as written (names are looked up when forwarding starts).
    pub to: Vec<String>,
    /// Keep the sensor's address as the source (a raw socket, where the system allows it).
    pub keep_source: bool,
}

/// `[Notify]`: messages sent when nobody is at the desktop.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct NotifySettings {
    /// `host:port`; `None`: no e-mail.
    pub smtp_server: Option<String>,
    pub smtp_security: SmtpSecurity,
    pub smtp_user: String,
    pub smtp_password: Secret,
    /// A certificate (PEM file) trusted for the mail server besides the public authorities.
    pub smtp_certificate: Option<PathBuf>,
    pub mail_from: String,
    pub mail_to: Vec<String>,
    pub webhooks: Vec<String>,
    pub webhook_format: WebhookFormat,
    pub telegram_token: Secret,
    pub telegram_chat: String,
    pub telegram_api: String,
    /// Which events are sent as they happen.
    pub incidents: bool,
    pub sensors: bool,
    pub digest: Digest,
}

/// How the mail server is spoken to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SmtpSecurity {
    #[default]
    StartTls,
    Tls,
    None,
}

/// What a webhook is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum WebhookFormat {
    #[default]
    Json,
    Ntfy,
    Slack,
}

/// When the digest goes out (local time).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Digest {
    #[default]
    Off,
    /// Seconds after midnight.
    Daily(u32),
    /// Day of the week (0 = Monday) and seconds after midnight.
    Weekly(u32, u32),
}

/// `[Names]`: where device names come from besides the user's labels.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct NameSettings {
    pub reverse_dns: bool,
    /// `None`: the system's resolver.
    pub dns_server: Option<std::net::SocketAddr>,
    pub netbios: bool,
    /// The router's REST API (`https://192.168.88.1`); `None`: not asked.
    pub routeros: Option<String>,
    pub routeros_user: String,
    pub routeros_password: Secret,
    /// The router's certificate, pinned by its SHA-256 fingerprint.
    pub routeros_certificate: Option<[u8; 32]>,
}

/// A password: kept, handed to who needs it, never printed (not even by `{:?}`).
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: &str) -> Secret {
        Secret(s.to_string())
    }

    /// The password itself, for the one place that sends it.
    pub fn reveal(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0.is_empty() { "(none)" } else { "(set)" })
    }
}

/// `[Summary]`: the intervals, rows per block, tracked clients.
#[derive(Debug, Clone, PartialEq)]
pub struct SummarySettings {
    /// Sorted, shortest first.
    pub intervals: Vec<Duration>,
    pub top_count: usize,
    pub tracking_clients: Vec<IpAddr>,
}

/// `[Logs]`: the log folder, its bounds, and which logs are written.
#[derive(Debug, Clone, PartialEq)]
pub struct LogSettings {
    /// Absolute log folder.
    pub dir: PathBuf,
    pub keep_days: u32,
    pub max_file_size_mb: u64,
    /// The three logs and their rotated files together.
    pub max_total_mb: u64,
    pub summary_log: bool,
    pub netflow_log: bool,
}

/// `[Tray]`: what the notification area shows.
#[derive(Debug, Clone, PartialEq)]
pub struct TraySettings {
    /// Intervals whose summaries are toasted (default: the shortest).
    pub summary_toasts: Vec<Duration>,
}

/// `[History]`: the per-minute store, and where it is (in the log folder).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistorySettings {
    pub enabled: bool,
    pub keep_days: u32,
    pub max_size_mb: u64,
    /// `nf-svc-history.sqlite` in the log folder.
    pub path: PathBuf,
}

impl Settings {
    /// The defaults, for an ini at `ini_path`.
    pub fn defaults(ini_path: &Path) -> Settings {
        match parse(ini_path, "") {
            Ok((s, _)) => s,
            Err(e) => unreachable!("the defaults are valid: {e:?}"),
        }
    }

    /// One line per section with the values in effect, for the service log.
    pub fn describe(&self) -> Vec<String> {
        render::describe(self)
    }
}

/// The history store's file name (in the log folder).
pub const HISTORY_FILE: &str = "nf-svc-history.sqlite";

/// The allowlist rule: an empty list accepts every exporter.
pub fn exporter_allowed(allowed: &[Network], ip: IpAddr) -> bool {
    allowed.is_empty() || allowed.iter().any(|n| n.contains(ip))
}

/// Where in the ini a problem is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Place {
    pub file: PathBuf,
    /// 1-based; `None` for problems not tied to a line (unreadable file).
    pub line: Option<usize>,
}

impl fmt::Display for Place {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(l) => write!(f, "{}, line {}", self.file.display(), l),
            None => write!(f, "{}", self.file.display()),
        }
    }
}

/// A settings problem that stops nf-svc from using the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettingsError {
    pub place: Place,
    pub message: String,
}

impl fmt::Display for SettingsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.place, self.message)
    }
}

impl std::error::Error for SettingsError {}

/// A settings problem that nf-svc works around (an unknown key).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettingsWarning {
    pub place: Place,
    pub message: String,
}

impl fmt::Display for SettingsWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.place, self.message)
    }
}

/// Read and validate the ini at `path`.
pub fn load(path: &Path) -> Result<(Settings, Vec<SettingsWarning>), Vec<SettingsError>> {
    let bytes = std::fs::read(path).map_err(|e| {
        vec![SettingsError {
            place: Place {
                file: path.to_path_buf(),
                line: None,
            },
            message: format!("cannot read the settings file: {e}"),
        }]
    })?;
    parse_bytes(path, &bytes)
}

/// Validate the bytes of an ini file that came from `path`: UTF-8 (with or without a byte
/// order mark), or else the ANSI code page (Windows-1252 off Windows), said in a warning.
pub fn parse_bytes(
    path: &Path,
    bytes: &[u8],
) -> Result<(Settings, Vec<SettingsWarning>), Vec<SettingsError>> {
    let (text, note) = scan::decode(bytes);
    let (settings, mut warnings) = parse(path, &text)?;
    if let Some((line, message)) = note {
        warnings.insert(
            0,
            SettingsWarning {
                place: Place {
                    file: path.to_path_buf(),
                    line: Some(line),
                },
                message,
            },
        );
    }
    Ok((settings, warnings))
}

/// Validate ini text that came from `path` (used for relative paths and messages).
pub fn parse(
    path: &Path,
    text: &str,
) -> Result<(Settings, Vec<SettingsWarning>), Vec<SettingsError>> {
    // Notepad on older Windows starts a UTF-8 file with a byte order mark.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let entries = scan::entries(path, text).map_err(|e| vec![e])?;
    let resolved = resolve::resolve(path, &entries);
    let mut r = sections::Reader::new(path, &resolved);
    let receive = sections::receive(&mut r);
    let summary = sections::summary(&mut r);
    let logs = sections::logs(&mut r);
    let tray = sections::tray(&mut r, summary.as_ref().map(|s| &s.intervals[..]));
    let alerts = sections::alerts(&mut r, &resolved.host_rules);
    let history = sections::history(&mut r);
    let forward = sections::forward(&mut r);
    let names = sections::names(&mut r);
    let notify = sections::notify(&mut r);
    if !r.errors.is_empty() {
        return Err(r.errors);
    }
    let (
        Some(receive),
        Some(summary),
        Some(mut logs),
        Some(tray),
        Some(alerts),
        Some(history),
        Some(forward),
        Some(names),
        Some(notify),
    ) = (
        receive, summary, logs, tray, alerts, history, forward, names, notify,
    )
    else {
        unreachable!("every missing value recorded an error")
    };
    let ini_path = absolute(path);
    if !logs.dir.is_absolute() {
        let base = ini_path.parent().map(Path::to_path_buf).unwrap_or_default();
        logs.dir = normalize(&base.join(&logs.dir));
    }
    let (enabled, keep_days, max_size_mb) = history;
    let settings = Settings {
        ini_path,
        history: HistorySettings {
            enabled,
            keep_days,
            max_size_mb,
            path: logs.dir.join(HISTORY_FILE),
        },
        receive,
        summary,
        logs,
        tray,
        alerts,
        forward,
        names,
        notify,
    };
    Ok((settings, resolved.warnings))
}

fn absolute(p: &Path) -> PathBuf {
    if p.is_absolute() {
        p.to_path_buf()
    } else {
        std::env::current_dir()
            .map(|d| normalize(&d.join(p)))
            .unwrap_or_else(|_| p.to_path_buf())
    }
}

/// Remove `.` and `..` components without touching the file system.
fn normalize(p: &Path) -> PathBuf {
    use std::path::Component;
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

#[cfg(test)]
mod tests;
