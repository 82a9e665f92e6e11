//! `pool_ops`: a sequence of operations applied to a `Pool<H1Factory>` with
//! three origins, whose connections are answered by honest fake servers,
//! refused, cut, reset, timed out or fed hostile bytes. Checked at every
//! step:
//!
//! * P12: at most one terminal event per request; after `close()` exactly
//!   one; the pool's pending count equals the model's;
//! * P11: never more than `connections` connections (open or connecting)
//!   per origin;
//! * P1, P6: per connection never more than `depth` in flight after a
//!   transmit that wrote something, and at most one while the server is
//!   not known to pipeline;
//! * P5, P8: a non-idempotent request is written alone, nothing behind it
//!   until its final response, and never written twice; a request that may
//!   not be replayed is processed by the servers at most once; attempts and
//!   tries are counted as the wire saw them;
//! * P7: nothing is written on a connection after a response that closes it;
//! * P2, P3: a response from an honest server reaches the request that asked
//!   for it, and its content agrees with its framing;
//! * P13: nothing is written on a connection holding a large response, or
//!   behind a streamed `blocking` request before its response begins; a
//!   rescue copy (a request written on a second connection while the first
//!   still holds it) is made only of a replayable request, and still only
//!   one outcome reaches the caller, its attempts counting the copy.

use crate::script::{Amount, Submission};
use crate::server::Link;
use crate::track::{ResponseTrack, check_answer, check_head_target, check_whole};
use crate::{CannedResponse, trace};
use arbitrary::{Arbitrary, Unstructured};
use pipelining::h1::{H1Codec, H1Factory, ResponsePart};
use pipelining::pipeline::NonIdempotentPolicy;
use pipelining::{
    Capability, Cause, CloseReason, ConnectionId, Duration, ErrorKind, Failure, Instant, Instruction, Origin, OriginId,
    Pool, PoolConfig, PoolEvent, Progress, RequestId, SubmitError,
};
use std::collections::{BTreeMap, BTreeSet};

const MAX_OPS: usize = 300;

fn origins() -> [Origin; 3] {
    [Origin::new("http", "a.example", 80), Origin::new("http", "b.example", 8080), Origin::new("https", "::1", 443)]
}

#[derive(Arbitrary, Debug)]
struct Setup {
    depth: u8,
    connections: u8,
    max_tries: u8,
    queue_limit: u8,
    pipeline_non_idempotent: bool,
    stall_ms: u16,
    idle_ms: Option<u16>,
    connect_timeout_ms: Option<u16>,
    cancel_threshold: u16,
    large_response: Option<u8>,
    rescue_ms: Option<u16>,
    headers_ms: Option<u16>,
}

impl Setup {
    fn config(&self) -> PoolConfig {
        let mut config = PoolConfig::DEFAULT;
        config.connection.depth = usize::from(self.depth % 9).max(1);
        config.connection.cancel_threshold = u64::from(self.cancel_threshold);
        config.connection.stall_timeout = Some(Duration::from_millis(u64::from(self.stall_ms.max(1))));
        config.connection.idle_timeout = self.idle_ms.map(|ms| Duration::from_millis(u64::from(ms.max(1))));
        if self.pipeline_non_idempotent {
            config.connection.non_idempotent = NonIdempotentPolicy::Pipelined;
        }
        config.connections = usize::from(self.connections % 4).max(1);
        config.max_tries = u32::from(self.max_tries % 5).max(1);
        config.queue_limit = usize::from(self.queue_limit % 64) + 1;
        config.connect_timeout = self.connect_timeout_ms.map(|ms| Duration::from_millis(u64::from(ms.max(1))));
        config.connection.large_response = self.large_response.map(u64::from);
        config.connection.rescue_delay = self.rescue_ms.map(|ms| Duration::from_millis(u64::from(ms.max(1))));
        config.connection.headers_timeout = self.headers_ms.map(|ms| Duration::from_millis(u64::from(ms.max(1))));
        config
    }
}

