//! What the scenarios share: client builders with short timeouts, the
//! client's own count of its connections, a log of what its transports
//! accepted, and checks of outcomes and of the server's counts.

use crate::{Stats, echo_body};
use bytes::Bytes;
use futures_util::future::{Either, join_all, select};
use http_body_util::Full;
use pipelining_driver::{
    Attempts, Body, BoxFuture, BoxTransport, Builder, Client, Error, ErrorKind, Glue, Observation, Origin,
};
use std::collections::HashSet;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

/// A builder with short connect and stall timeouts, so that nothing a test
/// does can wait long.
pub(super) fn builder<G: Glue>() -> Builder<G> {
    Client::<G>::builder().connect_timeout(Duration::from_secs(2)).stall_timeout(Duration::from_secs(3))
}

pub(super) fn build<G: Glue>(builder: Builder<G>) -> Client<G> {
    builder.build().expect("client")
}

pub(super) async fn sleep<G: Glue>(duration: Duration) {
    G::runtime().sleep(duration).await;
}

/// Waits until `condition` holds (at most 5 s).
pub(super) async fn wait_until<G: Glue>(what: &str, condition: impl Fn() -> bool) {
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
pub(super) async fn drive_until<G: Glue, F: Future + Unpin>(future: &mut F, what: &str, condition: impl Fn() -> bool)
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
pub(super) struct ConnWatch {
    open: Mutex<HashSet<u64>>,
    max_open: AtomicUsize,
    opened: AtomicUsize,
}

impl ConnWatch {
    #[track_caller]
    pub(super) fn assert_at_most(&self, connections: usize) {
        let max = self.max_open.load(Ordering::SeqCst);
        assert!(max <= connections, "the client had {max} connections at once (limit {connections})");
        assert!(self.opened.load(Ordering::SeqCst) >= 1);
    }
}

/// Adds an observer counting the client's connections as it opens and
/// closes them.
pub(super) fn watched<G: Glue>(builder: Builder<G>) -> (Builder<G>, Arc<ConnWatch>) {
    let watch = Arc::new(ConnWatch::default());
    let w = watch.clone();
    let builder = builder.observer(move |observation| {
        let mut open = w.open.lock().unwrap_or_else(|p| p.into_inner());
        match observation {
            Observation::Connecting { conn, .. } => {
                open.insert(conn.get());
                w.opened.fetch_add(1, Ordering::SeqCst);
                w.max_open.fetch_max(open.len(), Ordering::SeqCst);
            }
            Observation::ConnectFailed { conn, .. } | Observation::Closed { conn, .. } => {
                open.remove(&conn.get());
            }
            _ => {}
        }
    });
    (builder, watch)
}

/// What the client's transports accepted for writing, as requests.
#[derive(Debug, Default)]
pub(super) struct WireLog {
    scanner: Mutex<(pipelining_peer::RequestParser, Vec<pipelining_peer::Request>)>,
}

impl WireLog {
    pub(super) fn wrote(&self, data: &[u8]) {
        let mut guard = self.scanner.lock().unwrap_or_else(|p| p.into_inner());
        let (scanner, written) = &mut *guard;
        written.extend(scanner.push(data));
    }

    /// How often `method target` was written in full.
    pub(super) fn written(&self, method: &str, target: &str) -> usize {
        let guard = self.scanner.lock().unwrap_or_else(|p| p.into_inner());
        guard.1.iter().filter(|r| r.method == method && r.target == target).count()
    }

    /// Every request written in full, as parsed: head fields and content.
    pub(super) fn requests(&self) -> Vec<pipelining_peer::Request> {
        self.scanner.lock().unwrap_or_else(|p| p.into_inner()).1.clone()
    }
}

/// A transport that logs what the client writes.
pub(super) struct Tapped {
    inner: BoxTransport,
    log: Arc<WireLog>,
}

impl pipelining_driver::Transport for Tapped {
    fn poll_read_buf(&mut self, cx: &mut Context<'_>, buf: &mut bytes::BytesMut) -> Poll<std::io::Result<usize>> {
        self.inner.poll_read_buf(cx, buf)
    }

    fn poll_write(&mut self, cx: &mut Context<'_>, data: &[u8]) -> Poll<std::io::Result<usize>> {
        let result = self.inner.poll_write(cx, data);
        if let Poll::Ready(Ok(n)) = result {
            self.log.wrote(&data[..n]);
        }
        result
    }

    fn poll_flush(&mut self, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        self.inner.poll_flush(cx)
    }
}

/// The runtime's own TCP connector, with every transport logging what the
/// client wrote: "written" as the pipeline means it (accepted by the
/// transport), whatever the server has read yet.
pub(super) fn tapped<G: Glue>(builder: Builder<G>) -> (Builder<G>, Arc<WireLog>) {
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
pub(super) fn request(method: &str, url: &str, body: &str) -> http::Request<Full<Bytes>> {
    http::Request::builder().method(method).uri(url).body(Full::new(Bytes::from(body.to_owned()))).expect("request")
}

/// What a request ended with: status, body and attempts, or the error.
#[derive(Debug)]
pub(super) struct Got {
    pub(super) status: u16,
    pub(super) body: Bytes,
    pub(super) attempts: u32,
}

pub(super) async fn read(response: Result<http::Response<Body>, Error>) -> Result<Got, Error> {
    let response = response?;
    let status = response.status().as_u16();
    let attempts = response.extensions().get::<Attempts>().map_or(0, |a| a.0);
    let body = response.into_body().bytes().await?;
    Ok(Got { status, body, attempts })
}

pub(super) async fn fetch<G: Glue>(client: &Client<G>, method: &str, url: String, body: &str) -> Result<Got, Error> {
    read(client.send(request(method, &url, body)).await).await
}

pub(super) type Pending<'a> = Pin<Box<dyn Future<Output = Result<Got, Error>> + 'a>>;

pub(super) fn start<'a, G: Glue>(client: &'a Client<G>, method: &str, url: &str) -> Pending<'a> {
    let request = request(method, url, "");
    Box::pin(async move { read(client.send(request).await).await })
}

#[track_caller]
pub(super) fn expect_ok(what: &str, got: &Result<Got, Error>, status: u16, body: &[u8]) {
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
pub(super) fn expect_echo(method: &str, target: &str, got: &Result<Got, Error>) {
    expect_ok(&format!("{method} {target}"), got, 200, echo_body(method, target).as_bytes());
}

#[track_caller]
pub(super) fn expect_err(what: &str, got: &Result<Got, Error>, kind: ErrorKind) -> Error {
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
pub(super) async fn gets<G: Glue>(
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
pub(super) fn assert_limits(stats: &Stats, depth: usize, connections: usize) {
    assert!(stats.max_open <= connections, "{} connections open at once (limit {connections})", stats.max_open);
    for (i, c) in stats.conns.iter().enumerate() {
        assert!(c.max_unanswered <= depth, "connection {i}: {} unanswered at once (depth {depth})", c.max_unanswered);
    }
}

#[track_caller]
pub(super) fn assert_each_handled_once(
    stats: &Stats,
    method: &str,
    targets: impl IntoIterator<Item = impl AsRef<str>>,
) {
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
