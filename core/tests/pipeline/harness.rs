//! The scripted peer: a `Connection<H1Codec>` driven against a programmable
//! fake HTTP/1.1 server on a virtual clock, in the shape of quinn-proto's
//! `Pair` (`src/tests/util.rs`).
//!
//! * The **server** is the shared scripted peer (`pipelining-peer`): it
//!   parses every request the connection writes (method, target, body), so
//!   a test can assert what reached it and how often, and answers each one
//!   by script: a [`Reply`] is response bytes plus what happens after them
//!   (nothing, EOF, reset, stall).
//! * The **pair** moves bytes both ways: transmits are accepted whole, in
//!   chunks, or only up to a byte budget (partial writes); server bytes are
//!   delivered whole, in chunks of any size, or split at chosen offsets.
//!   [`Pair::drive`] moves bytes until nothing moves; [`Pair::step`] also
//!   jumps the virtual clock to the connection's next deadline. No sleeps.
//! * The pair **records** every event and checks, as it goes, the rules a
//!   correct connection can never break whatever the server does:
//!   - P12: every submitted id ends in exactly one terminal event, nothing
//!     for an id after it, `Closed` once and last, every id ended by then;
//!   - P2: a response head carrying `X-Target` (every scripted response
//!     does) answers the request with that target, and an echoed body is
//!     that target;
//!   - P1: the server never sees more requests outstanding than the depth in
//!     force when they were encoded (one before the capability is known);
//!   - P5: requests reach the server in submission order, none twice, a
//!     non-idempotent one only on an empty connection and nothing behind it
//!     until its response is complete;
//!   - P7: no new transmit once a `close` response was received;
//!   - P8: every request lost with the connection is classified by how far
//!     it got, as the server saw it.

use bytes::Bytes;
use pipelining::h1::{DecodeError, H1Codec, Limits, Method, Request, Response, ResponseHead, ResponsePart};
use pipelining::pipeline::NonIdempotentPolicy;
use pipelining::{
    Capability, Cause, CloseReason, CloseSummary, Connection, ConnectionConfig, ErrorKind, Event, Idempotency, Instant,
    Progress, RequestId, RequestOptions, Retry, SubmitError,
};
use std::collections::{BTreeMap, BTreeSet};

/// The connection under test.
pub(crate) type Conn = Connection<H1Codec>;
/// One of its events.
pub(crate) type Ev = Event<H1Codec>;

/// The `Host` the codec writes.
pub(crate) const HOST: &str = "example.test";

// ---------------------------------------------------------------- requests

pub(crate) fn get(target: &str) -> Request {
    Request::get(Bytes::copy_from_slice(target.as_bytes()))
}

pub(crate) fn head(target: &str) -> Request {
    Request::new(Method::HEAD, Bytes::copy_from_slice(target.as_bytes()))
}

pub(crate) fn post(target: &str) -> Request {
    Request::new(Method::POST, Bytes::copy_from_slice(target.as_bytes())).with_body(&b"payload"[..])
}

pub(crate) fn put(target: &str) -> Request {
    Request::new(Method::PUT, Bytes::copy_from_slice(target.as_bytes())).with_body(&b"payload"[..])
}

/// Whether `request` may be replayed under `options` (docs/DESIGN.md P5).
pub(crate) fn replayable(request: &Request, options: &RequestOptions) -> bool {
    match options.idempotency {
        Idempotency::ByMethod => request.method.is_idempotent(),
        Idempotency::Idempotent => true,
        Idempotency::NeverRetry => false,
    }
}

// ---------------------------------------------------------------- server

// The server is the shared scripted peer (`tests/peer`): it parses every
// request the connection writes and answers each by script; a [`Reply`] is
// response bytes plus what happens after them (nothing, EOF, reset, stall).
use pipelining_peer::{End, echo_body};
pub(crate) use pipelining_peer::{Peer as Server, Received, Reply};

// ---------------------------------------------------------------- pair

