//! Driver scenarios, generic over the runtime glue: the suites run each on
//! `pipelining-tokio` and on `pipelining-smol` (see [`scenarios!`](crate::scenarios!)).
//!
//! Every scenario checks that each request's future resolved exactly once
//! (the runner fails a scenario that hangs) with the response the server
//! defines for that request — byte for byte — or with the error kind the
//! situation calls for, and checks the server's own counts: connections,
//! the depth it saw, and how often each request reached it.

use crate::hyper_server::{HyperOptions, HyperServer};
use crate::raw::{self, RawServer, Step};
use crate::{Stats, echo_body, pattern};
use bytes::Bytes;
use futures_util::future::{Either, join_all, select};
use pipelining_driver::{
    Attempts, Body, BoxFuture, BoxTransport, Builder, Client, Error, ErrorKind, Glue, Observation, Origin,
    WholeResponse,
};
use std::collections::HashSet;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

// ---- helpers ----

/// A builder with short connect and stall timeouts, so that nothing a test
/// does can wait long.
fn builder<G: Glue>() -> Builder<G> {
    Client::<G>::builder().connect_timeout(Duration::from_secs(2)).stall_timeout(Duration::from_secs(3))
}

fn build<G: Glue>(builder: Builder<G>) -> Client<G> {
    builder.build().expect("client")
}

async fn sleep<G: Glue>(duration: Duration) {
    G::runtime().sleep(duration).await;
}

/// Waits until `condition` holds (at most 5 s).
async fn wait_until<G: Glue>(what: &str, condition: impl Fn() -> bool) {
    for _ in 0..2500 {
        if condition() {
            return;
        }
        sleep::<G>(Duration::from_millis(2)).await;
    }
    panic!("timed out waiting until {what}");
}

/// Polls `future` while waiting until `condition` holds; the future must
/// still be pending then.
async fn drive_until<G: Glue, F: Future + Unpin>(future: &mut F, what: &str, condition: impl Fn() -> bool)
where
    F::Output: std::fmt::Debug,
{
    let wait = Box::pin(wait_until::<G>(what, condition));
    match select(future, wait).await {
        Either::Left((output, _)) => panic!("finished before {what}: {output:?}"),
        Either::Right(((), _)) => {}
    }
}

/// The client's own count of its connections, from its observer.
#[derive(Debug, Default)]
struct ConnWatch {
    open: Mutex<HashSet<u64>>,
    max_open: AtomicUsize,
    opened: AtomicUsize,
}

impl ConnWatch {
    #[track_caller]
    fn assert_at_most(&self, connections: usize) {
        let max = self.max_open.load(Ordering::SeqCst);
        assert!(max <= connections, "the client had {max} connections at once (limit {connections})");
        assert!(self.opened.load(Ordering::SeqCst) >= 1);
    }
}

/// Adds an observer counting the client's connections as it opens and
/// closes them.
fn watched<G: Glue>(builder: Builder<G>) -> (Builder<G>, Arc<ConnWatch>) {
    let watch = Arc::new(ConnWatch::default());
    let w = watch.clone();
    let builder = builder.observer(move |observation| {
        let mut open = w.open.lock().unwrap_or_else(|p| p.into_inner());
        match observation {
            Observation::Connecting { conn, .. } => {
                open.insert(conn.0);
                w.opened.fetch_add(1, Ordering::SeqCst);
                w.max_open.fetch_max(open.len(), Ordering::SeqCst);
            }
            Observation::ConnectFailed { conn, .. } | Observation::Closed { conn, .. } => {
                open.remove(&conn.0);
            }
            _ => {}
        }
    });
    (builder, watch)
}

/// What the client's transports accepted for writing, as requests.
#[derive(Debug, Default)]
struct WireLog {
    scanner: Mutex<(pipelining_peer::RequestParser, Vec<String>)>,
}

impl WireLog {
    fn wrote(&self, data: &[u8]) {
        let mut guard = self.scanner.lock().unwrap_or_else(|p| p.into_inner());
        let (scanner, written) = &mut *guard;
        for parsed in scanner.push(data) {
            written.push(format!("{} {}", parsed.method, parsed.target));
        }
    }

    /// How often `method target` was written in full.
    fn written(&self, method: &str, target: &str) -> usize {
        let wanted = format!("{method} {target}");
        self.scanner.lock().unwrap_or_else(|p| p.into_inner()).1.iter().filter(|w| **w == wanted).count()
    }
}

