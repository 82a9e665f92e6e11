//! The peer's answer to one request: bytes, where complete responses end in
//! them, and what the peer does after them.

use crate::Received;
use crate::message::ResponseBytes;
use std::time::Duration;

/// What the peer does once a reply's bytes are sent.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Then {
    /// Goes on answering.
    #[default]
    Continue,
    /// Closes its side (the client reads EOF after the bytes before it) and
    /// answers nothing more.
    Eof,
    /// Resets the connection (a transport error for the client).
    Reset,
    /// Stops answering for good, the connection left open: a stall, or a
    /// connection that stopped speaking HTTP (`101`, `CONNECT`).
    Hold,
}

/// The end of one complete final response in a byte stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ResponseEnd {
    /// Its offset: the response is the bytes before it, after the previous
    /// one's end.
    pub at: usize,
    /// The response closes the connection: `Connection: close`, or HTTP/1.0
    /// without `keep-alive` (RFC 9112 §9.3, §9.6).
    pub closes: bool,
}

/// The peer's answer to one request: bytes, where complete responses end in
/// them, where the heads that close the connection end, pauses, and what
/// happens next.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Reply {
    bytes: Vec<u8>,
    ends: Vec<ResponseEnd>,
    close_heads: Vec<usize>,
    pauses: Vec<(usize, Duration)>,
    then: Then,
}

/// The body the ready-made replies carry for `target`: the target itself, so
/// a test sees which request a response answers.
pub fn echo_body(target: &str) -> Vec<u8> {
    target.as_bytes().to_vec()
}

/// A response head and body for `r`: `X-Target` names the request answered,
/// `X-Echo` says the body is the target. `extra` is more header lines, each
/// ending in CRLF. HEAD gets the `Content-Length` of the body it would have
/// had, and no body.
pub fn echo_response(r: &Received, version: &str, status: u16, extra: &str) -> Vec<u8> {
    ResponseBytes::new(version, status, "X")
        .field("X-Target", &r.target)
        .field("X-Echo", 1)
        .lines(extra)
        .sized(&echo_body(&r.target), r.method != "HEAD")
}

/// Where the head of a response that closes the connection after it ends.
fn closing_head_end(response: &[u8]) -> Option<usize> {
    let mut slots = [httparse::EMPTY_HEADER; 64];
    let mut parsed = httparse::Response::new(&mut slots);
    let Ok(httparse::Status::Complete(head_len)) = parsed.parse(response) else { return None };
    let (mut close, mut keep_alive) = (false, false);
    for h in parsed.headers.iter().filter(|h| h.name.eq_ignore_ascii_case("connection")) {
        for token in String::from_utf8_lossy(h.value).split(',') {
            close |= token.trim().eq_ignore_ascii_case("close");
            keep_alive |= token.trim().eq_ignore_ascii_case("keep-alive");
        }
    }
    (close || (parsed.version == Some(0) && !keep_alive)).then_some(head_len)
}

impl Reply {
    /// `200` with the echoed body, HTTP/1.1, persistent.
    pub fn ok(r: &Received) -> Reply {
        Reply::response(echo_response(r, "HTTP/1.1", 200, ""))
    }

    /// `200` with extra header lines (`"Connection: close\r\n"`, …).
    pub fn ok_with(r: &Received, extra: &str) -> Reply {
        Reply::response(echo_response(r, "HTTP/1.1", 200, extra))
    }

    /// `200` in HTTP/1.0, with `Connection: keep-alive` or without (then it
    /// closes the connection after it).
    pub fn http10(r: &Received, keep_alive: bool) -> Reply {
        let extra = if keep_alive { "Connection: keep-alive\r\n" } else { "" };
        let reply = Reply::response(echo_response(r, "HTTP/1.0", 200, extra));
        if keep_alive { reply } else { reply.then_eof() }
    }

    /// The echoed body in `pieces` chunks, optionally with a trailer.
    pub fn chunked(r: &Received, pieces: usize, trailer: bool) -> Reply {
        let body = echo_body(&r.target);
        let per = body.len().div_ceil(pieces.max(1)).max(1);
        let pieces: Vec<&[u8]> = body.chunks(per).collect();
        let trailers: &[(&str, &str)] = if trailer { &[("X-Checksum", "1")] } else { &[] };
        let head = ResponseBytes::new("HTTP/1.1", 200, "X").field("X-Target", &r.target).field("X-Echo", 1);
        Reply::response(head.chunked(&pieces, trailers, r.method != "HEAD"))
    }

