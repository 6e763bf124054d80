//! The traffic table shared by every summary interval, with the old service's pairing rule.
//!
//! One row per conversation holds a counter slot per interval (20 min, 1 h, …), so a flow is
//! classified and looked up once, not once per interval, and the same conversation is listed
//! the same way in every summary.
//!
//! # The pairing rule (kept from the Go nf-svc)
//!
//! A conversation is two flows: the request `A:random → B:service` and the reply
//! `B:service → A:random`. Listing both by destination port would show the reply under a random
//! port, so a row is keyed by the port that names the service:
//!
//! * A flow is a **reply** when its mirror request is already in the table: a group
//!   `(L3, L4, src = this dst, dst = this src, port = this src port)` exists. It is then
//!   recorded as `Src=B, Dst=A, SrcPort=service`.
//! * A **multicast or broadcast request** (`A → 224.0.0.251:5353`, `A → 192.168.0.255:137`)
//!   opens a group whose destination is "any multicast", so unicast answers from any host
//!   (`C:5353 → A`) are recognised as replies too. Its rows are still one per destination.
//! * A flow *from* a service port (below 1024, or a well-known one like 1900 or 5353) *to*
//!   a port that is neither is a **reply** even when it is seen first. Exporters often send the
//!   reply before the request (softflowd sorts by address; routers by flow end), and without
//!   this the old rule listed a web download as `DstPort=40001`. When both or neither port is a
//!   service port, the old rule alone decides.
//! * Anything else is a **request**, keyed `Src, Dst, DstPort=port`.
//!
//! Whichever direction is seen first decides, and for good: a later flow looks for its own
//! row first (as a request, then as a reply) and keeps the direction that row was made with,
//! which also spares it the mirror lookup. Rows are per exporter. At the end of an interval
//! its counters are cleared but the rows stay, so a reply that arrives just after the boundary
//! still finds its request. Rows that stayed empty for a whole period of the longest interval
//! are dropped then.
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

use crate::flow::{Addr, FlowKind, FlowRecord, IndexLines, hash_table_bytes};
use key::{MulticastGroup, Packed, RowKey, Width, key_hash, same_key};
use std::collections::HashMap;

mod key;

type FastMap<K, V> = HashMap<K, V, foldhash::fast::RandomState>;

/// A port that names a service: the system range, or one nf-svc knows by name.
fn is_service_port(proto: u8, port: u16) -> bool {
    (port != 0 && port < 1024) || crate::words::names::service_name(proto, port).is_some()
}

/// One exporter block of the summary: `NETFLOW_V9(192.168.255.10)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SamplerKey {
    pub kind: FlowKind,
    pub addr: Addr,
}

impl std::fmt::Display for SamplerKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}({})", self.kind, self.addr)
    }
}

/// The most intervals one table counts for: the user's, and the history's five minutes.
pub const MAX_SLOTS: usize = crate::settings::values::MAX_INTERVALS + 1;

/// Rows of all exporters together.
pub const MAX_ROWS: usize = 100_000;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Count {
    bytes: u64,
    packets: u64,
}

impl Count {
    fn add(&mut self, bytes: u64, packets: u64) {
        self.bytes = self.bytes.saturating_add(bytes);
        self.packets = self.packets.saturating_add(packets);
    }
}

/// A row's counters: a pair of words (bytes, packets) per slot, after its key.
#[derive(Clone, Copy)]
struct Counts<'a>(&'a [u64]);

impl Counts<'_> {
    fn bytes(self, slot: usize) -> u64 {
        self.0[2 * slot]
    }
    fn get(self, slot: usize) -> Count {
        Count {
            bytes: self.0[2 * slot],
            packets: self.0[2 * slot + 1],
        }
    }
}

/// One row of a finished summary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Row {
    pub etype: u16,
    pub proto: u8,
    pub src: Addr,
    pub dst: Addr,
    /// The service port: the destination port of a request, the source port of a reply.
    pub port: u16,
    pub reply: bool,
    pub bytes: u64,
    pub packets: u64,
}

