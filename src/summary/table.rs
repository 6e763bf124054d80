//! The traffic table shared by every summary interval, with the old service's pairing rule.
//!
//! One row per conversation holds a counter slot per interval (20 min, 1 h, …), so a flow is
//! classified and looked up once, not once per interval, and the same conversation is listed
//! the same way in every summary.
//!
//! # The pairing rule
//!
//! A conversation is two flows, a request and its reply; both are counted in one row, keyed by
//! the port that names the service ([`pairing`], kept from the Go nf-svc).
//!
//! # Layout, for speed
//!
//! A row is one record in its exporter's arena: its key packed in words (two between IPv4
//! addresses, five otherwise: [`key`]), then a 16-byte counter per interval in use (five with
//! the defaults: 96 or 120 bytes). The hash index holds only the row's id (4 bytes a bucket,
//! hashbrown's `HashTable`), and a lookup compares the key in the record itself — the record
//! it goes on to count in. So the index of 50,000 conversations (320 KB) stays in the core's
//! cache and a flow costs at most one trip to memory, where a map holding the keys (3 MB) cost
//! one for the key and one for the counters. Keys are hashed with foldhash; adding a flow
//! allocates nothing once its row exists. A unicast group is its one row, so the pairing
//! lookup costs no map of its own. With the default intervals a full table holds about 11 MB
//! (IPv4) to 13 MB (IPv6) ([`Table::bytes`]). Beside the rest of the load that index does not
//! stay in cache after all, so the counting stage asks for a flow's index lines a few flows
//! before it counts it ([`Table::prefetch`], [`crate::flow::IndexLines`]).
//!
//! The table holds at most [`MAX_ROWS`] rows, all exporters together. A flood of made-up
//! conversations cannot grow it further: once full, a flow that would need a new row is
//! counted in its exporter's "other conversations" line, so totals stay right and the top rows
//! (the conversations that already had rows) stay right too. Room returns when the longest
//! interval ends and drops the rows it saw nothing for, and — so that a busy day does not
//! leave new conversations nameless until midnight — each time the shortest interval ends
//! while the table is full, the smaller conversations that were quiet during it give up their
//! rows ([`Table::make_room`]).

use crate::flow::{Addr, FlowRecord, hash_table_bytes};
use arena::{Count, Counts, ExporterTable, id_row, id_width, stride};
use key::{MulticastGroup, RowKey, Width, key_hash};
use pairing::row_keys;
use std::collections::HashMap;

mod arena;
mod key;
mod pairing;
mod rows;

pub use rows::{ExporterKey, ExporterRows, Other, Row};

type FastMap<K, V> = HashMap<K, V, foldhash::fast::RandomState>;

/// The most intervals one table counts for: the user's, and the history's five minutes.
pub const MAX_SLOTS: usize = crate::settings::values::MAX_INTERVALS + 1;

/// Rows of all exporters together.
pub const MAX_ROWS: usize = 100_000;

/// The traffic table: rows with a counter slot per interval.
pub struct Table {
    exporters: FastMap<ExporterKey, ExporterTable>,
    /// The hasher of row keys (every exporter's index).
    state: foldhash::fast::RandomState,
    /// Rows of all exporters together.
    rows: usize,
    max_rows: usize,
    /// Flows that found the table full since [`Table::take_full`] was last asked.
    refused: u64,
    /// Hosts whose flows always count as replies (the old `TrackingClients`).
    tracking: Vec<Addr>,
    /// Counter slots in use (one per interval).
    slots: usize,
}

impl Default for Table {
    fn default() -> Self {
        Table::with_slots(1, Vec::new())
    }
}

impl Table {
    /// A table for one interval.
    pub fn new() -> Self {
        Self::default()
    }

    /// A table counting for `slots` intervals (at most [`MAX_SLOTS`]), where flows from
    /// `tracking` hosts are always replies, listed by source port (the old service's
    /// `TrackingClients`, for servers whose clients use random ports).
    pub fn with_slots(slots: usize, tracking: Vec<Addr>) -> Self {
        Table {
            exporters: FastMap::default(),
            state: Default::default(),
            rows: 0,
            max_rows: MAX_ROWS,
            refused: 0,
            tracking,
            slots: slots.clamp(1, MAX_SLOTS),
        }
    }

    /// The same table with room for `max` rows (tests).
    pub fn with_max_rows(mut self, max: usize) -> Self {
        self.max_rows = max.max(1);
        self
    }

