//! Redis over RESP: pipelined commands to one server, replies in order;
//! every connection set up the same way (credentials, database, protocol,
//! name); transactions and batches; a subscriber for pub/sub.
//!
//! What a lost command does depends on its [`ReplayClass`]
//! (`docs/DESIGN.md` P5, P8): reads and writes that answer the same when
//! repeated (`GET`, `SET k v`) are resent on a new connection; writes that
//! change the state again (`INCR`, `LPUSH`) are never resent once written
//! and fail with `may_have_been_processed`; writes whose state is the same
//! but whose reply is not (`DEL`, `SADD`, `SET … NX`) are not resent
//! either, unless [`RedisOptions::replay_same_state`] allows it. Every
//! command is pipelined, whatever its class.
//!
//! Commands that would change one connection's state (`SELECT`, `AUTH`,
//! `HELLO`, `CLIENT SETNAME`, `MULTI`, `SUBSCRIBE`, …) are refused with
//! `invalid_request` and a hint: their effect belongs in [`RedisOptions`],
//! a [`Transaction`] or a [`Subscriber`], which hold on every connection.

mod options;
mod pipe;
mod subscriber;

use crate::Error;
use crate::config::{Builder, Glue};
use crate::message_client::{MessageClient, MessageFuture};
pub use options::{Protocol, RedisOptions};
pub use pipe::{Pipe, PipeFuture};
use pipelining::resp::RespFactory;
pub use pipelining::resp::{Command, ReplayClass, Transaction, Value};
use pipelining::{Idempotency, Origin};
use std::future::Future;
pub use subscriber::{Message, SubscribeFuture, Subscriber, SubscriberEvent};

/// What every Redis connection of `builder` does: pipeline at once and
/// whatever the command (P5), learn no request budget (P11). A Redis server
/// answers any number of commands on a connection; when it closes one
/// (`CLIENT KILL`, an output-buffer limit, a restart), how many it had
/// answered is no budget, and learning one would retire every connection
/// after that many commands for minutes. (The idle timeout the pool also
/// learns with the same memory is not needed either: Redis closes idle
/// clients only when its `timeout` is set, and a command crossing that
/// close is handled as the stale-connection race, P6.)
///
/// Nor is a command stuck behind a slow one copied to another connection
/// (P13's rescue): the copy and the original could both run, at different
/// moments, and a `SET k v` running late would undo a later `SET k w`
/// made meanwhile. A Redis server runs one command at a time anyway, so
/// another connection is rarely faster.
fn redis_builder<G: Glue>(builder: Builder<G>) -> Builder<G> {
    let mut builder = builder.assume_pipelining(true).pipeline_non_idempotent(true);
    builder.pool.budget_memory = pipelining::Duration::ZERO;
    builder.pool.connection.rescue_delay = None;
    builder
}

/// A client for one Redis server.
///
/// ```no_run
/// # async fn example<G: pipelining_driver::Glue>(builder: pipelining_driver::Builder<G>) -> Result<(), pipelining_driver::Error> {
/// use pipelining_driver::Idempotency;
/// use pipelining_driver::redis::{Command, RedisClient, Value};
/// // AUTH app s3cret, then SELECT 3, on every connection.
/// let client = RedisClient::<G>::from_url("redis://app:s3cret@127.0.0.1:6379/3", builder)?;
/// let reply = client.command(Command::new(["INCR", "visits"]), Idempotency::ByMethod).await?;
/// assert!(matches!(reply.response, Value::Integer(_)));
/// # Ok(()) }
/// ```
pub struct RedisClient<G: Glue> {
    inner: MessageClient<G, RespFactory>,
    options: RedisOptions,
    server: Origin,
}

impl<G: Glue> std::fmt::Debug for RedisClient<G> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisClient").field("options", &self.options).finish()
    }
}

impl<G: Glue> RedisClient<G> {
    /// A client for `host:port` with `builder`'s depth, connections, tries
    /// and timeouts (for tokio: call inside a runtime), with nothing to set
    /// up on its connections. Redis answers every command in order, so
    /// there is no capability probe.
    pub fn new(host: &str, port: u16, builder: Builder<G>) -> Result<Self, Error> {
        Self::with_options(RedisOptions::new(host, port), builder)
    }

