//! Why a proxy URL was refused.

use crate::ErrorKind;
use alloc::string::String;

/// A proxy URL that cannot be used. Local misuse, never a peer's fault: all
/// map to [`ErrorKind::InvalidRequest`], and nothing is sent.
///
/// The messages never repeat the URL: it may hold a password.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ProxyError {
    /// The URL is empty (or only spaces).
    #[error("empty proxy URL")]
    Empty,
    /// A scheme other than `http`: `https`, `socks4`, `socks5`, …
    // Quoted by hand, not with `{:?}`: the scheme passed `is_scheme` (ASCII
    // letters, digits, `+`, `-`, `.`), and `Debug` formatting of strings is
    // a large part of the wasm module.
    #[error("unsupported proxy scheme \"{scheme}\": only http:// proxies are supported")]
    UnsupportedScheme {
        /// The scheme, lowercased.
        scheme: String,
    },
    /// What stands before `://` is not a scheme (RFC 3986 §3.1).
    #[error("malformed proxy URL: invalid scheme")]
    InvalidScheme,
    /// There is no host.
    #[error("malformed proxy URL: no host")]
    MissingHost,
    /// The host is neither a name (letters, digits, `-`, `.`, `_`, `~`), an
    /// IPv4 address, nor a bracketed IPv6 address.
    #[error("malformed proxy URL: invalid host")]
    InvalidHost,
    /// The port is not a number from 1 to 65535.
    #[error("malformed proxy URL: invalid port")]
    InvalidPort,
    /// The user or password holds a byte a URL cannot (a space, a control
    /// character), a bad percent escape, or a user with a colon, which Basic
    /// credentials cannot carry (RFC 7617 §2).
    #[error("malformed proxy URL: invalid user or password")]
    InvalidUserinfo,
    /// A path other than `/`, a query or a fragment: a proxy URL names a
    /// host, nothing on it.
    #[error("malformed proxy URL: a proxy URL has no path, query or fragment")]
    UnexpectedPath,
}

impl ProxyError {
    /// The C5 name of this error: always `invalid_request`.
    pub fn kind(&self) -> ErrorKind {
        ErrorKind::InvalidRequest
    }
}
