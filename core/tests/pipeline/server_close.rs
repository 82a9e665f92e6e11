//! P6/P7: the server closes at a response boundary — after k responses, with
//! `Connection: close`, or when `Keep-Alive: max=N` is spent.

use crate::harness::*;
use pipelining::Lesson;
use pipelining::pipeline::NonIdempotentPolicy;
use pipelining::{Capability, Cause, CloseReason, Idempotency, Progress, RequestOptions, Retry};

/// The server answers `k` requests and closes (EOF at the boundary).
fn close_after(k: usize, delivery: Delivery) -> Pair {
    let mut pair = Pair::new(pipelining(4));
    pair.delivery = delivery;
    pair.script(move |r| {
        if r.index + 1 < k {
            Reply::ok(r)
        } else if r.index + 1 == k {
            Reply::ok(r).then_eof()
        } else {
            Reply::eof()
        }
    });
    for i in 0..10 {
        pair.submit(get(&format!("/k/{i}")));
    }
    pair.drive();
    pair
}

#[test]
fn peer_close_after_k_responses_replays_written_gets_and_moves_unwritten_ones() {
    for k in 0..10 {
        for delivery in [Delivery::Whole, Delivery::Chunks(1), Delivery::Chunks(64)] {
            let pair = close_after(k, delivery.clone());
            let written = pair.server.received.len();
            assert!(written >= k && written <= (k + 4).min(10), "k {k}: {written} written");
            // Requests that arrived after the server's close were written
            // (so replayed) but never processed.
            let processed = pair.server.received.iter().take_while(|r| r.processed).count();
            assert!(processed >= k && pair.server.received[processed..].iter().all(|r| !r.processed), "k {k}");
            for sub in &pair.subs {
                let i = sub.id.get() as usize;
                if i < k {
                    assert!(pair.is_ok(sub.id), "k {k} {delivery:?}: #{i} answered");
                    continue;
                }
                let (progress, retry, cause, _) = pair.failure(sub.id);
                assert_eq!(cause, &Cause::Lost(CloseReason::PeerClosed));
                if i < written {
                    assert_eq!((progress, retry), (Progress::Written, Retry::Replay), "k {k}: #{i} was written");
                } else {
                    assert_eq!((progress, retry), (Progress::NotWritten, Retry::Move), "k {k}: #{i} was not");
                }
            }
            let closed = pair.closed();
            assert_eq!(closed.reason, CloseReason::PeerClosed);
            assert_eq!(closed.responses, k as u64);
            if k == 0 {
                // Closed before the first response: no budget in that (P11).
                assert_eq!(closed.lesson, Lesson::Nothing, "k 0 {delivery:?}");
            } else {
                assert_eq!(closed.lesson, Lesson::ServerClose, "requests were outstanding: the server's limit (P11)");
            }
        }
    }
}

#[test]
fn eof_with_nothing_outstanding_is_an_idle_close() {
    let mut pair = Pair::new(pipelining(4));
    let id = pair.submit(get("/only"));
    pair.drive();
    assert!(pair.is_ok(id));
    pair.eof_now();
    let closed = pair.closed();
    assert_eq!(closed.reason, CloseReason::PeerClosed);
    assert_eq!(closed.lesson, Lesson::Nothing);
}

#[test]
fn connection_close_moves_requests_written_behind_it_whatever_their_method() {
    let mut config = pipelining(5);
    config.non_idempotent = NonIdempotentPolicy::Pipelined;
    let mut pair = Pair::new(config);
    pair.script(|r| if r.index == 1 { Reply::ok_with(r, "Connection: close\r\n") } else { Reply::ok(r) });
    pair.server.hold = true;
    let a = pair.submit(get("/a"));
    let b = pair.submit(get("/b-close"));
    let c = pair.submit(get("/c"));
    let d = pair.submit(post("/d-post"));
    let e = pair.submit_with(get("/e-never"), RequestOptions::default().idempotency(Idempotency::NeverRetry));
    let f = pair.submit(get("/f-queued"));
    pair.drive();
    assert_eq!(pair.server.received.len(), 5);
    pair.server.release();
    pair.drive();

    assert!(pair.is_ok(a) && pair.is_ok(b));
    for id in [c, d, e] {
        let (progress, retry, cause, kind) = pair.failure(id);
        assert_eq!(progress, Progress::Written);
        assert_eq!(retry, Retry::Move, "RFC 9112 §9.6: not processed, resent whatever the method, no try spent");
        assert_eq!(cause, &Cause::Lost(CloseReason::ServerClose));
        assert_eq!(kind, pipelining::ErrorKind::ConnectionLost);
    }
    assert_eq!(pair.failure(f).0, Progress::NotWritten);
    assert_eq!(pair.failure(f).1, Retry::Move);
    assert_eq!(pair.server.received.len(), 5, "nothing more is written");
    let closed = pair.closed();
    assert_eq!(closed.reason, CloseReason::ServerClose);
    assert_eq!(closed.lesson, Lesson::ServerClose);
    assert_eq!(closed.responses, 2);
}

