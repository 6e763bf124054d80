//! The history store end to end: minutes equal the summaries, a hard kill loses at most the
//! minute in progress, a restart continues the file, stored baselines serve the spike rule at start, a
//! damaged or unwritable store never stops collecting, `nf-svc export` reads it all, and the
//! collector remakes its report page after each summary.

mod common;

use common::netflow::v5;
use nf_svc::alerts::Rule;
use nf_svc::core::{self, Event};
use nf_svc::history::minute::{HostCounts, MinuteRows, SensorCounts};
use nf_svc::history::writer::{self, Job};
use nf_svc::history::{query, store};
use nf_svc::settings::HISTORY_FILE;
use std::collections::HashMap;
use std::net::{IpAddr, UdpSocket};
use std::path::Path;
use std::time::{Duration, Instant};

use common::now_secs;

use common::settings_in;

fn ip(a: [u8; 4]) -> IpAddr {
    IpAddr::from(a)
}

/// Every minute of `host` in the store, summed.
fn stored_total(path: &Path, host: IpAddr) -> HostCounts {
    let conn = store::open_for_reading(path).unwrap();
    let mut t = HostCounts::default();
    for (_, c) in query::host_minutes(&conn, host, 0, i64::MAX).unwrap() {
        t.merge(&c);
    }
    t
}

