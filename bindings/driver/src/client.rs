//! The HTTP client: requests as tickets in the engine, responses as `http`
//! types with a streaming body.

use crate::body::Body;
use crate::config::{Builder, Glue};
use crate::engine::{Handle, Shared, Ticket, Written};
use crate::request_body::{self, BoxError, Prepared};
use crate::upgrade::OnUpgrade;
use crate::{Error, convert};
use bytes::Bytes;
use pipelining::dispatch::Delivery;
use pipelining::h1::{H1Factory, Header, ResponsePart};
use pipelining::proxy::{self, ProxyConfig};
use pipelining::{ErrorKind, Idempotency, Origin, OriginStatus, RequestOptions};
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

/// How many times a request was written, fully or partly (`docs/DESIGN.md`
/// C1's `attempts`), found in a response's extensions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Attempts(pub u32);

/// Put in a request's extensions to have the response buffered whole (up
/// to the 64 MiB content limit) before `send` resolves.
///
/// A streamed response whose connection is lost after part of it was handed
/// over fails (`connection_lost`): delivered bytes cannot be taken back. A
/// whole response is not handed over until complete, so an idempotent
/// request whose response was cut off is replayed instead (`docs/DESIGN.md`
/// P8).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WholeResponse;

/// In a request's extensions: nothing is written behind this request on its
/// connection until its response head has arrived (`docs/DESIGN.md` P13,
/// undici's `blocking`), for a request whose answer may be slow or large.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Blocking;

/// In a request's extensions: the request fails with `timeout` if its
/// response is not complete this long after [`Client::send`] (P10); the
/// builder's `request_timeout` still applies, the earlier one wins.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RequestTimeout(pub std::time::Duration);

/// A pipelining HTTP/1.1 client.
///
/// Cheap to clone; clones share connections. Requests to one origin are
/// pipelined on up to `connections` connections, `depth` deep on each, and
/// every response is matched to its request. A request whose connection is
/// lost is resent when that is safe (idempotent, or known unprocessed), and
/// otherwise fails with an [`Error`] whose [`kind`](Error::kind) says why.
pub struct Client<G: Glue> {
    handle: Arc<Handle<H1Factory>>,
    /// Fields every request gets unless it has its own of that name (the
    /// builder's default headers, `User-Agent`).
    defaults: Arc<[(http::HeaderName, Header)]>,
    /// Where requests go through a proxy; `None` when none does.
    proxies: Option<Arc<ProxyConfig>>,
    glue: PhantomData<G>,
}

impl<G: Glue> Clone for Client<G> {
    fn clone(&self) -> Self {
        Client {
            handle: self.handle.clone(),
            defaults: self.defaults.clone(),
            proxies: self.proxies.clone(),
            glue: PhantomData,
        }
    }
}

impl<G: Glue> std::fmt::Debug for Client<G> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = self.handle.shared.lock();
        f.debug_struct("Client").field("dispatcher", &state.dispatcher).finish()
    }
}

/// What a client holds at one moment ([`Client::load`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Load {
    /// Requests waiting in the origins' queues for a connection (at most
    /// `queue_limit` per origin).
    pub queued: usize,
    /// Requests submitted and not yet ended (queued, or on a connection).
    pub pending: usize,
    /// Requests whose outcome has not been taken to its end (a response
    /// body still being read counts).
    pub outstanding: usize,
    /// Callers waiting for room in a full queue (they hold their requests).
    pub waiting: usize,
    /// Origins known: in use, or idle and remembered.
    pub origins: usize,
    /// Connections open or being opened.
    pub connections: usize,
}

/// A request [`Client::try_send`] could not take now, handed back.
#[derive(Debug)]
pub struct TrySendError<B> {
    /// The request, untouched.
    pub request: http::Request<B>,
    /// Why: `limit` when the origin's queue is full (or others wait for it),
    /// `connection_lost` once the client is closed.
    pub error: Error,
}

impl<G: Glue> Client<G> {
    /// A builder with the defaults of `docs/DESIGN.md`.
    pub fn builder() -> Builder<G> {
        Builder::default()
    }

    /// A client with the defaults (for tokio: call inside a runtime).
    pub fn new() -> Result<Self, Error> {
        Builder::default().build()
    }

