//! HTTP proxies in the driver: the builder's settings and the connector
//! that tunnels `https://` origins through `CONNECT` and speaks TLS inside
//! the tunnel.
//!
//! The rules (which variables, `NO_PROXY` matching, proxy URLs, the
//! absolute-form rewriting of `http://` requests:
//! [`ProxyConfig::route`], [`pipelining::proxy::forward`]) are the core's
//! ([`pipelining::proxy`]), shared with the JavaScript driver. What
//! the pool learns of absolute-form requests (capability, budgets) is kept
//! under the proxy's origin: those requests share the proxy's connections.
//! A tunnel is kept under its target's origin: one client has one proxy
//! configuration, so the target alone names the tunnel.

use crate::config::{Builder, Glue};
use crate::runtime::{BoxFuture, BoxTransport, Connector, FuturesIo};
use crate::{Error, ErrorKind};
use bytes::{Buf, BytesMut};
use pipelining::Origin;
use pipelining::proxy::{ConnectHandshake, NoProxy, Proxy, ProxyConfig, TunnelState};
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

/// The builder's proxy settings: a configuration, or why the one asked for
/// could not be made (reported by `build`, before anything is sent).
#[derive(Clone, Debug, Default)]
pub(crate) struct ProxySettings {
    config: ProxyConfig,
    error: Option<Error>,
}

impl ProxySettings {
    /// The configuration requests are routed by; `None` when no origin goes
    /// through a proxy (then routing costs nothing).
    pub(crate) fn routes(&self) -> Option<Arc<ProxyConfig>> {
        (!self.config.is_empty()).then(|| Arc::new(self.config.clone()))
    }
}

impl<G: Glue> Builder<G> {
    /// Sends requests through `proxy`, for `http://` and `https://`
    /// origins alike: `http://` requests in absolute form on connections to
    /// the proxy (one at a time on each unless the proxy allows pipelining:
    /// [`Proxy::with_pipelining`]), `https://` ones through a `CONNECT`
    /// tunnel with TLS and normal pipelining inside. Replaces any proxy set
    /// before, also from the environment (a malformed proxy variable no
    /// longer matters then); keeps the exceptions
    /// ([`no_proxy`](Self::no_proxy)).
    ///
    /// ```
    /// # fn example<G: pipelining_driver::Glue>() -> Result<(), Box<dyn std::error::Error>> {
    /// use pipelining_driver::{Builder, Proxy};
    /// let builder = Builder::<G>::default()
    ///     .proxy(Proxy::parse("http://user:password@proxy.example:3128")?)
    ///     .no_proxy("localhost, .internal, 10.0.0.0/8");
    /// # Ok(()) }
    /// ```
    #[must_use]
    pub fn proxy(mut self, proxy: Proxy) -> Self {
        self.proxy.config.http = Some(proxy.clone());
        self.proxy.config.https = Some(proxy);
        self.proxy.error = None;
        self
    }

    /// Origins reached directly, not through the proxy: a `NO_PROXY` list
    /// (comma-separated names, which match the names under them too, IP
    /// addresses, CIDR blocks, optional `:port`, or `*` for all; the rules
    /// are in [`pipelining::proxy`]). Replaces the exceptions set before,
    /// also from the environment. With `*` no request goes through a proxy,
    /// so a malformed proxy variable no longer matters.
    #[must_use]
    pub fn no_proxy(mut self, list: &str) -> Self {
        self.proxy.config.no_proxy = NoProxy::parse(list);
        if self.proxy.config.no_proxy.matches_all() {
            self.proxy.error = None;
        }
        self
    }

    /// Proxies from the process environment, as curl reads them:
    /// `http_proxy`, `https_proxy`, `all_proxy`, `no_proxy` and their
    /// upper-case forms, the lower-case one first; `HTTP_PROXY` is ignored
    /// when `REQUEST_METHOD` is set (a CGI program, where it comes from the
    /// request: "httpoxy"). Replaces every proxy setting made before; later
    /// [`proxy`](Self::proxy) and [`no_proxy`](Self::no_proxy) calls
    /// override parts of it. A variable holding a malformed URL or an
    /// unsupported scheme (`socks5://`, `https://`) makes
    /// [`build`](Self::build) fail with an `invalid_request` error naming
    /// it, so that no request silently bypasses a proxy the user set.
    #[must_use]
    pub fn proxy_from_env(self) -> Self {
        self.proxy_from_vars(|name: &str| std::env::var_os(name).map(|v| v.to_string_lossy().into_owned()))
    }

