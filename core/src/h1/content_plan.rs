//! How a request's content goes out: whole with the head, or streamed a
//! piece at a time after it (`docs/DESIGN.md` P5, P8). One decision for
//! every driver, so the same body is sent the same way from Rust and from
//! JavaScript.

use super::{Content, Header, Request};

/// Content of exactly known size up to this many bytes, all of it at hand
/// when the request is submitted, is sent whole with the head: the request
/// can then be replayed like any other.
pub const COLLECT_AT_MOST: u64 = 64 * 1024;

/// Streamed content of at least this many bytes, or of unknown size, is
/// sent with `Expect: 100-continue` (RFC 9110 §10.1.1), as curl does: the
/// server can refuse it before it is sent.
pub const EXPECT_CONTINUE_FROM: u64 = 1024 * 1024;

/// How one request's content is sent.
///
/// ```
/// use pipelining::h1::{Content, ContentPlan, Request};
///
/// assert_eq!(ContentPlan::of(Some(10), true), ContentPlan::Whole);
/// let plan = ContentPlan::of(None, false);
/// assert_eq!(plan, ContentPlan::Streamed { length: None, expect_continue: true });
/// let mut request = Request::get("/upload");
/// plan.apply(&mut request);
/// assert_eq!(request.body, Content::Streamed { length: None });
/// assert!(request.headers.iter().any(|h| h.is("expect")));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ContentPlan {
    /// With the head, under `Content-Length` ([`Content::Full`]).
    Whole,
    /// After the head, a piece at a time ([`Content::Streamed`]): written
    /// alone and never resent once any of it was written.
    Streamed {
        /// The exact length, if known (`Content-Length`; chunked when not).
        length: Option<u64>,
        /// Whether it waits for the server's `100 Continue` first.
        expect_continue: bool,
    },
}

impl ContentPlan {
    /// The plan for content of `length` bytes (`None`: unknown) that is
    /// all at hand now (`ready`: bytes in memory) or arrives over time (a
    /// stream, whatever its size).
    pub fn of(length: Option<u64>, ready: bool) -> ContentPlan {
        match length {
            Some(n) if ready && n <= COLLECT_AT_MOST => ContentPlan::Whole,
            _ => ContentPlan::Streamed { length, expect_continue: length.is_none_or(|n| n >= EXPECT_CONTINUE_FROM) },
        }
    }

    /// Makes `request`'s content streamed when the plan says so, with
    /// `Expect: 100-continue` unless the request has an `Expect` field of
    /// its own; a whole plan leaves the request as it is.
    pub fn apply(self, request: &mut Request) {
        if let ContentPlan::Streamed { length, expect_continue } = self {
            request.body = Content::Streamed { length };
            if expect_continue && !request.headers.iter().any(|h| h.is("expect")) {
                request.headers.push(Header::new(&b"expect"[..], &b"100-continue"[..]));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_content_at_hand_goes_whole_everything_else_streams() {
        assert_eq!(ContentPlan::of(Some(0), true), ContentPlan::Whole);
        assert_eq!(ContentPlan::of(Some(COLLECT_AT_MOST), true), ContentPlan::Whole);
        let just_over = ContentPlan::of(Some(COLLECT_AT_MOST + 1), true);
        assert_eq!(just_over, ContentPlan::Streamed { length: Some(COLLECT_AT_MOST + 1), expect_continue: false });
        // A stream is streamed whatever its size: its data is not at hand.
        assert_eq!(ContentPlan::of(Some(5), false), ContentPlan::Streamed { length: Some(5), expect_continue: false });
    }

    #[test]
    fn large_or_unsized_streams_expect_continue() {
        let at = ContentPlan::of(Some(EXPECT_CONTINUE_FROM), true);
        assert_eq!(at, ContentPlan::Streamed { length: Some(EXPECT_CONTINUE_FROM), expect_continue: true });
        let below = ContentPlan::of(Some(EXPECT_CONTINUE_FROM - 1), false);
        assert_eq!(below, ContentPlan::Streamed { length: Some(EXPECT_CONTINUE_FROM - 1), expect_continue: false });
        assert_eq!(ContentPlan::of(None, false), ContentPlan::Streamed { length: None, expect_continue: true });
        assert_eq!(ContentPlan::of(None, true), ContentPlan::Streamed { length: None, expect_continue: true });
    }

    #[test]
    fn applying_sets_the_content_and_keeps_a_callers_expect() {
        let mut whole = Request::get("/").with_body("abc");
        ContentPlan::Whole.apply(&mut whole);
        assert_eq!(whole, Request::get("/").with_body("abc"));
        let mut quiet = Request::get("/");
        ContentPlan::of(Some(COLLECT_AT_MOST + 1), true).apply(&mut quiet);
        assert_eq!(quiet.body, Content::Streamed { length: Some(COLLECT_AT_MOST + 1) });
        assert!(quiet.headers.is_empty());
        let mut own = Request::get("/").with_header("Expect", "100-continue");
        ContentPlan::of(None, false).apply(&mut own);
        assert_eq!(own.headers, [Header::new("Expect", "100-continue")]);
    }
}
