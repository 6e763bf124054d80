//! sFlow counter samples: each switch port's own interface counters (RFC 2863's ifTable, as
//! sFlow's generic interface record carries them), kept as the latest reading per sensor and
//! port. They tell what the port really carried, beside what the samples estimate, and whether
//! it is dropping or erring.

use super::xdr::Xdr;
use std::collections::HashMap;
use std::net::IpAddr;

/// Ports remembered, all sensors together; a port past it is not tracked (its sensor's other
/// ports still are).
pub const MAX_PORTS: usize = 4096;

/// One port's latest generic interface counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PortCounters {
    pub if_index: u32,
    /// Bits per second, as the port reports its speed.
    pub speed: u64,
    pub in_octets: u64,
    pub out_octets: u64,
    pub in_discards: u32,
    pub out_discards: u32,
    pub in_errors: u32,
    pub out_errors: u32,
    /// ifOperStatus up (bit 1 of ifStatus).
    pub up: bool,
}

/// A sensor's ports summed, for its health.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct InterfaceTotals {
    pub ports: usize,
    pub ports_up: usize,
    pub in_octets: u64,
    pub out_octets: u64,
    pub discards: u64,
    pub errors: u64,
}

impl InterfaceTotals {
    /// `24 ports (20 up), 1.2 GB in, 3.4 GB out, 0 discarded, 0 errors`: what the counters
    /// say since the switch started.
    pub fn words(&self) -> String {
        use crate::words::units::{bytes, thousands};
        format!(
            "{} ports ({} up), {} in, {} out, {} discarded, {} errors",
            self.ports,
            self.ports_up,
            bytes(self.in_octets),
            bytes(self.out_octets),
            thousands(self.discards),
            thousands(self.errors)
        )
    }
}

/// The generic interface counters record (enterprise 0, format 1): 88 bytes.
pub(super) fn generic(mut x: Xdr) -> Option<PortCounters> {
    let if_index = x.u32()?;
    let _if_type = x.u32()?;
    let speed = x.u64()?;
    let _direction = x.u32()?;
    let status = x.u32()?;
    let in_octets = x.u64()?;
    let _in_packets = [x.u32()?, x.u32()?, x.u32()?];
    let in_discards = x.u32()?;
    let in_errors = x.u32()?;
    let _unknown_protos = x.u32()?;
    let out_octets = x.u64()?;
    let _out_packets = [x.u32()?, x.u32()?, x.u32()?];
    let out_discards = x.u32()?;
    let out_errors = x.u32()?;
    Some(PortCounters {
        if_index,
        speed,
        in_octets,
        out_octets,
        in_discards,
        out_discards,
        in_errors,
        out_errors,
        up: status & 2 != 0,
    })
}

/// The latest counters of every port, by sensor.
#[derive(Debug, Default)]
pub struct Ports {
    latest: HashMap<(IpAddr, u32), PortCounters>,
    /// The bound's biting was said.
    full_said: bool,
}

impl Ports {
    pub fn set(&mut self, sensor: IpAddr, c: PortCounters) {
        let key = (sensor, c.if_index);
        if self.latest.len() < MAX_PORTS || self.latest.contains_key(&key) {
            self.latest.insert(key, c);
        } else if !std::mem::replace(&mut self.full_said, true) {
            log::warn!(
                "sFlow: the counters of {MAX_PORTS} switch ports are kept, all switches together; further ports are not tracked"
            );
        }
    }

    /// Every sensor's ports summed.
    pub fn totals(&self) -> HashMap<IpAddr, InterfaceTotals> {
        let mut out: HashMap<IpAddr, InterfaceTotals> = HashMap::new();
        for ((ip, _), c) in &self.latest {
            let t = out.entry(*ip).or_default();
            t.ports += 1;
            t.ports_up += c.up as usize;
            t.in_octets = t.in_octets.saturating_add(c.in_octets);
            t.out_octets = t.out_octets.saturating_add(c.out_octets);
            t.discards += c.in_discards as u64 + c.out_discards as u64;
            t.errors += c.in_errors as u64 + c.out_errors as u64;
        }
        out
    }

    /// Forget a sensor's ports.
    pub fn forget(&mut self, keep: impl Fn(&IpAddr) -> bool) {
        self.latest.retain(|(ip, _), _| keep(ip));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_are_bounded_and_summed_per_sensor() {
        let mut p = Ports::default();
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        for i in 0..MAX_PORTS as u32 + 10 {
            p.set(
                a,
                PortCounters {
                    if_index: i,
                    in_octets: 1,
                    in_errors: 1,
                    up: i % 2 == 0,
                    ..Default::default()
                },
            );
        }
        let t = p.totals()[&a];
        assert_eq!(t.ports, MAX_PORTS);
        assert_eq!(
            (t.in_octets, t.errors),
            (MAX_PORTS as u64, MAX_PORTS as u64)
        );
        assert_eq!(t.ports_up, MAX_PORTS / 2);
        // A port already known is still updated at the bound.
        p.set(
            a,
            PortCounters {
                if_index: 0,
                in_octets: 100,
                ..Default::default()
            },
        );
        assert_eq!(p.totals()[&a].in_octets, MAX_PORTS as u64 + 99);
    }
}
