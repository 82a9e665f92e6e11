//! The pool state machine: origins, their connections, scheduling, replay
//! routing, capability memory and request budgets.

use super::event::{Fact, Failure, Instruction, PoolEvent};
use super::origins::{OriginEntry, OriginId, OriginTable};
use super::requests::{Place, Record, Rescue};
use super::slots::Slots;
use super::timers::{TimerKey, Timers};
use super::{ConfigError, ConnectionId, OriginStatus, PoolConfig};
use crate::Instant;
use crate::origin::{Origin, OriginRef};
use crate::outcome::{Cause, CloseReason, Ending, GaveUp, Lesson, Progress, Retry, error_kind};
use crate::pipeline::{
    Capability, CloseSummary, Codec, CodecFactory, Connection, ConnectionConfig, CorrelationId, Event, Handling,
    Matching, Refused, RequestId, RequestOptions, SubmitError, Unanswered,
};
use crate::slab::IdSlab;
use alloc::boxed::Box;
use alloc::collections::VecDeque;
use alloc::vec::Vec;
use core::fmt;

/// A request moved more often than this without spending a try (moves are
/// free: it was never written, or a `close` response says it was not
/// processed) fails with `connection_lost`: only a pathological server gets
/// here (`docs/DESIGN.md` P8).
pub const MAX_MOVES: u32 = 64;

type Request<F> = <<F as CodecFactory>::Codec as Codec>::Request;
type EncodeError<F> = <<F as CodecFactory>::Codec as Codec>::EncodeError;
type CodecErrorOf<F> = <<F as CodecFactory>::Codec as Codec>::Error;

// Most slots are open connections; boxing them would only add an indirection.
#[allow(clippy::large_enum_variant)]
enum Slot<C: Codec> {
    Connecting {
        origin: OriginId,
        deadline: Option<Instant>,
    },
    Open {
        origin: OriginId,
        connection: Connection<C>,
        /// The instant its entry in the pool's timers is armed at: never
        /// later than the connection's own next deadline.
        armed: Option<Instant>,
        /// Listed in `writable`.
        marked: bool,
        /// Its setup was answered (or it has none): the origin counts as
        /// reachable.
        set_up: bool,
    },
}

/// A sans-IO pool of pipelined connections, keyed by origin.
///
/// The same shape as [`Connection`]: getters, `handle_*` inputs (now with
/// the [`ConnectionId`] they concern), commands, and `poll_*` outputs,
/// drained after every input in this order:
/// [`poll_transmit`](Self::poll_transmit) until `None`,
/// [`poll_instruction`](Self::poll_instruction) until `None` (open and close
/// transports: answer a [`Instruction::Connect`] with
/// [`handle_connected`](Self::handle_connected) or
/// [`handle_connect_failed`](Self::handle_connect_failed)),
/// [`poll_timeout`](Self::poll_timeout), then
/// [`poll_event`](Self::poll_event) until `None`.
///
/// Per origin it keeps at most `connections` connections and `depth`
/// requests in flight on each (P1, P11); writes requests in submission order
/// (P5); hands requests lost with a connection to another one ahead of newer
/// requests, spending tries per P7/P8; remembers which origins pipeline,
/// demotes those that break (P6), learns request budgets (P11), and forgets
/// all of it once an origin has been idle long enough or too many origins
/// are remembered. Every submitted request ends in exactly one terminal
/// event (P12).
///
/// Origins are interned: after a request's submission the pool refers to its
/// origin by an [`OriginId`], with no string copied or compared. Deadlines
/// (connect timeouts, connection timers, request deadlines, demotions,
/// forgetting) live in one ordered table, so [`poll_timeout`](Self::poll_timeout)
/// and [`handle_timeout`](Self::handle_timeout) never walk the origins.
pub struct Pool<F: CodecFactory> {
    factory: F,
    config: PoolConfig,
    origins: OriginTable<F::Codec>,
    slots: Slots<Slot<F::Codec>>,
    requests: IdSlab<Record<F::Codec>>,
    instructions: VecDeque<Instruction>,
    events: VecDeque<PoolEvent<F::Codec>>,
    timers: Timers,
    next_request: u64,
    next_connection: u64,
    /// Where the round-robin of `poll_transmit` resumes.
    transmit_cursor: u64,
    /// Connection ids, reused by `poll_transmit`.
    scratch_ids: Vec<ConnectionId>,
    /// Open connections that may have something to write since they were
    /// last asked (each at most once: see `Slot::Open::marked`).
    writable: Vec<ConnectionId>,
    /// The request whose response parts are arriving, the connection they
    /// come on, and its attempts.
    last_answered: Option<(RequestId, ConnectionId, u32)>,
    /// Connections with events to drain after the one being drained (a
    /// rescue copy's loser, connections a lesson was applied to): drained
    /// by `pump`, never while another connection's events are being read.
    to_pump: Vec<ConnectionId>,
    /// Rescue copies placed so far (P13).
    rescues: u64,
}

impl<F: CodecFactory> Pool<F> {
    /// An empty pool. Refuses settings that cannot work
    /// ([`PoolConfig::validate`]).
    pub fn new(factory: F, config: PoolConfig) -> Result<Self, ConfigError> {
        config.validate()?;
        Ok(Pool {
            factory,
            config,
            origins: OriginTable::new(),
            slots: Slots::new(),
            requests: IdSlab::default(),
            instructions: VecDeque::new(),
            events: VecDeque::new(),
            timers: Timers::default(),
            next_request: 0,
            next_connection: 0,
            transmit_cursor: 0,
            scratch_ids: Vec::new(),
            writable: Vec::new(),
            last_answered: None,
            to_pump: Vec::new(),
            rescues: 0,
        })
    }

    // ---- getters ----

    /// How many rescue copies of requests stuck behind a slow head were
    /// placed on another connection so far (`docs/DESIGN.md` P13).
    pub fn rescues(&self) -> u64 {
        self.rescues
    }

    /// The settings in force.
    pub fn config(&self) -> &PoolConfig {
        &self.config
    }

    /// Requests submitted and not yet ended.
    pub fn pending(&self) -> usize {
        self.requests.len()
    }

    /// The origin behind an id, while the pool knows it.
    pub fn origin(&self, id: OriginId) -> Option<&Origin> {
        self.origins.get(id).map(|e| &e.origin)
    }

