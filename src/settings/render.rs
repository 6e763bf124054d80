//! What the key table ([`super::keys`]) is written as: the built-in ini (and
//! `nf-svc.ini.example`), the settings table of docs/settings.md, and the settings in effect for the
//! service log.

use super::Settings;
use super::keys::{INI_HEADER, all, sections};

/// Each line of `text` as an ini comment.
fn commented(out: &mut String, text: &str) {
    for l in text.lines() {
        out.push_str("; ");
        out.push_str(l);
        out.push('\n');
    }
}

/// The ini with every key at its default and a comment each: what a first run writes, and
/// what `nf-svc.ini.example` holds.
pub fn default_ini() -> String {
    let mut out = String::new();
    commented(&mut out, INI_HEADER);
    for section in sections() {
        out.push_str(&format!("\n[{section}]\n"));
        for k in all().iter().filter(|k| k.section == section) {
            commented(&mut out, k.comment);
            if let Some(d) = k.default {
                let sep = if d.is_empty() { "" } else { " " };
                out.push_str(&format!("{} ={sep}{d}\n", k.name));
            }
        }
    }
    out
}

/// The settings table of docs/settings.md (Markdown): section, key, default, meaning.
pub fn readme_table() -> String {
    let mut out =
        String::from("| Section | Key | Default | Meaning |\n| --- | --- | --- | --- |\n");
    let mut last = "";
    for k in all() {
        let section = if k.section == last {
            " ".to_string()
        } else {
            format!(" `[{}]` ", k.section)
        };
        last = k.section;
        let default = match k.default {
            None => "—".to_string(),
            Some("") => "*(empty)*".to_string(),
            Some(d) => format!("`{d}`"),
        };
        out.push_str(&format!(
            "|{section}| `{}` | {default} | {} |\n",
            k.name, k.meaning
        ));
    }
    out
}

/// One line per section with every key's value in effect, as the ini names them:
/// `[Logs] Dir = /home/ann/nf-svc/logs; KeepDays = 30; …`.
pub fn describe(s: &Settings) -> Vec<String> {
    sections()
        .map(|section| {
            let values: Vec<String> = all()
                .iter()
                .filter(|k| k.section == section)
                .map(|k| format!("{} = {}", k.name, (k.show)(s)))
                .collect();
            format!("[{section}] {}", values.join("; "))
        })
        .collect()
}
