//! The dispatcher on a virtual clock: outcomes in order with one terminal
//! item (P12), a bounded body buffer that pauses reading and suspends the
//! stall timer (P1, P10), first-come-first-served waiting for room (P1, P5),
//! connect errors in failure messages, and a graceful shutdown.

use pipelining::dispatch::{Delivery, DispatchConfig, Dispatcher, Notice, Taken};
use pipelining::h1::{H1Codec, H1Factory, Request, ResponsePart};
use pipelining::{
    Capability, ConnectionId, Duration, ErrorKind, Instant, Instruction, Origin, PoolConfig, RequestId, RequestOptions,
    SubmitError,
};

const T0: Instant = Instant::from_millis(1_000);

fn origin() -> Origin {
    Origin::new("http", "dispatch.test", 80)
}

fn dispatcher(config: PoolConfig, body_buffer: u64) -> Dispatcher<H1Factory> {
    let mut dispatch = DispatchConfig::default();
    dispatch.body_buffer = body_buffer;
    Dispatcher::new(H1Factory::default(), config, dispatch).expect("valid config")
}

fn pipelining_pool(depth: usize, queue_limit: usize) -> PoolConfig {
    let mut config = PoolConfig::default();
    config.connections = 1;
    config.connection.depth = depth;
    config.connection.capability = Capability::Pipelining;
    config.queue_limit = queue_limit;
    config
}

fn instructions(d: &mut Dispatcher<H1Factory>) -> Vec<Instruction> {
    std::iter::from_fn(|| d.poll_instruction()).collect()
}

fn notices(d: &mut Dispatcher<H1Factory>) -> Vec<Notice> {
    std::iter::from_fn(|| d.poll_notice()).collect()
}

/// Opens the connection the dispatcher asks for.
fn connect(d: &mut Dispatcher<H1Factory>, now: Instant) -> ConnectionId {
    let conn = instructions(d)
        .into_iter()
        .find_map(|i| match i {
            Instruction::Connect { conn, .. } => Some(conn),
            _ => None,
        })
        .expect("a connect");
    d.handle_connected(now, conn);
    conn
}

/// Writes everything pending on `conn`; how many requests went out.
fn write(d: &mut Dispatcher<H1Factory>, now: Instant, conn: ConnectionId) -> usize {
    let mut requests = 0;
    let mut buf = Vec::new();
    while let Some((on, n)) = d.poll_transmit(now, &mut buf) {
        assert_eq!(on, conn);
        requests += buf.windows(4).filter(|w| w == b"GET ").count();
        d.handle_written(now, conn, n);
        buf.clear();
    }
    requests
}

fn take_all(d: &mut Dispatcher<H1Factory>, now: Instant, id: RequestId) -> Vec<Taken<H1Codec>> {
    std::iter::from_fn(|| d.take(now, id)).collect()
}

fn get(d: &mut Dispatcher<H1Factory>, now: Instant, path: &str) -> Result<RequestId, SubmitError<()>> {
    d.submit(now, &origin(), Request::get(path.to_owned()), RequestOptions::default()).map_err(|r| match r.error {
        SubmitError::QueueFull { limit } => SubmitError::QueueFull { limit },
        SubmitError::Closed => SubmitError::Closed,
        _ => SubmitError::Invalid(()),
    })
}

const OK_A: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nA";

#[test]
fn a_streamed_outcome_comes_in_order_and_ends_once() {
    let mut d = dispatcher(pipelining_pool(8, 16), 1024);
    let id = get(&mut d, T0, "/a").expect("admitted");
    assert!(notices(&mut d).is_empty(), "nothing to take yet");
    let conn = connect(&mut d, T0);
    assert_eq!(write(&mut d, T0, conn), 1);
    d.handle_received(T0, conn, OK_A);
    assert_eq!(notices(&mut d), [Notice::Request(id)], "woken once, however many items wait");
    let taken = take_all(&mut d, T0, id);
    let kinds: Vec<&str> = taken
        .iter()
        .map(|t| match &t.item {
            Delivery::Part(ResponsePart::Head(_)) => "head",
            Delivery::Part(ResponsePart::Data(_)) => "data",
            Delivery::Part(ResponsePart::End) => "end-part",
            Delivery::Part(_) => "other",
            Delivery::End => "END",
            Delivery::Complete(_) => "complete",
            Delivery::Failed(_) => "failed",
        })
        .collect();
    // HTTP's end marker is not handed over: the end is.
    assert_eq!(kinds, ["head", "data", "END"]);
    assert_eq!(taken.iter().filter(|t| t.item.is_terminal()).count(), 1, "exactly one terminal item (P12)");
    assert!(taken.iter().all(|t| t.attempts == 1));
    assert_eq!(taken[0].written.map(|(c, _)| c), Some(conn));
    assert!(!d.holds(id), "the mailbox is gone once its terminal item is taken");
    assert_eq!(d.take(T0, id).map(|t| t.item.is_terminal()), None);
    assert_eq!(d.outstanding(), 0);
}

