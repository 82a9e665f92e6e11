//! Scenarios against the scripted peer over TCP ([`RawServer`]): depth and
//! connection limits, server closes, cut and reset pipelines, HTTP/1.0,
//! chunked, interim and bodiless responses, cancellation, `Keep-Alive: max`
//! and the idle timeout.

use super::support::*;
use crate::raw::{self, RawServer, Step};
use crate::{echo_body, pattern};
use futures_util::future::{Either, join_all, select};
use pipelining_driver::{Error, ErrorKind, Glue, Informational, WholeResponse};
use std::time::Duration;

/// Depth 4 on 2 connections as the server counts them, with pipelining
/// really happening (a slowish server lets the client fill each pipeline).
pub(crate) async fn raw_depth_and_connection_limits<G: Glue>() {
    let server = RawServer::start(|r| vec![Step::Sleep(Duration::from_millis(5)), Step::Write(r.echo())]);
    let (builder, watch) = watched(builder::<G>().depth(4).connections(2));
    let client = build(builder);
    let results = gets(&client, |t| server.url(t), "d", "", 40).await;
    for (target, got) in &results {
        expect_echo("GET", target, got);
    }
    let stats = server.stats();
    assert!(stats.connections() <= 2, "{} connections", stats.connections());
    assert_limits(&stats, 4, 2);
    assert_eq!(stats.max_unanswered(), 4, "the client should fill its pipelines: {stats:?}");
    assert_each_handled_once(&stats, "GET", results.iter().map(|(t, _)| t));
    watch.assert_at_most(2);
}

/// A submit queue shorter than the depth still fills the pipeline: waiting
/// requests go in as soon as the queue has room (when requests are written,
/// not only when responses end).
pub(crate) async fn raw_small_queue_still_fills_the_pipeline<G: Glue>() {
    let server = RawServer::start(|r| vec![Step::Sleep(Duration::from_millis(5)), Step::Write(r.echo())]);
    let client = build(builder::<G>().depth(4).connections(1).queue_limit(1));
    let results = gets(&client, |t| server.url(t), "sq", "", 24).await;
    for (target, got) in &results {
        expect_echo("GET", target, got);
    }
    let stats = server.stats();
    assert_limits(&stats, 4, 1);
    assert_eq!(stats.max_unanswered(), 4, "the pipeline should fill to depth 4: {:?}", stats.conns);
    assert_each_handled_once(&stats, "GET", results.iter().map(|(t, _)| t));
}

/// The server closes (at a response boundary) after 3 responses on every
/// connection: requests written behind are resent, nothing is processed
/// twice.
pub(crate) async fn raw_server_closes_after_k_responses<G: Glue>() {
    let server = RawServer::start(|r| {
        if r.index == 2 { vec![Step::Write(r.echo()), Step::Close] } else { vec![Step::Write(r.echo())] }
    });
    let (builder, watch) = watched(builder::<G>().depth(4).connections(2));
    let client = build(builder);
    let results = gets(&client, |t| server.url(t), "k", "", 30).await;
    for (target, got) in &results {
        expect_echo("GET", target, got);
    }
    let stats = server.stats();
    assert_limits(&stats, 4, 2);
    assert_each_handled_once(&stats, "GET", results.iter().map(|(t, _)| t));
    watch.assert_at_most(2);
}

/// `Connection: close` on the second response of each connection.
pub(crate) async fn raw_connection_close_on_response_k<G: Glue>() {
    let server = RawServer::start(|r| {
        if r.index == 1 {
            let body = echo_body(r.method(), r.target());
            vec![Step::Write(raw::response(200, &[("connection", "close")], body)), Step::Close]
        } else {
            vec![Step::Write(r.echo())]
        }
    });
    let (builder, watch) = watched(builder::<G>().depth(4).connections(2));
    let client = build(builder);
    let results = gets(&client, |t| server.url(t), "c", "", 20).await;
    for (target, got) in &results {
        expect_echo("GET", target, got);
    }
    let stats = server.stats();
    assert_limits(&stats, 4, 2);
    assert_each_handled_once(&stats, "GET", results.iter().map(|(t, _)| t));
    watch.assert_at_most(2);
}

