//! The pool's origins: interned once into a cheap id, and forgotten when
//! nothing of them is left (`docs/DESIGN.md` Defaults: what an origin taught
//! is forgotten 10 minutes after its last connection closed, and at most
//! 10,000 origins are remembered, least recently used first out).

use super::ConnectionId;
use super::memory::OriginMemory;
use crate::Instant;
use crate::origin::{Origin, OriginRef};
use crate::pipeline::{Codec, RequestId};
use crate::sorted::{SortedMap, SortedSet};
use alloc::boxed::Box;
use alloc::collections::VecDeque;
use alloc::vec::Vec;
use core::fmt;

/// An origin the pool knows: a copy of a number instead of two strings.
/// Never reused: an origin forgotten and met again gets a new id.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct OriginId(u64);

impl OriginId {
    fn new(slot: u32, generation: u32) -> Self {
        OriginId((u64::from(generation) << 32) | u64::from(slot))
    }

    fn slot(self) -> usize {
        (self.0 & 0xffff_ffff) as usize
    }

    /// The id whose [`get`](Self::get) is `raw`.
    pub const fn from_raw(raw: u64) -> Self {
        OriginId(raw)
    }

    /// The id as a number, for a boundary that cannot carry the type.
    pub const fn get(self) -> u64 {
        self.0
    }
}

impl fmt::Debug for OriginId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "origin{}.{}", self.0 & 0xffff_ffff, self.0 >> 32)
    }
}

/// Everything the pool keeps for one origin.
pub(crate) struct OriginEntry<C: Codec> {
    pub(crate) id: OriginId,
    pub(crate) origin: Origin,
    pub(crate) memory: OriginMemory,
    /// Requests waiting for a connection, in submission order.
    pub(crate) queue: VecDeque<RequestId>,
    /// Requests stuck behind a slow head that want a rescue copy on another
    /// connection (P13), oldest first. Entries whose request no longer wants
    /// one are skipped; at most `depth × connections` are kept.
    pub(crate) rescues: VecDeque<RequestId>,
    pub(crate) open: Vec<ConnectionId>,
    pub(crate) connecting: usize,
    pub(crate) failed_connects: u32,
    /// A connection failed: the next replayed request goes out alone.
    pub(crate) replay_alone: bool,
    /// A codec kept to validate requests and judge idempotency.
    pub(crate) validator: C,
    /// Wire correlation ids in use by the origin's unfinished requests:
    /// handed out in turn and mostly released in the order taken, so they
    /// join at the back of the set and leave from its front.
    pub(crate) correlations: SortedSet<u32>,
    pub(crate) next_correlation: u32,
    /// When its memory is forgotten, once it is idle (nothing queued, no
    /// connection): armed in the pool's timers.
    pub(crate) forget_at: Option<Instant>,
    /// When the last of its connections closed.
    pub(crate) last_closed: Option<Instant>,
    /// The instant its entry in the pool's timers is armed at (the earlier
    /// of `forget_at` and the end of a demotion).
    pub(crate) armed: Option<Instant>,
    /// Recency for least-recently-used forgetting.
    pub(crate) used: u64,
}

impl<C: Codec> OriginEntry<C> {
    /// Nothing queued and no connection open or being opened.
    pub(crate) fn is_idle(&self) -> bool {
        self.queue.is_empty() && self.open.is_empty() && self.connecting == 0
    }
}

/// The canonical key of an origin: `scheme://host:port`, lowercase, so a
/// lookup from borrowed parts needs no allocation beyond a stack buffer.
fn write_key(origin: OriginRef<'_>, out: &mut KeyBuf) {
    out.extend(origin.scheme().as_bytes());
    out.extend(b"://");
    out.extend(origin.host().as_bytes());
    out.make_ascii_lowercase();
    out.extend(b":");
    let mut digits = [0u8; 5];
    let mut port = origin.port();
    let mut at = digits.len();
    loop {
        at -= 1;
        digits[at] = b'0' + (port % 10) as u8;
        port /= 10;
        if port == 0 {
            break;
        }
    }
    out.extend(&digits[at..]);
}

/// A key built on the stack for the usual origin, on the heap beyond.
struct KeyBuf {
    inline: [u8; 128],
    len: usize,
    heap: Vec<u8>,
}

impl KeyBuf {
    fn new() -> Self {
        KeyBuf { inline: [0; 128], len: 0, heap: Vec::new() }
    }

    fn extend(&mut self, bytes: &[u8]) {
        let end = self.len + bytes.len();
        if self.heap.is_empty() && end <= self.inline.len() {
            self.inline[self.len..end].copy_from_slice(bytes);
            self.len = end;
        } else {
            if self.heap.is_empty() {
                self.heap.extend_from_slice(&self.inline[..self.len]);
            }
            self.heap.extend_from_slice(bytes);
        }
    }

    fn make_ascii_lowercase(&mut self) {
        if self.heap.is_empty() {
            self.inline[..self.len].make_ascii_lowercase();
        } else {
            self.heap.make_ascii_lowercase();
        }
    }

    fn as_slice(&self) -> &[u8] {
        if self.heap.is_empty() { &self.inline[..self.len] } else { &self.heap }
    }
}