/// A transport that logs what the client writes.
struct Tapped {
    inner: BoxTransport,
    log: Arc<WireLog>,
}

impl futures_util::io::AsyncRead for Tapped {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl futures_util::io::AsyncWrite for Tapped {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, data: &[u8]) -> Poll<std::io::Result<usize>> {
        let result = Pin::new(&mut self.inner).poll_write(cx, data);
        if let Poll::Ready(Ok(n)) = result {
            self.log.wrote(&data[..n]);
        }
        result
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_close(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_close(cx)
    }
}

/// The runtime's own TCP connector, with every transport logging what the
/// client wrote: "written" as the pipeline means it (accepted by the
/// transport), whatever the server has read yet.
fn tapped<G: Glue>(builder: Builder<G>) -> (Builder<G>, Arc<WireLog>) {
    let log = Arc::new(WireLog::default());
    let tls = pipelining_driver::tls::client_config(&pipelining_driver::tls::TlsRoots::default()).expect("TLS config");
    let inner = G::connector(tls);
    let shared = log.clone();
    let builder = builder.connector(move |origin: &Origin| -> BoxFuture<'static, std::io::Result<BoxTransport>> {
        let connect = inner.connect(origin);
        let log = shared.clone();
        Box::pin(async move { Ok(Box::new(Tapped { inner: connect.await?, log }) as BoxTransport) })
    });
    (builder, log)
}

/// A request: `method url` with `body`.
fn request(method: &str, url: &str, body: &str) -> http::Request<Bytes> {
    http::Request::builder().method(method).uri(url).body(Bytes::from(body.to_owned())).expect("request")
}

/// What a request ended with: status, body and attempts, or the error.
#[derive(Debug)]
struct Got {
    status: u16,
    body: Bytes,
    attempts: u32,
}

async fn read(response: Result<http::Response<Body>, Error>) -> Result<Got, Error> {
    let response = response?;
    let status = response.status().as_u16();
    let attempts = response.extensions().get::<Attempts>().map_or(0, |a| a.0);
    let body = response.into_body().bytes().await?;
    Ok(Got { status, body, attempts })
}

async fn fetch<G: Glue>(client: &Client<G>, method: &str, url: String, body: &str) -> Result<Got, Error> {
    read(client.send(request(method, &url, body)).await).await
}

type Pending<'a> = Pin<Box<dyn Future<Output = Result<Got, Error>> + 'a>>;

fn start<'a, G: Glue>(client: &'a Client<G>, method: &str, url: &str) -> Pending<'a> {
    let request = request(method, url, "");
    Box::pin(async move { read(client.send(request).await).await })
}

#[track_caller]
fn expect_ok(what: &str, got: &Result<Got, Error>, status: u16, body: &[u8]) {
    match got {
        Ok(got) => {
            assert_eq!(got.status, status, "{what}: status");
            assert!(
                got.body[..] == body[..],
                "{what}: body of {} bytes, expected {} bytes: {:?} vs {:?}",
                got.body.len(),
                body.len(),
                String::from_utf8_lossy(&got.body[..got.body.len().min(80)]),
                String::from_utf8_lossy(&body[..body.len().min(80)]),
            );
            assert!(got.attempts >= 1, "{what}: attempts {}", got.attempts);
        }
        Err(e) => panic!("{what}: expected {status}, got error {e} (attempts {})", e.attempts()),
    }
}

#[track_caller]
fn expect_echo(method: &str, target: &str, got: &Result<Got, Error>) {
    expect_ok(&format!("{method} {target}"), got, 200, echo_body(method, target).as_bytes());
}

#[track_caller]
fn expect_err(what: &str, got: &Result<Got, Error>, kind: ErrorKind) -> Error {
    match got {
        Ok(got) => panic!("{what}: expected {kind}, got status {} ({} bytes)", got.status, got.body.len()),
        Err(e) => {
            assert_eq!(e.kind(), kind, "{what}: {e}");
            e.clone()
        }
    }
}

/// `count` GETs of `/{prefix}/{i}{suffix}` at once; returns targets and
/// outcomes.
async fn gets<G: Glue>(
    client: &Client<G>,
    url: impl Fn(&str) -> String,
    prefix: &str,
    suffix: &str,
    count: usize,
) -> Vec<(String, Result<Got, Error>)> {
    let targets: Vec<String> = (0..count).map(|i| format!("/{prefix}/{i}{suffix}")).collect();
    let outcomes = join_all(targets.iter().map(|t| {
        let url = url(t);
        async move { fetch(client, "GET", url, "").await }
    }))
    .await;
    targets.into_iter().zip(outcomes).collect()
}

