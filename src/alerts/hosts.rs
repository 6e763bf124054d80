//! The hosts the alert engine tracks: each (sensor, host, direction) with its window of
//! buckets, in one bounded map ([`BoundedMap`]). An entry is kept small — times in
//! milliseconds, a tick's packets in 32 bits — since 20,000 of them may be tracked.

use super::incident::{Direction, Peer};
use crate::flow::{Addr, BoundedMap};
use std::time::{Duration, SystemTime};

/// Buckets per window.
pub const BUCKETS: usize = 6;

/// (sensor, host, direction) entries tracked at most, all together; room returns as quiet
/// ones are forgotten.
pub const MAX_HOSTS: usize = 20_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Key {
    pub sensor: Addr,
    pub host: Addr,
    pub dir: Direction,
}

/// Milliseconds since the Unix epoch: half the size of a `SystemTime`, and ample.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Millis(u64);

impl Millis {
    pub fn of(t: SystemTime) -> Self {
        Millis(crate::flow::unix_ms(t))
    }

    /// How long before `now` this was (zero when it is not before).
    pub fn age(self, now: Millis) -> Duration {
        Duration::from_millis(now.0.saturating_sub(self.0))
    }
}

/// What a flow touches of one tracked (sensor, host, direction): the tick being counted and
/// its biggest flow. With its key, 88 bytes of the entry's 184; the rest ([`Window`]) sits
/// apart, so the entries a flow walks through stay few cache lines (see [`BoundedMap`]).
#[derive(Debug, Clone, Copy, Default)]
pub struct Tick {
    /// The tick being counted (packets in one tick fit 32 bits, as in the window).
    pub bytes: u64,
    pub packets: u32,
    /// The window's bucket the latest tick went to (kept here, where the padding has room,
    /// so an entry stays 184 bytes).
    pub pos: u8,
    /// The biggest single flow of the latest tick with traffic (of this tick once it has
    /// traffic).
    pub top: Peer,
}

/// The rest of one tracked (sensor, host, direction), read once a tick: the window, what it
/// usually sends, since when it is known.
#[derive(Debug, Clone)]
pub struct Window {
    /// One bucket per tick.
    pub ring_bytes: [u64; BUCKETS],
    pub ring_packets: [u32; BUCKETS],
    /// Usual rate in bit/s (an exponential moving average over `Baseline`).
    pub baseline_bps: f64,
    pub tracked_since: Millis,
    pub last_traffic: Millis,
}

impl Window {
    pub fn new(since: SystemTime, baseline_bps: f64) -> Self {
        Window {
            ring_bytes: [0; BUCKETS],
            ring_packets: [0; BUCKETS],
            baseline_bps,
            tracked_since: Millis::of(since),
            last_traffic: Millis::of(since),
        }
    }
}

/// The tracked hosts, at most [`MAX_HOSTS`] (about 3.8 MB then: 184 bytes an entry, and 4 in
/// the index). A flow costs one lookup per host and a tick allocates nothing.
pub type Hosts = BoundedMap<Key, Tick, Window>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn millis_age_never_runs_backwards() {
        let t = SystemTime::UNIX_EPOCH + Duration::from_millis(1_700_000_000_250);
        let a = Millis::of(t);
        assert_eq!(
            a.age(Millis::of(t + Duration::from_millis(1500))),
            Duration::from_millis(1500)
        );
        assert_eq!(
            a.age(Millis::of(t - Duration::from_secs(1))),
            Duration::ZERO
        );
    }
}
