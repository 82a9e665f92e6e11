//! Streamed request contents (docs/DESIGN.md P5, P8): supplied a piece at a
//! time after the head, `Content-Length` when the size is known and chunked
//! when not, written alone, never replayed once written, `Expect:
//! 100-continue` honoured (RFC 9110 §10.1.1).

use crate::harness::*;
use bytes::Bytes;
use pipelining::h1::{H1Codec, Limits, Method, Request};
use pipelining::pipeline::{BodyError, Connection, ConnectionConfig, Event};
use pipelining::{Capability, Cause, CloseReason, Duration, ErrorKind, Instant, Progress, RequestOptions, Retry};

/// Feeds `pieces` to request `id` as the connection asks for them.
fn feed(pair: &mut Pair, id: pipelining::RequestId, pieces: &[&str]) {
    for (i, piece) in pieces.iter().enumerate() {
        pair.drive();
        assert_eq!(pair.body_wanted.pop(), Some(id), "piece {i} was asked for");
        let now = pair.now;
        let end = i + 1 == pieces.len();
        pair.conn.send_body(now, id, Bytes::copy_from_slice(piece.as_bytes()), end).expect("taken");
    }
    pair.drive();
}

#[test]
fn a_streamed_content_of_known_length_goes_under_content_length() {
    for delivery in [Delivery::Whole, Delivery::Chunks(1)] {
        let mut pair = Pair::new(pipelining(4));
        pair.delivery = delivery.clone();
        let before = pair.submit(get("/u/before"));
        let id = pair.submit(put("/u/put").with_streamed_body(Some(11)));
        let after = pair.submit(get("/u/after"));
        feed(&mut pair, id, &["hello ", "world"]);
        assert!(pair.is_ok(before) && pair.is_ok(id) && pair.is_ok(after), "{delivery:?}");
        let put = &pair.server.received[1];
        assert_eq!(put.body, b"hello world");
        assert_eq!(put.header("content-length"), Some("11"));
        // Written alone: nothing before it outstanding, nothing behind it.
        assert_eq!(put.outstanding, 1, "{delivery:?}");
        assert_eq!(pair.server.received[2].outstanding, 1, "{delivery:?}");
    }
}

#[test]
fn a_streamed_content_of_unknown_length_goes_chunked() {
    let mut pair = Pair::new(pipelining(4));
    let id = pair.submit(post("/u/chunked").with_streamed_body(None));
    feed(&mut pair, id, &["a", "", "bc", ""]);
    assert!(pair.is_ok(id));
    let post = &pair.server.received[0];
    assert_eq!(post.body, b"abc");
    assert_eq!(post.header("transfer-encoding"), Some("chunked"));
    assert_eq!(post.header("content-length"), None);
}

#[test]
fn pieces_that_disagree_with_the_declared_length_fail_the_request() {
    for (pieces, supplied) in [(&["too long!"][..], 9), (&["ab", "c"][..], 3)] {
        let mut pair = Pair::new(pipelining(4));
        let id = pair.submit(put("/u/length").with_streamed_body(Some(5)));
        let behind = pair.submit(get("/u/behind"));
        pair.drive();
        assert_eq!(pair.body_wanted.pop(), Some(id));
        let now = pair.now;
        let mut result = Ok(());
        for (i, piece) in pieces.iter().enumerate() {
            result = pair.conn.send_body(now, id, Bytes::copy_from_slice(piece.as_bytes()), i + 1 == pieces.len());
            if result.is_err() {
                break;
            }
            pair.drive();
            if i + 1 < pieces.len() {
                assert_eq!(pair.body_wanted.pop(), Some(id));
            }
        }
        assert_eq!(result, Err(BodyError::Length { declared: 5, supplied }));
        pair.drive();
        let (_, retry, cause, kind) = pair.failure(id);
        assert_eq!((retry, cause, kind), (Retry::Never, &Cause::Unencodable, ErrorKind::InvalidRequest));
        assert_eq!(pair.closed().reason, CloseReason::Local, "the framing is lost: the connection closes");
        let (progress, retry, _, _) = pair.failure(behind);
        assert_eq!((progress, retry), (Progress::NotWritten, Retry::Move));
    }
}

