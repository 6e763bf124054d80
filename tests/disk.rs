//! The logs on a bad disk, against the real program: a full disk (a 1 MB tmpfs, as root) is
//! said once per log, the summaries written meanwhile reach the file when space returns, and
//! no temporary file is left; a log folder that refuses new files makes rotation fail, which
//! is said once (as another user than root, since root ignores folder permissions).

#![cfg(target_os = "linux")]

mod common;

use common::Collector;
use common::netflow::{FLOW_FIELDS, Set, flow, v9};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

fn is_root() -> bool {
    // SAFETY: a plain syscall without arguments.
    unsafe { libc::geteuid() == 0 }
}

/// A template and `n` flows from `src`, with `pad` bytes per flow's address spread.
fn datagrams(seq: &mut u32, src: [u8; 4], n: usize) -> Vec<Vec<u8>> {
    let now = common::now_secs();
    let mut out = vec![v9(1, *seq, now, 1000, &[Set::Template(256, &FLOW_FIELDS)])];
    for chunk in (0..n).collect::<Vec<_>>().chunks(30) {
        *seq += 1;
        let records = chunk
            .iter()
            .map(|i| {
                flow(
                    src,
                    [10, 1, (i / 250) as u8, (i % 250) as u8],
                    17,
                    40000,
                    53,
                    500,
                    1,
                )
            })
            .collect();
        out.push(v9(1, *seq, now, 1000, &[Set::Data(256, records)]));
    }
    out
}

fn count(text: &str, needle: &str) -> usize {
    text.matches(needle).count()
}

fn wait_for(timeout: Duration, mut ok: impl FnMut() -> bool) -> bool {
    let end = Instant::now() + timeout;
    while Instant::now() < end {
        if ok() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    false
}

/// Fill the file system of `dir` with one file; returns its path.
fn fill(dir: &Path) -> std::path::PathBuf {
    use std::io::Write;
    let p = dir.join("filler");
    let mut f = std::fs::File::create(&p).unwrap();
    let block = vec![0u8; 4096];
    while f.write_all(&block).is_ok() {}
    let _ = f.sync_all();
    p
}

struct Mount(std::path::PathBuf);

impl Drop for Mount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

#[test]
fn a_full_disk_is_said_once_and_summaries_are_written_when_space_returns() {
    if !is_root() {
        return common::cannot_run("mounting a small tmpfs needs root");
    }
    let dir = tempfile::tempdir().unwrap();
    let logs = dir.path().join("logs");
    std::fs::create_dir(&logs).unwrap();
    let ok = Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=1m", "tmpfs"])
        .arg(&logs)
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        return common::cannot_run("cannot mount a tmpfs here");
    }
    let _mount = Mount(logs.clone());
    let c = Collector::start_in(
        dir,
        "SummaryIntervals = 2s\n[Logs]\nEnableNetFlowLog = 1\n",
        &[],
    );
    let mut seq = 1;
    let mut sent = 30;
    c.send(&datagrams(&mut seq, [10, 0, 0, 1], 30));
    assert!(c.wait_dump_lines(30, Duration::from_secs(10)));

    let filler = fill(&logs);
    // Flows for ~5 s while the disk is full: many dump writes and two or three summaries fail.
    let full_from = Instant::now();
    while full_from.elapsed() < Duration::from_secs(5) {
        c.send(&datagrams(&mut seq, [10, 9, 9, 9], 60));
        sent += 60;
        std::thread::sleep(Duration::from_millis(100));
    }
    let said = c.stderr();
    assert_eq!(count(&said, "cannot write the flow dump log"), 1, "{said}");
    assert_eq!(count(&said, "cannot write the summary log"), 1, "{said}");
    assert!(said.contains("No space left on device"), "{said}");

    std::fs::remove_file(&filler).unwrap();
    assert!(
        c.wait_stderr(
            "nf-svc-summary.log is written again",
            Duration::from_secs(10)
        ),
        "{}",
        c.stderr()
    );
    assert!(
        wait_for(Duration::from_secs(10), || {
            c.send(&datagrams(&mut seq, [10, 0, 0, 2], 30));
            sent += 30;
            std::thread::sleep(Duration::from_millis(200));
            c.stderr().contains("nf-svc-netflow.log is written again")
        }),
        "{}",
        c.stderr()
    );
    // The summaries of the full-disk seconds reached the file, and no entry is torn (a torn
    // one runs into the next entry's header on one line).
    let summaries = c.log("nf-svc-summary.log");
    assert!(summaries.contains("Src=10.9.9.9"), "{summaries}");
    for line in summaries.lines() {
        let headers = count(line, "*** Summary for");
        assert!(
            headers == 0 || (headers == 1 && line.starts_with("20")),
            "a torn entry: {line:?}"
        );
    }
    let said = c.stderr();
    assert_eq!(count(&said, "cannot write the flow dump log"), 1, "{said}");
    assert!(!logs.join("latest-summary.txt.tmp").exists());
    assert!(logs.join("latest-summary.txt").exists());
    // Every flow line is in the file or said as not written (at the recovery, or at the stop
    // for a disk that hovered at full), exactly.
    assert!(said.contains("lines not written"), "{said}");
    std::thread::sleep(Duration::from_secs(2));
    let mut c = c;
    assert!(c.interrupt().success());
    let said = c.stderr();
    let lost: usize = said
        .lines()
        .filter(|l| {
            l.contains("nf-svc-netflow.log is written again")
                || l.contains("nf-svc-netflow.log at the stop")
        })
        .filter_map(|l| {
            let n = l.split(", ").nth(1)?.split(" lines not written").next()?;
            n.replace(',', "").parse::<usize>().ok()
        })
        .sum();
    let dumped = count(&c.log("nf-svc-netflow.log"), "SrcAddr:");
    assert_eq!(
        dumped + lost,
        sent,
        "{dumped} in the file + {lost} said not written; {said}"
    );
    drop(c);
}

