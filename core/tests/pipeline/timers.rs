//! P10: stall, per-request deadline and idle timeouts, on the caller's clock.

use crate::harness::*;
use pipelining::Lesson;
use pipelining::{Cause, CloseReason, Duration, ErrorKind, Instant, Progress, RequestOptions, Retry};

const SECOND: u64 = 1_000;

#[test]
fn stall_timeout_closes_a_connection_with_requests_outstanding() {
    let mut pair = Pair::new(pipelining(4));
    pair.script(|_| Reply::nothing());
    let start = pair.now;
    let a = pair.submit(get("/a"));
    let b = pair.submit(get("/b"));
    pair.drive();
    assert_eq!(pair.conn.poll_timeout(), Some(start + Duration::from_secs(30)));
    let closed = pair.run_to_close();
    assert_eq!(pair.now, start + Duration::from_secs(30));
    assert_eq!(closed.reason, CloseReason::StallTimeout);
    assert_eq!(closed.lesson, Lesson::PipelineBreak, "two were outstanding");
    for id in [a, b] {
        let (progress, retry, cause, kind) = pair.failure(id);
        assert_eq!((progress, retry), (Progress::Written, Retry::Replay));
        assert_eq!(cause, &Cause::Lost(CloseReason::StallTimeout));
        assert_eq!(kind, ErrorKind::Timeout);
    }
}

#[test]
fn a_stall_with_one_outstanding_is_no_break() {
    let mut pair = Pair::new(pipelining(4));
    pair.script(|_| Reply::nothing());
    pair.submit(get("/a"));
    let closed = pair.run_to_close();
    assert_eq!(closed.reason, CloseReason::StallTimeout);
    assert!(closed.lesson != Lesson::PipelineBreak);
}

#[test]
fn every_byte_received_restarts_the_stall_timer() {
    let mut pair = Pair::new(pipelining(4));
    pair.delivery = Delivery::Chunks(1);
    let start = pair.now;
    let a = pair.submit(get("/slow-response"));
    pair.flush_writes();
    let total = pair.server.out.len();
    for _ in 0..total {
        pair.advance_ms(29 * SECOND);
        assert!(pair.closed.is_none());
        assert!(pair.deliver_once());
    }
    pair.drive();
    assert!(pair.is_ok(a));
    assert!(pair.now - start >= Duration::from_secs(29 * total as u64), "far longer than one stall timeout");
    // With nothing outstanding the stall timer is off; the idle timer runs.
    assert_eq!(pair.conn.poll_timeout(), Some(pair.now + Duration::from_secs(60)));
}

#[test]
fn every_write_accepted_restarts_the_stall_timer() {
    let mut pair = Pair::new(pipelining(4));
    pair.write_budget = Some(0);
    let a = pair.submit(get("/slow-request"));
    pair.drive();
    let len = pair.transmits[0];
    for _ in 0..len {
        pair.advance_ms(29 * SECOND);
        assert!(pair.closed.is_none());
        pair.write_budget = Some(1);
        pair.flush_writes();
    }
    pair.drive();
    assert!(pair.is_ok(a));
}

#[test]
fn a_stall_fires_when_writes_stop_being_accepted() {
    let mut pair = Pair::new(pipelining(4));
    pair.write_budget = Some(5);
    let a = pair.submit(get("/blocked"));
    let closed = pair.run_to_close();
    assert_eq!(closed.reason, CloseReason::StallTimeout);
    assert_eq!(pair.failure(a).0, Progress::PartlyWritten);
}

#[test]
fn a_deadline_fails_only_its_request_like_a_cancel() {
    let mut pair = Pair::new(pipelining(4));
    pair.server.hold = true;
    let start = pair.now;
    let a = pair.submit(get("/a"));
    let b = pair.submit_with(get("/b"), RequestOptions::default().deadline(start + Duration::from_secs(5)));
    let c = pair.submit(get("/c"));
    pair.drive();
    assert_eq!(pair.conn.poll_timeout(), Some(start + Duration::from_secs(5)));
    assert!(pair.fire_timeout());
    let (progress, retry, cause, kind) = pair.failure(b);
    assert_eq!((progress, retry), (Progress::Written, Retry::Never));
    assert_eq!(cause, &Cause::Deadline);
    assert_eq!(kind, ErrorKind::Timeout);
    assert!(pair.closed.is_none());
    pair.server.release();
    pair.drive();
    assert!(pair.is_ok(a) && pair.is_ok(c), "its response is read and dropped; the others match");
}

