//! Settings of one pipelined connection (`docs/DESIGN.md` Defaults).

use crate::Duration;

/// What is known about the server's ability to take pipelined requests
/// (`docs/DESIGN.md` P6).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Capability {
    /// Not known yet: one request goes out, the rest wait for its response.
    Unknown,
    /// Confirmed: up to `depth` requests in flight.
    Pipelining,
    /// One request at a time: an HTTP/1.0 server, one that closes after each
    /// response, or an origin demoted after pipeline breaks.
    OneAtATime,
}

/// Whether requests may be written behind one that is not idempotent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NonIdempotentPolicy {
    /// The default (`docs/DESIGN.md` P5): a non-idempotent request is written only
    /// on a connection with nothing outstanding, and nothing is written
    /// behind it until its final response, so a loss can never be blamed on
    /// the requests around it.
    Alone,
    /// Pipeline it like any other request. A loss still never replays it.
    Pipelined,
}

/// Settings of a [`Connection`](super::Connection).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ConnectionConfig {
    /// Requests written and unanswered at most (P1). Default 8; at least 1.
    pub depth: usize,
    /// Requests waiting to be written at most; `submit` refuses beyond it.
    /// Default 1,024.
    pub queue_limit: usize,
    /// The connection is closed when requests are outstanding and nothing
    /// was received or written for this long (P10). Default 30 s.
    pub stall_timeout: Option<Duration>,
    /// The connection is closed after this long with nothing outstanding.
    /// Default 60 s.
    pub idle_timeout: Option<Duration>,
    /// A cancelled request's response is read and dropped only if at most
    /// this many content bytes would have to be dropped (P9). Default 64 KiB.
    pub cancel_threshold: u64,
    /// What is known of the server when the connection opens. Default
    /// [`Capability::Unknown`]: probe with one request first.
    pub capability: Capability,
    /// How non-idempotent requests are written. Default
    /// [`NonIdempotentPolicy::Alone`].
    pub non_idempotent: NonIdempotentPolicy,
    /// Idle time after which reusing the connection risks the server's
    /// idle close crossing our request (the stale-connection race, P6).
    /// Default 1 s; a server's announced idle timeout replaces it.
    pub stale_after: Duration,
    /// Once a response announces, or has passed, more content than this,
    /// nothing more is written behind it and the requests queued here are
    /// handed back to go elsewhere (P13). Default none on a bare connection;
    /// a pool sets its own (256 KiB).
    pub large_response: Option<u64>,
    /// When the head of the pipeline has produced no response byte for this
    /// long with requests written behind it, the connection reports it
    /// ([`Event::SlowHead`](super::Event::SlowHead)) so they can be rescued
    /// elsewhere (P13). Default none on a bare connection; a pool sets its
    /// own (1.5 s).
    pub rescue_delay: Option<Duration>,
    /// How long a streamed content sent with `Expect: 100-continue` waits
    /// for the server's `100` before it goes anyway (RFC 9110 §10.1.1).
    /// Default 1 s, as curl; `None` waits for the `100` or a final response.
    pub continue_timeout: Option<Duration>,
    /// A request fails with `timeout` when its response head has not come
    /// this long after its last byte was written (P10; undici's
    /// `headersTimeout`). Default none; a request's options override it.
    pub headers_timeout: Option<Duration>,
    /// A request fails with `timeout` when its response body has sent
    /// nothing for this long (P10; undici's `bodyTimeout`). Default none; a
    /// request's options override it.
    pub body_timeout: Option<Duration>,
}

impl ConnectionConfig {
    /// The defaults of `docs/DESIGN.md`.
    pub const DEFAULT: ConnectionConfig = ConnectionConfig {
        depth: 8,
        queue_limit: 1024,
        stall_timeout: Some(Duration::from_secs(30)),
        idle_timeout: Some(Duration::from_secs(60)),
        cancel_threshold: 64 * 1024,
        capability: Capability::Unknown,
        non_idempotent: NonIdempotentPolicy::Alone,
        stale_after: Duration::from_secs(1),
        large_response: None,
        rescue_delay: None,
        continue_timeout: Some(Duration::from_secs(1)),
        headers_timeout: None,
        body_timeout: None,
    };
}

impl Default for ConnectionConfig {
    fn default() -> Self {
        ConnectionConfig::DEFAULT
    }
}
