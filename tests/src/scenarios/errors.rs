//! Scenarios that end in errors, each of the kind the situation calls for:
//! connect, timeout, protocol, limit, may-have-been-processed, max-tries.

use super::support::*;
use crate::raw::{self, RawServer, Step};
use bytes::Bytes;
use futures_util::future::join_all;
use pipelining_driver::{ErrorKind, Glue};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// A refused port fails with `connect` after `max_tries` failed connects.
pub(crate) async fn error_refused_port_is_connect<G: Glue>() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.local_addr().expect("addr").port()
    };
    let client = build(builder::<G>().max_tries(2));
    let urls: Vec<String> = (0..3).map(|i| format!("http://127.0.0.1:{port}/x/{i}")).collect();
    let results = join_all(urls.iter().map(|u| fetch(&client, "GET", u.clone(), ""))).await;
    for (url, got) in urls.iter().zip(&results) {
        let e = expect_err(url, got, ErrorKind::Connect);
        assert_eq!(e.attempts(), 0, "{url}: never written");
        // The system's error is kept: in the message, and as the source.
        let io = e.io_error().expect("the OS error");
        assert_eq!(io.kind(), std::io::ErrorKind::ConnectionRefused, "{e}");
        assert!(std::error::Error::source(&e).is_some());
        assert!(e.message().contains(&io.to_string()) || e.message().to_lowercase().contains("refused"), "{e}");
    }
}

/// A silent server with a short stall timeout and one try: `timeout`.
pub(crate) async fn error_stall_is_timeout<G: Glue>() {
    let server = RawServer::start(|_| vec![Step::Silent]);
    let client = build(builder::<G>().stall_timeout(Duration::from_millis(200)).max_tries(1));
    let got = fetch(&client, "GET", server.url("/stall"), "").await;
    let e = expect_err("GET /stall", &got, ErrorKind::Timeout);
    assert_eq!(e.attempts(), 1);
    assert_eq!(server.stats().handled("GET", "/stall"), 1);
}

/// A head that starts and never finishes: the request's own deadline, and
/// separately the stall timeout, end it with `timeout`; a body that stops
/// half-way fails its stream with `timeout` at the deadline.
pub(crate) async fn error_slow_head_request_deadline_is_timeout<G: Glue>() {
    let server = RawServer::start(|_| vec![Step::Write(b"HTTP/1.1 200 OK\r\ncontent-le".to_vec()), Step::Silent]);
    let client = build(builder::<G>().request_timeout(Duration::from_millis(250)));
    let got = fetch(&client, "GET", server.url("/deadline"), "").await;
    expect_err("GET /deadline", &got, ErrorKind::Timeout);
    let client = build(builder::<G>().stall_timeout(Duration::from_millis(200)).max_tries(1));
    let got = fetch(&client, "GET", server.url("/stall"), "").await;
    expect_err("GET /stall", &got, ErrorKind::Timeout);
    // A body that stops half-way: the deadline fails the body stream.
    let server = RawServer::start(|_| {
        let mut partial = raw::head(200, &[("content-length", "100")]);
        partial.extend_from_slice(b"half");
        vec![Step::Write(partial), Step::Silent]
    });
    let client = build(builder::<G>().request_timeout(Duration::from_millis(250)));
    let response = client.get(&server.url("/slow-body")).await.expect("the head arrives");
    let e = response.into_body().bytes().await.expect_err("the body never completes");
    assert_eq!(e.kind(), ErrorKind::Timeout, "{e}");
}

/// A request's own malformed response fails it with `protocol`, unreplayed;
/// the request pipelined behind it is handed back and succeeds.
pub(crate) async fn error_malformed_response_is_protocol<G: Glue>() {
    let server = RawServer::start(|r| match r.target() {
        "/bad" => vec![
            Step::Sleep(Duration::from_millis(20)),
            Step::Write(b"HTTP/1.1 200 OK\r\ncontent-length: 5\r\ncontent-length: 6\r\n\r\nhello!".to_vec()),
        ],
        "/garbage" => vec![Step::Write(b"\x16\x03\x01\x02garbage \x00\xff\r\n\r\n".to_vec())],
        _ => vec![Step::Write(r.echo())],
    });
    let client = build(builder::<G>().depth(4).connections(1));
    expect_echo("GET", "/warm", &fetch(&client, "GET", server.url("/warm"), "").await);
    let (bad, after) = futures_util::join!(
        fetch(&client, "GET", server.url("/bad"), ""),
        fetch(&client, "GET", server.url("/after"), ""),
    );
    let e = expect_err("GET /bad", &bad, ErrorKind::Protocol);
    assert_eq!(e.attempts(), 1, "a protocol error is not replayed");
    expect_echo("GET", "/after", &after);
    let got = fetch(&client, "GET", server.url("/garbage"), "").await;
    expect_err("GET /garbage", &got, ErrorKind::Protocol);
    let stats = server.stats();
    assert_eq!(stats.handled("GET", "/bad"), 1);
    assert_eq!(stats.handled("GET", "/garbage"), 1);
}

