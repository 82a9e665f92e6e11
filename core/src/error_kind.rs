//! The one vocabulary of failure shared by every front end (docs/DESIGN.md C5).

use core::fmt;

/// Why a request failed, as one stable name.
///
/// Every error type of the core maps to exactly one kind via its `kind()`
/// method; the command line prints [`ErrorKind::as_str`] as `error_kind`, the
/// JavaScript bindings use it as `Error.kind` and the Rust drivers return it
/// from `Error::kind()`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// Connecting failed: refused, unreachable or timed out.
    Connect,
    /// The stall timeout or the request's own deadline fired.
    Timeout,
    /// The request's own response broke the protocol (RFC 9112 framing).
    Protocol,
    /// The request's own response exceeded a configured limit.
    Limit,
    /// The connection was lost and the request could not be completed.
    ConnectionLost,
    /// A non-idempotent request was written and then lost: the server may
    /// have processed it, so it is never resent (RFC 9110 §9.2.2).
    MayHaveBeenProcessed,
    /// Every allowed try ended in a replayable loss.
    MaxTries,
    /// The response arrived but its status counts as a failure (status ≥ 400
    /// when the caller asked for that).
    HttpStatus,
    /// The request itself cannot be sent (invalid method, target, header…).
    InvalidRequest,
    /// The caller cancelled the request.
    Cancelled,
}

impl ErrorKind {
    /// Every kind, in the order docs/DESIGN.md C1 lists them.
    pub const ALL: [ErrorKind; 10] = [
        ErrorKind::Connect,
        ErrorKind::Timeout,
        ErrorKind::Protocol,
        ErrorKind::Limit,
        ErrorKind::ConnectionLost,
        ErrorKind::MayHaveBeenProcessed,
        ErrorKind::MaxTries,
        ErrorKind::HttpStatus,
        ErrorKind::InvalidRequest,
        ErrorKind::Cancelled,
    ];

    /// The stable snake_case name (`"may_have_been_processed"`, …).
    pub const fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Connect => "connect",
            ErrorKind::Timeout => "timeout",
            ErrorKind::Protocol => "protocol",
            ErrorKind::Limit => "limit",
            ErrorKind::ConnectionLost => "connection_lost",
            ErrorKind::MayHaveBeenProcessed => "may_have_been_processed",
            ErrorKind::MaxTries => "max_tries",
            ErrorKind::HttpStatus => "http_status",
            ErrorKind::InvalidRequest => "invalid_request",
            ErrorKind::Cancelled => "cancelled",
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_the_c1_vocabulary() {
        let names: alloc::vec::Vec<&str> = ErrorKind::ALL.iter().map(|k| k.as_str()).collect();
        assert_eq!(
            names,
            [
                "connect",
                "timeout",
                "protocol",
                "limit",
                "connection_lost",
                "may_have_been_processed",
                "max_tries",
                "http_status",
                "invalid_request",
                "cancelled"
            ]
        );
    }
}
