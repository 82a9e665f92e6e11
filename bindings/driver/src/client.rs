//! The HTTP client: requests as tickets in the engine, responses as `http`
//! types with a streaming body.

use crate::body::Body;
use crate::config::{Builder, Glue};
use crate::engine::{Handle, Shared, Ticket, Written};
use crate::{Error, convert};
use bytes::Bytes;
use pipelining::dispatch::Delivery;
use pipelining::h1::{H1Factory, ResponsePart};
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

/// A pipelining HTTP/1.1 client.
///
/// Cheap to clone; clones share connections. Requests to one origin are
/// pipelined on up to `connections` connections, `depth` deep on each, and
/// every response is matched to its request. A request whose connection is
/// lost is resent when that is safe (idempotent, or known unprocessed), and
/// otherwise fails with an [`Error`] whose [`kind`](Error::kind) says why.
pub struct Client<G: Glue> {
    handle: Arc<Handle<H1Factory>>,
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
        f.debug_struct("Client").field("dispatcher", &state.dispatcher).finish()
    }
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
        let shared = Shared::start(H1Factory { limits: builder.limits }, config)?;
        Ok(Client { handle: Arc::new(Handle { shared }), glue: PhantomData })
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
    /// whole.
    pub fn send<B: Into<Bytes>>(&self, request: http::Request<B>) -> ResponseFuture {
        match prepare(request) {
            Ok((origin, core, options)) => {
                match Ticket::submit(&self.handle.shared, origin.borrowed(), core, options) {
                    Ok(ticket) => ResponseFuture { ticket: Some(ticket), failed: None },
                    Err(error) => ResponseFuture { ticket: None, failed: Some(error) },
                }
            }
            Err(error) => ResponseFuture { ticket: None, failed: Some(error) },
        }
    }

    /// Sends a request only if its origin would take it now (room in its
    /// queue, nobody waiting for it); otherwise hands it back untouched (the
    /// shape of hyper's `try_send_request`).
    // The request comes back by value, as hyper's `TrySendError` hands it
    // back: boxing it would cost every caller an allocation to save a move.
    #[allow(clippy::result_large_err)]
    pub fn try_send<B: Into<Bytes>>(&self, request: http::Request<B>) -> Result<ResponseFuture, TrySendError<B>> {
        let origin = match convert::origin_of(request.uri()) {
            Ok(origin) => origin,
            Err(error) => return Ok(ResponseFuture { ticket: None, failed: Some(error) }),
        };
        let shared = &self.handle.shared;
        let mut request = Some(request);
        let made = shared.submit_if_room(origin.borrowed(), || {
            let request = request.take().ok_or_else(|| Error::new(ErrorKind::InvalidRequest, "taken twice"))?;
            let (_, core, options) = prepare(request)?;
            Ok((core, options))
        });
        match (made, request) {
            (Ok(Ok(id)), _) => Ok(ResponseFuture { ticket: Some(Ticket::admitted(shared, id)), failed: None }),
            (Ok(Err(error)), _) => Ok(ResponseFuture { ticket: None, failed: Some(error) }),
            (Err(error), Some(request)) => Err(TrySendError { request, error }),
            (Err(error), None) => Ok(ResponseFuture { ticket: None, failed: Some(error) }),
        }
    }

    /// `GET url`, queued at once like [`send`](Self::send).
    pub fn get(&self, url: &str) -> ResponseFuture {
        match http::Request::get(url).body(Bytes::new()) {
            Ok(request) => self.send(request),
            Err(e) => {
                ResponseFuture { ticket: None, failed: Some(Error::new(ErrorKind::InvalidRequest, e.to_string())) }
            }
        }
    }

    /// What the client knows of an origin (capability, demotion, budget).
    pub fn origin_status(&self, origin: &Origin) -> Option<OriginStatus> {
        let shared = &self.handle.shared;
        let state = shared.lock();
        state.dispatcher.pool().origin_status(origin, shared.clock.now())
    }

    /// Every origin the client knows: in use, or idle and remembered.
    pub fn origins(&self) -> Vec<Origin> {
        self.handle.shared.lock().dispatcher.pool().origins().cloned().collect()
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

/// Splits a request into its origin, the core's request and options.
fn prepare<B: Into<Bytes>>(
    request: http::Request<B>,
) -> Result<(Origin, pipelining::h1::Request, RequestOptions), Error> {
    let mut idempotency = request.extensions().get::<Idempotency>().copied().unwrap_or_default();
    if idempotency == Idempotency::ByMethod && request.headers().contains_key("idempotency-key") {
        idempotency = Idempotency::Idempotent;
    }
    let whole = request.extensions().get::<WholeResponse>().is_some();
    let (origin, core) = convert::to_core(request)?;
    let mut options = RequestOptions::default().idempotency(idempotency);
    if whole {
        options = options.whole();
    }
    Ok((origin, core, options))
}

/// The response to a [`Client::send`]: resolves to the head, with the body
/// streaming behind it. Dropping it cancels the request.
pub struct ResponseFuture {
    ticket: Option<Ticket<H1Factory>>,
    failed: Option<Error>,
}

impl std::fmt::Debug for ResponseFuture {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResponseFuture").field("ticket", &self.ticket).finish()
    }
}

impl Future for ResponseFuture {
    type Output = Result<http::Response<Body>, Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
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
            let (head, body) = match item.delivery {
                // Interim responses do not answer the request.
                Delivery::Part(ResponsePart::Interim(_)) => continue,
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
            return Poll::Ready(respond(&head, body, item.attempts, item.written));
        }
    }
}

/// The `http` response for a head, with its body and what is known of the
/// request.
fn respond(
    head: &pipelining::h1::ResponseHead,
    body: Body,
    attempts: u32,
    written: Option<Written>,
) -> Result<http::Response<Body>, Error> {
    let mut response =
        convert::to_http(head)?.body(body).map_err(|e| Error::new(ErrorKind::Protocol, e.to_string()))?;
    let extensions = response.extensions_mut();
    extensions.insert(Attempts(attempts));
    if let Some(written) = written {
        extensions.insert(written);
    }
    Ok(response)
}
