//! Every key nf-svc knows, in one table: its section, older spellings, default, the comment
//! the ini carries above it, what docs/settings.md says of it, and how the value in effect is shown.
//!
//! The table drives reading ([`super::resolve`] matches entries to it; defaults come from
//! it), the built-in ini and `nf-svc.ini.example`, the settings table of docs/settings.md and the
//! settings-in-effect lines of the service log ([`super::render`]). A test holds the example
//! file and docs/settings.md to what the table makes. A new key is a row here, a field in its
//! section's struct, and one line where [`super::sections`] reads it.

use super::Settings;
use super::alerts::Rate;
use crate::words::units::interval_short;
use std::time::Duration;

/// A key's (section, name).
pub(super) type KeyName = (&'static str, &'static str);

/// One key of the ini.
#[derive(Clone)]
pub(super) struct KeySpec {
    pub section: &'static str,
    pub name: &'static str,
    /// Older spellings read as this key.
    pub old: &'static [KeyName],
    /// The default's text; `None` for `Host.<address>`, a key per host with no default.
    pub default: Option<&'static str>,
    /// The comment above the key in the ini (lines joined by `\n`); for a key with no
    /// default, its commented-out examples too.
    pub comment: &'static str,
    /// docs/settings.md says this of it.
    pub meaning: &'static str,
    /// The value in effect, for the service log.
    pub show: fn(&Settings) -> String,
}

/// The file's opening comment.
pub(super) const INI_HEADER: &str =
    "nf-svc settings. Lines starting with ; are comments. The tray applies saved changes at once;
nf-svc --headless reads them at its next start.
Every key below shows its default. Old nf-svc.ini files work unchanged.";

fn join<T: ToString>(items: &[T], empty: &str) -> String {
    if items.is_empty() {
        return empty.to_string();
    }
    items
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

fn intervals(v: &[Duration]) -> String {
    join(
        &v.iter().map(|d| interval_short(*d)).collect::<Vec<_>>(),
        "none",
    )
}

fn rate(r: Option<Rate>) -> String {
    r.map_or_else(|| "off".to_string(), |r| r.to_string())
}

fn off_or(d: Duration) -> String {
    if d.is_zero() {
        "off".into()
    } else {
        interval_short(d)
    }
}

fn switch(on: bool) -> String {
    if on { "1" } else { "0" }.into()
}

mod early;
mod later;

/// Every key, in the order of the ini: the collector's sections, then the later ones.
pub(super) fn all() -> &'static [KeySpec] {
    static ALL: std::sync::LazyLock<Vec<KeySpec>> =
        std::sync::LazyLock::new(|| [early::KEYS, later::KEYS].concat());
    &ALL
}

/// The sections, in the order of the ini.
pub(super) fn sections() -> impl Iterator<Item = &'static str> {
    all()
        .iter()
        .enumerate()
        .filter(|(i, k)| all()[..*i].iter().all(|e| e.section != k.section))
        .map(|(_, k)| k.section)
}

/// The default text of every key that has one.
pub(super) fn default_of(section: &str, key: &str) -> Option<&'static str> {
    all()
        .iter()
        .find(|k| k.section == section && k.name == key)
        .and_then(|k| k.default)
}
