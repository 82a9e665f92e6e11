//! Head-of-line rescue on one connection (docs/DESIGN.md P13): upgrades and
//! `blocking` requests hold what is behind them, a large response hands the
//! queued requests back to go elsewhere, and a silent head is reported with
//! the requests that may be copied. Each exchange runs delivered whole, byte
//! by byte and split at every offset.

use crate::harness::*;
use pipelining::{Cause, CloseReason, Duration, Progress, RequestOptions, Retry};

fn every_split(exchange: impl Fn(Delivery) -> Pair, check: impl Fn(&Pair, &Delivery)) {
    let total = exchange(Delivery::Whole).server.out.len();
    let mut all = vec![Delivery::Whole, Delivery::Chunks(1), Delivery::Chunks(7)];
    all.extend((1..total).map(|at| Delivery::At(vec![at])));
    for delivery in all {
        let pair = exchange(delivery.clone());
        check(&pair, &delivery);
    }
}

#[test]
fn an_upgrade_request_goes_alone_and_hands_over_the_bytes_after_the_101() {
    let exchange = |delivery| {
        let mut pair = Pair::new(pipelining(4));
        pair.delivery = delivery;
        pair.script(|r| match r.index {
            0 => Reply::ok(r),
            1 => Reply::raw("HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo\r\nConnection: upgrade\r\n\r\n")
                .close_head()
                .and(Reply::raw("new protocol bytes"))
                .and(Reply::nothing()),
            _ => Reply::ok(r),
        });
        pair.submit(get("/u/before"));
        let upgrade = get("/u/upgrade").with_header("Upgrade", "echo").with_header("Connection", "upgrade");
        pair.submit(upgrade);
        pair.submit(get("/u/after"));
        pair.drive();
        pair
    };
    every_split(exchange, |pair, delivery| {
        // Written alone: the request before it was answered first, the one
        // behind it never written.
        let targets = pair.server.targets();
        assert_eq!(targets, ["/u/before", "/u/upgrade"], "{delivery:?}");
        assert_eq!(pair.response(pair.subs[1].id).0, 101);
        let (progress, retry, cause, _) = pair.failure(pair.subs[2].id);
        assert_eq!((progress, retry), (Progress::NotWritten, Retry::Move), "{delivery:?}");
        assert_eq!(cause, &Cause::Lost(CloseReason::Upgraded));
        assert_eq!(pair.closed().reason, CloseReason::Upgraded);
    });
    // The bytes after the 101 that arrived with it belong to the new
    // protocol (later ones the caller reads from the transport itself).
    let mut pair = exchange(Delivery::Whole);
    let leftover = pair.conn.take_leftover();
    assert_eq!(&leftover[..], b"new protocol bytes");
}

#[test]
fn nothing_is_written_behind_a_blocking_request_until_its_response_begins() {
    let exchange = |delivery| {
        let mut pair = Pair::new(pipelining(8));
        pair.delivery = delivery;
        pair.submit(get("/b/0"));
        pair.submit_with(get("/b/slow"), RequestOptions::default().blocking());
        for i in 2..5 {
            pair.submit(get(&format!("/b/{i}")));
        }
        pair.drive();
        pair
    };
    every_split(exchange, |pair, delivery| {
        // One transmit up to and with the blocking request, then the rest
        // once part of its response arrived.
        assert_eq!(pair.transmits.len(), 2, "{delivery:?}");
        assert!(pair.subs.iter().all(|s| pair.is_ok(s.id)), "{delivery:?}");
        let at_second = pair.server.received[2].outstanding;
        assert!(at_second <= 3, "written behind the blocking request after its head: {at_second}");
    });
    // Before its head arrives, nothing more is written.
    let mut pair = Pair::new(pipelining(8));
    pair.script(|r| if r.index == 0 { Reply::nothing() } else { Reply::ok(r) });
    pair.submit_with(get("/b/held"), RequestOptions::default().blocking());
    pair.submit(get("/b/behind"));
    pair.drive();
    assert_eq!(pair.server.targets(), ["/b/held"]);
    assert_eq!(pair.conn.queued(), 1);
}