    pub(crate) fn from_builder(builder: Builder<G>) -> Result<Self, Error> {
        let config = builder.engine_config()?;
        let defaults = builder.default_fields()?;
        let shared = Shared::start(H1Factory { limits: builder.limits }, config)?;
        Ok(Client {
            handle: Arc::new(Handle { shared }),
            defaults: defaults.into(),
            proxies: builder.proxy.routes(),
            glue: PhantomData,
        })
    }

    /// Sends a request; the returned future resolves to the response head,
    /// and the body streams.
    ///
    /// The request is queued at once, so requests are written in the order
    /// `send` is called (per origin), whether or not their futures have been
    /// polled yet. When the origin's queue is full the future keeps the
    /// request and waits for room, first come first served: nothing sent
    /// later overtakes it (`docs/DESIGN.md` P1, P5). Dropping the future (or
    /// the response's body) cancels the request (P9). A request carrying
    /// `Idempotency-Key`, or an [`Idempotency`] in its extensions, is treated
    /// as that says; [`WholeResponse`] in its extensions buffers the response
    /// whole, [`Blocking`] holds the pipeline behind it, [`RequestTimeout`]
    /// bounds it in time.
    ///
    /// The body is any [`http_body::Body`] (`http_body_util::Full`, `Empty`,
    /// a stream…). One of known size up to 64 KiB whose data is ready at
    /// once is collected and sent with the head, and the request can be
    /// replayed; anything else is streamed (`Content-Length` when its size is
    /// known, chunked when not) while the response is awaited, written
    /// alone, and never resent once any of it was written (lost, it fails
    /// with `may_have_been_processed` when not idempotent and
    /// `connection_lost` otherwise). A streamed body of 1 MiB or more, or of
    /// unknown size, goes with `Expect: 100-continue` and waits for the
    /// server's `100` (or a final response, or 1 s) first (RFC 9110
    /// §10.1.1). Request trailers are not sent.
    pub fn send<B>(&self, request: http::Request<B>) -> ResponseFuture
    where
        B: http_body::Body + Send + 'static,
        B::Data: Send,
        B::Error: Into<BoxError>,
    {
        ResponseFuture { raw: self.send_raw(request) }
    }

    /// Like [`send`](Self::send), resolving to a [`RawResponse`]: the core's
    /// head as it was read, without building an `http` header map.
    pub fn send_raw<B>(&self, request: http::Request<B>) -> RawResponseFuture
    where
        B: http_body::Body + Send + 'static,
        B::Data: Send,
        B::Error: Into<BoxError>,
    {
        let mut options = options_of(&request);
        let (parts, body) = request.into_parts();
        // The origin stays borrowed from the URL: nothing is copied to find
        // it (an owned copy is made only if the request must wait for room).
        let submitted = convert::origin_ref(&parts.uri).and_then(|origin| {
            let content = request_body::prepare(body)?;
            let mut core = convert::core_request(&parts, &content, &self.defaults)?;
            let origin = match self.proxies.as_deref() {
                Some(proxies) => proxies.route(origin, &mut core, &mut options),
                None => origin,
            };
            let upload = match content {
                Prepared::Streamed(upload) => Some(upload),
                Prepared::Whole(_) => None,
            };
            Ticket::submit(&self.handle.shared, origin, core, options, upload)
        });
        let future = match submitted {
            Ok(ticket) => RawResponseFuture::new(Some(ticket), None),
            Err(error) => RawResponseFuture::new(None, Some(error)),
        };
        #[cfg(feature = "tracing")]
        let future = future.in_span(&parts);
        future
    }

