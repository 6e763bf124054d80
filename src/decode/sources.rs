//! Which exporters the decoder of record keeps when more send than it may keep: fairly.
//!
//! netflow_parser keeps at most [`limits::MAX_EXPORTERS`] sources (exporter address and port
//! with the v9 source id or IPFIX observation domain) and forgets the least recently *parsed*
//! one when a new one comes. A working exporter's data goes through the fast path, not the
//! parser, so to the parser it looked idle: a burst of new addresses that only ever sent
//! templates (spoofed UDP costs nothing) pushed it out, and its data was lost until it sent
//! its templates again. Here every datagram — fast path or not — is noted against its source
//! with whether it gave records; at the bound, a source that never gave records goes first
//! (the one heard from longest ago), and only then the one whose last records are oldest.
//! The same table says which sources are idle, by their real traffic.
//!
//! [`limits::MAX_EXPORTERS`]: super::limits::MAX_EXPORTERS

use std::collections::HashMap;
use std::net::SocketAddr;

/// One exporter as the parser keys it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) enum Source {
    V9(SocketAddr, u32),
    Ipfix(SocketAddr, u32),
    Legacy(SocketAddr),
}

impl Source {
    /// The source a datagram from `from` belongs to, from its header.
    pub(super) fn of(from: SocketAddr, data: &[u8]) -> Option<Source> {
        let word = |at: usize| {
            data.get(at..at + 4)
                .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
        };
        match data.get(..2)? {
            [0, 9] => Some(Source::V9(from, word(16)?)),
            [0, 10] => Some(Source::Ipfix(from, word(12)?)),
            [0, 5] | [0, 7] => Some(Source::Legacy(from)),
            _ => None,
        }
    }

    pub(super) fn addr(&self) -> SocketAddr {
        match self {
            Source::V9(a, _) | Source::Ipfix(a, _) | Source::Legacy(a) => *a,
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Seen {
    /// Unix ms of its last datagram.
    last: u64,
    /// Unix ms of its last datagram that gave records; `None`: never.
    data: Option<u64>,
}

/// The sources kept, with when each was last heard from and last gave records.
#[derive(Debug, Default)]
pub(super) struct Sources {
    seen: HashMap<Source, Seen>,
}

impl Sources {
    /// Note a datagram from `s` at `now_ms`. A source not kept yet is added; when `max` are
    /// kept already, the one returned makes room and must be forgotten by the caller.
    pub(super) fn note(&mut self, s: Source, now_ms: u64, max: usize) -> Option<Source> {
        if let Some(e) = self.seen.get_mut(&s) {
            e.last = e.last.max(now_ms);
            return None;
        }
        let victim = if self.seen.len() >= max {
            self.victim()
        } else {
            None
        };
        if let Some(v) = victim {
            self.seen.remove(&v);
        }
        self.seen.insert(
            s,
            Seen {
                last: now_ms,
                data: None,
            },
        );
        victim
    }

    /// `s` gave records at `now_ms`.
    pub(super) fn gave_data(&mut self, s: Source, now_ms: u64) {
        if let Some(e) = self.seen.get_mut(&s) {
            e.data = Some(e.data.unwrap_or(0).max(now_ms));
            e.last = e.last.max(now_ms);
        }
    }

    /// Whether `s` ever gave records.
    pub(super) fn has_data(&self, s: &Source) -> bool {
        self.seen.get(s).is_some_and(|e| e.data.is_some())
    }

    /// The source to forget first: never gave records, heard from longest ago; else the one
    /// whose records are oldest.
    fn victim(&self) -> Option<Source> {
        self.seen
            .iter()
            .min_by_key(|(_, e)| match e.data {
                None => (0, e.last),
                Some(t) => (1, t),
            })
            .map(|(s, _)| *s)
    }

    /// Forget the sources not heard from since `cutoff_ms`, returning them.
    pub(super) fn take_idle(&mut self, cutoff_ms: u64) -> Vec<Source> {
        let idle: Vec<Source> = self
            .seen
            .iter()
            .filter(|(_, e)| e.last < cutoff_ms)
            .map(|(s, _)| *s)
            .collect();
        for s in &idle {
            self.seen.remove(s);
        }
        idle
    }

    pub(super) fn forget(&mut self, s: &Source) {
        self.seen.remove(s);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(n: u8) -> Source {
        Source::V9(SocketAddr::from(([10, 0, 0, n], 2055)), 0)
    }

    #[test]
    fn sources_without_records_make_room_first_oldest_first() {
        let mut t = Sources::default();
        assert_eq!(t.note(at(1), 100, 3), None);
        t.gave_data(at(1), 100);
        assert_eq!(t.note(at(2), 200, 3), None);
        assert_eq!(t.note(at(3), 300, 3), None);
        // Full: the oldest template-only source goes, not the working exporter (oldest of all).
        assert_eq!(t.note(at(4), 400, 3), Some(at(2)));
        assert_eq!(t.note(at(5), 500, 3), Some(at(3)));
        t.gave_data(at(4), 600);
        t.gave_data(at(5), 700);
        // All gave records: the one whose records are oldest goes.
        assert_eq!(t.note(at(6), 800, 3), Some(at(1)));
        assert!(t.has_data(&at(4)) && !t.has_data(&at(6)));
        assert_eq!(t.take_idle(650), vec![at(4)]);
    }

    #[test]
    fn the_header_names_the_source() {
        let from = SocketAddr::from(([10, 0, 0, 1], 2055));
        let mut v9 = vec![0u8; 20];
        v9[1] = 9;
        v9[19] = 7;
        assert_eq!(Source::of(from, &v9), Some(Source::V9(from, 7)));
        let mut ipfix = vec![0u8; 16];
        ipfix[1] = 10;
        ipfix[15] = 3;
        assert_eq!(Source::of(from, &ipfix), Some(Source::Ipfix(from, 3)));
        assert_eq!(Source::of(from, &[0, 5]), Some(Source::Legacy(from)));
        assert_eq!(
            Source::of(from, &v9[..10]),
            None,
            "too short for its source id"
        );
    }
}
