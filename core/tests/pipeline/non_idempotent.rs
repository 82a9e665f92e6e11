//! P5/P8: a non-idempotent request is written only on an empty connection,
//! nothing goes behind it until its final response, and once written it is
//! never resent.

use crate::harness::*;
use pipelining::h1::encode_request;
use pipelining::pipeline::NonIdempotentPolicy;
use pipelining::{Cause, CloseReason, ErrorKind, Idempotency, Progress, RequestOptions, Retry};

#[test]
fn post_is_written_only_on_an_empty_connection_and_nothing_goes_behind_it() {
    let mut pair = Pair::new(pipelining(8));
    pair.server.hold = true;
    let ids = [
        pair.submit(get("/a")),
        pair.submit(get("/b")),
        pair.submit(post("/c-post")),
        pair.submit(get("/d")),
        pair.submit(get("/e")),
    ];
    pair.drive();
    assert_eq!(pair.server.targets(), ["/a", "/b"], "the POST waits, and nothing overtakes it");
    pair.server.release();
    pair.drive();
    // The harness checked at each arrival; the transmits show it too.
    let transmits: Vec<_> = pair.server.received.iter().map(|r| r.transmit).collect();
    assert_eq!(transmits, [0, 0, 1, 2, 2]);
    assert!(ids.iter().all(|&id| pair.is_ok(id)));
    assert_eq!(pair.server.count("POST", "/c-post"), 1);
    assert_eq!(pair.server.received[2].body, b"payload", "with its content");
}

#[test]
fn a_post_waits_for_its_final_response_not_an_interim_one() {
    let mut pair = Pair::new(pipelining(8));
    pair.delivery = Delivery::Chunks(1);
    pair.script(|r| if r.method == "POST" { Reply::interim(100).and(Reply::ok(r)) } else { Reply::ok(r) });
    let p = pair.submit(post("/p"));
    let g = pair.submit(get("/g"));
    pair.drive();
    assert!(pair.is_ok(p) && pair.is_ok(g));
    assert_eq!(pair.server.received[1].transmit, 1);
}

#[test]
fn posts_marked_idempotent_are_pipelined_and_replayed() {
    let mut pair = Pair::new(pipelining(4));
    pair.server.hold = true;
    let options = RequestOptions::default().idempotency(Idempotency::Idempotent);
    let a = pair.submit(get("/a"));
    let b = pair.submit_with(post("/b-keyed"), options);
    let c = pair.submit(get("/c"));
    pair.drive();
    assert_eq!(pair.server.received.len(), 3, "pipelined like a GET");
    pair.transport_error_now();
    for id in [a, b, c] {
        assert_eq!(pair.failure(id).1, Retry::Replay);
    }
}

#[test]
fn the_pipelined_policy_writes_posts_behind_others_but_never_replays_them() {
    let mut config = pipelining(4);
    config.non_idempotent = NonIdempotentPolicy::Pipelined;
    let mut pair = Pair::new(config);
    pair.server.hold = true;
    let a = pair.submit(get("/a"));
    let b = pair.submit(post("/b"));
    let c = pair.submit(get("/c"));
    pair.drive();
    assert_eq!(pair.server.received.len(), 3);
    pair.transport_error_now();
    assert_eq!(pair.failure(a).1, Retry::Replay);
    assert_eq!(pair.failure(b).1, Retry::Never);
    assert_eq!(pair.failure(b).3, ErrorKind::MayHaveBeenProcessed);
    assert_eq!(pair.failure(c).1, Retry::Replay);
}

#[test]
fn get_marked_never_retry_is_not_replayed() {
    let mut pair = Pair::new(pipelining(4));
    pair.server.hold = true;
    let options = RequestOptions::default().idempotency(Idempotency::NeverRetry);
    let a = pair.submit_with(get("/once"), options);
    let b = pair.submit(get("/again"));
    pair.drive();
    assert_eq!(pair.server.received.len(), 2, "never-retry does not force it alone");
    pair.transport_error_now();
    assert_eq!(pair.failure(a).1, Retry::Never);
    assert_eq!(pair.failure(a).3, ErrorKind::MayHaveBeenProcessed);
    assert_eq!(pair.failure(b).1, Retry::Replay);
}

fn encoded_len(request: &pipelining::h1::Request) -> usize {
    let mut out = Vec::new();
    encode_request(request, HOST.as_bytes(), &mut out).unwrap();
    out.len()
}