/// One step of the scenario. Connections are picked by index among the
/// open ones (or the pending connects).
#[derive(Arbitrary, Debug)]
enum Op {
    Submit { origin: u8, sub: Submission },
    Cancel(u16),
    Connected(u8),
    ConnectFailed(u8),
    Write { conn: u8, amount: Amount },
    Deliver { conn: u8, amount: Amount },
    Step,
    Hostile { conn: u8, bytes: Vec<u8> },
    Canned { conn: u8, canned: CannedResponse },
    Eof(u8),
    TransportError(u8),
    Advance(u16),
    Timer,
    Close,
}

#[derive(Debug, Default)]
struct Track {
    idx: usize,
    done: bool,
    /// Times its first byte was accepted by a transport.
    writes: u32,
    /// `PoolEvent::Written` reports.
    written_events: u32,
    /// Times a server processed it.
    processed: u32,
    /// The connections it was encoded on.
    conns: BTreeSet<ConnectionId>,
    /// Times it was encoded into a transmit.
    encodes: u32,
    /// It was encoded on a connection while another open one held it: a
    /// rescue copy (P13).
    copied: bool,
    /// It was on a connection that received hostile bytes: counts and
    /// contents cannot be predicted.
    tainted: bool,
    response: ResponseTrack,
}

struct Open {
    origin: usize,
    link: Link,
    closing_seen: bool,
    alone: Option<(RequestId, u64)>,
    /// A streamed `blocking` request written with no response part yet.
    blocking: Option<RequestId>,
}

struct Harness {
    pool: Pool<H1Factory>,
    config: PoolConfig,
    origins: [Origin; 3],
    subs: Vec<Submission>,
    now: Instant,
    requests: BTreeMap<RequestId, Track>,
    by_idx: BTreeMap<usize, RequestId>,
    connecting: Vec<(ConnectionId, usize)>,
    open: BTreeMap<ConnectionId, Open>,
    /// The origin id each connection was asked for under.
    conn_origins: BTreeMap<ConnectionId, OriginId>,
    /// Connections closed by the last instructions drained: events drained
    /// after them (a `Written`) may still name them.
    just_closed: BTreeMap<ConnectionId, Open>,
    tainted: BTreeSet<ConnectionId>,
}

/// Runs the target on `data`; panics only on a violated property.
pub fn run(data: &[u8]) {
    let mut u = Unstructured::new(data);
    let Ok(setup) = Setup::arbitrary(&mut u) else { return };
    trace!("setup {setup:?}");
    let config = setup.config();
    let mut h = Harness {
        pool: Pool::new(H1Factory::default(), config).expect("valid config"),
        config,
        origins: origins(),
        subs: Vec::new(),
        now: Instant::from_millis(1_000),
        requests: BTreeMap::new(),
        by_idx: BTreeMap::new(),
        connecting: Vec::new(),
        open: BTreeMap::new(),
        conn_origins: BTreeMap::new(),
        just_closed: BTreeMap::new(),
        tainted: BTreeSet::new(),
    };
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
    h.close();
}

fn pick<T: Copy>(items: impl Iterator<Item = T>, k: u8) -> Option<T> {
    let items: Vec<T> = items.collect();
    (!items.is_empty()).then(|| items[usize::from(k) % items.len()])
}

