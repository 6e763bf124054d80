//! installer/linux: the systemd user unit and the .desktop file are valid for the tools that
//! read them (systemd-analyze, desktop-file-validate), and what they promise matches the exe:
//! the unit runs the collector headless and stops retrying on the settings exit status; the
//! desktop entry starts the tray (no arguments). That SIGTERM (the unit's KillSignal) writes
//! the partial summaries and that bad settings exit 2 is tested in tests/headless.rs.
#![cfg(target_os = "linux")]

use nf_svc::app::cli::{Cli, EXIT_SETTINGS};
use std::path::Path;
use std::process::Command;

const UNIT: &str = include_str!("../installer/linux/nf-svc.service");
const DESKTOP: &str = include_str!("../installer/linux/nf-svc.desktop");

fn require(tool: &str, package: &str) {
    assert!(
        Path::new(tool).exists(),
        "{tool} is required (apt install {package}; .ci/run installs it)"
    );
}

/// The value of `key=` in an ini-style file (first occurrence).
fn value<'a>(text: &'a str, key: &str) -> &'a str {
    text.lines()
        .find_map(|l| l.strip_prefix(key)?.strip_prefix('='))
        .unwrap_or_else(|| panic!("{key}= missing"))
        .trim()
}

/// Run a validator; it must succeed and say nothing (systemd-analyze only warns about
/// unknown keys, with status 0).
fn clean(cmd: &mut Command) {
    let out = cmd.output().unwrap();
    let said =
        String::from_utf8_lossy(&out.stderr).to_string() + &String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && said.trim().is_empty(),
        "{cmd:?}:\n{said}"
    );
}

#[test]
fn systemd_unit_is_valid_and_runs_the_collector_headless() {
    require("/usr/bin/systemd-analyze", "systemd");
    let exec: Vec<&str> = value(UNIT, "ExecStart").split_whitespace().collect();
    assert_eq!(exec[0], "/usr/bin/nf-svc");
    // The arguments are ones the exe takes, and they mean headless.
    let cli = Cli::try_parse_args_from(exec.iter().copied()).unwrap();
    assert!(cli.headless && cli.config.is_none(), "{exec:?}");
    assert_eq!(value(UNIT, "KillSignal"), "SIGTERM");
    assert_eq!(
        value(UNIT, "RestartPreventExitStatus"),
        EXIT_SETTINGS.to_string()
    );

    // systemd checks that ExecStart is executable: point it at the built exe.
    let dir = tempfile::tempdir().unwrap();
    let unit = dir.path().join("nf-svc.service");
    std::fs::write(
        &unit,
        UNIT.replace("/usr/bin/nf-svc", env!("CARGO_BIN_EXE_nf-svc")),
    )
    .unwrap();
    clean(Command::new("systemd-analyze").arg("verify").arg(&unit));
}

#[test]
fn desktop_entry_is_valid_and_starts_the_tray() {
    require("/usr/bin/desktop-file-validate", "desktop-file-utils");
    clean(Command::new("desktop-file-validate").arg(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/installer/linux/nf-svc.desktop"
    )));
    let cli = Cli::try_parse_args_from(value(DESKTOP, "Exec").split_whitespace()).unwrap();
    assert!(!cli.headless && cli.config.is_none());
}