#[test]
fn a_log_folder_that_refuses_new_files_is_said_once_when_rotation_fails() {
    // As root, run nf-svc as nobody (root ignores a folder's permissions), from a copy in the
    // test's folder, which nobody can reach wherever the checkout is.
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
    let logs = dir.path().join("logs");
    let exe = dir.path().join("nf-svc");
    std::fs::copy(common::exe(), &exe).unwrap();
    let exe = exe.to_str().unwrap().to_string();
    let command: Vec<&str> = if is_root() {
        vec![
            "setpriv",
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            &exe,
        ]
    } else {
        vec![&exe]
    };
    let c = Collector::start_in(
        dir,
        "[Logs]\nEnableNetFlowLog = 1\nMaxFileSizeMB = 1\n",
        &command,
    );
    let mut seq = 1;
    c.send(&datagrams(&mut seq, [10, 0, 0, 1], 30));
    assert!(
        c.wait_dump_lines(30, Duration::from_secs(10)),
        "{}",
        c.stderr()
    );
    std::fs::set_permissions(&logs, std::fs::Permissions::from_mode(0o555)).unwrap();
    // ~3 MB of dump lines: past the 1 MB rotation size and the slack the check allows.
    let dump = logs.join("nf-svc-netflow.log");
    let size = || std::fs::metadata(&dump).map(|m| m.len()).unwrap_or(0);
    let grown = wait_for(Duration::from_secs(30), || {
        c.send(&datagrams(&mut seq, [10, 0, 0, 3], 900));
        std::thread::sleep(Duration::from_millis(20));
        size() > 2_400_000
    });
    assert!(grown, "the dump is {} bytes\n{}", size(), c.stderr());
    let said = wait_for(Duration::from_secs(5), || {
        c.stderr().contains("cannot rotate")
    });
    std::fs::set_permissions(&logs, std::fs::Permissions::from_mode(0o777)).unwrap();
    let text = c.stderr();
    assert!(said, "{text}");
    assert_eq!(count(&text, "cannot rotate"), 1, "{text}");
    assert!(text.contains("past MaxFileSizeMB = 1"), "{text}");
    assert!(text.contains("Permission denied"), "{text}");
    // Room to rotate again: the next write rotates and that is said.
    assert!(
        wait_for(Duration::from_secs(10), || {
            c.send(&datagrams(&mut seq, [10, 0, 0, 4], 30));
            c.stderr().contains("rotates again")
        }),
        "{}",
        c.stderr()
    );
    assert!(size() < 1_100_000, "rotated: {} bytes", size());
}

