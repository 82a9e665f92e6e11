//! One HTTP proxy: where it is, its credentials, and whether it may be
//! pipelined to.

use super::ProxyError;
use super::address::IpAddress;
use super::credentials::{basic, percent_decode};
use crate::origin::Origin;
use alloc::string::String;
use core::fmt;
use core::str::FromStr;

/// The port of a proxy URL that names none: `http`'s.
const DEFAULT_PORT: u16 = 80;

/// An HTTP proxy: its host and port, the `Proxy-Authorization` its URL's
/// userinfo gives, and whether requests through it may be pipelined.
///
/// Made by [`Proxy::parse`] from `[http://][user[:password]@]host[:port][/]`
/// (the rules are in the [module docs](super)). Its [`Display`](fmt::Display)
/// and [`Debug`](fmt::Debug) forms never show the password.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Proxy {
    /// `http`, the proxy's host and port: the pool's origin for the
    /// absolute-form requests sent through it.
    origin: Origin,
    /// `Basic …`, from the userinfo.
    authorization: Option<String>,
    /// The user of the credentials, for display.
    username: Option<String>,
    /// Requests through it may be pipelined (default off).
    pipelining: bool,
}

impl Proxy {
    /// Parses a proxy URL: `http://` or no scheme; user and password
    /// percent-decoded; port 80 unless given; nothing after the authority
    /// but an optional `/`. Surrounding spaces are ignored.
    pub fn parse(url: &str) -> Result<Proxy, ProxyError> {
        let url = url.trim_matches(|c: char| c.is_ascii_whitespace());
        if url.is_empty() {
            return Err(ProxyError::Empty);
        }
        // Searched for as bytes and split where found, not indexed: no
        // panicking path (its formatting code is a large part of the wasm
        // module).
        let scheme_end = url.as_bytes().windows(3).position(|w| w == b"://");
        let rest = match scheme_end.and_then(|end| url.split_at_checked(end)) {
            Some((scheme, rest)) => {
                let rest = rest.get(3..).unwrap_or_default();
                if !is_scheme(scheme) {
                    return Err(ProxyError::InvalidScheme);
                }
                if !scheme.eq_ignore_ascii_case("http") {
                    return Err(ProxyError::UnsupportedScheme { scheme: scheme.to_ascii_lowercase() });
                }
                rest
            }
            None => url,
        };
        let (authority, tail) = match rest.find(['/', '?', '#']) {
            Some(at) => rest.split_at_checked(at).unwrap_or((rest, "")),
            None => (rest, ""),
        };
        if !tail.is_empty() && tail != "/" {
            return Err(ProxyError::UnexpectedPath);
        }
        let (userinfo, host_port) = match authority.rsplit_once('@') {
            Some((userinfo, host_port)) => (Some(userinfo), host_port),
            None => (None, authority),
        };
        let (host, port) = split_host_port(host_port)?;
        let mut proxy =
            Proxy { origin: Origin::new("http", host, port), authorization: None, username: None, pipelining: false };
        if let Some(userinfo) = userinfo {
            let (user, password) = userinfo.split_once(':').unwrap_or((userinfo, ""));
            let user = percent_decode(user).ok_or(ProxyError::InvalidUserinfo)?;
            let password = percent_decode(password).ok_or(ProxyError::InvalidUserinfo)?;
            proxy = proxy.with_credentials(&user, &password)?;
        }
        Ok(proxy)
    }

    /// The same proxy with these Basic credentials (RFC 7617), replacing
    /// any from its URL. A user may not contain a colon (RFC 7617 §2).
    pub fn with_basic_auth(self, user: &str, password: &str) -> Result<Proxy, ProxyError> {
        self.with_credentials(user.as_bytes(), password.as_bytes())
    }

    fn with_credentials(mut self, user: &[u8], password: &[u8]) -> Result<Proxy, ProxyError> {
        // RFC 7617 §2: the user-id cannot hold a colon, and neither part a
        // control character.
        let control = |b: &u8| *b < 0x20 || *b == 0x7f;
        if user.contains(&b':') || user.iter().any(control) || password.iter().any(control) {
            return Err(ProxyError::InvalidUserinfo);
        }
        self.authorization = Some(basic(user, password));
        self.username = Some(String::from_utf8_lossy(user).into_owned());
        Ok(self)
    }

    /// The same proxy, trusted (`true`) or not (`false`, the default) to
    /// pipeline the absolute-form requests sent through it. Off by default:
    /// intermediaries that mishandle pipelined requests are why browsers
    /// gave up on pipelining. Tunnels (`CONNECT`) pipeline either way: the
    /// proxy only relays their bytes.
    #[must_use]
    pub fn with_pipelining(mut self, on: bool) -> Proxy {
        self.pipelining = on;
        self
    }

    /// `http://host:port` of the proxy: the pool's origin for requests sent
    /// through it in absolute form.
    pub fn origin(&self) -> &Origin {
        &self.origin
    }

