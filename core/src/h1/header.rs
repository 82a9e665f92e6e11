//! Header fields (RFC 9110 §5) as zero-copy byte slices.

use bytes::Bytes;
use core::fmt;

/// One header or trailer field: a name and a value.
///
/// In decoded responses both are slices of the connection's read buffer
/// (`Bytes` shares it; nothing is copied), or static bytes for common names
/// and values such as `Content-Length` or `keep-alive` (equal bytes, without
/// reference counting). Names keep the case the peer sent;
/// compare them with [`Header::is`], which ignores case as RFC 9110 §5.1
/// requires.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Header {
    /// The field name as sent.
    pub name: Bytes,
    /// The field value, without leading or trailing whitespace; an obs-fold
    /// in a received value has been replaced by spaces (RFC 9112 §5.2).
    pub value: Bytes,
}

impl Header {
    /// A header from anything convertible to `Bytes` (`&'static str`,
    /// `String`, `Vec<u8>`, …). Validation happens when a request is encoded.
    pub fn new(name: impl Into<Bytes>, value: impl Into<Bytes>) -> Self {
        Header { name: name.into(), value: value.into() }
    }

    /// Whether the field name is `name`, ignoring ASCII case.
    #[inline]
    pub fn is(&self, name: &str) -> bool {
        // Lengths first: most names differ in length, and this runs for
        // every field each time a head is searched for a name.
        self.name.len() == name.len() && self.name.eq_ignore_ascii_case(name.as_bytes())
    }
}

impl fmt::Debug for Header {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {}",
            alloc::string::String::from_utf8_lossy(&self.name),
            alloc::string::String::from_utf8_lossy(&self.value)
        )
    }
}

/// Looks a field up in a list of headers.
#[inline]
pub(crate) fn find<'h>(headers: &'h [Header], name: &'h str) -> impl Iterator<Item = &'h Header> {
    headers.iter().filter(move |h| h.is(name))
}

/// Turns headers httparse parsed out of `block` into [`Header`]s that share
/// `block`'s memory. An obs-fold (CRLF followed by whitespace inside a value)
/// is replaced by spaces as RFC 9112 §5.2 requires of a recipient; only such
/// a value is copied.
pub(crate) fn headers_from_block(block: &Bytes, parsed: &[httparse::Header<'_>]) -> alloc::vec::Vec<Header> {
    let mut out = alloc::vec::Vec::with_capacity(parsed.len());
    for h in parsed {
        let name = shared(block, h.name.as_bytes());
        // httparse leaves a line break inside a value only for an obs-fold;
        // a fold always has its LF.
        let value = if super::lines::find_byte(h.value, b'\n').is_some() {
            let unfolded: alloc::vec::Vec<u8> =
                h.value.iter().map(|&b| if b == b'\r' || b == b'\n' { b' ' } else { b }).collect();
            Bytes::copy_from_slice(super::syntax::trim_ows(&unfolded))
        } else {
            shared(block, super::syntax::trim_ows(h.value))
        };
        out.push(Header { name, value });
    }
    out
}

/// `part` of `block` as `Bytes`: a static copy when it is a well-known name
/// or value, else a slice of `block`.
///
/// A slice costs two atomic reference-count updates (one now, one when it is
/// dropped), which for a typical head cost more than parsing it; a static
/// `Bytes` costs none. Matching is exact, case included, so the bytes are
/// the ones the peer sent either way.
pub(crate) fn shared(block: &Bytes, part: &[u8]) -> Bytes {
    match well_known(part) {
        Some(known) => Bytes::from_static(known),
        None => block.slice_ref(part),
    }
}

fn well_known(part: &[u8]) -> Option<&'static [u8]> {
    let candidates: &[&'static [u8]] = match part.len() {
        1 => &[b"0"],
        2 => &[b"OK"],
        3 => &[b"Age", b"Via"],
        4 => &[b"Date", b"ETag", b"Vary", b"Link", b"gzip"],
        5 => &[b"close", b"bytes", b"Allow"],
        6 => &[b"Server", b"Pragma"],
        7 => &[b"chunked", b"Expires", b"Trailer", b"Upgrade", b"Alt-Svc", b"nosniff"],
        8 => &[b"Location", b"no-cache"],
        9 => &[b"text/html", b"Not Found"],
        10 => &[b"Connection", b"keep-alive", b"Keep-Alive", b"Set-Cookie", b"text/plain", b"SAMEORIGIN"],
        12 => &[b"Content-Type", b"X-Powered-By", b"Not Modified"],
        13 => &[b"Last-Modified", b"Cache-Control", b"Accept-Ranges", b"Content-Range"],
        14 => &[b"Content-Length"],
        15 => &[b"X-Frame-Options", b"Accept-Encoding"],
        16 => {
            &[b"Content-Encoding", b"Content-Language", b"Content-Location", b"WWW-Authenticate", b"application/json"]
        }
        17 => &[b"Transfer-Encoding"],
        19 => &[b"Content-Disposition"],
        22 => &[b"X-Content-Type-Options"],
        24 => &[b"text/html; charset=utf-8", b"text/html; charset=UTF-8"],
        25 => &[b"Strict-Transport-Security"],
        27 => &[b"Access-Control-Allow-Origin"],
        _ => return None,
    };
    // The first byte rules out most candidates without a call to memcmp.
    candidates.iter().copied().find(|known| known[0] == part[0] && *known == part)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn well_known_parts_are_static_and_exact() {
        let block = Bytes::from_static(b"Content-Length content-length 12 chunked");
        for (range, is_static) in [(0..14, true), (15..29, false), (30..32, false), (33..40, true)] {
            let part = shared(&block, &block[range.clone()]);
            assert_eq!(part, block[range.clone()], "same bytes either way");
            assert_eq!(part.as_ptr() != block[range].as_ptr(), is_static);
        }
        assert!(well_known(b"").is_none());
    }
}