/// A POST pipelined (by request) behind a `Connection: close` response was
/// not processed, so it is resent — and processed exactly once.
pub(crate) async fn raw_connection_close_resends_pipelined_post<G: Glue>() {
    let server = RawServer::start(|r| {
        if r.conn == 0 && r.index == 1 {
            let body = echo_body(r.method(), r.target());
            vec![
                Step::Sleep(Duration::from_millis(30)),
                Step::Write(raw::response(200, &[("connection", "close")], body)),
                Step::Close,
            ]
        } else {
            vec![Step::Write(r.echo())]
        }
    });
    let client = build(builder::<G>().depth(4).connections(1).pipeline_non_idempotent(true));
    expect_echo("GET", "/warm", &fetch(&client, "GET", server.url("/warm"), "").await);
    let (a, p, b) = futures_util::join!(
        fetch(&client, "GET", server.url("/a"), ""),
        fetch(&client, "POST", server.url("/p"), ""),
        fetch(&client, "GET", server.url("/b"), ""),
    );
    expect_echo("GET", "/a", &a);
    expect_echo("POST", "/p", &p);
    expect_echo("GET", "/b", &b);
    let stats = server.stats();
    assert_eq!(stats.handled("POST", "/p"), 1, "the POST was processed {} times", stats.handled("POST", "/p"));
    assert!(stats.conns[0].received >= 3, "the POST should have been pipelined on the first connection: {stats:?}");
    assert_limits(&stats, 4, 1);
}

/// The first connection cuts its third response short and closes. Cut
/// inside the head, every GET on it is replayed and succeeds; cut inside
/// the body, the head was already streamed to its caller, so that one
/// fails `connection_lost` (never merged, never resent) and every other GET
/// is replayed and succeeds — unless the requests asked for
/// [`WholeResponse`], then the cut one is replayed too.
pub(crate) async fn raw_mid_body_drop_replays_gets<G: Glue>() {
    for (cut_body, whole) in [(false, false), (true, false), (true, true)] {
        let server = RawServer::start(move |r| {
            if r.conn == 0 && r.index == 2 {
                let partial = if cut_body {
                    let mut partial = raw::head(200, &[("content-length", "100")]);
                    partial.extend_from_slice(b"only ten b");
                    partial
                } else {
                    b"HTTP/1.1 200 OK\r\ncontent-len".to_vec()
                };
                vec![Step::Write(partial), Step::Close]
            } else {
                vec![Step::Sleep(Duration::from_millis(2)), Step::Write(r.echo())]
            }
        });
        let client = build(builder::<G>().depth(4).connections(1));
        let results = if whole {
            let targets: Vec<String> = (0..12).map(|i| format!("/mid/{i}")).collect();
            let outcomes = join_all(targets.iter().map(|t| {
                let mut request = request("GET", &server.url(t), "");
                request.extensions_mut().insert(WholeResponse);
                let client = &client;
                async move { read(client.send(request).await).await }
            }))
            .await;
            targets.into_iter().zip(outcomes).collect()
        } else {
            gets(&client, |t| server.url(t), "mid", "", 12).await
        };
        for (target, got) in &results {
            if cut_body && !whole && target == "/mid/2" {
                let e = expect_err("GET /mid/2 (body cut)", got, ErrorKind::ConnectionLost);
                assert_eq!(e.attempts(), 1, "a streamed response is never resent");
            } else {
                expect_echo("GET", target, got);
            }
        }
        let stats = server.stats();
        assert!(stats.connections() >= 2);
        assert_limits(&stats, 4, 1);
        assert_eq!(stats.handled("GET", "/mid/2"), if cut_body && !whole { 1 } else { 2 });
    }
}

