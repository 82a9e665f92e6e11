//! DNS over TCP on the pipeline: answers matched by message ID in any order
//! (RFC 7766 §6.2.1.1), and what a bad ID does to the connection.
#![cfg(feature = "dns")]

use bytes::Bytes;
#[path = "support/codec.rs"]
mod codec;
#[path = "support/split.rs"]
mod split;
use pipelining::dns::{DnsCodec, DnsError, DnsFactory, DnsMessage, DnsQuery, RecordType, decode_message};
use pipelining::pipeline::{Connection, ConnectionConfig, CorrelationId, Event, Recipient, RequestOptions};
use pipelining::{CloseReason, Instant, Instruction, Lesson, Origin, Pool, PoolConfig, PoolEvent, RequestId, Retry};

const NOW: Instant = Instant::ZERO;

/// The queries in a transmit: (message ID, name, type).
fn queries_in(mut wire: &[u8]) -> Vec<(u16, String, u16)> {
    let mut out = Vec::new();
    while wire.len() >= 2 {
        let len = usize::from(u16::from_be_bytes([wire[0], wire[1]]));
        let msg = &wire[2..2 + len];
        let id = u16::from_be_bytes([msg[0], msg[1]]);
        let mut pos = 12;
        let mut labels = Vec::new();
        while msg[pos] != 0 {
            let l = usize::from(msg[pos]);
            labels.push(String::from_utf8(msg[pos + 1..pos + 1 + l].to_vec()).unwrap());
            pos += 1 + l;
        }
        let qtype = u16::from_be_bytes([msg[pos + 1], msg[pos + 2]]);
        out.push((id, labels.join("."), qtype));
        wire = &wire[2 + len..];
    }
    out
}

/// A framed answer to (id, name, type) with one A record whose address
/// encodes `octet`, the owner name compressed to the question.
fn answer(id: u16, name: &str, qtype: u16, octet: u8) -> Vec<u8> {
    let mut m = Vec::new();
    m.extend_from_slice(&id.to_be_bytes());
    m.extend_from_slice(&[0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0]);
    for label in name.split('.') {
        m.push(label.len() as u8);
        m.extend_from_slice(label.as_bytes());
    }
    m.push(0);
    m.extend_from_slice(&qtype.to_be_bytes());
    m.extend_from_slice(&[0, 1]);
    m.extend_from_slice(&[0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 10, 0, 0, octet]);
    let mut framed = (m.len() as u16).to_be_bytes().to_vec();
    framed.extend_from_slice(&m);
    framed
}

fn connection() -> Connection<DnsCodec> {
    let mut config = ConnectionConfig::default();
    config.depth = 16;
    let mut c = Connection::new(DnsCodec::default(), config, NOW);
    c.set_capability(pipelining::Capability::Pipelining);
    c
}

fn submit_all(c: &mut Connection<DnsCodec>, names: &[&str]) -> Vec<RequestId> {
    names.iter().map(|n| c.submit(NOW, DnsQuery::new(*n, RecordType::A), RequestOptions::default()).unwrap()).collect()
}

fn transmit(c: &mut Connection<DnsCodec>) -> Vec<u8> {
    let mut buf = Vec::new();
    if let Some(n) = c.poll_transmit(NOW, &mut buf) {
        c.handle_written(NOW, n);
    }
    buf
}

fn events(c: &mut Connection<DnsCodec>) -> Vec<Event<DnsCodec>> {
    std::iter::from_fn(|| c.poll_event()).collect()
}

fn answers(events: &[Event<DnsCodec>]) -> Vec<(RequestId, String, u8)> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Response { id, part, end: true } => {
                Some((*id, part.questions[0].name.clone(), part.answers[0].data[3]))
            }
            _ => None,
        })
        .collect()
}

/// How the answers reach the connection.
#[derive(Clone, Copy, Debug)]
enum Delivery {
    Whole,
    Bytewise,
    /// In two reads, the first ending at this offset.
    At(usize),
}

