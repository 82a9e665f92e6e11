//! P9: cancellation in every state of a request.

use crate::harness::*;
use pipelining::Lesson;
use pipelining::h1::Request;
use pipelining::{Cause, CloseReason, ErrorKind, Event, Progress, RequestId, Retry};

/// The last terminal event in the log is `id`'s cancellation.
fn just_cancelled(pair: &Pair, id: RequestId) -> Progress {
    match pair.log.last() {
        Some(Event::Unanswered(f)) if f.id == id => {
            assert_eq!(f.cause, Cause::Cancelled);
            assert_eq!(f.retry, Retry::Never);
            assert_eq!(f.kind(), ErrorKind::Cancelled);
            f.progress
        }
        other => panic!("expected {id:?} cancelled at once, last event {other:?}"),
    }
}

/// A response to `r` with a body of `len` bytes (Content-Length).
fn big(r: &Received, len: usize) -> Reply {
    let mut bytes = format!("HTTP/1.1 200 OK\r\nX-Target: {}\r\nContent-Length: {len}\r\n\r\n", r.target).into_bytes();
    bytes.resize(bytes.len() + len, b'x');
    Reply::response(bytes)
}

/// A chunked response to `r` with `chunks` chunks of `size` bytes.
fn big_chunked(r: &Received, chunks: usize, size: usize) -> Reply {
    let mut bytes =
        format!("HTTP/1.1 200 OK\r\nX-Target: {}\r\nTransfer-Encoding: chunked\r\n\r\n", r.target).into_bytes();
    for _ in 0..chunks {
        bytes.extend_from_slice(format!("{size:x}\r\n").as_bytes());
        bytes.resize(bytes.len() + size, b'y');
        bytes.extend_from_slice(b"\r\n");
    }
    bytes.extend_from_slice(b"0\r\n\r\n");
    Reply::response(bytes)
}

#[test]
fn cancelling_a_queued_request_sends_nothing() {
    let mut pair = Pair::new(pipelining(1));
    pair.server.hold = true;
    let a = pair.submit(get("/a"));
    let b = pair.submit(get("/b"));
    let c = pair.submit(get("/c"));
    pair.drive();
    pair.cancel(b);
    assert_eq!(just_cancelled(&pair, b), Progress::NotWritten);
    assert_eq!(pair.conn.queued(), 1);
    pair.server.release();
    pair.drive();
    assert!(pair.is_ok(a) && pair.is_ok(c));
    assert_eq!(pair.server.targets(), ["/a", "/c"], "the cancelled request never reached the server");
}

#[test]
fn cancelling_a_written_request_ends_it_at_once_and_drops_its_response() {
    for delivery in [Delivery::Whole, Delivery::Chunks(1), Delivery::Chunks(11)] {
        let mut pair = Pair::new(pipelining(4));
        pair.delivery = delivery;
        pair.script(|r| if r.index == 1 { Reply::interim(103).and(Reply::chunked(r, 3, true)) } else { Reply::ok(r) });
        pair.server.hold = true;
        let ids: Vec<_> = (0..4).map(|i| pair.submit(get(&format!("/w/{i}")))).collect();
        pair.drive();
        pair.cancel(ids[1]);
        assert_eq!(just_cancelled(&pair, ids[1]), Progress::Written);
        let events_before = pair.log.len();
        pair.server.release();
        pair.drive();
        for &id in &[ids[0], ids[2], ids[3]] {
            assert!(pair.is_ok(id), "later requests are still matched correctly");
        }
        let for_cancelled = pair.log[events_before..]
            .iter()
            .filter(|e| matches!(e, Event::Response { id, .. } if *id == ids[1]))
            .count();
        assert_eq!(for_cancelled, 0, "nothing of the cancelled response is reported");
        assert!(pair.closed.is_none(), "the connection stays");
        assert_eq!(pair.conn.responses(), 4, "its response was read");
        assert_eq!(pair.conn.in_flight(), 0);
    }
}

