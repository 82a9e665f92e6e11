//! One pipelined connection: queue, depth, matching, classification on
//! loss, cancellation and timers, generic over a [`Codec`].

use super::classify::{LossContext, classify};
use super::entry::{Entry, Wire};
use super::timer::{Timer, Timers};
use super::{
    Capability, Cause, CloseReason, Closed, Codec, Config, CorrelationId, Decoded, Event, Failure, Idempotency,
    Matching, NonIdempotentPolicy, Progress, Recipient, Remaining, RequestId, RequestOptions, ResponseSignals, Retry,
    Role, SubmitError,
};
use crate::Instant;
use alloc::collections::VecDeque;
use alloc::vec::Vec;
use bytes::BytesMut;

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
/// ([`Event::Failed`], [`Event::Closed`]). `Err` means local misuse.
///
/// Every submitted request ends in exactly one terminal event (DESIGN.md
/// P12): a last response part, a whole response, or a failure that hands the
/// request back with how far it got and whether it may be resent.
pub struct Connection<C: Codec> {
    codec: C,
    config: Config,
    /// Encoded requests (`..in_flight`) in write order, then queued ones.
    entries: VecDeque<Entry<C>>,
    in_flight: usize,
    /// In-flight requests that must be alone on the connection.
    alone_in_flight: usize,
    /// Requests (in flight or queued) with a deadline, to skip the scan.
    with_deadline: usize,
    recv: BytesMut,
    events: VecDeque<Event<C>>,
    next_id: u64,
    next_correlation: u32,
    /// Bytes handed out by `poll_transmit`, and accepted by the transport.
    encoded: u64,
    accepted: u64,
    capability: Capability,
    /// Requests that may still be written, if limited.
    budget: Option<u64>,
    /// A response said nothing more is written; the connection closes once
    /// this request's response is complete.
    closing_after: Option<RequestId>,
    /// The response closing the connection also ends the protocol.
    upgrade: bool,
    responses: u64,
    /// What `Keep-Alive: max` said this connection will serve in all.
    announced_budget: Option<u64>,
    timers: Timers,
    /// When the connection last became empty after serving a response.
    idle_since: Option<Instant>,
    /// Requests were written after a long idle and no byte came back yet.
    stale_watch: bool,
    closed: bool,
}

impl<C: Codec> Connection<C> {
    /// A connection that has just been opened, driven through `codec`.
    pub fn new(codec: C, config: Config, now: Instant) -> Self {
        let mut config = config;
        config.depth = config.depth.max(1);
        let mut connection = Connection {
            codec,
            capability: config.capability,
            config,
            entries: VecDeque::new(),
            in_flight: 0,
            alone_in_flight: 0,
            with_deadline: 0,
            recv: BytesMut::new(),
            events: VecDeque::new(),
            next_id: 0,
            next_correlation: 0,
            encoded: 0,
            accepted: 0,
            budget: None,
            closing_after: None,
            upgrade: false,
            responses: 0,
            announced_budget: None,
            timers: Timers::default(),
            idle_since: None,
            stale_watch: false,
            closed: false,
        };
        connection.arm_idle(now);
        connection
    }

    // ---- getters ----

    /// The codec.
    pub fn codec(&self) -> &C {
        &self.codec
    }

    /// The settings in force.
    pub fn config(&self) -> &Config {
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
        self.budget
    }

    /// Whether the connection has closed (its last event is, or was,
    /// [`Event::Closed`]).
    pub fn is_closed(&self) -> bool {
        self.closed
    }

    /// Whether a response said no further request may be written.
    pub fn is_closing(&self) -> bool {
        self.closing_after.is_some() || self.closed
    }