#[test]
fn a_streamed_content_is_never_replayed_once_written() {
    // Lost after its head: a PUT fails `connection_lost`, a POST
    // `may_have_been_processed`; neither is resent from a half-read stream.
    for (method, kind) in [(Method::PUT, ErrorKind::ConnectionLost), (Method::POST, ErrorKind::MayHaveBeenProcessed)] {
        let mut pair = Pair::new(pipelining(4));
        pair.script(|_| Reply::nothing());
        let id = pair.submit(Request::new(method.clone(), "/u/lost").with_streamed_body(Some(4)));
        pair.drive();
        assert_eq!(pair.body_wanted.pop(), Some(id));
        let now = pair.now;
        pair.conn.send_body(now, id, Bytes::from_static(b"ab"), false).expect("taken");
        pair.drive();
        pair.transport_error_now();
        let (progress, retry, _, got) = pair.failure(id);
        assert_eq!((progress, retry, got), (Progress::Written, Retry::Never, kind), "{method:?}");
    }
    // Not written at all (its head never left): it simply moves.
    let mut pair = Pair::new(pipelining(4));
    pair.write_budget = Some(0);
    let id = pair.submit(put("/u/unwritten").with_streamed_body(Some(4)));
    pair.drive();
    pair.transport_error_now();
    let (progress, retry, _, _) = pair.failure(id);
    assert_eq!((progress, retry), (Progress::NotWritten, Retry::Move));
}

/// A bare connection and the bytes it writes, for `Expect: 100-continue`
/// (the scripted peer answers only whole requests, so it never sends a
/// `100` first).
fn expecting() -> (Connection<H1Codec>, pipelining::RequestId, Instant) {
    let now = Instant::from_millis(1_000);
    let mut config = ConnectionConfig::default();
    config.capability = Capability::Pipelining;
    let mut conn = Connection::new(H1Codec::new("h", Limits::default()), config, now);
    let request = Request::new(Method::POST, "/big").with_header("Expect", "100-continue").with_streamed_body(Some(3));
    let id = conn.submit(now, request, RequestOptions::default()).expect("submit");
    let mut buf = Vec::new();
    let n = conn.poll_transmit(now, &mut buf).expect("the head");
    assert!(String::from_utf8_lossy(&buf).contains("Expect: 100-continue\r\n"));
    conn.handle_written(now, n);
    (conn, id, now)
}

fn send_body_asked(conn: &mut Connection<H1Codec>) -> bool {
    std::iter::from_fn(|| conn.poll_event()).any(|e| matches!(e, Event::SendBody { .. }))
}

#[test]
fn expect_continue_waits_for_the_100_or_the_timeout() {
    // The 100 comes: the content goes.
    let (mut conn, id, now) = expecting();
    assert!(!send_body_asked(&mut conn), "not before the 100");
    assert_eq!(conn.send_body(now, id, Bytes::from_static(b"abc"), true), Err(BodyError::NotWanted));
    conn.handle_received(now, b"HTTP/1.1 100 Continue\r\n\r\n");
    assert!(send_body_asked(&mut conn));
    conn.send_body(now, id, Bytes::from_static(b"abc"), true).expect("taken");
    let mut buf = Vec::new();
    assert_eq!(conn.poll_transmit(now, &mut buf), Some(3));
    assert_eq!(buf, b"abc");
    // No 100 within a second: it goes anyway.
    let (mut conn, _, now) = expecting();
    assert_eq!(conn.poll_timeout(), Some(now + Duration::from_secs(1)));
    conn.handle_timeout(now + Duration::from_secs(1));
    assert!(send_body_asked(&mut conn));
}

#[test]
fn a_final_response_before_the_content_ends_it_and_the_connection() {
    let (mut conn, id, now) = expecting();
    conn.handle_received(now, b"HTTP/1.1 417 Expectation Failed\r\nContent-Length: 0\r\n\r\n");
    let events: Vec<_> = std::iter::from_fn(|| conn.poll_event()).collect();
    assert!(events.iter().any(|e| matches!(e, Event::Response { id: r, end: true, .. } if *r == id)), "{events:?}");
    let closed = events.iter().find_map(|e| match e {
        Event::Closed(summary) => Some(summary.reason),
        _ => None,
    });
    assert_eq!(closed, Some(CloseReason::Local), "the request's framing was never completed");
    assert_eq!(conn.send_body(now, id, Bytes::from_static(b"abc"), true), Err(BodyError::NotWanted));
}
