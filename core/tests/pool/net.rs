//! A virtual network for the pool: one scripted HTTP/1.1 server per origin
//! ([`Script`]; each connection's end is the shared peer, see `link.rs`),
//! accepting (or refusing) the connections the pool asks for, on a virtual
//! clock. Nothing sleeps: [`Net::step`] moves bytes one hop each way and,
//! when nothing moved, jumps the clock to the pool's next deadline (the
//! quinn-proto `Pair` shape).
//!
//! Every server counts, per connection, the requests it received (method,
//! target, how many were outstanding then), the responses it sent and the
//! most it ever had outstanding. Each response names its request's target in
//! an `X-Target` field and in its body, so a response handed to the wrong
//! request is caught.

use crate::link::{Link, body_for};
use crate::script::{Answer, Connect, Fault, Plan, Script};
use crate::seen::{ConnStats, End, Server};
use bytes::Bytes;
use pipelining::h1::{H1Factory, Method, Request, ResponsePart};
use pipelining::{
    CloseReason, CloseSummary, ConnectionId, Duration, ErrorKind, Fact, Instant, Instruction, Origin, OriginStatus,
    Pool, PoolConfig, PoolEvent, Progress, RequestId, RequestOptions, SubmitError,
};
use pipelining_peer::End as PeerEnd;
use std::collections::BTreeMap;
use std::fmt::Write as _;

// ---- the client side ----

/// A request's terminal outcome.
#[derive(Clone, Debug)]
pub(crate) enum Outcome {
    Response {
        status: u16,
        /// The response's `X-Target` field.
        target: Option<String>,
        body: Vec<u8>,
        attempts: u32,
    },
    Failed {
        kind: ErrorKind,
        attempts: u32,
        tries: Vec<CloseReason>,
        progress: Progress,
        cause: String,
    },
}

impl Outcome {
    pub(crate) fn attempts(&self) -> u32 {
        match self {
            Outcome::Response { attempts, .. } | Outcome::Failed { attempts, .. } => *attempts,
        }
    }

    pub(crate) fn kind(&self) -> Option<ErrorKind> {
        match self {
            Outcome::Failed { kind, .. } => Some(*kind),
            Outcome::Response { .. } => None,
        }
    }

    pub(crate) fn is_response(&self) -> bool {
        matches!(self, Outcome::Response { .. })
    }
}

/// A submitted request.
#[derive(Clone, Debug)]
pub(crate) struct Submitted {
    pub(crate) origin: Origin,
    pub(crate) method: Method,
    pub(crate) target: String,
}

#[derive(Default)]
struct Partial {
    status: Option<u16>,
    target: Option<String>,
    body: Vec<u8>,
}

/// A connect the pool asked for, answered at the next step.
struct PendingConnect {
    conn: ConnectionId,
    origin: Origin,
    answer: Connect,
}

/// The pool, its driver and the servers, on one virtual clock.
pub(crate) struct Net {
    pub(crate) pool: Pool<H1Factory>,
    pub(crate) now: Instant,
    /// Time each step takes.
    pub(crate) tick: Duration,
    /// Bytes the client's transport accepts per step.
    pub(crate) write_chunk: usize,
    /// Bytes handed to the pool per `handle_received`.
    pub(crate) read_chunk: usize,
    config: PoolConfig,
    servers: BTreeMap<Origin, Server>,
    links: BTreeMap<ConnectionId, Link>,
    connects: Vec<PendingConnect>,
    hung: BTreeMap<ConnectionId, Origin>,
    /// Connections asked for and not yet closed or refused (driver view).
    driver_conns: BTreeMap<ConnectionId, Origin>,
    pub(crate) max_driver_open: BTreeMap<Origin, usize>,
    requests: BTreeMap<RequestId, Submitted>,
    partial: BTreeMap<RequestId, Partial>,
    /// `Written` events per request.
    written: BTreeMap<RequestId, u32>,
    outcomes: BTreeMap<RequestId, Vec<Outcome>>,
    /// Requests in the order their terminal events came.
    pub(crate) ended: Vec<RequestId>,
    /// Capability events: when, origin, capability, demoted until.
    /// What the pool learned, when, about which origin.
    pub(crate) learned: Vec<(Instant, Origin, Fact)>,
    /// Close events of open connections: when, connection, summary.
    pub(crate) closes: Vec<(Instant, ConnectionId, CloseSummary)>,
    /// Connects the pool abandoned (refused or timed out), with when.
    pub(crate) abandoned: Vec<(Instant, ConnectionId)>,
    violations: Vec<String>,
    /// The receipt count when an origin's first open connection closed:
    /// until then nothing was handed back, so nothing could reorder.
    first_close: BTreeMap<Origin, u64>,
    seq: u64,
    next_target: u64,
    buf: Vec<u8>,
}

