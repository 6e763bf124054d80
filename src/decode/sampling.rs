//! Packet sampling, per exporter.
//!
//! A sensor that samples 1 in N packets reports 1/N of the traffic; nf-svc multiplies bytes and
//! packets by N (as nfdump does) and keeps N on the record. N comes from the v5 header, from a
//! field in the record itself, or from an options record the exporter sends now and then
//! (v9 `SAMPLING_INTERVAL`, IPFIX `samplingPacketInterval`/`Space`, …), keyed by sampler or
//! selector id within an exporter and its observation domain. netflow_parser never applies
//! sampling itself.

use super::fields::SamplingFields;
use std::collections::HashMap;
use std::net::IpAddr;

/// Exporter address + source id / observation domain.
pub type Scope = (IpAddr, u32);

#[derive(Debug, Default)]
struct ScopeRates {
    /// From options records without a sampler id.
    default: Option<u64>,
    /// Sampler/selector id → rate.
    by_id: Vec<(u64, u64)>,
}

/// Bounded: at most this many scopes and ids per scope are remembered.
const MAX_SCOPES: usize = 1024;
const MAX_IDS: usize = 64;

#[derive(Debug, Default)]
pub struct SamplingTable {
    scopes: HashMap<Scope, ScopeRates>,
}

impl SamplingTable {
    /// Learn from an options record.
    pub fn learn(&mut self, scope: Scope, f: &SamplingFields) {
        let Some(rate) = f.rate().filter(|r| *r >= 1) else {
            return;
        };
        if !self.scopes.contains_key(&scope) && self.scopes.len() >= MAX_SCOPES {
            return;
        }
        let s = self.scopes.entry(scope).or_default();
        match f.sampler_id {
            None => s.default = Some(rate),
            Some(id) => {
                if let Some(e) = s.by_id.iter_mut().find(|(i, _)| *i == id) {
                    e.1 = rate;
                } else if s.by_id.len() < MAX_IDS {
                    s.by_id.push((id, rate));
                }
            }
        }
    }

    /// The rate for a data record: its own field first, then its sampler id, then the
    /// exporter's default; 1 when nothing says otherwise.
    pub fn rate_for(&self, scope: Scope, f: &SamplingFields) -> u64 {
        if let Some(r) = f.rate() {
            return r.max(1);
        }
        let Some(s) = self.scopes.get(&scope) else {
            return 1;
        };
        if let Some(id) = f.sampler_id
            && let Some((_, r)) = s.by_id.iter().find(|(i, _)| *i == id)
        {
            return *r;
        }
        match (s.default, s.by_id.as_slice()) {
            (Some(r), _) => r,
            // One sampler only: records that do not name it still came through it.
            (None, [(_, r)]) if f.sampler_id.is_none() => *r,
            _ => 1,
        }
    }
}

/// The v5 header's sampling field: 2 bits of mode, 14 bits of interval.
pub fn v5_rate(sampling_interval: u16) -> u64 {
    let interval = (sampling_interval & 0x3fff) as u64;
    interval.max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(id: Option<u64>, interval: u64) -> SamplingFields {
        SamplingFields {
            sampler_id: id,
            interval: Some(interval),
            ..Default::default()
        }
    }

    #[test]
    fn rates_by_id_default_and_inline() {
        let scope: Scope = ("10.0.0.1".parse().unwrap(), 0);
        let other: Scope = ("10.0.0.2".parse().unwrap(), 0);
        let mut t = SamplingTable::default();
        let data = |id| SamplingFields {
            sampler_id: id,
            ..Default::default()
        };
        assert_eq!(t.rate_for(scope, &data(None)), 1);
        t.learn(scope, &opts(Some(3), 100));
        assert_eq!(t.rate_for(scope, &data(Some(3))), 100);
        assert_eq!(t.rate_for(scope, &data(None)), 100, "the only sampler");
        t.learn(scope, &opts(Some(4), 10));
        assert_eq!(t.rate_for(scope, &data(Some(4))), 10);
        assert_eq!(t.rate_for(scope, &data(None)), 1, "ambiguous: not guessed");
        t.learn(scope, &opts(None, 50));
        assert_eq!(t.rate_for(scope, &data(Some(9))), 50);
        assert_eq!(t.rate_for(other, &data(Some(3))), 1, "scoped per exporter");
        assert_eq!(t.rate_for(other, &opts(None, 7)), 7, "inline wins");
    }

    #[test]
    fn v5_header_rate() {
        assert_eq!(v5_rate(0), 1);
        assert_eq!(v5_rate(0x4000 | 100), 100);
    }
}
