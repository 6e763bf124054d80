//! What the pages show, read from the history store: per-minute series, daily totals, gaps,
//! top hosts with their busiest services, conversations, incidents and exporters. Times are
//! Unix seconds; the pages turn them into local time.

use crate::history::store::rate_from;
use crate::settings::alerts::Rate;
use crate::words::protocols::service_name;
use rusqlite::{Connection, params};
use std::collections::HashMap;

/// Spans `[a, b)` within `[from, to)` with no `collector_minutes` row: nf-svc was not running.
pub fn gaps(conn: &Connection, from: i64, to: i64) -> rusqlite::Result<Vec<(i64, i64)>> {
    let mut st = conn.prepare_cached(
        "SELECT minute FROM collector_minutes WHERE minute >= ?1 AND minute < ?2 ORDER BY minute",
    )?;
    let minutes: Vec<i64> = st
        .query_map(params![from - 60, to], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    let mut out = Vec::new();
    let mut covered_to = from - from.rem_euclid(60);
    for m in minutes {
        if m > covered_to {
            out.push((covered_to.max(from), m));
        }
        covered_to = covered_to.max(m + 60);
    }
    // The minute in progress is not written yet: it is not a gap.
    let now_minute = to - to.rem_euclid(60);
    if covered_to < now_minute {
        out.push((covered_to.max(from), now_minute));
    }
    Ok(out)
}

/// One host's traffic over a period.
#[derive(Debug, Clone, PartialEq)]
pub struct HostTotal {
    pub host: String,
    pub sent: u64,
    pub received: u64,
    /// Its busiest services (name, or protocol and port), largest first.
    pub services: Vec<String>,
}

/// The busiest hosts in `[from, to)`, and all traffic then (sensor totals).
pub fn top_hosts(
    conn: &Connection,
    from: i64,
    to: i64,
    n: usize,
) -> rusqlite::Result<(Vec<HostTotal>, u64)> {
    let total: i64 = conn.query_row(
        "SELECT coalesce(sum(bytes), 0) FROM sensor_minutes WHERE minute >= ?1 AND minute < ?2",
        params![from, to],
        |r| r.get(0),
    )?;
    let mut st = conn.prepare_cached(
        "SELECT host, sum(sent_bytes) AS s, sum(received_bytes) AS r FROM host_minutes
         WHERE minute >= ?1 AND minute < ?2 AND host != '*'
         GROUP BY host ORDER BY s + r DESC, host LIMIT ?3",
    )?;
    let rows = st.query_map(params![from, to, n as i64], |r| {
        Ok(HostTotal {
            host: r.get(0)?,
            sent: r.get::<_, i64>(1)? as u64,
            received: r.get::<_, i64>(2)? as u64,
            services: Vec::new(),
        })
    })?;
    let mut hosts: Vec<HostTotal> = rows.collect::<Result<_, _>>()?;
    for h in &mut hosts {
        h.services = services(conn, &h.host, from, to, 2)?
            .into_iter()
            .map(|s| s.0)
            .collect();
    }
    Ok((hosts, total.max(0) as u64))
}

fn proto_number(l4: &str) -> u8 {
    match l4 {
        "TCP" => 6,
        "UDP" => 17,
        "ICMP" => 1,
        other => other.parse().unwrap_or(0),
    }
}

/// A service as people read it: `mdns`, else `TCP 8443`.
pub fn service_text(l4: &str, port: u16) -> String {
    service_name(proto_number(l4), port)
        .map(str::to_string)
        .unwrap_or_else(|| format!("{l4} {port}"))
}

/// A host's busiest services in `[from, to)` (from the five-minute conversations).
pub fn services(
    conn: &Connection,
    host: &str,
    from: i64,
    to: i64,
    n: usize,
) -> rusqlite::Result<Vec<(String, u64)>> {
    let mut st = conn.prepare_cached(
        "SELECT l4, port, sum(bytes) AS b FROM conversations
         WHERE period_start >= ?2 AND period_start < ?3 AND (src = ?1 OR dst = ?1)
         GROUP BY l4, port ORDER BY b DESC LIMIT ?4",
    )?;
    let rows = st.query_map(params![host, from, to, n as i64], |r| {
        Ok((
            service_text(&r.get::<_, String>(0)?, r.get::<_, i64>(1)? as u16),
            r.get::<_, i64>(2)? as u64,
        ))
    })?;
    rows.collect()
}

/// A host's busiest peers in `[from, to)`: (peer, bytes to it, bytes from it).
pub fn peers(
    conn: &Connection,
    host: &str,
    from: i64,
    to: i64,
    n: usize,
) -> rusqlite::Result<Vec<(String, u64, u64)>> {
    let mut st = conn.prepare_cached(
        "SELECT CASE WHEN src = ?1 THEN dst ELSE src END AS peer,
           sum(CASE WHEN src = ?1 THEN bytes ELSE 0 END) AS sent,
           sum(CASE WHEN dst = ?1 THEN bytes ELSE 0 END) AS received
         FROM conversations
         WHERE period_start >= ?2 AND period_start < ?3 AND (src = ?1 OR dst = ?1)
         GROUP BY peer ORDER BY sent + received DESC LIMIT ?4",
    )?;
    let rows = st.query_map(params![host, from, to, n as i64], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, i64>(1)? as u64,
            r.get::<_, i64>(2)? as u64,
        ))
    })?;
    rows.collect()
}

