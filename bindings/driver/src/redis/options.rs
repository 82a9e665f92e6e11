//! Where a Redis client connects and the state every one of its connections
//! sets up first: from a `redis://` URL or builder-style.

use crate::Error;
use crate::basic_auth::percent_decode;
use bytes::Bytes;
use pipelining::resp::{RespConfig, RespSetup};
use pipelining::{ErrorKind, Origin};

/// The default port of `redis://` and `rediss://` URLs.
const DEFAULT_PORT: u16 = 6379;

/// The RESP version a connection speaks, chosen with `HELLO` (Redis 6 and
/// later).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Protocol {
    /// `HELLO 2`: RESP2 replies.
    Resp2,
    /// `HELLO 3`: RESP3 replies (maps, sets, doubles, pushes).
    Resp3,
}

impl Protocol {
    fn version(self) -> u8 {
        match self {
            Protocol::Resp2 => 2,
            Protocol::Resp3 => 3,
        }
    }
}

/// A Redis server and the state each connection to it sets up before any
/// command: credentials (`AUTH`, or `HELLO … AUTH`), a database (`SELECT`),
/// a protocol version (`HELLO 2|3`) and a client name (`CLIENT SETNAME`).
///
/// Every new connection, the first and each one opened after a loss, runs
/// that setup before anything else is written on it, so a command resent
/// there means what it meant on the connection it was lost with
/// (`docs/DESIGN.md` P8). A setup the server refuses (`WRONGPASS`, a
/// database out of range) closes the connection, and the commands waiting
/// for it fail at once with `connect`, naming the server's reply.
///
/// ```
/// # use pipelining_driver::redis::{Protocol, RedisOptions};
/// let options = RedisOptions::from_url("redis://app:s3cret@cache.internal:6380/3?protocol=3")?;
/// assert_eq!((options.host(), options.port(), options.database_number()), ("cache.internal", 6380, 3));
/// let same = RedisOptions::new("cache.internal", 6380)
///     .username("app")
///     .password("s3cret")
///     .database(3)
///     .protocol(Protocol::Resp3);
/// assert_eq!(options, same);
/// # Ok::<(), pipelining_driver::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct RedisOptions {
    tls: bool,
    host: String,
    port: u16,
    setup: RespSetup,
    replay_same_state: bool,
}

impl std::fmt::Debug for RedisOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The password stays out of logs.
        f.debug_struct("RedisOptions")
            .field("tls", &self.tls)
            .field("host", &self.host)
            .field("port", &self.port)
            .field("username", &self.setup.username)
            .field("password", &self.setup.password.as_ref().map(|_| "…"))
            .field("database", &self.setup.database)
            .field("protocol", &self.setup.protocol)
            .field("client_name", &self.setup.client_name)
            .field("replay_same_state", &self.replay_same_state)
            .finish()
    }
}

impl RedisOptions {
    /// `host:port` over plain TCP, with nothing set up: no credentials,
    /// database 0, the server's default protocol (RESP2), no name.
    pub fn new(host: impl Into<String>, port: u16) -> Self {
        RedisOptions { tls: false, host: host.into(), port, setup: RespSetup::default(), replay_same_state: false }
    }

