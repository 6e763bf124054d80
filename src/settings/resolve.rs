//! Step two: each entry matched to a known key ([`super::keys::all`]), older spellings
//! included.
//!
//! Keys match without regard to case, as in the old service; the last occurrence wins. An
//! unknown key is a warning naming the closest known key.

use super::keys::{KeyName, all};
use super::scan::Entry;
use super::{Place, SettingsWarning};
use std::collections::HashMap;
use std::path::Path;

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
        let canonical = all().iter().filter(|k| k.default.is_some()).find_map(|k| {
            let is = |sec: &str, key: &str| {
                sec.eq_ignore_ascii_case(&e.section) && key.eq_ignore_ascii_case(&e.key)
            };
            (is(k.section, k.name) || k.old.iter().any(|(os, ok)| is(os, ok)))
                .then_some((k.section, k.name))
        });
        match canonical {
            Some(c) => {
                if let Some(first) = out.found.insert(c, e) {
                    out.warnings.push(SettingsWarning {
                        place: Place {
                            file: path.to_path_buf(),
                            line: (e.line > 0).then_some(e.line),
                        },
                        message: format!(
                            "[{}] {} is given twice (lines {} and {}): the later one is used",
                            c.0, c.1, first.line, e.line
                        ),
                    });
                }
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

fn unknown_key_message(section: &str, key: &str) -> String {
    let best = all()
        .iter()
        .filter(|k| k.default.is_some())
        .map(|k| {
            let d = strsim::levenshtein(&key.to_lowercase(), &k.name.to_lowercase());
            (d, k.section, k.name)
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
    fn a_key_given_twice_is_warned_with_both_lines_and_the_later_wins() {
        let path = Path::new("/nf/nf-svc.ini");
        let text = "[Logs]\nKeepDays = 7\n[Settings]\nPort = 2055\n[Logs]\nkeepdays = 9\n";
        let entries = super::super::scan::entries(path, text).unwrap();
        let r = resolve(path, &entries);
        assert_eq!(r.found[&("Logs", "KeepDays")].value, "9");
        let w: Vec<String> = r.warnings.iter().map(|w| w.to_string()).collect();
        assert_eq!(
            w,
            [
                "/nf/nf-svc.ini, line 6: [Logs] KeepDays is given twice (lines 2 and 6): the later one is used"
            ]
        );
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
