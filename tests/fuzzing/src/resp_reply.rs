//! `resp_reply`: arbitrary bytes and split points into the RESP codec, and
//! the same bytes as servers' replies to commands sent through a
//! `Pool<RespFactory>` whose connections the input kills. Checked:
//!
//! * no panic, and the same values and error for every split;
//! * a push message (`>`) never answers a command (docs/DESIGN.md P2);
//! * on one `Connection<RespCodec>` answered by all the bytes: P12 on the
//!   connection's own events (every id ends once, none not submitted), the
//!   replay rules of transactions and batches, and each reply matched in
//!   order (a command's one value, a transaction's `EXEC` reply, a batch's
//!   values gathered into one array);
//! * batches (`Request::Batch`): an empty one or one holding a
//!   state-changing command refused at submit;
//! * through the pool (a connection setup or not; one connection at a time,
//!   each ended by EOF or a transport error at a byte offset the input
//!   picks, sometimes with a transmit half written): P12 — every submitted
//!   id ends exactly once after the final `close()`, and no event names an
//!   id that was not submitted (setup requests are the pool's own);
//! * P8 as the servers saw the wire: an `INCR` and a transaction under
//!   `WATCH` are written at most once; a transaction's `EXEC` runs at most
//!   once, and nothing of it is written again after it ran; a command or
//!   transaction that ran never fails as unwritten; a batch is written
//!   whole, in order, on one connection (never split across connections,
//!   never resent in part), at most once if it holds an `INCR`, and
//!   answered by an array of one reply per command.

use arbitrary::{Arbitrary, Unstructured};
use bytes::BytesMut;
use pipelining::pipeline::{Capability, Codec, Connection, ConnectionConfig, Event, RequestOptions};
use pipelining::resp::{
    Command, Request, RespCodec, RespConfig, RespError, RespFactory, RespSetup, Transaction, Value,
};
use pipelining::{ConnectionId, Instruction, Origin, Pool, PoolConfig, PoolEvent, Progress, RequestId, Retry};
use pipelining::{Instant, pipeline::Recipient};
use std::collections::{BTreeMap, BTreeSet};

/// How the input ends a connection.
#[derive(Clone, Copy, Debug)]
struct Kill {
    /// Where in the server's bytes: what comes before goes to this
    /// connection, the rest to the next ones.
    at: u16,
    /// EOF (`true`) or a transport error.
    eof: bool,
    /// Just before, the transport accepts only this many bytes (mod the
    /// length + 1) of the pending transmit.
    half_write: Option<u16>,
}

/// The input: a connection setup or not (and whether command bytes may
/// make batches), up to 32 requests (GET, INCR, a transaction, one under
/// WATCH, batches), up to 4 split points, then the bytes the decoder and
/// the single connection read.
///
/// The pool's servers read the same bytes parsed once more: whether they
/// accept the setup, `max_tries`, up to 4 kills, whether the last
/// connection ends with EOF, then their replies. The single connection's
/// layout is the one this target had before the pool was added, so the
/// committed regression inputs keep their meaning byte for byte. Batches
/// came later: they are on only when the first byte has bit
/// [`BATCHES`] set, which no input committed before them sets, so those
/// still decode to the requests they did.
struct Input {
    bytes: Vec<u8>,
    splits: Vec<u16>,
    commands: Vec<u8>,
    setup: bool,
    batches: bool,
    pool: PoolInput,
}

/// The first byte's bit that turns batches on (bit 0 is the setup; the
/// others were ignored before batches).
const BATCHES: u8 = 0x10;

/// The pool's part of the input (see [`Input`]).
struct PoolInput {
    setup_accepted: bool,
    max_tries: u32,
    kills: Vec<Kill>,
    last_eof: bool,
    /// The servers' replies.
    bytes: Vec<u8>,
}

