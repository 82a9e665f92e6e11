//! Request encoding (RFC 9112 §3, §6; RFC 9110 §7.2, §8.6).
//!
//! The encoder is the last line of defence of the byte stream: one stray CR
//! or LF in a target or a value would let a request smuggle a second one into
//! the pipeline and shift every later response onto the wrong request. So it
//! validates everything first and writes nothing unless the whole request is
//! valid.

use super::syntax::{is_field_value_byte, is_tchar, parse_decimal, trim_ows};
use super::{Content, Header, Request};
use crate::ErrorKind;
use crate::decimal::push_decimal;
use alloc::vec::Vec;

/// Why a request could not be encoded. These are local misuse, never a
/// peer's fault; all map to [`ErrorKind::InvalidRequest`].
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EncodeError {
    /// The request-target is empty or contains a byte outside visible ASCII
    /// (CR, LF, NUL, space, controls, non-ASCII): it would break the request
    /// line (RFC 9112 §3.2).
    #[error("invalid request-target: byte {byte:#04x} at offset {offset}")]
    InvalidTarget {
        /// The offending byte (0 when the target is empty).
        byte: u8,
        /// Its position in the target.
        offset: usize,
    },
    /// The method is not a token (RFC 9110 §9.1).
    #[error("invalid request method")]
    InvalidMethod,
    /// A header name is empty or not a token (RFC 9110 §5.1).
    #[error("invalid header name at header {index}")]
    InvalidHeaderName {
        /// Position of the field in the request's header list.
        index: usize,
    },
    /// A header value contains CR, LF, NUL or another control character
    /// (RFC 9110 §5.5).
    #[error("invalid byte {byte:#04x} in the value of header {index}")]
    InvalidHeaderValue {
        /// Position of the field in the request's header list.
        index: usize,
        /// The offending byte.
        byte: u8,
    },
    /// A `Content-Length` field that is not a number equal to the body's
    /// length (RFC 9110 §8.6): the server would read a different request
    /// boundary than we wrote.
    #[error("Content-Length {declared:?} disagrees with a body of {actual} bytes")]
    ContentLengthMismatch {
        /// The value as declared, if it was a number.
        declared: Option<u64>,
        /// The body's actual length.
        actual: u64,
    },
    /// The caller set `Transfer-Encoding`: the codec frames the content
    /// itself (`Content-Length`, or chunked for a streamed body of unknown
    /// length), and a second framing would desynchronise the stream (RFC
    /// 9112 §6.1).
    #[error("Transfer-Encoding is set by the codec, not the caller")]
    TransferEncodingNotAllowed,
    /// A `Content-Length` field on a streamed body of unknown length, which
    /// goes chunked (RFC 9112 §6.3).
    #[error("Content-Length on a streamed body of unknown length")]
    ContentLengthOnChunked,
    /// More than one `Host` field (RFC 9112 §3.2: exactly one).
    #[error("more than one Host header")]
    DuplicateHost,
}

impl EncodeError {
    /// The C5 name of this error: always `invalid_request`.
    pub fn kind(&self) -> ErrorKind {
        ErrorKind::InvalidRequest
    }
}

/// Checks a request without writing it.
pub fn validate_request(request: &Request) -> Result<(), EncodeError> {
    check_target(&request.target)?;
    let method = request.method.as_str().as_bytes();
    if method.is_empty() || !method.iter().all(|&b| is_tchar(b)) {
        return Err(EncodeError::InvalidMethod);
    }
    let body_len = match &request.body {
        Content::None => Some(0),
        Content::Full(bytes) => Some(bytes.len() as u64),
        Content::Streamed { length } => *length,
    };
    let mut hosts = 0;
    for (index, header) in request.headers.iter().enumerate() {
        check_header(index, header)?;
        if header.is("transfer-encoding") {
            return Err(EncodeError::TransferEncodingNotAllowed);
        }
        if header.is("host") {
            hosts += 1;
            if hosts > 1 {
                return Err(EncodeError::DuplicateHost);
            }
        }
        if header.is("content-length") {
            let Some(body_len) = body_len else { return Err(EncodeError::ContentLengthOnChunked) };
            let declared = parse_decimal(trim_ows(&header.value));
            if declared != Some(body_len) {
                return Err(EncodeError::ContentLengthMismatch { declared, actual: body_len });
            }
        }
    }
    Ok(())
}

/// Frames one piece of a streamed body ([`Content::Streamed`]) onto `dst`:
/// as it is under `Content-Length`, as a chunk when the length is unknown
/// (RFC 9112 §7.1), with the last chunk after the final piece. Empty pieces
/// write nothing (an empty chunk would end the body).
pub(crate) fn write_body_piece(chunked: bool, piece: &[u8], end: bool, dst: &mut Vec<u8>) {
    if !chunked {
        dst.extend_from_slice(piece);
        return;
    }
    if !piece.is_empty() {
        push_hex(dst, piece.len() as u64);
        dst.extend_from_slice(b"\r\n");
        dst.extend_from_slice(piece);
        dst.extend_from_slice(b"\r\n");
    }
    if end {
        dst.extend_from_slice(b"0\r\n\r\n");
    }
}

