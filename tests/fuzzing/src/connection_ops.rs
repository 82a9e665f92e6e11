//! `connection_ops`: a sequence of operations applied to one
//! `Connection<H1Codec>` talking to an honest (or, at times, hostile) fake
//! server, with a reference model checking the rules at every step:
//!
//! * P12: at most one terminal event per request; after the final `close()`
//!   exactly one; the connection's pending set equals the model's;
//! * P1: never more than `depth` (1 while the server is not known to
//!   pipeline) in flight after a transmit that wrote something, and the
//!   in-flight count equals written requests minus responses;
//! * P5: a non-idempotent request is written alone, nothing is written
//!   behind it until its final response, requests are written in submission
//!   order and never twice;
//! * P7: nothing is written after a response that closes the connection, and
//!   a written request handed back as "move" was not processed by the server;
//! * P2, P3: a response from the honest server reaches the request that asked
//!   for it (heads and bodies name their request target) and its content
//!   agrees with its framing;
//! * P8: failures are classified consistently with how far the request got.

use crate::script::{Amount, Submission};
use crate::server::Link;
use crate::track::{ResponseTrack, check_answer, check_head_target, check_whole};
use crate::{CannedResponse, trace};
use arbitrary::{Arbitrary, Unstructured};
use pipelining::Lesson;
use pipelining::h1::{H1Codec, Limits, ResponsePart};
use pipelining::pipeline::NonIdempotentPolicy;
use pipelining::{
    Capability, Cause, CloseReason, Connection, ConnectionConfig, Duration, Event, Instant, Progress, RequestId, Retry,
    SubmitError, Unanswered,
};
use std::collections::{BTreeMap, BTreeSet};

const HOST: &str = "fuzz.example:8080";
const MAX_OPS: usize = 300;
const MAX_SESSIONS: usize = 8;

/// The connection's settings.
#[derive(Arbitrary, Debug)]
struct Setup {
    depth: u8,
    queue_limit: u8,
    cancel_threshold: u16,
    capability: CapabilityChoice,
    pipeline_non_idempotent: bool,
    stall_ms: u16,
    idle_ms: Option<u16>,
    large_response: Option<u8>,
    rescue_ms: Option<u16>,
    headers_ms: Option<u16>,
    body_ms: Option<u16>,
}

#[derive(Arbitrary, Debug, Clone, Copy)]
enum CapabilityChoice {
    Unknown,
    Pipelining,
    OneAtATime,
}

impl Setup {
    fn config(&self) -> ConnectionConfig {
        let mut config = ConnectionConfig::DEFAULT;
        config.depth = usize::from(self.depth % 17);
        config.queue_limit = usize::from(self.queue_limit % 64) + 1;
        config.cancel_threshold = u64::from(self.cancel_threshold);
        config.capability = match self.capability {
            CapabilityChoice::Unknown => Capability::Unknown,
            CapabilityChoice::Pipelining => Capability::Pipelining,
            CapabilityChoice::OneAtATime => Capability::OneAtATime,
        };
        if self.pipeline_non_idempotent {
            config.non_idempotent = NonIdempotentPolicy::Pipelined;
        }
        config.stall_timeout = Some(Duration::from_millis(u64::from(self.stall_ms.max(1))));
        config.idle_timeout = self.idle_ms.map(|ms| Duration::from_millis(u64::from(ms.max(1))));
        config.large_response = self.large_response.map(u64::from);
        config.rescue_delay = self.rescue_ms.map(|ms| Duration::from_millis(u64::from(ms.max(1))));
        config.headers_timeout = self.headers_ms.map(|ms| Duration::from_millis(u64::from(ms.max(1))));
        config.body_timeout = self.body_ms.map(|ms| Duration::from_millis(u64::from(ms.max(1))));
        config
    }
}

/// One step of the scenario.
#[derive(Arbitrary, Debug)]
enum Op {
    /// Submit a request.
    Submit(Submission),
    /// Cancel one of this connection's requests (finished ones too).
    Cancel(u8),
    /// The transport accepts part of the pending transmit.
    Write(Amount),
    /// The server's bytes arrive.
    Deliver(Amount),
    /// Write everything, then deliver everything.
    Step,
    /// Arbitrary bytes arrive (a hostile or broken server).
    Hostile(Vec<u8>),
    /// A well-formed response nobody asked for arrives.
    Canned(CannedResponse),
    /// The server closes abruptly.
    Eof,
    /// The transport fails.
    TransportError,
    /// Time passes and the timer is called (maybe spuriously).
    Advance(u16),
    /// Time jumps to the next deadline.
    Timer,
    /// The depth changes.
    SetDepth(u8),
    /// The caller closes the connection.
    Close,
    /// The connection is closed and a fresh one opened.
    Reconnect,
}

