//! The engine every client shares, whatever its protocol: the core's
//! [`Dispatcher`] behind one lock, the connection tasks that move its bytes,
//! the timer that feeds it time, and one waker per caller waiting on it.
//!
//! Everything about requests — where an event goes, who may submit when a
//! queue is full, what a failure is called, when to stop reading — is the
//! dispatcher's. This file only turns its instructions into tasks, its
//! deadlines into a sleep, and its notices into wake-ups.

use crate::Error;
use crate::clock::Clock;
use crate::config::Observer;
use crate::id_hash::IdMap;
use crate::runtime::{Connector, SharedRuntime};
use crate::upgrade::UpgradeSlot;
use crate::upload_task::UploadSlot;
use event_listener::Event as Notify;
use pipelining::dispatch::{Delivery, DispatchConfig, Dispatcher, Notice, Taken, WaiterId};
use pipelining::pipeline::Codec;
use pipelining::{
    CloseSummary, CodecFactory, ConnectionId, ErrorKind, Fact, Instant, Instruction, Origin, OriginRef, PoolConfig,
    Refused, RequestId, RequestOptions, SubmitError,
};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Waker};

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
    /// The client learned something about an origin: whether it
    /// pipelines, a demotion, its request budget, its idle timeout.
    Learned {
        /// The origin.
        origin: Origin,
        /// What was learned.
        fact: Fact,
    },
}

/// Implemented by every codec whose requests and responses can cross tasks.
pub trait SendCodec:
    Codec<
        Request: Send + Unpin,
        Part: Send,
        Response: Send,
        Collector: Send,
        Error: Send + Sync + std::fmt::Display + pipelining::CodecError,
        EncodeError: Send + std::fmt::Display,
    > + Send
    + 'static
{
}

impl<C> SendCodec for C where
    C: Codec<
            Request: Send + Unpin,
            Part: Send,
            Response: Send,
            Collector: Send,
            Error: Send + Sync + std::fmt::Display + pipelining::CodecError,
            EncodeError: Send + std::fmt::Display,
        > + Send
        + 'static
{
}

/// A factory whose codecs cross tasks.
pub trait SendFactory: CodecFactory<Codec: SendCodec> + Send + 'static {}

impl<F: CodecFactory<Codec: SendCodec> + Send + 'static> SendFactory for F {}

/// The codec of a factory.
pub(crate) type CodecOf<F> = <F as CodecFactory>::Codec;
type RequestOf<F> = <CodecOf<F> as Codec>::Request;
type PartOf<F> = <CodecOf<F> as Codec>::Part;

/// Per-connection plumbing between the dispatcher and the connection's task.
pub(crate) struct ConnPlumbing {
    /// Wakes the connection's task: something to write, closing, reading
    /// resumed.
    pub(crate) waker: Option<Waker>,
    /// The dispatcher said to close the transport.
    pub(crate) closing: bool,
    /// The dispatcher said to stop reading: a consumer is behind.
    pub(crate) paused: bool,
    /// Where it goes.
    pub(crate) origin: Origin,
    /// The request whose response upgraded it: its transport goes to that
    /// request's caller instead of being closed.
    pub(crate) upgrade_to: Option<RequestId>,
}

pub(crate) struct State<F: SendFactory> {
    pub(crate) dispatcher: Dispatcher<F>,
    pub(crate) conns: IdMap<ConnectionId, ConnPlumbing>,
    /// The one waker of each caller waiting on a request.
    wakers: IdMap<RequestId, Waker>,
    /// The one waker of each caller waiting for room.
    waiting: IdMap<WaiterId, Waker>,
    pub(crate) timer_deadline: Option<Instant>,
    /// The time of the last input: what a caller taking its response uses,
    /// so reading the clock stays once per input, not per request.
    pub(crate) now: Instant,
    /// Wakers collected while the lock is held, woken after.
    to_wake: Vec<Waker>,
    /// Upgraded connections on their way to their callers: one per upgrade,
    /// gone when its caller takes it or lets it go (or, unclaimed, when the
    /// request is cancelled).
    pub(crate) upgrades: IdMap<RequestId, UpgradeSlot>,
    /// Streamed request contents being sent, one per such request in
    /// flight.
    uploads: IdMap<RequestId, UploadSlot>,
    /// The taker of messages that answer no request (a Redis subscriber),
    /// woken when one arrives or a connection closes.
    unsolicited_waker: Option<Waker>,
}

