//! Summary periods aligned to the wall clock.
//!
//! A 20-minute summary covers :00–:20, :20–:40, :40–:00; an 8-hour one 00:00–08:00, … Periods
//! are counted from local midnight, so they line up with what a person reads on the clock, and
//! never span midnight (an interval that does not divide the day ends its last period at
//! midnight).

use chrono::{DateTime, Duration as ChronoDuration, Local, NaiveDate, TimeZone};
use std::time::Duration;

fn local_midnight(date: NaiveDate) -> DateTime<Local> {
    let naive = date.and_hms_opt(0, 0, 0).unwrap_or_default();
    match Local.from_local_datetime(&naive) {
        chrono::LocalResult::Single(t) => t,
        chrono::LocalResult::Ambiguous(a, _) => a,
        // A DST change at midnight: take the first valid instant after it.
        chrono::LocalResult::None => Local
            .from_local_datetime(&(naive + ChronoDuration::hours(1)))
            .earliest()
            .unwrap_or_else(|| Local.from_utc_datetime(&naive)),
    }
}

/// The period that contains `t`: `[start, end)`.
pub fn period_of(t: DateTime<Local>, interval: Duration) -> (DateTime<Local>, DateTime<Local>) {
    let midnight = local_midnight(t.date_naive());
    let next_midnight = local_midnight(t.date_naive().succ_opt().unwrap_or(t.date_naive()));
    let iv = ChronoDuration::from_std(interval).unwrap_or(ChronoDuration::minutes(20));
    let elapsed = t - midnight;
    let iv_ms = iv.num_milliseconds().max(1);
    let k = elapsed.num_milliseconds().max(0) / iv_ms;
    let start = midnight + ChronoDuration::milliseconds(k * iv_ms);
    let end = (start + iv).min(next_midnight);
    (start, end.max(start + ChronoDuration::milliseconds(1)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(h: u32, m: u32, s: u32) -> DateTime<Local> {
        Local
            .from_local_datetime(
                &NaiveDate::from_ymd_opt(2024, 3, 12)
                    .unwrap()
                    .and_hms_opt(h, m, s)
                    .unwrap(),
            )
            .earliest()
            .unwrap()
    }

    #[test]
    fn periods_align_to_the_clock() {
        let (s, e) = period_of(at(10, 7, 13), Duration::from_secs(20 * 60));
        assert_eq!((s, e), (at(10, 0, 0), at(10, 20, 0)));
        let (s, e) = period_of(at(10, 20, 0), Duration::from_secs(20 * 60));
        assert_eq!((s, e), (at(10, 20, 0), at(10, 40, 0)));
        let (s, e) = period_of(at(17, 59, 59), Duration::from_secs(8 * 3600));
        assert_eq!(
            (s, e),
            (at(16, 0, 0), at(23, 59, 59) + ChronoDuration::seconds(1))
        );
        let (s, e) = period_of(at(0, 0, 31), Duration::from_secs(30));
        assert_eq!((s, e), (at(0, 0, 30), at(0, 1, 0)));
    }

    #[test]
    fn the_last_period_of_the_day_ends_at_midnight() {
        // 7 hours: 00-07, 07-14, 14-21, 21-24.
        let (s, e) = period_of(at(22, 0, 0), Duration::from_secs(7 * 3600));
        assert_eq!(s, at(21, 0, 0));
        assert_eq!(e, at(23, 0, 0) + ChronoDuration::hours(1));
    }
}