    /// The options a Redis URL gives:
    /// `redis[s]://[[USER]:PASSWORD@]HOST[:PORT][/DB][?protocol=2|3]`.
    ///
    /// - `rediss://` is TLS (Redis's `tls-port`), with the builder's roots
    ///   and client certificate as for HTTPS; the server's certificate must
    ///   name `HOST`. The port defaults to 6379 for both schemes.
    /// - The user and password are percent-decoded (RFC 3986 §2.1): a
    ///   password holding `@`, `:` or `/` is written `%40`, `%3A`, `%2F`.
    ///   With a password and no user, `AUTH password` authenticates as
    ///   Redis's `default` user; a user without a password is refused.
    /// - `/DB` selects a database (`SELECT DB`); none, `/` or `/0` is 0.
    /// - `protocol=3` (or `resp3`) sends `HELLO 3`; `protocol=2` (or
    ///   `resp2`) `HELLO 2`; without it, no `HELLO` is sent.
    ///
    /// Anything else (another scheme, no host, a path that is not a number,
    /// another query parameter, a fragment) is refused with
    /// `invalid_request`, rather than connecting without it.
    pub fn from_url(url: &str) -> Result<Self, Error> {
        let bad = |why: &str| Error::new(ErrorKind::InvalidRequest, format!("Redis URL {}: {why}", redacted(url)));
        let Some((scheme, rest)) = url.split_once("://") else {
            return Err(bad("the scheme must be redis:// or rediss://"));
        };
        let tls = if scheme.eq_ignore_ascii_case("redis") {
            false
        } else if scheme.eq_ignore_ascii_case("rediss") {
            true
        } else {
            return Err(bad("the scheme must be redis:// or rediss://"));
        };
        if rest.contains('#') {
            return Err(bad("a fragment means nothing here"));
        }
        let (rest, query) = rest.split_once('?').map_or((rest, None), |(r, q)| (r, Some(q)));
        let (authority, path) = rest.find('/').map_or((rest, ""), |at| rest.split_at(at));
        let (userinfo, host_port) = authority.rsplit_once('@').map_or((None, authority), |(u, h)| (Some(u), h));
        if host_port.is_empty() {
            return Err(bad("no host"));
        }
        let parsed: http::uri::Authority =
            host_port.parse().map_err(|e: http::uri::InvalidUri| bad(&format!("bad host or port: {e}")))?;
        if parsed.host().is_empty() {
            return Err(bad("no host"));
        }
        // `Authority` reads a port out of range as none: read it here.
        let port = match host_port.get(parsed.host().len()..).and_then(|rest| rest.strip_prefix(':')) {
            None | Some("") => DEFAULT_PORT,
            Some(digits) => match digits.parse() {
                Ok(port) => port,
                Err(_) => return Err(bad("bad host or port: the port must be 0 to 65535")),
            },
        };
        let mut options = RedisOptions::new(parsed.host(), port).tls(tls);
        if let Some(userinfo) = userinfo {
            let (user, password) = userinfo.split_once(':').map_or((userinfo, ""), |(u, p)| (u, p));
            let nonempty = |text: &str| (!text.is_empty()).then(|| Bytes::from(percent_decode(text)));
            options.setup.username = nonempty(user);
            options.setup.password = nonempty(password);
            if options.setup.username.is_some() && options.setup.password.is_none() {
                return Err(bad("a user needs a password (redis://USER:PASSWORD@HOST)"));
            }
        }
        match path {
            "" | "/" => {}
            _ => match path[1..].parse::<u32>() {
                Ok(database) => options = options.database(database),
                Err(_) => return Err(bad("the path must be a database number, /0 to /N")),
            },
        }
        for pair in query.into_iter().flat_map(|q| q.split('&')).filter(|p| !p.is_empty()) {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            let protocol = match (key, value.to_ascii_lowercase().as_str()) {
                ("protocol", "2" | "resp2") => Protocol::Resp2,
                ("protocol", "3" | "resp3") => Protocol::Resp3,
                ("protocol", _) => return Err(bad("protocol must be 2 or 3")),
                _ => return Err(bad(&format!("unknown parameter {key:?} (only protocol=2|3 is taken)"))),
            };
            options = options.protocol(protocol);
        }
        Ok(options)
    }

    /// Over TLS (`rediss`) or not.
    #[must_use]
    pub fn tls(mut self, on: bool) -> Self {
        self.tls = on;
        self
    }

    /// The user to authenticate as (Redis 6 ACLs); needs a
    /// [`password`](Self::password).
    #[must_use]
    pub fn username(mut self, username: impl Into<Bytes>) -> Self {
        self.setup.username = Some(username.into());
        self
    }

    /// The password: `AUTH password` (the `default` user), or
    /// `AUTH username password`; carried by `HELLO` when a
    /// [`protocol`](Self::protocol) is chosen.
    #[must_use]
    pub fn password(mut self, password: impl Into<Bytes>) -> Self {
        self.setup.password = Some(password.into());
        self
    }