fn push_hex(dst: &mut Vec<u8>, mut n: u64) {
    let mut digits = [0u8; 16];
    let mut at = digits.len();
    loop {
        at -= 1;
        digits[at] = b"0123456789abcdef"[(n & 0xf) as usize];
        n >>= 4;
        if n == 0 {
            break;
        }
    }
    dst.extend_from_slice(&digits[at..]);
}

/// Encodes `request` onto the end of `dst`.
///
/// `host` is the value of the `Host` field added when the request has none
/// (RFC 9112 §3.2: a client must send one in every HTTP/1.1 request); it
/// comes from the origin the connection was opened to and is trusted.
/// `Content-Length` is added for a body, and as `0` for an empty POST, PUT
/// or PATCH (RFC 9110 §8.6). On error nothing is written.
pub fn encode_request(request: &Request, host: &[u8], dst: &mut Vec<u8>) -> Result<(), EncodeError> {
    validate_request(request)?;
    write_validated(request, host, dst);
    Ok(())
}

/// Writes a request [`validate_request`] has accepted. The pipeline
/// validates each request once, at submission, and owns it unchanged
/// afterwards, so it writes without checking again.
pub(crate) fn write_validated(request: &Request, host: &[u8], dst: &mut Vec<u8>) {
    let has_host = request.headers.iter().any(|h| h.is("host"));
    let has_length = request.headers.iter().any(|h| h.is("content-length"));
    let body: &[u8] = request.body.full().map_or(&[], |b| &b[..]);

    dst.reserve(encoded_len_hint(request, host));
    dst.extend_from_slice(request.method.as_str().as_bytes());
    dst.push(b' ');
    dst.extend_from_slice(&request.target);
    dst.extend_from_slice(b" HTTP/1.1\r\n");
    if !has_host {
        dst.extend_from_slice(b"Host: ");
        dst.extend_from_slice(host);
        dst.extend_from_slice(b"\r\n");
    }
    let mut wrote_length = false;
    for header in &request.headers {
        if header.is("content-length") {
            // Every caller Content-Length equals the body's length (checked
            // above); send it once, as a second field makes servers such as
            // nginx refuse the request.
            if wrote_length {
                continue;
            }
            wrote_length = true;
        }
        dst.extend_from_slice(&header.name);
        dst.extend_from_slice(b": ");
        dst.extend_from_slice(trim_ows(&header.value));
        dst.extend_from_slice(b"\r\n");
    }
    match &request.body {
        Content::Streamed { length: None } => dst.extend_from_slice(b"Transfer-Encoding: chunked\r\n"),
        Content::Streamed { length: Some(length) } if !has_length => {
            dst.extend_from_slice(b"Content-Length: ");
            push_decimal(dst, *length);
            dst.extend_from_slice(b"\r\n");
        }
        Content::Full(_) | Content::None
            if !has_length && (request.body != Content::None || request.method.expects_content()) =>
        {
            dst.extend_from_slice(b"Content-Length: ");
            push_decimal(dst, body.len() as u64);
            dst.extend_from_slice(b"\r\n");
        }
        _ => {}
    }
    dst.extend_from_slice(b"\r\n");
    dst.extend_from_slice(body);
}

fn encoded_len_hint(request: &Request, host: &[u8]) -> usize {
    let headers: usize = request.headers.iter().map(|h| h.name.len() + h.value.len() + 4).sum();
    request.method.as_str().len()
        + request.target.len()
        + host.len()
        + headers
        + request.body.full().map_or(0, |b| b.len())
        + 64
}

fn check_target(target: &[u8]) -> Result<(), EncodeError> {
    if target.is_empty() {
        return Err(EncodeError::InvalidTarget { byte: 0, offset: 0 });
    }
    // RFC 9112 §3.2: the target is made of URI characters, all visible ASCII.
    match target.iter().position(|&b| !(0x21..0x7f).contains(&b)) {
        Some(offset) => Err(EncodeError::InvalidTarget { byte: target[offset], offset }),
        None => Ok(()),
    }
}

fn check_header(index: usize, header: &Header) -> Result<(), EncodeError> {
    if header.name.is_empty() || !header.name.iter().all(|&b| is_tchar(b)) {
        return Err(EncodeError::InvalidHeaderName { index });
    }
    match header.value.iter().find(|&&b| !is_field_value_byte(b)) {
        Some(&byte) => Err(EncodeError::InvalidHeaderValue { index, byte }),
        None => Ok(()),
    }
}
