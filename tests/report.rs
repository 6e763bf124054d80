//! The report pages, built from a fixture store on a controlled clock and loaded in real
//! headless Chromium (Debian `chromium`): the numbers in the DOM are the store's, the
//! screenshot is not blank, the device report prints on A4, and nothing outside the file is
//! referenced.

mod common;

use chrono::{DateTime, Duration as ChronoDuration, Local, TimeZone};
use nf_svc::alerts::{Direction, Incident, Phase, Rule};
use nf_svc::flow::{Addr, FlowKind};
use nf_svc::history::minute::{HostCounts, MinuteRows, SensorCounts};
use nf_svc::history::store;
use nf_svc::history::writer::{self, Job};
use nf_svc::report::{self, PageSettings};
use nf_svc::settings::Settings;
use nf_svc::settings::alerts::Rate;
use nf_svc::summary::{ExporterKey, ExporterRows, Row, Summary};
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

const SENSOR: &str = "192.168.255.10";
const PRINTER: &str = "192.168.0.82";
const CAMERA: &str = "192.168.0.77";

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

/// The fixture's "now": a fixed local afternoon, so pages are the same every run.
fn now() -> DateTime<Local> {
    Local
        .with_ymd_and_hms(2026, 11, 27, 15, 7, 30)
        .earliest()
        .unwrap()
}

fn minute_rows(start: i64, printer_sent: u64, camera_sent: u64) -> MinuteRows {
    let host = |h: &str, sent: u64, received: u64| {
        (
            ip(SENSOR),
            Some(ip(h)),
            HostCounts {
                sent_bytes: sent,
                sent_packets: sent / 1000 + 1,
                received_bytes: received,
                received_packets: received / 1000 + 1,
                flows: 3,
            },
        )
    };
    MinuteRows {
        start,
        beyond_bound: 0,
        sensors: vec![(
            ip(SENSOR),
            SensorCounts {
                bytes: printer_sent + camera_sent + 2_000,
                packets: 100,
                flows: 9,
                sampling_rate: 1,
            },
        )],
        hosts: vec![
            host(PRINTER, printer_sent, 1_000),
            host(CAMERA, camera_sent, 1_000),
            host("192.168.0.1", 0, printer_sent + camera_sent),
        ],
    }
}

fn conversations(start: i64) -> Arc<Summary> {
    let row = |src: [u8; 4], dst: [u8; 4], port: u16, bytes: u64| Row {
        etype: 0x800,
        proto: 17,
        src: Addr::V4(src),
        dst: Addr::V4(dst),
        port,
        reply: false,
        bytes,
        packets: bytes / 1000,
    };
    Arc::new(Summary {
        interval: Duration::from_secs(300),
        start: report::local(start),
        end: report::local(start + 300),
        partial: false,
        top_count: 100,
        exporters: vec![ExporterRows {
            exporter: ExporterKey {
                kind: FlowKind::NetflowV9,
                addr: Addr::V4([192, 168, 255, 10]),
            },
            total_rows: 2,
            total_bytes: 0,
            total_packets: 0,
            rows: vec![
                row([192, 168, 0, 82], [192, 168, 0, 255], 137, 900_000),
                row([192, 168, 0, 77], [192, 168, 0, 1], 554, 300_000),
            ],
            other: None,
        }],
    })
}

/// Settings with the logs (and the store) in `dir`, a label and a limit for the printer.
fn settings(dir: &Path) -> Settings {
    let ini = dir.join("nf-svc.ini");
    std::fs::write(
        &ini,
        format!(
            "[Logs]\nDir = {}\n[Alerts]\nHost.{PRINTER} = 2 Mbit/s, Printer\n",
            dir.join("logs").display()
        ),
    )
    .unwrap();
    nf_svc::settings::load(&ini).unwrap().0
}

