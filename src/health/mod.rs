//! Per-exporter health: what each sensor sent, what could not be decoded and why, and when it
//! was last heard from. The tray's Exporters menu and status line read these; decode errors
//! reach the service log as rate-limited summaries built here.

mod errors;

pub use errors::ErrorLimiter;

use crate::decode::sflow::counters::InterfaceTotals;
use crate::decode::{ErrorKind, Outcome, SensorStats, TemplateStats};
use crate::flow::FlowKind;
use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;
use std::time::{Duration, SystemTime};

/// At most this many exporters are tracked one by one.
pub const MAX_EXPORTERS: usize = 256;

/// Flows per minute over a sliding minute, in 10-second buckets.
#[derive(Debug, Clone, Default)]
struct RateWindow {
    buckets: [u64; 6],
    /// The bucket index (10-second slots since the epoch) each bucket holds.
    slots: [u64; 6],
}

impl RateWindow {
    fn add(&mut self, now: SystemTime, n: u64) {
        let slot = slot_of(now);
        let i = (slot % 6) as usize;
        if self.slots[i] != slot {
            self.slots[i] = slot;
            self.buckets[i] = 0;
        }
        self.buckets[i] += n;
    }

    /// Records in the last minute (the current partial bucket and five full ones).
    fn per_minute(&self, now: SystemTime) -> u64 {
        let slot = slot_of(now);
        (0..6)
            .filter(|i| slot.saturating_sub(self.slots[*i]) < 6 && self.slots[*i] <= slot)
            .map(|i| self.buckets[i])
            .sum()
    }
}

fn slot_of(t: SystemTime) -> u64 {
    t.duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs()
        / 10
}

/// Counters for one exporter address.
#[derive(Debug, Clone)]
pub struct ExporterHealth {
    pub addr: IpAddr,
    /// The protocol of its latest datagram.
    pub kind: Option<FlowKind>,
    pub datagrams: u64,
    pub records: u64,
    /// Flow bytes reported (after sampling).
    pub flow_bytes: u64,
    /// Datagrams received while capture was paused.
    pub dropped_paused: u64,
    pub errors: BTreeMap<ErrorKind, u64>,
    /// Data sets that arrived before their template and could not be held.
    pub unheld_sets: u64,
    /// Records/packets its sequence numbers say never arrived.
    pub sequence_lost: u64,
    /// Packets an sFlow sensor says it could not sample.
    pub sampler_drops: u64,
    /// An sFlow sensor's ports, from its counter samples.
    pub interfaces: Option<InterfaceTotals>,
    /// Records with absurd counters (left out) or times (cleared).
    pub implausible: u64,
    pub templates: TemplateStats,
    pub first_seen: SystemTime,
    pub last_seen: SystemTime,
    rate: RateWindow,
}

impl ExporterHealth {
    pub(crate) fn new(addr: IpAddr, now: SystemTime) -> Self {
        ExporterHealth {
            addr,
            kind: None,
            datagrams: 0,
            records: 0,
            flow_bytes: 0,
            dropped_paused: 0,
            errors: BTreeMap::new(),
            unheld_sets: 0,
            sequence_lost: 0,
            sampler_drops: 0,
            interfaces: None,
            implausible: 0,
            templates: TemplateStats::default(),
            first_seen: now,
            last_seen: now,
            rate: RateWindow::default(),
        }
    }

    pub fn decode_errors(&self) -> u64 {
        self.errors.values().sum()
    }

    pub fn flows_per_minute(&self, now: SystemTime) -> u64 {
        self.rate.per_minute(now)
    }

