//! Report pages a person can read and hand on: `report.html` in the log folder (the last day
//! and month, busiest hosts, conversations, incidents, sensors) and device reports in
//! `reports/` (one host over a period, printable on A4, with a CSV beside it).
//!
//! * [`data`] — the queries on the history store; [`svg`] — the charts; [`page`] — the HTML
//!   around them; [`overview`] and [`device`] — the two pages; [`output`] — rewriting them
//!   from the collector (after summaries, when incidents end) on a thread of their own.
//!
//! Every page is one file with inline CSS and SVG: no script, no outside resource, readable
//! offline and mailable as one attachment.

pub mod device;
pub mod output;
pub mod overview;
pub mod page;
pub mod svg;

use crate::history::{query, store};
use crate::names::Names;
use crate::settings::{AlertSettings, Settings};
use crate::sink::{write_atomically, write_atomically_with};
use crate::summary::{Row, Summary};
use crate::words::protocols::{l4_proto_name, service_name};
use crate::words::units::interval_short;
use chrono::{DateTime, Local, Offset};
use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::Arc;

/// The overview page's name in the log folder.
pub const REPORT_FILE: &str = "report.html";
/// The folder of device reports, in the log folder.
pub const REPORTS_DIR: &str = "reports";

pub use crate::history::query::ConvRow;

/// What the pages take from the settings: the log folder they are written into, the history
/// they read, the intervals their conversation tables cover, the limits they draw (the alert
/// section, read through [`crate::alerts::limits`]) and the names they show.
#[derive(Debug, Clone, PartialEq)]
pub struct PageSettings {
    pub dir: PathBuf,
    pub history: PathBuf,
    pub intervals: Vec<std::time::Duration>,
    pub alerts: AlertSettings,
    pub names: Names,
}

impl PageSettings {
    /// The pages' part of the settings.
    pub fn of(s: &Settings) -> PageSettings {
        PageSettings {
            dir: s.logs.dir.clone(),
            history: s.history.path.clone(),
            intervals: s.summary.intervals.clone(),
            alerts: s.alerts.clone(),
            names: Names::from_settings(&s.alerts),
        }
    }
}

/// Top conversations per summary interval: (title, rows).
pub type Conversations = Vec<(String, Vec<ConvRow>)>;

/// Rows shown per conversation table.
const TOP_CONVERSATIONS: usize = 10;

pub use crate::history::export::local;

/// Local time's offset from UTC at `t`, in seconds.
pub fn offset_secs(t: DateTime<Local>) -> i64 {
    t.offset().fix().local_minus_utc() as i64
}

/// `reports/<host>-<YYYYmmdd-HHMM>.html` for an incident of `host` that started at `start`.
pub fn device_file_name(host: IpAddr, start: i64) -> String {
    format!(
        "{}-{}.html",
        host_file_part(host),
        local(start).format("%Y%m%d-%H%M")
    )
}

/// Where the device report of an incident of `host` that started at `start` is written, in
/// the log folder `dir`.
pub fn incident_file(dir: &std::path::Path, host: IpAddr, start: i64) -> PathBuf {
    dir.join(REPORTS_DIR).join(device_file_name(host, start))
}

/// The conversations of the newest summary of each interval (in the collector).
pub fn conversations_from_reports(latest: &[Arc<Summary>]) -> Conversations {
    latest
        .iter()
        .map(|r| {
            // The biggest rows first (ties in report order), and only they are put into words.
            let mut biggest: Vec<(usize, &Row)> = r
                .exporters
                .iter()
                .flat_map(|e| &e.rows)
                .enumerate()
                .collect();
            let rank = |(i, row): &(usize, &Row)| (std::cmp::Reverse(row.bytes), *i);
            if biggest.len() > TOP_CONVERSATIONS {
                biggest.select_nth_unstable_by_key(TOP_CONVERSATIONS, rank);
                biggest.truncate(TOP_CONVERSATIONS);
            }
            biggest.sort_unstable_by_key(rank);
            let rows: Vec<ConvRow> = biggest
                .into_iter()
                .map(|(_, row)| ConvRow {
                    src: row.src.to_string(),
                    dst: row.dst.to_string(),
                    service: service_name(row.proto, row.port)
                        .map(str::to_string)
                        .unwrap_or_else(|| format!("{} {}", l4_proto_name(row.proto), row.port)),
                    bytes: row.bytes,
                })
                .collect();
            (
                format!(
                    "Last {} summary ({} – {}{})",
                    interval_short(r.interval),
                    r.start.format("%H:%M"),
                    r.end.format("%H:%M"),
                    if r.partial { ", partial" } else { "" }
                ),
                rows,
            )
        })
        .collect()
}

/// The same from the stored five-minute conversations (`nf-svc report`, the tray).
pub fn conversations_from_store(
    conn: &rusqlite::Connection,
    s: &PageSettings,
    now: i64,
) -> rusqlite::Result<Conversations> {
    s.intervals
        .iter()
        .map(|iv| {
            let rows =
                query::conversations(conn, now - iv.as_secs() as i64, now, TOP_CONVERSATIONS)?;
            Ok((format!("Last {}", interval_short(*iv)), rows))
        })
        .collect()
}

fn open_store(s: &PageSettings) -> Result<rusqlite::Connection, String> {
    store::open_for_reading(&s.history)
}

