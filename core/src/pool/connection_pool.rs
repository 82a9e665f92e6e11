//! The pool state machine: origins, their connections, scheduling, replay
//! routing, capability memory and request budgets.

use super::event::{PoolEvent, PoolFailure};
use super::memory::OriginMemory;
use super::{Origin, PoolConfig};
use crate::pipeline::{
    Capability, Cause, CloseReason, Closed, Codec, Config, Connection, CorrelationId, Event, Failure, Idempotency,
    Matching, NonIdempotentPolicy, Progress, RequestId, RequestOptions, Retry, SubmitError,
};
use crate::{ErrorKind, Instant};
use alloc::collections::{BTreeMap, BTreeSet, VecDeque};
use alloc::vec::Vec;
use core::fmt;

/// Makes the codec for each new connection to an origin.
pub trait CodecFactory {
    /// The codec made.
    type Codec: Codec;

    /// A codec for a connection to `origin`.
    fn codec_for(&mut self, origin: &Origin) -> Self::Codec;
}

/// Identifies one connection of a pool; never reused.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ConnectionId(pub u64);

impl fmt::Debug for ConnectionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "conn{}", self.0)
    }
}

/// A request being re-routed more often than this without spending a try
/// (moves are free) fails: only a pathological server gets here.
const MAX_MOVES: u32 = 64;

/// What the pool knows of an origin, for inspection (the CLI's
/// `--verbose`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct OriginStatus {
    /// What new connections start with.
    pub capability: Capability,
    /// The end of a demotion in force.
    pub demoted_until: Option<Instant>,
    /// Pipeline breaks within the break window.
    pub recent_breaks: usize,
    /// The learnt request budget per connection.
    pub budget: Option<u64>,
    /// Consecutive failed connects.
    pub failed_connects: u32,
    /// Open connections.
    pub open: usize,
    /// Connects under way.
    pub connecting: usize,
    /// Requests waiting in the pool for a connection.
    pub queued: usize,
}

struct Waiting<C: Codec> {
    id: RequestId,
    request: C::Request,
    options: RequestOptions,
}

struct Tracked {
    origin: Origin,
    /// The options it was submitted with, kept for replays.
    options: RequestOptions,
    /// The connection it is on, if any.
    on: Option<ConnectionId>,
    tries: Vec<CloseReason>,
    attempts: u32,
    moves: u32,
    /// It was handed back after a loss (for "the first replay goes alone").
    replayed: bool,
    /// Its wire correlation id, allocated per origin and kept across
    /// replays (correlation-id codecs only).
    correlation: Option<CorrelationId>,
}

struct OriginEntry<C: Codec> {
    memory: OriginMemory,
    queue: VecDeque<Waiting<C>>,
    open: Vec<ConnectionId>,
    connecting: usize,
    failed_connects: u32,
    /// A connection failed: the next replayed request goes out alone.
    replay_alone: bool,
    /// A codec kept to validate requests and judge idempotency.
    validator: C,
    /// Wire correlation ids in use by the origin's unfinished requests.
    correlations: BTreeSet<u32>,
    next_correlation: u32,
}

// Most slots are open connections; boxing them would only add an indirection.
#[allow(clippy::large_enum_variant)]
enum Slot<C: Codec> {
    Connecting { origin: Origin, deadline: Option<Instant> },
    Open { origin: Origin, connection: Connection<C> },
}

