//! `dispatch_ops`: a sequence of operations applied to a
//! `Dispatcher<H1Factory>` — the layer every driver uses over the pool —
//! with three origins whose connections are answered by the honest fake
//! servers of `pool_ops`, refused, cut, reset, timed out or fed hostile
//! bytes, and a consumer that takes (or does not take) what each request
//! holds, so a small body buffer pauses and resumes reading. Checked at
//! every step:
//!
//! * P12: each request `submit` accepted yields exactly one terminal item
//!   to `take` — never two, nothing after it, and none missing once the
//!   servers answered and the consumer drained (a cancelled request's
//!   caller is gone: it is owed nothing and holds nothing);
//! * nothing is told or held for an id never handed out (`Notice::Request`,
//!   `take`, `holds`);
//! * C5: a refused submission says why with its kind — `QueueFull` is
//!   `limit`, carries the configured limit, and comes only when the origin
//!   has no room or others wait for it; `Closed` only once shutting down;
//! * P1: a connection is paused only while open and not paused already,
//!   resumed only when paused; a paused connection is not read (as a
//!   driver would); while one is paused some request still holds more
//!   than half the body buffer, and once the consumer has taken
//!   everything no connection is left paused; a request's mailbox holds at
//!   most the body buffer plus one read;
//! * waiters: every one told `Room` eventually gets in (or is refused with
//!   `Closed`, or its deadline fails its request), and none is left once
//!   everything settled;
//! * `poll_timeout` is never left in the past by `handle_timeout`;
//! * honest responses reach the request that asked for them, whole or
//!   streamed, and their parts come in order.

use crate::script::{Amount, Submission};
use crate::server::Link;
use crate::track::{ResponseTrack, check_answer, check_head_target, check_whole};
use crate::{CannedResponse, trace};
use arbitrary::{Arbitrary, Unstructured};
use pipelining::dispatch::{Delivery, DispatchConfig, Dispatcher, Notice, WaiterId};
use pipelining::h1::{H1Factory, ResponsePart};
use pipelining::{ConnectionId, Duration, ErrorKind, Instant, Instruction, Origin, PoolConfig, RequestId, SubmitError};
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
    body_buffer: u8,
    stall_ms: u16,
    idle_ms: Option<u16>,
    connect_timeout_ms: Option<u16>,
    request_timeout_ms: Option<u16>,
}

impl Setup {
    fn pool(&self) -> PoolConfig {
        let mut config = PoolConfig::DEFAULT;
        config.connection.depth = usize::from(self.depth % 5).max(1);
        config.connection.stall_timeout = Some(Duration::from_millis(u64::from(self.stall_ms.max(1))));
        config.connection.idle_timeout = self.idle_ms.map(|ms| Duration::from_millis(u64::from(ms.max(1))));
        config.connections = usize::from(self.connections % 3).max(1);
        config.max_tries = u32::from(self.max_tries % 4).max(1);
        // Small queues, so submissions are refused and wait for room.
        config.queue_limit = usize::from(self.queue_limit % 4) + 1;
        config.connect_timeout = self.connect_timeout_ms.map(|ms| Duration::from_millis(u64::from(ms.max(1))));
        config
    }

    fn dispatch(&self) -> DispatchConfig {
        let mut config = DispatchConfig::DEFAULT;
        // Bodies of the honest server are a few bytes: a buffer this small
        // makes a consumer that does not take fall behind.
        config.body_buffer = u64::from(self.body_buffer % 16) + 1;
        config
    }
}

/// How the consumer takes from a request.
#[derive(Arbitrary, Clone, Copy, Debug)]
enum Taking {
    /// One item (`take`).
    One,
    /// Everything there is.
    All,
    /// `take_last`, then `take_end`.
    Last,
}