impl Row {
    /// The summary's order: largest first; ties in a stable, readable order.
    fn rank(&self, other: &Row) -> std::cmp::Ordering {
        other
            .bytes
            .cmp(&self.bytes)
            .then(other.packets.cmp(&self.packets))
            .then(self.src.cmp(&other.src))
            .then(self.dst.cmp(&other.dst))
            .then(self.port.cmp(&other.port))
            .then(self.etype.cmp(&other.etype))
            .then(self.proto.cmp(&other.proto))
            .then(self.reply.cmp(&other.reply))
    }
}

/// A row in the top-rows heap: the heap's greatest is the row ranked last.
struct Ranked(Row);

impl PartialEq for Ranked {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other).is_eq()
    }
}
impl Eq for Ranked {}
impl PartialOrd for Ranked {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Ranked {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.rank(&other.0)
    }
}

/// One exporter's rows, sorted by bytes (largest first).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SamplerRows {
    pub sampler: SamplerKey,
    /// How many non-empty rows there were before cutting to the top count.
    pub total_rows: usize,
    pub total_bytes: u64,
    pub total_packets: u64,
    pub rows: Vec<Row>,
    /// Traffic of conversations that found the table full (see [`MAX_ROWS`]); included in
    /// the totals.
    pub other: Option<Other>,
}

/// The "other conversations" line of an exporter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Other {
    pub bytes: u64,
    pub packets: u64,
}

/// A row's id in the index: bit 31 its arena ([`Width`]), the rest its number there.
fn row_id(width: Width, row: usize) -> u32 {
    (width as u32) << 31 | row as u32
}

fn id_row(id: u32) -> usize {
    (id & !(1 << 31)) as usize
}

fn id_width(id: u32) -> Width {
    if id >> 31 == 0 {
        Width::Narrow
    } else {
        Width::Wide
    }
}

/// Words of a record of `width` with `slots` counter slots: the key, a pair per slot.
fn stride(width: Width, slots: usize) -> usize {
    width.key_words() + 2 * slots
}

#[derive(Default)]
struct SamplerTable {
    /// Row ids, found by the hash of their key (compared in the record).
    index: hashbrown::HashTable<u32>,
    /// "Any multicast" group → number of rows in it (a group exists while it has rows). A
    /// few, always in cache.
    multicast: FastMap<MulticastGroup, u32>,
    /// The rows in the order they came, narrow and wide ([`Width`]): each its packed key
    /// and a pair of counter words per slot in use, so a row costs only the slots in use
    /// (five with the default intervals, not [`MAX_SLOTS`]).
    arenas: [Vec<u64>; 2],
    /// Flows that found the table full, per slot.
    other: [Count; MAX_SLOTS],
    /// Where the index is, to fetch a lookup's lines ahead ([`IndexLines`]).
    lines: IndexLines,
}

/// The record of row `id`, from its key on.
#[inline]
fn record(arenas: &[Vec<u64>; 2], id: u32, slots: usize) -> &[u64] {
    let width = id_width(id);
    let row = id_row(id);
    &arenas[width as usize][row * stride(width, slots)..][..stride(width, slots)]
}

/// The key words of row `id`.
#[inline]
fn record_key(arenas: &[Vec<u64>; 2], id: u32, slots: usize) -> &[u64] {
    &record(arenas, id, slots)[..id_width(id).key_words()]
}

impl SamplerTable {
    fn bytes(&self) -> usize {
        hash_table_bytes(self.index.capacity(), std::mem::size_of::<u32>())
            + hash_table_bytes(
                self.multicast.capacity(),
                std::mem::size_of::<(MulticastGroup, u32)>(),
            )
            + self
                .arenas
                .iter()
                .map(|a| a.capacity() * std::mem::size_of::<u64>())
                .sum::<usize>()
    }

    fn is_empty(&self) -> bool {
        self.arenas.iter().all(Vec::is_empty)
    }

    /// Every record with its width: narrow rows, then wide ones.
    fn records(&self, slots: usize) -> impl Iterator<Item = (Width, &[u64])> {
        Width::BOTH.into_iter().flat_map(move |w| {
            self.arenas[w as usize]
                .chunks_exact(stride(w, slots))
                .map(move |r| (w, r))
        })
    }

    /// Start fetching the index lines a lookup of `hash` reads first.
    #[inline]
    fn prefetch_index(&self, hash: u64) {
        self.lines.prefetch(&self.index, hash);
    }

