//! Alerts: tell the user when a device's traffic spikes or passes a limit, and when a sensor
//! goes silent.
//!
//! Flows are counted per (sensor, host, direction) into the current *bucket*; every
//! `window / 6` the buckets move into a ring that spans the window, rates are computed
//! (bit/s and packets/s over the window) and every rule is evaluated:
//!
//! * fixed limits — any source host, any destination host, each sensor's total, named hosts
//!   (`Host.192.168.0.82 = 2 Mbit/s, Printer`: what it sends and what it receives, each);
//! * a spike — a host sending more than `SpikeFactor` × its usual rate and more than
//!   `SpikeFloor`. "Usual" is an exponential moving average over `Baseline` (1 h); a host is
//!   learned for that long before its spikes count, so a quiet printer that suddenly floods is
//!   caught, but a host seen for the first time mid-flood is left to the fixed limits.
//!
//! An alert starts when a rule is exceeded and ends ("back to normal") when the rate falls below
//! it again, with its duration, total bytes and peak. After it ends, the same (rule, host) is
//! quiet for `Cooldown`: a re-trigger within it is logged but not announced again. Time is
//! passed in by the caller, so tests drive the clock.

use crate::flow::{Addr, FlowRecord, service_name};
use crate::settings::alerts::{AlertSettings, Rate};
use std::collections::HashMap;
use std::net::IpAddr;
use std::time::{Duration, SystemTime};

type FastMap<K, V> = HashMap<K, V, foldhash::fast::RandomState>;

/// Buckets per window.
const BUCKETS: usize = 6;
/// Hosts tracked at most (per direction and sensor); quiet ones are dropped first.
const MAX_HOSTS: usize = 20_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Direction {
    /// What a host sends.
    From,
    /// What a host receives.
    To,
    /// A sensor's total.
    Sensor,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Key {
    sensor: Addr,
    host: Addr,
    dir: Direction,
}

/// Which rule fired.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Rule {
    SourceLimit,
    DestinationLimit,
    SensorLimit,
    HostLimit,
    Spike,
}

impl Rule {
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

/// The biggest single flow of a host in the last bucket: who it talked to, on what.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Peer {
    pub addr: Addr,
    pub proto: u8,
    pub port: u16,
    bytes: u64,
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
    /// Usual rate in bit/s, and whether it is learned.
    baseline_bps: f64,
    tracked_since: SystemTime,
    last_traffic: SystemTime,
    top: Peer,
}

#[derive(Debug, Clone, Copy)]
struct Incident {
    since: SystemTime,
    peak: Rate,
    bytes: u64,
    quiet: bool,
}

/// What happened.
#[derive(Debug, Clone, PartialEq)]
pub enum AlertKind {
    Started,
    Ended { duration: Duration },
    SensorSilent { last_seen: SystemTime },
    SensorBack,
}

/// One alert event, with everything its messages need.
#[derive(Debug, Clone, PartialEq)]
pub struct Alert {
    pub kind: AlertKind,
    pub rule: Option<Rule>,
    pub direction: Direction,
    pub host: IpAddr,
    /// `192.168.0.82 (Printer)`.
    pub name: String,
    pub rate: Rate,
    pub peak: Rate,
    /// The limit, or for spikes `K × usual`.
    pub limit: Rate,
    /// Rate ÷ usual rate, for spikes.
    pub multiple: Option<f64>,
    pub peer: Option<Peer>,
    pub since: SystemTime,
    pub bytes: u64,
    /// A re-trigger within the cooldown: logged, not announced.
    pub quiet: bool,
}

fn local(t: SystemTime) -> String {
    chrono::DateTime::<chrono::Local>::from(t)
        .format("%Y-%m-%d %H:%M:%S")
        .to_string()
}

fn minutes(d: Duration) -> String {
    let s = d.as_secs();
    if s >= 3600 {
        format!("{} h {} min", s / 3600, (s % 3600) / 60)
    } else if s >= 60 {
        format!("{} min {} s", s / 60, s % 60)
    } else {
        format!("{s} s")
    }
}

impl Alert {
    /// `to 192.168.0.255 netbios-ns`
    fn peer_text(&self) -> String {
        match self.peer {
            Some(p) if p.addr.is_some() => {
                let svc = service_name(p.proto, p.port)
                    .map(str::to_string)
                    .unwrap_or_else(|| format!("port {}", p.port));
                let word = if self.direction == Direction::To {
                    "from"
                } else {
                    "to"
                };
                format!(" {word} {} {svc}", p.addr)
            }
            _ => String::new(),
        }
    }

