//! Fetching a lookup's memory a few flows ahead of the lookup.
//!
//! Under load the counting tables do not stay in the core's cache beside everything else the
//! collector and the kernel touch: waiting for the summary index's lines (320 KB for 50,000
//! conversations) was the collector's largest single cost at 1 M flows/s (a profile put 76 %
//! of the lookup's time on reading the row's id), and after it the alert engine's entries.
//! The records of a batch are all known before the first is counted, so the counting stage
//! asks for what the flow a few places on will read while it counts the current one
//! (`Pipeline::count`), and it arrives meanwhile: the summary index's lines through
//! [`IndexLines`], a bounded map's entry through [`crate::flow::BoundedMap::prefetch`].
//!
//! The summary index is a hashbrown `HashTable<u32>` of row ids. hashbrown does not say where
//! a lookup reads, so [`IndexLines`] keeps where the table's control bytes start (learned from
//! the place of an id it holds) and follows hashbrown's layout: the ids just below the control
//! bytes, in reverse bucket order, and a probe starting at the bucket of the hash's low bits.
//! A prefetch is only a hint — it reads nothing into the program and never faults — so a
//! hashbrown that moved things would cost speed, never a count, and the summary table's
//! `tests::prefetch_points_where_lookups_read` fails then.

use hashbrown::HashTable;

/// Bytes of an id in the index.
const ID: usize = std::mem::size_of::<u32>();
/// Buckets a probe looks at first (a group of control bytes).
const GROUP: usize = 16;

/// Ask the CPU to bring the cache line holding `addr` closer; nothing is read or written.
#[inline]
pub fn prefetch_line(addr: usize) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: a prefetch is a hint: it never faults and changes no memory, whatever the
    // address (SSE is part of every x86_64).
    unsafe {
        use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
        _mm_prefetch::<_MM_HINT_T0>(addr as *const i8);
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = addr;
}

/// Where an index's control bytes start (0: not known), kept beside the index and told of
/// every insert and rebuild, since either may move it.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct IndexLines {
    ctrl: usize,
}

impl IndexLines {
    /// The index holds `id` in bucket `bucket` (as an insert answers).
    #[inline]
    pub fn note(&mut self, bucket: usize, id: &u32) {
        self.ctrl = id as *const u32 as usize + (bucket + 1) * ID;
    }

    /// Learn where `index` is after it was built again.
    pub fn locate(&mut self, index: &HashTable<u32>) {
        self.ctrl = 0;
        if let Some(b) = index.iter_buckets().next()
            && let Some(id) = index.get_bucket(b)
        {
            self.note(b, id);
        }
    }

    /// Where bucket `bucket`'s id sits, by the layout.
    pub fn id_place(&self, bucket: usize) -> usize {
        self.ctrl.wrapping_sub((bucket + 1) * ID)
    }

    /// Start fetching the lines a lookup of `hash` in `index` reads first: its group of
    /// control bytes and the ids below them.
    #[inline]
    pub fn prefetch(&self, index: &HashTable<u32>, hash: u64) {
        let buckets = index.num_buckets();
        if self.ctrl == 0 || buckets == 0 {
            return;
        }
        let home = hash as usize & (buckets - 1);
        let ids = self.id_place(home + GROUP - 1);
        prefetch_line(self.ctrl.wrapping_add(home));
        prefetch_line(ids);
        prefetch_line(ids.wrapping_add((GROUP - 1) * ID));
    }
}
