//! The client: one sans-IO pool behind a lock, routes from pool events to
//! waiting futures, and the tasks that move bytes and time.

use crate::body::{Body, BodyItem};
use crate::clock::Clock;
use crate::config::{Builder, Glue, Observer};
use crate::runtime::{Connector, SharedRuntime};
use crate::{Error, convert};
use bytes::Bytes;
use event_listener::Event as Notify;
use futures_channel::{mpsc, oneshot};
use pipelining::h1::{H1Factory, ResponsePart};
use pipelining::{
    Capability, Closed, ConnectionId, ErrorKind, Idempotency, Instant, Origin, OriginStatus, Pool, PoolEvent,
    RequestId, RequestOptions, SubmitError,
};
use std::collections::HashMap;
use std::marker::PhantomData;
use std::sync::{Arc, Mutex, MutexGuard};

/// How many times a request was written, fully or partly (DESIGN.md C1's
/// `attempts`), found in a response's extensions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Attempts(pub u32);

/// Put in a request's extensions to have the response buffered whole (up
/// to the 64 MiB content limit) before `send` resolves.
///
/// A streamed response whose connection is lost after part of it was handed
/// over fails (`connection_lost`): delivered bytes cannot be taken back. A
/// whole response is not handed over until complete, so an idempotent
/// request whose response was cut off is replayed instead (DESIGN.md P8).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WholeResponse;

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
        summary: Option<Closed>,
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

/// A response's head as routed to its waiting `send`.
type HeadResult = Result<(http::Response<()>, u32, Option<Written>), Error>;

struct Route {
    ticket: u64,
    origin: Origin,
    /// When and where its last byte was written, once it was.
    written: Option<(std::time::Instant, ConnectionId)>,
    head: Option<oneshot::Sender<HeadResult>>,
    body: Option<mpsc::UnboundedSender<BodyItem>>,
}

/// A request sent while its origin's submit queue was full: it waits here,
/// in order, until the pool has room (P1 backpressure: its future stays
/// pending meanwhile).
struct Parked {
    origin: Origin,
    request: pipelining::h1::Request,
    options: RequestOptions,
    route: Route,
}

/// Per-connection plumbing between the pool and the connection's task.
pub(crate) struct ConnPlumbing {
    /// Bytes the pool produced for this connection, not yet written.
    pub(crate) outbox: Vec<u8>,
    /// Wakes the connection's writer (new bytes, or closing).
    pub(crate) wake: Arc<Notify>,
    /// The pool said to close the transport.
    pub(crate) closing: bool,
}

pub(crate) struct State {
    pub(crate) pool: Pool<H1Factory>,
    routes: HashMap<RequestId, Route>,
    /// Tickets of requests in the pool, for cancellation.
    submitted: HashMap<u64, RequestId>,
    parked: std::collections::VecDeque<Parked>,
    next_ticket: u64,
    pub(crate) conns: HashMap<ConnectionId, ConnPlumbing>,
    pub(crate) timer_deadline: Option<Instant>,
    /// The last connect error per origin, for messages.
    pub(crate) connect_errors: HashMap<Origin, String>,
    scratch: Vec<u8>,
    /// The last client handle was dropped.
    pub(crate) shut_down: bool,
    /// Every connection was closed after the shutdown.
    closed_all: bool,
}

/// What every task of a client shares.
pub(crate) struct Shared {
    state: Mutex<State>,
    pub(crate) runtime: SharedRuntime,
    pub(crate) connector: Arc<dyn Connector>,
    pub(crate) clock: Clock,
    /// Wakes the timer task when the next deadline changes.
    pub(crate) timer_wake: Notify,
    observer: Option<Observer>,
    request_timeout: Option<pipelining::Duration>,
}

impl Shared {
    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock cannot leave the pool half-updated
        // in a way that matters more than stopping every request would.
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub(crate) fn observe(&self, observation: Observation) {
        if let Some(observer) = &self.observer {
            observer(&observation);
        }
    }

