//! Response bytes: a head built field by field (RFC 9112 §4, §5), framed
//! content (§6.3: `Content-Length`, chunked per §7.1, or until the close),
//! and the ready-made responses scripts use most.

use std::fmt::Display;

/// The bytes of one response, built field by field in the order written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResponseBytes {
    bytes: Vec<u8>,
}

impl ResponseBytes {
    /// A status line: `{version} {status} {reason}`.
    pub fn new(version: &str, status: u16, reason: &str) -> Self {
        ResponseBytes { bytes: format!("{version} {status} {reason}\r\n").into_bytes() }
    }

    /// Adds the field line `name: value`.
    pub fn field(mut self, name: &str, value: impl Display) -> Self {
        self.bytes.extend_from_slice(format!("{name}: {value}\r\n").as_bytes());
        self
    }

    /// Adds each `(name, value)` as a field line.
    pub fn fields(self, fields: &[(&str, &str)]) -> Self {
        fields.iter().fold(self, |out, (name, value)| out.field(name, value))
    }

    /// Adds field lines exactly as written, each ending in CRLF.
    pub fn lines(mut self, lines: &str) -> Self {
        self.bytes.extend_from_slice(lines.as_bytes());
        self
    }

    /// Ends the head: the response has no content, or its content follows
    /// separately.
    pub fn head(mut self) -> Vec<u8> {
        self.bytes.extend_from_slice(b"\r\n");
        self.bytes
    }

    /// Ends the head and appends `body` unframed: the caller's fields frame
    /// it, or the close does.
    pub fn body(self, body: &[u8]) -> Vec<u8> {
        let mut out = self.head();
        out.extend_from_slice(body);
        out
    }

    /// `Content-Length` for `body`, then `body` (left out when `with_body`
    /// is false: the answer to HEAD keeps the length it would have had).
    pub fn sized(self, body: &[u8], with_body: bool) -> Vec<u8> {
        let out = self.field("Content-Length", body.len());
        out.body(if with_body { body } else { b"" })
    }

    /// `Transfer-Encoding: chunked`, then `body` in `pieces` (when
    /// `with_body`), then `trailers`.
    pub fn chunked(self, pieces: &[&[u8]], trailers: &[(&str, &str)], with_body: bool) -> Vec<u8> {
        let out = self.field("Transfer-Encoding", "chunked");
        if with_body { out.body(&chunked_body(pieces, trailers)) } else { out.head() }
    }
}

/// A chunked body (RFC 9112 §7.1): each non-empty piece as one chunk, the
/// last chunk, `trailers`, the empty line.
pub fn chunked_body(pieces: &[&[u8]], trailers: &[(&str, &str)]) -> Vec<u8> {
    let mut out = Vec::new();
    for piece in pieces.iter().filter(|p| !p.is_empty()) {
        out.extend_from_slice(format!("{:x}\r\n", piece.len()).as_bytes());
        out.extend_from_slice(piece);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"0\r\n");
    for (name, value) in trailers {
        out.extend_from_slice(format!("{name}: {value}\r\n").as_bytes());
    }
    out.extend_from_slice(b"\r\n");
    out
}

/// The reason phrase the ready-made responses put after `status`.
pub fn reason(status: u16) -> &'static str {
    match status {
        100 => "Continue",
        103 => "Early Hints",
        200 => "OK",
        204 => "No Content",
        304 => "Not Modified",
        404 => "Not Found",
        _ => "Whatever",
    }
}

/// `200 OK` with `content-length` and `body`.
pub fn ok(body: impl AsRef<[u8]>) -> Vec<u8> {
    response(200, &[], body)
}

/// An HTTP/1.1 response; `content-length` is added unless `headers` frame
/// the body themselves (`content-length` or `transfer-encoding`).
pub fn response(status: u16, headers: &[(&str, &str)], body: impl AsRef<[u8]>) -> Vec<u8> {
    let body = body.as_ref();
    let framed = headers
        .iter()
        .any(|(n, _)| n.eq_ignore_ascii_case("content-length") || n.eq_ignore_ascii_case("transfer-encoding"));
    let out = ResponseBytes::new("HTTP/1.1", status, reason(status)).fields(headers);
    let out = if framed { out } else { out.field("content-length", body.len()) };
    out.body(body)
}

/// Just a head (for HEAD, 204, 304, 1xx, or a body written separately).
pub fn head(status: u16, headers: &[(&str, &str)]) -> Vec<u8> {
    ResponseBytes::new("HTTP/1.1", status, reason(status)).fields(headers).head()
}

/// A chunked `200 OK`: `chunks` in order, then `trailers`.
pub fn chunked(chunks: &[&[u8]], trailers: &[(&str, &str)]) -> Vec<u8> {
    let mut out = head(200, &[("transfer-encoding", "chunked")]);
    out.extend_from_slice(&chunked_body(chunks, trailers));
    out
}

/// An HTTP/1.0 `200 OK` with `content-length` (the server should close
/// after it: HTTP/1.0 without keep-alive).
pub fn http10(body: impl AsRef<[u8]>) -> Vec<u8> {
    let body = body.as_ref();
    ResponseBytes::new("HTTP/1.0", 200, "OK").field("content-length", body.len()).body(body)
}