#[test]
fn a_reader_behind_pauses_reading_and_the_stall_timer_until_it_catches_up() {
    let mut config = pipelining_pool(8, 16);
    config.connection.stall_timeout = Some(Duration::from_secs(30));
    let mut d = dispatcher(config, 1024);
    let id = get(&mut d, T0, "/big").expect("admitted");
    let conn = connect(&mut d, T0);
    write(&mut d, T0, conn);
    d.handle_received(T0, conn, b"HTTP/1.1 200 OK\r\nContent-Length: 4096\r\n\r\n");
    let chunk = [b'x'; 600];
    d.handle_received(T0, conn, &chunk);
    assert!(instructions(&mut d).is_empty(), "600 bytes fit the 1 KiB buffer");
    d.handle_received(T0, conn, &chunk);
    assert_eq!(instructions(&mut d), [Instruction::PauseReading { conn }], "1,200 bytes do not");
    assert_eq!(d.buffered(id), Some(1200));

    // Paused far longer than the stall timeout: the silence is ours, so the
    // connection stays open.
    let later = T0 + Duration::from_secs(120);
    d.handle_timeout(later);
    assert!(instructions(&mut d).is_empty(), "no stall close while paused");
    assert!(d.poll_timeout().is_none_or(|t| t > later), "no stall deadline armed while paused");

    // The reader takes the head and one chunk: 600 bytes left, above half.
    let first = d.take(later, id).expect("the head");
    assert!(matches!(first.item, Delivery::Part(ResponsePart::Head(_))));
    assert!(matches!(d.take(later, id).map(|t| t.item), Some(Delivery::Part(ResponsePart::Data(_)))));
    assert!(instructions(&mut d).is_empty(), "600 of 1,024 left: still behind");
    // The next takes it to zero: reading resumes and the stall timer runs.
    assert!(matches!(d.take(later, id).map(|t| t.item), Some(Delivery::Part(ResponsePart::Data(_)))));
    assert_eq!(instructions(&mut d), [Instruction::ResumeReading { conn }]);
    let stall = d.poll_timeout().expect("the stall timer runs again");
    assert_eq!(stall, later + Duration::from_secs(30));
    d.handle_timeout(stall);
    let closed: Vec<_> = instructions(&mut d);
    assert!(matches!(closed.as_slice(), [Instruction::Close { conn: c, .. }] if *c == conn), "{closed:?}");
    let last = take_all(&mut d, stall, id);
    assert!(
        matches!(&last[..], [Taken { item: Delivery::Failed(e), .. }] if e.kind == ErrorKind::Timeout),
        "a stall is a timeout"
    );
}

