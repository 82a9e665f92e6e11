//! The client's side: the requests written on each connection, an
//! observer log, and what each request came back with.

use super::{TEST_LIMIT, lock};
use bytes::Bytes;
use pipelining_peer::RequestParser;
use pipelining_tokio::{Attempts, Body, Error, Observation, Written};
use std::collections::{HashMap, HashSet};
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Instant;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// Requests the client wrote on each of its connections, recorded by a
/// connector that taps its TCP streams.
#[derive(Debug, Default)]
pub struct WireTap {
    conns: Mutex<Vec<TapConn>>,
}

/// One connection the client opened.
#[derive(Clone, Debug)]
pub struct TapConn {
    /// Its local (client) port: nginx logs it as `$remote_port`.
    pub local_port: u16,
    /// When it was opened.
    pub opened_at: Instant,
    /// `METHOD target` of every request written on it in full, in order.
    pub written: Vec<String>,
}

impl WireTap {
    /// A new tap.
    pub fn new() -> Arc<Self> {
        Arc::new(WireTap::default())
    }

    /// A TCP connector (`TCP_NODELAY`, like the default one) recording
    /// every connection and the requests written on it.
    pub fn connector(self: &Arc<Self>) -> impl pipelining_driver::Connector {
        let tap = self.clone();
        pipelining_tokio::connector(move |origin| {
            let tap = tap.clone();
            async move {
                let tcp = tokio::net::TcpStream::connect((origin.host(), origin.port())).await?;
                tcp.set_nodelay(true)?;
                let local_port = tcp.local_addr()?.port();
                let index = {
                    let mut conns = lock(&tap.conns);
                    conns.push(TapConn { local_port, opened_at: Instant::now(), written: Vec::new() });
                    conns.len() - 1
                };
                Ok(TapStream { inner: tcp, scanner: RequestParser::default(), tap, index })
            }
        })
    }

    /// Every connection so far.
    pub fn conns(&self) -> Vec<TapConn> {
        lock(&self.conns).clone()
    }

    /// How many connections were opened so far.
    pub fn count(&self) -> usize {
        lock(&self.conns).len()
    }

    /// How often `METHOD target` was written, on any connection.
    pub fn written(&self, request: &str) -> usize {
        lock(&self.conns).iter().flat_map(|c| &c.written).filter(|w| *w == request).count()
    }
}

struct TapStream {
    inner: tokio::net::TcpStream,
    scanner: RequestParser,
    tap: Arc<WireTap>,
    index: usize,
}

impl AsyncRead for TapStream {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for TapStream {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, data: &[u8]) -> Poll<std::io::Result<usize>> {
        let result = Pin::new(&mut self.inner).poll_write(cx, data);
        if let Poll::Ready(Ok(n)) = result {
            let this = &mut *self;
            let requests = this.scanner.push(&data[..n]);
            if !requests.is_empty() {
                let mut conns = lock(&this.tap.conns);
                let written = &mut conns[this.index].written;
                written.extend(requests.into_iter().map(|r| format!("{} {}", r.method, r.target)));
            }
        }
        result
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// Everything the client's observer reported.
#[derive(Debug, Default)]
pub struct Watch {
    observations: Mutex<Vec<Observation>>,
    open: Mutex<HashSet<u64>>,
    max_open: AtomicU64,
}

impl Watch {
    /// A new, empty watch.
    pub fn new() -> Arc<Self> {
        Arc::new(Watch::default())
    }

    /// The observer to hand to the client's builder.
    pub fn observer(self: &Arc<Self>) -> impl Fn(&Observation) + Send + Sync + 'static {
        let watch = self.clone();
        move |observation| {
            {
                let mut open = lock(&watch.open);
                match observation {
                    Observation::Connecting { conn, .. } => {
                        open.insert(conn.get());
                        watch.max_open.fetch_max(open.len() as u64, Ordering::SeqCst);
                    }
                    Observation::ConnectFailed { conn, .. } | Observation::Closed { conn, .. } => {
                        open.remove(&conn.get());
                    }
                    _ => {}
                }
            }
            lock(&watch.observations).push(observation.clone());
        }
    }

    /// Every observation so far, in order.
    pub fn observations(&self) -> Vec<Observation> {
        lock(&self.observations).clone()
    }

    /// The most connections the client had open (or opening) at once.
    pub fn max_open(&self) -> usize {
        self.max_open.load(Ordering::SeqCst) as usize
    }

    /// Connections that were opened.
    pub fn opened(&self) -> usize {
        lock(&self.observations).iter().filter(|o| matches!(o, Observation::Connecting { .. })).count()
    }

    /// The capabilities learned for origins, in order (a demotion counts as
    /// one request at a time).
    pub fn capabilities(&self) -> Vec<pipelining::Capability> {
        self.facts()
            .into_iter()
            .filter_map(|fact| match fact {
                pipelining::Fact::Capability(capability) => Some(capability),
                pipelining::Fact::Demoted { .. } => Some(pipelining::Capability::OneAtATime),
                _ => None,
            })
            .collect()
    }

