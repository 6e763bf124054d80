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
//! Reading goes in three steps, one file each: [`scan`] (text → entries with line numbers),
//! [`keys`] (entries → known keys, older spellings, warnings), [`sections`] (each section's
//! values parsed and checked); [`parse`] puts the result together.

pub mod alerts;
mod keys;
pub mod locate;
mod scan;
mod sections;
pub mod values;

pub use locate::{IniLocation, ensure_ini, exe_stem, locate_ini};
pub use values::Network;

use crate::words::units::interval_short;

use std::fmt;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The text written to a new ini file at first run (the same as `nf-svc.ini.example`).
pub const DEFAULT_INI: &str = include_str!("../../nf-svc.ini.example");

/// Everything the collector needs to know, after validation.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// The ini these settings came from (absolute).
    pub ini_path: PathBuf,
    pub ports: Vec<u16>,
    pub listen: Vec<IpAddr>,
    pub receive_buffer_bytes: usize,
    /// Empty: accept every exporter.
    pub allowed_exporters: Vec<Network>,
    /// Sorted, shortest first.
    pub intervals: Vec<Duration>,
    pub top_count: usize,
    pub tracking_clients: Vec<IpAddr>,
    /// Absolute log folder.
    pub log_dir: PathBuf,
    pub keep_days: u32,
    pub max_file_size_mb: u64,
    pub summary_log: bool,
    pub netflow_log: bool,
    /// Intervals whose summaries the tray shows as a toast (default: the shortest).
    pub summary_toasts: Vec<Duration>,
    pub alerts: alerts::AlertSettings,
}

impl Settings {
    /// The defaults, for an ini at `ini_path`.
    pub fn defaults(ini_path: &Path) -> Settings {
        match parse(ini_path, DEFAULT_INI) {
            Ok((s, _)) => s,
            Err(e) => unreachable!("the built-in ini is valid: {e:?}"),
        }
    }

    /// Whether an exporter may send to us.
    pub fn exporter_allowed(&self, ip: IpAddr) -> bool {
        exporter_allowed(&self.allowed_exporters, ip)
    }

    /// One line per group of settings, for the service log at start.
    pub fn describe(&self) -> Vec<String> {
        let list = |v: &[String]| v.join(", ");
        vec![
            format!(
                "listening on UDP port(s) {} at {}; receive buffer {} MB",
                list(&self.ports.iter().map(|p| p.to_string()).collect::<Vec<_>>()),
                list(
                    &self
                        .listen
                        .iter()
                        .map(|a| a.to_string())
                        .collect::<Vec<_>>()
                ),
                self.receive_buffer_bytes / (1024 * 1024)
            ),
            format!(
                "exporters accepted: {}",
                if self.allowed_exporters.is_empty() {
                    "any".to_string()
                } else {
                    list(
                        &self
                            .allowed_exporters
                            .iter()
                            .map(|n| n.to_string())
                            .collect::<Vec<_>>(),
                    )
                }
            ),
            format!(
                "summaries every {}; top {} rows per exporter{}",
                list(
                    &self
                        .intervals
                        .iter()
                        .map(|d| interval_short(*d))
                        .collect::<Vec<_>>()
                ),
                self.top_count,
                if self.tracking_clients.is_empty() {
                    String::new()
                } else {
                    format!(
                        "; tracking clients {}",
                        list(
                            &self
                                .tracking_clients
                                .iter()
                                .map(|a| a.to_string())
                                .collect::<Vec<_>>()
                        )
                    )
                }
            ),
            format!(
                "logs in {}: keep {} days, rotate at {} MB, summary log {}, flow dump log {}",
                self.log_dir.display(),
                self.keep_days,
                self.max_file_size_mb,
                if self.summary_log { "on" } else { "off" },
                if self.netflow_log { "on" } else { "off" }
            ),
        ]
    }
}

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
    let text = std::fs::read_to_string(path).map_err(|e| {
        vec![SettingsError {
            place: Place {
                file: path.to_path_buf(),
                line: None,
            },
            message: format!("cannot read the settings file: {e}"),
        }]
    })?;
    parse(path, &text)
}

