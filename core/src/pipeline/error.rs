//! Local misuse of a connection or pool: the only `Err`s they return.

use crate::ErrorKind;

/// Why a submission was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SubmitError<E> {
    /// The submit queue is full (P1 backpressure): try again after
    /// responses arrive.
    #[error("submit queue full ({limit} requests)")]
    QueueFull {
        /// The configured queue limit.
        limit: usize,
    },
    /// The connection is closed or closing; submit elsewhere.
    #[error("connection closed")]
    Closed,
    /// The request cannot be encoded.
    #[error("invalid request: {0}")]
    Invalid(E),
}

impl<E> SubmitError<E> {
    /// The C5 name of the refusal when it reaches a caller
    /// (`docs/DESIGN.md` C5): a full queue is `limit`, a closed connection
    /// `connection_lost`, an invalid request `invalid_request`.
    pub fn kind(&self) -> ErrorKind {
        match self {
            SubmitError::QueueFull { .. } => ErrorKind::Limit,
            SubmitError::Closed => ErrorKind::ConnectionLost,
            SubmitError::Invalid(_) => ErrorKind::InvalidRequest,
        }
    }
}

/// A refused submission: the request handed back with why, so the caller
/// can wait for room and submit it again without cloning it (the shape of
/// hyper's `TrySendError`).
pub struct Refused<R, E> {
    /// The request, untouched.
    pub request: R,
    /// Why it was refused.
    pub error: SubmitError<E>,
}

impl<R, E> Refused<R, E> {
    /// The C5 name of the refusal ([`SubmitError::kind`]).
    pub fn kind(&self) -> ErrorKind {
        self.error.kind()
    }
}

impl<R, E: core::fmt::Debug> core::fmt::Debug for Refused<R, E> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Refused").field("error", &self.error).finish_non_exhaustive()
    }
}

impl<R, E: core::fmt::Display> core::fmt::Display for Refused<R, E> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        core::fmt::Display::fmt(&self.error, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_refusal_has_one_kind() {
        assert_eq!(SubmitError::<()>::QueueFull { limit: 1 }.kind(), ErrorKind::Limit);
        assert_eq!(SubmitError::<()>::Closed.kind(), ErrorKind::ConnectionLost);
        assert_eq!(SubmitError::Invalid(()).kind(), ErrorKind::InvalidRequest);
    }
}

/// Why a piece of a streamed content was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BodyError {
    /// The connection did not ask for a piece of this request's content:
    /// wait for its `SendBody` event (the request may also have ended, or
    /// its response come first).
    #[error("no piece of this request's content is wanted now")]
    NotWanted,
    /// The pieces add up to more, or in the end to less, than the declared
    /// length: the request fails (`invalid_request`) and the connection
    /// closes, its framing lost.
    #[error("the content was declared as {declared} bytes, {supplied} were supplied")]
    Length {
        /// The declared length.
        declared: u64,
        /// What was supplied, counting this piece.
        supplied: u64,
    },
}