    /// The id of the row with `key`, and whether it is a reply.
    #[inline]
    fn find(&self, hash: u64, key: &Packed, slots: usize) -> Option<(u32, bool)> {
        let arenas = &self.arenas;
        self.index
            .find(hash, |&id| {
                id_width(id) == key.width && same_key(record(arenas, id, slots), key)
            })
            .map(|&id| (id, record(arenas, id, slots)[0] & 1 == 1))
    }

    /// Add a row for `key` (packed with its reply bit); its id.
    fn insert(
        &mut self,
        state: &foldhash::fast::RandomState,
        hash: u64,
        key: &Packed,
        slots: usize,
    ) -> u32 {
        let SamplerTable { index, arenas, .. } = self;
        let width = key.width;
        let arena = &mut arenas[width as usize];
        let step = stride(width, slots);
        let id = row_id(width, arena.len() / step);
        // The arena grows by a quarter, not by doubling: its slack stays small.
        if arena.len() + step > arena.capacity() {
            arena.reserve_exact((arena.len() / 4).max(64 * step));
        }
        arena.extend_from_slice(key.words());
        arena.resize(arena.len() + 2 * slots, 0);
        let arenas = &*arenas;
        let entry =
            index.insert_unique(hash, id, |&j| key_hash(state, record_key(arenas, j, slots)));
        // The index may have grown into new memory.
        self.lines.note(entry.bucket_index(), entry.get());
        id
    }

    /// Index every record again (after rows were dropped or rearranged).
    fn reindex(&mut self, state: &foldhash::fast::RandomState, slots: usize) {
        let rows = self.records(slots).count();
        if self.index.capacity() > 4 * rows + 1024 {
            self.index = hashbrown::HashTable::with_capacity(rows);
        } else {
            self.index.clear();
        }
        let SamplerTable { index, arenas, .. } = self;
        for w in Width::BOTH {
            for (i, r) in arenas[w as usize]
                .chunks_exact(stride(w, slots))
                .enumerate()
            {
                index.insert_unique(key_hash(state, &r[..w.key_words()]), row_id(w, i), |&j| {
                    key_hash(state, record_key(arenas, j, slots))
                });
            }
        }
        self.lines.locate(&self.index);
    }
}

/// A flow's row keys as a request (by its destination port) and as a reply (by its source
/// port).
#[inline]
fn row_keys(r: &FlowRecord) -> (RowKey, RowKey) {
    let as_reply = RowKey {
        etype: r.etype,
        proto: r.proto,
        any_multicast: false,
        port: r.src_port,
        src: r.src_addr,
        dst: r.dst_addr,
    };
    let as_request = RowKey {
        any_multicast: r.dst_addr.is_multicast_or_broadcast(),
        port: r.dst_port,
        ..as_reply
    };
    (as_request, as_reply)
}

