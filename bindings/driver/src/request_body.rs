//! A request's content from any `http_body::Body`: collected when small,
//! of known size and all at hand (so the request stays replayable),
//! streamed otherwise (`docs/DESIGN.md` P5, P8). The rule, and whether a
//! streamed content waits for `100 Continue`, is the core's
//! [`ContentPlan`], shared with the JavaScript driver; this module only
//! reads the body to see what of it is at hand.

use crate::Error;
use bytes::{Buf, Bytes, BytesMut};
use http_body_util::BodyExt;
use pipelining::ErrorKind;
use pipelining::h1::ContentPlan;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

pub use pipelining::h1::{COLLECT_AT_MOST, EXPECT_CONTINUE_FROM};

/// An error a request body may fail with.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// A request body being streamed, its frames' data as `Bytes`.
pub(crate) type StreamBody = Pin<Box<dyn http_body::Body<Data = Bytes, Error = BoxError> + Send>>;

/// How a request's content goes.
pub(crate) enum Prepared {
    /// All of it, now.
    Whole(Bytes),
    /// After the head, a piece at a time.
    Streamed(Upload),
}

/// A content to stream: what was read of it already, then the rest.
pub(crate) struct Upload {
    /// How it is streamed (always [`ContentPlan::Streamed`]): its exact
    /// length, if known, and whether it waits for `100 Continue`.
    pub(crate) plan: ContentPlan,
    /// Data read while trying to collect it.
    pub(crate) prefix: Bytes,
    pub(crate) rest: StreamBody,
}

/// Decides how `body` is sent, by the core's [`ContentPlan`]: a body of
/// exactly known size up to [`COLLECT_AT_MOST`] whose frames are all ready
/// at once (`Full`, `Empty`, `String`) is collected; anything else streams.
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
    let length = hint.exact();
    // Its size alone may rule collecting out (too large, or unknown): then
    // the plan is the same whether its data is at hand or not.
    if let streamed @ ContentPlan::Streamed { .. } = ContentPlan::of(length, true) {
        return Ok(Prepared::Streamed(Upload { plan: streamed, prefix: Bytes::new(), rest: body }));
    }
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
                let plan = ContentPlan::of(length, false);
                return Ok(Prepared::Streamed(Upload { plan, prefix, rest: body }));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::convert::core_request;
    use http_body::{Frame, SizeHint};
    use http_body_util::Full;
    use pipelining::h1::{Content, Header};

    /// A body whose data never arrives, of the size `exact` claims.
    struct Later {
        exact: Option<u64>,
    }

    impl http_body::Body for Later {
        type Data = Bytes;
        type Error = BoxError;

        fn poll_frame(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
            Poll::Pending
        }

        fn size_hint(&self) -> SizeHint {
            self.exact.map_or_else(SizeHint::new, SizeHint::with_exact)
        }
    }

    fn plan_of(prepared: Prepared) -> ContentPlan {
        match prepared {
            Prepared::Whole(_) => ContentPlan::Whole,
            Prepared::Streamed(upload) => upload.plan,
        }
    }

    #[test]
    fn bodies_go_as_the_cores_plan_says() {
        let small = vec![7u8; COLLECT_AT_MOST as usize];
        assert!(
            matches!(prepare(Full::new(Bytes::from(small))), Ok(Prepared::Whole(b)) if b.len() as u64 == COLLECT_AT_MOST)
        );
        let large = Full::new(Bytes::from(vec![7u8; COLLECT_AT_MOST as usize + 1]));
        for (body, length, ready) in [
            (prepare(large), Some(COLLECT_AT_MOST + 1), true),
            (prepare(Later { exact: Some(5) }), Some(5), false),
            (prepare(Later { exact: Some(EXPECT_CONTINUE_FROM) }), Some(EXPECT_CONTINUE_FROM), false),
            (prepare(Later { exact: None }), None, false),
        ] {
            let plan = plan_of(body.unwrap());
            assert!(matches!(plan, ContentPlan::Streamed { .. }), "{length:?}");
            assert_eq!(plan, ContentPlan::of(length, ready), "{length:?}");
        }
    }

    /// The core's rule, which the driver's own copy did not follow: an
    /// `Expect` field among the builder's defaults counts as the request's,
    /// so a large streamed content does not get a second one (RFC 9110
    /// §10.1.1: `100-continue` is the one expectation; saying it twice
    /// asks nothing more).
    #[test]
    fn expect_continue_is_added_once_whoever_set_it() {
        let expect = || Header::new("expect", "100-continue");
        let request = http::Request::put("http://h/up").body(()).unwrap();
        let (parts, ()) = request.into_parts();
        let unknown_size = || prepare(Later { exact: None }).unwrap();
        let added = core_request(&parts, &unknown_size(), &[]).unwrap();
        assert_eq!(added.headers, [expect()]);
        assert_eq!(added.body, Content::Streamed { length: None });
        let defaults = [(http::header::EXPECT, expect())];
        let by_default = core_request(&parts, &unknown_size(), &defaults).unwrap();
        assert_eq!(by_default.headers, [expect()], "one Expect field, the default's");
        let request = http::Request::put("http://h/up").header("Expect", "100-continue").body(()).unwrap();
        let (parts, ()) = request.into_parts();
        let own = core_request(&parts, &unknown_size(), &defaults).unwrap();
        assert_eq!(own.headers, [expect()], "the request's own field, no default, nothing added");
    }
}
