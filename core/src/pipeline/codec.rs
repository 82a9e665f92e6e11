//! The boundary between the pipeline and a wire protocol.
//!
//! The pipeline knows requests only as opaque values and responses only as
//! a stream of [`Decoded`] parts, each saying whom it answers and what role
//! it plays. Everything protocol-specific stays behind [`Codec`].

use crate::Origin;
use crate::outcome::CodecError;
use alloc::vec::Vec;
use bytes::BytesMut;
use core::fmt::{Debug, Display};

/// How responses find their requests (`docs/DESIGN.md` P2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Matching {
    /// Responses come back in request order (HTTP/1.1, RESP).
    Fifo,
    /// Each response carries the wire correlation id of its request and may
    /// come back in any order (DNS over TCP, RFC 7766 §6.2.1.1). Ids are
    /// allocated below `id_space`.
    CorrelationId {
        /// Number of distinct ids on the wire (65,536 for DNS).
        id_space: u32,
    },
}

/// The id a codec puts on the wire to match a response to its request.
///
/// Unique among a connection's outstanding requests and kept when a request
/// is replayed, so a server can recognise a duplicate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CorrelationId(u32);

impl CorrelationId {
    /// The id `raw` (below the codec's `id_space`).
    pub const fn new(raw: u32) -> Self {
        CorrelationId(raw)
    }

    /// The id as a number, as the codec writes it.
    pub const fn get(self) -> u32 {
        self.0
    }
}

/// Whom a decoded part belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Recipient {
    /// The oldest outstanding request ([`Matching::Fifo`]).
    Next,
    /// The outstanding request with this wire id.
    Id(CorrelationId),
    /// No request: a message the server sent on its own (a RESP3 push).
    Unsolicited,
}

/// What the connection learns from a final response head.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ResponseSignals {
    /// The connection stays usable after this response.
    pub persistent: bool,
    /// The response shows the server takes pipelined requests
    /// (`docs/DESIGN.md` P6).
    pub confirms_pipelining: bool,
    /// The server will answer at most this many further requests on this
    /// connection (HTTP's `Keep-Alive: max=N`).
    pub further_requests: Option<u64>,
    /// The protocol ends after this response (HTTP 101, CONNECT 2xx).
    pub ends_protocol: bool,
    /// The response reports an error (HTTP 4xx/5xx): a close that follows
    /// it is the server's reaction to the error, not its request budget
    /// (P11).
    pub is_error: bool,
    /// How long the server keeps an idle connection, if it said so (HTTP's
    /// `Keep-Alive: timeout=N`).
    pub idle_timeout: Option<crate::Duration>,
    /// How many content bytes the response announced, if it did (HTTP's
    /// `Content-Length`): a large one stops writing behind it (P13).
    pub content_length: Option<u64>,
}

impl ResponseSignals {
    /// A persistent connection that pipelines, with nothing announced: what
    /// message protocols (DNS, RESP) say of every answer.
    pub const PIPELINING: ResponseSignals = ResponseSignals {
        persistent: true,
        confirms_pipelining: true,
        further_requests: None,
        ends_protocol: false,
        is_error: false,
        idle_timeout: None,
        content_length: None,
    };
}

/// The role of one decoded part in its response.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// An interim response: reported, but the request is still waiting.
    Interim,
    /// The start of the final response.
    Head(ResponseSignals),
    /// Content of this many bytes.
    Body(u64),
    /// Trailing metadata.
    Trailers,
    /// The response is complete: the request's terminal part.
    End,
    /// A complete response in one part (head and end at once).
    Whole(ResponseSignals),
}

/// One decoded part with its recipient and role.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decoded<P> {
    /// The codec's part.
    pub part: P,
    /// Whom it answers.
    pub to: Recipient,
    /// What it is within the response.
    pub role: Role,
}

/// How much of the response now being received is still to come; decides
/// whether a cancelled request's response is read and dropped or the
/// connection closed instead (`docs/DESIGN.md` P9).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Remaining {
    /// No response is in progress.
    Nothing,
    /// Its head is still arriving.
    Head,
    /// Exactly this many more bytes.
    Exactly(u64),
    /// An unknown amount that will be announced as it comes (HTTP's
    /// chunked coding).
    Unknown,
    /// Everything until the connection closes.
    UntilClose,
}

/// How a request's content follows its head when the caller supplies it a
/// piece at a time ([`Connection::send_body`](super::Connection::send_body)).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BodyStream {
    /// Exactly this many bytes, if known (else the codec frames pieces
    /// itself, as HTTP's chunked coding does).
    pub length: Option<u64>,
    /// Wait for the server's go-ahead before the content (HTTP's `Expect:
    /// 100-continue`, RFC 9110 §10.1.1).
    pub expect_continue: bool,
}

/// How a request lost with its connection may be resent, beyond its
/// idempotency (`docs/DESIGN.md` P8).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ReplayRule {
    /// By its idempotency: written and idempotent, it is replayed.
    #[default]
    Standard,
    /// Several messages that the server applies together or not at all
    /// (Redis's `MULTI … EXEC`): resent whole while its last message was not
    /// all written, whatever its commands, since the server discarded what
    /// it queued; never once its last message was (it may have run).
    Unit,
    /// Never resent once any of it was written, and then reported as a loss
    /// (`connection_lost`), not as possibly processed: resending would void
    /// what it guarantees (a Redis transaction under `WATCH`).
    NeverOnceWritten,
}

