//! A client for protocols whose responses are single messages (DNS over
//! TCP, Redis): each request resolves to its whole response.

use crate::Error;
use crate::config::{Builder, Glue};
use crate::engine::{Handle, SendFactory, Shared, Ticket, Written};
use pipelining::dispatch::Delivery;
use pipelining::pipeline::Codec;
use pipelining::{ErrorKind, Idempotency, Origin, OriginStatus, RequestOptions};
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

type Outcome<F> = Result<Reply<<<F as pipelining::CodecFactory>::Codec as Codec>::Response>, Error>;

/// A pipelining client for a message protocol, over any codec factory.
///
/// Requests to one origin are pipelined like HTTP requests; each resolves
/// to its whole response ([`Reply`]). Dropping the future cancels the
/// request.
pub struct MessageClient<G: Glue, F: SendFactory> {
    handle: Arc<Handle<F>>,
    glue: PhantomData<G>,
}

impl<G: Glue, F: SendFactory> Clone for MessageClient<G, F> {
    fn clone(&self) -> Self {
        MessageClient { handle: self.handle.clone(), glue: PhantomData }
    }
}

impl<G: Glue, F: SendFactory> std::fmt::Debug for MessageClient<G, F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MessageClient")
    }
}

impl<G: Glue, F: SendFactory> MessageClient<G, F> {
    /// A client with `builder`'s settings, making codecs with `factory`
    /// (for tokio: call inside a runtime).
    pub fn new(builder: Builder<G>, factory: F) -> Result<Self, Error> {
        let shared = Shared::start(factory, builder.engine_config()?)?;
        Ok(MessageClient { handle: Arc::new(Handle { shared }), glue: PhantomData })
    }

    /// Sends `request` to `origin`; queued at once, in call order (or, when
    /// the origin's queue is full, waiting for room first come first
    /// served).
    pub fn request(
        &self,
        origin: &Origin,
        request: <F::Codec as Codec>::Request,
        idempotency: Idempotency,
    ) -> MessageFuture<F> {
        let options = RequestOptions::default().idempotency(idempotency).whole();
        match Ticket::submit(&self.handle.shared, origin.borrowed(), request, options, None) {
            Ok(ticket) => MessageFuture { ticket: Some(ticket), failed: None },
            Err(error) => MessageFuture { ticket: None, failed: Some(error) },
        }
    }

    /// The engine behind it (a Redis subscriber takes its messages there).
    pub(crate) fn shared(&self) -> &Arc<Shared<F>> {
        &self.handle.shared
    }

    /// What the client knows of an origin.
    pub fn origin_status(&self, origin: &Origin) -> Option<OriginStatus> {
        let shared = &self.handle.shared;
        let state = shared.lock();
        state.dispatcher.pool().origin_status(origin, shared.clock.now())
    }

    /// Changes how many requests each connection keeps in flight, from now
    /// on. Zero is refused.
    pub fn set_depth(&self, depth: usize) -> Result<(), Error> {
        self.handle.shared.set_depth(depth)
    }

    /// Closes the client gracefully: requests sent from now on fail,
    /// those already sent finish, then every connection closes.
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

/// The reply to a [`MessageClient::request`]. Dropping it cancels the
/// request.
pub struct MessageFuture<F: SendFactory> {
    ticket: Option<Ticket<F>>,
    failed: Option<Error>,
}

impl<F: SendFactory> std::fmt::Debug for MessageFuture<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MessageFuture").field("ticket", &self.ticket).finish()
    }
}

impl<F: SendFactory> Future for MessageFuture<F> {
    type Output = Outcome<F>;

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
            match item.delivery {
                Delivery::Complete(response) => {
                    return Poll::Ready(Ok(Reply { response, attempts: item.attempts, written: item.written }));
                }
                Delivery::Failed(error) => return Poll::Ready(Err(Error::from(error))),
                // Requests go in whole-response mode: only interim parts
                // could come this way, and they answer nothing.
                Delivery::Part(_) | Delivery::End => {}
            }
        }
    }
}