    /// One line for the service log: what this exporter sent and what went wrong.
    pub fn describe(&self) -> String {
        let t = |t: SystemTime| {
            chrono::DateTime::<chrono::Local>::from(t)
                .format("%Y-%m-%d %H:%M:%S")
                .to_string()
        };
        let mut s = format!(
            "exporter {} ({}): {} datagrams, {} flow records, {} bytes of traffic",
            self.addr,
            self.kind.map(|k| k.as_str()).unwrap_or("nothing decoded"),
            self.datagrams,
            self.records,
            self.flow_bytes
        );
        if !self.errors.is_empty() {
            let e: Vec<String> = self
                .errors
                .iter()
                .map(|(k, n)| format!("{k} ×{n}"))
                .collect();
            s.push_str(&format!("; undecodable: {}", e.join(", ")));
        }
        if self.sequence_lost > 0 {
            s.push_str(&format!(
                "; {} lost in transit (sequence numbers)",
                self.sequence_lost
            ));
        }
        if self.sampler_drops > 0 {
            s.push_str(&format!(
                "; {} packet(s) it could not sample (its own drops)",
                self.sampler_drops
            ));
        }
        if let Some(i) = self.interfaces {
            s.push_str(&format!("; its ports: {}", i.words()));
        }
        let never = self.unheld_sets + self.templates.lost_sets + self.templates.held_sets as u64;
        if never > 0 {
            s.push_str(&format!("; {never} data set(s) without their template"));
        }
        if self.implausible > 0 {
            s.push_str(&format!(
                "; {} implausible record(s) (counters over 2^48 left out, impossible times cleared)",
                self.implausible
            ));
        }
        if self.dropped_paused > 0 {
            s.push_str(&format!(
                "; {} datagrams dropped while paused",
                self.dropped_paused
            ));
        }
        s.push_str(&format!(
            "; first seen {}, last {}",
            t(self.first_seen),
            t(self.last_seen)
        ));
        s
    }
}

/// Something that happened to an exporter, for the logs and the tray. A sensor's silence and
/// its return are exporter events, not traffic alerts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExporterEvent {
    /// Its first datagram.
    Seen {
        addr: IpAddr,
        kind: Option<FlowKind>,
        /// The UDP port it sends from.
        port: u16,
    },
    /// Nothing from it for `[Alerts] SilentAfter`.
    Silent {
        addr: IpAddr,
        /// Its label from `[Alerts] Host.<addr>`.
        label: Option<String>,
        last_seen: SystemTime,
    },
    /// It sends again after being reported silent.
    Back { addr: IpAddr, label: Option<String> },
}

/// What happened when a datagram was recorded, for the caller to log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Recorded {
    /// The first datagram from this exporter.
    pub first_seen: bool,
    /// It had been silent and is back.
    pub returned: bool,
    /// Its first implausible record (see `decode::sanity`).
    pub first_implausible: bool,
}

/// All exporters.
#[derive(Debug, Default)]
pub struct Health {
    exporters: HashMap<IpAddr, ExporterHealth>,
    pub refused_datagrams: u64,
    /// Exporters forgotten to make room since the last report: (how many, the last one).
    evicted: (u64, Option<(IpAddr, SystemTime)>),
    /// When each exporter was reported silent (cleared when it returns).
    silent: HashMap<IpAddr, SystemTime>,
}

impl Health {
    /// The exporter's counters, made room for if need be: at [`MAX_EXPORTERS`], the one not
    /// heard from for longest is forgotten (counted, and reported by [`Health::take_evictions`]).
    fn entry(&mut self, addr: IpAddr, now: SystemTime) -> Option<(&mut ExporterHealth, bool)> {
        if !self.exporters.contains_key(&addr) && self.exporters.len() >= MAX_EXPORTERS {
            let oldest = self
                .exporters
                .values()
                .min_by_key(|e| (e.last_seen, e.addr))
                .map(|e| (e.addr, e.last_seen))?;
            self.exporters.remove(&oldest.0);
            self.silent.remove(&oldest.0);
            self.evicted.0 += 1;
            self.evicted.1 = Some(oldest);
        }
        let mut first = false;
        let e = self.exporters.entry(addr).or_insert_with(|| {
            first = true;
            ExporterHealth::new(addr, now)
        });
        Some((e, first))
    }

