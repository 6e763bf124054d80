//! Reading the store: a host's or the sensors' minutes over a period, and each host's usual
//! rate for the spike rule at start.

use crate::alerts::Usual;
use crate::history::minute::{HostCounts, SensorCounts};
use rusqlite::{Connection, params};
use std::net::IpAddr;
use std::time::{Duration, SystemTime};

/// One host's minutes in `[from, to)` (Unix seconds), summed over sensors, oldest first.
pub fn host_minutes(
    conn: &Connection,
    host: IpAddr,
    from: i64,
    to: i64,
) -> rusqlite::Result<Vec<(i64, HostCounts)>> {
    let mut st = conn.prepare_cached(
        "SELECT minute, sum(sent_bytes), sum(sent_packets), sum(received_bytes),
           sum(received_packets), sum(flows)
         FROM host_minutes WHERE host = ?1 AND minute >= ?2 AND minute < ?3
         GROUP BY minute ORDER BY minute",
    )?;
    let rows = st.query_map(params![host.to_string(), from, to], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            HostCounts {
                sent_bytes: r.get::<_, i64>(1)? as u64,
                sent_packets: r.get::<_, i64>(2)? as u64,
                received_bytes: r.get::<_, i64>(3)? as u64,
                received_packets: r.get::<_, i64>(4)? as u64,
                flows: r.get::<_, i64>(5)? as u64,
            },
        ))
    })?;
    rows.collect()
}

/// Every sensor's minutes in `[from, to)`, oldest first.
pub fn sensor_minutes(
    conn: &Connection,
    from: i64,
    to: i64,
) -> rusqlite::Result<Vec<(i64, String, SensorCounts)>> {
    let mut st = conn.prepare_cached(
        "SELECT minute, sensor, bytes, packets, flows, sampling_rate FROM sensor_minutes
         WHERE minute >= ?1 AND minute < ?2 ORDER BY minute, sensor",
    )?;
    let rows = st.query_map(params![from, to], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, String>(1)?,
            SensorCounts {
                bytes: r.get::<_, i64>(2)? as u64,
                packets: r.get::<_, i64>(3)? as u64,
                flows: r.get::<_, i64>(4)? as u64,
                sampling_rate: r.get::<_, i64>(5)? as u64,
            },
        ))
    })?;
    rows.collect()
}

/// The usual rate of every host seen in the last two `baseline`s before `now`. A host first
/// seen less than `baseline` ago comes with that time, so the spike rule still waits for it.
pub fn baselines(conn: &Connection, now: i64, baseline: Duration) -> rusqlite::Result<Vec<Usual>> {
    let b = baseline.as_secs().max(60) as i64;
    let recent = now - b;
    let covered: i64 = conn.query_row(
        "SELECT count(*) FROM collector_minutes WHERE minute >= ?1 AND minute < ?2",
        params![recent, now],
        |r| r.get(0),
    )?;
    let covered_secs = (covered * 60).max(60) as f64;
    let mut st = conn.prepare(
        "SELECT sensor, host, min(minute),
           sum(CASE WHEN minute >= ?2 THEN sent_bytes ELSE 0 END)
         FROM host_minutes WHERE minute >= ?1 AND minute < ?3 AND host != '*'
         GROUP BY sensor, host",
    )?;
    let rows = st.query_map(params![now - 2 * b, recent, now], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, i64>(2)?,
            r.get::<_, i64>(3)?,
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (sensor, host, first, sent) = row?;
        let (Ok(sensor), Ok(host)) = (sensor.parse(), host.parse()) else {
            continue;
        };
        out.push(Usual {
            sensor,
            host,
            since: SystemTime::UNIX_EPOCH + Duration::from_secs(first.max(0) as u64),
            bps: sent as f64 * 8.0 / covered_secs,
        });
    }
    Ok(out)
}
