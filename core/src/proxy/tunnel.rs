//! The `CONNECT` handshake (RFC 9110 §9.3.6): the request that asks an
//! HTTP proxy for a tunnel to a target, and the reading of its answer. The
//! driver writes [`ConnectHandshake::request`] on a fresh connection to
//! the proxy, feeds what it reads to
//! [`handle_received`](ConnectHandshake::handle_received) until the tunnel
//! is open, and then speaks TLS to the target through it.

use super::Proxy;
use crate::ErrorKind;
use crate::h1::{DecodeError, Limits, Method, ResponseDecoder, ResponsePart};
use crate::origin::OriginRef;
use alloc::string::String;
use alloc::vec::Vec;
use bytes::BytesMut;

/// One `CONNECT` exchange with a proxy.
///
/// ```
/// use bytes::BytesMut;
/// use pipelining::proxy::{ConnectHandshake, Proxy, TunnelState};
/// use pipelining::OriginRef;
///
/// let proxy = Proxy::parse("http://proxy:3128").unwrap();
/// let mut handshake = ConnectHandshake::new(&proxy, OriginRef::new("https", "example.com", 443)).unwrap();
/// assert_eq!(handshake.request(), b"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n");
/// let mut read = BytesMut::from(&b"HTTP/1.1 200 Connection established\r\n"[..]);
/// assert_eq!(handshake.handle_received(&mut read), Ok(TunnelState::Waiting));
/// read.extend_from_slice(b"\r\n");
/// assert_eq!(handshake.handle_received(&mut read), Ok(TunnelState::Open));
/// assert!(read.is_empty(), "bytes after the head belong to the tunnel");
/// ```
#[derive(Clone, Debug)]
pub struct ConnectHandshake {
    request: Vec<u8>,
    decoder: ResponseDecoder,
    open: bool,
}

/// How far a [`ConnectHandshake`] got.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TunnelState {
    /// The proxy's answer is not complete yet: read more.
    Waiting,
    /// The proxy answered 2xx: the connection is now a tunnel to the
    /// target, and bytes left in the read buffer came from the target.
    Open,
}

/// Why a tunnel could not be opened.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TunnelError {
    /// The target's host holds a byte that cannot go on a request line
    /// (space, control, non-ASCII); nothing was written.
    #[error("invalid CONNECT target")]
    InvalidTarget,
    /// The proxy answered with a final status other than 2xx: `403
    /// Forbidden`, `407 Proxy Authentication Required`, `502 Bad Gateway`…
    #[error("refused CONNECT: {status} {reason}")]
    Refused {
        /// The status code.
        status: u16,
        /// The reason phrase, as sent (invalid UTF-8 replaced).
        reason: String,
    },
    /// The proxy closed the connection before its answer was complete.
    #[error("closed the connection before answering CONNECT")]
    Closed,
    /// The proxy's answer is not a valid HTTP/1.1 response head, or it
    /// exceeds a limit.
    #[error("answered CONNECT with an invalid response: {0}")]
    Response(DecodeError),
}

impl TunnelError {
    /// The C5 name of this error: `connect` for the proxy's answers (the
    /// connection to the target could not be made), `invalid_request` for
    /// a target that cannot be written.
    pub fn kind(&self) -> ErrorKind {
        match self {
            TunnelError::InvalidTarget => ErrorKind::InvalidRequest,
            _ => ErrorKind::Connect,
        }
    }
}

impl ConnectHandshake {
    /// The handshake asking `proxy` for a tunnel to `target`'s host and
    /// port, the proxy's response head bounded by the default [`Limits`].
    pub fn new(proxy: &Proxy, target: OriginRef<'_>) -> Result<Self, TunnelError> {
        Self::with_limits(proxy, target, Limits::default())
    }

    /// The same, with the proxy's response head bounded by `limits`.
    pub fn with_limits(proxy: &Proxy, target: OriginRef<'_>, limits: Limits) -> Result<Self, TunnelError> {
        let host = target.host();
        // RFC 9112 §3.2.3: authority-form, the port always given; the Host
        // field carries the same (RFC 9110 §7.2).
        if host.is_empty() || !host.bytes().all(|b| (0x21..0x7f).contains(&b) && !matches!(b, b'[' | b']' | b'/')) {
            return Err(TunnelError::InvalidTarget);
        }
        let authority = if host.contains(':') {
            alloc::format!("[{host}]:{}", target.port())
        } else {
            alloc::format!("{host}:{}", target.port())
        };
        let mut request = Vec::with_capacity(64 + 2 * authority.len());
        request.extend_from_slice(b"CONNECT ");
        request.extend_from_slice(authority.as_bytes());
        request.extend_from_slice(b" HTTP/1.1\r\nHost: ");
        request.extend_from_slice(authority.as_bytes());
        request.extend_from_slice(b"\r\n");
        if let Some(credentials) = proxy.authorization() {
            request.extend_from_slice(b"Proxy-Authorization: ");
            request.extend_from_slice(credentials.as_bytes());
            request.extend_from_slice(b"\r\n");
        }
        request.extend_from_slice(b"\r\n");
        Ok(ConnectHandshake { request, decoder: ResponseDecoder::new(limits), open: false })
    }

