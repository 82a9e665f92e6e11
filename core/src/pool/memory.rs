//! What the pool remembers per origin: capability, breaks and demotion
//! (`docs/DESIGN.md` P6), the request budget (P11), and the server's idle
//! timeout as its idle closes taught it (P6).

use crate::pipeline::Capability;
use crate::{Duration, Instant};
use alloc::collections::VecDeque;

/// How many server closes the budget is learnt over.
const CLOSES_KEPT: usize = 3;

/// Per-origin memory, fed by connection outcomes and read when a new
/// connection opens. All time comes from the caller's clock.
#[derive(Clone, Debug)]
pub(crate) struct OriginMemory {
    /// What the first responses taught (HTTP/1.1 persistent or not).
    learned: Capability,
    /// Times of recent pipeline breaks, at most one per instant.
    breaks: VecDeque<Instant>,
    demoted_until: Option<Instant>,
    /// Responses served before each recent server close, and when.
    closes: VecDeque<(u64, Instant)>,
    /// The shortest idle time after which the server closed one of the
    /// origin's connections, and when it last did.
    idle_close: Option<(Duration, Instant)>,
}

impl OriginMemory {
    pub(crate) fn new() -> Self {
        OriginMemory {
            learned: Capability::Unknown,
            breaks: VecDeque::new(),
            demoted_until: None,
            closes: VecDeque::new(),
            idle_close: None,
        }
    }

    /// The capability a new connection starts with.
    pub(crate) fn capability(&self, now: Instant) -> Capability {
        match self.demoted_until {
            Some(until) if now < until => Capability::OneAtATime,
            _ => self.learned,
        }
    }

    /// When a demotion ends, the origin is probed again (P6).
    pub(crate) fn refresh(&mut self, now: Instant) -> bool {
        if self.demoted_until.is_some_and(|until| now >= until) {
            self.demoted_until = None;
            self.learned = Capability::Unknown;
            self.breaks.clear();
            return true;
        }
        false
    }

    pub(crate) fn demoted_until(&self) -> Option<Instant> {
        self.demoted_until
    }

    /// Records what a connection learnt; whether the memory changed.
    pub(crate) fn record_capability(&mut self, capability: Capability) -> bool {
        let changed = capability != Capability::Unknown && capability != self.learned;
        if changed {
            self.learned = capability;
        }
        changed
    }

    /// Records a pipeline break; returns the end of a new demotion when this
    /// is the second break within `window`.
    pub(crate) fn record_break(&mut self, now: Instant, window: Duration, demotion: Duration) -> Option<Instant> {
        if self.breaks.back() == Some(&now) {
            return None;
        }
        self.breaks.push_back(now);
        while self.breaks.front().is_some_and(|&t| now.saturating_duration_since(t) > window) {
            self.breaks.pop_front();
        }
        while self.breaks.len() > 2 {
            self.breaks.pop_front();
        }
        if self.breaks.len() >= 2 && self.demoted_until.is_none_or(|until| until <= now) {
            let until = now + demotion;
            self.demoted_until = Some(until);
            return Some(until);
        }
        None
    }

    /// Whether anything learned still holds at `now`: a capability, a
    /// demotion or recent break, or a request budget. An idle origin without
    /// any is dropped at once.
    pub(crate) fn holds_lessons(&self, now: Instant, budget_memory: Duration) -> bool {
        self.learned != Capability::Unknown
            || self.demoted_until.is_some_and(|until| now < until)
            || !self.breaks.is_empty()
            || self.budget(now, budget_memory).is_some()
            || self.idle_limit(now, budget_memory).is_some()
    }

    pub(crate) fn breaks_within(&self, now: Instant, window: Duration) -> usize {
        self.breaks.iter().filter(|&&t| now.saturating_duration_since(t) <= window).count()
    }

    /// A server close after `responses` responses on one connection;
    /// returns the budget when it changed.
    pub(crate) fn record_server_close(&mut self, now: Instant, responses: u64, memory: Duration) -> Option<u64> {
        let before = self.budget(now, memory);
        self.closes.push_back((responses.max(1), now));
        while self.closes.len() > CLOSES_KEPT {
            self.closes.pop_front();
        }
        let after = self.budget(now, memory);
        if after != before { after } else { None }
    }

