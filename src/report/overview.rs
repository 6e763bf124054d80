//! `report.html`: what a click on the tray icon opens — traffic of the last day and month,
//! the busiest hosts, the top conversations, incidents and the sensors' health.

use super::PageSettings;
use super::page::{Sink, esc, push_figure, share, table};
use super::svg::{self, Series, TimeChart};
use super::{Conversations, device_file_name, local, offset_secs};
use crate::history::query::{self, IncidentRow, SensorLines};
use crate::words::units;
use chrono::{DateTime, Duration as ChronoDuration, Local, TimeZone};
use rusqlite::Connection;
use std::net::IpAddr;

/// Lines in the day's chart: one style each (colour and dash). With more sensors, the busiest
/// keep their own lines and the others are added up on the last.
const CHART_LINES: usize = svg::PALETTE.len();

fn hhmm(t: i64) -> String {
    local(t).format("%H:%M").to_string()
}

fn when(t: i64) -> String {
    local(t).format("%Y-%m-%d %H:%M").to_string()
}

/// `192.168.0.82 (Printer)` with the device's name ([`crate::names`]); a stored host that is
/// not an address, as it is.
pub fn host_name(s: &PageSettings, host: &str) -> String {
    match host.parse::<IpAddr>() {
        Ok(ip) => s.names.host(ip),
        Err(_) => host.to_string(),
    }
}

fn incident_rows(s: &PageSettings, incidents: &[IncidentRow], link: bool) -> Vec<Vec<String>> {
    incidents
        .iter()
        .map(|i| {
            let name = esc(&host_name(s, &i.host));
            let host_cell = match (link, i.host.parse::<IpAddr>()) {
                (true, Ok(ip)) => format!(
                    "<a href=\"reports/{}\">{name}</a>",
                    esc(&device_file_name(ip, i.start))
                ),
                _ => name,
            };
            let (status, end) = match i.end {
                None => (
                    "<span class=\"active\">going on</span>".to_string(),
                    String::new(),
                ),
                Some(e) => (
                    format!(
                        "{} long",
                        units::duration(
                            std::time::Duration::from_secs((e - i.start).max(0) as u64)
                        )
                    ),
                    when(e),
                ),
            };
            vec![
                host_cell,
                esc(&format!("{} ({})", i.rule, i.direction)),
                when(i.start),
                end,
                status,
                esc(&i.peak.to_string()),
                esc(&i.limit.to_string()),
                esc(&units::bytes(i.total_bytes)),
            ]
        })
        .collect()
}

/// Incident table columns, shared with the device report.
pub const INCIDENT_COLUMNS: [&str; 8] = [
    "host", "rule", "start", "end", "", "#peak", "#limit", "#total",
];

pub fn incidents_html(s: &PageSettings, incidents: &[IncidentRow], link: bool) -> String {
    table(
        &INCIDENT_COLUMNS,
        &incident_rows(s, incidents, link),
        "No incidents.",
    )
}

fn hosts_table(
    s: &PageSettings,
    conn: &Connection,
    from: i64,
    to: i64,
) -> rusqlite::Result<String> {
    let (hosts, total) = query::top_hosts(conn, from, to, 10)?;
    let rows: Vec<Vec<String>> = hosts
        .iter()
        .map(|h| {
            vec![
                esc(&host_name(s, &h.host)),
                esc(&units::bytes(h.sent)),
                esc(&units::bytes(h.received)),
                share(h.sent + h.received, total),
                esc(&h.services.join(", ")),
            ]
        })
        .collect();
    Ok(table(
        &[
            "host",
            "#sent",
            "#received",
            "share of all traffic",
            "busiest services",
        ],
        &rows,
        "No traffic in this period.",
    ))
}