/// The per-minute lines of a chart of sensors: the busiest sensors each on its own line, the
/// rest added up on one.
#[derive(Debug, Clone, PartialEq)]
pub struct SensorLines {
    /// Every sensor heard in the period, by name.
    pub sensors: Vec<String>,
    /// The line names: sensors, and last "N other sensors" when some share a line.
    pub names: Vec<String>,
    /// Bytes per minute of each line, from the minute that holds `from`.
    pub bytes: Vec<Vec<u64>>,
}

/// Bytes per minute in `[from, to)` on at most `lines` lines: with more sensors than that,
/// the `lines - 1` busiest (by bytes over the period) get one each and the others share the
/// last. Rows are read one at a time into one array per line: a day of 50 sensors is 72,000
/// rows, and the memory is `lines` days of minutes whatever the number of sensors.
pub fn sensor_lines(
    conn: &Connection,
    from: i64,
    to: i64,
    lines: usize,
) -> rusqlite::Result<SensorLines> {
    let mut st = conn.prepare_cached(
        "SELECT sensor, sum(bytes) FROM sensor_minutes WHERE minute >= ?1 AND minute < ?2
         GROUP BY sensor",
    )?;
    let mut totals: Vec<(String, i64)> = st
        .query_map(params![from, to], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    let lines = lines.max(1);
    let shared = totals.len() > lines;
    // Busiest first, then by name; the names shown keep that order.
    totals.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let own = if shared { lines - 1 } else { totals.len() };
    let mut names: Vec<String> = totals[..own].iter().map(|t| t.0.clone()).collect();
    if shared {
        names.push(format!("{} other sensors", totals.len() - own));
    }
    let line_of: HashMap<&str, usize> = totals
        .iter()
        .enumerate()
        .map(|(i, t)| (t.0.as_str(), i.min(own)))
        .collect();
    let first = from - from.rem_euclid(60);
    let minutes = usize::try_from((to - first + 59) / 60).unwrap_or(0);
    let mut bytes = vec![vec![0u64; minutes]; names.len()];
    let mut st = conn.prepare_cached(
        "SELECT minute, sensor, bytes FROM sensor_minutes WHERE minute >= ?1 AND minute < ?2",
    )?;
    let mut rows = st.query(params![from, to])?;
    while let Some(r) = rows.next()? {
        let minute: i64 = r.get(0)?;
        let sensor = r.get_ref(1)?.as_str().map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(1, rusqlite::types::Type::Text, e.into())
        })?;
        let b = r.get::<_, i64>(2)? as u64;
        let slot = usize::try_from((minute - first) / 60).ok();
        if let (Some(&line), Some(slot)) = (line_of.get(sensor), slot)
            && let Some(cell) = bytes[line].get_mut(slot)
        {
            *cell = cell.saturating_add(b);
        }
    }
    drop(line_of);
    let mut sensors: Vec<String> = totals.into_iter().map(|t| t.0).collect();
    sensors.sort();
    Ok(SensorLines {
        sensors,
        names,
        bytes,
    })
}

/// Bytes of all sensors together in `[from, to)`, added into `totals` at the index
/// `slot_of(minute)` gives (skipped when out of range). Summed per minute by SQLite: a month
/// is 43,200 rows whatever the number of sensors, none of them kept.
pub fn add_bytes_by(
    conn: &Connection,
    from: i64,
    to: i64,
    slot_of: impl Fn(i64) -> i64,
    totals: &mut [u64],
) -> rusqlite::Result<()> {
    let mut st = conn.prepare_cached(
        "SELECT minute, sum(bytes) FROM sensor_minutes WHERE minute >= ?1 AND minute < ?2
         GROUP BY minute",
    )?;
    let mut rows = st.query(params![from, to])?;
    while let Some(r) = rows.next()? {
        let slot = usize::try_from(slot_of(r.get(0)?)).ok();
        if let Some(t) = slot.and_then(|i| totals.get_mut(i)) {
            *t = t.saturating_add(r.get::<_, i64>(1)? as u64);
        }
    }
    Ok(())
}