#[test]
fn nothing_is_written_after_a_close_head_while_its_body_arrives() {
    let mut pair = Pair::new(pipelining(4));
    pair.delivery = Delivery::Chunks(1);
    pair.script(|r| if r.index == 0 { Reply::ok_with(r, "Connection: close\r\n") } else { Reply::ok(r) });
    pair.server.hold = true;
    let first = pair.submit(get("/first-with-a-longer-body"));
    pair.drive();
    pair.server.release();
    // Deliver the head only, then submit: the connection refuses new work.
    let head_len = pair.server.out.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
    while pair.responses_delivered() == 0 && pair.delivered_bytes() < head_len {
        pair.deliver_once();
    }
    assert!(pair.conn.is_closing());
    assert!(matches!(pair.try_submit(get("/late"), RequestOptions::default()), Err(pipelining::SubmitError::Closed)));
    pair.drive();
    assert!(pair.is_ok(first));
    assert_eq!(pair.server.received.len(), 1);
}

#[test]
fn a_slot_freed_while_a_close_response_arrives_is_not_used() {
    // #0 completes and frees a slot in the same read that brings #1's
    // `close` head; #2 waits in the queue and must not be written.
    let mut pair = Pair::new(pipelining(2));
    pair.script(|r| if r.index == 1 { Reply::ok_with(r, "Connection: close\r\n") } else { Reply::ok(r) });
    pair.server.hold = true;
    let ids: Vec<_> = (0..3).map(|i| pair.submit(get(&format!("/slot/{i}")))).collect();
    pair.drive();
    pair.server.release();
    let out = &pair.server.out;
    let first_end = pair.server.ends[0].at;
    let second_head = first_end + out[first_end..].windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
    pair.delivery = Delivery::At(vec![second_head]);
    pair.deliver_once();
    assert!(pair.is_ok(ids[0]));
    assert!(pair.conn.is_closing());
    assert!(!pair.flush_writes(), "nothing is written once a close head arrived");
    pair.drive();
    assert!(pair.is_ok(ids[1]));
    assert_eq!(pair.server.received.len(), 2);
    assert_eq!((pair.failure(ids[2]).0, pair.failure(ids[2]).1), (Progress::NotWritten, Retry::Move));
}

#[test]
fn keep_alive_max_allows_that_many_more_requests() {
    let mut pair = Pair::new(pipelining(2));
    pair.script(|r| if r.index == 0 { Reply::ok_with(r, "Keep-Alive: timeout=5, max=2\r\n") } else { Reply::ok(r) });
    pair.server.hold = true;
    let ids: Vec<_> = (0..6).map(|i| pair.submit(get(&format!("/m/{i}")))).collect();
    pair.drive();
    assert_eq!(pair.server.received.len(), 2);
    pair.server.release();
    pair.drive();
    // max=2 after the first: #1 (already written) and one more.
    assert_eq!(pair.server.targets(), ["/m/0", "/m/1", "/m/2"]);
    assert!(ids[..3].iter().all(|&id| pair.is_ok(id)));
    for &id in &ids[3..] {
        assert_eq!(pair.failure(id).0, Progress::NotWritten);
        assert_eq!(pair.failure(id).1, Retry::Move);
    }
    let closed = pair.closed();
    assert_eq!(closed.reason, CloseReason::BudgetSpent);
    assert!(closed.lesson != Lesson::PipelineBreak);
}

#[test]
fn keep_alive_max_zero_ends_the_connection_after_that_response() {
    let mut pair = Pair::new(pipelining(1));
    pair.script(|r| Reply::ok_with(r, "Keep-Alive: max=0\r\n"));
    let a = pair.submit(get("/z/0"));
    let b = pair.submit(get("/z/1"));
    pair.drive();
    assert!(pair.is_ok(a));
    assert_eq!(pair.failure(b).1, Retry::Move);
    assert_eq!(pair.server.received.len(), 1);
}

#[test]
fn a_budget_set_by_the_pool_limits_what_is_written() {
    let mut pair = Pair::new(pipelining(8));
    pair.conn.set_budget(pair.now, Some(3));
    let ids: Vec<_> = (0..5).map(|i| pair.submit(get(&format!("/b/{i}")))).collect();
    pair.drive();
    assert_eq!(pair.server.received.len(), 3);
    assert!(ids[..3].iter().all(|&id| pair.is_ok(id)));
    assert_eq!(pair.closed().reason, CloseReason::BudgetSpent);
    assert!(ids[3..].iter().all(|&id| pair.failure(id).1 == Retry::Move));
}

#[test]
fn local_close_hands_everything_back_by_progress() {
    let mut pair = Pair::new(pipelining(2));
    pair.server.hold = true;
    let a = pair.submit(get("/l/0"));
    let b = pair.submit(post("/l/1"));
    pair.drive();
    pair.close();
    assert_eq!(pair.failure(a).0, Progress::Written);
    assert_eq!(pair.failure(a).1, Retry::Replay);
    assert_eq!(pair.failure(b).0, Progress::NotWritten, "the POST waits for an empty connection");
    assert_eq!(pair.failure(b).1, Retry::Move);
    assert_eq!(pair.closed().reason, CloseReason::Local);
    let events = pair.log.len();
    pair.close();
    assert_eq!(pair.log.len(), events, "closing twice does nothing");
    assert_eq!(pair.conn.capability(), Capability::Pipelining);
}
