//! Step two: every key nf-svc knows, with its older spellings, and each entry matched to one.
//!
//! Keys match without regard to case, as in the old service; the last occurrence wins. An
//! unknown key is a warning naming the closest known key. Defaults come from the built-in ini
//! (`nf-svc.ini.example`), so the example and the code cannot disagree.

use super::scan::Entry;
use super::{DEFAULT_INI, Place, SettingsWarning};
use std::collections::HashMap;
use std::path::Path;

/// A key's (section, name).
pub(super) type KeyName = (&'static str, &'static str);

/// Every key nf-svc knows: (section, key, older spellings).
pub(super) const KEYS: &[(&str, &str, &[KeyName])] = &[
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
    ("Logs", "MaxTotalMB", &[]),
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
    ("History", "Enabled", &[]),
    ("History", "KeepDays", &[]),
    ("History", "MaxSizeMB", &[]),
];

/// The entries sorted out: known keys (last one wins), `[Alerts] Host.…` rules in file order,
/// and a warning for each unknown key.
pub(super) struct Resolved<'a> {
    pub found: HashMap<KeyName, &'a Entry>,
    pub host_rules: Vec<&'a Entry>,
    pub warnings: Vec<SettingsWarning>,
}

pub(super) fn resolve<'a>(path: &Path, entries: &'a [Entry]) -> Resolved<'a> {
    let mut out = Resolved {
        found: HashMap::new(),
        host_rules: Vec::new(),
        warnings: Vec::new(),
    };
    for e in entries {
        if e.section.eq_ignore_ascii_case("Alerts")
            && e.key.len() > 5
            && e.key.as_bytes()[..5].eq_ignore_ascii_case(b"Host.")
        {
            out.host_rules.push(e);
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
                out.found.insert(c, e);
            }
            None => out.warnings.push(SettingsWarning {
                place: Place {
                    file: path.to_path_buf(),
                    line: (e.line > 0).then_some(e.line),
                },
                message: unknown_key_message(&e.section, &e.key),
            }),
        }
    }
    out
}

/// The default value text of every key, read from the built-in ini.
pub(super) fn default_values() -> HashMap<KeyName, String> {
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
        .map(|(s, k, _)| {
            let d = strsim::levenshtein(&key.to_lowercase(), &k.to_lowercase());
            (d, *s, *k)
        })
        .min_by_key(|(d, _, _)| *d);
    let key = super::scan::shown(key);
    let key = key.as_str();
    let shown = if section.is_empty() {
        key.to_string()
    } else {
        format!("[{}] {key}", super::scan::shown(section))
    };
    match best {
        Some((d, s, k)) if d <= 3 || d * 2 < key.len() => {
            format!("unknown key {shown} is ignored; did you mean [{s}] {k}?")
        }
        _ => format!("unknown key {shown} is ignored"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn the_closest_key_is_suggested() {
        assert_eq!(
            unknown_key_message("Logs", "KeepDay"),
            "unknown key [Logs] KeepDay is ignored; did you mean [Logs] KeepDays?"
        );
        assert_eq!(
            unknown_key_message("Logs", "colour_of_the_sky"),
            "unknown key [Logs] colour_of_the_sky is ignored"
        );
    }
}
