//! The chunked transfer coding (RFC 9112 §7.1), decoded incrementally.
//!
//! Stricter than `httparse::parse_chunk_size`, which reads an empty size line
//! as size 0 and would end the body early; every line here is bounded.

use super::fields::{HeaderBlock, Spans};
use super::lines::{BlankLine, find_blank_line};
use super::syntax::{is_field_value_byte, is_ows, is_tchar};
use super::{DecodeError, Header, Limits};
use alloc::vec::Vec;
use bytes::{Buf, Bytes, BytesMut};

/// Where the decoder is within a chunked body.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Chunked {
    /// Reading a `chunk-size [ chunk-ext ] CRLF` line; `scanned` bytes are
    /// known not to contain its LF.
    SizeLine { scanned: usize },
    /// Inside chunk data.
    Data { remaining: u64 },
    /// Expecting the CRLF after chunk data.
    DataEnd,
    /// After the last chunk: reading the trailer section.
    Trailers { scanned: usize },
    /// Trailers were reported; the end comes next.
    Finished,
}

/// One step of a chunked body.
#[derive(Debug)]
pub(crate) enum ChunkedPart {
    Data(Bytes),
    Trailers(Vec<Header>),
    End,
}

impl Chunked {
    pub(crate) const START: Chunked = Chunked::SizeLine { scanned: 0 };

    /// Decodes the next part from `buf`, or `None` when more bytes are needed.
    pub(crate) fn decode(&mut self, buf: &mut BytesMut, limits: &Limits) -> Result<Option<ChunkedPart>, DecodeError> {
        loop {
            match *self {
                Chunked::SizeLine { scanned } => {
                    let window = buf.len().min(limits.max_chunk_line_bytes);
                    let Some(lf) = buf[scanned.min(window)..window].iter().position(|&b| b == b'\n') else {
                        if buf.len() >= limits.max_chunk_line_bytes {
                            return Err(DecodeError::ChunkLineTooLong { limit: limits.max_chunk_line_bytes });
                        }
                        *self = Chunked::SizeLine { scanned: buf.len() };
                        return Ok(None);
                    };
                    let lf = scanned.min(window) + lf;
                    let line = &buf[..lf];
                    let line = line.strip_suffix(b"\r").unwrap_or(line);
                    let size = parse_size_line(line)?;
                    buf.advance(lf + 1);
                    *self =
                        if size == 0 { Chunked::Trailers { scanned: 0 } } else { Chunked::Data { remaining: size } };
                }
                Chunked::Data { remaining } => {
                    if buf.is_empty() {
                        return Ok(None);
                    }
                    let take = usize::try_from(remaining).unwrap_or(usize::MAX).min(buf.len());
                    let left = remaining - take as u64;
                    *self = if left == 0 { Chunked::DataEnd } else { Chunked::Data { remaining: left } };
                    return Ok(Some(ChunkedPart::Data(buf.split_to(take).freeze())));
                }
                Chunked::DataEnd => match &buf[..] {
                    [] | [b'\r'] => return Ok(None),
                    [b'\n', ..] => {
                        buf.advance(1);
                        *self = Chunked::START;
                    }
                    [b'\r', b'\n', ..] => {
                        buf.advance(2);
                        *self = Chunked::START;
                    }
                    _ => return Err(DecodeError::InvalidChunkEnd),
                },
                Chunked::Trailers { scanned } => {
                    // An empty line at once: no trailer fields.
                    match &buf[..] {
                        [] | [b'\r'] => return Ok(None),
                        [b'\n', ..] => {
                            buf.advance(1);
                            *self = Chunked::Finished;
                            return Ok(Some(ChunkedPart::End));
                        }
                        [b'\r', b'\n', ..] => {
                            buf.advance(2);
                            *self = Chunked::Finished;
                            return Ok(Some(ChunkedPart::End));
                        }
                        _ => {}
                    }
                    let limit = limits.max_trailer_bytes;
                    let end = match find_blank_line(buf, scanned) {
                        BlankLine::EndsAt(end) => end,
                        BlankLine::NotYet { resume } => {
                            if buf.len() > limit {
                                return Err(DecodeError::TrailersTooLarge { limit });
                            }
                            *self = Chunked::Trailers { scanned: resume };
                            return Ok(None);
                        }
                    };
                    if end > limit {
                        return Err(DecodeError::TrailersTooLarge { limit });
                    }
                    let block = buf.split_to(end).freeze();
                    let trailers = parse_trailers(&block, limits)?;
                    *self = Chunked::Finished;
                    return Ok(Some(ChunkedPart::Trailers(trailers)));
                }
                Chunked::Finished => return Ok(Some(ChunkedPart::End)),
            }
        }
    }
}