impl Input {
    fn parse(data: &[u8]) -> arbitrary::Result<Input> {
        let mut u = Unstructured::new(data);
        // `bool::arbitrary` reads bit 0 of a byte.
        let flags = u8::arbitrary(&mut u)?;
        let (setup, batches) = (flags & 1 == 1, flags & BATCHES != 0);
        let commands = (0..u.int_in_range(0..=32)?).map(|_| u8::arbitrary(&mut u)).collect::<Result<_, _>>()?;
        let splits = (0..u.int_in_range(0..=4)?).map(|_| u16::arbitrary(&mut u)).collect::<Result<_, _>>()?;
        let bytes = u.take_rest().to_vec();
        let pool = PoolInput::parse(&bytes)?;
        Ok(Input { bytes, splits, commands, setup, batches, pool })
    }
}

impl PoolInput {
    fn parse(data: &[u8]) -> arbitrary::Result<PoolInput> {
        let mut u = Unstructured::new(data);
        let setup_accepted = bool::arbitrary(&mut u)?;
        let max_tries = u.int_in_range(1..=3)?;
        let kills = (0..u.int_in_range(0..=4)?)
            .map(|_| {
                Ok(Kill {
                    at: u16::arbitrary(&mut u)?,
                    eof: bool::arbitrary(&mut u)?,
                    half_write: Option::arbitrary(&mut u)?,
                })
            })
            .collect::<arbitrary::Result<_>>()?;
        let last_eof = bool::arbitrary(&mut u)?;
        Ok(PoolInput { setup_accepted, max_tries, kills, last_eof, bytes: u.take_rest().to_vec() })
    }
}

/// What the `idx`-th request is, by the input's choice `n`: each names
/// keys ending in its index, so the servers can tell whose bytes they read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    /// `GET k{idx}`: idempotent, may be replayed.
    Get,
    /// `INCR n{idx}`: not idempotent, written at most once.
    Incr,
    /// `MULTI INCR a{idx} INCR b{idx} EXEC`: resent only while its EXEC
    /// was not all written.
    Unit,
    /// `WATCH k{idx} MULTI SET k{idx} v EXEC`: never resent once written.
    Watched,
}

impl Kind {
    fn of(n: u8) -> Kind {
        [Kind::Get, Kind::Incr, Kind::Unit, Kind::Watched][usize::from(n % 4)]
    }

    /// The command of a `GET` or `INCR` (inside a batch too).
    fn command(self, idx: usize) -> Command {
        match self {
            Kind::Incr => Command::new(["INCR".to_string(), format!("n{idx}")]),
            _ => Command::new(["GET".to_string(), format!("k{idx}")]),
        }
    }

    fn request(self, idx: usize) -> Request {
        match self {
            Kind::Get | Kind::Incr => self.command(idx).into(),
            Kind::Unit => Transaction::new([
                Command::new(["INCR".to_string(), format!("a{idx}")]),
                Command::new(["INCR".to_string(), format!("b{idx}")]),
            ])
            .into(),
            Kind::Watched => Transaction::new([Command::new(["SET".to_string(), format!("k{idx}"), "v".to_string()])])
                .watching([format!("k{idx}")])
                .into(),
        }
    }
}

/// A request the input builds from its command bytes.
#[derive(Clone, Debug)]
enum Planned {
    /// A request of a kind, named by its index.
    One(usize, Kind),
    /// A batch of `GET`s and `INCR`s, each named by its own index.
    Batch(Vec<(usize, Kind)>),
    /// A batch the codec refuses at submit: empty (for a byte naming
    /// [`Kind::Unit`]), or holding `SELECT` (for [`Kind::Watched`]).
    Refused(usize, Kind),
}

/// The requests of `commands`, each byte `n` naming the request at its
/// index. Without batches, each is `Kind::of(n)`. With them, bit 2 of `n`
/// set makes a `GET` or `INCR` join the batch before it (or the command
/// before it, or start a batch of its own), and turns a transaction into
/// a batch the codec refuses (empty for `n % 4 == 2`, holding `SELECT`
/// for `n % 4 == 3`).
fn plan(commands: &[u8], batches: bool) -> Vec<Planned> {
    let mut planned: Vec<Planned> = Vec::new();
    for (idx, &n) in commands.iter().take(32).enumerate() {
        let kind = Kind::of(n);
        if !batches || n & 4 == 0 {
            planned.push(Planned::One(idx, kind));
            continue;
        }
        if matches!(kind, Kind::Unit | Kind::Watched) {
            planned.push(Planned::Refused(idx, kind));
            continue;
        }
        match planned.last_mut() {
            Some(Planned::Batch(members)) => members.push((idx, kind)),
            Some(last @ Planned::One(_, Kind::Get | Kind::Incr)) => {
                if let Planned::One(before, before_kind) = *last {
                    *last = Planned::Batch(vec![(before, before_kind), (idx, kind)]);
                }
            }
            _ => planned.push(Planned::Batch(vec![(idx, kind)])),
        }
    }
    planned
}

