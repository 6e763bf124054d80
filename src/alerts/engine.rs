//! The counting side of alerts: flows into per-(sensor, host, direction) buckets, a ring of
//! buckets spanning the window, and every `window / 6` one evaluation of every rule.
//!
//! Time is passed in by the caller ([`AlertEngine::add`], [`AlertEngine::tick`]), so tests
//! drive the clock.

use super::hosts::{BUCKETS, Hosts, Key, MAX_HOSTS, Millis, Tick, Window};
use super::incident::{Direction, Incident, IncidentKey, Incidents, Peer, Reading, Rule};
use super::limits::fixed_limits;
use crate::flow::{Addr, FlowRecord};
use crate::settings::alerts::{AlertSettings, Rate};
use std::net::IpAddr;
use std::time::{Duration, SystemTime};

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
    hosts: Hosts,
    incidents: Incidents,
    next_tick: Option<SystemTime>,
    /// Flows from hosts past [`MAX_HOSTS`], not checked (see [`Self::take_unchecked`]).
    unchecked: u64,
}

impl AlertEngine {
    pub fn new(cfg: AlertSettings) -> Self {
        let tick = (cfg.window / BUCKETS as u32).max(Duration::from_millis(200));
        AlertEngine {
            cfg,
            tick,
            hosts: Hosts::new(MAX_HOSTS),
            incidents: Incidents::default(),
            next_tick: None,
            unchecked: 0,
        }
    }

    /// The most hosts (sensor, host, direction) tracked at once.
    pub const MAX_HOSTS: usize = MAX_HOSTS;

    /// Bytes the tracked hosts hold now (at most about 3.8 MB, at [`MAX_HOSTS`]).
    pub fn bytes(&self) -> usize {
        self.hosts.bytes()
    }

    /// Flows not checked against the rules since the last call, because their host came
    /// while [`MAX_HOSTS`] were tracked.
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
            self.hosts.get_or_insert_with(key, || {
                let window = Window {
                    last_traffic: Millis::of(now),
                    ..Window::new(u.since, u.bps)
                };
                (Tick::default(), window)
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

    /// Start fetching the entries counting `r` will touch, a few flows before
    /// [`AlertEngine::add`].
    #[inline]
    pub fn prefetch(&self, r: &FlowRecord) {
        for (host, dir) in [(r.src_addr, Direction::From), (r.dst_addr, Direction::To)] {
            self.hosts.prefetch(&Key {
                sensor: r.exporter,
                host,
                dir,
            });
        }
    }

    /// Count one flow (received at `now`).
    #[inline]
    pub fn add(&mut self, r: &FlowRecord, now: SystemTime) {
        if self.next_tick.is_none() {
            self.next_tick = Some(now + self.tick);
        }
        let hosts = &mut self.hosts;
        let unchecked = &mut self.unchecked;
        let mut bump = |key: Key, peer: Option<Peer>| {
            let Some(h) =
                hosts.get_or_insert_with(key, || (Tick::default(), Window::new(now, 0.0)))
            else {
                *unchecked += 1;
                return;
            };
            let first = h.bytes == 0;
            h.bytes = h.bytes.saturating_add(r.bytes);
            h.packets = h
                .packets
                .saturating_add(u32::try_from(r.packets).unwrap_or(u32::MAX));
            if let Some(p) = peer
                && p.bytes > 0
                && (first || p.bytes > h.top.bytes)
            {
                h.top = p;
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
            sensor: r.exporter,
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
            bump(key(r.exporter, Direction::Sensor), None);
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

    /// Move the tick's counts into the window, evaluate every rule, return the incidents that
    /// opened or ended.
    pub fn tick(&mut self, now: SystemTime) -> Vec<Incident> {
        let window_secs = self.cfg.window.as_secs_f64().max(0.001);
        let alpha = (self.tick.as_secs_f64() / self.cfg.baseline.as_secs_f64().max(1.0)).min(1.0);
        let AlertEngine {
            cfg,
            hosts,
            incidents,
            ..
        } = self;
        let mut out = Vec::new();
        let mut forget = Vec::new();
        let now_ms = Millis::of(now);
        for (key, t, h) in hosts.iter_mut() {
            let (tick_bytes, tick_packets) = (t.bytes, t.packets);
            (t.bytes, t.packets) = (0, 0);
            t.pos = (t.pos + 1) % BUCKETS as u8;
            h.ring_bytes[t.pos as usize] = tick_bytes;
            h.ring_packets[t.pos as usize] = tick_packets;
            if tick_bytes > 0 {
                h.last_traffic = now_ms;
            }
            let bytes = h.ring_bytes.iter().fold(0u64, |s, b| s.saturating_add(*b));
            let packets: u64 = h.ring_packets.iter().map(|p| *p as u64).sum();
            let bps = bytes as f64 * 8.0 / window_secs;
            let pps = packets as f64 / window_secs;
            let learned = h.tracked_since.age(now_ms) >= cfg.baseline;
            let baseline = h.baseline_bps;
            // Learn after judging, so a flood does not raise its own bar at once.
            h.baseline_bps += alpha * (bps - h.baseline_bps);
            let idle_for = h.last_traffic.age(now_ms);
            let forgettable =
                bytes == 0 && idle_for > cfg.baseline.max(cfg.window * 2) && h.baseline_bps < 1.0;

            for (rule, limit, usual) in rules(cfg, key, learned, baseline).into_iter().flatten() {
                let rate = match limit {
                    Rate::Bits(_) => Rate::Bits(bps),
                    Rate::Packets(_) => Rate::Packets(pps),
                };
                let reading = Reading {
                    rate,
                    limit,
                    usual,
                    peer: (key.dir != Direction::Sensor).then_some(t.top),
                    bytes: tick_bytes,
                };
                let ik = IncidentKey {
                    rule,
                    sensor: key.sensor,
                    host: key.host,
                    dir: key.dir,
                };
                out.extend(incidents.judge(ik, &reading, now, cfg.cooldown));
            }
            if forgettable && !incidents.any_open(key.sensor, key.host, key.dir) {
                forget.push(*key);
            }
        }
        if !forget.is_empty() {
            // In the order `iter_mut` gave them, as `retain` meets them.
            let mut forget = forget.into_iter().peekable();
            hosts.retain(|k| forget.next_if_eq(k).is_none());
        }
        incidents.forget_cooldowns_before(now);
        self.next_tick = (!self.hosts.is_empty()).then(|| now + self.tick);
        out
    }

    /// The incidents open now, oldest first.
    pub fn active(&self) -> Vec<Incident> {
        self.incidents.open()
    }
}

/// The rules that apply to `key`, with their limits; `learned` and `baseline` for spikes.
/// At most three: the fixed limits ([`fixed_limits`]: the direction's, the host's own) and
/// the spike rule.
fn rules(
    c: &AlertSettings,
    key: &Key,
    learned: bool,
    baseline_bps: f64,
) -> [Option<(Rule, Rate, Option<Rate>)>; 3] {
    let mut fixed = fixed_limits(c, key.host.ip(), key.dir).map(|l| (l.rule, l.rate, None));
    let spike = (key.dir == Direction::From && c.spike_factor > 0.0 && learned).then(|| {
        let floor = match c.spike_floor {
            Rate::Bits(b) => b,
            Rate::Packets(_) => 0.0,
        };
        let limit = (baseline_bps * c.spike_factor).max(floor);
        (
            Rule::Spike,
            Rate::Bits(limit),
            Some(Rate::Bits(baseline_bps)),
        )
    });
    [fixed.next(), spike, fixed.next()]
}
