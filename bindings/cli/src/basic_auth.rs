//! `-u USER:PASSWORD`: Basic credentials (RFC 7617), as curl's `--user`
//! sends them: the text as given, in base64, behind `Basic `.

/// The `Authorization` value for `-u`'s argument; a usage error unless it
/// has a colon between the user and the password (curl would prompt for a
/// missing password; a batch command cannot).
pub(crate) fn parse_user(credentials: &str) -> Result<http::HeaderValue, String> {
    let Some((user, password)) = credentials.split_once(':') else {
        return Err("expected USER:PASSWORD (a colon between the user and the password)".to_owned());
    };
    let value = pipelining::proxy::basic_credentials(user.as_bytes(), password.as_bytes());
    http::HeaderValue::from_str(&value).map_err(|e| e.to_string())
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
}
