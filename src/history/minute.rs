//! The counting side of history: one minute's totals per sensor and per (sensor, host),
//! accumulated on the pipeline task as records arrive, then cut to the busiest hosts.
//!
//! A host is any address seen as a source (what it sent) or a destination (what it
//! received); a flow counts once for each of its two hosts. The table is bounded: beyond
//! [`MAX_KEYS`] distinct (sensor, host) pairs in one minute, further hosts go straight into
//! their sensor's "other" row, and only the [`MAX_HOSTS_STORED`] busiest hosts of a minute are
//! stored one by one — the rest are summed into "other", so every byte is still counted.
//! Maps keep their capacity from minute to minute: adding a known host allocates nothing.
//! The hosts sit in a [`BoundedMap`]: at the bound 2 MB, with an index small enough to stay
//! in cache.

use crate::flow::{Addr, BoundedMap, FlowRecord};
use std::collections::HashMap;
use std::net::IpAddr;

type FastMap<K, V> = HashMap<K, V, foldhash::fast::RandomState>;

/// Distinct (sensor, host) pairs counted one by one in a minute.
pub const MAX_KEYS: usize = 25_000;
/// Hosts stored one by one per minute (the busiest by bytes sent + received).
pub const MAX_HOSTS_STORED: usize = 1000;

/// What one host sent and received in a minute.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct HostCounts {
    pub sent_bytes: u64,
    pub sent_packets: u64,
    pub received_bytes: u64,
    pub received_packets: u64,
    /// Flows it took part in (as source or destination).
    pub flows: u64,
}

impl HostCounts {
    pub fn merge(&mut self, o: &HostCounts) {
        self.sent_bytes = self.sent_bytes.saturating_add(o.sent_bytes);
        self.sent_packets = self.sent_packets.saturating_add(o.sent_packets);
        self.received_bytes = self.received_bytes.saturating_add(o.received_bytes);
        self.received_packets = self.received_packets.saturating_add(o.received_packets);
        self.flows = self.flows.saturating_add(o.flows);
    }

    fn volume(&self) -> u64 {
        self.sent_bytes.saturating_add(self.received_bytes)
    }
}

/// What one sensor reported in a minute.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SensorCounts {
    pub bytes: u64,
    pub packets: u64,
    pub flows: u64,
    /// The sampling rate its latest record was scaled by (1: none).
    pub sampling_rate: u64,
}

/// A finished minute, ready to store: sensors, the busiest hosts, and per sensor the rest.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MinuteRows {
    /// Unix seconds of the minute's start.
    pub start: i64,
    pub sensors: Vec<(IpAddr, SensorCounts)>,
    /// `None` as host: everything not stored one by one ("other").
    pub hosts: Vec<(IpAddr, Option<IpAddr>, HostCounts)>,
    /// Host counts that went straight to "other" because [`MAX_KEYS`] was reached.
    pub beyond_bound: u64,
}

/// The minute being counted.
#[derive(Debug)]
pub struct Minute {
    start: i64,
    sensors: FastMap<Addr, SensorCounts>,
    hosts: BoundedMap<(Addr, Addr), HostCounts>,
    /// Per sensor: hosts beyond [`MAX_KEYS`].
    other: FastMap<Addr, HostCounts>,
    beyond_bound: u64,
}

/// The start of the minute holding `unix_ms`.
pub fn minute_of(unix_ms: u64) -> i64 {
    (unix_ms / 60_000) as i64 * 60
}

fn ip(a: Addr) -> IpAddr {
    a.ip().unwrap_or(IpAddr::from([0, 0, 0, 0]))
}

impl Minute {
    pub fn new(start: i64) -> Self {
        Minute {
            start,
            sensors: FastMap::default(),
            hosts: BoundedMap::new(MAX_KEYS),
            other: FastMap::default(),
            beyond_bound: 0,
        }
    }

    pub fn start(&self) -> i64 {
        self.start
    }

    pub fn is_empty(&self) -> bool {
        self.sensors.is_empty()
    }

    fn host(&mut self, sensor: Addr, host: Addr) -> &mut HostCounts {
        let Minute {
            hosts,
            other,
            beyond_bound,
            ..
        } = self;
        match hosts.get_or_insert((sensor, host), HostCounts::default) {
            Some(h) => h,
            None => {
                *beyond_bound += 1;
                other.entry(sensor).or_default()
            }
        }
    }

    /// Count one flow record.
    #[inline]
    pub fn add(&mut self, r: &FlowRecord) {
        let s = self.sensors.entry(r.exporter).or_default();
        s.bytes = s.bytes.saturating_add(r.bytes);
        s.packets = s.packets.saturating_add(r.packets);
        s.flows += 1;
        s.sampling_rate = r.sampling_rate.max(1);
        if r.src_addr.is_some() {
            let h = self.host(r.exporter, r.src_addr);
            h.sent_bytes = h.sent_bytes.saturating_add(r.bytes);
            h.sent_packets = h.sent_packets.saturating_add(r.packets);
            h.flows += 1;
        }
        if r.dst_addr.is_some() {
            let h = self.host(r.exporter, r.dst_addr);
            h.received_bytes = h.received_bytes.saturating_add(r.bytes);
            h.received_packets = h.received_packets.saturating_add(r.packets);
            h.flows += 1;
        }
    }

