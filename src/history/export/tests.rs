//! Export: time forms, step boundaries, the `--to` bound, CSV and JSON.

use super::*;

fn at(s: &str) -> DateTime<Local> {
    parse_time(s, Local::now()).unwrap()
}

#[test]
fn every_time_form() {
    let now = at("2026-11-27T15:30:00");
    assert_eq!(
        parse_time("2026-11-27T14:00", now).unwrap(),
        at("2026-11-27 14:00:00")
    );
    assert_eq!(
        parse_time("2026-11-27 14:00", now).unwrap(),
        at("2026-11-27T14:00:00")
    );
    assert_eq!(
        parse_time("2026-11-27", now).unwrap(),
        at("2026-11-27T00:00")
    );
    assert_eq!(parse_time("now", now).unwrap(), now);
    assert_eq!(parse_time("-2h", now).unwrap(), at("2026-11-27T13:30"));
    assert_eq!(parse_time("-7d", now).unwrap(), at("2026-11-20T15:30"));
    assert_eq!(parse_time("-30m", now).unwrap(), at("2026-11-27T15:00"));
    let utc = parse_time("2026-11-27T14:00:00Z", now).unwrap();
    assert_eq!(utc.timestamp(), 1_795_788_000);
    let plus1 = parse_time("2026-11-27T15:00:00+01:00", now).unwrap();
    assert_eq!(plus1, utc);
    for bad in ["yesterday", "-2x", "2026-13-01", "14:00", "-h"] {
        let e = parse_time(bad, now).unwrap_err();
        assert!(e.contains(bad) && e.contains("expected"), "{e}");
    }
}

#[test]
fn steps_start_at_their_boundaries() {
    let t = at("2026-11-27T14:37:42");
    assert_eq!(Step::Minute.start_of(t), at("2026-11-27T14:37"));
    assert_eq!(Step::FiveMinutes.start_of(t), at("2026-11-27T14:35"));
    assert_eq!(Step::Hour.start_of(t), at("2026-11-27T14:00"));
    assert_eq!(Step::Day.start_of(t), at("2026-11-27"));
    assert_eq!("5m".parse::<Step>(), Ok(Step::FiveMinutes));
    assert!("2m".parse::<Step>().is_err());
    assert_eq!("JSON".parse::<Format>(), Ok(Format::Json));
}

#[test]
fn the_minute_that_began_at_to_is_in_when_to_is_later_within_its_second() {
    let minute = at("2026-11-27T14:00:00");
    let q = |to: DateTime<Local>| Query {
        host: None,
        from: at("2026-11-27T13:00"),
        to,
        step: Step::Minute,
        format: Format::Csv,
        names: crate::names::Names::default(),
    };
    let (_, to) = q(minute + ChronoDuration::milliseconds(400)).bounds();
    assert!(
        minute.timestamp() < to,
        "exported at 14:00:00.4: 14:00 is in"
    );
    let (_, to) = q(minute).bounds();
    assert_eq!(to, minute.timestamp(), "exactly 14:00:00: it is not");
}

