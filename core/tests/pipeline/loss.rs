//! P6/P8: losses inside a response, transport errors, the stale-connection
//! race, and how every unfinished request is classified.

use crate::harness::*;
use pipelining::Lesson;
use pipelining::{Cause, CloseReason, ErrorKind, Progress, Retry};

/// Four GETs at depth 4; #1's response is cut after `cut` bytes (EOF).
fn cut_second_response(cut: usize) -> Pair {
    let mut pair = Pair::new(pipelining(4));
    pair.script(move |r| if r.index == 1 { Reply::ok(r).truncate(cut) } else { Reply::ok(r) });
    pair.server.hold = true;
    for i in 0..4 {
        pair.submit(get(&format!("/cut/{i}")));
    }
    pair.submit(get("/cut/queued"));
    pair.drive();
    pair.server.release();
    pair.drive();
    pair
}

#[test]
fn eof_inside_a_response_is_a_pipeline_break_at_every_offset() {
    let full = Reply::ok(&Received {
        index: 1,
        method: "GET".into(),
        target: "/cut/1".into(),
        body: Vec::new(),
        processed: true,
        transmit: 0,
        ..Received::default()
    })
    .len();
    let head_len = full - "/cut/1".len();
    for cut in 1..full {
        let pair = cut_second_response(cut);
        assert!(pair.is_ok(pair.subs[0].id));
        let (progress, retry, cause, kind) = pair.failure(pair.subs[1].id);
        assert_eq!(progress, Progress::ResponsePartlyReceived, "cut at {cut} of {full}");
        if cut < head_len {
            assert_eq!(retry, Retry::Replay, "cut at {cut}: nothing was handed over; the GET replays");
        } else {
            // Its head (and maybe some content) was handed to the
            // application, which cannot take it back: never resent.
            assert_eq!(retry, Retry::Never, "cut at {cut}: a streamed partial response is not replayed");
        }
        assert_eq!(cause, &Cause::Lost(CloseReason::Truncated));
        assert_eq!(kind, ErrorKind::ConnectionLost);
        for sub in &pair.subs[2..4] {
            assert_eq!(pair.failure(sub.id).0, Progress::Written);
            assert_eq!(pair.failure(sub.id).1, Retry::Replay);
        }
        // The first response freed a slot before the EOF was read.
        assert_eq!(pair.server.received.len(), 5);
        assert_eq!(pair.failure(pair.subs[4].id).1, Retry::Replay);
        let closed = pair.closed();
        assert_eq!(closed.reason, CloseReason::Truncated, "cut at {cut}");
        assert_eq!(closed.lesson, Lesson::PipelineBreak, "cut at {cut}: a response cut off is a break");
        assert_eq!(closed.responses, 1);
    }
}

#[test]
fn a_response_cut_by_a_reset_is_a_pipeline_break() {
    for cut in [5, 40, 90] {
        let mut pair = Pair::new(pipelining(2));
        pair.script(move |r| {
            let mut reply = Reply::ok(r);
            if r.index == 0 {
                let keep = cut.min(reply.len() - 1);
                reply = reply.truncate(keep).then_reset();
            }
            reply
        });
        let a = pair.submit(get("/reset-me-with-a-body"));
        pair.drive();
        assert_eq!(pair.failure(a).0, Progress::ResponsePartlyReceived);
        assert_eq!(pair.closed().reason, CloseReason::Transport);
        assert_eq!(pair.closed().lesson, Lesson::PipelineBreak, "inside a response, even with one outstanding");
    }
}

#[test]
fn transport_error_with_two_outstanding_is_a_pipeline_break() {
    let mut pair = Pair::new(pipelining(4));
    pair.server.hold = true;
    let a = pair.submit(get("/t/0"));
    let b = pair.submit(get("/t/1"));
    pair.drive();
    pair.transport_error_now();
    for id in [a, b] {
        let (progress, retry, cause, kind) = pair.failure(id);
        assert_eq!((progress, retry), (Progress::Written, Retry::Replay));
        assert_eq!(cause, &Cause::Lost(CloseReason::Transport));
        assert_eq!(kind, ErrorKind::ConnectionLost);
    }
    let closed = pair.closed();
    assert_eq!(closed.lesson, Lesson::PipelineBreak);
}

