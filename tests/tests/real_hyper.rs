//! Against the in-process hyper server (`pipelining_tests::hyper_server`),
//! with `pipeline_flush` on and off: large batches, and the depth and
//! connection limits as the server counted them. Needs nothing external,
//! so these run in a plain `cargo test`.

use pipelining_tests::hyper_server::{HyperOptions, HyperServer};
use pipelining_tests::real::{Fetched, expect_body, get_all, run};
use pipelining_tests::{Stats, echo_body, pattern};
use pipelining_tokio::{Client, Error};
use std::time::Duration;

fn client(depth: usize, connections: usize) -> Client {
    Client::builder()
        .depth(depth)
        .connections(connections)
        .connect_timeout(Duration::from_secs(5))
        .stall_timeout(Duration::from_secs(10))
        .build()
        .expect("client")
}

/// Every target got its own response: `/bytes/N…` the pattern, anything
/// else its echo.
#[track_caller]
fn expect_responses(targets: &[String], results: &[Result<Fetched, Error>]) {
    assert_eq!(targets.len(), results.len());
    for (target, got) in targets.iter().zip(results) {
        let expected = match target.strip_prefix("/bytes/") {
            Some(rest) => pattern(rest.split('?').next().and_then(|n| n.parse().ok()).expect("a size")),
            None => echo_body("GET", target).into_bytes(),
        };
        expect_body(&format!("GET {target}"), got, 200, &expected);
    }
}

/// The server saw each target handled once, no more than `connections`
/// connections at once, no more than `depth` requests unanswered on one.
#[track_caller]
fn expect_limits(stats: &Stats, targets: &[String], depth: usize, connections: usize) {
    for target in targets {
        assert_eq!(stats.handled("GET", target), 1, "GET {target} handled {} times", stats.handled("GET", target));
    }
    assert_eq!(stats.total_received(), targets.len(), "requests read off the wire");
    assert!(stats.max_open <= connections, "{} connections at once (limit {connections})", stats.max_open);
    assert!(stats.connections() <= connections, "{} connections (nothing closes them)", stats.connections());
    for (i, conn) in stats.conns.iter().enumerate() {
        assert!(conn.max_unanswered <= depth, "connection {i}: {} unanswered (depth {depth})", conn.max_unanswered);
    }
}

fn large_batch(pipeline_flush: bool) {
    let server = HyperServer::with(HyperOptions { pipeline_flush, tls: None });
    let sizes = [0usize, 1, 100, 5000, 70_000];
    let targets: Vec<String> = (0..3000)
        .map(|i| if i % 3 == 0 { format!("/bytes/{}?i={i}", sizes[(i / 3) % sizes.len()]) } else { format!("/b/{i}") })
        .collect();
    run(async {
        let client = client(16, 2);
        let urls: Vec<String> = targets.iter().map(|t| server.url(t)).collect();
        let results = get_all(&client, &urls).await;
        expect_responses(&targets, &results);
        let stats = server.stats();
        expect_limits(&stats, &targets, 16, 2);
        assert!(stats.max_unanswered() >= 2, "the server never saw two requests pipelined");
    });
}

/// 3,000 GETs 16 deep on 2 connections, hyper aggregating pipelined
/// responses into fewer writes.
#[test]
fn hyper_flush_on_large_batch() {
    large_batch(true);
}

/// The same with one write per response.
#[test]
fn hyper_flush_off_large_batch() {
    large_batch(false);
}

/// For several depths and connection counts, requests that the server
/// holds a millisecond: the server never sees more than the depth
/// unanswered on a connection, nor more connections than allowed — and at
/// depth 1, never two at once.
#[test]
fn hyper_depth_and_connection_limits() {
    for (depth, connections, flush) in [(1, 1, true), (3, 2, false), (32, 1, true), (8, 4, false)] {
        let server = HyperServer::with(HyperOptions { pipeline_flush: flush, tls: None });
        let targets: Vec<String> = (0..200).map(|i| format!("/d{depth}c{connections}/{i}?delay=1")).collect();
        run(async {
            let client = client(depth, connections);
            let urls: Vec<String> = targets.iter().map(|t| server.url(t)).collect();
            let results = get_all(&client, &urls).await;
            expect_responses(&targets, &results);
            let stats = server.stats();
            expect_limits(&stats, &targets, depth, connections);
            if depth == 1 {
                assert_eq!(stats.max_unanswered(), 1, "depth 1 pipelined");
            } else {
                assert!(stats.max_unanswered() >= 2, "depth {depth}: the server never saw two requests pipelined");
            }
        });
    }
}
