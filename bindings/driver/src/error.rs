//! The drivers' error: one [`ErrorKind`] per failure (docs/DESIGN.md C5).

use pipelining::ErrorKind;
use std::fmt;

/// Why a request failed.
#[derive(Debug, Clone)]
pub struct Error {
    kind: ErrorKind,
    message: String,
    attempts: u32,
}

impl Error {
    pub(crate) fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error { kind, message: message.into(), attempts: 0 }
    }

    /// The C5 name of the failure (`connect`, `timeout`, `protocol`, …),
    /// the same as the command line's `error_kind` and JavaScript's
    /// `Error.kind`.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// How many times the request was written, fully or partly.
    pub fn attempts(&self) -> u32 {
        self.attempts
    }

    /// A description of the cause.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.kind, self.message)
    }
}

impl std::error::Error for Error {}

impl From<pipelining::dispatch::RequestError> for Error {
    fn from(error: pipelining::dispatch::RequestError) -> Self {
        Error { kind: error.kind, message: error.message, attempts: error.attempts }
    }
}