/// How server bytes reach the connection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Delivery {
    /// Everything available in one `handle_received`.
    Whole,
    /// At most this many bytes per `handle_received` (1: byte by byte).
    Chunks(usize),
    /// Split at these offsets of the server's byte stream.
    At(Vec<usize>),
}

/// A submitted request as the harness remembers it.
#[derive(Clone, Debug)]
pub(crate) struct Sub {
    pub(crate) id: RequestId,
    pub(crate) method: Method,
    pub(crate) target: String,
    pub(crate) options: RequestOptions,
    /// Must be alone on the connection (P5).
    pub(crate) alone: bool,
    pub(crate) replayable: bool,
    /// Its content is streamed: its progress is its head's, and the server
    /// sees it only once all of the content came.
    pub(crate) streamed: bool,
}

/// How a request ended.
#[derive(Debug)]
#[allow(clippy::large_enum_variant, reason = "a test record, built once per request")]
pub(crate) enum Outcome {
    /// Streamed response (its last part arrived).
    Response { status: u16, body: Vec<u8>, interim: Vec<u16>, trailers: bool },
    /// Whole-response mode.
    Complete { response: Response, interim: Vec<u16> },
    /// Failed here.
    Failed { progress: Progress, retry: Retry, cause: Cause<DecodeError>, kind: ErrorKind },
}

#[derive(Default, Debug)]
struct Stream {
    interim: Vec<u16>,
    status: Option<u16>,
    body: Vec<u8>,
    echo: bool,
    trailers: bool,
}

pub(crate) struct Pair {
    pub(crate) conn: Conn,
    pub(crate) server: Server,
    pub(crate) now: Instant,
    pub(crate) delivery: Delivery,
    /// Bytes accepted per `handle_written` call at most.
    pub(crate) write_chunk: usize,
    /// Bytes the transport will still accept (`None`: unlimited).
    pub(crate) write_budget: Option<usize>,
    transmit: Vec<u8>,
    transmit_accepted: usize,
    /// Size of every transmit produced.
    pub(crate) transmits: Vec<usize>,
    /// Depth in force when the current transmit was encoded.
    transmit_limit: usize,
    policy_alone: bool,
    /// Bytes of `server.out` delivered to the connection.
    delivered: usize,
    /// Bytes surely read: `delivered` but during a `handle_received`, whose
    /// bytes the connection may stop reading when it closes.
    receiving_from: usize,
    end_delivered: bool,
    /// The head of a `close` response was delivered: nothing new may be
    /// written.
    fence: bool,
    pub(crate) subs: Vec<Sub>,
    /// Sub index of each request the server received, in order.
    wire: Vec<usize>,
    /// Next sub the server may receive.
    next_sub: usize,
    streams: BTreeMap<RequestId, Stream>,
    pub(crate) outcomes: BTreeMap<RequestId, Outcome>,
    /// Every event, in order.
    pub(crate) log: Vec<Ev>,
    pub(crate) capabilities: Vec<Capability>,
    /// `SlowHead` events seen (P13).
    pub(crate) slow_heads: usize,
    /// `SendBody` events seen, in order.
    pub(crate) body_wanted: Vec<RequestId>,
    /// Requests reported written ([`Event::Written`]).
    pub(crate) written: BTreeSet<RequestId>,
    pub(crate) closed: Option<CloseSummary>,
}

/// Settings for the usual tests: a server already known to pipeline.
pub(crate) fn pipelining(depth: usize) -> ConnectionConfig {
    let mut config = ConnectionConfig::default();
    config.depth = depth;
    config.capability = Capability::Pipelining;
    config
}

impl Pair {
    /// A connection with `config` against a server answering every request
    /// with [`Reply::ok`].
    pub(crate) fn new(config: ConnectionConfig) -> Pair {
        Pair::with_limits(config, Limits::default())
    }