/// What every task of a client shares.
pub(crate) struct Shared<F: SendFactory> {
    state: Mutex<State<F>>,
    pub(crate) runtime: SharedRuntime,
    pub(crate) connector: Arc<dyn Connector>,
    pub(crate) clock: Clock,
    /// Wakes the timer task when the next deadline changes.
    pub(crate) timer_wake: Notify,
    /// Tells `close()` callers the engine finished.
    pub(crate) finished: Notify,
    observer: Option<Observer>,
}

/// How to build a [`Shared`].
pub(crate) struct EngineConfig {
    pub(crate) pool: PoolConfig,
    pub(crate) dispatch: DispatchConfig,
    pub(crate) runtime: SharedRuntime,
    pub(crate) connector: Arc<dyn Connector>,
    pub(crate) observer: Option<Observer>,
    pub(crate) request_timeout: Option<pipelining::Duration>,
}

/// One item of a request's outcome as the driver hands it on: with what
/// is known of the request, in the driver's time.
pub(crate) struct Item<C: Codec> {
    pub(crate) delivery: Delivery<C>,
    /// How many times the request was written so far.
    pub(crate) attempts: u32,
    /// Where and when its last byte was (last) written.
    pub(crate) written: Option<Written>,
    /// When its response's last byte arrived.
    pub(crate) ended_at: Option<std::time::Instant>,
    /// The streamed response ended right after this item (its end was
    /// taken with it): the caller need not ask again.
    pub(crate) then_end: bool,
    /// The one part between this item and the end, taken with it (when the
    /// whole rest of a small response had arrived).
    pub(crate) then: Option<<C as Codec>::Part>,
    /// The connection the response upgraded, claimed for its caller.
    pub(crate) upgrade: Option<crate::upgrade::OnUpgrade>,
}

/// What a caller waiting on a request finds.
pub(crate) enum Take<C: Codec> {
    /// The next item of its outcome.
    Item(Item<C>),
    /// Nothing yet: the caller's waker is registered.
    Pending,
    /// Nothing will come (the engine lost it: only after a panic elsewhere).
    Gone,
}

/// A submission: admitted, waiting for room, or refused for good.
pub(crate) enum Submitted<R> {
    /// In the dispatcher under this id.
    Admitted(RequestId),
    /// Its origin's queue is full: it waits in line, holding its request.
    Waiting(WaiterId, R),
    /// Refused for good.
    Refused(Error),
}

