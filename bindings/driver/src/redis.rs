//! Redis over RESP: pipelined commands to one server, replies in order.

use crate::Error;
use crate::config::{Builder, Glue};
use crate::message_client::{MessageClient, MessageFuture};
use pipelining::resp::RespFactory;
pub use pipelining::resp::{Command, Value};
use pipelining::{Idempotency, Origin};

/// A client for one Redis server.
pub struct RedisClient<G: Glue> {
    inner: MessageClient<G, RespFactory>,
    server: Origin,
}

impl<G: Glue> std::fmt::Debug for RedisClient<G> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisClient").field("server", &self.server).finish()
    }
}

impl<G: Glue> RedisClient<G> {
    /// A client for `host:port` with `builder`'s depth, connections, tries
    /// and timeouts (for tokio: call inside a runtime). Redis answers every
    /// command in order, so there is no capability probe.
    pub fn new(host: &str, port: u16, builder: Builder<G>) -> Result<Self, Error> {
        let server = Origin::new("redis", host, port);
        Ok(RedisClient { inner: MessageClient::new(builder.assume_pipelining(true), RespFactory::default())?, server })
    }

    /// Sends a command; queued at once, in call order. Idempotency follows
    /// the command ([`Command::is_idempotent`]) unless `idempotency` says
    /// otherwise. An error reply (`-ERR …`) is an `Ok` [`Value::Error`].
    pub fn command(&self, command: Command, idempotency: Idempotency) -> MessageFuture<RespFactory> {
        self.inner.request(&self.server, command, idempotency)
    }
}