/// What the model knows of one request.
#[derive(Debug, Default)]
struct Track {
    idx: usize,
    done: bool,
    written: bool,
    /// `Event::Written` was reported.
    reported_written: bool,
    response: ResponseTrack,
}

struct Session {
    conn: Connection<H1Codec>,
    link: Link,
    requests: BTreeMap<RequestId, Track>,
    by_idx: BTreeMap<usize, RequestId>,
    closed: bool,
    /// A non-persistent final head was handed to the application.
    closing_seen: bool,
    /// A request that must be alone is in flight, written when this many
    /// responses were complete.
    alone: Option<(RequestId, u64)>,
    last_written: Option<RequestId>,
    /// A streamed `blocking` request written with no response part yet:
    /// nothing may be written behind it (P13).
    blocking: Option<RequestId>,
    written: u64,
    depth: usize,
}

impl Session {
    fn new(config: ConnectionConfig, now: Instant) -> Self {
        Session {
            conn: Connection::new(H1Codec::new(HOST, Limits::default()), config, now),
            link: Link::new(HOST),
            requests: BTreeMap::new(),
            by_idx: BTreeMap::new(),
            closed: false,
            closing_seen: false,
            alone: None,
            last_written: None,
            blocking: None,
            written: 0,
            depth: config.depth.max(1),
        }
    }
}

struct Harness {
    config: ConnectionConfig,
    subs: Vec<Submission>,
    now: Instant,
    s: Session,
    sessions: usize,
}

/// Runs the target on `data`; panics only on a violated property.
pub fn run(data: &[u8]) {
    let mut u = Unstructured::new(data);
    let Ok(setup) = Setup::arbitrary(&mut u) else { return };
    trace!("setup {setup:?}");
    let config = setup.config();
    let now = Instant::from_millis(1_000);
    let mut h = Harness { config, subs: Vec::new(), now, s: Session::new(config, now), sessions: 1 };
    for _ in 0..MAX_OPS {
        if u.is_empty() {
            break;
        }
        let Ok(op) = Op::arbitrary(&mut u) else { break };
        trace!("op {op:?}");
        h.apply(op);
        h.after();
    }
    h.settle();
    h.finish_session();
}

impl Harness {
    fn apply(&mut self, op: Op) {
        let now = self.now;
        match op {
            Op::Submit(sub) => self.submit(sub),
            Op::Cancel(k) => {
                let ids: Vec<RequestId> = self.s.requests.keys().copied().collect();
                if !ids.is_empty() {
                    self.s.conn.cancel(now, ids[usize::from(k) % ids.len()]);
                }
            }
            Op::Write(amount) => self.write(amount),
            Op::Deliver(amount) => self.deliver(amount),
            Op::Step => {
                self.write(Amount::All);
                self.deliver(Amount::All);
            }
            Op::Hostile(bytes) => {
                if !bytes.is_empty() && !self.s.closed {
                    self.s.link.tainted = true;
                    self.s.conn.handle_received(now, &bytes);
                }
            }
            Op::Canned(canned) => {
                if !self.s.closed {
                    self.s.link.tainted = true;
                    self.s.conn.handle_received(now, canned.bytes());
                }
            }
            Op::Eof => {
                if self.s.link.server.abort_cuts_body() {
                    self.s.link.tainted = true;
                }
                self.s.link.server.abort();
                self.s.conn.handle_eof(now);
            }
            Op::TransportError => {
                self.s.link.server.abort();
                self.s.conn.handle_transport_error(now);
            }
            Op::Advance(ms) => {
                self.now = self.now + Duration::from_millis(u64::from(ms));
                self.s.conn.handle_timeout(self.now);
            }
            Op::Timer => self.timer(),
            Op::SetDepth(d) => {
                self.s.conn.set_depth(usize::from(d % 17));
                self.s.depth = usize::from(d % 17).max(1);
            }
            Op::Close => self.s.conn.close(now),
            Op::Reconnect => {
                if self.sessions < MAX_SESSIONS {
                    self.finish_session();
                    self.s = Session::new(self.config, self.now);
                    self.sessions += 1;
                }
            }
        }
    }

    /// Time jumps to the next deadline; after `handle_timeout` the next one
    /// must lie in the future, or a driver would spin.
    fn timer(&mut self) {
        if let Some(at) = self.s.conn.poll_timeout() {
            self.now = self.now.max(at);
            self.s.conn.handle_timeout(self.now);
            self.after();
            if let Some(next) = self.s.conn.poll_timeout() {
                assert!(next > self.now, "the timeout {next:?} is still due after handle_timeout: a busy loop");
            }
        }
    }

