//! Origins: where connections go (RFC 9110 §4.3.1).

use alloc::string::String;
use core::fmt;

/// A scheme, host and port: the unit connections, capability memory and
/// request budgets are kept per.
///
/// Normalised once, when made: scheme and host are lowercased (both are
/// case-insensitive, RFC 3986 §6.2.2.1) and an IPv6 host is kept without
/// brackets, so two spellings of one origin compare equal.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Origin {
    scheme: String,
    host: String,
    port: u16,
}

impl Origin {
    /// An origin; scheme and host are lowercased and brackets around an
    /// IPv6 host are dropped.
    pub fn new(scheme: &str, host: &str, port: u16) -> Self {
        let host = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')).unwrap_or(host);
        Origin { scheme: scheme.to_ascii_lowercase(), host: host.to_ascii_lowercase(), port }
    }

    /// The scheme, lowercase (`http`, `https`, `redis`, `dns`, …).
    pub fn scheme(&self) -> &str {
        &self.scheme
    }

    /// The host, lowercase: a name, an IPv4 address, or an IPv6 address
    /// without brackets.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// A borrowed view, for lookups that should not allocate.
    pub fn borrowed(&self) -> OriginRef<'_> {
        OriginRef { scheme: &self.scheme, host: &self.host, port: self.port }
    }

    /// The value for an HTTP `Host` header (RFC 9110 §7.2): the host, in
    /// brackets if it is an IPv6 address, and the port unless it is the
    /// scheme's default.
    pub fn authority(&self) -> String {
        let default_port = match self.scheme.as_str() {
            "http" => Some(80),
            "https" => Some(443),
            _ => None,
        };
        let host = if self.host.contains(':') { alloc::format!("[{}]", self.host) } else { self.host.clone() };
        if default_port == Some(self.port) { host } else { alloc::format!("{host}:{}", self.port) }
    }
}

/// An origin borrowed from a URL being parsed: what a pool is asked for,
/// compared without allocating, and copied into an [`Origin`] only the
/// first time the pool meets it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OriginRef<'a> {
    scheme: &'a str,
    host: &'a str,
    port: u16,
}

impl<'a> OriginRef<'a> {
    /// An origin from its parts, in any case; brackets around an IPv6 host
    /// are dropped. Compared case-insensitively.
    pub fn new(scheme: &'a str, host: &'a str, port: u16) -> Self {
        let host = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')).unwrap_or(host);
        OriginRef { scheme, host, port }
    }

    /// The scheme as given.
    pub fn scheme(&self) -> &'a str {
        self.scheme
    }

    /// The host as given, without brackets.
    pub fn host(&self) -> &'a str {
        self.host
    }

    /// The port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The normalised, owned origin.
    pub fn to_owned(&self) -> Origin {
        Origin::new(self.scheme, self.host, self.port)
    }

    /// Whether this is `origin`, ignoring the case of scheme and host.
    pub fn is(&self, origin: &Origin) -> bool {
        // URLs are nearly always lowercase already: the plain comparison
        // first.
        self.port == origin.port
            && (self.host == origin.host || self.host.eq_ignore_ascii_case(&origin.host))
            && (self.scheme == origin.scheme || self.scheme.eq_ignore_ascii_case(&origin.scheme))
    }
}

impl<'a> From<&'a Origin> for OriginRef<'a> {
    fn from(origin: &'a Origin) -> Self {
        origin.borrowed()
    }
}

impl fmt::Debug for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}://{}", self.scheme, self.authority())
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn authority_omits_default_ports_and_brackets_ipv6() {
        assert_eq!(Origin::new("HTTP", "Example.COM", 80).authority(), "example.com");
        assert_eq!(Origin::new("http", "example.com", 8080).authority(), "example.com:8080");
        assert_eq!(Origin::new("https", "::1", 443).authority(), "[::1]");
        assert_eq!(Origin::new("http", "::1", 8080).authority(), "[::1]:8080");
    }

    #[test]
    fn spellings_of_one_origin_are_equal() {
        assert_eq!(Origin::new("HTTP", "[::1]", 80), Origin::new("http", "::1", 80));
        assert_eq!(Origin::new("https", "EXAMPLE.com", 443).host(), "example.com");
    }
}