impl Planned {
    fn request(&self) -> Request {
        match self {
            Planned::One(idx, kind) => kind.request(*idx),
            Planned::Batch(members) => Request::Batch(members.iter().map(|&(idx, kind)| kind.command(idx)).collect()),
            Planned::Refused(_, Kind::Unit) => Request::Batch(Vec::new()),
            Planned::Refused(idx, _) => Request::Batch(vec![Kind::Get.command(*idx), Command::new(["SELECT", "3"])]),
        }
    }

    /// Whether the codec must refuse it at submit.
    fn refused(&self) -> bool {
        matches!(self, Planned::Refused(..))
    }

    /// The values the server sends for it: one per command, `WATCH`'s,
    /// `MULTI`'s, each `QUEUED` and `EXEC`'s for a transaction.
    fn replies(&self) -> usize {
        match self {
            Planned::One(_, Kind::Get | Kind::Incr) => 1,
            Planned::One(_, Kind::Unit | Kind::Watched) => 4,
            Planned::Refused(..) => 0,
            Planned::Batch(members) => members.len(),
        }
    }
}

type Decoded = (Vec<(Value, Recipient)>, Option<RespError>);

/// Decodes `bytes` fed in pieces ending at `cuts`.
fn decode(bytes: &[u8], cuts: &[usize]) -> Decoded {
    let mut codec = RespCodec::default();
    let mut buf = BytesMut::new();
    let command = Request::Command(Command::new(["GET", "k"]));
    let mut out = Vec::new();
    let mut at = 0;
    for &end in cuts.iter().chain(std::iter::once(&bytes.len())) {
        buf.extend_from_slice(&bytes[at..end]);
        at = end;
        loop {
            match codec.decode(&mut buf, Some(&command)) {
                Ok(Some(d)) => {
                    if matches!(d.part, Value::Push(_)) {
                        assert_eq!(d.to, Recipient::Unsolicited, "a push answered a command");
                    }
                    out.push((d.part, d.to));
                }
                Ok(None) => break,
                Err(e) => return (out, Some(e)),
            }
        }
    }
    (out, None)
}

/// Runs one input; panics if a property is violated.
pub fn run(data: &[u8]) {
    let Ok(input) = Input::parse(data) else { return };
    crate::trace!(
        "setup {} accepted {} max_tries {} commands {:?} kills {:?} last eof {}",
        input.setup,
        input.pool.setup_accepted,
        input.pool.max_tries,
        input.commands,
        input.pool.kills,
        input.pool.last_eof
    );
    let bytes = &input.bytes[..input.bytes.len().min(2048)];
    let whole = decode(bytes, &[]);
    let mut cuts: Vec<usize> = input.splits.iter().map(|&s| usize::from(s) % (bytes.len() + 1)).collect();
    cuts.sort_unstable();
    // NaN doubles compare unequal: compare the debug text.
    assert_eq!(format!("{:?}", decode(bytes, &cuts)), format!("{whole:?}"), "a split changed the result");
    one_connection(&input, bytes, &cuts);
    let replies = &input.pool.bytes[..input.pool.bytes.len().min(2048)];
    let mut cuts: Vec<usize> = input.splits.iter().map(|&s| usize::from(s) % (replies.len() + 1)).collect();
    cuts.sort_unstable();
    Servers::new(&input).run(&input, replies, &cuts);
}

