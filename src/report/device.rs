//! A device report: one host over a period — its rate with the limit and each incident
//! marked, totals, peak and usual rate, its peers and services, an hour × day heat map for
//! longer periods, and its incidents. Printable on A4; a CSV of the same minutes beside it.

use super::PageSettings;
use super::overview::{host_name, incidents_html};
use super::page::{esc, page, push_figure, table};
use super::svg::{self, Series, TimeChart};
use super::{local, offset_secs};
use crate::alerts::Direction;
use crate::alerts::limits::bit_limits;
use crate::history::export;
use crate::history::minute::HostCounts;
use crate::history::query::{self, IncidentRow};
use crate::words::units;
use chrono::{DateTime, Local, Timelike};
use rusqlite::Connection;
use std::collections::BTreeMap;
use std::fmt::Write;
use std::net::IpAddr;

/// Points drawn at most; longer periods are averaged into wider steps.
const MAX_POINTS: i64 = 720;

/// Every bit-rate limit on what `host` sends and receives ([`bit_limits`], the rule the alert
/// engine applies), each once, labelled with its rate, its rule and the direction it limits.
/// A host over any of them raises an incident, so the lowest is the one that fires.
fn limits(s: &PageSettings, host: IpAddr) -> Vec<(f64, String)> {
    let sent = bit_limits(&s.alerts, host, Direction::From);
    let received = bit_limits(&s.alerts, host, Direction::To);
    let mut out: Vec<(f64, String)> = Vec::new();
    for &(rule, bps) in sent.iter().chain(&received) {
        let in_sent = sent.contains(&(rule, bps));
        let in_received = received.contains(&(rule, bps));
        let dir = match (in_sent, in_received) {
            (true, true) => "sent and received",
            (true, false) => "sent",
            _ => "received",
        };
        let label = format!(
            "limit {} ({}, {dir})",
            units::bits_per_second(bps),
            rule.name()
        );
        if !out.iter().any(|(_, l)| *l == label) {
            out.push((bps, label));
        }
    }
    out
}

pub struct Device {
    pub html: String,
    pub csv: String,
}

/// The page and its CSV for `host` over `[from, to)`; `csv_name` is the CSV's file name, which
/// the page links to.
pub fn build(
    s: &PageSettings,
    conn: &Connection,
    host: IpAddr,
    from: DateTime<Local>,
    to: DateTime<Local>,
    now: DateTime<Local>,
    csv_name: &str,
) -> Result<Device, String> {
    let html = html(s, conn, host, from, to, now, csv_name).map_err(|e| e.to_string())?;
    let q = export::Query {
        host: Some(host),
        from,
        to,
        step: export::Step::Minute,
        format: export::Format::Csv,
        names: s.names.clone(),
    };
    let mut csv = Vec::new();
    export::export(conn, &q, &mut csv)?;
    Ok(Device {
        html,
        csv: String::from_utf8_lossy(&csv).into_owned(),
    })
}

/// What one device report covers: the host, its period, and what the store holds of it.
struct Span<'a> {
    s: &'a PageSettings,
    host: IpAddr,
    from: DateTime<Local>,
    to: DateTime<Local>,
    now: DateTime<Local>,
    minutes: BTreeMap<i64, HostCounts>,
    gaps: Vec<(i64, i64)>,
    incidents: Vec<IncidentRow>,
}

impl Span<'_> {
    fn f(&self) -> i64 {
        self.from.timestamp()
    }

    fn t(&self) -> i64 {
        self.to.timestamp()
    }
}