#[test]
fn a_deadline_on_a_queued_request_removes_it_unsent() {
    let mut pair = Pair::new(pipelining(1));
    pair.server.hold = true;
    let a = pair.submit(get("/a"));
    let b = pair.submit_with(get("/b"), RequestOptions::default().deadline(pair.now + Duration::from_secs(2)));
    pair.drive();
    pair.advance_ms(2 * SECOND);
    assert_eq!(pair.failure(b).0, Progress::NotWritten);
    assert_eq!(pair.failure(b).2, &Cause::Deadline);
    pair.server.release();
    pair.drive();
    assert!(pair.is_ok(a));
    assert_eq!(pair.server.targets(), ["/a"]);
}

#[test]
fn a_deadline_met_by_its_response_does_not_fire() {
    let mut pair = Pair::new(pipelining(2));
    let a = pair.submit_with(get("/a"), RequestOptions::default().deadline(pair.now + Duration::from_secs(1)));
    pair.drive();
    assert!(pair.is_ok(a));
    pair.advance_ms(10 * SECOND);
    assert!(pair.closed.is_none());
    assert_eq!(pair.conn.poll_timeout(), Some(Instant::from_millis(61_000)), "only the idle timer is left");
}

#[test]
fn idle_timeout_closes_a_connection_with_nothing_outstanding() {
    let mut pair = Pair::new(pipelining(2));
    let opened = pair.now;
    assert_eq!(pair.conn.poll_timeout(), Some(opened + Duration::from_secs(60)));
    let a = pair.submit(get("/a"));
    pair.advance_ms(10 * SECOND);
    pair.drive();
    assert!(pair.is_ok(a));
    let answered = pair.now;
    assert_eq!(pair.conn.poll_timeout(), Some(answered + Duration::from_secs(60)));
    let closed = pair.run_to_close();
    assert_eq!(pair.now, answered + Duration::from_secs(60));
    assert_eq!(closed.reason, CloseReason::IdleTimeout);
    assert!(closed.lesson != Lesson::PipelineBreak && closed.lesson != Lesson::ServerClose);
    assert_eq!(pair.log.iter().filter(|e| e.terminal_id().is_some()).count(), 1, "nothing lost");
}

#[test]
fn a_fresh_connection_closes_when_idle_and_submit_stops_the_idle_timer() {
    let mut pair = Pair::new(pipelining(2));
    pair.server.hold = true;
    pair.submit(get("/a"));
    pair.drive();
    // Outstanding: only the stall timer (30 s) runs, not the idle one.
    assert_eq!(pair.conn.poll_timeout(), Some(pair.now + Duration::from_secs(30)));
}

#[test]
fn spurious_timer_calls_are_harmless() {
    let mut pair = Pair::new(pipelining(2));
    pair.server.hold = true;
    let a = pair.submit(get("/a"));
    pair.drive();
    for ms in [0, 1, 10 * SECOND, 29 * SECOND] {
        let at = Instant::from_micros(pair.now.as_micros() + ms * 1_000);
        pair.conn.handle_timeout(at);
    }
    assert!(pair.conn.poll_event().is_none());
    pair.server.release();
    pair.drive();
    assert!(pair.is_ok(a));
}

#[test]
fn no_timers_when_all_are_off() {
    let mut config = pipelining(2);
    config.stall_timeout = None;
    config.idle_timeout = None;
    let mut pair = Pair::new(config);
    assert_eq!(pair.conn.poll_timeout(), None);
    pair.script(|_| Reply::nothing());
    pair.submit(get("/a"));
    pair.drive();
    assert_eq!(pair.conn.poll_timeout(), None);
}