/// The requests on one `Connection<RespCodec>` answered by all the bytes:
/// P12, the replay rules of transactions and batches on the connection's
/// own events, which a pool would hide (a setup request's event, say), and
/// each reply matched in order against the values the bytes hold.
fn one_connection(input: &Input, bytes: &[u8], cuts: &[usize]) {
    let now = Instant::ZERO;
    let mut conn = Connection::new(RespCodec::with_config(resp_config(input.setup)), ConnectionConfig::default(), now);
    conn.set_capability(Capability::Pipelining);
    // The values the server sends, in order, pushes aside (they answer
    // nothing); the setup's come first.
    let (values, _) = decode(bytes, &[]);
    let values: Vec<Value> =
        values.into_iter().filter(|(_, to)| *to != Recipient::Unsolicited).map(|(value, _)| value).collect();
    let mut offset = if input.setup { resp_config(true).setup.commands().len() } else { 0 };
    // Per submitted id: its reply, as the values say (`None`: beyond them).
    let mut submitted: BTreeMap<RequestId, Option<Value>> = BTreeMap::new();
    for planned in plan(&input.commands, input.batches) {
        let outcome = conn.submit(now, planned.request(), RequestOptions::default());
        if planned.refused() {
            assert!(outcome.is_err(), "{planned:?} accepted: {:?}", planned.request());
            continue;
        }
        if let Ok(id) = outcome {
            let replies = values.get(offset..offset + planned.replies());
            let expected = replies.map(|replies| match planned {
                Planned::Batch(_) => Value::Array(replies.to_vec()),
                _ => replies[replies.len() - 1].clone(),
            });
            offset += planned.replies();
            submitted.insert(id, expected);
        }
    }
    let mut ended = BTreeSet::new();
    let drain = |conn: &mut Connection<RespCodec>, ended: &mut BTreeSet<RequestId>| {
        while let Some(event) = conn.poll_event() {
            if let Some(id) = event.terminal_id() {
                assert!(submitted.contains_key(&id), "an event for {id:?}, not submitted (a setup request?)");
                assert!(ended.insert(id), "two terminal events for {id:?} (P12)");
            }
            if let Event::Response { part: Value::Push(_), .. } = event {
                panic!("a push message answered a command");
            }
            if let Event::Response { id, part, .. } = &event {
                // In order: the reply the values hold at its place (NaN
                // doubles compare unequal: compare the debug text).
                let expected = submitted.get(id).and_then(Option::as_ref);
                assert_eq!(
                    format!("{:?}", Some(part)),
                    format!("{expected:?}"),
                    "{id:?} answered out of order or with another reply"
                );
            }
            if let Event::Unanswered(u) = &event {
                match &u.request {
                    Request::Transaction(t) => {
                        // P8 for units: never resent once EXEC may have run.
                        if u.retry == Retry::Replay {
                            assert!(t.watch.is_empty(), "a WATCH transaction resent");
                            assert!(u.progress < Progress::Written, "a transaction resent after its EXEC was written");
                        }
                        if !t.watch.is_empty() && u.progress > Progress::NotWritten {
                            assert_eq!(u.retry, Retry::Never, "a written WATCH transaction must not be resent");
                        }
                    }
                    // P8 for batches: resent whole only when each command
                    // may be; holding an INCR, never once written.
                    Request::Batch(commands)
                        if u.progress.was_written() && commands.iter().any(|c| c.name() == b"INCR") =>
                    {
                        assert_eq!(u.retry, Retry::Never, "a written batch with an INCR must not be resent");
                    }
                    _ => {}
                }
            }
        }
    };
    // Writes go out whole, as often as the rules allow, with the replies
    // arriving in between.
    let mut at = 0;
    for &cut in cuts.iter().chain(std::iter::once(&bytes.len())) {
        let mut out = Vec::new();
        if let Some(n) = conn.poll_transmit(now, &mut out) {
            conn.handle_written(now, n);
        }
        conn.handle_received(now, &bytes[at..cut]);
        at = cut;
        drain(&mut conn, &mut ended);
    }
    conn.handle_eof(now);
    conn.close(now);
    drain(&mut conn, &mut ended);
    // P12: after the final close, every submitted request has ended once.
    for id in submitted.keys() {
        assert!(ended.contains(id), "{id:?} never ended (P12)");
    }
}

