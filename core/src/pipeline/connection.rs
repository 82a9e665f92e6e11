//! One pipelined connection: queue, depth, matching, classification on
//! loss, cancellation and timers, generic over a [`Codec`].

use super::classify::{LossContext, classify};
use super::entry::{Entry, Stage, Waits, Wire};
use super::options::Handling;
use super::timer::{Timer, Timers};
use super::upload::{Upload, UploadPhase};
use super::{
    BodyError, Capability, CloseSummary, Codec, ConnectionConfig, CorrelationId, Decoded, Event, Matching, Recipient,
    Refused, Remaining, ReplayRule, RequestId, RequestOptions, ResponseSignals, Role, SubmitError, Unanswered,
};
use crate::outcome::{Cause, CloseReason, CodecError, Lesson, Progress, Retry};
use crate::{Duration, ErrorKind, Instant};
use alloc::boxed::Box;
use alloc::collections::VecDeque;
use alloc::string::String;
use alloc::vec::Vec;
use bytes::BytesMut;

/// Where a connection is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    /// Requests may be written.
    Open,
    /// A response said nothing more is written after it (`close`, or the end
    /// of HTTP on this transport); the connection closes once the response
    /// to `after` is complete. `error`: that response reported an error, so
    /// the close is the server's reaction to it, not its request budget.
    Closing { after: RequestId, upgrade: bool, error: bool },
    /// Finished: its last event is [`Event::Closed`].
    Closed,
}

/// How the connection was last used, for the stale-connection race
/// (`docs/DESIGN.md` P6).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Reuse {
    /// Fresh, or in use.
    Busy,
    /// Nothing outstanding since this instant, after serving a response.
    IdleSince(Instant),
    /// Requests were written after a long idle and no byte came back yet:
    /// a close now is the server's idle close crossing our requests.
    WatchingStale,
}

/// A sans-IO pipelined connection.
///
/// It never touches a socket or a clock. The caller moves bytes and time in
/// and out, in four groups of methods (the quinn-proto shape):
///
/// * **getters** (`&self`): [`in_flight`](Self::in_flight),
///   [`queued`](Self::queued), [`capability`](Self::capability), …
/// * **inputs** (`handle_*`), what happened: bytes received, bytes written,
///   EOF, a transport error, a timer.
/// * **commands**, what the application wants: [`submit`](Self::submit),
///   [`cancel`](Self::cancel), [`close`](Self::close),
///   [`set_depth`](Self::set_depth).
/// * **outputs** (`poll_*`), what the caller must do next. After every input
///   or command, drain them in this order: [`poll_transmit`](Self::poll_transmit)
///   until `None` (write each transmit, report with
///   [`handle_written`](Self::handle_written)), then
///   [`poll_timeout`](Self::poll_timeout) (call
///   [`handle_timeout`](Self::handle_timeout) then), then
///   [`poll_event`](Self::poll_event) until `None`.
///
/// Peer faults never come back as `Err`: they become events
/// ([`Event::Unanswered`], [`Event::Closed`]). `Err` means local misuse.
///
/// Every submitted request ends in exactly one terminal event
/// (`docs/DESIGN.md` P12): a last response part, a whole response, or an
/// [`Unanswered`] that hands the request back with how far it got and
/// whether it may be resent.
pub struct Connection<C: Codec> {
    codec: C,
    config: ConnectionConfig,
    /// Written requests (`..in_flight`, in write order), then queued ones.
    entries: VecDeque<Entry<C>>,
    /// How many entries at the front are written: the one split of
    /// `entries`, moved only by `encode_next` and `remove`.
    in_flight: usize,
    /// Entries (written or queued) with a deadline; owned by `push` and
    /// `remove`, so `poll_timeout` scans only when there are some.
    with_deadline: usize,
    /// Entries with a progress timeout running (`Entry::progress`).
    with_progress: usize,
    recv: BytesMut,
    events: VecDeque<Event<C>>,
    next_id: u64,
    next_correlation: u32,
    /// Bytes handed out by `poll_transmit`, and accepted by the transport.
    encoded: u64,
    accepted: u64,
    capability: Capability,
    /// Requests this connection may carry in all, if limited: the smaller of
    /// what the pool learned and what the server announced (P11).
    limit: Option<u64>,
    /// The caller's requests encoded on it so far: what a request budget
    /// counts, as budgets are learned from the responses to them (P11). Its
    /// own setup requests are not counted: a budget smaller than the setup
    /// must still let requests through.
    written: u64,
    phase: Phase,
    reuse: Reuse,
    responses: u64,
    /// What `Keep-Alive: max` said this connection will serve in all.
    announced_budget: Option<u64>,
    /// The last final response reported an error (HTTP 4xx/5xx): a close
    /// right after it teaches no budget (P11).
    last_was_error: bool,
    /// How long the server keeps an idle connection: announced
    /// (`Keep-Alive: timeout`) or learned from its idle closes. The
    /// connection retires before it and judges the stale race by it (P6).
    idle_limit: Option<Duration>,
    /// How long this connection had idled when the server closed it, if it
    /// closed an idle connection: the pool learns the server's idle timeout
    /// from it.
    idle_closed_after: Option<Duration>,
    /// The response to this request announced, or has passed, the large
    /// response threshold: nothing is written behind it until it is complete
    /// (P13).
    held_by: Option<RequestId>,
    /// Content bytes received so far of the response being received (FIFO
    /// codecs: the front request's).
    receiving_body: u64,
    /// When the front request became the head of the pipeline (P13's rescue
    /// delay counts from here).
    head_since: Instant,
    /// Written requests marked `blocking` (P13): while one has no response
    /// part yet, nothing is written behind it.
    blocking_written: usize,
    /// The request whose response ended HTTP on this connection (`101`, a
    /// `CONNECT` tunnel): the transport is its caller's now.
    upgraded_by: Option<RequestId>,
    /// The written request whose content the caller is supplying a piece at
    /// a time (at most one: such a request is alone on its connection).
    upload: Option<Upload>,
    /// Setup requests not yet answered: nothing else is written meanwhile.
    setup_pending: usize,
    timers: Timers,
    /// The driver stopped reading (a consumer is behind): the stall timer is
    /// suspended, since silence is ours, not the server's.
    reading_paused: bool,
}

impl<C: Codec> Connection<C> {
    /// A connection that has just been opened, driven through `codec`.
    pub fn new(codec: C, config: ConnectionConfig, now: Instant) -> Self {
        let mut config = config;
        config.depth = config.depth.max(1);
        let mut connection = Connection {
            codec,
            capability: config.capability,
            config,
            entries: VecDeque::new(),
            in_flight: 0,
            with_deadline: 0,
            with_progress: 0,
            recv: BytesMut::new(),
            events: VecDeque::new(),
            next_id: 0,
            next_correlation: 0,
            encoded: 0,
            accepted: 0,
            limit: None,
            written: 0,
            phase: Phase::Open,
            reuse: Reuse::Busy,
            responses: 0,
            announced_budget: None,
            last_was_error: false,
            idle_limit: None,
            idle_closed_after: None,
            held_by: None,
            receiving_body: 0,
            head_since: now,
            blocking_written: 0,
            upgraded_by: None,
            upload: None,
            setup_pending: 0,
            timers: Timers::default(),
            reading_paused: false,
        };
        // The connection's own setup goes first, before anything queued.
        for (k, request) in connection.codec.setup().into_iter().enumerate() {
            connection.entries.push_back(Entry {
                id: RequestId::from_raw(SETUP_IDS - k as u64),
                request,
                stage: Stage::Queued,
                replayable: false,
                alone: false,
                rule: super::ReplayRule::Standard,
                internal: true,
                blocking: false,
                deadline: None,
                waits: Waits::default(),
                progress: None,
                collector: Some(C::Collector::default()),
                correlation: None,
            });
            connection.setup_pending += 1;
        }
        connection.arm_idle(now);
        connection
    }

