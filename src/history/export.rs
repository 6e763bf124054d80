//! `nf-svc export`: a host's traffic (or every sensor's) per step, as CSV or JSON, read from
//! the history file — while the collector runs too (WAL lets readers in).
//!
//! Columns, in this order: `time,sent_bytes,received_bytes,sent_packets,received_packets,flows,
//! host,name,vendor,minutes_collected` (`--sensors`: `time,sensor,bytes,packets,flows,name,
//! minutes_collected`). `time` is the start of the step in local time with its UTC offset (ISO
//! 8601); `minutes_collected` says how many of the step's minutes (within `--from`/`--to`)
//! nf-svc was collecting, so a partial day or hour is seen as partial (a day has 1,440). Only
//! steps with traffic are printed: a host the store has never seen gives the header alone.

use super::minute::{HostCounts, SensorCounts};
use super::{query, store};
use chrono::{
    DateTime, Duration as ChronoDuration, Local, NaiveDate, NaiveDateTime, TimeZone, Timelike,
};
use std::collections::BTreeMap;
use std::fmt;
use std::io::Write;
use std::net::IpAddr;
use std::str::FromStr;

/// How long one output row covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Minute,
    FiveMinutes,
    Hour,
    Day,
}

impl FromStr for Step {
    type Err = String;
    fn from_str(s: &str) -> Result<Step, String> {
        match s.trim() {
            "1m" => Ok(Step::Minute),
            "5m" => Ok(Step::FiveMinutes),
            "1h" => Ok(Step::Hour),
            "1d" => Ok(Step::Day),
            _ => Err("expected 1m, 5m, 1h or 1d".into()),
        }
    }
}

impl Step {
    /// The start of the step holding `t` (hours and days begin at local boundaries).
    pub fn start_of(self, t: DateTime<Local>) -> DateTime<Local> {
        let unix = t.timestamp();
        match self {
            Step::Minute => local(unix - unix.rem_euclid(60)),
            Step::FiveMinutes => local(unix - unix.rem_euclid(300)),
            Step::Hour => {
                let s = t.minute() as i64 * 60 + t.second() as i64;
                local(unix - s)
            }
            Step::Day => Local
                .from_local_datetime(&t.date_naive().and_hms_opt(0, 0, 0).unwrap_or_default())
                .earliest()
                .unwrap_or(t),
        }
    }
}

/// The output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Json,
}

impl FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Format, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "csv" => Ok(Format::Csv),
            "json" => Ok(Format::Json),
            _ => Err("expected csv or json".into()),
        }
    }
}

/// Unix seconds as local time (the pages use it too).
pub fn local(unix: i64) -> DateTime<Local> {
    Local
        .timestamp_opt(unix, 0)
        .earliest()
        .unwrap_or_else(Local::now)
}