impl Harness {
    fn apply(&mut self, op: Op) {
        let now = self.now;
        match op {
            Op::Submit { origin, sub } => self.submit(usize::from(origin) % 3, sub),
            Op::Cancel(k) => {
                let ids: Vec<RequestId> = self.requests.keys().copied().collect();
                if !ids.is_empty() {
                    self.pool.cancel(now, ids[usize::from(k) % ids.len()]);
                }
            }
            Op::Connected(k) => {
                if let Some((conn, _)) = pick(self.connecting.iter().copied(), k) {
                    self.connected(conn);
                }
            }
            Op::ConnectFailed(k) => {
                if let Some((conn, _)) = pick(self.connecting.iter().copied(), k) {
                    self.connecting.retain(|&(c, _)| c != conn);
                    self.pool.handle_connect_failed(now, conn);
                }
            }
            Op::Write { conn, amount } => {
                if let Some(conn) = pick(self.open.keys().copied(), conn) {
                    self.write(conn, amount);
                }
            }
            Op::Deliver { conn, amount } => {
                if let Some(conn) = pick(self.open.keys().copied(), conn) {
                    self.deliver(conn, amount);
                }
            }
            Op::Step => {
                let conns: Vec<ConnectionId> = self.open.keys().copied().collect();
                for conn in conns {
                    self.write(conn, Amount::All);
                    self.deliver(conn, Amount::All);
                }
            }
            Op::Hostile { conn, bytes } => {
                if let Some(conn) = pick(self.open.keys().copied(), conn) {
                    if !bytes.is_empty() {
                        self.taint(conn);
                        self.pool.handle_received(now, conn, &bytes);
                    }
                }
            }
            Op::Canned { conn, canned } => {
                if let Some(conn) = pick(self.open.keys().copied(), conn) {
                    self.taint(conn);
                    self.pool.handle_received(now, conn, canned.bytes());
                }
            }
            Op::Eof(k) => {
                if let Some(conn) = pick(self.open.keys().copied(), k) {
                    if self.open.get(&conn).is_some_and(|open| open.link.server.abort_cuts_body()) {
                        self.taint(conn);
                    }
                    if let Some(open) = self.open.get_mut(&conn) {
                        open.link.server.abort();
                    }
                    self.pool.handle_eof(now, conn);
                }
            }
            Op::TransportError(k) => {
                let all: Vec<ConnectionId> =
                    self.open.keys().copied().chain(self.connecting.iter().map(|&(c, _)| c)).collect();
                if let Some(conn) = pick(all.into_iter(), k) {
                    if let Some(open) = self.open.get_mut(&conn) {
                        open.link.server.abort();
                    }
                    self.connecting.retain(|&(c, _)| c != conn);
                    self.pool.handle_transport_error(now, conn);
                }
            }
            Op::Advance(ms) => {
                self.now = self.now + Duration::from_millis(u64::from(ms));
                self.pool.handle_timeout(self.now);
            }
            Op::Timer => self.timer(),
            Op::Close => {
                self.close();
            }
        }
    }

    fn submit(&mut self, origin: usize, sub: Submission) {
        let idx = self.subs.len();
        self.subs.push(sub);
        let origin = self.origins[origin].clone();
        match self
            .pool
            .submit(self.now, &origin, sub.request(idx), sub.options(self.now))
            .map_err(|refused| refused.error)
        {
            Ok(id) => {
                assert!(self.requests.keys().all(|&old| old < id), "request ids reused or out of order");
                self.requests.insert(id, Track { idx, ..Track::default() });
                self.by_idx.insert(idx, id);
            }
            Err(SubmitError::QueueFull { limit }) => {
                let queued = self.pool.origin_status(&origin, self.now).map_or(0, |s| s.queued);
                assert!(queued >= limit, "queue full with {queued} of {limit} waiting");
            }
            Err(e) => panic!("a valid request was refused: {e:?}"),
        }
    }

    fn connected(&mut self, conn: ConnectionId) {
        let Some(&(_, origin)) = self.connecting.iter().find(|&&(c, _)| c == conn) else { return };
        self.connecting.retain(|&(c, _)| c != conn);
        let host = self.origins[origin].authority();
        self.open
            .insert(conn, Open { origin, link: Link::new(&host), closing_seen: false, alone: None, blocking: None });
        self.pool.handle_connected(self.now, conn);
    }

    fn taint(&mut self, conn: ConnectionId) {
        self.tainted.insert(conn);
        if let Some(open) = self.open.get_mut(&conn) {
            open.link.tainted = true;
        }
        for track in self.requests.values_mut() {
            if track.conns.contains(&conn) {
                track.tainted = true;
            }
        }
    }

    fn write(&mut self, conn: ConnectionId, amount: Amount) {
        let Some(open) = self.open.get_mut(&conn) else { return };
        let before = open.link.accepted;
        let processed = open.link.server.processed.len();
        let n = if open.link.writing() { open.link.write(amount, &self.subs) } else { 0 };
        for idx in open.link.started_since(before) {
            let id = self.by_idx[&idx];
            let track = self.requests.get_mut(&id).expect("tracked");
            track.writes += 1;
            if self.config.connection.non_idempotent == NonIdempotentPolicy::Alone && self.subs[idx].alone() {
                assert!(track.writes <= 1, "non-idempotent {id} written twice (P5, P8)");
            }
        }
        for &idx in &open.link.server.processed[processed..] {
            let id = self.by_idx[&idx];
            let track = self.requests.get_mut(&id).expect("tracked");
            track.processed += 1;
            if !self.subs[idx].replayable() && !track.tainted {
                assert!(track.processed <= 1, "{id}, which may not be replayed, was processed twice (P8)");
            }
        }
        self.pool.handle_written(self.now, conn, n);
    }