impl<F: SendFactory> Shared<F> {
    /// A new engine; its timer task is running.
    pub(crate) fn start(factory: F, config: EngineConfig) -> Result<Arc<Self>, Error> {
        let dispatcher = Dispatcher::new(factory, config.pool, config.dispatch)
            .map_err(|e| Error::new(ErrorKind::InvalidRequest, format!("configuration: {e}")))?
            .with_request_timeout(config.request_timeout);
        let clock = Clock::new();
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                dispatcher,
                conns: IdMap::default(),
                wakers: IdMap::default(),
                waiting: IdMap::default(),
                timer_deadline: None,
                now: clock.now(),
                to_wake: Vec::new(),
                upgrades: IdMap::default(),
                uploads: IdMap::default(),
                unsolicited_waker: None,
            }),
            runtime: config.runtime.clone(),
            connector: config.connector,
            clock,
            timer_wake: Notify::new(),
            finished: Notify::new(),
            observer: config.observer,
        });
        config.runtime.spawn(Box::pin(crate::timer_task::run(shared.clone())));
        Ok(shared)
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, State<F>> {
        // A panic while holding the lock cannot leave the dispatcher
        // half-updated in a way that matters more than stopping every
        // request would.
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Locks the state for an input happening now: the one clock read of
    /// that input.
    pub(crate) fn lock_now(&self) -> (MutexGuard<'_, State<F>>, Instant) {
        let mut state = self.lock();
        let now = self.clock.now();
        state.now = now;
        (state, now)
    }

    pub(crate) fn observe(&self, observation: Observation) {
        #[cfg(feature = "tracing")]
        crate::trace::observation(&observation);
        if let Some(observer) = &self.observer {
            observer(&observation);
        }
    }

    /// Submits a request now, or puts it in line when its origin's queue
    /// is full.
    pub(crate) fn submit(
        self: &Arc<Self>,
        origin: OriginRef<'_>,
        request: RequestOf<F>,
        options: RequestOptions,
    ) -> Submitted<RequestOf<F>> {
        let (mut state, now) = self.lock_now();
        let submitted = match state.dispatcher.submit(now, origin, request, options) {
            Ok(id) => Submitted::Admitted(id),
            Err(Refused { request, error: SubmitError::QueueFull { .. } }) => {
                Submitted::Waiting(state.dispatcher.wait_for_room(now, origin), request)
            }
            Err(refused) => Submitted::Refused(refusal(&refused)),
        };
        self.drive(&mut state);
        self.wake_collected(state);
        submitted
    }

    /// Submits what `make` builds, only if `origin` would take it now (room,
    /// nobody waiting, not shutting down): `None` without calling `make`
    /// otherwise, with why.
    pub(crate) fn submit_if_room(
        self: &Arc<Self>,
        origin: OriginRef<'_>,
        make: impl FnOnce() -> Result<(RequestOf<F>, RequestOptions), Error>,
    ) -> Result<Result<RequestId, Error>, Error> {
        let (mut state, now) = self.lock_now();
        if state.dispatcher.is_shutting_down() {
            return Err(Error::new(ErrorKind::ConnectionLost, "the client is closed"));
        }
        if !state.dispatcher.has_room(origin) {
            return Err(Error::new(ErrorKind::Limit, "the origin's queue is full"));
        }
        let submitted = match make() {
            Ok((request, options)) => match state.dispatcher.submit(now, origin, request, options) {
                Ok(id) => Ok(id),
                Err(refused) => Err(refusal(&refused)),
            },
            Err(error) => Err(error),
        };
        self.drive(&mut state);
        self.wake_collected(state);
        Ok(submitted)
    }

    /// Tries again for a caller in line; keeps its waker if it must wait on.
    pub(crate) fn submit_waiting(
        self: &Arc<Self>,
        waiter: WaiterId,
        origin: OriginRef<'_>,
        request: RequestOf<F>,
        options: RequestOptions,
        waker: &Waker,
    ) -> Submitted<RequestOf<F>> {
        let (mut state, now) = self.lock_now();
        let submitted = match state.dispatcher.submit_waiting(now, waiter, origin, request, options) {
            Ok(id) => {
                state.waiting.remove(&waiter);
                Submitted::Admitted(id)
            }
            Err(Refused { request, error: SubmitError::QueueFull { .. } }) => {
                state.waiting.insert(waiter, waker.clone());
                Submitted::Waiting(waiter, request)
            }
            Err(refused) => {
                state.waiting.remove(&waiter);
                Submitted::Refused(refusal(&refused))
            }
        };
        self.drive(&mut state);
        self.wake_collected(state);
        submitted
    }

    /// The next item of a request's outcome, or registers `waker` for it.
    pub(crate) fn take(self: &Arc<Self>, id: RequestId, waker: &Waker) -> Take<CodecOf<F>> {
        let mut state = self.lock();
        let now = state.now;
        match state.dispatcher.take(now, id) {
            Some(Taken { item, attempts, written, mut ended_at }) => {
                // A part followed by the end, or by one last part and the
                // end: all in one go.
                let mut then = None;
                let then_end = match &item {
                    Delivery::Part(_) => match state.dispatcher.take_last(now, id) {
                        Some((last, at)) => {
                            then = last;
                            ended_at = at;
                            true
                        }
                        None => false,
                    },
                    _ => false,
                };
                if item.is_terminal() || then_end {
                    state.wakers.remove(&id);
                    end_upload(&mut state, id);
                    // The last outcome taken after a shutdown may be all the
                    // shutdown waited for (the connections closed before it).
                    if state.dispatcher.is_finished() && state.conns.is_empty() {
                        self.finished.notify(usize::MAX);
                        self.timer_wake.notify(usize::MAX);
                    }
                }
                // Taking content may have resumed reading a connection.
                while let Some(instruction) = state.dispatcher.poll_instruction() {
                    self.on_instruction(&mut state, instruction);
                }
                // A response that upgraded its connection hands it over.
                let upgraded = !state.upgrades.is_empty()
                    && state.upgrades.get_mut(&id).is_some_and(|slot| !std::mem::replace(&mut slot.claimed, true));
                let item = Item {
                    delivery: item,
                    attempts,
                    written: written.map(|(connection, at)| Written { connection, at: self.clock.std_instant(at) }),
                    ended_at: ended_at.map(|at| self.clock.std_instant(at)),
                    then_end,
                    then,
                    upgrade: upgraded.then(|| crate::upgrade::OnUpgrade::new(self.clone(), id)),
                };
                self.wake_collected(state);
                Take::Item(item)
            }
            None if !state.dispatcher.holds(id) => Take::Gone,
            None => {
                match state.wakers.get_mut(&id) {
                    Some(old) if old.will_wake(waker) => {}
                    Some(old) => old.clone_from(waker),
                    None => {
                        state.wakers.insert(id, waker.clone());
                    }
                }
                Take::Pending
            }
        }
    }

    /// The caller of a request is gone.
    pub(crate) fn cancel(self: &Arc<Self>, id: RequestId) {
        let (mut state, now) = self.lock_now();
        state.wakers.remove(&id);
        end_upload(&mut state, id);
        if state.upgrades.get(&id).is_some_and(|slot| !slot.claimed) {
            state.upgrades.remove(&id);
        }
        state.dispatcher.cancel(now, id);
        self.drive(&mut state);
        self.wake_collected(state);
    }

    /// A caller in line is gone.
    pub(crate) fn cancel_waiting(self: &Arc<Self>, waiter: WaiterId) {
        let mut state = self.lock();
        state.waiting.remove(&waiter);
        state.dispatcher.cancel_waiting(waiter);
        self.drive(&mut state);
        self.wake_collected(state);
    }

    /// Changes the depth of every connection (P1).
    pub(crate) fn set_depth(self: &Arc<Self>, depth: usize) -> Result<(), Error> {
        let (mut state, now) = self.lock_now();
        state.dispatcher.set_depth(now, depth).map_err(|e| Error::new(ErrorKind::InvalidRequest, e.to_string()))?;
        self.drive(&mut state);
        self.wake_collected(state);
        Ok(())
    }

    /// Finishes gracefully: nothing new is taken, outstanding requests
    /// finish, then the connections close.
    pub(crate) fn shut_down(self: &Arc<Self>) {
        let (mut state, now) = self.lock_now();
        state.dispatcher.shut_down(now);
        self.drive(&mut state);
        self.wake_collected(state);
        self.timer_wake.notify(usize::MAX);
    }

    /// Registers a connection task's waker; whether the connection is still
    /// wanted (not closing).
    pub(crate) fn register(&self, conn: ConnectionId, cx: &Context<'_>) -> bool {
        let mut state = self.lock();
        self.register_locked(&mut state, conn, cx).is_some()
    }

    /// [`register`](Self::register) under a held lock; `Some(paused)` while
    /// the connection is wanted.
    pub(crate) fn register_locked(&self, state: &mut State<F>, conn: ConnectionId, cx: &Context<'_>) -> Option<bool> {
        let plumbing = state.conns.get_mut(&conn).filter(|p| !p.closing)?;
        match &mut plumbing.waker {
            Some(waker) if waker.will_wake(cx.waker()) => {}
            slot => *slot = Some(cx.waker().clone()),
        }
        Some(plumbing.paused)
    }

    /// The next message that answered no request (kept only when
    /// `DispatchConfig::unsolicited_buffer` is set), with its connection,
    /// in arrival order. With none, `waker` is woken when one arrives or a
    /// connection closes.
    pub(crate) fn take_unsolicited(self: &Arc<Self>, waker: &Waker) -> Option<(ConnectionId, PartOf<F>)> {
        let mut state = self.lock();
        let now = state.now;
        let taken = state.dispatcher.take_unsolicited(now);
        if taken.is_none() {
            register_unsolicited(&mut state, waker);
        }
        // Taking may have resumed reading a connection paused for them.
        self.drive(&mut state);
        self.wake_collected(state);
        taken
    }

    /// Wakes `waker` when a message that answers no request arrives or a
    /// connection closes, without taking anything (the taker has no room).
    pub(crate) fn listen_unsolicited(&self, waker: &Waker) {
        register_unsolicited(&mut self.lock(), waker);
    }

    /// Whether `conn` is open: not closed, not closing.
    pub(crate) fn is_open(&self, conn: ConnectionId) -> bool {
        self.lock().conns.get(&conn).is_some_and(|p| !p.closing)
    }

    /// Whether everything finished after a shutdown.
    pub(crate) fn is_finished(&self) -> bool {
        let state = self.lock();
        state.dispatcher.is_finished() && state.conns.is_empty()
    }

    /// Drains the dispatcher after an input: connections with something to
    /// write woken (their tasks take their own transmits, so a window of
    /// requests sent in one turn goes out in one write), instructions to the
    /// tasks, the next deadline to the timer, notices to the wakers — all
    /// collected, and woken once the lock is released.
    pub(crate) fn drive(self: &Arc<Self>, state: &mut State<F>) {
        while let Some(conn) = state.dispatcher.poll_writable() {
            if let Some(waker) = state.conns.get_mut(&conn).and_then(|p| p.waker.take()) {
                state.to_wake.push(waker);
            }
        }
        while let Some(instruction) = state.dispatcher.poll_instruction() {
            self.on_instruction(state, instruction);
        }
        let deadline = state.dispatcher.poll_timeout();
        if deadline != state.timer_deadline {
            state.timer_deadline = deadline;
            self.timer_wake.notify(usize::MAX);
        }
        while let Some(notice) = state.dispatcher.poll_notice() {
            match notice {
                Notice::Request(id) => {
                    if let Some(waker) = state.wakers.remove(&id) {
                        state.to_wake.push(waker);
                    }
                }
                Notice::Room(waiter) => {
                    if let Some(waker) = state.waiting.remove(&waiter) {
                        state.to_wake.push(waker);
                    }
                }
                Notice::SendBody(id) => {
                    // The connection may ask before the content's task has
                    // registered (its head went out at once): the slot is
                    // made here then, and the task finds it wanted.
                    let slot = state.uploads.entry(id).or_default();
                    slot.wanted = true;
                    if let Some(waker) = slot.waker.take() {
                        state.to_wake.push(waker);
                    }
                }
                Notice::Upgraded { id, conn } => {
                    let taken = state.dispatcher.take_upgrade(id);
                    // Only for a caller still there; otherwise the transport
                    // closes with its connection.
                    if let (Some((_, leftover)), true) = (taken, state.dispatcher.holds(id)) {
                        if let Some(plumbing) = state.conns.get_mut(&conn) {
                            plumbing.upgrade_to = Some(id);
                            let slot = UpgradeSlot {
                                leftover: leftover.freeze(),
                                transport: None,
                                waker: None,
                                claimed: false,
                            };
                            state.upgrades.insert(id, slot);
                        }
                    }
                }
                Notice::Learned { origin, fact } => {
                    if let Some(origin) = state.dispatcher.pool().origin(origin).cloned() {
                        self.observe(Observation::Learned { origin, fact });
                    }
                }
                Notice::Unsolicited => {
                    if let Some(waker) = state.unsolicited_waker.take() {
                        state.to_wake.push(waker);
                    }
                }
                _ => {}
            }
        }
        if state.dispatcher.is_finished() && state.conns.is_empty() {
            self.finished.notify(usize::MAX);
            self.timer_wake.notify(usize::MAX);
        }
    }

    /// Releases the lock, then wakes whoever the last drive collected.
    pub(crate) fn wake_collected(&self, mut state: MutexGuard<'_, State<F>>) {
        if state.to_wake.is_empty() {
            return;
        }
        let mut to_wake = std::mem::take(&mut state.to_wake);
        drop(state);
        for waker in to_wake.drain(..) {
            waker.wake();
        }
        // Hand the allocation back for the next drive.
        let mut state = self.lock();
        if state.to_wake.capacity() < to_wake.capacity() {
            state.to_wake = to_wake;
        }
    }

    fn on_instruction(self: &Arc<Self>, state: &mut State<F>, instruction: Instruction) {
        match instruction {
            Instruction::Connect { conn, origin } => {
                let Some(origin) = state.dispatcher.pool().origin(origin).cloned() else { return };
                state.conns.insert(
                    conn,
                    ConnPlumbing {
                        waker: None,
                        closing: false,
                        paused: false,
                        origin: origin.clone(),
                        upgrade_to: None,
                    },
                );
                self.observe(Observation::Connecting { conn, origin: origin.clone() });
                #[cfg(feature = "tracing")]
                let span = crate::trace::connection_span(conn, &origin);
                let task = crate::connection_task::run(self.clone(), conn, origin);
                #[cfg(feature = "tracing")]
                let task = tracing::Instrument::instrument(task, span);
                self.runtime.spawn(Box::pin(task));
            }
            Instruction::Close { conn, summary, .. } => {
                if let Some(plumbing) = state.conns.get_mut(&conn) {
                    plumbing.closing = true;
                    let origin = plumbing.origin.clone();
                    if let Some(waker) = plumbing.waker.take() {
                        state.to_wake.push(waker);
                    }
                    // The taker of unsolicited messages learns of the close
                    // (a subscriber resubscribes elsewhere).
                    if let Some(waker) = state.unsolicited_waker.take() {
                        state.to_wake.push(waker);
                    }
                    self.observe(Observation::Closed { conn, origin, summary });
                }
            }
            Instruction::PauseReading { conn } => {
                if let Some(plumbing) = state.conns.get_mut(&conn) {
                    plumbing.paused = true;
                }
            }
            Instruction::ResumeReading { conn } => {
                if let Some(plumbing) = state.conns.get_mut(&conn) {
                    plumbing.paused = false;
                    if let Some(waker) = plumbing.waker.take() {
                        state.to_wake.push(waker);
                    }
                }
            }
            _ => {}
        }
    }
}