/// The request deadline counts from `send`, also for a request that waited
/// for room in a full queue: queue limit 1, depth 1, three requests to a
/// server that answers too late all fail with `timeout` at about the
/// deadline.
pub(crate) async fn error_request_deadline_counts_from_send<G: Glue>() {
    let server = RawServer::start(|r| vec![Step::Sleep(Duration::from_secs(3)), Step::Write(r.echo())]);
    let deadline = Duration::from_millis(400);
    let client = build(builder::<G>().depth(1).connections(1).queue_limit(1).request_timeout(deadline));
    let began = std::time::Instant::now();
    let timed = |target: &str| {
        let f = start(&client, "GET", &server.url(target));
        async move {
            let got = f.await;
            (got, began.elapsed())
        }
    };
    let (a, b, c) = futures_util::join!(timed("/a"), timed("/b"), timed("/c"));
    for (target, (got, elapsed)) in [("/a", a), ("/b", b), ("/c", c)] {
        expect_err(&format!("GET {target}"), &got, ErrorKind::Timeout);
        assert!(elapsed >= deadline, "GET {target} timed out early, after {elapsed:?}");
        // Counted from its entry into the pool instead, the third would
        // take twice the deadline.
        assert!(elapsed < deadline + Duration::from_millis(300), "GET {target} timed out after {elapsed:?}");
    }
    assert_eq!(server.stats().received("GET", "/c"), 0);
}

/// A response head over 64 KiB fails its request with `limit`.
pub(crate) async fn error_oversized_head_is_limit<G: Glue>() {
    let server = RawServer::start(|r| {
        if r.target() == "/huge" {
            let value = "a".repeat(70 * 1024);
            vec![Step::Write(raw::response(200, &[("x-big", &value)], "x"))]
        } else {
            vec![Step::Write(r.echo())]
        }
    });
    let client = build(builder::<G>());
    let got = fetch(&client, "GET", server.url("/huge"), "").await;
    let e = expect_err("GET /huge", &got, ErrorKind::Limit);
    assert_eq!(e.attempts(), 1, "a limit error is not replayed");
    expect_echo("GET", "/after", &fetch(&client, "GET", server.url("/after"), "").await);
    assert_eq!(server.stats().handled("GET", "/huge"), 1);
}

/// A POST read by the server, which then closes (or resets) without an
/// answer: `may_have_been_processed`, never resent — unless it carries an
/// `Idempotency-Key`, then it is replayed and succeeds.
pub(crate) async fn error_post_lost_after_writing<G: Glue>() {
    let keyed_seen = AtomicUsize::new(0);
    let server = RawServer::start(move |r| match r.target() {
        "/close" => vec![Step::Close],
        "/reset" => vec![Step::Sleep(Duration::from_millis(10)), Step::Reset],
        "/keyed" if keyed_seen.fetch_add(1, Ordering::SeqCst) == 0 => vec![Step::Close],
        _ => vec![Step::Write(r.echo())],
    });
    let client = build(builder::<G>());
    for target in ["/close", "/reset"] {
        let got = fetch(&client, "POST", server.url(target), "data").await;
        let e = expect_err(&format!("POST {target}"), &got, ErrorKind::MayHaveBeenProcessed);
        assert_eq!(e.attempts(), 1);
        if target == "/reset" {
            // The reset in the system's words, and as the source.
            let io = e.io_error().expect("the OS error of the reset");
            assert_eq!(io.kind(), std::io::ErrorKind::ConnectionReset, "{e}");
            assert!(e.message().contains(&io.to_string()), "{e}");
        }
    }
    expect_echo("GET", "/after", &fetch(&client, "GET", server.url("/after"), "").await);
    let stats = server.stats();
    assert_eq!(stats.received("POST", "/close"), 1, "a POST that may have been processed was resent");
    assert_eq!(stats.received("POST", "/reset"), 1, "a POST that may have been processed was resent");
    // With an Idempotency-Key the same loss is replayed.
    let request = http::Request::post(server.url("/keyed"))
        .header("idempotency-key", "k-1")
        .body(http_body_util::Full::new(Bytes::from_static(b"data")))
        .expect("request");
    let got = read(client.send(request).await).await;
    expect_ok("POST /keyed", &got, 200, b"POST /keyed");
    assert_eq!(server.stats().handled("POST", "/keyed"), 2);
}

/// A GET lost on every try: `max_tries` with two tries allowed (tried
/// twice), `connection_lost` with one.
pub(crate) async fn error_gets_fail_max_tries_when_every_try_breaks<G: Glue>() {
    let server = RawServer::start(|_| vec![Step::Close]);
    let client = build(builder::<G>().max_tries(2));
    let got = fetch(&client, "GET", server.url("/lost"), "").await;
    let e = expect_err("GET /lost", &got, ErrorKind::MaxTries);
    assert_eq!(e.attempts(), 2);
    assert_eq!(server.stats().handled("GET", "/lost"), 2);
    let client = build(builder::<G>().max_tries(1));
    let got = fetch(&client, "GET", server.url("/once"), "").await;
    expect_err("GET /once", &got, ErrorKind::ConnectionLost);
    assert_eq!(server.stats().handled("GET", "/once"), 1);
}