    fn deliver(&mut self, conn: ConnectionId, amount: Amount) {
        let Some(open) = self.open.get_mut(&conn) else { return };
        let (data, eof) = open.link.server.take(amount);
        if !data.is_empty() {
            self.pool.handle_received(self.now, conn, &data);
        }
        if eof {
            self.pool.handle_eof(self.now, conn);
        }
    }

    fn timer(&mut self) {
        if let Some(at) = self.pool.poll_timeout() {
            self.now = self.now.max(at);
            self.pool.handle_timeout(self.now);
            self.after();
            if let Some(next) = self.pool.poll_timeout() {
                assert!(next > self.now, "the timeout {next:?} is still due after handle_timeout: a busy loop");
            }
        }
    }

    /// Drains the outputs and checks the invariants; whether anything was
    /// transmitted.
    fn after(&mut self) -> bool {
        self.drain_events();
        let mut wrote = false;
        loop {
            let before: BTreeMap<ConnectionId, usize> =
                self.open.keys().filter_map(|&c| self.pool.connection(c).map(|conn| (c, conn.in_flight()))).collect();
            let held: BTreeSet<ConnectionId> =
                self.open.keys().copied().filter(|&c| self.pool.connection(c).is_some_and(|c| c.is_held())).collect();
            let mut buf = Vec::new();
            let Some((conn, n)) = self.pool.poll_transmit(self.now, &mut buf) else { break };
            assert_eq!(n, buf.len(), "transmit length");
            assert!(!held.contains(&conn), "written on {conn:?} behind a large response (P13)");
            self.on_transmit(conn, before.get(&conn).copied().unwrap_or(0), &buf);
            wrote = true;
            self.drain_events();
        }
        self.drain_events();
        self.check_state();
        wrote
    }

    fn drain_events(&mut self) {
        self.just_closed.clear();
        while let Some(instruction) = self.pool.poll_instruction() {
            trace!("instruction {instruction:?}");
            self.on_instruction(instruction);
        }
        while let Some(event) = self.pool.poll_event() {
            trace!("event {event:?}");
            self.on_event(event);
        }
    }

    fn on_transmit(&mut self, conn: ConnectionId, before: usize, bytes: &[u8]) {
        let open = self.open.get_mut(&conn).expect("a transmit for a connection never opened");
        let idxs = open.link.on_transmit(bytes, &self.subs);
        trace!("transmit on {conn:?}: {idxs:?}");
        let connection = self.pool.connection(conn).expect("a transmit for a closed connection");
        assert!(!open.closing_seen, "written on {conn:?} after a response that closes it (P7)");
        if !open.link.tainted {
            assert!(!open.link.server.close_head_delivered(), "written on {conn:?} after its close response (P7)");
        }
        if let Some((id, at)) = open.alone {
            assert!(connection.responses() > at, "written on {conn:?} behind {id}, which must be alone (P5)");
            open.alone = None;
        }
        let tainted = open.link.tainted;
        let open_conns: BTreeSet<ConnectionId> = self.open.keys().copied().collect();
        let open = self.open.get_mut(&conn).expect("open");
        for &idx in &idxs {
            let id = *self.by_idx.get(&idx).expect("a written request was submitted");
            let track = self.requests.get_mut(&id).expect("tracked");
            assert!(!track.done, "{id} written after its terminal event");
            if let Some(blocking) = open.blocking {
                panic!("{id} written on {conn:?} behind blocking {blocking} before its response began (P13)");
            }
            if self.subs[idx].blocking && !self.subs[idx].whole {
                open.blocking = Some(id);
            }
            if track.conns.iter().any(|c| *c != conn && open_conns.contains(c)) {
                // Another open connection still holds it: a rescue copy.
                assert!(self.subs[idx].replayable(), "{id}, not replayable, copied to {conn:?} (P13)");
                assert!(self.config.connection.rescue_delay.is_some(), "{id} copied with rescue off");
                track.copied = true;
            }
            track.conns.insert(conn);
            track.encodes += 1;
            track.tainted |= tainted;
            if self.config.connection.non_idempotent == NonIdempotentPolicy::Alone && self.subs[idx].alone() {
                assert!(
                    before == 0 && idxs.len() == 1,
                    "non-idempotent {id} written with {before} in flight and {} in its transmit (P5)",
                    idxs.len()
                );
                open.alone = Some((id, connection.responses()));
            }
        }
        let in_flight = connection.in_flight();
        let depth = self.config.connection.depth;
        assert!(in_flight <= depth, "{in_flight} in flight on {conn:?} at depth {depth} (P1)");
        if connection.capability() != Capability::Pipelining {
            assert!(in_flight <= 1, "{in_flight} in flight on {conn:?}, not known to pipeline (P6)");
        }
    }