    /// Sends a request only if its origin would take it now (room in its
    /// queue, nobody waiting for it); otherwise hands it back untouched (the
    /// shape of hyper's `try_send_request`).
    // The request comes back by value, as hyper's `TrySendError` hands it
    // back: boxing it would cost every caller an allocation to save a move.
    #[allow(clippy::result_large_err)]
    pub fn try_send<B>(&self, request: http::Request<B>) -> Result<ResponseFuture, TrySendError<B>>
    where
        B: http_body::Body + Send + 'static,
        B::Data: Send,
        B::Error: Into<BoxError>,
    {
        let origin = match convert::origin_of(request.uri()) {
            Ok(origin) => origin,
            Err(error) => return Ok(ResponseFuture::failed(error)),
        };
        let shared = &self.handle.shared;
        let via = self.proxies.as_deref().and_then(|proxies| proxies.forwarder_for(origin.borrowed()));
        let mut request = Some(request);
        let mut upload = None;
        let made = shared.submit_if_room(via.map_or(origin.borrowed(), |p| p.origin().borrowed()), || {
            let request = request.take().ok_or_else(|| Error::new(ErrorKind::InvalidRequest, "taken twice"))?;
            let mut options = options_of(&request);
            let (parts, body) = request.into_parts();
            let content = request_body::prepare(body)?;
            let mut core = convert::core_request(&parts, &content, &self.defaults)?;
            if let Some(proxy) = via {
                proxy::forward(proxy, origin.borrowed(), &mut core, &mut options);
            }
            if let Prepared::Streamed(streamed) = content {
                upload = Some(streamed);
            }
            Ok((core, options))
        });
        match (made, request) {
            (Ok(Ok(id)), _) => {
                if let Some(upload) = upload {
                    shared.start_upload(id, upload);
                }
                Ok(ResponseFuture::admitted(Ticket::admitted(shared, id)))
            }
            (Ok(Err(error)), _) => Ok(ResponseFuture::failed(error)),
            (Err(error), Some(request)) => Err(TrySendError { request, error }),
            (Err(error), None) => Ok(ResponseFuture::failed(error)),
        }
    }

    /// `GET url`, queued at once like [`send`](Self::send).
    pub fn get(&self, url: &str) -> ResponseFuture {
        match http::Request::get(url).body(http_body_util::Empty::<Bytes>::new()) {
            Ok(request) => self.send(request),
            Err(e) => ResponseFuture::failed(Error::new(ErrorKind::InvalidRequest, e.to_string())),
        }
    }

    /// What the client knows of an origin (capability, demotion, budget).
    pub fn origin_status(&self, origin: &Origin) -> Option<OriginStatus> {
        let shared = &self.handle.shared;
        let state = shared.lock();
        state.dispatcher.pool().origin_status(origin, shared.clock.now())
    }

    /// How many rescue copies of requests stuck behind a slow head were sent
    /// on another connection so far (`docs/DESIGN.md` P13).
    pub fn rescues(&self) -> u64 {
        self.handle.shared.lock().dispatcher.pool().rescues()
    }

    /// Every origin the client knows: in use, or idle and remembered.
    pub fn origins(&self) -> Vec<Origin> {
        self.handle.shared.lock().dispatcher.pool().origins().cloned().collect()
    }

    /// What the client holds right now: requests waiting in its queues,
    /// requests whose outcome was not taken yet, callers waiting for room,
    /// origins known, open connections.
    pub fn load(&self) -> Load {
        let state = self.handle.shared.lock();
        let pool = state.dispatcher.pool();
        Load {
            queued: pool.queued(),
            pending: pool.pending(),
            outstanding: state.dispatcher.outstanding(),
            waiting: state.dispatcher.waiting(),
            origins: pool.origin_count(),
            connections: state.conns.len(),
        }
    }

    /// Changes how many requests each connection keeps in flight, from now
    /// on (requests already written stay). Zero is refused.
    pub fn set_depth(&self, depth: usize) -> Result<(), Error> {
        self.handle.shared.set_depth(depth)
    }

    /// Closes the client gracefully: requests sent from now on fail
    /// (`connection_lost`), those already sent finish, then every
    /// connection closes. Resolves once all of that is done.
    pub fn close(&self) -> impl Future<Output = ()> + Send + 'static {
        let shared = self.handle.shared.clone();
        shared.shut_down();
        async move {
            loop {
                let listener = shared.finished.listen();
                if shared.is_finished() {
                    return;
                }
                listener.await;
            }
        }
    }
}

/// `Idempotency-Key` (an IETF draft header): a request carrying it may be
/// resent whatever its method.
const IDEMPOTENCY_KEY: http::HeaderName = http::HeaderName::from_static("idempotency-key");

/// The options a request's extensions and headers ask for.
fn options_of<B>(request: &http::Request<B>) -> RequestOptions {
    let mut idempotency = request.extensions().get::<Idempotency>().copied().unwrap_or_default();
    if idempotency == Idempotency::ByMethod && request.headers().contains_key(IDEMPOTENCY_KEY) {
        idempotency = Idempotency::Idempotent;
    }
    let mut options = RequestOptions::default().idempotency(idempotency);
    let extensions = request.extensions();
    if let Some(RequestTimeout(timeout)) = extensions.get::<RequestTimeout>() {
        options = options.timeout(pipelining::Duration::from(*timeout));
    }
    if extensions.get::<WholeResponse>().is_some() {
        options = options.whole();
    }
    if extensions.get::<Blocking>().is_some() {
        options = options.blocking();
    }
    options
}

