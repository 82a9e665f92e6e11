//! What a connection reports: response parts, requests it hands back,
//! closing.

use super::{Capability, Codec, RequestId};
use crate::ErrorKind;
use crate::outcome::{Cause, CloseReason, Ending, Lesson, Progress, Retry, error_kind};
use alloc::boxed::Box;
use core::fmt;

/// A request that ended without a response on this connection: its terminal
/// event here. The request is handed back, so the pool or the caller can
/// resend it when [`Retry`] allows.
pub struct Unanswered<C: Codec> {
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
    /// Why it ended.
    pub cause: Cause<C::Error>,
}

impl<C: Codec> Unanswered<C> {
    /// The C1 name of this as a final outcome, if it is not resent
    /// ([`error_kind`]).
    pub fn kind(&self) -> ErrorKind {
        error_kind(&Ending {
            cause: &self.cause,
            progress: self.progress,
            replayable: self.replayable,
            retry: self.retry,
            gave_up: None,
        })
    }
}

impl<C: Codec> fmt::Debug for Unanswered<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Unanswered")
            .field("id", &self.id)
            .field("progress", &self.progress)
            .field("retry", &self.retry)
            .field("cause", &self.cause)
            .finish_non_exhaustive()
    }
}

/// How a connection ended, for the pool's memory (`docs/DESIGN.md` P6,
/// P11).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CloseSummary {
    /// Why it closed.
    pub reason: CloseReason,
    /// What the close teaches about the server.
    pub lesson: Lesson,
    /// Complete responses it delivered.
    pub responses: u64,
    /// How many requests in all the server said this connection would
    /// answer (`Keep-Alive: max=N` on response k: k + N), if it said so:
    /// a budget the pool learns even when the client closed first (P11).
    pub announced_budget: Option<u64>,
    /// The server closed the connection after it had idled this long with
    /// nothing outstanding: the pool learns the server's idle timeout (P6).
    pub idle_closed_after: Option<crate::Duration>,
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
    /// The request ended without a response here: terminal. Boxed: rare,
    /// and large beside the parts that make up most events.
    Unanswered(Box<Unanswered<C>>),
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
    /// The head of the pipeline has produced no response byte for the
    /// rescue delay while requests wait behind it (P13):
    /// [`rescue_candidates`](super::Connection::rescue_candidates) may be
    /// sent again on another connection.
    SlowHead,
    /// The server refused the connection's setup ([`Codec::setup`]): this
    /// says why; the connection closes next.
    ///
    /// [`Codec::setup`]: super::Codec::setup
    SetupRefused(alloc::string::String),
    /// The connection takes the next piece of request `id`'s streamed
    /// content now ([`Connection::send_body`](super::Connection::send_body)).
    SendBody {
        /// The request.
        id: RequestId,
    },
    /// The connection is finished: close the transport. Always the last
    /// event.
    Closed(CloseSummary),
}

impl<C: Codec> Event<C> {
    /// The request this event ends, if it is a terminal event.
    pub fn terminal_id(&self) -> Option<RequestId> {
        match self {
            Event::Response { id, end: true, .. } | Event::Complete { id, .. } => Some(*id),
            Event::Unanswered(u) => Some(u.id),
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
            Event::Unanswered(unanswered) => f.debug_tuple("Unanswered").field(unanswered).finish(),
            Event::Written { id } => f.debug_struct("Written").field("id", id).finish(),
            Event::Unsolicited(part) => f.debug_tuple("Unsolicited").field(part).finish(),
            Event::Capability(c) => f.debug_tuple("Capability").field(c).finish(),
            Event::SlowHead => f.write_str("SlowHead"),
            Event::SetupRefused(why) => f.debug_tuple("SetupRefused").field(why).finish(),
            Event::SendBody { id } => f.debug_struct("SendBody").field("id", id).finish(),
            Event::Closed(c) => f.debug_tuple("Closed").field(c).finish(),
        }
    }
}
