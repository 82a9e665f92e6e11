//! The layer every driver shares above the pool: requests as handles whose
//! outcomes wait in bounded mailboxes, first-come-first-served waiting for
//! room, reading paused while a consumer is behind, connect errors
//! remembered per origin, and failures named and worded once.
//!
//! A driver keeps only sockets, a clock and its way of waking callers (Rust
//! wakers, JavaScript promises). Everything it used to decide — where a
//! pool event goes, when a waiting submission may go in, what a failure is
//! called, when to stop reading — is decided here, once, for every front end.

mod delivery;
mod mailbox;
mod message;
mod waiters;

pub use delivery::{Delivery, DispatchConfig, Notice, RequestError, Taken, WaiterId};

use crate::origin::OriginRef;
use crate::outcome::{Cause, CloseReason, CodecError};
use crate::pipeline::{Codec, CodecFactory, Refused, RequestId, RequestOptions, SubmitError};
use crate::pool::{ConfigError, ConnectionId, Instruction, OriginId, Pool, PoolConfig, PoolEvent};
use crate::slab::IdSlab;
use crate::sorted::{SortedMap, SortedSet};
use crate::{Duration, ErrorKind, Instant};
use alloc::collections::VecDeque;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use mailbox::Mailbox;
use waiters::Waiters;

type Request<F> = <<F as CodecFactory>::Codec as Codec>::Request;
type EncodeError<F> = <<F as CodecFactory>::Codec as Codec>::EncodeError;
type PartOf<F> = <<F as CodecFactory>::Codec as Codec>::Part;

/// A [`Pool`] with per-request outcomes, backpressure and the driver's
/// bookkeeping, sans-IO like everything in the core.
///
/// The four groups of methods again:
///
/// * **requests**: [`submit`](Self::submit) (refused, and handed back, when
///   the origin's queue is full or others already wait for it: then
///   [`wait_for_room`](Self::wait_for_room) and, once told,
///   [`submit_waiting`](Self::submit_waiting)), [`take`](Self::take) the
///   next item of a request's outcome, [`cancel`](Self::cancel) when its
///   caller is gone, [`shut_down`](Self::shut_down) to finish gracefully;
/// * **inputs** (`handle_*`), as the pool's, keyed by connection;
/// * **outputs**, drained after every input in this order:
///   [`poll_transmit`](Self::poll_transmit) until `None`,
///   [`poll_instruction`](Self::poll_instruction) until `None` (connect,
///   close, pause or resume reading), [`poll_timeout`](Self::poll_timeout),
///   [`poll_notice`](Self::poll_notice) until `None` (whom to wake).
///
/// Every submitted request's outcome ends with exactly one terminal item
/// (`docs/DESIGN.md` P12), taken with [`take`](Self::take).
pub struct Dispatcher<F: CodecFactory> {
    pool: Pool<F>,
    config: DispatchConfig,
    /// Requests submitted whose terminal item was not yet taken.
    mailboxes: IdSlab<Mailbox<F::Codec>>,
    waiters: Waiters,
    /// Waiters whose deadline passed while they waited, until they learn it.
    expired: SortedSet<WaiterId>,
    /// A request deadline, counted from submission (or from the first try to
    /// submit, for a waiter).
    request_timeout: Option<Duration>,
    notices: VecDeque<Notice>,
    instructions: VecDeque<Instruction>,
    // The sorted maps below hold one entry per connection, waiter or origin
    // with a failed connect: small, and connection and waiter ids only grow,
    // so new entries join at the back.
    /// Connects under way, with their origins (for connect errors).
    connecting: SortedMap<ConnectionId, OriginId>,
    /// The last reason a connect to an origin failed, while the pool knows
    /// the origin.
    connect_errors: SortedMap<OriginId, IoFailure>,
    /// The transport failure being absorbed: the requests it fails say it.
    transport_failure: Option<IoFailure>,
    /// Connections not being read because this request's consumer is
    /// behind.
    paused: SortedMap<ConnectionId, RequestId>,
    shutting_down: bool,
    /// The pool was closed after the shutdown drained it.
    closed: bool,
    /// Connections handed over after an upgrade, with the bytes read past
    /// the response that upgraded them, until the driver takes them (at
    /// their [`Notice::Upgraded`]); at most [`UPGRADES_KEPT`].
    upgrades: VecDeque<(RequestId, ConnectionId, bytes::BytesMut)>,
    /// Messages that answer no request, for their taker, in arrival order;
    /// at most `unsolicited_buffer` before their connection is paused.
    unsolicited: VecDeque<(ConnectionId, PartOf<F>)>,
}

