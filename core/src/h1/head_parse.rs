//! Parsing a complete response head with httparse, then checking what
//! httparse leaves to us (status range, framing, connection signals).

use super::fields::HeaderBlock;
use super::{ConnectionSignals, DecodeError, HeadSyntax, Limits, Method, ResponseHead, Version};
use alloc::vec::Vec;
use bytes::Bytes;
use core::mem::MaybeUninit;

/// Header slots kept on the stack; a larger configured limit uses the heap.
const INLINE_HEADERS: usize = 128;

/// Caller-supplied storage for httparse's header slots.
pub(crate) struct HeaderStorage<'b> {
    slots: Vec<httparse::Header<'b>>,
}

impl<'b> HeaderStorage<'b> {
    /// Initialised storage for `max` headers (used for trailers, which are
    /// rare enough that an allocation does not matter).
    pub(crate) fn new(max: usize) -> Self {
        HeaderStorage { slots: alloc::vec![httparse::EMPTY_HEADER; max] }
    }

    pub(crate) fn as_mut_slice(&mut self) -> &mut [httparse::Header<'b>] {
        &mut self.slots
    }
}

/// Parses `block`, which holds exactly one head up to and including its
/// empty line, into a [`ResponseHead`] answering a request with `method`.
pub(crate) fn parse_head(block: &Bytes, method: &Method, limits: &Limits) -> Result<ResponseHead, DecodeError> {
    let mut config = httparse::ParserConfig::default();
    // RFC 9112 §5.2: a user agent must accept obs-fold in responses.
    config.allow_obsolete_multiline_headers_in_responses(true);
    let mut inline = [const { MaybeUninit::<httparse::Header<'_>>::uninit() }; INLINE_HEADERS];
    let mut heap;
    let slots: &mut [MaybeUninit<httparse::Header<'_>>] = if limits.max_headers <= INLINE_HEADERS {
        &mut inline[..limits.max_headers]
    } else {
        heap = alloc::vec![MaybeUninit::uninit(); limits.max_headers];
        &mut heap[..]
    };
    let mut response = httparse::Response::new(&mut []);
    match config.parse_response_with_uninit_headers(&mut response, block, slots) {
        Ok(httparse::Status::Complete(_)) => {}
        // The caller found the empty line, so httparse can only disagree if a
        // line ending is malformed.
        Ok(httparse::Status::Partial) => return Err(DecodeError::MalformedHead(HeadSyntax::NewLine)),
        Err(e) => return Err(head_error(e, limits)),
    }
    let version = match response.version {
        Some(0) => Version::Http10,
        Some(1) => Version::Http11,
        _ => return Err(DecodeError::MalformedHead(HeadSyntax::Version)),
    };
    let status = response.code.ok_or(DecodeError::MalformedHead(HeadSyntax::Status))?;
    // httparse accepts any three digits, `099` included; RFC 9110 §15 says
    // the first digit is 1–9.
    if !(100..=999).contains(&status) {
        return Err(DecodeError::InvalidStatus { code: status });
    }
    let reason = match response.reason {
        Some(r) if !r.is_empty() => super::header::shared(block, r.as_bytes()),
        // httparse reports a reason with obs-text (RFC 9112 §4) as empty; the
        // bytes follow `HTTP/1.x NNN ` on the first line.
        _ => {
            let line = &block[..block.iter().position(|&b| b == b'\n').unwrap_or(block.len())];
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            line.get(13..).map_or_else(Bytes::new, |r| block.slice_ref(r))
        }
    };
    let headers = HeaderBlock::from_parsed(block, response.headers);
    let framing = super::framing::framing_for(method, status, version, &headers)?;
    let connection = ConnectionSignals::from_head(version, &headers, framing);
    Ok(ResponseHead { version, status, reason, headers, framing, connection })
}

fn head_error(e: httparse::Error, limits: &Limits) -> DecodeError {
    DecodeError::MalformedHead(match e {
        httparse::Error::TooManyHeaders => return DecodeError::TooManyHeaders { limit: limits.max_headers },
        httparse::Error::HeaderName => HeadSyntax::HeaderName,
        httparse::Error::HeaderValue => HeadSyntax::HeaderValue,
        httparse::Error::NewLine => HeadSyntax::NewLine,
        httparse::Error::Status => HeadSyntax::Status,
        httparse::Error::Version => HeadSyntax::Version,
        _ => HeadSyntax::Token,
    })
}