impl Net {
    pub(crate) fn new(config: PoolConfig) -> Self {
        Net {
            pool: Pool::new(H1Factory::default(), config).expect("valid config"),
            now: Instant::from_millis(1_000),
            tick: Duration::from_millis(1),
            write_chunk: usize::MAX,
            read_chunk: usize::MAX,
            config,
            servers: BTreeMap::new(),
            links: BTreeMap::new(),
            connects: Vec::new(),
            hung: BTreeMap::new(),
            driver_conns: BTreeMap::new(),
            max_driver_open: BTreeMap::new(),
            requests: BTreeMap::new(),
            partial: BTreeMap::new(),
            written: BTreeMap::new(),
            outcomes: BTreeMap::new(),
            ended: Vec::new(),
            learned: Vec::new(),
            closes: Vec::new(),
            abandoned: Vec::new(),
            violations: Vec::new(),
            first_close: BTreeMap::new(),
            seq: 0,
            next_target: 0,
            buf: Vec::new(),
        }
    }

    /// Starts a server for `host` and returns its origin.
    pub(crate) fn server(&mut self, host: &str, script: Script) -> Origin {
        let origin = Origin::new("http", host, 80);
        self.servers
            .insert(origin.clone(), Server { script, conns: Vec::new(), connect_attempts: 0, max_open: 0, open: 0 });
        origin
    }

    pub(crate) fn stats(&self, origin: &Origin) -> &Server {
        &self.servers[origin]
    }

    pub(crate) fn script_mut(&mut self, origin: &Origin) -> &mut Script {
        &mut self.servers.get_mut(origin).expect("a known origin").script
    }

    pub(crate) fn status(&self, origin: &Origin) -> OriginStatus {
        self.pool.origin_status(origin, self.now).expect("an origin the pool has seen")
    }

    /// The open connections of `origin`, oldest first.
    pub(crate) fn open_conns(&self, origin: &Origin) -> Vec<ConnectionId> {
        self.links.iter().filter(|(_, l)| &l.origin == origin).map(|(&c, _)| c).collect()
    }

    /// Changes how the server answers on every open connection of `origin`
    /// and on later ones.
    pub(crate) fn set_answer(&mut self, origin: &Origin, answer: Answer) {
        for link in self.links.values_mut().filter(|l| &l.origin == origin) {
            link.set_answer(answer);
        }
        self.script_mut(origin).plan.answer = answer;
    }

    /// Changes how the server answers on one connection.
    pub(crate) fn set_conn_answer(&mut self, conn: ConnectionId, answer: Answer) {
        self.links.get_mut(&conn).expect("an open connection").set_answer(answer);
    }

    /// The plan of the next connection the server accepts.
    pub(crate) fn next_plan(&mut self, origin: &Origin, plan: Plan) {
        self.script_mut(origin).plans.push_back(plan);
    }

    /// Puts a fault on every open connection of `origin` and on later ones.
    pub(crate) fn set_fault(&mut self, origin: &Origin, fault: Option<Fault>) {
        for link in self.links.values_mut().filter(|l| &l.origin == origin) {
            link.set_fault(fault);
        }
        self.script_mut(origin).plan.fault = fault;
    }

    // ---- the client's commands ----

    /// A request to `origin` with a fresh target; POST and PUT carry a body.
    pub(crate) fn request(&mut self, origin: &Origin, method: Method) -> Request {
        let n = self.next_target;
        self.next_target += 1;
        let target = format!("/{}/{n}", origin.host());
        let request = Request::new(method.clone(), Bytes::from(target));
        if method == Method::POST || method == Method::PUT {
            request.with_body(Bytes::from(format!("payload {n}")))
        } else {
            request
        }
    }