#[test]
fn csv_and_json_tables() {
    let t = Table {
        columns: &["time", "sensor", "bytes"],
        rows: vec![
            vec![
                "2026-11-27T14:00:00+01:00".into(),
                "10.0.0.1".into(),
                "5".into(),
            ],
            vec![
                "2026-11-27T14:01:00+01:00".into(),
                "fe80::1".into(),
                "7".into(),
            ],
        ],
    };
    let mut csv = Vec::new();
    t.write(Format::Csv, &mut csv).unwrap();
    assert_eq!(
        String::from_utf8(csv).unwrap(),
        "time,sensor,bytes\n2026-11-27T14:00:00+01:00,10.0.0.1,5\n2026-11-27T14:01:00+01:00,fe80::1,7\n"
    );
    let mut json = Vec::new();
    t.write(Format::Json, &mut json).unwrap();
    assert_eq!(
        String::from_utf8(json).unwrap(),
        "[\n{\"time\":\"2026-11-27T14:00:00+01:00\",\"sensor\":\"10.0.0.1\",\"bytes\":5},\n{\"time\":\"2026-11-27T14:01:00+01:00\",\"sensor\":\"fe80::1\",\"bytes\":7}\n]\n"
    );
    let named = Table {
        columns: &["time", "host", "name", "bytes"],
        rows: vec![
            vec!["t".into(), "10.0.0.1".into(), "1234".into(), "5".into()],
            vec![
                "t".into(),
                "10.0.0.2".into(),
                "Till, \"front\" desk".into(),
                "6".into(),
            ],
        ],
    };
    let mut csv = Vec::new();
    named.write(Format::Csv, &mut csv).unwrap();
    assert_eq!(
        String::from_utf8(csv).unwrap(),
        "time,host,name,bytes\nt,10.0.0.1,1234,5\nt,10.0.0.2,\"Till, \"\"front\"\" desk\",6\n"
    );
    let mut json = Vec::new();
    named.write(Format::Json, &mut json).unwrap();
    assert_eq!(
        String::from_utf8(json).unwrap(),
        "[\n{\"time\":\"t\",\"host\":\"10.0.0.1\",\"name\":\"1234\",\"bytes\":5},\n{\"time\":\"t\",\"host\":\"10.0.0.2\",\"name\":\"Till, \\\"front\\\" desk\",\"bytes\":6}\n]\n",
        "a name that looks like a number stays text; quotes are escaped"
    );
    let empty = Table {
        columns: &["time", "bytes"],
        rows: vec![],
    };
    let mut e = Vec::new();
    empty.write(Format::Json, &mut e).unwrap();
    assert_eq!(String::from_utf8(e).unwrap(), "[\n]\n");
}

/// A minute of `bytes` from one host (10.0.0.0) seen by one sensor, at `start`.
fn rows(start: i64, bytes: u64) -> crate::history::minute::MinuteRows {
    crate::history::writer::tests::minute(start, 1, bytes)
}

#[test]
fn every_row_says_how_many_of_its_minutes_were_collected() {
    use crate::history::writer::{Job, write};
    let dir = tempfile::tempdir().unwrap();
    let mut conn = store::open_for_writing(&dir.path().join("h.sqlite"))
        .unwrap()
        .conn;
    let hour = Step::Hour.start_of(at("2026-11-27T14:00")).timestamp();
    // 14:00–14:44 collected (traffic in two of those minutes), 15:00–15:59 collected whole.
    for m in 0..45 {
        write(
            &mut conn,
            &Job::Minute(rows(hour + 60 * m, u64::from(m == 3 || m == 40) * 1000)),
        )
        .unwrap();
    }
    for m in 60..120 {
        write(&mut conn, &Job::Minute(rows(hour + 60 * m, 10))).unwrap();
    }
    let q = |step, format| Query {
        host: Some("10.0.0.0".parse().unwrap()),
        from: at("2026-11-27T13:00"),
        to: at("2026-11-27T17:00"),
        step,
        format,
        names: crate::names::Names::default(),
    };
    let mut csv = Vec::new();
    export(&conn, &q(Step::Hour, Format::Csv), &mut csv).unwrap();
    let csv = String::from_utf8(csv).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert!(lines[0].ends_with(",vendor,minutes_collected"), "{csv}");
    assert!(lines[1].starts_with(&iso(local(hour))), "{csv}");
    assert!(
        lines[1].ends_with(",2000,0,45,0,45,10.0.0.0,,,45"),
        "a partial hour: {csv}"
    );
    assert!(
        lines[2].ends_with(",600,0,60,0,60,10.0.0.0,,,60"),
        "a whole hour: {csv}"
    );
    assert_eq!(lines.len(), 3, "{csv}");
    let mut json = Vec::new();
    export(&conn, &q(Step::Day, Format::Json), &mut json).unwrap();
    let json: serde_json::Value = serde_json::from_slice(&json).unwrap();
    assert_eq!(json[0]["minutes_collected"], 105, "{json}");
    assert_eq!(json[0]["sent_bytes"], 2600);
    let mut sensors = Vec::new();
    let all = Query {
        host: None,
        ..q(Step::Hour, Format::Csv)
    };
    export(&conn, &all, &mut sensors).unwrap();
    let sensors = String::from_utf8(sensors).unwrap();
    assert!(sensors.starts_with("time,sensor,bytes,packets,flows,name,minutes_collected\n"));
    assert!(
        sensors.lines().nth(1).unwrap().ends_with(",45"),
        "{sensors}"
    );
}
