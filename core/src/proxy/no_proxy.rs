//! `NO_PROXY`: the hosts reached directly, not through a proxy. The rules
//! are in the [module docs](super).

use super::address::IpAddress;
use alloc::string::String;
use alloc::vec::Vec;

/// A parsed `NO_PROXY` list: which origins bypass the proxy.
///
/// Parsing never fails: an entry that cannot match anything is dropped, as
/// curl and Go drop it (a bad exception can only send a request through
/// the proxy the user configured, never leak it past one).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NoProxy {
    /// `*` was listed: every host bypasses the proxy.
    all: bool,
    entries: Vec<Entry>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Entry {
    /// A name and the names under it; lowercase, without leading or
    /// trailing dot.
    Domain { name: String, port: Option<u16> },
    /// One address.
    Address { address: IpAddress, port: Option<u16> },
    /// The addresses whose first `prefix` bits are the network's.
    Block { network: IpAddress, prefix: u8 },
}

impl NoProxy {
    /// Parses a comma-separated list (the value of `NO_PROXY`).
    pub fn parse(list: &str) -> NoProxy {
        let mut no_proxy = NoProxy::default();
        for item in list.split(',').map(|e| e.trim_matches(|c: char| c.is_ascii_whitespace())) {
            if item == "*" {
                no_proxy.all = true;
            } else if let Some(entry) = Entry::parse(item) {
                no_proxy.entries.push(entry);
            }
        }
        no_proxy
    }

    /// Nothing bypasses the proxy.
    pub fn is_empty(&self) -> bool {
        !self.all && self.entries.is_empty()
    }

    /// Every host bypasses the proxy (`*` was listed).
    pub fn matches_all(&self) -> bool {
        self.all
    }

    /// Whether a request to `host` (brackets around an IPv6 address are
    /// allowed) on `port` bypasses the proxy.
    pub fn matches(&self, host: &str, port: u16) -> bool {
        if self.all {
            return true;
        }
        let host = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')).unwrap_or(host);
        let host = host.strip_suffix('.').unwrap_or(host);
        let address = IpAddress::parse(host);
        self.entries.iter().any(|entry| match (entry, address) {
            (Entry::Address { address: listed, port: p }, Some(address)) => {
                *listed == address && p.is_none_or(|p| p == port)
            }
            (Entry::Block { network, prefix }, Some(address)) => in_block(address, *network, *prefix),
            (Entry::Domain { name, port: p }, None) => is_within(host, name) && p.is_none_or(|p| p == port),
            _ => false,
        })
    }
}

impl Entry {
    fn parse(item: &str) -> Option<Entry> {
        if item.is_empty() {
            return None;
        }
        if let Some((network, prefix)) = item.split_once('/') {
            let network = IpAddress::parse(strip_brackets(network))?;
            let prefix = prefix.parse::<u8>().ok().filter(|&p| p <= network.bits())?;
            return Some(Entry::Block { network, prefix });
        }
        // `[v6]` or `[v6]:port`.
        if let Some(bracketed) = item.strip_prefix('[') {
            let (address, after) = bracketed.split_once(']')?;
            let port = match after {
                "" => None,
                _ => Some(parse_port(after.strip_prefix(':')?)?),
            };
            return Some(Entry::Address { address: IpAddress::parse(address)?, port });
        }
        // A bare IPv6 address has several colons and no port.
        if let Some(address) = IpAddress::parse(item) {
            return Some(Entry::Address { address, port: None });
        }
        let (host, port) = match item.rsplit_once(':') {
            Some((host, port)) => (host, Some(parse_port(port)?)),
            None => (item, None),
        };
        if let Some(address) = IpAddress::parse(host) {
            return Some(Entry::Address { address, port });
        }
        let name = host.strip_prefix("*.").or_else(|| host.strip_prefix('.')).unwrap_or(host);
        let name = name.strip_suffix('.').unwrap_or(name);
        if name.is_empty() || name.contains([':', '*', '/', '[', ']']) {
            return None;
        }
        Some(Entry::Domain { name: name.to_ascii_lowercase(), port })
    }
}

fn strip_brackets(s: &str) -> &str {
    s.strip_prefix('[').and_then(|h| h.strip_suffix(']')).unwrap_or(s)
}

