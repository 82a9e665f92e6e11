//! Client settings and the builder.

use crate::engine::EngineConfig;
use crate::runtime::{Connector, SharedRuntime};
use crate::tls::{ClientCertificate, TlsRoots};
use crate::{Client, Observation};
use pipelining::dispatch::DispatchConfig;
use pipelining::h1::Limits;
use pipelining::pipeline::NonIdempotentPolicy;
use pipelining::{Duration, PoolConfig};
use std::marker::PhantomData;
use std::sync::Arc;

/// What a runtime crate plugs in: its executor, timers and default
/// transports.
pub trait Glue: Send + Sync + 'static {
    /// The runtime to spawn connection tasks and timers on (tokio captures
    /// the current runtime here, so build the client inside it).
    fn runtime() -> SharedRuntime;
    /// TCP with `TCP_NODELAY`, and TLS via rustls for `https` and `rediss`
    /// origins (see [`tls::SchemeTls`](crate::tls::SchemeTls)).
    fn connector(tls: Arc<rustls::ClientConfig>) -> Arc<dyn Connector>;
}

/// An observer of connection-level happenings (the CLI's `--verbose`).
pub type Observer = Arc<dyn Fn(&Observation) + Send + Sync>;

/// Builds a [`Client`].
pub struct Builder<G: Glue> {
    pub(crate) pool: PoolConfig,
    pub(crate) limits: Limits,
    pub(crate) dispatch: DispatchConfig,
    pub(crate) request_timeout: Option<std::time::Duration>,
    pub(crate) roots: TlsRoots,
    pub(crate) client_certificate: Option<ClientCertificate>,
    pub(crate) connector: Option<Arc<dyn Connector>>,
    pub(crate) observer: Option<Observer>,
    /// Fields every request gets unless it has its own of that name.
    pub(crate) default_headers: http::HeaderMap,
    pub(crate) proxy: crate::proxy::ProxySettings,
    glue: PhantomData<G>,
}

/// The `User-Agent` a client sends unless told otherwise.
pub const USER_AGENT: &str = concat!("pipelining/", env!("CARGO_PKG_VERSION"));

impl<G: Glue> Default for Builder<G> {
    fn default() -> Self {
        Builder {
            pool: PoolConfig::default(),
            limits: Limits::default(),
            dispatch: DispatchConfig::default(),
            request_timeout: None,
            roots: TlsRoots::default(),
            client_certificate: None,
            connector: None,
            observer: None,
            default_headers: {
                let mut headers = http::HeaderMap::new();
                headers.insert(http::header::USER_AGENT, http::HeaderValue::from_static(USER_AGENT));
                headers
            },
            proxy: Default::default(),
            glue: PhantomData,
        }
    }
}

impl<G: Glue> Builder<G> {
    /// Requests in flight per connection (default 8; zero is refused by
    /// [`build`](Self::build)).
    #[must_use]
    pub fn depth(mut self, depth: usize) -> Self {
        self.pool.connection.depth = depth;
        self
    }

    /// Connections per origin (default 2; zero is refused by
    /// [`build`](Self::build)).
    #[must_use]
    pub fn connections(mut self, connections: usize) -> Self {
        self.pool.connections = connections;
        self
    }

    /// Tries per request, and failed connects per origin before its queued
    /// requests fail (default 3).
    #[must_use]
    pub fn max_tries(mut self, tries: u32) -> Self {
        self.pool.max_tries = tries;
        self
    }

    /// Requests waiting per origin before `send` waits for room (default
    /// 1,024).
    #[must_use]
    pub fn queue_limit(mut self, limit: usize) -> Self {
        self.pool.queue_limit = limit;
        self
    }

    /// Connect timeout (default 10 s).
    #[must_use]
    pub fn connect_timeout(mut self, timeout: std::time::Duration) -> Self {
        self.pool.connect_timeout = Some(timeout.into());
        self
    }

    /// Stall timeout: requests outstanding and nothing moving (default 30 s).
    #[must_use]
    pub fn stall_timeout(mut self, timeout: std::time::Duration) -> Self {
        self.pool.connection.stall_timeout = Some(timeout.into());
        self
    }

    /// A request fails with `timeout` when its response head has not come
    /// this long after it was written (undici's `headersTimeout`; default
    /// none).
    #[must_use]
    pub fn headers_timeout(mut self, timeout: Option<std::time::Duration>) -> Self {
        self.pool.connection.headers_timeout = timeout.map(Into::into);
        self
    }