    pub(crate) fn with_limits(config: ConnectionConfig, limits: Limits) -> Pair {
        let now = Instant::from_millis(1_000);
        Pair {
            conn: Connection::new(H1Codec::new(HOST, limits), config, now),
            server: Server::scripted(Reply::ok),
            now,
            delivery: Delivery::Whole,
            write_chunk: usize::MAX,
            write_budget: None,
            transmit: Vec::new(),
            transmit_accepted: 0,
            transmits: Vec::new(),
            transmit_limit: 0,
            policy_alone: config.non_idempotent == NonIdempotentPolicy::Alone,
            delivered: 0,
            receiving_from: 0,
            end_delivered: false,
            fence: false,
            subs: Vec::new(),
            wire: Vec::new(),
            next_sub: 0,
            streams: BTreeMap::new(),
            outcomes: BTreeMap::new(),
            log: Vec::new(),
            capabilities: Vec::new(),
            slow_heads: 0,
            body_wanted: Vec::new(),
            written: BTreeSet::new(),
            closed: None,
        }
    }

    /// Sets the server's script.
    pub(crate) fn script(&mut self, script: impl FnMut(&Received) -> Reply + Send + 'static) -> &mut Self {
        self.server.set_script(script);
        self
    }

    // ------------------------------------------------------------ commands

    pub(crate) fn submit(&mut self, request: Request) -> RequestId {
        self.submit_with(request, RequestOptions::default())
    }

    pub(crate) fn submit_with(&mut self, request: Request, options: RequestOptions) -> RequestId {
        self.try_submit(request, options).expect("submit")
    }

    pub(crate) fn try_submit(
        &mut self,
        request: Request,
        options: RequestOptions,
    ) -> Result<RequestId, SubmitError<pipelining::h1::EncodeError>> {
        let method = request.method.clone();
        let target = String::from_utf8(request.target.to_vec()).unwrap();
        // A streamed content goes alone and is never replayed once written.
        let streamed = matches!(request.body, pipelining::h1::Content::Streamed { .. });
        let replayable = replayable(&request, &options) && !streamed;
        let alone = streamed
            || (self.policy_alone && options.idempotency == Idempotency::ByMethod && !request.method.is_idempotent());
        let result = self.conn.submit(self.now, request, options).map_err(|refused| refused.error);
        if let Ok(id) = result {
            assert_eq!(id.get() as usize, self.subs.len(), "ids are allocated in order");
            assert!(self.closed.is_none(), "submit accepted after Closed");
            self.subs.push(Sub { id, method, target, options, alone, replayable, streamed });
        } else if self.closed.is_some() {
            assert!(matches!(result, Err(SubmitError::Closed)), "{result:?} after Closed");
        }
        self.drain();
        result
    }

    pub(crate) fn cancel(&mut self, id: RequestId) {
        self.conn.cancel(self.now, id);
        self.drain();
    }

    pub(crate) fn close(&mut self) {
        self.conn.close(self.now);
        self.drain();
    }

    pub(crate) fn set_depth(&mut self, depth: usize) {
        self.conn.set_depth(depth);
        self.drain();
    }

    /// The client sees EOF now, whatever the server is doing.
    pub(crate) fn eof_now(&mut self) {
        self.end_delivered = true;
        self.conn.handle_eof(self.now);
        self.drain();
    }

    /// The transport fails now.
    pub(crate) fn transport_error_now(&mut self) {
        self.end_delivered = true;
        self.conn.handle_transport_error(self.now);
        self.drain();
    }

    /// Moves the clock by `ms` and fires the connection's timer if due.
    pub(crate) fn advance_ms(&mut self, ms: u64) {
        self.now = Instant::from_micros(self.now.as_micros() + ms * 1_000);
        if self.conn.poll_timeout().is_some_and(|t| t <= self.now) {
            self.conn.handle_timeout(self.now);
            self.drain();
        }
    }

    /// Jumps the clock to the connection's next deadline and fires it;
    /// `false` if there is none.
    pub(crate) fn fire_timeout(&mut self) -> bool {
        let Some(at) = self.conn.poll_timeout() else { return false };
        assert!(self.closed.is_none(), "a deadline after Closed");
        self.now = self.now.max(at);
        self.conn.handle_timeout(self.now);
        self.drain();
        true
    }