    /// The ids of the requests not yet ended, in write order.
    pub fn pending_ids(&self) -> impl Iterator<Item = RequestId> + '_ {
        self.entries.iter().filter(|e| !e.terminated).map(|e| e.id)
    }

    /// How many more requests this connection would write now if they were
    /// queued: zero once closing, at its depth or budget, or behind a request
    /// that must be alone.
    pub fn free_slots(&self) -> usize {
        if self.is_closing() || self.alone_in_flight > 0 {
            return 0;
        }
        let room = self.effective_depth().saturating_sub(self.entries.len());
        match self.budget {
            Some(b) => room.min(usize::try_from(b).unwrap_or(usize::MAX).saturating_sub(self.queued())),
            None => room,
        }
    }

    // ---- commands ----

    /// Queues a request; it is written by a later
    /// [`poll_transmit`](Self::poll_transmit) when depth and the rules allow.
    pub fn submit(
        &mut self,
        now: Instant,
        request: C::Request,
        options: RequestOptions,
    ) -> Result<RequestId, SubmitError<C::EncodeError>> {
        let id = RequestId(self.next_id);
        self.codec.validate(&request).map_err(SubmitError::Invalid)?;
        self.submit_as(now, id, request, options, None)?;
        self.next_id += 1;
        Ok(id)
    }

    /// Queues a request under an id the caller allocated (the pool's).
    pub(crate) fn submit_as(
        &mut self,
        now: Instant,
        id: RequestId,
        request: C::Request,
        options: RequestOptions,
        correlation: Option<CorrelationId>,
    ) -> Result<(), SubmitError<C::EncodeError>> {
        if self.is_closing() {
            return Err(SubmitError::Closed);
        }
        if self.queued() >= self.config.queue_limit {
            return Err(SubmitError::QueueFull { limit: self.config.queue_limit });
        }
        // Validated by the caller: `submit`, or the pool at its own submit.
        let by_method = self.codec.is_idempotent(&request);
        let (replayable, alone) = match options.idempotency {
            Idempotency::ByMethod => (by_method, !by_method),
            Idempotency::Idempotent => (true, false),
            Idempotency::NeverRetry => (false, false),
        };
        let alone = alone && self.config.non_idempotent == NonIdempotentPolicy::Alone;
        if options.deadline.is_some() {
            self.with_deadline += 1;
        }
        self.entries.push_back(Entry {
            id,
            request,
            replayable,
            alone,
            deadline: options.deadline,
            collector: options.whole.then(C::Collector::default),
            wire: None,
            correlation,
            terminated: false,
            response_started: false,
            dropped: 0,
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

    /// Closes the connection now. Unfinished requests are handed back
    /// ([`Event::Failed`]) classified by how far they got (P8).
    pub fn close(&mut self, now: Instant) {
        if !self.closed {
            self.close_with(now, CloseReason::Local, false, false, false);
        }
    }

    /// Changes the depth (P1) from now on; requests already in flight stay.
    pub fn set_depth(&mut self, depth: usize) {
        self.config.depth = depth.max(1);
    }

    /// Overrides what is known of the server (the pool's capability memory).
    pub fn set_capability(&mut self, capability: Capability) {
        self.capability = capability;
    }

    /// Limits how many more requests may be written (the pool's learned
    /// request budget, P11); `None` lifts the limit.
    pub fn set_budget(&mut self, now: Instant, budget: Option<u64>) {
        self.budget = budget;
        self.close_if_spent(now);
    }

    // ---- inputs ----

    /// Bytes arrived from the peer.
    pub fn handle_received(&mut self, now: Instant, data: &[u8]) {
        if self.closed || data.is_empty() {
            return;
        }
        self.recv.extend_from_slice(data);
        self.stale_watch = false;
        self.restart_stall(now);
        self.process(now, false);
    }

    /// The transport accepted `n` more bytes of the last transmit. The caller
    /// keeps writing the rest of that transmit; no new transmit is produced
    /// until all of it is accepted.
    pub fn handle_written(&mut self, now: Instant, n: usize) {
        if self.closed {
            return;
        }
        let n = (n as u64).min(self.encoded - self.accepted);
        let before = self.accepted;
        self.accepted += n;
        if n > 0 {
            self.restart_stall(now);
            // Report each request whose last byte the transport just took.
            for entry in self.entries.iter().take(self.in_flight) {
                if let Some(wire) = entry.wire {
                    if wire.end > before && wire.end <= self.accepted && !entry.terminated {
                        self.events.push_back(Event::Written { id: entry.id });
                    }
                }
            }
        }
    }

    /// The peer closed its sending side (EOF).
    pub fn handle_eof(&mut self, now: Instant) {
        if self.closed {
            return;
        }
        self.process(now, true);
        if self.closed {
            return;
        }
        if self.in_flight == 0 {
            // An idle close: nothing was lost, nothing learnt.
            self.close_with(now, CloseReason::PeerClosed, false, false, false);
        } else if self.stale_watch {
            self.close_with(now, CloseReason::PeerClosed, false, false, true);
        } else {
            // A close at a response boundary with requests outstanding: the
            // server's limit, which the pool learns as a budget.
            self.close_with(now, CloseReason::PeerClosed, false, true, false);
        }
    }

    /// The transport failed (reset, …).
    pub fn handle_transport_error(&mut self, now: Instant) {
        if self.closed {
            return;
        }
        let stale = self.stale_watch;
        let mid_response = !matches!(self.codec.remaining(&self.recv), Remaining::Nothing);
        let broke = !stale && (mid_response || self.in_flight >= 2);
        self.close_with(now, CloseReason::Transport, broke, false, stale);
    }

    /// A timer from [`poll_timeout`](Self::poll_timeout) is due. Calls at
    /// other times are harmless.
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.closed {
            return;
        }
        if self.timers.expired(Timer::Stall, now) && self.in_flight > 0 {
            let broke = self.in_flight >= 2;
            self.close_with(now, CloseReason::StallTimeout, broke, false, false);
            return;
        }
        if self.timers.expired(Timer::Idle, now) && self.entries.is_empty() {
            self.close_with(now, CloseReason::IdleTimeout, false, false, false);
            return;
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
        if self.with_deadline > 0 {
            let due: Vec<RequestId> = self
                .entries
                .iter()
                .filter(|e| !e.terminated && e.deadline.is_some_and(|d| d <= now))
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
        if self.closed || self.accepted < self.encoded {
            return None;
        }
        let start = buf.len();
        while self.may_write_next() {
            let idx = self.in_flight;
            let correlation = self.allocate_correlation();
            let before = buf.len();
            let entry = &mut self.entries[idx];
            if self.codec.encode(&entry.request, correlation, buf).is_err() {
                // validate() accepted it; a codec that disagrees with itself
                // must not corrupt the stream.
                buf.truncate(before);
                if let Some(entry) = self.entries.remove(idx) {
                    self.forget_deadline(&entry);
                    self.events.push_back(Event::Failed(Failure {
                        id: entry.id,
                        request: entry.request,
                        replayable: entry.replayable,
                        progress: Progress::NotWritten,
                        retry: Retry::Never,
                        cause: Cause::Unencodable,
                    }));
                }
                continue;
            }
            let offset = self.encoded + (before - start) as u64;
            entry.wire = Some(Wire { start: offset, end: self.encoded + (buf.len() - start) as u64 });
            entry.correlation = correlation;
            if entry.alone {
                self.alone_in_flight += 1;
            }
            self.in_flight += 1;
            if let Some(b) = &mut self.budget {
                *b = b.saturating_sub(1);
            }
            if let Some(since) = self.idle_since.take() {
                self.stale_watch = now.saturating_duration_since(since) >= self.config.stale_after;
            }
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
        if self.closed {
            return None;
        }
        let timers = self.timers.next();
        if self.with_deadline == 0 {
            return timers;
        }
        let deadline = self.entries.iter().filter(|e| !e.terminated).filter_map(|e| e.deadline).min();
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

    fn may_write_next(&self) -> bool {
        let Some(next) = self.entries.get(self.in_flight) else { return false };
        !self.is_closing()
            && self.budget != Some(0)
            && self.in_flight < self.effective_depth()
            && self.alone_in_flight == 0
            && (!next.alone || self.in_flight == 0)
    }

    fn allocate_correlation(&mut self) -> Option<CorrelationId> {
        let Matching::CorrelationId { id_space } = self.codec.matching() else { return None };
        let space = id_space.max(1);
        // Unique among outstanding requests; a replayed request keeps its id.
        if let Some(existing) = self.entries.get(self.in_flight).and_then(|e| e.correlation) {
            return Some(existing);
        }
        for _ in 0..space {
            let candidate = CorrelationId(self.next_correlation % space);
            self.next_correlation = self.next_correlation.wrapping_add(1);
            if !self.entries.iter().take(self.in_flight).any(|e| e.correlation == Some(candidate)) {
                return Some(candidate);
            }
        }
        None
    }

    fn restart_stall(&mut self, now: Instant) {
        match self.config.stall_timeout {
            Some(t) if self.in_flight > 0 || self.accepted < self.encoded => self.timers.set(Timer::Stall, now + t),
            _ => self.timers.stop(Timer::Stall),
        }
    }

    fn arm_idle(&mut self, now: Instant) {
        if let Some(t) = self.config.idle_timeout {
            self.timers.set(Timer::Idle, now + t);
        }
    }

    fn forget_deadline(&mut self, entry: &Entry<C>) {
        if entry.deadline.is_some() {
            self.with_deadline -= 1;
        }
    }

    /// Decodes everything the buffer holds.
    fn process(&mut self, now: Instant, eof: bool) {
        while !self.closed {
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
                    // stream cannot be trusted any more.
                    // An answer whose question differs from the query's
                    // (RFC 7766 §7), likewise.
                    _ => return self.close_with(now, CloseReason::Protocol, true, false, false),
                }
            }
            Recipient::Next => return self.close_with(now, CloseReason::Protocol, true, false, false),
        };
        self.entries[idx].response_started = true;
        match role {
            Role::Interim => {
                // Interim responses are reported as they come, even in
                // whole-response mode; they do not answer the request.
                let entry = &self.entries[idx];
                if !entry.terminated {
                    self.events.push_back(Event::Response { id: entry.id, part, end: false });
                }
            }
            Role::Head(signals) => {
                self.learn(idx, signals);
                self.deliver(now, idx, part, false);
                self.check_drain(now, idx);
            }
            Role::Body(len) => {
                if self.entries[idx].terminated {
                    self.entries[idx].dropped += len;
                    self.check_drain(now, idx);
                } else {
                    self.deliver(now, idx, part, false);
                }
            }
            Role::Trailers => self.deliver(now, idx, part, false),
            Role::End => self.complete(now, idx, part),
            Role::Whole(signals) => {
                self.learn(idx, signals);
                self.complete(now, idx, part);
            }
        }
    }

    /// What a final head teaches about the connection (P6, P7, P11).
    fn learn(&mut self, idx: usize, signals: ResponseSignals) {
        if self.capability == Capability::Unknown {
            self.capability = if signals.confirms_pipelining { Capability::Pipelining } else { Capability::OneAtATime };
            self.events.push_back(Event::Capability(self.capability));
        }
        if !signals.persistent || signals.ends_protocol {
            self.closing_after.get_or_insert(self.entries[idx].id);
            self.upgrade |= signals.ends_protocol;
        }
        if let Some(n) = signals.further_requests {
            // `max=N` counts requests after this one, including those
            // already written behind it.
            let behind = self.entries.iter().take(self.in_flight).skip(idx + 1).count() as u64;
            self.budget = Some(n.saturating_sub(behind));
            // This response is the (responses + 1)-th; N more may follow.
            self.announced_budget = Some(self.responses.saturating_add(1).saturating_add(n));
        }
    }

    /// Hands a non-final part to the application (or its collector).
    fn deliver(&mut self, now: Instant, idx: usize, part: C::Part, end: bool) {
        let entry = &mut self.entries[idx];
        if entry.terminated {
            return;
        }
        let id = entry.id;
        match &mut entry.collector {
            Some(collector) if !end => {
                if let Err(e) = self.codec.collect(collector, part) {
                    self.fail_response(now, idx, e);
                }
            }
            _ => self.events.push_back(Event::Response { id, part, end }),
        }
    }

    fn complete(&mut self, now: Instant, idx: usize, part: C::Part) {
        let Some(mut entry) = self.entries.remove(idx) else { return };
        self.in_flight -= 1;
        if entry.alone {
            self.alone_in_flight -= 1;
        }
        self.forget_deadline(&entry);
        self.responses += 1;
        if !entry.terminated {
            match entry.collector.take() {
                Some(mut collector) => {
                    let outcome = self.codec.collect(&mut collector, part);
                    let whole = self.codec.finish(collector);
                    match (outcome, whole) {
                        (Ok(()), Some(response)) => self.events.push_back(Event::Complete { id: entry.id, response }),
                        (Err(e), _) => self.events.push_back(Event::Failed(Failure {
                            id: entry.id,
                            request: entry.request,
                            replayable: entry.replayable,
                            progress: Progress::ResponsePartlyReceived,
                            retry: Retry::Never,
                            cause: Cause::Response(e),
                        })),
                        (Ok(()), None) => self.events.push_back(Event::Failed(Failure {
                            id: entry.id,
                            request: entry.request,
                            replayable: entry.replayable,
                            progress: Progress::ResponsePartlyReceived,
                            retry: Retry::Never,
                            cause: Cause::Lost(CloseReason::Protocol),
                        })),
                    }
                }
                None => self.events.push_back(Event::Response { id: entry.id, part, end: true }),
            }
        }
        if self.closing_after == Some(entry.id) {
            let reason = if self.upgrade { CloseReason::Upgraded } else { CloseReason::ServerClose };
            // RFC 9112 §9.6: requests written after a `close` response were
            // not processed; they move without spending a try.
            self.close_with(now, reason, false, !self.upgrade, false);
            return;
        }
        if self.in_flight == 0 {
            self.timers.stop(Timer::Stall);
        } else {
            self.restart_stall(now);
        }
        if self.entries.is_empty() {
            self.idle_since = Some(now);
            self.arm_idle(now);
        }
        self.close_if_spent(now);
    }

    fn close_if_spent(&mut self, now: Instant) {
        if !self.closed && self.budget == Some(0) && self.in_flight == 0 {
            self.close_with(now, CloseReason::BudgetSpent, false, false, false);
        }
    }

    /// A cancelled request's response: keep reading it only while that stays
    /// within the cancel threshold (P9).
    fn check_drain(&mut self, now: Instant, idx: usize) {
        let entry = &self.entries[idx];
        if !entry.terminated {
            return;
        }
        let threshold = self.config.cancel_threshold;
        let too_much = match self.codec.remaining(&self.recv) {
            Remaining::UntilClose => true,
            Remaining::Exactly(n) => entry.dropped.saturating_add(n) > threshold,
            Remaining::Unknown => entry.dropped > threshold,
            Remaining::Nothing | Remaining::Head => false,
        };
        if too_much {
            self.close_with(now, CloseReason::CancelDrain, false, false, false);
        }
    }

    /// Ends a request before its response (cancel, deadline).
    fn end_early(&mut self, now: Instant, id: RequestId, cause: Cause<C::Error>) {
        if self.closed {
            return;
        }
        let Some(idx) = self.entries.iter().position(|e| e.id == id && !e.terminated) else { return };
        if idx >= self.in_flight {
            // Not written: it simply leaves the queue.
            if let Some(entry) = self.entries.remove(idx) {
                self.forget_deadline(&entry);
                self.events.push_back(Event::Failed(Failure {
                    id,
                    request: entry.request,
                    replayable: entry.replayable,
                    progress: Progress::NotWritten,
                    retry: Retry::Never,
                    cause,
                }));
            }
            if self.entries.is_empty() {
                self.arm_idle(now);
            }
            return;
        }
        let accepted = self.accepted;
        let entry = &mut self.entries[idx];
        entry.terminated = true;
        let progress = if entry.response_started {
            Progress::ResponsePartlyReceived
        } else {
            // Encoded into a transmit the caller must finish writing: it will
            // reach the server even if no byte of it was accepted yet.
            entry.wire.map_or(Progress::NotWritten, |w| w.progress(accepted).max(Progress::PartlyWritten))
        };
        let request = entry.request.clone();
        let replayable = entry.replayable;
        let deadline = entry.deadline.take();
        if deadline.is_some() {
            self.with_deadline -= 1;
        }
        self.events.push_back(Event::Failed(Failure { id, request, replayable, progress, retry: Retry::Never, cause }));
        if idx == 0 && self.codec.matching() == Matching::Fifo {
            self.check_drain(now, idx);
        }
    }

    /// The response being received broke the protocol or a limit: its
    /// request fails, not replayed (P8), and the connection closes.
    fn fail_response(&mut self, now: Instant, idx: usize, error: C::Error) {
        // A framing error is a pipeline break (P6); a response over one of
        // our own limits says nothing about the server's pipelining.
        let framing_broke = crate::pipeline::CodecError::kind(&error) != crate::ErrorKind::Limit;
        let entry = &mut self.entries[idx];
        if !entry.terminated {
            entry.terminated = true;
            let (id, request, replayable) = (entry.id, entry.request.clone(), entry.replayable);
            self.events.push_back(Event::Failed(Failure {
                id,
                request,
                replayable,
                progress: Progress::ResponsePartlyReceived,
                retry: Retry::Never,
                cause: Cause::Response(error),
            }));
        }
        self.close_with(now, CloseReason::Protocol, framing_broke, false, false);
    }

    fn on_decode_error(&mut self, now: Instant, error: C::Error) {
        let fifo_front = self.in_flight > 0 && self.codec.matching() == Matching::Fifo;
        if crate::pipeline::CodecError::is_response_fault(&error) && fifo_front {
            self.fail_response(now, 0, error);
        } else if crate::ErrorKind::ConnectionLost == crate::pipeline::CodecError::kind(&error) {
            // Cut off inside a response: a pipeline break (P6).
            self.close_with(now, CloseReason::Truncated, true, false, false);
        } else {
            self.close_with(now, CloseReason::Protocol, true, false, false);
        }
    }

    /// Ends the connection: every unfinished request is handed back with its
    /// classification (P7, P8), then [`Event::Closed`].
    fn close_with(&mut self, now: Instant, reason: CloseReason, pipeline_break: bool, server_close: bool, stale: bool) {
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
        let context = LossContext { reason, stale, accepted: self.accepted };
        let fifo = self.codec.matching() == Matching::Fifo;
        for (idx, entry) in core::mem::take(&mut self.entries).into_iter().enumerate() {
            if entry.terminated {
                continue;
            }
            let receiving = entry.response_started || (fifo && idx == 0 && front_mid_response && entry.wire.is_some());
            let (progress, mut retry) = classify(entry.wire, receiving, entry.replayable, &context);
            if entry.response_started && entry.collector.is_none() && retry != Retry::Never {
                // Streaming: parts of this response were already handed to
                // the application and cannot be taken back, so it is never
                // resent (a whole-mode response is dropped and replayed).
                retry = Retry::Never;
            }
            self.events.push_back(Event::Failed(Failure {
                id: entry.id,
                request: entry.request,
                replayable: entry.replayable,
                progress,
                retry,
                cause: Cause::Lost(reason),
            }));
        }
        self.in_flight = 0;
        self.alone_in_flight = 0;
        self.with_deadline = 0;
        self.timers.stop_all();
        self.closed = true;
        if reason != CloseReason::Upgraded {
            self.recv.clear();
        }
        self.events.push_back(Event::Closed(Closed {
            reason,
            responses: self.responses,
            pipeline_break,
            server_close,
            stale,
            announced_budget: self.announced_budget,
        }));
    }
}

impl<C: Codec> core::fmt::Debug for Connection<C> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Connection")
            .field("in_flight", &self.in_flight)
            .field("queued", &self.queued())
            .field("capability", &self.capability)
            .field("budget", &self.budget)
            .field("responses", &self.responses)
            .field("closed", &self.closed)
            .finish_non_exhaustive()
    }
}
