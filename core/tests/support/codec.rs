//! Any pipeline [`Codec`]'s decoder under the split engine: each call
//! answers the same request, and an item is the decoded part with its
//! recipient and role.

use crate::split::Decode;
use bytes::BytesMut;
use pipelining::pipeline::{Codec, Decoded};

/// `codec` decoding replies to `answering`.
pub(crate) struct Replies<C: Codec> {
    pub(crate) codec: C,
    pub(crate) answering: Option<C::Request>,
}

impl<C: Codec> Decode for Replies<C>
where
    C::Part: Clone + PartialEq,
    C::Error: Clone + PartialEq,
{
    type Item = Decoded<C::Part>;
    type Error = C::Error;

    fn decode(&mut self, buf: &mut BytesMut) -> Result<Option<Decoded<C::Part>>, C::Error> {
        self.codec.decode(buf, self.answering.as_ref())
    }

    fn decode_eof(&mut self, buf: &mut BytesMut) -> Result<Option<Decoded<C::Part>>, C::Error> {
        self.codec.decode_eof(buf, self.answering.as_ref())
    }
}