/// 30 days at one minute an hour, then the last 24 hours every minute but for a gap of 40
/// minutes, with the printer flooding for 12 minutes two hours ago (an incident).
fn fixture(s: &Settings) -> (u64, u64) {
    let mut conn = store::open_for_writing(&s.history.path).unwrap().conn;
    let t = now().timestamp() / 60 * 60;
    let flood = (t - 2 * 3600, t - 2 * 3600 + 12 * 60);
    let gap = (t - 6 * 3600, t - 6 * 3600 + 40 * 60);
    let (mut printer_day, mut printer_hour) = (0u64, 0u64);
    let mut m = t - 30 * 86_400;
    while m < t {
        let in_day = m >= t - 86_400;
        let step = if in_day { 60 } else { 3600 };
        if !(m >= gap.0 && m < gap.1) {
            let printer = if m >= flood.0 && m < flood.1 {
                45_000_000
            } else {
                20_000 + (m / 60 % 7) as u64 * 1000
            };
            writer::write(&mut conn, &Job::Minute(minute_rows(m, printer, 5_000_000))).unwrap();
            if in_day {
                printer_day += printer;
            }
            if m >= t - 3600 {
                printer_hour += printer;
            }
        }
        if in_day && m % 300 == 0 {
            writer::write(&mut conn, &Job::Conversations(conversations(m))).unwrap();
        }
        m += step;
    }
    let incident = Incident {
        phase: Phase::Ended {
            end: SystemTime::UNIX_EPOCH + Duration::from_secs(flood.1 as u64),
        },
        rule: Rule::HostLimit,
        direction: Direction::From,
        sensor: ip(SENSOR),
        host: ip(PRINTER),
        label: Some("Printer".into()),
        start: SystemTime::UNIX_EPOCH + Duration::from_secs(flood.0 as u64),
        rate: Rate::Bits(0.0),
        peak: Rate::Bits(6e6),
        limit: Rate::Bits(2e6),
        usual: None,
        peer: None,
        bytes: 540_000_000,
        quiet: false,
    };
    writer::write(&mut conn, &Job::Incident(Arc::new(incident))).unwrap();
    conn.execute(
        "INSERT INTO exporters VALUES (?1, 'NETFLOW_V9', ?2, ?3, 1, 1000, 98765, 12, 3)",
        rusqlite::params![SENSOR, t - 30 * 86_400, t],
    )
    .unwrap();
    (printer_day, printer_hour)
}

fn chromium(args: &[&str], page: &Path) -> Option<std::process::Output> {
    let profile = tempfile::tempdir().unwrap();
    let out = Command::new("chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(args)
        .arg(format!("file://{}", page.display()))
        .output();
    match out {
        Ok(o) => Some(o),
        Err(e) => {
            common::cannot_run(&format!(
                "chromium is needed to load the pages (apt install chromium): {e}"
            ));
            None
        }
    }
}

fn dom(page: &Path) -> Option<String> {
    chromium(&["--dump-dom"], page).map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
}

#[test]
fn the_overview_shows_what_the_store_holds() {
    let dir = tempfile::tempdir().unwrap();
    let s = settings(dir.path());
    let (printer_day, printer_hour) = fixture(&s);
    let started = std::time::Instant::now();
    let page = report::write_overview(&PageSettings::of(&s), now(), None).unwrap();
    let took = started.elapsed();
    eprintln!("report.html written in {took:?}");
    // The month's daily totals, summed by SQLite per minute, are every sensor's minutes added
    // up day by day.
    let conn = store::open_for_reading(&s.history.path).unwrap();
    let to = now().timestamp();
    let from = to - 30 * 86_400;
    let day = |m: i64| (m - from) / 86_400;
    let mut totals = vec![0u64; 30];
    nf_svc::history::query::add_bytes_by(&conn, from, to, day, &mut totals).unwrap();
    let mut expected = vec![0u64; 30];
    let mut st = conn
        .prepare("SELECT minute, bytes FROM sensor_minutes WHERE minute >= ?1 AND minute < ?2")
        .unwrap();
    let minutes = st
        .query_map([from, to], |r| {
            Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?))
        })
        .unwrap();
    for m in minutes {
        let (m, b) = m.unwrap();
        expected[day(m) as usize] += b as u64;
    }
    assert_eq!(totals, expected);
    assert!(totals.iter().all(|t| *t >= 5_000_000), "{totals:?}");
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "no outside resource"
    );
    assert!(!html.contains("<script"), "readable without a script");
    let text = |b: u64| nf_svc::words::units::bytes(b);
    let checks = [
        ("192.168.0.82 (Printer)".to_string(), "the label is used"),
        (text(printer_day), "the printer's 24 hours"),
        (text(printer_hour), "the printer's last hour"),
        ("nf-svc was not collecting".into(), "the gap is named"),
        ("netbios-ns".into(), "busiest service by name"),
        (
            "reports/192.168.0.82-".into(),
            "the incident links its device report",
        ),
        ("98,765".into(), "exporter health"),
        (
            now().format("%Y-%m-%d %H:%M:%S %:z").to_string(),
            "generated at, with offset",
        ),
    ];
    for (want, what) in &checks {
        assert!(html.contains(want.as_str()), "{what}: {want}");
    }
    // And a real browser reads the same: the page parses and keeps every part.
    if let Some(dom) = dom(&page) {
        for (want, what) in &checks {
            assert!(
                dom.contains(want.as_str()),
                "in the browser, {what}: {want}"
            );
        }
    }
}