    // ------------------------------------------------------------ moving

    /// Writes what the connection has to write, as far as the transport
    /// accepts it, and feeds it to the server. `true` if anything moved.
    pub(crate) fn flush_writes(&mut self) -> bool {
        let mut progressed = false;
        loop {
            if self.closed.is_some() {
                let mut scratch = Vec::new();
                assert!(self.conn.poll_transmit(self.now, &mut scratch).is_none(), "a transmit after Closed");
                return progressed;
            }
            if self.transmit_accepted == self.transmit.len() {
                self.transmit.clear();
                self.transmit_accepted = 0;
                let limit = self.depth_limit();
                let produced = self.conn.poll_transmit(self.now, &mut self.transmit);
                self.drain();
                match produced {
                    Some(n) => {
                        assert_eq!(n, self.transmit.len(), "poll_transmit reports what it appended");
                        assert!(n > 0, "an empty transmit");
                        assert!(!self.fence, "a new transmit after a `close` response was received (P7)");
                        self.transmits.push(n);
                        self.transmit_limit = limit;
                        progressed = true;
                    }
                    None => {
                        assert!(self.transmit.is_empty(), "poll_transmit wrote bytes but returned None");
                        return progressed;
                    }
                }
            } else {
                let mut scratch = Vec::new();
                let early = self.conn.poll_transmit(self.now, &mut scratch);
                assert!(early.is_none() && scratch.is_empty(), "a new transmit before the last one was accepted");
            }
            let rest = self.transmit.len() - self.transmit_accepted;
            let take = rest.min(self.write_chunk).min(self.write_budget.unwrap_or(usize::MAX));
            if take == 0 {
                return progressed;
            }
            let from = self.transmit_accepted;
            self.transmit_accepted += take;
            if let Some(budget) = &mut self.write_budget {
                *budget -= take;
            }
            self.conn.handle_written(self.now, take);
            progressed = true;
            self.server.set_transmit(self.transmits.len() - 1);
            let bytes = self.transmit[from..from + take].to_vec();
            let arrived = self.server.receive(&bytes).unwrap_or_else(|e| {
                panic!("the client wrote an invalid request ({e}): {:?}", String::from_utf8_lossy(&bytes))
            });
            self.server.answer();
            let first = self.server.received.len() - arrived;
            for index in first..self.server.received.len() {
                let r = &self.server.received[index];
                assert_eq!(r.version, 1, "requests are HTTP/1.1");
                assert_eq!(r.header_count("host"), 1, "exactly one Host");
                self.check_arrival(index);
            }
            self.drain();
        }
    }

    /// Delivers the next piece of the server's bytes (or its EOF / reset).
    /// `true` if anything was delivered.
    pub(crate) fn deliver_once(&mut self) -> bool {
        if self.closed.is_some() {
            return false;
        }
        let available = self.server.out.len();
        if self.delivered < available {
            let upto = match &self.delivery {
                Delivery::Whole => available,
                Delivery::Chunks(n) => (self.delivered + n.max(&1)).min(available),
                Delivery::At(offsets) => {
                    offsets.iter().copied().find(|&o| o > self.delivered).unwrap_or(available).min(available)
                }
            };
            let bytes = self.server.out[self.delivered..upto].to_vec();
            self.receiving_from = self.delivered;
            self.delivered = upto;
            self.conn.handle_received(self.now, &bytes);
            self.fence |= self.server.close_heads.iter().any(|&end| end <= self.delivered);
            self.drain();
            self.receiving_from = self.delivered;
            return true;
        }
        match self.server.end {
            Some((at, end)) if !self.end_delivered && self.delivered >= at => {
                self.end_delivered = true;
                match end {
                    End::Eof => self.conn.handle_eof(self.now),
                    End::Reset => self.conn.handle_transport_error(self.now),
                }
                self.drain();
                true
            }
            _ => false,
        }
    }