    pub(crate) fn try_submit(
        &mut self,
        origin: &Origin,
        method: Method,
        options: RequestOptions,
    ) -> Result<RequestId, SubmitError<pipelining::h1::EncodeError>> {
        let request = self.request(origin, method);
        let target = String::from_utf8(request.target.to_vec()).expect("ASCII target");
        let method = request.method.clone();
        let id = self.pool.submit(self.now, origin, request, options).map_err(|refused| refused.error)?;
        self.requests.insert(id, Submitted { origin: origin.clone(), method, target });
        self.drain();
        Ok(id)
    }

    pub(crate) fn submit(&mut self, origin: &Origin, method: Method) -> RequestId {
        self.try_submit(origin, method, RequestOptions::default()).expect("submit accepted")
    }

    pub(crate) fn get(&mut self, origin: &Origin) -> RequestId {
        self.submit(origin, Method::GET)
    }

    pub(crate) fn gets(&mut self, origin: &Origin, n: usize) -> Vec<RequestId> {
        (0..n).map(|_| self.get(origin)).collect()
    }

    /// `n` GETs with `options` (whole-response mode, …).
    pub(crate) fn gets_with(&mut self, origin: &Origin, n: usize, options: RequestOptions) -> Vec<RequestId> {
        (0..n).map(|_| self.try_submit(origin, Method::GET, options).expect("submit accepted")).collect()
    }

    pub(crate) fn cancel(&mut self, id: RequestId) {
        self.pool.cancel(self.now, id);
        self.drain();
    }

    pub(crate) fn close(&mut self) {
        self.pool.close(self.now);
        self.drain();
    }

    /// Moves the clock forward by `by` at once (handling the pool's timers
    /// that fall due on the way, in order).
    pub(crate) fn advance(&mut self, by: Duration) {
        let until = self.now + by;
        let mut guard = 0;
        while let Some(t) = self.pool.poll_timeout().filter(|&t| t <= until) {
            guard += 1;
            assert!(guard < 100_000, "the pool's timer never settles at {t:?}");
            self.now = self.now.max(t);
            self.pool.handle_timeout(self.now);
            self.drain();
        }
        self.now = until;
    }

    // ---- driving ----

    /// Drains the pool's outputs in the documented order.
    fn drain(&mut self) {
        loop {
            self.buf.clear();
            let Some((conn, n)) = self.pool.poll_transmit(self.now, &mut self.buf) else { break };
            assert_eq!(n, self.buf.len(), "poll_transmit reports what it appended");
            match self.links.get_mut(&conn) {
                Some(link) => {
                    if !link.unwritten.is_empty() {
                        self.violations.push(format!("{conn:?}: a new transmit before the last was accepted"));
                    }
                    link.unwritten.extend_from_slice(&self.buf);
                }
                None => self.violations.push(format!("transmit for {conn:?}, which is not open")),
            }
        }
        while let Some(instruction) = self.pool.poll_instruction() {
            self.on_instruction(instruction);
        }
        let _ = self.pool.poll_timeout();
        while let Some(event) = self.pool.poll_event() {
            self.on_event(event);
        }
    }

