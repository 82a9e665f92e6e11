//! # pipelining-smol
//!
//! The pipelining HTTP/1.1 client on `futures-io` and `async-io`: for smol,
//! and for former async-std users (async-std is discontinued).
//!
//! ```no_run
//! # fn main() -> Result<(), pipelining_smol::Error> {
//! smol::block_on(async {
//!     let client = pipelining_smol::Client::builder().depth(8).build()?;
//!     let (a, b) = futures_lite_join(client.get("http://127.0.0.1:8080/a"), client.get("http://127.0.0.1:8080/b")).await;
//!     println!("{} {}", a?.status(), b?.status());
//!     Ok(())
//! })
//! # }
//! # async fn futures_lite_join<A: std::future::Future, B: std::future::Future>(a: A, b: B) -> (A::Output, B::Output) {
//! #     smol::future::zip(a, b).await
//! # }
//! ```
//!
//! Connection tasks run on smol's global executor; timers are `async-io`'s;
//! HTTPS goes through `futures-rustls` with the `ring` provider. Any
//! `futures-io` stream can carry the pipeline: see [`connector`].

use pipelining_driver::{BoxFuture, BoxTransport, Connector, FuturesIo, Glue, Runtime, SharedRuntime};
use std::io;
use std::sync::Arc;

pub use pipelining_driver::{
    Attempts, Blocking, Body, Error, ErrorKind, Idempotency, Informational, Load, Observation, OnUpgrade, Origin,
    OriginStatus, RawResponse, RawResponseFuture, RequestTimeout, ResponseFuture, TrySendError, USER_AGENT, Upgraded,
    WholeResponse, Written, upgrade,
};
/// Proxy settings for [`Builder::proxy`](pipelining_driver::Builder::proxy) and
/// [`Builder::proxy_config`](pipelining_driver::Builder::proxy_config).
pub use pipelining_driver::{NoProxy, Proxy, ProxyConfig, ProxyError};

/// The smol client.
pub type Client = pipelining_driver::Client<Smol>;
/// Its builder.
pub type Builder = pipelining_driver::Builder<Smol>;

/// The smol glue: smol's global executor, async-io timers, async-net TCP and
/// futures-rustls.
#[derive(Debug)]
pub struct Smol;

struct SmolRuntime;

impl Runtime for SmolRuntime {
    fn spawn(&self, task: BoxFuture<'static, ()>) {
        smol::spawn(task).detach();
    }

    fn sleep(&self, duration: std::time::Duration) -> BoxFuture<'static, ()> {
        Box::pin(async move {
            async_io::Timer::after(duration).await;
        })
    }
}

impl Glue for Smol {
    fn runtime() -> SharedRuntime {
        Arc::new(SmolRuntime)
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
            let tcp = async_net::TcpStream::connect((origin.host(), origin.port())).await?;
            // Small pipelined writes must not wait for Nagle's algorithm.
            tcp.set_nodelay(true)?;
            if let Some(tls) = tls {
                let name = pipelining_driver::tls::server_name(origin.host())?;
                let stream = futures_rustls::TlsConnector::from(tls).connect(name, tcp).await?;
                Ok(Box::new(FuturesIo::new(stream)) as BoxTransport)
            } else {
                Ok(Box::new(FuturesIo::new(tcp)) as BoxTransport)
            }
        })
    }
}

/// A connector from a function returning any `futures-io` stream, for
/// [`Builder::connector`](pipelining_driver::Builder::connector).
pub fn connector<F, Fut, S>(connect: F) -> impl Connector
where
    F: Fn(Origin) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = io::Result<S>> + Send + 'static,
    S: futures_io_compat::AsyncRead + futures_io_compat::AsyncWrite + Send + Unpin + 'static,
{
    move |origin: &Origin| -> BoxFuture<'static, io::Result<BoxTransport>> {
        let fut = connect(origin.clone());
        Box::pin(async move { Ok(Box::new(FuturesIo::new(fut.await?)) as BoxTransport) })
    }
}

/// The `futures-io` traits the transports implement.
pub use smol::io as futures_io_compat;

pipelining_driver::protocol_modules!(crate::Smol);
