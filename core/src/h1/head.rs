//! Response heads and what they say about the connection
//! (RFC 9112 §4, §9.3, §9.6; RFC 9110 §7.6.1).

use super::fields::{FieldKind, HeaderBlock, Spans};
use super::syntax::{list_elements, parse_decimal, trim_ows};
use bytes::Bytes;

/// The HTTP version of a response (RFC 9112 §2.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Version {
    /// `HTTP/1.0`: persistent only with `Connection: keep-alive`, and never
    /// pipelined to (docs/DESIGN.md P6).
    Http10,
    /// `HTTP/1.1`: persistent unless `Connection: close`.
    Http11,
}

/// A response head: status line and header fields.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResponseHead {
    /// The version on the status line.
    pub version: Version,
    /// The status code, 100–999 (three digits, RFC 9112 §4).
    pub status: u16,
    /// The reason phrase, possibly empty.
    pub reason: Bytes,
    /// The header fields in the order received, sharing the read buffer.
    pub headers: HeaderBlock,
    /// How the content of this response is delimited.
    pub framing: Framing,
    /// What the head says about the connection's future.
    pub connection: ConnectionSignals,
}

impl ResponseHead {
    /// The value of the first field called `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&[u8]> {
        self.headers.get(name)
    }

    /// Whether this is an interim (1xx) response other than 101: reported,
    /// but it does not answer the request (RFC 9110 §15.2).
    pub fn is_interim(&self) -> bool {
        (100..200).contains(&self.status) && self.status != 101
    }
}

impl Default for ResponseHead {
    /// An empty `HTTP/1.1 200` head without fields.
    fn default() -> Self {
        ResponseHead {
            version: Version::Http11,
            status: 200,
            reason: Bytes::new(),
            headers: HeaderBlock::default(),
            framing: Framing::Empty,
            connection: ConnectionSignals::default(),
        }
    }
}

/// How a response's content is delimited (RFC 9112 §6.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Framing {
    /// No content: HEAD, 1xx, 204 and 304 responses.
    Empty,
    /// Exactly this many bytes (`Content-Length`).
    Length(u64),
    /// The chunked transfer coding (RFC 9112 §7.1).
    Chunked,
    /// Everything until the server closes the connection; the connection
    /// cannot be reused.
    UntilClose,
    /// HTTP ends after this head: `101 Switching Protocols` or a 2xx answer
    /// to CONNECT. Later bytes belong to another protocol.
    Tunnel,
}

/// What a response head says about the connection after it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct ConnectionSignals {
    /// The connection stays open after this response (RFC 9112 §9.3):
    /// HTTP/1.1 without `close`, or HTTP/1.0 with `keep-alive`, and content
    /// not delimited by the close itself.
    pub persistent: bool,
    /// The response shows the server can take pipelined requests: HTTP/1.1
    /// and persistent (docs/DESIGN.md P6).
    pub confirms_pipelining: bool,
    /// `Keep-Alive: max=N`: the server will answer at most N more requests on
    /// this connection after this one.
    pub keep_alive_max: Option<u64>,
    /// `Keep-Alive: timeout=T`: seconds the server keeps an idle connection.
    pub keep_alive_timeout_secs: Option<u64>,
}

impl ConnectionSignals {
    /// Reads the signals from a final head's version, headers and framing.
    pub(crate) fn from_head(version: Version, head: &[u8], fields: &Spans, framing: Framing) -> Self {
        let mut close = false;
        let mut keep_alive = false;
        for value in fields.values_of(head, FieldKind::Connection) {
            for token in list_elements(value) {
                close |= token.eq_ignore_ascii_case(b"close");
                keep_alive |= token.eq_ignore_ascii_case(b"keep-alive");
            }
        }
        let mut signals = ConnectionSignals::default();
        for value in fields.values_of(head, FieldKind::KeepAlive) {
            for param in list_elements(value) {
                let (name, value) = match param.iter().position(|&b| b == b'=') {
                    Some(eq) => (trim_ows(&param[..eq]), trim_ows(&param[eq + 1..])),
                    None => continue,
                };
                let value = value.strip_prefix(b"\"").and_then(|v| v.strip_suffix(b"\"")).unwrap_or(value);
                if name.eq_ignore_ascii_case(b"max") {
                    signals.keep_alive_max = parse_decimal(value).or(signals.keep_alive_max);
                } else if name.eq_ignore_ascii_case(b"timeout") {
                    signals.keep_alive_timeout_secs = parse_decimal(value).or(signals.keep_alive_timeout_secs);
                }
            }
        }
        let by_version = match version {
            Version::Http11 => !close,
            Version::Http10 => keep_alive && !close,
        };
        signals.persistent = by_version && !matches!(framing, Framing::UntilClose | Framing::Tunnel);
        signals.confirms_pipelining = signals.persistent && version == Version::Http11;
        signals
    }
}