#[test]
fn answers_in_reverse_order_reach_their_own_queries() {
    let mut c = connection();
    let ids = submit_all(&mut c, &["a.test", "b.test", "c.test"]);
    let sent = queries_in(&transmit(&mut c));
    assert_eq!(sent.len(), 3, "all three in one transmit");
    let distinct: std::collections::BTreeSet<u16> = sent.iter().map(|q| q.0).collect();
    assert_eq!(distinct.len(), 3, "unique wire ids");
    let mut wire = Vec::new();
    for (i, (id, name, qtype)) in sent.iter().enumerate().rev() {
        wire.extend(answer(*id, name, *qtype, i as u8));
    }
    // Whole, byte by byte, and split at every offset: same matches.
    let splits = (1..wire.len()).map(Delivery::At);
    for delivery in [Delivery::Whole, Delivery::Bytewise].into_iter().chain(splits) {
        let mut c = connection();
        let ids2 = submit_all(&mut c, &["a.test", "b.test", "c.test"]);
        assert_eq!(queries_in(&transmit(&mut c)), sent);
        match delivery {
            Delivery::Whole => c.handle_received(NOW, &wire),
            Delivery::Bytewise => wire.iter().for_each(|b| c.handle_received(NOW, std::slice::from_ref(b))),
            Delivery::At(at) => {
                c.handle_received(NOW, &wire[..at]);
                c.handle_received(NOW, &wire[at..]);
            }
        }
        let got = answers(&events(&mut c));
        assert_eq!(
            got,
            vec![(ids2[2], "c.test".into(), 2), (ids2[1], "b.test".into(), 1), (ids2[0], "a.test".into(), 0)],
            "{delivery:?}"
        );
        assert_eq!(c.in_flight(), 0);
    }
    assert_eq!(ids.len(), 3);
}

#[test]
fn an_answer_to_an_id_never_asked_closes_the_connection_and_hands_queries_back() {
    let mut c = connection();
    let ids = submit_all(&mut c, &["a.test", "b.test"]);
    let sent = queries_in(&transmit(&mut c));
    let unknown = sent.iter().map(|q| q.0).max().unwrap().wrapping_add(100);
    c.handle_received(NOW, &answer(unknown, "a.test", 1, 9));
    let evs = events(&mut c);
    let failed: Vec<(RequestId, Retry)> = evs
        .iter()
        .filter_map(|e| match e {
            Event::Unanswered(f) => Some((f.id, f.retry)),
            _ => None,
        })
        .collect();
    assert_eq!(failed, vec![(ids[0], Retry::Replay), (ids[1], Retry::Replay)], "queries are idempotent");
    assert!(
        matches!(evs.last(), Some(Event::Closed(c)) if c.reason == CloseReason::Protocol && c.lesson == Lesson::PipelineBreak)
    );
}

#[test]
fn a_duplicated_answer_is_a_protocol_error_after_the_first_is_delivered() {
    let mut c = connection();
    let ids = submit_all(&mut c, &["a.test", "b.test"]);
    let sent = queries_in(&transmit(&mut c));
    let first = answer(sent[0].0, &sent[0].1, sent[0].2, 1);
    let mut wire = first.clone();
    wire.extend(first);
    c.handle_received(NOW, &wire);
    let evs = events(&mut c);
    assert_eq!(answers(&evs), vec![(ids[0], "a.test".into(), 1)]);
    assert!(evs.iter().any(|e| matches!(e, Event::Unanswered(f) if f.id == ids[1] && f.retry == Retry::Replay)));
    assert!(matches!(evs.last(), Some(Event::Closed(c)) if c.reason == CloseReason::Protocol));
}

#[test]
fn a_cancelled_querys_late_answer_is_dropped_and_the_rest_still_match() {
    let mut c = connection();
    let ids = submit_all(&mut c, &["a.test", "b.test", "c.test"]);
    let sent = queries_in(&transmit(&mut c));
    c.cancel(NOW, ids[1]);
    let mut wire = Vec::new();
    for (i, (id, name, qtype)) in sent.iter().enumerate() {
        wire.extend(answer(*id, name, *qtype, i as u8));
    }
    c.handle_received(NOW, &wire);
    let evs = events(&mut c);
    assert_eq!(answers(&evs), vec![(ids[0], "a.test".into(), 0), (ids[2], "c.test".into(), 2)]);
    let cancelled = evs.iter().filter(|e| e.terminal_id() == Some(ids[1])).count();
    assert_eq!(cancelled, 1, "exactly one terminal event for the cancelled query");
    assert_eq!(c.in_flight(), 0, "the cancelled slot was freed by its late answer");
    assert!(!c.is_closed());
}