#[test]
fn transport_error_with_one_outstanding_between_responses_is_no_break() {
    let mut pair = Pair::new(pipelining(4));
    pair.server.hold = true;
    let a = pair.submit(get("/t/0"));
    pair.drive();
    pair.transport_error_now();
    assert_eq!(pair.failure(a).1, Retry::Replay);
    assert!(pair.closed().lesson != Lesson::PipelineBreak);
}

/// One request answered, then `idle_ms` of quiet, then `request` is written
/// and the server closes (or resets) before any byte of its response.
fn reuse_after_idle(idle_ms: u64, request: pipelining::h1::Request, reset: bool) -> (Pair, pipelining::RequestId) {
    let mut pair = Pair::new(pipelining(4));
    pair.script(move |r| match r.index {
        0 => Reply::ok(r),
        _ if reset => Reply::reset(),
        _ => Reply::eof(),
    });
    let first = pair.submit(get("/warm"));
    pair.drive();
    assert!(pair.is_ok(first));
    pair.advance_ms(idle_ms);
    let id = pair.submit(request);
    pair.drive();
    (pair, id)
}

#[test]
fn stale_connection_race_moves_idempotent_requests_without_a_try() {
    for reset in [false, true] {
        let (pair, id) = reuse_after_idle(1_000, get("/after-idle"), reset);
        let (progress, retry, ..) = pair.failure(id);
        assert_eq!((progress, retry), (Progress::Written, Retry::Move), "reset {reset}");
        let closed = pair.closed();
        assert_eq!(closed.lesson, Lesson::StaleRace, "reset {reset}");
    }
}

#[test]
fn stale_connection_race_never_resends_a_written_post() {
    let (pair, id) = reuse_after_idle(5_000, post("/after-idle"), false);
    let (progress, retry, _, kind) = pair.failure(id);
    assert_eq!((progress, retry), (Progress::Written, Retry::Never));
    assert_eq!(kind, ErrorKind::MayHaveBeenProcessed);
    assert_eq!(pair.closed().lesson, Lesson::StaleRace);
}

#[test]
fn a_close_right_after_a_short_idle_is_not_the_stale_race() {
    let (pair, id) = reuse_after_idle(999, get("/soon"), false);
    assert_eq!(pair.failure(id).1, Retry::Replay);
    assert_eq!(pair.closed().lesson, Lesson::ServerClose);
}

#[test]
fn a_response_byte_ends_the_stale_watch() {
    let mut pair = Pair::new(pipelining(4));
    pair.script(|r| match r.index {
        0 => Reply::ok(r),
        _ => Reply::ok(r).truncate(3),
    });
    pair.submit(get("/warm"));
    pair.drive();
    pair.advance_ms(2_000);
    let id = pair.submit(get("/late"));
    pair.drive();
    assert_eq!(pair.failure(id).0, Progress::ResponsePartlyReceived);
    assert_eq!(pair.failure(id).1, Retry::Replay);
    assert_eq!(pair.closed().lesson, Lesson::PipelineBreak);
}

#[test]
fn a_fresh_connection_is_never_stale() {
    let mut pair = Pair::new(pipelining(4));
    pair.script(|_| Reply::eof());
    pair.advance_ms(5_000);
    let id = pair.submit(get("/first"));
    pair.drive();
    assert_eq!(pair.failure(id).1, Retry::Replay);
    assert!(pair.closed().lesson != Lesson::StaleRace);
}

#[test]
fn failed_requests_are_handed_back_in_submission_order() {
    let mut pair = Pair::new(pipelining(3));
    pair.server.hold = true;
    for i in 0..6 {
        pair.submit(get(&format!("/o/{i}")));
    }
    pair.drive();
    pair.transport_error_now();
    let order: Vec<u64> = pair.log.iter().filter_map(|e| e.terminal_id()).map(|id| id.get()).collect();
    assert_eq!(order, [0, 1, 2, 3, 4, 5]);
    assert!(matches!(pair.log.last(), Some(pipelining::Event::Closed(_))));
}
