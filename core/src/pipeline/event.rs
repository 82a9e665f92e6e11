//! What a connection reports: response parts, failures, closing.

use super::{Capability, Codec, CodecError, RequestId};
use crate::ErrorKind;
use core::fmt;

/// How far a request got before it failed (DESIGN.md P8).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Progress {
    /// No byte of it reached the transport.
    NotWritten,
    /// Some but not all of its bytes were accepted by the transport.
    PartlyWritten,
    /// All of its bytes were accepted by the transport.
    Written,
    /// Part of its response had arrived.
    ResponsePartlyReceived,
}

/// What may be done with a failed request (DESIGN.md P7, P8).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Retry {
    /// Send it elsewhere without spending a try: it was never written, or the
    /// server is known not to have processed it.
    Move,
    /// It may have reached the server, but it is idempotent: resend it,
    /// spending a try.
    Replay,
    /// Never resend it.
    Never,
}

/// Why a connection closed. As a failure cause, why the request was lost.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum CloseReason {
    /// The caller closed the connection.
    Local,
    /// A response said the connection closes after it (`Connection: close`,
    /// or an HTTP/1.0 response without keep-alive, RFC 9112 §9.6).
    ServerClose,
    /// The peer closed at a response boundary.
    PeerClosed,
    /// The peer closed inside a response.
    Truncated,
    /// The transport failed (reset, …).
    Transport,
    /// Requests were outstanding and nothing moved for the stall timeout.
    StallTimeout,
    /// Nothing was outstanding for the idle timeout.
    IdleTimeout,
    /// A response broke the protocol, or bytes arrived with nothing
    /// outstanding.
    Protocol,
    /// The protocol ended (HTTP 101, CONNECT 2xx); the transport now carries
    /// something else.
    Upgraded,
    /// A cancelled request's response was too large to read and drop.
    CancelDrain,
    /// The request budget is spent and nothing is outstanding.
    BudgetSpent,
}

/// Why one request failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Cause<E> {
    /// The caller cancelled it.
    Cancelled,
    /// Its own deadline passed before its response was complete.
    Deadline,
    /// Its own response broke the protocol or a limit.
    Response(E),
    /// The connection was lost for this reason.
    Lost(CloseReason),
    /// The codec refused to encode it although it passed validation.
    Unencodable,
}

/// A request that ended without a response on this connection: its terminal
/// event here. The request is handed back, so the pool or the caller can
/// resend it when [`Retry`] allows.
pub struct Failure<C: Codec> {
    /// The request's id.
    pub id: RequestId,
    /// The request itself.
    pub request: C::Request,
    /// Whether it may be resent once written (idempotent, or marked so).
    pub replayable: bool,
    /// How far it got.
    pub progress: Progress,
    /// What may be done with it.
    pub retry: Retry,
    /// Why it failed.
    pub cause: Cause<C::Error>,
}

impl<C: Codec> Failure<C> {
    /// The C5 name of this failure as a final outcome (DESIGN.md C1
    /// precedence): the request's own fault first, then a non-idempotent
    /// request lost after writing, then the loss itself.
    pub fn kind(&self) -> ErrorKind {
        match &self.cause {
            Cause::Cancelled => ErrorKind::Cancelled,
            Cause::Deadline => ErrorKind::Timeout,
            Cause::Response(e) => e.kind(),
            Cause::Unencodable => ErrorKind::InvalidRequest,
            // Not after a `close` response (Retry::Move): RFC 9112 §9.6 says
            // the server did not process what followed it.
            Cause::Lost(_)
                if !self.replayable && self.retry == Retry::Never && self.progress > Progress::NotWritten =>
            {
                ErrorKind::MayHaveBeenProcessed
            }
            Cause::Lost(CloseReason::StallTimeout) => ErrorKind::Timeout,
            Cause::Lost(_) => ErrorKind::ConnectionLost,
        }
    }
}

impl<C: Codec> fmt::Debug for Failure<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Failure")
            .field("id", &self.id)
            .field("progress", &self.progress)
            .field("retry", &self.retry)
            .field("cause", &self.cause)
            .finish_non_exhaustive()
    }
}

/// Facts about a closed connection, for the pool's memory (DESIGN.md P6,
/// P11).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Closed {
    /// Why it closed.
    pub reason: CloseReason,
    /// Complete responses it delivered.
    pub responses: u64,
    /// A pipeline break (P6): a response cut off mid-way, a reset, transport
    /// error or stall with ≥ 2 requests outstanding, or a framing error.
    pub pipeline_break: bool,
    /// A server close (P6): the peer closed at a response boundary with
    /// requests outstanding or after a `close` response — it teaches the
    /// request budget. Idle closes and breaks are not server closes.
    pub server_close: bool,
    /// The stale-connection race (P6): the peer closed or reset before any
    /// response byte on a connection reused after being idle.
    pub stale: bool,
    /// How many requests in all the server said this connection would
    /// answer (`Keep-Alive: max=N` on response k: k + N), if it said so:
    /// a budget the pool learns even when the client closed first (P11).
    pub announced_budget: Option<u64>,
}

/// What a connection reports, drained with
/// [`Connection::poll_event`](super::Connection::poll_event).
pub enum Event<C: Codec> {
    /// A part of the response to `id` (streaming mode). Interim responses
    /// come this way too. `end` marks the request's terminal event.
    Response {
        /// The request answered.
        id: RequestId,
        /// The part.
        part: C::Part,
        /// Whether this is the last part of the response.
        end: bool,
    },
    /// The whole response to `id` (whole-response mode): terminal.
    Complete {
        /// The request answered.
        id: RequestId,
        /// The response, content buffered up to the codec's limit.
        response: C::Response,
    },
    /// The request ended without a response here: terminal.
    Failed(Failure<C>),
    /// The transport accepted the last byte of request `id` (for timing:
    /// latency counts from here).
    Written {
        /// The request.
        id: RequestId,
    },
    /// A message that answers no request (a RESP3 push).
    Unsolicited(C::Part),
    /// The first final response taught what the server can do.
    Capability(Capability),
    /// The connection is finished: close the transport. Always the last
    /// event.
    Closed(Closed),
}

impl<C: Codec> Event<C> {
    /// The request this event ends, if it is a terminal event.
    pub fn terminal_id(&self) -> Option<RequestId> {
        match self {
            Event::Response { id, end: true, .. } | Event::Complete { id, .. } => Some(*id),
            Event::Failed(f) => Some(f.id),
            _ => None,
        }
    }
}

impl<C: Codec> fmt::Debug for Event<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Event::Response { id, part, end } => {
                f.debug_struct("Response").field("id", id).field("part", part).field("end", end).finish()
            }
            Event::Complete { id, response } => {
                f.debug_struct("Complete").field("id", id).field("response", response).finish()
            }
            Event::Failed(failure) => f.debug_tuple("Failed").field(failure).finish(),
            Event::Written { id } => f.debug_struct("Written").field("id", id).finish(),
            Event::Unsolicited(part) => f.debug_tuple("Unsolicited").field(part).finish(),
            Event::Capability(c) => f.debug_tuple("Capability").field(c).finish(),
            Event::Closed(c) => f.debug_tuple("Closed").field(c).finish(),
        }
    }
}
