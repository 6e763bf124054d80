//! Which fixed limits apply to a host: the one home of that rule. The engine checks every
//! limit this returns; the pages draw every one of them, the lowest labelled as the one that
//! fires first. (The spike rule's limit moves with the host's usual rate: the engine works it
//! out, the pages show the incidents it raised.)

use super::incident::{Direction, Rule};
use crate::settings::alerts::{AlertSettings, Rate};
use std::net::IpAddr;

/// A fixed limit: the rule it comes from and its rate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limit {
    pub rule: Rule,
    pub rate: Rate,
}

/// The fixed limits on `host`'s traffic in `dir` — for [`Direction::From`] what it sends
/// (`SourceRate`), for [`Direction::To`] what it receives (`DestinationRate`), for
/// [`Direction::Sensor`] a sensor's total (`SensorRate`) — and the host's own
/// `Host.<addr>` rule, which applies to what it sends and what it receives, each. Every limit
/// returned applies at once: a host is over when it passes any of them.
pub fn fixed_limits(
    c: &AlertSettings,
    host: Option<IpAddr>,
    dir: Direction,
) -> impl Iterator<Item = Limit> + '_ {
    let any = match dir {
        Direction::From => c.source.map(|rate| (Rule::SourceLimit, rate)),
        Direction::To => c.destination.map(|rate| (Rule::DestinationLimit, rate)),
        Direction::Sensor => c.sensor.map(|rate| (Rule::SensorLimit, rate)),
    };
    let own = (dir != Direction::Sensor)
        .then_some(host)
        .flatten()
        .and_then(|ip| c.hosts.iter().find(|h| h.addr == ip))
        .map(|h| (Rule::HostLimit, h.rate));
    any.into_iter()
        .chain(own)
        .map(|(rule, rate)| Limit { rule, rate })
}

/// The limits in bit/s on `host`'s traffic in `dir`, lowest first: the first is the one the
/// traffic passes first. (Packet-rate limits are left out: they are not drawn on a bit-rate
/// chart.)
pub fn bit_limits(c: &AlertSettings, host: IpAddr, dir: Direction) -> Vec<(Rule, f64)> {
    let mut out: Vec<(Rule, f64)> = fixed_limits(c, Some(host), dir)
        .filter_map(|l| match l.rate {
            Rate::Bits(b) => Some((l.rule, b)),
            Rate::Packets(_) => None,
        })
        .collect();
    out.sort_by(|a, b| a.1.total_cmp(&b.1));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::alerts::HostRule;

    fn settings(source: f64, host: f64) -> AlertSettings {
        AlertSettings {
            window: std::time::Duration::from_secs(60),
            source: Some(Rate::Bits(source)),
            destination: None,
            sensor: None,
            hosts: vec![HostRule {
                addr: "192.168.0.82".parse().unwrap(),
                rate: Rate::Bits(host),
                label: None,
            }],
            spike_factor: 0.0,
            spike_floor: Rate::Bits(1e6),
            baseline: std::time::Duration::from_secs(3600),
            silent_after: std::time::Duration::ZERO,
            cooldown: std::time::Duration::ZERO,
        }
    }

    #[test]
    fn a_hosts_own_limit_adds_to_the_direction_limit_and_the_lowest_comes_first() {
        let c = settings(1e6, 100e6);
        let x: IpAddr = "192.168.0.82".parse().unwrap();
        let other: IpAddr = "192.168.0.83".parse().unwrap();
        assert_eq!(
            bit_limits(&c, x, Direction::From),
            [(Rule::SourceLimit, 1e6), (Rule::HostLimit, 100e6)]
        );
        assert_eq!(bit_limits(&c, x, Direction::To), [(Rule::HostLimit, 100e6)]);
        assert_eq!(
            bit_limits(&c, other, Direction::From),
            [(Rule::SourceLimit, 1e6)]
        );
        let lower = settings(10e6, 2e6);
        assert_eq!(
            bit_limits(&lower, x, Direction::From),
            [(Rule::HostLimit, 2e6), (Rule::SourceLimit, 10e6)]
        );
        assert_eq!(fixed_limits(&c, Some(x), Direction::Sensor).count(), 0);
    }
}
