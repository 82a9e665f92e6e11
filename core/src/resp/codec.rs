//! RESP as the pipeline sees it: FIFO matching, push messages apart.

use super::parse::{Measure, build, measure};
use super::{Command, CommandError, RespError, RespLimits, Value};
use crate::ErrorKind;
use crate::Origin;
use crate::outcome::CodecError;
use crate::pipeline::{Codec, CodecFactory, CorrelationId, Decoded, Recipient, Remaining, ResponseSignals, Role};
use alloc::vec::Vec;
use bytes::BytesMut;

const SIGNALS: ResponseSignals = ResponseSignals::PIPELINING;

/// The RESP codec (RESP2 and RESP3 replies): commands as arrays of bulk
/// strings, replies matched in order, push messages reported apart.
#[derive(Clone, Debug, Default)]
pub struct RespCodec {
    limits: RespLimits,
    /// Bytes the next reply needs at least: skips re-measuring a large bulk
    /// string on every read.
    need: usize,
}

impl RespCodec {
    /// A codec enforcing `limits`.
    pub fn new(limits: RespLimits) -> Self {
        RespCodec { limits, need: 0 }
    }
}

impl CodecError for RespError {
    fn kind(&self) -> ErrorKind {
        RespError::kind(self)
    }

    fn is_response_fault(&self) -> bool {
        !matches!(self, RespError::Truncated | RespError::Unsolicited { .. })
    }
}

impl Codec for RespCodec {
    type Request = Command;
    type Part = Value;
    type Response = Value;
    type Collector = Option<Value>;
    type Error = RespError;
    type EncodeError = CommandError;

    fn validate(&self, command: &Command) -> Result<(), CommandError> {
        if command.args.is_empty() || command.args[0].is_empty() { Err(CommandError::Empty) } else { Ok(()) }
    }

    fn is_idempotent(&self, command: &Command) -> bool {
        command.is_idempotent()
    }

    fn encode(&mut self, command: &Command, _id: Option<CorrelationId>, dst: &mut Vec<u8>) -> Result<(), CommandError> {
        command.encode(dst)
    }

    fn decode(&mut self, buf: &mut BytesMut, answering: Option<&Command>) -> Result<Option<Decoded<Value>>, RespError> {
        if buf.is_empty() || buf.len() < self.need {
            return Ok(None);
        }
        let end = match measure(buf, &self.limits)? {
            Measure::Complete { end } => end,
            Measure::Partial { need } => {
                self.need = need;
                return Ok(None);
            }
        };
        self.need = 0;
        let value = build(&buf.split_to(end).freeze(), &self.limits)?;
        let to = match (&value, answering) {
            // P2: a push answers no command, whatever is outstanding.
            (Value::Push(_), _) => Recipient::Unsolicited,
            (_, Some(_)) => Recipient::Next,
            (_, None) => return Err(RespError::Unsolicited { len: end }),
        };
        Ok(Some(Decoded { part: value, to, role: Role::Whole(SIGNALS) }))
    }

    fn decode_eof(
        &mut self,
        buf: &mut BytesMut,
        answering: Option<&Command>,
    ) -> Result<Option<Decoded<Value>>, RespError> {
        if let Some(decoded) = self.decode(buf, answering)? {
            return Ok(Some(decoded));
        }
        if buf.is_empty() { Ok(None) } else { Err(RespError::Truncated) }
    }

    fn remaining(&self, buf: &[u8]) -> Remaining {
        if buf.is_empty() { Remaining::Nothing } else { Remaining::Unknown }
    }

    fn collect(&self, collector: &mut Option<Value>, part: Value) -> Result<(), RespError> {
        *collector = Some(part);
        Ok(())
    }

    fn finish(&self, collector: Option<Value>) -> Option<Value> {
        collector
    }
}

/// Makes a [`RespCodec`] per connection of a [`Pool`](crate::pool::Pool).
#[derive(Clone, Copy, Debug, Default)]
pub struct RespFactory {
    /// The limits every connection enforces.
    pub limits: RespLimits,
}

impl CodecFactory for RespFactory {
    type Codec = RespCodec;

    fn codec_for(&mut self, _origin: &Origin) -> RespCodec {
        RespCodec::new(self.limits)
    }
}