#[test]
fn stored_minutes_equal_the_summary_totals() {
    let dir = tempfile::tempdir().unwrap();
    let s = settings_in(dir.path(), "[Summary]\nIntervals = 1h\nTopCount = 1000\n");
    let target = ("127.0.0.1", s.receive.ports[0]);
    let handle = core::start(s.clone()).expect("starts");
    let mut events = handle.events();
    let sender = UdpSocket::bind("127.0.0.1:0").unwrap();
    let t = now_secs();
    let hosts = [
        [192, 168, 0, 82],
        [192, 168, 0, 83],
        [10, 0, 0, 1],
        [224, 0, 0, 251],
    ];
    for seq in 0..40u32 {
        let i = seq as usize;
        let flows = [
            (
                hosts[i % 3],
                hosts[(i + 1) % 4],
                40000 + seq as u16,
                631,
                6,
                1000 + seq * 7,
                3,
            ),
            (
                hosts[(i + 2) % 4],
                hosts[i % 2],
                5353,
                5353,
                17,
                200 + seq,
                1,
            ),
        ];
        sender.send_to(&v5(seq * 2, t, 0, &flows), target).unwrap();
    }
    let end = Instant::now() + Duration::from_secs(10);
    while handle
        .status()
        .unwrap()
        .exporters
        .first()
        .map(|e| e.records)
        != Some(80)
    {
        assert!(Instant::now() < end, "not all records counted");
        std::thread::sleep(Duration::from_millis(20));
    }
    handle.shutdown();
    // The partial 1-hour summary, as the logs got it.
    let mut report = None;
    while let Ok(e) = events.try_recv() {
        if let Event::SummaryReady(r) = e
            && r.interval == Duration::from_secs(3600)
        {
            report = Some(r);
        }
    }
    let report = report.expect("the partial summary");
    let mut expected: HashMap<IpAddr, (u64, u64)> = HashMap::new();
    for row in report.exporters.iter().flat_map(|e| &e.rows) {
        expected.entry(row.src.ip().unwrap()).or_default().0 += row.bytes;
        expected.entry(row.dst.ip().unwrap()).or_default().1 += row.bytes;
    }
    assert_eq!(expected.len(), 4);
    let path = s.history.path.clone();
    for (host, (sent, received)) in expected {
        let got = stored_total(&path, host);
        assert_eq!(
            (got.sent_bytes, got.received_bytes),
            (sent, received),
            "{host}"
        );
    }
    // The sensor's total and the collector minute are there too.
    let conn = store::open_for_reading(&path).unwrap();
    let sensors = query::sensor_minutes(&conn, 0, i64::MAX).unwrap();
    assert_eq!(sensors.iter().map(|s| s.2.flows).sum::<u64>(), 80);
    assert_eq!(sensors[0].1, "127.0.0.1");
    let minutes: i64 = conn
        .query_row("SELECT count(*) FROM collector_minutes", [], |r| r.get(0))
        .unwrap();
    assert!(minutes >= 1);
    let exporters: (String, i64) = conn
        .query_row("SELECT protocol, records FROM exporters", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap();
    assert_eq!(exporters, ("NETFLOW_V5".to_string(), 80));
    // The five-minute conversations (counted for the history; not one of this ini's
    // intervals) hold the same bytes as the summary.
    let conversations: i64 = conn
        .query_row(
            "SELECT coalesce(sum(bytes), 0) FROM conversations",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(conversations as u64, report.total_bytes());
}

/// Fill a store with `minutes` minutes of `host` sending `bytes` a minute, up to now.
fn quiet_history(path: &Path, sensor: IpAddr, host: IpAddr, minutes: i64, bytes: u64) {
    let mut conn = store::open_for_writing(path).unwrap().conn;
    let now = now_secs() as i64 / 60 * 60;
    for m in 0..minutes {
        let rows = MinuteRows {
            start: now - (minutes - m) * 60,
            beyond_bound: 0,
            sensors: vec![(
                sensor,
                SensorCounts {
                    bytes,
                    packets: 10,
                    flows: 1,
                    sampling_rate: 1,
                },
            )],
            hosts: vec![(
                sensor,
                Some(host),
                HostCounts {
                    sent_bytes: bytes,
                    sent_packets: 10,
                    flows: 1,
                    ..Default::default()
                },
            )],
        };
        writer::write(&mut conn, &Job::Minute(rows)).unwrap();
    }
}

/// Start a core with spike alerts only, send a 20 MB burst from the printer, and say whether
/// a spike incident for it arrives within `wait`. With a `seed` file in `dir`, the store first
/// holds an hour of the printer's quiet minutes, written as a previous run's writer writes
/// them (a real previous run would take the hour the baseline needs).
fn spike_after_start(dir: &Path, wait: Duration) -> bool {
    let s = settings_in(
        dir,
        "[Alerts]\nWindow = 12s\nSpikeFactor = 5\nSpikeFloor = 100 kbit/s\nBaseline = 1h\nSilentAfter = 0\n",
    );
    if dir.join("seed").exists() {
        quiet_history(
            &s.history.path,
            ip([127, 0, 0, 1]),
            ip([192, 168, 0, 82]),
            70,
            10_000,
        );
    }
    let handle = core::start(s.clone()).expect("starts");
    let mut events = handle.events();
    let sender = UdpSocket::bind("127.0.0.1:0").unwrap();
    let burst = [(
        [192, 168, 0, 82],
        [192, 168, 0, 255],
        137,
        137,
        17,
        20_000_000,
        14_000,
    )];
    sender
        .send_to(
            &v5(0, now_secs(), 0, &burst),
            ("127.0.0.1", s.receive.ports[0]),
        )
        .unwrap();
    let end = Instant::now() + wait;
    let mut seen = false;
    while Instant::now() < end && !seen {
        while let Ok(e) = events.try_recv() {
            if let Event::Incident(i) = e
                && i.rule == Rule::Spike
                && i.host == ip([192, 168, 0, 82])
            {
                assert!(i.usual.is_some());
                seen = true;
            }
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    handle.shutdown();
    seen
}

#[test]
fn a_spike_right_after_start_is_caught_from_the_baseline_a_previous_run_stored() {
    let seeded = tempfile::tempdir().unwrap();
    std::fs::write(seeded.path().join("seed"), "").unwrap();
    assert!(
        spike_after_start(seeded.path(), Duration::from_secs(8)),
        "an hour of quiet history: the burst is a spike at once"
    );
    let fresh = tempfile::tempdir().unwrap();
    assert!(
        !spike_after_start(fresh.path(), Duration::from_secs(5)),
        "without history the host is still being learned"
    );
}

#[test]
fn a_damaged_or_unwritable_store_never_stops_collecting() {
    for damaged in [true, false] {
        let dir = tempfile::tempdir().unwrap();
        let s = settings_in(dir.path(), "");
        std::fs::create_dir_all(&s.logs.dir).unwrap();
        let path = s.history.path.clone();
        if damaged {
            std::fs::write(&path, "not a database at all, not at all ".repeat(300)).unwrap();
        } else {
            // A folder where the file should be: nothing can be written there.
            std::fs::create_dir(&path).unwrap();
        }
        let handle = core::start(s.clone()).expect("starts");
        let mut events = handle.events();
        let sender = UdpSocket::bind("127.0.0.1:0").unwrap();
        let flows = [([10, 0, 0, 1], [10, 0, 0, 2], 1, 53, 17, 100, 1)];
        sender
            .send_to(
                &v5(0, now_secs(), 0, &flows),
                ("127.0.0.1", s.receive.ports[0]),
            )
            .unwrap();
        let end = Instant::now() + Duration::from_secs(10);
        let mut problem = None;
        while problem.is_none() && Instant::now() < end {
            while let Ok(e) = events.try_recv() {
                if let Event::Problem(p) = e {
                    problem = Some(p);
                }
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let problem = problem.expect("the user is told");
        let st = handle.status().unwrap();
        assert_eq!(st.exporters[0].records, 1, "collecting goes on");
        handle.shutdown();
        if damaged {
            assert!(
                problem.contains("was damaged") && problem.contains(HISTORY_FILE),
                "{problem}"
            );
            let aside = std::fs::read_dir(&s.logs.dir)
                .unwrap()
                .flatten()
                .any(|e| e.file_name().to_string_lossy().contains(".corrupt-"));
            assert!(aside, "moved aside");
            assert_eq!(
                stored_total(&path, ip([10, 0, 0, 1])).sent_bytes,
                100,
                "a new store"
            );
        } else {
            assert!(
                problem.starts_with("history is off: cannot open"),
                "{problem}"
            );
            assert!(problem.contains("collecting goes on"), "{problem}");
        }
    }
}

/// `nf-svc export ARGS`.
#[cfg(unix)]
fn export(c: &common::Collector, args: &[&str]) -> (i32, String, String) {
    subcommand(c, "export", args)
}

/// `nf-svc <command> ARGS --config <the collector's ini>`: (status, stdout, stderr).
#[cfg(unix)]
fn subcommand(c: &common::Collector, command: &str, args: &[&str]) -> (i32, String, String) {
    c.subcommand(command, args)
}

/// The minutes with traffic in an export: (time, sent bytes).
#[cfg(unix)]
fn exported(csv: &str) -> Vec<(String, u64)> {
    csv.lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (f[0].to_string(), f[1].parse().unwrap())
        })
        .collect()
}

#[cfg(unix)]
#[test]
fn a_hard_kill_loses_at_most_the_minute_in_progress_and_export_reads_the_rest() {
    let c = common::Collector::start("[Summary]\nIntervals = 1h\n");
    let before = now_secs();
    let flows = [([10, 9, 0, 1], [10, 9, 0, 2], 4000, 80, 6, 123_456, 90)];
    c.send(&[v5(0, before, 0, &flows)]);
    // Wait for the minute to end and be written (a finished minute is stored at once).
    let minute_end = (before / 60 + 1) * 60;
    let end = Instant::now() + Duration::from_secs(80);
    loop {
        let (code, csv, err) = export(&c, &["--host", "10.9.0.1", "--from", "-10m"]);
        if code == 0 && !exported(&csv).is_empty() {
            assert!(now_secs() >= minute_end);
            break;
        }
        assert!(
            Instant::now() < end,
            "the finished minute was not stored: {code} {csv} {err}"
        );
        std::thread::sleep(Duration::from_millis(250));
    }
    // kill -9, start again on the same folder: the file is opened, checked and continued.
    let c = c.kill_and_restart();
    assert!(!c.stderr().contains("damaged"), "{}", c.stderr());
    c.send(&[v5(
        1,
        now_secs(),
        0,
        &[([10, 9, 0, 1], [10, 9, 0, 2], 4000, 80, 6, 1000, 1)],
    )]);
    assert!(
        c.wait_stderr("exporter 127.0.0.1 first seen", Duration::from_secs(10)),
        "{}",
        c.stderr()
    );
    let mut c = c;
    assert!(c.interrupt().success());
    let (code, csv, _) = export(
        &c,
        &["--host", "10.9.0.1", "--from", "-10m", "--step", "1h"],
    );
    assert_eq!(code, 0);
    let rows = exported(&csv);
    assert_eq!(
        rows.iter().map(|r| r.1).sum::<u64>(),
        124_456,
        "the minute before the kill and the partial one after the restart: {csv}\n{}\n{:?}\n{:?}\n{}",
        c.stderr(),
        export(&c, &["--sensors", "--from", "-10m"]),
        std::fs::read_dir(c.log_dir())
            .unwrap()
            .flatten()
            .map(|e| (e.file_name(), e.metadata().unwrap().len()))
            .collect::<Vec<_>>(),
        c.log("nf-svc.log")
    );
    assert!(csv.starts_with(
        "time,sent_bytes,received_bytes,sent_packets,received_packets,flows,host,name,vendor,minutes_collected\n"
    ));
    // Every minute row carries a local time with its offset.
    let (_, per_minute, _) = export(&c, &["--host", "10.9.0.1", "--from", "-10m"]);
    for (time, _) in exported(&per_minute) {
        let t = chrono::DateTime::parse_from_rfc3339(&time).expect("ISO 8601 with offset");
        assert_eq!(t.timestamp() % 60, 0, "{time} starts a minute");
    }
    // JSON, sensors, an unknown host, bad arguments.
    let (code, json, _) = export(
        &c,
        &["--host", "10.9.0.2", "--from", "-10m", "--format", "json"],
    );
    assert_eq!(code, 0);
    assert!(
        json.starts_with("[\n{\"time\":\"") && json.contains("\"received_bytes\":"),
        "{json}"
    );
    let (code, sensors, _) = export(&c, &["--sensors", "--from", "-10m", "--step", "1d"]);
    assert_eq!(code, 0);
    assert!(
        sensors.starts_with("time,sensor,bytes,packets,flows,name,minutes_collected\n"),
        "{sensors}"
    );
    let totals = sensors.lines().skip(1).fold((0u64, 0u64, 0u64), |t, l| {
        let f: Vec<&str> = l.split(',').collect();
        assert_eq!(f[1], "127.0.0.1");
        (
            t.0 + f[2].parse::<u64>().unwrap(),
            t.1 + f[3].parse::<u64>().unwrap(),
            t.2 + f[4].parse::<u64>().unwrap(),
        )
    });
    assert_eq!(totals, (124_456, 91, 2), "{sensors}");
    let (code, unknown, _) = export(&c, &["--host", "10.200.0.1"]);
    assert_eq!(
        (code, unknown.lines().count()),
        (0, 1),
        "header only: {unknown}"
    );
    let (code, _, err) = export(&c, &["--host", "10.9.0.1", "--from", "last tuesday"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("--from") && err.contains("last tuesday"),
        "{err}"
    );
    let (code, _, err) = export(&c, &["--host", "10.9.0.1", "--from", "-1h", "--to", "-2h"]);
    assert_eq!(code, 2);
    assert!(err.contains("must be before"), "{err}");
    // nf-svc report: the overview and a device report from the same store.
    let report = |args: &[&str]| {
        let (code, out, err) = subcommand(&c, "report", args);
        (code, out.trim().to_string(), err)
    };
    let (code, path, err) = report(&[]);
    assert_eq!(code, 0, "{err}");
    assert!(path.ends_with("report.html"), "{path}");
    let page = std::fs::read_to_string(&path).unwrap();
    assert!(page.contains("<h1>Network traffic</h1>") && page.contains("127.0.0.1"));
    let (code, path, err) = report(&["--host", "10.9.0.1", "--from", "-10m"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        path.contains("reports") && path.ends_with(".html"),
        "{path}"
    );
    let csv = std::fs::read_to_string(Path::new(&path).with_extension("csv")).unwrap();
    let sent: u64 = csv
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(1).unwrap().parse::<u64>().unwrap())
        .sum();
    assert_eq!(sent, 124_456, "{csv}");
    let (code, _, err) = report(&["--from", "-1h"]);
    assert_eq!(code, 2, "--from needs --host: {err}");
}

/// The collector makes `report.html` again after each summary (once the summary is written),
/// with that summary's top conversations in it.
#[test]
fn the_collector_remakes_its_report_page_after_each_summary() {
    let dir = tempfile::tempdir().unwrap();
    let s = settings_in(dir.path(), "[Summary]\nIntervals = 2s\n");
    let target = ("127.0.0.1", s.receive.ports[0]);
    let page = s.logs.dir.join("report.html");
    let handle = core::start(s.clone()).expect("starts");
    let sender = UdpSocket::bind("127.0.0.1:0").unwrap();
    let read_page_with = |text: &str| {
        let end = Instant::now() + Duration::from_secs(10);
        loop {
            if let Ok(html) = std::fs::read_to_string(&page)
                && html.contains(text)
            {
                return html;
            }
            assert!(Instant::now() < end, "no report.html with {text}");
            std::thread::sleep(Duration::from_millis(50));
        }
    };
    let flow = |src: [u8; 4]| (src, [192, 168, 0, 1], 40000, 631, 6, 5000, 5);
    sender
        .send_to(&v5(0, now_secs(), 0, &[flow([192, 168, 0, 82])]), target)
        .unwrap();
    let html = read_page_with("192.168.0.82");
    assert!(
        html.contains("Last 2 s summary"),
        "the summary's conversations"
    );
    assert!(html.contains("ipp"), "the service by name");
    // The next summaries bring the next conversations.
    sender
        .send_to(&v5(1, now_secs(), 0, &[flow([192, 168, 0, 77])]), target)
        .unwrap();
    read_page_with("192.168.0.77");
    handle.shutdown();
}

/// Templates survive a restart: after nf-svc stops and starts again, an exporter's data
/// decodes before the exporter sends its template again (MikroTik: every 20 datagrams, others
/// every few minutes), so nothing after the restart waits or is lost.
#[cfg(unix)]
#[test]
fn data_after_a_restart_decodes_with_the_templates_kept_from_the_last_run() {
    use common::netflow::{FLOW_FIELDS, Set, flow, v9};
    let c = common::Collector::start("");
    // One exporter: the same address and port before and after the restart.
    let exporter = UdpSocket::bind("127.0.0.1:0").unwrap();
    let now = common::now_secs();
    let template = v9(1, 1, now, 1000, &[Set::Template(256, &FLOW_FIELDS)]);
    let data = |seq, src| {
        let f = flow(src, [10, 1, 0, 1], 17, 40000, 53, 4321, 3);
        v9(1, seq, now, 1000, &[Set::Data(256, vec![f])])
    };
    exporter.send_to(&template, c.addr()).unwrap();
    exporter
        .send_to(&data(2, [10, 66, 0, 1]), c.addr())
        .unwrap();
    assert!(c.wait_dump_lines(1, Duration::from_secs(10)));
    let c = c.interrupt_and_restart();
    assert!(
        c.stderr()
            .contains("templates: 1 template set(s) of 1 exporter(s) kept from the last run"),
        "{}",
        c.stderr()
    );
    exporter
        .send_to(&data(3, [10, 66, 0, 3]), c.addr())
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while !c.log("nf-svc-netflow.log").contains("SrcAddr:10.66.0.3") && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    let dump = c.log("nf-svc-netflow.log");
    assert!(
        dump.contains("SrcAddr:10.66.0.3") && dump.contains("Bytes:4321"),
        "data after the restart, no template sent: {dump}\n{}",
        c.stderr()
    );
}

/// A store with a bad page at start: it is set aside, a new one started, and while the
/// collector runs every row that can still be read is copied into the new one — here all of
/// a host's 600 minutes but those on the one bad page.
#[test]
fn a_store_with_a_bad_page_is_recovered_into_the_new_one() {
    let dir = tempfile::tempdir().unwrap();
    let s = settings_in(dir.path(), "");
    std::fs::create_dir_all(&s.logs.dir).unwrap();
    let path = s.history.path.clone();
    let (sensor, host) = (ip([192, 168, 255, 10]), ip([10, 0, 0, 7]));
    quiet_history(&path, sensor, host, 600, 1000);
    {
        // A leaf in the middle of the hosts' table overwritten.
        let conn = store::open_for_writing(&path).unwrap().conn;
        let (page, size): (i64, i64) = conn
            .query_row(
                "SELECT pageno, pgsize FROM dbstat WHERE name = 'host_minutes' AND pagetype = 'leaf' \
                 ORDER BY pageno LIMIT 1 OFFSET (SELECT count(*) / 2 FROM dbstat \
                 WHERE name = 'host_minutes' AND pagetype = 'leaf')",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        drop(conn);
        let mut bytes = std::fs::read(&path).unwrap();
        let at = ((page - 1) * size) as usize;
        bytes[at..at + size as usize].fill(0xa5);
        std::fs::write(&path, bytes).unwrap();
    }
    let handle = core::start(s.clone()).expect("starts");
    let end = Instant::now() + Duration::from_secs(20);
    let recovered = || {
        store::open_for_reading(&path)
            .ok()
            .and_then(|c| query::host_minutes(&c, host, 0, i64::MAX).ok())
            .map_or(0, |m| m.len())
    };
    while recovered() < 500 && Instant::now() < end {
        std::thread::sleep(Duration::from_millis(100));
    }
    handle.shutdown();
    let back = recovered();
    assert!((500..600).contains(&back), "{back} of 600 minutes back");
    assert_eq!(stored_total(&path, host).sent_bytes, back as u64 * 1000);
}