    fn submit(&mut self, sub: Submission) {
        let idx = self.subs.len();
        self.subs.push(sub);
        let was_closing = self.s.conn.is_closing();
        let queued = self.s.conn.queued();
        match self.s.conn.submit(self.now, sub.request(idx), sub.options(self.now)).map_err(|refused| refused.error) {
            Ok(id) => {
                assert!(!was_closing, "a closing connection accepted a request");
                assert!(!self.s.requests.contains_key(&id), "request id {id} reused");
                assert!(self.s.requests.keys().all(|&old| old < id), "request ids out of order");
                self.s.requests.insert(id, Track { idx, ..Track::default() });
                self.s.by_idx.insert(idx, id);
            }
            Err(SubmitError::Closed) => assert!(was_closing, "submit refused as closed by an open connection"),
            Err(SubmitError::QueueFull { limit }) => {
                assert!(queued >= limit, "queue full with {queued} of {limit} queued");
            }
            Err(e) => panic!("a valid request was refused: {e:?}"),
        }
    }

    fn write(&mut self, amount: Amount) {
        let n = if self.s.link.writing() { self.s.link.write(amount, &self.subs) } else { 0 };
        self.s.conn.handle_written(self.now, n);
    }

    fn deliver(&mut self, amount: Amount) {
        let (data, eof) = self.s.link.server.take(amount);
        if !data.is_empty() {
            self.s.conn.handle_received(self.now, &data);
        }
        if eof {
            self.s.conn.handle_eof(self.now);
        }
    }

    /// Drains the outputs after an input and checks the invariants.
    /// Returns whether a transmit was produced.
    fn after(&mut self) -> bool {
        self.drain_events();
        let mut wrote = false;
        while !self.s.link.writing() {
            let before = self.s.conn.in_flight();
            let held = self.s.conn.is_held();
            let mut buf = Vec::new();
            let Some(n) = self.s.conn.poll_transmit(self.now, &mut buf) else { break };
            assert!(!held, "written behind a large response (P13)");
            assert_eq!(n, buf.len(), "transmit length");
            assert!(n > 0, "an empty transmit");
            self.on_transmit(before, &buf);
            wrote = true;
        }
        self.drain_events();
        self.check_state();
        wrote
    }

    fn drain_events(&mut self) {
        while let Some(event) = self.s.conn.poll_event() {
            trace!("event {event:?}");
            self.on_event(event);
        }
    }

    fn on_transmit(&mut self, before: usize, bytes: &[u8]) {
        let s = &mut self.s;
        let idxs = s.link.on_transmit(bytes, &self.subs);
        trace!("transmit {idxs:?}");
        assert!(!s.closed, "written after Closed");
        assert!(!s.closing_seen, "written after a response that closes the connection (P7)");
        if !s.link.tainted {
            assert!(!s.link.server.close_head_delivered(), "written after the server's close response (P7)");
        }
        if let Some((id, at)) = s.alone {
            assert!(s.conn.responses() > at, "written behind {id}, which must be alone (P5)");
            s.alone = None;
        }
        for &idx in &idxs {
            let id = *s.by_idx.get(&idx).expect("a written request was submitted here");
            if let Some(blocking) = s.blocking {
                panic!("{id} written behind blocking {blocking} before its response began (P13)");
            }
            if self.subs[idx].blocking && !self.subs[idx].whole {
                s.blocking = Some(id);
            }
            let track = s.requests.get_mut(&id).expect("tracked");
            assert!(!track.written, "request {id} written twice on one connection");
            assert!(!track.done, "request {id} written after its terminal event");
            track.written = true;
            assert!(s.last_written.is_none_or(|last| last < id), "{id} written out of submission order (P5)");
            s.last_written = Some(id);
            if self.config.non_idempotent == NonIdempotentPolicy::Alone && self.subs[idx].alone() {
                assert!(
                    before == 0 && idxs.len() == 1,
                    "non-idempotent {id} written with {before} in flight and {} in its transmit (P5)",
                    idxs.len()
                );
                s.alone = Some((id, s.conn.responses()));
            }
        }
        s.written += idxs.len() as u64;
        let in_flight = s.conn.in_flight();
        assert!(in_flight <= s.depth, "{in_flight} in flight at depth {} (P1)", s.depth);
        if s.conn.capability() != Capability::Pipelining {
            assert!(in_flight <= 1, "{in_flight} in flight to a server not known to pipeline (P6)");
        }
    }

