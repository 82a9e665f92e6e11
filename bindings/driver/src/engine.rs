//! The engine every client shares, whatever its protocol: one sans-IO pool
//! behind a lock, routes from pool events to waiting requests, requests
//! parked while their origin's queue is full, and the tasks that move bytes
//! and time.

use crate::Error;
use crate::clock::Clock;
use crate::config::Observer;
use crate::id_hash::IdMap;
use crate::runtime::{Connector, SharedRuntime};
use event_listener::Event as Notify;
use pipelining::pipeline::Codec;
use pipelining::{
    Capability, CloseSummary, CodecFactory, ConnectionId, ErrorKind, Instant, Instruction, Origin, Pool, PoolConfig,
    PoolEvent, RequestId, RequestOptions, SubmitError,
};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};

/// Where and when a request was written (its last byte accepted by the
/// transport), found in a response's extensions: latency counts from here.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Written {
    /// The connection it went on.
    pub connection: ConnectionId,
    /// When the transport accepted its last byte.
    pub at: std::time::Instant,
}

/// Something that happened to a connection or an origin.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum Observation {
    /// A connection to `origin` is being opened.
    Connecting {
        /// The connection.
        conn: ConnectionId,
        /// Its origin.
        origin: Origin,
    },
    /// The connection is open.
    Connected {
        /// The connection.
        conn: ConnectionId,
    },
    /// Opening the connection failed.
    ConnectFailed {
        /// The connection.
        conn: ConnectionId,
        /// Why.
        error: String,
    },
    /// The connection closed; `summary` says how, if it was open.
    Closed {
        /// The connection.
        conn: ConnectionId,
        /// Its origin.
        origin: Origin,
        /// How it ended.
        summary: Option<CloseSummary>,
    },
    /// What an origin can do changed.
    Capability {
        /// The origin.
        origin: Origin,
        /// Its capability.
        capability: Capability,
        /// The end of a demotion.
        until: Option<Instant>,
    },
}

/// Implemented by every codec whose requests and responses can cross tasks.
pub trait SendCodec:
    Codec<
        Request: Send + Clone,
        Part: Send,
        Response: Send,
        Collector: Send,
        Error: Send + Sync + std::fmt::Display,
        EncodeError: Send + std::fmt::Display,
    > + Send
    + 'static
{
}

impl<C> SendCodec for C where
    C: Codec<
            Request: Send + Clone,
            Part: Send,
            Response: Send,
            Collector: Send,
            Error: Send + Sync + std::fmt::Display,
            EncodeError: Send + std::fmt::Display,
        > + Send
        + 'static
{
}

/// The codec of a protocol.
pub(crate) type CodecOf<P> = <<P as Protocol>::Factory as CodecFactory>::Codec;

/// What happened to one request, for its sink.
pub(crate) enum Delivery<C: Codec> {
    /// A part of its response; `end` on the last.
    Part { part: C::Part, end: bool, attempts: u32 },
    /// Its whole response.
    Complete { response: C::Response, attempts: u32 },
    /// It failed for good.
    Failed(Error),
}

/// What a client protocol adds to the engine: how to hand a request's
/// outcome to whoever waits for it.
pub(crate) trait Protocol: Send + Sync + Sized + 'static {
    /// Makes the codec of each connection.
    type Factory: CodecFactory<Codec: SendCodec> + Send + 'static;
    /// Where one request's outcome goes.
    type Sink: Send + 'static;

    /// Hands `delivery` to `sink`.
    fn deliver(sink: &mut Self::Sink, delivery: Delivery<CodecOf<Self>>, written: Option<Written>);
}

struct Route<S> {
    ticket: u64,
    origin: Origin,
    /// When and where its last byte was written, once it was.
    written: Option<Written>,
    sink: S,
}

/// A request sent while its origin's submit queue was full: it waits here,
/// in order, until the pool has room (P1 backpressure: its future stays
/// pending meanwhile).
struct Parked<P: Protocol> {
    origin: Origin,
    request: <CodecOf<P> as Codec>::Request,
    options: RequestOptions,
    route: Route<P::Sink>,
}

/// Per-connection plumbing between the pool and the connection's task.
pub(crate) struct ConnPlumbing {
    /// Bytes the pool produced for this connection, not yet written.
    pub(crate) outbox: Vec<u8>,
    /// Wakes the connection's writer (new bytes, or closing).
    pub(crate) wake: Arc<Notify>,
    /// The pool said to close the transport.
    pub(crate) closing: bool,
    /// Where it goes.
    pub(crate) origin: Origin,
}

