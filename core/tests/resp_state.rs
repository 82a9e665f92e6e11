//! Redis connection state (issue 22): the setup every new connection runs
//! first, commands that would change a connection's state refused,
//! transactions written and answered as one unit and resent only while
//! their EXEC was not written, batches answered by all their replies at
//! once, and a subscriber's connection where messages answer nothing. Replies fed whole, byte by byte and split at every offset.
#![cfg(feature = "resp")]

use bytes::{Bytes, BytesMut};
use pipelining::dispatch::{DispatchConfig, Dispatcher, Notice};
use pipelining::pipeline::{Codec, Connection, ConnectionConfig, Event, Recipient, RequestOptions, SubmitError};
use pipelining::resp::{
    Command, CommandError, Request, RespCodec, RespConfig, RespFactory, RespSetup, Transaction, Value,
};
use pipelining::{
    Capability, CloseReason, ErrorKind, Instant, Instruction, Origin, PoolConfig, Progress, RequestId, Retry,
};

fn codec(config: RespConfig) -> RespCodec {
    RespCodec::with_config(config)
}

/// A Redis client's connection: non-idempotent commands pipelined too.
fn connection(config: RespConfig) -> Connection<RespCodec> {
    let mut connection_config = ConnectionConfig::default();
    connection_config.non_idempotent = pipelining::pipeline::NonIdempotentPolicy::Pipelined;
    let mut c = Connection::new(codec(config), connection_config, Instant::ZERO);
    c.set_capability(Capability::Pipelining);
    c
}

fn write(c: &mut Connection<RespCodec>) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(n) = c.poll_transmit(Instant::ZERO, &mut out) {
        c.handle_written(Instant::ZERO, n);
    }
    out
}

fn events(c: &mut Connection<RespCodec>) -> Vec<Event<RespCodec>> {
    std::iter::from_fn(|| c.poll_event()).collect()
}

fn transaction() -> Request {
    Transaction::new([Command::new(["INCR", "a"]), Command::new(["INCR", "b"])]).into()
}

/// MULTI's +OK, two QUEUED, EXEC's array.
const TRANSACTION_REPLIES: &[u8] = b"+OK\r\n+QUEUED\r\n+QUEUED\r\n*2\r\n:1\r\n:1\r\n";

#[test]
fn a_transaction_is_written_whole_and_answered_by_its_exec_at_every_split() {
    let mut c = connection(RespConfig::default());
    let id = c.submit(Instant::ZERO, transaction(), RequestOptions::default().whole()).unwrap();
    let get = c.submit(Instant::ZERO, Command::new(["GET", "k"]).into(), RequestOptions::default().whole()).unwrap();
    assert_eq!(
        write(&mut c),
        b"*1\r\n$5\r\nMULTI\r\n*2\r\n$4\r\nINCR\r\n$1\r\na\r\n*2\r\n$4\r\nINCR\r\n$1\r\nb\r\n*1\r\n$4\r\nEXEC\r\n*2\r\n$3\r\nGET\r\n$1\r\nk\r\n"
    );
    let mut replies = TRANSACTION_REPLIES.to_vec();
    replies.extend_from_slice(b"$1\r\nv\r\n");
    // Every split of the replies gives the same two answers.
    for at in 0..=replies.len() {
        let mut codec = codec(RespConfig::default());
        let mut buf = BytesMut::new();
        let requests = [transaction(), Command::new(["GET", "k"]).into()];
        let mut answers = Vec::new();
        for piece in [&replies[..at], &replies[at..]] {
            buf.extend_from_slice(piece);
            while let Some(d) = codec.decode(&mut buf, requests.get(answers.len())).unwrap() {
                assert_eq!(d.to, Recipient::Next);
                answers.push(d.part);
            }
        }
        assert_eq!(
            answers,
            [Value::Array(vec![Value::Integer(1), Value::Integer(1)]), Value::Bulk(Bytes::from_static(b"v"))],
            "split at {at}"
        );
    }
    c.handle_received(Instant::ZERO, &replies);
    let done: Vec<RequestId> = events(&mut c).iter().filter_map(Event::terminal_id).collect();
    assert_eq!(done, [id, get]);
}

