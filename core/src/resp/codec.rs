//! RESP as the pipeline sees it: FIFO matching, push messages apart.

use super::parse::{Measure, build, measure};
use super::{Command, CommandError, ReplayClass, Request, RespError, RespLimits, Value};
use crate::ErrorKind;
use crate::Origin;
use crate::outcome::CodecError;
use crate::pipeline::{
    Codec, CodecFactory, CorrelationId, Decoded, Recipient, Remaining, ReplayRule, ResponseSignals, Role,
};
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use bytes::{Bytes, BytesMut};

const SIGNALS: ResponseSignals = ResponseSignals::PIPELINING;

/// How a Redis client's connections behave.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct RespConfig {
    /// Bounds on what the server may send.
    pub limits: RespLimits,
    /// The state every new connection sets up before anything else.
    pub setup: RespSetup,
    /// Resend commands of [`ReplayClass::SameState`] (`DEL`, `SADD`, …)
    /// after a loss, accepting that the caller sees the resend's answer.
    /// Default false.
    pub replay_same_state: bool,
    /// A subscriber's connection: pub/sub messages arrive with nothing
    /// outstanding and answer no command; only (un)subscribe commands (one
    /// channel each) and `PING` may be sent.
    pub subscriber: bool,
}

/// The state every connection sets up first, with commands the client
/// sends itself (`docs/DESIGN.md` P8: a resend on a new connection must mean
/// what it meant on the old one).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct RespSetup {
    /// The user (`AUTH user password`; `default` when only a password is
    /// set and `HELLO` carries it).
    pub username: Option<Bytes>,
    /// The password (`AUTH`).
    pub password: Option<Bytes>,
    /// The database (`SELECT`), when not 0.
    pub database: Option<u32>,
    /// The protocol version (`HELLO 2` or `HELLO 3`), when chosen.
    pub protocol: Option<u8>,
    /// The connection's name (`CLIENT SETNAME`).
    pub client_name: Option<Bytes>,
}

impl RespSetup {
    /// The commands that set it up, in order.
    pub fn commands(&self) -> Vec<Command> {
        let mut commands = Vec::new();
        let bytes = |text: &'static str| Bytes::from_static(text.as_bytes());
        match self.protocol {
            Some(version) => {
                // HELLO sets the protocol, and can authenticate and name the
                // connection in the same command.
                let mut hello = alloc::vec![bytes("HELLO"), Bytes::from(version.to_string())];
                if let Some(password) = &self.password {
                    hello.push(bytes("AUTH"));
                    hello.push(self.username.clone().unwrap_or_else(|| bytes("default")));
                    hello.push(password.clone());
                }
                if let Some(name) = &self.client_name {
                    hello.push(bytes("SETNAME"));
                    hello.push(name.clone());
                }
                commands.push(Command { args: hello });
            }
            None => {
                if let Some(password) = &self.password {
                    let mut auth = alloc::vec![bytes("AUTH")];
                    auth.extend(self.username.clone());
                    auth.push(password.clone());
                    commands.push(Command { args: auth });
                }
                if let Some(name) = &self.client_name {
                    commands.push(Command { args: alloc::vec![bytes("CLIENT"), bytes("SETNAME"), name.clone()] });
                }
            }
        }
        if let Some(database) = self.database.filter(|&d| d != 0) {
            commands.push(Command { args: alloc::vec![bytes("SELECT"), Bytes::from(database.to_string())] });
        }
        commands
    }
}

/// The RESP codec (RESP2 and RESP3 replies): commands as arrays of bulk
/// strings, replies matched in order, transactions answered as one unit,
/// push messages (and a subscriber's messages) reported apart.
#[derive(Clone, Debug, Default)]
pub struct RespCodec {
    config: RespConfig,
    /// Bytes the next reply needs at least: skips re-measuring a large bulk
    /// string on every read.
    need: usize,
    /// Replies of the transaction being answered read so far.
    unit_seen: usize,
    /// Replies of the batch being answered read so far (at most its
    /// commands' count: bounded by the request).
    batch_seen: Vec<Value>,
}