/// A sans-IO pool of pipelined connections, keyed by origin.
///
/// The same shape as [`Connection`]: getters, `handle_*` inputs (now with
/// the [`ConnectionId`] they concern), commands, and `poll_*` outputs
/// drained after every input in the order [`poll_transmit`](Self::poll_transmit),
/// [`poll_timeout`](Self::poll_timeout), [`poll_event`](Self::poll_event).
/// Driver decisions come out as events: [`PoolEvent::Connect`] (answer with
/// [`handle_connected`](Self::handle_connected) or
/// [`handle_connect_failed`](Self::handle_connect_failed)) and
/// [`PoolEvent::Close`].
///
/// Per origin it keeps at most `connections` connections and `depth`
/// requests in flight on each (P1, P11); writes requests in submission order
/// (P5); hands requests lost with a connection to another one ahead of newer
/// requests, spending tries per P7/P8; remembers which origins pipeline,
/// demotes those that break (P6) and learns request budgets (P11). Every
/// submitted request ends in exactly one terminal event (P12).
pub struct Pool<F: CodecFactory> {
    factory: F,
    config: PoolConfig,
    origins: BTreeMap<Origin, OriginEntry<F::Codec>>,
    slots: BTreeMap<ConnectionId, Slot<F::Codec>>,
    requests: BTreeMap<RequestId, Tracked>,
    events: VecDeque<PoolEvent<F::Codec>>,
    next_request: u64,
    next_connection: u64,
    /// Where the round-robin of `poll_transmit` resumes.
    transmit_cursor: u64,
    /// Connection ids, reused by `poll_transmit`.
    scratch_ids: Vec<ConnectionId>,
    /// Unfinished requests with a deadline.
    deadline_requests: usize,
}

impl<F: CodecFactory> Pool<F> {
    /// An empty pool.
    pub fn new(factory: F, config: PoolConfig) -> Self {
        Pool {
            factory,
            config,
            origins: BTreeMap::new(),
            slots: BTreeMap::new(),
            requests: BTreeMap::new(),
            events: VecDeque::new(),
            next_request: 0,
            next_connection: 0,
            transmit_cursor: 0,
            scratch_ids: Vec::new(),
            deadline_requests: 0,
        }
    }

    // ---- getters ----

    /// The settings in force.
    pub fn config(&self) -> &PoolConfig {
        &self.config
    }

    /// Requests submitted and not yet ended.
    pub fn pending(&self) -> usize {
        self.requests.len()
    }

    /// What the pool knows of `origin`.
    pub fn origin_status(&self, origin: &Origin, now: Instant) -> Option<OriginStatus> {
        let entry = self.origins.get(origin)?;
        Some(OriginStatus {
            capability: entry.memory.capability(now),
            demoted_until: entry.memory.demoted_until().filter(|&until| until > now),
            recent_breaks: entry.memory.breaks_within(now, self.config.break_window),
            budget: entry.memory.budget(now, self.config.budget_memory),
            failed_connects: entry.failed_connects,
            open: entry.open.len(),
            connecting: entry.connecting,
            queued: entry.queue.len(),
        })
    }

    /// Every origin the pool has seen.
    pub fn origins(&self) -> impl Iterator<Item = &Origin> {
        self.origins.keys()
    }

    /// The open connection `conn`, for inspection.
    pub fn connection(&self, conn: ConnectionId) -> Option<&Connection<F::Codec>> {
        match self.slots.get(&conn) {
            Some(Slot::Open { connection, .. }) => Some(connection),
            _ => None,
        }
    }

    // ---- commands ----

