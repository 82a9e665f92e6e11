//! The request type the HTTP/1.1 codec encodes.

use super::{Header, Method};
use alloc::vec::Vec;
use bytes::Bytes;

/// An HTTP request: method, request-target, header fields and optional
/// content.
///
/// Small and owned, so it can be queued, handed back after a lost connection
/// and replayed elsewhere: cloning it copies only reference counts for the
/// target, header and body bytes. Drivers convert from the `http` crate's
/// request type. Validation happens in [`encode_request`](super::encode_request).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    /// The method; it decides idempotency and how the response is framed.
    pub method: Method,
    /// The request-target as it goes on the request line (RFC 9112 §3.2):
    /// usually origin-form (`/path?query`).
    pub target: Bytes,
    /// Header fields in order. `Host` is added from the connection's origin
    /// when absent; `Content-Length` is added when a body or the method calls
    /// for it.
    pub headers: Vec<Header>,
    /// The content.
    pub body: Content,
}

/// A request's content (RFC 9110 §6.4).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Content {
    /// No content. POST, PUT and PATCH still get `Content-Length: 0`
    /// (RFC 9110 §8.6).
    #[default]
    None,
    /// All of it, written with the head under `Content-Length`. A request
    /// with whole content can be replayed.
    Full(Bytes),
    /// Supplied after the head, a piece at a time
    /// ([`Connection::send_body`](crate::pipeline::Connection::send_body)):
    /// exactly `length` bytes under `Content-Length`, or, when the length is
    /// unknown, chunked (RFC 9112 §7.1). Written alone, and never replayed
    /// once written: a stream cannot be read twice. With `Expect:
    /// 100-continue` among the headers, the content waits for the server's
    /// `100` (RFC 9110 §10.1.1).
    Streamed {
        /// The exact length, if known.
        length: Option<u64>,
    },
}

impl Content {
    /// The whole content's bytes, if it is whole.
    pub fn full(&self) -> Option<&Bytes> {
        match self {
            Content::Full(bytes) => Some(bytes),
            _ => None,
        }
    }
}

impl Request {
    /// A request with no headers and no content.
    pub fn new(method: Method, target: impl Into<Bytes>) -> Self {
        Request { method, target: target.into(), headers: Vec::new(), body: Content::None }
    }

    /// A `GET` for `target`.
    pub fn get(target: impl Into<Bytes>) -> Self {
        Request::new(Method::GET, target)
    }

    /// Adds a header field (builder style).
    #[must_use]
    pub fn with_header(mut self, name: impl Into<Bytes>, value: impl Into<Bytes>) -> Self {
        self.headers.push(Header::new(name, value));
        self
    }

    /// Sets the whole content (builder style).
    #[must_use]
    pub fn with_body(mut self, body: impl Into<Bytes>) -> Self {
        self.body = Content::Full(body.into());
        self
    }

    /// Makes the content streamed: `length` bytes (or, unknown, chunked)
    /// supplied after the head (builder style).
    #[must_use]
    pub fn with_streamed_body(mut self, length: Option<u64>) -> Self {
        self.body = Content::Streamed { length };
        self
    }
}