    fn on_event(&mut self, event: Event<H1Codec>) {
        let s = &mut self.s;
        assert!(!s.closed, "an event after Closed: {event:?}");
        let tainted = s.link.tainted;
        if s.blocking.is_some() && s.blocking == event_request(&event) {
            s.blocking = None;
        }
        match event {
            Event::Response { id, part, end } => {
                let track = s.requests.get_mut(&id).expect("a response for an unknown request");
                assert!(!track.done, "a part for {id} after its terminal event (P12)");
                let sub = &self.subs[track.idx];
                if sub.whole {
                    assert!(
                        matches!(part, ResponsePart::Interim(_)) && !end,
                        "a streamed part for whole-mode {id}: {part:?}"
                    );
                }
                if !tainted {
                    if let ResponsePart::Head(head) | ResponsePart::Interim(head) = &part {
                        check_head_target(head, track.idx);
                    }
                }
                if let ResponsePart::Head(head) = &part {
                    if !head.connection.persistent {
                        s.closing_seen = true;
                    }
                }
                if let Some((head, body)) = track.response.part(&part, end) {
                    track.done = true;
                    if !tainted {
                        check_answer(sub, track.idx, &head, &body);
                    }
                }
            }
            Event::Complete { id, response } => {
                let track = s.requests.get_mut(&id).expect("a response for an unknown request");
                assert!(!track.done, "a second terminal event for {id} (P12)");
                let sub = &self.subs[track.idx];
                assert!(sub.whole, "a whole response for streaming {id}");
                check_whole(&response);
                if !response.head.connection.persistent {
                    s.closing_seen = true;
                }
                track.done = true;
                if !tainted {
                    check_answer(sub, track.idx, &response.head, &response.body);
                }
            }
            Event::Unanswered(failure) => {
                let track = s.requests.get_mut(&failure.id).expect("a failure for an unknown request");
                assert!(!track.done, "a second terminal event for {} (P12): {failure:?}", failure.id);
                track.done = true;
                let idx = track.idx;
                check_failure(&failure, &self.subs[idx], idx, &s.link);
            }
            Event::Written { id } => {
                let track = s.requests.get_mut(&id).expect("Written for an unknown request");
                assert!(!track.done, "Written for {id} after its terminal event");
                assert!(!track.reported_written, "Written twice for {id}");
                track.reported_written = true;
                assert_eq!(
                    s.link.progress(track.idx),
                    Some(Progress::Written),
                    "Written for {id} before its last byte"
                );
            }
            Event::Unsolicited(part) => panic!("HTTP/1.1 has no unsolicited messages: {part:?}"),
            Event::Capability(capability) => {
                assert_ne!(capability, Capability::Unknown, "learnt nothing");
            }
            Event::SendBody { id } => panic!("{id}: these requests have whole contents"),
            Event::SetupRefused(why) => panic!("HTTP connections have no setup: {why}"),
            Event::SlowHead => {
                assert!(self.config.rescue_delay.is_some(), "a slow head reported with rescue off");
                assert!(s.conn.in_flight() >= 2, "a slow head with nothing behind it");
                assert!(s.conn.rescue_candidates().all(|(id, _)| {
                    let track = &s.requests[&id];
                    !track.done && self.subs[track.idx].replayable()
                }));
            }
            Event::Closed(closed) => {
                s.closed = true;
                if !tainted {
                    assert_ne!(closed.reason, CloseReason::Protocol, "an honest server broke the protocol: {closed:?}");
                }
                if closed.lesson == Lesson::StaleRace {
                    assert!(closed.lesson != Lesson::PipelineBreak, "a stale close counted as a break");
                }
            }
        }
    }

    fn check_state(&self) {
        let s = &self.s;
        assert_eq!(s.closed, s.conn.is_closed(), "Closed event and is_closed() disagree");
        let model: BTreeSet<RequestId> = s.requests.iter().filter(|(_, t)| !t.done).map(|(&id, _)| id).collect();
        let pending: BTreeSet<RequestId> = s.conn.pending_ids().collect();
        assert_eq!(pending, model, "pending requests differ from the model (P12)");
        if s.conn.is_closed() {
            assert_eq!(s.conn.in_flight(), 0);
            assert_eq!(s.conn.poll_timeout(), None, "a timer on a closed connection");
            return;
        }
        assert_eq!(
            s.conn.in_flight() as u64,
            s.written - s.conn.responses(),
            "in flight ≠ written − answered ({} responses)",
            s.conn.responses()
        );
        if !s.link.writing() && !s.conn.is_closing() && s.conn.queued() > 0 {
            assert!(s.conn.in_flight() > 0, "requests queued with nothing in flight and nothing written");
        }
    }

