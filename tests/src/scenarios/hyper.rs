//! Scenarios against hyper, an independent HTTP/1.1 server in process:
//! pipelining with and without `pipeline_flush`, methods, bodiless
//! responses, large bodies, cancellation and backpressure.

use super::support::*;
use crate::hyper_server::{HyperOptions, HyperServer};
use crate::{echo_body, pattern};
use futures_util::future::join_all;
use pipelining_driver::Glue;

async fn hyper_gets_pipelined<G: Glue>(pipeline_flush: bool) {
    let server = HyperServer::with(HyperOptions { pipeline_flush, tls: None });
    let (builder, watch) = watched(builder::<G>().depth(4).connections(2));
    let client = build(builder);
    let results = gets(&client, |t| server.url(t), "r", "?delay=1", 60).await;
    for (target, got) in &results {
        expect_echo("GET", target, got);
    }
    let stats = server.stats();
    assert!(stats.connections() <= 2, "{} connections", stats.connections());
    assert_limits(&stats, 4, 2);
    assert_each_handled_once(&stats, "GET", results.iter().map(|(t, _)| t));
    watch.assert_at_most(2);
}

/// 60 GETs, depth 4 on 2 connections, hyper with `pipeline_flush` on.
pub(crate) async fn hyper_gets_pipelined_flush_on<G: Glue>() {
    hyper_gets_pipelined::<G>(true).await;
}

/// The same with `pipeline_flush` off (one write per response).
pub(crate) async fn hyper_gets_pipelined_flush_off<G: Glue>() {
    hyper_gets_pipelined::<G>(false).await;
}

/// GET, POST, PUT, DELETE, HEAD, OPTIONS mixed: every response its own,
/// every POST processed exactly once.
pub(crate) async fn hyper_mixed_methods_posts_once<G: Glue>() {
    let server = HyperServer::start();
    let client = build(builder::<G>().depth(4).connections(2));
    let methods = ["GET", "POST", "PUT", "DELETE", "HEAD", "OPTIONS", "POST", "GET"];
    let jobs: Vec<(String, String, String)> = (0..40)
        .map(|i| {
            let method = methods[i % methods.len()].to_owned();
            let body = if matches!(method.as_str(), "POST" | "PUT") { format!("payload-{i}") } else { String::new() };
            (method, format!("/m/{i}"), body)
        })
        .collect();
    let results = join_all(jobs.iter().map(|(m, t, b)| {
        let url = server.url(t);
        let client = &client;
        async move { fetch(client, m, url, b).await }
    }))
    .await;
    for ((method, target, body), got) in jobs.iter().zip(&results) {
        let expected = match method.as_str() {
            "HEAD" => String::new(),
            _ if body.is_empty() => echo_body(method, target),
            _ => format!("{} {body}", echo_body(method, target)),
        };
        expect_ok(&format!("{method} {target}"), got, 200, expected.as_bytes());
    }
    let stats = server.stats();
    assert_limits(&stats, 4, 2);
    for (method, target, _) in &jobs {
        assert_eq!(stats.handled(method, target), 1, "{method} {target}");
    }
}

/// HEAD, 204, 304 and 404 between ordinary requests on one connection.
pub(crate) async fn hyper_head_204_304_and_sizes<G: Glue>() {
    let server = HyperServer::start();
    let client = build(builder::<G>().depth(8).connections(1));
    let jobs = [
        ("GET", "/warm"),
        ("HEAD", "/h"),
        ("GET", "/status/204"),
        ("GET", "/status/304"),
        ("GET", "/x"),
        ("HEAD", "/bytes/1000"),
        ("GET", "/bytes/1000"),
        ("GET", "/status/404"),
        ("GET", "/y"),
    ];
    let results = join_all(jobs.iter().map(|(m, t)| fetch(&client, m, server.url(t), ""))).await;
    let expected: [(u16, Vec<u8>); 9] = [
        (200, echo_body("GET", "/warm").into()),
        (200, Vec::new()),
        (204, Vec::new()),
        (304, Vec::new()),
        (200, echo_body("GET", "/x").into()),
        (200, Vec::new()),
        (200, pattern(1000)),
        (404, echo_body("GET", "/status/404").into()),
        (200, echo_body("GET", "/y").into()),
    ];
    for (((method, target), got), (status, body)) in jobs.iter().zip(&results).zip(&expected) {
        expect_ok(&format!("{method} {target}"), got, *status, body);
    }
    assert_eq!(server.stats().connections(), 1);
}

