//! Credentials in a URL's userinfo (`http://user:password@host/`) become an
//! `Authorization: Basic` field (RFC 7617), as curl does: never dropped in
//! silence. The userinfo itself is never sent (RFC 9110 §4.2.4).

/// The `Authorization` value for the userinfo of `authority`, if it has
/// one: user and password percent-decoded (RFC 3986 §2.1), joined by `:`,
/// in base64.
pub(crate) fn authorization(authority: &str) -> Option<String> {
    let (userinfo, _) = authority.rsplit_once('@')?;
    let (user, password) = userinfo.split_once(':').unwrap_or((userinfo, ""));
    Some(pipelining::proxy::basic_credentials(&percent_decode(user), &percent_decode(password)))
}

/// `text` with its `%XX` escapes decoded (RFC 3986 §2.1); a `%` not
/// followed by two hex digits stands for itself.
pub(crate) fn percent_decode(text: &str) -> Vec<u8> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut at = 0;
    while at < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (bytes[at], bytes.get(at + 1).copied().and_then(hex), bytes.get(at + 2).copied().and_then(hex)) {
            (b'%', Some(high), Some(low)) => {
                out.push((high * 16 + low) as u8);
                at += 3;
            }
            (byte, _, _) => {
                out.push(byte);
                at += 1;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn userinfo_becomes_basic_credentials() {
        // RFC 7617 §2's example.
        assert_eq!(authorization("Aladdin:open%20sesame@host").as_deref(), Some("Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="));
        assert_eq!(authorization("user@host:8080").as_deref(), Some("Basic dXNlcjo="));
        assert_eq!(authorization("a:b:c@h").as_deref(), Some("Basic YTpiOmM="), "the first colon splits");
        assert_eq!(authorization("host:80"), None);
    }
}
