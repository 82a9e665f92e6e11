//! IP addresses in proxy URLs and `NO_PROXY` lists: parsed by hand, with
//! exactly the rules of `core::net`'s `FromStr` (a test checks the two agree
//! over many inputs).
//!
//! Why not `core::net`: its parser and the formatting its types bring along
//! are a large part of the WebAssembly module of the npm package, which is
//! kept small (bindings/wasm/README.md, "Size").
//!
//! The accepted forms: IPv4 as four decimal numbers from 0 to 255 joined by
//! `.`, none with a leading zero (RFC 6943 §3.1.1's strict form, as
//! `core::net` has it); IPv6 as up to eight groups of one to four hex
//! digits joined by `:`, at most one `::` standing for one or more zero
//! groups, and optionally an IPv4 address as the last two groups (RFC 4291
//! §2.2).

/// An IPv4 or IPv6 address, as its bits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum IpAddress {
    /// An IPv4 address: 32 bits, the first octet highest.
    V4(u32),
    /// An IPv6 address: 128 bits, the first group highest.
    V6(u128),
}

impl IpAddress {
    /// `text` as an IPv4 or IPv6 address (no brackets, no port), or `None`.
    pub(crate) fn parse(text: &str) -> Option<IpAddress> {
        let mut cursor = Cursor { bytes: text.as_bytes(), at: 0 };
        let address = cursor.ipv4().map(IpAddress::V4).or_else(|| cursor.ipv6().map(IpAddress::V6));
        address.filter(|_| cursor.at == text.len())
    }

    /// Whether `text` is an IPv6 address (no brackets).
    pub(crate) fn is_ipv6(text: &str) -> bool {
        let mut cursor = Cursor { bytes: text.as_bytes(), at: 0 };
        cursor.ipv6().is_some() && cursor.at == text.len()
    }

    /// How many bits the address has: 32 or 128.
    pub(crate) fn bits(self) -> u8 {
        match self {
            IpAddress::V4(_) => 32,
            IpAddress::V6(_) => 128,
        }
    }
}

