//! HTTP proxies: proxy URLs, the proxy environment variables, `NO_PROXY`
//! matching, and the `CONNECT` handshake that opens a tunnel — all pure
//! functions of their inputs, so every driver (Rust and, through wasm,
//! JavaScript) routes requests by the same rules. Nothing here reads the
//! process environment: [`ProxyConfig::from_vars`] is handed a lookup
//! function.
//!
//! How a driver uses a proxy (`docs/DESIGN.md` Defaults):
//!
//! - an `http://` origin is reached through the proxy in absolute form
//!   (`GET http://host/path HTTP/1.1`, RFC 9112 §3.2.2) on connections to
//!   the proxy, so the pool's origin for those requests is the proxy's
//!   ([`Proxy::origin`]) and what the pool learns belongs to the proxy;
//!   requests go one at a time on each proxy connection
//!   ([`RequestOptions::alone`](crate::RequestOptions::alone)) unless the
//!   proxy is trusted to pipeline ([`Proxy::with_pipelining`]);
//! - an `https://` origin is reached through a tunnel the proxy opens on
//!   `CONNECT host:port` (RFC 9110 §9.3.6, [`ConnectHandshake`]), with TLS
//!   and normal pipelining inside it; the pool's origin stays the target's
//!   (one client has one proxy configuration, so the target names the
//!   tunnel);
//! - credentials in the proxy URL's userinfo are sent as
//!   `Proxy-Authorization: Basic …` (RFC 9110 §11.7.2, RFC 7617) with each
//!   absolute-form request and with `CONNECT`.
//!
//! # The environment ([`ProxyConfig::from_vars`])
//!
//! | origin | variables, first set and non-empty wins |
//! |---|---|
//! | `http://` | `http_proxy`, `HTTP_PROXY`, `all_proxy`, `ALL_PROXY` |
//! | `https://` | `https_proxy`, `HTTPS_PROXY`, `all_proxy`, `ALL_PROXY` |
//! | exceptions | `no_proxy`, `NO_PROXY` |
//!
//! - The lower-case form wins when both are set, as curl reads them.
//! - An empty value counts as unset: the next variable is read.
//! - `HTTP_PROXY` is ignored whenever `REQUEST_METHOD` is set, whatever its
//!   value: in a CGI program `HTTP_PROXY` holds the request's `Proxy` header,
//!   which the client's caller controls ("httpoxy"; Go's rule). The other
//!   variables still apply.
//! - A value that is not a valid proxy URL is an error naming the variable
//!   (never its value, which may hold a password): a proxy the user asked
//!   for is never silently skipped.
//!
//! # Proxy URLs ([`Proxy::parse`])
//!
//! `[http://][user[:password]@]host[:port][/]`: only `http://` proxies are
//! supported (a missing scheme means `http://`, as curl and Go read it);
//! `https://`, `socks4://`, `socks5://` and any other scheme are an
//! [`UnsupportedScheme`](ProxyError::UnsupportedScheme) error. The port
//! defaults to 80, the scheme's port (curl assumes 1080; Go, Python and
//! reqwest 80). User and password are percent-decoded.
//!
//! # `NO_PROXY` ([`NoProxy`])
//!
//! A comma-separated list; spaces around entries are ignored, and so are
//! empty entries. An origin that matches any entry is reached directly.
//!
//! - `*` matches every host.
//! - A name matches itself and every name under it: `example.com`,
//!   `.example.com` and `*.example.com` all match `example.com` and
//!   `a.b.example.com`, never `badexample.com` (curl's reading of the
//!   leading dot). Case is ignored, and so is a trailing dot on either side.
//! - An IP address matches that address written in any form (`::1` and
//!   `0:0::1` are one address); an IPv6 address may be bracketed.
//! - A CIDR block (`10.0.0.0/8`, `fd00::/8`) matches the addresses in it.
//! - An entry may end with `:port` (IPv6: `[::1]:8080`); it then matches
//!   that port only. CIDR blocks take no port.
//! - Names are never resolved: `localhost` does not match `127.0.0.1`, nor
//!   an address entry a name. Nothing is exempt by default (loopback
//!   included), as in curl.
//! - An entry that cannot match anything (a CIDR block with a bad prefix, a
//!   bad port) is ignored.

mod address;
mod config;
mod credentials;
mod error;
mod forward;
mod no_proxy;
mod tunnel;
mod url;

pub use config::{ProxyConfig, ProxyVarError};
pub use credentials::basic as basic_credentials;
pub use error::ProxyError;
pub use forward::forward;
pub use no_proxy::NoProxy;
pub use tunnel::{ConnectHandshake, TunnelError, TunnelState};
pub use url::Proxy;
