//! Domain names on the wire: labels, and compression pointers
//! (RFC 1035 §3.1, §4.1.4).

use super::{DnsError, QueryError};
use alloc::string::String;
use alloc::vec::Vec;

/// The longest name on the wire, length bytes included (RFC 1035 §2.3.4).
const MAX_WIRE_NAME: usize = 255;

/// Appends `name` as labels ending in the root label.
pub(crate) fn encode_name(name: &str, dst: &mut Vec<u8>) -> Result<(), QueryError> {
    let name = name.strip_suffix('.').unwrap_or(name);
    let start = dst.len();
    if !name.is_empty() {
        for label in name.split('.') {
            let ok = !label.is_empty()
                && label.len() <= 63
                && label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'*');
            if !ok {
                dst.truncate(start);
                return Err(QueryError::InvalidName);
            }
            dst.push(label.len() as u8);
            dst.extend_from_slice(label.as_bytes());
        }
    }
    dst.push(0);
    if dst.len() - start > MAX_WIRE_NAME {
        dst.truncate(start);
        return Err(QueryError::InvalidName);
    }
    Ok(())
}

/// Reads the name at `offset` in `message`, following pointers; returns it
/// dotted and the offset just after it (after the first pointer, if any).
pub(crate) fn decode_name(message: &[u8], offset: usize) -> Result<(String, usize), DnsError> {
    let mut name = String::new();
    let mut pos = offset;
    let mut after: Option<usize> = None;
    let mut wire_len = 0usize;
    // Each pointer must go strictly backwards, so pointer chains end.
    let mut limit = offset;
    loop {
        let len = *message.get(pos).ok_or(DnsError::ShortMessage { offset: pos })?;
        match len & 0xc0 {
            0x00 => {
                let len = usize::from(len);
                if len == 0 {
                    return Ok((name, after.unwrap_or(pos + 1)));
                }
                let label = message.get(pos + 1..pos + 1 + len).ok_or(DnsError::ShortMessage { offset: pos })?;
                wire_len += len + 1;
                if wire_len > MAX_WIRE_NAME {
                    return Err(DnsError::BadName { offset });
                }
                if !name.is_empty() {
                    name.push('.');
                }
                // Labels are bytes; show non-printable ones escaped the way
                // zone files do (RFC 4343 §2.1).
                for &b in label {
                    if b.is_ascii_graphic() && b != b'.' && b != b'\\' {
                        name.push(b as char);
                    } else {
                        name.push_str(&alloc::format!("\\{b:03}"));
                    }
                }
                pos += 1 + len;
            }
            0xc0 => {
                let low = *message.get(pos + 1).ok_or(DnsError::ShortMessage { offset: pos })?;
                let target = usize::from(len & 0x3f) << 8 | usize::from(low);
                if target >= limit {
                    return Err(DnsError::BadPointer { offset: pos });
                }
                after.get_or_insert(pos + 2);
                limit = target;
                pos = target;
            }
            _ => return Err(DnsError::BadName { offset: pos }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_encode_as_labels_and_reject_what_cannot_be() {
        let mut out = Vec::new();
        encode_name("www.Example.com.", &mut out).unwrap();
        assert_eq!(out, b"\x03www\x07Example\x03com\x00");
        out.clear();
        encode_name("", &mut out).unwrap();
        assert_eq!(out, b"\x00");
        for bad in ["a..b", "..", "a b.com", &"x".repeat(64), &["abcdefghi"; 26].join(".")] {
            let mut out = alloc::vec![9];
            assert_eq!(encode_name(bad, &mut out), Err(QueryError::InvalidName), "{bad}");
            assert_eq!(out, [9], "nothing written for {bad}");
        }
    }

    #[test]
    fn compression_pointers_are_followed_backwards_only() {
        // "example.com" at 0, then "www" + pointer to 0 at 13.
        let msg = b"\x07example\x03com\x00\x03www\xc0\x00";
        assert_eq!(decode_name(msg, 0).unwrap(), ("example.com".into(), 13));
        assert_eq!(decode_name(msg, 13).unwrap(), ("www.example.com".into(), 19));
        // A pointer to itself, or forwards, is refused.
        assert_eq!(decode_name(b"\xc0\x00", 0), Err(DnsError::BadPointer { offset: 0 }));
        assert_eq!(decode_name(b"\x01a\xc0\x05\x00\x00", 0), Err(DnsError::BadPointer { offset: 2 }));
        // Reserved label types and running off the end.
        assert_eq!(decode_name(b"\x40", 0), Err(DnsError::BadName { offset: 0 }));
        assert_eq!(decode_name(b"\x05ab", 0), Err(DnsError::ShortMessage { offset: 0 }));
    }
}