    // ---- getters ----

    /// The settings in force.
    pub fn config(&self) -> &ConnectionConfig {
        &self.config
    }

    /// Requests encoded for writing and not yet answered (P1's count).
    pub fn in_flight(&self) -> usize {
        self.in_flight
    }

    /// Requests waiting to be written.
    pub fn queued(&self) -> usize {
        self.entries.len() - self.in_flight
    }

    /// What is known of the server's pipelining.
    pub fn capability(&self) -> Capability {
        self.capability
    }

    /// Complete responses delivered.
    pub fn responses(&self) -> u64 {
        self.responses
    }

    /// Requests that may still be written, if limited.
    pub fn budget(&self) -> Option<u64> {
        self.limit.map(|limit| limit.saturating_sub(self.written))
    }

    /// Whether the connection has closed (its last event is, or was,
    /// [`Event::Closed`]).
    pub fn is_closed(&self) -> bool {
        self.phase == Phase::Closed
    }

    /// Whether no further request may be written: a response said so, or
    /// the connection closed.
    pub fn is_closing(&self) -> bool {
        self.phase != Phase::Open
    }

    /// The ids of the requests not yet ended, in write order.
    pub fn pending_ids(&self) -> impl Iterator<Item = RequestId> + '_ {
        self.entries.iter().filter(|e| !e.stage.has_ended() && !e.internal).map(|e| e.id)
    }

    /// Whether a large response is being received: nothing is written
    /// behind it until it is complete (P13).
    pub fn is_held(&self) -> bool {
        self.held_by.is_some()
    }

    /// The server's idle timeout as this connection knows it (announced, or
    /// learned by the pool), if it knows one.
    pub fn idle_limit(&self) -> Option<Duration> {
        self.idle_limit
    }

    /// The requests written behind the head of the pipeline that may be
    /// sent again on another connection while the head is slow (P13):
    /// replayable, not alone, with no response part yet, in write order.
    pub fn rescue_candidates(&self) -> impl Iterator<Item = (RequestId, &C::Request)> + '_ {
        self.entries
            .iter()
            .take(self.in_flight)
            .skip(1)
            .filter(|e| matches!(e.stage, Stage::Sent(_)) && e.replayable && !e.alone)
            .map(|e| (e.id, &e.request))
    }

    /// Request `id`, if it is here, written, and nothing of its response has
    /// arrived yet.
    pub(crate) fn awaiting_response(&self, id: RequestId) -> Option<&C::Request> {
        self.entries
            .iter()
            .take(self.in_flight)
            .find(|e| e.id == id && matches!(e.stage, Stage::Sent(_)))
            .map(|e| &e.request)
    }

    /// Whether request `id` is here and was handed to the transport.
    pub(crate) fn has_written(&self, id: RequestId) -> bool {
        self.entries.iter().take(self.in_flight).any(|e| e.id == id)
    }

    /// Whether its own setup requests (a Redis connection's `AUTH`,
    /// `SELECT`, …) are not all answered yet: until they are, it carries
    /// none of the caller's requests, and its loss is a failed connect's
    /// (P8).
    pub fn is_setting_up(&self) -> bool {
        self.setup_pending > 0
    }

    /// How many more requests this connection would write now if they were
    /// queued: zero once closing, at its depth or budget, behind a request
    /// that must be alone, or while a large response is held.
    pub fn free_slots(&self) -> usize {
        if self.is_closing() || self.alone_in_flight() || self.held_by.is_some() {
            return 0;
        }
        let room = self.effective_depth().saturating_sub(self.entries.len());
        match self.budget() {
            Some(b) => room.min(usize::try_from(b).unwrap_or(usize::MAX).saturating_sub(self.queued())),
            None => room,
        }
    }

    // ---- commands ----

    /// Queues a request; it is written by a later
    /// [`poll_transmit`](Self::poll_transmit) when depth and the rules allow.
    /// A refused request is handed back.
    pub fn submit(
        &mut self,
        now: Instant,
        request: C::Request,
        options: RequestOptions,
    ) -> Result<RequestId, Refused<C::Request, C::EncodeError>> {
        if let Err(e) = self.codec.validate(&request) {
            return Err(Refused { request, error: SubmitError::Invalid(e) });
        }
        let id = RequestId::from_raw(self.next_id);
        let handling = Handling::of(
            &options,
            self.codec.is_idempotent(&request),
            // A streamed content goes alone too: a loss never ties another
            // request's fate to a stream that cannot be replayed.
            self.codec.is_exclusive(&request) || self.codec.body_stream(&request).is_some(),
            self.config.non_idempotent,
        )
        .with_rule(self.codec.replay_rule(&request));
        self.submit_as(now, id, request, options, None, handling)?;
        self.next_id += 1;
        Ok(id)
    }

    /// Queues a request under an id the caller allocated (the pool's),
    /// already validated, with its handling decided.
    pub(crate) fn submit_as(
        &mut self,
        now: Instant,
        id: RequestId,
        request: C::Request,
        options: RequestOptions,
        correlation: Option<CorrelationId>,
        handling: Handling,
    ) -> Result<(), Refused<C::Request, C::EncodeError>> {
        if self.is_closing() {
            return Err(Refused { request, error: SubmitError::Closed });
        }
        if self.queued() >= self.config.queue_limit {
            return Err(Refused { request, error: SubmitError::QueueFull { limit: self.config.queue_limit } });
        }
        let Handling { replayable, alone, rule } = handling;
        if options.deadline.is_some() {
            self.with_deadline += 1;
        }
        self.entries.push_back(Entry {
            id,
            request,
            stage: Stage::Queued,
            replayable,
            alone,
            rule,
            internal: false,
            blocking: options.blocking,
            deadline: options.deadline,
            waits: Waits {
                head: options.headers_timeout.or(self.config.headers_timeout),
                body: options.body_timeout.or(self.config.body_timeout),
            },
            progress: None,
            collector: options.whole.then(C::Collector::default),
            correlation,
        });
        self.timers.stop(Timer::Idle);
        let _ = now;
        Ok(())
    }

    /// Cancels a request (P9). Not yet written: removed, nothing is sent.
    /// Written: it ends now with [`Cause::Cancelled`]; its response is read
    /// and dropped when it comes, unless more than the cancel threshold would
    /// have to be dropped, in which case the connection closes and the other
    /// requests are handed back. A finished, unknown or already cancelled id
    /// is ignored.
    pub fn cancel(&mut self, now: Instant, id: RequestId) {
        self.end_early(now, id, Cause::Cancelled);
    }

    /// Ends a request as if its deadline had passed (the pool keeps the
    /// deadlines of its requests itself).
    pub(crate) fn expire(&mut self, now: Instant, id: RequestId) {
        self.end_early(now, id, Cause::Deadline);
    }

    /// Closes the connection now. Unfinished requests are handed back
    /// ([`Event::Unanswered`]) classified by how far they got (P8).
    pub fn close(&mut self, now: Instant) {
        if !self.is_closed() {
            self.close_with(now, CloseReason::Local, Lesson::Nothing);
        }
    }

    /// Hands over the next piece of request `id`'s streamed content, after
    /// its [`Event::SendBody`]; `end` marks the last (an empty last piece is
    /// fine). The piece goes out in the next transmit, and the next
    /// `SendBody` asks for more once the transport accepted it. Pieces that
    /// add up to more than the declared length, or end short of it, fail the
    /// request (`invalid_request`) and close the connection.
    pub fn send_body(&mut self, now: Instant, id: RequestId, piece: bytes::Bytes, end: bool) -> Result<(), BodyError> {
        let Some(upload) = self.upload.as_mut().filter(|u| u.id == id && matches!(u.phase, UploadPhase::Wanted)) else {
            return Err(BodyError::NotWanted);
        };
        let supplied = upload.sent.saturating_add(piece.len() as u64);
        if let Some(declared) = upload.length {
            if supplied > declared || (end && supplied != declared) {
                self.fail_upload(now, id);
                return Err(BodyError::Length { declared, supplied });
            }
        }
        upload.sent = supplied;
        upload.phase = UploadPhase::Queued { piece, end };
        Ok(())
    }

    /// The caller cannot supply the rest of request `id`'s streamed content
    /// (its source failed): the request fails (`invalid_request`) and the
    /// connection closes, since the request's framing cannot be completed.
    pub fn abort_body(&mut self, now: Instant, id: RequestId) {
        if self.upload.as_ref().is_some_and(|u| u.id == id && u.is_unfinished()) {
            self.fail_upload(now, id);
        }
    }

    /// Changes the depth (P1) from now on; requests already in flight stay.
    pub fn set_depth(&mut self, depth: usize) {
        self.config.depth = depth.max(1);
    }

    /// Overrides what is known of the server, as the pool's capability
    /// memory does (fuzzing and tests only).
    #[cfg(feature = "fuzzing")]
    pub fn set_capability(&mut self, capability: Capability) {
        self.override_capability(capability);
    }

    /// Limits how many more requests may be written, as a learned request
    /// budget does (P11); `None` lifts the limit (fuzzing and tests only).
    #[cfg(feature = "fuzzing")]
    pub fn set_budget(&mut self, now: Instant, budget: Option<u64>) {
        self.limit = budget.map(|b| self.written.saturating_add(b));
        self.close_if_spent(now);
    }

    /// The server's idle timeout as the pool learned it from idle closes:
    /// only ever shortens what the connection knows.
    pub(crate) fn limit_idle(&mut self, now: Instant, limit: Duration) {
        self.idle_limit = Some(self.idle_limit.map_or(limit, |known| known.min(limit)));
        if self.entries.is_empty() {
            self.arm_idle(now);
        }
    }

    /// What the pool's capability memory says of the server now.
    pub(crate) fn override_capability(&mut self, capability: Capability) {
        self.capability = capability;
    }

    /// Limits how many requests this connection carries in all (a request
    /// budget the pool learned, P11): only ever lowers the limit, and applies
    /// to requests already written too — a connection that has written as
    /// many writes no more.
    pub(crate) fn apply_budget(&mut self, now: Instant, total: u64) {
        self.limit = Some(self.limit.map_or(total, |limit| limit.min(total)));
        self.close_if_spent(now);
    }

    // ---- inputs ----

    /// Bytes arrived from the peer.
    pub fn handle_received(&mut self, now: Instant, data: &[u8]) {
        if self.is_closed() || data.is_empty() {
            return;
        }
        self.recv.extend_from_slice(data);
        self.after_receive(now);
    }

    /// Bytes arrived from the peer, in a buffer the connection takes over:
    /// response parts are slices of it, so nothing is copied when the
    /// caller reads into one buffer and hands over each read's bytes (split
    /// off the same allocation, they join the bytes still waiting here
    /// without a copy).
    pub fn handle_received_buf(&mut self, now: Instant, data: BytesMut) {
        if self.is_closed() || data.is_empty() {
            return;
        }
        if self.recv.is_empty() {
            self.recv = data;
        } else {
            self.recv.unsplit(data);
        }
        self.after_receive(now);
    }

    fn after_receive(&mut self, now: Instant) {
        if self.reuse == Reuse::WatchingStale {
            self.reuse = Reuse::Busy;
        }
        self.restart_stall(now);
        self.process(now, false);
    }

    /// The transport accepted `n` more bytes of the last transmit. The caller
    /// keeps writing the rest of that transmit; no new transmit is produced
    /// until all of it is accepted.
    pub fn handle_written(&mut self, now: Instant, n: usize) {
        if self.is_closed() {
            return;
        }
        let n = (n as u64).min(self.encoded - self.accepted);
        let before = self.accepted;
        self.accepted += n;
        if n > 0 {
            self.restart_stall(now);
            self.advance_upload(now);
            // Report each request whose last byte the transport just took
            // (a streamed content's last piece is reported as it goes).
            let streaming = self.upload.as_ref().map(|u| u.id);
            for idx in 0..self.in_flight {
                let entry = &self.entries[idx];
                if streaming == Some(entry.id) || entry.internal {
                    continue;
                }
                if let Some(wire) = entry.stage.wire() {
                    if wire.end > before && wire.end <= self.accepted && !entry.stage.has_ended() {
                        self.events.push_back(Event::Written { id: entry.id });
                        self.start_head_wait(now, idx);
                    }
                }
            }
        }
    }

    /// The driver stopped (`true`) or resumed (`false`) reading from the
    /// transport, because whoever consumes a streamed response is behind.
    /// While paused the stall timer does not run (P10): the silence is ours.
    pub fn handle_read_paused(&mut self, now: Instant, paused: bool) {
        if self.is_closed() || self.reading_paused == paused {
            return;
        }
        self.reading_paused = paused;
        self.restart_stall(now);
    }

    /// The peer closed its sending side (EOF).
    pub fn handle_eof(&mut self, now: Instant) {
        if self.is_closed() {
            return;
        }
        self.process(now, true);
        if self.is_closed() {
            return;
        }
        let lesson = if self.in_flight == 0 {
            // An idle close: nothing was lost. How long the connection had
            // idled teaches the server's idle timeout, unless the close came
            // right after the last response (the server's budget, unsaid).
            if let (Reuse::IdleSince(since), true) = (self.reuse, self.entries.is_empty() && self.responses > 0) {
                let idle = now.saturating_duration_since(since);
                if idle >= IDLE_CLOSE_FLOOR {
                    self.idle_closed_after = Some(idle);
                }
            }
            Lesson::Nothing
        } else if self.reuse == Reuse::WatchingStale {
            Lesson::StaleRace
        } else if self.responses == 0 || self.last_was_error {
            // Closed before a fresh connection's first response, or right
            // after an error response: no budget in that (P11).
            Lesson::Nothing
        } else {
            // A close at a response boundary with requests outstanding: the
            // server's limit, which the pool learns as a budget.
            Lesson::ServerClose
        };
        self.close_with(now, CloseReason::PeerClosed, lesson);
    }

    /// The transport failed (reset, …).
    pub fn handle_transport_error(&mut self, now: Instant) {
        if self.is_closed() {
            return;
        }
        let mid_response = !matches!(self.codec.remaining(&self.recv), Remaining::Nothing);
        let lesson = if self.reuse == Reuse::WatchingStale {
            Lesson::StaleRace
        } else if mid_response {
            Lesson::PipelineBreak
        } else if self.in_flight > 0 && self.responses > 0 {
            // A reset at a response boundary after complete responses, with
            // only requests no byte answered outstanding: a server that
            // closed with our pipelined requests unread, its FIN turned into
            // a reset by its kernel. A server close (P11), unless it followed
            // an error response.
            if self.last_was_error { Lesson::Nothing } else { Lesson::ServerClose }
        } else if self.in_flight >= 2 {
            Lesson::PipelineBreak
        } else {
            Lesson::Nothing
        };
        self.close_with(now, CloseReason::Transport, lesson);
    }

    /// A timer from [`poll_timeout`](Self::poll_timeout) is due. Calls at
    /// other times are harmless.
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.is_closed() {
            return;
        }
        if self.timers.expired(Timer::Stall, now) && self.in_flight > 0 {
            let lesson = if self.in_flight >= 2 { Lesson::PipelineBreak } else { Lesson::Nothing };
            self.close_with(now, CloseReason::StallTimeout, lesson);
            return;
        }
        if self.timers.expired(Timer::Idle, now) && self.entries.is_empty() {
            self.close_with(now, CloseReason::IdleTimeout, Lesson::Nothing);
            return;
        }
        if self.timers.expired(Timer::Rescue, now) {
            self.on_rescue_delay(now);
        }
        if self.timers.expired(Timer::Continue, now) {
            // No `100` in time: the content goes anyway (RFC 9110 §10.1.1).
            self.timers.stop(Timer::Continue);
            if self.upload.as_ref().is_some_and(|u| matches!(u.phase, UploadPhase::AwaitingContinue)) {
                self.want_piece();
            }
        }
        // A due timer with nothing left to act on (say, the stall timer
        // restarted by a write after every request was answered) stops, or
        // `poll_timeout` would keep returning the past: a driver's busy loop.
        if self.timers.expired(Timer::Stall, now) {
            self.timers.stop(Timer::Stall);
        }
        if self.timers.expired(Timer::Idle, now) {
            self.timers.stop(Timer::Idle);
        }
        if self.with_deadline > 0 || self.with_progress > 0 {
            let due: Vec<RequestId> = self
                .entries
                .iter()
                .filter(|e| !e.stage.has_ended() && next_due(e).is_some_and(|d| d <= now))
                .map(|e| e.id)
                .collect();
            for id in due {
                self.end_early(now, id, Cause::Deadline);
            }
        }
    }

    // ---- outputs ----

    /// Encodes the next window of requests into `buf` (appending) and
    /// returns its length, or `None` when there is nothing to write. Every
    /// request the rules allow now goes into this one transmit.
    #[must_use]
    pub fn poll_transmit(&mut self, now: Instant, buf: &mut Vec<u8>) -> Option<usize> {
        if self.is_closed() || self.accepted < self.encoded {
            return None;
        }
        let start = buf.len();
        self.encode_piece(now, buf);
        while self.may_write_next() {
            self.encode_next(now, buf, start);
        }
        let n = buf.len() - start;
        if n == 0 {
            return None;
        }
        self.encoded += n as u64;
        self.timers.stop(Timer::Idle);
        if !self.timers.is_running(Timer::Stall) {
            self.restart_stall(now);
        }
        Some(n)
    }

    /// When [`handle_timeout`](Self::handle_timeout) should next be called.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        if self.is_closed() {
            return None;
        }
        let timers = self.timers.next();
        if self.with_deadline == 0 && self.with_progress == 0 {
            return timers;
        }
        let deadline = self.entries.iter().filter(|e| !e.stage.has_ended()).filter_map(next_due).min();
        match (timers, deadline) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// The next event, in the order they happened.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<Event<C>> {
        self.events.pop_front()
    }

    /// After [`CloseReason::Upgraded`]: the request whose response ended
    /// HTTP on the connection (its caller takes over the transport).
    pub fn upgraded_by(&self) -> Option<RequestId> {
        self.upgraded_by
    }

    /// After [`CloseReason::Upgraded`]: the bytes received after the last
    /// response, which belong to the new protocol.
    pub fn take_leftover(&mut self) -> BytesMut {
        core::mem::take(&mut self.recv)
    }

    // ---- internals ----

    fn effective_depth(&self) -> usize {
        match self.capability {
            Capability::Pipelining => self.config.depth,
            Capability::Unknown | Capability::OneAtATime => 1,
        }
    }

    /// A request that must be alone is in flight: it is the only one (it was
    /// written on an empty connection and nothing goes behind it).
    fn alone_in_flight(&self) -> bool {
        self.in_flight > 0 && self.entries.front().is_some_and(|e| e.alone)
    }

    fn may_write_next(&self) -> bool {
        let Some(next) = self.entries.get(self.in_flight) else { return false };
        // Until the setup is answered, only the setup goes out.
        if self.setup_pending > 0 && !next.internal {
            return false;
        }
        !self.is_closing()
            && self.budget() != Some(0)
            && self.in_flight < self.effective_depth()
            && !self.alone_in_flight()
            && (!next.alone || self.in_flight == 0)
            && self.held_by.is_none()
            && !self.blocked()
    }

    /// A written `blocking` request has no response part yet (P13).
    fn blocked(&self) -> bool {
        self.blocking_written > 0
            && self.entries.iter().take(self.in_flight).any(|e| e.blocking && matches!(e.stage, Stage::Sent(_)))
    }

    /// Idle time after which the server's idle close may cross a request
    /// (the stale-connection race, P6): the server's own idle timeout when
    /// known, less a margin, else the configured `stale_after`.
    fn stale_threshold(&self) -> Duration {
        self.idle_limit.map_or(self.config.stale_after, retire_after)
    }

    /// Encodes the first queued request into `buf`, whose bytes from
    /// `start` on are this transmit.
    fn encode_next(&mut self, now: Instant, buf: &mut Vec<u8>, start: usize) {
        let idx = self.in_flight;
        let correlation = self.allocate_correlation();
        let before = buf.len();
        let entry = &mut self.entries[idx];
        if self.codec.encode(&entry.request, correlation, buf).is_err() {
            // validate() accepted it; a codec that disagrees with itself
            // must not corrupt the stream.
            buf.truncate(before);
            if let Some(entry) = self.remove(idx).filter(|e| !e.internal) {
                self.events.push_back(Event::Unanswered(Box::new(Unanswered {
                    id: entry.id,
                    request: entry.request,
                    replayable: entry.replayable,
                    progress: Progress::NotWritten,
                    retry: Retry::Never,
                    cause: Cause::Unencodable,
                })));
            }
            return;
        }
        let offset = self.encoded + (before - start) as u64;
        entry.stage = Stage::Sent(Wire { start: offset, end: self.encoded + (buf.len() - start) as u64 });
        entry.correlation = correlation;
        if entry.blocking {
            self.blocking_written += 1;
        }
        self.in_flight += 1;
        if !entry.internal {
            self.written += 1;
        }
        if idx == 0 {
            self.head_since = now;
        }
        if let Some(stream) = self.codec.body_stream(&self.entries[idx].request) {
            let head_end = self.encoded + (buf.len() - start) as u64;
            self.upload = Some(Upload {
                id: self.entries[idx].id,
                length: stream.length,
                sent: 0,
                expect_continue: stream.expect_continue,
                head_end,
                phase: UploadPhase::Head,
            });
        }
        if let Reuse::IdleSince(since) = self.reuse {
            let long_idle = now.saturating_duration_since(since) >= self.stale_threshold();
            self.reuse = if long_idle { Reuse::WatchingStale } else { Reuse::Busy };
        }
        self.arm_rescue(now);
    }

    /// The transport accepted more: a streamed content's head, or a piece
    /// of it, may be through.
    fn advance_upload(&mut self, now: Instant) {
        let accepted = self.accepted;
        let Some(upload) = self.upload.as_mut() else { return };
        match upload.phase {
            UploadPhase::Head if accepted >= upload.head_end => {
                if upload.expect_continue {
                    upload.phase = UploadPhase::AwaitingContinue;
                    if let Some(wait) = self.config.continue_timeout {
                        self.timers.set(Timer::Continue, now + wait);
                    }
                } else {
                    self.want_piece();
                }
            }
            UploadPhase::InTransit { until, end } if accepted >= until => {
                if end {
                    upload.phase = UploadPhase::Done;
                    // Its last byte is through only now.
                    let id = upload.id;
                    self.events.push_back(Event::Written { id });
                    if let Some(idx) = self.entries.iter().position(|e| e.id == id) {
                        self.start_head_wait(now, idx);
                    }
                } else {
                    self.want_piece();
                }
            }
            _ => {}
        }
    }

    /// Entry `idx` was written in full: its response head may take its
    /// headers timeout (P10).
    fn start_head_wait(&mut self, now: Instant, idx: usize) {
        if let Some(wait) = self.entries[idx].waits.head {
            self.set_progress(idx, Some(now + wait));
        }
    }

    /// Asks the caller for the next piece of the streamed content.
    fn want_piece(&mut self) {
        if let Some(upload) = self.upload.as_mut() {
            upload.phase = UploadPhase::Wanted;
            self.events.push_back(Event::SendBody { id: upload.id });
        }
    }

    /// Frames a piece the caller handed over into this transmit.
    fn encode_piece(&mut self, now: Instant, buf: &mut Vec<u8>) {
        let Some(upload) = self.upload.as_mut() else { return };
        if !matches!(upload.phase, UploadPhase::Queued { .. }) {
            return;
        }
        let UploadPhase::Queued { piece, end } = core::mem::replace(&mut upload.phase, UploadPhase::Done) else {
            return;
        };
        let id = upload.id;
        let Some(entry) = self.entries.iter().find(|e| e.id == id) else { return };
        let before = buf.len();
        self.codec.encode_body(&entry.request, &piece, end, buf);
        let written = (buf.len() - before) as u64;
        let Some(upload) = self.upload.as_mut() else { return };
        if written == 0 {
            // Nothing to write (an empty piece): as if it went through.
            if end {
                upload.phase = UploadPhase::Done;
                self.events.push_back(Event::Written { id });
                if let Some(idx) = self.entries.iter().position(|e| e.id == id) {
                    self.start_head_wait(now, idx);
                }
            } else {
                self.want_piece();
            }
            let _ = now;
            return;
        }
        upload.phase = UploadPhase::InTransit { until: self.encoded + written, end };
    }

    /// A final response to the request whose content is streaming: what is
    /// not sent yet never will be (RFC 9110 §10.1.1 lets a server answer
    /// before the content, say with 417 or 401).
    fn final_head_for_upload(&mut self, idx: usize) {
        let id = self.entries[idx].id;
        if let Some(upload) = self.upload.as_mut().filter(|u| u.id == id && u.is_unfinished()) {
            upload.phase = UploadPhase::Abandoned;
            self.timers.stop(Timer::Continue);
        }
    }

    /// The streamed content of `id` cannot be completed: the request fails
    /// (`invalid_request`) and the connection closes.
    fn fail_upload(&mut self, now: Instant, id: RequestId) {
        let accepted = self.accepted;
        if let Some(entry) = self.entries.iter_mut().find(|e| e.id == id && !e.stage.has_ended()) {
            if let Some(wire) = entry.stage.wire() {
                entry.stage = Stage::Draining { wire, dropped: 0 };
                let (request, replayable) = (entry.request.clone(), entry.replayable);
                self.events.push_back(Event::Unanswered(Box::new(Unanswered {
                    id,
                    request,
                    replayable,
                    progress: wire.progress(accepted).max(Progress::PartlyWritten),
                    retry: Retry::Never,
                    cause: Cause::Unencodable,
                })));
            }
        }
        self.close_with(now, CloseReason::Local, Lesson::Nothing);
    }

    /// Starts the rescue delay (P13) once a request waits behind the head of
    /// the pipeline, counted from when the head became the head, or from now
    /// when that delay has passed already (a request written behind a head
    /// that was alone). FIFO codecs only: with correlation ids nothing waits
    /// behind anything.
    fn arm_rescue(&mut self, now: Instant) {
        let Some(delay) = self.config.rescue_delay else { return };
        if self.in_flight >= 2 && self.codec.matching() == Matching::Fifo && !self.timers.is_running(Timer::Rescue) {
            let at = self.head_since + delay;
            self.timers.set(Timer::Rescue, if at > now { at } else { now + delay });
        }
    }

    /// Takes entry `idx` out of the table, keeping the counts in step.
    fn remove(&mut self, idx: usize) -> Option<Entry<C>> {
        let entry = self.entries.remove(idx)?;
        if entry.stage.wire().is_some() {
            self.in_flight -= 1;
            if entry.blocking {
                self.blocking_written -= 1;
            }
        }
        if self.held_by == Some(entry.id) {
            self.held_by = None;
        }
        if entry.deadline.is_some() {
            self.with_deadline -= 1;
        }
        if entry.progress.is_some() {
            self.with_progress -= 1;
        }
        Some(entry)
    }

    /// Starts (or, `None`, stops) entry `idx`'s progress timeout.
    fn set_progress(&mut self, idx: usize, at: Option<Instant>) {
        let entry = &mut self.entries[idx];
        // A request that already ended waits for nothing.
        let at = at.filter(|_| !entry.stage.has_ended());
        match (entry.progress.is_some(), at.is_some()) {
            (false, true) => self.with_progress += 1,
            (true, false) => self.with_progress -= 1,
            _ => {}
        }
        entry.progress = at;
    }

    fn allocate_correlation(&mut self) -> Option<CorrelationId> {
        let Matching::CorrelationId { id_space } = self.codec.matching() else { return None };
        let space = id_space.max(1);
        // Unique among outstanding requests; a replayed request keeps its id.
        if let Some(existing) = self.entries.get(self.in_flight).and_then(|e| e.correlation) {
            return Some(existing);
        }
        for _ in 0..space {
            let candidate = CorrelationId::new(self.next_correlation % space);
            self.next_correlation = self.next_correlation.wrapping_add(1);
            if !self.entries.iter().take(self.in_flight).any(|e| e.correlation == Some(candidate)) {
                return Some(candidate);
            }
        }
        None
    }

    fn restart_stall(&mut self, now: Instant) {
        match self.config.stall_timeout {
            Some(t) if !self.reading_paused && (self.in_flight > 0 || self.accepted < self.encoded) => {
                self.timers.set(Timer::Stall, now + t)
            }
            _ => self.timers.stop(Timer::Stall),
        }
    }

    /// Idle from `now`: the idle timeout runs, or the server's own idle
    /// timeout less a margin when that comes first (the connection retires
    /// before the server's idle close can cross a request, P6).
    fn arm_idle(&mut self, now: Instant) {
        let retire = self.idle_limit.map(retire_after);
        let after = match (self.config.idle_timeout, retire) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        if let Some(t) = after {
            self.timers.set(Timer::Idle, now + t);
        }
    }

    /// Decodes everything the buffer holds.
    fn process(&mut self, now: Instant, eof: bool) {
        while !self.is_closed() {
            let answering = match self.codec.matching() {
                Matching::Fifo if self.in_flight > 0 => Some(&self.entries[0].request),
                _ => None,
            };
            let result = if eof {
                self.codec.decode_eof(&mut self.recv, answering)
            } else {
                self.codec.decode(&mut self.recv, answering)
            };
            match result {
                Ok(Some(decoded)) => self.dispatch(now, decoded),
                Ok(None) => break,
                Err(e) => {
                    self.on_decode_error(now, e);
                    break;
                }
            }
        }
    }

    fn dispatch(&mut self, now: Instant, decoded: Decoded<C::Part>) {
        let Decoded { part, to, role } = decoded;
        let idx = match to {
            Recipient::Unsolicited => {
                self.events.push_back(Event::Unsolicited(part));
                return;
            }
            Recipient::Next if self.in_flight > 0 => 0,
            Recipient::Id(cid) => {
                match self.entries.iter().take(self.in_flight).position(|e| e.correlation == Some(cid)) {
                    Some(idx) if self.codec.answers(&self.entries[idx].request, &part) => idx,
                    // An id never asked, or asked and already answered: the
                    // stream cannot be trusted any more. An answer whose
                    // question differs from the query's (RFC 7766 §7),
                    // likewise.
                    _ => return self.close_with(now, CloseReason::Protocol, Lesson::PipelineBreak),
                }
            }
            Recipient::Next => return self.close_with(now, CloseReason::Protocol, Lesson::PipelineBreak),
        };
        let entry = &mut self.entries[idx];
        if let Stage::Sent(wire) = entry.stage {
            entry.stage = Stage::Receiving(wire);
        }
        match role {
            Role::Interim => {
                let id = entry.id;
                if self.codec.is_continue(&part)
                    && self
                        .upload
                        .as_ref()
                        .is_some_and(|u| u.id == id && matches!(u.phase, UploadPhase::AwaitingContinue))
                {
                    self.timers.stop(Timer::Continue);
                    self.want_piece();
                }
                let entry = &mut self.entries[idx];
                // Interim responses are reported as they come, even in
                // whole-response mode; they do not answer the request.
                if !entry.stage.has_ended() {
                    self.events.push_back(Event::Response { id: entry.id, part, end: false });
                }
            }
            Role::Head(signals) => {
                self.receiving_body = 0;
                // The head came: now each piece of the body may take the
                // body timeout (P10).
                let body_wait = self.entries[idx].waits.body.map(|wait| now + wait);
                self.set_progress(idx, body_wait);
                self.final_head_for_upload(idx);
                self.learn(now, idx, signals);
                self.deliver(now, idx, part);
                self.check_drain(now, idx);
            }
            Role::Body(len) => {
                if let Stage::Draining { dropped, .. } = &mut entry.stage {
                    *dropped += len;
                    self.check_drain(now, idx);
                } else {
                    self.receiving_body = self.receiving_body.saturating_add(len);
                    if let Some(wait) = self.entries[idx].waits.body {
                        self.set_progress(idx, Some(now + wait));
                    }
                    self.deliver(now, idx, part);
                    if self.config.large_response.is_some_and(|limit| self.receiving_body > limit) {
                        self.hold(idx);
                    }
                }
            }
            Role::Trailers => self.deliver(now, idx, part),
            Role::End => self.complete(now, idx, part),
            Role::Whole(signals) => {
                self.final_head_for_upload(idx);
                self.learn(now, idx, signals);
                self.complete(now, idx, part);
            }
        }
    }

    /// What a final head teaches about the connection (P6, P7, P11, P13).
    fn learn(&mut self, now: Instant, idx: usize, signals: ResponseSignals) {
        let _ = now;
        // An error response that closes the connection says nothing about
        // pipelining (P6): the origin stays unknown until a response that
        // does.
        if self.capability == Capability::Unknown && (signals.confirms_pipelining || !signals.is_error) {
            self.capability = if signals.confirms_pipelining { Capability::Pipelining } else { Capability::OneAtATime };
            self.events.push_back(Event::Capability(self.capability));
        }
        self.last_was_error = signals.is_error;
        if (!signals.persistent || signals.ends_protocol) && self.phase == Phase::Open {
            self.phase =
                Phase::Closing { after: self.entries[idx].id, upgrade: signals.ends_protocol, error: signals.is_error };
        }
        if let Some(timeout) = signals.idle_timeout {
            // The server's word holds for this connection; a shorter idle
            // close learned by the pool still wins.
            self.idle_limit = Some(self.idle_limit.map_or(timeout, |known| known.min(timeout)));
        }
        if let (Some(limit), Some(length)) = (self.config.large_response, signals.content_length) {
            if length > limit {
                self.hold(idx);
            }
        }
        if let Some(n) = signals.further_requests {
            // `max=N` on the k-th response: N more requests after this one,
            // so k + N in all. Some servers count down (Apache), some repeat
            // the same N on every response (Node's `maxRequestsPerSocket`):
            // the first announcement bounds, later ones only lower it, and no
            // announcement raises a limit already known (P11).
            let total = self.responses.saturating_add(1).saturating_add(n);
            self.announced_budget = Some(self.announced_budget.map_or(total, |a| a.min(total)));
            self.limit = Some(self.limit.map_or(total, |limit| limit.min(total)));
        }
    }

    /// Hands a non-final part to the application (or its collector).
    fn deliver(&mut self, now: Instant, idx: usize, part: C::Part) {
        let entry = &mut self.entries[idx];
        if entry.stage.has_ended() {
            return;
        }
        let id = entry.id;
        match &mut entry.collector {
            Some(collector) => {
                if let Err(e) = self.codec.collect(collector, part) {
                    self.fail_response(now, idx, e);
                }
            }
            None => self.events.push_back(Event::Response { id, part, end: false }),
        }
    }

    fn complete(&mut self, now: Instant, idx: usize, part: C::Part) {
        let Some(mut entry) = self.remove(idx) else { return };
        if entry.internal {
            return self.setup_answered(now, entry, part);
        }
        self.responses += 1;
        // Whether a caller still waits for this response: one that was
        // cancelled (a dropped rescue copy among them) is read and dropped,
        // and has nobody to take over the connection either.
        let awaited = !entry.stage.has_ended();
        if awaited {
            let event = match entry.collector.take() {
                Some(mut collector) => {
                    let outcome = self.codec.collect(&mut collector, part);
                    let whole = self.codec.finish(collector);
                    let cause = match (outcome, whole) {
                        (Ok(()), Some(response)) => {
                            self.events.push_back(Event::Complete { id: entry.id, response });
                            None
                        }
                        (Err(e), _) => Some(Cause::Response(e)),
                        // A codec that finished without a head: its own bug,
                        // reported as a protocol failure.
                        (Ok(()), None) => Some(Cause::Lost(CloseReason::Protocol)),
                    };
                    cause.map(|cause| {
                        Event::Unanswered(Box::new(Unanswered {
                            id: entry.id,
                            request: entry.request,
                            replayable: entry.replayable,
                            progress: Progress::ResponsePartlyReceived,
                            retry: Retry::Never,
                            cause,
                        }))
                    })
                }
                None => Some(Event::Response { id: entry.id, part, end: true }),
            };
            if let Some(event) = event {
                self.events.push_back(event);
            }
        }
        if let Some(upload) = self.upload.take_if(|u| u.id == entry.id) {
            if upload.is_unfinished() {
                // The rest of its content was never sent: the framing of
                // the request stream is incomplete, nothing more goes on it.
                self.close_with(now, CloseReason::Local, Lesson::Nothing);
                return;
            }
        }
        if let Phase::Closing { after, upgrade, error } = self.phase {
            if after == entry.id {
                // RFC 9112 §9.6: requests written after a `close` response
                // were not processed; they move without spending a try. A
                // close after an error response is the server's reaction to
                // the error, not its request budget (P11).
                let (reason, lesson) = match (upgrade, error) {
                    (true, _) => {
                        // The connection no longer speaks HTTP either way;
                        // only a caller still waiting takes it over.
                        self.upgraded_by = awaited.then_some(entry.id);
                        (CloseReason::Upgraded, Lesson::Nothing)
                    }
                    (false, true) => (CloseReason::ServerClose, Lesson::Nothing),
                    (false, false) => (CloseReason::ServerClose, Lesson::ServerClose),
                };
                self.close_with(now, reason, lesson);
                return;
            }
        }
        if self.in_flight == 0 {
            self.timers.stop(Timer::Stall);
            self.timers.stop(Timer::Rescue);
        } else {
            self.restart_stall(now);
            if idx == 0 {
                // A new head: its rescue delay starts now.
                self.head_since = now;
                self.timers.stop(Timer::Rescue);
                self.arm_rescue(now);
            }
        }
        if self.entries.is_empty() {
            self.reuse = Reuse::IdleSince(now);
            self.arm_idle(now);
        }
        self.close_if_spent(now);
    }

    /// A setup request was answered: the connection goes on once all are,
    /// or closes if the server refused one.
    fn setup_answered(&mut self, now: Instant, mut entry: Entry<C>, part: C::Part) {
        self.setup_pending = self.setup_pending.saturating_sub(1);
        let response = entry.collector.take().and_then(|mut collector| {
            self.codec.collect(&mut collector, part).ok()?;
            self.codec.finish(collector)
        });
        let refused = match &response {
            Some(response) => self.codec.setup_refused(response),
            None => Some(String::from("no answer to the connection's setup")),
        };
        if let Some(why) = refused {
            self.events.push_back(Event::SetupRefused(why));
            self.close_with(now, CloseReason::SetupRefused, Lesson::Nothing);
            return;
        }
        if self.in_flight == 0 {
            self.timers.stop(Timer::Stall);
        } else {
            self.restart_stall(now);
        }
    }

    /// The response to entry `idx` is large (P13): nothing more is written
    /// behind it, and the requests queued here are handed back to go to
    /// another connection, in their order.
    fn hold(&mut self, idx: usize) {
        if self.held_by.is_some() {
            return;
        }
        self.held_by = Some(self.entries[idx].id);
        while let Some(entry) = self.remove(self.in_flight) {
            self.events.push_back(Event::Unanswered(Box::new(Unanswered {
                id: entry.id,
                request: entry.request,
                replayable: entry.replayable,
                progress: Progress::NotWritten,
                retry: Retry::Move,
                cause: Cause::Rerouted,
            })));
        }
    }

    /// The rescue delay passed (P13): if the head of the pipeline still has
    /// no response byte, with requests written behind it, say so; the delay
    /// starts again for requests written later.
    fn on_rescue_delay(&mut self, now: Instant) {
        self.timers.stop(Timer::Rescue);
        // Silent: no part of its response decoded, and no byte of one
        // waiting to be.
        let head_silent =
            self.entries.front().is_some_and(|e| matches!(e.stage, Stage::Sent(_))) && self.recv.is_empty();
        if self.in_flight < 2 || !head_silent {
            return;
        }
        if !self.reading_paused {
            // While reading is paused the silence is ours.
            self.events.push_back(Event::SlowHead);
        }
        if let Some(delay) = self.config.rescue_delay {
            self.timers.set(Timer::Rescue, now + delay);
        }
    }

    fn close_if_spent(&mut self, now: Instant) {
        if !self.is_closed() && self.budget() == Some(0) && self.in_flight == 0 {
            self.close_with(now, CloseReason::BudgetSpent, Lesson::Nothing);
        }
    }

    /// A cancelled request's response: keep reading it only while that stays
    /// within the cancel threshold (P9).
    fn check_drain(&mut self, now: Instant, idx: usize) {
        let Stage::Draining { dropped, .. } = self.entries[idx].stage else { return };
        let threshold = self.config.cancel_threshold;
        let too_much = match self.codec.remaining(&self.recv) {
            Remaining::UntilClose => true,
            Remaining::Exactly(n) => dropped.saturating_add(n) > threshold,
            Remaining::Unknown => dropped > threshold,
            Remaining::Nothing | Remaining::Head => false,
        };
        if too_much {
            self.close_with(now, CloseReason::CancelDrain, Lesson::Nothing);
        }
    }

    /// Ends a request before its response (cancel, deadline).
    fn end_early(&mut self, now: Instant, id: RequestId, cause: Cause<C::Error>) {
        if self.is_closed() {
            return;
        }
        let Some(idx) = self.entries.iter().position(|e| e.id == id && !e.stage.has_ended()) else { return };
        let accepted = self.accepted;
        let entry = &mut self.entries[idx];
        let (progress, wire) = match entry.stage {
            Stage::Queued => {
                // Not written: it simply leaves the queue.
                if let Some(entry) = self.remove(idx) {
                    self.events.push_back(Event::Unanswered(Box::new(Unanswered {
                        id,
                        request: entry.request,
                        replayable: entry.replayable,
                        progress: Progress::NotWritten,
                        retry: Retry::Never,
                        cause,
                    })));
                }
                if self.entries.is_empty() {
                    self.arm_idle(now);
                }
                return;
            }
            Stage::Receiving(wire) => (Progress::ResponsePartlyReceived, wire),
            // Encoded into a transmit the caller must finish writing: it will
            // reach the server even if no byte of it was accepted yet.
            Stage::Sent(wire) => (wire.progress(accepted).max(Progress::PartlyWritten), wire),
            Stage::Draining { .. } => return,
        };
        entry.stage = Stage::Draining { wire, dropped: 0 };
        let request = entry.request.clone();
        let replayable = entry.replayable;
        if entry.deadline.take().is_some() {
            self.with_deadline -= 1;
        }
        if entry.progress.take().is_some() {
            self.with_progress -= 1;
        }
        self.events.push_back(Event::Unanswered(Box::new(Unanswered {
            id,
            request,
            replayable,
            progress,
            retry: Retry::Never,
            cause,
        })));
        if self.upload.as_ref().is_some_and(|u| u.id == id && u.is_unfinished()) {
            // Its content will never be finished: nothing more can go on
            // this connection.
            self.close_with(now, CloseReason::Local, Lesson::Nothing);
            return;
        }
        if idx == 0 && self.codec.matching() == Matching::Fifo {
            self.check_drain(now, idx);
        }
    }

    /// The response being received broke the protocol or a limit: its
    /// request fails, not replayed (P8), and the connection closes.
    fn fail_response(&mut self, now: Instant, idx: usize, error: C::Error) {
        // A framing error is a pipeline break (P6); a response over one of
        // our own limits says nothing about the server's pipelining.
        let lesson = if error.kind() == ErrorKind::Limit { Lesson::Nothing } else { Lesson::PipelineBreak };
        let entry = &mut self.entries[idx];
        // A setup request's broken answer is the connection's own loss: no
        // caller hears of it.
        if let Some(wire) = entry.stage.wire().filter(|_| !entry.stage.has_ended() && !entry.internal) {
            entry.stage = Stage::Draining { wire, dropped: 0 };
            let (id, request, replayable) = (entry.id, entry.request.clone(), entry.replayable);
            self.events.push_back(Event::Unanswered(Box::new(Unanswered {
                id,
                request,
                replayable,
                progress: Progress::ResponsePartlyReceived,
                retry: Retry::Never,
                cause: Cause::Response(error),
            })));
        }
        self.close_with(now, CloseReason::Protocol, lesson);
    }

    fn on_decode_error(&mut self, now: Instant, error: C::Error) {
        let fifo_front = self.in_flight > 0 && self.codec.matching() == Matching::Fifo;
        if error.is_response_fault() && fifo_front {
            self.fail_response(now, 0, error);
        } else if error.kind() == ErrorKind::ConnectionLost {
            // Cut off inside a response: a pipeline break (P6).
            self.close_with(now, CloseReason::Truncated, Lesson::PipelineBreak);
        } else {
            self.close_with(now, CloseReason::Protocol, Lesson::PipelineBreak);
        }
    }

    /// Ends the connection: every unfinished request is handed back with its
    /// classification (P7, P8), then [`Event::Closed`].
    fn close_with(&mut self, now: Instant, reason: CloseReason, lesson: Lesson) {
        let _ = now;
        let front_mid_response = match reason {
            // After a response that closed the connection, buffered bytes
            // answer nothing: the server must not have processed what
            // followed (P7).
            CloseReason::ServerClose => false,
            // Cut off inside a response, even a head cut short that no part
            // was decoded from (the dead codec no longer says so).
            CloseReason::Truncated => true,
            _ => !matches!(self.codec.remaining(&self.recv), Remaining::Nothing),
        };
        let context = LossContext { reason, lesson, accepted: self.accepted };
        let fifo = self.codec.matching() == Matching::Fifo;
        let streaming = self.upload.take().map(|u| u.id);
        for (idx, entry) in core::mem::take(&mut self.entries).into_iter().enumerate() {
            if entry.internal {
                continue;
            }
            let response_started = match entry.stage {
                Stage::Draining { .. } => continue,
                Stage::Receiving(_) => true,
                Stage::Queued | Stage::Sent(_) => false,
            };
            let receiving =
                response_started || (fifo && idx == 0 && front_mid_response && entry.stage.wire().is_some());
            // A streamed content cannot be read twice: once any of the
            // request was written it is never resent (P8). A unit is resent
            // whole while its last message was not all written; one under a
            // guarantee a resend would void, never once written.
            let written = entry.stage.wire().map_or(Progress::NotWritten, |w| w.progress(self.accepted));
            let (replayable, reported) = match entry.rule {
                ReplayRule::Standard => (entry.replayable && streaming != Some(entry.id), entry.replayable),
                ReplayRule::Unit => (written < Progress::Written && !receiving, false),
                ReplayRule::NeverOnceWritten => (false, true),
            };
            let (progress, mut retry) = classify(entry.stage.wire(), receiving, replayable, &context);
            if response_started && entry.collector.is_none() && retry != Retry::Never {
                // Streaming: parts of this response were already handed to
                // the application and cannot be taken back, so it is never
                // resent (a whole-mode response is dropped and replayed).
                retry = Retry::Never;
            }
            self.events.push_back(Event::Unanswered(Box::new(Unanswered {
                id: entry.id,
                request: entry.request,
                replayable: reported,
                progress,
                retry,
                cause: Cause::Lost(reason),
            })));
        }
        self.in_flight = 0;
        self.with_deadline = 0;
        self.with_progress = 0;
        self.timers.stop_all();
        self.phase = Phase::Closed;
        if reason != CloseReason::Upgraded {
            self.recv.clear();
        }
        self.events.push_back(Event::Closed(CloseSummary {
            reason,
            lesson,
            responses: self.responses,
            announced_budget: self.announced_budget,
            idle_closed_after: self.idle_closed_after,
        }));
    }
}