/// One step of the scenario. Connections, requests and waiters are picked
/// by index among the current ones.
#[derive(Arbitrary, Debug)]
enum Op {
    Submit { origin: u8, sub: Submission },
    SubmitWaiting(u8),
    CancelWaiting(u8),
    Cancel(u8),
    Take { request: u8, taking: Taking },
    TakeUnknown(u64),
    Connected(u8),
    ConnectFailed(u8),
    Write { conn: u8, amount: Amount },
    Deliver { conn: u8, amount: Amount },
    Step,
    Hostile { conn: u8, bytes: Vec<u8> },
    Canned { conn: u8, canned: CannedResponse },
    Eof(u8),
    IoFailure(u8),
    Advance(u16),
    Timer,
    SetDepth(u8),
    ShutDown,
}

/// What the harness knows of one accepted request.
#[derive(Debug, Default)]
struct Track {
    idx: usize,
    /// Its terminal item was taken.
    ended: bool,
    /// Its caller is gone (`cancel`).
    cancelled: bool,
    /// Its request failed without being sent (a waiter past its deadline).
    unsent: bool,
    /// Connections it was encoded on.
    conns: BTreeSet<ConnectionId>,
    /// One of them got bytes not from the honest server.
    tainted: bool,
    response: ResponseTrack,
}

/// A caller waiting for room, holding its submission.
#[derive(Debug)]
struct Waiting {
    origin: usize,
    sub: Submission,
    /// Told `Room` since it last tried.
    told: bool,
}

struct Open {
    origin: usize,
    link: Link,
}

struct Harness {
    d: Dispatcher<H1Factory>,
    pool: PoolConfig,
    dispatch: DispatchConfig,
    origins: [Origin; 3],
    subs: Vec<Submission>,
    now: Instant,
    requests: BTreeMap<RequestId, Track>,
    by_idx: BTreeMap<usize, RequestId>,
    waiters: BTreeMap<WaiterId, Waiting>,
    connecting: Vec<(ConnectionId, usize)>,
    open: BTreeMap<ConnectionId, Open>,
    paused: BTreeSet<ConnectionId>,
    tainted: BTreeSet<ConnectionId>,
    /// The largest read handed to the dispatcher: a mailbox may pass its
    /// buffer by what one read decodes before the pause takes effect.
    largest_read: u64,
    shut_down: bool,
}

