//! An ordered map kept as one sorted ring buffer: the core's one ordered
//! container, instead of a B-tree per key and value type (each
//! `BTreeMap<K, V>` is its own copy of the B-tree code, several kilobytes
//! of WebAssembly; this is a binary search and a `VecDeque`).
//!
//! Cost, for `n` entries and an entry at position `i`: finding is a binary
//! search, O(log n); adding or removing moves the entries on the shorter
//! side, O(min(i, n − i)). So both ends are O(1) — ids that only grow are
//! added at the back, the earliest deadline or oldest entry leaves from the
//! front — and only a key landing in the middle pays for the entries it
//! moves. Every map of the core is either small (per connection, per
//! waiter) or fed from its ends like that; the module of each says which.

use alloc::collections::VecDeque;
use core::borrow::Borrow;

/// Entries ordered by key, each key once.
#[derive(Clone, Debug)]
pub(crate) struct SortedMap<K, V> {
    entries: VecDeque<(K, V)>,
}

impl<K, V> Default for SortedMap<K, V> {
    fn default() -> Self {
        SortedMap { entries: VecDeque::new() }
    }
}

impl<K: Ord, V> SortedMap<K, V> {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// Where `key` is (`Ok`) or would go (`Err`).
    #[inline]
    fn find<Q: Ord + ?Sized>(&self, key: &Q) -> Result<usize, usize>
    where
        K: Borrow<Q>,
    {
        // Most maps are empty most of the time (nothing paused, no origin
        // idle): answer those without the search.
        if self.entries.is_empty() {
            return Err(0);
        }
        self.entries.binary_search_by(|(k, _)| k.borrow().cmp(key))
    }

    #[inline]
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    #[inline]
    pub(crate) fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    #[inline]
    pub(crate) fn get<Q: Ord + ?Sized>(&self, key: &Q) -> Option<&V>
    where
        K: Borrow<Q>,
    {
        let at = self.find(key).ok()?;
        self.entries.get(at).map(|(_, v)| v)
    }

    #[inline]
    pub(crate) fn contains_key<Q: Ord + ?Sized>(&self, key: &Q) -> bool
    where
        K: Borrow<Q>,
    {
        self.find(key).is_ok()
    }

    /// Adds `value` under `key`, returning the value it replaces.
    #[inline]
    pub(crate) fn insert(&mut self, key: K, value: V) -> Option<V> {
        match self.find(&key) {
            Ok(at) => self.entries.get_mut(at).map(|(_, v)| core::mem::replace(v, value)),
            Err(at) => {
                self.entries.insert(at, (key, value));
                None
            }
        }
    }

    #[inline]
    pub(crate) fn remove<Q: Ord + ?Sized>(&mut self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
    {
        let at = self.find(key).ok()?;
        self.entries.remove(at).map(|(_, v)| v)
    }

    /// The entry with the smallest key.
    #[inline]
    pub(crate) fn first(&self) -> Option<(&K, &V)> {
        self.entries.front().map(|(k, v)| (k, v))
    }

    /// Takes the entry with the smallest key.
    #[inline]
    pub(crate) fn pop_first(&mut self) -> Option<(K, V)> {
        self.entries.pop_front()
    }

    /// The entries in key order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&K, &V)> {
        self.entries.iter().map(|(k, v)| (k, v))
    }

    /// Keeps the entries `keep` says yes to, in order.
    pub(crate) fn retain(&mut self, mut keep: impl FnMut(&K, &mut V) -> bool) {
        self.entries.retain_mut(|(k, v)| keep(k, v));
    }
}

/// Keys in order, each once: a [`SortedMap`] without values.
#[derive(Clone, Debug)]
pub(crate) struct SortedSet<K> {
    map: SortedMap<K, ()>,
}

impl<K> Default for SortedSet<K> {
    fn default() -> Self {
        SortedSet { map: SortedMap::default() }
    }
}

impl<K: Ord> SortedSet<K> {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    pub(crate) fn len(&self) -> usize {
        self.map.len()
    }

    pub(crate) fn contains(&self, key: &K) -> bool {
        self.map.contains_key(key)
    }

    /// Adds `key`; whether it was new.
    pub(crate) fn insert(&mut self, key: K) -> bool {
        self.map.insert(key, ()).is_none()
    }

    /// Removes `key`; whether it was there.
    pub(crate) fn remove(&mut self, key: &K) -> bool {
        self.map.remove(key).is_some()
    }

    pub(crate) fn first(&self) -> Option<&K> {
        self.map.first().map(|(k, ())| k)
    }

    pub(crate) fn pop_first(&mut self) -> Option<K> {
        self.map.pop_first().map(|(k, ())| k)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::collections::BTreeMap;

    #[test]
    fn the_map_agrees_with_a_btree_map_through_every_operation() {
        let mut map = SortedMap::new();
        let mut model = BTreeMap::new();
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        for round in 0..20_000u32 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            // Keys from a small range, so inserts replace and removals hit.
            let key = (state >> 40) % 500;
            match state % 6 {
                0..=2 => assert_eq!(map.insert(key, round), model.insert(key, round)),
                3 => assert_eq!(map.remove(&key), model.remove(&key)),
                4 => assert_eq!(map.pop_first(), model.pop_first()),
                _ => {
                    map.retain(|k, _| (k + u64::from(round)) % 11 != 0);
                    model.retain(|k, _| (k + u64::from(round)) % 11 != 0);
                }
            }
            assert_eq!(map.get(&key), model.get(&key));
            assert_eq!(map.contains_key(&key), model.contains_key(&key));
            assert_eq!(map.len(), model.len());
            assert_eq!(map.first(), model.first_key_value());
        }
        while let Some(entry) = model.pop_first() {
            assert_eq!(map.pop_first(), Some(entry));
        }
        assert!(map.is_empty());
    }

    #[test]
    fn a_set_keeps_each_key_once_in_order() {
        let mut set = SortedSet::new();
        for key in [5, 1, 9, 1, 5, 3] {
            set.insert(key);
        }
        assert_eq!(set.len(), 4);
        assert!(set.contains(&9) && !set.contains(&2));
        assert!(set.remove(&9) && !set.remove(&9));
        assert_eq!(set.first(), Some(&1));
        assert_eq!(
            [set.pop_first(), set.pop_first(), set.pop_first(), set.pop_first()],
            [Some(1), Some(3), Some(5), None]
        );
    }

    #[test]
    fn borrowed_keys_find_boxed_ones() {
        let mut map: SortedMap<alloc::boxed::Box<[u8]>, u32> = SortedMap::new();
        map.insert(alloc::boxed::Box::from(&b"https://b:443"[..]), 2);
        map.insert(alloc::boxed::Box::from(&b"http://a:80"[..]), 1);
        assert_eq!(map.get(&b"https://b:443"[..]), Some(&2));
        assert_eq!(map.remove(&b"http://a:80"[..]), Some(1));
        assert_eq!(map.len(), 1);
    }
}
