//! Request methods (RFC 9110 §9).

use alloc::string::String;
use core::fmt;

/// An HTTP request method.
///
/// The standard methods are constants; any other token is accepted by
/// [`Method::from_bytes`]. Methods are case-sensitive (RFC 9110 §9.1):
/// `get` is an extension method, not `GET`.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Method(Inner);

#[derive(Clone, PartialEq, Eq, Hash)]
enum Inner {
    Get,
    Head,
    Post,
    Put,
    Delete,
    Connect,
    Options,
    Trace,
    Patch,
    Extension(String),
}

/// A method that is not a `token` (RFC 9110 §9.1, §5.6.2).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid request method")]
pub struct InvalidMethod;

impl Method {
    /// `GET`: safe and idempotent.
    pub const GET: Method = Method(Inner::Get);
    /// `HEAD`: like GET, but the response never has content (RFC 9110 §9.3.2).
    pub const HEAD: Method = Method(Inner::Head);
    /// `POST`: not idempotent.
    pub const POST: Method = Method(Inner::Post);
    /// `PUT`: idempotent.
    pub const PUT: Method = Method(Inner::Put);
    /// `DELETE`: idempotent.
    pub const DELETE: Method = Method(Inner::Delete);
    /// `CONNECT`: a 2xx answer turns the connection into a tunnel.
    pub const CONNECT: Method = Method(Inner::Connect);
    /// `OPTIONS`: safe and idempotent.
    pub const OPTIONS: Method = Method(Inner::Options);
    /// `TRACE`: safe and idempotent.
    pub const TRACE: Method = Method(Inner::Trace);
    /// `PATCH` (RFC 5789): not idempotent.
    pub const PATCH: Method = Method(Inner::Patch);

    /// Parses a method token; standard names map to the constants.
    pub fn from_bytes(bytes: &[u8]) -> Result<Method, InvalidMethod> {
        Ok(Method(match bytes {
            b"GET" => Inner::Get,
            b"HEAD" => Inner::Head,
            b"POST" => Inner::Post,
            b"PUT" => Inner::Put,
            b"DELETE" => Inner::Delete,
            b"CONNECT" => Inner::Connect,
            b"OPTIONS" => Inner::Options,
            b"TRACE" => Inner::Trace,
            b"PATCH" => Inner::Patch,
            other => {
                if other.is_empty() || !other.iter().all(|&b| super::syntax::is_tchar(b)) {
                    return Err(InvalidMethod);
                }
                // Every tchar is ASCII, so this cannot fail; map rather than unwrap.
                let text = core::str::from_utf8(other).map_err(|_| InvalidMethod)?;
                Inner::Extension(String::from(text))
            }
        }))
    }

    /// The method as it goes on the wire.
    pub fn as_str(&self) -> &str {
        match &self.0 {
            Inner::Get => "GET",
            Inner::Head => "HEAD",
            Inner::Post => "POST",
            Inner::Put => "PUT",
            Inner::Delete => "DELETE",
            Inner::Connect => "CONNECT",
            Inner::Options => "OPTIONS",
            Inner::Trace => "TRACE",
            Inner::Patch => "PATCH",
            Inner::Extension(s) => s,
        }
    }

    /// Whether repeating the request has the same effect as sending it once
    /// (RFC 9110 §9.2.2): GET, HEAD, OPTIONS, TRACE, PUT and DELETE.
    ///
    /// Only idempotent requests are ever replayed after a connection is lost
    /// with them written (docs/DESIGN.md P5, P8).
    pub fn is_idempotent(&self) -> bool {
        matches!(self.0, Inner::Get | Inner::Head | Inner::Options | Inner::Trace | Inner::Put | Inner::Delete)
    }

    /// Whether a request with this method is expected to carry content, so an
    /// empty body is announced as `Content-Length: 0` (RFC 9110 §8.6).
    pub fn expects_content(&self) -> bool {
        matches!(self.0, Inner::Post | Inner::Put | Inner::Patch)
    }

    /// `HEAD`: its response has no content whatever its framing headers say.
    pub fn is_head(&self) -> bool {
        self.0 == Inner::Head
    }

    /// `CONNECT`: a 2xx response ends HTTP on the connection.
    pub fn is_connect(&self) -> bool {
        self.0 == Inner::Connect
    }
}

impl fmt::Debug for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl core::str::FromStr for Method {
    type Err = InvalidMethod;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Method::from_bytes(s.as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn idempotent_methods_are_those_of_rfc_9110() {
        for m in ["GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"] {
            assert!(Method::from_bytes(m.as_bytes()).unwrap().is_idempotent(), "{m}");
        }
        for m in ["POST", "PATCH", "CONNECT", "PURGE"] {
            assert!(!Method::from_bytes(m.as_bytes()).unwrap().is_idempotent(), "{m}");
        }
    }

    #[test]
    fn methods_are_case_sensitive_tokens() {
        assert_eq!(Method::from_bytes(b"GET").unwrap(), Method::GET);
        assert_ne!(Method::from_bytes(b"get").unwrap(), Method::GET);
        assert_eq!(Method::from_bytes(b"get").unwrap().as_str(), "get");
        for bad in [&b""[..], b"G ET", b"GET\r\n", b"G\0", b"GET/", b"\xc3\xa9"] {
            assert_eq!(Method::from_bytes(bad), Err(InvalidMethod), "{bad:?}");
        }
    }
}
