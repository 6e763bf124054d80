//! The digest: at `Digest = daily HH:MM` or `weekly Mon HH:MM` (local time), a short text — the
//! busiest devices, the incidents, the time nf-svc was not collecting — with the report page
//! attached.

use super::message::Message;
use crate::history::query;
use crate::names::Names;
use crate::report::PageSettings;
use crate::settings::{Digest, NotifySettings};
use crate::words::units;
use chrono::{DateTime, Datelike, Duration, Local, TimeZone};
use std::time::SystemTime;

/// The next time `d` is due at or after `now`.
pub fn next(d: Digest, now: DateTime<Local>) -> Option<SystemTime> {
    let (weekday, secs) = match d {
        Digest::Off => return None,
        Digest::Daily(t) => (None, t),
        Digest::Weekly(day, t) => (Some(day), t),
    };
    let midnight = now.date_naive().and_hms_opt(0, 0, 0)?;
    for days in 0..8 {
        let day = midnight + Duration::days(days);
        if weekday.is_some_and(|w| day.weekday().num_days_from_monday() != w) {
            continue;
        }
        let at = Local
            .from_local_datetime(&(day + Duration::seconds(secs as i64)))
            .earliest()?;
        if at >= now {
            return Some(at.into());
        }
    }
    None
}

/// The digest message for the period that ends `now`.
pub fn build(
    s: &NotifySettings,
    pages: &PageSettings,
    names: &Names,
    now: DateTime<Local>,
) -> Message {
    let span = match s.digest {
        Digest::Weekly(..) => Duration::days(7),
        _ => Duration::days(1),
    };
    let (from, to) = ((now - span).timestamp(), now.timestamp());
    let period = if span.num_days() == 7 { "week" } else { "day" };
    let mut text = format!(
        "nf-svc's {period}: {} – {}.\n",
        (now - span).format("%a %d %b %H:%M"),
        now.format("%a %d %b %H:%M")
    );
    match crate::history::store::open_for_reading(&pages.history) {
        Ok(conn) => {
            if let Ok((hosts, total)) = query::top_hosts(&conn, from, to, 5) {
                text.push_str(&format!("Traffic: {} in all.\n", units::bytes(total)));
                for h in hosts {
                    let shown = h
                        .host
                        .parse()
                        .map(|ip| names.host(ip))
                        .unwrap_or(h.host.clone());
                    text.push_str(&format!(
                        "Busiest: {shown} — sent {}, received {}\n",
                        units::bytes(h.sent),
                        units::bytes(h.received)
                    ));
                }
            }
            if let Ok(incidents) = query::incidents(&conn, None, from, to, 1000) {
                text.push_str(&format!("Incidents: {}.\n", incidents.len()));
            }
            if let Ok(gaps) = query::gaps(&conn, from, to) {
                let missing: i64 = gaps.iter().map(|(a, b)| b - a).sum();
                if missing > 0 {
                    text.push_str(&format!(
                        "Not collecting for {} of it.\n",
                        units::duration(std::time::Duration::from_secs(missing as u64))
                    ));
                }
            }
        }
        Err(e) => text.push_str(&format!("The history cannot be read: {e}\n")),
    }
    let page = crate::report::write_overview(pages, now, None).ok();
    Message::digest(format!("your {period} on the network"), text, page)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_next_digest_is_today_later_or_the_next_matching_day() {
        let now = Local.with_ymd_and_hms(2026, 12, 3, 9, 0, 0).unwrap(); // a Thursday
        let at = |d| DateTime::<Local>::from(next(d, now).unwrap());
        assert_eq!(
            at(Digest::Daily(10 * 3600)),
            Local.with_ymd_and_hms(2026, 12, 3, 10, 0, 0).unwrap()
        );
        assert_eq!(
            at(Digest::Daily(8 * 3600)),
            Local.with_ymd_and_hms(2026, 12, 4, 8, 0, 0).unwrap()
        );
        assert_eq!(
            at(Digest::Weekly(0, 8 * 3600)),
            Local.with_ymd_and_hms(2026, 12, 7, 8, 0, 0).unwrap()
        );
        assert_eq!(at(Digest::Weekly(3, 9 * 3600)), now, "now is due");
        assert_eq!(next(Digest::Off, now), None);
    }
}