#[test]
fn stepping_jumps_the_clock_to_each_deadline_in_turn() {
    let mut pair = Pair::new(pipelining(4));
    pair.server.hold = true;
    let start = pair.now;
    let early = pair.submit_with(get("/early"), RequestOptions::default().deadline(start + Duration::from_secs(3)));
    let late = pair.submit_with(get("/late"), RequestOptions::default().deadline(start + Duration::from_secs(7)));
    let patient = pair.submit(get("/patient"));
    assert!(pair.step(), "the first deadline fired");
    assert_eq!(pair.now, start + Duration::from_secs(3));
    assert_eq!(pair.failure(early).2, &Cause::Deadline);
    assert!(!pair.outcomes.contains_key(&late));
    assert!(pair.step());
    assert_eq!(pair.now, start + Duration::from_secs(7));
    assert_eq!(pair.failure(late).2, &Cause::Deadline);
    // The responses of both are read and dropped; the last one matches.
    pair.server.release();
    pair.run_until_idle();
    assert!(pair.is_ok(patient));
    assert!(pair.closed.is_none(), "idle: the idle timer was left alone");
    assert!(pair.step(), "the idle timer");
    assert_eq!(pair.closed().reason, CloseReason::IdleTimeout);
    assert!(!pair.step(), "nothing after Closed");
}

#[test]
fn run_until_idle_fires_the_stall_timer_but_not_the_idle_one() {
    let mut pair = Pair::new(pipelining(4));
    pair.script(|r| if r.index == 1 { Reply::nothing() } else { Reply::ok(r) });
    let a = pair.submit(get("/a"));
    pair.run_until_idle();
    assert!(pair.is_ok(a));
    assert!(pair.closed.is_none());
    let b = pair.submit(get("/b"));
    pair.run_until_idle();
    assert_eq!(pair.failure(b).2, &Cause::Lost(CloseReason::StallTimeout));
}

#[test]
fn headers_and_body_timeouts_bound_each_wait_of_a_request() {
    use pipelining::RequestOptions;
    // No head within 300 ms of the request being written: `timeout`, and the
    // request behind it is handled as after a cancel (P9).
    let mut config = pipelining(4);
    config.headers_timeout = Some(pipelining::Duration::from_millis(300));
    let mut pair = Pair::new(config);
    pair.script(|_| Reply::nothing());
    let id = pair.submit(get("/slow-head"));
    pair.drive();
    pair.advance_ms(299);
    assert!(!pair.outcomes.contains_key(&id), "not before the timeout");
    pair.advance_ms(1);
    let (_, _, cause, kind) = pair.failure(id);
    assert_eq!((cause, kind), (&pipelining::Cause::Deadline, pipelining::ErrorKind::Timeout));
    // A body that stalls between pieces, per request: the head came at once,
    // then nothing for the body timeout.
    let mut pair = Pair::new(pipelining(4));
    pair.script(|r| {
        Reply::raw(format!("HTTP/1.1 200 OK\r\nX-Target: {}\r\nContent-Length: 10\r\n\r\nabc", r.target))
            .and(Reply::nothing())
    });
    let options = RequestOptions::default().progress_timeouts(None, Some(pipelining::Duration::from_millis(200)));
    let id = pair.submit_with(get("/slow-body"), options);
    pair.drive();
    pair.advance_ms(150);
    assert!(!pair.outcomes.contains_key(&id));
    pair.advance_ms(60);
    let (progress, _, cause, kind) = pair.failure(id);
    assert_eq!(
        (progress, cause, kind),
        (pipelining::Progress::ResponsePartlyReceived, &pipelining::Cause::Deadline, pipelining::ErrorKind::Timeout)
    );
    // Pieces that keep coming keep it alive: no timeout over a slow but
    // steady body.
    let mut config = pipelining(4);
    config.body_timeout = Some(pipelining::Duration::from_millis(200));
    let mut pair = Pair::new(config);
    let id = pair.submit(get("/steady"));
    pair.drive();
    assert!(pair.is_ok(id));
    assert!(pair.conn.poll_timeout().is_none_or(|t| t > pair.now), "nothing left due");
}