#[test]
fn a_dropped_connection_replays_queries_elsewhere_with_the_same_wire_ids() {
    let origin = Origin::new("dns", "127.0.0.1", 53);
    let mut config = PoolConfig::default();
    config.connections = 1;
    let mut pool = Pool::new(DnsFactory, config).expect("valid config");
    let names = ["a.test", "b.test", "c.test", "d.test"];
    let ids: Vec<RequestId> = names
        .iter()
        .map(|n| pool.submit(NOW, &origin, DnsQuery::new(*n, RecordType::AAAA), RequestOptions::default()).unwrap())
        .collect();
    let mut log = Vec::new();
    let connect = |pool: &mut Pool<DnsFactory>, log: &mut Vec<PoolEvent<DnsCodec>>| {
        log.extend(std::iter::from_fn(|| pool.poll_event()));
        loop {
            match pool.poll_instruction() {
                Some(Instruction::Connect { conn, .. }) => break conn,
                Some(_) => {}
                None => panic!("no connect"),
            }
        }
    };
    let write_all = |pool: &mut Pool<DnsFactory>| {
        let mut all = Vec::new();
        let mut buf = Vec::new();
        while let Some((conn, n)) = pool.poll_transmit(NOW, &mut buf) {
            pool.handle_written(NOW, conn, n);
            all.extend_from_slice(&buf);
            buf.clear();
        }
        all
    };
    let first = connect(&mut pool, &mut log);
    pool.handle_connected(NOW, first);
    // The first query probes alone; answer it, then the rest go out.
    let mut sent = queries_in(&write_all(&mut pool));
    assert_eq!(sent.len(), 1);
    pool.handle_received(NOW, first, &answer(sent[0].0, &sent[0].1, sent[0].2, 0));
    let rest = queries_in(&write_all(&mut pool));
    assert_eq!(rest.len(), 3);
    sent.extend(rest.iter().cloned());
    // Answer one out of order, then the server goes away.
    pool.handle_received(NOW, first, &answer(rest[2].0, &rest[2].1, rest[2].2, 3));
    pool.handle_eof(NOW, first);
    let second = connect(&mut pool, &mut log);
    pool.handle_connected(NOW, second);
    let mut replayed = queries_in(&write_all(&mut pool));
    // The first replay goes alone on the new connection (P8).
    pool.handle_received(NOW, second, &answer(replayed[0].0, &replayed[0].1, replayed[0].2, 1));
    replayed.extend(queries_in(&write_all(&mut pool)));
    let expected: Vec<(u16, String, u16)> = rest[..2].to_vec();
    assert_eq!(replayed, expected, "the same wire ids, names and order");
    pool.handle_received(NOW, second, &answer(replayed[1].0, &replayed[1].1, replayed[1].2, 2));
    let mut done: Vec<(RequestId, u32)> = Vec::new();
    log.extend(std::iter::from_fn(|| pool.poll_event()));
    for e in log {
        if let PoolEvent::Response { id, end: true, attempts, part, .. } = e {
            assert_eq!(part.header.id, sent[ids.iter().position(|i| *i == id).unwrap()].0);
            done.push((id, attempts));
        }
    }
    done.sort();
    assert_eq!(done, vec![(ids[0], 1), (ids[1], 2), (ids[2], 2), (ids[3], 1)]);
}

#[test]
fn decoded_messages_keep_sections_and_slice_rdata() {
    let framed = answer(0x1234, "example.org", 28, 7);
    let message: DnsMessage = decode_message(&Bytes::copy_from_slice(&framed[2..])).unwrap();
    assert_eq!(message.header.id, 0x1234);
    assert_eq!(message.header.rcode(), 0);
    assert_eq!(message.questions[0].name, "example.org");
    assert_eq!(message.answers[0].name, "example.org", "the compressed owner name is expanded");
    assert_eq!(message.answers[0].ttl, 60);
    assert_eq!(&message.answers[0].data[..], &[10, 0, 0, 7]);
}

#[test]
fn an_answer_with_the_right_id_but_another_question_is_a_protocol_error() {
    // RFC 7766 §7: responses match on the ID and on the question.
    let mut c = connection();
    let ids = submit_all(&mut c, &["a.test", "b.test"]);
    let sent = queries_in(&transmit(&mut c));
    c.handle_received(NOW, &answer(sent[0].0, "other.test", sent[0].2, 1));
    let evs = events(&mut c);
    assert!(answers(&evs).is_empty(), "the answer must not reach {:?}", ids[0]);
    let failed: Vec<RequestId> = evs
        .iter()
        .filter_map(|e| match e {
            Event::Unanswered(f) => Some(f.id),
            _ => None,
        })
        .collect();
    assert_eq!(failed, ids, "both queries are handed back");
    assert!(matches!(evs.last(), Some(Event::Closed(c)) if c.reason == CloseReason::Protocol));
}

/// A framed message: the header fields, then `body` (questions and records).
fn framed(id: u16, flags: u16, counts: [u16; 2], body: &[u8]) -> Vec<u8> {
    let mut m = Vec::new();
    m.extend_from_slice(&id.to_be_bytes());
    m.extend_from_slice(&flags.to_be_bytes());
    for count in [counts[0], counts[1], 0, 0] {
        m.extend_from_slice(&count.to_be_bytes());
    }
    m.extend_from_slice(body);
    let mut out = (m.len() as u16).to_be_bytes().to_vec();
    out.extend_from_slice(&m);
    out
}