/// The first connection resets with requests outstanding: the GETs on it
/// are replayed and succeed.
pub(crate) async fn raw_reset_mid_pipeline_replays_gets<G: Glue>() {
    let server = RawServer::start(|r| {
        if r.conn == 0 && r.index == 2 {
            vec![Step::Sleep(Duration::from_millis(20)), Step::Reset]
        } else {
            vec![Step::Sleep(Duration::from_millis(2)), Step::Write(r.echo())]
        }
    });
    let client = build(builder::<G>().depth(4).connections(1));
    let results = gets(&client, |t| server.url(t), "rst", "", 12).await;
    for (target, got) in &results {
        expect_echo("GET", target, got);
    }
    let stats = server.stats();
    assert!(stats.connections() >= 2);
    assert_limits(&stats, 4, 1);
}

/// An HTTP/1.0 peer closing after each response: never pipelined to, every
/// request answered once.
pub(crate) async fn raw_http10_peer_one_at_a_time<G: Glue>() {
    let server = RawServer::start(|r| vec![Step::Write(raw::http10(echo_body(r.method(), r.target()))), Step::Close]);
    let (builder, watch) = watched(builder::<G>().depth(4).connections(2));
    let client = build(builder);
    let results = gets(&client, |t| server.url(t), "old", "", 8).await;
    for (target, got) in &results {
        expect_echo("GET", target, got);
    }
    let stats = server.stats();
    assert_limits(&stats, 1, 2);
    assert_each_handled_once(&stats, "GET", results.iter().map(|(t, _)| t));
    watch.assert_at_most(2);
}

/// A chunked response with trailers between ordinary ones.
pub(crate) async fn raw_chunked_with_trailers<G: Glue>() {
    let big = pattern(70_000);
    let expected: Vec<u8> = [&b"hello "[..], b"world", &big].concat();
    let server = RawServer::start(move |r| {
        if r.target() == "/chunked" {
            vec![Step::Write(raw::chunked(&[b"hello ", b"world", &big], &[("x-checksum", "abc"), ("x-more", "1")]))]
        } else {
            vec![Step::Write(r.echo())]
        }
    });
    let client = build(builder::<G>().depth(4).connections(1));
    expect_echo("GET", "/warm", &fetch(&client, "GET", server.url("/warm"), "").await);
    let chunked = async {
        let response = client.get(&server.url("/chunked")).await?;
        assert_eq!(response.status(), 200);
        let mut body = response.into_body();
        let mut all = Vec::new();
        while let Some(chunk) = body.chunk().await {
            all.extend_from_slice(&chunk?);
        }
        let trailers = body.trailers().cloned().expect("trailers");
        Ok::<_, Error>((all, trailers))
    };
    let (a, chunked, b) = futures_util::join!(
        fetch(&client, "GET", server.url("/a"), ""),
        chunked,
        fetch(&client, "GET", server.url("/b"), ""),
    );
    expect_echo("GET", "/a", &a);
    expect_echo("GET", "/b", &b);
    let (all, trailers) = chunked.expect("chunked response");
    assert!(all == expected, "chunked body differs ({} bytes)", all.len());
    assert_eq!(trailers.get("x-checksum").map(|v| v.as_bytes()), Some(&b"abc"[..]));
    assert_eq!(trailers.get("x-more").map(|v| v.as_bytes()), Some(&b"1"[..]));
    assert_eq!(server.stats().connections(), 1);
}

/// `100 Continue` and `103 Early Hints` before every final response: they
/// answer nothing, and matching stays right.
pub(crate) async fn raw_interim_responses_before_final<G: Glue>() {
    let server = RawServer::start(|r| {
        vec![
            Step::Write(raw::head(100, &[])),
            Step::Write(raw::head(103, &[("link", "</style.css>; rel=preload")])),
            Step::Write(r.echo()),
        ]
    });
    let client = build(builder::<G>().depth(4).connections(1));
    let results = gets(&client, |t| server.url(t), "i", "", 10).await;
    for (target, got) in &results {
        expect_echo("GET", target, got);
    }
    assert_eq!(server.stats().connections(), 1);
}

