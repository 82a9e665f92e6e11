//! Streaming response bodies.

use crate::Error;
use crate::client::Http;
use crate::engine::RequestGuard;
use bytes::{Bytes, BytesMut};
use futures_channel::mpsc;
use futures_core::Stream;
use std::pin::Pin;
use std::task::{Context, Poll};

/// One item of a body stream, as routed from the pool.
#[derive(Debug)]
pub(crate) enum BodyItem {
    Data(Bytes),
    Trailers(http::HeaderMap),
    /// The response ended at this instant (when the driver saw its last byte).
    End(std::time::Instant),
    Failed(Error),
}

/// A response body, streamed as it arrives.
///
/// Dropping it before its end cancels the request (docs/DESIGN.md P9): the rest
/// is read and dropped if small, or the connection is closed and the other
/// requests on it are resent.
#[derive(Debug)]
pub struct Body {
    rx: mpsc::UnboundedReceiver<BodyItem>,
    trailers: Option<http::HeaderMap>,
    finished_at: Option<std::time::Instant>,
    done: bool,
    guard: RequestGuard<Http>,
}

impl Body {
    pub(crate) fn new(rx: mpsc::UnboundedReceiver<BodyItem>, guard: RequestGuard<Http>) -> Self {
        Body { rx, trailers: None, finished_at: None, done: false, guard }
    }

    /// The next piece of content; `None` at the end.
    pub async fn chunk(&mut self) -> Option<Result<Bytes, Error>> {
        futures_util::StreamExt::next(self).await
    }

    /// All of the content.
    pub async fn bytes(mut self) -> Result<Bytes, Error> {
        let mut first: Option<Bytes> = None;
        let mut rest = BytesMut::new();
        while let Some(chunk) = self.chunk().await {
            let chunk = chunk?;
            match &first {
                None if rest.is_empty() => first = Some(chunk),
                _ => {
                    if let Some(f) = first.take() {
                        rest.extend_from_slice(&f);
                    }
                    rest.extend_from_slice(&chunk);
                }
            }
        }
        Ok(first.unwrap_or_else(|| rest.freeze()))
    }

    /// The trailer fields, once the body has ended (chunked responses only).
    pub fn trailers(&self) -> Option<&http::HeaderMap> {
        self.trailers.as_ref()
    }

    /// When the response's last byte arrived (once the body has ended):
    /// taken as the driver read it, not when this body was polled.
    pub fn finished_at(&self) -> Option<std::time::Instant> {
        self.finished_at
    }

    /// Whether the body has ended.
    pub fn is_end(&self) -> bool {
        self.done
    }
}

impl Stream for Body {
    type Item = Result<Bytes, Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        loop {
            if this.done {
                return Poll::Ready(None);
            }
            match Pin::new(&mut this.rx).poll_next(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Some(BodyItem::Data(data))) => return Poll::Ready(Some(Ok(data))),
                Poll::Ready(Some(BodyItem::Trailers(map))) => this.trailers = Some(map),
                Poll::Ready(Some(BodyItem::End(at))) => {
                    this.finished_at = Some(at);
                    this.done = true;
                    this.guard.finished();
                }
                Poll::Ready(Some(BodyItem::Failed(e))) => {
                    this.done = true;
                    this.guard.finished();
                    return Poll::Ready(Some(Err(e)));
                }
                Poll::Ready(None) => {
                    // The client went away without an end: a lost connection.
                    this.done = true;
                    this.guard.finished();
                    return Poll::Ready(Some(Err(Error::new(
                        pipelining::ErrorKind::ConnectionLost,
                        "the client shut down mid-body",
                    ))));
                }
            }
        }
    }
}
