//! The HTTP client: streaming responses over the engine.

use crate::body::{Body, BodyItem};
use crate::config::{Builder, Glue};
use crate::engine::{Delivery, Handle, Protocol, RequestGuard, Shared, Written};
use crate::{Error, convert};
use bytes::Bytes;
use futures_channel::{mpsc, oneshot};
use pipelining::h1::{H1Codec, H1Factory, ResponsePart};
use pipelining::{ErrorKind, Idempotency, Origin, OriginStatus, RequestOptions};
use std::marker::PhantomData;
use std::sync::Arc;

/// How many times a request was written, fully or partly (docs/DESIGN.md C1's
/// `attempts`), found in a response's extensions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Attempts(pub u32);

/// Put in a request's extensions to have the response buffered whole (up
/// to the 64 MiB content limit) before `send` resolves.
///
/// A streamed response whose connection is lost after part of it was handed
/// over fails (`connection_lost`): delivered bytes cannot be taken back. A
/// whole response is not handed over until complete, so an idempotent
/// request whose response was cut off is replayed instead (docs/DESIGN.md P8).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WholeResponse;

/// A response's head as routed to its waiting `send`.
type HeadResult = Result<(http::Response<()>, u32, Option<Written>), Error>;

/// HTTP/1.1 as a client protocol: heads to the waiting future, content to
/// the body stream.
pub(crate) struct Http;

pub(crate) struct HttpSink {
    head: Option<oneshot::Sender<HeadResult>>,
    body: Option<mpsc::UnboundedSender<BodyItem>>,
}

impl HttpSink {
    fn head(&mut self, head: &pipelining::h1::ResponseHead, attempts: u32, written: Option<Written>) {
        if let Some(tx) = self.head.take() {
            let result = convert::to_http(head)
                .and_then(|builder| builder.body(()).map_err(|e| Error::new(ErrorKind::Protocol, e.to_string())));
            let _ = tx.send(result.map(|r| (r, attempts, written)));
        }
    }

    fn body(&mut self, item: BodyItem) {
        if let Some(tx) = &self.body {
            let _ = tx.unbounded_send(item);
        }
    }

    fn trailers(&mut self, fields: &[pipelining::h1::Header]) {
        let mut map = http::HeaderMap::new();
        let item = match convert::append_headers(&mut map, fields) {
            Ok(()) => BodyItem::Trailers(map),
            Err(e) => BodyItem::Failed(e),
        };
        self.body(item);
    }
}

impl Protocol for Http {
    type Factory = H1Factory;
    type Sink = HttpSink;

    fn deliver(sink: &mut HttpSink, delivery: Delivery<H1Codec>, written: Option<Written>) {
        match delivery {
            Delivery::Part { part, end, attempts } => {
                match part {
                    ResponsePart::Head(head) => sink.head(&head, attempts, written),
                    ResponsePart::Data(data) => sink.body(BodyItem::Data(data)),
                    ResponsePart::Trailers(fields) => sink.trailers(&fields),
                    ResponsePart::Interim(_) | ResponsePart::End => {}
                }
                if end {
                    sink.body(BodyItem::End(std::time::Instant::now()));
                }
            }
            Delivery::Complete { response, attempts } => {
                sink.head(&response.head, attempts, written);
                if !response.body.is_empty() {
                    sink.body(BodyItem::Data(response.body));
                }
                if !response.trailers.is_empty() {
                    sink.trailers(&response.trailers);
                }
                sink.body(BodyItem::End(std::time::Instant::now()));
            }
            Delivery::Failed(error) => match sink.head.take() {
                Some(tx) => {
                    let _ = tx.send(Err(error));
                }
                None => sink.body(BodyItem::Failed(error)),
            },
        }
    }
}

/// A pipelining HTTP/1.1 client.
///
/// Cheap to clone; clones share connections. Requests to one origin are
/// pipelined on up to `connections` connections, `depth` deep on each, and
/// every response is matched to its request. A request whose connection is
/// lost is resent when that is safe (idempotent, or known unprocessed), and
/// otherwise fails with an [`Error`] whose [`kind`](Error::kind) says why.
pub struct Client<G: Glue> {
    handle: Arc<Handle<Http>>,
    glue: PhantomData<G>,
}

impl<G: Glue> Clone for Client<G> {
    fn clone(&self) -> Self {
        Client { handle: self.handle.clone(), glue: PhantomData }
    }
}

impl<G: Glue> std::fmt::Debug for Client<G> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = self.handle.shared.lock();
        f.debug_struct("Client").field("pool", &state.pool).finish()
    }
}

impl<G: Glue> Client<G> {
    /// A builder with the defaults of docs/DESIGN.md.
    pub fn builder() -> Builder<G> {
        Builder::default()
    }

    /// A client with the defaults (for tokio: call inside a runtime).
    pub fn new() -> Result<Self, Error> {
        Builder::default().build()
    }

    pub(crate) fn from_builder(builder: Builder<G>) -> Result<Self, Error> {
        let config = builder.engine_config()?;
        let shared = Shared::start(H1Factory { limits: builder.limits }, config)?;
        Ok(Client { handle: Arc::new(Handle { shared }), glue: PhantomData })
    }