    fn on_instruction(&mut self, instruction: Instruction) {
        let now = self.now;
        match instruction {
            Instruction::Connect { conn, origin } => {
                let origin = self.pool.origin(origin).expect("a connect names a known origin").clone();
                self.driver_conns.insert(conn, origin.clone());
                let open = self.driver_conns.values().filter(|o| *o == &origin).count();
                let max = self.max_driver_open.entry(origin.clone()).or_default();
                *max = (*max).max(open);
                if open > self.config.connections {
                    self.violations.push(format!("{origin}: {open} connections at once"));
                }
                let server = self.servers.get_mut(&origin).expect("a scripted origin");
                server.connect_attempts += 1;
                let answer = server.script.connects.pop_front().unwrap_or(server.script.connect);
                self.connects.push(PendingConnect { conn, origin, answer });
            }
            Instruction::Close { conn, origin, summary } => {
                let known = self.pool.origin(origin).cloned();
                let Some(origin) = self.driver_conns.remove(&conn) else {
                    self.violations.push(format!("{conn:?} closed but never opened"));
                    return;
                };
                if known.is_some_and(|k| k != origin) {
                    self.violations.push(format!("{conn:?} closed under another origin"));
                }
                match summary {
                    Some(summary) => {
                        self.closes.push((now, conn, summary));
                        self.first_close.entry(origin.clone()).or_insert(self.seq);
                    }
                    None => self.abandoned.push((now, conn)),
                }
                self.hung.remove(&conn);
                self.connects.retain(|c| c.conn != conn);
                if let Some(link) = self.links.remove(&conn) {
                    let server = self.servers.get_mut(&link.origin).expect("a scripted origin");
                    server.open -= 1;
                    let stats = server.stats(conn);
                    stats.end.get_or_insert(End::ClientClose);
                }
            }
            _ => self.violations.push(format!("an instruction this test does not know: {instruction:?}")),
        }
    }

    fn on_event(&mut self, event: PoolEvent<pipelining::h1::H1Codec>) {
        let now = self.now;
        if let Some(id) = event.terminal_id() {
            if !self.requests.contains_key(&id) {
                self.violations.push(format!("terminal event for unknown {id:?}"));
            }
            self.ended.push(id);
        }
        match event {
            PoolEvent::Response { id, part, end, attempts, .. } => {
                if self.outcomes.contains_key(&id) {
                    self.violations.push(format!("{id:?}: a response part after its terminal event"));
                }
                let partial = self.partial.entry(id).or_default();
                match part {
                    ResponsePart::Head(head) => {
                        partial.status = Some(head.status);
                        partial.target = head.header("x-target").map(|v| String::from_utf8_lossy(v).into_owned());
                    }
                    ResponsePart::Data(data) => partial.body.extend_from_slice(&data),
                    ResponsePart::Interim(_) | ResponsePart::Trailers(_) | ResponsePart::End => {}
                }
                if end {
                    let partial = self.partial.remove(&id).unwrap_or_default();
                    let outcome = Outcome::Response {
                        status: partial.status.unwrap_or(0),
                        target: partial.target,
                        body: partial.body,
                        attempts,
                    };
                    self.outcomes.entry(id).or_default().push(outcome);
                }
            }
            PoolEvent::Complete { id, response, attempts } => {
                let outcome = Outcome::Response {
                    status: response.head.status,
                    target: response.head.header("x-target").map(|v| String::from_utf8_lossy(v).into_owned()),
                    body: response.body.to_vec(),
                    attempts,
                };
                self.outcomes.entry(id).or_default().push(outcome);
            }
            PoolEvent::Failed(failure) => {
                let outcome = Outcome::Failed {
                    kind: failure.kind,
                    attempts: failure.attempts,
                    tries: failure.tries.clone(),
                    progress: failure.progress,
                    cause: format!("{:?}", failure.cause),
                };
                self.partial.remove(&failure.id);
                self.outcomes.entry(failure.id).or_default().push(outcome);
            }
            PoolEvent::Written { id, conn } => {
                if self.outcomes.contains_key(&id) {
                    self.violations.push(format!("{id:?}: written on {conn:?} after its terminal event"));
                }
                if !self.links.contains_key(&conn) {
                    self.violations.push(format!("{id:?}: written on {conn:?}, which is not open"));
                }
                *self.written.entry(id).or_default() += 1;
            }
            PoolEvent::Unsolicited { conn, part } => {
                self.violations.push(format!("{conn:?}: unsolicited {part:?}"));
            }
            PoolEvent::SetupRefused { why, .. } => {
                self.violations.push(format!("HTTP connections have no setup: {why}"));
            }
            PoolEvent::SetupLost { origin } => {
                self.violations.push(format!("HTTP connections have no setup to lose: {origin:?}"));
            }
            PoolEvent::SendBody { id } => {
                self.violations.push(format!("{id:?} asked for a streamed content: these have whole contents"));
            }
            PoolEvent::Upgraded { id, conn, .. } => {
                self.violations.push(format!("{id:?} upgraded {conn:?}: these servers never upgrade"));
            }
            PoolEvent::Learned { origin, fact } => {
                let origin = self.pool.origin(origin).expect("a lesson names a known origin").clone();
                self.learned.push((now, origin, fact));
            }
        }
    }