/// Minutes collected per local day (by the caller's day function) in `[from, to)`.
pub fn covered_minutes(
    conn: &Connection,
    from: i64,
    to: i64,
    day_of: impl Fn(i64) -> i64,
) -> rusqlite::Result<HashMap<i64, u32>> {
    let mut st = conn.prepare_cached(
        "SELECT minute FROM collector_minutes WHERE minute >= ?1 AND minute < ?2",
    )?;
    let mut out = HashMap::new();
    for m in st.query_map(params![from, to], |r| r.get::<_, i64>(0))? {
        *out.entry(day_of(m?)).or_default() += 1;
    }
    Ok(out)
}

/// One incident as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct IncidentRow {
    pub rule: String,
    pub direction: String,
    pub sensor: String,
    pub host: String,
    pub label: Option<String>,
    pub start: i64,
    pub end: Option<i64>,
    pub peak: Rate,
    pub usual: Option<Rate>,
    pub limit: Rate,
    pub total_bytes: u64,
}

/// Open incidents first, then the newest; `host` narrows to one host; `[from, to)` to those
/// that overlap it.
pub fn incidents(
    conn: &Connection,
    host: Option<&str>,
    from: i64,
    to: i64,
    n: usize,
) -> rusqlite::Result<Vec<IncidentRow>> {
    let mut st = conn.prepare_cached(
        "SELECT rule, direction, sensor, host, label, start, end, unit, peak, usual, limit_value,
           total_bytes FROM incidents
         WHERE (?1 IS NULL OR host = ?1) AND start < ?3 AND (end IS NULL OR end >= ?2)
         ORDER BY end IS NOT NULL, start DESC LIMIT ?4",
    )?;
    let rows = st.query_map(params![host, from, to, n as i64], |r| {
        let unit: String = r.get(7)?;
        Ok(IncidentRow {
            rule: r.get(0)?,
            direction: r.get(1)?,
            sensor: r.get(2)?,
            host: r.get(3)?,
            label: r.get(4)?,
            start: r.get(5)?,
            end: r.get(6)?,
            peak: rate_from(&unit, r.get(8)?),
            usual: r.get::<_, Option<f64>>(9)?.map(|u| rate_from(&unit, u)),
            limit: rate_from(&unit, r.get(10)?),
            total_bytes: r.get::<_, i64>(11)? as u64,
        })
    })?;
    rows.collect()
}

/// One exporter as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct ExporterRow {
    pub sensor: String,
    pub protocol: Option<String>,
    pub last_seen: i64,
    pub sampling_rate: Option<i64>,
    pub records: u64,
    pub sequence_lost: u64,
    pub decode_errors: u64,
}

pub fn exporters(conn: &Connection) -> rusqlite::Result<Vec<ExporterRow>> {
    let mut st = conn.prepare_cached(
        "SELECT sensor, protocol, last_seen, sampling_rate, records, sequence_lost, decode_errors
         FROM exporters ORDER BY last_seen DESC",
    )?;
    let rows = st.query_map([], |r| {
        Ok(ExporterRow {
            sensor: r.get(0)?,
            protocol: r.get(1)?,
            last_seen: r.get(2)?,
            sampling_rate: r.get(3)?,
            records: r.get::<_, i64>(4)? as u64,
            sequence_lost: r.get::<_, i64>(5)? as u64,
            decode_errors: r.get::<_, i64>(6)? as u64,
        })
    })?;
    rows.collect()
}

/// One conversation as the pages list it.
#[derive(Debug, Clone, PartialEq)]
pub struct ConvRow {
    pub src: String,
    pub dst: String,
    pub service: String,
    pub bytes: u64,
}

/// The top conversations in `[from, to)` (from the five-minute periods), all sensors.
pub fn conversations(
    conn: &Connection,
    from: i64,
    to: i64,
    n: usize,
) -> rusqlite::Result<Vec<ConvRow>> {
    let mut st = conn.prepare_cached(
        "SELECT l4, src, dst, port, sum(bytes) AS b FROM conversations
         WHERE period_start >= ?1 AND period_start < ?2
         GROUP BY sensor, l3, l4, src, dst, port, port_role ORDER BY b DESC LIMIT ?3",
    )?;
    let rows = st.query_map(params![from, to, n as i64], |r| {
        let l4: String = r.get(0)?;
        Ok(ConvRow {
            src: r.get(1)?,
            dst: r.get(2)?,
            service: service_text(&l4, r.get::<_, i64>(3)? as u16),
            bytes: r.get::<_, i64>(4)? as u64,
        })
    })?;
    rows.collect()
}

/// When the incident of `host` that started at `start` ended (`None`: still going on, or not
/// stored yet).
pub fn incident_end(conn: &Connection, host: std::net::IpAddr, start: i64) -> Option<i64> {
    conn.query_row(
        "SELECT end FROM incidents WHERE host = ?1 AND start = ?2 ORDER BY end IS NULL LIMIT 1",
        params![host.to_string(), start],
        |r| r.get::<_, Option<i64>>(0),
    )
    .ok()
    .flatten()
}
