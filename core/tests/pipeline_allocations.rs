//! No allocation per response beyond the event itself.
//!
//! 1,000 GETs pipelined 16 deep against canned nginx-style 1 KiB responses,
//! driven exactly as a driver would (submit, `poll_transmit` into a reused
//! buffer, `handle_written`, `handle_received` with each batch's bytes,
//! events drained and dropped), after a warm-up that lets every buffer reach
//! its working size. What is left is the response head's header `Vec`: the
//! header fields are slices of the read buffer, but the list that holds them
//! is the event's own, one allocation per response. Everything else (the
//! request table, the event queue, the output buffer, the read buffer, the
//! content, which is a slice of the read buffer) is reused or shared.
//! Measured: exactly 1.000 allocations per response, no reallocation.
//!
//! Its own binary: `#[global_allocator]` is per binary, and this file has a
//! single test so nothing else allocates while it counts.

use pipelining::h1::{H1Codec, Limits, Request, ResponsePart};
use pipelining::{Capability, Connection, ConnectionConfig, Event, Instant};
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};
use std::alloc::System;

#[allow(dead_code, reason = "each user takes the parts it needs")]
#[path = "../benches/support/nginx.rs"]
mod nginx;

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

const DEPTH: usize = 16;

/// Sends `batches` windows of `DEPTH` GETs through `conn` and returns the
/// responses and content bytes seen.
fn run(conn: &mut Connection<H1Codec>, batch: &[u8], out: &mut Vec<u8>, batches: usize) -> (usize, usize) {
    let now = Instant::from_millis(1);
    let (mut ends, mut content) = (0, 0);
    for _ in 0..batches {
        for _ in 0..DEPTH {
            conn.submit(now, Request::get("/static/1k.txt"), Default::default()).expect("room in the queue");
        }
        out.clear();
        let n = conn.poll_transmit(now, out).expect("a window to write");
        conn.handle_written(now, n);
        conn.handle_received(now, batch);
        while let Some(event) = conn.poll_event() {
            match event {
                Event::Response { part: ResponsePart::Data(data), .. } => content += data.len(),
                Event::Response { end: true, .. } => ends += 1,
                Event::Closed(closed) => panic!("closed: {closed:?}"),
                _ => {}
            }
        }
    }
    (ends, content)
}

#[test]
fn pipelined_responses_allocate_nothing_beyond_the_event_itself() {
    let mut config = ConnectionConfig::default();
    config.depth = DEPTH;
    config.capability = Capability::Pipelining;
    let mut conn = Connection::new(H1Codec::new("example.test", Limits::default()), config, Instant::ZERO);
    let batch = nginx::plain_responses(DEPTH);
    let mut out = Vec::with_capacity(64 * 1024);

    // Warm up: buffers grow to their working size.
    assert_eq!(run(&mut conn, &batch, &mut out, 8), (8 * DEPTH, 8 * DEPTH * nginx::BODY));

    // The counters are process-wide and the test runner's own thread may
    // allocate now and then while we count: the fewest of a few rounds is
    // this thread's number.
    let batches = 1_000usize.div_ceil(DEPTH);
    let responses = batches * DEPTH;
    let mut fewest: Option<stats_alloc::Stats> = None;
    for _ in 0..5 {
        let region = Region::new(GLOBAL);
        let seen = run(&mut conn, &batch, &mut out, batches);
        let stats = region.change();
        assert_eq!(seen, (responses, responses * nginx::BODY));
        if fewest.is_none_or(|f| stats.allocations < f.allocations) {
            fewest = Some(stats);
        }
    }
    let stats = fewest.unwrap();

    let per_response = stats.allocations as f64 / responses as f64;
    println!(
        "{responses} responses: {} allocations ({per_response:.3} per response), {} reallocations",
        stats.allocations, stats.reallocations
    );
    // One per response: the head's header list, part of the event itself.
    // (Measured: exactly 1.000. The read buffer is reclaimed in place once
    // the previous batch's parts are dropped.)
    assert!(stats.allocations <= responses, "{} allocations for {responses} responses", stats.allocations);
    assert_eq!(stats.reallocations, 0, "no buffer grows once warm");
}