    /// The line for the service log when exporters were forgotten since the last call.
    pub fn take_evictions(&mut self) -> Option<String> {
        let (n, last) = std::mem::take(&mut self.evicted);
        let (addr, seen) = last?;
        Some(format!(
            "{n} exporter(s) forgotten to make room for new ones (at most {MAX_EXPORTERS} are tracked; the last was {addr}, not heard from since {})",
            crate::words::units::local_time(seen)
        ))
    }

    /// Count a decoded datagram.
    pub fn record(
        &mut self,
        addr: IpAddr,
        now: SystemTime,
        o: &Outcome,
        flow_bytes: u64,
    ) -> Recorded {
        let returned = self.silent.remove(&addr).is_some();
        let Some((e, first_seen)) = self.entry(addr, now) else {
            return Recorded {
                first_seen: false,
                returned,
                first_implausible: false,
            };
        };
        e.datagrams += 1;
        e.records += o.records as u64;
        e.flow_bytes = e.flow_bytes.saturating_add(flow_bytes);
        if o.kind.is_some() {
            e.kind = o.kind;
        }
        if let Some(err) = o.error {
            *e.errors.entry(err.kind()).or_default() += 1;
        }
        e.unheld_sets += o.unheld_sets as u64;
        e.sequence_lost += o.sequence_lost;
        e.sampler_drops += o.sampler_drops;
        let first_implausible = e.implausible == 0 && o.implausible > 0;
        e.implausible += o.implausible as u64;
        e.last_seen = now;
        e.rate.add(now, o.records as u64);
        Recorded {
            first_seen,
            returned,
            first_implausible,
        }
    }

    /// Count a datagram dropped because capture is paused.
    pub fn record_paused(&mut self, addr: IpAddr, now: SystemTime) {
        if let Some((e, _)) = self.entry(addr, now) {
            e.dropped_paused += 1;
            e.last_seen = now;
        }
    }

    pub fn set_sensor_stats(&mut self, stats: &SensorStats) {
        for (ip, s) in &stats.templates {
            if let Some(e) = self.exporters.get_mut(ip) {
                e.templates = *s;
            }
        }
        for (ip, t) in &stats.interfaces {
            if let Some(e) = self.exporters.get_mut(ip) {
                e.interfaces = Some(*t);
            }
        }
    }

    /// Exporters not heard from for `after`, not yet reported; they are marked reported.
    pub fn newly_silent(&mut self, now: SystemTime, after: Duration) -> Vec<(IpAddr, SystemTime)> {
        let mut out = Vec::new();
        for e in self.exporters.values() {
            if !self.silent.contains_key(&e.addr)
                && now.duration_since(e.last_seen).unwrap_or_default() >= after
            {
                out.push((e.addr, e.last_seen));
            }
        }
        for (a, _) in &out {
            self.silent.insert(*a, now);
        }
        out.sort();
        out
    }

    /// A copy of every exporter, most recently seen first.
    pub fn snapshot(&self) -> Vec<ExporterHealth> {
        let mut v: Vec<ExporterHealth> = self.exporters.values().cloned().collect();
        v.sort_by(|a, b| b.last_seen.cmp(&a.last_seen).then(a.addr.cmp(&b.addr)));
        v
    }

    pub fn get(&self, addr: &IpAddr) -> Option<&ExporterHealth> {
        self.exporters.get(addr)
    }

    /// Records received from all exporters in the last minute.
    pub fn flows_per_minute(&self, now: SystemTime) -> u64 {
        self.exporters
            .values()
            .map(|e| e.flows_per_minute(now))
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::DecodeError;

    pub(super) fn at(s: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000 + s)
    }

