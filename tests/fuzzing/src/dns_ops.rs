//! `dns_ops`: the pipeline in correlation-id mode. Arbitrary operations on
//! a `Connection<DnsCodec>` against a fake DNS server that answers the
//! queries it has read in any order the input picks, and sometimes lies
//! (a duplicate answer, an id never asked, garbage). Checked at every step:
//!
//! * P12: at most one terminal event per query; after a final `close()`,
//!   exactly one;
//! * every loss classified by the query's progress: moved if unwritten or
//!   lost in the stale-connection race (P6), replayed otherwise (P8);
//! * an answer is only ever handed to the query with its name (matching by
//!   message ID, docs/DESIGN.md P2);
//! * never more than `depth` queries in flight;
//! * wire IDs are unique among the queries in flight.

use arbitrary::{Arbitrary, Unstructured};
use pipelining::dns::{DnsCodec, DnsError, DnsQuery, RecordType};
use pipelining::pipeline::{Capability, Connection, ConnectionConfig, Event, RequestOptions};
use pipelining::{Cause, Duration, Instant, Lesson, Progress, RequestId, Retry, Unanswered};
use std::collections::{BTreeMap, BTreeSet};

#[derive(Arbitrary, Debug)]
enum Op {
    /// Submit a query for `name{n % 8}.test`.
    Submit(u8),
    /// Cancel the `n`-th submitted query.
    Cancel(u8),
    /// The transport accepts the pending transmit, or `n` bytes of it.
    Write(Option<u16>),
    /// The server answers the `n`-th query it has read and not answered.
    Answer(u8),
    /// The server answers the `n`-th read query again (a duplicate).
    Duplicate(u8),
    /// The server answers an id nobody asked.
    Unknown(u16),
    /// Bytes from a hostile server.
    Garbage(Vec<u8>),
    /// Deliver what the server sent so far, split at `n`.
    Deliver(u16),
    Eof,
    TransportError,
    /// Time passes.
    Advance(u16),
    SetDepth(u8),
}

/// A framed answer with one A record.
fn answer(id: u16, name: &str) -> Vec<u8> {
    let mut m = Vec::new();
    m.extend_from_slice(&id.to_be_bytes());
    m.extend_from_slice(&[0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0]);
    for label in name.split('.') {
        m.push(label.len() as u8);
        m.extend_from_slice(label.as_bytes());
    }
    m.extend_from_slice(&[0, 0, 1, 0, 1]);
    m.extend_from_slice(&[0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 10, 0, 0, 1]);
    let mut framed = (m.len() as u16).to_be_bytes().to_vec();
    framed.extend_from_slice(&m);
    framed
}

/// The (id, name) of each whole query in `wire`, leaving a partial one.
fn read_queries(wire: &mut Vec<u8>) -> Vec<(u16, String)> {
    let mut out = Vec::new();
    while wire.len() >= 2 {
        let len = usize::from(u16::from_be_bytes([wire[0], wire[1]]));
        if wire.len() < 2 + len {
            break;
        }
        let msg: Vec<u8> = wire.drain(..2 + len).skip(2).collect();
        let id = u16::from_be_bytes([msg[0], msg[1]]);
        let mut pos = 12;
        let mut labels = Vec::new();
        while pos < msg.len() && msg[pos] != 0 {
            let l = usize::from(msg[pos]);
            labels.push(String::from_utf8_lossy(&msg[pos + 1..pos + 1 + l]).into_owned());
            pos += 1 + l;
        }
        out.push((id, labels.join(".")));
    }
    out
}

/// How the bytes of a `Deliver` reach the connection.
#[derive(Clone, Copy, Debug)]
enum Delivery {
    /// In two calls, split where the input says.
    Split,
    /// In one call.
    Whole,
    /// One byte per call.
    Bytewise,
}

/// How a query ended, after every resubmission.
#[derive(Debug, PartialEq)]
enum Outcome {
    /// Answered: the message ID and the name in the answer.
    Answered { wire_id: u16, name: String },
    /// Failed for good: how far it got, what the connection said may be
    /// done with it, and why.
    Failed { progress: Progress, retry: Retry, cause: Cause<DnsError> },
    /// The connection refused it at submission.
    Refused,
}

/// A query as the caller sees it: resubmitted on the next connection when
/// the last one handed it back with [`Retry::Move`] or [`Retry::Replay`].
#[derive(Debug)]
struct Query {
    name: String,
    /// Its id on the current connection, if it is there.
    id: Option<RequestId>,
    /// Connections it was submitted to.
    attempts: u32,
    /// How it ended on the last connection it was submitted to.
    outcome: Option<Outcome>,
    /// Handed back to go to the next connection.
    again: bool,
}

/// Resubmissions per query.
const MAX_ATTEMPTS: u32 = 3;
/// Connections per run.
const MAX_CONNECTIONS: usize = 8;