/// A refused submission as the caller's error (C5).
fn refusal<R, E: std::fmt::Display>(refused: &Refused<R, E>) -> Error {
    let message = match refused.error {
        SubmitError::Closed => "the client is closed".to_owned(),
        _ => refused.error.to_string(),
    };
    Error::new(refused.kind(), message)
}

/// A request's place in the engine, on the caller's side: submitted, or in
/// line for room holding its request. Dropping it before the request ended
/// cancels the request (P9) or gives up the place in line.
pub(crate) struct Ticket<F: SendFactory> {
    place: Place<F>,
}

enum Place<F: SendFactory> {
    /// Nothing (finished, or never submitted).
    Done,
    /// In line for room: boxed, as it is rare and holds the whole request,
    /// while every ticket moves through futures and bodies.
    Waiting(Box<InLine<F>>),
    /// Submitted.
    Admitted { shared: Arc<Shared<F>>, id: RequestId },
}

/// A ticket waiting for room, with what it will submit.
struct InLine<F: SendFactory> {
    shared: Arc<Shared<F>>,
    waiter: WaiterId,
    origin: Origin,
    request: Option<RequestOf<F>>,
    options: RequestOptions,
    /// Its streamed content, started once it is admitted.
    upload: Option<crate::request_body::Upload>,
}

