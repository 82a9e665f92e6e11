//! # pipelining-tokio
//!
//! A pipelining HTTP/1.1 client on tokio: many requests on one connection
//! without waiting for each response, every response matched to its
//! request, lost requests resent only when that is safe.
//!
//! ```no_run
//! # async fn example() -> Result<(), pipelining_tokio::Error> {
//! let client = pipelining_tokio::Client::builder().depth(8).connections(2).build()?;
//! let (a, b, c) = tokio::join!(
//!     client.get("http://127.0.0.1:8080/a"),
//!     client.get("http://127.0.0.1:8080/b"),
//!     client.get("http://127.0.0.1:8080/c"),
//! );
//! for response in [a?, b?, c?] {
//!     println!("{} {} bytes", response.status(), response.into_body().bytes().await?.len());
//! }
//! # Ok(()) }
//! ```
//!
//! Build the client inside a tokio runtime: its connection tasks and timer
//! run on that runtime. HTTPS goes through rustls with the `ring` provider,
//! offering ALPN `http/1.1`, and the Mozilla roots (`webpki-roots`); add a
//! root with
//! [`Builder::add_root_certificate`](pipelining_driver::Builder::add_root_certificate),
//! the platform's store with
//! [`Builder::platform_roots`](pipelining_driver::Builder::platform_roots), a
//! client certificate with
//! [`Builder::client_certificate`](pipelining_driver::Builder::client_certificate).
//! Any `tokio::io::AsyncRead + AsyncWrite` stream can carry the pipeline:
//! see [`connector`].

use bytes::BytesMut;
use pipelining_driver::{BoxFuture, BoxTransport, Connector, Glue, Runtime, SharedRuntime, Transport};
use std::io;
use std::sync::Arc;
use std::task::{Context, Poll};

pub use pipelining_driver::{
    Attempts, Blocking, Body, Error, ErrorKind, Idempotency, Informational, Load, Observation, OnUpgrade, Origin,
    OriginStatus, RawResponse, RawResponseFuture, RequestTimeout, ResponseFuture, TrySendError, USER_AGENT, Upgraded,
    WholeResponse, Written, upgrade,
};
/// Proxy settings for [`Builder::proxy`](pipelining_driver::Builder::proxy) and
/// [`Builder::proxy_config`](pipelining_driver::Builder::proxy_config).
pub use pipelining_driver::{NoProxy, Proxy, ProxyConfig, ProxyError};

/// An [`Upgraded`] connection as a tokio stream: `AsyncRead + AsyncWrite`.
pub struct TokioUpgraded(pub Upgraded);

impl std::fmt::Debug for TokioUpgraded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl tokio::io::AsyncRead for TokioUpgraded {
    fn poll_read(
        self: std::pin::Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let out = buf.initialize_unfilled();
        match self.get_mut().0.poll_read_into(cx, out) {
            Poll::Ready(Ok(n)) => {
                buf.advance(n);
                Poll::Ready(Ok(()))
            }
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl tokio::io::AsyncWrite for TokioUpgraded {
    fn poll_write(self: std::pin::Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Transport::poll_write(&mut self.get_mut().0, cx, buf)
    }

    fn poll_flush(self: std::pin::Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Transport::poll_flush(&mut self.get_mut().0, cx)
    }

    fn poll_shutdown(self: std::pin::Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Transport::poll_flush(&mut self.get_mut().0, cx)
    }
}

/// The tokio client.
pub type Client = pipelining_driver::Client<Tokio>;
/// Its builder.
pub type Builder = pipelining_driver::Builder<Tokio>;

/// The tokio glue: spawning on the runtime current at build time, tokio's
/// timers, tokio TCP and tokio-rustls.
#[derive(Debug)]
pub struct Tokio;

struct TokioRuntime(tokio::runtime::Handle);

impl Runtime for TokioRuntime {
    fn spawn(&self, task: BoxFuture<'static, ()>) {
        drop(self.0.spawn(task));
    }

    fn sleep(&self, duration: std::time::Duration) -> BoxFuture<'static, ()> {
        Box::pin(tokio::time::sleep(duration))
    }
}

impl Glue for Tokio {
    fn runtime() -> SharedRuntime {
        Arc::new(TokioRuntime(tokio::runtime::Handle::current()))
    }

    fn connector(tls: Arc<rustls::ClientConfig>) -> Arc<dyn Connector> {
        Arc::new(TcpConnector { tls: pipelining_driver::tls::SchemeTls::new(tls) })
    }
}

struct TcpConnector {
    tls: pipelining_driver::tls::SchemeTls,
}

impl Connector for TcpConnector {
    fn connect(&self, origin: &Origin) -> BoxFuture<'static, io::Result<BoxTransport>> {
        let origin = origin.clone();
        let tls = self.tls.for_scheme(origin.scheme());
        Box::pin(async move {
            let tcp = tokio::net::TcpStream::connect((origin.host(), origin.port())).await?;
            // Small pipelined writes must not wait for Nagle's algorithm.
            tcp.set_nodelay(true)?;
            if let Some(tls) = tls {
                let name = pipelining_driver::tls::server_name(origin.host())?;
                let stream = tokio_rustls::TlsConnector::from(tls).connect(name, tcp).await?;
                Ok(Box::new(TokioIo(stream)) as BoxTransport)
            } else {
                Ok(Box::new(TokioIo(tcp)) as BoxTransport)
            }
        })
    }
}

/// A connector from a function returning any tokio stream, for
/// [`Builder::connector`](pipelining_driver::Builder::connector).
pub fn connector<F, Fut, S>(connect: F) -> impl Connector
where
    F: Fn(Origin) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = io::Result<S>> + Send + 'static,
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Send + Unpin + 'static,
{
    move |origin: &Origin| -> BoxFuture<'static, io::Result<BoxTransport>> {
        let fut = connect(origin.clone());
        Box::pin(async move { Ok(Box::new(TokioIo(fut.await?)) as BoxTransport) })
    }
}

/// A tokio stream as a transport: reads go straight into the connection's
/// buffer, uninitialised memory included, so response bytes are never
/// copied on their way to the caller.
pub struct TokioIo<T>(pub T);

impl<T> std::fmt::Debug for TokioIo<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokioIo")
    }
}

impl<T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Send + Unpin + 'static> Transport for TokioIo<T> {
    fn poll_read_buf(&mut self, cx: &mut Context<'_>, buf: &mut BytesMut) -> Poll<io::Result<usize>> {
        tokio_util::io::poll_read_buf(std::pin::Pin::new(&mut self.0), cx, buf)
    }

    fn poll_write(&mut self, cx: &mut Context<'_>, data: &[u8]) -> Poll<io::Result<usize>> {
        tokio::io::AsyncWrite::poll_write(std::pin::Pin::new(&mut self.0), cx, data)
    }

    fn poll_flush(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        tokio::io::AsyncWrite::poll_flush(std::pin::Pin::new(&mut self.0), cx)
    }
}

pipelining_driver::protocol_modules!(crate::Tokio);