    /// Rows now, all exporters together.
    pub fn len(&self) -> usize {
        self.rows
    }

    /// Bytes the table's maps and counters hold now.
    pub fn bytes(&self) -> usize {
        hash_table_bytes(
            self.exporters.capacity(),
            std::mem::size_of::<(ExporterKey, ExporterTable)>(),
        ) + self
            .exporters
            .values()
            .map(ExporterTable::bytes)
            .sum::<usize>()
    }

    /// Flows that found the table full since the last call (none: `None`).
    pub fn take_full(&mut self) -> Option<u64> {
        (self.refused > 0).then(|| std::mem::take(&mut self.refused))
    }

    /// Change the hosts treated as tracking clients (future flows only).
    pub fn set_tracking(&mut self, tracking: Vec<Addr>) {
        self.tracking = tracking;
    }

    /// Rearrange the counter slots: new slot `j` takes old slot `map[j]`, or starts empty.
    pub fn remap_slots(&mut self, map: &[Option<usize>]) {
        let old_n = self.slots;
        let n = map.len().clamp(1, MAX_SLOTS);
        let pick = |old: &[Count], j: usize| {
            map.get(j)
                .copied()
                .flatten()
                .and_then(|i| old.get(i))
                .copied()
                .unwrap_or_default()
        };
        for t in self.exporters.values_mut() {
            for w in Width::BOTH {
                let arena = &mut t.arenas[w as usize];
                let kw = w.key_words();
                let rows = arena.len() / stride(w, old_n);
                let mut records = Vec::with_capacity(rows * stride(w, n));
                for r in arena.chunks_exact(stride(w, old_n)) {
                    let old: Vec<Count> = (0..old_n).map(|s| Counts(&r[kw..]).get(s)).collect();
                    records.extend_from_slice(&r[..kw]);
                    for j in 0..n {
                        let c = pick(&old, j);
                        records.extend_from_slice(&[c.bytes, c.packets]);
                    }
                }
                *arena = records;
            }
            // Row numbers stay: the index still holds.
            let old = t.other;
            t.other = [Count::default(); MAX_SLOTS];
            for (j, c) in t.other.iter_mut().take(n).enumerate() {
                *c = pick(&old, j);
            }
        }
        self.slots = n;
    }

    /// Start fetching what counting `r` reads first, the index lines of its request key, a
    /// few flows before [`Table::add`] (see [`crate::flow::IndexLines`]).
    #[inline]
    pub fn prefetch(&self, r: &FlowRecord) {
        let exporter = ExporterKey {
            kind: r.kind,
            addr: r.exporter,
        };
        if let Some(t) = self.exporters.get(&exporter) {
            let (request, _) = row_keys(r);
            t.prefetch_index(key_hash(&self.state, request.pack(false).words()));
        }
    }

    /// Count one flow.
    pub fn add(&mut self, r: &FlowRecord) {
        let exporter = ExporterKey {
            kind: r.kind,
            addr: r.exporter,
        };
        let tracked = !self.tracking.is_empty() && self.tracking.contains(&r.src_addr);
        let Table {
            exporters,
            state,
            rows,
            max_rows,
            refused,
            slots,
            ..
        } = self;
        let t = exporters.entry(exporter).or_default();
        let n = *slots;

        let row = pairing::row_for(t, state, r, tracked, n, (rows, *max_rows));
        match row {
            Some(id) => {
                let width = id_width(id);
                let at = id_row(id) * stride(width, n) + width.key_words();
                let counts = &mut t.arenas[width as usize][at..][..2 * n];
                for c in counts.chunks_exact_mut(2) {
                    c[0] = c[0].saturating_add(r.bytes);
                    c[1] = c[1].saturating_add(r.packets);
                }
            }
            None => {
                *refused += 1;
                for c in &mut t.other[..n] {
                    c.add(r.bytes, r.packets);
                }
            }
        }
    }

    /// True when no flow with bytes was counted in slot 0 since its last reset.
    pub fn is_empty(&self) -> bool {
        let n = self.slots;
        self.exporters
            .values()
            .all(|t| t.other[0].bytes == 0 && t.records(n).all(|(w, r)| r[w.key_words()] == 0))
    }

    /// Slot 0's rows (a one-interval table).
    pub fn rows(&self, top: usize) -> Vec<ExporterRows> {
        self.rows_for(0, top)
    }

