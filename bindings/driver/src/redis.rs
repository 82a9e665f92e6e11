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
        Self::at(Origin::new("redis", host, port), builder)
    }

    /// A client for `host:port` over TLS (Redis's `tls-port`), with
    /// `builder`'s roots and client certificate as for HTTPS, no ALPN.
    /// The server's certificate must name `host`.
    pub fn new_tls(host: &str, port: u16, builder: Builder<G>) -> Result<Self, Error> {
        Self::at(Origin::new("rediss", host, port), builder)
    }

    /// A client for a Redis URL: `redis://HOST[:PORT]` for plain TCP,
    /// `rediss://HOST[:PORT]` for TLS ([`new_tls`](Self::new_tls)); the
    /// port defaults to 6379 for both, and a path may only name database
    /// 0 (`/` or `/0`). Credentials and other databases would need `AUTH`
    /// and `SELECT` on every new connection, which this client does not
    /// send: such a URL is refused (`invalid_request`) rather than
    /// silently connecting without them.
    pub fn from_url(url: &str, builder: Builder<G>) -> Result<Self, Error> {
        let (tls, host, port) = parse_url(url)?;
        if tls { Self::new_tls(&host, port, builder) } else { Self::new(&host, port, builder) }
    }

    fn at(server: Origin, builder: Builder<G>) -> Result<Self, Error> {
        Ok(RedisClient { inner: MessageClient::new(builder.assume_pipelining(true), RespFactory::default())?, server })
    }

    /// Sends a command; queued at once, in call order. Idempotency follows
    /// the command ([`Command::is_idempotent`]) unless `idempotency` says
    /// otherwise. An error reply (`-ERR …`) is an `Ok` [`Value::Error`].
    pub fn command(&self, command: Command, idempotency: Idempotency) -> MessageFuture<RespFactory> {
        self.inner.request(&self.server, command.into(), idempotency)
    }
}

/// The default port of `redis://` and `rediss://` URLs.
const DEFAULT_PORT: u16 = 6379;

/// `(tls, host, port)` of a `redis://` or `rediss://` URL.
fn parse_url(url: &str) -> Result<(bool, String, u16), Error> {
    let bad = |why: &str| Error::new(pipelining::ErrorKind::InvalidRequest, format!("Redis URL {url:?}: {why}"));
    let uri: http::Uri = url.parse().map_err(|e: http::uri::InvalidUri| bad(&e.to_string()))?;
    let tls = match uri.scheme_str() {
        Some(s) if s.eq_ignore_ascii_case("redis") => false,
        Some(s) if s.eq_ignore_ascii_case("rediss") => true,
        _ => return Err(bad("the scheme must be redis:// or rediss://")),
    };
    let Some(authority) = uri.authority() else { return Err(bad("no host")) };
    if authority.as_str().contains('@') {
        return Err(bad("credentials are not supported (AUTH is not sent)"));
    }
    if !matches!(uri.path(), "" | "/" | "/0") || uri.query().is_some() {
        return Err(bad("only database 0 is supported (SELECT is not sent)"));
    }
    let host = authority.host();
    if host.is_empty() {
        return Err(bad("no host"));
    }
    Ok((tls, host.to_owned(), authority.port_u16().unwrap_or(DEFAULT_PORT)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_give_scheme_host_and_port() {
        assert_eq!(parse_url("redis://127.0.0.1:7000").unwrap(), (false, "127.0.0.1".to_owned(), 7000));
        assert_eq!(parse_url("rediss://cache.example").unwrap(), (true, "cache.example".to_owned(), 6379));
        assert_eq!(parse_url("REDISS://Cache.example:6380/0").unwrap(), (true, "Cache.example".to_owned(), 6380));
        assert_eq!(parse_url("rediss://[::1]:6380/").unwrap(), (true, "[::1]".to_owned(), 6380));
    }

    #[test]
    fn urls_this_client_cannot_honour_are_refused() {
        for (url, why) in [
            ("http://127.0.0.1:6379", "scheme"),
            ("127.0.0.1:6379", "scheme"),
            ("rediss://user:secret@host:6380", "credentials"),
            ("redis://host/2", "database"),
            ("redis://host/?db=1", "database"),
            ("redis://", ""),
        ] {
            let e = parse_url(url).expect_err(url);
            assert_eq!(e.kind(), pipelining::ErrorKind::InvalidRequest, "{url}");
            assert!(e.message().contains(why), "{url}: {}", e.message());
        }
    }
}