    /// One hop each way: connects answered, writes accepted and delivered,
    /// servers answer, responses delivered; then the clock moves one tick.
    /// When nothing moved, the clock jumps to the pool's next deadline.
    /// Returns `false` when there is nothing left to do.
    pub(crate) fn step(&mut self) -> bool {
        if self.hop() {
            return true;
        }
        match self.pool.poll_timeout() {
            Some(t) => {
                self.now = self.now.max(t);
                self.pool.handle_timeout(self.now);
                self.drain();
                true
            }
            None => false,
        }
    }

    /// One hop each way and one tick of the clock, without jumping to the
    /// next deadline; whether anything moved.
    pub(crate) fn hop(&mut self) -> bool {
        let mut moved = self.answer_connects();
        moved |= self.write();
        moved |= self.serve();
        moved |= self.read();
        self.now = self.now + self.tick;
        if self.pool.poll_timeout().is_some_and(|t| t <= self.now) {
            self.pool.handle_timeout(self.now);
            self.drain();
            moved = true;
        }
        moved
    }

    /// Steps until nothing is left to do or `max` steps were taken; whether
    /// it settled.
    pub(crate) fn run_for(&mut self, max: usize) -> bool {
        for _ in 0..max {
            if !self.step() {
                return true;
            }
        }
        false
    }

    /// Steps until every submitted request has ended (timers of idle
    /// connections may remain).
    pub(crate) fn settle(&mut self) {
        let mut steps = 0;
        while self.pool.pending() > 0 {
            steps += 1;
            assert!(steps < 200_000, "not settled: {} requests pending at {:?}", self.pool.pending(), self.now);
            if !self.step() {
                break;
            }
        }
    }

    /// Steps until `done` holds.
    pub(crate) fn run_until(&mut self, mut done: impl FnMut(&Net) -> bool) {
        let mut steps = 0;
        while !done(self) {
            steps += 1;
            assert!(steps < 200_000, "condition never met at {:?}", self.now);
            assert!(self.step(), "the network went quiet before the condition was met");
        }
    }

    fn answer_connects(&mut self) -> bool {
        let connects = std::mem::take(&mut self.connects);
        let moved = !connects.iter().all(|c| c.answer == Connect::Hang);
        for PendingConnect { conn, origin, answer } in connects {
            match answer {
                Connect::Hang => {
                    self.hung.insert(conn, origin);
                }
                Connect::Refuse => {
                    // The driver knows this transport is gone; the pool owes
                    // it no `Close`.
                    self.driver_conns.remove(&conn);
                    self.pool.handle_connect_failed(self.now, conn);
                    self.drain();
                }
                Connect::Accept => {
                    let budget_at_open = self.pool.origin_status(&origin, self.now).and_then(|s| s.budget);
                    let server = self.servers.get_mut(&origin).expect("a scripted origin");
                    let plan = server.script.plans.pop_front().unwrap_or(server.script.plan);
                    server.conns.push(ConnStats {
                        conn,
                        received: Vec::new(),
                        responses: 0,
                        max_outstanding: 0,
                        budget_at_open,
                        opened_at: self.now,
                        end: None,
                    });
                    server.open += 1;
                    server.max_open = server.max_open.max(server.open);
                    if server.open > self.config.connections {
                        self.violations.push(format!("{origin}: server has {} connections open", server.open));
                    }
                    self.links.insert(conn, Link::new(origin, plan));
                    self.pool.handle_connected(self.now, conn);
                    self.drain();
                }
            }
        }
        moved
    }

    /// The client's transports accept (part of) their pending transmits.
    fn write(&mut self) -> bool {
        let mut moved = false;
        let conns: Vec<ConnectionId> = self.links.keys().copied().collect();
        for conn in conns {
            let Some(link) = self.links.get_mut(&conn) else { continue };
            if link.unwritten.is_empty() {
                continue;
            }
            let n = link.unwritten.len().min(self.write_chunk.max(1));
            let bytes: Vec<u8> = link.unwritten.drain(..n).collect();
            link.deliver_to_server(&bytes);
            moved = true;
            self.pool.handle_written(self.now, conn, n);
            self.drain();
        }
        moved
    }

