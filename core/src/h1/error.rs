//! What a peer can do wrong in a response (RFC 9112), one variant per cause.

use crate::ErrorKind;

/// Which part of the status line or header section httparse rejected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum HeadSyntax {
    /// The `HTTP-version` is not `HTTP/1.0` or `HTTP/1.1`.
    Version,
    /// The status code is not three digits.
    Status,
    /// A header name contains a non-token byte.
    HeaderName,
    /// A header value contains a forbidden byte.
    HeaderValue,
    /// A line ending is malformed (a bare CR, …).
    NewLine,
    /// Any other token error.
    Token,
}

/// The response broke HTTP/1.1 framing or exceeded a limit.
///
/// After any of these the decoder is dead: the stream is never
/// resynchronised on later bytes (docs/DESIGN.md P3), because a guess at the next
/// response boundary could hand a response to the wrong request.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// The status line or a header line is malformed (RFC 9112 §4, §5).
    #[error("malformed response head ({0:?})")]
    MalformedHead(HeadSyntax),
    /// The status code's first digit is 0. RFC 9112 §4 makes it three
    /// digits; RFC 9110 §15 defines classes 1xx–5xx and asks recipients to
    /// treat an unknown code by its class, so 600–999 pass and are the
    /// caller's to judge.
    #[error("invalid status code {code}")]
    InvalidStatus {
        /// The code as parsed.
        code: u16,
    },
    /// A `Content-Length` element is not `1*DIGIT` or overflows 64 bits
    /// (RFC 9110 §8.6).
    #[error("invalid Content-Length")]
    InvalidContentLength,
    /// `Content-Length` values differ (RFC 9112 §6.3 rule 5).
    #[error("conflicting Content-Length values {first} and {second}")]
    ConflictingContentLength {
        /// The first value seen.
        first: u64,
        /// A different later value.
        second: u64,
    },
    /// Both `Transfer-Encoding` and `Content-Length` (RFC 9112 §6.3 rule 3):
    /// a sign of response splitting, treated as an error.
    #[error("both Transfer-Encoding and Content-Length")]
    TransferEncodingWithContentLength,
    /// A `Transfer-Encoding` that applies chunked twice (RFC 9112 §7.1).
    #[error("invalid Transfer-Encoding")]
    InvalidTransferEncoding,
    /// A chunk-size line with no hex digits (httparse would read it as 0 and
    /// end the body early).
    #[error("empty chunk size")]
    EmptyChunkSize,
    /// A chunk-size line that is not `1*HEXDIG [ chunk-ext ]` (RFC 9112 §7.1).
    #[error("invalid chunk-size line")]
    InvalidChunkSize,
    /// A chunk size that does not fit in 64 bits.
    #[error("chunk size overflows")]
    ChunkSizeOverflow,
    /// Chunk data not followed by CRLF.
    #[error("chunk data not followed by CRLF")]
    InvalidChunkEnd,
    /// The trailer section is malformed (RFC 9112 §7.1.2).
    #[error("malformed trailer section")]
    MalformedTrailers,
    /// A response head larger than the limit.
    #[error("response head exceeds {limit} bytes")]
    HeadTooLarge {
        /// The configured limit.
        limit: usize,
    },
    /// More header (or trailer) fields than the limit.
    #[error("more than {limit} header fields")]
    TooManyHeaders {
        /// The configured limit.
        limit: usize,
    },
    /// A chunk-size line longer than the limit (extensions are bounded here).
    #[error("chunk-size line exceeds {limit} bytes")]
    ChunkLineTooLong {
        /// The configured limit.
        limit: usize,
    },
    /// A trailer section larger than the limit.
    #[error("trailer section exceeds {limit} bytes")]
    TrailersTooLarge {
        /// The configured limit.
        limit: usize,
    },
    /// Content larger than the whole-response limit.
    #[error("response content exceeds {limit} bytes")]
    BodyTooLarge {
        /// The configured limit.
        limit: u64,
    },
    /// The connection ended inside a response: the response is incomplete.
    /// This is a loss, not a protocol violation (docs/DESIGN.md P6 "pipeline
    /// break"), so its kind is `connection_lost`.
    #[error("connection closed inside a response")]
    Truncated,
    /// Bytes arrived although no request is waiting for a response
    /// (docs/DESIGN.md P2): they cannot be a response to anything.
    #[error("{len} unsolicited bytes with no request outstanding")]
    Unsolicited {
        /// How many bytes were waiting.
        len: usize,
    },
    /// The decoder already failed; it never reads past a framing error.
    #[error("decoder used after a framing error")]
    Dead,
}

impl DecodeError {
    /// The C5 name of this error.
    pub fn kind(&self) -> ErrorKind {
        match self {
            DecodeError::HeadTooLarge { .. }
            | DecodeError::TooManyHeaders { .. }
            | DecodeError::ChunkLineTooLong { .. }
            | DecodeError::TrailersTooLarge { .. }
            | DecodeError::BodyTooLarge { .. } => ErrorKind::Limit,
            DecodeError::Truncated => ErrorKind::ConnectionLost,
            _ => ErrorKind::Protocol,
        }
    }

    /// Whether the error means the response's own framing is broken or too
    /// large (as opposed to the connection merely ending). Such a request
    /// fails and is not replayed (docs/DESIGN.md P8).
    pub fn is_response_fault(&self) -> bool {
        !matches!(self, DecodeError::Truncated | DecodeError::Unsolicited { .. } | DecodeError::Dead)
    }
}