pub(crate) struct State<P: Protocol> {
    pub(crate) pool: Pool<P::Factory>,
    routes: IdMap<RequestId, Route<P::Sink>>,
    /// Tickets of requests in the pool, for cancellation.
    submitted: IdMap<u64, RequestId>,
    /// Requests waiting for room, per origin, in order.
    parked: IdMap<Origin, VecDeque<Parked<P>>>,
    /// Which origin each parked ticket waits for.
    parked_tickets: IdMap<u64, Origin>,
    /// Origins whose requests ended during this drive: they may have room.
    freed: Vec<Origin>,
    next_ticket: u64,
    pub(crate) conns: IdMap<ConnectionId, ConnPlumbing>,
    pub(crate) timer_deadline: Option<Instant>,
    /// The last connect error per origin, for messages.
    pub(crate) connect_errors: IdMap<Origin, String>,
    scratch: Vec<u8>,
    /// The last client handle was dropped.
    pub(crate) shut_down: bool,
    /// Every connection was closed after the shutdown.
    closed_all: bool,
}

/// What every task of a client shares.
pub(crate) struct Shared<P: Protocol> {
    state: Mutex<State<P>>,
    pub(crate) runtime: SharedRuntime,
    pub(crate) connector: Arc<dyn Connector>,
    pub(crate) clock: Clock,
    /// Wakes the timer task when the next deadline changes.
    pub(crate) timer_wake: Notify,
    observer: Option<Observer>,
    pub(crate) request_timeout: Option<pipelining::Duration>,
}

/// How to build a [`Shared`].
pub(crate) struct EngineConfig {
    pub(crate) pool: PoolConfig,
    pub(crate) runtime: SharedRuntime,
    pub(crate) connector: Arc<dyn Connector>,
    pub(crate) observer: Option<Observer>,
    pub(crate) request_timeout: Option<pipelining::Duration>,
}