/// The origins, interned: a slab of entries, a key index, and the idle ones
/// in order of use for forgetting the least recently used.
pub(crate) struct OriginTable<C: Codec> {
    slots: Vec<Slot<C>>,
    free: Vec<u32>,
    /// Found by binary search; adding or forgetting an origin moves up to
    /// half the keys, O(n) for the n origins remembered (at most
    /// `max_origins` idle ones plus those in use): once per origin met or
    /// forgotten, never per request.
    by_key: SortedMap<Box<[u8]>, u32>,
    /// Idle origins that are remembered, by recency: one going idle joins
    /// near the back, the least recently used leaves from the front, one
    /// used again leaves from where it is (O(n) moves at worst).
    idle: SortedSet<(u64, u32)>,
    clock: u64,
    /// The origin found last: most requests go where the one before went,
    /// and comparing with it costs less than building a key.
    last_found: core::cell::Cell<Option<OriginId>>,
}

struct Slot<C: Codec> {
    generation: u32,
    entry: Option<OriginEntry<C>>,
}

impl<C: Codec> OriginTable<C> {
    pub(crate) fn new() -> Self {
        OriginTable {
            slots: Vec::new(),
            free: Vec::new(),
            by_key: SortedMap::new(),
            idle: SortedSet::new(),
            clock: 0,
            last_found: core::cell::Cell::new(None),
        }
    }

    /// The id of a known origin.
    pub(crate) fn find(&self, origin: OriginRef<'_>) -> Option<OriginId> {
        if let Some(last) = self.last_found.get() {
            if self.get(last).is_some_and(|entry| origin.is(&entry.origin)) {
                return Some(last);
            }
        }
        let found = self.find_by_key(origin);
        if found.is_some() {
            self.last_found.set(found);
        }
        found
    }

    fn find_by_key(&self, origin: OriginRef<'_>) -> Option<OriginId> {
        let mut key = KeyBuf::new();
        write_key(origin, &mut key);
        let slot = *self.by_key.get(key.as_slice())?;
        self.slots[slot as usize].entry.as_ref().map(|e| e.id)
    }

    /// Adds an origin not known yet.
    pub(crate) fn insert(&mut self, origin: Origin, validator: C) -> OriginId {
        let mut key = KeyBuf::new();
        write_key(origin.borrowed(), &mut key);
        let slot = match self.free.pop() {
            Some(slot) => slot,
            None => {
                self.slots.push(Slot { generation: 0, entry: None });
                (self.slots.len() - 1) as u32
            }
        };
        let generation = self.slots[slot as usize].generation;
        let id = OriginId::new(slot, generation);
        self.clock += 1;
        self.slots[slot as usize].entry = Some(OriginEntry {
            id,
            origin,
            memory: OriginMemory::new(),
            queue: VecDeque::new(),
            rescues: VecDeque::new(),
            open: Vec::new(),
            connecting: 0,
            failed_connects: 0,
            replay_alone: false,
            validator,
            correlations: SortedSet::new(),
            next_correlation: 0,
            forget_at: None,
            last_closed: None,
            armed: None,
            used: self.clock,
        });
        self.by_key.insert(Box::from(key.as_slice()), slot);
        id
    }

    pub(crate) fn get(&self, id: OriginId) -> Option<&OriginEntry<C>> {
        self.slots.get(id.slot())?.entry.as_ref().filter(|e| e.id == id)
    }

    pub(crate) fn get_mut(&mut self, id: OriginId) -> Option<&mut OriginEntry<C>> {
        self.slots.get_mut(id.slot())?.entry.as_mut().filter(|e| e.id == id)
    }

    /// Marks an origin used now: it leaves the idle set until it is idle
    /// again.
    pub(crate) fn touch(&mut self, id: OriginId) {
        self.clock += 1;
        let clock = self.clock;
        let Some(entry) = self.slots.get_mut(id.slot()).and_then(|s| s.entry.as_mut()).filter(|e| e.id == id) else {
            return;
        };
        self.idle.remove(&(entry.used, id.slot() as u32));
        entry.used = clock;
    }

    /// Records that an origin is idle and remembered.
    pub(crate) fn mark_idle(&mut self, id: OriginId) {
        if let Some(entry) = self.get(id) {
            self.idle.insert((entry.used, id.slot() as u32));
        }
    }

    /// The least recently used idle origin, while more than `limit` idle
    /// origins are remembered.
    pub(crate) fn over_limit(&self, limit: usize) -> Option<OriginId> {
        if self.idle.len() <= limit {
            return None;
        }
        let &(_, slot) = self.idle.first()?;
        self.slots[slot as usize].entry.as_ref().map(|e| e.id)
    }

    /// Forgets an origin entirely.
    pub(crate) fn remove(&mut self, id: OriginId) -> Option<OriginEntry<C>> {
        let slot = self.slots.get_mut(id.slot())?;
        if slot.entry.as_ref().is_none_or(|e| e.id != id) {
            return None;
        }
        let entry = slot.entry.take()?;
        slot.generation = slot.generation.wrapping_add(1);
        self.idle.remove(&(entry.used, id.slot() as u32));
        let mut key = KeyBuf::new();
        write_key(entry.origin.borrowed(), &mut key);
        self.by_key.remove(key.as_slice());
        self.free.push(id.slot() as u32);
        Some(entry)
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = &OriginEntry<C>> {
        self.slots.iter().filter_map(|s| s.entry.as_ref())
    }

    pub(crate) fn ids(&self) -> Vec<OriginId> {
        self.iter().map(|e| e.id).collect()
    }

    /// Origins known (active or remembered).
    pub(crate) fn len(&self) -> usize {
        self.by_key.len()
    }
}
