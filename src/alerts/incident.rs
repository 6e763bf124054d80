//! Incidents: what the alert engine reports, as data, and the state that turns rule readings
//! into incidents — one opens when a rule is exceeded, grows (bytes, peak) while it stays
//! exceeded, and ends when the rate falls back below it. After an end, the same rule for the
//! same host is in *cooldown*: a new incident within it is marked `quiet` (logged, not
//! announced).
//!
//! Nothing here words anything: the outputs do that (`output::wording`).

use crate::flow::Addr;
use crate::settings::alerts::Rate;
use std::collections::HashMap;
use std::net::IpAddr;
use std::time::{Duration, SystemTime};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Direction {
    /// What a host sends.
    From,
    /// What a host receives.
    To,
    /// A sensor's total.
    Sensor,
}

/// Which rule fired.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Rule {
    SourceLimit,
    DestinationLimit,
    SensorLimit,
    HostLimit,
    Spike,
}

impl Rule {
    /// The setting the rule comes from, as the logs name it.
    pub fn name(self) -> &'static str {
        match self {
            Rule::SourceLimit => "SourceRate",
            Rule::DestinationLimit => "DestinationRate",
            Rule::SensorLimit => "SensorRate",
            Rule::HostLimit => "Host limit",
            Rule::Spike => "spike",
        }
    }
}

/// The biggest single flow of a host in the latest bucket: who it talked to, on what.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Peer {
    pub addr: Addr,
    pub proto: u8,
    pub port: u16,
    pub bytes: u64,
}

/// Where an incident is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Just opened (or, in a status snapshot, still open).
    Started,
    /// Back below the rule at `end`.
    Ended { end: SystemTime },
}

/// One incident: a rule exceeded by one host (or sensor) from `start` on.
#[derive(Debug, Clone, PartialEq)]
pub struct Incident {
    pub phase: Phase,
    pub rule: Rule,
    pub direction: Direction,
    /// The sensor whose flows showed it.
    pub sensor: IpAddr,
    /// The host (for [`Direction::Sensor`], the sensor itself).
    pub host: IpAddr,
    /// The device's name ([`crate::names`]): given by the pipeline as the incident is handed
    /// to the outputs; the engine leaves it empty.
    pub label: Option<String>,
    pub start: SystemTime,
    /// The rate over the window when this was reported.
    pub rate: Rate,
    /// The highest rate so far.
    pub peak: Rate,
    /// The limit crossed; for spikes `SpikeFactor × usual` (at least `SpikeFloor`).
    pub limit: Rate,
    /// For spikes: the host's learned usual rate.
    pub usual: Option<Rate>,
    pub peer: Option<Peer>,
    /// Bytes counted while the incident was open.
    pub bytes: u64,
    /// Opened within the cooldown of the previous one: logged, not announced.
    pub quiet: bool,
}

impl Incident {
    /// How long it lasted (ended incidents).
    pub fn duration(&self) -> Option<Duration> {
        match self.phase {
            Phase::Ended { end } => Some(end.duration_since(self.start).unwrap_or_default()),
            Phase::Started => None,
        }
    }

    /// For spikes: how many times the usual rate the host reached.
    pub fn multiple(&self) -> Option<f64> {
        match (self.rate, self.usual?) {
            (Rate::Bits(r), Rate::Bits(u)) | (Rate::Packets(r), Rate::Packets(u)) => {
                Some(r / u.max(1.0))
            }
            _ => None,
        }
    }
}

/// What identifies an incident: the rule and whose traffic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) struct IncidentKey {
    pub rule: Rule,
    pub sensor: Addr,
    pub host: Addr,
    pub dir: Direction,
}

/// One evaluation of one rule for one host.
pub(super) struct Reading {
    pub rate: Rate,
    pub limit: Rate,
    pub usual: Option<Rate>,
    pub peer: Option<Peer>,
    /// Bytes in the newest bucket.
    pub bytes: u64,
}

fn above(rate: Rate, limit: Rate) -> bool {
    match (rate, limit) {
        (Rate::Bits(r), Rate::Bits(l)) | (Rate::Packets(r), Rate::Packets(l)) => r > l,
        _ => false,
    }
}

/// Open incidents and cooldowns.
#[derive(Debug, Default)]
pub(super) struct Incidents {
    open: HashMap<IncidentKey, Incident>,
    cooldown_until: HashMap<IncidentKey, SystemTime>,
}

impl Incidents {
    /// Judge a reading at `now`: the incident that opens or ends with it, if any.
    pub fn judge(
        &mut self,
        key: IncidentKey,
        r: &Reading,
        now: SystemTime,
        cooldown: Duration,
    ) -> Option<Incident> {
        let exceeded = above(r.rate, r.limit);
        match (self.open.get_mut(&key), exceeded) {
            (None, true) => {
                let quiet = self.cooldown_until.get(&key).is_some_and(|t| *t > now);
                let ip = |a: Addr| a.ip().unwrap_or(IpAddr::from([0, 0, 0, 0]));
                let i = Incident {
                    phase: Phase::Started,
                    rule: key.rule,
                    direction: key.dir,
                    sensor: ip(key.sensor),
                    host: ip(key.host),
                    label: None,
                    start: now,
                    rate: r.rate,
                    peak: r.rate,
                    limit: r.limit,
                    usual: r.usual,
                    peer: r.peer,
                    bytes: r.bytes,
                    quiet,
                };
                self.open.insert(key, i.clone());
                Some(i)
            }
            (Some(i), true) => {
                i.bytes = i.bytes.saturating_add(r.bytes);
                if above(r.rate, i.peak) {
                    i.peak = r.rate;
                }
                i.rate = r.rate;
                None
            }
            (Some(_), false) => {
                let mut i = self.open.remove(&key)?;
                self.cooldown_until.insert(key, now + cooldown);
                i.phase = Phase::Ended { end: now };
                i.rate = r.rate;
                i.peer = r.peer.or(i.peer);
                Some(i)
            }
            (None, false) => None,
        }
    }

    /// Whether any incident is open for this host (in this direction, on this sensor).
    pub fn any_open(&self, sensor: Addr, host: Addr, dir: Direction) -> bool {
        self.open
            .keys()
            .any(|k| k.sensor == sensor && k.host == host && k.dir == dir)
    }

    pub fn forget_cooldowns_before(&mut self, now: SystemTime) {
        self.cooldown_until.retain(|_, t| *t > now);
    }

    /// The open incidents, oldest first.
    pub fn open(&self) -> Vec<Incident> {
        let mut v: Vec<Incident> = self.open.values().cloned().collect();
        v.sort_by(|a, b| a.start.cmp(&b.start).then(a.host.cmp(&b.host)));
        v
    }
}
