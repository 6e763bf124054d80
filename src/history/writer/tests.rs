//! The writer on real files: minutes adding up, pruning by age and size, the thread.

use super::*;
use crate::history::minute::{HostCounts, SensorCounts};
use crate::history::{query, store};
use std::net::IpAddr;

/// A minute of `hosts` hosts (10.0.0.0, 10.0.0.1, …) sending `bytes` each, one sensor.
pub(crate) fn minute(start: i64, hosts: u32, bytes: u64) -> MinuteRows {
    let sensor: IpAddr = "192.168.255.10".parse().unwrap();
    MinuteRows {
        start,
        beyond_bound: 0,
        sensors: vec![(
            sensor,
            SensorCounts {
                bytes: bytes * hosts as u64,
                packets: hosts as u64,
                flows: hosts as u64,
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
                        sent_bytes: bytes,
                        sent_packets: 1,
                        flows: 1,
                        ..Default::default()
                    },
                )
            })
            .collect(),
    }
}

fn count(conn: &Connection, table: &str) -> i64 {
    conn.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
        .unwrap()
}

#[test]
fn a_minute_written_twice_adds_up() {
    let dir = tempfile::tempdir().unwrap();
    let mut conn = store::open_for_writing(&dir.path().join("h.sqlite"))
        .unwrap()
        .conn;
    write(&mut conn, &Job::Minute(minute(600, 2, 100))).unwrap();
    write(&mut conn, &Job::Minute(minute(600, 2, 50))).unwrap();
    write(&mut conn, &Job::Minute(minute(660, 2, 7))).unwrap();
    let host: IpAddr = "10.0.0.1".parse().unwrap();
    let got = query::host_minutes(&conn, host, 0, 1000).unwrap();
    assert_eq!(
        got.iter()
            .map(|(m, c)| (*m, c.sent_bytes))
            .collect::<Vec<_>>(),
        [(600, 150), (660, 7)]
    );
    assert_eq!(count(&conn, "collector_minutes"), 2);
    let s = query::sensor_minutes(&conn, 600, 601).unwrap();
    assert_eq!(s[0].2.bytes, 300);
}

#[test]
fn old_days_go_first_by_age_and_by_size() {
    let dir = tempfile::tempdir().unwrap();
    let mut conn = store::open_for_writing(&dir.path().join("h.sqlite"))
        .unwrap()
        .conn;
    let day = 86_400;
    let now = 100 * day;
    // Ten days, a minute every ten minutes, 50 hosts each.
    for m in (0..10 * day).step_by(600) {
        write(
            &mut conn,
            &Job::Minute(minute(now - 10 * day + m, 50, 1000)),
        )
        .unwrap();
    }
    let keep = |days, mb: u64| Retention {
        keep_days: days,
        max_bytes: mb * 1024 * 1024,
    };
    // By age: three days kept, in batches.
    let mut steps = 0;
    while prune_step(&conn, now, keep(3, 1024)).unwrap() {
        steps += 1;
    }
    assert!(steps > 1, "small batches: {steps}");
    let oldest: i64 = conn
        .query_row("SELECT min(minute) FROM host_minutes", [], |r| r.get(0))
        .unwrap();
    assert!(
        oldest >= now - 3 * day && oldest < now - 3 * day + 600,
        "{oldest}"
    );
    assert_eq!(count(&conn, "collector_minutes"), 3 * 144);
    // By size: under a limit smaller than the data, the oldest go until it fits, but
    // never the last hour.
    let before = used_bytes(&conn).unwrap();
    let limit = before / 2;
    while prune_step(
        &conn,
        now,
        Retention {
            keep_days: 3,
            max_bytes: limit,
        },
    )
    .unwrap()
    {}
    assert!(used_bytes(&conn).unwrap() <= limit);
    let newest: i64 = conn
        .query_row("SELECT max(minute) FROM host_minutes", [], |r| r.get(0))
        .unwrap();
    assert_eq!(newest, now - 600, "the newest minutes stay");
    conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE)")
        .unwrap();
    let file = std::fs::metadata(dir.path().join("h.sqlite"))
        .unwrap()
        .len();
    assert!(file < before, "pages given back: {file} < {before}");
}

