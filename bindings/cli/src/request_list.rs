//! The requests of `pipelining fetch` (docs/DESIGN.md C1): positional URLs
//! first, then `--input` lines (`URL` or `METHOD URL`); a request without a
//! method of its own takes the run's default (`-X`, POST with `-d`, GET).

use std::fmt;

/// One request to make, validated before anything is sent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct RequestSpec {
    /// The URL exactly as given (echoed in the JSON output).
    pub(crate) url: String,
    /// The method.
    pub(crate) method: http::Method,
    /// The parsed URL.
    pub(crate) uri: http::Uri,
}

/// A request that cannot be made: a usage error (exit 2).
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct BadRequest {
    /// `--input` line number (1-based), if it came from there.
    pub(crate) line: Option<usize>,
    /// What is wrong.
    pub(crate) reason: String,
}

impl fmt::Display for BadRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(n) => write!(f, "--input line {n}: {}", self.reason),
            None => write!(f, "{}", self.reason),
        }
    }
}

/// Parses a URL the client can fetch: absolute `http` or `https` with a
/// host.
pub(crate) fn parse_url(url: &str) -> Result<http::Uri, String> {
    let uri: http::Uri = url.parse().map_err(|e| format!("invalid URL {url:?}: {e}"))?;
    match uri.scheme_str() {
        Some(s) if s.eq_ignore_ascii_case("http") || s.eq_ignore_ascii_case("https") => {}
        _ => return Err(format!("invalid URL {url:?}: only http:// and https:// URLs can be fetched")),
    }
    if uri.host().is_none_or(str::is_empty) {
        return Err(format!("invalid URL {url:?}: no host"));
    }
    Ok(uri)
}

fn spec(method: http::Method, url: &str) -> Result<RequestSpec, String> {
    Ok(RequestSpec { url: url.to_owned(), method, uri: parse_url(url)? })
}

/// The positional URLs, then the lines of `input`; a line's own method
/// wins over `method`, which every other request gets.
pub(crate) fn collect(
    urls: &[String],
    input: Option<&str>,
    method: &http::Method,
) -> Result<Vec<RequestSpec>, BadRequest> {
    let mut specs = Vec::with_capacity(urls.len());
    for url in urls {
        specs.push(spec(method.clone(), url).map_err(|reason| BadRequest { line: None, reason })?);
    }
    for (index, line) in input.unwrap_or_default().lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let bad = |reason: String| BadRequest { line: Some(index + 1), reason };
        let fields: Vec<&str> = line.split_whitespace().collect();
        let parsed = match fields.as_slice() {
            [url] => spec(method.clone(), url),
            [method, url] => match http::Method::from_bytes(method.as_bytes()) {
                Ok(method) => spec(method, url),
                Err(_) => Err(format!("invalid method {method:?}")),
            },
            _ => Err(format!("expected `URL` or `METHOD URL`, got {} fields", fields.len())),
        };
        specs.push(parsed.map_err(bad)?);
    }
    Ok(specs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positional_urls_come_first_then_input_lines() {
        let input = "# comment\n\nhttp://h/b\nPOST http://h/c\n  DELETE   https://h:8443/d  \n";
        let specs = collect(&["http://h/a".into()], Some(input), &http::Method::GET).unwrap();
        let got: Vec<(String, &str)> = specs.iter().map(|s| (s.method.to_string(), s.url.as_str())).collect();
        assert_eq!(
            got,
            [
                ("GET".into(), "http://h/a"),
                ("GET".into(), "http://h/b"),
                ("POST".into(), "http://h/c"),
                ("DELETE".into(), "https://h:8443/d")
            ]
        );
    }

    #[test]
    fn malformed_lines_are_usage_errors_naming_the_line() {
        for (input, line) in [
            ("http://h/a\nGET http://h/b extra\n", 2),
            ("G@T http://h/a\n", 1),
            ("ftp://h/a\n", 1),
            ("not a url\n", 1),
            ("/relative\n", 1),
        ] {
            let err = collect(&[], Some(input), &http::Method::GET).unwrap_err();
            assert_eq!(err.line, Some(line), "{input:?}: {err}");
        }
        assert_eq!(collect(&["nope".into()], None, &http::Method::GET).unwrap_err().line, None);
    }

    #[test]
    fn a_method_on_the_line_wins_over_the_default() {
        let specs = collect(&["http://h/a".into()], Some("http://h/b\nHEAD http://h/c\n"), &http::Method::PUT).unwrap();
        let got: Vec<&str> = specs.iter().map(|s| s.method.as_str()).collect();
        assert_eq!(got, ["PUT", "PUT", "HEAD"]);
    }
}
