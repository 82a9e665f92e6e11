//! A request's content from any `http_body::Body`: collected when small and
//! of known size (so the request stays replayable), streamed otherwise
//! (`docs/DESIGN.md` P5, P8).

use crate::Error;
use bytes::{Buf, Bytes, BytesMut};
use http_body_util::BodyExt;
use pipelining::ErrorKind;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

/// An error a request body may fail with.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// A request body being streamed, its frames' data as `Bytes`.
pub(crate) type StreamBody = Pin<Box<dyn http_body::Body<Data = Bytes, Error = BoxError> + Send>>;

/// Content of at most this many bytes, of exactly known size, is collected
/// before the request is written: it can then be replayed like any whole
/// request.
pub const COLLECT_AT_MOST: u64 = 64 * 1024;

/// A streamed content of at least this many bytes, or of unknown size, is
/// sent with `Expect: 100-continue` (RFC 9110 §10.1.1), as curl does: the
/// server can refuse it before it is sent.
pub const EXPECT_CONTINUE_FROM: u64 = 1024 * 1024;

/// How a request's content goes.
pub(crate) enum Prepared {
    /// All of it, now.
    Whole(Bytes),
    /// After the head, a piece at a time.
    Streamed(Upload),
}

/// A content to stream: what was read of it already, then the rest.
pub(crate) struct Upload {
    /// Its exact length, if known.
    pub(crate) length: Option<u64>,
    /// Data read while trying to collect it.
    pub(crate) prefix: Bytes,
    pub(crate) rest: StreamBody,
}

impl Upload {
    /// Whether it is sent with `Expect: 100-continue`.
    pub(crate) fn expects_continue(&self) -> bool {
        self.length.is_none_or(|n| n >= EXPECT_CONTINUE_FROM)
    }
}

/// Decides how `body` is sent. A body of exactly known size up to
/// [`COLLECT_AT_MOST`] whose frames are all ready at once (`Full`, `Empty`,
/// `String`) is collected; anything else streams.
pub(crate) fn prepare<B>(body: B) -> Result<Prepared, Error>
where
    B: http_body::Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<BoxError>,
{
    if body.is_end_stream() {
        return Ok(Prepared::Whole(Bytes::new()));
    }
    let hint = body.size_hint();
    let mut body: StreamBody = Box::pin(
        body.map_frame(|frame| frame.map_data(|mut data| data.copy_to_bytes(data.remaining()))).map_err(Into::into),
    );
    let Some(exact) = hint.exact().filter(|&n| n <= COLLECT_AT_MOST) else {
        return Ok(Prepared::Streamed(Upload { length: hint.exact(), prefix: Bytes::new(), rest: body }));
    };
    // Take what is ready without waiting: nothing here may block `send`,
    // which queues the request at once.
    let mut cx = Context::from_waker(Waker::noop());
    let mut first: Option<Bytes> = None;
    let mut more = BytesMut::new();
    loop {
        match body.as_mut().poll_frame(&mut cx) {
            Poll::Ready(None) => {
                let whole = match first {
                    Some(first) if more.is_empty() => first,
                    _ => more.freeze(),
                };
                return Ok(Prepared::Whole(whole));
            }
            // Request trailers are not sent: a whole content goes under
            // Content-Length.
            Poll::Ready(Some(Ok(frame))) => {
                if let Ok(data) = frame.into_data() {
                    match first.take() {
                        None if more.is_empty() => first = Some(data),
                        earlier => {
                            if let Some(earlier) = earlier {
                                more.extend_from_slice(&earlier);
                            }
                            more.extend_from_slice(&data);
                        }
                    }
                }
            }
            Poll::Ready(Some(Err(error))) => {
                return Err(Error::new(ErrorKind::InvalidRequest, format!("the request body failed: {error}")));
            }
            Poll::Pending => {
                let prefix = match first {
                    Some(first) if more.is_empty() => first,
                    _ => more.freeze(),
                };
                return Ok(Prepared::Streamed(Upload { length: Some(exact), prefix, rest: body }));
            }
        }
    }
}