#[test]
fn a_large_response_hands_the_queued_requests_back_and_writes_nothing_behind_it() {
    for chunked in [false, true] {
        let exchange = |delivery| {
            let mut config = pipelining(2);
            config.large_response = Some(100);
            let mut pair = Pair::new(config);
            pair.delivery = delivery;
            pair.script(move |r| match (r.index, chunked) {
                // Announced: 1,000 bytes.
                (0, false) => Reply::response(format!(
                    "HTTP/1.1 200 OK\r\nX-Target: {}\r\nContent-Length: 1000\r\n\r\n{}",
                    r.target,
                    "x".repeat(1000)
                )),
                // Not announced: chunks that pass 100 bytes.
                (0, true) => Reply::response(format!(
                    "HTTP/1.1 200 OK\r\nX-Target: {}\r\nTransfer-Encoding: chunked\r\n\r\n40\r\n{}\r\n40\r\n{}\r\n0\r\n\r\n",
                    r.target,
                    "y".repeat(64),
                    "y".repeat(64)
                )),
                _ => Reply::ok(r),
            });
            for i in 0..6 {
                pair.submit(get(&format!("/l/{i}")));
            }
            pair.drive();
            pair
        };
        every_split(exchange, |pair, delivery| {
            // The first two were written (depth 2): the large one and the one
            // behind it. The rest went back unwritten, to go elsewhere.
            assert!(pair.is_ok(pair.subs[0].id), "{delivery:?}");
            assert!(pair.is_ok(pair.subs[1].id), "{delivery:?}");
            for sub in &pair.subs[2..] {
                let (progress, retry, cause, _) = pair.failure(sub.id);
                assert_eq!((progress, retry, cause), (Progress::NotWritten, Retry::Move, &Cause::Rerouted));
            }
            assert_eq!(pair.server.received.len(), 2, "{delivery:?} chunked {chunked}");
            assert!(!pair.conn.is_held(), "released once the large response is complete");
        });
    }
    // Once the large response is complete the connection writes again.
    let mut config = pipelining(2);
    config.large_response = Some(10);
    let mut pair = Pair::new(config);
    pair.script(|r| if r.index == 0 { Reply::ok_with(r, "X-Pad: 1\r\n") } else { Reply::ok(r) });
    pair.submit(get("/l/a-long-target-name"));
    pair.drive();
    let later = pair.submit(get("/l/later"));
    pair.drive();
    assert!(pair.is_ok(later));
}

#[test]
fn a_silent_head_is_reported_with_the_requests_that_may_be_copied() {
    let mut config = pipelining(6);
    config.rescue_delay = Some(Duration::from_millis(1_500));
    config.stall_timeout = None;
    let mut pair = Pair::new(config);
    pair.script(|_| Reply::nothing());
    let head_id = pair.submit(get("/h/slow"));
    let behind: Vec<_> = (0..3).map(|i| pair.submit(get(&format!("/h/{i}")))).collect();
    let not_idempotent = pair.submit_with(post("/h/post"), RequestOptions::default());
    pair.drive();
    assert_eq!(pair.slow_heads, 0);
    pair.advance_ms(1_499);
    assert_eq!(pair.slow_heads, 0, "not before the delay");
    pair.advance_ms(1);
    assert_eq!(pair.slow_heads, 1);
    let candidates: Vec<_> = pair.conn.rescue_candidates().map(|(id, _)| id).collect();
    assert_eq!(candidates, behind, "idempotent requests behind the head; not the head, not the POST");
    assert!(!candidates.contains(&head_id) && !candidates.contains(&not_idempotent));
    // Reported again a delay later, for requests written since.
    pair.advance_ms(1_500);
    assert_eq!(pair.slow_heads, 2);
}

#[test]
fn a_head_that_began_answering_or_a_paused_reader_is_not_slow() {
    let mut config = pipelining(4);
    config.rescue_delay = Some(Duration::from_millis(100));
    config.stall_timeout = None;
    // The head's response has begun: not silent.
    let mut pair = Pair::new(config);
    pair.script(|r| {
        if r.index == 0 { Reply::raw("HTTP/1.1 200 OK\r\nContent-Le").and(Reply::nothing()) } else { Reply::ok(r) }
    });
    pair.submit(get("/p/0"));
    pair.submit(get("/p/1"));
    pair.drive();
    pair.advance_ms(500);
    assert_eq!(pair.slow_heads, 0);
    // Reading paused: the silence is ours.
    let mut pair = Pair::new(config);
    pair.script(|_| Reply::nothing());
    pair.submit(get("/p/0"));
    pair.submit(get("/p/1"));
    pair.drive();
    let now = pair.now;
    pair.conn.handle_read_paused(now, true);
    pair.advance_ms(500);
    assert_eq!(pair.slow_heads, 0);
}