#[test]
fn cancelling_a_request_in_an_unaccepted_transmit_still_reads_its_response() {
    let mut pair = Pair::new(pipelining(4));
    pair.write_budget = Some(0);
    let a = pair.submit(get("/a"));
    let b = pair.submit(get("/b"));
    pair.drive();
    assert_eq!(pair.transmits.len(), 1);
    pair.cancel(b);
    // Its bytes are in a transmit already handed out, which the caller must
    // finish writing: it will reach the server, so it counts as partly
    // written, and its response is read and dropped.
    assert_eq!(just_cancelled(&pair, b), Progress::PartlyWritten);
    pair.write_budget = None;
    pair.drive();
    assert!(pair.is_ok(a));
    assert_eq!(pair.server.received.len(), 2);
    assert_eq!(pair.conn.responses(), 2);
    assert!(pair.closed.is_none());
}

#[test]
fn cancelling_mid_response_drops_the_rest() {
    let mut pair = Pair::new(pipelining(4));
    pair.delivery = Delivery::Chunks(1);
    let a = pair.submit(get("/a-longer-target-for-a-longer-body"));
    let b = pair.submit(get("/b"));
    pair.flush_writes();
    // Deliver the head and a few body bytes of a's response.
    let head_len = pair.server.out.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
    while pair.delivered_bytes() < head_len + 3 {
        pair.deliver_once();
    }
    pair.cancel(a);
    assert_eq!(just_cancelled(&pair, a), Progress::ResponsePartlyReceived);
    pair.drive();
    assert!(pair.is_ok(b));
    assert!(pair.closed.is_none());
}

#[test]
fn a_content_length_over_the_threshold_closes_the_connection() {
    for (len, closes) in [(64 * 1024, false), (64 * 1024 + 1, true), (1 << 20, true)] {
        let mut pair = Pair::new(pipelining(4));
        pair.script(move |r| if r.index == 1 { big(r, len) } else { Reply::ok(r) });
        pair.server.hold = true;
        let ids: Vec<_> = (0..4).map(|i| pair.submit(get(&format!("/t/{i}")))).collect();
        let queued = pair.submit(get("/t/queued"));
        pair.drive();
        pair.cancel(ids[1]);
        pair.server.release();
        pair.drive();
        assert!(pair.is_ok(ids[0]));
        if closes {
            let closed = pair.closed();
            assert_eq!(closed.reason, CloseReason::CancelDrain, "len {len}");
            assert!(closed.lesson != Lesson::PipelineBreak && closed.lesson != Lesson::ServerClose);
            for &id in &ids[2..] {
                assert_eq!((pair.failure(id).0, pair.failure(id).1), (Progress::Written, Retry::Replay));
                assert_eq!(pair.failure(id).2, &Cause::Lost(CloseReason::CancelDrain));
            }
            assert_eq!(pair.failure(queued).1, Retry::Move);
        } else {
            assert!(pair.closed.is_none(), "at the threshold the body is read and dropped");
            assert!(pair.is_ok(ids[2]) && pair.is_ok(ids[3]) && pair.is_ok(queued));
        }
    }
}

#[test]
fn a_content_length_over_the_threshold_closes_even_when_cancelled_mid_body() {
    let mut pair = Pair::new(pipelining(2));
    pair.delivery = Delivery::Chunks(1000);
    pair.script(|r| big(r, 200_000));
    let a = pair.submit(get("/a"));
    let b = pair.submit(get("/b"));
    pair.flush_writes();
    for _ in 0..5 {
        pair.deliver_once();
    }
    pair.cancel(a);
    assert_eq!(pair.closed().reason, CloseReason::CancelDrain);
    assert_eq!(pair.failure(b).1, Retry::Replay);
}