    /// Submits a request to `origin`. It waits in the origin's queue (at
    /// most `queue_limit` long, then [`SubmitError::QueueFull`]) until a
    /// connection may write it.
    pub fn submit(
        &mut self,
        now: Instant,
        origin: &Origin,
        request: <F::Codec as Codec>::Request,
        options: RequestOptions,
    ) -> Result<RequestId, SubmitError<<F::Codec as Codec>::EncodeError>> {
        if !self.origins.contains_key(origin) {
            let validator = self.factory.codec_for(origin);
            self.origins.insert(
                origin.clone(),
                OriginEntry {
                    memory: OriginMemory::new(),
                    queue: VecDeque::new(),
                    open: Vec::new(),
                    connecting: 0,
                    failed_connects: 0,
                    replay_alone: false,
                    validator,
                    correlations: BTreeSet::new(),
                    next_correlation: 0,
                },
            );
        }
        let entry = self.origins.get_mut(origin).ok_or(SubmitError::Closed)?;
        if entry.queue.len() >= self.config.queue_limit {
            return Err(SubmitError::QueueFull { limit: self.config.queue_limit });
        }
        entry.validator.validate(&request).map_err(SubmitError::Invalid)?;
        // Correlation ids are unique among the origin's unfinished requests,
        // across all its connections, and kept when a request is replayed.
        let correlation = match entry.validator.matching() {
            Matching::Fifo => None,
            Matching::CorrelationId { id_space } => {
                let space = id_space.max(1);
                let free = (0..space)
                    .map(|k| entry.next_correlation.wrapping_add(k) % space)
                    .find(|c| !entry.correlations.contains(c))
                    .ok_or(SubmitError::QueueFull { limit: space as usize })?;
                entry.correlations.insert(free);
                entry.next_correlation = free.wrapping_add(1) % space;
                Some(CorrelationId(free))
            }
        };
        let id = RequestId(self.next_request);
        self.next_request += 1;
        entry.queue.push_back(Waiting { id, request, options });
        self.requests.insert(
            id,
            Tracked {
                origin: origin.clone(),
                options,
                on: None,
                tries: Vec::new(),
                attempts: 0,
                moves: 0,
                replayed: false,
                correlation,
            },
        );
        if options.deadline.is_some() {
            self.deadline_requests += 1;
        }
        // Only this origin's queue changed.
        self.schedule_origin(now, origin);
        Ok(id)
    }

    /// Cancels a request (P9): removed if still waiting, otherwise cancelled
    /// on its connection. Unknown or finished ids are ignored.
    pub fn cancel(&mut self, now: Instant, id: RequestId) {
        let Some(tracked) = self.requests.get(&id) else { return };
        match tracked.on {
            Some(conn) => {
                if let Some(Slot::Open { connection, .. }) = self.slots.get_mut(&conn) {
                    connection.cancel(now, id);
                }
                self.pump(now, conn);
            }
            None => {
                let origin = tracked.origin.clone();
                if let Some(entry) = self.origins.get_mut(&origin) {
                    if let Some(pos) = entry.queue.iter().position(|w| w.id == id) {
                        if let Some(waiting) = entry.queue.remove(pos) {
                            self.finish_failed(id, waiting.request, Cause::Cancelled, Progress::NotWritten, None);
                        }
                    }
                }
            }
        }
        self.schedule(now);
    }

    /// Closes every connection; every unfinished request fails.
    pub fn close(&mut self, now: Instant) {
        let conns: Vec<ConnectionId> = self.slots.keys().copied().collect();
        for conn in conns {
            match self.slots.get_mut(&conn) {
                Some(Slot::Open { connection, .. }) => {
                    connection.close(now);
                    self.pump_with(now, conn, false);
                }
                Some(Slot::Connecting { origin, .. }) => {
                    let origin = origin.clone();
                    self.slots.remove(&conn);
                    if let Some(entry) = self.origins.get_mut(&origin) {
                        entry.connecting -= 1;
                    }
                    self.events.push_back(PoolEvent::Close { conn, origin, summary: None });
                }
                None => {}
            }
        }
        let origins: Vec<Origin> = self.origins.keys().cloned().collect();
        for origin in origins {
            self.fail_queue(&origin, Cause::Lost(CloseReason::Local), ErrorKind::ConnectionLost);
        }
    }

    // ---- inputs ----

    /// The transport for `conn` is open.
    pub fn handle_connected(&mut self, now: Instant, conn: ConnectionId) {
        let Some(Slot::Connecting { origin, .. }) = self.slots.get(&conn) else { return };
        let origin = origin.clone();
        let Some(entry) = self.origins.get_mut(&origin) else { return };
        entry.connecting -= 1;
        entry.failed_connects = 0;
        entry.open.push(conn);
        let mut config: Config = self.config.connection;
        config.capability = entry.memory.capability(now);
        let budget = entry.memory.budget(now, self.config.budget_memory);
        let mut connection = Connection::new(self.factory.codec_for(&origin), config, now);
        if budget.is_some() {
            connection.set_budget(now, budget);
        }
        self.slots.insert(conn, Slot::Open { origin, connection });
        self.schedule(now);
    }

