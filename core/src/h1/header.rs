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
        self.name.len() == name.len() && same_name(&self.name, name.as_bytes())
    }
}

/// Kept out of line so that [`Header::is`] inlines to a length check.
fn same_name(a: &[u8], b: &[u8]) -> bool {
    a.eq_ignore_ascii_case(b)
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
            // httparse has already trimmed whitespace from both ends.
            debug_assert_eq!(super::syntax::trim_ows(h.value), h.value);
            shared(block, h.value)
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
#[inline]
pub(crate) fn shared(block: &Bytes, part: &[u8]) -> Bytes {
    match well_known(part) {
        Some(known) => Bytes::from_static(known),
        None => block.slice_ref(part),
    }
}

fn well_known(part: &[u8]) -> Option<&'static [u8]> {
    // Length, first and last byte pick at most one candidate.
    let key = (part.len(), *part.first()?, *part.last()?);
    let known: &'static [u8] = match key {
        (1, b'0', b'0') => b"0",
        (2, b'O', b'K') => b"OK",
        (3, b'A', b'e') => b"Age",
        (3, b'V', b'a') => b"Via",
        (4, b'D', b'e') => b"Date",
        (4, b'E', b'g') => b"ETag",
        (4, b'L', b'k') => b"Link",
        (4, b'V', b'y') => b"Vary",
        (4, b'g', b'p') => b"gzip",
        (5, b'A', b'w') => b"Allow",
        (5, b'b', b's') => b"bytes",
        (5, b'c', b'e') => b"close",
        (6, b'P', b'a') => b"Pragma",
        (6, b'S', b'r') => b"Server",
        (7, b'A', b'c') => b"Alt-Svc",
        (7, b'E', b's') => b"Expires",
        (7, b'T', b'r') => b"Trailer",
        (7, b'U', b'e') => b"Upgrade",
        (7, b'c', b'd') => b"chunked",
        (7, b'n', b'f') => b"nosniff",
        (8, b'L', b'n') => b"Location",
        (8, b'n', b'e') => b"no-cache",
        (9, b'N', b'd') => b"Not Found",
        (9, b't', b'l') => b"text/html",
        (10, b'C', b'n') => b"Connection",
        (10, b'K', b'e') => b"Keep-Alive",
        (10, b'S', b'N') => b"SAMEORIGIN",
        (10, b'S', b'e') => b"Set-Cookie",
        (10, b'k', b'e') => b"keep-alive",
        (10, b't', b'n') => b"text/plain",
        (12, b'C', b'e') => b"Content-Type",
        (12, b'N', b'd') => b"Not Modified",
        (12, b'X', b'y') => b"X-Powered-By",
        (13, b'A', b's') => b"Accept-Ranges",
        (13, b'C', b'l') => b"Cache-Control",
        (13, b'C', b'e') => b"Content-Range",
        (13, b'L', b'd') => b"Last-Modified",
        (14, b'C', b'h') => b"Content-Length",
        (15, b'A', b'g') => b"Accept-Encoding",
        (15, b'X', b's') => b"X-Frame-Options",
        (16, b'C', b'g') => b"Content-Encoding",
        (16, b'C', b'e') => b"Content-Language",
        (16, b'C', b'n') => b"Content-Location",
        (16, b'W', b'e') => b"WWW-Authenticate",
        (16, b'a', b'n') => b"application/json",
        (17, b'T', b'g') => b"Transfer-Encoding",
        (19, b'C', b'n') => b"Content-Disposition",
        (22, b'X', b's') => b"X-Content-Type-Options",
        (24, b't', b'8') => b"text/html; charset=utf-8",
        (25, b'S', b'y') => b"Strict-Transport-Security",
        (27, b'A', b'n') => b"Access-Control-Allow-Origin",
        _ => return None,
    };
    same_bytes(known, part).then_some(known)
}

/// `a == b` for slices of equal length, a word at a time: cheaper than a
/// call to `memcmp` for the short strings of [`well_known`].
fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    fn word(s: &[u8], at: usize) -> u64 {
        let mut w = [0u8; 8];
        w.copy_from_slice(&s[at..at + 8]);
        u64::from_ne_bytes(w)
    }
    let n = a.len();
    if n != b.len() {
        return false;
    }
    if n < 8 {
        return a.iter().zip(b).all(|(x, y)| x == y);
    }
    // Whole words, then a last word that may overlap the one before.
    let mut at = 0;
    while at + 8 < n {
        if word(a, at) != word(b, at) {
            return false;
        }
        at += 8;
    }
    word(a, n - 8) == word(b, n - 8)
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
        assert_eq!(well_known(b"Content-Length"), Some(&b"Content-Length"[..]));
        assert_eq!(well_known(b"Content-Lungth"), None);
        assert_eq!(well_known(b"content-length"), None, "exact case only");
        assert_eq!(well_known(b"Access-Control-Allow-Origin"), Some(&b"Access-Control-Allow-Origin"[..]));
        assert_eq!(well_known(b"Access-Control-Allow-OriginX"), None);
        assert_eq!(well_known(b"Access-Control-Xllow-Origin"), None);
        assert_eq!(well_known(b"0"), Some(&b"0"[..]));
        assert_eq!(well_known(b"ETxg"), None);
    }
}
