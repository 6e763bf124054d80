//! One key table drives the settings: the built-in ini (`nf-svc.ini.example`) and the settings
//! table of `docs/settings.md` are what it makes, and the example's values are the defaults.
//! On a change to the table, `NF_SVC_BLESS=1 cargo test --test settings_table` writes both anew.

use nf_svc::settings::{DEFAULT_INI, Settings, parse, render};
use std::path::{Path, PathBuf};

fn top(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(name)
}

fn bless() -> bool {
    std::env::var_os("NF_SVC_BLESS").is_some()
}

#[test]
fn the_example_ini_is_what_the_key_table_makes() {
    let made = render::default_ini();
    if bless() {
        std::fs::write(top("nf-svc.ini.example"), &made).unwrap();
        return;
    }
    assert_eq!(
        DEFAULT_INI, made,
        "nf-svc.ini.example differs from the key table: NF_SVC_BLESS=1 writes it anew"
    );
}

#[test]
fn the_settings_page_table_is_what_the_key_table_makes() {
    let readme = std::fs::read_to_string(top("docs/settings.md")).unwrap();
    let table = render::readme_table();
    let start = readme
        .find("| Section | Key | Default | Meaning |")
        .expect("docs/settings.md has a settings table");
    let len = readme[start..]
        .find("\n\n")
        .map_or(readme.len() - start, |n| n + 1);
    if bless() {
        let mut new = readme.clone();
        new.replace_range(start..start + len, &table);
        std::fs::write(top("docs/settings.md"), new).unwrap();
        return;
    }
    assert_eq!(
        &readme[start..start + len],
        table,
        "docs/settings.md's table differs from the key table: NF_SVC_BLESS=1 writes it anew"
    );
}

#[test]
fn the_example_holds_the_defaults_and_every_key_is_described() {
    let ini = Path::new("/nf/nf-svc.ini");
    let (from_example, warnings) = parse(ini, DEFAULT_INI).unwrap();
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(from_example, Settings::defaults(ini));
    let lines = from_example.describe();
    let sections = [
        "Settings", "Summary", "Logs", "Tray", "Alerts", "History", "Names", "Forward", "Notify",
    ];
    assert_eq!(lines.len(), sections.len(), "{lines:?}");
    for (line, section) in lines.iter().zip(sections) {
        assert!(line.starts_with(&format!("[{section}] ")), "{line}");
    }
    let all = lines.join("\n");
    for key in DEFAULT_INI
        .lines()
        .filter(|l| !l.starts_with(';') && !l.starts_with('['))
        .filter_map(|l| l.split_once('=').map(|(k, _)| k.trim()))
    {
        assert!(
            all.contains(&format!("{key} = ")),
            "{key} missing from {all}"
        );
    }
    assert!(all.contains(
        "[Settings] Port = 2055; SFlowPort = 6343; Listen = 0.0.0.0, ::; ReceiveBufferMB = 16"
    ));
    assert!(all.contains("[Forward] To = off; KeepSource = 0"));
    assert!(all.contains("RouterOSPassword = (none)"));
    assert!(all.contains("SourceRate = off"), "{all}");
}
