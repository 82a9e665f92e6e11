//! Origins: where connections go (RFC 9110 §4.3.1).

use alloc::string::String;
use core::fmt;

/// A scheme, host and port: the unit connections, capability memory and
/// request budgets are kept per.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Origin {
    /// The scheme, lowercase (`http`, `https`, `redis`, `dns`, …).
    pub scheme: String,
    /// The host, lowercase: a name, an IPv4 address, or an IPv6 address
    /// without brackets.
    pub host: String,
    /// The port.
    pub port: u16,
}

impl Origin {
    /// An origin; scheme and host are lowercased (both are case-insensitive,
    /// RFC 3986 §6.2.2.1).
    pub fn new(scheme: &str, host: &str, port: u16) -> Self {
        Origin { scheme: scheme.to_ascii_lowercase(), host: host.to_ascii_lowercase(), port }
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
}
