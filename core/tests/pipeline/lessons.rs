//! What a connection learns from the server, and only true lessons
//! (docs/DESIGN.md P6, P11): closes after error responses and before the
//! first response teach no budget, a reset at a response boundary is a
//! server close, `Keep-Alive: max` bounds from the first announcement,
//! `Keep-Alive: timeout` retires idle connections and judges the stale race,
//! idle closes report how long the connection idled. Each exchange runs
//! delivered whole, byte by byte and split at every offset.

use crate::harness::*;
use pipelining::{CloseReason, Duration, Lesson, Progress, Retry};

/// Every way the server's bytes may arrive for a stream of `total` bytes.
fn deliveries(total: usize) -> Vec<Delivery> {
    let mut all = vec![Delivery::Whole, Delivery::Chunks(1), Delivery::Chunks(7)];
    all.extend((1..total).map(|at| Delivery::At(vec![at])));
    all
}

/// Runs `exchange` delivered every way; `check` sees each finished pair.
fn every_split(exchange: impl Fn(Delivery) -> Pair, check: impl Fn(&Pair, &Delivery)) {
    let whole = exchange(Delivery::Whole);
    let total = whole.server.out.len();
    for delivery in deliveries(total) {
        let pair = exchange(delivery.clone());
        check(&pair, &delivery);
    }
}

/// A response of `status` naming its request, with extra header lines.
fn status_reply(r: &Received, status: u16, extra: &str) -> Reply {
    Reply::response(format!("HTTP/1.1 {status} X\r\nX-Target: {}\r\nContent-Length: 0\r\n{extra}\r\n", r.target))
}

#[test]
fn a_close_after_an_error_response_teaches_no_budget() {
    // Python's http.server: `Connection: close` on every 404.
    let exchange = |delivery| {
        let mut pair = Pair::new(pipelining(4));
        pair.delivery = delivery;
        pair.script(|r| if r.index == 2 { status_reply(r, 404, "Connection: close\r\n") } else { Reply::ok(r) });
        for i in 0..6 {
            pair.submit(get(&format!("/e/{i}")));
        }
        pair.drive();
        pair
    };
    every_split(exchange, |pair, delivery| {
        let closed = pair.closed();
        assert_eq!(closed.reason, CloseReason::ServerClose, "{delivery:?}");
        assert_eq!(closed.lesson, Lesson::Nothing, "{delivery:?}: a close after a 404 is no budget");
        assert_eq!(pair.response(pair.subs[2].id).0, 404);
        for sub in &pair.subs[3..] {
            let (_, retry, _, _) = pair.failure(sub.id);
            assert_eq!(retry, Retry::Move, "{delivery:?}: behind a close response, not processed (P7)");
        }
    });
}

#[test]
fn an_eof_right_after_an_error_response_teaches_no_budget() {
    let exchange = |delivery| {
        let mut pair = Pair::new(pipelining(4));
        pair.delivery = delivery;
        pair.script(|r| match r.index {
            0 => Reply::ok(r),
            1 => status_reply(r, 500, "").then_eof(),
            _ => Reply::eof(),
        });
        for i in 0..4 {
            pair.submit(get(&format!("/e/{i}")));
        }
        pair.drive();
        pair
    };
    every_split(exchange, |pair, delivery| {
        let closed = pair.closed();
        assert_eq!(closed.reason, CloseReason::PeerClosed, "{delivery:?}");
        assert_eq!(closed.responses, 2);
        assert_eq!(closed.lesson, Lesson::Nothing, "{delivery:?}");
    });
}

#[test]
fn a_reset_at_a_response_boundary_after_responses_is_a_server_close() {
    // A server closing with our pipelined requests unread: its kernel turns
    // the FIN into a reset.
    for after_error in [false, true] {
        let exchange = |delivery| {
            let mut pair = Pair::new(pipelining(6));
            pair.delivery = delivery;
            pair.script(move |r| match r.index {
                0 | 1 => Reply::ok(r),
                2 if after_error => status_reply(r, 503, ""),
                2 => Reply::ok(r),
                _ => Reply::reset(),
            });
            for i in 0..6 {
                pair.submit(get(&format!("/r/{i}")));
            }
            pair.drive();
            pair
        };
        every_split(exchange, |pair, delivery| {
            let closed = pair.closed();
            assert_eq!(closed.reason, CloseReason::Transport, "{delivery:?}");
            assert_eq!(closed.responses, 3, "{delivery:?}");
            let expected = if after_error { Lesson::Nothing } else { Lesson::ServerClose };
            assert_eq!(closed.lesson, expected, "{delivery:?}, after an error: {after_error}");
            for sub in &pair.subs[3..] {
                let (progress, retry, _, _) = pair.failure(sub.id);
                assert_eq!((progress, retry), (Progress::Written, Retry::Replay), "{delivery:?}");
            }
        });
    }
}

