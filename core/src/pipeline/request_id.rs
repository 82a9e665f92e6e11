//! Request ids: the pipeline's handle for one submitted request.

use core::fmt;

/// Identifies one submitted request: ordered by submission and never reused
/// by the connection or pool that issued it. Not what goes on the wire (see
/// [`CorrelationId`](super::CorrelationId)).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RequestId(pub u64);

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