    /// A client for `host:port` over TLS (Redis's `tls-port`), with
    /// `builder`'s roots and client certificate as for HTTPS, no ALPN.
    /// The server's certificate must name `host`.
    pub fn new_tls(host: &str, port: u16, builder: Builder<G>) -> Result<Self, Error> {
        Self::with_options(RedisOptions::new(host, port).tls(true), builder)
    }

    /// A client for a Redis URL,
    /// `redis[s]://[[USER]:PASSWORD@]HOST[:PORT][/DB][?protocol=2|3]`
    /// ([`RedisOptions::from_url`]). A URL that cannot be honoured is
    /// refused (`invalid_request`) rather than connected to without its
    /// credentials or database.
    pub fn from_url(url: &str, builder: Builder<G>) -> Result<Self, Error> {
        Self::with_options(RedisOptions::from_url(url)?, builder)
    }

    /// A client for the server of `options`, each of its connections set
    /// up as they say before any command is written on it.
    ///
    /// Commands are pipelined whatever their replay class (a Redis server
    /// runs a connection's commands in order, so writing a non-idempotent
    /// one alone would protect nothing); those that may not be resent
    /// still never are once written. No request budget is learned from
    /// closes (P11): a Redis server has none, and a connection killed after
    /// N commands must not limit the next ones to N.
    pub fn with_options(options: RedisOptions, builder: Builder<G>) -> Result<Self, Error> {
        let config = options.resp_config()?;
        let inner = MessageClient::new(redis_builder(builder), RespFactory { config })?;
        Ok(RedisClient { inner, server: options.origin(), options })
    }

    /// What its connections set up, and where they go.
    pub fn options(&self) -> &RedisOptions {
        &self.options
    }

    /// Sends a command; queued at once, in call order. Whether it is resent
    /// after a lost connection follows its [`ReplayClass`] (and
    /// [`RedisOptions::replay_same_state`]) unless `idempotency` says
    /// otherwise. An error reply (`-ERR …`) is an `Ok` [`Value::Error`]. A
    /// command that would change one connection's state fails at once with
    /// `invalid_request`.
    pub fn command(&self, command: Command, idempotency: Idempotency) -> MessageFuture<RespFactory> {
        self.inner.request(&self.server, command.into(), idempotency)
    }

    /// Sends a transaction: `WATCH` (if it watches keys), `MULTI`, its
    /// commands and `EXEC`, written together on one connection. Its reply
    /// is `EXEC`'s: an array of the commands' replies; null when a watched
    /// key changed and nothing ran; an error reply (`EXECABORT`) when the
    /// server refused a command as it was queued and nothing ran.
    ///
    /// Lost before its `EXEC` was all written, it is resent whole on a new
    /// connection (Redis discarded what it had queued), whatever its
    /// commands; lost after, it fails with `may_have_been_processed`. With
    /// `WATCH`, it is never resent once written: lost, it fails with
    /// `connection_lost` (a resend's check would not be the one asked for).
    pub fn transaction(&self, transaction: Transaction) -> MessageFuture<RespFactory> {
        self.inner.request(&self.server, transaction.into(), Idempotency::ByMethod)
    }

    /// A batch of commands with one future for all their replies, in order
    /// (redis-rs's `pipe()`); [`Pipe::atomic`] makes it a transaction.
    pub fn pipe(&self) -> Pipe<'_, G> {
        Pipe::new(self)
    }

    /// A [`Subscriber`] to the same server, set up as this client's
    /// connections are, on a connection of its own made with `builder`.
    pub fn subscriber(&self, builder: Builder<G>) -> Result<Subscriber, Error> {
        Subscriber::with_options(&self.options, builder)
    }

    /// Closes the client gracefully: commands sent from now on fail, those
    /// already sent finish, then every connection closes.
    pub fn close(&self) -> impl Future<Output = ()> + Send + 'static {
        self.inner.close()
    }
}