    /// Every server reads its requests and answers per its script.
    fn serve(&mut self) -> bool {
        let mut moved = false;
        let conns: Vec<ConnectionId> = self.links.keys().copied().collect();
        for conn in conns {
            let Some(link) = self.links.get_mut(&conn) else { continue };
            let server = self.servers.get_mut(&link.origin).expect("a scripted origin");
            moved |= link.serve(conn, server, &mut self.seq);
        }
        moved
    }

    /// Response bytes, then EOF or reset, reach the pool.
    fn read(&mut self) -> bool {
        let mut moved = false;
        let conns: Vec<ConnectionId> = self.links.keys().copied().collect();
        for conn in conns {
            while let Some(link) = self.links.get_mut(&conn).filter(|l| l.has_bytes_for_client()) {
                let bytes = link.take_for_client(self.read_chunk.max(1));
                moved = true;
                self.pool.handle_received(self.now, conn, &bytes);
                self.drain();
            }
            let Some(link) = self.links.get_mut(&conn) else { continue };
            match link.take_end() {
                Some(PeerEnd::Eof) => {
                    moved = true;
                    self.pool.handle_eof(self.now, conn);
                    self.drain();
                }
                Some(PeerEnd::Reset) => {
                    moved = true;
                    self.pool.handle_transport_error(self.now, conn);
                    self.drain();
                }
                None => {}
            }
        }
        moved
    }

    // ---- checks ----

    pub(crate) fn submitted(&self) -> impl Iterator<Item = (RequestId, &Submitted)> {
        self.requests.iter().map(|(&id, s)| (id, s))
    }

    pub(crate) fn submitted_count(&self) -> usize {
        self.requests.len()
    }

    pub(crate) fn target(&self, id: RequestId) -> &str {
        &self.requests[&id].target
    }

    pub(crate) fn id_of(&self, target: &str) -> RequestId {
        self.requests.iter().find(|(_, s)| s.target == target).map(|(&id, _)| id).expect("a submitted target")
    }

    /// The terminal outcome of `id`; panics unless there is exactly one.
    pub(crate) fn outcome(&self, id: RequestId) -> &Outcome {
        match self.outcomes.get(&id).map(Vec::as_slice) {
            Some([one]) => one,
            other => panic!("{id:?} ({}): expected one terminal event, got {other:?}", self.requests[&id].target),
        }
    }

    /// P12 and matching: every submitted request ended in exactly one
    /// terminal event; every response is its own request's; nothing else
    /// went wrong on the way.
    pub(crate) fn check(&self) {
        assert!(self.violations.is_empty(), "violations: {:#?}", self.violations);
        for (id, sub) in &self.requests {
            let outcome = self.outcome(*id);
            if let Outcome::Response { status, target, body, attempts } = outcome {
                let errors = self.servers[&sub.origin].script.error_close_every.is_some();
                assert!(*status == 200 || (errors && *status == 500), "{id:?}: {status}");
                assert_eq!(target.as_deref(), Some(sub.target.as_str()), "{id:?}: a response for another request");
                let expected = if sub.method == Method::HEAD { Vec::new() } else { body_for(&sub.target) };
                assert_eq!(body, &expected, "{id:?}: body of another request");
                assert!(*attempts >= 1, "{id:?}: answered without being written");
            }
            // A server never sees a request more often than it was written.
            let copies = self.servers[&sub.origin].copies(&sub.target);
            assert!(
                copies as u32 <= outcome.attempts(),
                "{id:?} {}: received {copies} times, written {} times: {outcome:?}",
                sub.target,
                outcome.attempts()
            );
        }
        assert_eq!(self.outcomes.len(), self.requests.len(), "terminal events for unknown requests");
        assert!(self.partial.is_empty(), "responses begun and never ended: {:?}", self.partial.keys());
    }

    /// Everything ended and the pool holds nothing.
    pub(crate) fn check_settled(&self) {
        self.check();
        assert_eq!(self.pool.pending(), 0);
    }

