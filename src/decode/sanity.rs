//! Sanity limits on decoded values. A record that claims more than 2⁴⁸ bytes or packets (over
//! 280 TB in one flow) is left out, so it never sums into an absurd total; a flow that ends
//! before it starts, or with a time before 1990 or after 2100 (an overflowed or unset clock:
//! "2106", "1970"), keeps its counts but loses its times. Both are counted per exporter as
//! *implausible*. An exporter whose clock is merely wrong by days or years is not judged
//! here: its times are self-consistent, and the summaries do not use them.

use crate::flow::FlowRecord;

/// Counters above this are not believed.
pub const MAX_COUNTER: u64 = 1 << 48;
/// Flow times outside `[1990-01-01, 2100-01-01)` (Unix ms) are not believed.
pub const TIMES: std::ops::Range<u64> = 631_152_000_000..4_102_444_800_000;

/// Check the records appended since `from`: drop those with absurd counters, clear absurd
/// times. Returns how many were implausible.
pub fn check(out: &mut Vec<FlowRecord>, from: usize) -> usize {
    let mut implausible = 0;
    // Kept records move down over the dropped ones: one pass, however many are dropped.
    let mut kept = from;
    for i in from..out.len() {
        let mut r = out[i];
        if r.bytes > MAX_COUNTER || r.packets > MAX_COUNTER {
            implausible += 1;
            continue;
        }
        let far = |t: u64| t != 0 && !TIMES.contains(&t);
        let backwards = r.time_flow_start_ms != 0
            && r.time_flow_end_ms != 0
            && r.time_flow_end_ms < r.time_flow_start_ms;
        if backwards || far(r.time_flow_start_ms) || far(r.time_flow_end_ms) {
            r.time_flow_start_ms = 0;
            r.time_flow_end_ms = 0;
            implausible += 1;
        }
        out[kept] = r;
        kept += 1;
    }
    out.truncate(kept);
    implausible
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(bytes: u64, start: u64, end: u64) -> FlowRecord {
        FlowRecord {
            bytes,
            packets: 1,
            time_received_ms: 1_800_000_000_000,
            time_flow_start_ms: start,
            time_flow_end_ms: end,
            ..Default::default()
        }
    }

    #[test]
    fn absurd_counters_go_absurd_times_are_cleared() {
        let now = 1_800_000_000_000;
        let mut out = vec![
            rec(1, 0, 0), // before `from`: not checked
            rec(u64::MAX, now - 1000, now),
            rec(500, now - 1000, now),
            rec(600, now, now - 1000), // ends before it starts
            rec(700, 4_294_967_295_000, 4_294_967_296_000), // 2106: an overflowed u32 clock
            rec(MAX_COUNTER, now - 5, now),
        ];
        out[0].bytes = u64::MAX;
        assert_eq!(check(&mut out, 1), 3);
        let bytes: Vec<u64> = out.iter().map(|r| r.bytes).collect();
        assert_eq!(bytes, [u64::MAX, 500, 600, 700, MAX_COUNTER]);
        assert_eq!((out[2].time_flow_start_ms, out[2].time_flow_end_ms), (0, 0));
        assert_eq!((out[3].time_flow_start_ms, out[3].time_flow_end_ms), (0, 0));
        assert_eq!(
            out[1].time_flow_end_ms, now,
            "a plausible flow keeps its times"
        );
    }
}