    /// Start a new period of a one-interval table (see [`Table::reset_slot`]).
    pub fn reset(&mut self) {
        self.reset_slot(0, true);
    }

    /// Start a new period for `slot`: clear its counters. With `evict` (the longest interval),
    /// rows it saw no traffic for during the whole period are dropped; the others stay (empty)
    /// so replies still pair.
    pub fn reset_slot(&mut self, slot: usize, evict: bool) {
        if evict {
            self.drop_rows(|c| c.bytes(slot) == 0);
        }
        let n = self.slots;
        for t in self.exporters.values_mut() {
            t.other[slot] = Count::default();
            for w in Width::BOTH {
                for r in t.arenas[w as usize].chunks_exact_mut(stride(w, n)) {
                    r[w.key_words() + 2 * slot..][..2].fill(0);
                }
            }
        }
        self.exporters
            .retain(|_, t| !t.is_empty() || t.other.iter().any(|c| c.bytes != 0));
    }

    /// Make room in a full table when the period of `quiet_in` (the shortest interval) ends:
    /// of the conversations that saw nothing during that period, the smaller ones (by what
    /// they counted in `longest`) give up their rows, about a quarter of the table. What they
    /// counted moves to their exporter's "other conversations", so every interval's totals
    /// stay right; new conversations get rows again instead of being "other" until the
    /// longest interval ends. Returns the rows freed. Call before the slot is reset.
    pub fn make_room(&mut self, quiet_in: usize, longest: usize) -> usize {
        if self.rows < self.max_rows {
            return 0;
        }
        let n = self.slots;
        let mut quiet: Vec<u64> = self
            .exporters
            .values()
            .flat_map(|t| t.records(n))
            .map(|(w, r)| Counts(&r[w.key_words()..]))
            .filter(|c| c.bytes(quiet_in) == 0)
            .map(|c| c.bytes(longest))
            .collect();
        if quiet.is_empty() {
            return 0;
        }
        let k = (self.max_rows / 4).clamp(1, quiet.len());
        let (smaller, limit, _) = quiet.select_nth_unstable(k - 1);
        let limit = *limit;
        // Of the rows at the limit itself, only as many as make up the quarter.
        let mut at_limit = k - smaller.iter().filter(|b| **b < limit).count();
        drop(quiet);
        let before = self.rows;
        self.drop_rows(|c| {
            let b = c.bytes(longest);
            if c.bytes(quiet_in) != 0 || b > limit {
                return false;
            }
            if b < limit {
                return true;
            }
            let take = at_limit > 0;
            at_limit = at_limit.saturating_sub(1);
            take
        });
        before - self.rows
    }

    /// Drop the rows whose counters match `gone`; what they counted moves to their exporter's
    /// "other conversations" line. The rows that stay are packed into a fresh arena, in
    /// order, and indexed again; the memory of a flood is given back.
    fn drop_rows(&mut self, mut gone: impl FnMut(Counts) -> bool) {
        let n = self.slots;
        let mut dropped = 0;
        for t in self.exporters.values_mut() {
            let before = dropped;
            let ExporterTable {
                arenas,
                multicast,
                other,
                ..
            } = t;
            for w in Width::BOTH {
                let arena = &mut arenas[w as usize];
                let mut kept = Vec::with_capacity(arena.len());
                for r in arena.chunks_exact(stride(w, n)) {
                    let c = Counts(&r[w.key_words()..]);
                    if !gone(c) {
                        kept.extend_from_slice(r);
                        continue;
                    }
                    for (s, o) in other.iter_mut().take(n).enumerate() {
                        let x = c.get(s);
                        o.add(x.bytes, x.packets);
                    }
                    let (k, _) = RowKey::unpack(r, w);
                    if k.any_multicast {
                        let g = MulticastGroup::of(&k);
                        if let Some(m) = multicast.get_mut(&g) {
                            *m -= 1;
                            if *m == 0 {
                                multicast.remove(&g);
                            }
                        }
                    }
                    dropped += 1;
                }
                if kept.capacity() > 2 * kept.len() + 1024 {
                    kept.shrink_to_fit();
                }
                *arena = kept;
            }
            if dropped == before {
                continue;
            }
            t.reindex(&self.state, n);
            if t.multicast.capacity() > 4 * t.multicast.len() + 64 {
                t.multicast.shrink_to_fit();
            }
        }
        self.rows -= dropped;
    }
}

#[cfg(test)]
mod tests;