    /// Opening `conn` failed (refused, unreachable, …).
    pub fn handle_connect_failed(&mut self, now: Instant, conn: ConnectionId) {
        let Some(Slot::Connecting { origin, .. }) = self.slots.get(&conn) else { return };
        let origin = origin.clone();
        self.slots.remove(&conn);
        self.connect_failed(&origin);
        self.schedule(now);
    }

    /// Bytes arrived on `conn`.
    pub fn handle_received(&mut self, now: Instant, conn: ConnectionId, data: &[u8]) {
        if let Some(Slot::Open { connection, origin }) = self.slots.get_mut(&conn) {
            connection.handle_received(now, data);
            let origin = origin.clone();
            self.pump(now, conn);
            // Responses free room on this origin's connections only.
            self.schedule_origin(now, &origin);
        }
    }

    /// The transport of `conn` accepted `n` more bytes of its last transmit.
    pub fn handle_written(&mut self, now: Instant, conn: ConnectionId, n: usize) {
        if let Some(Slot::Open { connection, .. }) = self.slots.get_mut(&conn) {
            connection.handle_written(now, n);
            self.pump(now, conn);
        }
    }

    /// The peer closed `conn`.
    pub fn handle_eof(&mut self, now: Instant, conn: ConnectionId) {
        if let Some(Slot::Open { connection, .. }) = self.slots.get_mut(&conn) {
            connection.handle_eof(now);
            self.pump(now, conn);
            self.schedule(now);
        }
    }

    /// The transport of `conn` failed.
    pub fn handle_transport_error(&mut self, now: Instant, conn: ConnectionId) {
        match self.slots.get_mut(&conn) {
            Some(Slot::Open { connection, .. }) => {
                connection.handle_transport_error(now);
                self.pump(now, conn);
            }
            Some(Slot::Connecting { .. }) => return self.handle_connect_failed(now, conn),
            None => return,
        }
        self.schedule(now);
    }

    /// A deadline from [`poll_timeout`](Self::poll_timeout) is due; other
    /// calls are harmless.
    pub fn handle_timeout(&mut self, now: Instant) {
        let due: Vec<(ConnectionId, bool)> = self
            .slots
            .iter()
            .filter_map(|(&id, slot)| match slot {
                Slot::Connecting { deadline: Some(d), .. } if *d <= now => Some((id, true)),
                Slot::Open { connection, .. } if connection.poll_timeout().is_some_and(|t| t <= now) => {
                    Some((id, false))
                }
                _ => None,
            })
            .collect();
        for (conn, connecting) in due {
            if connecting {
                // The connect timeout (P10) counts as a failed connect.
                if let Some(Slot::Connecting { origin, .. }) = self.slots.remove(&conn) {
                    self.events.push_back(PoolEvent::Close { conn, origin: origin.clone(), summary: None });
                    self.connect_failed(&origin);
                }
            } else if let Some(Slot::Open { connection, .. }) = self.slots.get_mut(&conn) {
                connection.handle_timeout(now);
                self.pump(now, conn);
            }
        }
        // Deadlines of requests still waiting for a connection.
        let expired: Vec<(Origin, RequestId)> = self
            .origins
            .iter()
            .flat_map(|(origin, entry)| {
                entry
                    .queue
                    .iter()
                    .filter(|w| w.options.deadline.is_some_and(|d| d <= now))
                    .map(move |w| (origin.clone(), w.id))
            })
            .collect();
        for (origin, id) in expired {
            if let Some(entry) = self.origins.get_mut(&origin) {
                if let Some(pos) = entry.queue.iter().position(|w| w.id == id) {
                    if let Some(waiting) = entry.queue.remove(pos) {
                        self.finish_failed(id, waiting.request, Cause::Deadline, Progress::NotWritten, None);
                    }
                }
            }
        }
        // A demotion's end is a deadline too: refresh every origin, not only
        // those with requests waiting, or `poll_timeout` stays in the past.
        let origins: Vec<Origin> = self.origins.keys().cloned().collect();
        for origin in &origins {
            self.refresh_memory(now, origin);
        }
        self.schedule(now);
    }

