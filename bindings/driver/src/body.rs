//! Response bodies: streamed from the engine as the reader asks, or handed
//! over whole.

use crate::engine::Ticket;
use crate::{Error, convert};
use bytes::{Bytes, BytesMut};
use futures_core::Stream;
use pipelining::dispatch::Delivery;
use pipelining::h1::{H1Factory, Header, ResponsePart};
use std::pin::Pin;
use std::task::{Context, Poll};

enum Source {
    /// Pulled from the engine: content waits there, bounded, and the
    /// connection is not read while too much of it waits.
    Streaming(Option<Ticket<H1Factory>>),
    /// Buffered whole already (whole-response mode).
    Complete(Option<Bytes>),
}

/// A response body, streamed as it arrives.
///
/// The content waits in the client, at most the builder's `body_buffer`
/// bytes of it: while more waits, the connection is not read (and its stall
/// timer does not run), so a slow reader costs bounded memory. Dropping the
/// body before its end cancels the request (`docs/DESIGN.md` P9): the rest
/// is read and dropped if small, or the connection is closed and the other
/// requests on it are resent.
pub struct Body {
    source: Source,
    /// Boxed: most responses have none, and bodies move.
    trailers: Option<Box<http::HeaderMap>>,
    finished_at: Option<std::time::Instant>,
    done: bool,
    /// The trailers were handed out as a frame (`http_body::Body`).
    trailers_framed: bool,
}

impl std::fmt::Debug for Body {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Body").field("done", &self.done).finish_non_exhaustive()
    }
}

impl Body {
    pub(crate) fn streaming(ticket: Option<Ticket<H1Factory>>) -> Self {
        Body {
            source: Source::Streaming(ticket),
            trailers: None,
            finished_at: None,
            done: false,
            trailers_framed: false,
        }
    }

    pub(crate) fn complete(data: Bytes, trailers: Vec<Header>, finished_at: Option<std::time::Instant>) -> Self {
        let trailers = (!trailers.is_empty()).then(|| {
            let mut map = http::HeaderMap::new();
            // Trailers that fail conversion were already checked by the core.
            let _ = convert::append_headers(&mut map, &trailers);
            Box::new(map)
        });
        let data = (!data.is_empty()).then_some(data);
        Body { source: Source::Complete(data), trailers, finished_at, done: false, trailers_framed: false }
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
        self.trailers.as_deref()
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
            let ticket = match &mut this.source {
                Source::Complete(data) => {
                    return match data.take() {
                        Some(data) => Poll::Ready(Some(Ok(data))),
                        None => {
                            this.done = true;
                            Poll::Ready(None)
                        }
                    };
                }
                Source::Streaming(None) => {
                    this.done = true;
                    return Poll::Ready(None);
                }
                // The ticket finished with the last item taken (its end came
                // with it): nothing more to ask.
                Source::Streaming(Some(ticket)) if ticket.is_done() => {
                    this.done = true;
                    return Poll::Ready(None);
                }
                Source::Streaming(Some(ticket)) => ticket,
            };
            let item = match ticket.poll_item(cx.waker()) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Err(error)) => {
                    this.done = true;
                    return Poll::Ready(Some(Err(error)));
                }
                Poll::Ready(Ok(item)) => item,
            };
            if item.then_end {
                this.finished_at = item.ended_at;
                this.done = true;
            }
            if let Some(last) = item.then {
                // Content, then the last part (trailers) and the end.
                if let ResponsePart::Trailers(fields) = last {
                    let mut map = http::HeaderMap::new();
                    if let Err(error) = convert::append_headers(&mut map, &fields) {
                        return Poll::Ready(Some(Err(error)));
                    }
                    this.trailers = Some(Box::new(map));
                } else if let ResponsePart::Data(data) = last {
                    // Two pieces of content at once: keep the second.
                    this.source = Source::Complete(Some(data));
                    this.done = false;
                }
            }
            match item.delivery {
                Delivery::Part(ResponsePart::Data(data)) => return Poll::Ready(Some(Ok(data))),
                Delivery::Part(ResponsePart::Trailers(fields)) => {
                    let mut map = http::HeaderMap::new();
                    if let Err(error) = convert::append_headers(&mut map, &fields) {
                        this.done = true;
                        return Poll::Ready(Some(Err(error)));
                    }
                    this.trailers = Some(Box::new(map));
                }
                Delivery::Part(_) => {}
                Delivery::End | Delivery::Complete(_) => {
                    this.finished_at = item.ended_at;
                    this.done = true;
                }
                Delivery::Failed(error) => {
                    this.done = true;
                    return Poll::Ready(Some(Err(Error::from(error))));
                }
            }
        }
    }
}

/// The body as an [`http_body::Body`]: content frames as they come, then
/// the trailers (chunked responses only) as a last frame — what tower and
/// tower-http layers consume.
impl http_body::Body for Body {
    type Data = Bytes;
    type Error = Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Self::Data>, Self::Error>>> {
        let this = self.get_mut();
        match Stream::poll_next(Pin::new(this), cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(Some(Ok(data))) => Poll::Ready(Some(Ok(http_body::Frame::data(data)))),
            Poll::Ready(Some(Err(error))) => Poll::Ready(Some(Err(error))),
            Poll::Ready(None) => {
                if this.trailers_framed {
                    return Poll::Ready(None);
                }
                this.trailers_framed = true;
                match this.trailers.as_deref() {
                    Some(trailers) => Poll::Ready(Some(Ok(http_body::Frame::trailers(trailers.clone())))),
                    None => Poll::Ready(None),
                }
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.done && (self.trailers_framed || self.trailers.is_none())
    }

    fn size_hint(&self) -> http_body::SizeHint {
        match &self.source {
            Source::Complete(data) if self.trailers.is_none() => {
                http_body::SizeHint::with_exact(data.as_ref().map_or(0, |d| d.len() as u64))
            }
            _ => http_body::SizeHint::default(),
        }
    }
}