    /// Sends a request; the returned future resolves to the response head,
    /// and the body streams.
    ///
    /// The request is queued at once, so requests are written in the order
    /// `send` is called (per origin), whether or not their futures have been
    /// polled yet. When the origin's submit queue is full the request waits
    /// in line and its future stays pending (backpressure). Dropping the
    /// future (or the response's body) cancels the request (P9). A request
    /// carrying `Idempotency-Key`, or an [`Idempotency`] in its extensions,
    /// is treated as that says; [`WholeResponse`] in its extensions buffers
    /// the response whole.
    pub fn send<B: Into<Bytes>>(&self, request: http::Request<B>) -> ResponseFuture {
        let shared = &self.handle.shared;
        let mut idempotency = request.extensions().get::<Idempotency>().copied().unwrap_or_default();
        if idempotency == Idempotency::ByMethod && request.headers().contains_key("idempotency-key") {
            idempotency = Idempotency::Idempotent;
        }
        let whole = request.extensions().get::<WholeResponse>().is_some();
        let (origin, core) = match convert::to_core(request) {
            Ok(parts) => parts,
            Err(error) => return ResponseFuture { state: FutureState::Failed(Some(error)) },
        };
        let (head_tx, head_rx) = oneshot::channel();
        let (body_tx, body_rx) = mpsc::unbounded();
        let mut options = RequestOptions::default().idempotency(idempotency);
        if whole {
            options = options.whole();
        }
        let sink = HttpSink { head: Some(head_tx), body: Some(body_tx) };
        let ticket = shared.submit(origin, core, options, sink);
        ResponseFuture {
            state: FutureState::Waiting {
                head: head_rx,
                body: Some(body_rx),
                guard: Some(RequestGuard::new(shared.clone(), ticket)),
            },
        }
    }

    /// `GET url`, queued at once like [`send`](Self::send).
    pub fn get(&self, url: &str) -> ResponseFuture {
        match http::Request::get(url).body(Bytes::new()) {
            Ok(request) => self.send(request),
            Err(e) => ResponseFuture {
                state: FutureState::Failed(Some(Error::new(ErrorKind::InvalidRequest, e.to_string()))),
            },
        }
    }

    /// What the client knows of an origin (capability, demotion, budget).
    pub fn origin_status(&self, origin: &Origin) -> Option<OriginStatus> {
        let shared = &self.handle.shared;
        let state = shared.lock();
        state.pool.origin_status(origin, shared.clock.now())
    }

    /// Every origin the client knows: in use, or idle and remembered.
    pub fn origins(&self) -> Vec<Origin> {
        self.handle.shared.lock().pool.origins().cloned().collect()
    }

    /// Changes how many requests each connection keeps in flight, from now
    /// on (requests already written stay). Zero is refused.
    pub fn set_depth(&self, depth: usize) -> Result<(), Error> {
        self.handle.shared.set_depth(depth)
    }
}

enum FutureState {
    Failed(Option<Error>),
    Waiting {
        head: oneshot::Receiver<HeadResult>,
        body: Option<mpsc::UnboundedReceiver<BodyItem>>,
        guard: Option<RequestGuard<Http>>,
    },
}

/// The response to a [`Client::send`]: resolves to the head, with the body
/// streaming behind it. Dropping it cancels the request.
pub struct ResponseFuture {
    state: FutureState,
}

impl std::fmt::Debug for ResponseFuture {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ResponseFuture")
    }
}

impl std::future::Future for ResponseFuture {
    type Output = Result<http::Response<Body>, Error>;

    fn poll(self: std::pin::Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> std::task::Poll<Self::Output> {
        use std::task::Poll;
        let this = self.get_mut();
        match &mut this.state {
            FutureState::Failed(error) => Poll::Ready(Err(error
                .take()
                .unwrap_or_else(|| Error::new(ErrorKind::InvalidRequest, "response future polled after completion")))),
            FutureState::Waiting { head, body, guard } => {
                let result = match std::pin::Pin::new(head).poll(cx) {
                    Poll::Pending => return Poll::Pending,
                    Poll::Ready(result) => result,
                };
                let mut guard = guard.take();
                let outcome = match (result, body.take(), guard.take()) {
                    (Ok(Ok((response, attempts, written))), Some(body), Some(guard)) => {
                        let (mut parts, ()) = response.into_parts();
                        parts.extensions.insert(Attempts(attempts));
                        if let Some(written) = written {
                            parts.extensions.insert(written);
                        }
                        Ok(http::Response::from_parts(parts, Body::new(body, guard)))
                    }
                    (Ok(Err(error)), _, mut guard) => {
                        if let Some(g) = &mut guard {
                            g.finished();
                        }
                        Err(error)
                    }
                    (_, _, mut guard) => {
                        if let Some(g) = &mut guard {
                            g.finished();
                        }
                        Err(Error::new(ErrorKind::ConnectionLost, "the client shut down"))
                    }
                };
                this.state = FutureState::Failed(None);
                Poll::Ready(outcome)
            }
        }
    }
}