/// HEAD with a `Content-Length`, 204, and 304 with a `Content-Length` have
/// no body: the responses behind them stay matched.
pub(crate) async fn raw_head_204_304_bodiless<G: Glue>() {
    let server = RawServer::start(|r| {
        let bytes = match (r.method(), r.target()) {
            ("HEAD", _) => raw::head(200, &[("content-length", "100")]),
            (_, "/204") => raw::head(204, &[]),
            (_, "/304") => raw::head(304, &[("content-length", "50"), ("etag", "\"x\"")]),
            _ => r.echo(),
        };
        vec![Step::Write(bytes)]
    });
    let client = build(builder::<G>().depth(8).connections(1));
    expect_echo("GET", "/warm", &fetch(&client, "GET", server.url("/warm"), "").await);
    let jobs = [("HEAD", "/h"), ("GET", "/204"), ("GET", "/304"), ("GET", "/x"), ("HEAD", "/h2"), ("GET", "/y")];
    let results = join_all(jobs.iter().map(|(m, t)| fetch(&client, m, server.url(t), ""))).await;
    let expected: [(u16, &str); 6] = [(200, ""), (204, ""), (304, ""), (200, "GET /x"), (200, ""), (200, "GET /y")];
    for (((method, target), got), (status, body)) in jobs.iter().zip(&results).zip(&expected) {
        expect_ok(&format!("{method} {target}"), got, *status, body.as_bytes());
    }
    let stats = server.stats();
    assert_eq!(stats.connections(), 1);
    assert!(stats.max_unanswered() >= 2, "the bodiless responses should have been pipelined: {stats:?}");
}

/// Answers only the first request on each connection, then closes: the
/// client learns a budget of one and every request succeeds once.
pub(crate) async fn raw_first_only_then_close<G: Glue>() {
    let server =
        RawServer::start(|r| if r.index == 0 { vec![Step::Write(r.echo()), Step::Close] } else { vec![Step::Close] });
    let (builder, watch) = watched(builder::<G>().depth(4).connections(2));
    let client = build(builder);
    let results = gets(&client, |t| server.url(t), "f", "", 10).await;
    for (target, got) in &results {
        expect_echo("GET", target, got);
    }
    let stats = server.stats();
    assert_limits(&stats, 4, 2);
    assert_each_handled_once(&stats, "GET", results.iter().map(|(t, _)| t));
    watch.assert_at_most(2);
}

/// Answers only the first request on each connection, then falls silent:
/// the stall timeout ends each silent connection; every request ends once,
/// with its own response or with a timeout-class error.
pub(crate) async fn raw_first_only_then_silent<G: Glue>() {
    let server = RawServer::start(|r| if r.index == 0 { vec![Step::Write(r.echo())] } else { vec![Step::Silent] });
    let (builder, watch) =
        watched(builder::<G>().depth(4).connections(2).stall_timeout(Duration::from_millis(150)).max_tries(2));
    let client = build(builder);
    let results = gets(&client, |t| server.url(t), "s", "", 6).await;
    let mut ok = 0;
    for (target, got) in &results {
        match got {
            Ok(_) => {
                expect_echo("GET", target, got);
                ok += 1;
            }
            Err(e) => {
                // Two tries allowed, each lost to the stall timeout.
                assert_eq!(e.kind(), ErrorKind::MaxTries, "GET {target}: {e}");
                assert_eq!(e.attempts(), 2, "GET {target}: {e}");
            }
        }
    }
    assert!(ok >= 1, "at least the first request on a connection is answered");
    let stats = server.stats();
    assert_limits(&stats, 4, 2);
    for (target, _) in &results {
        assert!(stats.handled("GET", target) <= 2, "GET {target} handled more than max_tries times");
    }
    watch.assert_at_most(2);
}

