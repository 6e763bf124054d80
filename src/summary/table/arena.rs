//! Where rows live: each exporter's arena of records (the packed key, then a pair of counter
//! words per slot) and the hash index of row ids that finds them.

use super::key::{MulticastGroup, Packed, Width, key_hash, same_key};
use super::{FastMap, MAX_SLOTS};
use crate::flow::{IndexLines, hash_table_bytes};

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Count {
    pub(super) bytes: u64,
    pub(super) packets: u64,
}

impl Count {
    pub(super) fn add(&mut self, bytes: u64, packets: u64) {
        self.bytes = self.bytes.saturating_add(bytes);
        self.packets = self.packets.saturating_add(packets);
    }
}

/// A row's counters: a pair of words (bytes, packets) per slot, after its key.
#[derive(Clone, Copy)]
pub(super) struct Counts<'a>(pub(super) &'a [u64]);

impl Counts<'_> {
    pub(super) fn bytes(self, slot: usize) -> u64 {
        self.0[2 * slot]
    }
    pub(super) fn get(self, slot: usize) -> Count {
        Count {
            bytes: self.0[2 * slot],
            packets: self.0[2 * slot + 1],
        }
    }
}

/// A row's id in the index: bit 31 its arena ([`Width`]), the rest its number there.
pub(super) fn row_id(width: Width, row: usize) -> u32 {
    (width as u32) << 31 | row as u32
}

pub(super) fn id_row(id: u32) -> usize {
    (id & !(1 << 31)) as usize
}

pub(super) fn id_width(id: u32) -> Width {
    if id >> 31 == 0 {
        Width::Narrow
    } else {
        Width::Wide
    }
}

/// Words of a record of `width` with `slots` counter slots: the key, a pair per slot.
pub(super) fn stride(width: Width, slots: usize) -> usize {
    width.key_words() + 2 * slots
}

#[derive(Default)]
pub(super) struct ExporterTable {
    /// Row ids, found by the hash of their key (compared in the record).
    pub(super) index: hashbrown::HashTable<u32>,
    /// "Any multicast" group → number of rows in it (a group exists while it has rows). A
    /// few, always in cache.
    pub(super) multicast: FastMap<MulticastGroup, u32>,
    /// The rows in the order they came, narrow and wide ([`Width`]): each its packed key
    /// and a pair of counter words per slot in use, so a row costs only the slots in use
    /// (five with the default intervals, not [`MAX_SLOTS`]).
    pub(super) arenas: [Vec<u64>; 2],
    /// Flows that found the table full, per slot.
    pub(super) other: [Count; MAX_SLOTS],
    /// Where the index is, to fetch a lookup's lines ahead ([`IndexLines`]).
    pub(super) lines: IndexLines,
}

/// The record of row `id`, from its key on.
#[inline]
pub(super) fn record(arenas: &[Vec<u64>; 2], id: u32, slots: usize) -> &[u64] {
    let width = id_width(id);
    let row = id_row(id);
    &arenas[width as usize][row * stride(width, slots)..][..stride(width, slots)]
}

/// The key words of row `id`.
#[inline]
pub(super) fn record_key(arenas: &[Vec<u64>; 2], id: u32, slots: usize) -> &[u64] {
    &record(arenas, id, slots)[..id_width(id).key_words()]
}

impl ExporterTable {
    pub(super) fn bytes(&self) -> usize {
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

    pub(super) fn is_empty(&self) -> bool {
        self.arenas.iter().all(Vec::is_empty)
    }

    /// Every record with its width: narrow rows, then wide ones.
    pub(super) fn records(&self, slots: usize) -> impl Iterator<Item = (Width, &[u64])> {
        Width::BOTH.into_iter().flat_map(move |w| {
            self.arenas[w as usize]
                .chunks_exact(stride(w, slots))
                .map(move |r| (w, r))
        })
    }

    /// Start fetching the index lines a lookup of `hash` reads first.
    #[inline]
    pub(super) fn prefetch_index(&self, hash: u64) {
        self.lines.prefetch(&self.index, hash);
    }

    /// The id of the row with `key`, and whether it is a reply.
    #[inline]
    pub(super) fn find(&self, hash: u64, key: &Packed, slots: usize) -> Option<(u32, bool)> {
        let arenas = &self.arenas;
        self.index
            .find(hash, |&id| {
                id_width(id) == key.width && same_key(record(arenas, id, slots), key)
            })
            .map(|&id| (id, record(arenas, id, slots)[0] & 1 == 1))
    }

    /// Add a row for `key` (packed with its reply bit); its id.
    pub(super) fn insert(
        &mut self,
        state: &foldhash::fast::RandomState,
        hash: u64,
        key: &Packed,
        slots: usize,
    ) -> u32 {
        let ExporterTable { index, arenas, .. } = self;
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
    pub(super) fn reindex(&mut self, state: &foldhash::fast::RandomState, slots: usize) {
        let rows = self.records(slots).count();
        if self.index.capacity() > 4 * rows + 1024 {
            self.index = hashbrown::HashTable::with_capacity(rows);
        } else {
            self.index.clear();
        }
        let ExporterTable { index, arenas, .. } = self;
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
