//! Settings of a pool (`docs/DESIGN.md` Defaults).

use crate::Duration;
use crate::pipeline::ConnectionConfig;

/// Settings of a [`Pool`](super::Pool).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct PoolConfig {
    /// Settings of each connection (depth, stall and idle timeouts, cancel
    /// threshold, non-idempotent policy). The pool's defaults add
    /// head-of-line rescue (P13) to a bare connection's: a response of more
    /// than 256 KiB sends the requests queued behind it elsewhere
    /// (`large_response`), and requests behind a head silent for 1.5 s are
    /// copied to another connection (`rescue_delay`). `None` turns either
    /// off.
    pub connection: ConnectionConfig,
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
    /// How long what an origin taught is kept after its last connection
    /// closed (with nothing queued). Default 10 minutes.
    pub origin_memory: Duration,
    /// Idle origins remembered at most; beyond, the least recently used is
    /// forgotten. Default 10,000.
    pub max_origins: usize,
}

impl PoolConfig {
    /// The defaults of `docs/DESIGN.md`.
    pub const DEFAULT: PoolConfig = PoolConfig {
        connection: ConnectionConfig {
            large_response: Some(256 * 1024),
            rescue_delay: Some(Duration::from_millis(1_500)),
            ..ConnectionConfig::DEFAULT
        },
        connections: 2,
        max_tries: 3,
        queue_limit: 1024,
        connect_timeout: Some(Duration::from_secs(10)),
        break_window: Duration::from_secs(60),
        demotion: Duration::from_secs(300),
        budget_memory: Duration::from_secs(300),
        origin_memory: Duration::from_secs(600),
        max_origins: 10_000,
    };

    /// Checks the settings: every count that bounds the pool's work must be
    /// at least one (a depth, connection count, try count or queue limit of
    /// zero would stall every request forever).
    pub fn validate(&self) -> Result<(), ConfigError> {
        let zero = [
            ("depth", self.connection.depth == 0),
            ("connections", self.connections == 0),
            ("max_tries", self.max_tries == 0),
            ("queue_limit", self.queue_limit == 0 || self.connection.queue_limit == 0),
        ];
        match zero.iter().find(|(_, is_zero)| *is_zero) {
            Some((setting, _)) => Err(ConfigError::Zero { setting }),
            None => Ok(()),
        }
    }
}

impl Default for PoolConfig {
    fn default() -> Self {
        PoolConfig::DEFAULT
    }
}

/// A setting that cannot work.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// A count that must be at least one is zero.
    #[error("{setting} must be at least 1")]
    Zero {
        /// The setting's name (`depth`, `connections`, `max_tries`,
        /// `queue_limit`).
        setting: &'static str,
    },
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;

    #[test]
    fn zero_counts_are_refused_by_name() {
        assert_eq!(PoolConfig::DEFAULT.validate(), Ok(()));
        let mut config = PoolConfig::DEFAULT;
        config.connection.depth = 0;
        assert_eq!(config.validate(), Err(ConfigError::Zero { setting: "depth" }));
        let mut config = PoolConfig::DEFAULT;
        config.queue_limit = 0;
        assert_eq!(config.validate(), Err(ConfigError::Zero { setting: "queue_limit" }));
        let mut config = PoolConfig::DEFAULT;
        config.connections = 0;
        assert_eq!(config.validate().unwrap_err().to_string(), "connections must be at least 1");
    }
}