    /// The bytes to write to the proxy, all of them, before reading.
    pub fn request(&self) -> &[u8] {
        &self.request
    }

    /// Reads the proxy's answer from the front of `buf`, taking only its
    /// head (and any interim responses before it): once the tunnel is
    /// [`Open`](TunnelState::Open), what remains in `buf` is the target's.
    ///
    /// # Errors
    ///
    /// [`Refused`](TunnelError::Refused) for a final status other than
    /// 2xx; [`Response`](TunnelError::Response) for bytes that are not a
    /// response head. The connection cannot be used after either.
    pub fn handle_received(&mut self, buf: &mut BytesMut) -> Result<TunnelState, TunnelError> {
        if self.open {
            return Ok(TunnelState::Open);
        }
        loop {
            match self.decoder.decode(buf, &Method::CONNECT).map_err(TunnelError::Response)? {
                None => return Ok(TunnelState::Waiting),
                // RFC 9110 §15.2: interim responses before the final one.
                Some(ResponsePart::Interim(_)) => continue,
                Some(ResponsePart::Head(head)) if (200..300).contains(&head.status) => {
                    self.open = true;
                    return Ok(TunnelState::Open);
                }
                Some(ResponsePart::Head(head)) => {
                    return Err(TunnelError::Refused {
                        status: head.status,
                        reason: String::from_utf8_lossy(&head.reason).into_owned(),
                    });
                }
                // The decoder yields a head before anything else.
                Some(_) => return Err(TunnelError::Closed),
            }
        }
    }