    fn verb(&self) -> &'static str {
        match self.direction {
            Direction::From => "sends",
            Direction::To => "receives",
            Direction::Sensor => "reports",
        }
    }

    /// The toast: title and body.
    pub fn toast(&self) -> (String, String) {
        match &self.kind {
            AlertKind::Started => {
                let why = match self.multiple {
                    Some(m) => format!("{:.0}× its usual rate", m),
                    None => format!("above the {} limit", self.limit),
                };
                (
                    format!("Traffic alert: {}", self.name),
                    format!(
                        "{} {} {}{} — {}",
                        self.name,
                        self.verb(),
                        self.rate,
                        self.peer_text(),
                        why
                    ),
                )
            }
            AlertKind::Ended { duration } => (
                format!("Back to normal: {}", self.name),
                format!(
                    "{} is back to normal after {}: {} in total, peak {}",
                    self.name,
                    minutes(*duration),
                    crate::tray::text::human_bytes(self.bytes),
                    self.peak
                ),
            ),
            AlertKind::SensorSilent { last_seen } => (
                format!("Sensor silent: {}", self.name),
                format!(
                    "Nothing received from {} since {}",
                    self.name,
                    local(*last_seen)
                ),
            ),
            AlertKind::SensorBack => (
                format!("Sensor back: {}", self.name),
                format!("{} sends NetFlow again", self.name),
            ),
        }
    }

    /// The line for the summary and service logs: the record that documents the incident.
    pub fn log_line(&self) -> String {
        let rule = self.rule.map(|r| r.name()).unwrap_or("sensor");
        match &self.kind {
            AlertKind::Started => format!(
                "ALERT{} [{rule}] {} {} {}{}{} since {}",
                if self.quiet {
                    " (again, within cooldown)"
                } else {
                    ""
                },
                self.name,
                self.verb(),
                self.rate,
                self.peer_text(),
                match self.multiple {
                    Some(m) => format!(", {m:.0}× its usual rate"),
                    None => format!(", limit {}", self.limit),
                },
                local(self.since)
            ),
            AlertKind::Ended { duration } => format!(
                "ALERT ENDED [{rule}] {}: back to normal after {} ({} - {}), {} bytes in total, peak {}",
                self.name,
                minutes(*duration),
                local(self.since),
                local(self.since + *duration),
                self.bytes,
                self.peak
            ),
            AlertKind::SensorSilent { last_seen } => {
                format!(
                    "SENSOR SILENT {}: nothing received since {}",
                    self.name,
                    local(*last_seen)
                )
            }
            AlertKind::SensorBack => format!("SENSOR BACK {}: sends again", self.name),
        }
    }
}

/// The alert engine. Feed it flows with [`AlertEngine::add`], call [`AlertEngine::tick`]
/// when [`AlertEngine::next_tick`] says.
pub struct AlertEngine {
    cfg: AlertSettings,
    tick: Duration,
    current: FastMap<Key, Acc>,
    hosts: FastMap<Key, HostState>,
    incidents: HashMap<(Rule, Key), Incident>,
    cooldown_until: HashMap<(Rule, Key), SystemTime>,
    next_tick: Option<SystemTime>,
}

fn rate_value(r: Rate, bps: f64, pps: f64) -> (f64, f64) {
    match r {
        Rate::Bits(limit) => (bps, limit),
        Rate::Packets(limit) => (pps, limit),
    }
}

impl AlertEngine {
    pub fn new(cfg: AlertSettings) -> Self {
        let tick = (cfg.window / BUCKETS as u32).max(Duration::from_millis(200));
        AlertEngine {
            cfg,
            tick,
            current: FastMap::default(),
            hosts: FastMap::default(),
            incidents: HashMap::new(),
            cooldown_until: HashMap::new(),
            next_tick: None,
        }
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
        bump(
            Key {
                sensor: r.sampler,
                host: r.src_addr,
                dir: Direction::From,
            },
            Some(flow_peer(r.dst_addr, service_port)),
        );
        bump(
            Key {
                sensor: r.sampler,
                host: r.dst_addr,
                dir: Direction::To,
            },
            Some(flow_peer(r.src_addr, service_port)),
        );
        if self.cfg.sensor.is_some() {
            bump(
                Key {
                    sensor: r.sampler,
                    host: r.sampler,
                    dir: Direction::Sensor,
                },
                None,
            );
        }
    }

    /// When the next evaluation is due (`None`: nothing tracked, nothing to do).
    pub fn next_tick(&self) -> Option<SystemTime> {
        self.next_tick
    }

    fn host_name(&self, key: &Key) -> (IpAddr, String) {
        let ip = key.host.ip().unwrap_or(IpAddr::from([0, 0, 0, 0]));
        (ip, self.cfg.host_name(ip))
    }

