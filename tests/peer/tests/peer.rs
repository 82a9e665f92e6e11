//! The peer's own behaviour: requests found however the bytes are split,
//! replies answered in order, held, stalled, closed and aborted, and the
//! output side taken at any pace or with its pauses.

use pipelining_peer::message::{self, ResponseBytes};
use pipelining_peer::{End, Output, ParseError, Peer, Received, Reply, RequestParser, ResponseEnd, request};
use std::time::Duration;

const PIPELINE: &[u8] = b"GET /a HTTP/1.1\r\nhost: h\r\n\r\nPOST /b HTTP/1.1\r\ncontent-length: 3\r\n\r\nxyz\
PUT /c HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n2;ext=1\r\nab\r\n1\r\nc\r\n0\r\nX-T: 1\r\n\r\nHEAD /d HTTP/1.1\r\n\r\n";

fn seen(requests: &[pipelining_peer::Request]) -> Vec<(&str, &str, Vec<u8>)> {
    requests.iter().map(|p| (p.method.as_str(), p.target.as_str(), p.body.clone())).collect()
}

#[test]
fn finds_requests_split_anywhere() {
    let expected = vec![
        ("GET", "/a", vec![]),
        ("POST", "/b", b"xyz".to_vec()),
        ("PUT", "/c", b"abc".to_vec()),
        ("HEAD", "/d", vec![]),
    ];
    for split in 0..PIPELINE.len() {
        let mut parser = RequestParser::default();
        let mut all = parser.push(&PIPELINE[..split]);
        all.extend(parser.push(&PIPELINE[split..]));
        assert_eq!(seen(&all), expected, "split at {split}");
        assert!(parser.buffered().is_empty() && parser.error().is_none());
    }
    let mut parser = RequestParser::default();
    let byte_by_byte: Vec<_> = PIPELINE.iter().flat_map(|b| parser.push(&[*b])).collect();
    assert_eq!(seen(&byte_by_byte), expected);
    assert_eq!(byte_by_byte[0].header("HOST"), Some("h"));
    assert_eq!(byte_by_byte[0].version, 1);
}

#[test]
fn bytes_that_are_not_a_request_stop_the_parser() {
    let mut parser = RequestParser::default();
    let found = parser.push(b"GET /a HTTP/1.1\r\n\r\n\x16\x03\x01garbage\r\n\r\nGET /b HTTP/1.1\r\n\r\n");
    assert_eq!(found.len(), 1);
    assert!(matches!(parser.error(), Some(ParseError::Head(_))));
    assert!(parser.push(b"GET /c HTTP/1.1\r\n\r\n").is_empty(), "nothing after the error");

    for bad in [
        &b"POST / HTTP/1.1\r\ncontent-length: 3x\r\n\r\n"[..],
        b"POST / HTTP/1.1\r\ncontent-length: 3\r\ncontent-length: 4\r\n\r\nabcd",
    ] {
        assert!(matches!(request::parse(bad), Err(ParseError::ContentLength(_))), "{bad:?}");
    }
    for bad in [
        &b"PUT / HTTP/1.1\r\ntransfer-encoding: chunked\r\n\r\n\r\n"[..],
        b"PUT / HTTP/1.1\r\ntransfer-encoding: chunked\r\n\r\n2\r\nabc\r\n",
    ] {
        assert_eq!(request::parse(bad), Err(ParseError::Chunked), "{bad:?}");
    }
    assert_eq!(request::parse(b"GET / HTTP/1.1\r\n"), Ok(None), "incomplete is not an error");
}

/// A peer answering everything with [`Reply::ok`].
fn echo() -> Peer {
    Peer::scripted(Reply::ok)
}

