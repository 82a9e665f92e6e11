//! Partial writes: the transport accepts part of a transmit; the connection
//! knows how far every request got.

use crate::harness::*;
use pipelining::h1::encode_request;
use pipelining::{Progress, Retry};

fn lengths(n: usize) -> Vec<usize> {
    (0..n)
        .map(|i| {
            let mut out = Vec::new();
            encode_request(&get(&format!("/pw/{i}")), HOST.as_bytes(), &mut out).unwrap();
            out.len()
        })
        .collect()
}

#[test]
fn a_loss_after_a_partial_write_classifies_each_request_by_its_bytes() {
    let lens = lengths(4);
    let total: usize = lens.iter().sum();
    for accepted in 0..=total {
        let mut pair = Pair::new(pipelining(4));
        pair.server.hold = true;
        pair.write_budget = Some(accepted);
        pair.write_chunk = 7;
        let ids: Vec<_> = (0..4).map(|i| pair.submit(get(&format!("/pw/{i}")))).collect();
        pair.drive();
        assert_eq!(pair.transmits.len(), 1, "one transmit, partly accepted");
        pair.transport_error_now();
        let mut start = 0;
        for (i, &id) in ids.iter().enumerate() {
            let end = start + lens[i];
            let expected = if accepted >= end {
                (Progress::Written, Retry::Replay)
            } else if accepted > start {
                (Progress::PartlyWritten, Retry::Replay)
            } else {
                (Progress::NotWritten, Retry::Move)
            };
            let (progress, retry, ..) = pair.failure(id);
            assert_eq!((progress, retry), expected, "request {i}, {accepted} of {total} bytes accepted");
            start = end;
        }
    }
}

#[test]
fn the_rest_of_a_transmit_is_written_before_a_new_one() {
    let lens = lengths(3);
    let mut pair = Pair::new(pipelining(8));
    pair.write_budget = Some(lens[0] + 3);
    let first: Vec<_> = (0..3).map(|i| pair.submit(get(&format!("/pw/{i}")))).collect();
    pair.drive();
    assert_eq!(pair.server.received.len(), 1);
    // Submitting more does not produce a transmit while the last is unfinished.
    let later = pair.submit(get("/later"));
    pair.drive();
    assert_eq!(pair.transmits.len(), 1);
    assert_eq!(pair.conn.queued(), 1);
    pair.write_budget = None;
    pair.drive();
    assert_eq!(pair.transmits.len(), 2);
    assert!(first.iter().chain([&later]).all(|&id| pair.is_ok(id)));
}

#[test]
fn byte_by_byte_writes_and_reads_give_the_same_exchange() {
    let mut pair = Pair::new(pipelining(3));
    pair.write_chunk = 1;
    pair.delivery = Delivery::Chunks(1);
    let ids: Vec<_> = (0..7).map(|i| pair.submit(get(&format!("/bb/{i}")))).collect();
    pair.submit(head("/bb/head"));
    pair.drive();
    assert!(ids.iter().all(|&id| pair.is_ok(id)));
    assert_eq!(pair.server.received.len(), 8);
}

#[test]
fn accepting_more_than_was_handed_out_is_clamped() {
    let mut pair = Pair::new(pipelining(2));
    pair.server.hold = true;
    pair.submit(get("/x"));
    let mut buf = Vec::new();
    let n = pair.conn.poll_transmit(pair.now, &mut buf).unwrap();
    pair.conn.handle_written(pair.now, n + 100);
    pair.conn.handle_transport_error(pair.now);
    let mut failed = None;
    while let Some(event) = pair.conn.poll_event() {
        if let pipelining::Event::Unanswered(f) = event {
            failed = Some((f.progress, f.retry));
        }
    }
    assert_eq!(failed, Some((Progress::Written, Retry::Replay)));
}
