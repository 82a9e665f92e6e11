//! What can be wrong with a DNS message or query.

use crate::ErrorKind;

/// A DNS-over-TCP peer broke the protocol (RFC 1035, RFC 7766).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DnsError {
    /// The message ends before a field it announces (RFC 1035 §4.1).
    #[error("message truncated at offset {offset}")]
    ShortMessage {
        /// Where the missing bytes were expected.
        offset: usize,
    },
    /// A compression pointer points forward, outside the message, or loops
    /// (RFC 1035 §4.1.4).
    #[error("bad compression pointer at offset {offset}")]
    BadPointer {
        /// Where the pointer is.
        offset: usize,
    },
    /// A name longer than 255 bytes or a label type that is reserved.
    #[error("malformed name at offset {offset}")]
    BadName {
        /// Where the name starts.
        offset: usize,
    },
    /// The message is a query, not a response (QR bit clear).
    #[error("message is not a response")]
    NotAResponse,
    /// Bytes left after the sections the header announces.
    #[error("{extra} bytes after the last record")]
    TrailingBytes {
        /// How many.
        extra: usize,
    },
    /// A length prefix of zero, or under the 12-byte header.
    #[error("message of {len} bytes is shorter than a header")]
    TooShort {
        /// The length prefix.
        len: usize,
    },
    /// The connection ended inside a message: a loss, not a violation.
    #[error("connection closed inside a message")]
    Truncated,
    /// Bytes arrived with nothing outstanding.
    #[error("{len} unsolicited bytes with no query outstanding")]
    Unsolicited {
        /// How many.
        len: usize,
    },
}

impl DnsError {
    /// The C5 name of this error.
    pub fn kind(&self) -> ErrorKind {
        match self {
            DnsError::Truncated => ErrorKind::ConnectionLost,
            _ => ErrorKind::Protocol,
        }
    }
}

/// A query that cannot be encoded (local misuse): `invalid_request`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum QueryError {
    /// An empty label (`a..b`), a label over 63 bytes, a name over 253
    /// characters, or a byte outside letters, digits, `-`, `_` and `*`.
    #[error("invalid domain name")]
    InvalidName,
}

impl QueryError {
    /// Always `invalid_request`.
    pub fn kind(&self) -> ErrorKind {
        ErrorKind::InvalidRequest
    }
}