    fn on_instruction(&mut self, instruction: Instruction) {
        match instruction {
            Instruction::Connect { conn, origin: origin_id } => {
                self.conn_origins.insert(conn, origin_id);
                let origin = self.pool.origin(origin_id).expect("a connect names a known origin").clone();
                let o = self.origins.iter().position(|x| *x == origin).expect("a connect to an unknown origin");
                assert!(!self.open.contains_key(&conn) && !self.connecting.iter().any(|&(c, _)| c == conn));
                self.connecting.push((conn, o));
                let live = self.connecting.iter().filter(|&&(_, x)| x == o).count()
                    + self.open.values().filter(|open| open.origin == o).count();
                assert!(live <= self.config.connections, "{live} connections to {origin} (P11)");
            }
            Instruction::Close { conn, summary, origin } => {
                let asked = self.conn_origins.remove(&conn).expect("a close for a connection never asked for");
                assert_eq!(asked, origin, "a close under another origin than its connect");
                match summary {
                    None => {
                        assert!(!self.open.contains_key(&conn), "an open {conn:?} closed as a failed connect");
                        self.connecting.retain(|&(c, _)| c != conn);
                    }
                    Some(closed) => {
                        let open = self.open.remove(&conn).expect("a close for a connection never opened");
                        if !open.link.tainted {
                            assert_ne!(closed.reason, CloseReason::Protocol, "an honest server broke the protocol");
                        }
                        self.just_closed.insert(conn, open);
                    }
                }
            }
            _ => panic!("an instruction this model does not know: {instruction:?}"),
        }
    }