impl<F: SendFactory> Ticket<F> {
    /// A ticket for a request already admitted.
    pub(crate) fn admitted(shared: &Arc<Shared<F>>, id: RequestId) -> Self {
        Ticket { place: Place::Admitted { shared: shared.clone(), id } }
    }

    /// Submits `request`: admitted, in line, or an error.
    pub(crate) fn submit(
        shared: &Arc<Shared<F>>,
        origin: OriginRef<'_>,
        request: RequestOf<F>,
        options: RequestOptions,
        upload: Option<crate::request_body::Upload>,
    ) -> Result<Self, Error> {
        let place = match shared.submit(origin, request, options) {
            Submitted::Admitted(id) => {
                if let Some(upload) = upload {
                    shared.start_upload(id, upload);
                }
                Place::Admitted { shared: shared.clone(), id }
            }
            Submitted::Waiting(waiter, request) => Place::Waiting(Box::new(InLine {
                shared: shared.clone(),
                waiter,
                origin: origin.to_owned(),
                request: Some(request),
                options,
                upload,
            })),
            Submitted::Refused(error) => return Err(error),
        };
        Ok(Ticket { place })
    }

    /// Polls the next item of the outcome; a ticket in line first tries to
    /// get in.
    pub(crate) fn poll_item(&mut self, waker: &Waker) -> std::task::Poll<Result<Item<CodecOf<F>>, Error>> {
        use std::task::Poll;
        loop {
            match &mut self.place {
                Place::Done => {
                    return Poll::Ready(Err(Error::new(ErrorKind::InvalidRequest, "polled after its outcome")));
                }
                Place::Waiting(line) => {
                    let InLine { shared, waiter, origin, request, options, upload } = &mut **line;
                    let Some(taken) = request.take() else {
                        return Poll::Ready(Err(Error::new(ErrorKind::InvalidRequest, "polled after its outcome")));
                    };
                    match shared.submit_waiting(*waiter, origin.borrowed(), taken, *options, waker) {
                        Submitted::Admitted(id) => {
                            // Admitted: the place in line is gone already.
                            if let Some(upload) = upload.take() {
                                shared.start_upload(id, upload);
                            }
                            let shared = shared.clone();
                            self.place = Place::Admitted { shared, id };
                        }
                        Submitted::Waiting(_, back) => {
                            *request = Some(back);
                            return Poll::Pending;
                        }
                        Submitted::Refused(error) => {
                            self.place = Place::Done;
                            return Poll::Ready(Err(error));
                        }
                    }
                }
                Place::Admitted { shared, id } => {
                    return match shared.take(*id, waker) {
                        Take::Item(item) => {
                            if item.delivery.is_terminal() || item.then_end {
                                self.place = Place::Done;
                            }
                            Poll::Ready(Ok(item))
                        }
                        Take::Pending => Poll::Pending,
                        Take::Gone => {
                            self.place = Place::Done;
                            Poll::Ready(Err(Error::new(ErrorKind::ConnectionLost, "the client shut down")))
                        }
                    };
                }
            }
        }
    }
}

