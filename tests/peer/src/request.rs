//! Requests read off a client's byte stream: the one request parser every
//! test server shares.
//!
//! The head is parsed by `httparse`; the body is framed as RFC 9112 §6.3
//! says for a request: by `Transfer-Encoding: chunked` (§7.1) when chunked is
//! the final coding, else by `Content-Length`, else there is none.

use std::fmt;

/// Header slots per request head; a head with more fields is an error.
const MAX_FIELDS: usize = 128;

/// One request as read off the wire.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Request {
    /// Its method, as written.
    pub method: String,
    /// Its request-target, as written.
    pub target: String,
    /// The minor HTTP version: 1 for HTTP/1.1, 0 for HTTP/1.0.
    pub version: u8,
    /// Its header fields in order, names lowercased.
    pub headers: Vec<(String, String)>,
    /// Its content, de-chunked when it came chunked.
    pub body: Vec<u8>,
}

impl Request {
    /// The first value of a header field (`name` in any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// How many fields named `name` (in any case) the head has.
    pub fn header_count(&self, name: &str) -> usize {
        self.headers.iter().filter(|(n, _)| n.eq_ignore_ascii_case(name)).count()
    }
}

/// Why the bytes a client wrote are not a request.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ParseError {
    /// The head does not parse (`httparse`'s reason), or has more than 128
    /// fields.
    Head(httparse::Error),
    /// A `Content-Length` that is not one decimal number (RFC 9112 §6.3
    /// rule 5).
    ContentLength(String),
    /// A chunked body whose framing is broken (RFC 9112 §7.1).
    Chunked,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParseError::Head(e) => write!(f, "invalid request head: {e}"),
            ParseError::ContentLength(value) => write!(f, "invalid Content-Length {value:?}"),
            ParseError::Chunked => f.write_str("invalid chunked body"),
        }
    }
}

impl std::error::Error for ParseError {}

/// Parses the request at the front of `buf`: the request and how many bytes
/// it took, `None` while it is incomplete.
///
/// # Errors
///
/// When the bytes cannot be the start of a request ([`ParseError`]).
pub fn parse(buf: &[u8]) -> Result<Option<(Request, usize)>, ParseError> {
    let mut slots = [httparse::EMPTY_HEADER; MAX_FIELDS];
    let mut head = httparse::Request::new(&mut slots);
    let head_len = match head.parse(buf).map_err(ParseError::Head)? {
        httparse::Status::Complete(n) => n,
        httparse::Status::Partial => return Ok(None),
    };
    let headers: Vec<(String, String)> = head
        .headers
        .iter()
        .map(|h| (h.name.to_ascii_lowercase(), String::from_utf8_lossy(h.value).into_owned()))
        .collect();
    let chunked = headers
        .iter()
        .filter(|(n, _)| n == "transfer-encoding")
        .flat_map(|(_, v)| v.split(','))
        .map(str::trim)
        .rfind(|coding| !coding.is_empty())
        .is_some_and(|coding| coding.eq_ignore_ascii_case("chunked"));
    let (body, used) = if chunked {
        match dechunk(&buf[head_len..])? {
            Some((body, used)) => (body, used),
            None => return Ok(None),
        }
    } else {
        let length = content_length(&headers)?;
        if buf.len() - head_len < length {
            return Ok(None);
        }
        (buf[head_len..head_len + length].to_vec(), length)
    };
    let request = Request {
        method: head.method.unwrap_or_default().to_owned(),
        target: head.path.unwrap_or_default().to_owned(),
        version: head.version.unwrap_or_default(),
        headers,
        body,
    };
    Ok(Some((request, head_len + used)))
}

/// The body length `Content-Length` declares (0 without one); repeated
/// fields must agree.
fn content_length(headers: &[(String, String)]) -> Result<usize, ParseError> {
    let mut length = None;
    for (_, value) in headers.iter().filter(|(n, _)| n == "content-length") {
        let value = value.trim();
        let parsed = value
            .bytes()
            .all(|b| b.is_ascii_digit())
            .then(|| value.parse::<usize>().ok())
            .flatten()
            .ok_or_else(|| ParseError::ContentLength(value.to_owned()))?;
        if length.is_some_and(|l| l != parsed) {
            return Err(ParseError::ContentLength(value.to_owned()));
        }
        length = Some(parsed);
    }
    Ok(length.unwrap_or(0))
}

/// A chunked body at the front of `buf`: the content and the bytes it took,
/// trailer section included; `None` while incomplete.
fn dechunk(buf: &[u8]) -> Result<Option<(Vec<u8>, usize)>, ParseError> {
    let mut body = Vec::new();
    let mut at = 0;
    loop {
        // httparse takes an empty size line for 0; a size is never empty.
        if buf.get(at) == Some(&b'\r') {
            return Err(ParseError::Chunked);
        }
        let (line, size) = match httparse::parse_chunk_size(&buf[at..]).map_err(|_| ParseError::Chunked)? {
            httparse::Status::Complete(found) => found,
            httparse::Status::Partial => return Ok(None),
        };
        at += line;
        if size == 0 {
            break;
        }
        let size = usize::try_from(size).map_err(|_| ParseError::Chunked)?;
        if buf.len() - at < size + 2 {
            return Ok(None);
        }
        body.extend_from_slice(&buf[at..at + size]);
        if &buf[at + size..at + size + 2] != b"\r\n" {
            return Err(ParseError::Chunked);
        }
        at += size + 2;
    }
    // The trailer section: field lines up to an empty line (§7.1.2).
    loop {
        let rest = &buf[at..];
        let Some(eol) = rest.windows(2).position(|w| w == b"\r\n") else { return Ok(None) };
        at += eol + 2;
        if eol == 0 {
            return Ok(Some((body, at)));
        }
    }
}

/// Finds whole requests in a byte stream as it arrives, split anywhere.
/// After the first bytes that are not a request it stops: a stream that
/// lost its framing has no request boundaries left to find.
#[derive(Clone, Debug, Default)]
pub struct RequestParser {
    buf: Vec<u8>,
    error: Option<ParseError>,
}

impl RequestParser {
    /// Adds `data`; returns the requests it completes, in order.
    pub fn push(&mut self, data: &[u8]) -> Vec<Request> {
        let mut complete = Vec::new();
        if self.error.is_some() {
            return complete;
        }
        self.buf.extend_from_slice(data);
        let mut at = 0;
        loop {
            match parse(&self.buf[at..]) {
                Ok(Some((request, used))) => {
                    complete.push(request);
                    at += used;
                }
                Ok(None) => break,
                Err(e) => {
                    self.error = Some(e);
                    break;
                }
            }
        }
        self.buf.drain(..at);
        complete
    }

    /// Why it stopped, if it did.
    pub fn error(&self) -> Option<&ParseError> {
        self.error.as_ref()
    }

    /// Bytes of an incomplete request (or, after an error, of the bytes
    /// that are not one).
    pub fn buffered(&self) -> &[u8] {
        &self.buf
    }
}
