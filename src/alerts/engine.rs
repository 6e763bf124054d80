//! The counting side of alerts: flows into per-(sensor, host, direction) buckets, a ring of
//! buckets spanning the window, and every `window / 6` one evaluation of every rule.
//!
//! Time is passed in by the caller ([`AlertEngine::add`], [`AlertEngine::tick`]), so tests
//! drive the clock.

use super::incident::{Direction, Incident, IncidentKey, Incidents, Peer, Reading, Rule};
use crate::flow::{Addr, FlowRecord};
use crate::settings::alerts::{AlertSettings, Rate};
use std::collections::HashMap;
use std::net::IpAddr;
use std::time::{Duration, SystemTime};

type FastMap<K, V> = HashMap<K, V, foldhash::fast::RandomState>;

/// Buckets per window.
const BUCKETS: usize = 6;
/// Hosts tracked at most (per direction and sensor); quiet ones are dropped first.
const MAX_HOSTS: usize = 20_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Key {
    sensor: Addr,
    host: Addr,
    dir: Direction,
}

#[derive(Debug, Default, Clone, Copy)]
struct Acc {
    bytes: u64,
    packets: u64,
    top: Peer,
}

#[derive(Debug, Clone)]
struct HostState {
    ring: [(u64, u64); BUCKETS],
    pos: usize,
    /// Usual rate in bit/s (an exponential moving average over `Baseline`).
    baseline_bps: f64,
    tracked_since: SystemTime,
    last_traffic: SystemTime,
    top: Peer,
}

/// A host's usual sending rate known from before (the history), to start from.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Usual {
    pub sensor: IpAddr,
    pub host: IpAddr,
    /// Since when the host is known: the spike rule waits until it is known for `Baseline`.
    pub since: SystemTime,
    /// bit/s.
    pub bps: f64,
}

/// The alert engine. Feed it flows with [`AlertEngine::add`], call [`AlertEngine::tick`]
/// when [`AlertEngine::next_tick`] says.
pub struct AlertEngine {
    cfg: AlertSettings,
    tick: Duration,
    current: FastMap<Key, Acc>,
    hosts: FastMap<Key, HostState>,
    incidents: Incidents,
    next_tick: Option<SystemTime>,
    /// Flows from hosts past [`MAX_HOSTS`] in one tick, not checked (see [`Self::take_unchecked`]).
    unchecked: u64,
}

impl AlertEngine {
    pub fn new(cfg: AlertSettings) -> Self {
        let tick = (cfg.window / BUCKETS as u32).max(Duration::from_millis(200));
        AlertEngine {
            cfg,
            tick,
            current: FastMap::default(),
            hosts: FastMap::default(),
            incidents: Incidents::default(),
            next_tick: None,
            unchecked: 0,
        }
    }

    /// The most hosts (sensor, host, direction) counted in one tick.
    pub const MAX_HOSTS: usize = MAX_HOSTS;

    /// Flows not checked against the rules since the last call, because their host was past
    /// [`MAX_HOSTS`] in its tick.
    pub fn take_unchecked(&mut self) -> u64 {
        std::mem::take(&mut self.unchecked)
    }

    pub fn settings(&self) -> &AlertSettings {
        &self.cfg
    }

    /// New settings; learned baselines and open incidents are kept when the window stays.
    pub fn reconfigure(&mut self, cfg: AlertSettings) {
        if cfg.window != self.cfg.window {
            *self = AlertEngine::new(cfg);
        } else {
            self.cfg = cfg;
        }
    }

    /// Start from usual rates known from before, so a restart (a new login) does not learn
    /// every host from zero. Hosts already tracked keep what they learned.
    pub fn seed(&mut self, usual: &[Usual]) {
        let now = SystemTime::now();
        for u in usual {
            if self.hosts.len() >= MAX_HOSTS {
                break;
            }
            let key = Key {
                sensor: u.sensor.into(),
                host: u.host.into(),
                dir: Direction::From,
            };
            self.hosts.entry(key).or_insert(HostState {
                ring: [(0, 0); BUCKETS],
                pos: 0,
                baseline_bps: u.bps,
                tracked_since: u.since,
                last_traffic: now,
                top: Peer::default(),
            });
        }
    }

    /// Whether any rule can fire (limits set, or spike detection on).
    pub fn enabled(&self) -> bool {
        let c = &self.cfg;
        c.source.is_some()
            || c.destination.is_some()
            || c.sensor.is_some()
            || !c.hosts.is_empty()
            || c.spike_factor > 0.0
    }

    /// Count one flow (received at `now`).
    #[inline]
    pub fn add(&mut self, r: &FlowRecord, now: SystemTime) {
        if self.next_tick.is_none() {
            self.next_tick = Some(now + self.tick);
        }
        let mut bump = |key: Key, peer: Option<Peer>| {
            if self.current.len() >= MAX_HOSTS && !self.current.contains_key(&key) {
                self.unchecked += 1;
                return;
            }
            let a = self.current.entry(key).or_default();
            a.bytes = a.bytes.saturating_add(r.bytes);
            a.packets = a.packets.saturating_add(r.packets);
            if let Some(p) = peer
                && p.bytes > a.top.bytes
            {
                a.top = p;
            }
        };
        let flow_peer = |addr: Addr, port: u16| Peer {
            addr,
            proto: r.proto,
            port,
            bytes: r.bytes,
        };
        let service_port = if r.src_port != 0 && (r.dst_port == 0 || r.src_port < r.dst_port) {
            r.src_port
        } else {
            r.dst_port
        };
        let key = |host, dir| Key {
            sensor: r.sampler,
            host,
            dir,
        };
        bump(
            key(r.src_addr, Direction::From),
            Some(flow_peer(r.dst_addr, service_port)),
        );
        bump(
            key(r.dst_addr, Direction::To),
            Some(flow_peer(r.src_addr, service_port)),
        );
        if self.cfg.sensor.is_some() {
            bump(key(r.sampler, Direction::Sensor), None);
        }
    }