impl<F: SendFactory> Ticket<F> {
    /// Whether the outcome was taken to its end.
    pub(crate) fn is_done(&self) -> bool {
        matches!(self.place, Place::Done)
    }
}

impl<F: SendFactory> Drop for Ticket<F> {
    fn drop(&mut self) {
        match std::mem::replace(&mut self.place, Place::Done) {
            Place::Admitted { shared, id } => shared.cancel(id),
            Place::Waiting(line) => line.shared.cancel_waiting(line.waiter),
            Place::Done => {}
        }
    }
}

impl<F: SendFactory> std::fmt::Debug for Ticket<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.place {
            Place::Done => f.write_str("Done"),
            Place::Waiting(line) => f.debug_tuple("Waiting").field(&line.waiter).finish(),
            Place::Admitted { id, .. } => f.debug_tuple("Admitted").field(id).finish(),
        }
    }
}

/// A user's handle: when the last one goes, the engine shuts down once
/// nothing is pending.
pub(crate) struct Handle<F: SendFactory> {
    pub(crate) shared: Arc<Shared<F>>,
}

impl<F: SendFactory> Drop for Handle<F> {
    fn drop(&mut self) {
        self.shared.shut_down();
    }
}

fn register_unsolicited<F: SendFactory>(state: &mut State<F>, waker: &Waker) {
    match &mut state.unsolicited_waker {
        Some(old) if old.will_wake(waker) => {}
        slot => *slot = Some(waker.clone()),
    }
}

