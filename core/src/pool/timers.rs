//! Every deadline of a pool in one ordered table, so finding the next one
//! and firing the due ones cost the same however many origins, connections
//! and requests the pool holds (`docs/DESIGN.md` P10).
//!
//! The table is a [`SortedSet`]: the next deadline and the due ones come
//! off the front in O(1); arming or disarming one is a binary search plus
//! the entries it moves on its shorter side. Deadlines are armed at now
//! plus a timeout, so most join near the back, and most end (fire, or are
//! disarmed as their requests finish) near the front: O(1) moves. One in
//! the middle of n armed deadlines moves at most n/2 entries.

use super::{ConnectionId, OriginId};
use crate::Instant;
use crate::pipeline::RequestId;
use crate::sorted::SortedSet;

/// What a deadline belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum TimerKey {
    /// A connect under way: its connect timeout.
    Connect(ConnectionId),
    /// An open connection: the earliest of its own timers (stall, idle).
    Connection(ConnectionId),
    /// A request's deadline, wherever the request is.
    Deadline(RequestId),
    /// An origin: the end of a demotion, or when its memory is forgotten.
    Origin(OriginId),
}

/// The armed deadlines, each once. Owners remember the instant they armed so
/// they can disarm it; a connection re-arms only when its deadline moves
/// earlier, and is re-armed when a deadline that proved early fires (its
/// stall timer restarts on every read: re-keying each time would cost more
/// than the rare spurious wake-up).
#[derive(Debug, Default)]
pub(crate) struct Timers {
    armed: SortedSet<(Instant, TimerKey)>,
    /// Entries `next` has looked at, for the tests that show finding the
    /// next deadline does not walk the origins.
    #[cfg(feature = "fuzzing")]
    looked_at: core::cell::Cell<u64>,
}

impl Timers {
    pub(crate) fn arm(&mut self, at: Instant, key: TimerKey) {
        self.armed.insert((at, key));
    }

    pub(crate) fn disarm(&mut self, at: Instant, key: TimerKey) {
        self.armed.remove(&(at, key));
    }

    /// Moves `key` from `old` (if armed) to `new` (if any).
    pub(crate) fn rearm(&mut self, old: Option<Instant>, new: Option<Instant>, key: TimerKey) {
        if old == new {
            return;
        }
        if let Some(old) = old {
            self.disarm(old, key);
        }
        if let Some(new) = new {
            self.arm(new, key);
        }
    }

    /// The earliest deadline.
    pub(crate) fn next(&self) -> Option<Instant> {
        let first = self.armed.first();
        #[cfg(feature = "fuzzing")]
        self.looked_at.set(self.looked_at.get() + u64::from(first.is_some()));
        first.map(|&(at, _)| at)
    }

    /// Entries [`next`](Self::next) has looked at so far.
    #[cfg(feature = "fuzzing")]
    pub(crate) fn looked_at(&self) -> u64 {
        self.looked_at.get()
    }

    /// Takes the earliest deadline if it is due at `now`.
    pub(crate) fn pop_due(&mut self, now: Instant) -> Option<(Instant, TimerKey)> {
        match self.armed.first() {
            Some(&(at, _)) if at <= now => self.armed.pop_first(),
            _ => None,
        }
    }

    /// How many deadlines are armed.
    pub(crate) fn len(&self) -> usize {
        self.armed.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn due_deadlines_come_out_in_order_and_once() {
        let mut timers = Timers::default();
        let t = |ms| Instant::from_millis(ms);
        timers.arm(t(30), TimerKey::Connection(ConnectionId::from_raw(1)));
        timers.arm(t(10), TimerKey::Deadline(RequestId::from_raw(7)));
        timers.rearm(Some(t(30)), Some(t(20)), TimerKey::Connection(ConnectionId::from_raw(1)));
        assert_eq!(timers.len(), 2);
        assert_eq!(timers.next(), Some(t(10)));
        assert_eq!(timers.pop_due(t(5)), None);
        assert_eq!(timers.pop_due(t(25)), Some((t(10), TimerKey::Deadline(RequestId::from_raw(7)))));
        assert_eq!(timers.pop_due(t(25)), Some((t(20), TimerKey::Connection(ConnectionId::from_raw(1)))));
        assert_eq!(timers.pop_due(t(25)), None);
        assert_eq!(timers.len(), 0);
    }
}