/// The client's configuration: with a setup (`AUTH`, `SELECT`) or not.
fn resp_config(setup: bool) -> RespConfig {
    let mut config = RespConfig::default();
    if setup {
        let mut setup = RespSetup::default();
        setup.password = Some("pw".into());
        setup.database = Some(3);
        config.setup = setup;
    }
    config
}

/// The pool, the requests submitted to it, and what the servers read.
struct Servers {
    pool: Pool<RespFactory>,
    origin: Origin,
    now: Instant,
    /// The requests the input builds.
    planned: Vec<Planned>,
    /// Per submitted id: what it is.
    submitted: BTreeMap<RequestId, Planned>,
    /// Ids that ended.
    ended: BTreeMap<RequestId, Ended>,
    /// Per open connection: the bytes its server read.
    wire: BTreeMap<ConnectionId, Vec<u8>>,
    /// Per connection: how often each request's command or `EXEC` ran
    /// there, by request index.
    ran: BTreeMap<ConnectionId, BTreeMap<usize, u32>>,
    /// Each request's (or batch member's) kind, by index.
    kinds: Vec<Kind>,
    /// Per index of a batch member: the indexes of its batch, in order.
    batches: BTreeMap<usize, Vec<usize>>,
    /// The connection the servers' bytes go to now.
    current: Option<ConnectionId>,
    /// How many `+OK` each new connection's server sends first, one per
    /// setup command (none: what it sends is the input's).
    setup_replies: usize,
}

/// How a request ended.
#[derive(Debug)]
struct Ended {
    attempts: u32,
    /// How far its last attempt got, if it failed.
    failed: Option<Progress>,
}

impl Servers {
    fn new(input: &Input) -> Servers {
        let config = resp_config(input.setup);
        let setup_replies = if input.pool.setup_accepted { config.setup.commands().len() } else { 0 };
        let mut pool_config = PoolConfig::default();
        // One connection at a time: the servers' bytes go to it.
        pool_config.connections = 1;
        pool_config.max_tries = input.pool.max_tries;
        let pool = Pool::new(RespFactory { config }, pool_config).expect("a valid configuration");
        Servers {
            pool,
            origin: Origin::new("redis", "127.0.0.1", 6379),
            now: Instant::ZERO,
            planned: plan(&input.commands, input.batches),
            submitted: BTreeMap::new(),
            ended: BTreeMap::new(),
            wire: BTreeMap::new(),
            ran: BTreeMap::new(),
            kinds: input.commands.iter().take(32).map(|&n| Kind::of(n)).collect(),
            batches: BTreeMap::new(),
            current: None,
            setup_replies,
        }
    }