/// Validate ini text that came from `path` (used for relative paths and messages).
pub fn parse(
    path: &Path,
    text: &str,
) -> Result<(Settings, Vec<SettingsWarning>), Vec<SettingsError>> {
    let entries = scan::entries(path, text).map_err(|e| vec![e])?;
    let resolved = keys::resolve(path, &entries);
    let mut r = sections::Reader::new(path, &resolved);
    let listening = sections::listening(&mut r);
    let summary = sections::summary(&mut r);
    let logs = sections::logs(&mut r);
    let toasts = sections::summary_toasts(&mut r, summary.as_ref().map(|s| &s.intervals[..]));
    let alerts = sections::alerts(&mut r, &resolved.host_rules);
    if !r.errors.is_empty() {
        return Err(r.errors);
    }
    let (Some(listening), Some(summary), Some(logs), Some(summary_toasts), Some(alerts)) =
        (listening, summary, logs, toasts, alerts)
    else {
        unreachable!("every missing value recorded an error")
    };
    let ini_path = absolute(path);
    let log_dir = if logs.dir.is_absolute() {
        logs.dir
    } else {
        let base = ini_path.parent().map(Path::to_path_buf).unwrap_or_default();
        normalize(&base.join(logs.dir))
    };
    let settings = Settings {
        ini_path,
        ports: listening.ports,
        listen: listening.listen,
        receive_buffer_bytes: listening.receive_buffer_bytes,
        allowed_exporters: listening.allowed_exporters,
        intervals: summary.intervals,
        top_count: summary.top_count,
        tracking_clients: summary.tracking_clients,
        log_dir,
        keep_days: logs.keep_days,
        max_file_size_mb: logs.max_file_size_mb,
        summary_log: logs.summary_log,
        netflow_log: logs.netflow_log,
        summary_toasts,
        alerts,
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
mod tests {
    use super::*;

    /// An absolute ini path on this OS (`/etc/nf` is relative on Windows: no drive).
    fn p() -> PathBuf {
        PathBuf::from(if cfg!(windows) {
            r"C:\nf\nf-svc.ini"
        } else {
            "/etc/nf/nf-svc.ini"
        })
    }

    #[test]
    fn built_in_ini_gives_the_old_defaults() {
        let s = Settings::defaults(&p());
        assert_eq!(s.ports, vec![2055]);
        assert_eq!(
            s.intervals,
            [20, 60, 480, 1440]
                .map(|m| Duration::from_secs(m * 60))
                .to_vec()
        );
        assert_eq!(s.top_count, 100);
        assert_eq!(s.keep_days, 30);
        assert_eq!(s.max_file_size_mb, 10);
        assert_eq!(s.log_dir, p().with_file_name("logs"));
        assert!(s.summary_log && s.netflow_log);
        assert!(s.allowed_exporters.is_empty());
        assert_eq!(s.receive_buffer_bytes, 16 << 20);
    }

    #[test]
    fn old_go_ini_files_load_unchanged() {
        let old = "[Settings]\nPort             = 2056\nSummaryIntervals = 20, 60, 480, 1440\nSummaryTopCount  = 50\nTrackingClients  = 192.168.255.1\n\n[Logs]\nKeepDays      = 7\nMaxFileSizeMB = 5\nDir           = ./logs\n";
        let (s, w) = parse(&p(), old).unwrap();
        assert!(w.is_empty(), "{w:?}");
        assert_eq!(s.ports, vec![2056]);
        assert_eq!(s.top_count, 50);
        assert_eq!(
            s.tracking_clients,
            vec!["192.168.255.1".parse::<IpAddr>().unwrap()]
        );
        assert_eq!(s.keep_days, 7);
        let older = "[Settings]\nPort = 2055\nSummaryIntervals = 20, 60, 480\n[Logs]\nPath = C:\\nf\\logs\n";
        let (s, _) = parse(&p(), older).unwrap();
        assert_eq!(s.intervals.len(), 3);
        assert!(s.log_dir.to_string_lossy().contains("C:\\nf\\logs"));
    }

    #[test]
    fn bad_values_name_file_line_key_value_and_what_is_accepted() {
        let text =
            "[Settings]\nPort = 2055\n\n[Summary]\nIntervals = 20, soon\n[Logs]\nKeepDays = -1\n";
        let errs = parse(&p(), text).unwrap_err();
        assert_eq!(errs.len(), 2);
        assert_eq!(
            errs[0].to_string(),
            format!(
                "{}, line 5: [Summary] Intervals = \"20, soon\" is not valid: expected minutes (20) or a number with a unit: s, m, h or d (30s, 5m, 8h, 1d), from 1s to 24h",
                p().display()
            )
        );
        assert_eq!(errs[1].place.line, Some(7));
        assert!(errs[1].message.contains("[Logs] KeepDays = \"-1\""));
        assert!(
            errs[1]
                .message
                .contains("whole number of days from 1 to 36500")
        );
    }

    #[test]
    fn unknown_keys_warn_with_the_closest_key() {
        let text = "[Logs]\nKeepDay = 3\n[Settings]\nColour = blue\n";
        let (s, w) = parse(&p(), text).unwrap();
        assert_eq!(s.keep_days, 30);
        assert_eq!(w.len(), 2);
        assert_eq!(
            w[0].to_string(),
            format!(
                "{}, line 2: unknown key [Logs] KeepDay is ignored; did you mean [Logs] KeepDays?",
                p().display()
            )
        );
        assert_eq!(w[1].place.line, Some(4));
    }

    #[test]
    fn alert_settings_with_named_hosts() {
        let text = "[Alerts]\nSourceRate = 10 Mbit/s\nHost.192.168.0.82 = 2 Mbit/s, Printer\nHost.fe80::1 = 10 MBit/s, Camera\nWindow = 30s\nSpikeFactor = 0\nSilentAfter = Off\n";
        let (s, w) = parse(&p(), text).unwrap();
        assert!(w.is_empty(), "{w:?}");
        let a = &s.alerts;
        assert_eq!(a.source, Some(alerts::Rate::Bits(10e6)));
        let camera: IpAddr = "fe80::1".parse().unwrap();
        assert_eq!(a.label(camera), Some("Camera"));
        assert_eq!(a.hosts[1].rate, alerts::Rate::Bits(10e6), "MBit/s is bits");
        assert_eq!(a.destination, None);
        assert_eq!(a.window, Duration::from_secs(30));
        assert_eq!(a.spike_factor, 0.0);
        assert_eq!(a.silent_after, Duration::ZERO);
        assert_eq!(a.label("192.168.0.82".parse().unwrap()), Some("Printer"));
        let d = Settings::defaults(&p()).alerts;
        assert_eq!(
            (d.spike_factor, d.window, d.cooldown),
            (5.0, Duration::from_secs(60), Duration::from_secs(900))
        );
        assert_eq!(d.silent_after, Duration::from_secs(600));
        let errs = parse(
            &p(),
            "[Alerts]\nHost.printer = 2 Mbit/s\nSensorRate = lots\n",
        )
        .unwrap_err();
        assert_eq!(errs.len(), 2);
        assert!(errs.iter().any(|e| {
            e.to_string()
                .contains("line 3: [Alerts] SensorRate = \"lots\"")
        }));
        assert!(
            errs.iter()
                .any(|e| e.to_string().contains("line 2: [Alerts] Host.printer"))
        );
    }

    #[test]
    fn syntax_errors_have_a_line() {
        let errs = parse(&p(), "[Settings\nPort = 1\n").unwrap_err();
        assert_eq!(errs[0].place.line, Some(1));
        assert!(errs[0].message.contains("must end with ]"));
        let errs = parse(&p(), "[Settings]\n; ok\nPort 2055\n").unwrap_err();
        assert_eq!(
            errs[0].to_string(),
            format!(
                "{}, line 3: \"Port 2055\": expected Key = value, a [Section] or a ; comment",
                p().display()
            )
        );
    }

    #[test]
    fn inline_comments_and_new_keys() {
        let text = "[Settings]\nPort = 2055, 4739 ; two sensors\nListen = 127.0.0.1\nAllowedExporters = 192.168.88.0/24\n[Summary]\nIntervals = 30s\n";
        let (s, _) = parse(&p(), text).unwrap();
        assert_eq!(s.ports, vec![2055, 4739]);
        assert_eq!(s.listen, vec!["127.0.0.1".parse::<IpAddr>().unwrap()]);
        assert!(s.exporter_allowed("192.168.88.1".parse().unwrap()));
        assert!(!s.exporter_allowed("192.168.1.1".parse().unwrap()));
        assert_eq!(s.intervals, vec![Duration::from_secs(30)]);
    }
}