    /// Drains the pool after an input: transmits to their connections'
    /// outboxes, events to their routes and tasks, the next deadline to the
    /// timer.
    pub(crate) fn drive(self: &Arc<Self>, state: &mut State) {
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
            if state.shut_down && !state.closed_all && state.pool.pending() == 0 && state.parked.is_empty() {
                // Nothing left to do: close the idle connections now rather
                // than at their idle timeout.
                state.closed_all = true;
                state.pool.close(now);
                continue;
            }
            if freed && !state.parked.is_empty() {
                // Room freed: parked requests go in, and may need writing.
                self.unpark(state);
                continue;
            }
            return;
        }
    }

    fn on_event(self: &Arc<Self>, state: &mut State, event: PoolEvent<pipelining::h1::H1Codec>) {
        match event {
            PoolEvent::Connect { conn, origin } => {
                let wake = Arc::new(Notify::new());
                state.conns.insert(conn, ConnPlumbing { outbox: Vec::new(), wake, closing: false });
                self.observe(Observation::Connecting { conn, origin: origin.clone() });
                let task = crate::connection_task::run(self.clone(), conn, origin);
                self.runtime.spawn(Box::pin(task));
            }
            PoolEvent::Close { conn, origin, summary } => {
                if let Some(plumbing) = state.conns.get_mut(&conn) {
                    plumbing.closing = true;
                    plumbing.outbox.clear();
                    plumbing.wake.notify(usize::MAX);
                }
                self.observe(Observation::Closed { conn, origin, summary });
            }
            PoolEvent::Capability { origin, capability, until } => {
                self.observe(Observation::Capability { origin, capability, until });
            }
            PoolEvent::Response { id, part, end, attempts } => {
                let Some(route) = state.routes.get_mut(&id) else { return };
                match part {
                    ResponsePart::Head(head) => {
                        if let Some(tx) = route.head.take() {
                            let result = convert::to_http(&head).and_then(|builder| {
                                builder.body(()).map_err(|e| Error::new(ErrorKind::Protocol, e.to_string()))
                            });
                            let written = route.written.map(|(at, connection)| Written { connection, at });
                            let _ = tx.send(result.map(|r| (r, attempts, written)));
                        }
                    }
                    ResponsePart::Data(data) => {
                        if let Some(tx) = &route.body {
                            let _ = tx.unbounded_send(BodyItem::Data(data));
                        }
                    }
                    ResponsePart::Trailers(fields) => {
                        let mut map = http::HeaderMap::new();
                        let item = match convert::append_headers(&mut map, &fields) {
                            Ok(()) => BodyItem::Trailers(map),
                            Err(e) => BodyItem::Failed(e),
                        };
                        if let Some(tx) = &route.body {
                            let _ = tx.unbounded_send(item);
                        }
                    }
                    ResponsePart::Interim(_) | ResponsePart::End => {}
                }
                if end {
                    if let Some(route) = state.routes.remove(&id) {
                        state.submitted.remove(&route.ticket);
                        if let Some(tx) = route.body {
                            let _ = tx.unbounded_send(BodyItem::End(std::time::Instant::now()));
                        }
                    }
                }
            }
            PoolEvent::Complete { id, response, attempts } => {
                let Some(mut route) = state.routes.remove(&id) else { return };
                state.submitted.remove(&route.ticket);
                if let Some(tx) = route.head.take() {
                    let result = convert::to_http(&response.head).and_then(|builder| {
                        builder.body(()).map_err(|e| Error::new(ErrorKind::Protocol, e.to_string()))
                    });
                    let written = route.written.map(|(at, connection)| Written { connection, at });
                    let _ = tx.send(result.map(|r| (r, attempts, written)));
                }
                if let Some(tx) = route.body.take() {
                    if !response.body.is_empty() {
                        let _ = tx.unbounded_send(BodyItem::Data(response.body));
                    }
                    if !response.trailers.is_empty() {
                        let mut map = http::HeaderMap::new();
                        let item = match convert::append_headers(&mut map, &response.trailers) {
                            Ok(()) => BodyItem::Trailers(map),
                            Err(e) => BodyItem::Failed(e),
                        };
                        let _ = tx.unbounded_send(item);
                    }
                    let _ = tx.unbounded_send(BodyItem::End(std::time::Instant::now()));
                }
            }
            PoolEvent::Failed(failure) => {
                let Some(mut route) = state.routes.remove(&failure.id) else { return };
                state.submitted.remove(&route.ticket);
                let message = match &failure.cause {
                    pipelining::Cause::Response(e) => e.to_string(),
                    pipelining::Cause::Lost(reason) if !failure.tries.is_empty() => {
                        format!("{reason:?} (tries lost to: {:?})", failure.tries)
                    }
                    pipelining::Cause::Lost(reason) => format!("{reason:?}"),
                    other => format!("{other:?}"),
                };
                let message = match state.connect_errors.get(&route.origin) {
                    Some(cause) if failure.kind == ErrorKind::Connect => {
                        format!("connecting to {}: {cause}", route.origin)
                    }
                    _ => message,
                };
                let error = Error::new(failure.kind, message).with_attempts(failure.attempts);
                match route.head.take() {
                    Some(tx) => {
                        let _ = tx.send(Err(error));
                    }
                    None => {
                        if let Some(tx) = route.body.take() {
                            let _ = tx.unbounded_send(BodyItem::Failed(error));
                        }
                    }
                }
            }
            PoolEvent::Written { id, conn } => {
                if let Some(route) = state.routes.get_mut(&id) {
                    route.written = Some((std::time::Instant::now(), conn));
                }
            }
            PoolEvent::Unsolicited { .. } => {}
        }
    }

    fn cancel(self: &Arc<Self>, ticket: u64) {
        let mut state = self.lock();
        if let Some(pos) = state.parked.iter().position(|p| p.route.ticket == ticket) {
            state.parked.remove(pos);
            return;
        }
        let Some(id) = state.submitted.remove(&ticket) else { return };
        state.routes.remove(&id);
        let now = self.clock.now();
        state.pool.cancel(now, id);
        self.drive(&mut state);
    }

    /// Submits a request now, or parks it behind earlier parked requests to
    /// the same origin.
    fn submit_or_park(self: &Arc<Self>, state: &mut State, parked: Parked) {
        if state.parked.iter().any(|p| p.origin == parked.origin) {
            state.parked.push_back(parked);
            return;
        }
        if let Some(parked) = self.try_submit(state, parked) {
            state.parked.push_back(parked);
        }
    }

    /// Hands a request to the pool; gives it back if the queue is full.
    fn try_submit(self: &Arc<Self>, state: &mut State, parked: Parked) -> Option<Parked> {
        let now = self.clock.now();
        let Parked { origin, request, options, route } = parked;
        match state.pool.submit(now, &origin, request.clone(), options) {
            Ok(id) => {
                state.submitted.insert(route.ticket, id);
                state.routes.insert(id, route);
                None
            }
            Err(SubmitError::QueueFull { .. }) => Some(Parked { origin, request, options, route }),
            Err(e) => {
                let kind = if matches!(e, SubmitError::Invalid(_)) {
                    ErrorKind::InvalidRequest
                } else {
                    ErrorKind::ConnectionLost
                };
                if let Some(tx) = route.head {
                    let _ = tx.send(Err(Error::new(kind, e.to_string())));
                }
                None
            }
        }
    }

    /// Moves parked requests into the pool as room frees, in order per
    /// origin.
    fn unpark(self: &Arc<Self>, state: &mut State) {
        let mut blocked: Vec<Origin> = Vec::new();
        let mut still = std::collections::VecDeque::new();
        while let Some(parked) = state.parked.pop_front() {
            if blocked.contains(&parked.origin) {
                still.push_back(parked);
                continue;
            }
            if let Some(parked) = self.try_submit(state, parked) {
                blocked.push(parked.origin.clone());
                still.push_back(parked);
            }
        }
        state.parked = still;
    }
}

