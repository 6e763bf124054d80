//! Template sets kept so they survive a restart.
//!
//! A v9 or IPFIX exporter sends its templates now and then (MikroTik every 20 datagrams or
//! after `v9-template-timeout`, others every few minutes); until then, after nf-svc restarts,
//! its data cannot be decoded. So every template set an exporter sends (v9 set ids 0 and 1,
//! IPFIX 2 and 3) is kept here as it came, per exporter scope (address and port, source id or
//! observation domain), and the core saves them in the history store; at start they are fed
//! to the decoder again, oldest first, so a template redefined later still wins — data after
//! a restart decodes at once. The set bytes are kept rather than parsed templates: the
//! decoders read them exactly as they read the exporter's own datagrams.

use super::sources::Source;
use std::collections::HashMap;
use std::net::SocketAddr;

/// Distinct sets kept per exporter scope (the oldest go first).
pub const PER_SCOPE: usize = 32;
/// Sets kept in all; further scopes' sets are not kept (said once).
pub const TOTAL: usize = 4096;

/// One template set as an exporter sent it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SavedSet {
    pub from: SocketAddr,
    /// 9 or 10.
    pub version: u16,
    /// The v9 source id or IPFIX observation domain.
    pub domain: u32,
    /// The set, its 4-byte header included.
    pub set: Vec<u8>,
}

impl SavedSet {
    /// A datagram that carries this set alone, as its exporter would send it.
    pub fn datagram(&self, unix_secs: u32) -> Vec<u8> {
        let mut d = Vec::with_capacity(20 + self.set.len());
        d.extend_from_slice(&self.version.to_be_bytes());
        if self.version == 9 {
            d.extend_from_slice(&1u16.to_be_bytes()); // records: the parser does not rely on it
            d.extend_from_slice(&0u32.to_be_bytes()); // uptime
            d.extend_from_slice(&unix_secs.to_be_bytes());
            d.extend_from_slice(&0u32.to_be_bytes()); // sequence
        } else {
            d.extend_from_slice(&((16 + self.set.len()) as u16).to_be_bytes());
            d.extend_from_slice(&unix_secs.to_be_bytes());
            d.extend_from_slice(&0u32.to_be_bytes()); // sequence
        }
        d.extend_from_slice(&self.domain.to_be_bytes());
        d.extend_from_slice(&self.set);
        d
    }
}

type Scope = (SocketAddr, u16, u32);

/// The template sets seen, per scope, oldest first.
#[derive(Debug, Default)]
pub struct TemplateSets {
    scopes: HashMap<Scope, Vec<Vec<u8>>>,
    /// Sets kept, all scopes together.
    total: usize,
    changed: bool,
    said_full: bool,
}

/// The template and options-template sets of a v9 or IPFIX datagram (v9 set ids 0 and 1,
/// IPFIX 2 and 3), each as `(the length its header claims, the bytes there are of it)` — the
/// one place that knows where templates sit in a datagram.
pub(super) fn sets_of(data: &[u8]) -> impl Iterator<Item = (usize, &[u8])> {
    let (mut at, ids): (usize, [u16; 2]) = match data.get(..2) {
        Some([0, 9]) => (20, [0, 1]),
        Some([0, 10]) => (16, [2, 3]),
        _ => (data.len(), [0, 0]),
    };
    std::iter::from_fn(move || {
        loop {
            let h = data.get(at..at + 4)?;
            let id = u16::from_be_bytes([h[0], h[1]]);
            let len = u16::from_be_bytes([h[2], h[3]]) as usize;
            if len < 4 {
                return None;
            }
            let set = &data[at..(at + len).min(data.len())];
            at += len;
            if ids.contains(&id) {
                return Some((len, set));
            }
        }
    })
}

impl TemplateSets {
    /// Keep the template sets of a datagram from `from` (whole ones; an empty one ends it).
    pub fn note(&mut self, from: SocketAddr, data: &[u8]) {
        let scope = match Source::of(from, data) {
            Some(Source::V9(a, domain)) => (a, 9, domain),
            Some(Source::Ipfix(a, domain)) => (a, 10, domain),
            _ => return,
        };
        for (len, set) in sets_of(data) {
            if len <= 4 || set.len() < len {
                break;
            }
            self.keep(scope, set);
        }
    }