    /// A request fails with `timeout` when its response body sends nothing
    /// for this long (undici's `bodyTimeout`; default none).
    #[must_use]
    pub fn body_timeout(mut self, timeout: Option<std::time::Duration>) -> Self {
        self.pool.connection.body_timeout = timeout.map(Into::into);
        self
    }

    /// Both the connect and the stall timeout (the CLI's `--timeout`).
    #[must_use]
    pub fn timeout(self, timeout: std::time::Duration) -> Self {
        self.connect_timeout(timeout).stall_timeout(timeout)
    }

    /// Idle connections close after this (default 60 s).
    #[must_use]
    pub fn idle_timeout(mut self, timeout: std::time::Duration) -> Self {
        self.pool.connection.idle_timeout = Some(timeout.into());
        self
    }

    /// A deadline for each request, from `send` to its complete response
    /// (default none).
    #[must_use]
    pub fn request_timeout(mut self, timeout: std::time::Duration) -> Self {
        self.request_timeout = Some(timeout);
        self
    }

    /// A cancelled request's remaining response is read and dropped up to
    /// this many bytes; beyond, the connection closes (default 64 KiB).
    #[must_use]
    pub fn cancel_threshold(mut self, bytes: u64) -> Self {
        self.pool.connection.cancel_threshold = bytes;
        self
    }

    /// Pipeline non-idempotent requests like any other instead of writing
    /// each alone (default off, docs/DESIGN.md P5). They are still never
    /// replayed.
    #[must_use]
    pub fn pipeline_non_idempotent(mut self, on: bool) -> Self {
        self.pool.connection.non_idempotent =
            if on { NonIdempotentPolicy::Pipelined } else { NonIdempotentPolicy::Alone };
        self
    }

    /// Head-of-line rescue for large responses (`docs/DESIGN.md` P13): once a
    /// response announces or passes this many content bytes, nothing more
    /// is written behind it and requests queued there go to another
    /// connection (default 256 KiB; `None` turns it off).
    #[must_use]
    pub fn large_response(mut self, bytes: Option<u64>) -> Self {
        self.pool.connection.large_response = bytes;
        self
    }

    /// Head-of-line rescue for slow heads (P13): idempotent requests stuck
    /// this long behind a head that has sent no response byte are copied to
    /// another connection, first answer wins (default 1.5 s; `None` turns
    /// it off).
    #[must_use]
    pub fn rescue_delay(mut self, delay: Option<std::time::Duration>) -> Self {
        self.pool.connection.rescue_delay = delay.map(Into::into);
        self
    }

    /// How long a streamed request body sent with `Expect: 100-continue`
    /// waits for the server's `100` before it goes anyway (default 1 s;
    /// `None` waits for the `100` or a final response).
    #[must_use]
    pub fn continue_timeout(mut self, timeout: Option<std::time::Duration>) -> Self {
        self.pool.connection.continue_timeout = timeout.map(Into::into);
        self
    }

    /// Start every origin as known to pipeline, skipping the one-request
    /// probe (for servers you know).
    #[must_use]
    pub fn assume_pipelining(mut self, on: bool) -> Self {
        self.pool.connection.capability =
            if on { pipelining::Capability::Pipelining } else { pipelining::Capability::Unknown };
        self
    }

    /// Content bytes of one streamed response held for a reader that is
    /// behind (default 256 KiB): past it the response's connection is not
    /// read until the reader catches up, so a slow reader costs bounded
    /// memory. Zero is refused by [`build`](Self::build).
    #[must_use]
    pub fn body_buffer(mut self, bytes: u64) -> Self {
        self.dispatch.body_buffer = bytes;
        self
    }

    /// How long what an origin taught (capability, request budget) is kept
    /// after its last connection closed (default 10 minutes).
    #[must_use]
    pub fn origin_memory(mut self, memory: std::time::Duration) -> Self {
        self.pool.origin_memory = memory.into();
        self
    }

    /// Idle origins remembered at most, the least recently used forgotten
    /// first (default 10,000).
    #[must_use]
    pub fn max_origins(mut self, origins: usize) -> Self {
        self.pool.max_origins = origins;
        self
    }

    /// Response size limits.
    #[must_use]
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Trust another root certificate, e.g. a test CA: one in DER, or PEM
    /// text with one or more (a CA bundle file's contents, what curl's
    /// `--cacert` reads). It is parsed by [`build`](Self::build): PEM that
    /// does not parse or holds no certificate fails it.
    #[must_use]
    pub fn add_root_certificate(mut self, der_or_pem: impl Into<Vec<u8>>) -> Self {
        self.roots.add(der_or_pem.into());
        self
    }

    /// Do not trust the built-in Mozilla roots.
    #[must_use]
    pub fn without_webpki_roots(mut self) -> Self {
        self.roots.without_webpki_roots = true;
        self
    }

