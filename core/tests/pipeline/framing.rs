//! P2/P3/P8 through the connection: interim responses, HEAD, a response that
//! breaks framing or a limit, whole-response mode, unsolicited bytes, and
//! the end of HTTP (101).

use crate::harness::*;
use pipelining::Lesson;
use pipelining::h1::{DecodeError, Limits, Method, Request, ResponsePart};
use pipelining::{Cause, CloseReason, ErrorKind, Event, Progress, RequestOptions, Retry};

#[test]
fn unsolicited_bytes_with_nothing_outstanding_close_with_protocol() {
    let mut pair = Pair::new(pipelining(4));
    pair.server.send(Reply::raw(&b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"[..]));
    pair.drive();
    let closed = pair.closed();
    assert_eq!(closed.reason, CloseReason::Protocol);
    assert_eq!(closed.responses, 0);
}

#[test]
fn bytes_after_the_last_response_are_unsolicited() {
    let mut pair = Pair::new(pipelining(4));
    pair.script(|r| Reply::ok(r).and(Reply::raw(&b"surprise"[..])));
    let a = pair.submit(get("/a"));
    pair.drive();
    assert!(pair.is_ok(a), "its own response was complete");
    assert_eq!(pair.closed().reason, CloseReason::Protocol);
}

#[test]
fn empty_lines_between_responses_are_ignored() {
    let mut pair = Pair::new(pipelining(4));
    pair.delivery = Delivery::Chunks(1);
    pair.script(|r| Reply::ok(r).and(Reply::raw(&b"\r\n"[..])));
    let a = pair.submit(get("/a"));
    pair.drive();
    let b = pair.submit(get("/b"));
    pair.drive();
    assert!(pair.is_ok(a) && pair.is_ok(b));
    assert!(pair.closed.is_none());
}

#[test]
fn interim_responses_are_reported_and_do_not_answer_the_request() {
    for delivery in [Delivery::Whole, Delivery::Chunks(1)] {
        let mut pair = Pair::new(pipelining(4));
        pair.delivery = delivery;
        pair.script(|r| match r.index {
            0 => Reply::interim(100).and(Reply::interim(103)).and(Reply::ok(r)),
            _ => Reply::interim(102).and(Reply::ok(r)),
        });
        let a = pair.submit(get("/a"));
        let b = pair.submit_with(get("/b"), RequestOptions::default().whole());
        pair.drive();
        match pair.outcome(a) {
            Outcome::Response { status: 200, interim, .. } => assert_eq!(interim, &[100, 103]),
            other => panic!("{other:?}"),
        }
        match pair.outcome(b) {
            Outcome::Complete { response, interim } => {
                assert_eq!(response.head.status, 200);
                assert_eq!(interim, &[102], "interim responses are reported in whole-response mode too");
            }
            other => panic!("{other:?}"),
        }
        let interim_events = pair
            .log
            .iter()
            .filter(|e| matches!(e, Event::Response { part: ResponsePart::Interim(_), end: false, .. }))
            .count();
        assert_eq!(interim_events, 3, "each as a non-terminal Response event");
    }
}

#[test]
fn head_response_with_content_length_has_no_body() {
    let mut pair = Pair::new(pipelining(4));
    let h = pair.submit(head("/head-target"));
    let g = pair.submit(get("/get-target"));
    let h2 = pair.submit_with(head("/head-whole"), RequestOptions::default().whole());
    pair.drive();
    let (status, body) = pair.response(h);
    assert_eq!((status, body), (200, &b""[..]));
    assert_eq!(pair.response(g).1, b"/get-target", "the next response was not eaten as a body");
    match pair.outcome(h2) {
        Outcome::Complete { response, .. } => {
            assert!(response.body.is_empty());
            assert_eq!(response.head.header("content-length"), Some(&b"11"[..]));
        }
        other => panic!("{other:?}"),
    }
}

/// #1's response is `bad`; #0 is fine; #2, #3 written behind; #4 queued.
fn own_response_breaks(bad: &'static [u8], limits: Limits) -> Pair {
    let mut pair = Pair::with_limits(pipelining(4), limits);
    pair.script(move |r| if r.index == 1 { Reply::raw(bad) } else { Reply::ok(r) });
    pair.server.hold = true;
    for i in 0..5 {
        pair.submit(get(&format!("/f/{i}")));
    }
    pair.drive();
    pair.server.release();
    pair.drive();
    pair
}

#[test]
fn a_response_breaking_framing_fails_its_request_and_hands_back_the_rest() {
    let cases: [(&[u8], ErrorKind); 4] = [
        (b"HTTP/1.1 200 OK\r\nContent-Length: 12abc\r\n\r\n", ErrorKind::Protocol),
        (b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", ErrorKind::Protocol),
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", ErrorKind::Protocol),
        (b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", ErrorKind::Protocol),
    ];
    for (bad, expected) in cases {
        let pair = own_response_breaks(bad, Limits::default());
        assert!(pair.is_ok(pair.subs[0].id));
        let (progress, retry, cause, kind) = pair.failure(pair.subs[1].id);
        assert!(matches!(cause, Cause::Response(_)), "{cause:?}");
        assert_eq!((progress, retry, kind), (Progress::ResponsePartlyReceived, Retry::Never, expected));
        for sub in &pair.subs[2..4] {
            assert_eq!((pair.failure(sub.id).0, pair.failure(sub.id).1), (Progress::Written, Retry::Replay));
        }
        assert_eq!(pair.failure(pair.subs[4].id).1, Retry::Move);
        let closed = pair.closed();
        assert_eq!(closed.reason, CloseReason::Protocol);
        assert_eq!(closed.lesson, Lesson::PipelineBreak, "a framing error is a break");
        assert_eq!(pair.server.received.len(), 4, "nothing more written, nothing resent");
    }
}

#[test]
fn a_response_over_a_limit_fails_its_request_with_limit() {
    let mut limits = Limits::default();
    limits.max_head_bytes = 64;
    let pair = own_response_breaks(
        b"HTTP/1.1 200 OK\r\nX-Padding: 0123456789012345678901234567890123456789012345678901234567890123456789\r\n\r\n",
        limits,
    );
    let (progress, retry, cause, kind) = pair.failure(pair.subs[1].id);
    assert_eq!(cause, &Cause::Response(DecodeError::HeadTooLarge { limit: 64 }));
    assert_eq!((progress, retry, kind), (Progress::ResponsePartlyReceived, Retry::Never, ErrorKind::Limit));
    assert_eq!(pair.failure(pair.subs[2].id).1, Retry::Replay);
}

#[test]
fn garbage_instead_of_a_response_fails_the_front_request() {
    let pair = own_response_breaks(b"SSH-2.0-OpenSSH_9.2\r\n\r\n", Limits::default());
    let (_, retry, cause, kind) = pair.failure(pair.subs[1].id);
    assert!(matches!(cause, Cause::Response(DecodeError::MalformedHead(_))), "{cause:?}");
    assert_eq!((retry, kind), (Retry::Never, ErrorKind::Protocol));
}

#[test]
fn whole_response_mode_reports_one_complete_event() {
    let mut pair = Pair::new(pipelining(4));
    pair.delivery = Delivery::Chunks(3);
    pair.script(|r| if r.index == 0 { Reply::chunked(r, 4, true) } else { Reply::ok(r) });
    let a = pair.submit_with(get("/whole/chunked"), RequestOptions::default().whole());
    let b = pair.submit_with(get("/whole/plain"), RequestOptions::default().whole());
    let c = pair.submit(get("/streamed"));
    pair.drive();
    for (id, target) in [(a, "/whole/chunked"), (b, "/whole/plain")] {
        match pair.outcome(id) {
            Outcome::Complete { response, .. } => assert_eq!(&response.body[..], target.as_bytes()),
            other => panic!("{other:?}"),
        }
        let events = pair
            .log
            .iter()
            .filter(|e| matches!(e, Event::Response { id: i, .. } | Event::Complete { id: i, .. } if *i == id))
            .count();
        assert_eq!(events, 1, "one event for the whole response");
    }
    match pair.outcome(a) {
        Outcome::Complete { response, .. } => assert_eq!(response.trailers.len(), 1),
        other => panic!("{other:?}"),
    }
    assert!(pair.is_ok(c));
}

#[test]
fn a_whole_response_over_the_body_limit_fails_with_limit() {
    let mut limits = Limits::default();
    limits.max_body_bytes = 8;
    for delivery in [Delivery::Whole, Delivery::Chunks(1)] {
        let mut pair = Pair::with_limits(pipelining(4), limits);
        pair.delivery = delivery;
        let small = pair.submit_with(get("/small"), RequestOptions::default().whole());
        let large = pair.submit_with(get("/much-larger-than-eight"), RequestOptions::default().whole());
        let behind = pair.submit(get("/behind"));
        let streamed = pair.submit(get("/streamed-is-not-limited"));
        pair.drive();
        assert!(pair.is_ok(small));
        let (progress, retry, cause, kind) = pair.failure(large);
        assert_eq!(cause, &Cause::Response(DecodeError::BodyTooLarge { limit: 8 }));
        assert_eq!((progress, retry, kind), (Progress::ResponsePartlyReceived, Retry::Never, ErrorKind::Limit));
        assert_eq!(pair.failure(behind).1, Retry::Replay);
        assert_eq!(pair.failure(streamed).1, Retry::Replay);
    }
}

#[test]
fn switching_protocols_ends_http_and_leaves_the_rest_of_the_bytes() {
    for delivery in [Delivery::Whole, Delivery::Chunks(1)] {
        let mut pair = Pair::new(pipelining(1));
        pair.delivery = delivery.clone();
        pair.script(|_| {
            Reply::response(
                &b"HTTP/1.1 101 Switching Protocols\r\nConnection: upgrade\r\nUpgrade: websocket\r\n\r\n"[..],
            )
            .and(Reply::raw(&b"\x81\x05hello"[..]))
            .then_hold()
        });
        let request =
            Request::get(&b"/chat"[..]).with_header("Connection", "upgrade").with_header("Upgrade", "websocket");
        let up = pair.submit(request);
        let after = pair.submit(get("/after"));
        pair.drive();
        assert_eq!(pair.response(up).0, 101);
        let closed = pair.closed();
        assert_eq!(closed.reason, CloseReason::Upgraded);
        assert!(closed.lesson != Lesson::PipelineBreak && closed.lesson != Lesson::ServerClose);
        assert_eq!(pair.failure(after).0, Progress::NotWritten);
        assert_eq!(pair.failure(after).1, Retry::Move);
        let leftover = pair.conn.take_leftover();
        if delivery == Delivery::Whole {
            assert_eq!(&leftover[..], b"\x81\x05hello");
        } else {
            // Byte by byte, the connection closed at the head's last byte:
            // the new protocol's bytes never reached it.
            assert!(leftover.is_empty());
        }
    }
}

#[test]
fn connect_2xx_ends_http_too() {
    let mut pair = Pair::new(pipelining(1));
    pair.script(|_| Reply::response(&b"HTTP/1.1 200 Connection Established\r\n\r\n"[..]).and(Reply::raw(&b"tls"[..])));
    let tunnel = pair.submit(Request::new(Method::CONNECT, &b"example.test:443"[..]));
    pair.drive();
    assert_eq!(pair.response(tunnel).0, 200);
    assert_eq!(pair.closed().reason, CloseReason::Upgraded);
    assert_eq!(&pair.conn.take_leftover()[..], b"tls");
}
