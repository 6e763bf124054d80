//! Links planted in a log folder others may write to, against the real program: nf-svc writes
//! through none of them. A link in place of a temporary file or the history is not followed
//! (the history is refused and said; collecting goes on); a link in place of the service log
//! stops the start with exit 3 and the file named. The folder being writable by others is
//! said at start.

#![cfg(unix)]

mod common;

use common::Collector;
use common::netflow::v5;
use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::Path;
use std::time::Duration;

/// A log folder every user may write to, in a fresh ini folder, with `victim` beside it.
fn open_folder() -> (tempfile::TempDir, std::path::PathBuf, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let logs = dir.path().join("logs");
    std::fs::create_dir(&logs).unwrap();
    std::fs::set_permissions(&logs, std::fs::Permissions::from_mode(0o777)).unwrap();
    let victim = dir.path().join("victim");
    std::fs::write(&victim, "precious").unwrap();
    (dir, logs, victim)
}

fn unchanged(victim: &Path) {
    assert_eq!(std::fs::read_to_string(victim).unwrap(), "precious");
}

#[test]
fn links_for_temporary_files_and_the_history_are_not_followed() {
    let (dir, logs, victim) = open_folder();
    for name in [
        "latest-summary.txt.tmp",
        "report.html.tmp",
        "nf-svc-history.sqlite",
        "nf-svc-history.sqlite-wal",
    ] {
        symlink(&victim, logs.join(name)).unwrap();
    }
    let mut c = Collector::start_in(dir, "[Summary]\nIntervals = 2s\n", &[]);
    let flow = ([192, 168, 0, 82], [192, 168, 0, 1], 40000, 631, 6, 5000, 5);
    c.send(&[v5(0, common::now_secs(), 0, &[flow])]);
    let latest = logs.join("latest-summary.txt");
    let end = std::time::Instant::now() + Duration::from_secs(10);
    while !std::fs::read_to_string(&latest).is_ok_and(|t| t.contains("192.168.0.82")) {
        assert!(
            std::time::Instant::now() < end,
            "a summary was written: {}",
            c.stderr()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(c.interrupt().success());
    unchanged(&victim);
    let log = c.log("nf-svc.log");
    assert!(
        log.contains("nf-svc-history.sqlite is a link; nf-svc does not write through it"),
        "{log}"
    );
    assert!(log.contains("may be written by every user"), "{log}");
    assert!(std::fs::symlink_metadata(logs.join("latest-summary.txt.tmp")).is_err());
}

#[test]
fn a_link_in_place_of_the_service_log_stops_the_start_and_names_it() {
    let (dir, logs, victim) = open_folder();
    symlink(&victim, logs.join("nf-svc.log")).unwrap();
    let port = common::free_udp_port();
    let ini = format!("[Settings]\nPort = {port}\nListen = 127.0.0.1\n");
    std::fs::write(dir.path().join("nf-svc.ini"), ini).unwrap();
    let mut cmd = std::process::Command::new(common::exe());
    cmd.args(["--headless", "--config"])
        .arg(dir.path().join("nf-svc.ini"))
        .env("XDG_RUNTIME_DIR", dir.path());
    // It must refuse at once; one that starts anyway is stopped, and the test fails.
    let (code, err) = common::run_briefly(&mut cmd, Duration::from_secs(20));
    assert_eq!(code, Some(3), "{err}");
    assert!(
        err.contains("nf-svc.log is a link; nf-svc does not write through it"),
        "{err}"
    );
    unchanged(&victim);
}