#[test]
fn dropping_a_paused_reader_resumes_reading() {
    let mut d = dispatcher(pipelining_pool(8, 16), 100);
    let id = get(&mut d, T0, "/big").expect("admitted");
    let conn = connect(&mut d, T0);
    write(&mut d, T0, conn);
    d.handle_received(T0, conn, b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n");
    d.handle_received(T0, conn, &[b'y'; 200]);
    assert_eq!(instructions(&mut d), [Instruction::PauseReading { conn }]);
    d.cancel(T0, id);
    // The rest (800 bytes) is within the cancel threshold: it is read and
    // dropped (P9), so reading resumes.
    assert_eq!(instructions(&mut d), [Instruction::ResumeReading { conn }]);
    assert!(!d.holds(id));
}

#[test]
fn waiting_for_room_is_first_come_first_served() {
    let mut d = dispatcher(pipelining_pool(1, 2), 1024);
    // Depth 1 and two queued: the first is written, two wait, a fourth is
    // refused.
    let a = get(&mut d, T0, "/a").expect("admitted");
    let conn = connect(&mut d, T0);
    assert_eq!(write(&mut d, T0, conn), 1);
    let b = get(&mut d, T0, "/b").expect("admitted");
    let c = get(&mut d, T0, "/c").expect("admitted");
    assert_eq!(get(&mut d, T0, "/d"), Err(SubmitError::QueueFull { limit: 2 }));
    let first = d.wait_for_room(T0, &origin());
    let second = d.wait_for_room(T0, &origin());
    assert!(notices(&mut d).is_empty(), "no room yet");

    // The answer to /a makes room for one: only the first waiter is told,
    // and a newcomer is refused although there is room (nothing overtakes).
    d.handle_received(T0, conn, OK_A);
    assert_eq!(notices(&mut d), [Notice::Request(a), Notice::Room(first)]);
    assert_eq!(get(&mut d, T0, "/newcomer"), Err(SubmitError::QueueFull { limit: 2 }));
    let refused = d.submit_waiting(T0, second, &origin(), Request::get("/second"), RequestOptions::default());
    assert!(matches!(refused, Err(r) if matches!(r.error, SubmitError::QueueFull { .. })), "not first in line");
    let d1 = d.submit_waiting(T0, first, &origin(), Request::get("/first"), RequestOptions::default()).expect("room");
    assert_eq!(d.waiting(), 1);
    assert!(notices(&mut d).is_empty(), "no room left for the second waiter");

    // Requests reach the server in the order they were sent.
    assert_eq!(write(&mut d, T0, conn), 1);
    for id in [a, b, c, d1] {
        let _ = take_all(&mut d, T0, id);
    }
    d.handle_received(T0, conn, OK_A);
    assert_eq!(notices(&mut d), [Notice::Request(b), Notice::Room(second)]);
    let d2 = d.submit_waiting(T0, second, &origin(), Request::get("/second"), RequestOptions::default()).expect("room");
    assert_eq!(d.waiting(), 0);
    let mut order = Vec::new();
    for _ in 0..3 {
        let mut buf = Vec::new();
        let (_, n) = d.poll_transmit(T0, &mut buf).expect("a request");
        order.push(String::from_utf8_lossy(&buf[..buf.iter().position(|&b| b == b'\r').unwrap()]).into_owned());
        d.handle_written(T0, conn, n);
        d.handle_received(T0, conn, OK_A);
    }
    assert_eq!(order, ["GET /c HTTP/1.1", "GET /first HTTP/1.1", "GET /second HTTP/1.1"]);
    let _ = d2;
}

#[test]
fn a_waiter_whose_deadline_passes_fails_timeout_without_being_sent() {
    let mut d = dispatcher(pipelining_pool(1, 1), 1024).with_request_timeout(Some(Duration::from_secs(5)));
    let _a = get(&mut d, T0, "/a").expect("admitted");
    assert_eq!(get(&mut d, T0, "/b"), Err(SubmitError::QueueFull { limit: 1 }));
    let waiter = d.wait_for_room(T0, &origin());
    assert_eq!(d.poll_timeout(), Some(T0 + Duration::from_secs(5)));
    let late = T0 + Duration::from_secs(5);
    d.handle_timeout(late);
    assert!(notices(&mut d).contains(&Notice::Room(waiter)), "woken to learn its fate");
    let id = d.submit_waiting(late, waiter, &origin(), Request::get("/b"), RequestOptions::default()).expect("an id");
    let taken = take_all(&mut d, late, id);
    assert!(
        matches!(&taken[..], [Taken { item: Delivery::Failed(e), attempts: 0, .. }] if e.kind == ErrorKind::Timeout),
        "{taken:?}"
    );
}

#[test]
fn failed_connects_name_the_origin_and_the_reason() {
    let mut config = pipelining_pool(8, 16);
    config.max_tries = 2;
    let mut d = dispatcher(config, 1024);
    let id = get(&mut d, T0, "/a").expect("admitted");
    for _ in 0..2 {
        let conn = instructions(&mut d)
            .into_iter()
            .find_map(|i| match i {
                Instruction::Connect { conn, .. } => Some(conn),
                _ => None,
            })
            .expect("a connect");
        d.handle_connect_failed(T0, conn, "Connection refused (os error 111)");
    }
    let taken = take_all(&mut d, T0, id);
    let [Taken { item: Delivery::Failed(error), .. }] = &taken[..] else { panic!("{taken:?}") };
    assert_eq!(error.kind, ErrorKind::Connect);
    assert_eq!(error.message, "connecting to http://dispatch.test: Connection refused (os error 111)");
}

#[test]
fn shutting_down_refuses_new_requests_finishes_the_rest_then_closes() {
    let mut d = dispatcher(pipelining_pool(8, 16), 1024);
    let a = get(&mut d, T0, "/a").expect("admitted");
    let conn = connect(&mut d, T0);
    write(&mut d, T0, conn);
    d.shut_down(T0);
    assert_eq!(get(&mut d, T0, "/late"), Err(SubmitError::Closed));
    assert!(!d.is_finished());
    assert!(instructions(&mut d).is_empty(), "the outstanding request keeps its connection");
    d.handle_received(T0, conn, OK_A);
    assert!(matches!(instructions(&mut d).as_slice(), [Instruction::Close { conn: c, .. }] if *c == conn));
    assert!(!d.is_finished(), "its outcome is still to be taken");
    let taken = take_all(&mut d, T0, a);
    assert!(matches!(taken.last().map(|t| &t.item), Some(Delivery::End)));
    assert!(d.is_finished());
}

#[test]
fn taking_the_last_part_and_the_end_together_resumes_reading() {
    // The body past the buffer and the response's end come in one read:
    // the connection pauses for a reader who then takes both at once
    // (`take_last`, as the Rust driver does); the pause must not outlive it.
    let mut d = dispatcher(pipelining_pool(8, 16), 100);
    let id = get(&mut d, T0, "/big").expect("admitted");
    let conn = connect(&mut d, T0);
    write(&mut d, T0, conn);
    d.handle_received(T0, conn, b"HTTP/1.1 200 OK\r\nContent-Length: 300\r\n\r\n");
    d.handle_received(T0, conn, &[b'z'; 300]);
    assert_eq!(instructions(&mut d), [Instruction::PauseReading { conn }]);
    assert!(matches!(d.take(T0, id).map(|t| t.item), Some(Delivery::Part(ResponsePart::Head(_)))));
    let (last, _) = d.take_last(T0, id).expect("the body and the end, together");
    assert!(matches!(last, Some(ResponsePart::Data(_))));
    assert!(!d.holds(id));
    assert_eq!(instructions(&mut d), [Instruction::ResumeReading { conn }]);
}
