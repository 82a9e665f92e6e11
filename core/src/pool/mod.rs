//! Several pipelined connections per origin, with the memory that makes
//! pipelining safe across them.
//!
//! [`Pool`] owns the [`Connection`](crate::pipeline::Connection)s; it asks the
//! driver to open and close transports, routes requests handed back by a
//! lost connection to another one, remembers per origin whether it pipelines
//! and whether it breaks pipelines (DESIGN.md P6), and learns how many
//! requests a server answers per connection (P11). No HTTP in it.

mod config;
mod connection_pool;
mod event;
mod memory;
mod origin;

pub use config::PoolConfig;
pub use connection_pool::{CodecFactory, ConnectionId, OriginStatus, Pool};
pub use event::{PoolEvent, PoolFailure};
pub use origin::Origin;