    /// Moves bytes both ways until nothing moves. No time passes.
    pub(crate) fn drive(&mut self) {
        for _ in 0..1_000_000 {
            let wrote = self.flush_writes();
            let delivered = self.deliver_once();
            if !wrote && !delivered {
                self.check();
                return;
            }
        }
        panic!("the pair never settled");
    }

    /// [`drive`](Self::drive), then jumps to the next deadline and fires it.
    /// `false` if nothing was due.
    pub(crate) fn step(&mut self) -> bool {
        self.drive();
        let fired = self.closed.is_none() && self.fire_timeout();
        self.drive();
        fired
    }

    /// Drives and fires timers until nothing is outstanding or queued (the
    /// idle timer is left alone) or the connection closed.
    pub(crate) fn run_until_idle(&mut self) {
        for _ in 0..100_000 {
            self.drive();
            if self.closed.is_some() || (self.conn.in_flight() == 0 && self.conn.queued() == 0) {
                return;
            }
            if !self.fire_timeout() {
                return;
            }
        }
        panic!("never idle");
    }

    /// Drives and fires every timer until the connection closed.
    pub(crate) fn run_to_close(&mut self) -> CloseSummary {
        for _ in 0..100_000 {
            self.drive();
            if let Some(closed) = self.closed {
                return closed;
            }
            assert!(self.fire_timeout(), "open with no deadline left");
        }
        panic!("never closed");
    }

    // ------------------------------------------------------------ recording

    fn depth_limit(&self) -> usize {
        match self.conn.capability() {
            Capability::Pipelining => self.conn.config().depth,
            Capability::Unknown | Capability::OneAtATime => 1,
        }
    }

    /// Bytes of the server's stream delivered to the connection.
    pub(crate) fn delivered_bytes(&self) -> usize {
        self.delivered
    }

    /// Complete final responses delivered to the connection.
    pub(crate) fn responses_delivered(&self) -> usize {
        self.server.ends.iter().filter(|e| e.at <= self.delivered).count()
    }

    /// P1, P5 as the server sees a request arrive.
    fn check_arrival(&mut self, index: usize) {
        let r = &self.server.received[index];
        let found = self.subs[self.next_sub..]
            .iter()
            .position(|s| s.method.as_str() == r.method && s.target == r.target)
            .unwrap_or_else(|| {
                panic!(
                    "the server received {} {} which is not a later submitted request: written twice, out of order, or never submitted",
                    r.method, r.target
                )
            });
        let sub = self.next_sub + found;
        for skipped in &self.subs[self.next_sub..sub] {
            let unwritten =
                matches!(self.outcomes.get(&skipped.id), Some(Outcome::Failed { progress: Progress::NotWritten, .. }));
            assert!(unwritten, "{} {} overtook {:?} (P5)", r.method, r.target, skipped);
        }
        self.next_sub = sub + 1;
        self.wire.push(sub);
        let answered = self.responses_delivered().min(self.wire.len());
        let outstanding = self.wire.len() - answered;
        assert!(
            outstanding <= self.transmit_limit,
            "{} requests outstanding at the server, depth {} (P1): {:?}",
            outstanding,
            self.transmit_limit,
            self.server.targets()
        );
        if self.policy_alone {
            let before = &self.wire[answered..self.wire.len() - 1];
            for &w in before {
                assert!(!self.subs[w].alone, "{} written behind non-idempotent {} (P5)", r.target, self.subs[w].target);
            }
            if self.subs[sub].alone {
                assert!(before.is_empty(), "non-idempotent {} written on a busy connection (P5)", r.target);
            }
        }
    }

    fn sub(&self, id: RequestId) -> &Sub {
        self.subs.get(id.get() as usize).unwrap_or_else(|| panic!("event for {id:?}, never submitted"))
    }