    /// The finished minute's rows; counting goes on in the minute starting at `next`.
    pub fn take(&mut self, next: i64) -> MinuteRows {
        let mut sensors: Vec<(IpAddr, SensorCounts)> =
            self.sensors.drain().map(|(a, c)| (ip(a), c)).collect();
        sensors.sort_by_key(|s| s.0);
        // The busiest hosts in a heap of MAX_HOSTS_STORED (its least busy on top), the rest
        // summed into their sensor's "other" as they come: no list of every host.
        let mut other: FastMap<Addr, HostCounts> = self.other.drain().collect();
        // Ordered by volume, then by key (lower first), so ties are stable.
        use std::cmp::Reverse;
        let mut busiest = std::collections::BinaryHeap::with_capacity(MAX_HOSTS_STORED + 1);
        for (key, c) in self.hosts.drain() {
            busiest.push(Reverse((c.volume(), Reverse(key), c)));
            if busiest.len() > MAX_HOSTS_STORED
                && let Some(Reverse((_, Reverse((sensor, _)), c))) = busiest.pop()
            {
                other.entry(sensor).or_default().merge(&c);
            }
        }
        let mut rows: Vec<(IpAddr, Option<IpAddr>, HostCounts)> = busiest
            .into_iter()
            .map(|Reverse((_, Reverse((s, h)), c))| (ip(s), Some(ip(h)), c))
            .collect();
        rows.extend(other.into_iter().map(|(s, c)| (ip(s), None, c)));
        rows.sort_by_key(|r| (r.0, r.1));
        let out = MinuteRows {
            start: self.start,
            sensors,
            hosts: rows,
            beyond_bound: std::mem::take(&mut self.beyond_bound),
        };
        self.start = next;
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flow(src: [u8; 4], dst: [u8; 4], bytes: u64) -> FlowRecord {
        FlowRecord {
            packets: 2,
            sampling_rate: 1,
            ..crate::testkit::flow_v4(src, 0, dst, 0, 0, bytes)
        }
    }

    fn host(rows: &MinuteRows, h: [u8; 4]) -> HostCounts {
        rows.hosts
            .iter()
            .find(|r| r.1 == Some(IpAddr::from(h)))
            .map(|r| r.2)
            .unwrap_or_default()
    }

    #[test]
    fn sent_received_and_flows_per_host() {
        let mut m = Minute::new(600);
        m.add(&flow([10, 0, 0, 1], [10, 0, 0, 2], 1000));
        m.add(&flow([10, 0, 0, 2], [10, 0, 0, 1], 300));
        m.add(&flow([10, 0, 0, 1], [224, 0, 0, 251], 50));
        let rows = m.take(660);
        assert_eq!(rows.start, 600);
        assert_eq!(m.start(), 660);
        assert!(m.is_empty());
        let sensor = rows.sensors[0].1;
        assert_eq!((sensor.bytes, sensor.packets, sensor.flows), (1350, 6, 3));
        assert_eq!(
            host(&rows, [10, 0, 0, 1]),
            HostCounts {
                sent_bytes: 1050,
                sent_packets: 4,
                received_bytes: 300,
                received_packets: 2,
                flows: 3
            }
        );
        assert_eq!(host(&rows, [224, 0, 0, 251]).received_bytes, 50);
        assert_eq!(rows.hosts.len(), 3, "no other row when all fit");
    }

    #[test]
    fn the_busiest_hosts_are_kept_and_the_rest_is_other() {
        let mut m = Minute::new(0);
        for i in 0..(MAX_HOSTS_STORED as u32 + 500) {
            let b = i.to_be_bytes();
            // Host 10.x sends to the quiet sink 172.16.0.1; bigger i, more bytes.
            m.add(&flow([10, b[1], b[2], b[3]], [172, 16, 0, 1], 1 + i as u64));
        }
        let rows = m.take(60);
        let named = rows.hosts.iter().filter(|r| r.1.is_some()).count();
        assert_eq!(named, MAX_HOSTS_STORED);
        let other: Vec<_> = rows.hosts.iter().filter(|r| r.1.is_none()).collect();
        assert_eq!(other.len(), 1);
        let total_sent: u64 = rows.hosts.iter().map(|r| r.2.sent_bytes).sum();
        assert_eq!(total_sent, rows.sensors[0].1.bytes, "every byte is counted");
        assert!(
            host(&rows, [172, 16, 0, 1]).received_bytes > 0,
            "the sink is the busiest"
        );
        assert_eq!(
            host(&rows, [10, 0, 0, 0]).sent_bytes,
            0,
            "the quietest went to other"
        );
    }

    #[test]
    fn beyond_the_key_bound_hosts_count_as_other_at_once() {
        let mut m = Minute::new(0);
        for i in 0..(MAX_KEYS as u32 + 10) {
            let b = i.to_be_bytes();
            let mut f = flow([10, b[1], b[2], b[3]], [0, 0, 0, 0], 7);
            f.dst_addr = Addr::None;
            m.add(&f);
        }
        assert_eq!(m.hosts.len(), MAX_KEYS);
        let rows = m.take(60);
        assert_eq!(rows.beyond_bound, 10, "counted, for the log line");
        let total: u64 = rows.hosts.iter().map(|r| r.2.sent_bytes).sum();
        assert_eq!(total, 7 * (MAX_KEYS as u64 + 10));
    }
}