    fn keep(&mut self, scope: Scope, set: &[u8]) {
        if !self.scopes.contains_key(&scope) && self.total >= TOTAL {
            if !self.said_full {
                self.said_full = true;
                log::warn!(
                    "templates: {TOTAL} template sets are kept for the next start; those of further exporters are not (they are decoded as usual)"
                );
            }
            return;
        }
        let list = self.scopes.entry(scope).or_default();
        match list.iter().position(|s| s == set) {
            // Sent again, and the newest already: nothing to save (the usual case).
            Some(i) if i + 1 == list.len() => return,
            Some(i) => {
                let s = list.remove(i);
                list.push(s);
            }
            None => {
                if list.len() >= PER_SCOPE {
                    list.remove(0);
                } else {
                    self.total += 1;
                }
                list.push(set.to_vec());
            }
        }
        self.changed = true;
    }

    /// Every set kept, oldest first per scope, when something changed since the last call;
    /// scopes `keep` refuses (exporters the decoder forgot) are dropped first.
    pub fn take_changed(&mut self, keep: impl Fn(&SavedSet) -> bool) -> Option<Vec<SavedSet>> {
        if !std::mem::take(&mut self.changed) {
            return None;
        }
        let mut all = Vec::with_capacity(self.total);
        let mut gone = Vec::new();
        for (&(from, version, domain), sets) in &self.scopes {
            let first = SavedSet {
                from,
                version,
                domain,
                set: Vec::new(),
            };
            if !keep(&first) {
                gone.push((from, version, domain));
                continue;
            }
            all.extend(sets.iter().map(|s| SavedSet {
                set: s.clone(),
                ..first.clone()
            }));
        }
        for g in gone {
            if let Some(list) = self.scopes.remove(&g) {
                self.total -= list.len();
            }
        }
        Some(all)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v9(source_id: u32, sets: &[&[u8]]) -> Vec<u8> {
        let s = SavedSet {
            from: SocketAddr::from(([10, 0, 0, 1], 2055)),
            version: 9,
            domain: source_id,
            set: sets.concat(),
        };
        s.datagram(1_700_000_000)
    }

    #[test]
    fn template_sets_are_kept_once_newest_last_and_data_sets_never() {
        let from = SocketAddr::from(([10, 0, 0, 1], 2055));
        let a: &[u8] = &[0, 0, 0, 12, 1, 0, 0, 1, 0, 8, 0, 4];
        let b: &[u8] = &[0, 0, 0, 12, 1, 0, 0, 1, 0, 12, 0, 4];
        let data: &[u8] = &[1, 0, 0, 8, 10, 0, 0, 9];
        let mut t = TemplateSets::default();
        t.note(from, &v9(7, &[a, data]));
        let saved = t.take_changed(|_| true).unwrap();
        assert_eq!(saved.len(), 1);
        assert_eq!((saved[0].domain, saved[0].set.as_slice()), (7, a));
        assert_eq!(v9(7, &[a]), saved[0].datagram(1_700_000_000));
        t.note(from, &v9(7, &[a]));
        assert!(t.take_changed(|_| true).is_none(), "the same set again");
        t.note(from, &v9(7, &[b]));
        t.note(from, &v9(7, &[a]));
        let saved = t.take_changed(|_| true).unwrap();
        let sets: Vec<&[u8]> = saved.iter().map(|s| s.set.as_slice()).collect();
        assert_eq!(sets, vec![b, a], "a came last: it wins at the next start");
        // An exporter the decoder forgot: its sets go.
        t.note(from, &v9(7, &[b]));
        assert_eq!(t.take_changed(|_| false), Some(vec![]));
        assert_eq!(t.total, 0);
    }

    #[test]
    fn each_scope_keeps_its_newest_sets() {
        let from = SocketAddr::from(([10, 0, 0, 1], 2055));
        let mut t = TemplateSets::default();
        for i in 0..(PER_SCOPE as u8 + 5) {
            t.note(from, &v9(1, &[&[0, 0, 0, 8, 1, i, 0, 0]]));
        }
        let saved = t.take_changed(|_| true).unwrap();
        assert_eq!(saved.len(), PER_SCOPE);
        assert_eq!(saved[0].set[5], 5, "the five oldest went");
    }
}
