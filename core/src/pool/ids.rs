//! Connection ids: the pool's handle for one transport.

use core::fmt;

/// Identifies one connection of a pool; never reused.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ConnectionId(u64);

impl ConnectionId {
    /// The id whose [`get`](Self::get) is `raw`.
    pub const fn from_raw(raw: u64) -> Self {
        ConnectionId(raw)
    }

    /// The id as a number, for a boundary that cannot carry the type.
    pub const fn get(self) -> u64 {
        self.0
    }
}

impl fmt::Debug for ConnectionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "conn{}", self.0)
    }
}
