//! A client for protocols whose responses are single messages (DNS over
//! TCP, Redis): each request resolves to its whole response.

use crate::Error;
use crate::config::{Builder, Glue};
use crate::engine::{CodecOf, Delivery, Handle, Protocol, RequestGuard, SendCodec, Shared, Written};
use futures_channel::oneshot;
use pipelining::pipeline::Codec;
use pipelining::{CodecFactory, ErrorKind, Idempotency, Origin, OriginStatus, RequestOptions};
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

/// A response with how it was obtained.
#[derive(Debug, Clone)]
pub struct Reply<R> {
    /// The response.
    pub response: R,
    /// How many times the request was written, fully or partly.
    pub attempts: u32,
    /// Where and when its last byte was written.
    pub written: Option<Written>,
}

type Outcome<F> = Result<Reply<<<F as CodecFactory>::Codec as Codec>::Response>, Error>;

/// Whole responses to a waiting future.
pub(crate) struct Messages<F>(PhantomData<fn() -> F>);

impl<F> Protocol for Messages<F>
where
    F: CodecFactory<Codec: SendCodec> + Send + 'static,
{
    type Factory = F;
    type Sink = Option<oneshot::Sender<Outcome<F>>>;

    fn deliver(sink: &mut Self::Sink, delivery: Delivery<CodecOf<Self>>, written: Option<Written>) {
        let outcome = match delivery {
            Delivery::Complete { response, attempts } => Ok(Reply { response, attempts, written }),
            Delivery::Failed(error) => Err(error),
            // Requests are submitted in whole-response mode: parts never come.
            Delivery::Part { .. } => return,
        };
        if let Some(tx) = sink.take() {
            let _ = tx.send(outcome);
        }
    }
}

/// A pipelining client for a message protocol, over any codec factory.
///
/// Requests to one origin are pipelined like HTTP requests; each resolves
/// to its whole response ([`Reply`]). Dropping the future cancels the
/// request.
pub struct MessageClient<G: Glue, F: CodecFactory<Codec: SendCodec> + Send + 'static> {
    handle: Arc<Handle<Messages<F>>>,
    glue: PhantomData<G>,
}

impl<G: Glue, F: CodecFactory<Codec: SendCodec> + Send + 'static> Clone for MessageClient<G, F> {
    fn clone(&self) -> Self {
        MessageClient { handle: self.handle.clone(), glue: PhantomData }
    }
}

impl<G: Glue, F: CodecFactory<Codec: SendCodec> + Send + 'static> std::fmt::Debug for MessageClient<G, F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MessageClient")
    }
}

impl<G: Glue, F: CodecFactory<Codec: SendCodec> + Send + 'static> MessageClient<G, F> {
    /// A client with `builder`'s settings, making codecs with `factory`
    /// (for tokio: call inside a runtime).
    pub fn new(builder: Builder<G>, factory: F) -> Result<Self, Error> {
        let shared = Shared::start(factory, builder.engine_config()?)?;
        Ok(MessageClient { handle: Arc::new(Handle { shared }), glue: PhantomData })
    }

    /// Sends `request` to `origin`; queued at once, in call order.
    pub fn request(
        &self,
        origin: &Origin,
        request: <F::Codec as Codec>::Request,
        idempotency: Idempotency,
    ) -> MessageFuture<F> {
        let shared = &self.handle.shared;
        let (tx, rx) = oneshot::channel();
        let options = RequestOptions::default().idempotency(idempotency).whole();
        let ticket = shared.submit(origin.clone(), request, options, Some(tx));
        MessageFuture { rx, guard: Some(RequestGuard::new(shared.clone(), ticket)) }
    }

    /// What the client knows of an origin.
    pub fn origin_status(&self, origin: &Origin) -> Option<OriginStatus> {
        let shared = &self.handle.shared;
        let state = shared.lock();
        state.pool.origin_status(origin, shared.clock.now())
    }
}

/// The reply to a [`MessageClient::request`]. Dropping it cancels the
/// request.
pub struct MessageFuture<F: CodecFactory<Codec: SendCodec> + Send + 'static> {
    rx: oneshot::Receiver<Outcome<F>>,
    guard: Option<RequestGuard<Messages<F>>>,
}

impl<F: CodecFactory<Codec: SendCodec> + Send + 'static> std::fmt::Debug for MessageFuture<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MessageFuture")
    }
}

impl<F: CodecFactory<Codec: SendCodec> + Send + 'static> Future for MessageFuture<F> {
    type Output = Outcome<F>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let result = match Pin::new(&mut this.rx).poll(cx) {
            Poll::Pending => return Poll::Pending,
            Poll::Ready(result) => result,
        };
        if let Some(mut guard) = this.guard.take() {
            guard.finished();
        }
        Poll::Ready(result.unwrap_or_else(|_| Err(Error::new(ErrorKind::ConnectionLost, "the client shut down"))))
    }
}