fn parse_port(digits: &str) -> Option<u16> {
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// `host` is `name` or a name under it, ignoring case: a whole label must
/// match, so `badexample.com` is not under `example.com`.
fn is_within(host: &str, name: &str) -> bool {
    let (host, name) = (host.as_bytes(), name.as_bytes());
    if host.len() == name.len() {
        return host.eq_ignore_ascii_case(name);
    }
    host.len() > name.len()
        && host[host.len() - name.len() - 1] == b'.'
        && host[host.len() - name.len()..].eq_ignore_ascii_case(name)
}

/// `address` is in `network/prefix`; an IPv4 address is never in an IPv6
/// block nor the reverse.
fn in_block(address: IpAddress, network: IpAddress, prefix: u8) -> bool {
    match (address, network) {
        (IpAddress::V4(a), IpAddress::V4(n)) => {
            let mask = u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0);
            (a & mask) == (n & mask)
        }
        (IpAddress::V6(a), IpAddress::V6(n)) => {
            let mask = u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0);
            (a & mask) == (n & mask)
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bypasses(list: &str, host: &str, port: u16) -> bool {
        NoProxy::parse(list).matches(host, port)
    }

    #[test]
    fn an_empty_list_matches_nothing() {
        assert!(NoProxy::parse("").is_empty());
        assert!(NoProxy::parse(" , ,, ").is_empty());
        assert!(!bypasses("", "example.com", 80));
    }

    #[test]
    fn a_star_matches_every_host() {
        assert!(bypasses("*", "example.com", 80));
        assert!(bypasses("example.org, *", "127.0.0.1", 8080));
        assert!(bypasses(" * ", "::1", 1));
        assert!(!NoProxy::parse("*").is_empty());
        assert!(NoProxy::parse("a, *").matches_all());
        assert!(!NoProxy::parse("a,b").matches_all());
    }

    #[test]
    fn a_name_matches_itself_and_the_names_under_it() {
        for list in ["example.com", ".example.com", "*.example.com", "EXAMPLE.com.", " example.com "] {
            assert!(bypasses(list, "example.com", 80), "{list}");
            assert!(bypasses(list, "www.example.com", 443), "{list}");
            assert!(bypasses(list, "a.b.Example.COM", 80), "{list}");
            assert!(bypasses(list, "www.example.com.", 80), "{list}: a trailing dot on the host");
            assert!(!bypasses(list, "badexample.com", 80), "{list}: a whole label must match");
            assert!(!bypasses(list, "example.com.evil", 80), "{list}");
            assert!(!bypasses(list, "com", 80), "{list}");
        }
    }

    #[test]
    fn several_entries_any_of_which_may_match() {
        let list = NoProxy::parse("localhost, .internal,10.0.0.0/8 ,, intranet:8080");
        assert!(list.matches("localhost", 80));
        assert!(list.matches("db.internal", 5432));
        assert!(list.matches("10.1.2.3", 80));
        assert!(list.matches("intranet", 8080));
        assert!(!list.matches("intranet", 80), "a port in the entry limits it to that port");
        assert!(!list.matches("example.com", 80));
        assert!(!list.matches("127.0.0.1", 80), "names are never resolved");
    }

    #[test]
    fn addresses_match_in_any_spelling_and_never_names() {
        assert!(bypasses("127.0.0.1", "127.0.0.1", 80));
        assert!(!bypasses("127.0.0.1", "127.0.0.2", 80));
        assert!(!bypasses("127.0.0.1", "localhost", 80));
        assert!(bypasses("::1", "0:0::1", 80));
        assert!(bypasses("[::1]", "[::1]", 80));
        assert!(bypasses("0:0:0:0:0:0:0:1", "::1", 8080));
        assert!(!bypasses("::1", "::2", 80));
        assert!(!bypasses("localhost", "127.0.0.1", 80));
    }

    #[test]
    fn ports_narrow_an_entry() {
        assert!(bypasses("127.0.0.1:8080", "127.0.0.1", 8080));
        assert!(!bypasses("127.0.0.1:8080", "127.0.0.1", 8081));
        assert!(bypasses("[::1]:8080", "::1", 8080));
        assert!(!bypasses("[::1]:8080", "::1", 80));
        assert!(bypasses("example.com:443", "www.example.com", 443));
        assert!(!bypasses("example.com:443", "www.example.com", 80));
    }

    #[test]
    fn cidr_blocks_match_the_addresses_in_them() {
        assert!(bypasses("192.168.0.0/16", "192.168.44.1", 80));
        assert!(!bypasses("192.168.0.0/16", "192.169.0.1", 80));
        assert!(bypasses("10.0.0.1/32", "10.0.0.1", 80));
        assert!(!bypasses("10.0.0.1/32", "10.0.0.2", 80));
        assert!(bypasses("0.0.0.0/0", "8.8.8.8", 80));
        assert!(bypasses("10.0.0.7/8", "10.200.0.1", 80), "host bits in the network are ignored");
        assert!(bypasses("fd00::/8", "fd12:3456::1", 80));
        assert!(bypasses("[fd00::]/8", "[fdff::1]", 80));
        assert!(!bypasses("fd00::/8", "fe80::1", 80));
        assert!(bypasses("::/0", "2001:db8::1", 80));
        assert!(bypasses("::1/128", "::1", 80));
        assert!(!bypasses("0.0.0.0/0", "::1", 80), "families never mix");
        assert!(!bypasses("::/0", "127.0.0.1", 80), "families never mix");
        assert!(!bypasses("10.0.0.0/8", "ten.example", 80), "a name is not in a block");
    }

    #[test]
    fn entries_that_cannot_match_are_dropped() {
        for bad in [
            "10.0.0.0/33",
            "::/129",
            "10.0.0.0/x",
            "example.com/8",
            "example.com:http",
            "example.com:99999",
            "[::1",
            "[::1]8080",
            "[nope]",
            "[::1]:",
            ".",
            "*.",
            "a*b",
        ] {
            let list = NoProxy::parse(bad);
            assert!(list.is_empty(), "{bad:?} should be dropped: {list:?}");
        }
        // A bad entry costs only itself.
        assert!(bypasses("10.0.0.0/33, example.com", "example.com", 80));
    }
}
