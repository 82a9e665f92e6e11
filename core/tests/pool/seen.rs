//! What the servers saw: every request per connection, with the depth it
//! arrived at, the responses sent and how each connection ended.

use crate::script::Script;
use pipelining::{ConnectionId, Instant};

/// One request as a server received it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Received {
    pub(crate) method: String,
    pub(crate) target: String,
    /// Requests outstanding on the connection right after it arrived, itself
    /// included.
    pub(crate) outstanding: usize,
    /// Position in the network-wide order of receipts.
    pub(crate) seq: u64,
}

/// How a connection ended, from the server's side.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum End {
    /// After a `Connection: close` response (or an HTTP/1.0 one).
    ServerClose,
    Eof,
    Cut,
    Reset,
    /// The client closed it.
    ClientClose,
}

/// One accepted connection, as its server counted it.
#[derive(Clone, Debug)]
pub(crate) struct ConnStats {
    pub(crate) conn: ConnectionId,
    pub(crate) received: Vec<Received>,
    pub(crate) responses: u64,
    pub(crate) max_outstanding: usize,
    /// The origin's learnt budget when the connection opened.
    pub(crate) budget_at_open: Option<u64>,
    pub(crate) opened_at: Instant,
    pub(crate) end: Option<End>,
}

impl ConnStats {
    /// Requests received and never answered.
    pub(crate) fn waste(&self) -> u64 {
        self.received.len() as u64 - self.responses
    }

    pub(crate) fn targets(&self) -> Vec<&str> {
        self.received.iter().map(|r| r.target.as_str()).collect()
    }
}

/// One origin's server.
#[derive(Clone, Debug)]
pub(crate) struct Server {
    pub(crate) script: Script,
    /// Accepted connections in accept order.
    pub(crate) conns: Vec<ConnStats>,
    pub(crate) connect_attempts: u32,
    /// Most connections it had open at once.
    pub(crate) max_open: usize,
    /// Connections open now.
    pub(crate) open: usize,
}

impl Server {
    /// How many times it received `target`, over all connections.
    pub(crate) fn copies(&self, target: &str) -> usize {
        self.conns.iter().flat_map(|c| &c.received).filter(|r| r.target == target).count()
    }

    pub(crate) fn received(&self) -> impl Iterator<Item = (&ConnStats, &Received)> {
        self.conns.iter().flat_map(|c| c.received.iter().map(move |r| (c, r)))
    }

    pub(crate) fn stats(&mut self, conn: ConnectionId) -> &mut ConnStats {
        self.conns.iter_mut().find(|c| c.conn == conn).expect("a connection the server accepted")
    }
}