/// The page's body at `now`, written into `b` as it is made ([`super::page::page_head`] and
/// `PAGE_END` go around it), one section after another.
pub fn body<W: Sink>(
    b: &mut W,
    s: &PageSettings,
    conn: &Connection,
    now: DateTime<Local>,
    conversations: &Conversations,
) -> rusqlite::Result<()> {
    let to = now.timestamp();
    let from = to - 86_400;
    let chart_lines = query::sensor_lines(conn, from, to, CHART_LINES)?;
    let gaps = query::gaps(conn, from, to)?;
    let day = Day {
        chart_lines: &chart_lines,
        gaps: &gaps,
        from,
        now,
    };
    heading(b, &day);
    day_chart(b, &day);
    daily_totals(b, conn, now)?;
    b.push_str("<h2>Busiest hosts</h2><h3>Last hour</h3>");
    b.push_str(&hosts_table(s, conn, to - 3600, to)?);
    b.push_str("<h3>Last 24 hours</h3>");
    b.push_str(&hosts_table(s, conn, from, to)?);
    top_conversations(b, s, conversations);
    b.push_str("<h2>Incidents</h2>");
    let incidents = query::incidents(conn, None, to - 30 * 86_400, to, 20)?;
    b.push_str(&incidents_html(s, &incidents, true));
    sensors(b, conn)
}

/// The last 24 hours the page shows: the sensors' lines and the gaps in collection.
struct Day<'a> {
    chart_lines: &'a SensorLines,
    gaps: &'a [(i64, i64)],
    from: i64,
    now: DateTime<Local>,
}

/// The title, the sensors, the period and when the page was made, and the gaps in it.
fn heading<W: Sink>(b: &mut W, day: &Day) {
    let (chart_lines, gaps, from, now) = (day.chart_lines, day.gaps, day.from, day.now);
    let to = now.timestamp();
    let _ = write!(
        b,
        "<h1>Network traffic</h1><p class=\"meta\">Sensors: {}</p><p class=\"meta\">Last 24 hours: {} – {}. Generated at {} by nf-svc.</p>",
        if chart_lines.sensors.is_empty() {
            "none yet".to_string()
        } else {
            esc(&chart_lines.sensors.join(", "))
        },
        when(from),
        when(to),
        now.format("%Y-%m-%d %H:%M:%S %:z")
    );
    if !gaps.is_empty() {
        let spans: Vec<String> = gaps
            .iter()
            .map(|(a, b)| format!("{}–{}", hhmm(*a), hhmm(*b)))
            .collect();
        let _ = write!(
            b,
            "<p class=\"meta\">nf-svc was not collecting: {} (grey in the charts).</p>",
            esc(&spans.join(", "))
        );
    }
}

/// Traffic over the day, per sensor, per minute.
fn day_chart<W: Sink>(b: &mut W, day: &Day) {
    let (chart_lines, gaps, from, now) = (day.chart_lines, day.gaps, day.from, day.now);
    let to = now.timestamp();
    let first = from - from.rem_euclid(60);
    let lines: Vec<Series> = chart_lines
        .names
        .iter()
        .zip(&chart_lines.bytes)
        .map(|(name, minutes)| {
            let points = minutes
                .iter()
                .enumerate()
                .map(|(i, b)| {
                    let m = first + 60 * i as i64;
                    let gap = gaps.iter().any(|(a, b)| m >= *a && m < *b);
                    (m, (!gap).then(|| *b as f64 * 8.0 / 60.0))
                })
                .collect();
            Series { name, points }
        })
        .collect();
    let unit = |v: f64| units::bits_per_second(v);
    let tick = |t: i64| hhmm(t);
    let names: Vec<&str> = lines.iter().map(|l| l.name).collect();
    let chart = TimeChart {
        title: "Traffic per sensor, last 24 hours",
        from,
        to,
        series: lines,
        limits: Vec::new(),
        incidents: Vec::new(),
        gaps: gaps.to_vec(),
        unit: &unit,
        tick_text: &tick,
        tick_every: 3 * 3600,
        utc_offset: offset_secs(now),
    };
    b.push_str("<h2>Traffic, last 24 hours</h2>");
    push_figure(
        b,
        |b| svg::time_chart_into(b, &chart),
        if chart_lines.sensors.len() > chart_lines.names.len() {
            "Per minute, in bit/s, as the sensors reported it: the busiest each on its own line, the others added up."
        } else {
            "Per minute, in bit/s, as each sensor reported it."
        },
    );
    b.push_str(&svg::legend(&names, &["grey: nf-svc not collecting"]));
}

