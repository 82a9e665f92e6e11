//! A request as Apache's or lighttpd's access log records it: both are
//! configured to write `PORT STATUS "REQUEST-LINE"` (`%{remote}p %>s
//! "%r"`), so a test can tell which client connection carried a request,
//! how often the server answered it, and how many requests it answered in
//! all.

use super::READY_PREFIX;
use std::collections::HashMap;

/// The access log format both servers are given, as it is written inside a
/// double-quoted string of either's configuration.
pub const ACCESS_LOG_FORMAT: &str = r#"%{remote}p %>s \"%r\""#;

/// One logged request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Logged {
    /// The client's port: one per client connection.
    pub remote_port: u16,
    /// The status sent.
    pub status: u16,
    /// `METHOD target`.
    pub request: String,
}

/// Parses a log's complete lines, leaving out readiness probes; fails the
/// test on a line of another shape.
#[track_caller]
pub fn parse_access_log(text: &str) -> Vec<Logged> {
    let complete = match text.rfind('\n') {
        Some(end) => &text[..=end],
        None => "",
    };
    complete
        .lines()
        .map(|l| parse_line(l).unwrap_or_else(|| panic!("unexpected access log line {l:?}")))
        .filter(|l| !l.request.split(' ').nth(1).is_some_and(|t| t.starts_with(READY_PREFIX)))
        .collect()
}

fn parse_line(line: &str) -> Option<Logged> {
    let mut fields = line.splitn(3, ' ');
    let remote_port = fields.next()?.parse().ok()?;
    let status = fields.next()?.parse().ok()?;
    let request_line = fields.next()?.strip_prefix('"')?.strip_suffix('"')?;
    let mut parts = request_line.split(' ');
    let (method, target) = (parts.next()?, parts.next()?);
    Some(Logged { remote_port, status, request: format!("{method} {target}") })
}

/// How often each `METHOD target` was logged.
pub fn times_logged(log: &[Logged]) -> HashMap<&str, usize> {
    let mut times = HashMap::new();
    for line in log {
        *times.entry(line.request.as_str()).or_default() += 1;
    }
    times
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_logged_requests_and_leaves_out_probes() {
        let text = "40522 200 \"GET /f/a?i=7 HTTP/1.1\"\n40523 404 \"GET /ready-x.txt HTTP/1.0\"\n40524 500 \"GET /b";
        assert_eq!(
            parse_access_log(text),
            vec![Logged { remote_port: 40522, status: 200, request: "GET /f/a?i=7".into() }]
        );
        assert_eq!(parse_line("garbage"), None);
    }
}