#[test]
fn a_reset_inside_a_response_is_still_a_pipeline_break() {
    let exchange = |delivery| {
        let mut pair = Pair::new(pipelining(4));
        pair.delivery = delivery;
        pair.script(|r| match r.index {
            0 => Reply::ok(r),
            1 => Reply::raw("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc").and(Reply::reset()),
            _ => Reply::nothing(),
        });
        for i in 0..4 {
            pair.submit(get(&format!("/m/{i}")));
        }
        pair.drive();
        pair
    };
    every_split(exchange, |pair, delivery| {
        let closed = pair.closed();
        assert_eq!(closed.lesson, Lesson::PipelineBreak, "{delivery:?}");
    });
}

#[test]
fn keep_alive_max_bounds_from_the_first_response_that_announced_it() {
    // Apache counts down; Node's `maxRequestsPerSocket` repeats the same
    // number on every response. Either way the first announcement bounds
    // the connection, and later ones only lower it.
    for (name, countdown) in [("apache", true), ("node", false)] {
        let mut pair = Pair::new(pipelining(2));
        pair.script(move |r| {
            let max = if countdown { 5 - r.index.min(5) } else { 5 };
            Reply::ok_with(r, &format!("Keep-Alive: timeout=5, max={max}\r\n"))
        });
        let first = pair.submit(get("/k/0"));
        pair.drive();
        assert!(pair.is_ok(first));
        assert_eq!(pair.conn.budget(), Some(5), "{name}: 1 answered, 1 + 5 in all");
        for i in 1..4 {
            pair.submit(get(&format!("/k/{i}")));
        }
        pair.drive();
        assert_eq!(pair.conn.budget(), Some(2), "{name}: a repeated max raises nothing");
        assert_eq!(pair.conn.idle_limit(), Some(Duration::from_secs(5)), "{name}");
    }
}

#[test]
fn keep_alive_timeout_retires_an_idle_connection_before_the_server_closes_it() {
    // N − min(1 s, N/4): 2 s → 1.5 s, 1 s → 0.75 s, 10 s → 9 s.
    for (announced, retire_ms) in [(2, 1_500), (1, 750), (10, 9_000)] {
        let mut pair = Pair::new(pipelining(4));
        pair.script(move |r| Reply::ok_with(r, &format!("Keep-Alive: timeout={announced}\r\n")));
        let id = pair.submit(get("/t"));
        pair.drive();
        assert!(pair.is_ok(id));
        let idle_from = pair.now;
        let closed = pair.run_to_close();
        assert_eq!(closed.reason, CloseReason::IdleTimeout);
        assert_eq!(closed.lesson, Lesson::Nothing);
        assert_eq!(
            pair.now.saturating_duration_since(idle_from),
            Duration::from_millis(retire_ms),
            "timeout={announced}"
        );
    }
}

#[test]
fn the_announced_timeout_judges_the_stale_race() {
    // Idle 3 s, then a request, then the server closes before answering:
    // with no announcement 3 s is past the 1 s threshold (the stale race,
    // the request moves); with `timeout=10` the server promised to wait 9 s
    // more, so the close is the server's own (a budget).
    for (extra, expected) in [("", Lesson::StaleRace), ("Keep-Alive: timeout=10\r\n", Lesson::ServerClose)] {
        let mut pair = Pair::new(pipelining(4));
        pair.script(move |r| if r.index == 0 { Reply::ok_with(r, extra) } else { Reply::eof() });
        let first = pair.submit(get("/s/0"));
        pair.drive();
        assert!(pair.is_ok(first));
        pair.advance_ms(3_000);
        let second = pair.submit(get("/s/1"));
        pair.drive();
        let closed = pair.closed();
        assert_eq!(closed.lesson, expected, "{extra:?}");
        let (_, retry, _, _) = pair.failure(second);
        let expected_retry = if expected == Lesson::StaleRace { Retry::Move } else { Retry::Replay };
        assert_eq!(retry, expected_retry);
    }
}

#[test]
fn an_idle_close_says_how_long_the_connection_idled() {
    for (idle_ms, reported) in [(300, Some(Duration::from_millis(300))), (10, None)] {
        let mut pair = Pair::new(pipelining(4));
        let id = pair.submit(get("/i"));
        pair.drive();
        assert!(pair.is_ok(id));
        pair.advance_ms(idle_ms);
        pair.eof_now();
        let closed = pair.closed();
        assert_eq!(closed.lesson, Lesson::Nothing);
        // A close right after the last response is the server's unsaid
        // budget, not its idle timeout.
        assert_eq!(closed.idle_closed_after, reported, "idle {idle_ms} ms");
    }
}

#[test]
fn an_error_that_closes_teaches_no_capability_either() {
    // The probe's answer is a 404 with `close` (Python's http.server): it
    // says nothing of pipelining, so the origin stays unknown rather than
    // being held to one request at a time.
    let mut config = pipelining(4);
    config.capability = pipelining::Capability::Unknown;
    let mut pair = Pair::new(config);
    pair.script(|r| status_reply(r, 404, "Connection: close\r\n"));
    let id = pair.submit(get("/probe"));
    pair.drive();
    assert_eq!(pair.response(id).0, 404);
    assert!(pair.capabilities.is_empty(), "learned {:?}", pair.capabilities);
    assert_eq!(pair.closed().lesson, Lesson::Nothing);
}
