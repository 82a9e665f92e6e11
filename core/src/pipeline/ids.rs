//! Request ids: the pipeline's handle for one submitted request.

use core::fmt;

/// Identifies one submitted request: never reused by the connection or pool
/// that issued it. Not what goes on the wire (see
/// [`CorrelationId`](super::CorrelationId)).
///
/// Opaque: the only way to make one from a number is
/// [`from_raw`](Self::from_raw), for a boundary (JavaScript, a test log)
/// that carried [`get`](Self::get)'s value across.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RequestId(u64);

impl RequestId {
    /// The id whose [`get`](Self::get) is `raw`.
    pub const fn from_raw(raw: u64) -> Self {
        RequestId(raw)
    }

    /// The id as a number, for a boundary that cannot carry the type.
    pub const fn get(self) -> u64 {
        self.0
    }
}

impl fmt::Debug for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.0)
    }
}

impl fmt::Display for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.0)
    }
}