    /// Move the current bucket into the window, evaluate every rule, return what changed.
    pub fn tick(&mut self, now: SystemTime) -> Vec<Alert> {
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

            let mut rules: Vec<(Rule, Rate, Option<f64>)> = Vec::new();
            let c = &self.cfg;
            match key.dir {
                Direction::From => {
                    if let Some(l) = c.source {
                        rules.push((Rule::SourceLimit, l, None));
                    }
                    if c.spike_factor > 0.0 && learned {
                        let limit = (baseline * c.spike_factor).max(match c.spike_floor {
                            Rate::Bits(b) => b,
                            Rate::Packets(_) => 0.0,
                        });
                        rules.push((
                            Rule::Spike,
                            Rate::Bits(limit),
                            Some(bps / baseline.max(1.0)),
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
            for (rule, limit, multiple) in rules {
                let (value, lim) = rate_value(limit, bps, pps);
                let above = value > lim;
                let current_rate = match limit {
                    Rate::Bits(_) => Rate::Bits(bps),
                    Rate::Packets(_) => Rate::Packets(pps),
                };
                let ik = (rule, key);
                let (ip, name) = self.host_name(&key);
                let peer = (key.dir != Direction::Sensor).then_some(top);
                match (self.incidents.get_mut(&ik), above) {
                    (None, true) => {
                        let quiet = self.cooldown_until.get(&ik).is_some_and(|t| *t > now);
                        let since = now;
                        self.incidents.insert(
                            ik,
                            Incident {
                                since,
                                peak: current_rate,
                                bytes: acc.bytes,
                                quiet,
                            },
                        );
                        out.push(Alert {
                            kind: AlertKind::Started,
                            rule: Some(rule),
                            direction: key.dir,
                            host: ip,
                            name,
                            rate: current_rate,
                            peak: current_rate,
                            limit,
                            multiple: if rule == Rule::Spike { multiple } else { None },
                            peer,
                            since,
                            bytes: acc.bytes,
                            quiet,
                        });
                    }
                    (Some(inc), true) => {
                        inc.bytes = inc.bytes.saturating_add(acc.bytes);
                        let higher = match (inc.peak, current_rate) {
                            (Rate::Bits(a), Rate::Bits(b))
                            | (Rate::Packets(a), Rate::Packets(b)) => b > a,
                            _ => false,
                        };
                        if higher {
                            inc.peak = current_rate;
                        }
                    }
                    (Some(_), false) => {
                        let Some(inc) = self.incidents.remove(&ik) else {
                            continue;
                        };
                        let duration = now.duration_since(inc.since).unwrap_or_default();
                        self.cooldown_until.insert(ik, now + self.cfg.cooldown);
                        out.push(Alert {
                            kind: AlertKind::Ended { duration },
                            rule: Some(rule),
                            direction: key.dir,
                            host: ip,
                            name,
                            rate: current_rate,
                            peak: inc.peak,
                            limit,
                            multiple: None,
                            peer,
                            since: inc.since,
                            bytes: inc.bytes,
                            quiet: inc.quiet,
                        });
                    }
                    (None, false) => {}
                }
            }
            if forgettable && !self.incidents.keys().any(|(_, k)| *k == key) {
                forget.push(key);
            }
        }
        for k in forget {
            self.hosts.remove(&k);
        }
        self.cooldown_until.retain(|_, t| *t > now);
        self.next_tick = if self.hosts.is_empty() && self.current.is_empty() {
            None
        } else {
            Some(now + self.tick)
        };
        out
    }

    /// Hosts with an alert going on now, for the tray's tooltip.
    pub fn active(&self) -> Vec<String> {
        let mut v: Vec<String> = self
            .incidents
            .keys()
            .map(|(_, k)| self.host_name(k).1)
            .collect();
        v.sort();
        v.dedup();
        v
    }
}

/// A silent sensor, and its return, as alerts.
pub fn sensor_silent(addr: IpAddr, last_seen: SystemTime, cfg: &AlertSettings) -> Alert {
    sensor_alert(AlertKind::SensorSilent { last_seen }, addr, cfg)
}

pub fn sensor_back(addr: IpAddr, cfg: &AlertSettings) -> Alert {
    sensor_alert(AlertKind::SensorBack, addr, cfg)
}

fn sensor_alert(kind: AlertKind, addr: IpAddr, cfg: &AlertSettings) -> Alert {
    Alert {
        kind,
        rule: None,
        direction: Direction::Sensor,
        host: addr,
        name: cfg.host_name(addr),
        rate: Rate::Bits(0.0),
        peak: Rate::Bits(0.0),
        limit: Rate::Bits(0.0),
        multiple: None,
        peer: None,
        since: SystemTime::now(),
        bytes: 0,
        quiet: false,
    }
}

#[cfg(test)]
mod tests;