/// Runs the target on `data`; panics only on a violated property.
pub fn run(data: &[u8]) {
    let mut u = Unstructured::new(data);
    let Ok(setup) = Setup::arbitrary(&mut u) else { return };
    trace!("setup {setup:?}");
    let (pool, dispatch) = (setup.pool(), setup.dispatch());
    let request_timeout = setup.request_timeout_ms.map(|ms| Duration::from_millis(u64::from(ms.max(1))));
    let d = Dispatcher::new(H1Factory::default(), pool, dispatch)
        .expect("valid config")
        .with_request_timeout(request_timeout);
    let mut h = Harness {
        d,
        pool,
        dispatch,
        origins: origins(),
        subs: Vec::new(),
        now: Instant::from_millis(1_000),
        requests: BTreeMap::new(),
        by_idx: BTreeMap::new(),
        waiters: BTreeMap::new(),
        connecting: Vec::new(),
        open: BTreeMap::new(),
        paused: BTreeSet::new(),
        tainted: BTreeSet::new(),
        largest_read: 0,
        shut_down: false,
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
    h.finish();
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
            Op::SubmitWaiting(k) => {
                if let Some(waiter) = pick(self.waiters.keys().copied(), k) {
                    self.submit_waiting(waiter);
                }
            }
            Op::CancelWaiting(k) => {
                if let Some(waiter) = pick(self.waiters.keys().copied(), k) {
                    self.waiters.remove(&waiter);
                    self.d.cancel_waiting(waiter);
                }
            }
            Op::Cancel(k) => {
                if let Some(id) = pick(self.live(), k) {
                    self.requests.get_mut(&id).expect("tracked").cancelled = true;
                    self.d.cancel(now, id);
                    assert!(!self.d.holds(id), "{id} still held after its caller left");
                    assert!(self.d.take(now, id).is_none(), "an item for {id} after its caller left");
                }
            }
            Op::Take { request, taking } => {
                if let Some(id) = pick(self.live(), request) {
                    self.take(id, taking);
                }
            }
            Op::TakeUnknown(raw) => {
                // Ids are handed out from 0 upwards: one past every id handed
                // out is unknown.
                let known = self.requests.keys().next_back().map_or(0, |id| id.get() + 1);
                let id = RequestId::from_raw(known.saturating_add(raw));
                assert!(!self.d.holds(id), "{id} held but never handed out");
                assert!(self.d.take(now, id).is_none(), "an item for {id}, never handed out");
                assert!(self.d.take_last(now, id).is_none() && self.d.take_end(now, id).is_none(), "{id}");
                assert!(self.d.take_upgrade(id).is_none(), "an upgrade for {id}, never handed out");
            }
            Op::Connected(k) => {
                if let Some((conn, _)) = pick(self.connecting.iter().copied(), k) {
                    self.connected(conn);
                }
            }
            Op::ConnectFailed(k) => {
                if let Some((conn, _)) = pick(self.connecting.iter().copied(), k) {
                    self.connecting.retain(|&(c, _)| c != conn);
                    self.d.handle_connect_failed(now, conn, "connection refused");
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
                if let Some(conn) = pick(self.readable(), conn) {
                    if !bytes.is_empty() {
                        self.taint(conn);
                        self.read(conn, &bytes);
                    }
                }
            }
            Op::Canned { conn, canned } => {
                if let Some(conn) = pick(self.readable(), conn) {
                    self.taint(conn);
                    self.read(conn, canned.bytes());
                }
            }
            Op::Eof(k) => {
                if let Some(conn) = pick(self.readable(), k) {
                    if self.open.get(&conn).is_some_and(|open| open.link.server.abort_cuts_body()) {
                        self.taint(conn);
                    }
                    if let Some(open) = self.open.get_mut(&conn) {
                        open.link.server.abort();
                    }
                    self.d.handle_eof(now, conn);
                }
            }
            Op::IoFailure(k) => {
                let all: Vec<ConnectionId> =
                    self.open.keys().copied().chain(self.connecting.iter().map(|&(c, _)| c)).collect();
                if let Some(conn) = pick(all.into_iter(), k) {
                    if let Some(open) = self.open.get_mut(&conn) {
                        open.link.server.abort();
                    }
                    self.connecting.retain(|&(c, _)| c != conn);
                    self.d.handle_io_failure(now, conn, "connection reset by peer", Some(104));
                }
            }
            Op::Advance(ms) => {
                self.now = self.now + Duration::from_millis(u64::from(ms));
                self.d.handle_timeout(self.now);
            }
            Op::Timer => self.timer(),
            Op::SetDepth(depth) => {
                let depth = usize::from(depth % 5).max(1);
                self.d.set_depth(now, depth).expect("a depth of at least one");
                self.pool.connection.depth = depth;
            }
            Op::ShutDown => {
                self.shut_down = true;
                self.d.shut_down(now);
                assert!(self.d.is_shutting_down());
            }
        }
    }

    /// Requests whose caller still waits for their outcome.
    fn live(&self) -> impl Iterator<Item = RequestId> + '_ {
        self.requests.iter().filter(|(_, t)| !t.ended && !t.cancelled).map(|(&id, _)| id)
    }

    /// Open connections a driver reads: not paused.
    fn readable(&self) -> impl Iterator<Item = ConnectionId> + '_ {
        self.open.keys().copied().filter(|c| !self.paused.contains(c))
    }

    fn submit(&mut self, origin: usize, sub: Submission) {
        let idx = self.subs.len();
        self.subs.push(sub);
        let o = self.origins[origin].clone();
        let had_room = self.d.has_room(&o);
        // A waiter told of room (or of its deadline) no longer holds its
        // place: it tries again or gives up, and a newcomer may go first.
        let waited_for = self.waiters.values().any(|w| w.origin == origin && !w.told);
        match self.d.submit(self.now, &o, sub.request(idx), sub.options(self.now)).map_err(|refused| refused.error) {
            Ok(id) => {
                assert!(!self.shut_down, "{id} accepted while shutting down");
                assert!(!waited_for, "{id} overtook a waiting submission (P5)");
                self.accepted(id, idx);
            }
            Err(SubmitError::QueueFull { limit }) => {
                assert_eq!(SubmitError::<()>::QueueFull { limit }.kind(), ErrorKind::Limit, "C5");
                assert_eq!(limit, self.pool.queue_limit, "the limit a full queue names");
                assert!(!had_room, "refused as full although the origin had room");
                assert!(!self.shut_down, "refused as full, not closed, while shutting down");
                let waiter = self.d.wait_for_room(self.now, &o);
                assert!(!self.waiters.contains_key(&waiter), "a waiter id reused");
                self.waiters.insert(waiter, Waiting { origin, sub, told: false });
            }
            Err(SubmitError::Closed) => {
                assert!(self.shut_down, "refused as closed before shutting down");
                assert_eq!(SubmitError::<()>::Closed.kind(), ErrorKind::ConnectionLost, "C5");
            }
            Err(e) => panic!("a valid request was refused: {e:?}"),
        }
    }

    fn accepted(&mut self, id: RequestId, idx: usize) {
        assert!(!self.requests.contains_key(&id), "request id {id} handed out twice");
        assert!(self.d.holds(id), "{id} accepted but not held");
        self.requests.insert(id, Track { idx, ..Track::default() });
        self.by_idx.insert(idx, id);
    }

    fn submit_waiting(&mut self, waiter: WaiterId) {
        let Some(waiting) = self.waiters.get_mut(&waiter) else { return };
        let (origin, sub, told) = (waiting.origin, waiting.sub, waiting.told);
        waiting.told = false;
        let idx = self.subs.len();
        self.subs.push(sub);
        let o = self.origins[origin].clone();
        let pending = self.d.pool().pending();
        match self
            .d
            .submit_waiting(self.now, waiter, &o, sub.request(idx), sub.options(self.now))
            .map_err(|refused| refused.error)
        {
            Ok(id) => {
                self.waiters.remove(&waiter);
                self.accepted(id, idx);
                if self.d.pool().pending() == pending {
                    // Its deadline passed while it waited: it fails unsent,
                    // never reaching the pool.
                    self.requests.get_mut(&id).expect("tracked").unsent = true;
                }
            }
            Err(SubmitError::QueueFull { limit }) => {
                assert_eq!(limit, self.pool.queue_limit, "the limit a full queue names");
                assert!(!self.shut_down || !told, "a waiter told while shutting down refused as full");
            }
            Err(SubmitError::Closed) => {
                assert!(self.shut_down, "a waiter refused as closed before shutting down");
                self.waiters.remove(&waiter);
            }
            Err(e) => panic!("a valid request was refused: {e:?}"),
        }
    }

    fn take(&mut self, id: RequestId, taking: Taking) {
        match taking {
            Taking::One => {
                if let Some(taken) = self.d.take(self.now, id) {
                    self.on_item(id, taken.item);
                }
            }
            Taking::All => {
                while let Some(taken) = self.d.take(self.now, id) {
                    self.on_item(id, taken.item);
                }
            }
            Taking::Last => {
                if let Some((part, _)) = self.d.take_last(self.now, id) {
                    if let Some(part) = part {
                        self.on_item(id, Delivery::Part(part));
                    }
                    self.on_item(id, Delivery::End);
                } else if self.d.take_end(self.now, id).is_some() {
                    self.on_item(id, Delivery::End);
                }
            }
        }
    }

    /// One item the consumer took for `id`.
    fn on_item(&mut self, id: RequestId, item: Delivery<pipelining::h1::H1Codec>) {
        trace!("took {id}: {item:?}");
        let track = self.requests.get_mut(&id).expect("an item for a request never accepted");
        assert!(!track.cancelled, "an item for {id} after its caller left");
        assert!(!track.ended, "an item for {id} after its terminal one (P12)");
        let sub = self.subs[track.idx];
        let honest = !track.tainted && !track.conns.iter().any(|c| self.tainted.contains(c));
        if item.is_terminal() {
            track.ended = true;
            assert!(!self.d.holds(id), "{id} still held after its terminal item");
        }
        match item {
            Delivery::Part(part) => {
                assert!(!matches!(part, ResponsePart::End), "the end of {id} as a part, not `End`");
                if sub.whole {
                    assert!(matches!(part, ResponsePart::Interim(_)), "a streamed part for whole-mode {id}");
                }
                if honest {
                    if let ResponsePart::Head(head) | ResponsePart::Interim(head) = &part {
                        check_head_target(head, track.idx);
                    }
                }
                assert!(track.response.part(&part, false).is_none(), "a response of {id} ended without `End`");
            }
            Delivery::End => {
                assert!(!sub.whole, "a streamed end for whole-mode {id}");
                let (head, body) = track.response.part(&ResponsePart::End, true).expect("the end of a response");
                if honest {
                    check_answer(&sub, track.idx, &head, &body);
                }
            }
            Delivery::Complete(response) => {
                assert!(sub.whole, "a whole response for streaming {id}");
                check_whole(&response);
                if honest {
                    check_answer(&sub, track.idx, &response.head, &response.body);
                }
            }
            Delivery::Failed(error) => {
                assert!(!error.message.is_empty(), "{id} failed without a word: {error:?}");
                match error.kind {
                    ErrorKind::InvalidRequest => panic!("a valid request failed as invalid: {error:?}"),
                    ErrorKind::Protocol | ErrorKind::Limit => {
                        assert!(!honest, "an honest response to {id} was rejected: {error:?}");
                    }
                    ErrorKind::Cancelled => panic!("{id} failed as cancelled, but its caller never left"),
                    _ => {}
                }
                if track.unsent {
                    assert_eq!((error.kind, error.attempts), (ErrorKind::Timeout, 0), "{id}, unsent");
                }
            }
        }
    }

    fn connected(&mut self, conn: ConnectionId) {
        let Some(&(_, origin)) = self.connecting.iter().find(|&&(c, _)| c == conn) else { return };
        self.connecting.retain(|&(c, _)| c != conn);
        crate::trace!("connected {conn:?}");
        let host = self.origins[origin].authority();
        self.open.insert(conn, Open { origin, link: Link::new(&host) });
        self.d.handle_connected(self.now, conn);
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
        let n = if open.link.writing() { open.link.write(amount, &self.subs) } else { 0 };
        self.d.handle_written(self.now, conn, n);
    }

    /// The server's bytes, as a driver reads them: nothing while paused.
    fn deliver(&mut self, conn: ConnectionId, amount: Amount) {
        if self.paused.contains(&conn) {
            return;
        }
        let Some(open) = self.open.get_mut(&conn) else { return };
        let (data, eof) = open.link.server.take(amount);
        if !data.is_empty() {
            self.read(conn, &data);
        }
        if eof && self.open.contains_key(&conn) {
            self.d.handle_eof(self.now, conn);
        }
    }

    fn read(&mut self, conn: ConnectionId, data: &[u8]) {
        assert!(!self.paused.contains(&conn), "the harness read a paused connection");
        self.largest_read = self.largest_read.max(data.len() as u64);
        self.d.handle_received(self.now, conn, data);
    }

    fn timer(&mut self) {
        if let Some(at) = self.d.poll_timeout() {
            self.now = self.now.max(at);
            self.d.handle_timeout(self.now);
            if self.d.poll_timeout().is_some_and(|next| next <= self.now) {
                // One more call at the same instant may be asked for: an
                // origin that taught nothing is forgotten at the timer call
                // after the one that made it idle (here: the shutdown's
                // close), once the driver has drained the instructions
                // naming it. A second one is a busy loop.
                self.after();
                self.d.handle_timeout(self.now);
            }
            if let Some(next) = self.d.poll_timeout() {
                trace!("timer at {at:?}, next {next:?}: {:?}", self.d);
                assert!(next > self.now, "the timeout {next:?} is still due after handle_timeout: a busy loop");
            }
        }
    }

    /// Drains the outputs as a driver does and checks the invariants;
    /// whether anything happened.
    fn after(&mut self) -> bool {
        let mut moved = false;
        loop {
            let mut again = false;
            while let Some(instruction) = self.d.poll_instruction() {
                trace!("instruction {instruction:?}");
                self.on_instruction(instruction);
                again = true;
            }
            let mut buf = Vec::new();
            while let Some((conn, n)) = self.d.poll_transmit(self.now, &mut buf) {
                assert_eq!(n, buf.len(), "transmit length");
                self.on_transmit(conn, &buf);
                buf.clear();
                again = true;
            }
            while let Some(notice) = self.d.poll_notice() {
                trace!("notice {notice:?}");
                self.on_notice(notice);
                again = true;
            }
            if !again {
                break;
            }
            moved = true;
        }
        self.check_state();
        moved
    }

    fn on_instruction(&mut self, instruction: Instruction) {
        match instruction {
            Instruction::Connect { conn, origin: origin_id } => {
                let origin = self.d.pool().origin(origin_id).expect("a connect names a known origin").clone();
                let o = self.origins.iter().position(|x| *x == origin).expect("a connect to an unknown origin");
                assert!(!self.open.contains_key(&conn) && !self.connecting.iter().any(|&(c, _)| c == conn));
                self.connecting.push((conn, o));
                let live = self.connecting.iter().filter(|&&(_, x)| x == o).count()
                    + self.open.values().filter(|open| open.origin == o).count();
                assert!(live <= self.pool.connections, "{live} connections to {origin} (P11)");
            }
            Instruction::Close { conn, summary, .. } => {
                if summary.is_some() {
                    assert!(self.open.remove(&conn).is_some(), "a close for a connection never opened");
                } else {
                    // A connect the pool gave up on. The driver may have seen
                    // it finish meanwhile (its `Connected` crossed this
                    // instruction, and the pool ignored it): the transport
                    // closes either way.
                    self.connecting.retain(|&(c, _)| c != conn);
                    self.open.remove(&conn);
                }
                self.paused.remove(&conn);
            }
            Instruction::PauseReading { conn } => {
                assert!(self.open.contains_key(&conn), "pausing {conn:?}, which is not open");
                assert!(self.paused.insert(conn), "{conn:?} paused twice");
            }
            Instruction::ResumeReading { conn } => {
                assert!(self.paused.remove(&conn), "{conn:?} resumed but not paused");
            }
            other => panic!("an instruction this model does not know: {other:?}"),
        }
    }

    fn on_transmit(&mut self, conn: ConnectionId, bytes: &[u8]) {
        let open = self.open.get_mut(&conn).expect("a transmit for a connection never opened");
        let idxs = open.link.on_transmit(bytes, &self.subs);
        trace!("transmit on {conn:?}: {idxs:?}");
        let tainted = open.link.tainted;
        for idx in idxs {
            let id = *self.by_idx.get(&idx).expect("a written request was submitted");
            let track = self.requests.get_mut(&id).expect("tracked");
            assert!(!track.ended, "{id} written after its terminal item was taken");
            assert!(!track.unsent, "{id} written although it failed unsent");
            track.conns.insert(conn);
            track.tainted |= tainted;
        }
    }

    fn on_notice(&mut self, notice: Notice) {
        match notice {
            Notice::Request(id) => {
                let track = self.requests.get(&id).expect("a notice for a request never handed out");
                assert!(!track.ended, "a notice for {id} after its terminal item");
                assert!(track.cancelled || self.d.holds(id), "a notice for {id}, which holds nothing");
            }
            Notice::Room(waiter) => {
                // A waiter that left is not told; one told twice waits to
                // try once.
                let waiting = self.waiters.get_mut(&waiter).expect("Room for a waiter not waiting");
                waiting.told = true;
            }
            Notice::Upgraded { id, conn } => {
                let track = self.requests.get(&id).expect("an upgrade by an unknown request");
                assert!(!track.cancelled, "{id}, cancelled, upgraded {conn:?}");
                let (on, _) = self.d.take_upgrade(id).expect("the upgraded connection, at its notice");
                assert_eq!(on, conn, "the upgrade of {id} on another connection");
            }
            Notice::Unsolicited => panic!("HTTP/1.1 has no unsolicited messages"),
            Notice::SendBody(id) => panic!("{id}: these requests have whole contents"),
            Notice::Learned { .. } | Notice::Connecting { .. } => {}
            other => panic!("a notice this model does not know: {other:?}"),
        }
    }

    fn check_state(&mut self) {
        let held = self.requests.iter().filter(|(_, t)| !t.ended && !t.cancelled).count();
        assert_eq!(self.d.outstanding(), held, "requests held differ from the model (P12)");
        // A waiter whose deadline passed is out of line until it learns it.
        assert!(self.d.waiting() <= self.waiters.len(), "more waiters than the model's");
        let limit = self.dispatch.body_buffer + self.largest_read;
        let mut behind = false;
        for id in self.live() {
            let buffered = self.d.buffered(id).expect("a live request is held");
            assert!(buffered <= limit, "{id} holds {buffered} bytes, past the buffer and one read ({limit})");
            behind |= buffered > self.dispatch.body_buffer / 2;
        }
        if !self.paused.is_empty() {
            assert!(behind, "{:?} paused with no consumer behind (a stuck pause)", self.paused);
        }
        assert!(self.d.take_unsolicited(self.now).is_none(), "an unsolicited HTTP/1.1 message");
    }

    /// The consumer takes everything there is; whether it took anything.
    fn drain(&mut self) -> bool {
        let ids: Vec<RequestId> = self.live().collect();
        let mut took = false;
        for id in ids {
            while let Some(taken) = self.d.take(self.now, id) {
                self.on_item(id, taken.item);
                took = true;
            }
        }
        took
    }

    /// Lets every server finish, every connect succeed, every told waiter
    /// submit and the consumer take everything, moving the clock to each
    /// deadline, until no request or waiter is left. One still left with
    /// no deadline to wait for is stuck.
    fn settle(&mut self) {
        for _ in 0..20_000 {
            let mut moved = self.after();
            moved |= self.drain();
            moved |= self.after();
            if self.d.outstanding() == 0 && self.waiters.is_empty() {
                assert!(self.paused.is_empty(), "{:?} paused with nothing left to take", self.paused);
                return;
            }
            if !moved {
                // Everything there was is taken: no pause may be left.
                assert!(self.paused.is_empty(), "{:?} still paused after the consumer caught up", self.paused);
            }
            let told: Vec<WaiterId> = self.waiters.iter().filter(|(_, w)| w.told).map(|(&w, _)| w).collect();
            for waiter in told {
                self.submit_waiting(waiter);
                moved = true;
            }
            let connecting: Vec<ConnectionId> = self.connecting.iter().map(|&(c, _)| c).collect();
            for conn in connecting {
                self.connected(conn);
                moved = true;
            }
            let conns: Vec<ConnectionId> = self.open.keys().copied().collect();
            for conn in conns {
                let Some(open) = self.open.get(&conn) else { continue };
                let busy = open.link.writing() || open.link.server.undelivered() > 0 || open.link.server.eof_due();
                if busy && !self.paused.contains(&conn) {
                    self.write(conn, Amount::All);
                    self.deliver(conn, Amount::All);
                    moved = true;
                }
            }
            if moved {
                continue;
            }
            if self.d.poll_timeout().is_none() {
                panic!("{} requests and {} waiters stuck with no deadline", self.d.outstanding(), self.waiters.len());
            }
            self.timer();
        }
        panic!("the dispatcher did not settle");
    }

    /// Shuts down and checks every accepted request ended exactly once
    /// for a caller still there, and that the dispatcher finishes.
    fn finish(&mut self) {
        self.shut_down = true;
        self.d.shut_down(self.now);
        self.after();
        for (id, track) in &self.requests {
            assert!(track.ended || track.cancelled, "{id} never ended (P12)");
        }
        assert_eq!(self.d.outstanding(), 0, "requests held after everything ended");
        // Connects under way finish (or fail) before the dispatcher does.
        for _ in 0..100 {
            if self.connecting.is_empty() {
                break;
            }
            let connecting: Vec<ConnectionId> = self.connecting.iter().map(|&(c, _)| c).collect();
            for conn in connecting {
                self.connected(conn);
            }
            self.after();
        }
        assert!(self.d.is_finished(), "shut down with nothing outstanding, but not finished");
        assert!(self.open.is_empty(), "connections open after the shutdown: {:?}", self.open.keys());
        assert!(self.paused.is_empty(), "connections paused after the shutdown");
    }
}