    /// P5 on the wire: no POST written twice, and a POST only on a
    /// connection with nothing else outstanding, nothing behind it.
    pub(crate) fn check_posts(&self) {
        for server in self.servers.values() {
            let mut seen = BTreeMap::new();
            for (_, r) in server.received().filter(|(_, r)| r.method == "POST") {
                *seen.entry(&r.target).or_insert(0) += 1;
            }
            for (target, n) in seen {
                assert_eq!(n, 1, "POST {target} reached the server {n} times");
            }
            for conn in &server.conns {
                for (i, r) in conn.received.iter().enumerate() {
                    let after_post = i > 0 && conn.received[i - 1].method == "POST";
                    if r.method == "POST" || after_post {
                        assert_eq!(
                            r.outstanding, 1,
                            "{:?}: {} {} arrived with others outstanding: {:?}",
                            conn.conn, r.method, r.target, conn.received
                        );
                    }
                }
            }
        }
        for (id, sub) in &self.requests {
            if sub.method != Method::POST {
                continue;
            }
            match self.outcome(*id) {
                Outcome::Response { attempts, .. } => assert_eq!(*attempts, 1, "{id:?}: POST written twice"),
                Outcome::Failed { kind, attempts, progress, cause, .. } => {
                    assert!(*attempts <= 1, "{id:?}: POST written {attempts} times");
                    let lost = cause.starts_with("Lost");
                    if lost && *progress > Progress::NotWritten {
                        assert_eq!(*kind, ErrorKind::MayHaveBeenProcessed, "{id:?}: {cause}");
                    }
                }
            }
        }
    }

    /// P1 and P11 as the servers count them.
    pub(crate) fn check_limits(&self, depth: usize) {
        for (origin, server) in &self.servers {
            assert!(server.max_open <= self.config.connections, "{origin}: {} connections open", server.max_open);
            for conn in &server.conns {
                assert!(
                    conn.max_outstanding <= depth,
                    "{origin} {:?}: {} outstanding (depth {depth})",
                    conn.conn,
                    conn.max_outstanding
                );
            }
        }
    }

    /// The receipt count when the first open connection of `origin` closed.
    pub(crate) fn first_close(&self, origin: &Origin) -> Option<u64> {
        self.first_close.get(origin).copied()
    }

    /// P5: requests are written in submission order per origin. Until a
    /// connection of the origin closes (and hands requests back), every
    /// connection receives its requests in increasing submission order;
    /// rescue copies (P13), received earlier on another connection, are
    /// out of order by design.
    pub(crate) fn check_order(&self) {
        for (origin, server) in &self.servers {
            let until = self.first_close.get(origin).copied().unwrap_or(u64::MAX);
            let first_seen = |target: &str| {
                server.conns.iter().flat_map(|c| c.received.iter()).filter(|r| r.target == target).map(|r| r.seq).min()
            };
            for conn in &server.conns {
                let numbers: Vec<u64> = conn
                    .received
                    .iter()
                    .filter(|r| r.seq <= until && first_seen(&r.target) == Some(r.seq))
                    .map(|r| r.target.rsplit('/').next().and_then(|n| n.parse().ok()).expect("numbered"))
                    .collect();
                assert!(numbers.windows(2).all(|w| w[0] < w[1]), "{origin} {:?}: order {numbers:?}", conn.conn);
            }
        }
    }

    /// A summary of what the servers saw, for failure messages.
    pub(crate) fn describe(&self) -> String {
        let mut out = String::new();
        for (origin, server) in &self.servers {
            let _ = writeln!(out, "{origin}: {} connects", server.connect_attempts);
            for c in &server.conns {
                let _ = writeln!(
                    out,
                    "  {:?} at {:?}: {} received, {} answered, max {} outstanding, budget {:?}, end {:?}: {:?}",
                    c.conn,
                    c.opened_at,
                    c.received.len(),
                    c.responses,
                    c.max_outstanding,
                    c.budget_at_open,
                    c.end,
                    c.received.iter().map(|r| (&r.target[..], r.outstanding)).collect::<Vec<_>>()
                );
            }
        }
        out
    }
}
