//! The HTTP/1.1 codec as the pipeline sees it.

use super::{
    Content, DecodeError, EncodeError, Framing, Limits, Request, Response, ResponseCollector, ResponseDecoder,
    ResponsePart, validate_request,
};
use crate::ErrorKind;
use crate::outcome::CodecError;
use crate::pipeline::{
    BodyStream, Codec, CodecFactory, CorrelationId, Decoded, Recipient, Remaining, ResponseSignals, Role,
};
use alloc::vec::Vec;
use bytes::{Buf, Bytes, BytesMut};

/// HTTP/1.1 for a [`Connection`](crate::pipeline::Connection): FIFO
/// matching (RFC 9112 §9.3.2), idempotency by method, and `Host` from the
/// origin the connection was opened to.
#[derive(Clone, Debug)]
pub struct H1Codec {
    host: Bytes,
    decoder: ResponseDecoder,
}

impl H1Codec {
    /// A codec for a connection to `host` (the `Host` header value:
    /// `host[:port]`, RFC 9110 §7.2), enforcing `limits`.
    pub fn new(host: impl Into<Bytes>, limits: Limits) -> Self {
        H1Codec { host: host.into(), decoder: ResponseDecoder::new(limits) }
    }

    fn wrap(part: ResponsePart) -> Decoded<ResponsePart> {
        let role = match &part {
            ResponsePart::Interim(_) => Role::Interim,
            ResponsePart::Head(head) => Role::Head(ResponseSignals {
                persistent: head.connection.persistent,
                confirms_pipelining: head.connection.confirms_pipelining,
                further_requests: head.connection.keep_alive_max,
                ends_protocol: head.framing == Framing::Tunnel,
                is_error: head.status >= 400,
                idle_timeout: head.connection.keep_alive_timeout_secs.map(crate::Duration::from_secs),
                content_length: match head.framing {
                    Framing::Length(n) => Some(n),
                    _ => None,
                },
            }),
            ResponsePart::Data(data) => Role::Body(data.len() as u64),
            ResponsePart::Trailers(_) => Role::Trailers,
            ResponsePart::End => Role::End,
        };
        Decoded { part, to: Recipient::Next, role }
    }

    /// With nothing outstanding, bytes are an error (P2) — except empty
    /// lines, which RFC 9112 §2.2 lets a recipient ignore.
    fn unsolicited(buf: &mut BytesMut) -> Result<Option<Decoded<ResponsePart>>, DecodeError> {
        let blank = buf.iter().take_while(|&&b| b == b'\r' || b == b'\n').count();
        if blank == buf.len() {
            let keep = usize::from(buf.last() == Some(&b'\r'));
            buf.advance(blank - keep);
            return Ok(None);
        }
        Err(DecodeError::Unsolicited { len: buf.len() })
    }
}

impl CodecError for DecodeError {
    fn kind(&self) -> ErrorKind {
        DecodeError::kind(self)
    }

    fn is_response_fault(&self) -> bool {
        DecodeError::is_response_fault(self)
    }
}

impl Codec for H1Codec {
    type Request = Request;
    type Part = ResponsePart;
    type Response = Response;
    type Collector = ResponseCollector;
    type Error = DecodeError;
    type EncodeError = EncodeError;

    fn validate(&self, request: &Request) -> Result<(), EncodeError> {
        validate_request(request)
    }

    fn is_idempotent(&self, request: &Request) -> bool {
        request.method.is_idempotent()
    }

    fn is_exclusive(&self, request: &Request) -> bool {
        // RFC 9110 §7.8, §9.3.6: either may switch the connection to another
        // protocol, after which nothing behind it is HTTP.
        request.method.is_connect() || request.headers.iter().any(|h| h.is("upgrade"))
    }

    fn body_stream(&self, request: &Request) -> Option<BodyStream> {
        let Content::Streamed { length } = request.body else { return None };
        // RFC 9110 §10.1.1: 100-continue is the one expectation defined.
        let expect_continue =
            request.headers.iter().any(|h| h.is("expect") && h.value.eq_ignore_ascii_case(b"100-continue"));
        Some(BodyStream { length, expect_continue })
    }

    fn encode_body(&mut self, request: &Request, piece: &[u8], end: bool, dst: &mut Vec<u8>) {
        let chunked = matches!(request.body, Content::Streamed { length: None });
        super::encode::write_body_piece(chunked, piece, end, dst);
    }

    fn is_continue(&self, part: &ResponsePart) -> bool {
        matches!(part, ResponsePart::Interim(head) if head.status == 100)
    }

    fn encode(&mut self, request: &Request, _id: Option<CorrelationId>, dst: &mut Vec<u8>) -> Result<(), EncodeError> {
        // `validate` accepted it at submission and the pipeline never
        // changes a request it holds.
        super::encode::write_validated(request, &self.host, dst);
        Ok(())
    }

    fn decode(
        &mut self,
        buf: &mut BytesMut,
        answering: Option<&Request>,
    ) -> Result<Option<Decoded<ResponsePart>>, DecodeError> {
        match answering {
            Some(request) => Ok(self.decoder.decode(buf, &request.method)?.map(Self::wrap)),
            None if self.decoder.is_tunnel() => Ok(None),
            None => Self::unsolicited(buf),
        }
    }

    fn decode_eof(
        &mut self,
        buf: &mut BytesMut,
        answering: Option<&Request>,
    ) -> Result<Option<Decoded<ResponsePart>>, DecodeError> {
        match answering {
            Some(request) => Ok(self.decoder.decode_eof(buf, &request.method)?.map(Self::wrap)),
            None if self.decoder.is_tunnel() => Ok(None),
            None => Self::unsolicited(buf),
        }
    }

    fn remaining(&self, buf: &[u8]) -> Remaining {
        self.decoder.remaining(buf)
    }

    fn is_end_marker(part: &ResponsePart) -> bool {
        matches!(part, ResponsePart::End)
    }

    fn content_len(part: &ResponsePart) -> u64 {
        match part {
            ResponsePart::Data(data) => data.len() as u64,
            _ => 0,
        }
    }

    fn collect(&self, collector: &mut ResponseCollector, part: ResponsePart) -> Result<(), DecodeError> {
        match part {
            ResponsePart::Head(head) => collector.head(head),
            ResponsePart::Data(data) => collector.data(data, self.decoder.limits().max_body_bytes)?,
            ResponsePart::Trailers(trailers) => collector.trailers(trailers),
            ResponsePart::Interim(_) | ResponsePart::End => {}
        }
        Ok(())
    }

    fn finish(&self, collector: ResponseCollector) -> Option<Response> {
        collector.finish()
    }
}

/// Makes an [`H1Codec`] per connection of a [`Pool`](crate::pool::Pool),
/// with `Host` from the connection's origin.
#[derive(Clone, Copy, Debug, Default)]
pub struct H1Factory {
    /// The limits every connection enforces.
    pub limits: Limits,
}

impl CodecFactory for H1Factory {
    type Codec = H1Codec;

    fn codec_for(&mut self, origin: &crate::Origin) -> H1Codec {
        H1Codec::new(origin.authority(), self.limits)
    }
}
