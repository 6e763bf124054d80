//! The tray as a desktop sees it, on Linux: tests/tray/harness.py runs under
//! `dbus-run-session` with Xvfb, a StatusNotifierWatcher and a mock notification daemon, and
//! drives nf-svc's menu over D-Bus (register, menu items, Pause/resume, summary toast, Start at
//! login, second instance, live settings, broken settings, error icon and recovery, first run,
//! no notification service, SIGTERM, Quit with partial summaries), and a tray started while a
//! console collector runs: it attaches as that collector's companion.
#![cfg(target_os = "linux")]

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

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
    let dir = tempfile::tempdir().unwrap();
    let out_path = dir.path().join("harness.out");
    // Its own session (setsid: no terminal, one process group), so whatever it leaves is
    // killed below as one group. Its lines print live (CI's log shows how far it got) and go
    // to out_path, which is checked below.
    let mut child = Command::new("setsid")
        .args([
            "--wait",
            "dbus-run-session",
            "--",
            "/usr/bin/python3",
            harness,
            env!("CARGO_BIN_EXE_nf-svc"),
        ])
        .arg(&out_path)
        .env_remove("DBUS_SESSION_BUS_ADDRESS")
        .env_remove("DISPLAY")
        .stdin(Stdio::null())
        .spawn()
        .unwrap();
    let session = child.id() as libc::pid_t;
    assert!(session > 1);
    let end = Instant::now() + Duration::from_secs(300);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break Some(s);
        }
        if Instant::now() > end {
            break None;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    // Whatever the harness left (on a timeout: all of it): its session's process group.
    // SAFETY: a plain syscall; the group number is > 1, never "every process".
    unsafe {
        libc::killpg(session, libc::SIGKILL);
    }
    let _ = child.wait();
    let text = std::fs::read_to_string(&out_path).unwrap_or_default();
    let checks: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("ok:") || l.starts_with("FAIL:"))
        .collect();
    println!("{}", checks.join("\n"));
    assert!(
        status.is_some_and(|s| s.success()) && text.contains("tray harness: all checks passed"),
        "harness failed or timed out:\n{text}"
    );
    assert!(checks.len() >= 34, "every check ran");
}