    /// P2: a head naming its request answers that request.
    fn check_head(&self, id: RequestId, head: &ResponseHead) {
        if let Some(target) = head.header("x-target") {
            let sub = self.sub(id);
            assert_eq!(
                target,
                sub.target.as_bytes(),
                "the response to {} was handed to {:?} {} (P2)",
                String::from_utf8_lossy(target),
                id,
                sub.target
            );
        }
    }

    fn drain(&mut self) {
        while let Some(event) = self.conn.poll_event() {
            self.record(event);
        }
    }

    fn record(&mut self, event: Ev) {
        assert!(self.closed.is_none(), "an event after Closed: {event:?}");
        if let Some(id) = event.terminal_id() {
            assert!(!self.outcomes.contains_key(&id), "a second terminal event for {id:?}: {event:?} (P12)");
        }
        match &event {
            Event::Response { id, part, end } => {
                let id = *id;
                assert!(!self.outcomes.contains_key(&id), "a part for {id:?} after its terminal event: {event:?}");
                let sub_target = self.sub(id).target.clone();
                let is_head_request = self.sub(id).method == Method::HEAD;
                if let ResponsePart::Head(head) | ResponsePart::Interim(head) = part {
                    self.check_head(id, head);
                }
                let stream = self.streams.entry(id).or_default();
                match part {
                    ResponsePart::Interim(head) => {
                        assert!(stream.status.is_none(), "an interim response after the final head");
                        stream.interim.push(head.status);
                    }
                    ResponsePart::Head(head) => {
                        assert!(stream.status.is_none(), "two final heads for {id:?}");
                        stream.status = Some(head.status);
                        stream.echo = head.header("x-echo").is_some();
                    }
                    ResponsePart::Data(data) => {
                        assert!(stream.status.is_some(), "content before the head");
                        stream.body.extend_from_slice(data);
                    }
                    ResponsePart::Trailers(_) => stream.trailers = true,
                    ResponsePart::End => assert!(*end, "End without end"),
                }
                if *end {
                    assert_eq!(part, &ResponsePart::End, "the terminal part is End");
                    let stream = self.streams.remove(&id).unwrap();
                    let status = stream.status.expect("a response without a final head");
                    if stream.echo && !is_head_request {
                        assert_eq!(stream.body, echo_body(&sub_target), "the body of {id:?} (P2)");
                    }
                    if is_head_request {
                        assert!(stream.body.is_empty(), "a response to HEAD has no content");
                    }
                    self.outcomes.insert(
                        id,
                        Outcome::Response {
                            status,
                            body: stream.body,
                            interim: stream.interim,
                            trailers: stream.trailers,
                        },
                    );
                }
            }
            Event::Complete { id, response } => {
                let id = *id;
                self.check_head(id, &response.head);
                let sub = self.sub(id);
                if response.head.header("x-echo").is_some() && sub.method != Method::HEAD {
                    assert_eq!(&response.body[..], &echo_body(&sub.target)[..], "the body of {id:?} (P2)");
                }
                let interim = self.streams.remove(&id).map(|s| s.interim).unwrap_or_default();
                self.outcomes.insert(id, Outcome::Complete { response: response.clone(), interim });
            }
            Event::Unanswered(f) => {
                let sub = self.sub(f.id).clone();
                assert_eq!(f.request.target, sub.target.as_bytes(), "the request handed back is the one submitted");
                self.check_classification(&sub, f.progress, f.retry, &f.cause);
                if let Cause::Lost(reason) = &f.cause {
                    // C1 precedence: a written non-idempotent request that is
                    // never resent may have been processed; else the loss.
                    // (A streamed content is never resent, idempotent or not:
                    // only a non-idempotent one may have been processed.)
                    let not_idempotent = if sub.streamed { !f.replayable } else { !sub.replayable };
                    let expected = if not_idempotent && f.retry == Retry::Never && f.progress > Progress::NotWritten {
                        ErrorKind::MayHaveBeenProcessed
                    } else if *reason == CloseReason::StallTimeout {
                        ErrorKind::Timeout
                    } else {
                        ErrorKind::ConnectionLost
                    };
                    assert_eq!(f.kind(), expected, "kind of {:?} {}", sub.id, sub.target);
                }
                self.streams.remove(&f.id);
                self.outcomes.insert(
                    f.id,
                    Outcome::Failed { progress: f.progress, retry: f.retry, cause: f.cause.clone(), kind: f.kind() },
                );
            }
            Event::Written { id } => {
                let id = *id;
                assert!(!self.outcomes.contains_key(&id), "Written after the terminal event of {id:?}");
                assert!(self.written.insert(id), "{id:?} reported written twice");
                assert!(
                    self.wire.contains(&(id.get() as usize)),
                    "{id:?} reported written before its last byte reached the server"
                );
            }
            Event::Unsolicited(part) => panic!("HTTP/1.1 has no unsolicited messages: {part:?}"),
            Event::Capability(c) => self.capabilities.push(*c),
            Event::SlowHead => self.slow_heads += 1,
            Event::SendBody { id } => self.body_wanted.push(*id),
            Event::SetupRefused(why) => panic!("HTTP connections have no setup: {why}"),
            Event::Closed(closed) => {
                for sub in &self.subs {
                    assert!(self.outcomes.contains_key(&sub.id), "{:?} {} never ended (P12)", sub.id, sub.target);
                }
                self.closed = Some(*closed);
            }
        }
        self.log.push(event);
    }

