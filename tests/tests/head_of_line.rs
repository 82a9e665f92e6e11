//! Head-of-line rescue (`docs/DESIGN.md` P13) against the in-process hyper
//! server (`pipelining_tests::hyper_server`, a real HTTP/1.1 server that
//! answers a connection's requests in order, `delay=MS` holding one back):
//! requests stuck behind a slow head finish on the other connection, and
//! nothing is queued behind a 10 MiB response. Both assert the order in
//! which responses completed, never a wall time. Needs nothing external,
//! so these run in a plain `cargo test`.

use pipelining_tests::hyper_server::HyperServer;
use pipelining_tests::real::{Fetched, Watch, WireTap, expect_body, get, get_all, read, run};
use pipelining_tests::{echo_body, pattern};
use pipelining_tokio::{Client, Written};
use std::sync::Arc;
use std::time::Duration;

/// Depth 16 on two connections, with the defaults' rescue: a large
/// response is 256 KiB, a head silent for 1.5 s is slow.
fn client(tap: &Arc<WireTap>, watch: &Arc<Watch>) -> Client {
    Client::builder()
        .depth(16)
        .connections(2)
        .connect_timeout(Duration::from_secs(5))
        .stall_timeout(Duration::from_secs(10))
        .connector(tap.connector())
        .observer(watch.observer())
        .build()
        .expect("client")
}

/// Teaches the client that the server pipelines and opens both
/// connections, so that what follows is spread over two pipelining
/// connections as in steady use.
async fn warm_up(client: &Client, server: &HyperServer, watch: &Watch) {
    let targets: Vec<String> = (0..32).map(|i| format!("/warm/{i}")).collect();
    let urls: Vec<String> = targets.iter().map(|t| server.url(t)).collect();
    let results = get_all(client, &urls).await;
    for (target, got) in targets.iter().zip(&results) {
        expect_body(&format!("GET {target}"), got, 200, echo_body("GET", target).as_bytes());
    }
    assert_eq!(watch.opened(), 2, "warming up opens both connections");
}

/// A GET the server holds 3 s, then eight small GETs, all sent at once at
/// depth 16 over two warm connections: those written behind the slow head
/// are sent again on the other connection once the head has been silent
/// for the rescue delay, so all eight finish before the slow one. Each is
/// answered once to the caller (one response per request, its own body),
/// the rescued ones count the copy in their attempts, and the slow GET
/// succeeds, written once.
#[test]
fn gets_behind_a_slow_head_finish_on_the_other_connection_first() {
    let server = HyperServer::start();
    let tap = WireTap::new();
    let watch = Watch::new();
    run(async {
        let client = client(&tap, &watch);
        warm_up(&client, &server, &watch).await;

        let slow = "/slow?delay=3000".to_owned();
        let small: Vec<String> = (0..8).map(|i| format!("/small/{i}")).collect();
        let targets: Vec<String> = std::iter::once(slow.clone()).chain(small.iter().cloned()).collect();
        let urls: Vec<String> = targets.iter().map(|t| server.url(t)).collect();
        let results = get_all(&client, &urls).await;
        for (target, got) in targets.iter().zip(&results) {
            expect_body(&format!("GET {target}"), got, 200, echo_body("GET", target).as_bytes());
        }
        let fetched: Vec<&Fetched> = results.iter().map(|r| r.as_ref().expect("checked")).collect();
        let (slow_got, small_got) = (fetched[0], &fetched[1..]);
        assert_eq!(slow_got.attempts, 1, "the slow GET");

        // Some of the eight were written behind the slow head: the case
        // the rescue is for.
        let slow_request = format!("GET {slow}");
        let conns = tap.conns();
        let slow_conn = conns.iter().find(|c| c.written.contains(&slow_request)).expect("the slow GET was written");
        let position = slow_conn.written.iter().position(|w| *w == slow_request).expect("found");
        let behind: Vec<&String> = slow_conn.written[position + 1..].iter().collect();
        assert!(!behind.is_empty(), "nothing was written behind the slow head: {conns:?}");

        let slow_done = slow_got.finished_at.expect("the slow response's end");
        let slow_on = slow_got.written.map(|w| w.connection);
        for (target, got) in small.iter().zip(small_got) {
            let done = got.finished_at.expect("a small response's end");
            assert!(done < slow_done, "GET {target} finished after the slow head");
            assert!(got.attempts >= 1, "GET {target}");
            let request = format!("GET {target}");
            if behind.contains(&&request) {
                // Its copy, on the other connection, answered it.
                assert!(got.attempts >= 2, "GET {target}: the rescue copy counts as an attempt");
                assert_ne!(got.written.map(|w| w.connection), slow_on, "GET {target} answered on the slow connection");
            }
            let received = server.stats().received("GET", target);
            assert!(
                (1..=got.attempts as usize).contains(&received),
                "GET {target}: received {received} times, attempts {}",
                got.attempts
            );
        }
        eprintln!(
            "slow head: {} of the eight written behind it; attempts {:?}",
            behind.len(),
            small_got.iter().map(|f| f.attempts).collect::<Vec<_>>()
        );
    });
}

/// A 10 MiB response's head announces it (Content-Length): nothing more is
/// written behind it. Eight small GETs sent once that head has arrived go
/// to the other connection and complete while the big body is not read at
/// all (a GET queued behind it would wait for ever: the client reads no
/// further than its body buffer while the body's reader is away); then the
/// big body is read whole and is right.
#[test]
fn small_gets_after_a_10_mib_response_are_not_queued_behind_it() {
    const BIG: usize = 10 << 20;
    let server = HyperServer::start();
    let tap = WireTap::new();
    let watch = Watch::new();
    run(async {
        let client = client(&tap, &watch);
        warm_up(&client, &server, &watch).await;

        let big_target = format!("/bytes/{BIG}");
        let big = client.send(get(&server.url(&big_target))).await.expect("the 10 MiB response's head");
        assert_eq!(big.headers().get("content-length").and_then(|v| v.to_str().ok()), Some(BIG.to_string().as_str()));
        let big_on = big.extensions().get::<Written>().map(|w| w.connection).expect("where it was written");

        let small: Vec<String> = (0..8).map(|i| format!("/after-big/{i}")).collect();
        let urls: Vec<String> = small.iter().map(|t| server.url(t)).collect();
        let results = tokio::time::timeout(Duration::from_secs(10), get_all(&client, &urls))
            .await
            .expect("small GETs waited behind the unread 10 MiB body");
        for (target, got) in small.iter().zip(&results) {
            expect_body(&format!("GET {target}"), got, 200, echo_body("GET", target).as_bytes());
            let got = got.as_ref().expect("checked");
            assert_eq!(got.attempts, 1, "GET {target}");
            assert_ne!(got.written.map(|w| w.connection), Some(big_on), "GET {target} written behind the big one");
        }
        // Nothing was written behind it on its connection.
        let big_request = format!("GET {big_target}");
        let conns = tap.conns();
        let big_conn = conns.iter().find(|c| c.written.contains(&big_request)).expect("written");
        assert_eq!(big_conn.written.last(), Some(&big_request), "written behind the big GET: {:?}", big_conn.written);

        let big = read(Ok(big)).await;
        expect_body("the 10 MiB GET", &big, 200, &pattern(BIG));
        let big_done = big.as_ref().ok().and_then(|f| f.finished_at).expect("its end");
        for (target, got) in small.iter().zip(&results) {
            let done = got.as_ref().ok().and_then(|f| f.finished_at).expect("an end");
            assert!(done < big_done, "GET {target} finished after the 10 MiB body");
        }
    });
}
