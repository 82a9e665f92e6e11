//! Basic credentials (RFC 7617) from a URL's userinfo: percent-decoding
//! (RFC 3986 §2.1) and base64 (RFC 4648 §4), small enough to need no
//! dependency.

use alloc::string::String;
use alloc::vec::Vec;

/// The bytes of a percent-encoded userinfo part; `None` for a byte a URL
/// cannot hold raw (a space, a control character, non-ASCII) or a bad
/// escape.
pub(crate) fn percent_decode(encoded: &str) -> Option<Vec<u8>> {
    let bytes = encoded.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut at = 0;
    while at < bytes.len() {
        match bytes[at] {
            b'%' => {
                let high = hex_value(*bytes.get(at + 1)?)?;
                let low = hex_value(*bytes.get(at + 2)?)?;
                out.push((high << 4) | low);
                at += 3;
            }
            byte @ 0x21..=0x7e => {
                out.push(byte);
                at += 1;
            }
            _ => return None,
        }
    }
    Some(out)
}

fn hex_value(digit: u8) -> Option<u8> {
    match digit {
        b'0'..=b'9' => Some(digit - b'0'),
        b'a'..=b'f' => Some(digit - b'a' + 10),
        b'A'..=b'F' => Some(digit - b'A' + 10),
        _ => None,
    }
}

/// The `Basic` credentials for `user` and `password` (RFC 7617 §2):
/// `Basic base64(user ":" password)`. The one encoder of the workspace:
/// proxy URLs here, origin URLs' userinfo in the Rust driver, and the
/// command line's `-u`.
pub fn basic(user: &[u8], password: &[u8]) -> String {
    let mut pair = Vec::with_capacity(user.len() + 1 + password.len());
    pair.extend_from_slice(user);
    pair.push(b':');
    pair.extend_from_slice(password);
    let mut out = String::with_capacity(6 + pair.len().div_ceil(3) * 4);
    out.push_str("Basic ");
    base64_into(&pair, &mut out);
    out
}

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Standard base64 with padding (RFC 4648 §4).
fn base64_into(data: &[u8], out: &mut String) {
    for chunk in data.chunks(3) {
        let b = [chunk[0], chunk.get(1).copied().unwrap_or(0), chunk.get(2).copied().unwrap_or(0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        let symbols = [(n >> 18) & 63, (n >> 12) & 63, (n >> 6) & 63, n & 63];
        for (i, symbol) in symbols.iter().enumerate() {
            // One input byte makes two symbols, two make three.
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[*symbol as usize]));
            } else {
                out.push('=');
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc_4648_test_vectors() {
        // RFC 4648 §10.
        for (input, expected) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            let mut out = String::new();
            base64_into(input.as_bytes(), &mut out);
            assert_eq!(out, expected, "{input:?}");
        }
    }

    #[test]
    fn basic_credentials_match_rfc_7617() {
        // RFC 7617 §2's example.
        assert_eq!(basic(b"Aladdin", b"open sesame"), "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
        assert_eq!(basic(b"user", b""), "Basic dXNlcjo=");
    }

    #[test]
    fn percent_decoding_refuses_raw_controls_and_bad_escapes() {
        assert_eq!(percent_decode("p%40ss%3Aw%2f"), Some(b"p@ss:w/".to_vec()));
        assert_eq!(percent_decode("%C3%A9"), Some(alloc::vec![0xc3, 0xa9]));
        assert_eq!(percent_decode(""), Some(Vec::new()));
        for bad in ["a b", "a\tb", "%", "%4", "%zz", "%4g", "caf\u{e9}"] {
            assert_eq!(percent_decode(bad), None, "{bad:?}");
        }
    }
}
