//! What a test server counts.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How much earlier than the server saw it a connection's end may have
/// been decided by the client, for [`Stats::max_open`].
pub const CLOSE_GRACE: Duration = Duration::from_millis(30);

/// One connection as the server saw it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ConnStats {
    /// Requests read off the connection.
    pub received: usize,
    /// Requests the server acted on (its handler or script ran).
    pub handled: usize,
    /// Requests fully answered.
    pub answered: usize,
    /// The most requests received and not yet answered at any moment: the
    /// pipeline depth the server saw.
    pub max_unanswered: usize,
    /// The connection has ended (the server closed or reset it, or read
    /// its end).
    pub closed: bool,
    /// When it was accepted.
    pub opened_at: Option<Instant>,
    /// When it ended.
    pub closed_at: Option<Instant>,
    /// The request-targets read off the connection, in the order they
    /// arrived (the order the client wrote them in).
    pub targets: Vec<String>,
}

/// Everything a test server counted so far.
#[derive(Clone, Debug, Default)]
pub struct Stats {
    /// Connections, in the order they were accepted.
    pub conns: Vec<ConnStats>,
    /// The most connections open at once, a connection counting as closed
    /// from [`CLOSE_GRACE`] before the server saw it end (a client may
    /// open the next connection an instant before its socket closing the
    /// last reaches the server).
    pub max_open: usize,
    /// Requests read off the wire per (method, target), whatever happened
    /// to them next.
    pub received: HashMap<(String, String), usize>,
    /// Requests the server acted on per (method, target): the count that
    /// says whether a POST was processed more than once.
    pub handled: HashMap<(String, String), usize>,
}

impl Stats {
    /// Connections accepted.
    pub fn connections(&self) -> usize {
        self.conns.len()
    }

    /// The deepest pipeline seen on any connection.
    pub fn max_unanswered(&self) -> usize {
        self.conns.iter().map(|c| c.max_unanswered).max().unwrap_or(0)
    }

    /// How often `method target` was read off the wire.
    pub fn received(&self, method: &str, target: &str) -> usize {
        self.received.get(&(method.to_owned(), target.to_owned())).copied().unwrap_or(0)
    }

    /// How often `method target` was acted on.
    pub fn handled(&self, method: &str, target: &str) -> usize {
        self.handled.get(&(method.to_owned(), target.to_owned())).copied().unwrap_or(0)
    }

    /// Requests read off the wire in all.
    pub fn total_received(&self) -> usize {
        self.received.values().sum()
    }
}

/// The counters shared between a server's tasks and the test.
#[derive(Clone, Debug, Default)]
pub(crate) struct Counter(Arc<Mutex<Stats>>);

impl Counter {
    fn with<R>(&self, f: impl FnOnce(&mut Stats) -> R) -> R {
        let mut stats = self.0.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut stats)
    }

    pub(crate) fn snapshot(&self) -> Stats {
        let mut stats = self.with(|s| s.clone());
        // At each accept, count the connections still open well after it.
        stats.max_open = stats
            .conns
            .iter()
            .filter_map(|c| c.opened_at)
            .map(|at| {
                stats
                    .conns
                    .iter()
                    .filter(|c| c.opened_at.is_some_and(|o| o <= at))
                    .filter(|c| c.closed_at.is_none_or(|closed| closed > at + CLOSE_GRACE))
                    .count()
            })
            .max()
            .unwrap_or(0);
        stats
    }

    /// A connection was accepted; returns its number.
    pub(crate) fn opened(&self) -> usize {
        self.with(|s| {
            s.conns.push(ConnStats { opened_at: Some(Instant::now()), ..ConnStats::default() });
            s.conns.len() - 1
        })
    }

    /// The connection ended (or the server began to close it).
    pub(crate) fn closed(&self, conn: usize) {
        self.with(|s| {
            let c = &mut s.conns[conn];
            if !c.closed {
                c.closed = true;
                c.closed_at = Some(Instant::now());
            }
        });
    }

    pub(crate) fn received(&self, conn: usize, method: &str, target: &str) {
        self.with(|s| {
            let c = &mut s.conns[conn];
            c.received += 1;
            c.max_unanswered = c.max_unanswered.max(c.received - c.answered);
            c.targets.push(target.to_owned());
            *s.received.entry((method.to_owned(), target.to_owned())).or_default() += 1;
        });
    }

    pub(crate) fn handled(&self, conn: usize, method: &str, target: &str) {
        self.with(|s| {
            s.conns[conn].handled += 1;
            *s.handled.entry((method.to_owned(), target.to_owned())).or_default() += 1;
        });
    }

    pub(crate) fn answered(&self, conn: usize) {
        self.with(|s| s.conns[conn].answered += 1);
    }
}

/// Closes a connection's count when dropped, however its task ends.
pub(crate) struct ConnGuard {
    pub(crate) counter: Counter,
    pub(crate) conn: usize,
}

impl Drop for ConnGuard {
    fn drop(&mut self) {
        self.counter.closed(self.conn);
    }
}
