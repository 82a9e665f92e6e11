//! A whole response, for whole-response mode.

use super::{DecodeError, Header, ResponseHead};
use alloc::boxed::Box;
use alloc::vec::Vec;
use bytes::{Bytes, BytesMut};

/// A complete response: head, content and trailers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Response {
    /// The final head (interim responses are reported separately).
    pub head: Box<ResponseHead>,
    /// The content, transfer coding removed.
    pub body: Bytes,
    /// The trailer fields of a chunked response.
    pub trailers: Vec<Header>,
}

/// Gathers the parts of one response, up to the content limit.
#[derive(Debug, Default)]
pub struct ResponseCollector {
    head: Option<Box<ResponseHead>>,
    /// The first piece of content, kept without copying: most bodies arrive
    /// in one piece.
    first: Option<Bytes>,
    rest: BytesMut,
    len: u64,
    trailers: Vec<Header>,
}

impl ResponseCollector {
    pub(crate) fn head(&mut self, head: Box<ResponseHead>) {
        self.head = Some(head);
    }

    pub(crate) fn data(&mut self, data: Bytes, limit: u64) -> Result<(), DecodeError> {
        self.len += data.len() as u64;
        if self.len > limit {
            return Err(DecodeError::BodyTooLarge { limit });
        }
        match &self.first {
            None if self.rest.is_empty() => self.first = Some(data),
            _ => {
                if let Some(first) = self.first.take() {
                    self.rest.extend_from_slice(&first);
                }
                self.rest.extend_from_slice(&data);
            }
        }
        Ok(())
    }

    pub(crate) fn trailers(&mut self, trailers: Vec<Header>) {
        self.trailers = trailers;
    }

    pub(crate) fn finish(self) -> Option<Response> {
        let body = match self.first {
            Some(first) => first,
            None => self.rest.freeze(),
        };
        Some(Response { head: self.head?, body, trailers: self.trailers })
    }
}