impl RespCodec {
    /// A codec enforcing `limits`.
    pub fn new(limits: RespLimits) -> Self {
        RespCodec::with_config(RespConfig { limits, ..RespConfig::default() })
    }

    /// A codec with `config`.
    pub fn with_config(config: RespConfig) -> Self {
        RespCodec { config, need: 0, unit_seen: 0, batch_seen: Vec::new() }
    }
}

/// What a pub/sub message is, by its first element.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum PubSub {
    /// A message on a channel: answers nothing.
    Message,
    /// The confirmation of a (un)subscribe, or a `PING`'s answer.
    Confirmation,
}

fn pubsub_kind(value: &Value) -> Option<PubSub> {
    let (Value::Array(items) | Value::Push(items)) = value else { return None };
    let Some(Value::Bulk(kind) | Value::Simple(kind)) = items.first() else { return None };
    let is = |n: &str| kind.eq_ignore_ascii_case(n.as_bytes());
    if is("message") || is("pmessage") || is("smessage") {
        Some(PubSub::Message)
    } else if ["subscribe", "psubscribe", "ssubscribe", "unsubscribe", "punsubscribe", "sunsubscribe", "pong"]
        .iter()
        .any(|n| is(n))
    {
        Some(PubSub::Confirmation)
    } else {
        None
    }
}

