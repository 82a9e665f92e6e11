//! What a pool reports: driver decisions, responses and final failures.

use super::{ConnectionId, Origin};
use crate::pipeline::{Capability, Cause, CloseReason, Closed, Codec, Progress, RequestId};
use crate::{ErrorKind, Instant};
use alloc::vec::Vec;
use core::fmt;

/// A request that failed for good: its terminal event in the pool.
pub struct PoolFailure<C: Codec> {
    /// The request's id.
    pub id: RequestId,
    /// The request, handed back.
    pub request: C::Request,
    /// The C5 name of the outcome (DESIGN.md C1 precedence).
    pub kind: ErrorKind,
    /// The last cause.
    pub cause: Cause<C::Error>,
    /// How far its last attempt got.
    pub progress: Progress,
    /// How many times it was written, fully or partly.
    pub attempts: u32,
    /// Why each spent try was lost, oldest first (for `max_tries`).
    pub tries: Vec<CloseReason>,
}

impl<C: Codec> fmt::Debug for PoolFailure<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PoolFailure")
            .field("id", &self.id)
            .field("kind", &self.kind)
            .field("cause", &self.cause)
            .field("progress", &self.progress)
            .field("attempts", &self.attempts)
            .field("tries", &self.tries)
            .finish_non_exhaustive()
    }
}

/// What a [`Pool`](super::Pool) reports, drained with
/// [`Pool::poll_event`](super::Pool::poll_event).
pub enum PoolEvent<C: Codec> {
    /// Open a transport to `origin`; answer with
    /// [`Pool::handle_connected`](super::Pool::handle_connected) or
    /// [`Pool::handle_connect_failed`](super::Pool::handle_connect_failed).
    Connect {
        /// The new connection's id.
        conn: ConnectionId,
        /// Where to connect.
        origin: Origin,
    },
    /// Close (or abandon the attempt to open) this transport. `summary` says
    /// how an open connection ended; `None` for a connect the pool gave up
    /// on (its connect timeout). A connect the driver reported failed needs
    /// no `Close`.
    Close {
        /// The connection.
        conn: ConnectionId,
        /// Its origin.
        origin: Origin,
        /// How it ended, if it was open.
        summary: Option<Closed>,
    },
    /// A part of the response to `id`; `end` marks the terminal event.
    Response {
        /// The request answered.
        id: RequestId,
        /// The part.
        part: C::Part,
        /// Whether this is the last part.
        end: bool,
        /// How many times the request was written so far, this time included.
        attempts: u32,
    },
    /// The whole response to `id` (whole-response mode): terminal.
    Complete {
        /// The request answered.
        id: RequestId,
        /// The response.
        response: C::Response,
        /// How many times the request was written.
        attempts: u32,
    },
    /// A request failed for good: terminal.
    Failed(PoolFailure<C>),
    /// The last byte of request `id` was written on `conn`.
    Written {
        /// The request.
        id: RequestId,
        /// The connection it went on.
        conn: ConnectionId,
    },
    /// A message that answers no request.
    Unsolicited {
        /// The connection it came on.
        conn: ConnectionId,
        /// The message.
        part: C::Part,
    },
    /// An origin's capability was learnt or changed.
    Capability {
        /// The origin.
        origin: Origin,
        /// What it can do now.
        capability: Capability,
        /// Until when, for a demotion.
        until: Option<Instant>,
    },
}

impl<C: Codec> PoolEvent<C> {
    /// The request this event ends, if it is a terminal event.
    pub fn terminal_id(&self) -> Option<RequestId> {
        match self {
            PoolEvent::Response { id, end: true, .. } | PoolEvent::Complete { id, .. } => Some(*id),
            PoolEvent::Failed(f) => Some(f.id),
            _ => None,
        }
    }
}

impl<C: Codec> fmt::Debug for PoolEvent<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PoolEvent::Connect { conn, origin } => write!(f, "Connect({conn:?}, {origin})"),
            PoolEvent::Close { conn, origin, summary } => write!(f, "Close({conn:?}, {origin}, {summary:?})"),
            PoolEvent::Response { id, part, end, attempts } => {
                write!(f, "Response({id:?}, {part:?}, end={end}, attempts={attempts})")
            }
            PoolEvent::Complete { id, response, attempts } => {
                write!(f, "Complete({id:?}, {response:?}, attempts={attempts})")
            }
            PoolEvent::Failed(failure) => write!(f, "Failed({failure:?})"),
            PoolEvent::Written { id, conn } => write!(f, "Written({id:?}, {conn:?})"),
            PoolEvent::Unsolicited { conn, part } => write!(f, "Unsolicited({conn:?}, {part:?})"),
            PoolEvent::Capability { origin, capability, until } => {
                write!(f, "Capability({origin}, {capability:?}, until={until:?})")
            }
        }
    }
}
