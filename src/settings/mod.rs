//! Settings: the ini file, where it lives, and what each key means.
//!
//! The keys and defaults are the old Go service's, so its `nf-svc.ini` works unchanged
//! (including the older spellings `[Settings] SummaryIntervals`, `SummaryTopCount`,
//! `TrackingClients` and `[Logs] Path`). New keys have defaults that need no editing.
//!
//! A bad value is an error naming the file, line, key, the value and what is accepted; an
//! unknown key is a warning naming the closest known key. Every problem is reported at once,
//! so one edit fixes them all.

pub mod alerts;
pub mod locate;
pub mod values;

pub use locate::{IniLocation, ensure_ini, exe_stem, locate_ini};
pub use values::Network;

use std::collections::HashMap;
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
                        .map(|d| values::interval_short(*d))
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

/// A key's (section, name).
type KeyName = (&'static str, &'static str);

/// Every key nf-svc knows: (section, key, older spellings).
const KEYS: &[(&str, &str, &[KeyName])] = &[
    ("Settings", "Port", &[]),
    ("Settings", "Listen", &[]),
    ("Settings", "ReceiveBufferMB", &[]),
    ("Settings", "AllowedExporters", &[]),
    ("Summary", "Intervals", &[("Settings", "SummaryIntervals")]),
    ("Summary", "TopCount", &[("Settings", "SummaryTopCount")]),
    (
        "Summary",
        "TrackingClients",
        &[("Settings", "TrackingClients")],
    ),
    ("Logs", "Dir", &[("Logs", "Path")]),
    ("Logs", "KeepDays", &[]),
    ("Logs", "MaxFileSizeMB", &[]),
    ("Logs", "EnableSummaryLog", &[]),
    ("Logs", "EnableNetFlowLog", &[]),
    ("Tray", "SummaryToasts", &[]),
    ("Alerts", "SourceRate", &[]),
    ("Alerts", "DestinationRate", &[]),
    ("Alerts", "SensorRate", &[]),
    ("Alerts", "Window", &[]),
    ("Alerts", "SpikeFactor", &[]),
    ("Alerts", "SpikeFloor", &[]),
    ("Alerts", "Baseline", &[]),
    ("Alerts", "SilentAfter", &[]),
    ("Alerts", "Cooldown", &[]),
];

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

/// One `key = value` as found in the text.
struct Entry {
    section: String,
    key: String,
    value: String,
    line: usize,
}

/// Split the text into entries with their line numbers. rust-ini checks the syntax first (and
/// gives its own line and column when it fails); the line numbers come from this scan.
fn entries(path: &Path, text: &str) -> Result<Vec<Entry>, SettingsError> {
    // The common slips, with the exact line (rust-ini reports where it gave up instead).
    for (i, raw) in text.lines().enumerate() {
        let l = raw.trim().trim_start_matches('\u{feff}');
        let bad = if l.starts_with('[') && !l.contains(']') {
            Some("a section name must end with ] (like [Settings])")
        } else if !(l.is_empty() || l.starts_with(['[', ';', '#']) || l.contains(['=', ':'])) {
            Some("expected Key = value, a [Section] or a ; comment")
        } else {
            None
        };
        if let Some(why) = bad {
            return Err(SettingsError {
                place: Place {
                    file: path.to_path_buf(),
                    line: Some(i + 1),
                },
                message: format!("\"{l}\": {why}"),
            });
        }
    }
    let opts = ini::ParseOption {
        enabled_escape: false, // Windows paths keep their backslashes
        ..Default::default()
    };
    let parsed = ini::Ini::load_from_str_opt(text, opts).map_err(|e| SettingsError {
        place: Place {
            file: path.to_path_buf(),
            line: Some(e.line + 1),
        },
        message: format!("this line is not valid ini syntax ({})", e.msg),
    })?;

    // Line numbers of each (section, key), in file order.
    let mut lines: HashMap<(String, String), Vec<usize>> = HashMap::new();
    let mut section = String::new();
    for (i, raw) in text.lines().enumerate() {
        let l = raw.trim().trim_start_matches('\u{feff}');
        if l.starts_with('[') {
            section = l
                .trim_start_matches('[')
                .split(']')
                .next()
                .unwrap_or("")
                .trim()
                .to_string();
        } else if !(l.is_empty() || l.starts_with(';') || l.starts_with('#'))
            && let Some((k, _)) = l.split_once(['=', ':'])
        {
            lines
                .entry((section.clone(), k.trim().to_string()))
                .or_default()
                .push(i + 1);
        }
    }

    let mut out = Vec::new();
    for (sec, props) in parsed.iter() {
        let sec = sec.unwrap_or("").to_string();
        let mut seen: HashMap<&str, usize> = HashMap::new();
        for (k, v) in props.iter() {
            let nth = seen.entry(k).or_default();
            let line = lines
                .get(&(sec.clone(), k.to_string()))
                .and_then(|l| l.get(*nth))
                .copied()
                .unwrap_or(0);
            *nth += 1;
            out.push(Entry {
                section: sec.clone(),
                key: k.to_string(),
                value: v.to_string(),
                line,
            });
        }
    }
    Ok(out)
}