/// Cancels its request when dropped before the request finished.
pub(crate) struct RequestGuard {
    shared: Option<Arc<Shared>>,
    ticket: u64,
}

impl std::fmt::Debug for RequestGuard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RequestGuard").field("ticket", &self.ticket).field("live", &self.shared.is_some()).finish()
    }
}

impl RequestGuard {
    pub(crate) fn finished(&mut self) {
        self.shared = None;
    }
}

impl Drop for RequestGuard {
    fn drop(&mut self) {
        if let Some(shared) = self.shared.take() {
            shared.cancel(self.ticket);
        }
    }
}

/// Marks the client shut down when the last handle goes.
struct Handle {
    shared: Arc<Shared>,
}

impl Drop for Handle {
    fn drop(&mut self) {
        let mut state = self.shared.lock();
        state.shut_down = true;
        self.shared.drive(&mut state);
        drop(state);
        self.shared.timer_wake.notify(usize::MAX);
    }
}

/// A pipelining HTTP/1.1 client.
///
/// Cheap to clone; clones share connections. Requests to one origin are
/// pipelined on up to `connections` connections, `depth` deep on each, and
/// every response is matched to its request. A request whose connection is
/// lost is resent when that is safe (idempotent, or known unprocessed), and
/// otherwise fails with an [`Error`] whose [`kind`](Error::kind) says why.
pub struct Client<G: Glue> {
    handle: Arc<Handle>,
    glue: PhantomData<G>,
}