impl<P: Protocol> Shared<P> {
    /// A new engine; its timer task is running.
    pub(crate) fn start(factory: P::Factory, config: EngineConfig) -> Result<Arc<Self>, Error> {
        let pool = Pool::new(factory, config.pool).map_err(|e| Error::new(ErrorKind::InvalidRequest, e.to_string()))?;
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                pool,
                routes: IdMap::default(),
                submitted: IdMap::default(),
                parked: IdMap::default(),
                parked_tickets: IdMap::default(),
                freed: Vec::new(),
                next_ticket: 0,
                conns: IdMap::default(),
                timer_deadline: None,
                connect_errors: IdMap::default(),
                scratch: Vec::new(),
                shut_down: false,
                closed_all: false,
            }),
            runtime: config.runtime.clone(),
            connector: config.connector,
            clock: Clock::new(),
            timer_wake: Notify::new(),
            observer: config.observer,
            request_timeout: config.request_timeout,
        });
        config.runtime.spawn(Box::pin(crate::timer_task::run(shared.clone())));
        Ok(shared)
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, State<P>> {
        // A panic while holding the lock cannot leave the pool half-updated
        // in a way that matters more than stopping every request would.
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub(crate) fn observe(&self, observation: Observation) {
        if let Some(observer) = &self.observer {
            observer(&observation);
        }
    }

    /// Queues a request: into the pool now, or parked behind earlier parked
    /// requests to the same origin. Returns its ticket, for cancellation.
    pub(crate) fn submit(
        self: &Arc<Self>,
        origin: Origin,
        request: <CodecOf<P> as Codec>::Request,
        mut options: RequestOptions,
        sink: P::Sink,
    ) -> u64 {
        let mut state = self.lock();
        let ticket = state.next_ticket;
        state.next_ticket += 1;
        if let Some(timeout) = self.request_timeout {
            // From the call, also for a request that waits for room (P10).
            options = options.deadline(self.clock.now() + timeout);
        }
        let route = Route { ticket, origin: origin.clone(), written: None, sink };
        let parked = Parked { origin, request, options, route };
        let waiting = state.parked.get(&parked.origin).is_some_and(|q| !q.is_empty());
        let parked = if waiting { Some(parked) } else { self.try_submit(&mut state, parked) };
        if let Some(parked) = parked {
            state.parked_tickets.insert(ticket, parked.origin.clone());
            state.parked.entry(parked.origin.clone()).or_default().push_back(parked);
        }
        self.drive(&mut state);
        ticket
    }

    /// Drains the pool after an input: transmits to their connections'
    /// outboxes, events to their routes and tasks, the next deadline to the
    /// timer.
    pub(crate) fn drive(self: &Arc<Self>, state: &mut State<P>) {
        loop {
            let now = self.clock.now();
            let mut scratch = std::mem::take(&mut state.scratch);
            while let Some((conn, n)) = state.pool.poll_transmit(now, &mut scratch) {
                let start = scratch.len() - n;
                if let Some(plumbing) = state.conns.get_mut(&conn) {
                    plumbing.outbox.extend_from_slice(&scratch[start..]);
                    plumbing.wake.notify(usize::MAX);
                }
                scratch.clear();
            }
            state.scratch = scratch;
            while let Some(instruction) = state.pool.poll_instruction() {
                self.on_instruction(state, instruction);
            }
            let deadline = state.pool.poll_timeout();
            if deadline != state.timer_deadline {
                state.timer_deadline = deadline;
                self.timer_wake.notify(usize::MAX);
            }
            let mut freed = false;
            while let Some(event) = state.pool.poll_event() {
                freed |= event.terminal_id().is_some();
                self.on_event(state, event);
            }
            if state.shut_down && !state.closed_all && state.pool.pending() == 0 && state.parked_tickets.is_empty() {
                // Nothing left to do: close the idle connections now rather
                // than at their idle timeout.
                state.closed_all = true;
                state.pool.close(now);
                continue;
            }
            if freed && !state.parked_tickets.is_empty() {
                // Room freed: parked requests go in, and may need writing.
                self.unpark(state);
                continue;
            }
            state.freed.clear();
            return;
        }
    }

    fn on_instruction(self: &Arc<Self>, state: &mut State<P>, instruction: Instruction) {
        match instruction {
            Instruction::Connect { conn, origin } => {
                let Some(origin) = state.pool.origin(origin).cloned() else { return };
                let wake = Arc::new(Notify::new());
                state
                    .conns
                    .insert(conn, ConnPlumbing { outbox: Vec::new(), wake, closing: false, origin: origin.clone() });
                self.observe(Observation::Connecting { conn, origin: origin.clone() });
                let task = crate::connection_task::run(self.clone(), conn, origin);
                self.runtime.spawn(Box::pin(task));
            }
            Instruction::Close { conn, summary, .. } => {
                if let Some(plumbing) = state.conns.get_mut(&conn) {
                    plumbing.closing = true;
                    plumbing.outbox.clear();
                    plumbing.wake.notify(usize::MAX);
                    let origin = plumbing.origin.clone();
                    self.observe(Observation::Closed { conn, origin, summary });
                }
            }
            _ => {}
        }
    }

    fn on_event(self: &Arc<Self>, state: &mut State<P>, event: PoolEvent<CodecOf<P>>) {
        match event {
            PoolEvent::Capability { origin, capability, until } => {
                if let Some(origin) = state.pool.origin(origin).cloned() {
                    self.observe(Observation::Capability { origin, capability, until });
                }
            }
            PoolEvent::Written { id, conn } => {
                if let Some(route) = state.routes.get_mut(&id) {
                    route.written = Some(Written { connection: conn, at: std::time::Instant::now() });
                }
            }
            PoolEvent::Response { id, part, end, attempts } => {
                let route = if end { state.routes.remove(&id) } else { None };
                match route {
                    Some(mut route) => {
                        state.submitted.remove(&route.ticket);
                        if !state.parked_tickets.is_empty() {
                            state.freed.push(route.origin.clone());
                        }
                        P::deliver(&mut route.sink, Delivery::Part { part, end, attempts }, route.written);
                    }
                    None => {
                        if let Some(route) = state.routes.get_mut(&id) {
                            P::deliver(&mut route.sink, Delivery::Part { part, end, attempts }, route.written);
                        }
                    }
                }
            }
            PoolEvent::Complete { id, response, attempts } => {
                if let Some(mut route) = state.routes.remove(&id) {
                    state.submitted.remove(&route.ticket);
                    if !state.parked_tickets.is_empty() {
                        state.freed.push(route.origin.clone());
                    }
                    P::deliver(&mut route.sink, Delivery::Complete { response, attempts }, route.written);
                }
            }
            PoolEvent::Failed(failure) => {
                let Some(mut route) = state.routes.remove(&failure.id) else { return };
                state.submitted.remove(&route.ticket);
                if !state.parked_tickets.is_empty() {
                    state.freed.push(route.origin.clone());
                }
                let message = match &failure.cause {
                    pipelining::Cause::Response(e) => e.to_string(),
                    pipelining::Cause::Lost(_) if failure.tries.len() > 1 => {
                        let causes: Vec<&str> = failure.tries.iter().map(|r| r.describe()).collect();
                        format!("every try was lost: {}", causes.join("; "))
                    }
                    pipelining::Cause::Lost(reason) => reason.describe().to_owned(),
                    pipelining::Cause::Cancelled => "cancelled".to_owned(),
                    pipelining::Cause::Deadline => "the request's deadline passed".to_owned(),
                    pipelining::Cause::Unencodable => "the request could not be encoded".to_owned(),
                    pipelining::Cause::ConnectFailed => "every connect failed".to_owned(),
                };
                let message = match state.connect_errors.get(&route.origin) {
                    Some(cause) if failure.kind == ErrorKind::Connect => {
                        format!("connecting to {}: {cause}", route.origin)
                    }
                    _ => message,
                };
                let error = Error::new(failure.kind, message).with_attempts(failure.attempts);
                P::deliver(&mut route.sink, Delivery::Failed(error), route.written);
            }
            PoolEvent::Unsolicited { .. } => {}
        }
    }

    /// Changes the depth of every connection (P1).
    pub(crate) fn set_depth(self: &Arc<Self>, depth: usize) -> Result<(), Error> {
        let mut state = self.lock();
        let now = self.clock.now();
        state.pool.set_depth(now, depth).map_err(|e| Error::new(ErrorKind::InvalidRequest, e.to_string()))?;
        self.drive(&mut state);
        Ok(())
    }

    pub(crate) fn cancel(self: &Arc<Self>, ticket: u64) {
        let mut state = self.lock();
        if let Some(origin) = state.parked_tickets.remove(&ticket) {
            if let Some(queue) = state.parked.get_mut(&origin) {
                queue.retain(|p| p.route.ticket != ticket);
            }
            return;
        }
        let Some(id) = state.submitted.remove(&ticket) else { return };
        if let Some(route) = state.routes.remove(&id) {
            if !state.parked_tickets.is_empty() {
                state.freed.push(route.origin);
            }
        }
        let now = self.clock.now();
        state.pool.cancel(now, id);
        self.drive(&mut state);
    }

    /// Hands a request to the pool; gives it back if the queue is full.
    fn try_submit(self: &Arc<Self>, state: &mut State<P>, parked: Parked<P>) -> Option<Parked<P>> {
        let now = self.clock.now();
        let Parked { origin, request, options, mut route } = parked;
        match state.pool.submit(now, &origin, request, options) {
            Ok(id) => {
                state.submitted.insert(route.ticket, id);
                state.routes.insert(id, route);
                None
            }
            Err(refused) if matches!(refused.error, SubmitError::QueueFull { .. }) => {
                Some(Parked { origin, request: refused.request, options, route })
            }
            Err(refused) => {
                let error = Error::new(refused.kind(), refused.error.to_string());
                P::deliver(&mut route.sink, Delivery::Failed(error), None);
                None
            }
        }
    }

    /// Moves parked requests into the pool as room frees, in order, for
    /// the origins whose requests just ended.
    fn unpark(self: &Arc<Self>, state: &mut State<P>) {
        let mut origins = std::mem::take(&mut state.freed);
        origins.sort();
        origins.dedup();
        for origin in origins {
            while let Some(parked) = state.parked.get_mut(&origin).and_then(VecDeque::pop_front) {
                let ticket = parked.route.ticket;
                if let Some(parked) = self.try_submit(state, parked) {
                    // Still full: it keeps its place at the front.
                    if let Some(queue) = state.parked.get_mut(&origin) {
                        queue.push_front(parked);
                    }
                    break;
                }
                state.parked_tickets.remove(&ticket);
            }
            if state.parked.get(&origin).is_some_and(VecDeque::is_empty) {
                state.parked.remove(&origin);
            }
        }
    }
}

