//! What can be wrong with a RESP stream or command.

use crate::ErrorKind;

/// The server broke RESP framing, or a reply exceeded a limit.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RespError {
    /// An unknown type byte.
    #[error("unknown RESP type byte {byte:#04x}")]
    UnknownType {
        /// The byte.
        byte: u8,
    },
    /// A length or integer that is not a decimal number in range.
    #[error("invalid number in a RESP header")]
    InvalidNumber,
    /// A line not ended by CRLF, or bulk data not followed by CRLF.
    #[error("missing CRLF")]
    MissingCrlf,
    /// A line longer than the limit.
    #[error("RESP line exceeds {limit} bytes")]
    LineTooLong {
        /// The limit.
        limit: usize,
    },
    /// A bulk string or aggregate larger than the limit.
    #[error("RESP value exceeds {limit} bytes or elements")]
    TooLarge {
        /// The limit.
        limit: u64,
    },
    /// Aggregates nested deeper than the limit.
    #[error("RESP aggregates nested deeper than {limit}")]
    TooDeep {
        /// The limit.
        limit: usize,
    },
    /// The connection ended inside a reply: a loss, not a violation.
    #[error("connection closed inside a reply")]
    Truncated,
    /// A reply arrived with no command outstanding.
    #[error("{len} unsolicited bytes with no command outstanding")]
    Unsolicited {
        /// How many.
        len: usize,
    },
}

impl RespError {
    /// The C5 name of this error.
    pub fn kind(&self) -> ErrorKind {
        match self {
            RespError::LineTooLong { .. } | RespError::TooLarge { .. } | RespError::TooDeep { .. } => ErrorKind::Limit,
            RespError::Truncated => ErrorKind::ConnectionLost,
            _ => ErrorKind::Protocol,
        }
    }
}

/// A command that cannot be sent (local misuse): `invalid_request`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CommandError {
    /// A command needs at least its name.
    #[error("empty command")]
    Empty,
    /// A batch needs at least one command: an empty one has no reply to
    /// wait for.
    #[error("empty batch")]
    EmptyBatch,
    /// A command that would change the connection's state (or take it
    /// over), which one connection of several must not hold alone.
    #[error("{command} is not sent as an ordinary command: {hint}")]
    StateChange {
        /// The command's name.
        command: alloc::string::String,
        /// What to do instead.
        hint: &'static str,
    },
    /// A subscriber sends only (un)subscribe commands, one channel each, and
    /// `PING`.
    #[error("{command} is not for a subscriber: it sends (un)subscribe commands with one channel each, and PING")]
    NotForSubscriber {
        /// The command's name.
        command: alloc::string::String,
    },
}

impl CommandError {
    /// Always `invalid_request`.
    pub fn kind(&self) -> ErrorKind {
        ErrorKind::InvalidRequest
    }
}
