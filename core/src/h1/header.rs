//! Header fields (RFC 9110 §5) as zero-copy byte slices.

use bytes::Bytes;
use core::fmt;

/// One header or trailer field: a name and a value.
///
/// In decoded responses both are slices of the connection's read buffer
/// (`Bytes` shares it; nothing is copied). Names keep the case the peer sent;
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
    pub fn is(&self, name: &str) -> bool {
        self.name.eq_ignore_ascii_case(name.as_bytes())
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
        let name = block.slice_ref(h.name.as_bytes());
        let value = if h.value.iter().any(|&b| b == b'\r' || b == b'\n') {
            let unfolded: alloc::vec::Vec<u8> =
                h.value.iter().map(|&b| if b == b'\r' || b == b'\n' { b' ' } else { b }).collect();
            Bytes::copy_from_slice(super::syntax::trim_ows(&unfolded))
        } else {
            block.slice_ref(super::syntax::trim_ows(h.value))
        };
        out.push(Header { name, value });
    }
    out
}