/// Daily totals over 30 days, a grey bar for a day without collection.
fn daily_totals<W: Sink>(
    b: &mut W,
    conn: &Connection,
    now: DateTime<Local>,
) -> rusqlite::Result<()> {
    let to = now.timestamp();
    let today = now.date_naive();
    let first_day = today - ChronoDuration::days(29);
    let day_start = |d: chrono::NaiveDate| {
        Local
            .from_local_datetime(&d.and_hms_opt(0, 0, 0).unwrap_or_default())
            .earliest()
            .map(|t| t.timestamp())
            .unwrap_or(0)
    };
    let month_from = day_start(first_day);
    let day_of = |t: i64| (local(t).date_naive() - first_day).num_days();
    let covered = query::covered_minutes(conn, month_from, to, day_of)?;
    let mut totals = vec![0u64; 30];
    query::add_bytes_by(conn, month_from, to, day_of, &mut totals)?;
    let bars: Vec<(String, Option<f64>)> = (0..30)
        .map(|i| {
            let d = first_day + ChronoDuration::days(i);
            let label = d.format("%d %b").to_string();
            (
                label,
                covered
                    .contains_key(&i)
                    .then_some(totals[i as usize] as f64),
            )
        })
        .collect();
    let bytes_unit = |v: f64| units::bytes(v as u64);
    b.push_str("<h2>Daily totals, last 30 days</h2>");
    push_figure(
        b,
        |b| {
            b.push_str(&svg::bar_chart(
                "Bytes per day, last 30 days",
                &bars,
                &bytes_unit,
            ))
        },
        "All sensors together; a grey day had no collection at all.",
    );
    Ok(())
}

/// The top conversations of each summary interval.
fn top_conversations<W: Sink>(b: &mut W, s: &PageSettings, conversations: &Conversations) {
    b.push_str("<h2>Top conversations</h2>");
    if conversations.is_empty() {
        b.push_str("<p class=\"none\">No summary yet.</p>");
    }
    for (title, rows) in conversations {
        let _ = write!(b, "<h3>{}</h3>", esc(title));
        let rows: Vec<Vec<String>> = rows
            .iter()
            .map(|c| {
                vec![
                    esc(&host_name(s, &c.src)),
                    esc(&host_name(s, &c.dst)),
                    esc(&c.service),
                    esc(&units::bytes(c.bytes)),
                ]
            })
            .collect();
        b.push_str(&table(
            &["from", "to", "service", "#bytes"],
            &rows,
            "No traffic.",
        ));
    }
}

/// Each sensor's health: protocol, last heard, records, losses, sampling.
fn sensors<W: Sink>(b: &mut W, conn: &Connection) -> rusqlite::Result<()> {
    b.push_str("<h2>Sensors</h2>");
    let rows: Vec<Vec<String>> = query::exporters(conn)?
        .iter()
        .map(|e| {
            vec![
                esc(&e.sensor),
                esc(e.protocol.as_deref().unwrap_or("?")),
                when(e.last_seen),
                esc(&units::thousands(e.records)),
                esc(&units::thousands(e.sequence_lost)),
                esc(&units::thousands(e.decode_errors)),
                e.sampling_rate
                    .filter(|r| *r > 1)
                    .map(|r| format!("1 in {r}"))
                    .unwrap_or_else(|| "none".into()),
            ]
        })
        .collect();
    b.push_str(&table(
        &[
            "sensor",
            "protocol",
            "last heard",
            "#records",
            "#lost in transit",
            "#undecodable",
            "sampling",
        ],
        &rows,
        "No sensor has sent anything yet.",
    ));
    Ok(())
}