    /// The host: a name, an IPv4 address, or an IPv6 address without
    /// brackets; lowercase.
    pub fn host(&self) -> &str {
        self.origin.host()
    }

    /// The port.
    pub fn port(&self) -> u16 {
        self.origin.port()
    }

    /// `host:port`, the IPv6 address in brackets: how messages name the
    /// proxy.
    pub fn authority(&self) -> String {
        let host = self.host();
        if host.contains(':') {
            alloc::format!("[{host}]:{}", self.port())
        } else {
            alloc::format!("{host}:{}", self.port())
        }
    }

    /// The value of `Proxy-Authorization` (RFC 9110 §11.7.2), when the
    /// proxy has credentials: `Basic …`.
    pub fn authorization(&self) -> Option<&str> {
        self.authorization.as_deref()
    }

    /// The user of the credentials, if any.
    pub fn username(&self) -> Option<&str> {
        self.username.as_deref()
    }

    /// Whether requests sent through it in absolute form may be pipelined.
    pub fn pipelining(&self) -> bool {
        self.pipelining
    }
}

impl FromStr for Proxy {
    type Err = ProxyError;

    fn from_str(url: &str) -> Result<Proxy, ProxyError> {
        Proxy::parse(url)
    }
}

impl fmt::Display for Proxy {
    /// `http://host:port`: never the credentials.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "http://{}", self.authority())
    }
}

impl fmt::Debug for Proxy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Proxy")
            .field("url", &format_args!("{self}"))
            .field("username", &self.username)
            .field("password", &self.authorization.as_ref().map(|_| "…"))
            .field("pipelining", &self.pipelining)
            .finish()
    }
}

/// `ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )` (RFC 3986 §3.1).
fn is_scheme(s: &str) -> bool {
    let mut bytes = s.bytes();
    bytes.next().is_some_and(|b| b.is_ascii_alphabetic())
        && bytes.all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'))
}

