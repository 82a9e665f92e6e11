//! The header fields of a response head: one shared block of bytes and the
//! spans of each name and value in it.
//!
//! One `Bytes` per head rather than one per field: every `Bytes` slice costs
//! two atomic reference-count updates, which for a nine-field head cost more
//! than parsing it. Fields are classified once, as they are stored, so
//! framing and connection rules never compare names again.

use super::Header;
use alloc::vec::Vec;
use bytes::Bytes;
use core::fmt;

/// A field the framing and connection rules read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum FieldKind {
    Other,
    ContentLength,
    TransferEncoding,
    Connection,
    KeepAlive,
}

impl FieldKind {
    fn of(name: &[u8]) -> FieldKind {
        // The length picks at most two candidates; most names miss at once.
        match name.len() {
            14 if name.eq_ignore_ascii_case(b"content-length") => FieldKind::ContentLength,
            17 if name.eq_ignore_ascii_case(b"transfer-encoding") => FieldKind::TransferEncoding,
            10 if name.eq_ignore_ascii_case(b"connection") => FieldKind::Connection,
            10 if name.eq_ignore_ascii_case(b"keep-alive") => FieldKind::KeepAlive,
            _ => FieldKind::Other,
        }
    }
}

#[derive(Clone, Copy, Debug)]
struct Span {
    start: u32,
    end: u32,
}

impl Span {
    fn range(self) -> core::ops::Range<usize> {
        self.start as usize..self.end as usize
    }
}

#[derive(Clone, Copy, Debug)]
pub(crate) struct Field {
    name: Span,
    value: Span,
    /// The value was folded (obs-fold) and lives unfolded in `unfolded`.
    unfolded: bool,
    kind: FieldKind,
}

/// One header field, borrowed from a [`HeaderBlock`].
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct HeaderRef<'a> {
    /// The name as sent.
    pub name: &'a [u8],
    /// The value, trimmed; an obs-fold replaced by spaces (RFC 9112 §5.2).
    pub value: &'a [u8],
}

impl HeaderRef<'_> {
    /// Whether the field name is `name`, ignoring ASCII case (RFC 9110 §5.1).
    #[inline]
    pub fn is(&self, name: &str) -> bool {
        self.name.len() == name.len() && self.name.eq_ignore_ascii_case(name.as_bytes())
    }
}

impl fmt::Debug for HeaderRef<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {}",
            alloc::string::String::from_utf8_lossy(self.name),
            alloc::string::String::from_utf8_lossy(self.value)
        )
    }
}

/// Field spans into a head's bytes, before the bytes are frozen into a
/// block: they are offsets, so they stay valid when the buffer is split off.
#[derive(Clone, Debug, Default)]
pub(crate) struct Spans {
    fields: Vec<Field>,
    /// Values that had an obs-fold, unfolded, end to end (rare).
    unfolded: Vec<u8>,
}

impl Spans {
    /// Records the fields httparse parsed out of `head` (whose memory they
    /// point into).
    pub(crate) fn from_parsed(head: &[u8], parsed: &[httparse::Header<'_>]) -> Spans {
        let base = head.as_ptr() as usize;
        let span = |part: &[u8]| {
            let start = part.as_ptr() as usize - base;
            Span { start: start as u32, end: (start + part.len()) as u32 }
        };
        let mut unfolded = Vec::new();
        let mut fields = Vec::with_capacity(parsed.len());
        for h in parsed {
            let name = h.name.as_bytes();
            // httparse leaves a line break inside a value only for an
            // obs-fold, and a fold always has its LF.
            let folded = super::lines::find_byte(h.value, b'\n').is_some();
            let value = if folded {
                let start = unfolded.len();
                let spaced: Vec<u8> =
                    h.value.iter().map(|&b| if b == b'\r' || b == b'\n' { b' ' } else { b }).collect();
                unfolded.extend_from_slice(super::syntax::trim_ows(&spaced));
                Span { start: start as u32, end: unfolded.len() as u32 }
            } else {
                span(h.value)
            };
            fields.push(Field { name: span(name), value, unfolded: folded, kind: FieldKind::of(name) });
        }
        Spans { fields, unfolded }
    }

    /// The values of the fields of one kind in `head`, classified when
    /// stored.
    pub(crate) fn values_of<'a>(&'a self, head: &'a [u8], kind: FieldKind) -> impl Iterator<Item = &'a [u8]> + 'a {
        self.fields
            .iter()
            .filter(move |f| f.kind == kind)
            .map(move |f| if f.unfolded { &self.unfolded[f.value.range()] } else { &head[f.value.range()] })
    }
}

/// The header fields of a response head, in the order received, sharing
/// the read buffer's memory.
#[derive(Clone, Default)]
pub struct HeaderBlock {
    block: Bytes,
    spans: Spans,
}

impl HeaderBlock {
    /// The fields of `spans`, whose offsets point into `block`.
    pub(crate) fn new(block: Bytes, spans: Spans) -> HeaderBlock {
        HeaderBlock { block, spans }
    }