    /// Also trust the platform's certificate store (default off): on Linux
    /// the distribution's CA bundle, or the `SSL_CERT_FILE` file and
    /// `SSL_CERT_DIR` directories when either is set; on macOS and Windows
    /// the system's. Read once, by [`build`](Self::build), which fails when
    /// no usable certificate is found there. With
    /// [`without_webpki_roots`](Self::without_webpki_roots) the platform's
    /// store (and any [`add_root_certificate`](Self::add_root_certificate))
    /// is all that is trusted.
    #[must_use]
    pub fn platform_roots(mut self, on: bool) -> Self {
        self.roots.platform = on;
        self
    }

    /// Present this client certificate to servers that ask for one
    /// (mutual TLS), on every TLS connection (`https`, `rediss`). `chain`
    /// is the certificate chain, leaf first, as PEM (one or more
    /// `CERTIFICATE` sections) or one DER certificate; `key` its private
    /// key as PEM (PKCS#8, PKCS#1 or SEC1) or DER. The same PEM file may
    /// be given for both. Both are parsed by [`build`](Self::build): a bad
    /// PEM, a missing key or a key that does not match the certificate
    /// fails it with `invalid_request`, before anything is sent.
    #[must_use]
    pub fn client_certificate(mut self, chain: impl Into<Vec<u8>>, key: impl Into<Vec<u8>>) -> Self {
        self.client_certificate = Some(ClientCertificate { chain: chain.into(), key: key.into() });
        self
    }

    /// Open transports with `connector` instead of TCP/TLS: any
    /// `AsyncRead + AsyncWrite` stream can carry the pipeline.
    #[must_use]
    pub fn connector(mut self, connector: impl Connector) -> Self {
        self.connector = Some(Arc::new(connector));
        self
    }

    /// Be told about connections opening, closing and origins' capability.
    #[must_use]
    pub fn observer(mut self, observer: impl Fn(&Observation) + Send + Sync + 'static) -> Self {
        self.observer = Some(Arc::new(observer));
        self
    }

    /// Fields every request gets unless it has its own of that name,
    /// added to (and replacing those of the same name among) the defaults
    /// so far. The defaults hold `User-Agent: pipelining/<version>`.
    #[must_use]
    pub fn default_headers(mut self, headers: http::HeaderMap) -> Self {
        for name in headers.keys() {
            self.default_headers.remove(name);
        }
        for (name, value) in &headers {
            self.default_headers.append(name, value.clone());
        }
        self
    }

    /// The `User-Agent` of every request without its own; `None` sends
    /// none.
    #[must_use]
    pub fn user_agent(mut self, value: Option<http::HeaderValue>) -> Self {
        match value {
            Some(value) => {
                self.default_headers.insert(http::header::USER_AGENT, value);
            }
            None => {
                self.default_headers.remove(http::header::USER_AGENT);
            }
        }
        self
    }

    /// The default fields as the core takes them, in one block.
    pub(crate) fn default_fields(&self) -> Result<Vec<(http::HeaderName, pipelining::h1::Header)>, crate::Error> {
        let mut fields = Vec::with_capacity(self.default_headers.len());
        for (name, value) in &self.default_headers {
            let field = pipelining::h1::Header::new(
                bytes::Bytes::copy_from_slice(name.as_str().as_bytes()),
                bytes::Bytes::copy_from_slice(value.as_bytes()),
            );
            fields.push((name.clone(), field));
        }
        Ok(fields)
    }

    /// The pool settings so far.
    pub fn pool_config(&self) -> &PoolConfig {
        &self.pool
    }

    /// Builds the client (for tokio: inside a runtime).
    pub fn build(self) -> Result<Client<G>, crate::Error> {
        Client::from_builder(self)
    }

    /// The runtime, transports and pool settings every client protocol
    /// shares.
    pub(crate) fn engine_config(&self) -> Result<EngineConfig, crate::Error> {
        self.pool
            .validate()
            .map_err(|e| crate::Error::new(pipelining::ErrorKind::InvalidRequest, format!("configuration: {e}")))?;
        let connector = match self.connector.clone() {
            Some(connector) => connector,
            None => G::connector(crate::tls::client_config_with(&self.roots, self.client_certificate.as_ref())?),
        };
        let connector = self.proxied(connector)?;
        Ok(EngineConfig {
            pool: self.pool,
            runtime: G::runtime(),
            connector,
            observer: self.observer.clone(),
            dispatch: self.dispatch,
            request_timeout: self.request_timeout.map(Duration::from),
        })
    }
}