#[test]
fn the_thread_writes_in_order_and_stops_after_the_queue() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("h.sqlite");
    let conn = store::open_for_writing(&path).unwrap().conn;
    let mut w = Writer::spawn(
        conn,
        None,
        Retention {
            keep_days: 400,
            max_bytes: u64::MAX,
        },
    )
    .unwrap();
    // Recent minutes: the pruning that runs at start keeps them.
    let now = unix(SystemTime::now()) / 60 * 60;
    for m in 0..5 {
        let job = Job::Minute(minute(now - 60 * m, 3, 10));
        assert!(w.send_within(job, Duration::from_secs(5)));
    }
    assert!(w.sync(Duration::from_secs(5)));
    w.stop();
    assert!(
        w.try_send(Job::Minute(minute(600, 1, 1))).is_err(),
        "stopped"
    );
    assert_eq!(w.problems(), Vec::<String>::new());
    let conn = store::open_for_reading(&path).unwrap();
    assert_eq!(count(&conn, "collector_minutes"), 5);
}

fn sum(conn: &Connection) -> i64 {
    conn.query_row("SELECT sum(bytes) FROM sensor_minutes", [], |r| r.get(0))
        .unwrap()
}

#[test]
fn minutes_the_disk_refuses_wait_in_memory_and_are_written_when_it_takes_them() {
    let dir = tempfile::tempdir().unwrap();
    let mut conn = store::open_for_writing(&dir.path().join("h.sqlite"))
        .unwrap()
        .conn;
    // A disk that is full: SQLite may not grow the file past its pages now.
    let pages: i64 = conn
        .query_row("PRAGMA page_count", [], |r| r.get(0))
        .unwrap();
    conn.execute_batch(&format!("PRAGMA max_page_count = {}", pages + 2))
        .unwrap();
    let mut waiting = waiting::Waiting::default();
    let mut refused = 0;
    for m in 0..40 {
        if waiting
            .write(&mut conn, Some(Job::Minute(minute(60 * m, 200, 1000))))
            .is_err()
        {
            refused += 1;
        }
    }
    assert!(refused > 30, "the disk refused {refused} of 40");
    let written = count(&conn, "collector_minutes");
    assert!(written < 40, "{written} written");
    // Space again: everything that waited is written, in order, nothing counted twice.
    conn.execute_batch("PRAGMA max_page_count = 1073741823")
        .unwrap();
    waiting.write(&mut conn, None).unwrap();
    assert!(waiting.is_empty());
    assert_eq!(count(&conn, "collector_minutes"), 40);
    assert_eq!(sum(&conn), 40 * 200 * 1000);
}

#[test]
fn past_the_bound_the_oldest_waiting_go_and_the_rest_are_written() {
    let dir = tempfile::tempdir().unwrap();
    let mut conn = store::open_for_writing(&dir.path().join("h.sqlite"))
        .unwrap()
        .conn;
    conn.execute_batch("PRAGMA query_only = 1").unwrap();
    let mut waiting = waiting::Waiting::default();
    let n = waiting::MAX_WAITING as i64 + 10;
    for m in 0..n {
        let e = waiting
            .write(&mut conn, Some(Job::Minute(minute(60 * m, 1, 5))))
            .unwrap_err();
        assert!(e.contains("kept in memory"), "{e}");
    }
    conn.execute_batch("PRAGMA query_only = 0").unwrap();
    waiting.write(&mut conn, None).unwrap();
    assert_eq!(
        count(&conn, "collector_minutes"),
        waiting::MAX_WAITING as i64
    );
    let first: i64 = conn
        .query_row("SELECT min(minute) FROM collector_minutes", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(first, 600, "the ten oldest went");
}