    fn run(mut self, input: &Input, bytes: &[u8], cuts: &[usize]) {
        if input.batches {
            crate::trace!("planned {:?}", self.planned);
        }
        for planned in self.planned.clone() {
            let request = planned.request();
            let outcome = self.pool.submit(self.now, &self.origin, request, RequestOptions::default());
            if planned.refused() {
                assert!(outcome.is_err(), "{planned:?} accepted by the pool");
                continue;
            }
            if let Ok(id) = outcome {
                if let Planned::Batch(members) = &planned {
                    let indexes: Vec<usize> = members.iter().map(|&(idx, _)| idx).collect();
                    for &idx in &indexes {
                        self.batches.insert(idx, indexes.clone());
                    }
                }
                self.submitted.insert(id, planned);
            }
        }
        let mut kills: Vec<(usize, Kill)> =
            input.pool.kills.iter().map(|k| (usize::from(k.at) % (bytes.len() + 1), *k)).collect();
        kills.sort_by_key(|&(at, _)| at);
        // The servers' bytes arrive line by line, cut at the split points
        // and where a connection is killed, with writes going out whole,
        // as often as the rules allow, in between. Each piece goes to the
        // connection open then.
        let line_ends = bytes.windows(2).enumerate().filter(|(_, w)| w == b"\r\n").map(|(i, _)| i + 2);
        let mut ends: Vec<usize> =
            cuts.iter().copied().chain(kills.iter().map(|&(at, _)| at)).chain(line_ends).collect();
        ends.push(bytes.len());
        ends.sort_unstable();
        ends.dedup();
        let mut at = 0;
        let mut kills = kills.into_iter().peekable();
        for end in ends {
            if at < end {
                let Some(conn) = self.connection() else { break };
                // Just before a kill that cuts a write, what the reply lets
                // go out is only partly written.
                let cut_write = kills.peek().is_some_and(|&(k, kill)| k == end && kill.half_write.is_some());
                self.receive(conn, &bytes[at..end], !cut_write);
                at = end;
            }
            while let Some((_, kill)) = kills.next_if(|&(k, _)| k == at) {
                let Some(conn) = self.connection() else { break };
                crate::trace!("kill {conn:?}: {kill:?}");
                if let Some(n) = kill.half_write {
                    let mut buf = Vec::new();
                    if let Some(len) = self.pool.poll_transmit_on(self.now, conn, &mut buf) {
                        let n = usize::from(n) % (len + 1);
                        crate::trace!("{conn:?} writes {n} of {:?}", String::from_utf8_lossy(&buf));
                        self.wire.entry(conn).or_default().extend_from_slice(&buf[..n]);
                        self.pool.handle_written(self.now, conn, n);
                        self.server_reads(conn);
                    }
                }
                if kill.eof {
                    self.pool.handle_eof(self.now, conn);
                } else {
                    self.pool.handle_transport_error(self.now, conn);
                }
                self.drain();
            }
        }
        if input.pool.last_eof {
            if let Some(conn) = self.current.filter(|&c| self.is_open(c)) {
                self.pool.handle_eof(self.now, conn);
            }
        }
        self.drain();
        self.pool.close(self.now);
        self.drain();
        // P12: after the final close, every submitted request has ended,
        // once (a second end failed at its event).
        assert_eq!(self.pool.pending(), 0, "requests pending after close (P12)");
        for (id, planned) in &self.submitted {
            let ended = self.ended.get(id).unwrap_or_else(|| panic!("{id:?} ({planned:?}) never ended (P12)"));
            self.check_ran(planned, ended);
        }
    }

    /// The connection the servers' next bytes go to, opened if need be (its
    /// server accepts the setup, or answers it with what follows); `None`
    /// when the pool wants none (nothing left to send).
    fn connection(&mut self) -> Option<ConnectionId> {
        for _ in 0..8 {
            let before = self.current;
            self.drain();
            if let Some(conn) = self.current.filter(|&c| self.is_open(c)) {
                if before != Some(conn) {
                    for _ in 0..self.setup_replies {
                        self.receive(conn, b"+OK\r\n", true);
                    }
                }
                if self.is_open(conn) {
                    return Some(conn);
                }
                continue;
            }
            if self.pool.pending() == 0 {
                return None;
            }
            // A reconnect may wait for a timer.
            let at = self.pool.poll_timeout()?;
            self.now = self.now.max(at);
            self.pool.handle_timeout(self.now);
        }
        None
    }

    fn is_open(&self, conn: ConnectionId) -> bool {
        self.pool.connection(conn).is_some_and(|c| !c.is_closed())
    }

    /// The servers' bytes arrive on `conn`, with writes going out whole
    /// before, and after if `write_after`.
    fn receive(&mut self, conn: ConnectionId, bytes: &[u8], write_after: bool) {
        self.write(conn);
        crate::trace!("{conn:?} receives {:?}", String::from_utf8_lossy(bytes));
        self.pool.handle_received(self.now, conn, bytes);
        self.drain();
        if write_after {
            self.write(conn);
        }
    }

    fn write(&mut self, conn: ConnectionId) {
        let mut buf = Vec::new();
        while let Some(n) = self.pool.poll_transmit_on(self.now, conn, &mut buf) {
            crate::trace!("{conn:?} writes {:?}", String::from_utf8_lossy(&buf[..n]));
            self.wire.entry(conn).or_default().extend_from_slice(&buf[..n]);
            self.pool.handle_written(self.now, conn, n);
            buf.clear();
            self.server_reads(conn);
            self.drain();
        }
    }