    /// When the next evaluation is due (`None`: nothing tracked, nothing to do).
    pub fn next_tick(&self) -> Option<SystemTime> {
        self.next_tick
    }

    /// The time between two ticks: the window's step.
    pub fn step(&self) -> Duration {
        self.tick
    }

    /// The rules that apply to `key`, with their limits; `learned` and `baseline` for spikes.
    fn rules(
        &self,
        key: &Key,
        learned: bool,
        baseline_bps: f64,
    ) -> Vec<(Rule, Rate, Option<Rate>)> {
        let c = &self.cfg;
        let mut rules = Vec::new();
        match key.dir {
            Direction::From => {
                if let Some(l) = c.source {
                    rules.push((Rule::SourceLimit, l, None));
                }
                if c.spike_factor > 0.0 && learned {
                    let floor = match c.spike_floor {
                        Rate::Bits(b) => b,
                        Rate::Packets(_) => 0.0,
                    };
                    let limit = (baseline_bps * c.spike_factor).max(floor);
                    rules.push((
                        Rule::Spike,
                        Rate::Bits(limit),
                        Some(Rate::Bits(baseline_bps)),
                    ));
                }
            }
            Direction::To => {
                if let Some(l) = c.destination {
                    rules.push((Rule::DestinationLimit, l, None));
                }
            }
            Direction::Sensor => {
                if let Some(l) = c.sensor {
                    rules.push((Rule::SensorLimit, l, None));
                }
            }
        }
        if key.dir != Direction::Sensor
            && let Some(ip) = key.host.ip()
            && let Some(hr) = c.hosts.iter().find(|hr| hr.addr == ip)
        {
            rules.push((Rule::HostLimit, hr.rate, None));
        }
        rules
    }

    /// Move the current bucket into the window, evaluate every rule, return the incidents that
    /// opened or ended.
    pub fn tick(&mut self, now: SystemTime) -> Vec<Incident> {
        let window_secs = self.cfg.window.as_secs_f64().max(0.001);
        let alpha = (self.tick.as_secs_f64() / self.cfg.baseline.as_secs_f64().max(1.0)).min(1.0);
        let current = std::mem::take(&mut self.current);
        for (key, acc) in &current {
            if !self.hosts.contains_key(key) && self.hosts.len() < MAX_HOSTS {
                self.hosts.insert(
                    *key,
                    HostState {
                        ring: [(0, 0); BUCKETS],
                        pos: 0,
                        baseline_bps: 0.0,
                        tracked_since: now,
                        last_traffic: now,
                        top: acc.top,
                    },
                );
            }
        }
        let mut out = Vec::new();
        let mut forget = Vec::new();
        let keys: Vec<Key> = self.hosts.keys().copied().collect();
        for key in keys {
            let acc = current.get(&key).copied().unwrap_or_default();
            let Some(h) = self.hosts.get_mut(&key) else {
                continue;
            };
            h.pos = (h.pos + 1) % BUCKETS;
            h.ring[h.pos] = (acc.bytes, acc.packets);
            if acc.bytes > 0 {
                h.last_traffic = now;
                h.top = acc.top;
            }
            let (bytes, packets) = h
                .ring
                .iter()
                .fold((0u64, 0u64), |s, x| (s.0 + x.0, s.1 + x.1));
            let bps = bytes as f64 * 8.0 / window_secs;
            let pps = packets as f64 / window_secs;
            let learned =
                now.duration_since(h.tracked_since).unwrap_or_default() >= self.cfg.baseline;
            let baseline = h.baseline_bps;
            let top = h.top;
            // Learn after judging, so a flood does not raise its own bar at once.
            h.baseline_bps += alpha * (bps - h.baseline_bps);
            let idle_for = now.duration_since(h.last_traffic).unwrap_or_default();
            let forgettable = bytes == 0
                && idle_for > self.cfg.baseline.max(self.cfg.window * 2)
                && h.baseline_bps < 1.0;

            let label = key.host.ip().and_then(|ip| self.cfg.label(ip));
            for (rule, limit, usual) in self.rules(&key, learned, baseline) {
                let rate = match limit {
                    Rate::Bits(_) => Rate::Bits(bps),
                    Rate::Packets(_) => Rate::Packets(pps),
                };
                let reading = Reading {
                    rate,
                    limit,
                    usual,
                    peer: (key.dir != Direction::Sensor).then_some(top),
                    bytes: acc.bytes,
                    label,
                };
                let ik = IncidentKey {
                    rule,
                    sensor: key.sensor,
                    host: key.host,
                    dir: key.dir,
                };
                out.extend(self.incidents.judge(ik, &reading, now, self.cfg.cooldown));
            }
            if forgettable && !self.incidents.any_open(key.sensor, key.host, key.dir) {
                forget.push(key);
            }
        }
        for k in forget {
            self.hosts.remove(&k);
        }
        self.incidents.forget_cooldowns_before(now);
        self.next_tick = if self.hosts.is_empty() && self.current.is_empty() {
            None
        } else {
            Some(now + self.tick)
        };
        out
    }

    /// The incidents open now, oldest first.
    pub fn active(&self) -> Vec<Incident> {
        self.incidents.open()
    }
}
