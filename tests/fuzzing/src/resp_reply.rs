//! `resp_reply`: arbitrary bytes and split points into the RESP codec, and
//! the same bytes as a server's replies to a pipeline of commands. Checked:
//!
//! * no panic, and the same values and error for every split;
//! * a push message (`>`) never answers a command (docs/DESIGN.md P2);
//! * on a `Connection<RespCodec>` (with a connection setup or not): at most
//!   one terminal event per command or transaction, and exactly one after a
//!   final `close()` (P12); a transaction lost before its EXEC was written
//!   may be resent, never one under WATCH once written (P8); a batch is
//!   answered by one reply per command, and one holding an INCR is never
//!   resent once written.

use arbitrary::{Arbitrary, Unstructured};
use bytes::BytesMut;
use pipelining::pipeline::{Capability, Codec, Connection, ConnectionConfig, Event, Recipient, RequestOptions};
use pipelining::resp::{Command, Request, RespCodec, RespConfig, RespError, RespSetup, Transaction, Value};
use pipelining::{Instant, RequestId};
use pipelining::{Progress, Retry};
use std::collections::BTreeSet;

/// The input: a connection setup or not, up to 32 requests (GET, INCR, a
/// transaction, one under WATCH, a batch of reads, a batch with an INCR),
/// up to 4 split points, then the server's bytes.
struct Input {
    bytes: Vec<u8>,
    splits: Vec<u16>,
    commands: Vec<u8>,
    setup: bool,
}

impl Input {
    fn parse(data: &[u8]) -> arbitrary::Result<Input> {
        let mut u = Unstructured::new(data);
        let setup = bool::arbitrary(&mut u)?;
        let commands = (0..u.int_in_range(0..=32)?).map(|_| u8::arbitrary(&mut u)).collect::<Result<_, _>>()?;
        let splits = (0..u.int_in_range(0..=4)?).map(|_| u16::arbitrary(&mut u)).collect::<Result<_, _>>()?;
        Ok(Input { bytes: u.take_rest().to_vec(), splits, commands, setup })
    }
}

/// Request `n % 6` of the input's choices.
fn request_for(n: u8) -> Request {
    match n % 6 {
        0 => Command::new(["GET", "k"]).into(),
        1 => Command::new(["INCR", "n"]).into(),
        2 => Transaction::new([Command::new(["INCR", "a"]), Command::new(["INCR", "b"])]).into(),
        3 => Transaction::new([Command::new(["SET", "k", "v"])]).watching(["k"]).into(),
        4 => Request::Batch(vec![Command::new(["GET", "k"]), Command::new(["GET", "j"])]),
        _ => Request::Batch(vec![Command::new(["GET", "k"]), Command::new(["INCR", "n"]), Command::new(["GET", "j"])]),
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
    let bytes = &input.bytes[..input.bytes.len().min(2048)];
    let whole = decode(bytes, &[]);
    let mut cuts: Vec<usize> = input.splits.iter().map(|&s| usize::from(s) % (bytes.len() + 1)).collect();
    cuts.sort_unstable();
    // NaN doubles compare unequal: compare the debug text.
    assert_eq!(format!("{:?}", decode(bytes, &cuts)), format!("{whole:?}"), "a split changed the result");

    let now = Instant::ZERO;
    let mut config = RespConfig::default();
    if input.setup {
        let mut setup = RespSetup::default();
        setup.password = Some("pw".into());
        setup.database = Some(3);
        config.setup = setup;
    }
    let mut conn = Connection::new(RespCodec::with_config(config), ConnectionConfig::default(), now);
    conn.set_capability(Capability::Pipelining);
    let mut submitted: Vec<(RequestId, Request)> = Vec::new();
    for &n in input.commands.iter().take(32) {
        let request = request_for(n);
        if let Ok(id) = conn.submit(now, request.clone(), RequestOptions::default()) {
            submitted.push((id, request));
        }
    }
    let mut ended = BTreeSet::new();
    let submitted_ids: Vec<RequestId> = submitted.iter().map(|(id, _)| *id).collect();
    let drain = |conn: &mut Connection<RespCodec>, ended: &mut BTreeSet<RequestId>| {
        while let Some(event) = conn.poll_event() {
            if let Some(id) = event.terminal_id() {
                assert!(submitted_ids.contains(&id), "an event for {id:?}, not submitted (a setup request?)");
                assert!(ended.insert(id), "two terminal events for {id:?} (P12)");
            }
            if let Event::Response { part: Value::Push(_), .. } = event {
                panic!("a push message answered a command");
            }
            if let Event::Response { id, part, .. } = &event {
                if let Some((_, Request::Batch(commands))) = submitted.iter().find(|(s, _)| s == id) {
                    let Value::Array(replies) = part else { panic!("a batch answered by {part:?}") };
                    assert_eq!(replies.len(), commands.len(), "a batch answered by one reply per command");
                }
            }
            if let Event::Unanswered(u) = &event {
                if let Request::Batch(commands) = &u.request {
                    if commands.iter().any(|c| c.name() == b"INCR") && u.retry == Retry::Replay {
                        assert_eq!(u.progress, Progress::NotWritten, "a batch holding an INCR resent once written");
                    }
                }
                if let Request::Transaction(t) = &u.request {
                    // P8 for units: never resent once EXEC may have run.
                    if u.retry == Retry::Replay {
                        assert!(t.watch.is_empty(), "a WATCH transaction resent");
                        assert!(u.progress < Progress::Written, "a transaction resent after its EXEC was written");
                    }
                    if !t.watch.is_empty() && u.progress > Progress::NotWritten {
                        assert_eq!(u.retry, Retry::Never, "a written WATCH transaction must not be resent");
                    }
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
    for (id, _) in &submitted {
        assert!(ended.contains(id), "{id:?} never ended (P12)");
    }
}