/// Bodies around the 64 KiB marks and up to 1 MB, pipelined with small
/// ones, checked byte by byte; a 500 kB upload with a GET behind it; one
/// body read chunk by chunk.
pub(crate) async fn hyper_large_bodies_byte_checked<G: Glue>() {
    let server = HyperServer::start();
    let client = build(builder::<G>().depth(4).connections(1));
    let sizes = [0usize, 1, 10, 65_535, 65_536, 65_537, 300_000, 1_000_000, 7];
    let results = join_all(sizes.iter().map(|n| fetch(&client, "GET", server.url(&format!("/bytes/{n}")), ""))).await;
    for (n, got) in sizes.iter().zip(&results) {
        expect_ok(&format!("/bytes/{n}"), got, 200, &pattern(*n));
    }
    let upload = String::from_utf8(pattern(500_000).iter().map(|b| b'a' + b % 26).collect()).expect("ascii");
    let (up, small) = futures_util::join!(
        fetch(&client, "POST", server.url("/upload"), &upload),
        fetch(&client, "GET", server.url("/behind-upload"), ""),
    );
    expect_ok("POST /upload", &up, 200, format!("POST /upload {upload}").as_bytes());
    expect_echo("GET", "/behind-upload", &small);
    let response = client.get(&server.url("/bytes/200000")).await.expect("response");
    let mut body = response.into_body();
    let mut all = Vec::new();
    while let Some(chunk) = body.chunk().await {
        all.extend_from_slice(&chunk.expect("chunk"));
    }
    assert!(body.is_end());
    assert!(all == pattern(200_000), "chunked read of 200000 bytes differs");
    assert_eq!(server.stats().connections(), 1);
}

/// Cancelled before it was written (depth 1, the connection busy): nothing
/// reaches the server, and the next request gets its own response.
pub(crate) async fn hyper_cancel_before_written<G: Glue>() {
    let server = HyperServer::start();
    let client = build(builder::<G>().depth(1).connections(1));
    let mut slow = start(&client, "GET", &server.url("/slow?delay=300"));
    drive_until::<G, _>(&mut slow, "the slow request reached the server", || {
        server.stats().handled("GET", "/slow?delay=300") == 1
    })
    .await;
    let mut cancelled = start(&client, "GET", &server.url("/cancelled"));
    assert!(futures_util::poll!(cancelled.as_mut()).is_pending());
    drop(cancelled);
    expect_echo("GET", "/slow?delay=300", &slow.await);
    expect_echo("GET", "/after", &fetch(&client, "GET", server.url("/after"), "").await);
    let stats = server.stats();
    assert_eq!(stats.received("GET", "/cancelled"), 0, "a request cancelled before it was written reached the server");
    assert_eq!(stats.connections(), 1);
}

/// Cancelled after it was written: its small response is read and dropped,
/// the requests around it get their own, the connection stays.
pub(crate) async fn hyper_cancel_after_written<G: Glue>() {
    let server = HyperServer::start();
    let (builder, wire) = tapped(builder::<G>().depth(4).connections(1));
    let client = build(builder);
    expect_echo("GET", "/warm", &fetch(&client, "GET", server.url("/warm"), "").await);
    let mut a = start(&client, "GET", &server.url("/a?delay=200"));
    let mut b = start(&client, "GET", &server.url("/b"));
    let mut c = start(&client, "GET", &server.url("/c"));
    for f in [&mut a, &mut b, &mut c] {
        assert!(futures_util::poll!(f.as_mut()).is_pending());
    }
    drive_until::<G, _>(&mut a, "/b and /c were written", || {
        wire.written("GET", "/b") == 1 && wire.written("GET", "/c") == 1
    })
    .await;
    drop(b);
    let (a, c) = futures_util::join!(a, c);
    expect_echo("GET", "/a?delay=200", &a);
    expect_echo("GET", "/c", &c);
    expect_echo("GET", "/d", &fetch(&client, "GET", server.url("/d"), "").await);
    let stats = server.stats();
    assert_eq!(stats.handled("GET", "/b"), 1, "/b was written before it was cancelled");
    assert_eq!(stats.connections(), 1, "a small cancelled response must not close the connection");
}

