//! Settings of a pool (DESIGN.md Defaults).

use crate::Duration;
use crate::pipeline::Config;

/// Settings of a [`Pool`](super::Pool).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct PoolConfig {
    /// Settings of each connection (depth, stall and idle timeouts, cancel
    /// threshold, non-idempotent policy).
    pub connection: Config,
    /// Connections per origin at most. Default 2.
    pub connections: usize,
    /// Tries per request at most (P8), and consecutive failed connects per
    /// origin before its queued requests fail. Default 3.
    pub max_tries: u32,
    /// Requests waiting per origin at most; `submit` refuses beyond it.
    /// Default 1,024.
    pub queue_limit: usize,
    /// A connect not answered within this counts as failed. Default 10 s.
    pub connect_timeout: Option<Duration>,
    /// Two pipeline breaks within this window demote an origin. Default 60 s.
    pub break_window: Duration,
    /// How long a demoted origin stays at depth 1. Default 5 minutes.
    pub demotion: Duration,
    /// How long a learned request budget holds. Default 5 minutes.
    pub budget_memory: Duration,
}

impl PoolConfig {
    /// The defaults of DESIGN.md.
    pub const DEFAULT: PoolConfig = PoolConfig {
        connection: Config::DEFAULT,
        connections: 2,
        max_tries: 3,
        queue_limit: 1024,
        connect_timeout: Some(Duration::from_secs(10)),
        break_window: Duration::from_secs(60),
        demotion: Duration::from_secs(300),
        budget_memory: Duration::from_secs(300),
    };
}

impl Default for PoolConfig {
    fn default() -> Self {
        PoolConfig::DEFAULT
    }
}