/// A log folder nf-svc may not create files in stops the start with exit 3 and the reason,
/// even when the logs already there could still be appended to.
#[test]
fn a_read_only_log_folder_at_start_exits_3_with_the_reason() {
    // As root, run nf-svc as nobody: root ignores a folder's permissions.
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
    let logs = dir.path().join("logs");
    std::fs::create_dir(&logs).unwrap();
    for name in ["nf-svc.log", "nf-svc-netflow.log", "nf-svc-summary.log"] {
        let f = logs.join(name);
        std::fs::write(&f, "").unwrap();
        std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o666)).unwrap();
        if is_root() {
            // Its own logs, which it could still append to.
            std::os::unix::fs::chown(&f, Some(65534), Some(65534)).unwrap();
        }
    }
    std::fs::set_permissions(&logs, std::fs::Permissions::from_mode(0o555)).unwrap();
    let exe = dir.path().join("nf-svc");
    std::fs::copy(common::exe(), &exe).unwrap();
    let ini = dir.path().join("nf-svc.ini");
    let port = common::free_udp_port();
    std::fs::write(
        &ini,
        format!("[Settings]\nPort = {port}\nListen = 127.0.0.1\n"),
    )
    .unwrap();
    std::fs::set_permissions(&ini, std::fs::Permissions::from_mode(0o644)).unwrap();
    let mut cmd = if is_root() {
        let mut c = Command::new("setpriv");
        c.args(["--reuid=65534", "--regid=65534", "--clear-groups"])
            .arg(&exe);
        c
    } else {
        Command::new(&exe)
    };
    cmd.args(["--headless", "--config"])
        .arg(&ini)
        .env("XDG_RUNTIME_DIR", dir.path());
    let (code, err) = common::run_briefly(&mut cmd, Duration::from_secs(20));
    std::fs::set_permissions(&logs, std::fs::Permissions::from_mode(0o777)).unwrap();
    assert_eq!(code, Some(3), "{err}");
    assert!(
        err.contains("cannot create files in the log folder"),
        "{err}"
    );
    assert!(err.contains("Permission denied"), "{err}");
}

/// The log folder deleted while nf-svc runs: within seconds every log and the history are
/// made again where they were, that is said for each, and the flows after it are in the new
/// files (before, everything went on into the deleted files, nothing said).
#[test]
fn a_log_folder_deleted_while_running_is_made_again_and_said() {
    let c = Collector::start("SummaryIntervals = 2s\n[Logs]\nEnableNetFlowLog = 1\n");
    // Quiet past a presence check: logs not written yet are not "gone".
    std::thread::sleep(nf_svc::sink::gone::EVERY + Duration::from_secs(1));
    assert!(!c.stderr().contains("was gone"), "{}", c.stderr());
    let mut seq = 1;
    c.send(&datagrams(&mut seq, [10, 0, 0, 1], 30));
    assert!(c.wait_dump_lines(30, Duration::from_secs(10)));
    let logs = c.log_dir();
    assert!(logs.join("nf-svc-history.sqlite").exists());
    std::fs::remove_dir_all(&logs).unwrap();
    let all_back = || {
        [
            "nf-svc.log",
            "nf-svc-netflow.log",
            "nf-svc-summary.log",
            "nf-svc-history.sqlite",
        ]
        .iter()
        .all(|f| logs.join(f).exists())
    };
    assert!(
        wait_for(Duration::from_secs(40), || {
            c.send(&datagrams(&mut seq, [10, 7, 7, 7], 30));
            std::thread::sleep(Duration::from_millis(300));
            all_back() && c.log("nf-svc-netflow.log").contains("SrcAddr:10.7.7.7")
        }),
        "{}",
        c.stderr()
    );
    let said = c.stderr();
    // Each is said: found gone and made again, or (when a write found it first) a failed
    // write and then "written again".
    for what in [
        "the service log",
        "the flow dump log",
        "the summary log",
        "the history",
    ] {
        let gone = said.lines().any(|l| {
            l.contains(&format!("{what} "))
                && l.contains("was gone (its folder deleted or replaced")
        });
        let failed_and_back = said.contains(&format!("cannot write {what} "))
            && said
                .lines()
                .any(|l| l.contains(&format!("] {what} ")) && l.contains("is written again"));
        assert!(gone || failed_and_back, "{what}: {said}");
    }
    let service_log = c.log("nf-svc.log");
    assert!(service_log.contains("was gone"), "{service_log}");
    assert!(
        wait_for(Duration::from_secs(10), || c
            .log("nf-svc-summary.log")
            .contains("Src=10.7.7.7")),
        "{}",
        c.log("nf-svc-summary.log")
    );
}