/// A position in the text being parsed. Every reader either succeeds and
/// moves past what it read, or fails and leaves the position where it was.
struct Cursor<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Cursor<'_> {
    /// Moves past `byte` if it comes next.
    fn eat(&mut self, byte: u8) -> bool {
        let next = self.bytes.get(self.at) == Some(&byte);
        self.at += usize::from(next);
        next
    }

    /// A number of at most `max_digits` digits in `radix`, at most `max`;
    /// with `zero_prefix` false, `0` may not be followed by more digits.
    fn number(&mut self, radix: u32, max_digits: usize, zero_prefix: bool, max: u32) -> Option<u32> {
        let start = self.at;
        let mut value = 0u32;
        while let Some(digit) = self.bytes.get(self.at).and_then(|&b| char::from(b).to_digit(radix)) {
            self.at += 1;
            value = value * radix + digit;
            if self.at - start > max_digits || value > max {
                self.at = start;
                return None;
            }
        }
        let digits = self.at - start;
        let leading_zero = !zero_prefix && digits > 1 && self.bytes.get(start) == Some(&b'0');
        if digits == 0 || leading_zero {
            self.at = start;
            return None;
        }
        Some(value)
    }

    /// `a.b.c.d`.
    fn ipv4(&mut self) -> Option<u32> {
        let start = self.at;
        let mut address = 0u32;
        for i in 0..4 {
            match (i == 0 || self.eat(b'.')).then(|| self.number(10, 3, false, 255)).flatten() {
                Some(octet) => address = address << 8 | octet,
                None => {
                    self.at = start;
                    return None;
                }
            }
        }
        Some(address)
    }

    /// Up to `groups.len()` groups joined by `:`, the last two of which
    /// may be an IPv4 address: how many were read, and whether an IPv4
    /// address ended them.
    fn groups(&mut self, groups: &mut [u16]) -> (usize, bool) {
        let limit = groups.len();
        for i in 0..limit {
            let start = self.at;
            let separated = i == 0 || self.eat(b':');
            if separated && i + 1 < limit {
                if let Some(v4) = self.ipv4() {
                    groups[i] = (v4 >> 16) as u16;
                    groups[i + 1] = v4 as u16;
                    return (i + 2, true);
                }
            }
            match separated.then(|| self.number(16, 4, true, 0xffff)).flatten() {
                Some(group) => groups[i] = group as u16,
                None => {
                    self.at = start;
                    return (i, false);
                }
            }
        }
        (limit, false)
    }

    /// Eight groups, or fewer around one `::`.
    fn ipv6(&mut self) -> Option<u128> {
        let start = self.at;
        let mut head = [0u16; 8];
        let (head_size, head_v4) = self.groups(&mut head);
        if head_size < 8 {
            // An IPv4 address may only end the address; `::` must follow
            // a shorter head.
            if head_v4 || !(self.eat(b':') && self.eat(b':')) {
                self.at = start;
                return None;
            }
            // `::` stands for at least one zero group.
            let mut tail = [0u16; 7];
            let limit = 7 - head_size;
            let (tail_size, _) = self.groups(&mut tail[..limit]);
            head[8 - tail_size..].copy_from_slice(&tail[..tail_size]);
        }
        Some(head.iter().fold(0u128, |bits, &group| bits << 16 | u128::from(group)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::String;
    use alloc::vec::Vec;
    use core::net::IpAddr;

    /// What `core::net` makes of `text`, as an [`IpAddress`].
    fn reference(text: &str) -> Option<IpAddress> {
        match text.parse::<IpAddr>().ok()? {
            IpAddr::V4(a) => Some(IpAddress::V4(u32::from(a))),
            IpAddr::V6(a) => Some(IpAddress::V6(u128::from(a))),
        }
    }

    fn agrees(text: &str) {
        assert_eq!(IpAddress::parse(text), reference(text), "{text:?}");
        assert_eq!(IpAddress::is_ipv6(text), text.parse::<core::net::Ipv6Addr>().is_ok(), "{text:?}");
    }

    #[test]
    fn known_forms_parse_as_core_net_does() {
        for text in [
            "",
            "0.0.0.0",
            "127.0.0.1",
            "255.255.255.255",
            "256.0.0.1",
            "01.2.3.4",
            "1.2.3",
            "1.2.3.4.5",
            "1.2.3.4.",
            " 1.2.3.4",
            "1.2.3.04",
            "1.2.3.0004",
            "::",
            "::1",
            "1::",
            ":1",
            "1:",
            ":::",
            "1:::2",
            "1::2::3",
            "0:0:0:0:0:0:0:1",
            "1:2:3:4:5:6:7:8",
            "1:2:3:4:5:6:7:8:9",
            "1:2:3:4:5:6:7::",
            "::1:2:3:4:5:6:7",
            "::1:2:3:4:5:6:7:8",
            "1:2:3:4:5:6::7",
            "::ffff:1.2.3.4",
            "1:2:3:4:5:6:1.2.3.4",
            "1:2:3:4:5:6:7:1.2.3.4",
            "1.2.3.4::",
            "1.2.3.4:1::",
            "::1.2.3.4:1",
            "fe80::1%eth0",
            "FD00::ABCD",
            "00000::1",
            "0000::1",
            "g::1",
            "[::1]",
            "1:2:3:4:5::1.2.3.4",
            "1:2:3:4:5:6::1.2.3.4",
            "::1.2.3",
            "::01.2.3.4",
            "1::2:",
        ] {
            agrees(text);
        }
    }

    /// A small deterministic generator (xorshift), so the test needs no
    /// dependency and always checks the same inputs.
    struct Xorshift(u64);

    impl Xorshift {
        fn below(&mut self, n: usize) -> usize {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            (self.0 % n as u64) as usize
        }
    }

    #[test]
    fn random_text_parses_as_core_net_does() {
        // Characters that make up addresses and the near misses around them.
        const ALPHABET: &[u8] = b"0123456789abcdefABCDEFgG.:::..%[]/ 0";
        let mut random = Xorshift(0x9e37_79b9_7f4a_7c15);
        let mut accepted = 0;
        for _ in 0..300_000 {
            let len = random.below(24);
            let text: String = (0..len).map(|_| char::from(ALPHABET[random.below(ALPHABET.len())])).collect();
            agrees(&text);
            accepted += usize::from(reference(&text).is_some());
        }
        assert!(accepted > 100, "the inputs reach valid addresses too ({accepted})");
    }

    #[test]
    fn mutated_addresses_parse_as_core_net_does() {
        // Valid addresses of every shape, each with one character replaced,
        // inserted or removed at every position.
        let mut random = Xorshift(0x2545_f491_4f6c_dd1d);
        let bases =
            ["0.0.0.0", "192.168.100.255", "::", "::ffff:10.0.0.1", "1:0:0:0:0:0:0:8", "fd12:3456::abcd", "1::8"];
        let mut texts: Vec<String> = Vec::new();
        for _ in 0..200 {
            // Random valid addresses, written long and short.
            let groups: Vec<u16> =
                (0..8).map(|_| if random.below(3) == 0 { 0 } else { random.below(0x10000) as u16 }).collect();
            let address = core::net::Ipv6Addr::from(<[u16; 8]>::try_from(groups).unwrap_or_default());
            texts.push(alloc::format!("{address}"));
            let s = address.segments();
            texts.push(alloc::format!(
                "{:x}:{:X}:{:04x}:{:x}:{:x}:{:x}:{:x}:{:x}",
                s[0],
                s[1],
                s[2],
                s[3],
                s[4],
                s[5],
                s[6],
                s[7]
            ));
            let v4 = core::net::Ipv4Addr::from(random.below(usize::MAX) as u32);
            texts.push(alloc::format!("{v4}"));
            texts.push(alloc::format!("::ffff:{v4}"));
        }
        texts.extend(bases.iter().map(|b| String::from(*b)));
        const REPLACEMENTS: &[u8] = b"0:.f9g ";
        for text in &texts {
            agrees(text);
            for at in 0..=text.len() {
                for &c in REPLACEMENTS {
                    let c = char::from(c);
                    let mut inserted = text.clone();
                    inserted.insert(at, c);
                    agrees(&inserted);
                    if at < text.len() {
                        let mut replaced = text.clone();
                        replaced.replace_range(at..=at, c.encode_utf8(&mut [0; 4]));
                        agrees(&replaced);
                    }
                }
                if at < text.len() {
                    let mut removed = text.clone();
                    removed.remove(at);
                    agrees(&removed);
                }
            }
        }
    }
}