    // ---- outputs ----

    /// The next transmit: appends bytes for one connection to `buf` and says
    /// which. Write them to that connection's transport and report with
    /// [`handle_written`](Self::handle_written).
    #[must_use]
    pub fn poll_transmit(&mut self, now: Instant, buf: &mut Vec<u8>) -> Option<(ConnectionId, usize)> {
        // A reused list: this runs after every input, allocation-free.
        let mut ids = core::mem::take(&mut self.scratch_ids);
        ids.clear();
        ids.extend(
            self.slots
                .range(ConnectionId(self.transmit_cursor)..)
                .chain(self.slots.range(..ConnectionId(self.transmit_cursor)))
                .filter(|(_, slot)| matches!(slot, Slot::Open { .. }))
                .map(|(&id, _)| id),
        );
        let found = self.first_transmit(now, buf, &ids);
        self.scratch_ids = ids;
        found
    }

    fn first_transmit(
        &mut self,
        now: Instant,
        buf: &mut Vec<u8>,
        ids: &[ConnectionId],
    ) -> Option<(ConnectionId, usize)> {
        for &conn in ids {
            if let Some(Slot::Open { connection, .. }) = self.slots.get_mut(&conn) {
                if let Some(n) = connection.poll_transmit(now, buf) {
                    self.transmit_cursor = conn.0 + 1;
                    self.pump(now, conn);
                    return Some((conn, n));
                }
                self.pump(now, conn);
            }
        }
        None
    }