/// A POST lost at every byte of its own write: never resent once any byte of
/// it was accepted; moved when none was.
#[test]
fn post_lost_at_every_point_of_its_write_is_never_resent() {
    let request = post("/pay");
    let len = encoded_len(&request);
    for accepted in 0..=len {
        for loss in ["eof", "reset", "stall", "close"] {
            let mut pair = Pair::new(pipelining(4));
            pair.server.hold = true;
            pair.write_budget = Some(accepted);
            let id = pair.submit(request.clone());
            pair.drive();
            match loss {
                "eof" => pair.eof_now(),
                "reset" => pair.transport_error_now(),
                "stall" => {
                    pair.run_to_close();
                }
                _ => pair.close(),
            }
            let (progress, retry, cause, kind) = pair.failure(id);
            let expected = match accepted {
                0 => (Progress::NotWritten, Retry::Move),
                n if n < len => (Progress::PartlyWritten, Retry::Never),
                _ => (Progress::Written, Retry::Never),
            };
            assert_eq!((progress, retry), expected, "{accepted}/{len} accepted, {loss}");
            if accepted > 0 {
                assert_eq!(kind, ErrorKind::MayHaveBeenProcessed, "{accepted}/{len} {loss}");
            } else {
                assert_ne!(kind, ErrorKind::MayHaveBeenProcessed);
            }
            assert!(matches!(cause, Cause::Lost(_)));
            assert!(pair.server.count("POST", "/pay") <= 1);
        }
    }
}

/// A POST lost at every byte of its response: never resent.
#[test]
fn post_lost_at_every_point_of_its_response_is_never_resent() {
    let full = Reply::ok(&Received {
        index: 0,
        method: "POST".into(),
        target: "/pay".into(),
        body: Vec::new(),
        processed: true,
        transmit: 0,
        ..Received::default()
    })
    .len();
    for cut in 0..full {
        let mut pair = Pair::new(pipelining(4));
        pair.script(move |r| Reply::ok(r).truncate(cut));
        let id = pair.submit(post("/pay"));
        let behind = pair.submit(get("/behind"));
        pair.drive();
        let (progress, retry, cause, kind) = pair.failure(id);
        let expected = if cut == 0 { Progress::Written } else { Progress::ResponsePartlyReceived };
        assert_eq!((progress, retry), (expected, Retry::Never), "cut at {cut}");
        assert_eq!(kind, ErrorKind::MayHaveBeenProcessed);
        let reason = if cut == 0 { CloseReason::PeerClosed } else { CloseReason::Truncated };
        assert_eq!(cause, &Cause::Lost(reason));
        assert_eq!(pair.failure(behind).0, Progress::NotWritten, "nothing went behind the POST");
        assert_eq!(pair.failure(behind).1, Retry::Move);
        assert_eq!(pair.server.count("POST", "/pay"), 1);
    }
}

#[test]
fn post_queued_behind_gets_when_the_connection_drops_is_moved() {
    let mut pair = Pair::new(pipelining(4));
    pair.server.hold = true;
    let a = pair.submit(get("/a"));
    let p = pair.submit(post("/p"));
    pair.drive();
    pair.eof_now();
    assert_eq!(pair.failure(a).1, Retry::Replay);
    assert_eq!((pair.failure(p).0, pair.failure(p).1), (Progress::NotWritten, Retry::Move));
    assert_eq!(pair.failure(p).3, ErrorKind::ConnectionLost);
    assert_eq!(pair.server.count("POST", "/p"), 0);
}

#[test]
fn requests_marked_alone_go_one_at_a_time_and_keep_their_replay_policy() {
    // What a driver asks for requests through an HTTP proxy that is not
    // trusted to pipeline: GETs written like POSTs, still replayed like GETs.
    let alone = RequestOptions::default().alone();
    let mut pair = Pair::new(pipelining(8));
    pair.server.hold = true;
    let ids: Vec<_> = (0..3).map(|i| pair.submit_with(get(&format!("/alone/{i}")), alone)).collect();
    let free = pair.submit(get("/free"));
    pair.drive();
    assert_eq!(pair.server.targets(), ["/alone/0"], "one at a time, and nothing behind it");
    pair.server.release();
    pair.drive();
    let transmits: Vec<_> = pair.server.received.iter().map(|r| r.transmit).collect();
    assert_eq!(transmits, [0, 1, 2, 3], "each in its own write, after the previous response");
    assert!(pair.server.received.iter().all(|r| r.outstanding == 1), "{:?}", pair.server.received);
    assert!(ids.iter().chain([&free]).all(|&id| pair.is_ok(id)));

    let mut pair = Pair::new(pipelining(8));
    pair.server.hold = true;
    let get_alone = pair.submit_with(get("/a"), alone);
    let post_alone = pair.submit_with(post("/p"), alone);
    pair.drive();
    pair.transport_error_now();
    assert_eq!(pair.failure(get_alone).1, Retry::Replay, "alone changes where it goes, not its replay");
    assert_eq!(pair.failure(post_alone).1, Retry::Move, "never written: moved");
}