/// Cancelled before it was written (depth 1, the connection busy): the
/// request never reaches the wire.
pub(crate) async fn raw_cancel_before_written_never_reaches_server<G: Glue>() {
    let server = RawServer::start(|r| {
        if r.target() == "/slow" {
            vec![Step::Sleep(Duration::from_millis(200)), Step::Write(r.echo())]
        } else {
            vec![Step::Write(r.echo())]
        }
    });
    let client = build(builder::<G>().depth(1).connections(1));
    expect_echo("GET", "/warm", &fetch(&client, "GET", server.url("/warm"), "").await);
    let mut slow = start(&client, "GET", &server.url("/slow"));
    drive_until::<G, _>(&mut slow, "/slow reached the server", || server.stats().received("GET", "/slow") == 1).await;
    let mut cancelled = start(&client, "GET", &server.url("/cancelled"));
    assert!(futures_util::poll!(cancelled.as_mut()).is_pending());
    drop(cancelled);
    let (slow, after) = futures_util::join!(slow, fetch(&client, "GET", server.url("/after"), ""));
    expect_echo("GET", "/slow", &slow);
    expect_echo("GET", "/after", &after);
    let stats = server.stats();
    assert_eq!(stats.received("GET", "/cancelled"), 0, "a request cancelled before it was written reached the server");
    assert_eq!(stats.connections(), 1);
    assert_limits(&stats, 1, 1);
}

/// Cancelled after it was written: the requests before and after it get
/// their own responses, and the connection stays.
pub(crate) async fn raw_cancel_after_written_keeps_matching<G: Glue>() {
    let server = RawServer::start(|r| {
        if r.target() == "/a" {
            vec![Step::Sleep(Duration::from_millis(150)), Step::Write(r.echo())]
        } else {
            vec![Step::Write(r.echo())]
        }
    });
    let client = build(builder::<G>().depth(4).connections(1));
    expect_echo("GET", "/warm", &fetch(&client, "GET", server.url("/warm"), "").await);
    let mut a = start(&client, "GET", &server.url("/a"));
    let mut b = start(&client, "GET", &server.url("/b"));
    let mut c = start(&client, "GET", &server.url("/c"));
    for f in [&mut a, &mut b, &mut c] {
        assert!(futures_util::poll!(f.as_mut()).is_pending());
    }
    drive_until::<G, _>(&mut a, "/b and /c reached the server", || {
        let s = server.stats();
        s.received("GET", "/b") == 1 && s.received("GET", "/c") == 1
    })
    .await;
    drop(b);
    let (a, c) = futures_util::join!(a, c);
    expect_echo("GET", "/a", &a);
    expect_echo("GET", "/c", &c);
    expect_echo("GET", "/d", &fetch(&client, "GET", server.url("/d"), "").await);
    let stats = server.stats();
    assert_eq!(stats.connections(), 1, "a small cancelled response must not close the connection");
    assert_each_handled_once(&stats, "GET", ["/a", "/b", "/c", "/d"]);
}

/// A body dropped with more than the cancel threshold still to come: the
/// connection closes, the request pipelined behind it is resent and
/// succeeds.
pub(crate) async fn raw_cancel_body_over_threshold_closes_and_retries<G: Glue>() {
    const SIZE: usize = 1_000_000;
    let server = RawServer::start(|r| {
        if r.target() == "/big" {
            let body = pattern(SIZE);
            let mut first = raw::head(200, &[("content-length", &SIZE.to_string())]);
            first.extend_from_slice(&body[..1000]);
            // The rest never comes: only closing the connection lets the
            // request behind it complete.
            vec![Step::Write(first), Step::Silent]
        } else {
            vec![Step::Write(r.echo())]
        }
    });
    let client = build(builder::<G>().depth(4).connections(1).cancel_threshold(16 * 1024));
    expect_echo("GET", "/warm", &fetch(&client, "GET", server.url("/warm"), "").await);
    let big_url = server.url("/big");
    let mut big = Box::pin(client.get(&big_url));
    let mut c = start(&client, "GET", &server.url("/c"));
    assert!(futures_util::poll!(c.as_mut()).is_pending());
    let response = match select(big.as_mut(), c.as_mut()).await {
        Either::Left((response, _)) => response.expect("head of /big"),
        Either::Right((c, _)) => panic!("/c finished before /big's head: {c:?}"),
    };
    let mut body = response.into_body();
    let first = body.chunk().await.expect("a first chunk").expect("chunk");
    assert!(first[..] == pattern(SIZE)[..first.len()]);
    drop(body);
    // Under the stall timeout (3 s), which would close it too.
    let limit = Box::pin(sleep::<G>(Duration::from_secs(2)));
    match select(c, limit).await {
        Either::Left((c, _)) => expect_echo("GET", "/c", &c),
        Either::Right(_) => panic!("dropping the body did not close its connection"),
    }
    let stats = server.stats();
    assert_eq!(stats.connections(), 2, "dropping a large body should close its connection: {stats:?}");
    assert_eq!(stats.handled("GET", "/c"), 1);
}