/// Runs one input; panics if a property is violated.
pub fn run(data: &[u8]) {
    let mut u = Unstructured::new(data);
    let Ok(first_depth) = u8::arbitrary(&mut u) else { return };
    let mut ops = Vec::new();
    while ops.len() < 200 && !u.is_empty() {
        let Ok(op) = Op::arbitrary(&mut u) else { break };
        ops.push(op);
    }
    let depth = usize::from(first_depth % 16) + 1;
    // The same operations with the answers delivered whole, byte by byte
    // and split where the input says: the same outcome for every query.
    let split = execute(depth, &ops, Delivery::Split);
    crate::trace!("outcomes {split:?}");
    assert_eq!(execute(depth, &ops, Delivery::Whole), split, "whole and split deliveries disagree");
    assert_eq!(execute(depth, &ops, Delivery::Bytewise), split, "byte by byte and split deliveries disagree");
}

/// One connection to the fake server and what it has read and owes.
struct Session {
    conn: Connection<DnsCodec>,
    /// Per id submitted here: the query it is.
    ids: BTreeMap<RequestId, usize>,
    /// Ids that ended here.
    ended: BTreeSet<RequestId>,
    transmit: Vec<u8>,
    sent: usize,
    server_in: Vec<u8>,
    read: Vec<(u16, String)>,
    to_client: Vec<u8>,
}

impl Session {
    fn new(depth: usize, now: Instant) -> Session {
        let mut config = ConnectionConfig::default();
        config.depth = depth;
        let mut conn = Connection::new(DnsCodec::default(), config, now);
        conn.set_capability(Capability::Pipelining);
        Session {
            conn,
            ids: BTreeMap::new(),
            ended: BTreeSet::new(),
            transmit: Vec::new(),
            sent: 0,
            server_in: Vec::new(),
            read: Vec::new(),
            to_client: Vec::new(),
        }
    }

    fn submit(&mut self, now: Instant, queries: &mut [Query], idx: usize) {
        let query = &mut queries[idx];
        query.attempts += 1;
        match self.conn.submit(now, DnsQuery::new(query.name.clone(), RecordType::A), RequestOptions::default()) {
            Ok(id) => {
                assert!(self.ids.insert(id, idx).is_none(), "{id:?} handed out twice");
                query.id = Some(id);
                query.outcome = None;
            }
            Err(_) => query.outcome = Some(Outcome::Refused),
        }
    }

    /// Takes the connection's events: P12 and P2 on each.
    fn check(&mut self, queries: &mut [Query]) {
        let events: Vec<Event<DnsCodec>> = std::iter::from_fn(|| self.conn.poll_event()).collect();
        // A loss on a connection reused after idling is the stale-connection
        // race (P6): idempotent requests move even when written. Its close
        // comes with the losses.
        let stale = events.iter().any(|e| matches!(e, Event::Closed(c) if c.lesson == Lesson::StaleRace));
        for event in events {
            crate::trace!("event {event:?}");
            let Some(id) = event.terminal_id() else {
                if let Event::Response { id, .. } | Event::Written { id } = &event {
                    assert!(self.ids.contains_key(id), "an event for {id:?}, which was never submitted here");
                }
                continue;
            };
            // P12: a terminal event names a query submitted here, once.
            let idx = *self.ids.get(&id).unwrap_or_else(|| panic!("{id:?} ended but was never submitted here (P12)"));
            assert!(self.ended.insert(id), "two terminal events for {id:?} (P12)");
            let query = &mut queries[idx];
            match event {
                Event::Response { part, .. } => {
                    // P2: only the answer to its own question.
                    assert_eq!(part.questions[0].name, query.name, "an answer handed to the wrong query (P2)");
                    let name = part.questions[0].name.clone();
                    query.outcome = Some(Outcome::Answered { wire_id: part.header.id, name });
                }
                Event::Unanswered(failure) => {
                    let Unanswered { progress, retry, cause, .. } = *failure;
                    // P8: a query is idempotent, so whatever was lost is
                    // moved (never written, or in the stale race) or
                    // replayed.
                    match (&cause, progress) {
                        (Cause::Lost(_), Progress::NotWritten) => assert_eq!(retry, Retry::Move, "{id:?} {cause:?}"),
                        (Cause::Lost(_), _) if stale => {
                            assert_eq!(retry, Retry::Move, "{id:?} {cause:?} {progress:?} (P6)")
                        }
                        (Cause::Lost(_), _) => assert_eq!(retry, Retry::Replay, "{id:?} {cause:?} {progress:?}"),
                        _ => assert_eq!(retry, Retry::Never, "{id:?} {cause:?} {progress:?}"),
                    }
                    query.again = matches!(retry, Retry::Move | Retry::Replay) && query.attempts < MAX_ATTEMPTS;
                    query.outcome = Some(Outcome::Failed { progress, retry, cause });
                }
                other => panic!("a terminal event that is neither an answer nor a failure: {other:?}"),
            }
            if query.id == Some(id) {
                query.id = None;
            }
        }
    }

