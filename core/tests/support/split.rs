//! Feeding a sans-IO decoder its input every way it can arrive: whole, one
//! byte at a time, cut in two at every offset and, for short inputs, in
//! three at every pair of offsets (docs/DESIGN.md "Tests and CI": every
//! input split is tested). All ways must give the same items, the same
//! error, the same answer to one more call after an error, and leave the
//! same bytes unread.

use bytes::BytesMut;
use std::fmt::Debug;

/// A decoder driven over a growing read buffer.
pub(crate) trait Decode {
    /// One decoded item.
    type Item: Clone + Debug + PartialEq;
    /// Why decoding stopped.
    type Error: Clone + Debug + PartialEq;

    /// The next item, or `Ok(None)` when more bytes are needed.
    fn decode(&mut self, buf: &mut BytesMut) -> Result<Option<Self::Item>, Self::Error>;

    /// The peer closed the connection: the next item that completes.
    fn decode_eof(&mut self, buf: &mut BytesMut) -> Result<Option<Self::Item>, Self::Error>;

    /// Folds `next` into `last` when the two are one item cut by the input
    /// split (pieces of a body); returns whether it did.
    fn merge(_last: &mut Self::Item, _next: &Self::Item) -> bool {
        false
    }
}

/// Everything one run produced, normalised so runs over different splits of
/// the same input compare equal.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Outcome<I, E> {
    /// The items in order, adjacent pieces merged.
    pub(crate) items: Vec<I>,
    /// The error that stopped decoding, if any.
    pub(crate) error: Option<E>,
    /// After an error: what one more `decode` call answered.
    pub(crate) after_error: Option<Result<Option<I>, E>>,
    /// Bytes left in the buffer at the end (empty after an error, where the
    /// split decides how much was buffered).
    pub(crate) unread: Vec<u8>,
}

/// Safety net against a decoder that yields items forever.
const MAX_ITEMS: usize = 100_000;

fn push<D: Decode>(items: &mut Vec<D::Item>, item: D::Item) {
    assert!(items.len() < MAX_ITEMS, "decoder keeps yielding items");
    if let Some(last) = items.last_mut() {
        if D::merge(last, &item) {
            return;
        }
    }
    items.push(item);
}

/// Feeds `chunks` one after another, decoding until `Ok(None)` after each;
/// then, if `eof`, calls `decode_eof` until `Ok(None)`.
fn run<'a, D: Decode>(
    mut decoder: D,
    chunks: impl IntoIterator<Item = &'a [u8]>,
    eof: bool,
) -> Outcome<D::Item, D::Error> {
    let mut buf = BytesMut::new();
    let mut items = Vec::new();
    let mut error = None;
    'feed: for chunk in chunks {
        buf.extend_from_slice(chunk);
        loop {
            match decoder.decode(&mut buf) {
                Ok(Some(item)) => push::<D>(&mut items, item),
                Ok(None) => break,
                Err(e) => {
                    error = Some(e);
                    break 'feed;
                }
            }
        }
    }
    if eof && error.is_none() {
        loop {
            match decoder.decode_eof(&mut buf) {
                Ok(Some(item)) => push::<D>(&mut items, item),
                Ok(None) => break,
                Err(e) => {
                    error = Some(e);
                    break;
                }
            }
        }
    }
    let after_error = error.as_ref().map(|_| decoder.decode(&mut buf));
    let unread = if error.is_some() { Vec::new() } else { buf.to_vec() };
    Outcome { items, error, after_error, unread }
}

/// Inputs up to this long are also cut in three at every pair of offsets
/// (quadratic in the length, so only where that is cheap).
const TWO_SPLITS_UP_TO: usize = 128;

/// Decodes `input` whole, one byte at a time, split in two at every offset
/// and, when it is at most [`TWO_SPLITS_UP_TO`] bytes, in three at every
/// pair of offsets, with a fresh decoder from `new` each time; panics
/// (naming `label` and the split) unless every way gives the same outcome,
/// which it returns.
pub(crate) fn decode_every_way<D: Decode>(
    label: &str,
    input: &[u8],
    eof: bool,
    new: impl Fn() -> D,
) -> Outcome<D::Item, D::Error> {
    let whole = run(new(), [input], eof);
    let bytewise = run(new(), input.chunks(1), eof);
    assert_eq!(bytewise, whole, "{label}: one byte at a time differs from the whole input");
    for at in 0..=input.len() {
        let (head, tail) = input.split_at(at);
        let split = run(new(), [head, tail], eof);
        assert_eq!(split, whole, "{label}: input split at offset {at} differs from the whole input");
    }
    if input.len() <= TWO_SPLITS_UP_TO {
        for first in 1..input.len() {
            for second in first + 1..input.len() {
                let pieces = [&input[..first], &input[first..second], &input[second..]];
                let split = run(new(), pieces, eof);
                assert_eq!(
                    split, whole,
                    "{label}: input split at offsets {first} and {second} differs from the whole input"
                );
            }
        }
    }
    whole
}