#[track_caller]
fn assert_limits(stats: &Stats, depth: usize, connections: usize) {
    assert!(stats.max_open <= connections, "{} connections open at once (limit {connections})", stats.max_open);
    for (i, c) in stats.conns.iter().enumerate() {
        assert!(c.max_unanswered <= depth, "connection {i}: {} unanswered at once (depth {depth})", c.max_unanswered);
    }
}

#[track_caller]
fn assert_each_handled_once(stats: &Stats, method: &str, targets: impl IntoIterator<Item = impl AsRef<str>>) {
    for target in targets {
        let target = target.as_ref();
        assert_eq!(
            stats.handled(method, target),
            1,
            "{method} {target} handled {} times",
            stats.handled(method, target)
        );
    }
}

// ---- against hyper ----

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
pub async fn hyper_gets_pipelined_flush_on<G: Glue>() {
    hyper_gets_pipelined::<G>(true).await;
}

/// The same with `pipeline_flush` off (one write per response).
pub async fn hyper_gets_pipelined_flush_off<G: Glue>() {
    hyper_gets_pipelined::<G>(false).await;
}

/// GET, POST, PUT, DELETE, HEAD, OPTIONS mixed: every response its own,
/// every POST processed exactly once.
pub async fn hyper_mixed_methods_posts_once<G: Glue>() {
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
pub async fn hyper_head_204_304_and_sizes<G: Glue>() {
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
pub async fn hyper_large_bodies_byte_checked<G: Glue>() {
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
pub async fn hyper_cancel_before_written<G: Glue>() {
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
pub async fn hyper_cancel_after_written<G: Glue>() {
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
pub async fn hyper_cancel_large_response_closes_and_retries<G: Glue>() {
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
pub async fn hyper_backpressure_queue_full_waits<G: Glue>() {
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

// ---- against the scripted server ----

/// Depth 4 on 2 connections as the server counts them, with pipelining
/// really happening (a slowish server lets the client fill each pipeline).
pub async fn raw_depth_and_connection_limits<G: Glue>() {
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
pub async fn raw_small_queue_still_fills_the_pipeline<G: Glue>() {
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
pub async fn raw_server_closes_after_k_responses<G: Glue>() {
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
pub async fn raw_connection_close_on_response_k<G: Glue>() {
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
pub async fn raw_connection_close_resends_pipelined_post<G: Glue>() {
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
pub async fn raw_mid_body_drop_replays_gets<G: Glue>() {
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
pub async fn raw_reset_mid_pipeline_replays_gets<G: Glue>() {
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
pub async fn raw_http10_peer_one_at_a_time<G: Glue>() {
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
pub async fn raw_chunked_with_trailers<G: Glue>() {
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
pub async fn raw_interim_responses_before_final<G: Glue>() {
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
pub async fn raw_head_204_304_bodiless<G: Glue>() {
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
pub async fn raw_first_only_then_close<G: Glue>() {
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
pub async fn raw_first_only_then_silent<G: Glue>() {
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
pub async fn raw_cancel_before_written_never_reaches_server<G: Glue>() {
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
pub async fn raw_cancel_after_written_keeps_matching<G: Glue>() {
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
pub async fn raw_cancel_body_over_threshold_closes_and_retries<G: Glue>() {
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
pub async fn raw_keep_alive_max_is_respected<G: Glue>() {
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
pub async fn raw_idle_timeout_closes_connection<G: Glue>() {
    let server = RawServer::echo();
    let client = build(builder::<G>().idle_timeout(Duration::from_millis(100)));
    expect_echo("GET", "/one", &fetch(&client, "GET", server.url("/one"), "").await);
    wait_until::<G>("the idle connection closed", || server.stats().conns.first().is_some_and(|c| c.closed)).await;
    expect_echo("GET", "/two", &fetch(&client, "GET", server.url("/two"), "").await);
    let stats = server.stats();
    assert_eq!(stats.connections(), 2);
    assert_eq!(stats.max_open, 1);
}

// ---- errors ----

/// A refused port fails with `connect` after `max_tries` failed connects.
pub async fn error_refused_port_is_connect<G: Glue>() {
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
    }
}

/// A silent server with a short stall timeout and one try: `timeout`.
pub async fn error_stall_is_timeout<G: Glue>() {
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
pub async fn error_slow_head_request_deadline_is_timeout<G: Glue>() {
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
pub async fn error_malformed_response_is_protocol<G: Glue>() {
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
pub async fn error_request_deadline_counts_from_send<G: Glue>() {
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
pub async fn error_oversized_head_is_limit<G: Glue>() {
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
pub async fn error_post_lost_after_writing<G: Glue>() {
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
    }
    expect_echo("GET", "/after", &fetch(&client, "GET", server.url("/after"), "").await);
    let stats = server.stats();
    assert_eq!(stats.received("POST", "/close"), 1, "a POST that may have been processed was resent");
    assert_eq!(stats.received("POST", "/reset"), 1, "a POST that may have been processed was resent");
    // With an Idempotency-Key the same loss is replayed.
    let request = http::Request::post(server.url("/keyed"))
        .header("idempotency-key", "k-1")
        .body(Bytes::from_static(b"data"))
        .expect("request");
    let got = read(client.send(request).await).await;
    expect_ok("POST /keyed", &got, 200, b"POST /keyed");
    assert_eq!(server.stats().handled("POST", "/keyed"), 2);
}

/// A GET lost on every try: `max_tries` with two tries allowed (tried
/// twice), `connection_lost` with one.
pub async fn error_gets_fail_max_tries_when_every_try_breaks<G: Glue>() {
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

// ---- HTTPS ----

/// HTTPS to hyper behind rustls with a generated certificate trusted via
/// `add_root_certificate`: pipelined, limits held, bodies checked.
pub async fn https_trusted_pipelines<G: Glue>() {
    let pki = crate::tls::generate();
    let server = HyperServer::with(HyperOptions { pipeline_flush: true, tls: Some(pki.server_config.clone()) });
    let client = build(builder::<G>().depth(4).connections(2).add_root_certificate(pki.ca_der.clone()));
    let results = gets(&client, |t| server.url(t), "tls", "?delay=1", 30).await;
    for (target, got) in &results {
        expect_echo("GET", target, got);
    }
    let (post, big) = futures_util::join!(
        fetch(&client, "POST", server.url("/p"), "secret"),
        fetch(&client, "GET", server.url("/bytes/300000"), ""),
    );
    expect_ok("POST /p", &post, 200, b"POST /p secret");
    expect_ok("GET /bytes/300000", &big, 200, &pattern(300_000));
    let stats = server.stats();
    assert_limits(&stats, 4, 2);
    assert!(stats.connections() <= 2);
    assert_eq!(stats.handled("POST", "/p"), 1);
}

/// HTTPS to a server whose certificate is not trusted fails with `connect`.
pub async fn https_untrusted_is_connect<G: Glue>() {
    let pki = crate::tls::generate();
    let server = HyperServer::with(HyperOptions { pipeline_flush: true, tls: Some(pki.server_config.clone()) });
    let client = build(builder::<G>().max_tries(2));
    let got = fetch(&client, "GET", server.url("/x"), "").await;
    let e = expect_err("GET /x (untrusted)", &got, ErrorKind::Connect);
    assert_eq!(e.attempts(), 0);
    // Another CA does not help either.
    let other = crate::tls::generate();
    let client = build(builder::<G>().max_tries(1).add_root_certificate(other.ca_der));
    let got = fetch(&client, "GET", server.url("/y"), "").await;
    expect_err("GET /y (other CA)", &got, ErrorKind::Connect);
    assert_eq!(server.stats().total_received(), 0);
}

/// A TLS handshake that never completes (the peer accepts TCP and says
/// nothing) is a failed connect once the connect timeout fires.
pub async fn https_handshake_timeout_is_connect<G: Glue>() {
    let server = RawServer::start(|_| vec![Step::Silent]);
    let url = format!("https://localhost:{}/x", server.addr().port());
    let client = build(builder::<G>().connect_timeout(Duration::from_millis(200)).max_tries(2));
    let got = fetch(&client, "GET", url, "").await;
    let e = expect_err("GET /x (silent TLS peer)", &got, ErrorKind::Connect);
    assert_eq!(e.attempts(), 0);
    assert_eq!(server.stats().connections(), 2, "one connect per try");
}