    /// P7/P8 classification of a request lost with the connection, against
    /// what the server saw.
    fn check_classification(&self, sub: &Sub, progress: Progress, retry: Retry, cause: &Cause<DecodeError>) {
        if sub.streamed {
            // Never resent once any of it was written; moved otherwise. A
            // content that broke its declared length is the caller's fault.
            let expected = if progress == Progress::NotWritten { Retry::Move } else { Retry::Never };
            assert_eq!(retry, expected, "{:?} {} streamed, {progress:?}, {cause:?}", sub.id, sub.target);
            if *cause == Cause::Unencodable {
                assert!(progress.was_written(), "only a content being sent can break its length");
            }
            return;
        }
        match cause {
            Cause::Lost(reason) => {
                match self.wire.iter().position(|&w| w == sub.id.get() as usize) {
                    // Not (completely) received: at most partly written, and
                    // partly only if the server holds part of a request; a
                    // hostile server may have sent bytes the connection took
                    // for the start of its response.
                    None => {
                        let last_end = self.server.ends.iter().map(|e| e.at).filter(|&e| e <= self.delivered).max();
                        let stray_bytes = self.delivered > last_end.unwrap_or(0);
                        assert!(
                            progress == Progress::NotWritten
                                || (progress == Progress::PartlyWritten && self.server.partial_request_bytes() > 0)
                                || (progress == Progress::ResponsePartlyReceived && stray_bytes),
                            "{:?} {} never reached the server but is {progress:?}",
                            sub.id,
                            sub.target
                        );
                    }
                    Some(at) => {
                        // Any byte after the previous response's end belongs
                        // to this request's response. Bytes of the last
                        // `handle_received` may have been left unread if the
                        // connection closed while reading them; after a
                        // response that ends the connection none are read.
                        let start = match at {
                            0 => 0,
                            _ => self.server.ends.get(at - 1).map_or(usize::MAX, |e| e.at),
                        };
                        // Empty lines before a response are skipped (RFC
                        // 9112 §2.2); a CR alone may still wait for its LF.
                        let seen = self.server.out.get(start..self.delivered).unwrap_or(&[]);
                        let blank = seen.iter().take_while(|&&b| b == b'\r' || b == b'\n').count();
                        let start = start + blank;
                        let expected = if matches!(reason, CloseReason::ServerClose | CloseReason::Upgraded) {
                            vec![Progress::Written]
                        } else if blank > 0 && blank == seen.len() {
                            vec![Progress::Written, Progress::ResponsePartlyReceived]
                        } else if self.receiving_from > start {
                            vec![Progress::ResponsePartlyReceived]
                        } else if self.delivered > start {
                            vec![Progress::Written, Progress::ResponsePartlyReceived]
                        } else {
                            vec![Progress::Written]
                        };
                        assert!(
                            expected.contains(&progress),
                            "progress of {:?} {} lost with {reason:?}: {progress:?}, expected {expected:?}",
                            sub.id,
                            sub.target
                        );
                    }
                }
                // Parts of a streamed response already handed over cannot be
                // taken back: such a request is never resent. A head cut
                // short handed nothing over.
                let streamed = !sub.options.whole && self.streams.contains_key(&sub.id);
                let expected = if progress == Progress::NotWritten || *reason == CloseReason::ServerClose {
                    vec![Retry::Move]
                } else if !sub.replayable || streamed {
                    vec![Retry::Never]
                } else if matches!(reason, CloseReason::PeerClosed | CloseReason::Transport) {
                    // Move in the stale-connection race.
                    vec![Retry::Replay, Retry::Move]
                } else {
                    vec![Retry::Replay]
                };
                assert!(
                    expected.contains(&retry),
                    "{:?} {} ({progress:?}, lost with {reason:?}) classified {retry:?}, expected {expected:?}",
                    sub.id,
                    sub.target
                );
            }
            Cause::Cancelled | Cause::Deadline => assert_eq!(retry, Retry::Never, "a cancelled request is not resent"),
            Cause::Response(_) => {
                assert_eq!(retry, Retry::Never, "a request whose own response broke is not replayed (P8)");
                assert_eq!(progress, Progress::ResponsePartlyReceived);
            }
            Cause::Unencodable => panic!("valid requests are always encodable"),
            Cause::ConnectFailed => panic!("a connection never reports a failed connect: only a pool does"),
            Cause::Rerouted => {
                assert_eq!(progress, Progress::NotWritten, "only unwritten requests are handed back");
                assert_eq!(retry, Retry::Move, "a handed-back request goes elsewhere");
                assert!(!self.wire.contains(&(sub.id.get() as usize)), "{:?} handed back but sent", sub.id);
            }
        }
    }

