//! P1: at most `depth` requests written and unanswered; a bounded queue
//! behind them; depth changes at run time.

use crate::harness::*;
use pipelining::h1::encode_request;
use pipelining::{RequestOptions, SubmitError};

#[test]
fn never_more_than_depth_requests_outstanding_at_the_server() {
    for depth in 1..=6 {
        for delivery in [Delivery::Whole, Delivery::Chunks(1), Delivery::Chunks(37)] {
            let mut pair = Pair::new(pipelining(depth));
            pair.delivery = delivery.clone();
            pair.server.hold = true;
            let ids: Vec<_> = (0..20).map(|i| pair.submit(get(&format!("/d/{i}")))).collect();
            pair.drive();
            assert_eq!(pair.server.received.len(), depth, "depth {depth}: the window fills and stops");
            assert_eq!(pair.conn.in_flight(), depth);
            assert_eq!(pair.conn.queued(), 20 - depth);
            pair.server.release();
            pair.drive();
            // The harness asserted the depth at every arrival.
            assert!(ids.iter().all(|&id| pair.is_ok(id)), "depth {depth} {delivery:?}");
            let expected: Vec<String> = (0..20).map(|i| format!("/d/{i}")).collect();
            assert_eq!(pair.server.targets(), expected, "in submission order, each once");
        }
    }
}

#[test]
fn submit_refuses_when_the_queue_is_full() {
    let mut config = pipelining(2);
    config.queue_limit = 3;
    let mut pair = Pair::new(config);
    pair.server.hold = true;
    for i in 0..3 {
        pair.submit(get(&format!("/q/{i}")));
    }
    let refused = pair.try_submit(get("/q/over"), RequestOptions::default());
    assert_eq!(refused, Err(SubmitError::QueueFull { limit: 3 }));
    // Writing frees queue room: two go in flight.
    pair.drive();
    assert_eq!(pair.conn.queued(), 1);
    pair.submit(get("/q/3"));
    pair.submit(get("/q/4"));
    assert!(matches!(pair.try_submit(get("/q/over2"), RequestOptions::default()), Err(SubmitError::QueueFull { .. })));
    pair.server.release();
    pair.drive();
    assert_eq!(pair.server.received.len(), 5);
    assert!(pair.subs.iter().all(|s| pair.is_ok(s.id)));
}

#[test]
fn depth_changes_at_run_time() {
    let mut pair = Pair::new(pipelining(2));
    pair.server.hold = true;
    let ids: Vec<_> = (0..12).map(|i| pair.submit(get(&format!("/r/{i}")))).collect();
    pair.drive();
    assert_eq!(pair.server.received.len(), 2);

    pair.set_depth(5);
    pair.drive();
    assert_eq!(pair.server.received.len(), 5, "raising the depth writes more at once");
    assert!(pair.server.received[2..5].iter().all(|r| r.transmit == 1), "in one transmit");

    // Lowering it keeps what is in flight and writes nothing until below it.
    pair.set_depth(1);
    pair.drive();
    assert_eq!(pair.server.received.len(), 5);
    assert_eq!(pair.conn.in_flight(), 5);
    pair.server.release();
    pair.drive();
    assert!(ids.iter().all(|&id| pair.is_ok(id)));
    let later: Vec<_> = pair.server.received[5..].iter().map(|r| r.transmit).collect();
    assert_eq!(later, [2, 3, 4, 5, 6, 7, 8], "one request per transmit at depth 1");

    // Zero is taken as one.
    pair.set_depth(0);
    assert_eq!(pair.conn.config().depth, 1);
}

#[test]
fn a_window_of_requests_is_encoded_into_one_transmit() {
    let mut pair = Pair::new(pipelining(8));
    let requests: Vec<_> = (0..8).map(|i| get(&format!("/w/{i}"))).collect();
    for r in &requests {
        pair.submit(r.clone());
    }
    let mut buf = b"already here".to_vec();
    let n = pair.conn.poll_transmit(pair.now, &mut buf).expect("a transmit");
    let mut expected = Vec::new();
    for r in &requests {
        encode_request(r, HOST.as_bytes(), &mut expected).unwrap();
    }
    assert_eq!(n, expected.len());
    assert_eq!(&buf[..12], b"already here", "poll_transmit appends");
    assert_eq!(&buf[12..], &expected[..], "all eight requests, in order, in one transmit");
    assert_eq!(pair.conn.in_flight(), 8);
    let mut more = Vec::new();
    assert_eq!(pair.conn.poll_transmit(pair.now, &mut more), None, "nothing new until it is accepted");
    pair.conn.handle_written(pair.now, n);
    assert_eq!(pair.conn.poll_transmit(pair.now, &mut more), None, "nothing left to write");
}

#[test]
fn requests_submitted_meanwhile_join_the_next_transmit() {
    let mut pair = Pair::new(pipelining(8));
    pair.server.hold = true;
    pair.submit(get("/j/0"));
    pair.drive();
    for i in 1..4 {
        pair.submit(get(&format!("/j/{i}")));
    }
    pair.drive();
    let transmits: Vec<_> = pair.server.received.iter().map(|r| r.transmit).collect();
    assert_eq!(transmits, [0, 1, 1, 1]);
    pair.server.release();
    pair.drive();
    assert!(pair.subs.iter().all(|s| pair.is_ok(s.id)));
}