fn check_command(command: &Command, subscriber: bool) -> Result<(), CommandError> {
    if command.args.is_empty() || command.args[0].is_empty() {
        return Err(CommandError::Empty);
    }
    let name = || String::from_utf8_lossy(command.name()).into_owned();
    if subscriber {
        let is = |n: &str| command.name().eq_ignore_ascii_case(n.as_bytes());
        let one_channel = ["SUBSCRIBE", "PSUBSCRIBE", "SSUBSCRIBE", "UNSUBSCRIBE", "PUNSUBSCRIBE", "SUNSUBSCRIBE"]
            .iter()
            .any(|n| is(n))
            && command.args.len() == 2;
        // One confirmation per command keeps replies matched in order.
        if one_channel || (is("PING") && command.args.len() <= 2) {
            return Ok(());
        }
        return Err(CommandError::NotForSubscriber { command: name() });
    }
    match command.state_change() {
        Some(hint) => Err(CommandError::StateChange { command: name(), hint }),
        None => Ok(()),
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
    type Request = Request;
    type Part = Value;
    type Response = Value;
    type Collector = Option<Value>;
    type Error = RespError;
    type EncodeError = CommandError;

    fn validate(&self, request: &Request) -> Result<(), CommandError> {
        match request {
            Request::Command(command) => check_command(command, self.config.subscriber),
            Request::Transaction(_) if self.config.subscriber => {
                Err(CommandError::NotForSubscriber { command: String::from("MULTI") })
            }
            Request::Transaction(transaction) => {
                transaction.commands.iter().try_for_each(|command| check_command(command, false))
            }
            Request::Batch(_) if self.config.subscriber => {
                Err(CommandError::NotForSubscriber { command: String::from("a batch") })
            }
            Request::Batch(commands) if commands.is_empty() => Err(CommandError::EmptyBatch),
            Request::Batch(commands) => commands.iter().try_for_each(|command| check_command(command, false)),
        }
    }

    fn is_idempotent(&self, request: &Request) -> bool {
        let replayable = |command: &Command| match command.replay_class() {
            ReplayClass::Safe => true,
            ReplayClass::SameState => self.config.replay_same_state,
            ReplayClass::Never => false,
        };
        match request {
            Request::Command(command) => replayable(command),
            // Its replay rule decides.
            Request::Transaction(_) => false,
            // Resent whole: each command may run twice.
            Request::Batch(commands) => commands.iter().all(replayable),
        }
    }

    fn replay_rule(&self, request: &Request) -> ReplayRule {
        match request {
            Request::Command(_) | Request::Batch(_) => ReplayRule::Standard,
            Request::Transaction(t) if t.watch.is_empty() => ReplayRule::Unit,
            Request::Transaction(_) => ReplayRule::NeverOnceWritten,
        }
    }

    fn setup(&self) -> Vec<Request> {
        self.config.setup.commands().into_iter().map(Request::Command).collect()
    }

    fn setup_refused(&self, response: &Value) -> Option<String> {
        match response {
            Value::Error(text) | Value::BulkError(text) => Some(String::from_utf8_lossy(text).into_owned()),
            _ => None,
        }
    }

    fn encode(&mut self, request: &Request, _id: Option<CorrelationId>, dst: &mut Vec<u8>) -> Result<(), CommandError> {
        match request {
            Request::Command(command) => command.encode(dst),
            Request::Transaction(transaction) => transaction.encode(dst),
            Request::Batch(commands) => commands.iter().try_for_each(|command| command.encode(dst)),
        }
    }

    fn decode(&mut self, buf: &mut BytesMut, answering: Option<&Request>) -> Result<Option<Decoded<Value>>, RespError> {
        loop {
            if buf.is_empty() || buf.len() < self.need {
                return Ok(None);
            }
            let end = match measure(buf, &self.config.limits)? {
                Measure::Complete { end } => end,
                Measure::Partial { need } => {
                    self.need = need;
                    return Ok(None);
                }
            };
            self.need = 0;
            let value = build(&buf.split_to(end).freeze(), &self.config.limits)?;
            if self.config.subscriber {
                let to = match (pubsub_kind(&value), answering) {
                    (Some(PubSub::Message), _) | (Some(PubSub::Confirmation), None) => Recipient::Unsolicited,
                    (_, Some(_)) => Recipient::Next,
                    (None, None) => return Err(RespError::Unsolicited { len: end }),
                };
                return Ok(Some(Decoded { part: value, to, role: Role::Whole(SIGNALS) }));
            }
            let to = match (&value, answering) {
                // P2: a push answers no command, whatever is outstanding.
                (Value::Push(_), _) => Recipient::Unsolicited,
                // A transaction is answered by EXEC's reply; MULTI's, WATCH's
                // and each QUEUED before it are read here and dropped (an
                // error among them makes EXEC fail with EXECABORT).
                (_, Some(Request::Transaction(transaction))) => {
                    self.unit_seen += 1;
                    if self.unit_seen < transaction.replies() {
                        continue;
                    }
                    self.unit_seen = 0;
                    Recipient::Next
                }
                // A batch is answered by all its replies, gathered in order.
                (_, Some(Request::Batch(commands))) => {
                    self.batch_seen.push(value);
                    if self.batch_seen.len() < commands.len() {
                        continue;
                    }
                    let replies = core::mem::take(&mut self.batch_seen);
                    return Ok(Some(Decoded {
                        part: Value::Array(replies),
                        to: Recipient::Next,
                        role: Role::Whole(SIGNALS),
                    }));
                }
                (_, Some(_)) => Recipient::Next,
                (_, None) => return Err(RespError::Unsolicited { len: end }),
            };
            return Ok(Some(Decoded { part: value, to, role: Role::Whole(SIGNALS) }));
        }
    }

    fn decode_eof(
        &mut self,
        buf: &mut BytesMut,
        answering: Option<&Request>,
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
#[derive(Clone, Debug, Default)]
pub struct RespFactory {
    /// What every connection does.
    pub config: RespConfig,
}

impl CodecFactory for RespFactory {
    type Codec = RespCodec;

    fn codec_for(&mut self, _origin: &Origin) -> RespCodec {
        RespCodec::with_config(self.config.clone())
    }
}