fn png_is_blank(path: &Path) -> bool {
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(path).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    let px = &buf[..info.buffer_size()];
    let first = &px[..3];
    px.chunks(info.color_type.samples())
        .all(|p| &p[..3] == first)
}

#[test]
fn a_device_report_prints_on_a4_and_its_csv_is_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let s = settings(dir.path());
    fixture(&s);
    let t = now().timestamp();
    let from = report::local(t - 3 * 86_400);
    let out = dir.path().join("logs").join("reports").join("printer.html");
    let page =
        report::write_device(&PageSettings::of(&s), ip(PRINTER), from, now(), now(), &out).unwrap();
    let csv = std::fs::read_to_string(page.with_extension("csv")).unwrap();
    assert!(csv.starts_with(
        "time,sent_bytes,received_bytes,sent_packets,received_packets,flows,host,name,vendor,minutes_collected\n"
    ));
    let sum: u64 = csv
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(1).unwrap().parse::<u64>().unwrap())
        .sum();
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(
        html.contains("When, by hour and day"),
        "three days: a heat map"
    );
    assert!(
        html.contains("figure { margin: 0 0 12px; break-inside: avoid;"),
        "no chart cut by a page break"
    );
    assert!(
        html.contains("limit 2.0 Mbit/s"),
        "the host's limit is drawn"
    );
    assert!(!html.contains("http://") && !html.contains("https://"));
    assert!(sum > 540_000_000);
    let shot = dir.path().join("device.png");
    let Some(o) = chromium(
        &[
            &format!("--screenshot={}", shot.display()),
            "--window-size=1100,1800",
        ],
        &page,
    ) else {
        return;
    };
    assert!(shot.exists(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(!png_is_blank(&shot), "the screenshot shows something");
    let pdf = dir.path().join("device.pdf");
    chromium(
        &[
            &format!("--print-to-pdf={}", pdf.display()),
            "--no-pdf-header-footer",
        ],
        &page,
    );
    // A4 portrait, every page (pdfinfo from poppler-utils).
    let info = Command::new("pdfinfo")
        .args(["-f", "1", "-l", "99"])
        .arg(&pdf)
        .output()
        .expect("pdfinfo (apt install poppler-utils)");
    let info = String::from_utf8_lossy(&info.stdout);
    let pages: usize = info
        .lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert!((1..=4).contains(&pages), "{info}");
    let sizes: Vec<&str> = info
        .lines()
        .filter(|l| l.starts_with("Page") && l.contains(" size:"))
        .collect();
    assert_eq!(sizes.len(), pages, "{info}");
    assert!(sizes.iter().all(|l| l.contains("(A4)")), "{info}");
    if std::env::var_os("NF_SVC_KEEP_PAGES").is_some() {
        let keep = PathBuf::from(std::env::var_os("NF_SVC_KEEP_PAGES").unwrap());
        let _ = std::fs::create_dir_all(&keep);
        for f in [&page, &shot, &pdf] {
            std::fs::copy(f, keep.join(f.file_name().unwrap())).unwrap();
        }
    }
    let _ = ChronoDuration::zero();
}

/// Writes the fixture's pages to `NF_SVC_KEEP_PAGES` to look at them (`cargo test --test
/// report -- --ignored`).
#[test]
#[ignore = "writes pages to look at into NF_SVC_KEEP_PAGES; run with --ignored"]
fn keep_pages_to_look_at() {
    let keep = std::env::var_os("NF_SVC_KEEP_PAGES").expect("NF_SVC_KEEP_PAGES names a folder");
    let dir = PathBuf::from(keep).join("fixture");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let s = settings(&dir);
    fixture(&s);
    let page = report::write_overview(&PageSettings::of(&s), now(), None).unwrap();
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(
        html.contains("192.168.0.82 (Printer)"),
        "{}",
        page.display()
    );
    eprintln!("kept {}", page.display());
}

/// With more sensors than the chart has line styles, the busiest keep their own lines and the
/// others are added up on the last; nothing is left out of the sums.
#[test]
fn the_day_chart_gives_the_busiest_sensors_a_line_each_and_adds_up_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let s = settings(dir.path());
    let mut conn = store::open_for_writing(&s.history.path).unwrap().conn;
    let t = now().timestamp() / 60 * 60;
    let sensor = |i: u64| ip(&format!("10.0.0.{i}"));
    // Sensor i sends i kB a minute for the last 30 minutes; sensor 1 only every other minute.
    for k in 0..30i64 {
        let m = t - 1800 + 60 * k;
        let sensors = (1..=8u64)
            .filter(|i| *i != 1 || k % 2 == 0)
            .map(|i| {
                (
                    sensor(i),
                    SensorCounts {
                        bytes: i * 1000,
                        packets: i,
                        flows: 1,
                        sampling_rate: 1,
                    },
                )
            })
            .collect();
        let rows = MinuteRows {
            start: m,
            beyond_bound: 0,
            sensors,
            hosts: vec![],
        };
        writer::write(&mut conn, &Job::Minute(rows)).unwrap();
    }
    let conn = store::open_for_reading(&s.history.path).unwrap();
    let (from, to) = (t - 86_400 + 30, t + 30);
    let lines = nf_svc::history::query::sensor_lines(&conn, from, to, 6).unwrap();
    assert_eq!(lines.sensors.len(), 8);
    assert_eq!(
        lines.names,
        [
            "10.0.0.8",
            "10.0.0.7",
            "10.0.0.6",
            "10.0.0.5",
            "10.0.0.4",
            "3 other sensors"
        ]
    );
    assert!(lines.bytes.iter().all(|l| l.len() == 1441));
    // The minute 10 minutes ago (k = 20: sensor 1 sent), and the one before it.
    let slot = |m: i64| ((m - (from - from.rem_euclid(60))) / 60) as usize;
    let at = slot(t - 600);
    assert_eq!(lines.bytes[0][at], 8000);
    assert_eq!(lines.bytes[4][at], 4000);
    assert_eq!(lines.bytes[5][at], 1000 + 2000 + 3000);
    assert_eq!(lines.bytes[5][at - 1], 2000 + 3000);
    assert_eq!(lines.bytes[5][slot(t - 1860)], 0, "before the first minute");
    let all: u64 = lines.bytes.iter().flatten().sum();
    assert_eq!(
        all,
        30 * (2000 + 3000 + 4000 + 5000 + 6000 + 7000 + 8000) + 15 * 1000
    );
    // With room for every sensor, each has its own line.
    let wide = nf_svc::history::query::sensor_lines(&conn, from, to, 8).unwrap();
    assert_eq!(wide.names.len(), 8);
    assert!(!wide.names.iter().any(|n| n.contains("other")));
    assert_eq!(
        wide.bytes[7].iter().sum::<u64>(),
        15 * 1000,
        "sensor 1, last"
    );

    // The page says so, in the legend and the caption.
    let page = report::write_overview(&PageSettings::of(&s), now(), None).unwrap();
    if let Some(keep) = std::env::var_os("NF_SVC_KEEP_PAGES") {
        std::fs::copy(&page, PathBuf::from(keep).join("eight-sensors.html")).unwrap();
    }
    let html = std::fs::read_to_string(page).unwrap();
    assert!(html.contains("3 other sensors"));
    assert!(html.contains("the others added up"));
    assert!(html.contains("Sensors: 10.0.0.1, 10.0.0.2,"));
}

