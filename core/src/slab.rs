//! Records keyed by request id, in reused slots: finding one is a hash
//! probe, adding one reuses a freed slot (and whatever allocations its value
//! kept), and the memory held is bounded by the most records alive at once.
//!
//! Request ids only grow and are never reused, so a slot cannot be the id;
//! an open-addressing index maps ids to slots. The ids are the core's own
//! (no peer chooses them), so a fixed multiplicative hash is safe here.

use alloc::vec::Vec;

/// An id → slot index: open addressing, linear probing, deletion by
/// backward shift (no tombstones), at most half full.
#[derive(Clone, Debug, Default)]
struct Index {
    /// `(id + 1, slot)`; `0` marks an empty bucket.
    buckets: Vec<(u64, u32)>,
    len: usize,
}

impl Index {
    fn bucket(&self, id: u64) -> usize {
        // Fibonacci hashing: consecutive ids spread over the table.
        let bits = self.buckets.len().trailing_zeros();
        (id.wrapping_add(1).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - bits)) as usize
    }

    fn get(&self, id: u64) -> Option<u32> {
        // `u64::MAX` has no key: it is never handed out (ids count up from
        // 0), but a caller may still ask for it (`RequestId::from_raw`).
        let key = id.checked_add(1)?;
        if self.buckets.is_empty() {
            return None;
        }
        let mask = self.buckets.len() - 1;
        let mut at = self.bucket(id);
        loop {
            match self.buckets[at] {
                (0, _) => return None,
                (stored, slot) if stored == key => return Some(slot),
                _ => at = (at + 1) & mask,
            }
        }
    }

    fn insert(&mut self, id: u64, slot: u32) {
        if (self.len + 1) * 2 > self.buckets.len() {
            self.grow();
        }
        let mask = self.buckets.len() - 1;
        let mut at = self.bucket(id);
        while self.buckets[at].0 != 0 {
            at = (at + 1) & mask;
        }
        self.buckets[at] = (id + 1, slot);
        self.len += 1;
    }

    fn remove(&mut self, id: u64) -> Option<u32> {
        let key = id.checked_add(1)?;
        if self.buckets.is_empty() {
            return None;
        }
        let mask = self.buckets.len() - 1;
        let mut at = self.bucket(id);
        let slot = loop {
            match self.buckets[at] {
                (0, _) => return None,
                (stored, slot) if stored == key => break slot,
                _ => at = (at + 1) & mask,
            }
        };
        // Backward shift: pull later entries of the cluster into the hole
        // when their home bucket is not between the hole and them.
        let mut hole = at;
        let mut next = (hole + 1) & mask;
        while self.buckets[next].0 != 0 {
            let home = self.bucket(self.buckets[next].0 - 1);
            let moves = if hole <= next { home <= hole || home > next } else { home <= hole && home > next };
            if moves {
                self.buckets[hole] = self.buckets[next];
                hole = next;
            }
            next = (next + 1) & mask;
        }
        self.buckets[hole] = (0, 0);
        self.len -= 1;
        Some(slot)
    }

    fn grow(&mut self) {
        let old = core::mem::take(&mut self.buckets);
        self.buckets = alloc::vec![(0, 0); (old.len() * 2).max(16)];
        self.len = 0;
        for (key, slot) in old.into_iter().filter(|&(key, _)| key != 0) {
            self.insert(key - 1, slot);
        }
    }
}

/// One slot of an [`IdSlab`].
#[derive(Clone, Debug)]
enum Slot<T> {
    Used(T),
    /// A value released but kept, so its allocations serve the next one.
    Husk(T),
    Empty,
}

/// Values keyed by `u64` ids, stored in reused slots.
#[derive(Clone, Debug)]
pub(crate) struct IdSlab<T> {
    index: Index,
    slots: Vec<Slot<T>>,
    free: Vec<u32>,
}

impl<T> Default for IdSlab<T> {
    fn default() -> Self {
        IdSlab { index: Index::default(), slots: Vec::new(), free: Vec::new() }
    }
}

impl<T> IdSlab<T> {
    pub(crate) fn len(&self) -> usize {
        self.index.len
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.index.len == 0
    }

    pub(crate) fn contains(&self, id: u64) -> bool {
        self.index.get(id).is_some()
    }

    pub(crate) fn get(&self, id: u64) -> Option<&T> {
        match &self.slots[self.index.get(id)? as usize] {
            Slot::Used(value) => Some(value),
            _ => None,
        }
    }