/// A response as the client received it, before any conversion: the
/// core's zero-copy head (fields are slices of the bytes read), the body,
/// and what is known of the request. [`Client::send_raw`] gives these;
/// [`Client::send`] converts them to `http` types
/// ([`into_http`](Self::into_http)), which costs a header map per response.
#[derive(Debug)]
pub struct RawResponse {
    head: Box<pipelining::h1::ResponseHead>,
    body: Body,
    attempts: u32,
    written: Option<Written>,
    /// Interim (1xx) responses that came before this one.
    interim: Vec<pipelining::h1::ResponseHead>,
    /// The connection, when this response upgraded it.
    upgrade: Option<OnUpgrade>,
}

impl RawResponse {
    /// The status code.
    pub fn status(&self) -> u16 {
        self.head.status
    }

    /// The head: version, status, reason, fields, framing.
    pub fn head(&self) -> &pipelining::h1::ResponseHead {
        &self.head
    }

    /// The value of the first field called `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&[u8]> {
        self.head.header(name)
    }

    /// How many times the request was written, fully or partly (C1).
    pub fn attempts(&self) -> u32 {
        self.attempts
    }

    /// Where and when the request's last byte was written.
    pub fn written(&self) -> Option<Written> {
        self.written
    }

    /// The interim responses (`100 Continue`, `103 Early Hints`, RFC 9110
    /// §15.2) that came before this one, in order.
    pub fn interim(&self) -> &[pipelining::h1::ResponseHead] {
        &self.interim
    }

    /// The connection this response upgraded (`101 Switching Protocols`),
    /// to read and write the new protocol on; resolves to an error if the
    /// response did not upgrade it.
    pub fn upgrade(&mut self) -> OnUpgrade {
        self.upgrade.take().unwrap_or_else(OnUpgrade::none)
    }

    /// The body.
    pub fn body_mut(&mut self) -> &mut Body {
        &mut self.body
    }

    /// The body, giving up the head.
    pub fn into_body(self) -> Body {
        self.body
    }

    /// As an `http` response: [`Attempts`], [`Written`], [`Informational`]
    /// (when interim responses came) and [`OnUpgrade`] (when it upgraded the
    /// connection: [`upgrade::on`](crate::upgrade::on)) in its extensions.
    pub fn into_http(self) -> Result<http::Response<Body>, Error> {
        let RawResponse { head, body, attempts, written, interim, upgrade } = self;
        let mut response =
            convert::to_http(&head)?.body(body).map_err(|e| Error::new(ErrorKind::Protocol, e.to_string()))?;
        let informational = if interim.is_empty() {
            None
        } else {
            let heads: Result<Vec<_>, Error> = interim
                .iter()
                .map(|head| {
                    convert::to_http(head)?.body(()).map_err(|e| Error::new(ErrorKind::Protocol, e.to_string()))
                })
                .collect();
            Some(Informational(heads?))
        };
        let extensions = response.extensions_mut();
        extensions.insert(Attempts(attempts));
        if let Some(written) = written {
            extensions.insert(written);
        }
        if let Some(informational) = informational {
            extensions.insert(informational);
        }
        if let Some(upgrade) = upgrade {
            extensions.insert(upgrade);
        }
        Ok(response)
    }
}

/// The interim (1xx) responses that came before a final one, in order
/// (RFC 9110 §15.2): in the extensions of a response from
/// [`Client::send`].
#[derive(Debug)]
pub struct Informational(pub Vec<http::Response<()>>);

impl Clone for Informational {
    fn clone(&self) -> Self {
        Informational(
            self.0
                .iter()
                .map(|r| {
                    let mut copy = http::Response::new(());
                    *copy.status_mut() = r.status();
                    *copy.version_mut() = r.version();
                    *copy.headers_mut() = r.headers().clone();
                    copy
                })
                .collect(),
        )
    }
}

/// The response to a [`Client::send_raw`]: resolves to the head, with the
/// body streaming behind it. Dropping it cancels the request.
pub struct RawResponseFuture {
    ticket: Option<Ticket<H1Factory>>,
    failed: Option<Error>,
    /// Interim responses so far.
    interim: Vec<pipelining::h1::ResponseHead>,
    /// The request's span (`tracing` feature).
    #[cfg(feature = "tracing")]
    span: tracing::Span,
}