/// A time as the command line takes it: `2026-11-27T14:00`, `2026-11-27 14:00:00`,
/// `2026-11-27` (local midnight), RFC 3339 with an offset, `now`, or relative to `now`:
/// `-30m`, `-2h`, `-7d`, `-2w`.
pub fn parse_time(s: &str, now: DateTime<Local>) -> Result<DateTime<Local>, String> {
    let expected = || {
        format!(
            "\"{s}\": expected a local time (2026-11-27T14:00, 2026-11-27 14:00:00, 2026-11-27), \
             RFC 3339 with an offset (2026-11-27T14:00:00+01:00), now, or -30m, -2h, -7d, -2w"
        )
    };
    let t = s.trim();
    if t.eq_ignore_ascii_case("now") {
        return Ok(now);
    }
    if let Some(rel) = t.strip_prefix('-') {
        let (n, unit) = rel.split_at(rel.find(|c: char| !c.is_ascii_digit()).unwrap_or(rel.len()));
        let n: i64 = n.parse().map_err(|_| expected())?;
        let secs = match unit {
            "s" => 1,
            "m" => 60,
            "h" => 3600,
            "d" => 86400,
            "w" => 7 * 86400,
            _ => return Err(expected()),
        };
        return now
            .checked_sub_signed(ChronoDuration::seconds(n.saturating_mul(secs)))
            .ok_or_else(expected);
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(t) {
        return Ok(t.with_timezone(&Local));
    }
    let naive = [
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%d %H:%M",
    ]
    .iter()
    .find_map(|f| NaiveDateTime::parse_from_str(t, f).ok())
    .or_else(|| {
        NaiveDate::parse_from_str(t, "%Y-%m-%d")
            .ok()
            .and_then(|d| d.and_hms_opt(0, 0, 0))
    })
    .ok_or_else(expected)?;
    Local
        .from_local_datetime(&naive)
        .earliest()
        .ok_or_else(|| format!("\"{s}\" does not exist in local time (a clock change)"))
}

/// `2026-11-27T14:00:00+01:00`.
pub fn iso(t: DateTime<Local>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%:z").to_string()
}

/// What to export.
#[derive(Debug, Clone)]
pub struct Query {
    /// A host, or (`None`) every sensor.
    pub host: Option<IpAddr>,
    pub from: DateTime<Local>,
    pub to: DateTime<Local>,
    pub step: Step,
    pub format: Format,
    /// The names the settings give (the labels); the store's learned names are added.
    pub names: crate::names::Names,
}

impl Query {
    /// `[from, to)` in whole Unix seconds: a minute counts when it starts before `to`, so
    /// `to` is rounded up (at 14:00:00.4, the minute that began at 14:00:00 is in).
    pub fn bounds(&self) -> (i64, i64) {
        let up = i64::from(self.to.timestamp_subsec_nanos() > 0);
        (self.from.timestamp(), self.to.timestamp() + up)
    }
}

/// A host's counts per step.
pub fn host_steps(
    conn: &rusqlite::Connection,
    host: IpAddr,
    q: &Query,
) -> rusqlite::Result<Vec<(DateTime<Local>, HostCounts)>> {
    let mut steps: BTreeMap<DateTime<Local>, HostCounts> = BTreeMap::new();
    let (from, to) = q.bounds();
    for (minute, c) in query::host_minutes(conn, host, from, to)? {
        steps
            .entry(q.step.start_of(local(minute)))
            .or_default()
            .merge(&c);
    }
    Ok(steps.into_iter().collect())
}

/// Every sensor's counts per step.
pub fn sensor_steps(
    conn: &rusqlite::Connection,
    q: &Query,
) -> rusqlite::Result<Vec<(DateTime<Local>, String, SensorCounts)>> {
    let mut steps: BTreeMap<(DateTime<Local>, String), SensorCounts> = BTreeMap::new();
    let (from, to) = q.bounds();
    for (minute, sensor, c) in query::sensor_minutes(conn, from, to)? {
        let e = steps
            .entry((q.step.start_of(local(minute)), sensor))
            .or_default();
        e.bytes += c.bytes;
        e.packets += c.packets;
        e.flows += c.flows;
    }
    Ok(steps.into_iter().map(|((t, s), c)| (t, s, c)).collect())
}

/// Columns whose values are text (names may look like numbers); the others are counts.
const TEXT_COLUMNS: &[&str] = &["time", "host", "sensor", "name", "vendor"];

/// One table: a header and rows of values (counts, times, addresses, names).
struct Table {
    columns: &'static [&'static str],
    rows: Vec<Vec<String>>,
}

/// A CSV field: quoted when it holds a comma, a quote or a line break (RFC 4180).
fn csv_field(v: &str) -> std::borrow::Cow<'_, str> {
    if v.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", v.replace('"', "\"\"")).into()
    } else {
        v.into()
    }
}