/// `chunk-size [ chunk-ext ]` without the line ending (RFC 9112 §7.1,
/// §7.1.1). Extensions are ignored, but must be made of field-value bytes.
fn parse_size_line(line: &[u8]) -> Result<u64, DecodeError> {
    if line.is_empty() {
        return Err(DecodeError::EmptyChunkSize);
    }
    let digits = line.iter().take_while(|b| b.is_ascii_hexdigit()).count();
    if digits == 0 {
        return Err(DecodeError::InvalidChunkSize);
    }
    let mut size: u64 = 0;
    for &b in &line[..digits] {
        let nibble = match b {
            b'0'..=b'9' => b - b'0',
            b'a'..=b'f' => b - b'a' + 10,
            _ => b - b'A' + 10,
        };
        size = size
            .checked_mul(16)
            .and_then(|s| s.checked_add(u64::from(nibble)))
            .ok_or(DecodeError::ChunkSizeOverflow)?;
    }
    if chunk_extensions(&line[digits..]) { Ok(size) } else { Err(DecodeError::InvalidChunkSize) }
}

/// Whether `rest`, what follows a chunk size, is exactly RFC 9112 §7.1's
/// `*( BWS ";" BWS chunk-ext-name [ BWS "=" BWS chunk-ext-val ] )`: nothing,
/// or extensions each with a name. Whitespace after the size with no `;`,
/// and a `;` with no name, are framing errors (a lenient parser and a strict
/// one would disagree on where the chunk starts).
fn chunk_extensions(mut rest: &[u8]) -> bool {
    fn skip_bws(s: &[u8]) -> &[u8] {
        &s[s.iter().take_while(|&&b| is_ows(b)).count()..]
    }
    let token = |s: &[u8]| s.iter().take_while(|&&b| is_tchar(b)).count();
    loop {
        if rest.is_empty() {
            return true;
        }
        rest = skip_bws(rest);
        let [b';', after @ ..] = rest else { return false };
        rest = skip_bws(after);
        let name = token(rest);
        if name == 0 {
            return false;
        }
        rest = &rest[name..];
        let after_name = skip_bws(rest);
        if let [b'=', value @ ..] = after_name {
            let value = skip_bws(value);
            let used = match value {
                [b'"', ..] => quoted_string(value),
                _ => Some(token(value)).filter(|&n| n > 0),
            };
            let Some(used) = used else { return false };
            rest = &value[used..];
        }
    }
}

/// The length of the quoted-string at the start of `s` (RFC 9110 §5.6.4),
/// if it is one.
fn quoted_string(s: &[u8]) -> Option<usize> {
    let mut at = 1;
    while at < s.len() {
        match s[at] {
            b'"' => return Some(at + 1),
            b'\\' if s.get(at + 1).is_some_and(|&b| is_field_value_byte(b)) => at += 2,
            b if is_field_value_byte(b) && b != b'\\' => at += 1,
            _ => return None,
        }
    }
    None
}

