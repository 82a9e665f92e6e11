//! Submissions waiting for room in a full origin queue, in line per origin
//! (`docs/DESIGN.md` P1, P5: nothing overtakes a waiting request).

use super::WaiterId;
use crate::origin::{Origin, OriginRef};
use crate::{Duration, Instant};
use alloc::collections::VecDeque;
use alloc::vec::Vec;

/// One place in line.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Waiter {
    pub(crate) id: WaiterId,
    /// When the caller first tried to submit: a request deadline counts from
    /// here.
    pub(crate) since: Instant,
    /// Told it may submit.
    pub(crate) notified: bool,
}

/// The lines, one per origin with waiters. Each holds only ids and times;
/// the waiting callers hold their requests.
#[derive(Debug, Default)]
pub(crate) struct Waiters {
    lines: Vec<(Origin, VecDeque<Waiter>)>,
    next: u64,
}

impl Waiters {
    pub(crate) fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    /// Whether anyone waits for `origin`.
    pub(crate) fn any_for(&self, origin: OriginRef<'_>) -> bool {
        self.lines.iter().any(|(o, _)| origin.is(o))
    }

    /// A new place at the end of `origin`'s line.
    pub(crate) fn join(&mut self, origin: OriginRef<'_>, since: Instant) -> WaiterId {
        let id = WaiterId::new(self.next);
        self.next += 1;
        let waiter = Waiter { id, since, notified: false };
        match self.lines.iter_mut().find(|(o, _)| origin.is(o)) {
            Some((_, line)) => line.push_back(waiter),
            None => self.lines.push((origin.to_owned(), VecDeque::from([waiter]))),
        }
        id
    }

    /// The waiter, if it is first in its line.
    pub(crate) fn first(&self, id: WaiterId) -> Option<(&Origin, Waiter)> {
        self.lines.iter().find_map(|(o, line)| line.front().filter(|w| w.id == id).map(|w| (o, *w)))
    }

    /// The waiter was told there is room, but there is none: it is told
    /// again when there is.
    pub(crate) fn told_too_early(&mut self, id: WaiterId) {
        for (_, line) in &mut self.lines {
            if let Some(waiter) = line.iter_mut().find(|w| w.id == id) {
                waiter.notified = false;
            }
        }
    }

    /// Takes a waiter out of its line, wherever it is.
    pub(crate) fn leave(&mut self, id: WaiterId) -> Option<Waiter> {
        let (at, pos) = self
            .lines
            .iter()
            .enumerate()
            .find_map(|(at, (_, line))| line.iter().position(|w| w.id == id).map(|pos| (at, pos)))?;
        let waiter = self.lines[at].1.remove(pos);
        if self.lines[at].1.is_empty() {
            self.lines.swap_remove(at);
        }
        waiter
    }

    /// Marks the first waiter of each line `has_room` says may go, and
    /// returns them.
    pub(crate) fn wake_first(&mut self, mut has_room: impl FnMut(&Origin) -> bool) -> Vec<WaiterId> {
        let mut woken = Vec::new();
        for (origin, line) in &mut self.lines {
            if let Some(first) = line.front_mut() {
                if !first.notified && has_room(origin) {
                    first.notified = true;
                    woken.push(first.id);
                }
            }
        }
        woken
    }

    /// Every waiter, marked notified (the dispatcher is shutting down).
    pub(crate) fn wake_all(&mut self) -> Vec<WaiterId> {
        let mut woken = Vec::new();
        for (_, line) in &mut self.lines {
            for waiter in line.iter_mut().filter(|w| !w.notified) {
                waiter.notified = true;
                woken.push(waiter.id);
            }
        }
        woken
    }

    /// The earliest instant a waiter's request deadline passes, given the
    /// request timeout: the first of each line is its earliest.
    pub(crate) fn next_deadline(&self, timeout: Duration) -> Option<Instant> {
        self.lines.iter().filter_map(|(_, line)| line.front()).map(|w| w.since + timeout).min()
    }

    /// Waiters whose deadline passed by `now`, taken out of line.
    pub(crate) fn expire(&mut self, now: Instant, timeout: Duration) -> Vec<WaiterId> {
        let mut expired = Vec::new();
        for (_, line) in &mut self.lines {
            while line.front().is_some_and(|w| w.since + timeout <= now) {
                if let Some(w) = line.pop_front() {
                    expired.push(w.id);
                }
            }
        }
        self.lines.retain(|(_, line)| !line.is_empty());
        expired
    }

    /// How many wait, over all origins.
    pub(crate) fn len(&self) -> usize {
        self.lines.iter().map(|(_, line)| line.len()).sum()
    }
}