fn html(
    s: &PageSettings,
    conn: &Connection,
    host: IpAddr,
    from: DateTime<Local>,
    to: DateTime<Local>,
    now: DateTime<Local>,
    csv_name: &str,
) -> rusqlite::Result<String> {
    let (f, t) = (from.timestamp(), to.timestamp());
    let span = Span {
        s,
        host,
        from,
        to,
        now,
        minutes: query::host_minutes(conn, host, f, t)?.into_iter().collect(),
        gaps: query::gaps(conn, f, t.min(now.timestamp()))?,
        incidents: query::incidents(conn, Some(&host.to_string()), f, t, 50)?,
    };
    let name = host_name(s, &host.to_string());
    let mut b = String::with_capacity(32 * 1024);
    heading_and_cards(&mut b, &span, &name);
    rate_chart(&mut b, &span);
    if t - f >= 2 * 86_400 {
        heat_map(&mut b, &span);
    }
    peers_and_services(&mut b, &span, conn)?;
    b.push_str("<h2>Incidents</h2>");
    b.push_str(&incidents_html(s, &span.incidents, false));
    let _ = write!(
        b,
        "<p class=\"meta\">The minutes behind this page: <a href=\"{0}\">{0}</a>.</p>",
        esc(csv_name)
    );
    Ok(page(&format!("nf-svc: {name}"), &b))
}

/// The title and period, then cards: sent, received, the busiest minute, the average and the
/// number of incidents.
fn heading_and_cards(b: &mut String, sp: &Span, name: &str) {
    let (from, to, now, f, t) = (sp.from, sp.to, sp.now, sp.f(), sp.t());
    let (minutes, gaps, incidents) = (&sp.minutes, &sp.gaps, &sp.incidents);
    let (mut sent, mut received, mut peak) = (0u64, 0u64, 0.0f64);
    for c in minutes.values() {
        sent += c.sent_bytes;
        received += c.received_bytes;
        peak = peak.max(c.sent_bytes.max(c.received_bytes) as f64 * 8.0 / 60.0);
    }
    let collected_secs = ((t - f) - gaps.iter().map(|(a, b)| b - a).sum::<i64>()).max(60);
    let usual = (sent + received) as f64 * 8.0 / collected_secs as f64;

    let _ = write!(
        b,
        "<h1>Traffic of {}</h1><p class=\"meta\">{} – {} ({}). Generated at {} by nf-svc.</p>",
        esc(name),
        from.format("%Y-%m-%d %H:%M"),
        to.format("%Y-%m-%d %H:%M"),
        esc(&units::duration(std::time::Duration::from_secs(
            (t - f).max(0) as u64
        ))),
        now.format("%Y-%m-%d %H:%M:%S %:z")
    );
    let _ = write!(
        b,
        "<div class=\"cards\"><div class=\"card\">sent<b>{}</b></div><div class=\"card\">received<b>{}</b></div><div class=\"card\">peak (one minute)<b>{}</b></div><div class=\"card\">average<b>{}</b></div><div class=\"card\">incidents<b>{}</b></div></div>",
        esc(&units::bytes(sent)),
        esc(&units::bytes(received)),
        esc(&units::bits_per_second(peak)),
        esc(&units::bits_per_second(usual)),
        incidents.len()
    );
}

