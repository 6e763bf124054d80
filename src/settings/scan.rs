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

/// A value as messages quote it: at most 80 characters (a pasted megabyte stays out of the log).
pub(super) fn shown(raw: &str) -> String {
    const MAX: usize = 80;
    if raw.chars().count() <= MAX {
        raw.to_string()
    } else {
        let cut: String = raw.chars().take(MAX).collect();
        format!("{cut}… ({} characters)", raw.chars().count())
    }
}

/// The ini's bytes as text. UTF-8 (with or without a byte order mark) is taken as it is, and
/// so is UTF-16 with its byte order mark (what Notepad saves as "Unicode" or "Unicode big
/// endian"); anything else is read as the system's ANSI code page on Windows — what Notepad
/// saved it in as "ANSI" — and as Windows-1252 (Western European) elsewhere, and the line
/// where UTF-8 first fails is returned with a note for the user.
pub(super) fn decode(bytes: &[u8]) -> (String, Option<(usize, String)>) {
    if let Some(text) = utf16(bytes) {
        return (text, None);
    }
    match std::str::from_utf8(bytes) {
        Ok(t) => (t.to_string(), None),
        Err(e) => {
            let line = bytes[..e.valid_up_to()]
                .iter()
                .filter(|b| **b == b'\n')
                .count()
                + 1;
            let (text, as_what) = match crate::os::ansi_to_string(bytes) {
                Some((text, code_page)) => {
                    (text, format!("the system's ANSI code page ({code_page})"))
                }
                None => (
                    bytes.iter().map(|b| windows_1252(*b)).collect(),
                    "Windows-1252 (Western European)".to_string(),
                ),
            };
            let note = format!(
                "this file is not UTF-8; it was read as {as_what}. Save it as UTF-8 to be sure \
                 every character is read as meant"
            );
            (text, Some((line, note)))
        }
    }
}

/// UTF-16 text after its byte order mark (FF FE little endian, FE FF big endian); a unit that
/// is half of a broken pair becomes U+FFFD.
fn utf16(bytes: &[u8]) -> Option<String> {
    let unit: fn([u8; 2]) -> u16 = match bytes {
        [0xff, 0xfe, ..] => u16::from_le_bytes,
        [0xfe, 0xff, ..] => u16::from_be_bytes,
        _ => return None,
    };
    let units = bytes[2..].chunks_exact(2).map(|c| unit([c[0], c[1]]));
    Some(
        char::decode_utf16(units)
            .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
            .collect(),
    )
}

/// One Windows-1252 byte as a character (0x80–0x9F are its printable extras; the five
/// undefined bytes become U+FFFD).
fn windows_1252(b: u8) -> char {
    const HIGH: [char; 32] = [
        '€', '\u{fffd}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{fffd}', 'Ž',
        '\u{fffd}', '\u{fffd}', '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ',
        '\u{fffd}', 'ž', 'Ÿ',
    ];
    match b {
        0x80..=0x9f => HIGH[(b - 0x80) as usize],
        _ => b as char,
    }
}

/// One `key = value` as found in the text.
pub(super) struct Entry {
    pub section: String,
    pub key: String,
    pub value: String,
    /// 1-based; 0 when not found (never for entries from a file).
    pub line: usize,
}

fn is_host_key(key: &str) -> bool {
    // Bytes, not `&key[..5]`: a key may have a multi-byte character there (found by fuzzing).
    key.len() > 5 && key.as_bytes()[..5].eq_ignore_ascii_case(b"Host.")
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
            return Err(error(path, i + 1, format!("\"{}\": {why}", shown(l))));
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
    fn utf8_is_taken_and_anything_else_is_the_ansi_code_page_with_its_line() {
        assert_eq!(decode("Grüße".as_bytes()), ("Grüße".to_string(), None));
        let ansi = b"[Settings]\r\n; K\xfcche \x80 10\r\nPort = 2055\r\n";
        let (text, note) = decode(ansi);
        let (line, msg) = note.unwrap();
        assert_eq!(line, 2);
        if cfg!(windows) {
            // Whatever the system's code page makes of the two bytes, the rest is intact.
            assert!(msg.contains("the system's ANSI code page ("), "{msg}");
            assert!(
                text.starts_with("[Settings]\r\n; K") && text.ends_with(" 10\r\nPort = 2055\r\n")
            );
        } else {
            assert_eq!(text, "[Settings]\r\n; Küche € 10\r\nPort = 2055\r\n");
            assert!(msg.contains("Windows-1252"), "{msg}");
        }
    }

    #[test]
    fn utf16_as_notepad_saves_it_is_read_in_both_byte_orders() {
        let text = "[Settings]\r\nPort = 4739 ; Küche\r\n";
        let le: Vec<u8> = [0xff, 0xfe]
            .into_iter()
            .chain(text.encode_utf16().flat_map(u16::to_le_bytes))
            .collect();
        let be: Vec<u8> = [0xfe, 0xff]
            .into_iter()
            .chain(text.encode_utf16().flat_map(u16::to_be_bytes))
            .collect();
        assert_eq!(decode(&le), (text.to_string(), None));
        assert_eq!(decode(&be), (text.to_string(), None));
        // A lone surrogate (a damaged file) is one replacement character, not a refusal.
        let broken = [0xff, 0xfe, b'A', 0, 0x00, 0xd8, b'B', 0];
        assert_eq!(decode(&broken).0, "A\u{fffd}B");
    }

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
