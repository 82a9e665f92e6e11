//! Test support for the HTTP/1.1 response decoder: responses answering a
//! queue of requests, fed every way they can arrive (see [`split`]).

mod split;

use bytes::BytesMut;
use pipelining::h1::{DecodeError, Limits, Method, ResponseDecoder, ResponsePart};
pub(crate) use split::{Decode, Outcome, decode_every_way};
use std::collections::VecDeque;

/// HTTP/1.1 responses answering a queue of requests, as a caller drives
/// them: each `decode` gets the method of the oldest unanswered request, and
/// `ResponsePart::End` answers it. With nothing waiting, nothing is decoded.
pub(crate) struct Responses {
    decoder: ResponseDecoder,
    waiting: VecDeque<Method>,
}

impl Responses {
    /// A fresh decoder with `limits`, answering requests with `methods`.
    pub(crate) fn new(limits: Limits, methods: &[Method]) -> Self {
        Responses { decoder: ResponseDecoder::new(limits), waiting: methods.iter().cloned().collect() }
    }

    fn step(&mut self, buf: &mut BytesMut, eof: bool) -> Result<Option<ResponsePart>, DecodeError> {
        let Some(method) = self.waiting.front() else {
            return Ok(None);
        };
        let part = if eof { self.decoder.decode_eof(buf, method)? } else { self.decoder.decode(buf, method)? };
        if part == Some(ResponsePart::End) {
            self.waiting.pop_front();
        }
        Ok(part)
    }
}

impl Decode for Responses {
    type Item = ResponsePart;
    type Error = DecodeError;

    fn decode(&mut self, buf: &mut BytesMut) -> Result<Option<ResponsePart>, DecodeError> {
        self.step(buf, false)
    }

    fn decode_eof(&mut self, buf: &mut BytesMut) -> Result<Option<ResponsePart>, DecodeError> {
        self.step(buf, true)
    }

    fn merge(last: &mut ResponsePart, next: &ResponsePart) -> bool {
        let (ResponsePart::Data(last), ResponsePart::Data(next)) = (last, next) else {
            return false;
        };
        let mut joined = BytesMut::from(&last[..]);
        joined.extend_from_slice(next);
        *last = joined.freeze();
        true
    }
}

/// [`decode_every_way`] for responses to `methods`.
pub(crate) fn decode_responses(
    label: &str,
    input: &[u8],
    methods: &[Method],
    eof: bool,
    limits: Limits,
) -> Outcome<ResponsePart, DecodeError> {
    decode_every_way(label, input, eof, || Responses::new(limits, methods))
}