/// Request `id` ended: its content task, if any, stops.
fn end_upload<F: SendFactory>(state: &mut State<F>, id: RequestId) {
    if state.uploads.is_empty() {
        return;
    }
    if let Some(slot) = state.uploads.get_mut(&id) {
        slot.ended = true;
        if let Some(waker) = slot.waker.take() {
            state.to_wake.push(waker);
        }
    }
}

impl<F: SendFactory> Shared<F> {
    /// Starts sending request `id`'s streamed content.
    pub(crate) fn start_upload(self: &Arc<Self>, id: RequestId, upload: crate::request_body::Upload) {
        self.lock().uploads.entry(id).or_default();
        self.runtime.spawn(Box::pin(crate::upload_task::run(self.clone(), id, upload)));
    }

    /// Whether the content task of `id` may hand over a piece now
    /// (`Ready(true)`), must stop (`Ready(false)`), or waits.
    pub(crate) fn upload_turn(&self, id: RequestId, waker: &Waker) -> std::task::Poll<bool> {
        let mut state = self.lock();
        let Some(slot) = state.uploads.get_mut(&id) else { return std::task::Poll::Ready(false) };
        if slot.ended {
            return std::task::Poll::Ready(false);
        }
        if std::mem::take(&mut slot.wanted) {
            return std::task::Poll::Ready(true);
        }
        slot.waker = Some(waker.clone());
        std::task::Poll::Pending
    }

    /// The turn taken produced no piece (a trailers frame): still wanted.
    pub(crate) fn keep_turn(&self, id: RequestId) {
        if let Some(slot) = self.lock().uploads.get_mut(&id) {
            slot.wanted = true;
        }
    }

    /// Hands a piece over; whether the connection took it.
    pub(crate) fn send_piece(self: &Arc<Self>, id: RequestId, piece: bytes::Bytes, end: bool) -> bool {
        let (mut state, now) = self.lock_now();
        let taken = state.dispatcher.send_body(now, id, piece, end).is_ok();
        self.drive(&mut state);
        self.wake_collected(state);
        taken
    }

    /// The caller's content failed: so does the request.
    pub(crate) fn abort_upload(self: &Arc<Self>, id: RequestId) {
        let (mut state, now) = self.lock_now();
        state.dispatcher.abort_body(now, id);
        self.drive(&mut state);
        self.wake_collected(state);
    }

    /// The content task is done.
    pub(crate) fn forget_upload(&self, id: RequestId) {
        self.lock().uploads.remove(&id);
    }
}
