//! The pool's connections by id: a sorted list of ids pointing into reused
//! slots. Every input names its connection, so finding one is the hot
//! path: a binary search over a contiguous list (one comparison for a pool
//! of one connection, about log₂ n for n). Transmits go round-robin in id
//! order, which the list gives.
//!
//! Connection ids only grow, so a new id joins the end of the list;
//! closing a connection moves the list entries after it (twelve or sixteen
//! bytes each, never a connection's state), O(n) per connection closed.

use super::ConnectionId;
use alloc::vec::Vec;

/// Values keyed by [`ConnectionId`], iterable in id order.
pub(crate) struct Slots<T> {
    /// Every id, ascending, with the slot its value is in.
    index: Vec<(ConnectionId, u32)>,
    values: Vec<Option<T>>,
    /// Slots whose value was removed, for the next insert.
    free: Vec<u32>,
}

impl<T> Slots<T> {
    pub(crate) fn new() -> Self {
        Slots { index: Vec::new(), values: Vec::new(), free: Vec::new() }
    }

    fn find(&self, id: ConnectionId) -> Result<usize, usize> {
        self.index.binary_search_by(|&(k, _)| k.cmp(&id))
    }

    pub(crate) fn len(&self) -> usize {
        self.index.len()
    }

    pub(crate) fn contains_key(&self, id: &ConnectionId) -> bool {
        self.find(*id).is_ok()
    }

    pub(crate) fn get(&self, id: &ConnectionId) -> Option<&T> {
        let at = self.find(*id).ok()?;
        self.values.get(self.index[at].1 as usize)?.as_ref()
    }

    pub(crate) fn get_mut(&mut self, id: &ConnectionId) -> Option<&mut T> {
        let at = self.find(*id).ok()?;
        self.values.get_mut(self.index[at].1 as usize)?.as_mut()
    }

    /// Adds or replaces the value under `id`.
    pub(crate) fn insert(&mut self, id: ConnectionId, value: T) {
        match self.find(id) {
            Ok(at) => self.values[self.index[at].1 as usize] = Some(value),
            Err(at) => {
                let slot = match self.free.pop() {
                    Some(slot) => {
                        self.values[slot as usize] = Some(value);
                        slot
                    }
                    None => {
                        self.values.push(Some(value));
                        (self.values.len() - 1) as u32
                    }
                };
                self.index.insert(at, (id, slot));
            }
        }
    }

    pub(crate) fn remove(&mut self, id: &ConnectionId) -> Option<T> {
        let at = self.find(*id).ok()?;
        let (_, slot) = self.index.remove(at);
        self.free.push(slot);
        self.values.get_mut(slot as usize)?.take()
    }

    /// Every id in order, starting from the first at or after `start` and
    /// wrapping round to those before it.
    pub(crate) fn ids_from(&self, start: ConnectionId) -> impl Iterator<Item = ConnectionId> + '_ {
        let at = self.index.partition_point(|&(k, _)| k < start);
        let (before, after) = self.index.split_at(at);
        after.iter().chain(before).map(|&(k, _)| k)
    }

    /// Every id in order.
    pub(crate) fn ids(&self) -> impl Iterator<Item = ConnectionId> + '_ {
        self.index.iter().map(|&(k, _)| k)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_come_in_order_from_any_start() {
        let mut slots = Slots::new();
        for raw in [1, 2, 4, 7] {
            slots.insert(ConnectionId::from_raw(raw), raw * 10);
        }
        slots.insert(ConnectionId::from_raw(4), 41);
        assert_eq!(slots.remove(&ConnectionId::from_raw(2)), Some(20));
        assert_eq!(slots.remove(&ConnectionId::from_raw(2)), None);
        assert_eq!(slots.len(), 3);
        assert_eq!(slots.get(&ConnectionId::from_raw(4)), Some(&41));
        assert!(slots.contains_key(&ConnectionId::from_raw(7)) && !slots.contains_key(&ConnectionId::from_raw(2)));
        let from = |raw| slots.ids_from(ConnectionId::from_raw(raw)).map(ConnectionId::get).collect::<Vec<_>>();
        assert_eq!(from(0), [1, 4, 7]);
        assert_eq!(from(4), [4, 7, 1]);
        assert_eq!(from(5), [7, 1, 4]);
        assert_eq!(from(8), [1, 4, 7]);
        assert_eq!(slots.ids().count(), 3);
    }

    #[test]
    fn removed_slots_are_reused() {
        let mut slots = Slots::new();
        for raw in 0..1000u64 {
            slots.insert(ConnectionId::from_raw(raw), raw);
            if raw >= 4 {
                assert_eq!(slots.remove(&ConnectionId::from_raw(raw - 4)), Some(raw - 4));
            }
        }
        assert_eq!(slots.len(), 4);
        assert!(slots.values.len() <= 5, "{} slots for at most 5 alive", slots.values.len());
        for raw in 996..1000u64 {
            assert_eq!(slots.get(&ConnectionId::from_raw(raw)), Some(&raw));
        }
    }
}
