//! Against Node's `http` module: a small server run with `node -e`
//! (`pipelining_tests::real::NodeServer`) that counts requests per socket,
//! how many were outstanding at once, and per `METHOD target`.

use bytes::Bytes;
use pipelining::Capability;
use pipelining::Lesson;
use pipelining_tests::real::{NodeServer, Watch, WireTap, expect_body, max_in_flight, run, send_all};
use pipelining_tests::{echo_body, pattern};
use pipelining_tokio::Client;
use std::time::Duration;

/// Pipelined GETs — Content-Length and chunked responses, small and up to
/// 1 MB, some delayed so that requests queue up in the server — with a
/// POST among them: every body right, every request received once (the
/// POST too), the depth the server saw within the client's.
#[test]
#[ignore = "needs node"]
fn pipelined_gets_and_a_post() {
    let mut server = NodeServer::start();
    let depth = 8;
    let sizes = [0usize, 1, 100, 16_384, 65_537, 1_000_000];
    let jobs: Vec<(&str, String, String)> = (0..240)
        .map(|i| match i % 6 {
            0 => ("GET", format!("/bytes/{}?i={i}", sizes[(i / 6) % sizes.len()]), String::new()),
            1 => ("GET", format!("/echo/{i}?chunked"), String::new()),
            2 => ("GET", format!("/echo/{i}?delay=3"), String::new()),
            _ if i == 100 => ("POST", format!("/post/{i}"), format!("payload {i}")),
            _ => ("GET", format!("/echo/{i}"), String::new()),
        })
        .collect();
    let tap = WireTap::new();
    let watch = Watch::new();
    run(async {
        let client = Client::builder()
            .depth(depth)
            .connections(2)
            .connect_timeout(Duration::from_secs(5))
            .stall_timeout(Duration::from_secs(10))
            .connector(tap.connector())
            .observer(watch.observer())
            .build()
            .expect("client");
        let requests = jobs
            .iter()
            .map(|(method, target, body)| {
                http::Request::builder()
                    .method(*method)
                    .uri(server.url(target))
                    .body(http_body_util::Full::new(Bytes::from(body.clone())))
                    .expect("request")
            })
            .collect();
        let results = send_all(&client, requests).await;
        for ((method, target, body), got) in jobs.iter().zip(&results) {
            let expected = match target.strip_prefix("/bytes/") {
                Some(rest) => pattern(rest.split('?').next().and_then(|n| n.parse().ok()).expect("a size")),
                None if body.is_empty() => echo_body(method, target).into_bytes(),
                None => format!("{} {body}", echo_body(method, target)).into_bytes(),
            };
            expect_body(&format!("{method} {target}"), got, 200, &expected);
            if target.ends_with("?chunked") {
                let got = got.as_ref().expect("response");
                assert_eq!(got.header("transfer-encoding"), Some("chunked"), "{method} {target}");
            }
        }
        let status = client.origin_status(&server.origin());
        assert_eq!(status.map(|s| s.capability), Some(Capability::Pipelining));
        let fetched: Vec<_> = results.iter().filter_map(|r| r.as_ref().ok()).collect();
        let in_flight = max_in_flight(&fetched);
        assert!((2..=depth).contains(&in_flight), "{in_flight} requests in flight on one connection");
        assert!(watch.max_open() <= 2);
        assert!(watch.closed().iter().all(|c| c.lesson != Lesson::PipelineBreak), "{:?}", watch.closed());
    });

    let stats = server.stats();
    for (method, target, _) in &jobs {
        assert_eq!(
            stats.received(method, target),
            1,
            "{method} {target} received {} times",
            stats.received(method, target)
        );
    }
    // Per socket: what the client wrote on it is what the server received
    // and answered; the depth it saw is within the client's.
    assert!(!stats.sockets.is_empty() && stats.sockets.len() <= 2, "{:?}", stats.sockets);
    let conns = tap.conns();
    for (port, received, answered, max_outstanding) in &stats.sockets {
        assert_eq!(received, answered, "socket from port {port}");
        assert!(*max_outstanding <= depth, "socket from port {port}: {max_outstanding} outstanding at once");
        let written = conns.iter().filter(|c| c.local_port == *port).map(|c| c.written.len()).sum::<usize>();
        assert_eq!(written, *received, "socket from port {port}: written vs received");
    }
    let deepest = stats.sockets.iter().map(|s| s.3).max().unwrap_or(0);
    assert!(deepest >= 2, "the server never had two requests outstanding: {:?}", stats.sockets);
}
