//! A map with a bound on its entries, for the stages that count flows per key (the alert
//! engine's hosts, the history's minute).
//!
//! Why not a `HashMap`: a map sits in a power of two of buckets, at most 7/8 full, and when
//! keys come and go it may double again — at a bound of 20,000 entries of 180 bytes, 6 MB,
//! much of it empty. Here the entries sit in a vector that grows by a quarter and never past
//! the bound, and the hash index holds 4-byte positions (hashbrown's `HashTable`; the key is
//! compared in the entry, which the caller goes on to count in anyway): 3.8 MB for the same.
//! The index of a full map fits in a core's cache, so a lookup costs at most one trip to
//! memory.
//!
//! An entry may have a cold part (`C`), kept in a second vector at the same position: what
//! a flow never touches (the alert engine's window of buckets, read once a tick). A flow's
//! lookup then walks only keys and hot values, and more of them stay in the core's cache
//! beside the summary table.

use super::prefetch::prefetch_line;
use std::hash::{BuildHasher, Hash};

/// Bytes a hashbrown table of `capacity` entries of `entry` bytes holds: its buckets, a
/// control byte each (at most 7 of 8 buckets full, in a power of two).
pub fn hash_table_bytes(capacity: usize, entry: usize) -> usize {
    if capacity == 0 {
        return 0;
    }
    (capacity * 8 / 7).next_power_of_two() * (entry + 1)
}

pub struct BoundedMap<K, V, C = ()> {
    entries: Vec<(K, V)>,
    /// Each entry's cold part, at its position in `entries`.
    cold: Vec<C>,
    /// Positions in `entries`, by the hash of their key.
    index: hashbrown::HashTable<u32>,
    state: foldhash::fast::RandomState,
    max: usize,
}

impl<K: std::fmt::Debug, V: std::fmt::Debug, C> std::fmt::Debug for BoundedMap<K, V, C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map()
            .entries(self.entries.iter().map(|(k, v)| (k, v)))
            .finish()
    }
}

impl<K: Hash + Eq + Copy, V> BoundedMap<K, V> {
    /// The value of `key`, made by `make` when there is room; `None` when the key is new and
    /// the map is full.
    #[inline]
    pub fn get_or_insert(&mut self, key: K, make: impl FnOnce() -> V) -> Option<&mut V> {
        self.get_or_insert_with(key, || (make(), ()))
    }
}

impl<K: Hash + Eq + Copy, V, C> BoundedMap<K, V, C> {
    /// An empty map that holds at most `max` entries.
    pub fn new(max: usize) -> Self {
        BoundedMap {
            entries: Vec::new(),
            cold: Vec::new(),
            index: hashbrown::HashTable::new(),
            state: Default::default(),
            max: max.min(u32::MAX as usize),
        }
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The hot value of `key`; a new key's hot and cold parts are made by `make` when there
    /// is room. `None` when the key is new and the map is full.
    #[inline]
    pub fn get_or_insert_with(&mut self, key: K, make: impl FnOnce() -> (V, C)) -> Option<&mut V> {
        let hash = self.state.hash_one(key);
        let BoundedMap {
            entries,
            cold,
            index,
            state,
            max,
        } = self;
        if let Some(&i) = index.find(hash, |&i| entries[i as usize].0 == key) {
            return Some(&mut entries[i as usize].1);
        }
        if entries.len() >= *max {
            return None;
        }
        // Grow by a quarter, never past the bound: the slack stays small.
        if entries.len() == entries.capacity() {
            let more = (entries.len() / 4).max(64).min(*max - entries.len());
            entries.reserve_exact(more);
            cold.reserve_exact(more);
        }
        let i = entries.len();
        let (v, c) = make();
        entries.push((key, v));
        cold.push(c);
        let all = &*entries;
        index.insert_unique(hash, i as u32, |&j| state.hash_one(all[j as usize].0));
        Some(&mut entries[i].1)
    }

    /// Start fetching the entry of `key` (its key and hot value) a few flows before it is
    /// looked up: the index of a bounded map is small and stays in cache, its entries do not.
    /// The entry fetched is the first whose hash bits match, without comparing keys (that
    /// would wait for the entry itself); nothing happens for a key not in the map.
    #[inline]
    pub fn prefetch(&self, key: &K) {
        let hash = self.state.hash_one(key);
        if let Some(b) = self.index.iter_hash_buckets(hash).next()
            && let Some(&i) = self.index.get_bucket(b)
            && let Some(e) = self.entries.get(i as usize)
        {
            prefetch_line(e as *const (K, V) as usize);
        }
    }

    pub fn contains_key(&self, key: &K) -> bool {
        let entries = &self.entries;
        self.index
            .find(self.state.hash_one(key), |&i| entries[i as usize].0 == *key)
            .is_some()
    }

    /// The entries with their cold parts, in the order they came.
    pub fn iter_mut(&mut self) -> impl Iterator<Item = (&K, &mut V, &mut C)> {
        self.entries
            .iter_mut()
            .zip(self.cold.iter_mut())
            .map(|((k, v), c)| (&*k, v, c))
    }

    /// Take every entry out (the cold parts are dropped); the map keeps its memory for the
    /// next round.
    pub fn drain(&mut self) -> impl Iterator<Item = (K, V)> + '_ {
        self.index.clear();
        self.cold.clear();
        self.entries.drain(..)
    }

