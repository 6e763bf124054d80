//! The status endpoint of a headless collector, as a companion tray and `nf-svc status` use
//! it: a real process, its Unix socket, JSON lines.
#![cfg(unix)]

mod common;

use common::netflow::v5;
use common::{Collector, now_secs};
use nf_svc::companion::attach;
use nf_svc::companion::serve::{CLIENTS, REPORTS_PER_MINUTE, REQUEST_MAX};
use nf_svc::companion::wire::{Message, Notice, Request, Snapshot};
use nf_svc::report::Page;
use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::mpsc;
use std::time::{Duration, Instant};

const WAIT: Duration = Duration::from_secs(20);

fn endpoint(c: &Collector) -> PathBuf {
    c.dir.path().join("nf-svc-status.sock")
}

fn status_command(runtime_dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(common::exe())
        .arg("status")
        .args(args)
        .env("XDG_RUNTIME_DIR", runtime_dir)
        .env_remove("RUNTIME_DIRECTORY")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn snapshot(c: &Collector) -> Snapshot {
    match attach::ask(&endpoint(c), &Request::Status).unwrap() {
        Message::Snapshot(s) => *s,
        m => panic!("not a snapshot: {m:?}"),
    }
}

fn wait_for(what: &str, mut f: impl FnMut() -> bool) {
    let end = Instant::now() + WAIT;
    while !f() {
        assert!(Instant::now() < end, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn status_pause_report_and_watch_through_the_endpoint() {
    let mut c = Collector::start("[Summary]\nIntervals = 2s, 1h\n[Tray]\nSummaryToasts = 2s\n");
    assert!(c.wait_stderr("status endpoint: ", WAIT), "{}", c.stderr());
    // `nf-svc status`, as a person runs it.
    let (code, out, err) = status_command(c.dir.path(), &[]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("running as headless"), "{out}");
    assert!(
        out.contains(&format!("listening on UDP 127.0.0.1:{}", c.port)),
        "{out}"
    );
    assert!(out.contains("sensors: none yet"), "{out}");

    // A watching client: a snapshot at once, then notices as they happen.
    let (tx, rx) = mpsc::channel();
    let path = endpoint(&c);
    std::thread::spawn(move || {
        let _ = attach::watch(&path, |m| {
            let _ = tx.send(m);
        });
        let _ = tx.send(Message::Done(Err("watch ended".into())));
    });
    match rx.recv_timeout(WAIT).unwrap() {
        Message::Snapshot(s) => assert_eq!(s.mode, "headless"),
        m => panic!("first line is not a snapshot: {m:?}"),
    }
    // The first period after the start is partial (not toasted): a flow every second until
    // a whole period has one.
    let end = Instant::now() + WAIT;
    let (mut toast, mut sensor_seen, mut seq) = (None, false, 0);
    while (toast.is_none() || !sensor_seen) && Instant::now() < end {
        c.send(&[v5(
            seq,
            now_secs(),
            0,
            &[(
                [192, 168, 0, 82],
                [224, 0, 0, 251],
                5353,
                5353,
                17,
                3_600_000,
                10,
            )],
        )]);
        seq += 1;
        let second = Instant::now() + Duration::from_secs(1);
        while let Ok(m) = rx.recv_timeout(second.saturating_duration_since(Instant::now())) {
            match m {
                Message::Notice(Notice::Toast { title, body, click })
                    if title.starts_with("Last 2 s") =>
                {
                    toast = Some((title, body, click))
                }
                Message::Snapshot(s) => {
                    sensor_seen |= s.sensors.iter().any(|e| e.kind.as_deref() == Some("v5"))
                }
                _ => {}
            }
        }
    }
    let (title, body, click) = toast.expect("a summary notice for the watching client");
    assert!(title.ends_with(" MB from 1 sensor"), "{title}");
    assert!(
        body.starts_with("top: 192.168.0.82 → mdns (224.0.0.251) "),
        "{body}"
    );
    assert_eq!(click, Some(Page::Overview));
    assert!(sensor_seen, "the sensor in a snapshot after the flow");
    let (_, out, _) = status_command(c.dir.path(), &["--json"]);
    let snap: Snapshot = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(snap.sensors.len(), 1, "{out}");
    assert_eq!(snap.sensors[0].addr.to_string(), "127.0.0.1");

    // Pause: the collector counts nothing until resumed.
    assert_eq!(
        attach::ask(&endpoint(&c), &Request::Pause).unwrap(),
        Message::Done(Ok(String::new()))
    );
    assert!(snapshot(&c).paused);
    // SAFETY: getuid has no preconditions.
    let uid = unsafe { libc::getuid() };
    let by = format!("capture paused (asked through the status endpoint by uid {uid} (pid ");
    assert!(
        c.wait_stderr(&by, WAIT),
        "who asked is logged: {}",
        c.stderr()
    );
    c.send(&[v5(
        seq,
        now_secs(),
        0,
        &[([10, 9, 9, 9], [10, 8, 8, 8], 1, 2, 17, 777, 1)],
    )]);
    std::thread::sleep(Duration::from_millis(500));
    attach::ask(&endpoint(&c), &Request::Resume).unwrap();
    assert!(!snapshot(&c).paused);
    c.send(&[v5(
        seq + 1,
        now_secs(),
        0,
        &[([10, 7, 7, 7], [10, 6, 6, 6], 1, 2, 17, 555, 1)],
    )]);
    wait_for("the flow after resume in the dump", || {
        c.log("nf-svc-netflow.log").contains("SrcAddr:10.7.7.7")
    });
    assert!(!c.log("nf-svc-netflow.log").contains("SrcAddr:10.9.9.9"));

    // A report, made by the collector in its own log folder.
    match attach::ask(&endpoint(&c), &Request::Report(Page::Overview)).unwrap() {
        Message::Done(Ok(p)) => {
            assert_eq!(Path::new(&p), c.log_dir().join("report.html"));
            let page = std::fs::read_to_string(&p).unwrap();
            assert!(
                page.contains("<h1>Network traffic</h1>"),
                "{}",
                &page[..300]
            );
        }
        m => panic!("report: {m:?}"),
    }

    // A saved ini is applied, as the tray does it.
    let ini = c.dir.path().join("nf-svc.ini");
    let mut text = std::fs::read_to_string(&ini).unwrap();
    text.push_str("\n[Summary]\nTopCount = 5\n");
    std::fs::write(&ini, text).unwrap();
    assert!(
        c.wait_stderr("settings reloaded from", WAIT),
        "{}",
        c.stderr()
    );
    assert!(c.wait_stderr("TopCount = 5;", WAIT), "{}", c.stderr());

    // Stopping closes the endpoint: the watcher's stream ends, the socket file goes.
    let status = c.interrupt();
    assert!(status.success());
    let end = Instant::now() + WAIT;
    let mut ended = false;
    while !ended && Instant::now() < end {
        if let Ok(Message::Done(Err(e))) = rx.recv_timeout(Duration::from_millis(500)) {
            ended = e == "watch ended";
        }
    }
    assert!(ended, "the watch ends when the collector stops");
    assert!(!endpoint(&c).exists(), "the socket file is removed");
    let (code, _, err) = status_command(c.dir.path(), &[]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("no collector is running"), "{err}");
}

#[test]
fn the_endpoint_bounds_what_a_client_costs() {
    let c = Collector::start("");
    assert!(c.wait_stderr("status endpoint: ", WAIT), "{}", c.stderr());
    let path = endpoint(&c);
    // Not a request: said so, and the connection ends.
    let mut s = UnixStream::connect(&path).unwrap();
    s.write_all(b"{\"format\":\"c:\"}\n").unwrap();
    let mut answer = String::new();
    s.read_to_string(&mut answer).unwrap();
    assert!(
        answer.starts_with("{\"done\":{\"Err\":\"not a request"),
        "{answer}"
    );
    // A request line past the bound is cut there: no answer but an error, no memory held.
    let mut s = UnixStream::connect(&path).unwrap();
    let long = vec![b' '; REQUEST_MAX as usize * 4];
    let _ = s.write_all(&long);
    let _ = s.write_all(b"\"status\"\n");
    let mut answer = String::new();
    let _ = s.read_to_string(&mut answer);
    assert!(!answer.contains("snapshot"), "{answer}");
    // Clients that say nothing take the slots; one more is turned away at once, and said
    // once; the slots come back as they leave.
    let idle: Vec<UnixStream> = (0..CLIENTS)
        .map(|_| UnixStream::connect(&path).unwrap())
        .collect();
    std::thread::sleep(Duration::from_millis(300));
    let extra = UnixStream::connect(&path).unwrap();
    extra
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let mut r = BufReader::new(&extra);
    let mut line = String::new();
    // Turned away may already mean closed: the write may fail.
    let _ = (&extra).write_all(b"\"status\"\n");
    assert_eq!(
        r.read_line(&mut line).unwrap_or(0),
        0,
        "turned away: {line}"
    );
    assert!(c.wait_stderr("clients at once", WAIT));
    drop(idle);
    wait_for("a slot again", || {
        matches!(
            attach::ask(&path, &Request::Status),
            Ok(Message::Snapshot(_))
        )
    });
    assert_eq!(c.stderr().matches("clients at once").count(), 1);
    // Pages: at most 30 a minute for all clients together, the rest refused and said once.
    let answers: Vec<Result<String, String>> = (0..REPORTS_PER_MINUTE + 5)
        .map(
            |_| match attach::ask(&path, &Request::Report(Page::Overview)).unwrap() {
                Message::Done(d) => d,
                m => panic!("{m:?}"),
            },
        )
        .collect();
    let refused = answers
        .iter()
        .filter(|a| {
            a.as_ref()
                .is_err_and(|e| e.starts_with("too many page requests"))
        })
        .count();
    assert_eq!(refused, 5, "{answers:?}");
    assert!(c.wait_stderr("page requests over 30 a minute are refused", WAIT));
    assert_eq!(
        c.stderr()
            .matches("are refused (the latest from uid")
            .count(),
        1
    );
}

/// A system unit's socket (systemd's `RuntimeDirectory`) is for the unit's user and group, not
/// for every local user (who could pause capture).
#[test]
fn a_system_units_socket_is_for_its_user_and_group_only() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let run = dir.path().join("run");
    std::fs::create_dir(&run).unwrap();
    let port = common::free_udp_port();
    let ini = dir.path().join("nf-svc.ini");
    std::fs::write(
        &ini,
        format!("[Settings]\nPort = {port}\nListen = 127.0.0.1\n"),
    )
    .unwrap();
    let mut child = Command::new(common::exe())
        .args(["--headless", "--config"])
        .arg(&ini)
        .env("RUNTIME_DIRECTORY", &run)
        .env("XDG_RUNTIME_DIR", dir.path())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let socket = run.join("status.sock");
    let mode = || {
        std::fs::metadata(&socket)
            .map(|m| m.permissions().mode() & 0o777)
            .unwrap_or(0)
    };
    // Bound first, then narrowed: wait for the mode to settle (0666 before this change).
    let end = Instant::now() + WAIT;
    while mode() != 0o660 && Instant::now() < end {
        std::thread::sleep(Duration::from_millis(50));
    }
    let got = mode();
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(got, 0o660, "{got:o}");
}