/// Validate ini text that came from `path` (used for relative paths and messages).
pub fn parse(
    path: &Path,
    text: &str,
) -> Result<(Settings, Vec<SettingsWarning>), Vec<SettingsError>> {
    let entries = entries(path, text).map_err(|e| vec![e])?;
    let place = |line: usize| Place {
        file: path.to_path_buf(),
        line: (line > 0).then_some(line),
    };

    // Map each entry to its canonical key; the last occurrence wins, as in the old service.
    let mut warnings = Vec::new();
    let mut found: HashMap<(&str, &str), &Entry> = HashMap::new();
    let mut host_rules: Vec<&Entry> = Vec::new();
    for e in &entries {
        if e.section.eq_ignore_ascii_case("Alerts")
            && e.key.len() > 5
            && e.key[..5].eq_ignore_ascii_case("Host.")
        {
            host_rules.push(e);
            continue;
        }
        let canonical = KEYS.iter().find_map(|(s, k, old)| {
            let is = |sec: &str, key: &str| {
                sec.eq_ignore_ascii_case(&e.section) && key.eq_ignore_ascii_case(&e.key)
            };
            (is(s, k) || old.iter().any(|(os, ok)| is(os, ok))).then_some((*s, *k))
        });
        match canonical {
            Some(c) => {
                found.insert(c, e);
            }
            None => warnings.push(SettingsWarning {
                place: place(e.line),
                message: unknown_key_message(&e.section, &e.key),
            }),
        }
    }

    let mut errors = Vec::new();
    let defaults = default_values();
    let get = |section: &'static str, key: &'static str| -> (String, usize) {
        match found.get(&(section, key)) {
            Some(e) => (e.value.clone(), e.line),
            None => (defaults[&(section, key)].clone(), 0),
        }
    };
    macro_rules! value {
        ($section:literal, $key:literal, $parse:expr) => {{
            let (raw, line) = get($section, $key);
            match $parse(raw.as_str()) {
                Ok(v) => Some(v),
                Err(expected) => {
                    errors.push(SettingsError {
                        place: place(line),
                        message: format!(
                            "[{}] {} = \"{}\" is not valid: expected {}",
                            $section, $key, raw, expected
                        ),
                    });
                    None
                }
            }
        }};
    }

    let ports = value!("Settings", "Port", values::parse_ports);
    let listen = value!("Settings", "Listen", values::parse_addrs);
    let rcvbuf = value!("Settings", "ReceiveBufferMB", |v| values::parse_u64_range(
        v, 1, 1024, "MB"
    ));
    let allowed = value!("Settings", "AllowedExporters", values::parse_networks);
    let intervals = value!("Summary", "Intervals", values::parse_intervals);
    let top = value!("Summary", "TopCount", |v| values::parse_u64_range(
        v, 1, 100_000, "rows"
    ));
    let tracking = value!("Summary", "TrackingClients", values::parse_hosts);
    let dir = value!("Logs", "Dir", |v: &str| {
        let v = v.trim().trim_matches('"');
        if v.is_empty() {
            Err("a folder path".to_string())
        } else {
            Ok(PathBuf::from(v))
        }
    });
    let keep = value!("Logs", "KeepDays", |v| values::parse_u64_range(
        v, 1, 36500, "days"
    ));
    let size = value!("Logs", "MaxFileSizeMB", |v| values::parse_u64_range(
        v, 1, 100_000, "MB"
    ));
    let summary_log = value!("Logs", "EnableSummaryLog", values::parse_switch);
    let netflow_log = value!("Logs", "EnableNetFlowLog", values::parse_switch);
    let toasts = value!("Tray", "SummaryToasts", |v: &str| {
        match v.trim().to_ascii_lowercase().as_str() {
            "" | "shortest" => Ok(None),
            "none" | "off" | "0" => Ok(Some(Vec::new())),
            _ => values::parse_intervals(v).map(Some),
        }
    });
    if let (Some(Some(t)), Some(iv)) = (&toasts, &intervals)
        && let Some(bad) = t.iter().find(|d| !iv.contains(d))
    {
        let (raw, line) = get("Tray", "SummaryToasts");
        errors.push(SettingsError {
                place: place(line),
                message: format!(
                    "[Tray] SummaryToasts = \"{raw}\" is not valid: {} is not one of [Summary] Intervals; expected some of them, or none",
                    values::interval_short(*bad)
                ),
            });
    }

    let optional_rate = |v: &str| {
        if v.trim().is_empty() {
            Ok(None)
        } else {
            alerts::parse_rate(v).map(Some)
        }
    };
    let source_rate = value!("Alerts", "SourceRate", optional_rate);
    let destination_rate = value!("Alerts", "DestinationRate", optional_rate);
    let sensor_rate = value!("Alerts", "SensorRate", optional_rate);
    let window = value!("Alerts", "Window", |v: &str| {
        values::parse_interval(v).and_then(|d| {
            if d <= Duration::from_secs(3600) {
                Ok(d)
            } else {
                Err("at most 1h".to_string())
            }
        })
    });
    let spike_factor = value!("Alerts", "SpikeFactor", alerts::parse_factor);
    let spike_floor = value!("Alerts", "SpikeFloor", alerts::parse_rate);
    let baseline = value!("Alerts", "Baseline", values::parse_interval);
    let silent_after = value!("Alerts", "SilentAfter", alerts::parse_duration_or_off);
    let cooldown = value!("Alerts", "Cooldown", alerts::parse_duration_or_off);
    let mut hosts = Vec::new();
    for e in host_rules {
        match alerts::parse_host_rule(&e.key, &e.value) {
            Ok(h) => hosts.push(h),
            Err(expected) => errors.push(SettingsError {
                place: place(e.line),
                message: format!(
                    "[Alerts] {} = \"{}\" is not valid: expected {}",
                    e.key, e.value, expected
                ),
            }),
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let (
        Some(source),
        Some(destination),
        Some(sensor),
        Some(window),
        Some(spike_factor),
        Some(spike_floor),
        Some(baseline),
        Some(silent_after),
        Some(cooldown),
    ) = (
        source_rate,
        destination_rate,
        sensor_rate,
        window,
        spike_factor,
        spike_floor,
        baseline,
        silent_after,
        cooldown,
    )
    else {
        unreachable!("every missing value pushed an error")
    };
    let alert_settings = alerts::AlertSettings {
        window,
        source,
        destination,
        sensor,
        hosts,
        spike_factor,
        spike_floor,
        baseline,
        silent_after,
        cooldown,
    };
    let (
        Some(ports),
        Some(listen),
        Some(rcvbuf),
        Some(allowed),
        Some(intervals),
        Some(top),
        Some(tracking),
        Some(dir),
        Some(keep),
        Some(size),
        Some(summary_log),
        Some(netflow_log),
        Some(toasts),
    ) = (
        ports,
        listen,
        rcvbuf,
        allowed,
        intervals,
        top,
        tracking,
        dir,
        keep,
        size,
        summary_log,
        netflow_log,
        toasts,
    )
    else {
        unreachable!("every missing value pushed an error")
    };

    let ini_path = absolute(path);
    let log_dir = if dir.is_absolute() {
        dir
    } else {
        let base = ini_path.parent().map(Path::to_path_buf).unwrap_or_default();
        normalize(&base.join(dir))
    };

    Ok((
        Settings {
            ini_path,
            ports,
            listen,
            receive_buffer_bytes: (rcvbuf as usize) * 1024 * 1024,
            allowed_exporters: allowed,
            top_count: top as usize,
            tracking_clients: tracking,
            log_dir,
            keep_days: keep as u32,
            max_file_size_mb: size,
            summary_log,
            netflow_log,
            summary_toasts: toasts
                .unwrap_or_else(|| intervals.first().copied().into_iter().collect()),
            intervals,
            alerts: alert_settings,
        },
        warnings,
    ))
}

/// The default value text of every key, read from the built-in ini.
fn default_values() -> HashMap<(&'static str, &'static str), String> {
    let mut section = "";
    let mut out = HashMap::new();
    for l in DEFAULT_INI.lines().map(str::trim) {
        if l.starts_with('[') {
            section = KEYS
                .iter()
                .map(|k| k.0)
                .find(|s| l == format!("[{s}]"))
                .unwrap_or("");
        } else if let Some((k, v)) = l.split_once('=').filter(|_| !l.starts_with(';'))
            && let Some((s, key, _)) = KEYS
                .iter()
                .find(|(s, key, _)| *s == section && *key == k.trim())
        {
            out.insert((*s, *key), v.trim().to_string());
        }
    }
    out
}

fn unknown_key_message(section: &str, key: &str) -> String {
    let best = KEYS
        .iter()
        .map(|(s, k, _)| (values::edit_distance(key, k), *s, *k))
        .min_by_key(|(d, _, _)| *d);
    let shown = if section.is_empty() {
        key.to_string()
    } else {
        format!("[{section}] {key}")
    };
    match best {
        Some((d, s, k)) if d <= 3 || d * 2 < key.len() => {
            format!("unknown key {shown} is ignored; did you mean [{s}] {k}?")
        }
        _ => format!("unknown key {shown} is ignored"),
    }
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
    fn every_key_is_in_the_built_in_ini() {
        let d = default_values();
        for (s, k, _) in KEYS {
            assert!(
                d.contains_key(&(*s, *k)),
                "[{s}] {k} missing from nf-svc.ini.example"
            );
        }
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
        let text = "[Alerts]\nSourceRate = 10 Mbit/s\nHost.192.168.0.82 = 2 Mbit/s, Printer\nWindow = 30s\nSpikeFactor = 0\nSilentAfter = 0\n";
        let (s, w) = parse(&p(), text).unwrap();
        assert!(w.is_empty(), "{w:?}");
        let a = &s.alerts;
        assert_eq!(a.source, Some(alerts::Rate::Bits(10e6)));
        assert_eq!(a.destination, None);
        assert_eq!(a.window, Duration::from_secs(30));
        assert_eq!(a.spike_factor, 0.0);
        assert_eq!(a.silent_after, Duration::ZERO);
        assert_eq!(
            a.host_name("192.168.0.82".parse().unwrap()),
            "192.168.0.82 (Printer)"
        );
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