impl std::fmt::Debug for RawResponseFuture {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RawResponseFuture").field("ticket", &self.ticket).finish()
    }
}

impl RawResponseFuture {
    fn new(ticket: Option<Ticket<H1Factory>>, failed: Option<Error>) -> Self {
        RawResponseFuture {
            ticket,
            failed,
            interim: Vec::new(),
            #[cfg(feature = "tracing")]
            span: tracing::Span::current(),
        }
    }

    #[cfg(feature = "tracing")]
    fn in_span(mut self, parts: &http::request::Parts) -> Self {
        self.span = crate::trace::request_span(&parts.method, &parts.uri);
        self
    }
}

impl Future for RawResponseFuture {
    type Output = Result<RawResponse, Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        #[cfg(feature = "tracing")]
        let _entered = this.span.clone().entered();
        if let Some(error) = this.failed.take() {
            return Poll::Ready(Err(error));
        }
        let Some(ticket) = this.ticket.as_mut() else {
            return Poll::Ready(Err(Error::new(ErrorKind::InvalidRequest, "polled after completion")));
        };
        loop {
            let item = match ticket.poll_item(cx.waker()) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Err(error)) => return Poll::Ready(Err(error)),
                Poll::Ready(Ok(item)) => item,
            };
            let upgrade = item.upgrade;
            let (head, body) = match item.delivery {
                // Interim responses do not answer the request: they are
                // kept for the final one.
                Delivery::Part(ResponsePart::Interim(head)) => {
                    this.interim.push(*head);
                    continue;
                }
                // A head whose response ended with it, or with one part
                // more: the body is complete already.
                Delivery::Part(ResponsePart::Head(head)) if item.then_end => {
                    let (data, trailers) = match item.then {
                        Some(ResponsePart::Data(data)) => (data, Vec::new()),
                        Some(ResponsePart::Trailers(fields)) => (Bytes::new(), fields),
                        _ => (Bytes::new(), Vec::new()),
                    };
                    (head, Body::complete(data, trailers, item.ended_at))
                }
                Delivery::Part(ResponsePart::Head(head)) => (head, Body::streaming(this.ticket.take())),
                Delivery::Complete(response) => {
                    let body = Body::complete(response.body, response.trailers, item.ended_at);
                    (response.head, body)
                }
                Delivery::Failed(error) => return Poll::Ready(Err(Error::from(error))),
                other => {
                    return Poll::Ready(Err(Error::new(
                        ErrorKind::Protocol,
                        format!("a response part before its head: {other:?}"),
                    )));
                }
            };
            #[cfg(feature = "tracing")]
            crate::trace::answered(head.status, item.attempts);
            return Poll::Ready(Ok(RawResponse {
                head,
                body,
                attempts: item.attempts,
                written: item.written,
                interim: std::mem::take(&mut this.interim),
                upgrade,
            }));
        }
    }
}

/// The response to a [`Client::send`]: resolves to the head, with the body
/// streaming behind it. Dropping it cancels the request.
#[derive(Debug)]
pub struct ResponseFuture {
    raw: RawResponseFuture,
}

impl Future for ResponseFuture {
    type Output = Result<http::Response<Body>, Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        match Pin::new(&mut this.raw).poll(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(result) => Poll::Ready(result.and_then(RawResponse::into_http)),
        }
    }
}

impl ResponseFuture {
    fn admitted(ticket: Ticket<H1Factory>) -> Self {
        ResponseFuture { raw: RawResponseFuture::new(Some(ticket), None) }
    }

    fn failed(error: Error) -> Self {
        ResponseFuture { raw: RawResponseFuture::new(None, Some(error)) }
    }
}

/// The client as a [`tower_service::Service`], as `reqwest::Client` is: it
/// fits under tower and tower-http layers without an adapter. Cheap to
/// clone, and ready unless closed: a full origin queue is waited on inside
/// the returned future (queues are per origin, and `poll_ready` does not
/// know the request's).
impl<G: Glue, B> tower_service::Service<http::Request<B>> for Client<G>
where
    B: http_body::Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<BoxError>,
{
    type Response = http::Response<Body>;
    type Error = Error;
    type Future = ResponseFuture;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        if self.handle.shared.lock().dispatcher.is_shutting_down() {
            return Poll::Ready(Err(Error::new(ErrorKind::ConnectionLost, "the client is closed")));
        }
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        self.send(request)
    }
}
