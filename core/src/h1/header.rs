//! Header fields (RFC 9110 §5) as zero-copy byte slices.

use bytes::Bytes;
use core::fmt;

/// One header or trailer field: a name and a value.
///
/// Decoded trailers share the connection's read buffer (`Bytes`; nothing is
/// copied). Names keep the case the peer sent; compare them with
/// [`Header::is`], which ignores case as RFC 9110 §5.1 requires.
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