    /// A block holding `headers` (copied), e.g. to build a head by hand.
    pub fn from_headers(headers: &[Header]) -> HeaderBlock {
        let mut bytes = Vec::with_capacity(headers.iter().map(|h| h.name.len() + h.value.len()).sum());
        let mut fields = Vec::with_capacity(headers.len());
        for h in headers {
            let name = Span { start: bytes.len() as u32, end: (bytes.len() + h.name.len()) as u32 };
            bytes.extend_from_slice(&h.name);
            let value = Span { start: bytes.len() as u32, end: (bytes.len() + h.value.len()) as u32 };
            bytes.extend_from_slice(&h.value);
            fields.push(Field { name, value, unfolded: false, kind: FieldKind::of(&h.name) });
        }
        HeaderBlock { block: Bytes::from(bytes), spans: Spans { fields, unfolded: Vec::new() } }
    }

    fn field_ref(&self, field: &Field) -> HeaderRef<'_> {
        let value_source = if field.unfolded { &self.spans.unfolded[..] } else { &self.block[..] };
        HeaderRef { name: &self.block[field.name.range()], value: &value_source[field.value.range()] }
    }

    /// How many fields.
    pub fn len(&self) -> usize {
        self.spans.fields.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.spans.fields.is_empty()
    }

    /// The field at `index`.
    pub fn get_index(&self, index: usize) -> Option<HeaderRef<'_>> {
        self.spans.fields.get(index).map(|f| self.field_ref(f))
    }

    /// The fields in order.
    pub fn iter(&self) -> Iter<'_> {
        Iter { block: self, fields: self.spans.fields.iter() }
    }

    /// The value of the first field called `name` (case-insensitive).
    pub fn get(&self, name: &str) -> Option<&[u8]> {
        self.iter().find(|h| h.is(name)).map(|h| h.value)
    }

    /// The values of every field called `name`, in order.
    pub fn get_all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a [u8]> + 'a {
        self.iter().filter(move |h| h.is(name)).map(|h| h.value)
    }

    /// The name of field `index` as `Bytes` sharing the block (no copy).
    pub fn name_bytes(&self, index: usize) -> Option<Bytes> {
        self.spans.fields.get(index).map(|f| self.block.slice(f.name.range()))
    }

    /// The value of field `index` as `Bytes`: shares the block unless the
    /// value was unfolded.
    pub fn value_bytes(&self, index: usize) -> Option<Bytes> {
        self.spans.fields.get(index).map(|f| {
            if f.unfolded {
                Bytes::copy_from_slice(&self.spans.unfolded[f.value.range()])
            } else {
                self.block.slice(f.value.range())
            }
        })
    }

    /// The fields as owned [`Header`]s sharing the block.
    pub fn to_vec(&self) -> Vec<Header> {
        (0..self.len())
            .filter_map(|i| Some(Header { name: self.name_bytes(i)?, value: self.value_bytes(i)? }))
            .collect()
    }
}

impl PartialEq for HeaderBlock {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

impl Eq for HeaderBlock {}

impl fmt::Debug for HeaderBlock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

/// The fields of a [`HeaderBlock`], in order.
#[derive(Clone, Debug)]
pub struct Iter<'a> {
    block: &'a HeaderBlock,
    fields: core::slice::Iter<'a, Field>,
}

impl<'a> Iterator for Iter<'a> {
    type Item = HeaderRef<'a>;

    fn next(&mut self) -> Option<HeaderRef<'a>> {
        self.fields.next().map(|f| self.block.field_ref(f))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.fields.size_hint()
    }
}

impl ExactSizeIterator for Iter<'_> {}

impl<'a> IntoIterator for &'a HeaderBlock {
    type Item = HeaderRef<'a>;
    type IntoIter = Iter<'a>;

    fn into_iter(self) -> Iter<'a> {
        self.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_spans_of_one_block_and_classified_once() {
        let block = Bytes::from_static(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-A: b\r\n\r\n");
        let mut slots = [httparse::EMPTY_HEADER; 4];
        let mut response = httparse::Response::new(&mut slots);
        response.parse(&block).unwrap();
        let fields = HeaderBlock::new(block.clone(), Spans::from_parsed(&block, response.headers));
        assert_eq!(fields.len(), 2);
        assert_eq!(fields.get("content-length"), Some(&b"5"[..]));
        let spans = Spans::from_parsed(&block, response.headers);
        assert_eq!(spans.values_of(&block, FieldKind::ContentLength).collect::<Vec<_>>(), [&b"5"[..]]);
        let value = fields.value_bytes(1).unwrap();
        assert_eq!(value, "b");
        assert_eq!(value.as_ptr(), block[41..].as_ptr(), "shares the block");
        assert_eq!(fields, HeaderBlock::from_headers(&[Header::new("Content-Length", "5"), Header::new("X-A", "b")]));
    }
}