#[test]
fn records_each_request_with_its_write_and_the_depth_it_saw() {
    let mut peer = echo();
    peer.hold = true;
    peer.set_transmit(7);
    assert_eq!(peer.receive(&PIPELINE[..30]), Ok(1));
    assert_eq!(peer.partial_request_bytes(), 30 - "GET /a HTTP/1.1\r\nhost: h\r\n\r\n".len());
    peer.set_transmit(8);
    assert_eq!(peer.receive(&PIPELINE[30..]), Ok(3));
    let summary: Vec<_> = peer.received.iter().map(|r| (r.index, r.transmit, r.outstanding, r.processed)).collect();
    assert_eq!(summary, [(0, 7, 1, true), (1, 8, 2, true), (2, 8, 3, true), (3, 8, 4, true)]);
    assert_eq!(peer.waiting(), 4);
    assert_eq!(peer.targets(), ["/a", "/b", "/c", "/d"]);
    assert_eq!(peer.count("POST", "/b"), 1);
    assert!(peer.out.is_empty(), "held: nothing answered");
    peer.release();
    assert_eq!((peer.waiting(), peer.answered()), (0, 4));
    let ends: Vec<usize> = peer.ends.iter().map(|e| e.at).collect();
    assert_eq!(ends.len(), 4);
    assert_eq!(*ends.last().unwrap(), peer.out.len());
    // The answers are in order, each naming its request; HEAD has no body.
    let text = String::from_utf8(peer.out.clone()).unwrap();
    let targets: Vec<&str> = text.match_indices("X-Target: ").map(|(i, _)| &text[i + 10..i + 12]).collect();
    assert_eq!(targets, ["/a", "/b", "/c", "/d"]);
    assert!(text.ends_with("Content-Length: 2\r\n\r\n"), "{text}");
}

#[test]
fn a_reply_ending_the_connection_leaves_later_requests_unprocessed() {
    for (reply, end, stalled) in [
        (Reply::eof(), Some(End::Eof), false),
        (Reply::reset(), Some(End::Reset), false),
        (Reply::nothing(), None, true),
    ] {
        let mut peer = Peer::scripted(move |r: &Received| if r.index == 1 { reply.clone() } else { Reply::ok(r) });
        peer.receive(PIPELINE).unwrap();
        peer.answer();
        assert_eq!(peer.answered(), 2);
        assert_eq!(peer.end.map(|(_, e)| e), end);
        assert_eq!(peer.is_stalled(), stalled);
        assert!(!peer.is_answering());
        peer.receive(b"GET /late HTTP/1.1\r\n\r\n").unwrap();
        let processed: Vec<bool> = peer.received.iter().map(|r| r.processed).collect();
        assert_eq!(processed, [true, true, true, true, false]);
        assert_eq!(peer.answer(), 0);
        assert_eq!(peer.respond(Reply::ok), None);
    }
}

#[test]
fn respond_answers_the_oldest_waiting_request_with_a_reply_made_on_the_spot() {
    let mut peer = Peer::new();
    peer.receive(&PIPELINE[..PIPELINE.len() - 20]).unwrap();
    assert_eq!(peer.answer(), 0, "no script");
    assert_eq!(peer.next_waiting().map(|r| r.target.as_str()), Some("/a"));
    assert_eq!(peer.respond(|r| Reply::response(message::ok(&r.target))), Some(0));
    assert_eq!(peer.respond(|r| Reply::ok_with(r, "Connection: close\r\n").then_eof()), Some(1));
    assert_eq!(peer.respond(Reply::ok), None, "ended");
    assert_eq!(peer.waiting(), 1);
    assert!(peer.ends[1].closes);
    assert_eq!(peer.close_heads.len(), 1);
    assert!(peer.close_heads[0] < peer.ends[1].at);
}

#[test]
fn a_virtual_driver_takes_bytes_at_any_pace_and_the_end_after_them() {
    let mut peer = Peer::new();
    peer.send(Reply::response(message::ok("hello")).and(Reply::raw(&b"tail"[..])).then_eof());
    let total = peer.out.len();
    assert_eq!(peer.take_end(), None, "bytes first");
    let mut got = Vec::new();
    while peer.undelivered() > 0 {
        got.extend(peer.take(3));
        assert!(!peer.close_head_delivered());
    }
    assert_eq!(got, peer.out);
    assert_eq!(peer.ends, [ResponseEnd { at: total - 4, closes: false }]);
    assert!(peer.end_due());
    assert_eq!(peer.take_end(), Some(End::Eof));
    assert_eq!(peer.take_end(), None, "once");
}