/// Cancelled after it was written, its response over the cancel threshold:
/// the connection closes and the request written behind it is resent and
/// succeeds.
pub(crate) async fn hyper_cancel_large_response_closes_and_retries<G: Glue>() {
    let server = HyperServer::start();
    let (builder, wire) = tapped(builder::<G>().depth(4).connections(1).cancel_threshold(16 * 1024));
    let client = build(builder);
    expect_echo("GET", "/warm", &fetch(&client, "GET", server.url("/warm"), "").await);
    let mut a = start(&client, "GET", &server.url("/a?delay=200"));
    let mut big = start(&client, "GET", &server.url("/bytes/2000000"));
    let mut c = start(&client, "GET", &server.url("/c"));
    for f in [&mut a, &mut big, &mut c] {
        assert!(futures_util::poll!(f.as_mut()).is_pending());
    }
    drive_until::<G, _>(&mut a, "/bytes/2000000 and /c were written", || {
        wire.written("GET", "/bytes/2000000") == 1 && wire.written("GET", "/c") == 1
    })
    .await;
    drop(big);
    let (a, c) = futures_util::join!(a, c);
    expect_echo("GET", "/a?delay=200", &a);
    expect_echo("GET", "/c", &c);
    let stats = server.stats();
    assert_eq!(stats.connections(), 2, "the connection should close over the large cancelled response");
    assert!(stats.handled("GET", "/c") >= 1);
}

/// A full submit queue makes `send` wait, never fail: queue limit 2, depth
/// 1, one connection, ten requests at once.
pub(crate) async fn hyper_backpressure_queue_full_waits<G: Glue>() {
    let server = HyperServer::start();
    let client = build(builder::<G>().depth(1).connections(1).queue_limit(2));
    let origin = pipelining_driver::origin_of(&server.url("/").parse().expect("uri")).expect("origin");
    let mut first = start(&client, "GET", &server.url("/q/0?delay=300"));
    let mut second = start(&client, "GET", &server.url("/q/1?delay=50"));
    let mut third = start(&client, "GET", &server.url("/q/2"));
    assert!(futures_util::poll!(first.as_mut()).is_pending());
    assert!(futures_util::poll!(second.as_mut()).is_pending());
    assert!(futures_util::poll!(third.as_mut()).is_pending());
    drive_until::<G, _>(&mut first, "/q/0 reached the server", || server.stats().handled("GET", "/q/0?delay=300") == 1)
        .await;
    let status = client.origin_status(&origin).expect("origin known");
    assert!(status.queued <= 2, "{} queued over a limit of 2", status.queued);
    // The third waits for room, it does not fail.
    assert!(futures_util::poll!(third.as_mut()).is_pending());
    assert_eq!(server.stats().received("GET", "/q/2"), 0);
    // One waiting for room and dropped is never sent.
    let mut parked = start(&client, "GET", &server.url("/q/dropped"));
    assert!(futures_util::poll!(parked.as_mut()).is_pending());
    drop(parked);
    let rest: Vec<(String, Pending<'_>)> = (3..10)
        .map(|i| {
            let target = format!("/q/{i}");
            let f = start(&client, "GET", &server.url(&target));
            (target, f)
        })
        .collect();
    let (first, second, third) = futures_util::join!(first, second, third);
    expect_echo("GET", "/q/0?delay=300", &first);
    expect_echo("GET", "/q/1?delay=50", &second);
    expect_echo("GET", "/q/2", &third);
    let (targets, futures): (Vec<String>, Vec<Pending<'_>>) = rest.into_iter().unzip();
    for (target, got) in targets.iter().zip(join_all(futures).await) {
        expect_echo("GET", target, &got);
    }
    let stats = server.stats();
    assert_limits(&stats, 1, 1);
    assert_eq!(stats.received("GET", "/q/dropped"), 0, "a dropped waiting request was sent");
}