impl<G: Glue> Clone for Client<G> {
    fn clone(&self) -> Self {
        Client { handle: self.handle.clone(), glue: PhantomData }
    }
}

impl<G: Glue> std::fmt::Debug for Client<G> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = self.handle.shared.lock();
        f.debug_struct("Client").field("pool", &state.pool).finish()
    }
}

impl<G: Glue> Client<G> {
    /// A builder with the defaults of DESIGN.md.
    pub fn builder() -> Builder<G> {
        Builder::default()
    }

    /// A client with the defaults (for tokio: call inside a runtime).
    pub fn new() -> Result<Self, Error> {
        Builder::default().build()
    }

    pub(crate) fn from_builder(builder: Builder<G>) -> Result<Self, Error> {
        let runtime = G::runtime();
        let connector = match builder.connector.clone() {
            Some(connector) => connector,
            None => {
                let tls = crate::tls::client_config(&builder.roots)
                    .map_err(|e| Error::new(ErrorKind::InvalidRequest, format!("TLS configuration: {e}")))?;
                G::connector(tls)
            }
        };
        let factory = H1Factory { limits: builder.limits };
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                pool: Pool::new(factory, builder.pool),
                routes: HashMap::new(),
                submitted: HashMap::new(),
                parked: std::collections::VecDeque::new(),
                next_ticket: 0,
                conns: HashMap::new(),
                timer_deadline: None,
                connect_errors: HashMap::new(),
                scratch: Vec::new(),
                shut_down: false,
                closed_all: false,
            }),
            runtime: runtime.clone(),
            connector,
            clock: Clock::new(),
            timer_wake: Notify::new(),
            observer: builder.observer.clone(),
            request_timeout: builder.deadline_after(),
        });
        runtime.spawn(Box::pin(crate::timer_task::run(shared.clone())));
        Ok(Client { handle: Arc::new(Handle { shared }), glue: PhantomData })
    }

    /// Sends a request; the returned future resolves to the response head,
    /// and the body streams.
    ///
    /// The request is queued at once, so requests are written in the order
    /// `send` is called (per origin), whether or not their futures have been
    /// polled yet. When the origin's submit queue is full the request waits
    /// in line and its future stays pending (backpressure). Dropping the
    /// future (or the response's body) cancels the request (P9). A request
    /// carrying `Idempotency-Key`, or an [`Idempotency`] in its extensions,
    /// is treated as that says; [`WholeResponse`] in its extensions buffers
    /// the response whole.
    pub fn send<B: Into<Bytes>>(&self, request: http::Request<B>) -> ResponseFuture {
        let shared = &self.handle.shared;
        let mut idempotency = request.extensions().get::<Idempotency>().copied().unwrap_or_default();
        if idempotency == Idempotency::ByMethod && request.headers().contains_key("idempotency-key") {
            idempotency = Idempotency::Idempotent;
        }
        let whole = request.extensions().get::<WholeResponse>().is_some();
        let (origin, core) = match convert::to_core(request) {
            Ok(parts) => parts,
            Err(error) => return ResponseFuture { state: FutureState::Failed(Some(error)) },
        };
        let (head_tx, head_rx) = oneshot::channel();
        let (body_tx, body_rx) = mpsc::unbounded();
        let mut state = shared.lock();
        let ticket = state.next_ticket;
        state.next_ticket += 1;
        let route = Route { ticket, origin: origin.clone(), written: None, head: Some(head_tx), body: Some(body_tx) };
        let mut options = RequestOptions::default().idempotency(idempotency);
        if whole {
            options = options.whole();
        }
        if let Some(timeout) = shared.request_timeout {
            // From `send`, also for a request that waits for room (P10).
            options = options.deadline(shared.clock.now() + timeout);
        }
        shared.submit_or_park(&mut state, Parked { origin, request: core, options, route });
        shared.drive(&mut state);
        drop(state);
        ResponseFuture {
            state: FutureState::Waiting {
                head: head_rx,
                body: Some(body_rx),
                guard: Some(RequestGuard { shared: Some(shared.clone()), ticket }),
            },
        }
    }

    /// `GET url`, queued at once like [`send`](Self::send).
    pub fn get(&self, url: &str) -> ResponseFuture {
        match http::Request::get(url).body(Bytes::new()) {
            Ok(request) => self.send(request),
            Err(e) => ResponseFuture {
                state: FutureState::Failed(Some(Error::new(ErrorKind::InvalidRequest, e.to_string()))),
            },
        }
    }

    /// What the client knows of an origin (capability, demotion, budget).
    pub fn origin_status(&self, origin: &Origin) -> Option<OriginStatus> {
        let shared = &self.handle.shared;
        let state = shared.lock();
        state.pool.origin_status(origin, shared.clock.now())
    }

    /// Every origin the client has talked to.
    pub fn origins(&self) -> Vec<Origin> {
        self.handle.shared.lock().pool.origins().cloned().collect()
    }
}

