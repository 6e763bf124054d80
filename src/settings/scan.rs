//! Step one of reading the ini: the text into `key = value` entries with their line numbers.
//!
//! rust-ini checks the syntax (and gives its own line and column when it fails); the common
//! slips are caught first with the exact line, and a line scan supplies each entry's line
//! number for later messages.
//!
//! One repair: rust-ini ends a key at the first `=` *or* `:`, which cuts an IPv6 address in
//! `[Alerts] Host.fe80::1 = 2 Mbit/s` at its first colon. A rate never contains `=`, so for
//! `Host.` keys the key runs to the `=` ([`host_key_split`]); the scan and the repair share
//! that one rule.

use super::{Place, SettingsError};
use std::collections::HashMap;
use std::path::Path;

/// One `key = value` as found in the text.
pub(super) struct Entry {
    pub section: String,
    pub key: String,
    pub value: String,
    /// 1-based; 0 when not found (never for entries from a file).
    pub line: usize,
}

fn is_host_key(key: &str) -> bool {
    key.len() > 5 && key[..5].eq_ignore_ascii_case("Host.")
}

/// A `Host.<address> = …` line split at its `=` (IPv6 addresses contain `:`), or `None`.
fn host_key_split(line: &str) -> Option<(&str, &str)> {
    line.split_once('=')
        .filter(|(k, _)| is_host_key(k.trim()))
        .map(|(k, v)| (k.trim(), v.trim()))
}

/// The key of a `key = value` line, as the entries will carry it.
fn line_key(line: &str) -> Option<&str> {
    if let Some((k, _)) = host_key_split(line) {
        return Some(k);
    }
    line.split_once(['=', ':']).map(|(k, _)| k.trim())
}

fn error(path: &Path, line: usize, message: String) -> SettingsError {
    SettingsError {
        place: Place {
            file: path.to_path_buf(),
            line: Some(line),
        },
        message,
    }
}

/// Split the text into entries, in file order, with their line numbers.
pub(super) fn entries(path: &Path, text: &str) -> Result<Vec<Entry>, SettingsError> {
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
            return Err(error(path, i + 1, format!("\"{l}\": {why}")));
        }
    }
    let opts = ini::ParseOption {
        enabled_escape: false, // Windows paths keep their backslashes
        ..Default::default()
    };
    let parsed = ini::Ini::load_from_str_opt(text, opts).map_err(|e| {
        error(
            path,
            e.line + 1,
            format!("this line is not valid ini syntax ({})", e.msg),
        )
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
            && let Some(k) = line_key(l)
        {
            lines
                .entry((section.clone(), k.to_string()))
                .or_default()
                .push(i + 1);
        }
    }

    let mut out = Vec::new();
    for (sec, props) in parsed.iter() {
        let sec = sec.unwrap_or("").to_string();
        let mut seen: HashMap<String, usize> = HashMap::new();
        for (k, v) in props.iter() {
            let (key, value) = repair_host_key(k, v);
            let nth = seen.entry(key.clone()).or_default();
            let line = lines
                .get(&(sec.clone(), key.clone()))
                .and_then(|l| l.get(*nth))
                .copied()
                .unwrap_or(0);
            *nth += 1;
            out.push(Entry {
                section: sec.clone(),
                key,
                value,
                line,
            });
        }
    }
    Ok(out)
}

/// rust-ini's (key, value) with a `Host.` key cut at a colon put back together.
fn repair_host_key(k: &str, v: &str) -> (String, String) {
    let cut = |k: &str| k[5..].trim().parse::<std::net::IpAddr>().is_err();
    if is_host_key(k)
        && cut(k)
        && let Some((rest, value)) = v.split_once('=')
    {
        // rust-ini ate one ':' between the key and the value it handed back.
        return (format!("{}:{}", k.trim(), rest.trim()), value.trim().into());
    }
    (k.to_string(), v.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv6_host_keys_survive_and_keep_their_lines() {
        let text = "[Alerts]\n; cameras\nHost.fe80::1 = 2 Mbit/s, Camera\nHost.[2001:db8::5] = 1 Mbit/s\nHost.10.0.0.1 = 3 Mbit/s, Till = front desk\n";
        let e = entries(Path::new("/x.ini"), text).unwrap();
        let got: Vec<(&str, &str, usize)> = e
            .iter()
            .map(|e| (e.key.as_str(), e.value.as_str(), e.line))
            .collect();
        assert_eq!(
            got,
            [
                ("Host.fe80::1", "2 Mbit/s, Camera", 3),
                ("Host.[2001:db8::5]", "1 Mbit/s", 4),
                ("Host.10.0.0.1", "3 Mbit/s, Till = front desk", 5),
            ]
        );
    }
}