    fn on_event(&mut self, event: PoolEvent<H1Codec>) {
        // A blocking request's response began (or it ended): what waited
        // behind it, on whichever connection, may be written.
        let about = match &event {
            PoolEvent::Response { id, .. } | PoolEvent::Complete { id, .. } => Some(*id),
            PoolEvent::Failed(failure) => Some(failure.id),
            _ => None,
        };
        for open in self.open.values_mut() {
            if about.is_some() && open.blocking == about {
                open.blocking = None;
            }
        }
        match event {
            PoolEvent::Response { id, part, end, attempts, .. } => {
                let track = self.requests.get_mut(&id).expect("a response for an unknown request");
                assert!(!track.done, "a part for {id} after its terminal event (P12)");
                let sub = &self.subs[track.idx];
                if sub.whole {
                    assert!(matches!(part, ResponsePart::Interim(_)) && !end, "a streamed part for whole-mode {id}");
                }
                let honest = !track.tainted && !track.conns.iter().any(|c| self.tainted.contains(c));
                if honest {
                    if let ResponsePart::Head(head) | ResponsePart::Interim(head) = &part {
                        check_head_target(head, track.idx);
                    }
                }
                if let Some((head, body)) = track.response.part(&part, end) {
                    track.done = true;
                    if honest {
                        check_answer(sub, track.idx, &head, &body);
                        check_attempts(id, track, attempts);
                    }
                }
            }
            PoolEvent::Complete { id, response, attempts } => {
                let track = self.requests.get_mut(&id).expect("a response for an unknown request");
                assert!(!track.done, "a second terminal event for {id} (P12)");
                let sub = &self.subs[track.idx];
                assert!(sub.whole, "a whole response for streaming {id}");
                check_whole(&response);
                track.done = true;
                let honest = !track.tainted && !track.conns.iter().any(|c| self.tainted.contains(c));
                if honest {
                    check_answer(sub, track.idx, &response.head, &response.body);
                    check_attempts(id, track, attempts);
                }
            }
            PoolEvent::Failed(failure) => {
                let track = self.requests.get_mut(&failure.id).expect("a failure for an unknown request");
                assert!(!track.done, "a second terminal event for {} (P12): {failure:?}", failure.id);
                track.done = true;
                let sub = self.subs[track.idx];
                let tainted = track.tainted || track.conns.iter().any(|c| self.tainted.contains(c));
                check_failure(&failure, &sub, track, tainted, self.config.max_tries);
            }
            PoolEvent::Written { id, conn } => {
                let track = self.requests.get_mut(&id).expect("Written for an unknown request");
                assert!(!track.done, "Written for {id} after its terminal event");
                assert!(track.conns.contains(&conn), "Written for {id} on a connection it was never encoded on");
                let open = self
                    .open
                    .get(&conn)
                    .or_else(|| self.just_closed.get(&conn))
                    .expect("Written on a connection not open");
                assert_eq!(
                    open.link.progress(track.idx),
                    Some(Progress::Written),
                    "Written for {id} before its last byte"
                );
                track.written_events += 1;
                assert!(track.written_events <= track.writes, "Written for {id} more often than it was written");
            }
            PoolEvent::Unsolicited { conn, part } => panic!("HTTP/1.1 has no unsolicited messages: {conn:?} {part:?}"),
            PoolEvent::Learned { .. } => {}
            PoolEvent::SendBody { id } => panic!("{id}: these requests have whole contents"),
            PoolEvent::SetupRefused { why, .. } => panic!("HTTP connections have no setup: {why}"),
            PoolEvent::SetupLost { origin } => panic!("HTTP connections have no setup to lose: {origin:?}"),
            PoolEvent::Upgraded { id, conn, .. } => {
                let track = self.requests.get(&id).expect("an upgrade by an unknown request");
                assert!(track.done, "{id} upgraded {conn:?} before its response ended");
            }
        }
        // A non-persistent head seen by the application (streaming mode)
        // is checked through the honest server's record instead: the pool
        // does not say which connection a part came on.
    }

    fn check_state(&self) {
        let open_model = self.requests.values().filter(|t| !t.done).count();
        assert_eq!(self.pool.pending(), open_model, "pending requests differ from the model (P12)");
        for (&conn, open) in &self.open {
            let Some(connection) = self.pool.connection(conn) else {
                panic!("{conn:?} closed without a Close event");
            };
            assert_eq!(
                connection.in_flight() as u64,
                open.link.wire.len() as u64 - connection.responses(),
                "in flight on {conn:?} ≠ written − answered"
            );
            if !open.link.writing() && !connection.is_closing() && connection.queued() > 0 {
                assert!(connection.in_flight() > 0, "requests queued on {conn:?} with nothing in flight");
            }
        }
        for (o, origin) in self.origins.iter().enumerate() {
            let live = self.connecting.iter().filter(|&&(_, x)| x == o).count()
                + self.open.values().filter(|open| open.origin == o).count();
            assert!(live <= self.config.connections, "{live} connections to {origin} (P11)");
            if let Some(status) = self.pool.origin_status(origin, self.now) {
                assert_eq!(status.open, self.open.values().filter(|open| open.origin == o).count(), "open count");
                assert_eq!(status.connecting, self.connecting.iter().filter(|&&(_, x)| x == o).count());
            }
        }
    }