/// A wire protocol the pipeline can drive.
pub trait Codec {
    /// A request as the caller submits it. Cloning should be cheap
    /// (reference-counted bytes): failed requests are handed back.
    type Request: Clone + Debug;
    /// One decoded part of a response.
    type Part: Debug;
    /// A whole response, for whole-response mode.
    type Response: Debug;
    /// Collects the parts of one response in whole-response mode.
    type Collector: Default + Debug;
    /// A peer protocol violation.
    type Error: CodecError;
    /// A request that cannot be encoded (local misuse).
    type EncodeError: Debug + Display + Clone;

    /// How responses are matched to requests.
    fn matching(&self) -> Matching {
        Matching::Fifo
    }

    /// Checks a request at submission, so misuse is an `Err` at once rather
    /// than a failure later.
    fn validate(&self, request: &Self::Request) -> Result<(), Self::EncodeError>;

    /// Whether the request may be replayed after it was written and lost.
    fn is_idempotent(&self, request: &Self::Request) -> bool;

    /// Whether the request may end the protocol on its connection (HTTP's
    /// `Upgrade`, `CONNECT`): it is written alone, with nothing behind it.
    fn is_exclusive(&self, request: &Self::Request) -> bool {
        let _ = request;
        false
    }

    /// How the request may be resent after a loss, beyond its idempotency.
    fn replay_rule(&self, request: &Self::Request) -> ReplayRule {
        let _ = request;
        ReplayRule::Standard
    }

    /// Requests every new connection sends first and waits for before
    /// anything else: the per-connection state a client was configured with
    /// (Redis's `AUTH`, `SELECT`, `HELLO`, `CLIENT SETNAME`). They are not
    /// the caller's: no event names them.
    fn setup(&self) -> Vec<Self::Request> {
        Vec::new()
    }

    /// Why `response`, the answer to a setup request, refuses the
    /// connection (a wrong password), if it does: the connection closes and
    /// the requests waiting for its origin fail with `connect`, naming it.
    fn setup_refused(&self, response: &Self::Response) -> Option<alloc::string::String> {
        let _ = response;
        None
    }

    /// Whether the request's content is supplied after its head, a piece at
    /// a time: such a request is written alone and never replayed once
    /// written (`docs/DESIGN.md` P5, P8).
    fn body_stream(&self, request: &Self::Request) -> Option<BodyStream> {
        let _ = request;
        None
    }

    /// Frames one piece of a streamed content onto `dst`; `end`: the last.
    fn encode_body(&mut self, request: &Self::Request, piece: &[u8], end: bool, dst: &mut Vec<u8>) {
        let _ = (request, end);
        dst.extend_from_slice(piece);
    }

    /// Whether `part`, an interim response, is the go-ahead for a content
    /// held back by [`BodyStream::expect_continue`] (HTTP's `100 Continue`).
    fn is_continue(&self, part: &Self::Part) -> bool {
        let _ = part;
        false
    }

    /// Appends the request's bytes to `dst` (for a streamed content, its head
    /// only); `id` is its wire correlation id in [`Matching::CorrelationId`]
    /// mode.
    fn encode(
        &mut self,
        request: &Self::Request,
        id: Option<CorrelationId>,
        dst: &mut Vec<u8>,
    ) -> Result<(), Self::EncodeError>;

    /// Decodes the next part from the front of `buf`. `answering` is the
    /// request the next part answers in FIFO mode (`None` when nothing is
    /// outstanding, or in correlation-id mode). `Ok(None)`: more bytes needed.
    fn decode(
        &mut self,
        buf: &mut BytesMut,
        answering: Option<&Self::Request>,
    ) -> Result<Option<Decoded<Self::Part>>, Self::Error>;

    /// Like [`decode`](Self::decode) once the peer has closed: completes a
    /// response delimited by the close, or reports one cut short.
    fn decode_eof(
        &mut self,
        buf: &mut BytesMut,
        answering: Option<&Self::Request>,
    ) -> Result<Option<Decoded<Self::Part>>, Self::Error>;

    /// How much of the response in progress is still to come.
    fn remaining(&self, buf: &[u8]) -> Remaining;

    /// How many content bytes `part` carries: what a consumer that buffers a
    /// streamed response counts against its buffer.
    fn content_len(part: &Self::Part) -> u64 {
        let _ = part;
        0
    }

    /// Whether `part` only marks the end of a response and carries nothing
    /// else (HTTP's [`End`](crate::h1::ResponsePart::End)): a consumer of
    /// outcomes is told the end instead of being handed it.
    fn is_end_marker(part: &Self::Part) -> bool {
        let _ = part;
        false
    }

    /// Whether `part`, matched to `request` by its wire correlation id,
    /// really answers it. DNS compares the question too (RFC 7766 §7): an
    /// id alone can be a stale or forged answer. A mismatch is a protocol
    /// error for the connection.
    fn answers(&self, request: &Self::Request, part: &Self::Part) -> bool {
        let _ = (request, part);
        true
    }

    /// Adds a part to a whole response being collected (whole-response
    /// mode), enforcing the codec's size limit.
    fn collect(&self, collector: &mut Self::Collector, part: Self::Part) -> Result<(), Self::Error>;

    /// The collected response, once its last part was collected; `None` if
    /// no final head was collected (a codec bug, reported as a protocol
    /// failure).
    fn finish(&self, collector: Self::Collector) -> Option<Self::Response>;
}

/// Makes the codec for each new connection to an origin (a
/// [`Pool`](crate::pool::Pool) opens many).
pub trait CodecFactory {
    /// The codec made.
    type Codec: Codec;

    /// A codec for a connection to `origin`.
    fn codec_for(&mut self, origin: &Origin) -> Self::Codec;
}