    /// Everything learned about origins, in order.
    pub fn facts(&self) -> Vec<pipelining::Fact> {
        lock(&self.observations)
            .iter()
            .filter_map(|o| match o {
                Observation::Learned { fact, .. } => Some(*fact),
                _ => None,
            })
            .collect()
    }

    /// The summaries of the connections that closed after opening.
    pub fn closed(&self) -> Vec<pipelining::CloseSummary> {
        lock(&self.observations)
            .iter()
            .filter_map(|o| match o {
                Observation::Closed { summary, .. } => *summary,
                _ => None,
            })
            .collect()
    }
}

/// One response, read whole.
#[derive(Clone, Debug)]
pub struct Fetched {
    /// Its status.
    pub status: u16,
    /// Its header fields.
    pub headers: http::HeaderMap,
    /// Its body, after transfer decoding.
    pub body: Bytes,
    /// How many times the request was written.
    pub attempts: u32,
    /// When and on which connection the request was last written.
    pub written: Option<Written>,
    /// When the response's last byte arrived.
    pub finished_at: Option<Instant>,
}

impl Fetched {
    /// A header field's value, as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// Reads a response whole.
pub async fn read(response: Result<http::Response<Body>, Error>) -> Result<Fetched, Error> {
    let response = response?;
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let attempts = response.extensions().get::<Attempts>().map_or(0, |a| a.0);
    let written = response.extensions().get::<Written>().copied();
    let mut body = response.into_body();
    let mut all = Vec::new();
    while let Some(chunk) = body.chunk().await {
        all.extend_from_slice(&chunk?);
    }
    Ok(Fetched { status, headers, body: Bytes::from(all), attempts, written, finished_at: body.finished_at() })
}

/// Sends every request at once (in order, so they are written in order and
/// pipelined) and reads every response whole.
pub async fn send_all<B>(
    client: &pipelining_tokio::Client,
    requests: Vec<http::Request<B>>,
) -> Vec<Result<Fetched, Error>>
where
    B: http_body::Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let futures: Vec<_> = requests.into_iter().map(|r| client.send(r)).collect();
    futures_util::future::join_all(futures.into_iter().map(|f| async move { read(f.await).await })).await
}

/// `GET url` for each URL, all at once.
pub async fn get_all(client: &pipelining_tokio::Client, urls: &[String]) -> Vec<Result<Fetched, Error>> {
    send_all(client, urls.iter().map(|u| get(u)).collect()).await
}

/// A `GET url` request.
pub fn get(url: &str) -> http::Request<http_body_util::Empty<Bytes>> {
    http::Request::get(url).body(http_body_util::Empty::new()).expect("a request")
}

/// The most requests in flight at once on any one connection, as the client
/// saw it: each answered request counts from when it was written (its last
/// byte accepted) until its response's last byte arrived. Responses
/// without both instants are left out (a lower bound).
pub fn max_in_flight(fetched: &[&Fetched]) -> usize {
    let mut per_conn: HashMap<u64, Vec<(Instant, i32)>> = HashMap::new();
    for f in fetched {
        if let (Some(written), Some(end)) = (f.written, f.finished_at) {
            let events = per_conn.entry(written.connection.get()).or_default();
            events.push((written.at, 1));
            events.push((end, -1));
        }
    }
    let mut max = 0;
    for events in per_conn.values_mut() {
        // At equal instants an end comes before a start.
        events.sort();
        let mut now = 0i32;
        for (_, delta) in events.iter() {
            now += delta;
            max = max.max(now);
        }
    }
    max as usize
}

/// Runs `test` on a fresh two-thread tokio runtime, failing it after
/// [`TEST_LIMIT`].
pub fn run<T, F: std::future::Future<Output = T>>(test: F) -> T {
    let runtime =
        tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("tokio runtime");
    runtime.block_on(async { tokio::time::timeout(TEST_LIMIT, test).await.expect("the test hung") })
}

/// Fails the test with `what` unless `got` is a response with `status` and
/// exactly `body`.
#[track_caller]
pub fn expect_body(what: &str, got: &Result<Fetched, Error>, status: u16, body: &[u8]) {
    match got {
        Ok(got) => {
            assert_eq!(got.status, status, "{what}: status");
            assert!(
                got.body[..] == body[..],
                "{what}: a body of {} bytes, expected {} bytes (first difference at byte {:?})",
                got.body.len(),
                body.len(),
                got.body.iter().zip(body).position(|(a, b)| a != b),
            );
        }
        Err(e) => panic!("{what}: expected {status}, got error {e} (attempts {})", e.attempts()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn in_flight_counts_overlaps_per_connection() {
        let t0 = Instant::now();
        let at = |ms| t0 + Duration::from_millis(ms);
        let f = |conn, w, e| Fetched {
            status: 200,
            headers: http::HeaderMap::new(),
            body: Bytes::new(),
            attempts: 1,
            written: Some(Written { connection: pipelining::ConnectionId::from_raw(conn), at: at(w) }),
            finished_at: Some(at(e)),
        };
        let all = [f(1, 0, 10), f(1, 1, 11), f(1, 10, 12), f(2, 0, 20)];
        assert_eq!(max_in_flight(&all.iter().collect::<Vec<_>>()), 2);
    }
}
