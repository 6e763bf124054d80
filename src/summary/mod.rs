//! Interval summaries: who sent how much to whom, per configured interval.
//!
//! Every interval (20 min, 1 h, …) counts in one shared [`table::Table`], in a counter slot of
//! its own, and has its own wall-clock period ([`period`]). The pipeline adds each flow once
//! (every slot of its row at a time), asks [`Summaries::due`] when the earliest period ends,
//! and at shutdown takes [`Summaries::finish_all`]: the partial periods, marked as such.

pub mod finished;
pub mod period;
pub mod table;

pub use finished::Summary;
pub use table::{ExporterKey, ExporterRows, Row, Table};

use crate::flow::{Addr, FlowRecord};
use chrono::{DateTime, Local};
use std::time::Duration;

/// At most this many summary intervals (the user's, and one counted for the history).
pub const MAX_INTERVALS: usize = table::MAX_SLOTS;

/// One interval's current period; its counters are slot `i` of the shared table.
struct IntervalState {
    interval: Duration,
    start: DateTime<Local>,
    end: DateTime<Local>,
    /// The period began when nf-svc started (or the interval was added), not at its boundary.
    partial_start: bool,
}

/// All configured intervals, over one shared [`Table`].
pub struct Summaries {
    /// Shortest first; index = counter slot.
    intervals: Vec<IntervalState>,
    table: Table,
    top_count: usize,
    /// Rows a full table gave up since [`Summaries::take_freed`] was last asked.
    freed: usize,
}

impl Summaries {
    pub fn new(
        intervals: &[Duration],
        top_count: usize,
        tracking: Vec<Addr>,
        now: DateTime<Local>,
    ) -> Self {
        let mut s = Summaries {
            intervals: Vec::new(),
            table: Table::with_slots(1, tracking.clone()),
            top_count,
            freed: 0,
        };
        s.reconfigure(intervals, top_count, tracking, now);
        s
    }

    /// Apply new settings without losing counts: intervals that stay keep their counters and
    /// periods; new ones start now (partial); removed ones are dropped.
    pub fn reconfigure(
        &mut self,
        intervals: &[Duration],
        top_count: usize,
        tracking: Vec<Addr>,
        now: DateTime<Local>,
    ) {
        self.top_count = top_count;
        self.table.set_tracking(tracking);
        let mut wanted: Vec<Duration> = intervals.to_vec();
        wanted.sort();
        wanted.dedup();
        wanted.truncate(MAX_INTERVALS);
        let mut old: Vec<Option<IntervalState>> = std::mem::take(&mut self.intervals)
            .into_iter()
            .map(Some)
            .collect();
        let mut map = Vec::new();
        for iv in wanted {
            let found = old
                .iter()
                .position(|s| s.as_ref().is_some_and(|s| s.interval == iv));
            match found {
                Some(i) => {
                    map.push(Some(i));
                    self.intervals
                        .push(old[i].take().unwrap_or_else(|| unreachable!()));
                }
                None => {
                    let (start, end) = period::period_of(now, iv);
                    map.push(None);
                    self.intervals.push(IntervalState {
                        interval: iv,
                        start: now.max(start),
                        end,
                        partial_start: now > start,
                    });
                }
            }
        }
        self.table.remap_slots(&map);
    }

    pub fn intervals(&self) -> Vec<Duration> {
        self.intervals.iter().map(|s| s.interval).collect()
    }

    /// Count one flow in every interval.
    #[inline]
    pub fn add(&mut self, r: &FlowRecord) {
        if !self.intervals.is_empty() {
            self.table.add(r);
        }
    }

    /// Start fetching what counting `r` reads first (see [`Table::prefetch`]).
    #[inline]
    pub fn prefetch(&self, r: &FlowRecord) {
        if !self.intervals.is_empty() {
            self.table.prefetch(r);
        }
    }

    /// When the next period ends (`None` with no intervals configured).
    /// Flows that found the table full since the last call, and how many rows it holds.
    pub fn take_full(&mut self) -> Option<(u64, usize)> {
        self.table.take_full().map(|n| (n, self.table.len()))
    }

    /// Rows a full table gave up to make room since the last call.
    pub fn take_freed(&mut self) -> usize {
        std::mem::take(&mut self.freed)
    }

    /// Rows in the table, all sensors together.
    pub fn rows(&self) -> usize {
        self.table.len()
    }

    pub fn next_due(&self) -> Option<DateTime<Local>> {
        self.intervals.iter().map(|s| s.end).min()
    }

    fn finish(&self, i: usize, end: DateTime<Local>, partial: bool) -> Summary {
        let s = &self.intervals[i];
        Summary {
            interval: s.interval,
            start: s.start,
            end,
            partial,
            top_count: self.top_count,
            exporters: self.table.rows_for(i, self.top_count),
        }
    }

    /// Reports for every period that has ended by `now`, shortest interval first. Each
    /// interval's counters are cleared and it moves on to the period containing `now`.
    pub fn due(&mut self, now: DateTime<Local>) -> Vec<Summary> {
        let mut out = Vec::new();
        let last = self.intervals.len().saturating_sub(1);
        for i in 0..self.intervals.len() {
            if self.intervals[i].end <= now {
                out.push(self.finish(i, self.intervals[i].end, self.intervals[i].partial_start));
                if i == 0 && i != last {
                    self.freed += self.table.make_room(0, last);
                }
                self.table.reset_slot(i, i == last);
                let s = &mut self.intervals[i];
                // Normally the new period starts where the old one ended; after a sleep or a
                // clock jump, it starts at the boundary before now.
                let (start, end) = period::period_of(now, s.interval);
                s.partial_start = false;
                s.start = start;
                s.end = end;
            }
        }
        out
    }