enum FutureState {
    Failed(Option<Error>),
    Waiting {
        head: oneshot::Receiver<HeadResult>,
        body: Option<mpsc::UnboundedReceiver<BodyItem>>,
        guard: Option<RequestGuard>,
    },
}

/// The response to a [`Client::send`]: resolves to the head, with the body
/// streaming behind it. Dropping it cancels the request.
pub struct ResponseFuture {
    state: FutureState,
}

impl std::fmt::Debug for ResponseFuture {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ResponseFuture")
    }
}

impl std::future::Future for ResponseFuture {
    type Output = Result<http::Response<Body>, Error>;

    fn poll(self: std::pin::Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> std::task::Poll<Self::Output> {
        use std::task::Poll;
        let this = self.get_mut();
        match &mut this.state {
            FutureState::Failed(error) => Poll::Ready(Err(error
                .take()
                .unwrap_or_else(|| Error::new(ErrorKind::InvalidRequest, "response future polled after completion")))),
            FutureState::Waiting { head, body, guard } => {
                let result = match std::pin::Pin::new(head).poll(cx) {
                    Poll::Pending => return Poll::Pending,
                    Poll::Ready(result) => result,
                };
                let mut guard = guard.take();
                let outcome = match (result, body.take(), guard.take()) {
                    (Ok(Ok((response, attempts, written))), Some(body), Some(guard)) => {
                        let (mut parts, ()) = response.into_parts();
                        parts.extensions.insert(Attempts(attempts));
                        if let Some(written) = written {
                            parts.extensions.insert(written);
                        }
                        Ok(http::Response::from_parts(parts, Body::new(body, guard)))
                    }
                    (Ok(Err(error)), _, mut guard) => {
                        if let Some(g) = &mut guard {
                            g.finished();
                        }
                        Err(error)
                    }
                    (_, _, mut guard) => {
                        if let Some(g) = &mut guard {
                            g.finished();
                        }
                        Err(Error::new(ErrorKind::ConnectionLost, "the client shut down"))
                    }
                };
                this.state = FutureState::Failed(None);
                Poll::Ready(outcome)
            }
        }
    }
}
