//! The RESP codec: every reply type, malformed replies and replies cut by
//! EOF, fed whole, byte by byte, split at every offset and at every pair of
//! offsets (`support/split.rs`); replies matched in order on a pipeline; push messages
//! apart.
#![cfg(feature = "resp")]

use bytes::Bytes;
use pipelining::pipeline::{Connection, ConnectionConfig, Event, Recipient, RequestOptions};
use pipelining::resp::{Command, RespCodec, RespError, Value};
use pipelining::{Capability, CloseReason, Instant, Retry};

fn b(s: &str) -> Bytes {
    Bytes::copy_from_slice(s.as_bytes())
}

#[path = "support/codec.rs"]
mod codec;
#[path = "support/split.rs"]
mod split;

/// Values decoded, each with whom it answers.
type Decoded = Vec<(Value, Recipient)>;

/// Decodes `input` (each call answering a `GET`) whole, byte by byte and
/// split at every offset and pair of offsets (`support/split.rs`), then EOF
/// if `eof`: every way must give the same values, error and unread bytes.
fn every_way(input: &[u8], eof: bool) -> (Decoded, Option<RespError>) {
    let answering = pipelining::resp::Request::from(Command::new(["GET", "k"]));
    let label = String::from_utf8_lossy(input);
    let out = split::decode_every_way(&label, input, eof, || codec::Replies {
        codec: RespCodec::default(),
        answering: Some(answering.clone()),
    });
    (out.items.into_iter().map(|d| (d.part, d.to)).collect(), out.error)
}

#[test]
fn every_reply_type_decodes_identically_however_it_is_split() {
    let next = Recipient::Next;
    let cases: Vec<(&[u8], Decoded)> = vec![
        (b"+OK\r\n", vec![(Value::Simple(b("OK")), next)]),
        (b"-ERR wrong type\r\n", vec![(Value::Error(b("ERR wrong type")), next)]),
        (b":-42\r\n", vec![(Value::Integer(-42), next)]),
        (b"$5\r\nhe\r\nl\r\n", vec![(Value::Bulk(b("he\r\nl")), next)]),
        (b"$0\r\n\r\n", vec![(Value::Bulk(Bytes::new()), next)]),
        (b"$-1\r\n", vec![(Value::Null, next)]),
        (b"*-1\r\n", vec![(Value::Null, next)]),
        (b"*0\r\n", vec![(Value::Array(vec![]), next)]),
        (
            b"*3\r\n:1\r\n$1\r\na\r\n*1\r\n+x\r\n",
            vec![(
                Value::Array(vec![Value::Integer(1), Value::Bulk(b("a")), Value::Array(vec![Value::Simple(b("x"))])]),
                next,
            )],
        ),
        (b"_\r\n", vec![(Value::Null, next)]),
        (b"#t\r\n#f\r\n", vec![(Value::Boolean(true), next), (Value::Boolean(false), next)]),
        (b",3.25\r\n", vec![(Value::Double(3.25), next)]),
        (b"(12345678901234567890\r\n", vec![(Value::BigNumber(b("12345678901234567890")), next)]),
        (b"!9\r\nSYNTAX no\r\n", vec![(Value::BulkError(b("SYNTAX no")), next)]),
        (b"=8\r\ntxt:abcd\r\n", vec![(Value::Verbatim { format: b("txt"), text: b("abcd") }, next)]),
        (b"%1\r\n+k\r\n:7\r\n", vec![(Value::Map(vec![(Value::Simple(b("k")), Value::Integer(7))]), next)]),
        (b"~2\r\n:1\r\n:2\r\n", vec![(Value::Set(vec![Value::Integer(1), Value::Integer(2)]), next)]),
        (
            b">2\r\n+message\r\n+hi\r\n:5\r\n",
            vec![
                (Value::Push(vec![Value::Simple(b("message")), Value::Simple(b("hi"))]), Recipient::Unsolicited),
                (Value::Integer(5), next),
            ],
        ),
    ];
    for (input, expected) in cases {
        // EOF right after whole replies changes nothing.
        for eof in [false, true] {
            let (values, error) = every_way(input, eof);
            assert_eq!(error, None, "{:?} eof {eof}", String::from_utf8_lossy(input));
            assert_eq!(values, expected, "{:?} eof {eof}", String::from_utf8_lossy(input));
        }
    }
}

#[test]
fn malformed_replies_fail_with_their_own_error_however_split() {
    let cases: Vec<(&[u8], RespError)> = vec![
        (b"?what\r\n", RespError::UnknownType { byte: b'?' }),
        (b":12a\r\n", RespError::InvalidNumber),
        (b"$-2\r\n", RespError::InvalidNumber),
        (b"$3\r\nabcd\r\n", RespError::MissingCrlf),
        (b":99999999999999999999\r\n", RespError::InvalidNumber),
        (b"#x\r\n", RespError::InvalidNumber),
        (b"$99999999999\r\n", RespError::TooLarge { limit: 64 * 1024 * 1024 }),
    ];
    for (input, expected) in cases {
        let (values, error) = every_way(input, false);
        assert!(values.is_empty());
        assert_eq!(error, Some(expected), "{:?}", String::from_utf8_lossy(input));
    }
    let deep = "*1\r\n".repeat(200) + ":1\r\n";
    assert_eq!(every_way(deep.as_bytes(), false).1, Some(RespError::TooDeep { limit: 128 }));
}