    /// When [`handle_timeout`](Self::handle_timeout) should next be called.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        let slots = self.slots.values().filter_map(|slot| match slot {
            Slot::Connecting { deadline, .. } => *deadline,
            Slot::Open { connection, .. } => connection.poll_timeout(),
        });
        // Waiting requests have deadlines only if some request had one.
        let scan_queues = self.deadline_requests > 0;
        let queued = self
            .origins
            .values()
            .filter(move |_| scan_queues)
            .flat_map(|e| e.queue.iter().filter_map(|w| w.options.deadline));
        let demotions = self.origins.values().filter_map(|e| e.memory.demoted_until());
        slots.chain(queued).chain(demotions).min()
    }

    /// The next event.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<PoolEvent<F::Codec>> {
        self.events.pop_front()
    }

    // ---- internals ----

    fn connect_failed(&mut self, origin: &Origin) {
        let max_tries = self.config.max_tries.max(1);
        let Some(entry) = self.origins.get_mut(origin) else { return };
        entry.connecting = entry.connecting.saturating_sub(1);
        entry.failed_connects += 1;
        // With a connection open the origin is reachable: it only refuses
        // more connections, and the open one serves the queue (no more
        // connects are asked for meanwhile, see `schedule_origin`).
        if entry.failed_connects >= max_tries && entry.open.is_empty() {
            // P8: after max_tries consecutive failed connects every request
            // waiting for the origin fails; later submissions try afresh.
            entry.failed_connects = 0;
            self.fail_queue(origin, Cause::Lost(CloseReason::Transport), ErrorKind::Connect);
        }
    }

    fn fail_queue(&mut self, origin: &Origin, cause: Cause<<F::Codec as Codec>::Error>, kind: ErrorKind) {
        let Some(entry) = self.origins.get_mut(origin) else { return };
        let waiting: Vec<Waiting<F::Codec>> = entry.queue.drain(..).collect();
        for w in waiting {
            self.finish_failed(w.id, w.request, cause.clone(), Progress::NotWritten, Some(kind));
        }
    }

    /// Emits a request's final failure.
    fn finish_failed(
        &mut self,
        id: RequestId,
        request: <F::Codec as Codec>::Request,
        cause: Cause<<F::Codec as Codec>::Error>,
        progress: Progress,
        kind: Option<ErrorKind>,
    ) {
        let tracked = self.requests.remove(&id);
        if let Some(t) = &tracked {
            self.forget(t);
        }
        let (attempts, tries) = tracked.map_or((0, Vec::new()), |t| (t.attempts, t.tries));
        let kind = kind.unwrap_or(match &cause {
            Cause::Cancelled => ErrorKind::Cancelled,
            Cause::Deadline => ErrorKind::Timeout,
            Cause::Response(e) => crate::pipeline::CodecError::kind(e),
            Cause::Unencodable => ErrorKind::InvalidRequest,
            Cause::Lost(CloseReason::StallTimeout) => ErrorKind::Timeout,
            Cause::Lost(_) => ErrorKind::ConnectionLost,
        });
        self.events.push_back(PoolEvent::Failed(PoolFailure { id, request, kind, cause, progress, attempts, tries }));
    }

    /// Drains a connection's events into the pool's.
    fn pump(&mut self, now: Instant, conn: ConnectionId) {
        self.pump_with(now, conn, true);
    }

    fn pump_with(&mut self, now: Instant, conn: ConnectionId, reroute: bool) {
        loop {
            let Some(Slot::Open { connection, origin }) = self.slots.get_mut(&conn) else { return };
            let Some(event) = connection.poll_event() else { return };
            let origin = origin.clone();
            match event {
                Event::Response { id, part, end } => {
                    let attempts = self.attempts_on_success(id, end);
                    self.events.push_back(PoolEvent::Response { id, part, end, attempts });
                }
                Event::Complete { id, response } => {
                    let attempts = self.attempts_on_success(id, true);
                    self.events.push_back(PoolEvent::Complete { id, response, attempts });
                }
                Event::Failed(failure) => self.on_failure(&origin, failure, reroute),
                Event::Written { id } => self.events.push_back(PoolEvent::Written { id, conn }),
                Event::Unsolicited(part) => self.events.push_back(PoolEvent::Unsolicited { conn, part }),
                Event::Capability(capability) => {
                    if let Some(entry) = self.origins.get_mut(&origin) {
                        // A demoted origin stays demoted whatever a connection
                        // probing it learns.
                        if entry.memory.record_capability(capability) {
                            let now_cap = entry.memory.capability(now);
                            self.events.push_back(PoolEvent::Capability { origin, capability: now_cap, until: None });
                        }
                    }
                }
                Event::Closed(summary) => {
                    self.slots.remove(&conn);
                    self.on_closed(now, conn, &origin, summary);
                    self.events.push_back(PoolEvent::Close { conn, origin, summary: Some(summary) });
                    return;
                }
            }
        }
    }

    fn attempts_on_success(&mut self, id: RequestId, end: bool) -> u32 {
        let attempts = self.requests.get(&id).map_or(1, |t| t.attempts + 1);
        if end {
            if let Some(tracked) = self.requests.remove(&id) {
                self.forget(&tracked);
            }
        }
        attempts
    }

    /// A request ended: its correlation id and deadline are released.
    fn forget(&mut self, tracked: &Tracked) {
        if tracked.options.deadline.is_some() {
            self.deadline_requests = self.deadline_requests.saturating_sub(1);
        }
        self.release_correlation(tracked);
    }

    fn release_correlation(&mut self, tracked: &Tracked) {
        if let (Some(c), Some(entry)) = (tracked.correlation, self.origins.get_mut(&tracked.origin)) {
            entry.correlations.remove(&c.0);
        }
    }

    fn on_closed(&mut self, now: Instant, conn: ConnectionId, origin: &Origin, summary: Closed) {
        let config = self.config;
        let Some(entry) = self.origins.get_mut(origin) else { return };
        entry.open.retain(|&c| c != conn);
        if summary.server_close {
            entry.memory.record_server_close(now, summary.responses);
        } else if let Some(announced) = summary.announced_budget {
            // The client closed first, at the budget the server announced
            // (`Keep-Alive: max`): the same lesson as the server's close.
            entry.memory.record_server_close(now, announced);
        }
        if summary.pipeline_break {
            entry.replay_alone = true;
            if let Some(until) = entry.memory.record_break(now, config.break_window, config.demotion) {
                // Demote the origin's other connections too (P6).
                let open = entry.open.clone();
                for c in open {
                    if let Some(Slot::Open { connection, .. }) = self.slots.get_mut(&c) {
                        connection.set_capability(Capability::OneAtATime);
                    }
                }
                self.events.push_back(PoolEvent::Capability {
                    origin: origin.clone(),
                    capability: Capability::OneAtATime,
                    until: Some(until),
                });
            }
        } else if matches!(summary.reason, CloseReason::Transport | CloseReason::StallTimeout | CloseReason::Truncated)
            // A plain EOF with requests outstanding is a failed connection
            // too: not closed by the server in its last response (§9.3.2).
            || (summary.reason == CloseReason::PeerClosed && (summary.server_close || summary.stale))
        {
            entry.replay_alone = true;
        }
    }

    /// A connection handed a request back, or failed it.
    fn on_failure(&mut self, origin: &Origin, failure: Failure<F::Codec>, reroute: bool) {
        let max_tries = self.config.max_tries.max(1);
        let Failure { id, request, replayable, progress, retry, cause } = failure;
        let kind_if_final = match (&cause, replayable, progress) {
            (Cause::Lost(_), false, p) if p > Progress::NotWritten => ErrorKind::MayHaveBeenProcessed,
            (Cause::Lost(CloseReason::StallTimeout), ..) => ErrorKind::Timeout,
            _ => ErrorKind::ConnectionLost,
        };
        let Some(tracked) = self.requests.get_mut(&id) else { return };
        tracked.on = None;
        if progress > Progress::NotWritten {
            tracked.attempts += 1;
        }
        let reason = match cause {
            Cause::Lost(reason) => Some(reason),
            _ => None,
        };
        let requeue = match (retry, reason) {
            (Retry::Move, Some(_)) if reroute => {
                tracked.moves += 1;
                tracked.moves <= MAX_MOVES
            }
            (Retry::Replay, Some(reason)) if reroute => {
                tracked.tries.push(reason);
                (tracked.tries.len() as u32) < max_tries
            }
            _ => false,
        };
        if requeue {
            tracked.replayed = true;
            let options = tracked.options;
            if let Some(entry) = self.origins.get_mut(origin) {
                // Handed-back requests go ahead of newer ones, in their
                // original order: the queue stays sorted by id.
                let pos = entry.queue.partition_point(|w| w.id < id);
                entry.queue.insert(pos, Waiting { id, request, options });
            }
            return;
        }
        let kind = match (&cause, retry) {
            // A replay refused because the pool is closing spent no last try.
            (Cause::Lost(_), Retry::Replay) if max_tries > 1 && reroute => ErrorKind::MaxTries,
            (Cause::Lost(_), _) => kind_if_final,
            (Cause::Cancelled, _) => ErrorKind::Cancelled,
            (Cause::Deadline, _) => ErrorKind::Timeout,
            (Cause::Response(e), _) => crate::pipeline::CodecError::kind(e),
            (Cause::Unencodable, _) => ErrorKind::InvalidRequest,
        };
        self.finish_failed(id, request, cause, progress, Some(kind));
    }

    /// Places waiting requests on connections and asks for new connections.
    fn schedule(&mut self, now: Instant) {
        let origins: Vec<Origin> =
            self.origins.iter().filter(|(_, e)| !e.queue.is_empty()).map(|(o, _)| o.clone()).collect();
        for origin in origins {
            self.schedule_origin(now, &origin);
        }
    }

    /// Ends a demotion that is over: the origin is probed again (P6).
    fn refresh_memory(&mut self, now: Instant, origin: &Origin) {
        let Some(entry) = self.origins.get_mut(origin) else { return };
        if entry.memory.refresh(now) {
            for &c in &entry.open {
                if let Some(Slot::Open { connection, .. }) = self.slots.get_mut(&c) {
                    connection.set_capability(Capability::Unknown);
                }
            }
        }
    }

    fn schedule_origin(&mut self, now: Instant, origin: &Origin) {
        let alone_policy = self.config.connection.non_idempotent == NonIdempotentPolicy::Alone;
        self.refresh_memory(now, origin);
        let Some(entry) = self.origins.get_mut(origin) else { return };
        while let Some(head) = entry.queue.front() {
            let replayed = self.requests.get(&head.id).is_some_and(|t| t.replayed);
            let must_be_alone = (alone_policy
                && match head.options.idempotency {
                    Idempotency::ByMethod => !entry.validator.is_idempotent(&head.request),
                    _ => false,
                })
                || (replayed && entry.replay_alone);
            let best = entry
                .open
                .iter()
                .filter_map(|&c| match self.slots.get(&c) {
                    Some(Slot::Open { connection, .. })
                        if connection.free_slots() > 0
                            && (!must_be_alone || connection.in_flight() + connection.queued() == 0) =>
                    {
                        Some((connection.in_flight() + connection.queued(), c))
                    }
                    _ => None,
                })
                .min();
            let Some((_, conn)) = best else { break };
            let Some(waiting) = entry.queue.pop_front() else { break };
            let Some(Slot::Open { connection, .. }) = self.slots.get_mut(&conn) else { break };
            if replayed && entry.replay_alone {
                // RFC 9112 §9.3.2: after a failed connection, the first
                // replayed request goes out alone before pipelining resumes.
                entry.replay_alone = false;
                // Probe again only a pipelining connection: one kept at one
                // request at a time (HTTP/1.0, a demoted origin) stays so.
                if connection.capability() == Capability::Pipelining {
                    connection.set_capability(Capability::Unknown);
                }
            }
            let Waiting { id, request, options } = waiting;
            let correlation = self.requests.get(&id).and_then(|t| t.correlation);
            match connection.submit_as(now, id, request.clone(), options, correlation) {
                Ok(()) => {
                    if let Some(t) = self.requests.get_mut(&id) {
                        t.on = Some(conn);
                    }
                }
                Err(_) => {
                    entry.queue.push_front(Waiting { id, request, options });
                    break;
                }
            }
        }
        // More connections when the waiting requests exceed what the
        // connections being opened will take (P11).
        let per_connection = match entry.memory.capability(now) {
            Capability::Pipelining => self.config.connection.depth.max(1),
            _ => 1,
        };
        let refusing_more = entry.failed_connects >= self.config.max_tries.max(1) && !entry.open.is_empty();
        while !entry.queue.is_empty()
            && !refusing_more
            && entry.open.len() + entry.connecting < self.config.connections.max(1)
            && entry.queue.len() > entry.connecting * per_connection
        {
            let conn = ConnectionId(self.next_connection);
            self.next_connection += 1;
            entry.connecting += 1;
            let deadline = self.config.connect_timeout.map(|t| now + t);
            self.slots.insert(conn, Slot::Connecting { origin: origin.clone(), deadline });
            self.events.push_back(PoolEvent::Connect { conn, origin: origin.clone() });
        }
    }
}

impl<F: CodecFactory> fmt::Debug for Pool<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pool")
            .field("origins", &self.origins.len())
            .field("connections", &self.slots.len())
            .field("pending", &self.requests.len())
            .finish_non_exhaustive()
    }
}
