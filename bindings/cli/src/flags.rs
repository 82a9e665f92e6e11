//! The flags several subcommands share: how each is parsed, and the one
//! place where they configure a client.
//!
//! Each subcommand declares its own flags (their defaults and help differ
//! from command to command) with these parsers, and hands their values to
//! [`ClientFlags::builder`].

use clap::builder::{RangedI64ValueParser, RangedU64ValueParser};
use std::path::Path;
use std::time::Duration;

/// The most requests in flight per connection a command accepts.
const MAX_DEPTH: u64 = 4096;

/// The most tries per request a command accepts.
const MAX_TRIES: i64 = 100;

/// `--depth`: 1 to 4,096.
pub(crate) fn depth() -> RangedU64ValueParser<usize> {
    RangedU64ValueParser::new().range(1..=MAX_DEPTH)
}

/// `--connections`: 1 to `max`.
pub(crate) fn connections(max: u64) -> RangedU64ValueParser<usize> {
    RangedU64ValueParser::new().range(1..=max)
}

/// `--max-tries`: 1 to 100.
pub(crate) fn max_tries() -> RangedI64ValueParser<u32> {
    RangedI64ValueParser::new().range(1..=MAX_TRIES)
}

/// A positive, finite number, decimals allowed: seconds for `--timeout`
/// and `--duration` (and, message included, the demo's `--bandwidth-mbit`).
pub(crate) fn parse_seconds(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 && v < 1e9 => Ok(v),
        _ => Err(format!("{s:?} is not a positive number of seconds")),
    }
}

/// `--cacert FILE`: the file's bytes (PEM, one or more certificates),
/// read before anything is sent; an unreadable file is a usage error.
pub(crate) fn read_cacert(path: Option<&Path>) -> Result<Option<Vec<u8>>, String> {
    path.map(|path| std::fs::read(path).map_err(|e| format!("cannot read --cacert {}: {e}", path.display())))
        .transpose()
}

/// Trusts `cacert`'s certificates instead of the built-in roots, as curl's
/// `--cacert` does; without one, the builder is unchanged. A file that
/// holds no certificate fails the client's `build` (`invalid_request`).
pub(crate) fn trust(builder: pipelining_tokio::Builder, cacert: Option<&[u8]>) -> pipelining_tokio::Builder {
    match cacert {
        Some(pem) => builder.without_webpki_roots().add_root_certificate(pem),
        None => builder,
    }
}

/// The client settings a command's flags give.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct ClientFlags {
    /// `--depth`.
    pub(crate) depth: usize,
    /// `--connections`.
    pub(crate) connections: usize,
    /// `--max-tries`, or the driver's default.
    pub(crate) max_tries: Option<u32>,
    /// `--timeout` in seconds (connect and stall), or the driver's default.
    pub(crate) timeout: Option<f64>,
}

impl ClientFlags {
    /// A client builder with these settings; each command adds what is its
    /// own (a queue limit, an observer, the protocol's options).
    pub(crate) fn builder(&self) -> pipelining_tokio::Builder {
        let mut builder = pipelining_tokio::Client::builder().depth(self.depth).connections(self.connections);
        if let Some(tries) = self.max_tries {
            builder = builder.max_tries(tries);
        }
        if let Some(secs) = self.timeout {
            builder = builder.timeout(Duration::from_secs_f64(secs));
        }
        builder
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_must_be_positive_and_finite() {
        assert_eq!(parse_seconds("0.25"), Ok(0.25));
        assert_eq!(parse_seconds("3"), Ok(3.0));
        for bad in ["0", "-1", "inf", "NaN", "1e9", "abc", ""] {
            assert_eq!(parse_seconds(bad), Err(format!("{bad:?} is not a positive number of seconds")), "{bad}");
        }
    }

    #[test]
    fn the_builder_carries_every_shared_flag() {
        let flags = ClientFlags { depth: 12, connections: 3, max_tries: Some(5), timeout: Some(1.5) };
        let builder = flags.builder();
        let config = builder.pool_config();
        assert_eq!(config.connection.depth, 12);
        assert_eq!(config.connections, 3);
        assert_eq!(config.max_tries, 5);
        assert_eq!(config.connect_timeout.map(|d| d.as_micros()), Some(1_500_000));
        assert_eq!(config.connection.stall_timeout.map(|d| d.as_micros()), Some(1_500_000));
        // Unset flags leave the driver's defaults.
        let defaults = pipelining_tokio::Client::builder();
        let unset = ClientFlags { depth: 12, connections: 3, max_tries: None, timeout: None }.builder();
        assert_eq!(unset.pool_config().max_tries, defaults.pool_config().max_tries);
    }
}