    /// [`proxy_from_env`](Self::proxy_from_env) over variables read through
    /// `lookup`.
    fn proxy_from_vars<S: AsRef<str>>(mut self, lookup: impl Fn(&str) -> Option<S>) -> Self {
        self.proxy = match ProxyConfig::from_vars(&lookup) {
            Ok(config) => ProxySettings { config, error: None },
            Err(e) => {
                // The exceptions still hold if a later `proxy` call replaces
                // the malformed proxy.
                let mut config = ProxyConfig::default();
                config.no_proxy = NoProxy::from_vars(&lookup);
                let error = Error::new(ErrorKind::InvalidRequest, format!("proxy environment: {e}"));
                ProxySettings { config, error: Some(error) }
            }
        };
        self
    }

    /// The whole proxy configuration at once: a proxy per scheme and the
    /// exceptions.
    #[must_use]
    pub fn proxy_config(mut self, config: ProxyConfig) -> Self {
        self.proxy = ProxySettings { config, error: None };
        self
    }

    /// The proxy configuration so far.
    pub fn proxies(&self) -> &ProxyConfig {
        &self.proxy.config
    }

    /// The connector with `CONNECT` tunnels for `https://` origins that go
    /// through a proxy, and connect errors that name the proxy; `connector`
    /// itself when no proxy is set. Fails with what made the proxy settings
    /// unusable.
    pub(crate) fn proxied(&self, connector: Arc<dyn Connector>) -> Result<Arc<dyn Connector>, Error> {
        if let Some(error) = &self.proxy.error {
            return Err(error.clone());
        }
        if self.proxy.config.is_empty() {
            return Ok(connector);
        }
        let tls = crate::tls::client_config(&self.roots)
            .map_err(|e| Error::new(ErrorKind::InvalidRequest, format!("TLS configuration: {e}")))?;
        Ok(Arc::new(ProxyConnector { inner: connector, proxies: self.proxy.config.clone(), tls }))
    }
}

/// Opens transports through the proxies: `https://` origins through a
/// `CONNECT` tunnel, then TLS to the target inside it; everything else
/// (the proxies themselves, origins reached directly) with the inner
/// connector.
struct ProxyConnector {
    inner: Arc<dyn Connector>,
    proxies: ProxyConfig,
    tls: Arc<rustls::ClientConfig>,
}

impl Connector for ProxyConnector {
    fn connect(&self, origin: &Origin) -> BoxFuture<'static, io::Result<BoxTransport>> {
        let tunnel_through = if origin.scheme() == "https" { self.proxies.proxy_for(origin) } else { None };
        let Some(proxy) = tunnel_through else {
            // A connection to an http proxy for absolute-form requests:
            // its failures name the proxy.
            let is_proxy = self.proxies.http.as_ref().is_some_and(|p| p.origin() == origin);
            let connect = self.inner.connect(origin);
            if !is_proxy {
                return connect;
            }
            let name = format!("proxy {}", origin.authority());
            return Box::pin(
                async move { connect.await.map_err(|e| io::Error::new(e.kind(), format!("{name}: {e}"))) },
            );
        };
        let proxy = proxy.clone();
        let to_proxy = self.inner.connect(proxy.origin());
        let target = origin.clone();
        let tls = self.tls.clone();
        Box::pin(async move {
            let name = format!("proxy {}", proxy.authority());
            let transport = to_proxy.await.map_err(|e| io::Error::new(e.kind(), format!("{name}: {e}")))?;
            let (transport, leftover) = open_tunnel(transport, &proxy, &target).await.map_err(|e| match e {
                Opening::Io(e) => io::Error::new(e.kind(), format!("{name}: {e}")),
                Opening::Refused(e) => io::Error::other(format!("{name} {e}")),
            })?;
            let server_name = crate::tls::server_name(target.host())?;
            let inside = TunnelIo { transport, pending: leftover };
            let stream = futures_rustls::TlsConnector::from(tls).connect(server_name, inside).await?;
            Ok(Box::new(FuturesIo::new(stream)) as BoxTransport)
        })
    }
}

/// Why a tunnel did not open.
enum Opening {
    /// Writing to or reading from the proxy failed.
    Io(io::Error),
    /// The proxy's answer (a refusal, an invalid answer, a close).
    Refused(pipelining::proxy::TunnelError),
}

/// The proxy's answer to `CONNECT` is read at most this much at a time;
/// the head itself is bounded by the core's limits.
const HANDSHAKE_READ: usize = 4096;

