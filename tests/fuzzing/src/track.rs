//! Checks on the stream of parts one request receives: wire order, framing
//! consistency, and that an honest server's answer reached the request that
//! asked for it.

use crate::script::{Submission, target_of};
use pipelining::h1::{Framing, Response, ResponseHead, ResponsePart};

/// Where a request's response stands.
#[derive(Debug, Default)]
pub(crate) struct ResponseTrack {
    head: Option<ResponseHead>,
    body: Vec<u8>,
    trailers: bool,
    /// Interim responses seen before the final head.
    interims: usize,
}

impl ResponseTrack {
    /// One streamed part; at the last one, the whole response.
    pub(crate) fn part(&mut self, part: &ResponsePart, end: bool) -> Option<(ResponseHead, Vec<u8>)> {
        assert_eq!(end, matches!(part, ResponsePart::End), "`end` must mark exactly the End part: {part:?}");
        match part {
            ResponsePart::Interim(head) => {
                assert!(self.head.is_none(), "interim response after the final head");
                assert!(head.is_interim(), "an Interim part with status {}", head.status);
                self.interims += 1;
            }
            ResponsePart::Head(head) => {
                assert!(self.head.is_none(), "a second final head");
                assert!(!head.is_interim(), "a final head with status {}", head.status);
                self.head = Some((**head).clone());
            }
            ResponsePart::Data(data) => {
                let head = self.head.as_ref().expect("content before the head");
                assert!(!self.trailers, "content after trailers");
                assert!(!data.is_empty(), "an empty Data part");
                assert!(
                    matches!(head.framing, Framing::Length(_) | Framing::Chunked | Framing::UntilClose),
                    "content in a {:?} response",
                    head.framing
                );
                self.body.extend_from_slice(data);
                if let Framing::Length(n) = head.framing {
                    assert!(self.body.len() as u64 <= n, "more content than Content-Length {n}");
                }
            }
            ResponsePart::Trailers(_) => {
                let head = self.head.as_ref().expect("trailers before the head");
                assert_eq!(head.framing, Framing::Chunked, "trailers without chunked framing");
                assert!(!self.trailers, "two trailer sections");
                self.trailers = true;
            }
            ResponsePart::End => {
                let head = self.head.take().expect("End before the head");
                check_framing(&head, &self.body);
                let body = core::mem::take(&mut self.body);
                *self = ResponseTrack::default();
                return Some((head, body));
            }
        }
        None
    }
}

/// The content agrees with the framing the head announced (RFC 9112 §6.3).
pub(crate) fn check_framing(head: &ResponseHead, body: &[u8]) {
    match head.framing {
        Framing::Length(n) => assert_eq!(body.len() as u64, n, "content of a Content-Length: {n} response"),
        Framing::Empty | Framing::Tunnel => assert!(body.is_empty(), "content in a {:?} response", head.framing),
        Framing::Chunked | Framing::UntilClose => {}
    }
}

/// A whole response agrees with its own framing.
pub(crate) fn check_whole(response: &Response) {
    check_framing(&response.head, &response.body);
    assert!(!response.head.is_interim(), "a whole response with an interim head");
    if !response.trailers.is_empty() {
        assert_eq!(response.head.framing, Framing::Chunked, "trailers without chunked framing");
    }
}

/// A head from an honest server names the request it answers.
pub(crate) fn check_head_target(head: &ResponseHead, idx: usize) {
    let target = target_of(idx);
    assert_eq!(
        head.header("x-target"),
        Some(target.as_bytes()),
        "the response to request {idx} was handed another's (status {})",
        head.status
    );
}

/// A complete response from an honest server is the one it sent for `idx`.
pub(crate) fn check_answer(sub: &Submission, idx: usize, head: &ResponseHead, body: &[u8]) {
    check_head_target(head, idx);
    let (status, expected) = sub.expected(idx);
    assert_eq!(head.status, status, "status of the response to request {idx}");
    assert_eq!(body, &expected[..], "content of the response to request {idx}");
}