fn parse_trailers(block: &Bytes, limits: &Limits) -> Result<Vec<Header>, DecodeError> {
    let mut storage = super::head_parse::HeaderStorage::new(limits.max_headers);
    match httparse::parse_headers(block, storage.as_mut_slice()) {
        Ok(httparse::Status::Complete((_, parsed))) => Ok(owned_fields(block, parsed)),
        Ok(httparse::Status::Partial) => Err(DecodeError::MalformedTrailers),
        Err(httparse::Error::TooManyHeaders) => Err(DecodeError::TooManyHeaders { limit: limits.max_headers }),
        // `parse_headers` cannot accept obs-fold, which a user agent must in
        // trailers too (RFC 9112 §5.2): retry (rarely) on a copy behind a
        // stand-in status line, parsed as the head is.
        Err(_) => parse_folded_trailers(block, limits),
    }
}

/// Trailer fields sharing `block`, unfolded the way head fields are.
fn owned_fields(block: &Bytes, parsed: &[httparse::Header<'_>]) -> Vec<Header> {
    HeaderBlock::new(block.clone(), Spans::from_parsed(block, parsed)).to_vec()
}

fn parse_folded_trailers(block: &Bytes, limits: &Limits) -> Result<Vec<Header>, DecodeError> {
    const STATUS_LINE: &[u8] = b"HTTP/1.1 200 \r\n";
    let mut framed = BytesMut::with_capacity(STATUS_LINE.len() + block.len());
    framed.extend_from_slice(STATUS_LINE);
    framed.extend_from_slice(block);
    let framed = framed.freeze();
    let mut config = httparse::ParserConfig::default();
    config.allow_obsolete_multiline_headers_in_responses(true);
    let mut storage = super::head_parse::HeaderStorage::new(limits.max_headers);
    let mut response = httparse::Response::new(storage.as_mut_slice());
    match config.parse_response(&mut response, &framed) {
        Ok(httparse::Status::Complete(_)) => Ok(owned_fields(&framed, response.headers)),
        Err(httparse::Error::TooManyHeaders) => Err(DecodeError::TooManyHeaders { limit: limits.max_headers }),
        _ => Err(DecodeError::MalformedTrailers),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn size_lines_are_strict_hex() {
        assert_eq!(parse_size_line(b"0"), Ok(0));
        assert_eq!(parse_size_line(b"1A"), Ok(26));
        assert_eq!(parse_size_line(b"00ff ; name=value"), Ok(255));
        assert_eq!(parse_size_line(b"ffffffffffffffff"), Ok(u64::MAX));
        assert_eq!(parse_size_line(b"10000000000000000"), Err(DecodeError::ChunkSizeOverflow));
        assert_eq!(parse_size_line(b""), Err(DecodeError::EmptyChunkSize));
        assert_eq!(parse_size_line(b" 1"), Err(DecodeError::InvalidChunkSize));
        assert_eq!(parse_size_line(b"0x1"), Err(DecodeError::InvalidChunkSize));
        assert_eq!(parse_size_line(b"1 2"), Err(DecodeError::InvalidChunkSize));
        assert_eq!(parse_size_line(b"1;\0"), Err(DecodeError::InvalidChunkSize));
        assert_eq!(parse_size_line(b"-1"), Err(DecodeError::InvalidChunkSize));
    }
}

#[cfg(test)]
mod grammar_tests {
    use super::*;

    #[test]
    fn chunk_size_lines_follow_rfc_9112_exactly() {
        for ok in ["a", "A;x", "a;x=y", "a ;x", "a; x = y", "a;x=\"quoted ;=\"", "a;x;y=z", "a;x=\"a\\\"b\""] {
            assert_eq!(parse_size_line(ok.as_bytes()), Ok(10), "{ok:?}");
        }
        // Whitespace with no extension, a `;` with no name, a value missing
        // or unterminated: each a framing error.
        for bad in ["a ", "a\t", "a;", "a; ", "a;=y", "a;x=", "a;x=\"open", "a;x y", " a", "a;x=y z", ""] {
            assert!(parse_size_line(bad.as_bytes()).is_err(), "{bad:?}");
        }
    }
}
