//! What a runtime must provide: spawning, sleeping, and transports.

use pipelining::Origin;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;

/// A boxed, sendable future.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A byte stream to a server, in `futures-io` terms: TCP, TLS over TCP, a
/// Unix socket, an in-memory pipe for tests…
pub trait Transport: futures_io::AsyncRead + futures_io::AsyncWrite + Send + Unpin + 'static {}

impl<T: futures_io::AsyncRead + futures_io::AsyncWrite + Send + Unpin + 'static> Transport for T {}

/// A boxed transport.
pub type BoxTransport = Box<dyn Transport>;

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