    /// Partial reports for every interval, up to `now` (shutdown, Quit).
    pub fn finish_all(&mut self, now: DateTime<Local>) -> Vec<Summary> {
        let mut out = Vec::new();
        for i in 0..self.intervals.len() {
            out.push(self.finish(i, now.min(self.intervals[i].end), true));
            self.table.reset_slot(i, false);
            let s = &mut self.intervals[i];
            s.start = now;
            s.partial_start = true;
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t(h: u32, m: u32, s: u32) -> DateTime<Local> {
        Local
            .from_local_datetime(
                &chrono::NaiveDate::from_ymd_opt(2024, 5, 2)
                    .unwrap()
                    .and_hms_opt(h, m, s)
                    .unwrap(),
            )
            .earliest()
            .unwrap()
    }

    fn flow(bytes: u64) -> FlowRecord {
        FlowRecord {
            exporter: Addr::V4([10, 0, 0, 1]),
            ..crate::testkit::flow("10.0.0.2", 0, "10.0.0.3", 53, 17, bytes)
        }
    }

    #[test]
    fn a_full_table_makes_room_when_the_shortest_interval_ends() {
        let iv = [Duration::from_secs(20 * 60), Duration::from_secs(3600)];
        let mut s = Summaries::new(&iv, 100, vec![], t(10, 0, 0));
        let conversation = |i: u32| FlowRecord {
            dst_addr: Addr::V4((0x0a01_0000 + i).to_be_bytes()),
            ..flow(100)
        };
        for i in 0..=table::MAX_ROWS as u32 {
            s.add(&conversation(i));
        }
        assert_eq!(s.take_full(), Some((1, table::MAX_ROWS)));
        // Every conversation talked in the period that ends: none gives up its row.
        s.due(t(10, 20, 0));
        assert_eq!(s.take_freed(), 0);
        // Quiet in the next one: a quarter of the table makes room, and a newcomer gets a row.
        s.add(&conversation(7));
        s.due(t(10, 40, 0));
        assert_eq!(s.take_freed(), table::MAX_ROWS / 4);
        s.add(&conversation(table::MAX_ROWS as u32 + 1));
        assert_eq!(s.take_full(), None);
        assert_eq!(s.rows(), table::MAX_ROWS * 3 / 4 + 1);
        // The hour keeps every byte: the rows that went are in its "other" line.
        let hour = s.due(t(11, 0, 0)).pop().unwrap();
        let e = &hour.exporters[0];
        assert_eq!(e.total_bytes, 100 * (table::MAX_ROWS as u64 + 3));
        assert_eq!(
            e.other.unwrap().bytes,
            100 * (table::MAX_ROWS as u64 / 4 + 1)
        );
    }

    #[test]
    fn first_period_is_partial_then_aligned_ones_follow() {
        let iv = [Duration::from_secs(20 * 60), Duration::from_secs(3600)];
        let mut s = Summaries::new(&iv, 100, vec![], t(10, 7, 0));
        assert_eq!(s.next_due(), Some(t(10, 20, 0)));
        s.add(&flow(100));
        assert!(s.due(t(10, 19, 59)).is_empty());
        let r = s.due(t(10, 20, 0));
        assert_eq!(r.len(), 1);
        assert_eq!(
            (r[0].start, r[0].end, r[0].partial),
            (t(10, 7, 0), t(10, 20, 0), true)
        );
        assert_eq!(r[0].total_bytes(), 100);
        s.add(&flow(5));
        let r = s.due(t(10, 40, 0));
        assert_eq!(
            (r[0].start, r[0].end, r[0].partial),
            (t(10, 20, 0), t(10, 40, 0), false)
        );
        assert_eq!(r[0].total_bytes(), 5);
        // The hour interval got both flows.
        let r = s.due(t(11, 0, 0));
        assert_eq!(r.len(), 2);
        assert_eq!(r[1].interval, Duration::from_secs(3600));
        assert_eq!(r[1].total_bytes(), 105);
    }

    #[test]
    fn shutdown_reports_partials_and_reconfigure_keeps_counts() {
        let mut s = Summaries::new(&[Duration::from_secs(1200)], 100, vec![], t(9, 0, 0));
        s.add(&flow(7));
        s.reconfigure(
            &[Duration::from_secs(1200), Duration::from_secs(30)],
            10,
            vec![],
            t(9, 5, 0),
        );
        s.add(&flow(3));
        let r = s.finish_all(t(9, 5, 10));
        assert_eq!(r.len(), 2);
        assert!(r.iter().all(|r| r.partial && r.end == t(9, 5, 10)));
        // Shortest first: the new 30-second interval saw only the later flow.
        assert_eq!(r[0].interval, Duration::from_secs(30));
        assert_eq!(r[0].total_bytes(), 3);
        assert_eq!(r[0].start, t(9, 5, 0));
        assert_eq!(r[1].total_bytes(), 10);
    }
}
