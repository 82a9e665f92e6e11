//! DNS messages: header, question, records (RFC 1035 §4.1).

use alloc::string::String;
use alloc::vec::Vec;
use bytes::Bytes;
use core::fmt;

/// A record type (RFC 1035 §3.2.2 and later RFCs), by number.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RecordType(pub u16);

impl RecordType {
    /// IPv4 address.
    pub const A: RecordType = RecordType(1);
    /// Name server.
    pub const NS: RecordType = RecordType(2);
    /// Canonical name.
    pub const CNAME: RecordType = RecordType(5);
    /// Start of authority.
    pub const SOA: RecordType = RecordType(6);
    /// Pointer.
    pub const PTR: RecordType = RecordType(12);
    /// Mail exchange.
    pub const MX: RecordType = RecordType(15);
    /// Text.
    pub const TXT: RecordType = RecordType(16);
    /// IPv6 address (RFC 3596).
    pub const AAAA: RecordType = RecordType(28);
    /// Service (RFC 2782).
    pub const SRV: RecordType = RecordType(33);
    /// Any type (a query only).
    pub const ANY: RecordType = RecordType(255);

    const NAMES: [(RecordType, &'static str); 10] = [
        (RecordType::A, "A"),
        (RecordType::NS, "NS"),
        (RecordType::CNAME, "CNAME"),
        (RecordType::SOA, "SOA"),
        (RecordType::PTR, "PTR"),
        (RecordType::MX, "MX"),
        (RecordType::TXT, "TXT"),
        (RecordType::AAAA, "AAAA"),
        (RecordType::SRV, "SRV"),
        (RecordType::ANY, "ANY"),
    ];

    /// Parses `A`, `aaaa`, `TYPE65` (RFC 3597 §5) or a number.
    pub fn parse(s: &str) -> Option<RecordType> {
        if let Some(&(t, _)) = Self::NAMES.iter().find(|(_, n)| n.eq_ignore_ascii_case(s)) {
            return Some(t);
        }
        let digits = if s.len() > 4 && s[..4].eq_ignore_ascii_case("TYPE") { &s[4..] } else { s };
        digits.parse().ok().map(RecordType)
    }

    /// The mnemonic, if there is one here.
    pub fn name(self) -> Option<&'static str> {
        Self::NAMES.iter().find(|(t, _)| *t == self).map(|(_, n)| *n)
    }
}

impl fmt::Debug for RecordType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl fmt::Display for RecordType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(n) => f.write_str(n),
            None => write!(f, "TYPE{}", self.0),
        }
    }
}

/// The class `IN` (RFC 1035 §3.2.4), the only one queried here.
pub const CLASS_IN: u16 = 1;

/// The fixed 12-byte header (RFC 1035 §4.1.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DnsHeader {
    /// The message ID: the wire correlation id.
    pub id: u16,
    /// The flags word (QR, opcode, AA, TC, RD, RA, Z, RCODE).
    pub flags: u16,
    /// Question count.
    pub questions: u16,
    /// Answer count.
    pub answers: u16,
    /// Authority count.
    pub authorities: u16,
    /// Additional count.
    pub additionals: u16,
}

impl DnsHeader {
    /// The response code (RFC 1035 §4.1.1): 0 NOERROR, 2 SERVFAIL, 3
    /// NXDOMAIN, …
    pub fn rcode(&self) -> u8 {
        (self.flags & 0x000f) as u8
    }

    /// QR: a response.
    pub fn is_response(&self) -> bool {
        self.flags & 0x8000 != 0
    }

    /// TC: the answer was truncated.
    pub fn is_truncated(&self) -> bool {
        self.flags & 0x0200 != 0
    }
}

/// The name of a response code.
pub fn rcode_name(rcode: u8) -> &'static str {
    match rcode {
        0 => "NOERROR",
        1 => "FORMERR",
        2 => "SERVFAIL",
        3 => "NXDOMAIN",
        4 => "NOTIMP",
        5 => "REFUSED",
        _ => "RCODE?",
    }
}

/// A question (RFC 1035 §4.1.2).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Question {
    /// The name, dotted, without the trailing dot.
    pub name: String,
    /// The type asked for.
    pub qtype: RecordType,
    /// The class.
    pub qclass: u16,
}

/// A resource record with its data undecoded (RFC 1035 §4.1.3), except
/// that names inside it are not expanded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    /// The owner name, dotted, compression expanded.
    pub name: String,
    /// Its type.
    pub rtype: RecordType,
    /// Its class.
    pub class: u16,
    /// Time to live in seconds.
    pub ttl: u32,
    /// The RDATA bytes, a slice of the message.
    pub data: Bytes,
}

impl Record {
    /// The data shown as text where the type is simple: an IPv4 or IPv6
    /// address, TXT strings in quotes; otherwise hex.
    pub fn data_text(&self) -> String {
        use core::fmt::Write;
        let mut s = String::new();
        match (self.rtype, self.data.len()) {
            (RecordType::A, 4) => {
                let d = &self.data;
                let _ = write!(s, "{}.{}.{}.{}", d[0], d[1], d[2], d[3]);
            }
            (RecordType::TXT, _) if txt_strings(&self.data).is_some() => {
                for (i, part) in txt_strings(&self.data).into_iter().flatten().enumerate() {
                    if i > 0 {
                        s.push(' ');
                    }
                    s.push('"');
                    for &b in part {
                        match b {
                            b'"' | b'\\' => {
                                s.push('\\');
                                s.push(b as char);
                            }
                            0x20..=0x7e => s.push(b as char),
                            _ => {
                                let _ = write!(s, "\\{b:03}");
                            }
                        }
                    }
                    s.push('"');
                }
            }
            (RecordType::AAAA, 16) => {
                let groups: Vec<u16> = self.data.chunks(2).map(|c| u16::from_be_bytes([c[0], c[1]])).collect();
                let _ = write!(
                    s,
                    "{}",
                    core::net::Ipv6Addr::new(
                        groups[0], groups[1], groups[2], groups[3], groups[4], groups[5], groups[6], groups[7]
                    )
                );
            }
            _ => {
                for b in self.data.iter() {
                    let _ = write!(s, "{b:02x}");
                }
            }
        }
        s
    }
}

/// The character-strings of TXT data (RFC 1035 §3.3.14), if well formed.
fn txt_strings(mut data: &[u8]) -> Option<Vec<&[u8]>> {
    let mut parts = Vec::new();
    while let [len, rest @ ..] = data {
        let len = usize::from(*len);
        parts.push(rest.get(..len)?);
        data = &rest[len..];
    }
    Some(parts)
}

/// A query: one question, recursion desired.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DnsQuery {
    /// The name, dotted (a trailing dot is allowed).
    pub name: String,
    /// The type asked for.
    pub qtype: RecordType,
}

impl DnsQuery {
    /// A query for `name` of type `qtype`.
    pub fn new(name: impl Into<String>, qtype: RecordType) -> Self {
        DnsQuery { name: name.into(), qtype }
    }
}

/// A response message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DnsMessage {
    /// The header.
    pub header: DnsHeader,
    /// The question section.
    pub questions: Vec<Question>,
    /// The answer section.
    pub answers: Vec<Record>,
    /// The authority section.
    pub authorities: Vec<Record>,
    /// The additional section.
    pub additionals: Vec<Record>,
}
