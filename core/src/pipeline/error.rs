//! Local misuse of a connection: the only `Err`s the pipeline returns.

/// Why [`Connection::submit`](super::Connection::submit) refused a request.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SubmitError<E> {
    /// The submit queue is full (P1 backpressure): try again after responses
    /// arrive.
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