/// Writes `CONNECT` for `target` and reads the proxy's answer: the
/// transport, now a tunnel, and any bytes of the target's that came with
/// the answer.
async fn open_tunnel(
    mut transport: BoxTransport,
    proxy: &Proxy,
    target: &Origin,
) -> Result<(BoxTransport, BytesMut), Opening> {
    let mut handshake = ConnectHandshake::new(proxy, target.borrowed()).map_err(Opening::Refused)?;
    let request = handshake.request();
    let mut sent = 0;
    while sent < request.len() {
        let n = std::future::poll_fn(|cx| transport.poll_write(cx, &request[sent..])).await.map_err(Opening::Io)?;
        if n == 0 {
            return Err(Opening::Io(io::ErrorKind::WriteZero.into()));
        }
        sent += n;
    }
    std::future::poll_fn(|cx| transport.poll_flush(cx)).await.map_err(Opening::Io)?;
    let mut read = BytesMut::new();
    loop {
        match handshake.handle_received(&mut read).map_err(Opening::Refused)? {
            TunnelState::Open => return Ok((transport, read)),
            TunnelState::Waiting => {}
        }
        read.reserve(HANDSHAKE_READ);
        let n = std::future::poll_fn(|cx| transport.poll_read_buf(cx, &mut read)).await.map_err(Opening::Io)?;
        if n == 0 {
            handshake.handle_eof().map_err(Opening::Refused)?;
        }
    }
}

/// The tunnel as a `futures-io` stream for TLS: the target's bytes that
/// came with the proxy's answer first, then the transport's.
struct TunnelIo {
    transport: BoxTransport,
    pending: BytesMut,
}

impl futures_io::AsyncRead for TunnelIo {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, out: &mut [u8]) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if out.is_empty() {
            return Poll::Ready(Ok(0));
        }
        if this.pending.is_empty() {
            this.pending.reserve(out.len());
            if ready!(this.transport.poll_read_buf(cx, &mut this.pending))? == 0 {
                return Poll::Ready(Ok(0));
            }
        }
        let n = out.len().min(this.pending.len());
        out[..n].copy_from_slice(&this.pending[..n]);
        this.pending.advance(n);
        Poll::Ready(Ok(n))
    }
}

impl futures_io::AsyncWrite for TunnelIo {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, data: &[u8]) -> Poll<io::Result<usize>> {
        self.get_mut().transport.poll_write(cx, data)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.get_mut().transport.poll_flush(cx)
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        // A transport has no half-close; flushing is all there is.
        self.get_mut().transport.poll_flush(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Glue for builders that are never built.
    struct NoGlue;

    impl Glue for NoGlue {
        fn runtime() -> crate::SharedRuntime {
            unreachable!("never built")
        }

        fn connector(_: Arc<rustls::ClientConfig>) -> Arc<dyn Connector> {
            unreachable!("never built")
        }
    }

    fn from_vars(vars: &'static [(&'static str, &'static str)]) -> Builder<NoGlue> {
        Builder::<NoGlue>::default().proxy_from_vars(|name| vars.iter().find(|(n, _)| *n == name).map(|(_, v)| *v))
    }

    #[test]
    fn the_environment_sets_every_proxy_and_a_bad_variable_fails_the_build() {
        let builder = from_vars(&[("http_proxy", "http://p:1"), ("NO_PROXY", "direct")]);
        assert_eq!(builder.proxies().http.as_ref().map(Proxy::authority).as_deref(), Some("p:1"));
        assert!(builder.proxies().https.is_none());
        assert!(builder.proxy.error.is_none());
        let broken = from_vars(&[("https_proxy", "socks5://x:1"), ("no_proxy", "direct")]);
        let error = broken.proxy.error.clone().expect("an error for build");
        assert_eq!(error.kind(), ErrorKind::InvalidRequest);
        assert_eq!(
            error.message(),
            "proxy environment: https_proxy: unsupported proxy scheme \"socks5\": only http:// proxies are supported"
        );
        assert!(
            broken
                .proxied(Arc::new(|_: &Origin| -> BoxFuture<'static, io::Result<BoxTransport>> {
                    unreachable!("nothing is connected")
                }))
                .is_err()
        );
    }

    #[test]
    fn an_explicit_proxy_or_no_proxy_for_all_makes_a_bad_variable_moot() {
        let broken: &[(&str, &str)] = &[("http_proxy", "http://bad:port"), ("no_proxy", "direct")];
        let replaced = from_vars(broken).proxy(Proxy::parse("good:1").unwrap());
        assert!(replaced.proxy.error.is_none());
        assert_eq!(replaced.proxies().https.as_ref().map(Proxy::authority).as_deref(), Some("good:1"));
        assert!(replaced.proxies().no_proxy.matches("direct", 80), "the environment's exceptions are kept");
        let off = from_vars(broken).no_proxy("*");
        assert!(off.proxy.error.is_none());
        assert!(from_vars(broken).no_proxy("other").proxy.error.is_some(), "a partial list leaves the error");
    }
}