    pub(crate) fn get_mut(&mut self, id: u64) -> Option<&mut T> {
        match &mut self.slots[self.index.get(id)? as usize] {
            Slot::Used(value) => Some(value),
            _ => None,
        }
    }

    /// Adds `value` under `id` (which must not be present).
    pub(crate) fn insert(&mut self, id: u64, value: T) {
        self.insert_with(id, |_| value);
    }

    /// Adds the value `make` builds under `id` (which must not be present);
    /// `make` gets the husk of a released value when one is free, to reuse.
    pub(crate) fn insert_with(&mut self, id: u64, make: impl FnOnce(Option<T>) -> T) {
        let slot = match self.free.pop() {
            Some(slot) => {
                let husk = match core::mem::replace(&mut self.slots[slot as usize], Slot::Empty) {
                    Slot::Husk(husk) => Some(husk),
                    _ => None,
                };
                self.slots[slot as usize] = Slot::Used(make(husk));
                slot
            }
            None => {
                self.slots.push(Slot::Used(make(None)));
                (self.slots.len() - 1) as u32
            }
        };
        self.index.insert(id, slot);
    }

    /// Takes the value out.
    pub(crate) fn remove(&mut self, id: u64) -> Option<T> {
        let slot = self.index.remove(id)?;
        self.free.push(slot);
        match core::mem::replace(&mut self.slots[slot as usize], Slot::Empty) {
            Slot::Used(value) => Some(value),
            _ => None,
        }
    }

    /// Removes the value but keeps it as a husk for the next insert.
    pub(crate) fn release(&mut self, id: u64) {
        let Some(slot) = self.index.remove(id) else { return };
        self.free.push(slot);
        let entry = &mut self.slots[slot as usize];
        if let Slot::Used(value) = core::mem::replace(entry, Slot::Empty) {
            *entry = Slot::Husk(value);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::collections::BTreeMap;

    #[test]
    fn the_largest_id_is_simply_absent() {
        // Never handed out, but a caller may ask (found by `dispatch_ops`).
        let mut slab = IdSlab::default();
        slab.insert(7, 'x');
        assert_eq!(slab.get(u64::MAX), None);
        assert_eq!(slab.remove(u64::MAX), None);
        assert_eq!(slab.get(7), Some(&'x'));
    }

    #[test]
    fn the_slab_agrees_with_a_map_through_inserts_and_removals() {
        let mut slab = IdSlab::default();
        let mut model = BTreeMap::new();
        let mut next = 0u64;
        // A long-lived id among many short-lived ones, removals out of order.
        let mut state = 0x2545_F491_4F6C_DD1Du64;
        for round in 0..20_000u64 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            if state % 3 != 0 || model.is_empty() {
                slab.insert(next, round);
                model.insert(next, round);
                next += 1;
            } else {
                let victim = *model.keys().nth((state as usize / 3) % model.len()).unwrap();
                assert_eq!(slab.remove(victim), model.remove(&victim));
            }
            if round % 997 == 0 {
                for (id, value) in &model {
                    assert_eq!(slab.get(*id), Some(value));
                }
                assert_eq!(slab.get(next + 5), None);
            }
            assert_eq!(slab.len(), model.len());
        }
        for (id, value) in &model {
            assert_eq!(slab.get(*id), Some(value));
        }
    }

    #[test]
    fn slots_are_reused_so_memory_follows_the_peak_not_the_total() {
        let mut slab = IdSlab::default();
        for id in 0..100_000u64 {
            slab.insert(id, id);
            if id >= 16 {
                assert_eq!(slab.remove(id - 16), Some(id - 16));
            }
        }
        assert_eq!(slab.len(), 16);
        assert!(slab.slots.len() <= 17, "{} slots for at most 17 alive", slab.slots.len());
        // Released values are reused as husks.
        let mut slab: IdSlab<alloc::vec::Vec<u8>> = IdSlab::default();
        slab.insert(1, alloc::vec::Vec::with_capacity(64));
        slab.release(1);
        slab.insert_with(2, |husk| {
            let mut v = husk.expect("the husk of the released value");
            assert!(v.capacity() >= 64);
            v.clear();
            v
        });
        assert!(slab.get(1).is_none() && slab.get(2).is_some());
        assert!(slab.index.buckets.len() <= 64, "{} buckets", slab.index.buckets.len());
    }
}