    /// A complete custom response; a `Connection: close` (or HTTP/1.0
    /// without keep-alive) in its head is noted.
    pub fn response(bytes: impl Into<Vec<u8>>) -> Reply {
        let bytes = bytes.into();
        let close_heads: Vec<usize> = closing_head_end(&bytes).into_iter().collect();
        Reply {
            ends: vec![ResponseEnd { at: bytes.len(), closes: !close_heads.is_empty() }],
            close_heads,
            bytes,
            ..Reply::default()
        }
    }

    /// Bytes that complete no response (garbage, an interim response, a
    /// piece of one).
    pub fn raw(bytes: impl Into<Vec<u8>>) -> Reply {
        Reply { bytes: bytes.into(), ..Reply::default() }
    }

    /// An interim response (`100 Continue`, `103 Early Hints`, …).
    pub fn interim(status: u16) -> Reply {
        Reply::raw(format!("HTTP/1.1 {status} Interim\r\nLink: </style.css>\r\n\r\n"))
    }

    /// No answer, and none to anything after it (a stall).
    pub fn nothing() -> Reply {
        Reply::raw(Vec::new()).then_hold()
    }

    /// No answer: the peer closes instead.
    pub fn eof() -> Reply {
        Reply::raw(Vec::new()).then_eof()
    }

    /// No answer: the peer resets instead.
    pub fn reset() -> Reply {
        Reply::raw(Vec::new()).then_reset()
    }

    /// These bytes, then `other`'s; `other` says what happens after.
    pub fn and(mut self, other: Reply) -> Reply {
        let at = self.bytes.len();
        self.bytes.extend_from_slice(&other.bytes);
        self.ends.extend(other.ends.iter().map(|e| ResponseEnd { at: at + e.at, ..*e }));
        self.close_heads.extend(other.close_heads.iter().map(|&end| at + end));
        self.pauses.extend(other.pauses.iter().map(|&(end, pause)| (at + end, pause)));
        self.then = other.then;
        self
    }

    /// Only the first `n` bytes, then EOF: a response cut off.
    pub fn truncate(mut self, n: usize) -> Reply {
        self.bytes.truncate(n);
        self.ends.retain(|e| e.at <= n);
        self.close_heads.retain(|&end| end <= n);
        self.pauses.retain(|&(at, _)| at <= n);
        self.then_eof()
    }

    /// A pause after the bytes so far. Only a real-time driver (the TCP
    /// adapter) waits; a virtual one delivers straight on.
    pub fn pause(mut self, pause: Duration) -> Reply {
        self.pauses.push((self.bytes.len(), pause));
        self
    }

    /// The bytes so far end a head that tells the client to write nothing
    /// more: `close`, content delimited by the close, or the end of HTTP on
    /// the connection (`101`, a `CONNECT` tunnel).
    pub fn close_head(mut self) -> Reply {
        self.close_heads.push(self.bytes.len());
        self
    }

    /// Then the peer closes its side.
    pub fn then_eof(mut self) -> Reply {
        self.then = Then::Eof;
        self
    }

    /// Then the peer resets the connection.
    pub fn then_reset(mut self) -> Reply {
        self.then = Then::Reset;
        self
    }

    /// Then the peer answers nothing more, the connection left open.
    pub fn then_hold(mut self) -> Reply {
        self.then = Then::Hold;
        self
    }

    /// Its bytes.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// How many bytes it is.
    pub fn len(&self) -> usize {
        self.bytes.len()
    }

    /// Whether it has no bytes.
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// What the peer does after it.
    pub fn then(&self) -> Then {
        self.then
    }

    /// Ends of the complete final responses in it.
    pub fn ends(&self) -> &[ResponseEnd] {
        &self.ends
    }

    /// Ends of the heads in it that close the connection.
    pub fn close_heads(&self) -> &[usize] {
        &self.close_heads
    }

    /// Its pauses: offset and length.
    pub fn pauses(&self) -> &[(usize, Duration)] {
        &self.pauses
    }
}