#[test]
fn a_chunked_response_passing_the_threshold_closes_the_connection() {
    // 5 chunks of 16 KiB pass 64 KiB; 3 do not.
    for (chunks, closes) in [(3, false), (5, true)] {
        for delivery in [Delivery::Whole, Delivery::Chunks(4096)] {
            let mut pair = Pair::new(pipelining(4));
            pair.delivery = delivery.clone();
            pair.script(move |r| if r.index == 0 { big_chunked(r, chunks, 16 * 1024) } else { Reply::ok(r) });
            pair.server.hold = true;
            let a = pair.submit(get("/chunky"));
            let b = pair.submit(get("/after"));
            pair.drive();
            pair.cancel(a);
            pair.server.release();
            pair.drive();
            if closes {
                assert_eq!(pair.closed().reason, CloseReason::CancelDrain, "{chunks} chunks {delivery:?}");
                assert_eq!(pair.failure(b).1, Retry::Replay);
            } else {
                assert!(pair.is_ok(b), "{chunks} chunks {delivery:?}");
                assert!(pair.closed.is_none());
            }
        }
    }
}

#[test]
fn a_read_to_close_response_of_a_cancelled_request_closes_the_connection() {
    let mut pair = Pair::new(pipelining(4));
    pair.script(|r| {
        if r.index == 0 {
            Reply::raw(format!("HTTP/1.1 200 OK\r\nX-Target: {}\r\n\r\nuntil close", r.target)).then_hold()
        } else {
            Reply::ok(r)
        }
    });
    pair.server.hold = true;
    let a = pair.submit(get("/until-close"));
    let b = pair.submit(get("/behind"));
    pair.drive();
    pair.cancel(a);
    pair.server.release();
    pair.drive();
    let closed = pair.closed();
    assert_eq!(closed.reason, CloseReason::CancelDrain);
    assert_eq!(pair.failure(b).0, Progress::Written);
    assert_eq!(pair.failure(b).1, Retry::Replay);
}

#[test]
fn cancelling_a_finished_unknown_or_cancelled_id_does_nothing() {
    let mut pair = Pair::new(pipelining(4));
    pair.server.hold = true;
    let a = pair.submit(get("/a"));
    let b = pair.submit(get("/b"));
    pair.drive();
    pair.cancel(b);
    let after_first_cancel = pair.log.len();
    pair.cancel(b);
    pair.cancel(RequestId::from_raw(999));
    assert_eq!(pair.log.len(), after_first_cancel);
    pair.server.release();
    pair.drive();
    assert!(pair.is_ok(a));
    let done = pair.log.len();
    pair.cancel(a);
    pair.cancel(b);
    assert_eq!(pair.log.len(), done);
    pair.close();
    let closed = pair.log.len();
    pair.cancel(a);
    pair.cancel(RequestId::from_raw(0));
    assert_eq!(pair.log.len(), closed, "nothing after Closed");
}

#[test]
fn cancelling_a_written_post_keeps_the_connection_alone_until_its_response() {
    let mut pair = Pair::new(pipelining(4));
    pair.server.hold = true;
    let p = pair.submit(post("/p"));
    let g = pair.submit(get("/g"));
    pair.drive();
    pair.cancel(p);
    assert_eq!(just_cancelled(&pair, p), Progress::Written);
    pair.drive();
    assert_eq!(pair.server.received.len(), 1, "nothing behind the POST until its response is read");
    pair.server.release();
    pair.drive();
    assert!(pair.is_ok(g));
}

#[test]
fn a_cancelled_request_answered_by_101_hands_the_connection_to_nobody() {
    // A dropped rescue copy is cancelled this way (P13): its 101 still ends
    // HTTP on the connection, but no caller waits to take it over.
    let mut pair = Pair::new(pipelining(1));
    pair.script(|_| {
        Reply::response(&b"HTTP/1.1 101 Switching Protocols\r\nConnection: upgrade\r\nUpgrade: websocket\r\n\r\n"[..])
            .and(Reply::raw(&b"\x81\x05hello"[..]))
            .then_hold()
    });
    pair.server.hold = true;
    let request = Request::get(&b"/chat"[..]).with_header("Connection", "upgrade").with_header("Upgrade", "websocket");
    let up = pair.submit(request);
    pair.drive();
    pair.cancel(up);
    assert_eq!(just_cancelled(&pair, up), Progress::Written);
    pair.server.release();
    pair.drive();
    assert_eq!(pair.closed().reason, CloseReason::Upgraded);
    assert_eq!(pair.conn.upgraded_by(), None, "nobody takes over a cancelled request's upgrade");
}