/// Decodes `wire` (then EOF if `eof`) whole, byte by byte and split at every
/// offset and pair of offsets (`support/split.rs`): every way gives the same
/// messages, error and unread bytes. Returns each message's (id, first
/// question's name) and the error.
fn decode_every_way(wire: &[u8], eof: bool) -> (Vec<(u16, String)>, Option<DnsError>) {
    let label = format!("{wire:02x?}");
    let out =
        split::decode_every_way(&label, wire, eof, || codec::Replies { codec: DnsCodec::default(), answering: None });
    for item in &out.items {
        assert_eq!(item.to, Recipient::Id(CorrelationId::new(u32::from(item.part.header.id))), "matched by message ID");
    }
    let messages = out.items.into_iter().map(|d| (d.part.header.id, d.part.questions[0].name.clone())).collect();
    (messages, out.error)
}

#[test]
fn every_split_of_good_answers_gives_the_same_messages() {
    // Two records, the second owner name a pointer into the first.
    let two_records = {
        let mut body = b"\x03two\x04test\x00\x00\x01\x00\x01".to_vec();
        body.extend_from_slice(&[0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 10, 0, 0, 1]);
        body.extend_from_slice(&[0x01, b'x', 0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 10, 0, 0, 2]);
        framed(7, 0x8180, [1, 2], &body)
    };
    let mut wire = answer(1, "a.test", 1, 1);
    wire.extend(two_records);
    wire.extend(answer(0xffff, "c.example.test", 28, 3));
    let expected = vec![(1, "a.test".to_string()), (7, "two.test".into()), (0xffff, "c.example.test".into())];
    for eof in [false, true] {
        assert_eq!(decode_every_way(&wire, eof), (expected.clone(), None), "eof {eof}");
    }
    // A part of the next message stays unread until it is whole.
    let mut partial = answer(2, "b.test", 1, 2);
    partial.extend_from_slice(&answer(3, "c.test", 1, 3)[..9]);
    assert_eq!(decode_every_way(&partial, false), (vec![(2, "b.test".into())], None));
}

#[test]
fn every_split_of_a_malformed_or_cut_answer_gives_the_same_error_after_the_same_messages() {
    let question = b"\x01q\x04test\x00\x00\x01\x00\x01";
    let record_too_long = {
        let mut body = question.to_vec();
        body.extend_from_slice(&[0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 9, 10, 0, 0, 1]);
        body
    };
    let trailing = {
        let mut body = question.to_vec();
        body.push(0);
        body
    };
    let cut = &answer(4, "cut.test", 1, 4)[..20];
    let cases: Vec<(&str, Vec<u8>, bool, DnsError)> = vec![
        ("a zero length prefix", vec![0, 0], false, DnsError::TooShort { len: 0 }),
        ("a length under a header", vec![0, 5, 1, 2, 3, 4, 5], false, DnsError::TooShort { len: 5 }),
        ("a query, not a response", framed(9, 0x0100, [1, 0], question), false, DnsError::NotAResponse),
        (
            "a pointer to itself",
            framed(9, 0x8180, [1, 0], b"\xc0\x0c\x00\x01\x00\x01"),
            false,
            DnsError::BadPointer { offset: 12 },
        ),
        (
            "a forward pointer",
            framed(9, 0x8180, [1, 0], b"\x01a\xc0\x20\x00\x01\x00\x01"),
            false,
            DnsError::BadPointer { offset: 14 },
        ),
        (
            "a reserved label type",
            framed(9, 0x8180, [1, 0], b"\x41a\x00\x00\x01\x00\x01"),
            false,
            DnsError::BadName { offset: 12 },
        ),
        ("a label past the end", framed(9, 0x8180, [1, 0], b"\x05ab"), false, DnsError::ShortMessage { offset: 12 }),
        (
            "record data past the end",
            framed(9, 0x8180, [1, 1], &record_too_long),
            false,
            DnsError::ShortMessage { offset: 36 },
        ),
        (
            "a byte after the last record",
            framed(9, 0x8180, [1, 0], &trailing),
            false,
            DnsError::TrailingBytes { extra: 1 },
        ),
        ("EOF inside a message", cut.to_vec(), true, DnsError::Truncated),
        ("EOF inside a length prefix", vec![0], true, DnsError::Truncated),
    ];
    for (what, bad, eof, error) in cases {
        // Alone, and between good answers: the one after it is never
        // decoded, however much of it had arrived.
        let mut after_good = answer(1, "good.test", 1, 1);
        after_good.extend_from_slice(&bad);
        if !eof {
            after_good.extend(answer(2, "next.test", 1, 2));
        }
        assert_eq!(decode_every_way(&bad, eof), (vec![], Some(error.clone())), "{what}");
        assert_eq!(
            decode_every_way(&after_good, eof),
            (vec![(1, "good.test".into())], Some(error)),
            "{what} after a good answer"
        );
    }
}