#[test]
fn a_transaction_lost_before_its_exec_was_written_is_resent_whole_never_after() {
    // EXEC not all written: Redis discarded the queued commands.
    let mut c = connection(RespConfig::default());
    let id = c.submit(Instant::ZERO, transaction(), RequestOptions::default()).unwrap();
    let mut out = Vec::new();
    let n = c.poll_transmit(Instant::ZERO, &mut out).unwrap();
    c.handle_written(Instant::ZERO, n - 3);
    c.handle_transport_error(Instant::ZERO);
    let lost = events(&mut c).into_iter().find_map(|e| match e {
        Event::Unanswered(u) if u.id == id => Some(u),
        _ => None,
    });
    let lost = lost.expect("handed back");
    assert_eq!((lost.progress, lost.retry), (Progress::PartlyWritten, Retry::Replay));
    // All written: it may have run.
    let mut c = connection(RespConfig::default());
    let id = c.submit(Instant::ZERO, transaction(), RequestOptions::default()).unwrap();
    write(&mut c);
    c.handle_transport_error(Instant::ZERO);
    let lost = events(&mut c).into_iter().find_map(|e| match e {
        Event::Unanswered(u) if u.id == id => Some(u),
        _ => None,
    });
    let lost = lost.expect("handed back");
    assert_eq!(
        (lost.progress, lost.retry, lost.kind()),
        (Progress::Written, Retry::Never, ErrorKind::MayHaveBeenProcessed)
    );
}

#[test]
fn a_transaction_under_watch_is_never_resent_once_written() {
    let watched: Request = Transaction::new([Command::new(["SET", "k", "2"])]).watching(["k"]).into();
    let mut c = connection(RespConfig::default());
    let id = c.submit(Instant::ZERO, watched, RequestOptions::default()).unwrap();
    let mut out = Vec::new();
    let n = c.poll_transmit(Instant::ZERO, &mut out).unwrap();
    assert!(out.starts_with(b"*2\r\n$5\r\nWATCH\r\n$1\r\nk\r\n*1\r\n$5\r\nMULTI\r\n"));
    c.handle_written(Instant::ZERO, n / 2);
    c.handle_transport_error(Instant::ZERO);
    let lost = events(&mut c).into_iter().find_map(|e| match e {
        Event::Unanswered(u) if u.id == id => Some(u),
        _ => None,
    });
    let lost = lost.expect("handed back");
    assert_eq!((lost.retry, lost.kind()), (Retry::Never, ErrorKind::ConnectionLost));
    // WATCH's +OK comes first among its replies; a null EXEC (the key
    // changed) is its answer.
    let mut codec = codec(RespConfig::default());
    let request: Request = Transaction::new([Command::new(["SET", "k", "2"])]).watching(["k"]).into();
    let mut buf = BytesMut::from(&b"+OK\r\n+OK\r\n+QUEUED\r\n*-1\r\n"[..]);
    let d = codec.decode(&mut buf, Some(&request)).unwrap().expect("answered");
    assert_eq!(d.part, Value::Null);
}

