//! History figures for the README and the issues: the file size a day of minutes takes for
//! 10, 100 and 1,000 active hosts, the time to write one minute of 1,000 hosts, the time to
//! export seven days at one-minute steps for one host, and the time to write `report.html`
//! from 30 days at one minute (100 hosts every minute).
//!
//! `cargo run --release --example history_speed [DIR]` (a temporary folder by default).

use chrono::{Duration as ChronoDuration, Local};
use nf_svc::history::export::{self, Format, Query, Step};
use nf_svc::history::minute::{HostCounts, MinuteRows, SensorCounts};
use nf_svc::history::store;
use nf_svc::history::writer::{self, Job};
use std::net::IpAddr;
use std::time::Instant;

fn minute(start: i64, hosts: u32) -> MinuteRows {
    let sensor: IpAddr = "192.168.255.10".parse().unwrap();
    MinuteRows {
        start,
        beyond_bound: 0,
        sensors: vec![(
            sensor,
            SensorCounts {
                bytes: 123_456_789,
                packets: 98_765,
                flows: 4_321,
                sampling_rate: 1,
            },
        )],
        hosts: (0..hosts)
            .map(|i| {
                let b = i.to_be_bytes();
                (
                    sensor,
                    Some(IpAddr::from([10, b[1], b[2], b[3]])),
                    HostCounts {
                        sent_bytes: 1_234_567 + i as u64,
                        sent_packets: 2_345 + i as u64,
                        received_bytes: 765_432 + i as u64,
                        received_packets: 1_234,
                        flows: 42,
                    },
                )
            })
            .collect(),
    }
}

fn main() {
    let base = std::env::args().nth(1).map(std::path::PathBuf::from);
    let tmp = tempfile::tempdir().unwrap();
    let dir = base.unwrap_or_else(|| tmp.path().to_path_buf());
    let now = Local::now().timestamp() / 60 * 60;
    for hosts in [10u32, 100, 1000] {
        let path = dir.join(format!("day-{hosts}.sqlite"));
        let _ = std::fs::remove_file(&path);
        let mut conn = store::open_for_writing(&path).unwrap().conn;
        let mut slowest = 0.0f64;
        let mut total = 0.0f64;
        for m in 0..1440 {
            let t = Instant::now();
            writer::write(
                &mut conn,
                &Job::Minute(minute(now - (1440 - m) * 60, hosts)),
            )
            .unwrap();
            let ms = t.elapsed().as_secs_f64() * 1000.0;
            slowest = slowest.max(ms);
            total += ms;
        }
        conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE)")
            .unwrap();
        let size = std::fs::metadata(&path).unwrap().len();
        println!(
            "{hosts:>5} hosts: {:.1} MB per day; a minute written in {:.2} ms on average, {:.2} ms at most",
            size as f64 / 1e6,
            total / 1440.0,
            slowest
        );
    }
    // Seven days at 1m for one host, out of a week of 100 hosts a minute.
    let path = dir.join("week-100.sqlite");
    let _ = std::fs::remove_file(&path);
    let mut conn = store::open_for_writing(&path).unwrap().conn;
    for m in 0..7 * 1440 {
        writer::write(
            &mut conn,
            &Job::Minute(minute(now - (7 * 1440 - m) * 60, 100)),
        )
        .unwrap();
    }
    drop(conn);
    let q = Query {
        host: Some("10.0.0.7".parse().unwrap()),
        from: Local::now() - ChronoDuration::days(7),
        to: Local::now(),
        step: Step::Minute,
        format: Format::Csv,
        names: Default::default(),
    };
    let t = Instant::now();
    let mut out = Vec::new();
    export::run(&path, &q, &mut out).unwrap();
    println!(
        "export of 7 days at 1m for one host: {} rows in {:.1} ms",
        out.iter().filter(|b| **b == b'\n').count() - 1,
        t.elapsed().as_secs_f64() * 1000.0
    );
    // 30 days at 1m, 100 hosts: report.html.
    let logs = dir.join("month");
    let _ = std::fs::remove_dir_all(&logs);
    let mut s = nf_svc::settings::Settings::defaults(&dir.join("nf-svc.ini"));
    s.logs.dir = logs.clone();
    let mut conn = store::open_for_writing(&s.history.path).unwrap().conn;
    for m in 0..30 * 1440 {
        writer::write(
            &mut conn,
            &Job::Minute(minute(now - (30 * 1440 - m) * 60, 100)),
        )
        .unwrap();
    }
    drop(conn);
    let mut best = f64::MAX;
    for _ in 0..3 {
        let t = Instant::now();
        nf_svc::report::write_overview(&nf_svc::report::PageSettings::of(&s), Local::now(), None)
            .unwrap();
        best = best.min(t.elapsed().as_secs_f64() * 1000.0);
    }
    println!(
        "report.html from 30 days at 1m, 100 hosts ({:.0} MB store): {best:.0} ms (best of 3)",
        std::fs::metadata(s.history.path.clone()).unwrap().len() as f64 / 1e6
    );
}