    #[test]
    fn every_version_number_from_one_source_is_one_kind_of_error() {
        let mut h = Health::default();
        let ip: IpAddr = "127.5.0.1".parse().unwrap();
        for v in 0..=u16::MAX {
            let o = Outcome {
                error: Some(DecodeError::UnknownVersion(v)),
                ..Default::default()
            };
            h.record(ip, at(u64::from(v) / 1000), &o, 0);
        }
        let e = h.get(&ip).unwrap();
        assert_eq!(e.decode_errors(), 65_536);
        assert_eq!(e.errors.len(), 1, "counted by kind, not by version");
        let line = e.describe();
        assert!(
            line.contains("undecodable: not NetFlow/IPFIX/sFlow ×65536") && line.len() < 200,
            "{line}"
        );
    }

    #[test]
    fn counts_and_rates() {
        let mut h = Health::default();
        let ip: IpAddr = "10.0.0.1".parse().unwrap();
        let o = Outcome {
            kind: Some(FlowKind::NetflowV9),
            records: 30,
            ..Default::default()
        };
        assert!(h.record(ip, at(0), &o, 1000).first_seen);
        assert!(!h.record(ip, at(15), &o, 1000).first_seen);
        h.record(
            ip,
            at(20),
            &Outcome {
                error: Some(DecodeError::Truncated),
                ..Default::default()
            },
            0,
        );
        let e = h.get(&ip).unwrap();
        assert_eq!((e.datagrams, e.records, e.decode_errors()), (3, 60, 1));
        assert_eq!(e.flows_per_minute(at(25)), 60);
        assert_eq!(
            e.flows_per_minute(at(65)),
            30,
            "the first bucket left the window"
        );
        assert_eq!(e.flows_per_minute(at(200)), 0);
        assert_eq!(
            e.kind,
            Some(FlowKind::NetflowV9),
            "an error does not erase the kind"
        );
    }

    #[test]
    fn silence_is_reported_once_and_return_is_noticed() {
        let mut h = Health::default();
        let ip: IpAddr = "10.0.0.1".parse().unwrap();
        h.record(ip, at(0), &Outcome::default(), 0);
        assert!(h.newly_silent(at(599), Duration::from_secs(600)).is_empty());
        assert_eq!(
            h.newly_silent(at(600), Duration::from_secs(600)),
            vec![(ip, at(0))]
        );
        assert!(h.newly_silent(at(900), Duration::from_secs(600)).is_empty());
        assert!(h.record(ip, at(901), &Outcome::default(), 0).returned);
    }

    #[test]
    fn implausible_records_are_counted_said_once_and_shown() {
        let mut h = Health::default();
        let ip: IpAddr = "10.0.0.1".parse().unwrap();
        let o = Outcome {
            records: 3,
            implausible: 2,
            ..Outcome::default()
        };
        assert!(h.record(ip, at(0), &o, 10).first_implausible);
        assert!(!h.record(ip, at(1), &o, 10).first_implausible, "once");
        let e = h.get(&ip).unwrap();
        assert_eq!(e.implausible, 4);
        assert!(
            e.describe().contains("; 4 implausible record(s)"),
            "{}",
            e.describe()
        );
    }

    #[test]
    fn past_the_bound_the_longest_silent_exporter_makes_room_and_it_is_said() {
        let mut h = Health::default();
        let o = Outcome {
            records: 1,
            ..Outcome::default()
        };
        let ip = |i: u32| IpAddr::from((0x0a00_0000 + i).to_be_bytes());
        let mut first_seen = 0;
        for i in 0..300u32 {
            if h.record(ip(i), at(i as u64), &o, 10).first_seen {
                first_seen += 1;
            }
        }
        assert_eq!(
            first_seen, 300,
            "every exporter is seen (and named) when it comes"
        );
        assert_eq!(h.snapshot().len(), MAX_EXPORTERS);
        assert!(
            h.get(&ip(0)).is_none() && h.get(&ip(299)).is_some(),
            "the oldest went"
        );
        let line = h.take_evictions().unwrap();
        assert!(line.starts_with("44 exporter(s) forgotten"), "{line}");
        assert!(line.contains("the last was 10.0.0.43"), "{line}");
        assert_eq!(h.take_evictions(), None, "said once");
    }
}
