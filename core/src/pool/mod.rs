//! Several pipelined connections per origin, with the memory that makes
//! pipelining safe across them.
//!
//! [`Pool`] owns the [`Connection`](crate::pipeline::Connection)s; it asks the
//! driver to open and close transports ([`Instruction`]), routes requests
//! handed back by a lost connection to another one, remembers per origin
//! whether it pipelines and whether it breaks pipelines (`docs/DESIGN.md`
//! P6), learns how many requests a server answers per connection (P11), and
//! forgets an origin once nothing of it is left. No HTTP in it.

mod config;
mod event;
mod ids;
mod machine;
mod memory;
mod origins;
mod requests;
mod slots;
mod status;
mod timers;

pub use config::{ConfigError, PoolConfig};
pub use event::{Fact, Failure, Instruction, PoolEvent};
pub use ids::ConnectionId;
pub use machine::{MAX_MOVES, Pool};
pub use origins::OriginId;
pub use status::OriginStatus;