impl<C: Codec> core::fmt::Debug for Connection<C> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Connection")
            .field("in_flight", &self.in_flight)
            .field("queued", &self.queued())
            .field("capability", &self.capability)
            .field("budget", &self.budget())
            .field("responses", &self.responses)
            .field("phase", &self.phase)
            .finish_non_exhaustive()
    }
}

/// An idle close sooner than this after the last response is the server
/// ending the connection at its (unannounced) request budget, not its idle
/// timeout: it teaches no idle timeout.
const IDLE_CLOSE_FLOOR: Duration = Duration::from_millis(50);

/// When to retire a connection the server keeps idle for `limit`: a margin
/// of a quarter of it, at most a second, before the server's close can cross
/// a request (P6).
pub(crate) fn retire_after(limit: Duration) -> Duration {
    let limit = limit.as_micros();
    let margin = (limit / 4).min(Duration::from_secs(1).as_micros());
    Duration::from_micros(limit - margin)
}

/// The earliest of a request's deadline and its progress timeout.
fn next_due<C: Codec>(entry: &Entry<C>) -> Option<Instant> {
    match (entry.deadline, entry.progress) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// Ids of a connection's own setup requests, counting down from here: far
/// above any a caller or pool hands out.
const SETUP_IDS: u64 = u64::MAX - 1;