    /// Lets every server finish and every connect succeed, moving the clock
    /// to each deadline, until no request is left. One still pending with
    /// no deadline left is stuck.
    fn settle(&mut self) {
        for _ in 0..20_000 {
            if self.pool.pending() == 0 {
                return;
            }
            let mut moved = false;
            let connecting: Vec<ConnectionId> = self.connecting.iter().map(|&(c, _)| c).collect();
            for conn in connecting {
                self.connected(conn);
                moved = true;
            }
            let conns: Vec<ConnectionId> = self.open.keys().copied().collect();
            for conn in conns {
                let Some(open) = self.open.get(&conn) else { continue };
                let busy = open.link.writing() || open.link.server.undelivered() > 0 || open.link.server.eof_due();
                if busy {
                    self.write(conn, Amount::All);
                    self.deliver(conn, Amount::All);
                    moved = true;
                }
            }
            moved |= self.after();
            if moved {
                continue;
            }
            if self.pool.poll_timeout().is_none() {
                panic!("{} requests stuck with no deadline", self.pool.pending());
            }
            self.timer();
        }
        panic!("the pool did not settle");
    }

    /// Closes the pool and checks every request ended exactly once.
    fn close(&mut self) {
        self.pool.close(self.now);
        self.after();
        assert_eq!(self.pool.pending(), 0, "requests pending after close (P12)");
        for (id, track) in &self.requests {
            assert!(track.done, "{id} never ended (P12)");
        }
        assert!(self.open.is_empty(), "connections open after close: {:?}", self.open.keys().collect::<Vec<_>>());
        assert!(self.connecting.is_empty(), "connects pending after close");
    }
}

fn check_failure(failure: &Failure<H1Codec>, sub: &Submission, track: &Track, tainted: bool, max_tries: u32) {
    let id = failure.id;
    assert!(failure.tries.len() as u32 <= max_tries, "{id} spent {} tries of {max_tries}", failure.tries.len());
    if !tainted && track.copied {
        check_attempts(id, track, failure.attempts);
    } else if !tainted {
        // A request cancelled while encoded but not yet accepted counts as
        // written: the caller must finish writing its transmit.
        let ended_early = matches!(failure.cause, Cause::Cancelled | Cause::Deadline);
        assert!(
            failure.attempts == track.writes
                || (ended_early && failure.progress == Progress::PartlyWritten && failure.attempts == track.writes + 1),
            "{id} failed after {} attempts, {} seen on the wire",
            failure.attempts,
            track.writes
        );
    }
    match failure.kind {
        ErrorKind::Cancelled => assert_eq!(failure.cause, Cause::Cancelled),
        ErrorKind::MayHaveBeenProcessed => {
            // Streamed parts cannot be taken back: such a request is never
            // replayed once its response began.
            assert!(
                !sub.replayable() || (failure.progress == Progress::ResponsePartlyReceived && !sub.whole),
                "replayable {id} failed as may_have_been_processed"
            );
            assert!(failure.progress > Progress::NotWritten, "unwritten {id} may have been processed");
        }
        ErrorKind::MaxTries => {
            assert!(max_tries > 1, "max_tries with one try allowed");
            assert_eq!(failure.tries.len() as u32, max_tries, "max_tries before the tries were spent");
            assert!(sub.replayable(), "{id} replayed although not replayable");
        }
        ErrorKind::Connect => assert_eq!(failure.progress, Progress::NotWritten, "connect failure after writing"),
        ErrorKind::Protocol | ErrorKind::Limit => {
            assert!(tainted, "an honest response to {id} was rejected: {failure:?}");
        }
        ErrorKind::InvalidRequest => panic!("a valid request failed as invalid: {failure:?}"),
        _ => {}
    }
    if !sub.replayable() {
        assert!(failure.tries.is_empty(), "{id} spent a try although it may not be replayed");
    }
}

/// A request's attempts agree with the wire: exactly the writes seen, or,
/// for one with a rescue copy (P13), between the writes seen and the times
/// it was encoded (a copy encoded but not yet written counts: its transmit
/// is finished by the caller).
fn check_attempts(id: RequestId, track: &Track, attempts: u32) {
    if track.copied {
        assert!(
            track.writes <= attempts && attempts <= track.encodes,
            "attempts of copied {id}: {attempts}, {} written, {} encoded",
            track.writes,
            track.encodes
        );
    } else {
        assert_eq!(attempts, track.writes, "attempts of {id}");
    }
}