    /// The id of an origin the pool knows.
    pub fn origin_id<'a>(&self, origin: impl Into<OriginRef<'a>>) -> Option<OriginId> {
        self.origins.find(origin.into())
    }

    /// What the pool knows of `origin`.
    pub fn origin_status<'a>(&self, origin: impl Into<OriginRef<'a>>, now: Instant) -> Option<OriginStatus> {
        let entry = self.origins.get(self.origins.find(origin.into())?)?;
        Some(OriginStatus {
            capability: entry.memory.capability(now),
            demoted_until: entry.memory.demoted_until().filter(|&until| until > now),
            recent_breaks: entry.memory.breaks_within(now, self.config.break_window),
            budget: entry.memory.budget(now, self.config.budget_memory),
            idle_timeout: entry.memory.idle_limit(now, self.config.budget_memory),
            failed_connects: entry.failed_connects,
            open: entry.open.len(),
            connecting: entry.connecting,
            queued: entry.queue.len(),
            forget_at: entry.forget_at,
        })
    }

    /// Every origin the pool knows: with connections or requests, or idle and
    /// remembered.
    pub fn origins(&self) -> impl Iterator<Item = &Origin> {
        self.origins.iter().map(|e| &e.origin)
    }

    /// Whether `submit` to `origin` would find room in its queue now (an
    /// origin the pool does not know yet has room).
    pub fn has_room<'a>(&self, origin: impl Into<OriginRef<'a>>) -> bool {
        match self.origins.find(origin.into()).and_then(|id| self.origins.get(id)) {
            Some(entry) => entry.queue.len() < self.config.queue_limit,
            None => true,
        }
    }

    /// Requests waiting in queues, over all origins (they wait for a
    /// connection; each origin's queue holds at most `queue_limit`).
    pub fn queued(&self) -> usize {
        self.origins.iter().map(|e| e.queue.len()).sum()
    }

    /// Whether the pool still knows the origin behind `id`.
    pub fn knows(&self, id: OriginId) -> bool {
        self.origins.get(id).is_some()
    }

    /// How many origins the pool knows.
    pub fn origin_count(&self) -> usize {
        self.origins.len()
    }

    /// How many deadlines are armed (connect timeouts, connection timers,
    /// request deadlines, demotions, forgetting): what
    /// [`poll_timeout`](Self::poll_timeout) looks at, no more.
    pub fn armed_timers(&self) -> usize {
        self.timers.len()
    }

    /// How many armed deadlines [`poll_timeout`](Self::poll_timeout) has
    /// looked at so far (fuzzing and tests only): one per call that found
    /// any, however many origins the pool remembers.
    #[cfg(feature = "fuzzing")]
    pub fn timer_entries_looked_at(&self) -> u64 {
        self.timers.looked_at()
    }

    /// Whether `conn` is open (connected and not yet closed).
    #[must_use]
    pub fn is_open(&self, conn: ConnectionId) -> bool {
        matches!(self.slots.get(&conn), Some(Slot::Open { .. }))
    }

    /// The open connection `conn`, for inspection (fuzzing and tests only).
    #[cfg(feature = "fuzzing")]
    pub fn connection(&self, conn: ConnectionId) -> Option<&Connection<F::Codec>> {
        match self.slots.get(&conn) {
            Some(Slot::Open { connection, .. }) => Some(connection),
            _ => None,
        }
    }

    // ---- commands ----

    /// Submits a request to `origin`. It waits in the origin's queue until a
    /// connection may write it. Refused — and handed back — when the
    /// origin's queue is full ([`SubmitError::QueueFull`]: submit it again
    /// once requests have ended) or the request cannot be encoded.
    pub fn submit<'a>(
        &mut self,
        now: Instant,
        origin: impl Into<OriginRef<'a>>,
        request: Request<F>,
        options: RequestOptions,
    ) -> Result<RequestId, Refused<Request<F>, EncodeError<F>>> {
        let origin = origin.into();
        let oid = match self.origins.find(origin) {
            Some(oid) => oid,
            None => {
                let owned = origin.to_owned();
                let validator = self.factory.codec_for(&owned);
                self.origins.insert(owned, validator)
            }
        };
        let result = self.admit(now, oid, request, options);
        self.schedule_origin(now, oid);
        result
    }

    /// A request id the pool will never hand out, for a request that ends
    /// before it reaches the pool (a dispatcher's waiter whose deadline
    /// passed while it waited for room).
    pub fn reserve_id(&mut self) -> RequestId {
        let id = RequestId::from_raw(self.next_request);
        self.next_request += 1;
        id
    }

    /// Cancels a request (P9): removed if still waiting, otherwise cancelled
    /// on its connection. Unknown or finished ids are ignored.
    pub fn cancel(&mut self, now: Instant, id: RequestId) {
        let Some(record) = self.requests.get(id.get()) else { return };
        let origin = record.origin;
        match record.place {
            Place::On(conn) => {
                self.drop_copy(now, id);
                if let Some(Slot::Open { connection, .. }) = self.slots.get_mut(&conn) {
                    connection.cancel(now, id);
                }
                self.pump(now, conn);
            }
            Place::Queued(_) => {
                if let Some(entry) = self.origins.get_mut(origin) {
                    entry.queue.retain(|&q| q != id);
                }
                self.fail(id, Cause::Cancelled, Progress::NotWritten, Retry::Never, None);
            }
        }
        self.schedule_origin(now, origin);
    }

    /// Hands over the next piece of request `id`'s streamed content, after
    /// its [`PoolEvent::SendBody`] ([`Connection::send_body`]).
    pub fn send_body(
        &mut self,
        now: Instant,
        id: RequestId,
        piece: bytes::Bytes,
        end: bool,
    ) -> Result<(), crate::pipeline::BodyError> {
        let Some(Place::On(conn)) = self.requests.get(id.get()).map(|r| &r.place) else {
            return Err(crate::pipeline::BodyError::NotWanted);
        };
        let conn = *conn;
        let Some(Slot::Open { connection, origin, .. }) = self.slots.get_mut(&conn) else {
            return Err(crate::pipeline::BodyError::NotWanted);
        };
        let origin = *origin;
        let sent = connection.send_body(now, id, piece, end);
        self.mark_writable(conn);
        self.pump(now, conn);
        self.schedule_origin(now, origin);
        sent
    }

    /// The source of request `id`'s streamed content failed: the request
    /// fails (`invalid_request`) and its connection closes
    /// ([`Connection::abort_body`]).
    pub fn abort_body(&mut self, now: Instant, id: RequestId) {
        let Some(Place::On(conn)) = self.requests.get(id.get()).map(|r| &r.place) else { return };
        let conn = *conn;
        let Some(Slot::Open { connection, origin, .. }) = self.slots.get_mut(&conn) else { return };
        let origin = *origin;
        connection.abort_body(now, id);
        self.pump(now, conn);
        self.schedule_origin(now, origin);
    }

    /// Lists `conn` among the connections that may have something to write.
    fn mark_writable(&mut self, conn: ConnectionId) {
        if let Some(Slot::Open { marked, .. }) = self.slots.get_mut(&conn) {
            if !*marked {
                *marked = true;
                self.writable.push(conn);
            }
        }
    }

    /// Closes every connection; every unfinished request fails.
    pub fn close(&mut self, now: Instant) {
        let conns: Vec<ConnectionId> = self.slots.ids().collect();
        for conn in conns {
            match self.slots.get_mut(&conn) {
                Some(Slot::Open { connection, .. }) => {
                    connection.close(now);
                    self.pump_with(now, conn, false);
                }
                Some(Slot::Connecting { origin, deadline }) => {
                    let (origin, deadline) = (*origin, *deadline);
                    self.slots.remove(&conn);
                    if let Some(at) = deadline {
                        self.timers.disarm(at, TimerKey::Connect(conn));
                    }
                    if let Some(entry) = self.origins.get_mut(origin) {
                        entry.connecting -= 1;
                    }
                    self.instructions.push_back(Instruction::Close { conn, origin, summary: None });
                }
                None => {}
            }
        }
        self.to_pump.clear();
        for origin in self.origins.ids() {
            self.fail_queue(origin, Cause::Lost(CloseReason::Local));
            self.settle_origin(now, origin);
        }
    }

    /// Changes the depth (P1) of every connection from now on; requests
    /// already in flight stay.
    pub fn set_depth(&mut self, now: Instant, depth: usize) -> Result<(), ConfigError> {
        if depth == 0 {
            return Err(ConfigError::Zero { setting: "depth" });
        }
        self.config.connection.depth = depth;
        let conns: Vec<ConnectionId> = self.slots.ids().collect();
        for conn in conns {
            if let Some(Slot::Open { connection, marked, .. }) = self.slots.get_mut(&conn) {
                connection.set_depth(depth);
                if !*marked {
                    *marked = true;
                    self.writable.push(conn);
                }
            }
        }
        for origin in self.origins.ids() {
            self.schedule_origin(now, origin);
        }
        Ok(())
    }

    // ---- inputs ----

    /// The transport for `conn` is open.
    pub fn handle_connected(&mut self, now: Instant, conn: ConnectionId) {
        let Some(Slot::Connecting { origin, deadline }) = self.slots.get(&conn) else { return };
        let (origin, deadline) = (*origin, *deadline);
        if let Some(at) = deadline {
            self.timers.disarm(at, TimerKey::Connect(conn));
        }
        let Some(entry) = self.origins.get_mut(origin) else { return };
        entry.connecting -= 1;
        entry.open.push(conn);
        let mut config: ConnectionConfig = self.config.connection;
        config.capability = starting_capability(&self.config, entry, now);
        let budget = entry.memory.budget(now, self.config.budget_memory);
        let idle_limit = entry.memory.idle_limit(now, self.config.budget_memory);
        let mut connection = Connection::new(self.factory.codec_for(&entry.origin), config, now);
        if let Some(budget) = budget {
            connection.apply_budget(now, budget);
        }
        if let Some(limit) = idle_limit {
            connection.limit_idle(now, limit);
        }
        // A connection with a setup to run is not a connect that succeeded
        // until its setup is answered (`pump_with`).
        let set_up = !connection.is_setting_up();
        if set_up {
            entry.failed_connects = 0;
        }
        self.slots.insert(conn, Slot::Open { origin, connection, armed: None, marked: false, set_up });
        self.rearm_connection(conn);
        self.schedule_origin(now, origin);
    }

    /// Opening `conn` failed (refused, unreachable, …).
    pub fn handle_connect_failed(&mut self, now: Instant, conn: ConnectionId) {
        let Some(Slot::Connecting { origin, deadline }) = self.slots.remove(&conn) else { return };
        if let Some(at) = deadline {
            self.timers.disarm(at, TimerKey::Connect(conn));
        }
        self.connect_failed(origin);
        self.schedule_origin(now, origin);
    }

    /// Bytes arrived on `conn`.
    pub fn handle_received(&mut self, now: Instant, conn: ConnectionId, data: &[u8]) {
        if let Some(Slot::Open { connection, origin, .. }) = self.slots.get_mut(&conn) {
            connection.handle_received(now, data);
            let origin = *origin;
            self.pump(now, conn);
            // Responses free room on this origin's connections only.
            self.schedule_origin(now, origin);
        }
    }

    /// Bytes arrived on `conn`, in a buffer the connection takes over
    /// ([`Connection::handle_received_buf`]: no copy).
    pub fn handle_received_buf(&mut self, now: Instant, conn: ConnectionId, data: bytes::BytesMut) {
        if let Some(Slot::Open { connection, origin, .. }) = self.slots.get_mut(&conn) {
            connection.handle_received_buf(now, data);
            let origin = *origin;
            self.pump(now, conn);
            self.schedule_origin(now, origin);
        }
    }

    /// The transport of `conn` accepted `n` more bytes of its last transmit.
    pub fn handle_written(&mut self, now: Instant, conn: ConnectionId, n: usize) {
        if let Some(Slot::Open { connection, origin, .. }) = self.slots.get_mut(&conn) {
            connection.handle_written(now, n);
            let origin = *origin;
            self.pump(now, conn);
            if !self.slots.contains_key(&conn) {
                self.schedule_origin(now, origin);
            }
        }
    }

    /// The peer closed `conn`.
    pub fn handle_eof(&mut self, now: Instant, conn: ConnectionId) {
        if let Some(Slot::Open { connection, origin, .. }) = self.slots.get_mut(&conn) {
            connection.handle_eof(now);
            let origin = *origin;
            self.pump(now, conn);
            self.schedule_origin(now, origin);
        }
    }

    /// The driver stopped (`true`) or resumed (`false`) reading `conn`
    /// because a consumer is behind: its stall timer is suspended meanwhile
    /// ([`Connection::handle_read_paused`]).
    pub fn handle_read_paused(&mut self, now: Instant, conn: ConnectionId, paused: bool) {
        if let Some(Slot::Open { connection, .. }) = self.slots.get_mut(&conn) {
            connection.handle_read_paused(now, paused);
            self.rearm_connection(conn);
        }
    }

    /// The transport of `conn` failed.
    pub fn handle_transport_error(&mut self, now: Instant, conn: ConnectionId) {
        match self.slots.get_mut(&conn) {
            Some(Slot::Open { connection, origin, .. }) => {
                connection.handle_transport_error(now);
                let origin = *origin;
                self.pump(now, conn);
                self.schedule_origin(now, origin);
            }
            Some(Slot::Connecting { .. }) => self.handle_connect_failed(now, conn),
            None => {}
        }
    }

    /// A deadline from [`poll_timeout`](Self::poll_timeout) is due; other
    /// calls are harmless.
    pub fn handle_timeout(&mut self, now: Instant) {
        while let Some((at, key)) = self.timers.pop_due(now) {
            match key {
                TimerKey::Connect(conn) => {
                    // The connect timeout (P10) counts as a failed connect.
                    if let Some(Slot::Connecting { origin, .. }) = self.slots.remove(&conn) {
                        self.instructions.push_back(Instruction::Close { conn, origin, summary: None });
                        self.connect_failed(origin);
                        self.schedule_origin(now, origin);
                    }
                }
                TimerKey::Connection(conn) => {
                    let Some(Slot::Open { connection, armed, origin, .. }) = self.slots.get_mut(&conn) else {
                        continue;
                    };
                    if *armed == Some(at) {
                        *armed = None;
                    }
                    connection.handle_timeout(now);
                    let origin = *origin;
                    self.pump(now, conn);
                    self.rearm_connection(conn);
                    self.schedule_origin(now, origin);
                }
                TimerKey::Deadline(id) => self.expire(now, id),
                TimerKey::Origin(origin) => self.origin_timer(now, origin, at),
            }
        }
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
        let cursor = ConnectionId::from_raw(self.transmit_cursor);
        // Connections still connecting are passed over by `first_transmit`.
        ids.extend(self.slots.ids_from(cursor));
        let found = self.first_transmit(now, buf, &ids);
        self.scratch_ids = ids;
        // Round-robin transmits serve every connection: the list of those
        // that may write is moot.
        for conn in self.writable.drain(..) {
            if let Some(Slot::Open { marked, .. }) = self.slots.get_mut(&conn) {
                *marked = false;
            }
        }
        found
    }

    /// The next transmit of one connection: appends its bytes to `buf`.
    /// A driver whose connections each pull their own bytes uses this with
    /// [`poll_writable`](Self::poll_writable) instead of
    /// [`poll_transmit`](Self::poll_transmit).
    #[must_use]
    pub fn poll_transmit_on(&mut self, now: Instant, conn: ConnectionId, buf: &mut Vec<u8>) -> Option<usize> {
        let Some(Slot::Open { connection, marked, .. }) = self.slots.get_mut(&conn) else { return None };
        if core::mem::take(marked) {
            self.writable.retain(|&c| c != conn);
        }
        let n = connection.poll_transmit(now, buf);
        self.pump(now, conn);
        n
    }

    /// A connection that may have something to write since it was last
    /// asked: requests were placed on it (or its depth changed). Its own
    /// inputs are not reported: a driver asks after each of them anyway.
    #[must_use]
    pub fn poll_writable(&mut self) -> Option<ConnectionId> {
        let conn = self.writable.pop()?;
        if let Some(Slot::Open { marked, .. }) = self.slots.get_mut(&conn) {
            *marked = false;
        }
        Some(conn)
    }

    /// The next thing to do with a transport: open one, or close one.
    #[must_use]
    pub fn poll_instruction(&mut self) -> Option<Instruction> {
        self.instructions.pop_front()
    }

    /// When [`handle_timeout`](Self::handle_timeout) should next be called.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.timers.next()
    }

    /// The next event.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<PoolEvent<F::Codec>> {
        self.events.pop_front()
    }

    // ---- internals: requests ----

    /// Queues a request for a known origin.
    fn admit(
        &mut self,
        now: Instant,
        oid: OriginId,
        request: Request<F>,
        mut options: RequestOptions,
    ) -> Result<RequestId, Refused<Request<F>, EncodeError<F>>> {
        if let Some(timeout) = options.timeout.take() {
            let deadline = now + timeout;
            options.deadline = Some(options.deadline.map_or(deadline, |d| d.min(deadline)));
        }
        let queue_limit = self.config.queue_limit;
        let Some(entry) = self.origins.get_mut(oid) else {
            return Err(Refused { request, error: SubmitError::Closed });
        };
        if entry.queue.len() >= queue_limit {
            return Err(Refused { request, error: SubmitError::QueueFull { limit: queue_limit } });
        }
        if let Err(e) = entry.validator.validate(&request) {
            return Err(Refused { request, error: SubmitError::Invalid(e) });
        }
        // Correlation ids are unique among the origin's unfinished requests,
        // across all its connections, and kept when a request is replayed.
        let correlation = match entry.validator.matching() {
            Matching::Fifo => None,
            Matching::CorrelationId { id_space } => {
                let space = id_space.max(1);
                let free = (0..space)
                    .map(|k| entry.next_correlation.wrapping_add(k) % space)
                    .find(|c| !entry.correlations.contains(c));
                let Some(free) = free else {
                    return Err(Refused { request, error: SubmitError::QueueFull { limit: space as usize } });
                };
                entry.correlations.insert(free);
                entry.next_correlation = free.wrapping_add(1) % space;
                Some(CorrelationId::new(free))
            }
        };
        let handling = Handling::of(
            &options,
            entry.validator.is_idempotent(&request),
            entry.validator.is_exclusive(&request) || entry.validator.body_stream(&request).is_some(),
            self.config.connection.non_idempotent,
        )
        .with_rule(entry.validator.replay_rule(&request));
        let id = RequestId::from_raw(self.next_request);
        self.next_request += 1;
        entry.queue.push_back(id);
        self.origins.touch(oid);
        if let Some(at) = options.deadline {
            self.timers.arm(at, TimerKey::Deadline(id));
        }
        self.requests.insert(id.get(), Record::new(oid, request, options, correlation, handling));
        let _ = now;
        Ok(id)
    }

    /// A request's deadline passed (P10): it fails `timeout` wherever it is.
    fn expire(&mut self, now: Instant, id: RequestId) {
        let Some(record) = self.requests.get(id.get()) else { return };
        let origin = record.origin;
        match record.place {
            Place::On(conn) => {
                self.drop_copy(now, id);
                if let Some(Slot::Open { connection, .. }) = self.slots.get_mut(&conn) {
                    connection.expire(now, id);
                }
                self.pump(now, conn);
            }
            Place::Queued(_) => {
                if let Some(entry) = self.origins.get_mut(origin) {
                    entry.queue.retain(|&q| q != id);
                }
                self.fail(id, Cause::Deadline, Progress::NotWritten, Retry::Never, None);
            }
        }
        self.schedule_origin(now, origin);
    }

    /// Ends a request with its final failure, named by [`error_kind`]. Its
    /// request is taken from wherever it is: its record (queued), or
    /// `handed_back` (from a connection).
    fn fail(
        &mut self,
        id: RequestId,
        cause: Cause<CodecErrorOf<F>>,
        progress: Progress,
        retry: Retry,
        gave_up: Option<GaveUp>,
    ) {
        self.fail_with(id, None, cause, progress, retry, gave_up);
    }

    fn fail_with(
        &mut self,
        id: RequestId,
        handed_back: Option<(Request<F>, bool)>,
        cause: Cause<CodecErrorOf<F>>,
        progress: Progress,
        retry: Retry,
        gave_up: Option<GaveUp>,
    ) {
        let Some(record) = self.requests.remove(id.get()) else { return };
        self.forget(id, &record);
        let (request, replayable) = match (handed_back, record.place) {
            (Some(back), _) => back,
            (None, Place::Queued(request)) => (request, record.handling.replayable),
            // A request on a connection comes back only with the
            // connection's own event.
            (None, Place::On(_)) => return,
        };
        let kind = error_kind(&Ending { cause: &cause, progress, replayable, retry, gave_up });
        self.events.push_back(PoolEvent::Failed(Box::new(Failure {
            id,
            origin: record.origin,
            request,
            kind,
            cause,
            progress,
            attempts: record.attempts,
            tries: record.tries,
        })));
    }

    /// A request ended: its deadline and correlation id are released.
    fn forget(&mut self, id: RequestId, record: &Record<F::Codec>) {
        if let Some(at) = record.options.deadline {
            self.timers.disarm(at, TimerKey::Deadline(id));
        }
        if let (Some(c), Some(entry)) = (record.correlation, self.origins.get_mut(record.origin)) {
            entry.correlations.remove(&c.get());
        }
    }

    fn fail_queue(&mut self, origin: OriginId, cause: Cause<CodecErrorOf<F>>) {
        let Some(entry) = self.origins.get_mut(origin) else { return };
        let waiting: Vec<RequestId> = entry.queue.drain(..).collect();
        for id in waiting {
            self.fail(id, cause.clone(), Progress::NotWritten, Retry::Never, None);
        }
    }

    /// A response part (or whole response) to `id` arrived on `conn`: its
    /// attempts so far, or `None` when it is not to be reported (a rescue
    /// copy that lost, P13). The first to answer of a request and its
    /// rescue copy wins; the other is cancelled.
    fn attempts_on_success(&mut self, now: Instant, id: RequestId, conn: ConnectionId, end: bool) -> Option<u32> {
        // The parts of one response come one after another: look its record
        // up once.
        let attempts = match self.last_answered {
            Some((last, on, attempts)) if last == id && on == conn => attempts,
            _ => {
                let record = self.requests.get_mut(id.get())?;
                let loser = match (&record.place, record.rescue) {
                    (Place::On(primary), Rescue::Copied(copy)) if *primary == conn => Some(copy),
                    (Place::On(primary), Rescue::Copied(copy)) if copy == conn => {
                        let primary = *primary;
                        record.place = Place::On(conn);
                        Some(primary)
                    }
                    (Place::On(primary), _) if *primary == conn => None,
                    // The loser of a rescue, answering after all.
                    _ => return None,
                };
                if let Some(loser) = loser {
                    self.drop_copy_on(now, id, loser);
                }
                let attempts = self.requests.get(id.get()).map_or(1, |r| r.attempts + 1);
                self.last_answered = Some((id, conn, attempts));
                attempts
            }
        };
        if end {
            self.last_answered = None;
            if let Some(record) = self.requests.remove(id.get()) {
                self.forget(id, &record);
            }
        }
        Some(attempts)
    }

    /// Drops request `id`'s rescue copy, if it has one (P13): cancelled on
    /// its connection, whose events about it are ignored from now on.
    fn drop_copy(&mut self, now: Instant, id: RequestId) {
        let Some(record) = self.requests.get(id.get()) else { return };
        if let Rescue::Copied(copy) = record.rescue {
            self.drop_copy_on(now, id, copy);
            self.pump(now, copy);
        } else if let Some(record) = self.requests.get_mut(id.get()) {
            record.rescue = Rescue::None;
        }
    }

    /// Cancels the copy of `id` on `copy` (whichever of the two is not
    /// kept); a written copy counts as an attempt. Its connection's events
    /// are drained later (`to_pump`).
    fn drop_copy_on(&mut self, now: Instant, id: RequestId, copy: ConnectionId) {
        let Some(record) = self.requests.get_mut(id.get()) else { return };
        record.rescue = Rescue::None;
        if let Some(Slot::Open { connection, .. }) = self.slots.get_mut(&copy) {
            if connection.has_written(id) {
                record.attempts += 1;
            }
            // An unwritten copy leaves the queue, a written one is read and
            // dropped (P9).
            connection.cancel(now, id);
            self.to_pump.push(copy);
        }
    }

    /// A connection handed a request back (or ended it): resend it when the
    /// rules allow, else it fails for good.
    fn on_unanswered(&mut self, origin: OriginId, conn: ConnectionId, unanswered: Unanswered<F::Codec>, reroute: bool) {
        let max_tries = self.config.max_tries.max(1);
        let Unanswered { id, request, replayable, progress, retry, cause } = unanswered;
        // Its attempts change, and parts of its response may have been
        // counted already: nothing cached of it holds.
        if self.last_answered.is_some_and(|(last, _, _)| last == id) {
            self.last_answered = None;
        }
        let Some(record) = self.requests.get_mut(id.get()) else { return };
        let primary = matches!(record.place, Place::On(c) if c == conn);
        match record.rescue {
            // A rescue copy ended without an answer: the request goes on
            // where it was (P13).
            Rescue::Copied(copy) if copy == conn => {
                record.rescue = Rescue::None;
                if progress.was_written() {
                    record.attempts += 1;
                }
                return;
            }
            // The original ended without an answer while its copy is out:
            // the copy carries on in its place, spending no try.
            Rescue::Copied(copy) if primary => {
                record.place = Place::On(copy);
                record.rescue = Rescue::None;
                if progress.was_written() {
                    record.attempts += 1;
                }
                return;
            }
            Rescue::Wanted if primary => record.rescue = Rescue::None,
            _ => {}
        }
        if !primary {
            // A cancelled copy's last word.
            return;
        }
        if progress.was_written() {
            record.attempts += 1;
        }
        let rerouted = matches!(cause, Cause::Rerouted);
        let lost = matches!(cause, Cause::Lost(_)) || rerouted;
        let gave_up = match retry {
            _ if !lost => None,
            Retry::Never => None,
            _ if !reroute => Some(GaveUp::Closing),
            Retry::Move => {
                record.moves += 1;
                (record.moves > MAX_MOVES).then_some(GaveUp::Moves)
            }
            Retry::Replay => {
                if let Cause::Lost(reason) = cause {
                    record.tries.push(reason);
                }
                (record.tries.len() as u32 >= max_tries).then_some(GaveUp::Tries { allowed: max_tries })
            }
        };
        if lost && retry != Retry::Never && gave_up.is_none() {
            // A request sent elsewhere unwritten did not fail anywhere: it
            // is not a replay that must go alone.
            record.replayed |= !rerouted;
            record.place = Place::Queued(request);
            if let Some(entry) = self.origins.get_mut(origin) {
                // Handed-back requests go ahead of newer ones, in their
                // original order: the queue stays sorted by id.
                let pos = entry.queue.partition_point(|&q| q < id);
                entry.queue.insert(pos, id);
            }
            return;
        }
        self.fail_with(id, Some((request, replayable)), cause, progress, retry, gave_up);
    }

    // ---- internals: connections ----

    fn first_transmit(
        &mut self,
        now: Instant,
        buf: &mut Vec<u8>,
        ids: &[ConnectionId],
    ) -> Option<(ConnectionId, usize)> {
        for &conn in ids {
            if let Some(Slot::Open { connection, .. }) = self.slots.get_mut(&conn) {
                if let Some(n) = connection.poll_transmit(now, buf) {
                    self.transmit_cursor = conn.get() + 1;
                    self.pump(now, conn);
                    self.rearm_connection(conn);
                    return Some((conn, n));
                }
                self.pump(now, conn);
            }
        }
        None
    }

    /// Keeps a connection's entry in the timers no later than its own next
    /// deadline: moved only when that deadline comes earlier (see
    /// [`Timers`]).
    fn rearm_connection(&mut self, conn: ConnectionId) {
        let Some(Slot::Open { connection, armed, .. }) = self.slots.get_mut(&conn) else { return };
        let due = connection.poll_timeout();
        let earlier = match (due, *armed) {
            (Some(due), Some(armed)) => due < armed,
            (Some(_), None) => true,
            (None, _) => false,
        };
        if earlier {
            self.timers.rearm(*armed, due, TimerKey::Connection(conn));
            *armed = due;
        }
    }

    /// Drains a connection's events into the pool's, then those of the
    /// connections its events touched.
    fn pump(&mut self, now: Instant, conn: ConnectionId) {
        self.pump_with(now, conn, true);
        self.rearm_connection(conn);
        while let Some(other) = self.to_pump.pop() {
            self.pump_with(now, other, true);
            self.rearm_connection(other);
        }
    }

    fn pump_with(&mut self, now: Instant, conn: ConnectionId, reroute: bool) {
        loop {
            let Some(Slot::Open { connection, origin, set_up, .. }) = self.slots.get_mut(&conn) else { return };
            let Some(event) = connection.poll_event() else { return };
            let origin = *origin;
            if !*set_up && !connection.is_setting_up() {
                // Its setup was answered: the connect succeeded after all.
                *set_up = true;
                if let Some(entry) = self.origins.get_mut(origin) {
                    entry.failed_connects = 0;
                }
            }
            match event {
                Event::Response { id, part, end } => {
                    if let Some(attempts) = self.attempts_on_success(now, id, conn, end) {
                        self.events.push_back(PoolEvent::Response { id, conn, part, end, attempts });
                    }
                }
                Event::Complete { id, response } => {
                    if let Some(attempts) = self.attempts_on_success(now, id, conn, true) {
                        self.events.push_back(PoolEvent::Complete { id, response, attempts });
                    }
                }
                Event::Unanswered(unanswered) => self.on_unanswered(origin, conn, *unanswered, reroute),
                Event::SlowHead => self.on_slow_head(conn, origin),
                Event::SendBody { id } => self.events.push_back(PoolEvent::SendBody { id }),
                Event::SetupRefused(why) => self.events.push_back(PoolEvent::SetupRefused { origin, why }),
                Event::Written { id } => self.events.push_back(PoolEvent::Written { id, conn }),
                Event::Unsolicited(part) => self.events.push_back(PoolEvent::Unsolicited { conn, part }),
                Event::Capability(capability) => {
                    if let Some(entry) = self.origins.get_mut(origin) {
                        // A demoted origin stays demoted whatever a connection
                        // probing it learns.
                        if entry.memory.record_capability(capability) {
                            let fact = Fact::Capability(entry.memory.capability(now));
                            self.events.push_back(PoolEvent::Learned { origin, fact });
                        }
                    }
                }
                Event::Closed(summary) => {
                    let mut lost_in_setup = false;
                    if let Some(Slot::Open { armed, marked, mut connection, .. }) = self.slots.remove(&conn) {
                        lost_in_setup = connection.is_setting_up();
                        if let Some(at) = armed {
                            self.timers.disarm(at, TimerKey::Connection(conn));
                        }
                        if marked {
                            self.writable.retain(|&c| c != conn);
                        }
                        if let Some(id) = connection.upgraded_by() {
                            let leftover = connection.take_leftover();
                            self.events.push_back(PoolEvent::Upgraded { id, conn, leftover });
                        }
                    }
                    self.on_closed(now, conn, origin, summary);
                    if lost_in_setup {
                        self.lost_in_setup(origin, summary.reason);
                    }
                    self.instructions.push_back(Instruction::Close { conn, origin, summary: Some(summary) });
                    return;
                }
            }
        }
    }

    /// The head of `conn`'s pipeline is slow (P13): the requests behind it
    /// want a copy on another connection, when another one can take work
    /// (one open with room, or room to open one).
    fn on_slow_head(&mut self, conn: ConnectionId, origin: OriginId) {
        let Some(entry) = self.origins.get_mut(origin) else { return };
        let slots = &self.slots;
        let other_has_room = entry.open.iter().any(|&c| {
            c != conn && matches!(slots.get(&c), Some(Slot::Open { connection, .. }) if connection.free_slots() > 0)
        });
        let may_open = entry.open.len() + entry.connecting < self.config.connections;
        if !other_has_room && !may_open {
            return;
        }
        let Some(Slot::Open { connection, .. }) = slots.get(&conn) else { return };
        let most = self.config.connection.depth.saturating_mul(self.config.connections);
        for (id, _) in connection.rescue_candidates() {
            if entry.rescues.len() >= most {
                break;
            }
            let Some(record) = self.requests.get_mut(id.get()) else { continue };
            if record.rescue == Rescue::None && matches!(record.place, Place::On(c) if c == conn) {
                record.rescue = Rescue::Wanted;
                entry.rescues.push_back(id);
            }
        }
    }

    /// Places the wanted rescue copies of an origin's requests on its other
    /// connections with room (P13), oldest first. A copy is a second place
    /// for the same request, written speculatively: it spends no try.
    fn place_rescues(&mut self, now: Instant, origin: OriginId) {
        let Some(entry) = self.origins.get_mut(origin) else { return };
        while let Some(&id) = entry.rescues.front() {
            let Some(record) = self.requests.get_mut(id.get()) else {
                entry.rescues.pop_front();
                continue;
            };
            let (Place::On(primary), Rescue::Wanted) = (&record.place, record.rescue) else {
                entry.rescues.pop_front();
                continue;
            };
            let primary = *primary;
            // Still waiting for its first response byte: copy it.
            let request = match self.slots.get(&primary) {
                Some(Slot::Open { connection, .. }) => connection.awaiting_response(id).cloned(),
                _ => None,
            };
            let Some(request) = request else {
                record.rescue = Rescue::None;
                entry.rescues.pop_front();
                continue;
            };
            let best = entry
                .open
                .iter()
                .filter(|&&c| c != primary)
                .filter_map(|&c| match self.slots.get(&c) {
                    Some(Slot::Open { connection, .. }) if connection.free_slots() > 0 => {
                        Some((connection.in_flight() + connection.queued(), c))
                    }
                    _ => None,
                })
                .min();
            let Some((_, target)) = best else { break };
            let Some(Slot::Open { connection, marked, .. }) = self.slots.get_mut(&target) else { break };
            let mut options = record.options;
            options.deadline = None;
            if connection.submit_as(now, id, request, options, record.correlation, record.handling).is_err() {
                break;
            }
            if !*marked {
                *marked = true;
                self.writable.push(target);
            }
            record.rescue = Rescue::Copied(target);
            entry.rescues.pop_front();
            self.rescues += 1;
        }
    }

    fn connect_failed(&mut self, origin: OriginId) {
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
            self.fail_queue(origin, Cause::ConnectFailed);
        }
    }

    /// A connection to `origin` closed before its setup was answered, for
    /// `reason`. Lost that way (the server or the network closed it, as a
    /// TLS server does that rejects a client certificate after the
    /// handshake), it counts as a failed connect: the caller's requests
    /// behind the setup were never written, so they move without spending a
    /// try, and without this they would move to new connections forever.
    /// After `max_tries` in a row, with no connection open, the queue fails
    /// with `connect` (P8, D5).
    fn lost_in_setup(&mut self, origin: OriginId, reason: CloseReason) {
        let lost = matches!(
            reason,
            CloseReason::PeerClosed
                | CloseReason::ServerClose
                | CloseReason::Truncated
                | CloseReason::Transport
                | CloseReason::StallTimeout
                | CloseReason::Protocol
        );
        let max_tries = self.config.max_tries.max(1);
        let Some(entry) = self.origins.get_mut(origin) else { return };
        if !lost {
            return;
        }
        entry.failed_connects += 1;
        if entry.failed_connects >= max_tries && entry.open.is_empty() {
            entry.failed_connects = 0;
            self.events.push_back(PoolEvent::SetupLost { origin });
            self.fail_queue(origin, Cause::ConnectFailed);
        }
    }

    fn on_closed(&mut self, now: Instant, conn: ConnectionId, origin: OriginId, summary: CloseSummary) {
        let config = self.config;
        let Some(entry) = self.origins.get_mut(origin) else { return };
        entry.open.retain(|&c| c != conn);
        entry.last_closed = Some(now);
        let memory = config.budget_memory;
        let budget = if summary.lesson == Lesson::ServerClose {
            entry.memory.record_server_close(now, summary.responses, memory)
        } else if let Some(announced) = summary.announced_budget {
            // The client closed first, at the budget the server announced
            // (`Keep-Alive: max`): the same lesson as the server's close.
            entry.memory.record_server_close(now, announced, memory)
        } else {
            None
        };
        let idle_limit = summary.idle_closed_after.and_then(|after| entry.memory.record_idle_close(now, after, memory));
        // A lesson holds for the origin's open connections at once, not only
        // for those opened later (P11): none writes past a budget known.
        if budget.is_some() || idle_limit.is_some() {
            let budget = entry.memory.budget(now, memory);
            for &c in &entry.open {
                if let Some(Slot::Open { connection, .. }) = self.slots.get_mut(&c) {
                    if let Some(budget) = budget {
                        connection.apply_budget(now, budget);
                    }
                    if let Some(limit) = idle_limit {
                        connection.limit_idle(now, limit);
                    }
                    self.to_pump.push(c);
                }
            }
        }
        if let Some(budget) = budget {
            self.events.push_back(PoolEvent::Learned { origin, fact: Fact::Budget(budget) });
        }
        if let Some(limit) = idle_limit {
            self.events.push_back(PoolEvent::Learned { origin, fact: Fact::IdleTimeout(limit) });
        }
        if summary.reason == CloseReason::SetupRefused {
            // A refused setup (a wrong password) will be refused again: the
            // requests waiting for the origin fail now, with `connect`,
            // rather than retrying it; later submissions try afresh.
            self.fail_queue(origin, Cause::ConnectFailed);
        }
        let Some(entry) = self.origins.get_mut(origin) else { return };
        match summary.lesson {
            Lesson::PipelineBreak => {
                entry.replay_alone = true;
                if let Some(until) = entry.memory.record_break(now, config.break_window, config.demotion) {
                    // Demote the origin's other connections too (P6).
                    for &c in &entry.open {
                        if let Some(Slot::Open { connection, .. }) = self.slots.get_mut(&c) {
                            connection.override_capability(Capability::OneAtATime);
                        }
                    }
                    self.events.push_back(PoolEvent::Learned { origin, fact: Fact::Demoted { until } });
                }
            }
            // A failed connection, not closed by the server in its last
            // response: the first replay goes alone (RFC 9112 §9.3.2).
            _ if matches!(
                summary.reason,
                CloseReason::PeerClosed | CloseReason::Transport | CloseReason::StallTimeout | CloseReason::Truncated
            ) =>
            {
                entry.replay_alone = true;
            }
            _ => {}
        }
        self.rearm_origin(now, origin);
    }

    // ---- internals: origins ----

    /// Places waiting requests on connections, asks for new connections, and
    /// notes an origin left idle.
    fn schedule_origin(&mut self, now: Instant, origin: OriginId) {
        self.refresh_memory(now, origin);
        self.place_rescues(now, origin);
        let Some(entry) = self.origins.get_mut(origin) else { return };
        while let Some(&head) = entry.queue.front() {
            let Some(record) = self.requests.get_mut(head.get()) else {
                entry.queue.pop_front();
                continue;
            };
            let Place::Queued(request) = &record.place else {
                entry.queue.pop_front();
                continue;
            };
            let _ = request;
            let replayed = record.replayed;
            let must_be_alone = record.handling.alone || (replayed && entry.replay_alone);
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
            let Some(Slot::Open { connection, marked, .. }) = self.slots.get_mut(&conn) else { break };
            if !*marked {
                *marked = true;
                self.writable.push(conn);
            }
            if replayed && entry.replay_alone {
                // RFC 9112 §9.3.2: after a failed connection, the first
                // replayed request goes out alone before pipelining resumes.
                entry.replay_alone = false;
                // Probe again only a pipelining connection: one kept at one
                // request at a time (HTTP/1.0, a demoted origin) stays so.
                if connection.capability() == Capability::Pipelining {
                    connection.override_capability(Capability::Unknown);
                }
            }
            let Place::Queued(request) = core::mem::replace(&mut record.place, Place::On(conn)) else { break };
            // The pool keeps the deadline (it outlives the connection).
            let mut options = record.options;
            options.deadline = None;
            match connection.submit_as(now, head, request, options, record.correlation, record.handling) {
                Ok(()) => {
                    entry.queue.pop_front();
                }
                Err(refused) => {
                    record.place = Place::Queued(refused.request);
                    break;
                }
            }
        }
        // More connections when the waiting requests exceed what the
        // connections being opened will take (P11).
        let per_connection = match starting_capability(&self.config, entry, now) {
            Capability::Pipelining => self.config.connection.depth.max(1),
            _ => 1,
        };
        let refusing_more = entry.failed_connects >= self.config.max_tries.max(1) && !entry.open.is_empty();
        // Wanted rescue copies count too: a copy may go on a new connection.
        while (!entry.queue.is_empty() || !entry.rescues.is_empty())
            && !refusing_more
            && entry.open.len() + entry.connecting < self.config.connections.max(1)
            && entry.queue.len() + entry.rescues.len() > entry.connecting * per_connection
        {
            let conn = ConnectionId::from_raw(self.next_connection);
            self.next_connection += 1;
            entry.connecting += 1;
            let deadline = self.config.connect_timeout.map(|t| now + t);
            if let Some(at) = deadline {
                self.timers.arm(at, TimerKey::Connect(conn));
            }
            self.slots.insert(conn, Slot::Connecting { origin, deadline });
            self.instructions.push_back(Instruction::Connect { conn, origin });
        }
        self.settle_origin(now, origin);
    }

    /// Ends a demotion that is over: the origin is probed again (P6).
    fn refresh_memory(&mut self, now: Instant, origin: OriginId) {
        let Some(entry) = self.origins.get_mut(origin) else { return };
        if entry.memory.refresh(now) {
            for &c in &entry.open {
                if let Some(Slot::Open { connection, .. }) = self.slots.get_mut(&c) {
                    connection.override_capability(Capability::Unknown);
                }
            }
        }
    }

    /// An origin in use is not forgotten; an idle one is remembered until
    /// its memory expires, or dropped at once when it taught nothing. Keeps
    /// the number of idle remembered origins within `max_origins`.
    fn settle_origin(&mut self, now: Instant, origin: OriginId) {
        let Some(entry) = self.origins.get_mut(origin) else { return };
        if !entry.is_idle() {
            if entry.forget_at.take().is_some() {
                self.origins.touch(origin);
                self.rearm_origin(now, origin);
            }
            return;
        }
        if entry.forget_at.is_some() {
            return;
        }
        entry.forget_at = Some(if entry.memory.holds_lessons(now, self.config.budget_memory) {
            entry.last_closed.unwrap_or(now) + self.config.origin_memory
        } else {
            // Nothing learned: dropped at the next timer call, once the
            // driver has drained the events that name it.
            now
        });
        self.origins.mark_idle(origin);
        self.rearm_origin(now, origin);
        while let Some(oldest) = self.origins.over_limit(self.config.max_origins) {
            self.drop_origin(oldest);
        }
    }

    /// Keeps the origin's entry in the timers at the earlier of its
    /// forgetting and the end of its demotion.
    fn rearm_origin(&mut self, now: Instant, origin: OriginId) {
        let Some(entry) = self.origins.get_mut(origin) else { return };
        let demotion_end = entry.memory.demoted_until().filter(|&until| until > now);
        let due = match (entry.forget_at, demotion_end) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        self.timers.rearm(entry.armed, due, TimerKey::Origin(origin));
        entry.armed = due;
    }

    fn origin_timer(&mut self, now: Instant, origin: OriginId, at: Instant) {
        let Some(entry) = self.origins.get_mut(origin) else { return };
        if entry.armed == Some(at) {
            entry.armed = None;
        }
        if entry.is_idle() && entry.forget_at.is_some_and(|t| t <= now) {
            self.drop_origin(origin);
            return;
        }
        self.schedule_origin(now, origin);
        self.rearm_origin(now, origin);
    }

    fn drop_origin(&mut self, origin: OriginId) {
        if let Some(OriginEntry { armed: Some(at), .. }) = self.origins.remove(origin) {
            self.timers.disarm(at, TimerKey::Origin(origin));
        }
    }
}

/// What a new connection to `entry` starts with: what the origin taught, or
/// the configured assumption while it taught nothing (a caller that knows its
/// servers pipeline skips the probe).
fn starting_capability<C: Codec>(config: &PoolConfig, entry: &OriginEntry<C>, now: Instant) -> Capability {
    match entry.memory.capability(now) {
        Capability::Unknown => config.connection.capability,
        known => known,
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