#[test]
fn good_replies_before_a_malformed_or_cut_one_decode_the_same_however_split() {
    let next = Recipient::Next;
    // (input, EOF after it, the replies before the fault, the fault)
    let cases: Vec<(&[u8], bool, Decoded, RespError)> = vec![
        (
            b"+OK\r\n:1\r\n?x\r\n",
            false,
            vec![(Value::Simple(b("OK")), next), (Value::Integer(1), next)],
            RespError::UnknownType { byte: b'?' },
        ),
        (b"$1\r\nv\r\n$3\r\nabcd\r\n", false, vec![(Value::Bulk(b("v")), next)], RespError::MissingCrlf),
        (b"*2\r\n:1\r\n:x\r\n", false, vec![], RespError::InvalidNumber),
        (
            b">1\r\n+p\r\n%1\r\n+k\r\n#?\r\n",
            false,
            vec![(Value::Push(vec![Value::Simple(b("p"))]), Recipient::Unsolicited)],
            RespError::InvalidNumber,
        ),
        (b"$5\r\nhel", true, vec![], RespError::Truncated),
        (b"+OK\r\n*2\r\n:1\r\n:", true, vec![(Value::Simple(b("OK")), next)], RespError::Truncated),
        (b"+OK", true, vec![], RespError::Truncated),
        (b":7\r\n$0\r\n\r", true, vec![(Value::Integer(7), next)], RespError::Truncated),
    ];
    for (input, eof, expected, fault) in cases {
        let (values, error) = every_way(input, eof);
        assert_eq!(values, expected, "{:?}", String::from_utf8_lossy(input));
        assert_eq!(error, Some(fault), "{:?}", String::from_utf8_lossy(input));
    }
}

fn connection() -> Connection<RespCodec> {
    let mut c = Connection::new(RespCodec::default(), ConnectionConfig::default(), Instant::ZERO);
    c.set_capability(Capability::Pipelining);
    c
}

#[test]
fn replies_match_commands_in_order_and_an_error_reply_is_a_response() {
    let now = Instant::ZERO;
    let mut c = connection();
    let ids: Vec<_> = [vec!["SET", "k", "v"], vec!["INCR", "k"], vec!["GET", "k"]]
        .into_iter()
        .map(|args| c.submit(now, Command::new(args).into(), RequestOptions::default()).unwrap())
        .collect();
    let mut out = Vec::new();
    // INCR is not idempotent: it goes alone (P5), so three transmits.
    let mut transmits = 0;
    let replies: [&[u8]; 3] = [b"+OK\r\n", b"-ERR value is not an integer\r\n", b"$1\r\nv\r\n"];
    let mut got = Vec::new();
    for reply in replies {
        out.clear();
        let n = c.poll_transmit(now, &mut out).expect("a transmit");
        transmits += 1;
        c.handle_written(now, n);
        // A push in between answers nothing.
        c.handle_received(now, b">2\r\n+invalidate\r\n$1\r\nk\r\n");
        c.handle_received(now, reply);
        while let Some(e) = c.poll_event() {
            match e {
                Event::Response { id, part, end: true } => got.push((id, part)),
                Event::Unsolicited(Value::Push(items)) => assert_eq!(items[0], Value::Simple(b("invalidate"))),
                Event::Written { .. } | Event::Capability(_) => {}
                other => panic!("unexpected {other:?}"),
            }
        }
    }
    assert_eq!(transmits, 3);
    assert_eq!(
        got,
        vec![
            (ids[0], Value::Simple(b("OK"))),
            (ids[1], Value::Error(b("ERR value is not an integer"))),
            (ids[2], Value::Bulk(b("v"))),
        ]
    );
    assert!(!c.is_closed(), "an error reply leaves the connection healthy");
}

#[test]
fn a_killed_connection_replays_reads_and_never_resends_a_written_incr() {
    let now = Instant::ZERO;
    let mut c = connection();
    let get = c.submit(now, Command::new(["GET", "k"]).into(), RequestOptions::default()).unwrap();
    let mut out = Vec::new();
    let n = c.poll_transmit(now, &mut out).unwrap();
    c.handle_written(now, n);
    let incr = c.submit(now, Command::new(["INCR", "n"]).into(), RequestOptions::default()).unwrap();
    c.handle_received(now, b"$1\r\nv\r\n");
    out.clear();
    let n = c.poll_transmit(now, &mut out).unwrap();
    c.handle_written(now, n);
    let queued = c.submit(now, Command::new(["GET", "k"]).into(), RequestOptions::default()).unwrap();
    c.handle_eof(now);
    let mut outcomes = Vec::new();
    while let Some(e) = c.poll_event() {
        match e {
            Event::Response { id, end: true, .. } => outcomes.push((id, None)),
            Event::Unanswered(f) => outcomes.push((f.id, Some((f.retry, f.kind())))),
            Event::Closed(closed) => assert_eq!(closed.reason, CloseReason::PeerClosed),
            _ => {}
        }
    }
    assert_eq!(
        outcomes,
        vec![
            (get, None),
            (incr, Some((Retry::Never, pipelining::ErrorKind::MayHaveBeenProcessed))),
            (queued, Some((Retry::Move, pipelining::ErrorKind::ConnectionLost))),
        ]
    );
}
