//! Every input split (docs/DESIGN.md "Tests"): the same pipelined exchange
//! delivered whole, byte by byte and split at every offset gives the same
//! outcome for every request.

use crate::harness::*;
use pipelining::RequestOptions;

/// A summary of every outcome, comparable across runs.
fn summary(pair: &Pair) -> Vec<String> {
    pair.subs
        .iter()
        .map(|s| match pair.outcome(s.id) {
            Outcome::Response { status, body, interim, trailers } => {
                format!("{status} {} {interim:?} {trailers}", String::from_utf8_lossy(body))
            }
            Outcome::Complete { response, interim } => {
                format!("whole {} {} {interim:?}", response.head.status, String::from_utf8_lossy(&response.body))
            }
            Outcome::Failed { progress, retry, cause, .. } => format!("failed {progress:?} {retry:?} {cause:?}"),
        })
        .collect()
}

/// Responses of every framing, pipelined: Content-Length, chunked with a
/// trailer, interim then final, HEAD, whole-response mode, then a response
/// delimited by the close.
fn exchange(delivery: Delivery, end_by_close: bool) -> Pair {
    let mut pair = Pair::new(pipelining(8));
    pair.delivery = delivery;
    pair.script(move |r| match r.index {
        1 => Reply::chunked(r, 3, true),
        2 => Reply::interim(100).and(Reply::ok(r)),
        5 if end_by_close => {
            Reply::raw(format!("HTTP/1.1 200 OK\r\nX-Target: {}\r\n\r\nto the end", r.target)).then_eof()
        }
        _ => Reply::ok(r),
    });
    pair.submit(get("/s/plain"));
    pair.submit(get("/s/chunked"));
    pair.submit(post("/s/continue"));
    pair.submit(head("/s/head"));
    pair.submit_with(get("/s/whole"), RequestOptions::default().whole());
    pair.submit(get("/s/last"));
    pair.drive();
    pair
}

#[test]
fn every_split_of_a_pipelined_exchange_gives_the_same_outcomes() {
    for end_by_close in [false, true] {
        let reference = exchange(Delivery::Whole, end_by_close);
        let expected = summary(&reference);
        assert!(reference.subs.iter().all(|s| reference.is_ok(s.id)), "{expected:?}");
        let total = reference.server.out.len();
        assert_eq!(summary(&exchange(Delivery::Chunks(1), end_by_close)), expected, "byte by byte");
        for at in 1..total {
            assert_eq!(summary(&exchange(Delivery::At(vec![at]), end_by_close)), expected, "split at {at}");
        }
        for size in [2, 3, 7, 64] {
            assert_eq!(summary(&exchange(Delivery::Chunks(size), end_by_close)), expected, "chunks of {size}");
        }
    }
}

#[test]
fn a_loss_at_every_offset_is_classified_the_same_way_whatever_the_split() {
    // Cut the stream of four pipelined responses at every offset: the
    // outcome depends only on the cut, never on how the bytes were split.
    let full = exchange(Delivery::Whole, false).server.out.len();
    for cut in 0..full {
        let run = |delivery: Delivery| {
            let mut pair = Pair::new(pipelining(8));
            pair.delivery = delivery;
            let mut sent = 0;
            pair.script(move |r| {
                let reply = match r.index {
                    1 => Reply::chunked(r, 3, true),
                    2 => Reply::interim(100).and(Reply::ok(r)),
                    _ => Reply::ok(r),
                };
                let room = cut.saturating_sub(sent);
                sent += reply.len();
                if reply.len() <= room { reply } else { reply.truncate(room) }
            });
            pair.submit(get("/s/plain"));
            pair.submit(get("/s/chunked"));
            pair.submit(post("/s/continue"));
            pair.submit(head("/s/head"));
            pair.submit_with(get("/s/whole"), RequestOptions::default().whole());
            pair.submit(get("/s/last"));
            pair.drive();
            pair
        };
        let whole = summary(&run(Delivery::Whole));
        assert_eq!(summary(&run(Delivery::Chunks(1))), whole, "cut at {cut}, byte by byte");
        assert_eq!(summary(&run(Delivery::At(vec![cut / 2]))), whole, "cut at {cut}, split at {}", cut / 2);
    }
}