/// Host and port of `host[:port]` or `[v6][:port]`; the port defaults to
/// 80, also when the colon is followed by nothing (RFC 3986 §3.2.3).
fn split_host_port(authority: &str) -> Result<(&str, u16), ProxyError> {
    let (host, port) = if let Some(bracketed) = authority.strip_prefix('[') {
        let (host, after) = bracketed.split_once(']').ok_or(ProxyError::InvalidHost)?;
        if !IpAddress::is_ipv6(host) {
            return Err(ProxyError::InvalidHost);
        }
        match after.strip_prefix(':') {
            Some(port) => (host, Some(port)),
            None if after.is_empty() => (host, None),
            None => return Err(ProxyError::InvalidHost),
        }
    } else {
        let (host, port) = match authority.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        };
        if host.is_empty() {
            return Err(ProxyError::MissingHost);
        }
        if !host.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')) {
            return Err(ProxyError::InvalidHost);
        }
        (host, port)
    };
    if host.is_empty() {
        return Err(ProxyError::MissingHost);
    }
    let port = match port {
        None | Some("") => DEFAULT_PORT,
        Some(digits) if digits.bytes().all(|b| b.is_ascii_digit()) => {
            digits.parse::<u16>().ok().filter(|&p| p != 0).ok_or(ProxyError::InvalidPort)?
        }
        Some(_) => return Err(ProxyError::InvalidPort),
    };
    Ok((host, port))
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;

    fn parse(url: &str) -> Proxy {
        Proxy::parse(url).unwrap_or_else(|e| panic!("{url:?}: {e}"))
    }

    #[test]
    fn http_urls_give_host_port_and_origin() {
        let proxy = parse("http://Proxy.Example:3128");
        assert_eq!((proxy.host(), proxy.port()), ("proxy.example", 3128));
        assert_eq!(proxy.origin(), &Origin::new("http", "proxy.example", 3128));
        assert_eq!(proxy.authorization(), None);
        assert!(!proxy.pipelining(), "pipelining through a proxy is off by default");
        assert_eq!(parse("HTTP://127.0.0.1:8080/").authority(), "127.0.0.1:8080");
        assert_eq!(parse("  http://10.0.0.1:1  ").authority(), "10.0.0.1:1");
    }

    #[test]
    fn a_missing_scheme_means_http_and_a_missing_port_80() {
        assert_eq!(parse("proxy:3128").origin(), &Origin::new("http", "proxy", 3128));
        assert_eq!(parse("proxy").port(), 80);
        assert_eq!(parse("http://proxy:").port(), 80, "an empty port is the default (RFC 3986 §3.2.3)");
        assert_eq!(parse("http://proxy/").port(), 80);
    }

    #[test]
    fn ipv6_proxies_are_bracketed() {
        let proxy = parse("http://[::1]:3128");
        assert_eq!(proxy.host(), "::1");
        assert_eq!(proxy.authority(), "[::1]:3128");
        assert_eq!(proxy.to_string(), "http://[::1]:3128");
        assert_eq!(parse("[fd00::2]").port(), 80);
    }

    #[test]
    fn userinfo_becomes_basic_credentials() {
        let proxy = parse("http://Aladdin:open%20sesame@proxy:3128");
        assert_eq!(proxy.authorization(), Some("Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="));
        assert_eq!(proxy.username(), Some("Aladdin"));
        // The last `@` ends the userinfo; a password may hold `:`.
        let proxy = parse("http://u:p:w@x@proxy");
        assert_eq!(proxy.authorization(), Some(&*basic(b"u", b"p:w@x")));
        assert_eq!(proxy.host(), "proxy");
        // A user alone has an empty password.
        assert_eq!(parse("http://user@proxy").authorization(), Some("Basic dXNlcjo="));
        // Escapes decode: %40 is `@`, %3A in the password is `:`.
        assert_eq!(parse("http://a%40b:c%3Ad@proxy").authorization(), Some(&*basic(b"a@b", b"c:d")));
    }

    #[test]
    fn credentials_never_show_in_display_or_debug() {
        let proxy = parse("http://user:s3cret@proxy:3128");
        assert_eq!(proxy.to_string(), "http://proxy:3128");
        let debug = alloc::format!("{proxy:?}");
        assert!(!debug.contains("s3cret") && !debug.contains(proxy.authorization().unwrap_or("-")), "{debug}");
        assert!(debug.contains("user"), "{debug}");
    }

    #[test]
    fn other_schemes_are_unsupported_by_name() {
        for (url, scheme) in [
            ("socks5://127.0.0.1:1080", "socks5"),
            ("SOCKS5H://proxy", "socks5h"),
            ("socks4://proxy", "socks4"),
            ("socks4a://proxy", "socks4a"),
            ("https://proxy:443", "https"),
            ("ftp://proxy", "ftp"),
        ] {
            let error = Proxy::parse(url).unwrap_err();
            assert_eq!(error, ProxyError::UnsupportedScheme { scheme: scheme.to_string() }, "{url}");
            assert!(error.to_string().starts_with("unsupported proxy scheme"), "{error}");
        }
    }

    #[test]
    fn malformed_urls_are_refused_with_a_reason() {
        for (url, error) in [
            ("", ProxyError::Empty),
            ("   ", ProxyError::Empty),
            ("://proxy", ProxyError::InvalidScheme),
            ("1http://proxy", ProxyError::InvalidScheme),
            ("ht tp://proxy", ProxyError::InvalidScheme),
            ("http://", ProxyError::MissingHost),
            ("http://:3128", ProxyError::MissingHost),
            ("http://user@", ProxyError::MissingHost),
            ("http://[]:80", ProxyError::InvalidHost),
            ("http://pro xy", ProxyError::InvalidHost),
            ("http://proxy\r\nX: y", ProxyError::InvalidHost),
            ("http://[::1", ProxyError::InvalidHost),
            ("http://[::1]x", ProxyError::InvalidHost),
            ("http://[not-v6]", ProxyError::InvalidHost),
            ("http://::1:80", ProxyError::MissingHost),
            ("http://proxy:80:81", ProxyError::InvalidPort),
            ("http://proxy:0", ProxyError::InvalidPort),
            ("http://proxy:65536", ProxyError::InvalidPort),
            ("http://proxy:+80", ProxyError::InvalidPort),
            ("http://proxy:80a", ProxyError::InvalidPort),
            ("http://proxy:99999999999999999999", ProxyError::InvalidPort),
            ("http://us er@proxy", ProxyError::InvalidUserinfo),
            ("http://user:%zz@proxy", ProxyError::InvalidUserinfo),
            ("http://us%3Aer:pw@proxy", ProxyError::InvalidUserinfo),
            ("http://user:p%0Aw@proxy", ProxyError::InvalidUserinfo),
            ("http://proxy/path", ProxyError::UnexpectedPath),
            ("http://proxy?x", ProxyError::UnexpectedPath),
            ("http://proxy#x", ProxyError::UnexpectedPath),
            ("http://proxy//", ProxyError::UnexpectedPath),
        ] {
            assert_eq!(Proxy::parse(url), Err(error.clone()), "{url:?}");
            assert!(!error.to_string().is_empty());
            assert_eq!(error.kind(), crate::ErrorKind::InvalidRequest);
        }
    }

    #[test]
    fn errors_never_echo_the_url() {
        let error = Proxy::parse("http://user:s3cret@pro xy").unwrap_err();
        assert!(!error.to_string().contains("s3cret"), "{error}");
    }

    #[test]
    fn builders_set_pipelining_and_credentials() {
        let proxy = parse("http://a:b@proxy").with_basic_auth("Aladdin", "open sesame").unwrap().with_pipelining(true);
        assert_eq!(proxy.authorization(), Some("Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="));
        assert!(proxy.pipelining());
        assert_eq!(parse("proxy").with_basic_auth("a:b", "c"), Err(ProxyError::InvalidUserinfo));
        assert_eq!("http://proxy:1".parse::<Proxy>().map(|p| p.port()), Ok(1));
    }
}