/// Cancels its request when dropped before the request finished.
pub(crate) struct RequestGuard<P: Protocol> {
    shared: Option<Arc<Shared<P>>>,
    ticket: u64,
}

impl<P: Protocol> RequestGuard<P> {
    pub(crate) fn new(shared: Arc<Shared<P>>, ticket: u64) -> Self {
        RequestGuard { shared: Some(shared), ticket }
    }

    /// The request ended: dropping the guard no longer cancels it.
    pub(crate) fn finished(&mut self) {
        self.shared = None;
    }
}

impl<P: Protocol> std::fmt::Debug for RequestGuard<P> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RequestGuard").field("ticket", &self.ticket).field("live", &self.shared.is_some()).finish()
    }
}

impl<P: Protocol> Drop for RequestGuard<P> {
    fn drop(&mut self) {
        if let Some(shared) = self.shared.take() {
            shared.cancel(self.ticket);
        }
    }
}

/// A user's handle: when the last one goes, the engine shuts down once
/// nothing is pending.
pub(crate) struct Handle<P: Protocol> {
    pub(crate) shared: Arc<Shared<P>>,
}

impl<P: Protocol> Drop for Handle<P> {
    fn drop(&mut self) {
        let mut state = self.shared.lock();
        state.shut_down = true;
        self.shared.drive(&mut state);
        drop(state);
        self.shared.timer_wake.notify(usize::MAX);
    }
}