    /// The database every connection selects (`SELECT`); 0 sends nothing.
    #[must_use]
    pub fn database(mut self, database: u32) -> Self {
        self.setup.database = (database != 0).then_some(database);
        self
    }

    /// The protocol every connection asks for with `HELLO`.
    #[must_use]
    pub fn protocol(mut self, protocol: Protocol) -> Self {
        self.setup.protocol = Some(protocol.version());
        self
    }

    /// The name every connection takes (`CLIENT SETNAME`, or `HELLO …
    /// SETNAME`): what `CLIENT LIST` shows and `CLIENT KILL` can aim at.
    #[must_use]
    pub fn client_name(mut self, name: impl Into<Bytes>) -> Self {
        self.setup.client_name = Some(name.into());
        self
    }

    /// Resend commands whose state is the same when repeated but whose
    /// reply is not ([`ReplayClass::SameState`](pipelining::resp::ReplayClass):
    /// `DEL`, `SADD`, `SREM`, `HSET`, `EXPIRE`, `SET … NX|XX|GET`, …) after
    /// a lost connection, like reads (default off).
    ///
    /// What the caller then sees is the resend's reply, not the first
    /// one's: a `DEL` that removed its key before the connection was lost
    /// answers 0 when resent, a `SET … NX` that set its key answers null,
    /// an `SADD` counts no new member. The data ends the same either way.
    /// Off, such a command lost after it was written fails with
    /// `may_have_been_processed` instead, and is never resent.
    #[must_use]
    pub fn replay_same_state(mut self, on: bool) -> Self {
        self.replay_same_state = on;
        self
    }

    /// The server's host, as given (an IPv6 address in brackets).
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The server's port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Whether connections use TLS.
    pub fn is_tls(&self) -> bool {
        self.tls
    }

    /// The user, if one is set.
    pub fn user(&self) -> Option<&[u8]> {
        self.setup.username.as_deref()
    }

    /// Whether a password is set (the password itself is not shown).
    pub fn has_password(&self) -> bool {
        self.setup.password.is_some()
    }

    /// The database selected (0 by default).
    pub fn database_number(&self) -> u32 {
        self.setup.database.unwrap_or(0)
    }

    /// The protocol asked for, if one is.
    pub fn protocol_version(&self) -> Option<Protocol> {
        match self.setup.protocol {
            Some(2) => Some(Protocol::Resp2),
            Some(3) => Some(Protocol::Resp3),
            _ => None,
        }
    }

    /// The connections' name, if one is set.
    pub fn name(&self) -> Option<&[u8]> {
        self.setup.client_name.as_deref()
    }

    /// Whether [`ReplayClass::SameState`](pipelining::resp::ReplayClass)
    /// commands are resent after a loss.
    pub fn replays_same_state(&self) -> bool {
        self.replay_same_state
    }

    /// The origin connections go to.
    pub(crate) fn origin(&self) -> Origin {
        Origin::new(if self.tls { "rediss" } else { "redis" }, &self.host, self.port)
    }

    /// The codec's configuration, if the options can be honoured.
    pub(crate) fn resp_config(&self) -> Result<RespConfig, Error> {
        if self.setup.username.is_some() && self.setup.password.is_none() {
            return Err(Error::new(ErrorKind::InvalidRequest, "Redis options: a user needs a password"));
        }
        let mut config = RespConfig::default();
        config.setup = self.setup.clone();
        config.replay_same_state = self.replay_same_state;
        Ok(config)
    }
}