/// `Keep-Alive: max=N` counting down, then `Connection: close` on the third
/// response: the client never writes more than the server allows on a
/// connection (the first connection from the header, the later ones from
/// the learnt budget), and nothing is processed twice.
pub(crate) async fn raw_keep_alive_max_is_respected<G: Glue>() {
    let server = RawServer::start(|r| {
        let body = echo_body(r.method(), r.target());
        if r.index >= 2 {
            // Like Apache at MaxKeepAliveRequests: the last one says close.
            vec![Step::Write(raw::response(200, &[("connection", "close")], body)), Step::Close]
        } else {
            let max = format!("timeout=5, max={}", 2 - r.index);
            vec![Step::Write(raw::response(200, &[("keep-alive", &max)], body))]
        }
    });
    let client = build(builder::<G>().depth(4).connections(1));
    let results = gets(&client, |t| server.url(t), "ka", "", 15).await;
    for (target, got) in &results {
        expect_echo("GET", target, got);
    }
    let stats = server.stats();
    for (i, c) in stats.conns.iter().enumerate() {
        assert!(
            c.received <= 3,
            "connection {i}: {} requests written where the server allowed 3: {stats:?}",
            c.received
        );
    }
    assert_each_handled_once(&stats, "GET", results.iter().map(|(t, _)| t));
}

/// A connection idle past the idle timeout is closed by the client and the
/// next request opens a new one.
pub(crate) async fn raw_idle_timeout_closes_connection<G: Glue>() {
    let server = RawServer::echo();
    let client = build(builder::<G>().idle_timeout(Duration::from_millis(100)));
    expect_echo("GET", "/one", &fetch(&client, "GET", server.url("/one"), "").await);
    wait_until::<G>("the idle connection closed", || server.stats().conns.first().is_some_and(|c| c.closed)).await;
    expect_echo("GET", "/two", &fetch(&client, "GET", server.url("/two"), "").await);
    let stats = server.stats();
    assert_eq!(stats.connections(), 2);
    assert_eq!(stats.max_open, 1);
}

/// Interim responses reach the caller with the final one: in the
/// `Informational` extension (`send`) and from `RawResponse::interim`
/// (`send_raw`), in order.
pub(crate) async fn raw_interim_responses_reach_the_caller<G: Glue>() {
    let server = RawServer::start(|r| {
        vec![
            Step::Write(raw::head(103, &[("link", "</style.css>; rel=preload")])),
            Step::Write(raw::head(102, &[])),
            Step::Write(r.echo()),
        ]
    });
    let client = build(builder::<G>().depth(4).connections(1));
    let response = client.get(&server.url("/hints")).await.expect("response");
    let informational = response.extensions().get::<Informational>().expect("interim responses kept");
    let statuses: Vec<u16> = informational.0.iter().map(|r| r.status().as_u16()).collect();
    assert_eq!(statuses, [103, 102]);
    assert_eq!(informational.0[0].headers().get("link").map(|v| v.as_bytes()), Some(&b"</style.css>; rel=preload"[..]));
    assert_eq!(response.into_body().bytes().await.expect("body"), echo_body("GET", "/hints"));
    let raw = client.send_raw(request("GET", &server.url("/raw"), "")).await.expect("response");
    let statuses: Vec<u16> = raw.interim().iter().map(|h| h.status).collect();
    assert_eq!(statuses, [103, 102]);
    // A response with no interim ones carries no extension.
    let plain = RawServer::echo();
    let response = client.get(&plain.url("/plain")).await.expect("response");
    assert!(response.extensions().get::<Informational>().is_none());
}

