//! What the pool knows of an origin, for inspection (the CLI's
//! `--verbose`, observers).

use crate::Instant;
use crate::pipeline::Capability;

/// A snapshot of one origin.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct OriginStatus {
    /// What new connections start with.
    pub capability: Capability,
    /// The end of a demotion in force.
    pub demoted_until: Option<Instant>,
    /// Pipeline breaks within the break window.
    pub recent_breaks: usize,
    /// The learnt request budget per connection.
    pub budget: Option<u64>,
    /// The server's idle timeout as its idle closes taught it.
    pub idle_timeout: Option<crate::Duration>,
    /// Consecutive failed connects.
    pub failed_connects: u32,
    /// Open connections.
    pub open: usize,
    /// Connects under way.
    pub connecting: usize,
    /// Requests waiting in the pool for a connection.
    pub queued: usize,
    /// When what it taught is forgotten, if it is idle.
    pub forget_at: Option<Instant>,
}
