//! `-u USER:PASSWORD`: Basic credentials (RFC 7617), as curl's `--user`
//! sends them: the text as given, in base64, behind `Basic `.

/// The `Authorization` value for `-u`'s argument; a usage error unless it
/// has a colon between the user and the password (curl would prompt for a
/// missing password; a batch command cannot).
pub(crate) fn parse_user(credentials: &str) -> Result<http::HeaderValue, String> {
    if !credentials.contains(':') {
        return Err("expected USER:PASSWORD (a colon between the user and the password)".to_owned());
    }
    let mut value = String::from("Basic ");
    base64(credentials.as_bytes(), &mut value);
    http::HeaderValue::from_str(&value).map_err(|e| e.to_string())
}

/// Standard base64 with padding (RFC 4648 §4).
fn base64(input: &[u8], out: &mut String) {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for group in input.chunks(3) {
        let b = [group[0], group.get(1).copied().unwrap_or(0), group.get(2).copied().unwrap_or(0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for (i, shift) in [18, 12, 6, 0].into_iter().enumerate() {
            if i <= group.len() {
                out.push(char::from(ALPHABET[((n >> shift) & 63) as usize]));
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
    fn credentials_are_sent_as_given_in_base64() {
        // RFC 7617 §2's example.
        assert_eq!(parse_user("Aladdin:open sesame").unwrap(), "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
        // Only the first colon splits; an empty user or password is allowed.
        assert_eq!(parse_user("a:b:c").unwrap(), "Basic YTpiOmM=");
        assert_eq!(parse_user(":pw").unwrap(), "Basic OnB3");
        assert_eq!(parse_user("user:").unwrap(), "Basic dXNlcjo=");
        // Not decoded: `%20` stays three characters (curl does the same).
        assert_eq!(parse_user("u:%20").unwrap(), "Basic dTolMjA=");
        assert!(parse_user("no-colon").unwrap_err().contains("USER:PASSWORD"));
    }

    #[test]
    fn base64_pads_every_length() {
        for (input, expected) in [("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"), ("foob", "Zm9vYg==")] {
            let mut out = String::new();
            base64(input.as_bytes(), &mut out);
            assert_eq!(out, expected, "{input:?}");
        }
    }
}