#[test]
fn abort_drops_what_was_not_taken_and_ends_there() {
    let mut peer = Peer::new();
    peer.send(Reply::response(message::ok("0123456789")).close_head());
    let head = peer.out.len() - 10;
    peer.take(head - 1);
    assert_eq!(peer.abort(), Some(End::Eof));
    assert_eq!(peer.out.len(), head - 1);
    assert!(peer.close_heads.is_empty() && peer.ends.is_empty());
    assert_eq!(peer.end, Some((head - 1, End::Eof)));
    assert_eq!(peer.take_end(), None, "the abort took it");
    assert_eq!(peer.abort(), None, "once");
}

#[test]
fn a_real_time_driver_sees_the_pauses_in_order() {
    let mut peer = Peer::new();
    let ms = Duration::from_millis;
    let reply = Reply::raw(Vec::new())
        .pause(ms(5))
        .and(Reply::raw(&b"abc"[..]))
        .pause(ms(7))
        .and(Reply::raw(&b"def"[..]).pause(ms(9)))
        .then_reset();
    peer.send(reply);
    let mut outputs = Vec::new();
    while let Some(output) = peer.poll_output() {
        outputs.push(output);
    }
    assert_eq!(
        outputs,
        [
            Output::Pause(ms(5)),
            Output::Bytes(b"abc".to_vec()),
            Output::Pause(ms(7)),
            Output::Bytes(b"def".to_vec()),
            Output::Pause(ms(9)),
            Output::End(End::Reset),
        ]
    );
}

#[test]
fn ready_made_replies_frame_their_bodies_and_note_closing_heads() {
    let get = Received { method: "GET".into(), target: "/x".into(), ..Received::default() };
    let head = Received { method: "HEAD".into(), ..get.clone() };
    assert_eq!(Reply::ok(&get).bytes(), b"HTTP/1.1 200 X\r\nX-Target: /x\r\nX-Echo: 1\r\nContent-Length: 2\r\n\r\n/x");
    assert!(Reply::ok(&head).bytes().ends_with(b"Content-Length: 2\r\n\r\n"));
    assert_eq!(
        Reply::chunked(&get, 2, true).bytes(),
        b"HTTP/1.1 200 X\r\nX-Target: /x\r\nX-Echo: 1\r\nTransfer-Encoding: chunked\r\n\r\n1\r\n/\r\n1\r\nx\r\n0\r\nX-Checksum: 1\r\n\r\n"
    );
    assert_eq!(Reply::http10(&get, false).close_heads().len(), 1);
    assert!(Reply::http10(&get, true).close_heads().is_empty());
    assert!(Reply::ok_with(&get, "Connection: keep-alive, close\r\n").ends()[0].closes);
    assert!(Reply::interim(103).ends().is_empty());
    let cut = Reply::ok(&get).truncate(5);
    assert_eq!((cut.len(), cut.ends().len(), cut.then()), (5, 0, pipelining_peer::Then::Eof));

    assert_eq!(
        message::response(404, &[("x-a", "1")], "no"),
        b"HTTP/1.1 404 Not Found\r\nx-a: 1\r\ncontent-length: 2\r\n\r\nno"
    );
    assert_eq!(
        message::chunked(&[b"ab", b""], &[("x", "y")]),
        b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n2\r\nab\r\n0\r\nx: y\r\n\r\n"
    );
    assert_eq!(message::http10("hi"), b"HTTP/1.0 200 OK\r\ncontent-length: 2\r\n\r\nhi");
    assert_eq!(
        ResponseBytes::new("HTTP/1.1", 204, "No Content").field("a", 1).head(),
        b"HTTP/1.1 204 No Content\r\na: 1\r\n\r\n"
    );
}

#[test]
#[should_panic(expected = "already closed")]
fn nothing_is_sent_after_the_end() {
    let mut peer = Peer::new();
    peer.close(End::Eof);
    peer.send(Reply::raw(&b"late"[..]));
}