/// `url` with its password, if any, replaced: error messages may be
/// logged.
fn redacted(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else { return url.to_owned() };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let Some(at) = rest[..authority_end].rfind('@') else { return url.to_owned() };
    match rest[..at].split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:…@{}", &rest[at + 1..]),
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(url: &str) -> RedisOptions {
        RedisOptions::from_url(url).unwrap_or_else(|e| panic!("{url}: {e}"))
    }

    #[test]
    fn urls_give_scheme_host_and_port() {
        for (url, tls, host, port) in [
            ("redis://127.0.0.1:7000", false, "127.0.0.1", 7000),
            ("rediss://cache.example", true, "cache.example", 6379),
            ("REDISS://Cache.example:6380/0", true, "Cache.example", 6380),
            ("rediss://[::1]:6380/", true, "[::1]", 6380),
        ] {
            let options = parse(url);
            assert_eq!((options.is_tls(), options.host(), options.port()), (tls, host, port), "{url}");
            assert_eq!(options.setup, RespSetup::default(), "{url}: nothing to set up");
            assert_eq!(options.origin().scheme(), if tls { "rediss" } else { "redis" });
        }
    }

    #[test]
    fn urls_carry_credentials_database_and_protocol() {
        let options = parse("redis://app:s%40cr%3At%2F@host:6380/3?protocol=3");
        assert_eq!(options.setup.username.as_deref(), Some(&b"app"[..]));
        assert_eq!(options.setup.password.as_deref(), Some(&b"s@cr:t/"[..]), "percent-decoded");
        assert_eq!(options.database_number(), 3);
        assert_eq!(options.protocol_version(), Some(Protocol::Resp3));
        // A password alone authenticates the default user.
        let options = parse("rediss://:hunter2@host/15?protocol=resp2");
        assert_eq!((options.user(), options.setup.password.as_deref()), (None, Some(&b"hunter2"[..])));
        assert_eq!((options.database_number(), options.protocol_version()), (15, Some(Protocol::Resp2)));
        // `/0` selects nothing: database 0 is every connection's start.
        assert_eq!(parse("redis://h/0").setup.database, None);
        // The setup commands, in the order a connection sends them.
        let config = parse("redis://app:pw@h/2").client_name("worker").resp_config().unwrap();
        let words: Vec<Vec<u8>> = config
            .setup
            .commands()
            .iter()
            .map(|c| c.args.iter().flat_map(|a| [&a[..], b" "].concat()).collect())
            .collect();
        assert_eq!(words, [&b"AUTH app pw "[..], b"CLIENT SETNAME worker ", b"SELECT 2 "]);
    }

    #[test]
    fn urls_this_client_cannot_honour_are_refused() {
        for (url, why) in [
            ("http://127.0.0.1:6379", "scheme"),
            ("127.0.0.1:6379", "scheme"),
            ("redis://", "no host"),
            ("redis://user:pw@", "no host"),
            ("redis://host/two", "database number"),
            ("redis://host/1/2", "database number"),
            ("redis://host/-1", "database number"),
            ("redis://host?db=1", "unknown parameter \"db\""),
            ("redis://host?protocol=4", "protocol must be 2 or 3"),
            ("redis://host#x", "fragment"),
            ("redis://user@host", "a user needs a password"),
            ("redis://host:99999", "bad host or port"),
        ] {
            let e = RedisOptions::from_url(url).expect_err(url);
            assert_eq!(e.kind(), ErrorKind::InvalidRequest, "{url}");
            assert!(e.message().contains(why), "{url}: {}", e.message());
        }
        let e = RedisOptions::new("h", 1).username("u").resp_config().expect_err("a user alone");
        assert_eq!(e.kind(), ErrorKind::InvalidRequest);
    }

    #[test]
    fn passwords_stay_out_of_messages_and_debug_output() {
        let e = RedisOptions::from_url("redis://app:topsecret@host/x").expect_err("bad path");
        assert!(!e.message().contains("topsecret"), "{}", e.message());
        assert!(e.message().contains("redis://app:…@host/x"), "{}", e.message());
        let shown = format!("{:?}", parse("redis://app:topsecret@host"));
        assert!(!shown.contains("topsecret") && shown.contains("password"), "{shown}");
    }

    #[test]
    fn builder_options_match_the_url() {
        let built = RedisOptions::new("h", 7000)
            .tls(true)
            .username("u")
            .password("p")
            .database(4)
            .protocol(Protocol::Resp2)
            .client_name("n")
            .replay_same_state(true);
        let mut from_url = parse("rediss://u:p@h:7000/4?protocol=2").client_name("n");
        assert_ne!(built, from_url, "replay_same_state differs");
        from_url = from_url.replay_same_state(true);
        assert_eq!(built, from_url);
        assert!(built.resp_config().unwrap().replay_same_state);
        assert_eq!(built.database(0).setup.database, None);
    }
}
