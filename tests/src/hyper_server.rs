//! An in-process hyper HTTP/1.1 server: a real, independent implementation
//! to pipeline against.
//!
//! Paths (any method):
//!
//! - `/bytes/N`: `N` bytes of [`pattern`](crate::pattern);
//! - `/status/N`: status `N`, body as below (none for 1xx, 204, 304);
//! - `/redirect/N/rest`: `302 Found` to `/redirect/N-1/rest`, and at 0 to
//!   `/rest` (relative `Location`);
//! - `/gzip/N`: `N` bytes of the pattern, gzip-encoded (`Content-Encoding:
//!   gzip`) when the request accepts gzip, plain otherwise;
//! - anything else: status 200, body [`echo_body`](crate::echo_body) of the
//!   method and target, then the request body if any (after a space).
//!
//! A query `delay=MS` makes the handler wait that long first.

use crate::stats::{ConnGuard, Counter};
use crate::{Stats, server_thread};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use pipelining_peer::RequestParser;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// How the server behaves.
#[derive(Clone, Debug)]
pub struct HyperOptions {
    /// hyper's `pipeline_flush`: aggregate pipelined responses into fewer
    /// writes.
    pub pipeline_flush: bool,
    /// Serve HTTPS with this configuration.
    pub tls: Option<Arc<rustls::ServerConfig>>,
}

impl Default for HyperOptions {
    fn default() -> Self {
        HyperOptions { pipeline_flush: true, tls: None }
    }
}

/// A running hyper server; stops when dropped.
#[derive(Debug)]
pub struct HyperServer {
    addr: SocketAddr,
    scheme: &'static str,
    counter: Counter,
    _thread: server_thread::ServerThread,
}

impl HyperServer {
    /// Starts a plain HTTP server with `pipeline_flush` on.
    pub fn start() -> Self {
        Self::with(HyperOptions::default())
    }

    /// Starts a server with these options.
    pub fn with(options: HyperOptions) -> Self {
        let counter = Counter::default();
        let scheme = if options.tls.is_some() { "https" } else { "http" };
        let shared = counter.clone();
        let (addr, thread) = server_thread::spawn(move |listener| serve(listener, options, shared));
        HyperServer { addr, scheme, counter, _thread: thread }
    }

    /// The server's address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT` + `path` (or `https://localhost:PORT` with TLS,
    /// matching the test certificate's name).
    pub fn url(&self, path: &str) -> String {
        if self.scheme == "https" {
            format!("https://localhost:{}{path}", self.addr.port())
        } else {
            format!("http://{}{path}", self.addr)
        }
    }

    /// What the server counted so far.
    pub fn stats(&self) -> Stats {
        self.counter.snapshot()
    }
}

async fn serve(listener: tokio::net::TcpListener, options: HyperOptions, counter: Counter) {
    let acceptor = options.tls.clone().map(tokio_rustls::TlsAcceptor::from);
    loop {
        let Ok((tcp, _)) = listener.accept().await else { continue };
        let _ = tcp.set_nodelay(true);
        let counter = counter.clone();
        let acceptor = acceptor.clone();
        let pipeline_flush = options.pipeline_flush;
        tokio::spawn(async move {
            let conn = counter.opened();
            let _guard = ConnGuard { counter: counter.clone(), conn };
            match acceptor {
                Some(acceptor) => {
                    // A handshake the client refuses (untrusted certificate)
                    // ends here.
                    if let Ok(tls) = acceptor.accept(tcp).await {
                        serve_conn(tls, conn, counter, pipeline_flush).await;
                    }
                }
                None => serve_conn(tcp, conn, counter, pipeline_flush).await,
            }
        });
    }
}

async fn serve_conn<S>(stream: S, conn: usize, counter: Counter, pipeline_flush: bool)
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let tap = Tap { inner: stream, scanner: RequestParser::default(), counter: counter.clone(), conn };
    let service = hyper::service::service_fn(move |request| {
        let counter = counter.clone();
        async move {
            let response = handle(request, conn, &counter).await;
            counter.answered(conn);
            Ok::<_, Infallible>(response)
        }
    });
    let _ = hyper::server::conn::http1::Builder::new()
        .pipeline_flush(pipeline_flush)
        .serve_connection(hyper_util::rt::TokioIo::new(tap), service)
        .await;
}

