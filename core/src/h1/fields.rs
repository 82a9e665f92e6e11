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
    /// This kind's bit in a set of kinds.
    fn bit(self) -> u8 {
        1 << (self as u8)
    }

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

#[derive(Clone, Copy, Debug, Default)]
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

impl Field {
    const EMPTY: Field = Field {
        name: Span { start: 0, end: 0 },
        value: Span { start: 0, end: 0 },
        unfolded: false,
        kind: FieldKind::Other,
    };
}

/// Fields kept inline: more than nearly every response has (nginx sends
/// eight), so parsing a head allocates nothing for them.
const INLINE_FIELDS: usize = 16;

/// The field table: inline up to [`INLINE_FIELDS`], on the heap beyond.
/// The inline case is the point (the whole head lives in one box), so the
/// size difference between the two is intended.
#[derive(Clone, Debug)]
#[allow(clippy::large_enum_variant)]
enum FieldList {
    Inline { len: u8, fields: [Field; INLINE_FIELDS] },
    Heap(Vec<Field>),
}

impl Default for FieldList {
    fn default() -> Self {
        FieldList::Inline { len: 0, fields: [Field::EMPTY; INLINE_FIELDS] }
    }
}

impl FieldList {
    fn with_capacity(n: usize) -> Self {
        if n <= INLINE_FIELDS { FieldList::default() } else { FieldList::Heap(Vec::with_capacity(n)) }
    }

    fn push(&mut self, field: Field) {
        match self {
            FieldList::Inline { len, fields } if (*len as usize) < INLINE_FIELDS => {
                fields[*len as usize] = field;
                *len += 1;
            }
            FieldList::Inline { len, fields } => {
                let mut heap = Vec::with_capacity(INLINE_FIELDS * 2);
                heap.extend_from_slice(&fields[..*len as usize]);
                heap.push(field);
                *self = FieldList::Heap(heap);
            }
            FieldList::Heap(heap) => heap.push(field),
        }
    }

    /// Empties the table, ready for `n` fields.
    fn clear(&mut self, n: usize) {
        match self {
            FieldList::Inline { len, .. } if n <= INLINE_FIELDS => *len = 0,
            FieldList::Heap(heap) => heap.clear(),
            FieldList::Inline { .. } => *self = FieldList::Heap(Vec::with_capacity(n)),
        }
    }

    fn as_slice(&self) -> &[Field] {
        match self {
            FieldList::Inline { len, fields } => &fields[..*len as usize],
            FieldList::Heap(heap) => heap,
        }
    }
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
    fields: FieldList,
    /// Which kinds of field occur ([`FieldKind::bit`]): the framing and
    /// connection rules skip the kinds a head does not have.
    present: u8,
    /// Values that had an obs-fold, unfolded, end to end (rare).
    unfolded: Vec<u8>,
}

impl Spans {
    /// Records the fields httparse parsed out of `head` (whose memory they
    /// point into).
    pub(crate) fn from_parsed(head: &[u8], parsed: &[httparse::Header<'_>]) -> Spans {
        let mut spans = Spans::default();
        spans.fill(head, parsed, true);
        spans
    }

    /// Replaces the spans with those of the fields httparse parsed out of
    /// `head`, in place: a reused table allocates nothing. `folds`: httparse
    /// accepted obs-fold, so a value may hold a line break to replace.
    pub(crate) fn fill(&mut self, head: &[u8], parsed: &[httparse::Header<'_>], folds: bool) {
        let base = head.as_ptr() as usize;
        let span = |part: &[u8]| {
            let start = part.as_ptr() as usize - base;
            Span { start: start as u32, end: (start + part.len()) as u32 }
        };
        let unfolded = &mut self.unfolded;
        unfolded.clear();
        self.present = 0;
        let fields = &mut self.fields;
        fields.clear(parsed.len());
        for h in parsed {
            let name = h.name.as_bytes();
            // httparse leaves a line break inside a value only for an
            // obs-fold, and a fold always has its LF.
            let folded = folds && super::lines::find_byte(h.value, b'\n').is_some();
            let value = if folded {
                let start = unfolded.len();
                let spaced: Vec<u8> =
                    h.value.iter().map(|&b| if b == b'\r' || b == b'\n' { b' ' } else { b }).collect();
                unfolded.extend_from_slice(super::syntax::trim_ows(&spaced));
                Span { start: start as u32, end: unfolded.len() as u32 }
            } else {
                span(h.value)
            };
            let kind = FieldKind::of(name);
            self.present |= kind.bit();
            fields.push(Field { name: span(name), value, unfolded: folded, kind });
        }
    }

    /// The values of the fields of one kind in `head`, classified when
    /// stored.
    pub(crate) fn values_of<'a>(&'a self, head: &'a [u8], kind: FieldKind) -> impl Iterator<Item = &'a [u8]> + 'a {
        let fields = if self.present & kind.bit() != 0 { self.fields.as_slice() } else { &[] };
        fields
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

    /// The spans, to be filled in place before the block is set.
    pub(crate) fn spans_mut(&mut self) -> &mut Spans {
        &mut self.spans
    }

    /// The spans, to read while parsing.
    pub(crate) fn spans(&self) -> &Spans {
        &self.spans
    }

    /// Sets the bytes the spans point into.
    pub(crate) fn set_block(&mut self, block: Bytes) {
        self.block = block;
    }

    /// A block holding `headers` (copied), e.g. to build a head by hand.
    pub fn from_headers(headers: &[Header]) -> HeaderBlock {
        let mut bytes = Vec::with_capacity(headers.iter().map(|h| h.name.len() + h.value.len()).sum());
        let mut fields = FieldList::with_capacity(headers.len());
        let mut present = 0;
        for h in headers {
            let name = Span { start: bytes.len() as u32, end: (bytes.len() + h.name.len()) as u32 };
            bytes.extend_from_slice(&h.name);
            let value = Span { start: bytes.len() as u32, end: (bytes.len() + h.value.len()) as u32 };
            bytes.extend_from_slice(&h.value);
            let kind = FieldKind::of(&h.name);
            present |= kind.bit();
            fields.push(Field { name, value, unfolded: false, kind });
        }
        HeaderBlock { block: Bytes::from(bytes), spans: Spans { fields, present, unfolded: Vec::new() } }
    }

    fn field_ref(&self, field: &Field) -> HeaderRef<'_> {
        let value_source = if field.unfolded { &self.spans.unfolded[..] } else { &self.block[..] };
        HeaderRef { name: &self.block[field.name.range()], value: &value_source[field.value.range()] }
    }

    /// How many fields.
    pub fn len(&self) -> usize {
        self.spans.fields.as_slice().len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.spans.fields.as_slice().is_empty()
    }

    /// The field at `index`.
    pub fn get_index(&self, index: usize) -> Option<HeaderRef<'_>> {
        self.spans.fields.as_slice().get(index).map(|f| self.field_ref(f))
    }

    /// The fields in order.
    pub fn iter(&self) -> Iter<'_> {
        Iter { block: self, fields: self.spans.fields.as_slice().iter() }
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
        self.spans.fields.as_slice().get(index).map(|f| self.block.slice(f.name.range()))
    }

    /// The value of field `index` as `Bytes`: shares the block unless the
    /// value was unfolded.
    pub fn value_bytes(&self, index: usize) -> Option<Bytes> {
        self.spans.fields.as_slice().get(index).map(|f| {
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