/// The traffic table: rows with a counter slot per interval.
pub struct Table {
    samplers: FastMap<SamplerKey, SamplerTable>,
    /// The hasher of row keys (every exporter's index).
    state: foldhash::fast::RandomState,
    /// Rows of all samplers together.
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
            samplers: FastMap::default(),
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
            self.samplers.capacity(),
            std::mem::size_of::<(SamplerKey, SamplerTable)>(),
        ) + self
            .samplers
            .values()
            .map(SamplerTable::bytes)
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
        for t in self.samplers.values_mut() {
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
        let sampler = SamplerKey {
            kind: r.kind,
            addr: r.sampler,
        };
        if let Some(t) = self.samplers.get(&sampler) {
            let (request, _) = row_keys(r);
            t.prefetch_index(key_hash(&self.state, request.pack(false).words()));
        }
    }

    /// Count one flow.
    pub fn add(&mut self, r: &FlowRecord) {
        let sampler = SamplerKey {
            kind: r.kind,
            addr: r.sampler,
        };
        let tracked = !self.tracking.is_empty() && self.tracking.contains(&r.src_addr);
        let Table {
            samplers,
            state,
            rows,
            max_rows,
            refused,
            slots,
            ..
        } = self;
        let t = samplers.entry(sampler).or_default();
        let n = *slots;

        let (as_request, as_reply) = row_keys(r);
        let (request, reply) = (as_request.pack(false), as_reply.pack(true));
        let h_request = key_hash(state, request.words());
        // Hashed only when needed: a known request (most flows) never looks its reply up.
        let h_reply = || key_hash(state, reply.words());
        let ruled = tracked
            || (is_service_port(r.proto, r.src_port) && !is_service_port(r.proto, r.dst_port));
        // A conversation's direction is decided when its row is made; its later flows find
        // that row at once (one lookup), without looking for their mirror again.
        let decided = if ruled {
            None
        } else {
            match t.find(h_request, &request, n) {
                Some((i, false)) => Some(i),
                _ => t
                    .find(h_reply(), &reply, n)
                    .filter(|(_, is_reply)| *is_reply)
                    .map(|(i, _)| i),
            }
        };
        let row = decided.or_else(|| {
            // The mirror of this flow's request: a request B → A on this source port.
            let mirror = RowKey {
                src: r.dst_addr,
                dst: r.src_addr,
                ..as_reply
            };
            let packed = mirror.pack(false);
            let is_reply = ruled
                || t.find(key_hash(state, packed.words()), &packed, n)
                    .is_some()
                || t.multicast.contains_key(&MulticastGroup::of(&mirror));
            let (key, hash, made) = if is_reply {
                (&reply, h_reply(), as_reply)
            } else {
                (&request, h_request, as_request)
            };
            if let Some((i, _)) = t.find(hash, key, n) {
                return Some(i);
            }
            if *rows >= *max_rows {
                return None;
            }
            *rows += 1;
            if made.any_multicast {
                *t.multicast.entry(MulticastGroup::of(&made)).or_insert(0) += 1;
            }
            Some(t.insert(state, hash, &made.pack(is_reply), n))
        });
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
        self.samplers
            .values()
            .all(|t| t.other[0].bytes == 0 && t.records(n).all(|(w, r)| r[w.key_words()] == 0))
    }

    /// Slot 0's rows (a one-interval table).
    pub fn rows(&self, top: usize) -> Vec<SamplerRows> {
        self.rows_for(0, top)
    }

    /// The rows of slot `slot` for every exporter, top `top` per exporter, exporters in
    /// address order. Only the top rows are gathered (a heap of `top`), not every row.
    pub fn rows_for(&self, slot: usize, top: usize) -> Vec<SamplerRows> {
        let n = self.slots;
        let mut out: Vec<SamplerRows> = self
            .samplers
            .iter()
            .filter_map(|(sampler, t)| {
                let o = t.other[slot];
                let other = (o.bytes != 0).then_some(Other {
                    bytes: o.bytes,
                    packets: o.packets,
                });
                let (mut total_rows, mut total_bytes, mut total_packets) = (0, o.bytes, o.packets);
                let mut heap = std::collections::BinaryHeap::with_capacity(top.min(4096) + 1);
                for (w, r) in t.records(n) {
                    let c = Counts(&r[w.key_words()..]).get(slot);
                    if c.bytes == 0 {
                        continue;
                    }
                    total_rows += 1;
                    total_bytes = u64::saturating_add(total_bytes, c.bytes);
                    total_packets = u64::saturating_add(total_packets, c.packets);
                    if top == 0 {
                        continue;
                    }
                    let (k, reply) = RowKey::unpack(r, w);
                    let row = Ranked(Row {
                        etype: k.etype,
                        proto: k.proto,
                        src: k.src,
                        dst: k.dst,
                        port: k.port,
                        reply,
                        bytes: c.bytes,
                        packets: c.packets,
                    });
                    if heap.len() < top {
                        heap.push(row);
                    } else if heap.peek().is_some_and(|last| row < *last) {
                        heap.pop();
                        heap.push(row);
                    }
                }
                if total_rows == 0 && other.is_none() {
                    return None;
                }
                let rows = heap.into_sorted_vec().into_iter().map(|r| r.0).collect();
                Some(SamplerRows {
                    sampler: *sampler,
                    total_rows,
                    total_bytes,
                    total_packets,
                    rows,
                    other,
                })
            })
            .collect();
        out.sort_by_key(|s| s.sampler);
        out
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
        for t in self.samplers.values_mut() {
            t.other[slot] = Count::default();
            for w in Width::BOTH {
                for r in t.arenas[w as usize].chunks_exact_mut(stride(w, n)) {
                    r[w.key_words() + 2 * slot..][..2].fill(0);
                }
            }
        }
        self.samplers
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
            .samplers
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
        for t in self.samplers.values_mut() {
            let before = dropped;
            let SamplerTable {
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