    /// Lets the honest server finish: writes, delivers and moves the clock
    /// to each deadline until the connection is quiet. A request still open
    /// with no timer left is stuck.
    fn settle(&mut self) {
        for _ in 0..10_000 {
            if self.s.closed {
                return;
            }
            let mut moved = false;
            if self.s.link.writing() {
                self.write(Amount::All);
                moved = true;
            }
            let (data, eof) = self.s.link.server.take(Amount::All);
            if !data.is_empty() {
                self.s.conn.handle_received(self.now, &data);
                moved = true;
            }
            if eof {
                self.s.conn.handle_eof(self.now);
                moved = true;
            }
            moved |= self.after();
            if moved {
                continue;
            }
            match self.s.conn.poll_timeout() {
                Some(_) => self.timer(),
                None => {
                    assert!(self.s.conn.pending_ids().next().is_none(), "requests stuck with no deadline");
                    return;
                }
            }
        }
        panic!("the connection did not settle");
    }

    /// Closes the connection and checks every request ended exactly once.
    fn finish_session(&mut self) {
        self.s.conn.close(self.now);
        self.after();
        assert!(self.s.closed, "close() did not close");
        for (id, track) in &self.s.requests {
            assert!(track.done, "{id} never ended (P12)");
        }
        assert!(self.s.conn.poll_event().is_none());
        let mut buf = Vec::new();
        assert_eq!(self.s.conn.poll_transmit(self.now, &mut buf), None, "a transmit after close");
    }
}

/// A failure is classified consistently with how far its request got
/// (P7, P8).
fn check_failure(failure: &Unanswered<H1Codec>, sub: &Submission, idx: usize, link: &Link) {
    let encoded = link.progress(idx);
    let wire = encoded.unwrap_or(Progress::NotWritten);
    let id = failure.id;
    // A cancelled request already encoded counts as at least partly
    // written: the caller must finish writing its transmit.
    let ended_early = matches!(failure.cause, Cause::Cancelled | Cause::Deadline);
    assert!(
        failure.progress == wire
            || failure.progress == Progress::ResponsePartlyReceived
            || (ended_early && encoded.is_some() && failure.progress == Progress::PartlyWritten),
        "{id} failed as {:?} but the wire says {wire:?}",
        failure.progress
    );
    if !link.tainted && failure.progress == Progress::ResponsePartlyReceived {
        assert_eq!(wire, Progress::Written, "{id}: an honest server answered a request it did not receive");
    }
    match &failure.cause {
        Cause::Cancelled | Cause::Deadline => assert_eq!(failure.retry, Retry::Never),
        Cause::Response(e) => {
            assert!(link.tainted, "an honest response to {id} was rejected: {e:?}");
            assert_eq!(failure.retry, Retry::Never);
        }
        Cause::Unencodable => panic!("a valid request was unencodable"),
        Cause::ConnectFailed => panic!("a connection never reports a failed connect"),
        Cause::Rerouted => {
            assert_eq!(failure.progress, Progress::NotWritten, "{id} rerouted after being written");
            assert_eq!(failure.retry, Retry::Move, "rerouted {id} not moved");
        }
        Cause::Lost(reason) => {
            if failure.progress == Progress::NotWritten {
                assert_eq!(failure.retry, Retry::Move, "unwritten {id} not moved");
            }
            match failure.retry {
                Retry::Replay => assert!(sub.replayable(), "{id} may not be replayed"),
                Retry::Never => assert!(
                    !sub.replayable() || (failure.progress == Progress::ResponsePartlyReceived && !sub.whole),
                    "replayable {id} given up on {reason:?}"
                ),
                Retry::Move if failure.progress > Progress::NotWritten => {
                    assert!(
                        *reason == CloseReason::ServerClose
                            || (sub.replayable() && matches!(reason, CloseReason::PeerClosed | CloseReason::Transport)),
                        "written {id} moved after {reason:?}"
                    );
                    if !link.tainted && *reason == CloseReason::ServerClose {
                        assert!(
                            !link.server.processed.contains(&idx),
                            "{id} moved without a try although the server processed it (P7)"
                        );
                    }
                }
                Retry::Move => {}
            }
        }
    }
}

/// The request an event is about, if any.
fn event_request(event: &Event<H1Codec>) -> Option<RequestId> {
    match event {
        Event::Response { id, .. } | Event::Complete { id, .. } => Some(*id),
        Event::Unanswered(u) => Some(u.id),
        _ => None,
    }
}