/// `101 Switching Protocols`: the upgrade request goes alone, the caller
/// takes the connection over with the bytes that came with the 101, and a
/// request sent behind it goes to another connection.
pub(crate) async fn raw_upgrade_hands_the_connection_over<G: Glue>() {
    let server = RawServer::start(|r| {
        if r.target() == "/upgrade" {
            let mut switch = raw::head(101, &[("upgrade", "echo"), ("connection", "upgrade")]);
            switch.extend_from_slice(b"hello ");
            vec![
                Step::Write(switch),
                Step::Sleep(Duration::from_millis(50)),
                Step::Write(b"world".to_vec()),
                Step::Silent,
            ]
        } else {
            vec![Step::Write(r.echo())]
        }
    });
    let client = build(builder::<G>().depth(8).connections(2));
    let mut upgrade = request("GET", &server.url("/upgrade"), "");
    upgrade.headers_mut().insert("upgrade", http::HeaderValue::from_static("echo"));
    upgrade.headers_mut().insert("connection", http::HeaderValue::from_static("upgrade"));
    let switching = client.send(upgrade);
    let behind = client.get(&server.url("/behind"));
    let (switching, behind) = futures_util::future::join(switching, behind).await;
    let mut switching = switching.expect("the 101");
    assert_eq!(switching.status().as_u16(), 101);
    expect_echo("GET", "/behind", &read(behind).await);
    let mut upgraded = pipelining_driver::upgrade::on(&mut switching).await.expect("the connection");
    let mut got = Vec::new();
    while got.len() < b"hello world".len() {
        let mut buf = [0u8; 64];
        let n = futures_util::AsyncReadExt::read(&mut upgraded, &mut buf).await.expect("read");
        assert!(n > 0, "the stream ended after {:?}", String::from_utf8_lossy(&got));
        got.extend_from_slice(&buf[..n]);
    }
    assert_eq!(got, b"hello world");
    futures_util::AsyncWriteExt::write_all(&mut upgraded, b"ping").await.expect("writes go to the server");
    // Nothing was written behind the upgrade on its connection.
    let stats = server.stats();
    assert_eq!(stats.received("GET", "/upgrade"), 1);
    assert_eq!(stats.received("GET", "/behind"), 1);
    // A response that upgraded nothing has nothing to take.
    let mut plain = client.get(&server.url("/plain")).await.expect("response");
    assert!(pipelining_driver::upgrade::on(&mut plain).await.is_err());
}

/// A request marked `Blocking`: nothing is written behind it until its
/// response head arrived, so the server never holds it and another request
/// at once; the others then pipeline.
pub(crate) async fn raw_blocking_request_holds_the_pipeline<G: Glue>() {
    let server = RawServer::start(|r| {
        if r.target() == "/slow" {
            vec![Step::Sleep(Duration::from_millis(200)), Step::Write(r.echo())]
        } else {
            vec![Step::Sleep(Duration::from_millis(20)), Step::Write(r.echo())]
        }
    });
    let client = build(builder::<G>().depth(8).connections(1).assume_pipelining(true));
    let mut slow = request("GET", &server.url("/slow"), "");
    slow.extensions_mut().insert(pipelining_driver::Blocking);
    let slow = client.send(slow);
    let rest: Vec<_> = (0..7).map(|i| client.get(&server.url(&format!("/b/{i}")))).collect();
    let (slow, rest) = futures_util::future::join(slow, join_all(rest)).await;
    expect_echo("GET", "/slow", &read(slow).await);
    for (i, got) in rest.into_iter().enumerate() {
        expect_echo("GET", &format!("/b/{i}"), &read(got).await);
    }
    let stats = server.stats();
    assert_eq!(stats.connections(), 1);
    // Never the blocking request and another one outstanding together; the
    // seven behind it pipelined once its head came.
    assert_eq!(stats.max_unanswered(), 7, "{stats:?}");
}
