//! DNS over TCP as the pipeline sees it: correlation-id matching, answers
//! in any order (RFC 7766 §6.2.1.1).

use super::{DnsError, DnsMessage, DnsQuery, QueryError, decode_message, encode_query};
use crate::ErrorKind;
use crate::Origin;
use crate::outcome::CodecError;
use crate::pipeline::{
    Codec, CodecFactory, CorrelationId, Decoded, Matching, Recipient, Remaining, ResponseSignals, Role,
};
use alloc::vec::Vec;
use bytes::{Buf, BytesMut};

/// What a DNS answer says about the connection: nothing (RFC 7766 lets a
/// server close idle connections, which the pipeline handles as closes).
const SIGNALS: ResponseSignals = ResponseSignals::PIPELINING;

/// The DNS-over-TCP codec: two-byte length framing, the message ID as the
/// correlation id, every query idempotent.
#[derive(Clone, Debug, Default)]
pub struct DnsCodec {
    /// Set after a truncated read at EOF, to report it once.
    dead: bool,
    /// A malformed message, already taken from the buffer: every later call
    /// reports it again rather than decode what follows, so the answer does
    /// not depend on how much had arrived when it was found.
    failed: Option<DnsError>,
}

impl CodecError for DnsError {
    fn kind(&self) -> ErrorKind {
        DnsError::kind(self)
    }

    fn is_response_fault(&self) -> bool {
        // Which query a malformed message answers cannot be known: the
        // connection fails and its queries are handed back.
        false
    }
}

impl Codec for DnsCodec {
    type Request = DnsQuery;
    type Part = DnsMessage;
    type Response = DnsMessage;
    type Collector = Option<DnsMessage>;
    type Error = DnsError;
    type EncodeError = QueryError;

    fn matching(&self) -> Matching {
        Matching::CorrelationId { id_space: 1 << 16 }
    }

    fn validate(&self, query: &DnsQuery) -> Result<(), QueryError> {
        encode_query(query, 0, &mut Vec::new())
    }

    fn is_idempotent(&self, _query: &DnsQuery) -> bool {
        // A query changes nothing on the server.
        true
    }

    fn encode(&mut self, query: &DnsQuery, id: Option<CorrelationId>, dst: &mut Vec<u8>) -> Result<(), QueryError> {
        encode_query(query, id.map_or(0, |c| c.get() as u16), dst)
    }

    fn decode(
        &mut self,
        buf: &mut BytesMut,
        _answering: Option<&DnsQuery>,
    ) -> Result<Option<Decoded<DnsMessage>>, DnsError> {
        if let Some(error) = &self.failed {
            return Err(error.clone());
        }
        if buf.len() < 2 {
            return Ok(None);
        }
        let len = usize::from(u16::from_be_bytes([buf[0], buf[1]]));
        if len < 12 {
            return Err(DnsError::TooShort { len });
        }
        if buf.len() < 2 + len {
            return Ok(None);
        }
        buf.advance(2);
        let message = decode_message(&buf.split_to(len).freeze()).inspect_err(|e| self.failed = Some(e.clone()))?;
        let to = Recipient::Id(CorrelationId::new(u32::from(message.header.id)));
        Ok(Some(Decoded { part: message, to, role: Role::Whole(SIGNALS) }))
    }

    fn decode_eof(
        &mut self,
        buf: &mut BytesMut,
        answering: Option<&DnsQuery>,
    ) -> Result<Option<Decoded<DnsMessage>>, DnsError> {
        if let Some(decoded) = self.decode(buf, answering)? {
            return Ok(Some(decoded));
        }
        if buf.is_empty() || self.dead {
            return Ok(None);
        }
        self.dead = true;
        Err(DnsError::Truncated)
    }

    fn answers(&self, query: &DnsQuery, message: &DnsMessage) -> bool {
        // RFC 7766 §7: match on the question as well as the ID.
        let asked = query.name.strip_suffix('.').unwrap_or(&query.name);
        message.questions.first().is_some_and(|q| {
            q.qtype == query.qtype && q.qclass == super::CLASS_IN && q.name.eq_ignore_ascii_case(asked)
        })
    }

    fn remaining(&self, buf: &[u8]) -> Remaining {
        match buf {
            [] => Remaining::Nothing,
            [_] => Remaining::Head,
            [hi, lo, rest @ ..] => {
                Remaining::Exactly(u64::from(u16::from_be_bytes([*hi, *lo])).saturating_sub(rest.len() as u64))
            }
        }
    }

    fn collect(&self, collector: &mut Option<DnsMessage>, part: DnsMessage) -> Result<(), DnsError> {
        *collector = Some(part);
        Ok(())
    }

    fn finish(&self, collector: Option<DnsMessage>) -> Option<DnsMessage> {
        collector
    }
}

/// Makes a [`DnsCodec`] per connection of a [`Pool`](crate::pool::Pool).
#[derive(Clone, Copy, Debug, Default)]
pub struct DnsFactory;

impl CodecFactory for DnsFactory {
    type Codec = DnsCodec;

    fn codec_for(&mut self, _origin: &Origin) -> DnsCodec {
        DnsCodec::default()
    }
}
