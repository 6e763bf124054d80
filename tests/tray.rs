//! The tray as a desktop sees it, on Linux: tests/tray/harness.py runs under
//! `dbus-run-session` with Xvfb, a StatusNotifierWatcher and a mock notification daemon, and
//! drives nf-svc's menu over D-Bus (register, menu items, Pause/resume, summary toast, Start at
//! login, second instance, live settings, broken settings, Quit with partial summaries).
#![cfg(target_os = "linux")]

use std::process::Command;

#[test]
fn tray_menu_toasts_and_settings_under_a_headless_desktop() {
    for tool in [
        "/usr/bin/Xvfb",
        "/usr/bin/dbus-run-session",
        "/usr/libexec/ayatana-indicator-application/ayatana-indicator-application-service",
    ] {
        assert!(
            std::path::Path::new(tool).exists(),
            "{tool} is required (apt install xvfb dbus ayatana-indicator-application python3-dbusmock python3-dbus; .ci/run installs them)"
        );
    }
    let harness = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/tray/harness.py");
    let out = Command::new("timeout")
        .args([
            "300",
            "dbus-run-session",
            "--",
            "/usr/bin/python3",
            harness,
            env!("CARGO_BIN_EXE_nf-svc"),
        ])
        .env_remove("DBUS_SESSION_BUS_ADDRESS")
        .env_remove("DISPLAY")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let checks: Vec<&str> = stdout
        .lines()
        .filter(|l| l.starts_with("ok:") || l.starts_with("FAIL:"))
        .collect();
    println!("{}", checks.join("\n"));
    assert!(
        out.status.success() && stdout.contains("tray harness: all checks passed"),
        "harness failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(checks.len() >= 20, "every check ran");
}
