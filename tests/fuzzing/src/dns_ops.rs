//! `dns_ops`: the pipeline in correlation-id mode. Arbitrary operations on
//! a `Connection<DnsCodec>` against a fake DNS server that answers the
//! queries it has read in any order the input picks, and sometimes lies
//! (a duplicate answer, an id never asked, garbage). Checked at every step:
//!
//! * P12: at most one terminal event per query; after a final `close()`,
//!   exactly one;
//! * an answer is only ever handed to the query with its name (matching by
//!   message ID, docs/DESIGN.md P2);
//! * never more than `depth` queries in flight;
//! * wire IDs are unique among the queries in flight.

use arbitrary::{Arbitrary, Unstructured};
use pipelining::dns::{DnsCodec, DnsQuery, RecordType};
use pipelining::pipeline::{Capability, Connection, ConnectionConfig, Event, RequestOptions};
use pipelining::{Duration, Instant, RequestId};
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

/// Runs one input; panics if a property is violated.
pub fn run(data: &[u8]) {
    let mut u = Unstructured::new(data);
    let Ok(first_depth) = u8::arbitrary(&mut u) else { return };
    let mut now = Instant::ZERO;
    let mut config = ConnectionConfig::default();
    config.depth = usize::from(first_depth % 16) + 1;
    let mut depth = config.depth;
    let mut conn = Connection::new(DnsCodec::default(), config, now);
    conn.set_capability(Capability::Pipelining);
    let mut names: BTreeMap<RequestId, String> = BTreeMap::new();
    let mut submitted: Vec<RequestId> = Vec::new();
    let mut ended: BTreeSet<RequestId> = BTreeSet::new();
    let mut transmit: Vec<u8> = Vec::new();
    let mut sent = 0usize;
    let mut server_in: Vec<u8> = Vec::new();
    let mut read: Vec<(u16, String)> = Vec::new();
    let mut to_client: Vec<u8> = Vec::new();
    let check =
        |conn: &mut Connection<DnsCodec>, ended: &mut BTreeSet<RequestId>, names: &BTreeMap<RequestId, String>| {
            while let Some(event) = conn.poll_event() {
                if let Some(id) = event.terminal_id() {
                    assert!(ended.insert(id), "two terminal events for {id:?} (P12)");
                }
                if let Event::Response { id, part, .. } = &event {
                    let asked = names.get(id).expect("a response to a query that was submitted");
                    assert_eq!(&part.questions[0].name, asked, "an answer handed to the wrong query (P2)");
                }
            }
        };
    for _ in 0..200 {
        if u.is_empty() {
            break;
        }
        let Ok(op) = Op::arbitrary(&mut u) else { break };
        match op {
            Op::Submit(n) => {
                let name = format!("name{}.test", n % 8);
                if let Ok(id) = conn.submit(now, DnsQuery::new(name.clone(), RecordType::A), RequestOptions::default())
                {
                    names.insert(id, name);
                    submitted.push(id);
                }
            }
            Op::Cancel(n) => {
                if !submitted.is_empty() {
                    conn.cancel(now, submitted[usize::from(n) % submitted.len()]);
                }
            }
            Op::Write(limit) => {
                if sent == transmit.len() {
                    transmit.clear();
                    sent = 0;
                    let _ = conn.poll_transmit(now, &mut transmit);
                    assert!(conn.in_flight() <= depth.max(1) || transmit.is_empty(), "more than depth in flight (P1)");
                }
                let n = limit.map_or(transmit.len() - sent, |l| usize::from(l).min(transmit.len() - sent));
                server_in.extend_from_slice(&transmit[sent..sent + n]);
                sent += n;
                conn.handle_written(now, n);
                let new = read_queries(&mut server_in);
                let in_flight: BTreeSet<u16> = read.iter().map(|(id, _)| *id).collect();
                for (id, _) in &new {
                    assert!(!in_flight.contains(id), "wire id {id} reused while in flight");
                }
                read.extend(new);
            }
            Op::Answer(n) => {
                if !read.is_empty() {
                    let (id, name) = read.remove(usize::from(n) % read.len());
                    to_client.extend(answer(id, &name));
                }
            }
            Op::Duplicate(n) => {
                if !read.is_empty() {
                    let (id, name) = read[usize::from(n) % read.len()].clone();
                    to_client.extend(answer(id, &name));
                    to_client.extend(answer(id, &name));
                }
            }
            Op::Unknown(id) => to_client.extend(answer(id, "stranger.test")),
            Op::Garbage(bytes) => to_client.extend(bytes.into_iter().take(64)),
            Op::Deliver(at) => {
                let at = usize::from(at).min(to_client.len());
                let rest = to_client.split_off(at);
                conn.handle_received(now, &to_client);
                conn.handle_received(now, &rest);
                to_client.clear();
            }
            Op::Eof => conn.handle_eof(now),
            Op::TransportError => conn.handle_transport_error(now),
            Op::Advance(ms) => {
                now = now + Duration::from_millis(u64::from(ms) * 100);
                conn.handle_timeout(now);
            }
            Op::SetDepth(d) => {
                depth = usize::from(d % 16) + 1;
                conn.set_depth(depth);
            }
        }
        check(&mut conn, &mut ended, &names);
        if conn.is_closed() {
            break;
        }
    }
    conn.close(now);
    check(&mut conn, &mut ended, &names);
    for id in &submitted {
        assert!(ended.contains(id), "{id:?} never ended (P12)");
    }
}
