//! Runtime-agnostic async glue for `pipelining` clients.
//!
//! The core's sans-IO [`Dispatcher`](pipelining::dispatch::Dispatcher) sits
//! behind one lock and decides everything about requests; each connection
//! gets a task that reads and writes concurrently (and stops reading while
//! a reader is behind); one timer task sleeps until the next deadline; each
//! waiting caller has one waker, woken when its request has something to
//! take. A runtime crate (`pipelining-tokio`, `pipelining-smol`) supplies
//! only spawning, sleeping and transports ([`Glue`]).
//!
//! Time is read here, never in the core: [`std::time::Instant`] since the
//! client's creation becomes the core's [`pipelining::Instant`].

mod basic_auth;
mod body;
mod client;
mod clock;
mod config;
mod connection_task;
mod convert;
pub mod dns;
mod engine;
mod error;
mod id_hash;
mod message_client;
mod proxy;
pub mod redis;
pub mod request_body;
mod runtime;
mod timer_task;
pub mod tls;
#[cfg(feature = "tracing")]
mod trace;
pub mod upgrade;
mod upload_task;

pub use body::Body;
pub use client::{
    Attempts, Blocking, Client, Informational, Load, RawResponse, RawResponseFuture, RequestTimeout, ResponseFuture,
    TrySendError, WholeResponse,
};
pub use config::{Builder, Glue, Observer, USER_AGENT};
pub use convert::origin_of;
pub use engine::{Observation, SendCodec, SendFactory, Written};
pub use error::Error;
pub use message_client::{MessageClient, MessageFuture, Reply};
pub use pipelining::proxy::{NoProxy, Proxy, ProxyConfig, ProxyError};
pub use pipelining::{ErrorKind, Idempotency, Origin, OriginStatus};
pub use runtime::{BoxFuture, BoxTransport, Connector, FuturesIo, Runtime, SharedRuntime, Transport};
pub use upgrade::{OnUpgrade, Upgraded};

/// Declares a runtime crate's `dns` and `redis` modules for its glue type
/// (`crate::Tokio`, `crate::Smol`), so both runtimes expose the same
/// protocol clients.
#[macro_export]
macro_rules! protocol_modules {
    ($glue:path) => {
        /// DNS over TCP on the same engine: pipelined queries, answers
        /// matched by message ID in any order.
        pub mod dns {
            pub use $crate::dns::{DnsMessage, DnsQuery, Record, RecordType, rcode_name};
            pub use $crate::{MessageFuture, Reply};

            /// A DNS-over-TCP client.
            pub type DnsClient = $crate::dns::DnsClient<$glue>;
        }

        /// Redis (RESP2/RESP3) on the same engine: pipelined commands,
        /// replies in order, every connection set up alike (credentials,
        /// database, protocol, name), reads replayed after a lost
        /// connection, writes like INCR never; transactions, batches and a
        /// pub/sub subscriber.
        pub mod redis {
            pub use $crate::redis::{
                Command, Message, PipeFuture, Protocol, RedisOptions, ReplayClass, SubscribeFuture, Subscriber,
                SubscriberEvent, Transaction, Value,
            };
            pub use $crate::{MessageFuture, Reply};

            /// A Redis client.
            pub type RedisClient = $crate::redis::RedisClient<$glue>;
            /// A batch of commands of a [`RedisClient`].
            pub type Pipe<'c> = $crate::redis::Pipe<'c, $glue>;
        }
    };
}
