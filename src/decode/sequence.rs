//! Sequence numbers: how many records (v5/v7, IPFIX) or packets (v9) an exporter's sequence
//! numbers say never arrived. Tracked per exporter address + port, source id / observation
//! domain, and protocol; bounded like the template caches.

use crate::flow::FlowKind;
use std::collections::HashMap;
use std::net::SocketAddr;

/// Scopes tracked at most.
const MAX_SCOPES: usize = super::limits::MAX_EXPORTERS * 4;

#[derive(Debug, Default)]
pub(super) struct Sequences {
    /// The number each scope's next datagram should carry (`None`: unknown).
    expected: HashMap<(SocketAddr, u32, FlowKind), Option<u32>>,
}

impl Sequences {
    /// Record a datagram numbered `seq` whose successor should carry `next` (`None`: not
    /// known this time); returns what the gap before it says was lost.
    pub fn lost(
        &mut self,
        from: SocketAddr,
        domain: u32,
        kind: FlowKind,
        seq: u32,
        next: Option<u32>,
    ) -> u64 {
        let key = (from, domain, kind);
        let lost = match self.expected.get(&key).copied().flatten() {
            Some(expected) => {
                let gap = seq.wrapping_sub(expected);
                // A small forward jump is loss; a backward jump is a restart or reordering.
                if gap != 0 && gap < (1 << 30) {
                    gap as u64
                } else {
                    0
                }
            }
            None => 0,
        };
        if self.expected.len() < MAX_SCOPES || self.expected.contains_key(&key) {
            self.expected.insert(key, next);
        }
        lost
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gaps_are_loss_restarts_are_not() {
        let mut s = Sequences::default();
        let a: SocketAddr = "10.0.0.1:2055".parse().unwrap();
        let k = FlowKind::NetflowV5;
        assert_eq!(s.lost(a, 0, k, 100, Some(130)), 0, "first datagram");
        assert_eq!(s.lost(a, 0, k, 130, Some(160)), 0);
        assert_eq!(
            s.lost(a, 0, k, 190, Some(220)),
            30,
            "one datagram of 30 missing"
        );
        assert_eq!(s.lost(a, 0, k, 5, Some(35)), 0, "exporter restarted");
        assert_eq!(
            s.lost(a, 1, k, 999, Some(1000)),
            0,
            "another source id is its own"
        );
        assert_eq!(s.lost(a, 0, k, 35, None), 0);
        assert_eq!(
            s.lost(a, 0, k, 500, Some(501)),
            0,
            "unknown next: no judgement"
        );
    }
}