/// Rate over time, averaged into at most MAX_POINTS steps, with every limit that applies,
/// the incidents hatched and the gaps grey.
fn rate_chart(b: &mut String, sp: &Span) {
    let (s, host, now, f, t) = (sp.s, sp.host, sp.now, sp.f(), sp.t());
    let (minutes, gaps, incidents) = (&sp.minutes, &sp.gaps, &sp.incidents);
    let step = (((t - f) / 60 + MAX_POINTS - 1) / MAX_POINTS).max(1) * 60;
    let mut sent_pts = Vec::new();
    let mut recv_pts = Vec::new();
    let mut at = f - f.rem_euclid(60);
    while at < t {
        let in_gap = gaps.iter().any(|(a, b2)| at >= *a && at + step <= *b2);
        let (mut s_b, mut r_b) = (0u64, 0u64);
        for (_, c) in minutes.range(at..at + step) {
            s_b += c.sent_bytes;
            r_b += c.received_bytes;
        }
        let v = |bytes: u64| (!in_gap).then_some(bytes as f64 * 8.0 / step as f64);
        sent_pts.push((at, v(s_b)));
        recv_pts.push((at, v(r_b)));
        at += step;
    }
    let unit = |v: f64| units::bits_per_second(v);
    let span = t - f;
    let tick_every = match span {
        s if s <= 6 * 3600 => 3600,
        s if s <= 36 * 3600 => 3 * 3600,
        s if s <= 8 * 86_400 => 86_400,
        _ => 7 * 86_400,
    };
    let tick = move |x: i64| {
        if tick_every >= 86_400 {
            local(x).format("%a %d %b").to_string()
        } else {
            local(x).format("%H:%M").to_string()
        }
    };
    let chart = TimeChart {
        title: "Rate over time",
        from: f,
        to: t,
        series: vec![
            Series {
                name: "sent",
                points: sent_pts,
            },
            Series {
                name: "received",
                points: recv_pts,
            },
        ],
        limits: limits(s, host),
        incidents: incidents
            .iter()
            .map(|i| (i.start, i.end.unwrap_or(t)))
            .collect(),
        gaps: gaps.to_vec(),
        unit: &unit,
        tick_text: &tick,
        tick_every,
        utc_offset: offset_secs(now),
    };
    b.push_str("<h2>Rate over time</h2>");
    push_figure(
        b,
        |b| svg::time_chart_into(b, &chart),
        &format!(
            "Average per {} in bit/s.",
            units::duration(std::time::Duration::from_secs(step as u64))
        ),
    );
    b.push_str(&svg::legend(
        &["sent", "received"],
        &[
            "dashed red line: limit",
            "hatched: incident",
            "grey: nf-svc not collecting",
        ],
    ));
}

/// When the host was busy: bytes by hour and day, for spans of two days or more.
fn heat_map(b: &mut String, sp: &Span) {
    let (from, to, minutes) = (sp.from, sp.to, &sp.minutes);
    let mut days: BTreeMap<chrono::NaiveDate, [Option<f64>; 24]> = BTreeMap::new();
    let mut day = from.date_naive();
    while day <= to.date_naive() {
        days.insert(day, [None; 24]);
        day = day.succ_opt().unwrap_or(day);
        if days.len() > 400 {
            break;
        }
    }
    for (m, c) in minutes {
        let lt = local(*m);
        if let Some(row) = days.get_mut(&lt.date_naive()) {
            let cell = &mut row[lt.hour() as usize];
            *cell = Some(cell.unwrap_or(0.0) + (c.sent_bytes + c.received_bytes) as f64);
        }
    }
    let rows: Vec<(String, [Option<f64>; 24])> = days
        .into_iter()
        .map(|(d, r)| (d.format("%a %d %b").to_string(), r))
        .collect();
    let bytes_unit = |v: f64| units::bytes(v as u64);
    b.push_str("<h2>When, by hour and day</h2>");
    push_figure(
        b,
        |b| b.push_str(&svg::heat_map("Bytes per hour and day", &rows, &bytes_unit)),
        "Darker is more; a grey cell had no traffic recorded.",
    );
}

/// The peers it talked to most and the services it used.
fn peers_and_services(b: &mut String, sp: &Span, conn: &Connection) -> rusqlite::Result<()> {
    let (s, host, f, t) = (sp.s, sp.host, sp.f(), sp.t());
    b.push_str("<h2>Peers and services</h2><h3>Talked to most</h3>");
    let peers: Vec<Vec<String>> = query::peers(conn, &host.to_string(), f, t, 10)?
        .iter()
        .map(|(p, s_b, r_b)| {
            vec![
                esc(&host_name(s, p)),
                esc(&units::bytes(*s_b)),
                esc(&units::bytes(*r_b)),
            ]
        })
        .collect();
    b.push_str(&table(
        &["peer", "#sent to it", "#received from it"],
        &peers,
        "No conversations recorded.",
    ));
    b.push_str("<h3>Services</h3>");
    let services: Vec<Vec<String>> = query::services(conn, &host.to_string(), f, t, 10)?
        .iter()
        .map(|(svc, bytes)| vec![esc(svc), esc(&units::bytes(*bytes))])
        .collect();
    b.push_str(&table(
        &["service", "#bytes"],
        &services,
        "No conversations recorded.",
    ));
    Ok(())
}