    /// Keep the entries `keep` says to, in their order, and give a flood's memory back.
    pub fn retain(&mut self, mut keep: impl FnMut(&K) -> bool) {
        let before = self.entries.len();
        let mut n = 0;
        for i in 0..before {
            if keep(&self.entries[i].0) {
                self.entries.swap(n, i);
                self.cold.swap(n, i);
                n += 1;
            }
        }
        if n == before {
            return;
        }
        self.entries.truncate(n);
        self.cold.truncate(n);
        if self.entries.capacity() > 2 * n + 1024 {
            self.entries.shrink_to_fit();
            self.cold.shrink_to_fit();
        }
        if self.index.capacity() > 4 * n + 1024 {
            self.index = hashbrown::HashTable::with_capacity(n);
        } else {
            self.index.clear();
        }
        let BoundedMap {
            entries,
            index,
            state,
            ..
        } = self;
        for (i, (k, _)) in entries.iter().enumerate() {
            index.insert_unique(state.hash_one(k), i as u32, |&j| {
                state.hash_one(entries[j as usize].0)
            });
        }
    }

    /// Bytes the entries, their cold parts and the index hold now.
    pub fn bytes(&self) -> usize {
        self.entries.capacity() * std::mem::size_of::<(K, V)>()
            + self.cold.capacity() * std::mem::size_of::<C>()
            + hash_table_bytes(self.index.capacity(), std::mem::size_of::<u32>())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAX: usize = 20_000;

    #[test]
    fn entries_are_found_again_after_others_go_and_the_bound_holds() {
        let mut m = BoundedMap::new(MAX);
        for i in 0..MAX as u32 + 10 {
            let made = m.get_or_insert(i, || i as u64 * 3).is_some();
            assert_eq!(made, (i as usize) < MAX, "key {i}");
        }
        assert_eq!(m.len(), MAX);
        assert!(m.entries.capacity() <= MAX, "never past the bound");
        assert!(!m.contains_key(&(MAX as u32)));
        // The odd ones go; the even ones keep their own value.
        m.retain(|k| k % 2 == 0);
        assert_eq!(m.len(), MAX / 2);
        for i in (0..MAX as u32).step_by(2) {
            let v = m.get_or_insert(i, || panic!("key {i} lost")).unwrap();
            assert_eq!(*v, i as u64 * 3);
        }
        // The odd ones come back as new entries, once each.
        for i in (1..MAX as u32).step_by(2) {
            assert!(!m.contains_key(&i));
            assert_eq!(*m.get_or_insert(i, || 0).unwrap(), 0);
            m.get_or_insert(i, || panic!("key {i} made twice"));
        }
        assert_eq!(m.len(), MAX);
        m.retain(|_| false);
        assert!(m.is_empty());
        assert!(m.bytes() < 64 << 10, "{} bytes left", m.bytes());
    }

    #[test]
    fn cold_parts_stay_with_their_keys_when_others_go() {
        let mut m: BoundedMap<u32, u64, String> = BoundedMap::new(1000);
        for i in 0..1000u32 {
            *m.get_or_insert_with(i, || (0, format!("cold {i}")))
                .unwrap() += u64::from(i);
        }
        assert!(m.get_or_insert_with(1000, || (0, String::new())).is_none());
        m.retain(|k| k % 3 == 0);
        let seen: Vec<(u32, u64, String)> =
            m.iter_mut().map(|(k, v, c)| (*k, *v, c.clone())).collect();
        assert_eq!(seen.len(), 334);
        for (n, (k, v, c)) in seen.into_iter().enumerate() {
            assert_eq!(
                (k, v, c),
                (3 * n as u32, 3 * n as u64, format!("cold {}", 3 * n))
            );
        }
        // A new entry after the drop gets its own cold part, not a left-over one.
        m.get_or_insert_with(1, || (7, "new".into()));
        let last = m.iter_mut().last().map(|(k, v, c)| (*k, *v, c.clone()));
        assert_eq!(last, Some((1, 7, "new".into())));
    }

    #[test]
    fn drain_takes_every_entry_and_the_map_starts_again() {
        let mut m = BoundedMap::new(100);
        for i in 0..150u32 {
            if let Some(v) = m.get_or_insert(i % 120, || 0u64) {
                *v += 1;
            }
        }
        let mut got: Vec<(u32, u64)> = m.drain().collect();
        got.sort();
        assert_eq!(got.len(), 100);
        assert_eq!(got[0], (0, 2), "counted twice: 0 and 120");
        assert_eq!(got[99], (99, 1));
        assert!(m.is_empty() && !m.contains_key(&0));
        *m.get_or_insert(7, || 10).unwrap() += 1;
        assert_eq!(m.drain().collect::<Vec<_>>(), vec![(7, 11)]);
    }
}