    /// The server closed a connection that had idled for `after`; returns
    /// the idle timeout now assumed when it got shorter.
    pub(crate) fn record_idle_close(&mut self, now: Instant, after: Duration, memory: Duration) -> Option<Duration> {
        match self.idle_limit(now, memory) {
            Some(known) if known <= after => {
                // The same lesson again: it holds longer.
                self.idle_close = Some((known, now));
                None
            }
            _ => {
                self.idle_close = Some((after, now));
                Some(after)
            }
        }
    }

    /// How long the server keeps an idle connection, as its idle closes
    /// within `memory` taught.
    pub(crate) fn idle_limit(&self, now: Instant, memory: Duration) -> Option<Duration> {
        self.idle_close.filter(|(_, at)| now.saturating_duration_since(*at) < memory).map(|(d, _)| d)
    }

    /// The request budget for a new connection: the fewest responses a
    /// connection served before a server close, over the last three closes
    /// still within `memory` (P11).
    pub(crate) fn budget(&self, now: Instant, memory: Duration) -> Option<u64> {
        self.closes.iter().filter(|(_, at)| now.saturating_duration_since(*at) < memory).map(|(n, _)| *n).min()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const WINDOW: Duration = Duration::from_secs(60);
    const DEMOTION: Duration = Duration::from_secs(300);

    #[test]
    fn two_breaks_within_the_window_demote_then_the_origin_is_probed_again() {
        let mut m = OriginMemory::new();
        m.record_capability(Capability::Pipelining);
        let t0 = Instant::from_millis(1_000);
        assert_eq!(m.record_break(t0, WINDOW, DEMOTION), None);
        // At most one break per instant.
        assert_eq!(m.record_break(t0, WINDOW, DEMOTION), None);
        let t1 = t0 + Duration::from_secs(30);
        assert_eq!(m.record_break(t1, WINDOW, DEMOTION), Some(t1 + DEMOTION));
        assert_eq!(m.capability(t1), Capability::OneAtATime);
        let after = t1 + DEMOTION;
        assert!(m.refresh(after));
        assert_eq!(m.capability(after), Capability::Unknown);
    }

    #[test]
    fn breaks_further_apart_than_the_window_do_not_demote() {
        let mut m = OriginMemory::new();
        let t0 = Instant::from_millis(1);
        assert_eq!(m.record_break(t0, WINDOW, DEMOTION), None);
        assert_eq!(m.record_break(t0 + Duration::from_secs(61), WINDOW, DEMOTION), None);
    }

    #[test]
    fn budget_is_the_minimum_of_the_last_three_closes_and_expires() {
        let mut m = OriginMemory::new();
        let t = Instant::from_millis(1);
        assert_eq!(m.record_server_close(t, 2, DEMOTION), Some(2));
        assert_eq!(m.record_server_close(t, 5, DEMOTION), None, "the budget did not change");
        for n in [7, 9] {
            m.record_server_close(t, n, DEMOTION);
        }
        assert_eq!(m.budget(t, DEMOTION), Some(5));
        assert_eq!(m.budget(t + DEMOTION, DEMOTION), None);
        m.record_server_close(t, 0, DEMOTION);
        assert_eq!(m.budget(t, DEMOTION), Some(1), "a budget is never zero");
    }

    #[test]
    fn the_shortest_idle_close_is_kept_until_it_expires() {
        let mut m = OriginMemory::new();
        let t = Instant::from_millis(1);
        let ms = Duration::from_millis;
        assert_eq!(m.record_idle_close(t, ms(800), DEMOTION), Some(ms(800)));
        assert_eq!(m.record_idle_close(t, ms(900), DEMOTION), None, "a longer idle close teaches nothing new");
        assert_eq!(m.record_idle_close(t, ms(500), DEMOTION), Some(ms(500)));
        assert_eq!(m.idle_limit(t, DEMOTION), Some(ms(500)));
        assert!(m.holds_lessons(t, DEMOTION));
        assert_eq!(m.idle_limit(t + DEMOTION, DEMOTION), None);
    }
}
