//! Parsing a complete response head with httparse, then checking what
//! httparse leaves to us (status range, framing, connection signals).

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

/// What parsing the front of the buffer found.
pub(crate) enum HeadParse {
    /// The head is not complete yet.
    Partial,
    /// A head of `len` bytes, filled into the head given; its reason phrase
    /// is at `reason` in those bytes.
    Complete { len: usize, reason: core::ops::Range<usize> },
}

/// Completes a head [`parse_head`] filled: its fields share `block` (the
/// head's bytes).
pub(crate) fn finish(head: &mut ResponseHead, block: Bytes, reason: core::ops::Range<usize>) {
    // `OK` is nearly every reason: a static copy spares the slice's two
    // atomic reference-count updates.
    head.reason = match &block[reason.clone()] {
        [] => Bytes::new(),
        b"OK" => Bytes::from_static(b"OK"),
        _ => block.slice(reason),
    };
    head.headers.set_block(block);
}

/// Parses the head at the front of `buf` into a head answering a request
/// with `method`. One pass of httparse over the bytes: no separate search
/// for the empty line when the whole head is there.
/// `complete`: the caller found the head's empty line in `buf`.
pub(crate) fn parse_head(
    buf: &[u8],
    complete: bool,
    method: &Method,
    limits: &Limits,
    into: &mut ResponseHead,
) -> Result<HeadParse, DecodeError> {
    let mut inline = [const { MaybeUninit::<httparse::Header<'_>>::uninit() }; INLINE_HEADERS];
    let mut heap;
    let slots: &mut [MaybeUninit<httparse::Header<'_>>] = if limits.max_headers <= INLINE_HEADERS {
        &mut inline[..limits.max_headers]
    } else {
        heap = alloc::vec![MaybeUninit::uninit(); limits.max_headers];
        &mut heap[..]
    };
    // The strict parse first: it leaves no line break inside a value, so the
    // values need no search for one. Only a head it rejects is parsed again
    // accepting obs-fold, which RFC 9112 §5.2 makes a user agent accept.
    match parse_with(httparse::ParserConfig::default(), buf, complete, method, limits, into, slots, false) {
        Err(_) => {
            let mut lenient = httparse::ParserConfig::default();
            lenient.allow_obsolete_multiline_headers_in_responses(true);
            parse_with(lenient, buf, complete, method, limits, into, slots, true)
        }
        parsed => parsed,
    }
}

/// [`parse_head`] with one parser configuration; `folds`: values may hold
/// an obs-fold.
#[allow(clippy::too_many_arguments)]
fn parse_with<'b>(
    config: httparse::ParserConfig,
    buf: &'b [u8],
    complete: bool,
    method: &Method,
    limits: &Limits,
    into: &mut ResponseHead,
    slots: &mut [MaybeUninit<httparse::Header<'b>>],
    folds: bool,
) -> Result<HeadParse, DecodeError> {
    let mut response = httparse::Response::new(&mut []);
    let len = match config.parse_response_with_uninit_headers(&mut response, buf, slots) {
        Ok(httparse::Status::Complete(len)) => len,
        Ok(httparse::Status::Partial) => return Ok(HeadParse::Partial),
        // Before the head's end has arrived, whether there is an error and
        // which one (too many fields, a malformed line, or a head over its
        // limit) depends on the bytes still to come: wait for the end, as a
        // head split into smaller reads would (the caller then parses the
        // complete head and reports any error again).
        Err(_) if !complete && folds => return Ok(HeadParse::Partial),
        Err(e) => return Err(head_error(e, limits)),
    };
    if len > limits.max_head_bytes {
        return Err(DecodeError::HeadTooLarge { limit: limits.max_head_bytes });
    }
    let head = &buf[..len];
    let version = match response.version {
        Some(0) => Version::Http10,
        Some(1) => Version::Http11,
        _ => return Err(DecodeError::MalformedHead(HeadSyntax::Version)),
    };
    let status = response.code.ok_or(DecodeError::MalformedHead(HeadSyntax::Status))?;
    // httparse accepts any three digits, `099` included; RFC 9112 §4 and
    // RFC 9110 §15 give the first digit as 1–9.
    if !(100..=999).contains(&status) {
        return Err(DecodeError::InvalidStatus { code: status });
    }
    let base = head.as_ptr() as usize;
    let reason = match response.reason {
        Some(r) if !r.is_empty() => {
            let start = r.as_ptr() as usize - base;
            start..start + r.len()
        }
        // httparse reports a reason with obs-text (RFC 9112 §4) as empty; the
        // bytes follow `HTTP/1.x NNN ` on the first line.
        _ => {
            let line_end = head.iter().position(|&b| b == b'\n').unwrap_or(head.len());
            let line_end = if line_end > 0 && head[line_end - 1] == b'\r' { line_end - 1 } else { line_end };
            line_end.min(13)..line_end
        }
    };
    into.headers.spans_mut().fill(head, response.headers, folds);
    let spans = into.headers.spans();
    let framing = super::framing::framing_for(method, status, version, head, spans)?;
    into.connection = ConnectionSignals::from_head(version, head, spans, framing);
    into.framing = framing;
    into.version = version;
    into.status = status;
    Ok(HeadParse::Complete { len, reason })
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