    /// After the connection closed: everything submitted here ended (P12).
    fn check_closed(&self) {
        for id in self.ids.keys() {
            assert!(self.ended.contains(id), "{id:?} never ended on its closed connection (P12)");
        }
        assert_eq!(self.conn.pending_ids().count(), 0, "pending on a closed connection");
    }
}

/// Runs `ops` against fresh connections, one after another: when one
/// closes, the next takes the queries it handed back to move or replay.
/// Returns each query's outcome.
fn execute(depth: usize, ops: &[Op], delivery: Delivery) -> Vec<Outcome> {
    let mut now = Instant::ZERO;
    let mut depth = depth;
    let mut session = Session::new(depth, now);
    let mut connections = 1;
    let mut queries: Vec<Query> = Vec::new();
    for op in ops {
        crate::trace!("op {op:?}");
        let s = &mut session;
        match op {
            Op::Submit(n) => {
                let name = format!("name{}.test", n % 8);
                queries.push(Query { name, id: None, attempts: 0, outcome: None, again: false });
                let idx = queries.len() - 1;
                s.submit(now, &mut queries, idx);
            }
            Op::Cancel(n) => {
                if !queries.is_empty() {
                    if let Some(id) = queries[usize::from(*n) % queries.len()].id {
                        s.conn.cancel(now, id);
                    }
                }
            }
            Op::Write(limit) => {
                if s.sent == s.transmit.len() {
                    s.transmit.clear();
                    s.sent = 0;
                    let _ = s.conn.poll_transmit(now, &mut s.transmit);
                    assert!(
                        s.conn.in_flight() <= depth.max(1) || s.transmit.is_empty(),
                        "more than depth in flight (P1)"
                    );
                }
                let left = s.transmit.len() - s.sent;
                let n = limit.map_or(left, |l| usize::from(l).min(left));
                s.server_in.extend_from_slice(&s.transmit[s.sent..s.sent + n]);
                s.sent += n;
                s.conn.handle_written(now, n);
                let new = read_queries(&mut s.server_in);
                let in_flight: BTreeSet<u16> = s.read.iter().map(|(id, _)| *id).collect();
                for (id, _) in &new {
                    assert!(!in_flight.contains(id), "wire id {id} reused while in flight");
                }
                s.read.extend(new);
            }
            Op::Answer(n) => {
                if !s.read.is_empty() {
                    let (id, name) = s.read.remove(usize::from(*n) % s.read.len());
                    s.to_client.extend(answer(id, &name));
                }
            }
            Op::Duplicate(n) => {
                if !s.read.is_empty() {
                    let (id, name) = s.read[usize::from(*n) % s.read.len()].clone();
                    s.to_client.extend(answer(id, &name));
                    s.to_client.extend(answer(id, &name));
                }
            }
            Op::Unknown(id) => s.to_client.extend(answer(*id, "stranger.test")),
            Op::Garbage(bytes) => s.to_client.extend(bytes.iter().take(64)),
            Op::Deliver(at) => {
                let bytes = std::mem::take(&mut s.to_client);
                match delivery {
                    Delivery::Split => {
                        let (head, tail) = bytes.split_at(usize::from(*at).min(bytes.len()));
                        s.conn.handle_received(now, head);
                        s.conn.handle_received(now, tail);
                    }
                    Delivery::Whole => s.conn.handle_received(now, &bytes),
                    Delivery::Bytewise => bytes.chunks(1).for_each(|b| s.conn.handle_received(now, b)),
                }
            }
            Op::Eof => s.conn.handle_eof(now),
            Op::TransportError => s.conn.handle_transport_error(now),
            Op::Advance(ms) => {
                now = now + Duration::from_millis(u64::from(*ms) * 100);
                s.conn.handle_timeout(now);
            }
            Op::SetDepth(d) => {
                depth = usize::from(d % 16) + 1;
                s.conn.set_depth(depth);
            }
        }
        session.check(&mut queries);
        if session.conn.is_closed() {
            session.check_closed();
            if connections == MAX_CONNECTIONS {
                break;
            }
            // Reconnect, and resubmit what the closed connection handed
            // back, in submission order.
            connections += 1;
            session = Session::new(depth, now);
            for idx in 0..queries.len() {
                if std::mem::take(&mut queries[idx].again) {
                    session.submit(now, &mut queries, idx);
                }
            }
            session.check(&mut queries);
        }
    }
    session.conn.close(now);
    session.check(&mut queries);
    session.check_closed();
    // P12 for the caller: every query ended on the last connection it was
    // submitted to (a query handed back when the run stopped reconnecting
    // keeps that failure).
    queries.into_iter().map(|q| q.outcome.unwrap_or_else(|| panic!("{} never ended (P12)", q.name))).collect()
}
