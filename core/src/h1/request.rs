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
    /// The content, sent with `Content-Length` framing.
    pub body: Option<Bytes>,
}

impl Request {
    /// A request with no headers and no content.
    pub fn new(method: Method, target: impl Into<Bytes>) -> Self {
        Request { method, target: target.into(), headers: Vec::new(), body: None }
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

    /// Sets the content (builder style).
    #[must_use]
    pub fn with_body(mut self, body: impl Into<Bytes>) -> Self {
        self.body = Some(body.into());
        self
    }
}
