//! The drivers' error: one [`ErrorKind`] per failure (docs/DESIGN.md C5).

use pipelining::ErrorKind;
use std::fmt;
use std::sync::Arc;

/// Why a request failed.
#[derive(Debug, Clone)]
pub struct Error {
    kind: ErrorKind,
    message: String,
    attempts: u32,
    /// The system's error behind a transport or connect failure.
    source: Option<Arc<std::io::Error>>,
}

impl Error {
    pub(crate) fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error { kind, message: message.into(), attempts: 0, source: None }
    }

    /// The system's error behind it (connection refused, reset, …), when a
    /// transport or connect failure had one; also [`source`](std::error::Error::source).
    pub fn io_error(&self) -> Option<&std::io::Error> {
        self.source.as_deref()
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

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source.as_deref().map(|e| e as &(dyn std::error::Error + 'static))
    }
}

impl From<pipelining::dispatch::RequestError> for Error {
    fn from(error: pipelining::dispatch::RequestError) -> Self {
        let source = error.os_code.map(|code| Arc::new(std::io::Error::from_raw_os_error(code)));
        Error { kind: error.kind, message: error.message, attempts: error.attempts, source }
    }
}