    /// Takes the pool's instructions and events; checks each event.
    fn drain(&mut self) {
        loop {
            if let Some(instruction) = self.pool.poll_instruction() {
                crate::trace!("instruction {instruction:?}");
                match instruction {
                    Instruction::Connect { conn, .. } => {
                        if let Some(open) = self.current.filter(|&c| self.is_open(c)) {
                            panic!("{conn:?} opened beside {open:?} with `connections` = 1 (P11)");
                        }
                        self.pool.handle_connected(self.now, conn);
                        self.current = Some(conn);
                    }
                    Instruction::Close { conn, .. } if self.current == Some(conn) => self.current = None,
                    _ => {}
                }
                continue;
            }
            let Some(event) = self.pool.poll_event() else { return };
            crate::trace!("event {event:?}");
            let about = match &event {
                PoolEvent::Response { id, .. }
                | PoolEvent::Complete { id, .. }
                | PoolEvent::Written { id, .. }
                | PoolEvent::SendBody { id }
                | PoolEvent::Upgraded { id, .. } => Some(*id),
                PoolEvent::Failed(failure) => Some(failure.id),
                _ => None,
            };
            if let Some(id) = about {
                assert!(self.submitted.contains_key(&id), "an event for {id:?}, not submitted (a setup request?)");
                assert!(!self.ended.contains_key(&id), "an event for {id:?} after its terminal event (P12): {event:?}");
            }
            if let PoolEvent::Response { id, part, end: true, .. } = &event {
                // A batch is answered by one reply per command, gathered.
                if let Some(Planned::Batch(members)) = self.submitted.get(id) {
                    let Value::Array(replies) = part else { panic!("a batch answered by {part:?}") };
                    assert_eq!(replies.len(), members.len(), "a batch answered by {} replies", replies.len());
                }
            }
            match event {
                PoolEvent::Response { part: Value::Push(_), .. } => panic!("a push message answered a command"),
                PoolEvent::Response { id, end: true, attempts, .. } | PoolEvent::Complete { id, attempts, .. } => {
                    self.ended.insert(id, Ended { attempts, failed: None });
                }
                PoolEvent::Failed(failure) => {
                    let ended = Ended { attempts: failure.attempts, failed: Some(failure.progress) };
                    self.ended.insert(failure.id, ended);
                }
                _ => {}
            }
        }
    }

    /// What the server of `conn` has read so far (its whole wire, parsed
    /// again): which requests ran there. Nothing of a request that ran on
    /// an earlier connection may come again, unless it may be replayed.
    fn server_reads(&mut self, conn: ConnectionId) {
        let mut ran: BTreeMap<usize, u32> = BTreeMap::new();
        let mut named: Vec<usize> = Vec::new();
        // Inside MULTI: the request whose commands are queued.
        let mut queued: Option<Option<usize>> = None;
        let wire = commands(&self.wire[&conn]);
        let indexes: Vec<Option<usize>> = wire
            .iter()
            .map(|args| args.get(1).and_then(|key| std::str::from_utf8(key.get(1..)?).ok()?.parse::<usize>().ok()))
            .collect();
        self.check_batches(&indexes);
        for (args, &idx) in wire.iter().zip(&indexes) {
            match (args.first().map(|a| &a[..]), idx) {
                (Some(b"MULTI"), _) => queued = Some(None),
                (Some(b"EXEC"), _) => {
                    if let Some(Some(idx)) = queued.take() {
                        *ran.entry(idx).or_default() += 1;
                    }
                }
                (Some(b"INCR"), Some(idx)) if queued.is_none() => {
                    named.push(idx);
                    *ran.entry(idx).or_default() += 1;
                }
                (_, Some(idx)) => {
                    named.push(idx);
                    if let Some(unit) = &mut queued {
                        unit.get_or_insert(idx);
                    }
                }
                _ => {}
            }
        }
        for &idx in &named {
            if self.kinds.get(idx) == Some(&Kind::Get) {
                continue;
            }
            let earlier: u32 = self.ran.range(..conn).filter_map(|(_, ran)| ran.get(&idx)).sum();
            assert_eq!(earlier, 0, "{:?} {idx} written again after it ran (P8)", self.kinds[idx]);
        }
        self.ran.insert(conn, ran);
    }