async fn handle(request: hyper::Request<Incoming>, conn: usize, counter: &Counter) -> hyper::Response<Full<Bytes>> {
    let method = request.method().as_str().to_owned();
    let target = request.uri().path_and_query().map_or("/", |pq| pq.as_str()).to_owned();
    counter.handled(conn, &method, &target);
    let path = request.uri().path().to_owned();
    let accepts_gzip = request
        .headers()
        .get_all(hyper::header::ACCEPT_ENCODING)
        .iter()
        .any(|v| v.to_str().is_ok_and(|v| v.split(',').any(|c| c.trim().starts_with("gzip"))));
    let delay = request
        .uri()
        .query()
        .and_then(|q| q.split('&').find_map(|kv| kv.strip_prefix("delay=")))
        .and_then(|ms| ms.parse::<u64>().ok());
    let body = request.into_body().collect().await.map(|b| b.to_bytes()).unwrap_or_default();
    if let Some(ms) = delay {
        tokio::time::sleep(Duration::from_millis(ms)).await;
    }
    let echo = || {
        let mut echo = crate::echo_body(&method, &target).into_bytes();
        if !body.is_empty() {
            echo.push(b' ');
            echo.extend_from_slice(&body);
        }
        Bytes::from(echo)
    };
    if let Some(n) = path.strip_prefix("/bytes/").and_then(|n| n.parse::<usize>().ok()) {
        return hyper::Response::new(Full::new(Bytes::from(crate::pattern(n))));
    }
    if let Some(rest) = path.strip_prefix("/redirect/") {
        let (n, rest) = rest.split_once('/').unwrap_or((rest, ""));
        let location = match n.parse::<u32>() {
            Ok(0) | Err(_) => format!("/{rest}"),
            Ok(n) => format!("/redirect/{}/{rest}", n - 1),
        };
        let mut response = hyper::Response::new(Full::new(Bytes::new()));
        *response.status_mut() = hyper::StatusCode::FOUND;
        response.headers_mut().insert(hyper::header::LOCATION, location.parse().expect("a location"));
        return response;
    }
    if let Some(n) = path.strip_prefix("/gzip/").and_then(|n| n.parse::<usize>().ok()) {
        let plain = crate::pattern(n);
        if !accepts_gzip {
            return hyper::Response::new(Full::new(Bytes::from(plain)));
        }
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        std::io::Write::write_all(&mut encoder, &plain).expect("gzip in memory");
        let mut response = hyper::Response::new(Full::new(Bytes::from(encoder.finish().expect("gzip in memory"))));
        response.headers_mut().insert(hyper::header::CONTENT_ENCODING, hyper::header::HeaderValue::from_static("gzip"));
        return response;
    }
    if let Some(status) = path.strip_prefix("/status/").and_then(|n| n.parse::<u16>().ok()) {
        let bodiless = status < 200 || status == 204 || status == 304;
        let mut response = hyper::Response::new(Full::new(if bodiless { Bytes::new() } else { echo() }));
        *response.status_mut() = hyper::StatusCode::from_u16(status).unwrap_or(hyper::StatusCode::OK);
        return response;
    }
    hyper::Response::new(Full::new(echo()))
}

/// Counts the requests hyper reads, as it reads them (hyper serves a
/// connection's requests one after another, so read minus answered is the
/// depth the server saw — a lower bound of what the client had in flight).
struct Tap<S> {
    inner: S,
    scanner: RequestParser,
    counter: Counter,
    conn: usize,
}

impl<S: AsyncRead + Unpin> AsyncRead for Tap<S> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let result = Pin::new(&mut self.inner).poll_read(cx, buf);
        if let Poll::Ready(Ok(())) = result {
            let this = &mut *self;
            for request in this.scanner.push(&buf.filled()[before..]) {
                this.counter.received(this.conn, &request.method, &request.target);
            }
        }
        result
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Tap<S> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, data: &[u8]) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, data)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}