    /// The standing invariants between inputs.
    pub(crate) fn check(&self) {
        assert_eq!(self.conn.is_closed(), self.closed.is_some(), "is_closed agrees with the Closed event");
        if self.closed.is_none() {
            let pending: Vec<RequestId> = self.conn.pending_ids().collect();
            for sub in &self.subs {
                let ended = self.outcomes.contains_key(&sub.id);
                assert_ne!(ended, pending.contains(&sub.id), "{:?} is either pending or ended (P12)", sub.id);
            }
        }
    }

    // ------------------------------------------------------------ queries

    pub(crate) fn outcome(&self, id: RequestId) -> &Outcome {
        self.outcomes.get(&id).unwrap_or_else(|| panic!("{id:?} has not ended"))
    }

    /// Status and body of a streamed response.
    pub(crate) fn response(&self, id: RequestId) -> (u16, &[u8]) {
        match self.outcome(id) {
            Outcome::Response { status, body, .. } => (*status, body),
            other => panic!("{id:?}: expected a response, got {other:?}"),
        }
    }

    /// Progress, retry, cause and kind of a failure.
    pub(crate) fn failure(&self, id: RequestId) -> (Progress, Retry, &Cause<DecodeError>, ErrorKind) {
        match self.outcome(id) {
            Outcome::Failed { progress, retry, cause, kind } => (*progress, *retry, cause, *kind),
            other => panic!("{id:?}: expected a failure, got {other:?}"),
        }
    }

    pub(crate) fn closed(&self) -> CloseSummary {
        self.closed.expect("the connection has not closed")
    }

    pub(crate) fn is_ok(&self, id: RequestId) -> bool {
        matches!(self.outcomes.get(&id), Some(Outcome::Response { status: 200, .. } | Outcome::Complete { .. }))
    }
}
