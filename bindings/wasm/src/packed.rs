//! One item of a request's outcome packed into bytes, for `Pool.take`: a
//! driver reads a few words and one block of text instead of an object
//! built field by field across the boundary (each field a call).
//!
//! The layout, little-endian, written here and read by `unpack` in
//! `lib/packed.js` only:
//!
//! * ten `u32` words:
//!   0. the layout version, [`VERSION`];
//!   1. what the item is: [`COMPLETE`], [`FAILED`], [`INTERIM`], [`HEAD`],
//!      [`DATA`], [`TRAILERS`] or [`END`];
//!   2. how many times the request was written so far;
//!   3. the status (a head or a whole response), or for a failure the
//!      index of its kind in `errorKinds()` (docs/DESIGN.md C1);
//!   4. the HTTP version: 1 for 1.1, 0 for 1.0;
//!   5. the number of header fields, 6. of trailer fields;
//!   7. the length of the reason phrase (of the message, for a failure);
//!   8. the length of the text; 9. the length of the body;
//! * two `u32` lengths (name, value) per header field, then per trailer;
//! * the text: the reason phrase, then every header's name and value, then
//!   every trailer's, one character per byte — or a failure's message in
//!   UTF-8;
//! * the body (a whole response's content, or a piece of it).

use alloc::vec::Vec;
use pipelining::dispatch::Delivery;
use pipelining::h1::{H1Codec, Header, HeaderBlock, ResponsePart, Version};

/// The version of this layout; a reader refuses any other.
pub(crate) const VERSION: u32 = 1;
/// A whole response.
pub(crate) const COMPLETE: u32 = 0;
/// The request failed: the last item.
pub(crate) const FAILED: u32 = 1;
/// An interim (1xx) response head.
pub(crate) const INTERIM: u32 = 2;
/// A streamed response's head.
pub(crate) const HEAD: u32 = 3;
/// A piece of a streamed response's content.
pub(crate) const DATA: u32 = 4;
/// A streamed response's trailer fields.
pub(crate) const TRAILERS: u32 = 5;
/// A streamed response is complete: the last item.
pub(crate) const END: u32 = 6;

/// What one packed item holds, borrowed.
struct Fields<'a> {
    item: u32,
    code: u32,
    version: u32,
    reason: &'a [u8],
    headers: Option<&'a HeaderBlock>,
    trailers: &'a [Header],
    body: &'a [u8],
}

const NOTHING: Fields<'static> =
    Fields { item: END, code: 0, version: 0, reason: &[], headers: None, trailers: &[], body: &[] };

/// Packs `item` into `out` (cleared first).
pub(crate) fn delivery(out: &mut Vec<u8>, item: Delivery<H1Codec>, attempts: u32) {
    let http = |v: Version| u32::from(matches!(v, Version::Http11));
    match &item {
        Delivery::Complete(r) => write(
            out,
            attempts,
            &Fields {
                item: COMPLETE,
                code: u32::from(r.head.status),
                version: http(r.head.version),
                reason: &r.head.reason,
                headers: Some(&r.head.headers),
                trailers: &r.trailers,
                body: &r.body,
            },
        ),
        Delivery::Failed(e) => {
            let kind = pipelining::ErrorKind::ALL.iter().position(|k| *k == e.kind).unwrap_or(0);
            let fields = Fields { item: FAILED, code: kind as u32, reason: e.message.as_bytes(), ..NOTHING };
            write(out, attempts, &fields)
        }
        Delivery::Part(ResponsePart::Interim(head) | ResponsePart::Head(head)) => {
            let kind = if matches!(item, Delivery::Part(ResponsePart::Interim(_))) { INTERIM } else { HEAD };
            let fields = Fields {
                item: kind,
                code: u32::from(head.status),
                version: http(head.version),
                reason: &head.reason,
                headers: Some(&head.headers),
                ..NOTHING
            };
            write(out, attempts, &fields)
        }
        Delivery::Part(ResponsePart::Data(data)) => write(out, attempts, &Fields { item: DATA, body: data, ..NOTHING }),
        Delivery::Part(ResponsePart::Trailers(trailers)) => {
            write(out, attempts, &Fields { item: TRAILERS, trailers, ..NOTHING })
        }
        Delivery::Part(ResponsePart::End) | Delivery::End => write(out, attempts, &NOTHING),
    }
}

fn write(out: &mut Vec<u8>, attempts: u32, f: &Fields<'_>) {
    let headers = f.headers.map(|h| h.iter());
    let header_count = headers.as_ref().map_or(0, ExactSizeIterator::len);
    let text = f.reason.len()
        + headers.clone().into_iter().flatten().map(|h| h.name.len() + h.value.len()).sum::<usize>()
        + f.trailers.iter().map(|h| h.name.len() + h.value.len()).sum::<usize>();
    out.clear();
    out.reserve(40 + 8 * (header_count + f.trailers.len()) + text + f.body.len());
    let word = |out: &mut Vec<u8>, n: usize| out.extend_from_slice(&(n as u32).to_le_bytes());
    for n in [VERSION, f.item, attempts, f.code, f.version] {
        word(out, n as usize);
    }
    for n in [header_count, f.trailers.len(), f.reason.len(), text, f.body.len()] {
        word(out, n);
    }
    for h in headers.clone().into_iter().flatten() {
        word(out, h.name.len());
        word(out, h.value.len());
    }
    for h in f.trailers {
        word(out, h.name.len());
        word(out, h.value.len());
    }
    out.extend_from_slice(f.reason);
    for h in headers.into_iter().flatten() {
        out.extend_from_slice(h.name);
        out.extend_from_slice(h.value);
    }
    for h in f.trailers {
        out.extend_from_slice(&h.name);
        out.extend_from_slice(&h.value);
    }
    out.extend_from_slice(f.body);
}