    /// The proxy closed the connection: the handshake failed unless the
    /// tunnel was already open.
    pub fn handle_eof(&mut self) -> Result<TunnelState, TunnelError> {
        if self.open { Ok(TunnelState::Open) } else { Err(TunnelError::Closed) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;

    fn handshake(proxy: &str, host: &str, port: u16) -> ConnectHandshake {
        ConnectHandshake::new(&Proxy::parse(proxy).unwrap(), OriginRef::new("https", host, port)).unwrap()
    }

    /// Feeds `answer` whole, byte by byte and split at every offset; each
    /// way must end the same.
    fn answer_every_split(answer: &[u8]) -> (Result<TunnelState, TunnelError>, usize) {
        let whole = {
            let mut h = handshake("proxy:1", "example.com", 443);
            let mut buf = BytesMut::from(answer);
            (h.handle_received(&mut buf), buf.len())
        };
        for split in 0..=answer.len() {
            let mut h = handshake("proxy:1", "example.com", 443);
            let mut buf = BytesMut::from(&answer[..split]);
            let first = h.handle_received(&mut buf);
            let result = match first {
                Ok(TunnelState::Waiting) => {
                    buf.extend_from_slice(&answer[split..]);
                    h.handle_received(&mut buf)
                }
                other => {
                    buf.extend_from_slice(&answer[split..]);
                    other
                }
            };
            assert_eq!((result, buf.len()), whole, "split at {split}");
        }
        let mut h = handshake("proxy:1", "example.com", 443);
        let mut buf = BytesMut::new();
        let mut result = Ok(TunnelState::Waiting);
        for &byte in answer {
            buf.extend_from_slice(&[byte]);
            if result == Ok(TunnelState::Waiting) {
                result = h.handle_received(&mut buf);
            }
        }
        assert_eq!((result, buf.len()), whole, "byte by byte");
        whole
    }

    #[test]
    fn the_request_names_the_target_in_authority_form() {
        let h = handshake("http://proxy:3128", "example.com", 443);
        assert_eq!(h.request(), b"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n");
        let h = handshake("proxy", "::1", 8443);
        assert_eq!(h.request(), b"CONNECT [::1]:8443 HTTP/1.1\r\nHost: [::1]:8443\r\n\r\n");
    }

    #[test]
    fn credentials_go_in_proxy_authorization() {
        let h = handshake("http://Aladdin:open%20sesame@proxy:3128", "example.com", 443);
        assert_eq!(
            h.request(),
            &b"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\
               Proxy-Authorization: Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==\r\n\r\n"[..]
        );
    }

    #[test]
    fn a_target_that_would_break_the_request_line_is_refused() {
        let proxy = Proxy::parse("proxy").unwrap();
        for host in ["", "a b", "a\r\nX: y", "caf\u{e9}", "[::1", "a/b"] {
            let error = ConnectHandshake::new(&proxy, OriginRef::new("https", host, 443)).unwrap_err();
            assert_eq!(error, TunnelError::InvalidTarget, "{host:?}");
            assert_eq!(error.kind(), ErrorKind::InvalidRequest);
        }
    }

    #[test]
    fn a_2xx_opens_the_tunnel_and_leaves_the_targets_bytes() {
        let (result, left) = answer_every_split(b"HTTP/1.1 200 Connection established\r\n\r\n");
        assert_eq!((result, left), (Ok(TunnelState::Open), 0));
        // Bytes after the head are the target's: left in the buffer.
        let (result, left) = answer_every_split(b"HTTP/1.0 200 OK\r\nProxy-Agent: x\r\n\r\n\x16\x03\x03");
        assert_eq!((result, left), (Ok(TunnelState::Open), 3));
        // A Content-Length on a 2xx to CONNECT means nothing (RFC 9110 §9.3.6).
        let (result, left) = answer_every_split(b"HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n");
        assert_eq!((result, left), (Ok(TunnelState::Open), 0));
    }

    #[test]
    fn interim_responses_are_skipped() {
        let (result, left) = answer_every_split(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n\r\n");
        assert_eq!((result, left), (Ok(TunnelState::Open), 0));
    }

    #[test]
    fn a_non_2xx_is_a_refusal_naming_the_status() {
        let answer = b"HTTP/1.1 403 Forbidden\r\nContent-Length: 5\r\n\r\nnope!";
        let (result, _) = answer_every_split(answer);
        let error = result.unwrap_err();
        assert_eq!(error, TunnelError::Refused { status: 403, reason: "Forbidden".to_string() });
        assert_eq!(error.to_string(), "refused CONNECT: 403 Forbidden");
        assert_eq!(error.kind(), ErrorKind::Connect);
        let (result, _) = answer_every_split(b"HTTP/1.1 407 Proxy Authentication Required\r\n\r\n");
        assert_eq!(result.unwrap_err().to_string(), "refused CONNECT: 407 Proxy Authentication Required");
    }

    #[test]
    fn garbage_and_an_early_close_are_errors() {
        let (result, _) = answer_every_split(b"SSH-2.0-OpenSSH\r\n\r\n");
        assert!(matches!(result, Err(TunnelError::Response(_))), "{result:?}");
        assert_eq!(result.unwrap_err().kind(), ErrorKind::Connect);
        let mut h = handshake("proxy", "example.com", 443);
        let mut buf = BytesMut::from(&b"HTTP/1.1 200 OK\r\n"[..]);
        assert_eq!(h.handle_received(&mut buf), Ok(TunnelState::Waiting));
        assert_eq!(h.handle_eof(), Err(TunnelError::Closed));
        assert_eq!(TunnelError::Closed.to_string(), "closed the connection before answering CONNECT");
    }

    #[test]
    fn a_head_over_the_limit_is_an_error_not_a_wait() {
        let proxy = Proxy::parse("proxy").unwrap();
        let limits = Limits { max_head_bytes: 64, ..Limits::default() };
        let mut h = ConnectHandshake::with_limits(&proxy, OriginRef::new("https", "x", 443), limits).unwrap();
        let mut buf = BytesMut::from(&b"HTTP/1.1 200 OK\r\nX-Padding: "[..]);
        buf.extend_from_slice(&[b'a'; 100]);
        assert!(matches!(h.handle_received(&mut buf), Err(TunnelError::Response(_))));
    }

    #[test]
    fn an_open_tunnel_stays_open() {
        let mut h = handshake("proxy", "example.com", 443);
        let mut buf = BytesMut::from(&b"HTTP/1.1 200 OK\r\n\r\n"[..]);
        assert_eq!(h.handle_received(&mut buf), Ok(TunnelState::Open));
        buf.extend_from_slice(b"target bytes");
        assert_eq!(h.handle_received(&mut buf), Ok(TunnelState::Open));
        assert_eq!(&buf[..], b"target bytes", "nothing of the tunnel is read as HTTP");
        assert_eq!(h.handle_eof(), Ok(TunnelState::Open));
    }
}