/// The page settings with the names the store learned beside the labels (a store that cannot
/// say leaves the labels alone).
fn with_stored_names(s: &PageSettings, conn: &rusqlite::Connection) -> PageSettings {
    let mut named = s.clone();
    if let Ok(learned) = query::names(conn) {
        named.names = named.names.with_learned(Arc::new(learned));
    }
    named
}

/// Write `report.html` (and the device reports of the incidents it lists: open ones anew,
/// ended ones when missing). `latest`: the collector's newest summaries, else the store's.
pub fn write_overview(
    s: &PageSettings,
    now: DateTime<Local>,
    latest: Option<&[Arc<Summary>]>,
) -> Result<PathBuf, String> {
    let conn = open_store(s)?;
    let s = &with_stored_names(s, &conn);
    let conversations = match latest {
        Some(l) => conversations_from_reports(l),
        None => conversations_from_store(&conn, s, now.timestamp()).map_err(|e| e.to_string())?,
    };
    let path = s.dir.join(REPORT_FILE);
    // The page is written into the file as it is made: with many sensors it runs to
    // megabytes. A query that fails leaves the page as it was (the temporary file goes).
    let mut query_failed = None;
    let written = write_atomically_with(&path, |f| {
        f.write_all(page::page_head("nf-svc report").as_bytes())?;
        let mut sink = page::FileSink::new(f);
        if let Err(e) = overview::body(&mut sink, s, &conn, now, &conversations) {
            query_failed = Some(e.to_string());
            return Err(std::io::Error::other("a query failed"));
        }
        sink.finish()?;
        f.write_all(page::PAGE_END.as_bytes())
    });
    if let Some(e) = query_failed {
        return Err(e);
    }
    written.map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    let listed = query::incidents(
        &conn,
        None,
        now.timestamp() - 30 * 86_400,
        now.timestamp(),
        20,
    )
    .map_err(|e| e.to_string())?;
    for i in listed {
        let Ok(host) = i.host.parse::<IpAddr>() else {
            continue;
        };
        if i.end.is_none() || !incident_file(&s.dir, host, i.start).exists() {
            write_incident(s, host, i.start, i.end, now)?;
        }
    }
    Ok(path)
}

/// A page a click asks for (a toast, the menu, a companion tray through the status endpoint).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Page {
    /// `report.html`.
    Overview,
    /// The device report of an incident of `host` that started at `start` (Unix seconds).
    Incident { host: IpAddr, start: i64 },
}

/// Make `page` fresh and return its path. `latest`: the collector's newest summaries.
pub fn make(
    s: &PageSettings,
    page: &Page,
    latest: Option<&[Arc<Summary>]>,
) -> Result<PathBuf, String> {
    let now = Local::now();
    match *page {
        Page::Overview => write_overview(s, now, latest),
        Page::Incident { host, start } => {
            let end = incident_end(s, host, start);
            write_incident(s, host, start, end, now)
        }
    }
}

/// Write the device report of an incident: from an hour before it started to an hour after it
/// ended (or now, while it lasts).
pub fn write_incident(
    s: &PageSettings,
    host: IpAddr,
    start: i64,
    end: Option<i64>,
    now: DateTime<Local>,
) -> Result<PathBuf, String> {
    let to = end
        .map(|e| e + 3600)
        .unwrap_or(now.timestamp())
        .min(now.timestamp() + 60);
    let path = incident_file(&s.dir, host, start);
    write_device(s, host, local(start - 3600), local(to), now, &path)
}

/// Write a device report (and its CSV, same name) to `path`.
pub fn write_device(
    s: &PageSettings,
    host: IpAddr,
    from: DateTime<Local>,
    to: DateTime<Local>,
    now: DateTime<Local>,
    path: &std::path::Path,
) -> Result<PathBuf, String> {
    let conn = open_store(s)?;
    let s = &with_stored_names(s, &conn);
    let csv_path = path.with_extension("csv");
    let csv_name = csv_path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let d = device::build(s, &conn, host, from, to, now, &csv_name)?;
    write_atomically(path, &d.html).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    write_atomically(&csv_path, &d.csv)
        .map_err(|e| format!("cannot write {}: {e}", csv_path.display()))?;
    Ok(path.to_path_buf())
}

/// When an incident of `host` that started at `start` ended (`None`: still going on, or not
/// stored yet).
pub fn incident_end(s: &PageSettings, host: IpAddr, start: i64) -> Option<i64> {
    query::incident_end(&open_store(s).ok()?, host, start)
}

/// The latest incidents for a menu: (host, start, `12:07 192.168.0.82 (Printer), spike`).
pub fn recent_incidents(s: &PageSettings, n: usize) -> Vec<(IpAddr, i64, String)> {
    let Ok(conn) = open_store(s) else {
        return Vec::new();
    };
    let now = Local::now().timestamp();
    let rows = query::incidents(&conn, None, now - 30 * 86_400, now + 60, n).unwrap_or_default();
    let mut seen = std::collections::HashSet::new();
    rows.into_iter()
        .filter_map(|i| {
            let host: IpAddr = i.host.parse().ok()?;
            seen.insert((host, i.start)).then(|| {
                let when = local(i.start).format("%a %d %b %H:%M");
                let state = if i.end.is_none() { ", going on" } else { "" };
                let text = format!(
                    "{when} {}, {}{state}",
                    overview::host_name(s, &i.host),
                    i.rule
                );
                (host, i.start, text)
            })
        })
        .collect()
}

/// The host as a file name part: `192.168.0.82`, `fe80--1` (no `:` on Windows).
pub fn host_file_part(host: IpAddr) -> String {
    host.to_string().replace(':', "-")
}