fn batch(words: &[&[&'static str]]) -> Request {
    Request::Batch(words.iter().map(|w| Command::new(w.iter().copied())).collect())
}

#[test]
fn a_batch_is_written_together_and_answered_by_its_replies_in_order_at_every_split() {
    let mut c = connection(RespConfig::default());
    let id = c.submit(Instant::ZERO, batch(&[&["SET", "x", "1"], &["INCR", "x"]]), RequestOptions::default()).unwrap();
    let get = c.submit(Instant::ZERO, Command::new(["GET", "x"]).into(), RequestOptions::default()).unwrap();
    assert_eq!(
        write(&mut c),
        b"*3\r\n$3\r\nSET\r\n$1\r\nx\r\n$1\r\n1\r\n*2\r\n$4\r\nINCR\r\n$1\r\nx\r\n*2\r\n$3\r\nGET\r\n$1\r\nx\r\n"
    );
    // A push among the replies answers nothing (P2); an error reply is one
    // of the batch's replies.
    let replies = b"+OK\r\n>2\r\n$7\r\nmessage\r\n$1\r\nm\r\n-ERR not a number\r\n$1\r\n2\r\n";
    for at in 0..=replies.len() {
        let mut codec = codec(RespConfig::default());
        let mut buf = BytesMut::new();
        let requests = [batch(&[&["SET", "x", "1"], &["INCR", "x"]]), Command::new(["GET", "x"]).into()];
        let (mut answers, mut pushes) = (Vec::new(), 0);
        for piece in [&replies[..at], &replies[at..]] {
            buf.extend_from_slice(piece);
            while let Some(d) = codec.decode(&mut buf, requests.get(answers.len())).unwrap() {
                match d.to {
                    Recipient::Next => answers.push(d.part),
                    _ => pushes += 1,
                }
            }
        }
        let expected = [
            Value::Array(vec![
                Value::Simple(Bytes::from_static(b"OK")),
                Value::Error(Bytes::from_static(b"ERR not a number")),
            ]),
            Value::Bulk(Bytes::from_static(b"2")),
        ];
        assert_eq!((answers.as_slice(), pushes), (&expected[..], 1), "split at {at}");
    }
    c.handle_received(Instant::ZERO, replies);
    let done: Vec<RequestId> = events(&mut c).iter().filter_map(Event::terminal_id).collect();
    assert_eq!(done, [id, get]);
}

#[test]
fn a_lost_batch_is_resent_whole_only_when_every_command_may_be() {
    for (words, retry, kind) in [
        // Reads and a plain SET: resent, answered replies and all.
        (&[&["SET", "k", "v"][..], &["GET", "k"]][..], Retry::Replay, None),
        // An INCR among them: it may have run, and may not run twice.
        (&[&["GET", "k"][..], &["INCR", "n"]], Retry::Never, Some(ErrorKind::MayHaveBeenProcessed)),
        // A DEL answers differently when repeated.
        (&[&["DEL", "k"][..], &["GET", "k"]], Retry::Never, Some(ErrorKind::MayHaveBeenProcessed)),
    ] {
        let mut c = connection(RespConfig::default());
        let id = c.submit(Instant::ZERO, batch(words), RequestOptions::default()).unwrap();
        write(&mut c);
        // The first reply came: the batch was lost half answered.
        c.handle_received(Instant::ZERO, b"+OK\r\n");
        c.handle_transport_error(Instant::ZERO);
        let events = events(&mut c);
        let lost = events.iter().find_map(|e| match e {
            Event::Unanswered(u) if u.id == id => Some(u),
            _ => None,
        });
        let lost = lost.unwrap_or_else(|| panic!("{words:?}: handed back: {events:?}"));
        assert_eq!(lost.retry, retry, "{words:?}");
        if let Some(kind) = kind {
            assert_eq!(lost.kind(), kind, "{words:?}");
        }
    }
    // With same-state commands allowed to be resent, the DEL batch is.
    let mut config = RespConfig::default();
    config.replay_same_state = true;
    assert!(codec(config).is_idempotent(&batch(&[&["DEL", "k"], &["GET", "k"]])));
}

#[test]
fn an_empty_batch_and_a_state_change_in_a_batch_are_refused() {
    let mut c = connection(RespConfig::default());
    let refused = |c: &mut Connection<RespCodec>, request: Request| {
        c.submit(Instant::ZERO, request, RequestOptions::default())
            .map(|_| ())
            .map_err(|r| r.error)
            .expect_err("refused")
    };
    let error = refused(&mut c, Request::Batch(Vec::new()));
    assert!(matches!(error, SubmitError::Invalid(CommandError::EmptyBatch)), "{error:?}");
    let error = refused(&mut c, batch(&[&["GET", "k"], &["SELECT", "2"]]));
    assert!(matches!(error, SubmitError::Invalid(CommandError::StateChange { .. })), "{error:?}");
    assert_eq!(error.kind(), ErrorKind::InvalidRequest);
    let mut config = RespConfig::default();
    config.subscriber = true;
    let mut subscriber = connection(config);
    let error = refused(&mut subscriber, batch(&[&["SUBSCRIBE", "c"]]));
    assert!(matches!(error, SubmitError::Invalid(CommandError::NotForSubscriber { .. })), "{error:?}");
}

#[test]
fn commands_that_change_the_connection_are_refused() {
    let mut c = connection(RespConfig::default());
    for words in [
        &["SELECT", "3"][..],
        &["AUTH", "pw"],
        &["HELLO", "3"],
        &["CLIENT", "SETNAME", "n"],
        &["MULTI"],
        &["SUBSCRIBE", "c"],
    ] {
        let refused = c.submit(Instant::ZERO, Command::new(words.iter().copied()).into(), RequestOptions::default());
        let error = refused.map(|_| ()).map_err(|r| r.error).expect_err("refused");
        assert!(matches!(error, SubmitError::Invalid(CommandError::StateChange { .. })), "{words:?}: {error:?}");
        assert_eq!(error.kind(), ErrorKind::InvalidRequest);
    }
    let nested: Request = Transaction::new([Command::new(["SELECT", "1"])]).into();
    assert!(c.submit(Instant::ZERO, nested, RequestOptions::default()).is_err(), "not inside a transaction either");
}

fn setup() -> RespConfig {
    let mut setup = RespSetup::default();
    setup.username = Some(Bytes::from_static(b"app"));
    setup.password = Some(Bytes::from_static(b"secret"));
    setup.database = Some(3);
    setup.client_name = Some(Bytes::from_static(b"worker"));
    let mut config = RespConfig::default();
    config.setup = setup;
    config
}

#[test]
fn every_connection_runs_its_setup_before_any_command() {
    let mut c = connection(setup());
    let set = c.submit(Instant::ZERO, Command::new(["SET", "k", "v"]).into(), RequestOptions::default()).unwrap();
    // The setup, and nothing else until it is answered.
    assert_eq!(
        write(&mut c),
        b"*3\r\n$4\r\nAUTH\r\n$3\r\napp\r\n$6\r\nsecret\r\n*3\r\n$6\r\nCLIENT\r\n$7\r\nSETNAME\r\n$6\r\nworker\r\n*2\r\n$6\r\nSELECT\r\n$1\r\n3\r\n"
    );
    for (i, byte) in b"+OK\r\n+OK\r\n".iter().enumerate() {
        c.handle_received(Instant::ZERO, &[*byte]);
        assert!(write(&mut c).is_empty(), "byte {i}: nothing before the whole setup is answered");
    }
    c.handle_received(Instant::ZERO, b"+OK\r\n");
    assert_eq!(write(&mut c), b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n");
    c.handle_received(Instant::ZERO, b"+OK\r\n");
    let events = events(&mut c);
    let ended: Vec<RequestId> = events.iter().filter_map(Event::terminal_id).collect();
    assert_eq!(ended, [set], "the setup's answers are the connection's own: {events:?}");
    // HELLO carries the protocol, the credentials and the name at once.
    let mut hello = setup();
    hello.setup.protocol = Some(3);
    let commands = hello.setup.commands();
    assert_eq!(commands[0], Command::new(["HELLO", "3", "AUTH", "app", "secret", "SETNAME", "worker"]));
    assert_eq!(commands[1], Command::new(["SELECT", "3"]));
}

#[test]
fn a_budget_counts_the_callers_commands_not_the_setup() {
    // A budget learned from responses to commands (P11) smaller than the
    // setup: the setup goes first all the same, then the budgeted command.
    let mut c = connection(setup());
    c.set_budget(Instant::ZERO, Some(1));
    let set = c.submit(Instant::ZERO, Command::new(["SET", "k", "v"]).into(), RequestOptions::default()).unwrap();
    let get = c.submit(Instant::ZERO, Command::new(["GET", "k"]).into(), RequestOptions::default()).unwrap();
    assert!(write(&mut c).ends_with(b"*2\r\n$6\r\nSELECT\r\n$1\r\n3\r\n"), "the whole setup");
    c.handle_received(Instant::ZERO, b"+OK\r\n+OK\r\n+OK\r\n");
    assert_eq!(write(&mut c), b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n", "one command: the budget");
    c.handle_received(Instant::ZERO, b"+OK\r\n");
    let events = events(&mut c);
    let answered: Vec<RequestId> = events
        .iter()
        .filter_map(|e| match e {
            Event::Response { id, end: true, .. } => Some(*id),
            _ => None,
        })
        .collect();
    assert_eq!(answered, [set], "{events:?}");
    let moved = events.iter().any(|e| matches!(e, Event::Unanswered(u) if u.id == get && u.retry == Retry::Move));
    assert!(moved, "the GET goes to another connection: {events:?}");
    assert!(matches!(events.last(), Some(Event::Closed(s)) if s.reason == CloseReason::BudgetSpent), "{events:?}");
}

#[test]
fn a_refused_setup_closes_the_connection_and_fails_the_queue_with_connect() {
    let mut c = connection(setup());
    let set = c.submit(Instant::ZERO, Command::new(["SET", "k", "v"]).into(), RequestOptions::default()).unwrap();
    write(&mut c);
    c.handle_received(Instant::ZERO, b"-WRONGPASS invalid username-password pair\r\n-NOAUTH\r\n-NOAUTH\r\n");
    let events = events(&mut c);
    assert!(matches!(&events[0], Event::SetupRefused(why) if why.starts_with("WRONGPASS")), "{events:?}");
    let moved = events.iter().find_map(|e| match e {
        Event::Unanswered(u) if u.id == set => Some((u.progress, u.retry)),
        _ => None,
    });
    assert_eq!(moved, Some((Progress::NotWritten, Retry::Move)), "never written behind the setup");
    assert!(matches!(events.last(), Some(Event::Closed(s)) if s.reason == CloseReason::SetupRefused));
    // Through a dispatcher: the waiting commands fail at once with
    // `connect`, naming the server's refusal.
    let factory = RespFactory { config: setup() };
    let mut pool = PoolConfig::default();
    pool.connection.capability = Capability::Pipelining;
    let mut d = Dispatcher::new(factory, pool, DispatchConfig::default()).unwrap();
    let origin = Origin::new("redis", "127.0.0.1", 6379);
    let now = Instant::ZERO;
    let id = d.submit(now, &origin, Command::new(["GET", "k"]).into(), RequestOptions::default().whole()).unwrap();
    let conn = std::iter::from_fn(|| d.poll_instruction())
        .find_map(|i| match i {
            Instruction::Connect { conn, .. } => Some(conn),
            _ => None,
        })
        .expect("a connect");
    d.handle_connected(now, conn);
    let mut out = Vec::new();
    while d.poll_transmit_on(now, conn, &mut out).is_some() {}
    d.handle_written(now, conn, out.len());
    d.handle_received(now, conn, b"-WRONGPASS invalid username-password pair\r\n-NOAUTH\r\n-NOAUTH\r\n");
    let taken = d.take(now, id).expect("an outcome");
    let pipelining::dispatch::Delivery::Failed(error) = taken.item else { panic!("failed") };
    assert_eq!(error.kind, ErrorKind::Connect);
    assert!(error.message.contains("WRONGPASS"), "{}", error.message);
}

#[test]
fn connections_lost_during_their_setup_count_as_failed_connects() {
    // A server that closes every connection before answering its setup (a
    // TLS server rejecting the client's certificate after the handshake):
    // the GET behind the setup is never written, and after `max_tries`
    // such losses in a row it fails with `connect`, instead of moving to a
    // new connection forever.
    let mut pool = PoolConfig::default();
    pool.connection.capability = Capability::Pipelining;
    pool.connections = 1;
    pool.max_tries = 3;
    let mut d = Dispatcher::new(RespFactory { config: setup() }, pool, DispatchConfig::default()).unwrap();
    let origin = Origin::new("redis", "127.0.0.1", 6379);
    let now = Instant::ZERO;
    let id = d.submit(now, &origin, Command::new(["GET", "k"]).into(), RequestOptions::default().whole()).unwrap();
    let mut connects = 0;
    loop {
        let conn = std::iter::from_fn(|| d.poll_instruction()).find_map(|i| match i {
            Instruction::Connect { conn, .. } => Some(conn),
            _ => None,
        });
        let Some(conn) = conn else { break };
        connects += 1;
        assert!(connects <= 3, "a fourth connect: the losses are not counted");
        d.handle_connected(now, conn);
        let mut out = Vec::new();
        while d.poll_transmit_on(now, conn, &mut out).is_some() {}
        assert!(!out.windows(3).any(|w| w == b"GET"), "the GET went out before the setup was answered");
        d.handle_written(now, conn, out.len());
        d.handle_io_failure(now, conn, "peer sent a certificate_required alert", None);
    }
    assert_eq!(connects, 3, "max_tries connects");
    let taken = d.take(now, id).expect("an outcome");
    let pipelining::dispatch::Delivery::Failed(error) = taken.item else { panic!("failed") };
    assert_eq!((error.kind, error.attempts), (ErrorKind::Connect, 0));
    assert!(
        error.message.contains("lost before its setup was answered: peer sent a certificate_required alert"),
        "{}",
        error.message
    );
    // One answered setup in between resets the count: losses must come in
    // a row.
    let id = d.submit(now, &origin, Command::new(["GET", "k"]).into(), RequestOptions::default().whole()).unwrap();
    let connect = |d: &mut Dispatcher<RespFactory>| {
        let conn = std::iter::from_fn(|| d.poll_instruction())
            .find_map(|i| match i {
                Instruction::Connect { conn, .. } => Some(conn),
                _ => None,
            })
            .expect("a connect");
        d.handle_connected(now, conn);
        let mut out = Vec::new();
        while d.poll_transmit_on(now, conn, &mut out).is_some() {}
        d.handle_written(now, conn, out.len());
        conn
    };
    for _ in 0..2 {
        let conn = connect(&mut d);
        d.handle_io_failure(now, conn, "reset", None);
    }
    let conn = connect(&mut d);
    // The setup's three +OK and the GET's reply, then a loss with nothing
    // outstanding.
    d.handle_received(now, conn, b"+OK\r\n+OK\r\n+OK\r\n");
    let mut out = Vec::new();
    while d.poll_transmit_on(now, conn, &mut out).is_some() {}
    d.handle_written(now, conn, out.len());
    d.handle_received(now, conn, b"$1\r\nv\r\n");
    let taken = d.take(now, id).expect("an outcome");
    assert!(matches!(taken.item, pipelining::dispatch::Delivery::Complete(_)), "answered");
    d.handle_io_failure(now, conn, "reset", None);
    let id = d.submit(now, &origin, Command::new(["GET", "k"]).into(), RequestOptions::default().whole()).unwrap();
    for _ in 0..2 {
        let conn = connect(&mut d);
        d.handle_io_failure(now, conn, "reset", None);
    }
    assert!(d.take(now, id).is_none(), "two losses in a row after an answered setup: still waiting");
}

#[test]
fn a_subscriber_takes_messages_that_answer_nothing() {
    let mut config = RespConfig::default();
    config.subscriber = true;
    // Only (un)subscribe with one channel each, and PING.
    let c = connection(config.clone());
    assert!(c.config().depth > 0);
    let mut codec = codec(config.clone());
    assert!(codec.validate(&Command::new(["SUBSCRIBE", "news"]).into()).is_ok());
    assert!(codec.validate(&Command::new(["SUBSCRIBE", "a", "b"]).into()).is_err(), "one channel per command");
    assert!(codec.validate(&Command::new(["GET", "k"]).into()).is_err());
    // The confirmation answers the SUBSCRIBE; messages answer nothing,
    // RESP2 arrays and RESP3 pushes alike.
    let subscribe: Request = Command::new(["SUBSCRIBE", "news"]).into();
    let mut buf = BytesMut::from(
        &b"*3\r\n$9\r\nsubscribe\r\n$4\r\nnews\r\n:1\r\n*3\r\n$7\r\nmessage\r\n$4\r\nnews\r\n$2\r\nhi\r\n>3\r\n$7\r\nmessage\r\n$4\r\nnews\r\n$3\r\nhey\r\n"[..],
    );
    let confirmed = codec.decode(&mut buf, Some(&subscribe)).unwrap().expect("confirmation");
    assert_eq!(confirmed.to, Recipient::Next);
    for _ in 0..2 {
        let message = codec.decode(&mut buf, None).unwrap().expect("a message");
        assert_eq!(message.to, Recipient::Unsolicited);
    }
    // A dispatcher keeps them for a taker, pausing the connection past its
    // buffer and resuming it once the taker caught up.
    let factory = RespFactory { config };
    let mut pool = PoolConfig::default();
    pool.connection.capability = Capability::Pipelining;
    pool.connection.idle_timeout = None;
    let mut dispatch = DispatchConfig::default();
    dispatch.unsolicited_buffer = 4;
    let mut d = Dispatcher::new(factory, pool, dispatch).unwrap();
    let origin = Origin::new("redis", "127.0.0.1", 6379);
    let now = Instant::ZERO;
    let id = d.submit(now, &origin, subscribe, RequestOptions::default().whole()).unwrap();
    let conn = std::iter::from_fn(|| d.poll_instruction())
        .find_map(|i| match i {
            Instruction::Connect { conn, .. } => Some(conn),
            _ => None,
        })
        .expect("a connect");
    d.handle_connected(now, conn);
    let mut out = Vec::new();
    while d.poll_transmit_on(now, conn, &mut out).is_some() {}
    d.handle_written(now, conn, out.len());
    d.handle_received(now, conn, b"*3\r\n$9\r\nsubscribe\r\n$4\r\nnews\r\n:1\r\n");
    assert!(d.take(now, id).is_some(), "subscribed");
    for i in 0..6 {
        d.handle_received(now, conn, format!("*3\r\n$7\r\nmessage\r\n$4\r\nnews\r\n$1\r\n{i}\r\n").as_bytes());
    }
    let told: Vec<Notice> = std::iter::from_fn(|| d.poll_notice()).collect();
    assert!(told.contains(&Notice::Unsolicited), "{told:?}");
    let paused: Vec<Instruction> = std::iter::from_fn(|| d.poll_instruction()).collect();
    assert!(paused.contains(&Instruction::PauseReading { conn }), "past 4 messages the connection pauses: {paused:?}");
    let mut taken = Vec::new();
    while let Some((on, message)) = d.take_unsolicited(now) {
        assert_eq!(on, conn);
        taken.push(message);
    }
    assert_eq!(taken.len(), 6, "every message, in order");
    let resumed: Vec<Instruction> = std::iter::from_fn(|| d.poll_instruction()).collect();
    assert!(resumed.contains(&Instruction::ResumeReading { conn }), "{resumed:?}");
}
