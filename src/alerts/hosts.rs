//! The hosts the alert engine tracks: each (sensor, host, direction) with its window of
//! buckets, in one bounded store.
//!
//! Why not a `HashMap<Key, HostState>`: at its bound (20,000 entries) a map of 180-byte
//! entries sits in 32,768 buckets, and when hosts come and go it doubles again — 6 MB, most
//! of it empty. Here the entries sit in a vector that grows by a quarter and never past the
//! bound, and the hash index holds 4-byte positions (hashbrown's `HashTable`; the key is
//! compared in the entry, which the flow goes on to count in anyway): 3.8 MB at the bound.

use super::incident::{Direction, Peer};
use crate::flow::Addr;
use std::hash::BuildHasher;
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
        Millis(
            t.duration_since(SystemTime::UNIX_EPOCH)
                .map_or(0, |d| d.as_millis() as u64),
        )
    }

    /// How long before `now` this was (zero when it is not before).
    pub fn age(self, now: Millis) -> Duration {
        Duration::from_millis(now.0.saturating_sub(self.0))
    }
}

/// One tracked (sensor, host, direction): the tick being counted, the window, what it
/// usually sends. A flow costs one lookup per host and a tick allocates nothing.
#[derive(Debug, Clone)]
pub struct HostState {
    /// The tick being counted (packets in one tick fit 32 bits, as in the window).
    pub bytes: u64,
    pub packets: u32,
    /// The window: one bucket per tick.
    pub ring_bytes: [u64; BUCKETS],
    pub ring_packets: [u32; BUCKETS],
    pub pos: u8,
    /// Usual rate in bit/s (an exponential moving average over `Baseline`).
    pub baseline_bps: f64,
    pub tracked_since: Millis,
    pub last_traffic: Millis,
    /// The biggest single flow of the latest tick with traffic (of this tick once it has
    /// traffic).
    pub top: Peer,
}

impl HostState {
    pub fn new(since: SystemTime, baseline_bps: f64) -> Self {
        HostState {
            bytes: 0,
            packets: 0,
            ring_bytes: [0; BUCKETS],
            ring_packets: [0; BUCKETS],
            pos: 0,
            baseline_bps,
            tracked_since: Millis::of(since),
            last_traffic: Millis::of(since),
            top: Peer::default(),
        }
    }
}

/// The tracked hosts, at most [`MAX_HOSTS`].
#[derive(Default)]
pub struct Hosts {
    entries: Vec<(Key, HostState)>,
    /// Positions in `entries`, by the hash of their key.
    index: hashbrown::HashTable<u32>,
    state: foldhash::fast::RandomState,
}

impl Hosts {
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The entry of `key`, made by `make` when there is room; `None` past the bound.
    #[inline]
    pub fn get_or_insert(
        &mut self,
        key: Key,
        make: impl FnOnce() -> HostState,
    ) -> Option<&mut HostState> {
        let hash = self.state.hash_one(key);
        let Hosts {
            entries,
            index,
            state,
        } = self;
        if let Some(&i) = index.find(hash, |&i| entries[i as usize].0 == key) {
            return Some(&mut entries[i as usize].1);
        }
        if entries.len() >= MAX_HOSTS {
            return None;
        }
        // Grow by a quarter, never past the bound: the slack stays small.
        if entries.len() == entries.capacity() {
            let more = (entries.len() / 4).max(64).min(MAX_HOSTS - entries.len());
            entries.reserve_exact(more);
        }
        let i = entries.len();
        entries.push((key, make()));
        let all = &*entries;
        index.insert_unique(hash, i as u32, |&j| state.hash_one(all[j as usize].0));
        Some(&mut entries[i].1)
    }

    pub fn iter_mut(&mut self) -> impl Iterator<Item = &mut (Key, HostState)> {
        self.entries.iter_mut()
    }

    /// Keep the entries `keep` says to, and give a flood's memory back.
    pub fn retain(&mut self, mut keep: impl FnMut(&Key) -> bool) {
        let before = self.entries.len();
        self.entries.retain(|(k, _)| keep(k));
        if self.entries.len() == before {
            return;
        }
        if self.entries.capacity() > 2 * self.entries.len() + 1024 {
            self.entries.shrink_to_fit();
        }
        let n = self.entries.len();
        if self.index.capacity() > 4 * n + 1024 {
            self.index = hashbrown::HashTable::with_capacity(n);
        } else {
            self.index.clear();
        }
        let Hosts {
            entries,
            index,
            state,
        } = self;
        for (i, (k, _)) in entries.iter().enumerate() {
            index.insert_unique(state.hash_one(k), i as u32, |&j| {
                state.hash_one(entries[j as usize].0)
            });
        }
    }

    /// Bytes the entries and the index hold now.
    pub fn bytes(&self) -> usize {
        let buckets = match self.index.capacity() {
            0 => 0,
            c => (c * 8 / 7).next_power_of_two(),
        };
        self.entries.capacity() * std::mem::size_of::<(Key, HostState)>() + buckets * 5
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(i: u32) -> Key {
        Key {
            sensor: Addr::V4([192, 168, 255, 10]),
            host: Addr::V4(i.to_be_bytes()),
            dir: if i % 3 == 0 {
                Direction::To
            } else {
                Direction::From
            },
        }
    }

    fn state(bytes: u64) -> HostState {
        HostState {
            bytes,
            ..HostState::new(SystemTime::UNIX_EPOCH, 0.0)
        }
    }

    #[test]
    fn entries_are_found_again_after_others_go_and_the_bound_holds() {
        let mut h = Hosts::default();
        for i in 0..MAX_HOSTS as u32 + 10 {
            let made = h.get_or_insert(key(i), || state(i as u64)).is_some();
            assert_eq!(made, (i as usize) < MAX_HOSTS, "host {i}");
        }
        assert_eq!(h.len(), MAX_HOSTS);
        assert!(h.entries.capacity() <= MAX_HOSTS, "never past the bound");
        // The odd ones go; the even ones keep their own state.
        h.retain(|k| matches!(k.host, Addr::V4(b) if u32::from_be_bytes(b) % 2 == 0));
        assert_eq!(h.len(), MAX_HOSTS / 2);
        for i in (0..MAX_HOSTS as u32).step_by(2) {
            let s = h.get_or_insert(key(i), || panic!("host {i} lost")).unwrap();
            assert_eq!(s.bytes, i as u64);
        }
        // The odd ones come back as new entries, once each.
        for i in (1..MAX_HOSTS as u32).step_by(2) {
            assert_eq!(h.get_or_insert(key(i), || state(0)).unwrap().bytes, 0);
            h.get_or_insert(key(i), || panic!("host {i} made twice"));
        }
        assert_eq!(h.len(), MAX_HOSTS);
        h.retain(|_| false);
        assert!(h.is_empty());
        assert!(h.bytes() < 64 << 10, "{} bytes left", h.bytes());
    }

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
