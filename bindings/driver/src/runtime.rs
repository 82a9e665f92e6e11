//! What a runtime must provide: spawning, sleeping, and transports.

use bytes::BytesMut;
use pipelining::Origin;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

/// A boxed, sendable future.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A byte stream to a server: TCP, TLS over TCP, a Unix socket, an
/// in-memory pipe for tests…
///
/// Reads append to a buffer the connection owns, so a transport that can
/// read into uninitialised memory (tokio's, through `pipelining-tokio`)
/// hands the bytes over without a copy: the core slices responses out of
/// them. Any `futures-io` stream becomes a transport with [`FuturesIo`].
pub trait Transport: Send + Unpin + 'static {
    /// Reads what is available into `buf`'s spare capacity (appending);
    /// `Ok(0)` at the end of the stream.
    fn poll_read_buf(&mut self, cx: &mut Context<'_>, buf: &mut BytesMut) -> Poll<io::Result<usize>>;

    /// Writes from `data`; how many bytes the transport accepted.
    fn poll_write(&mut self, cx: &mut Context<'_>, data: &[u8]) -> Poll<io::Result<usize>>;

    /// Pushes out anything the transport buffered (TLS records).
    fn poll_flush(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>>;
}

/// A boxed transport.
pub type BoxTransport = Box<dyn Transport>;

/// A `futures-io` stream as a [`Transport`]: reads go through a buffer of
/// its own and are copied in (`futures-io` reads need initialised memory).
pub struct FuturesIo<T> {
    io: T,
    scratch: Box<[u8]>,
}

impl<T> FuturesIo<T> {
    /// Wraps `io`.
    pub fn new(io: T) -> Self {
        FuturesIo { io, scratch: Box::default() }
    }
}

impl<T> std::fmt::Debug for FuturesIo<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FuturesIo")
    }
}

/// The copy buffer of a [`FuturesIo`]: one read's worth.
const SCRATCH: usize = 16 * 1024;

impl<T: futures_io::AsyncRead + futures_io::AsyncWrite + Send + Unpin + 'static> Transport for FuturesIo<T> {
    fn poll_read_buf(&mut self, cx: &mut Context<'_>, buf: &mut BytesMut) -> Poll<io::Result<usize>> {
        if self.scratch.is_empty() {
            self.scratch = vec![0; SCRATCH].into_boxed_slice();
        }
        match Pin::new(&mut self.io).poll_read(cx, &mut self.scratch) {
            Poll::Ready(Ok(n)) => {
                buf.extend_from_slice(&self.scratch[..n]);
                Poll::Ready(Ok(n))
            }
            other => other,
        }
    }

    fn poll_write(&mut self, cx: &mut Context<'_>, data: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write(cx, data)
    }

    fn poll_flush(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }
}

/// Opens transports to origins. The runtime crates provide TCP (+ TLS for
/// `https`) with `TCP_NODELAY` set; any other transport can be handed in.
pub trait Connector: Send + Sync + 'static {
    /// Opens a transport to `origin`.
    fn connect(&self, origin: &Origin) -> BoxFuture<'static, io::Result<BoxTransport>>;
}

impl<F> Connector for F
where
    F: Fn(&Origin) -> BoxFuture<'static, io::Result<BoxTransport>> + Send + Sync + 'static,
{
    fn connect(&self, origin: &Origin) -> BoxFuture<'static, io::Result<BoxTransport>> {
        self(origin)
    }
}

/// Spawning and sleeping: all a client needs from an executor.
pub trait Runtime: Send + Sync + 'static {
    /// Runs `task` to completion in the background.
    fn spawn(&self, task: BoxFuture<'static, ()>);
    /// A future that completes after `duration`.
    fn sleep(&self, duration: std::time::Duration) -> BoxFuture<'static, ()>;
}

/// A shared runtime.
pub type SharedRuntime = Arc<dyn Runtime>;