/// The request id a connection paused for its unsolicited messages is
/// noted under: none of the pool's.
const UNSOLICITED: RequestId = RequestId::from_raw(u64::MAX);

/// A transport's failure in the system's words.
#[derive(Clone, Debug)]
struct IoFailure {
    message: String,
    os_code: Option<i32>,
}

/// Upgraded connections whose leftover bytes wait for the driver at most; an
/// older one is dropped (its transport was closed meanwhile).
const UPGRADES_KEPT: usize = 64;

impl<F: CodecFactory> Dispatcher<F>
where
    <F::Codec as Codec>::Error: CodecError,
{
    /// A dispatcher over a new pool. Refuses settings that cannot work.
    pub fn new(factory: F, pool: PoolConfig, config: DispatchConfig) -> Result<Self, ConfigError> {
        if config.body_buffer == 0 {
            return Err(ConfigError::Zero { setting: "body_buffer" });
        }
        Ok(Dispatcher {
            pool: Pool::new(factory, pool)?,
            config,
            mailboxes: IdSlab::default(),
            waiters: Waiters::default(),
            expired: SortedSet::new(),
            request_timeout: None,
            notices: VecDeque::new(),
            instructions: VecDeque::new(),
            connecting: SortedMap::new(),
            connect_errors: SortedMap::new(),
            transport_failure: None,
            upgrades: VecDeque::new(),
            unsolicited: VecDeque::new(),
            paused: SortedMap::new(),
            shutting_down: false,
            closed: false,
        })
    }

    /// With a deadline for every request, counted from its submission (or
    /// from its first try to submit, when it had to wait for room): past it
    /// the request fails `timeout` (`docs/DESIGN.md` P10).
    #[must_use]
    pub fn with_request_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.request_timeout = timeout;
        self
    }

    // ---- getters ----

    /// The pool underneath, for inspection.
    pub fn pool(&self) -> &Pool<F> {
        &self.pool
    }

    /// Requests whose terminal item was not taken yet.
    pub fn outstanding(&self) -> usize {
        self.mailboxes.len()
    }

    /// Callers waiting for room.
    pub fn waiting(&self) -> usize {
        self.waiters.len()
    }

    /// How many times the request was written so far.
    pub fn attempts(&self, id: RequestId) -> Option<u32> {
        self.mailboxes.get(id.get()).map(|m| m.attempts)
    }

    /// Where and when the request's last byte was (last) written.
    pub fn written(&self, id: RequestId) -> Option<(ConnectionId, Instant)> {
        self.mailboxes.get(id.get()).and_then(|m| m.written)
    }

    /// When the request's response was complete.
    pub fn ended_at(&self, id: RequestId) -> Option<Instant> {
        self.mailboxes.get(id.get()).and_then(|m| m.ended_at)
    }

    /// Content bytes waiting in the request's mailbox.
    pub fn buffered(&self, id: RequestId) -> Option<u64> {
        self.mailboxes.get(id.get()).map(|m| m.buffered)
    }

    /// Whether [`shut_down`](Self::shut_down) was called and everything has
    /// finished: no request outstanding, no connection left.
    pub fn is_finished(&self) -> bool {
        self.shutting_down && self.closed && self.mailboxes.is_empty() && self.connecting.is_empty()
    }

    /// Whether [`submit`](Self::submit) to `origin` would take a request now:
    /// not shutting down, nobody waiting for that origin, room in its queue.
    pub fn has_room<'a>(&self, origin: impl Into<OriginRef<'a>>) -> bool {
        let origin = origin.into();
        !self.shutting_down && !self.waiters.any_for(origin) && self.pool.has_room(origin)
    }

    /// Whether [`shut_down`](Self::shut_down) was called.
    pub fn is_shutting_down(&self) -> bool {
        self.shutting_down
    }

    // ---- requests ----

    /// Submits a request. Refused — and handed back — when its origin's
    /// queue is full or others already wait for room there (nothing
    /// overtakes them, `docs/DESIGN.md` P5): the caller then waits with
    /// [`wait_for_room`](Self::wait_for_room). Also refused when invalid, or
    /// once shutting down.
    pub fn submit<'a>(
        &mut self,
        now: Instant,
        origin: impl Into<OriginRef<'a>>,
        request: Request<F>,
        options: RequestOptions,
    ) -> Result<RequestId, Refused<Request<F>, EncodeError<F>>> {
        let origin = origin.into();
        if self.shutting_down {
            return Err(Refused { request, error: SubmitError::Closed });
        }
        if !self.waiters.is_empty() && self.waiters.any_for(origin) {
            let limit = self.pool.config().queue_limit;
            return Err(Refused { request, error: SubmitError::QueueFull { limit } });
        }
        self.admit(now, now, origin, request, options)
    }

    /// Takes a place in line for room at `origin`, after
    /// [`submit`](Self::submit) refused with [`SubmitError::QueueFull`]. A
    /// [`Notice::Room`] says when to call
    /// [`submit_waiting`](Self::submit_waiting). `since` is when the caller
    /// first tried to submit.
    pub fn wait_for_room<'a>(&mut self, since: Instant, origin: impl Into<OriginRef<'a>>) -> WaiterId {
        let id = self.waiters.join(origin.into(), since);
        self.offer_room();
        id
    }

    /// Submits for a waiter that was told there is room. Refused (handed
    /// back) while it is not first in line or there is no room after all —
    /// it keeps its place; refused with [`SubmitError::Closed`] once shutting
    /// down. A waiter whose deadline passed while it waited gets a request
    /// whose outcome is that failure (`timeout`), without the request being
    /// sent.
    pub fn submit_waiting<'a>(
        &mut self,
        now: Instant,
        waiter: WaiterId,
        origin: impl Into<OriginRef<'a>>,
        request: Request<F>,
        options: RequestOptions,
    ) -> Result<RequestId, Refused<Request<F>, EncodeError<F>>> {
        let origin = origin.into();
        if self.expired.remove(&waiter) {
            return Ok(self.fail_unsent(ErrorKind::Timeout, "the request's deadline passed while it waited for room"));
        }
        if self.shutting_down {
            self.waiters.leave(waiter);
            return Err(Refused { request, error: SubmitError::Closed });
        }
        let limit = self.pool.config().queue_limit;
        let Some((_, place)) = self.waiters.first(waiter) else {
            return Err(Refused { request, error: SubmitError::QueueFull { limit } });
        };
        if !self.pool.has_room(origin) {
            // Told too early (the room went to requests handed back by a
            // lost connection): it keeps its place and is told again.
            self.waiters.told_too_early(waiter);
            return Err(Refused { request, error: SubmitError::QueueFull { limit } });
        }
        self.waiters.leave(waiter);
        let result = self.admit(now, place.since, origin, request, options);
        self.offer_room();
        result
    }

    /// Gives up a place in line (the caller is gone).
    pub fn cancel_waiting(&mut self, waiter: WaiterId) {
        self.expired.remove(&waiter);
        self.waiters.leave(waiter);
        self.offer_room();
    }

    /// The next item of the request's outcome, in order; `None` when there
    /// is nothing yet (a [`Notice::Request`] says when there is) or the
    /// terminal item was already taken.
    pub fn take(&mut self, now: Instant, id: RequestId) -> Option<Taken<F::Codec>> {
        let mailbox = self.mailboxes.get_mut(id.get())?;
        let item = mailbox.pop()?;
        let (conn, buffered) = (mailbox.conn, mailbox.buffered);
        let (attempts, written, ended_at) = (mailbox.attempts, mailbox.written, mailbox.ended_at);
        if item.is_terminal() {
            self.mailboxes.release(id.get());
        }
        if let Some(conn) = conn {
            let behind = self.paused.get(&conn) == Some(&id);
            if behind && (item.is_terminal() || buffered <= self.config.body_buffer / 2) {
                self.resume(now, conn);
            }
        }
        Some(Taken { item, attempts, written, ended_at })
    }

    /// Takes the rest of the request's streamed response if it has all
    /// arrived and is at most one part: `Some((part, ended_at))`, the part
    /// absent when only the end was left. A caller that took the head can so
    /// finish a small response without asking again.
    pub fn take_last(&mut self, now: Instant, id: RequestId) -> Option<(Option<PartOf<F>>, Option<Instant>)> {
        let mailbox = self.mailboxes.get_mut(id.get())?;
        let whole = match mailbox.items.len() {
            1 => matches!(mailbox.items.front(), Some(Delivery::End)),
            2 => {
                matches!(mailbox.items.get(1), Some(Delivery::End))
                    && matches!(mailbox.items.front(), Some(Delivery::Part(_)))
            }
            _ => false,
        };
        if !whole {
            return None;
        }
        let part = match mailbox.pop() {
            Some(Delivery::Part(part)) => {
                mailbox.pop();
                Some(part)
            }
            _ => None,
        };
        let ended_at = mailbox.ended_at;
        let conn = mailbox.conn;
        self.mailboxes.release(id.get());
        self.resume_if_paused_for(now, conn, id);
        Some((part, ended_at))
    }

    /// Hands over the next piece of request `id`'s streamed content, after
    /// its [`Notice::SendBody`].
    pub fn send_body(
        &mut self,
        now: Instant,
        id: RequestId,
        piece: bytes::Bytes,
        end: bool,
    ) -> Result<(), crate::pipeline::BodyError> {
        let sent = self.pool.send_body(now, id, piece, end);
        self.absorb(now);
        sent
    }

    /// The source of request `id`'s streamed content failed: the request
    /// fails and its connection closes.
    pub fn abort_body(&mut self, now: Instant, id: RequestId) {
        self.pool.abort_body(now, id);
        self.absorb(now);
    }

    /// The next message that answered no request (a pub/sub message, a RESP3
    /// push), with its connection, in arrival order. Taking the backlog down
    /// to half its limit resumes a connection paused for it.
    pub fn take_unsolicited(&mut self, now: Instant) -> Option<(ConnectionId, PartOf<F>)> {
        let taken = self.unsolicited.pop_front()?;
        if self.unsolicited.len() <= self.config.unsolicited_buffer / 2 {
            let waiting: Vec<ConnectionId> =
                self.paused.iter().filter(|&(_, &id)| id == UNSOLICITED).map(|(&conn, _)| conn).collect();
            for conn in waiting {
                self.resume(now, conn);
            }
            if !self.instructions.is_empty() {
                self.absorb(now);
            }
        }
        Some(taken)
    }

    /// After [`Notice::Upgraded`]: the connection request `id` upgraded and
    /// the bytes of the new protocol read already. The driver hands the
    /// transport over to the request's caller instead of closing it.
    pub fn take_upgrade(&mut self, id: RequestId) -> Option<(ConnectionId, bytes::BytesMut)> {
        let at = self.upgrades.iter().position(|(upgraded, _, _)| *upgraded == id)?;
        self.upgrades.remove(at).map(|(_, conn, leftover)| (conn, leftover))
    }

    /// Takes the request's next item only if it is the end of its streamed
    /// response, returning when the response ended: lets a caller that just
    /// took the last content learn the end without asking again.
    pub fn take_end(&mut self, now: Instant, id: RequestId) -> Option<Option<Instant>> {
        let mailbox = self.mailboxes.get_mut(id.get())?;
        if !matches!(mailbox.items.front(), Some(Delivery::End)) {
            return None;
        }
        let ended_at = mailbox.ended_at;
        mailbox.pop();
        let conn = mailbox.conn;
        self.mailboxes.release(id.get());
        self.resume_if_paused_for(now, conn, id);
        Some(ended_at)
    }

    /// A request's mailbox was released: a connection paused for it (its
    /// part past the buffer and its end came in one read) resumes, since
    /// a pause must never outlive its reader.
    fn resume_if_paused_for(&mut self, now: Instant, conn: Option<ConnectionId>, id: RequestId) {
        if let Some(conn) = conn {
            if self.paused.get(&conn) == Some(&id) {
                self.resume(now, conn);
            }
        }
    }

    /// Whether the request's outcome is still held (its terminal item not
    /// yet taken).
    pub fn holds(&self, id: RequestId) -> bool {
        self.mailboxes.contains(id.get())
    }

    /// The request's caller is gone: it is cancelled (`docs/DESIGN.md` P9)
    /// unless it already ended, and its mailbox is dropped.
    pub fn cancel(&mut self, now: Instant, id: RequestId) {
        let Some(mailbox) = self.mailboxes.get(id.get()) else { return };
        let (conn, ended) = (mailbox.conn, mailbox.ended);
        self.mailboxes.release(id.get());
        if let Some(conn) = conn {
            if self.paused.get(&conn) == Some(&id) {
                self.resume(now, conn);
            }
        }
        if !ended {
            self.pool.cancel(now, id);
            self.absorb(now);
        }
    }

    /// Finishes gracefully: no new submissions, waiters are told to give
    /// up, outstanding requests finish, then every connection closes.
    pub fn shut_down(&mut self, now: Instant) {
        if self.shutting_down {
            return;
        }
        self.shutting_down = true;
        for waiter in self.waiters.wake_all() {
            self.notices.push_back(Notice::Room(waiter));
        }
        self.absorb(now);
    }

    /// Changes the depth of every connection (P1).
    pub fn set_depth(&mut self, now: Instant, depth: usize) -> Result<(), ConfigError> {
        self.pool.set_depth(now, depth)?;
        self.absorb(now);
        Ok(())
    }

    // ---- inputs ----

    /// The transport for `conn` is open.
    pub fn handle_connected(&mut self, now: Instant, conn: ConnectionId) {
        self.connecting.remove(&conn);
        self.pool.handle_connected(now, conn);
        self.absorb(now);
    }

    /// Opening `conn` failed; `error` says why, for the message of the
    /// requests that fail when every allowed connect failed.
    pub fn handle_connect_failed(&mut self, now: Instant, conn: ConnectionId, error: &str) {
        self.handle_io_failure(now, conn, error, None);
    }

    /// The transport of `conn` failed, or while connecting its connect, with
    /// the system's words for it and its error number if it has one (the
    /// drivers hand both to the caller: `errno` becomes the error's source).
    pub fn handle_io_failure(&mut self, now: Instant, conn: ConnectionId, message: &str, os_code: Option<i32>) {
        let failure = IoFailure { message: message.to_string(), os_code };
        if let Some(origin) = self.connecting.remove(&conn) {
            self.connect_errors.insert(origin, failure);
            self.pool.handle_connect_failed(now, conn);
            self.absorb(now);
            return;
        }
        self.transport_failure = Some(failure);
        self.pool.handle_transport_error(now, conn);
        self.absorb(now);
        self.transport_failure = None;
    }

    /// Bytes arrived on `conn`.
    pub fn handle_received(&mut self, now: Instant, conn: ConnectionId, data: &[u8]) {
        self.pool.handle_received(now, conn, data);
        self.absorb(now);
    }

    /// Bytes arrived on `conn`, in a buffer handed over
    /// ([`Pool::handle_received_buf`]: no copy).
    pub fn handle_received_buf(&mut self, now: Instant, conn: ConnectionId, data: bytes::BytesMut) {
        self.pool.handle_received_buf(now, conn, data);
        self.absorb(now);
    }

    /// The transport of `conn` accepted `n` more bytes of its last transmit.
    pub fn handle_written(&mut self, now: Instant, conn: ConnectionId, n: usize) {
        self.pool.handle_written(now, conn, n);
        self.absorb(now);
    }

    /// The peer closed `conn`.
    pub fn handle_eof(&mut self, now: Instant, conn: ConnectionId) {
        self.pool.handle_eof(now, conn);
        self.absorb(now);
    }

    /// The transport of `conn` failed (or, while connecting, the connect).
    pub fn handle_transport_error(&mut self, now: Instant, conn: ConnectionId) {
        if self.connecting.contains_key(&conn) {
            return self.handle_connect_failed(now, conn, "the connection failed");
        }
        self.pool.handle_transport_error(now, conn);
        self.absorb(now);
    }

    /// A deadline from [`poll_timeout`](Self::poll_timeout) is due; other
    /// calls are harmless.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.pool.handle_timeout(now);
        if let Some(timeout) = self.request_timeout {
            for waiter in self.waiters.expire(now, timeout) {
                self.expired.insert(waiter);
                self.notices.push_back(Notice::Room(waiter));
            }
        }
        // What is remembered of an origin goes when the pool forgets it.
        let pool = &self.pool;
        self.connect_errors.retain(|&origin, _| pool.knows(origin));
        self.absorb(now);
    }

    // ---- outputs ----

    /// The next transmit: bytes appended to `buf` for one connection
    /// ([`Pool::poll_transmit`]).
    #[must_use]
    pub fn poll_transmit(&mut self, now: Instant, buf: &mut Vec<u8>) -> Option<(ConnectionId, usize)> {
        let transmit = self.pool.poll_transmit(now, buf);
        self.absorb(now);
        transmit
    }

    /// The next transmit of one connection ([`Pool::poll_transmit_on`]).
    #[must_use]
    pub fn poll_transmit_on(&mut self, now: Instant, conn: ConnectionId, buf: &mut Vec<u8>) -> Option<usize> {
        let transmit = self.pool.poll_transmit_on(now, conn, buf);
        self.absorb(now);
        transmit
    }

    /// A connection that may have something to write since it was last
    /// asked ([`Pool::poll_writable`]).
    #[must_use]
    pub fn poll_writable(&mut self) -> Option<ConnectionId> {
        self.pool.poll_writable()
    }

    /// The next thing to do with a transport: open or close one, or stop or
    /// resume reading one.
    #[must_use]
    pub fn poll_instruction(&mut self) -> Option<Instruction> {
        self.instructions.pop_front()
    }

    /// When [`handle_timeout`](Self::handle_timeout) should next be called.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        let pool = self.pool.poll_timeout();
        let waiting = self.request_timeout.and_then(|t| self.waiters.next_deadline(t));
        match (pool, waiting) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// The next caller to wake, or origin lesson to report.
    #[must_use]
    pub fn poll_notice(&mut self) -> Option<Notice> {
        self.notices.pop_front()
    }

    // ---- internals ----

    fn admit(
        &mut self,
        now: Instant,
        since: Instant,
        origin: OriginRef<'_>,
        request: Request<F>,
        mut options: RequestOptions,
    ) -> Result<RequestId, Refused<Request<F>, EncodeError<F>>> {
        // Both timeouts count from the first try to submit.
        for timeout in [self.request_timeout, options.timeout.take()].into_iter().flatten() {
            let deadline = since + timeout;
            options.deadline = Some(options.deadline.map_or(deadline, |d| d.min(deadline)));
        }
        let result = self.pool.submit(now, origin, request, options);
        if let Ok(id) = result {
            self.mailboxes.insert_with(id.get(), Mailbox::reuse);
        }
        self.absorb(now);
        result
    }

    /// A request that ends before it reaches the pool.
    fn fail_unsent(&mut self, kind: ErrorKind, message: &str) -> RequestId {
        let id = self.pool.reserve_id();
        let mut mailbox = Mailbox::new();
        mailbox.push(Delivery::Failed(RequestError { kind, message: message.to_string(), attempts: 0, os_code: None }));
        self.mailboxes.insert(id.get(), mailbox);
        self.notices.push_back(Notice::Request(id));
        id
    }

    fn deliver(&mut self, id: RequestId, item: Delivery<F::Codec>) {
        if let Some(mailbox) = self.mailboxes.get_mut(id.get()) {
            if mailbox.push(item) {
                self.notices.push_back(Notice::Request(id));
            }
        }
    }

    /// Moves the pool's output into mailboxes, notices and instructions.
    fn absorb(&mut self, now: Instant) {
        loop {
            while let Some(instruction) = self.pool.poll_instruction() {
                match instruction {
                    Instruction::Connect { conn, origin } => {
                        self.connecting.insert(conn, origin);
                    }
                    Instruction::Close { conn, .. } => {
                        self.connecting.remove(&conn);
                        self.paused.remove(&conn);
                    }
                    _ => {}
                }
                self.instructions.push_back(instruction);
            }
            let Some(event) = self.pool.poll_event() else { break };
            match event {
                PoolEvent::Response { id, conn, part, end, attempts } => {
                    let Some(mailbox) = self.mailboxes.get_mut(id.get()) else { continue };
                    mailbox.attempts = attempts;
                    mailbox.conn = Some(conn);
                    let mut woken = false;
                    if !(end && F::Codec::is_end_marker(&part)) {
                        woken |= mailbox.push(Delivery::Part(part));
                    }
                    if end {
                        mailbox.ended_at = Some(now);
                        woken |= mailbox.push(Delivery::End);
                    }
                    let behind = mailbox.buffered > self.config.body_buffer;
                    if woken {
                        self.notices.push_back(Notice::Request(id));
                    }
                    // A part read before its connection closed (the close
                    // was drained above) pauses nothing: no reader is left.
                    let open = self.pool.is_open(conn);
                    if behind && !end && open && !self.paused.contains_key(&conn) {
                        self.pause(now, id, conn);
                    }
                }
                PoolEvent::Complete { id, response, attempts } => {
                    if let Some(mailbox) = self.mailboxes.get_mut(id.get()) {
                        mailbox.attempts = attempts;
                        mailbox.ended_at = Some(now);
                    }
                    self.deliver(id, Delivery::Complete(response));
                }
                PoolEvent::Failed(failure) => {
                    let origin = self.pool.origin(failure.origin).map(alloc::string::ToString::to_string);
                    let connect_error = self.connect_errors.get(&failure.origin);
                    let mut message =
                        message::describe(&failure, origin.as_deref(), connect_error.map(|e| e.message.as_str()));
                    let os_code = match &failure.cause {
                        Cause::ConnectFailed => connect_error.and_then(|e| e.os_code),
                        Cause::Lost(CloseReason::Transport) => self.transport_failure.as_ref().and_then(|e| {
                            message.push_str(": ");
                            message.push_str(&e.message);
                            e.os_code
                        }),
                        _ => None,
                    };
                    let error = RequestError { kind: failure.kind, message, attempts: failure.attempts, os_code };
                    if let Some(mailbox) = self.mailboxes.get_mut(failure.id.get()) {
                        mailbox.attempts = failure.attempts;
                    }
                    self.deliver(failure.id, Delivery::Failed(error));
                }
                PoolEvent::Written { id, conn } => {
                    if let Some(mailbox) = self.mailboxes.get_mut(id.get()) {
                        mailbox.written = Some((conn, now));
                    }
                }
                // Messages that answer no request go to their taker, if the
                // client has one.
                PoolEvent::Unsolicited { conn, part } => {
                    let keep = self.config.unsolicited_buffer;
                    if keep > 0 {
                        if self.unsolicited.is_empty() {
                            self.notices.push_back(Notice::Unsolicited);
                        }
                        self.unsolicited.push_back((conn, part));
                        if self.unsolicited.len() > keep && !self.paused.contains_key(&conn) {
                            self.pause(now, UNSOLICITED, conn);
                        }
                    }
                }
                PoolEvent::SendBody { id } => self.notices.push_back(Notice::SendBody(id)),
                PoolEvent::SetupRefused { origin, why } => {
                    // What the requests failing next say.
                    let mut message = String::from("the server refused the connection's setup: ");
                    message.push_str(&why);
                    self.connect_errors.insert(origin, IoFailure { message, os_code: None });
                }
                PoolEvent::SetupLost { origin } => {
                    let mut message = String::from("the connection was lost before its setup was answered");
                    if let Some(failure) = &self.transport_failure {
                        message.push_str(": ");
                        message.push_str(&failure.message);
                    }
                    let os_code = self.transport_failure.as_ref().and_then(|f| f.os_code);
                    self.connect_errors.insert(origin, IoFailure { message, os_code });
                }
                PoolEvent::Upgraded { id, conn, leftover } => {
                    if self.upgrades.len() >= UPGRADES_KEPT {
                        self.upgrades.pop_front();
                    }
                    self.upgrades.push_back((id, conn, leftover));
                    self.notices.push_back(Notice::Upgraded { id, conn });
                }
                PoolEvent::Learned { origin, fact } => {
                    self.notices.push_back(Notice::Learned { origin, fact });
                }
            }
        }
        self.offer_room();
        if self.shutting_down && !self.closed && self.pool.pending() == 0 && self.waiters.is_empty() {
            // Nothing left to do: close the idle connections now rather than
            // at their idle timeout.
            self.closed = true;
            self.pool.close(now);
            self.absorb(now);
        }
    }

    /// Tells the first waiter of each origin with room that it may submit.
    fn offer_room(&mut self) {
        if self.waiters.is_empty() || self.shutting_down {
            return;
        }
        let pool = &self.pool;
        for waiter in self.waiters.wake_first(|origin| pool.has_room(origin)) {
            self.notices.push_back(Notice::Room(waiter));
        }
    }

    fn pause(&mut self, now: Instant, id: RequestId, conn: ConnectionId) {
        self.paused.insert(conn, id);
        self.pool.handle_read_paused(now, conn, true);
        self.instructions.push_back(Instruction::PauseReading { conn });
    }

    fn resume(&mut self, now: Instant, conn: ConnectionId) {
        if self.paused.remove(&conn).is_some() {
            self.pool.handle_read_paused(now, conn, false);
            self.instructions.push_back(Instruction::ResumeReading { conn });
        }
    }
}

impl<F: CodecFactory> core::fmt::Debug for Dispatcher<F> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Dispatcher")
            .field("pool", &self.pool)
            .field("outstanding", &self.mailboxes.len())
            .field("waiting", &self.waiters.len())
            .field("paused", &self.paused.len())
            .finish_non_exhaustive()
    }
}