impl Table {
    fn write(&self, format: Format, out: &mut impl Write) -> std::io::Result<()> {
        match format {
            Format::Csv => {
                writeln!(out, "{}", self.columns.join(","))?;
                for r in &self.rows {
                    let fields: Vec<_> = r.iter().map(|v| csv_field(v)).collect();
                    writeln!(out, "{}", fields.join(","))?;
                }
            }
            Format::Json => {
                writeln!(out, "[")?;
                for (i, r) in self.rows.iter().enumerate() {
                    let fields: Vec<String> = self
                        .columns
                        .iter()
                        .zip(r)
                        .map(|(c, v)| match v.parse::<u64>() {
                            Ok(n) if !TEXT_COLUMNS.contains(c) => format!("\"{c}\":{n}"),
                            _ => format!("\"{c}\":{}", serde_json::Value::from(v.as_str())),
                        })
                        .collect();
                    let comma = if i + 1 < self.rows.len() { "," } else { "" };
                    writeln!(out, "{{{}}}{comma}", fields.join(","))?;
                }
                writeln!(out, "]")?;
            }
        }
        Ok(())
    }
}

/// Run a query against the store and write the result.
pub fn export(conn: &rusqlite::Connection, q: &Query, out: &mut impl Write) -> Result<(), String> {
    let names = match query::names(conn) {
        Ok(learned) => q.names.clone().with_learned(std::sync::Arc::new(learned)),
        Err(_) => q.names.clone(),
    };
    let (from, to) = q.bounds();
    let collected =
        query::covered_minutes(conn, from, to, |m| q.step.start_of(local(m)).timestamp())
            .map_err(|e| e.to_string())?;
    let minutes_of = |t: DateTime<Local>| {
        collected
            .get(&t.timestamp())
            .copied()
            .unwrap_or(0)
            .to_string()
    };
    let name_of = |ip: IpAddr| names.name(ip).unwrap_or_default().to_string();
    let vendor_of = |ip: IpAddr| names.vendor(ip).unwrap_or_default().to_string();
    let table = match q.host {
        Some(host) => Table {
            columns: &[
                "time",
                "sent_bytes",
                "received_bytes",
                "sent_packets",
                "received_packets",
                "flows",
                "host",
                "name",
                "vendor",
                "minutes_collected",
            ],
            rows: host_steps(conn, host, q)
                .map_err(|e| e.to_string())?
                .into_iter()
                .map(|(t, c)| {
                    vec![
                        iso(t),
                        c.sent_bytes.to_string(),
                        c.received_bytes.to_string(),
                        c.sent_packets.to_string(),
                        c.received_packets.to_string(),
                        c.flows.to_string(),
                        host.to_string(),
                        name_of(host),
                        vendor_of(host),
                        minutes_of(t),
                    ]
                })
                .collect(),
        },
        None => Table {
            columns: &[
                "time",
                "sensor",
                "bytes",
                "packets",
                "flows",
                "name",
                "minutes_collected",
            ],
            rows: sensor_steps(conn, q)
                .map_err(|e| e.to_string())?
                .into_iter()
                .map(|(t, s, c)| {
                    let name = s.parse().map(name_of).unwrap_or_default();
                    vec![
                        iso(t),
                        s,
                        c.bytes.to_string(),
                        c.packets.to_string(),
                        c.flows.to_string(),
                        name,
                        minutes_of(t),
                    ]
                })
                .collect(),
        },
    };
    table.write(q.format, out).map_err(|e| e.to_string())
}

/// Why an export did not happen.
#[derive(Debug)]
pub enum ExportError {
    /// The arguments (exit status 2).
    Usage(String),
    /// The store cannot be read (exit status 1).
    Store(String),
}

impl fmt::Display for ExportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExportError::Usage(m) | ExportError::Store(m) => f.write_str(m),
        }
    }
}

/// Export from the store at `path` to `out`.
pub fn run(path: &std::path::Path, q: &Query, out: &mut impl Write) -> Result<(), ExportError> {
    if q.from >= q.to {
        return Err(ExportError::Usage(format!(
            "--from ({}) must be before --to ({})",
            iso(q.from),
            iso(q.to)
        )));
    }
    let conn = store::open_for_reading(path).map_err(ExportError::Store)?;
    export(&conn, q, out)
        .map_err(|e| ExportError::Store(format!("cannot read {}: {e}", path.display())))
}

#[cfg(test)]
mod tests;