    /// A batch on one server's wire (the request indexes its commands
    /// name, in order): whole, in order, nothing between its commands —
    /// written together on one connection, never split across connections
    /// nor resent in part; only the end of the wire may cut it (the rest
    /// is still to be written, or the connection was lost there).
    fn check_batches(&self, indexes: &[Option<usize>]) {
        let mut at = 0;
        while at < indexes.len() {
            let Some(members) = indexes[at].and_then(|idx| self.batches.get(&idx)) else {
                at += 1;
                continue;
            };
            assert_eq!(
                indexes[at],
                Some(members[0]),
                "a batch {members:?} written from the middle (split or resent in part)"
            );
            let written = members.len().min(indexes.len() - at);
            for (i, &idx) in members.iter().enumerate().take(written) {
                assert_eq!(indexes[at + i], Some(idx), "batch {members:?} not written whole and in order");
            }
            at += written;
        }
    }

    /// The P8 checks at the end, from what the servers ran.
    fn check_ran(&self, planned: &Planned, ended: &Ended) {
        if let Planned::Batch(members) = planned {
            let has_incr = members.iter().any(|&(_, kind)| kind == Kind::Incr);
            assert!(
                !has_incr || ended.attempts <= 1,
                "batch {members:?} with an INCR written {} times (P8)",
                ended.attempts
            );
            let mut ran_any = false;
            for &(idx, kind) in members.iter().filter(|&&(_, kind)| kind == Kind::Incr) {
                let ran: u32 = self.ran.values().filter_map(|ran| ran.get(&idx)).sum();
                assert!(ran <= 1, "{kind:?} {idx} of batch {members:?} ran {ran} times (P8)");
                ran_any |= ran > 0;
            }
            if let (true, Some(progress)) = (ran_any, ended.failed) {
                assert!(progress.was_written(), "batch {members:?} ran in part but failed as {progress:?} (P8)");
            }
            return;
        }
        let Planned::One(idx, kind) = *planned else { return };
        if kind == Kind::Get {
            // Idempotent: replayed as often as `max_tries` allows.
            return;
        }
        if matches!(kind, Kind::Incr | Kind::Watched) {
            assert!(ended.attempts <= 1, "{kind:?} {idx} written {} times (P8)", ended.attempts);
        }
        let ran: u32 = self.ran.values().filter_map(|ran| ran.get(&idx)).sum();
        assert!(ran <= 1, "{kind:?} {idx} ran {ran} times (P8)");
        if let (1, Some(progress)) = (ran, ended.failed) {
            assert!(progress >= Progress::Written, "{kind:?} {idx} ran but failed as {progress:?} (P8)");
        }
    }
}

/// The whole commands in `wire` (RESP arrays of bulk strings).
fn commands(mut wire: &[u8]) -> Vec<Vec<Vec<u8>>> {
    fn line(wire: &mut &[u8], prefix: u8) -> Option<usize> {
        let end = wire.windows(2).position(|w| w == b"\r\n")?;
        let (&first, digits) = wire[..end].split_first()?;
        if first != prefix {
            return None;
        }
        let n = std::str::from_utf8(digits).ok()?.parse().ok()?;
        *wire = &wire[end + 2..];
        Some(n)
    }
    let mut out = Vec::new();
    'commands: while !wire.is_empty() {
        let mut rest = wire;
        let Some(count) = line(&mut rest, b'*') else { break };
        let mut args = Vec::new();
        for _ in 0..count {
            let Some(len) = line(&mut rest, b'$') else { break 'commands };
            if rest.len() < len + 2 {
                break 'commands;
            }
            args.push(rest[..len].to_vec());
            rest = &rest[len + 2..];
        }
        out.push(args);
        wire = rest;
    }
    out
}
