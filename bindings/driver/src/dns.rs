//! DNS over TCP: pipelined queries to one server, answers matched by
//! message ID in whatever order they come (RFC 7766).

use crate::Error;
use crate::config::{Builder, Glue};
use crate::message_client::{MessageClient, MessageFuture};
use pipelining::dns::DnsFactory;
pub use pipelining::dns::{DnsMessage, DnsQuery, Record, RecordType, rcode_name};
use pipelining::{Idempotency, Origin};
use std::net::SocketAddr;

/// A client for one DNS server over TCP.
pub struct DnsClient<G: Glue> {
    inner: MessageClient<G, DnsFactory>,
    server: Origin,
}

impl<G: Glue> std::fmt::Debug for DnsClient<G> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DnsClient").field("server", &self.server).finish()
    }
}

impl<G: Glue> DnsClient<G> {
    /// A client for `server` with `builder`'s depth, connections, tries and
    /// timeouts (for tokio: call inside a runtime).
    pub fn new(server: SocketAddr, builder: Builder<G>) -> Result<Self, Error> {
        let server = Origin::new("dns", &server.ip().to_string(), server.port());
        Ok(DnsClient { inner: MessageClient::new(builder, DnsFactory)?, server })
    }

    /// Queries `name` for `qtype`; queued at once, answered in any order.
    /// Queries are idempotent, so a lost one is resent with the same ID.
    pub fn query(&self, name: &str, qtype: RecordType) -> MessageFuture<DnsFactory> {
        self.inner.request(&self.server, DnsQuery::new(name, qtype), Idempotency::ByMethod)
    }
}