/// The page's conversations from the collector's summaries: the ten biggest of all its
/// sensors, biggest first, equal ones in the summary's order.
#[test]
fn the_collectors_top_conversations_are_the_ten_biggest_of_every_sensor() {
    let mut r = Arc::unwrap_or_clone(conversations(now().timestamp() / 300 * 300));
    let template = r.exporters[0].clone();
    r.exporters = (0..3u8)
        .map(|e| {
            let mut x = template.clone();
            x.exporter.addr = Addr::V4([192, 168, 255, e]);
            x.rows = (0..7u8)
                .map(|i| Row {
                    dst: Addr::V4([10, e, 0, i]),
                    bytes: 1000 * (i as u64 % 4) + e as u64,
                    ..template.rows[0]
                })
                .collect();
            x
        })
        .collect();
    let c = report::conversations_from_reports(&[Arc::new(r)]);
    let rows = &c[0].1;
    let got: Vec<(&str, u64)> = rows.iter().map(|r| (r.dst.as_str(), r.bytes)).collect();
    assert_eq!(
        got,
        [
            ("10.2.0.3", 3002),
            ("10.1.0.3", 3001),
            ("10.0.0.3", 3000),
            ("10.2.0.2", 2002),
            ("10.2.0.6", 2002),
            ("10.1.0.2", 2001),
            ("10.1.0.6", 2001),
            ("10.0.0.2", 2000),
            ("10.0.0.6", 2000),
            ("10.2.0.1", 1002),
        ]
    );
    assert_eq!(rows[0].service, "netbios-ns");
}
